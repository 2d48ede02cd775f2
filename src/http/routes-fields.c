/* routes-fields.c: packets/fields, streamed from a worker to the client.
 * Parameters are checked as the route table declares them (http-routes.c; fields_parse_list()
 * parses fields= for it); libwireshark in the worker checks field names and the filter, and its
 * ERROR before any data becomes a 400. Each DATA frame becomes one chunk; the
 * worker is read again only after libsoup wrote that chunk ("wrote-chunk"), so a slow client
 * slows the worker, not the server's memory. A failure after the first chunk ends the response
 * without its final chunk (NDJSON: after one last error line), as API.md says.
 * A complete answer is also written to the result cache; the same query later is streamed from
 * that file the same way, chunk by chunk ("X-Sharkapi-Cache: hit").
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "fields"

#include "http/routes-fields.h"

#include <string.h>

#include "http/http-reply.h"
#include "jobs/job-requests.h"
#include "metrics.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-result-cache.h"

#define FIELDS_NDJSON_TYPE "application/x-ndjson"
#define FIELDS_CACHED_CHUNK (64 * 1024)

typedef struct {
	SoupServerMessage *msg;
	Job *job;
	ResultCacheWriter *cache_writer; /* recording a fresh answer */
	GInputStream *cached;            /* replaying a cached one */
	gboolean ndjson;
	gboolean started;  /* headers and a first chunk are out */
	gboolean aborting; /* connection to be dropped after the last chunk */
	gboolean committing; /* the answer goes into the cache before its last chunk goes out */
	gboolean gone;       /* "finished" came while committing: the commit's end frees */
	gulong wrote_chunk_handler;
	gulong finished_handler;
} FieldsStream;

static void
fields_stream_free(FieldsStream *stream)
{
	if (stream->wrote_chunk_handler != 0)
		g_signal_handler_disconnect(stream->msg, stream->wrote_chunk_handler);
	if (stream->finished_handler != 0)
		g_signal_handler_disconnect(stream->msg, stream->finished_handler);
	if (stream->cache_writer != NULL)
		result_cache_writer_abort(stream->cache_writer);
	g_clear_object(&stream->cached);
	g_object_unref(stream->msg);
	g_free(stream);
}

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

static void fields_cached_next(FieldsStream *stream);

static void
fields_wrote_chunk_cb(SoupServerMessage *msg, gpointer user_data)
{
	FieldsStream *stream = user_data;
	if (stream->aborting) {
		/* Dropping the connection without the final chunk marks the answer as broken. */
		g_autoptr(GIOStream) connection = soup_server_message_steal_connection(msg);
		if (connection != NULL)
			g_io_stream_close(connection, NULL, NULL);
		fields_stream_free(stream);
		return;
	}
	if (stream->job != NULL)
		job_resume(stream->job);
	else if (stream->cached != NULL)
		fields_cached_next(stream);
}

static void
fields_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	FieldsStream *stream = user_data;
	if (stream->committing) {
		stream->gone = TRUE;
		return;
	}
	if (stream->job != NULL) {
		g_message("client left during a fields query: stopping its job");
		job_cancel(g_steal_pointer(&stream->job));
	}
	fields_stream_free(stream);
}

static void
fields_start_response(FieldsStream *stream)
{
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(stream->msg);
	soup_server_message_set_status(stream->msg, 200, NULL);
	soup_message_headers_replace(headers, "X-Sharkapi-Cache", stream->cached != NULL ? "hit" : "miss");
	soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
	soup_message_headers_set_content_type(
		headers, stream->ndjson ? FIELDS_NDJSON_TYPE : "application/json", NULL);
	soup_message_body_set_accumulate(soup_server_message_get_response_body(stream->msg), FALSE);
	stream->started = TRUE;
}

static gboolean
fields_job_data_cb(Job *job, GBytes *chunk, gpointer user_data)
{
	FieldsStream *stream = user_data;
	if (!stream->started)
		fields_start_response(stream);
	if (stream->cache_writer != NULL)
		result_cache_writer_append(stream->cache_writer, chunk);
	soup_message_body_append_bytes(soup_server_message_get_response_body(stream->msg), chunk);
	soup_server_message_unpause(stream->msg);
	return TRUE; /* read the worker again once this chunk is written */
}

static void fields_stream_abort(FieldsStream *stream, const GError *error);

static void
fields_committed_cb(gpointer user_data)
{
	FieldsStream *stream = user_data;
	stream->committing = FALSE;
	if (stream->gone) {
		fields_stream_free(stream);
		return;
	}
	soup_message_body_complete(soup_server_message_get_response_body(stream->msg));
	soup_server_message_unpause(stream->msg);
	/* "finished" frees the stream */
}

