/* routes-analysis.c: status, the stats routes, dns/lookups, expert, http/requests and
 * tls/handshakes, answered from persisted summaries.
 * A summary route parks its request until the capture's summary variant is ready, then sends
 * the persisted file wrapped in {"data": ...}; nothing is computed here but a page of expert's
 * items, cut from the file's lines.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "analysis"

#include "http/routes-analysis.h"

#include <string.h>

#include "http/http-file-cache.h"
#include "http/http-reply.h"
#include "metrics.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"

/* Wireshark's seven default columns, as CloudShark's status lists them. */
static const struct {
	const char *format;
	const char *title;
} analysis_default_columns[] = {
	{"%m", "No."}, {"%t", "Time"}, {"%s", "Source"}, {"%d", "Destination"},
	{"%p", "Protocol"}, {"%L", "Length"}, {"%i", "Info"},
};

static void
analysis_write_columns(JsonWriter *writer)
{
	json_writer_begin_array(writer);
	for (guint i = 0; i < G_N_ELEMENTS(analysis_default_columns); i++) {
		json_writer_begin_object(writer);
		json_writer_member_string(writer, "format", analysis_default_columns[i].format);
		json_writer_member_bool(writer, "resolved", TRUE);
		json_writer_member_string(writer, "title", analysis_default_columns[i].title);
		json_writer_member_bool(writer, "visible", TRUE);
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
}

void
routes_analysis_write_status(JsonWriter *writer, const StoreCapture *capture, SummaryState state, double progress,
			     guint first_passes)
{
	double duration = store_capture_duration(capture);
	json_writer_begin_object(writer);
	json_writer_key(writer, "data");
	json_writer_begin_object(writer);
	json_writer_key(writer, "analysis");
	json_writer_begin_object(writer);
	if (state == SUMMARY_STATE_FAILED)
		json_writer_member_string(writer, "error", capture->analysis_failed);
	json_writer_member_int(writer, "first_passes", first_passes);
	json_writer_member_double(writer, "progress", progress);
	json_writer_member_string(writer, "state", summary_state_to_string(state));
	json_writer_end_object(writer);
	json_writer_key(writer, "columns");
	analysis_write_columns(writer);
	json_writer_member_double(writer, "duration", duration);
	json_writer_member_int(writer, "filesize", (gint64)capture->size);
	json_writer_member_int(writer, "frames", (gint64)capture->num_packets);
	json_writer_key(writer, "warnings");
	json_writer_begin_array(writer);
	if (*capture->warning != '\0')
		json_writer_string(writer, capture->warning);
	json_writer_end_array(writer);
	json_writer_end_object(writer);
	json_writer_end_object(writer);
}

void
routes_analysis_status(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = request->server;
	g_autoptr(StoreCapture) capture = store_capture_get(server->store, request->capture_id, &error);
	if (capture == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autofree char *capture_path = store_capture_file(server->store, capture->id);
	double progress = 0;
	SummaryState state = summary_tracker_get_state(server->summaries, capture->id, &progress);
	g_autoptr(JsonWriter) writer = json_writer_new();
	routes_analysis_write_status(writer, capture, state, progress,
				     job_queue_get_first_passes(server->jobs, capture_path));
	http_reply_writer(request->msg, 200, writer);
}

/* ---- summary routes ---- */

typedef struct {
	HttpServer *server;
	SoupServerMessage *msg;
	AnalysisRoute route;
	char *protocol; /* endpoints and conversations: as asked */
	gint64 offset;  /* expert: the page of items asked for (limit -1: to the end) */
	gint64 limit;
	SummaryWaiter *waiter;
	gboolean parked; /* had to wait for the analysis: a cache miss */
	gulong finished_handler;
} AnalysisRequest;

static void
analysis_request_free(AnalysisRequest *request)
{
	if (request->finished_handler != 0)
		g_signal_handler_disconnect(request->msg, request->finished_handler);
	g_object_unref(request->msg);
	g_free(request->protocol);
	g_free(request);
}

static GError *
analysis_unknown_protocol_error(const GPtrArray *tables, const char *protocol)
{
	g_autofree char *names = worker_tables_filter_names(tables);
	return g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "protocol: unknown table '%s'; valid: %s",
			   protocol, names);
}

/* An empty table of a protocol that has no data in this capture. */
static GBytes *
analysis_empty_table(AnalysisRoute route, const char *table_name)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_key(writer, "data");
	json_writer_begin_object(writer);
	if (route == ANALYSIS_CONVERSATIONS) {
		json_writer_key(writer, "convs");
		json_writer_begin_array(writer);
		json_writer_end_array(writer);
	}
	json_writer_member_bool(writer, "geoip", FALSE);
	if (route == ANALYSIS_ENDPOINTS) {
		json_writer_key(writer, "hosts");
		json_writer_begin_array(writer);
		json_writer_end_array(writer);
	}
	json_writer_member_string(writer, "proto", table_name);
	json_writer_end_object(writer);
	json_writer_end_object(writer);
	return json_writer_take(writer);
}

