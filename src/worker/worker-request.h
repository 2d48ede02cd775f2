/* worker-request.h: typed access to the members of a request object, with 400 errors that name
 * the member and what was wrong with it.
 * Must not know which job wants which member: worker-jobs.c says.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Parses one request line: a JSON object, else 400. */
JsonNode *worker_request_parse(const char *line, gsize length, GError **error);

/* A string member; fallback is used when it is absent or null (NULL: the member is required).
 * The value is owned by the request. */
gboolean worker_request_get_string(JsonObject *request, const char *member, const char *fallback,
				   const char **value, GError **error);
/* An integer member, fallback when absent or null. */
gboolean worker_request_get_int(JsonObject *request, const char *member, gint64 fallback,
				gint64 *value, GError **error);
/* An array of strings (required); the strings are owned by the request. */
gboolean worker_request_get_strings(JsonObject *request, const char *member, GPtrArray **values,
				    GError **error);

G_END_DECLS
