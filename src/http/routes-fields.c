/* routes-fields.c: packets/fields, streamed from a worker to the client (http-job-answer.h).
 * Parameters are checked as the route table declares them (http-routes.c; fields_parse_list()
 * parses fields= for it); libwireshark in the worker checks field names and the filter, and its
 * ERROR before any data becomes a 400.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "fields"

#include "http/routes-fields.h"

#include <string.h>

#include "http/http-job-answer.h"
#include "http/http-reply.h"
#include "jobs/job-requests.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-result-cache.h"

#define FIELDS_NDJSON_TYPE "application/x-ndjson"

gboolean
fields_name_is_valid(const char *name)
{
	if (*name == '\0' || strlen(name) > 256)
		return FALSE;
	for (const char *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
			return FALSE;
	}
	return TRUE;
}

gboolean
fields_parse_list(const char *text, GPtrArray *fields, GError **error)
{
	if (text == NULL || *text == '\0') {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "fields: required, a comma separated list of field names");
		return FALSE;
	}
	g_auto(GStrv) names = g_strsplit(text, ",", -1);
	for (guint i = 0; names[i] != NULL; i++) {
		char *name = g_strstrip(names[i]);
		if (*name == '\0')
			continue;
		if (!fields_name_is_valid(name)) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "fields: '%s' is not a field name",
				    name);
			return FALSE;
		}
		g_ptr_array_add(fields, g_strdup(name));
	}
	if (fields->len == 0 || fields->len > FIELDS_MAX) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "fields: between 1 and %d field names, not %u", FIELDS_MAX, fields->len);
		return FALSE;
	}
	return TRUE;
}

/* format= (json or ndjson, checked as declared) decides; without it, an Accept naming NDJSON does. */
static gboolean
fields_wants_ndjson(HttpRequest *request)
{
	const char *format = http_request_get(request, "format");
	if (format != NULL)
		return g_ascii_strcasecmp(format, "ndjson") == 0;
	const char *accept =
		soup_message_headers_get_one(soup_server_message_get_request_headers(request->msg), "Accept");
	return accept != NULL && strstr(accept, FIELDS_NDJSON_TYPE) != NULL;
}

/* Everything that shapes the answer, so equal keys mean byte-identical answers. */
static char *
fields_cache_key(GPtrArray *fields, const char *filter, guint passes, gint64 limit, gint64 offset, gboolean ndjson)
{
	g_autoptr(GString) names = g_string_new(NULL);
	for (guint i = 0; i < fields->len; i++)
		g_string_append_printf(names, "%s%s", i > 0 ? "," : "", (const char *)g_ptr_array_index(fields, i));
	g_autofree char *numbers = g_strdup_printf("passes=%u limit=%" G_GINT64_FORMAT " offset=%" G_GINT64_FORMAT,
						   passes, limit, offset);
	const char *parts[] = {"packets/fields v1", names->str, filter != NULL ? filter : "", numbers,
			       ndjson ? "ndjson" : "json", NULL};
	return result_cache_key(parts);
}

void
routes_analysis_fields(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = request->server;
	/* Checked against the route's declarations already (http-server.c). */
	GPtrArray *fields = http_request_get_list(request, "fields");
	gint64 limit = http_request_get_integer(request, "limit");
	gint64 offset = http_request_get_integer(request, "offset");
	guint passes = (guint)http_request_get_integer(request, "passes");
	gboolean ndjson = fields_wants_ndjson(request);

	g_autoptr(StoreCapture) capture = store_capture_get(server->store, request->capture_id, &error);
	if (capture == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autofree char *capture_path = store_capture_file(server->store, capture->id);
	const char *filter = http_request_get(request, "filter");
	g_autofree char *cache_key = fields_cache_key(fields, filter, passes, limit, offset, ndjson);
	g_autofree char *line = job_request_fields(capture_path, fields, filter, passes, limit, offset, ndjson);
	HttpJobAnswer answer = {
		.capture_id = capture->id,
		.cache_key = cache_key,
		.job_request = line,
		/* Two-pass queries go back to the worker that keeps this capture's first pass. */
		.warm_key = passes == 2 ? capture_path : NULL,
		.content_type = ndjson ? FIELDS_NDJSON_TYPE : "application/json",
		.cache_label = "fields",
		.ndjson = ndjson,
	};
	http_job_answer_start(request, &answer);
}