/* The persisted file answering route in summary_dir; NULL with *error for an unknown table.
 * *table_name is set for endpoints and conversations, whose file is absent when empty. */
static char *
analysis_result_path(JobQueue *jobs, AnalysisRoute route, const char *protocol, const char *summary_dir,
		     const char **table_name, GError **error)
{
	*table_name = NULL;
	if (route == ANALYSIS_HIERARCHY)
		return summary_result_path(summary_dir, SUMMARY_RESULT_HIERARCHY, NULL);
	if (route == ANALYSIS_DNS)
		return summary_result_path(summary_dir, SUMMARY_RESULT_DNS, NULL);
	if (route == ANALYSIS_EXPERT)
		return summary_result_path(summary_dir, SUMMARY_RESULT_EXPERT, NULL);
	if (route == ANALYSIS_HTTP_REQUESTS)
		return summary_result_path(summary_dir, SUMMARY_RESULT_HTTP_REQUESTS, NULL);
	if (route == ANALYSIS_TLS_HANDSHAKES)
		return summary_result_path(summary_dir, SUMMARY_RESULT_TLS_HANDSHAKES, NULL);
	const WorkerTable *table = job_queue_find_table(jobs, protocol);
	if (table == NULL) {
		*error = analysis_unknown_protocol_error(job_queue_get_tables(jobs), protocol);
		return NULL;
	}
	*table_name = table->name;
	return summary_result_path(summary_dir,
				   route == ANALYSIS_ENDPOINTS ? SUMMARY_RESULT_ENDPOINTS : SUMMARY_RESULT_CONVERSATIONS,
				   table);
}

GBytes *
routes_analysis_summary_body(JobQueue *jobs, HttpFileCache *cache, AnalysisRoute route, const char *protocol,
			     const char *summary_dir, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	const char *table_name = NULL;
	g_autofree char *path = analysis_result_path(jobs, route, protocol, summary_dir, &table_name, error);
	if (path == NULL)
		return NULL;
	if (table_name != NULL && !g_file_test(path, G_FILE_TEST_EXISTS))
		return analysis_empty_table(route, table_name);
	GBytes *body = http_file_cache_load(cache, path, &error_local);
	if (body == NULL) {
		g_warning("reading %s: %s", path, error_local->message);
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
				    "a persisted analysis result could not be read");
	}
	return body;
}

/* ---- expert's pages ---- */

/* The lines of a written expert.json (worker-protocol.h), wrapped or not: the head up to the
 * first newline, one item per line, and the tail from the line that starts with "]". A page
 * keeps the head and the tail and the items asked for, the last without its comma. */
