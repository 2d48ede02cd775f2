/* sharkapi-error.c: the sharkapi error domain and its mapping to HTTP statuses.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "sharkapi-error.h"

#include <errno.h>
#include <gio/gio.h>

G_DEFINE_QUARK(sharkapi-error-quark, sharkapi_error)

SharkapiErrorCode
sharkapi_error_code_from_errno(int errsv)
{
	if (errsv == ENOSPC || errsv == EDQUOT)
		return SHARKAPI_ERROR_NO_SPACE;
	return SHARKAPI_ERROR_INTERNAL;
}

guint
sharkapi_error_http_status(const GError *error)
{
	if (error == NULL)
		return 500;
	if (error->domain == SHARKAPI_ERROR)
		return (guint)error->code;
	if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_NO_SPACE)
		return 507;
	return 500;
}
