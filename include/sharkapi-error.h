/* sharkapi-error.h: the one error domain of sharkapi.
 * Error codes are the HTTP status a route answers with, so turning a GError into a
 * response is a lookup, done in one place (http-reply.c).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SHARKAPI_ERROR (sharkapi_error_quark())

typedef enum {
	SHARKAPI_ERROR_BAD_REQUEST = 400,
	SHARKAPI_ERROR_UNAUTHORIZED = 401,
	SHARKAPI_ERROR_FORBIDDEN = 403,
	SHARKAPI_ERROR_NOT_FOUND = 404,
	SHARKAPI_ERROR_METHOD_NOT_ALLOWED = 405,
	SHARKAPI_ERROR_TOO_LARGE = 413,
	SHARKAPI_ERROR_UNSUPPORTED_MEDIA = 415,
	SHARKAPI_ERROR_UNPROCESSABLE = 422,
	SHARKAPI_ERROR_INTERNAL = 500,
	SHARKAPI_ERROR_UNAVAILABLE = 503,
	SHARKAPI_ERROR_NO_SPACE = 507,
} SharkapiErrorCode;

GQuark sharkapi_error_quark(void);

/* Maps errno-style failures of file writes: ENOSPC and EDQUOT become 507. */
SharkapiErrorCode sharkapi_error_code_from_errno(int errsv);

/* The HTTP status for any GError: SHARKAPI_ERROR codes map to themselves, others to 500. */
guint sharkapi_error_http_status(const GError *error);

G_END_DECLS