static GBytes *
analysis_page_lines(GBytes *body, gint64 offset, gint64 limit)
{
	gsize length = 0;
	const char *text = g_bytes_get_data(body, &length);
	const char *end = text + length;
	const char *line = memchr(text, '\n', length);
	if (line == NULL)
		return g_bytes_ref(body);
	line++;
	GString *page = g_string_new_len(text, line - text);
	gint64 index = 0, kept = 0;
	/* The tail: the last line that starts with "]" (items start with "{"), a few bytes from the
	 * end: searched backwards (g_strrstr_len() would first walk the whole file forwards). */
	const char *tail = end;
	for (const char *p = end - 1; p >= line; p--) {
		if (*p == ']' && p[-1] == '\n') {
			tail = p;
			break;
		}
	}
	while (line < tail && (limit < 0 || kept < limit)) {
		const char *next = memchr(line, '\n', (gsize)(end - line));
		if (next == NULL)
			break;
		gsize item_length = (gsize)(next - line);
		if (item_length > 0 && line[item_length - 1] == ',')
			item_length--;
		if (index >= offset && (limit < 0 || kept < limit)) {
			if (kept > 0)
				g_string_append(page, ",\n");
			g_string_append_len(page, line, (gssize)item_length);
			kept++;
		}
		index++;
		line = next + 1;
	}
	if (kept > 0)
		g_string_append_c(page, '\n');
	g_string_append_len(page, tail, end - tail);
	return g_string_free_to_bytes(page);
}

static gboolean
analysis_pages(AnalysisRoute route, gint64 offset, gint64 limit)
{
	return route == ANALYSIS_EXPERT && (offset > 0 || limit >= 0);
}

GBytes *
routes_analysis_page(AnalysisRoute route, HttpRequest *request, GBytes *body)
{
	if (route != ANALYSIS_EXPERT)
		return g_bytes_ref(body);
	gint64 offset = MAX(http_request_get_integer(request, "offset"), 0);
	gint64 limit = http_request_get_integer(request, "limit");
	if (!analysis_pages(route, offset, limit))
		return g_bytes_ref(body);
	return analysis_page_lines(body, offset, limit);
}

/* As routes_analysis_summary_body(), but sent in pieces that are not copies (a large answer is
 * a mapping of its file: http_file_cache_open()). */
static void
analysis_answer(AnalysisRequest *request, const char *summary_dir)
{
	g_autoptr(GError) error = NULL;
	const char *table_name = NULL;
	g_autofree char *path = analysis_result_path(request->server->jobs, request->route, request->protocol,
						     summary_dir, &table_name, &error);
	if (path == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	if (table_name != NULL && !g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_autoptr(GBytes) empty = analysis_empty_table(request->route, table_name);
		http_reply_json_bytes(request->msg, 200, empty);
		return;
	}
	if (analysis_pages(request->route, request->offset, request->limit)) {
		/* Mapped, not read: a page of a large capture's items is a scan of the file's lines. */
		g_autoptr(GMappedFile) mapped = g_mapped_file_new(path, FALSE, &error);
		g_autoptr(GBytes) whole = mapped != NULL ? g_mapped_file_get_bytes(mapped) : NULL;
		if (whole == NULL) {
			g_warning("reading %s: %s", path, error->message);
			http_reply_error_literal(request->msg, 500, "a persisted analysis result could not be read");
			return;
		}
		g_autoptr(GBytes) page = analysis_page_lines(whole, request->offset, request->limit);
		g_autoptr(GBytes) wrapped = http_file_cache_wrap(page); /* the file holds what goes in "data" */
		http_reply_json_bytes(request->msg, 200, wrapped);
		return;
	}
	g_autoptr(GPtrArray) pieces = http_file_cache_open(request->server->file_cache, path, &error);
	if (pieces == NULL) {
		g_warning("reading %s: %s", path, error->message);
		http_reply_error_literal(request->msg, 500, "a persisted analysis result could not be read");
		return;
	}
	http_reply_json_pieces(request->msg, 200, pieces);
}

/* A summary answered before: its file exists, so the capture and its variant are ready (a
 * deleted capture's folder goes with it), and the cached bytes go out with no database
 * query and no file read. Anything else takes the full way. */
static gboolean
analysis_reply_cached(HttpRequest *http, AnalysisRoute route, const char *protocol, const char *variant)
{
	HttpServer *server = http->server;
	g_autoptr(GError) error = NULL;
	const char *table_name = NULL;
	gboolean exists = FALSE;

	if (job_queue_get_tables(server->jobs) == NULL && (route == ANALYSIS_ENDPOINTS || route == ANALYSIS_CONVERSATIONS))
		return FALSE;
	g_autofree char *summary_dir = store_capture_summary_dir(server->store, http->capture_id, variant);
	g_autofree char *path =
		analysis_result_path(server->jobs, route, protocol, summary_dir, &table_name, &error);
	if (path == NULL)
		return FALSE;
	g_autoptr(GBytes) whole = http_file_cache_lookup(server->file_cache, path, &exists);
	if (whole == NULL)
		return FALSE;
	g_autoptr(GBytes) answer = routes_analysis_page(route, http, whole);
	metrics_inc("sharkapi_cache_hits_total", "cache=\"summary\"");
	http_reply_json_bytes(http->msg, 200, answer);
	return TRUE;
}

static void
analysis_ready_cb(const char *summary_dir, const GError *error, gpointer user_data)
{
	AnalysisRequest *request = user_data;
	request->waiter = NULL;
	if (error == NULL)
		metrics_inc(request->parked ? "sharkapi_cache_misses_total" : "sharkapi_cache_hits_total",
			    "cache=\"summary\"");
	if (error != NULL)
		http_reply_error(request->msg, error);
	else
		analysis_answer(request, summary_dir);
	soup_server_message_unpause(request->msg);
	analysis_request_free(request);
}

/* The client went away while parked: stop waiting for it. */
static void
analysis_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	AnalysisRequest *request = user_data;
	if (request->waiter == NULL)
		return;
	summary_waiter_cancel(request->waiter);
	analysis_request_free(request);
}

