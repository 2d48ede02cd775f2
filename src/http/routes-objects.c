/* routes-objects.c: GET /api/v2/analysis/<id>/objects/<proto> (the list) and
 * .../objects/<proto>/<index> (one object's bytes), as tshark --export-objects writes them.
 * One worker job (engine-objects.h) writes the list and every object's bytes into one answer
 * file, persisted in the result cache on the first request (so under its disk accounting, and
 * deleted with the capture); the list is the file's first line, an object's bytes are found
 * from the sizes listed before it. Downloads are served from the mapped file: nothing is ever
 * written under a name from the capture, and the name reaches Content-Disposition only as
 * letters, digits and ._-+~ (the full name percent-encoded in filename*).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "objects"

#include "http/routes-objects.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "http/http-reply.h"
#include "http/routes-answer-file.h"
#include "jobs/job-requests.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-result-cache.h"

#define OBJECTS_MAX_PROTOCOL 64
#define OBJECTS_DEFAULT_TYPE "application/octet-stream"

typedef struct {
	char *protocol;
	char *capture_path;
	guint passes;
	gint64 index; /* 0: the list */
} ObjectsQuery;

static void
objects_query_free(ObjectsQuery *query)
{
	g_free(query->protocol);
	g_free(query->capture_path);
	g_free(query);
}

/* Names libwireshark might register: the worker says whether one is (400 listing them). */
static gboolean
objects_protocol_is_plausible(const char *protocol)
{
	if (*protocol == '\0' || strlen(protocol) > OBJECTS_MAX_PROTOCOL)
		return FALSE;
	for (const char *p = protocol; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return FALSE;
	}
	return TRUE;
}

static gboolean
objects_parse_index(const char *text, gint64 *index, GError **error)
{
	guint64 value = 0;
	if (text == NULL || !g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT32, &value, NULL)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "index: '%s' is not an object number (1, 2, ...)", text != NULL ? text : "");
		return FALSE;
	}
	*index = (gint64)value;
	return TRUE;
}

static char *
objects_cache_key(const ObjectsQuery *query)
{
	g_autofree char *passes = g_strdup_printf("passes=%u", query->passes);
	const char *parts[] = {"objects v1", query->protocol, passes, NULL};
	return result_cache_key(parts);
}

static char *
objects_job_line_cb(const char *output, gpointer user_data)
{
	ObjectsQuery *query = user_data;
	return job_request_objects(query->capture_path, output, query->protocol, query->passes);
}

/* The list line of an answer file, or NULL when the file is damaged. */
static GBytes *
objects_list_line(GBytes *answer)
{
	gsize size = 0;
	const char *data = g_bytes_get_data(answer, &size);
	const char *newline = data != NULL ? memchr(data, '\n', size) : NULL;
	if (newline == NULL)
		return NULL;
	return g_bytes_new_from_bytes(answer, 0, (gsize)(newline - data));
}

/* A Content-Type from the capture, if it is one header value can carry; else the default. */
static const char *
objects_safe_content_type(const char *type)
{
	if (type == NULL || *type == '\0' || strlen(type) > 256)
		return OBJECTS_DEFAULT_TYPE;
	for (const char *p = type; *p != '\0'; p++) {
		if ((guchar)*p < 0x20 || (guchar)*p > 0x7e)
			return OBJECTS_DEFAULT_TYPE;
	}
	return type;
}

/* attachment; filename=<letters, digits, ._-+~ only>; filename*=UTF-8''<the name, encoded>. */
static char *
objects_disposition(const char *name, gint64 index)
{
	g_autoptr(GString) plain = g_string_new(NULL);
	g_autoptr(GString) encoded = g_string_new(NULL);
	for (const char *p = name != NULL ? name : ""; *p != '\0'; p++) {
		guchar c = (guchar)*p;
		gboolean safe = g_ascii_isalnum(c) || strchr("._-+~", c) != NULL;
		g_string_append_c(plain, safe ? (char)c : '_');
		if (safe)
			g_string_append_c(encoded, (char)c);
		else
			g_string_append_printf(encoded, "%%%02X", c);
	}
	/* No hidden or empty names. */
	if (plain->len == 0 || plain->str[0] == '.')
		g_string_prepend(plain, "object");
	g_autofree char *fallback = g_strdup_printf("object%" G_GINT64_FORMAT, index);
	if (encoded->len == 0)
		g_string_append(encoded, fallback);
	return g_strdup_printf("attachment; filename=%s; filename*=UTF-8''%s", plain->str, encoded->str);
}

