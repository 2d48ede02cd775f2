/* engine-filter.c: display filter compilation (dfilter_compile, 4.0 signature).
 * Must not keep compiled filters: the caller owns and frees them.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-filter.h"

#include "sharkapi-error.h"

gboolean
engine_filter_is_empty(const char *text)
{
	if (text == NULL)
		return TRUE;
	for (const char *p = text; *p != '\0'; p++) {
		if (!g_ascii_isspace(*p))
			return FALSE;
	}
	return TRUE;
}

gboolean
engine_filter_compile(const char *text, dfilter_t **filter, GError **error)
{
	g_autofree char *message = NULL;

	*filter = NULL;
	if (engine_filter_is_empty(text))
		return TRUE;
	if (!dfilter_compile(text, filter, &message)) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    message != NULL ? message : "invalid display filter");
		*filter = NULL;
		return FALSE;
	}
	return TRUE;
}