void
routes_analysis_summary(HttpRequest *http)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = http->server;
	AnalysisRoute route = http->route->analysis;
	/* Checked against the route's declarations already (http-server.c). */
	const char *filter = http_request_get(http, "filter");
	guint passes = (guint)http_request_get_integer(http, "passes");
	const char *protocol = route == ANALYSIS_ENDPOINTS || route == ANALYSIS_CONVERSATIONS
				       ? http_request_get(http, "protocol")
				       : "ip";

	/* One key per request: a filtered variant's is a SHA-256 of the filter. */
	g_autofree char *variant = summary_variant_key(filter, passes);
	summary_tracker_touch(server->summaries, http->capture_id, variant);
	if (analysis_reply_cached(http, route, protocol, variant))
		return;
	g_autoptr(StoreCapture) capture = store_capture_get(server->store, http->capture_id, &error);
	if (capture == NULL) {
		http_reply_error(http->msg, error);
		return;
	}
	/* Before any worker said HELLO the table list is unknown; the answer checks it again. */
	const GPtrArray *tables = job_queue_get_tables(server->jobs);
	if ((route == ANALYSIS_ENDPOINTS || route == ANALYSIS_CONVERSATIONS) && tables != NULL &&
	    worker_tables_find(tables, protocol) == NULL) {
		g_autoptr(GError) unknown = analysis_unknown_protocol_error(tables, protocol);
		http_reply_error(http->msg, unknown);
		return;
	}
	AnalysisRequest *request = g_new0(AnalysisRequest, 1);
	request->server = server;
	request->msg = g_object_ref(http->msg);
	request->route = route;
	request->protocol = g_strdup(protocol);
	request->offset = route == ANALYSIS_EXPERT ? MAX(http_request_get_integer(http, "offset"), 0) : 0;
	request->limit = route == ANALYSIS_EXPERT ? http_request_get_integer(http, "limit") : -1;
	soup_server_message_pause(http->msg);
	SummaryWaiter *waiter =
		summary_tracker_wait(server->summaries, capture->id, filter, passes, analysis_ready_cb, request);
	if (waiter != NULL) {
		request->waiter = waiter;
		request->parked = TRUE;
		request->finished_handler =
			g_signal_connect(http->msg, "finished", G_CALLBACK(analysis_finished_cb), request);
		http_request_park(http);
	}
}