static void
objects_reply_download(SoupServerMessage *msg, GBytes *answer, GBytes *line, gint64 index)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	gsize line_length = 0;
	const char *text = g_bytes_get_data(line, &line_length);

	if (!json_parser_load_from_data(parser, text, (gssize)line_length, &error)) {
		http_reply_error_literal(msg, 500, "a stored object list is damaged");
		return;
	}
	JsonObject *data = json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)), "data");
	JsonArray *objects = json_object_get_array_member(data, "objects");
	guint n_objects = json_array_get_length(objects);
	if (index > n_objects) {
		g_autofree char *message = g_strdup_printf("index: no object %" G_GINT64_FORMAT " (%s has %u)", index,
							   json_object_get_string_member(data, "protocol"), n_objects);
		http_reply_error_literal(msg, 404, message);
		return;
	}
	guint64 offset = line_length + 1;
	for (guint i = 0; i + 1 < (guint)index; i++)
		offset += (guint64)json_object_get_int_member(json_array_get_object_element(objects, i), "size");
	JsonObject *object = json_array_get_object_element(objects, (guint)index - 1);
	guint64 size = (guint64)json_object_get_int_member(object, "size");
	if (offset + size > g_bytes_get_size(answer)) {
		http_reply_error_literal(msg, 500, "a stored object is damaged");
		return;
	}
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
	const char *type = json_object_get_null_member(object, "content_type")
				   ? NULL
				   : json_object_get_string_member(object, "content_type");
	const char *name = json_object_get_null_member(object, "filename")
				   ? NULL
				   : json_object_get_string_member(object, "filename");
	g_autofree char *disposition = objects_disposition(name, index);
	g_autoptr(GBytes) body = g_bytes_new_from_bytes(answer, (gsize)offset, (gsize)size);
	soup_server_message_set_status(msg, 200, NULL);
	soup_message_headers_replace(headers, "Content-Type", objects_safe_content_type(type));
	soup_message_headers_replace(headers, "Content-Disposition", disposition);
	soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
	soup_message_body_append_bytes(soup_server_message_get_response_body(msg), body);
}

static void
objects_reply_cb(SoupServerMessage *msg, GMappedFile *answer, gboolean cached, const GError *error,
		 gpointer user_data)
{
	ObjectsQuery *query = user_data;
	if (error != NULL) {
		http_reply_error(msg, error);
		return;
	}
	g_autoptr(GBytes) bytes = g_mapped_file_get_bytes(answer);
	g_autoptr(GBytes) line = objects_list_line(bytes);
	if (line == NULL) {
		http_reply_error_literal(msg, 500, "a stored object list is damaged");
		return;
	}
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "X-Sharkapi-Cache",
				     cached ? "hit" : "miss");
	if (query->index == 0)
		http_reply_json_bytes(msg, 200, line);
	else
		objects_reply_download(msg, bytes, line, query->index);
}

static void
objects_answer(HttpRequest *request, gint64 index)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = request->server;
	const char *protocol = http_request_get_path(request, "proto");

	g_autoptr(StoreCapture) capture = store_capture_get(server->store, request->capture_id, &error);
	if (capture == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	if (protocol == NULL || !objects_protocol_is_plausible(protocol)) {
		g_autofree char *message =
			g_strdup_printf("protocol: '%s' has no export-object handler", protocol != NULL ? protocol : "");
		http_reply_error_literal(request->msg, 400, message);
		return;
	}
	ObjectsQuery *query = g_new0(ObjectsQuery, 1);
	query->protocol = g_strdup(protocol);
	query->capture_path = store_capture_file(server->store, capture->id);
	query->passes = (guint)http_request_get_integer(request, "passes");
	query->index = index;
	g_autofree char *key = objects_cache_key(query);
	answer_file_reply(request, key, "cache=\"objects\"", objects_job_line_cb,
			  query->passes == 2 ? query->capture_path : NULL, objects_reply_cb, query,
			  (GDestroyNotify)objects_query_free);
}

void
routes_analysis_objects(HttpRequest *request)
{
	objects_answer(request, 0);
}

void
routes_analysis_object(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	gint64 index = 0;
	if (!objects_parse_index(http_request_get_path(request, "index"), &index, &error)) {
		http_reply_error(request->msg, error);
		return;
	}
	objects_answer(request, index);
}

char *
objects_job_line(const char *capture_path, const char *output, const char *protocol, guint passes)
{
	return job_request_objects(capture_path, output, protocol, passes);
}

GBytes *
objects_answer_list(GBytes *answer)
{
	return objects_list_line(answer);
}