static void
fields_job_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	FieldsStream *stream = user_data;
	SoupMessageBody *body = soup_server_message_get_response_body(stream->msg);
	stream->job = NULL;

	if (error == NULL) {
		if (!stream->started)
			fields_start_response(stream);
		if (stream->cache_writer != NULL) {
			/* The last chunk waits for the cache: a repeat of this query, sent once this
			 * answer is in, is a hit (the sync itself runs off the main loop). */
			stream->committing = TRUE;
			result_cache_writer_commit(g_steal_pointer(&stream->cache_writer), fields_committed_cb, stream);
			return;
		}
		soup_message_body_complete(body);
		soup_server_message_unpause(stream->msg);
		return; /* "finished" frees the stream */
	}
	if (stream->cache_writer != NULL)
		result_cache_writer_abort(g_steal_pointer(&stream->cache_writer));
	if (!stream->started) {
		http_reply_error(stream->msg, error);
		soup_server_message_unpause(stream->msg);
		return;
	}
	g_warning("fields query failed mid-stream: %s", error->message);
	fields_stream_abort(stream, error);
}

/* Ends a started answer as broken: the connection drops without the final chunk. */
static void
fields_stream_abort(FieldsStream *stream, const GError *error)
{
	SoupMessageBody *body = soup_server_message_get_response_body(stream->msg);
	stream->aborting = TRUE;
	g_signal_handler_disconnect(stream->msg, stream->finished_handler);
	stream->finished_handler = 0;
	if (stream->ndjson) {
		g_autoptr(JsonWriter) writer = json_writer_new();
		http_reply_write_error(writer, sharkapi_error_http_status(error), error->message);
		g_autofree char *line = g_strconcat(json_writer_get_data(writer), "\n", NULL);
		soup_message_body_append(body, SOUP_MEMORY_COPY, line, strlen(line));
	} else {
		soup_message_body_append(body, SOUP_MEMORY_STATIC, "", 0);
	}
	soup_server_message_unpause(stream->msg);
}

static void
fields_connect_signals(FieldsStream *stream)
{
	stream->wrote_chunk_handler =
		g_signal_connect(stream->msg, "wrote-chunk", G_CALLBACK(fields_wrote_chunk_cb), stream);
	stream->finished_handler = g_signal_connect(stream->msg, "finished", G_CALLBACK(fields_finished_cb), stream);
}

/* Sends the next piece of a cached answer; called again from "wrote-chunk". */
static void
fields_cached_next(FieldsStream *stream)
{
	g_autoptr(GError) error = NULL;
	SoupMessageBody *body = soup_server_message_get_response_body(stream->msg);
	g_autoptr(GBytes) chunk = g_input_stream_read_bytes(stream->cached, FIELDS_CACHED_CHUNK, NULL, &error);
	if (chunk == NULL) {
		g_warning("reading a cached answer failed mid-stream: %s", error->message);
		g_clear_object(&stream->cached);
		fields_stream_abort(stream, error);
		return;
	}
	if (g_bytes_get_size(chunk) == 0) {
		g_clear_object(&stream->cached);
		soup_message_body_complete(body);
	} else {
		soup_message_body_append_bytes(body, chunk);
	}
	soup_server_message_unpause(stream->msg);
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
	FieldsStream *stream = g_new0(FieldsStream, 1);
	stream->msg = g_object_ref(request->msg);
	stream->ndjson = ndjson;
	g_autofree char *cache_key = fields_cache_key(fields, filter, passes, limit, offset, stream->ndjson);
	stream->cached = result_cache_open(server->results, capture->id, cache_key);
	metrics_inc(stream->cached != NULL ? "sharkapi_cache_hits_total" : "sharkapi_cache_misses_total", "cache=\"fields\"");
	if (stream->cached != NULL) {
		soup_server_message_pause(request->msg);
		fields_connect_signals(stream);
		fields_start_response(stream);
		fields_cached_next(stream);
		return;
	}
	g_autofree char *line = job_request_fields(capture_path, fields, filter, passes, limit, offset, stream->ndjson);
	static const JobCallbacks callbacks = {
		.data = fields_job_data_cb,
		.done = fields_job_done_cb,
	};
	/* Two-pass queries go back to the worker that keeps this capture's first pass. */
	stream->job = job_queue_submit(server->jobs, line, passes == 2 ? capture_path : NULL, &callbacks, stream,
				       &error);
	if (stream->job == NULL) {
		http_reply_error(request->msg, error);
		fields_stream_free(stream);
		return;
	}
	stream->cache_writer = result_cache_writer_new(server->results, capture->id, cache_key);
	fields_connect_signals(stream);
	http_request_park(request);
}
