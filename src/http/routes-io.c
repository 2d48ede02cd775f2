/* routes-io.c: GET /api/v2/analysis/<id>/stats/io, tshark's -z io,stat as JSON (API.md).
 * The route checks what it can without libwireshark (how many columns, the interval against
 * the capture's duration, and picks the automatic interval). The all-frames series at an
 * automatic interval, in one pass, is a file the summary pass wrote (io/<interval>.json);
 * anything else is a worker's io job, which parses the columns with libwireshark and computes
 * the table (engine-io.h), the answer kept in the result cache, so a repeat is a file read.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "io"

#include "http/routes-io.h"

#include <math.h>
#include <string.h>

#include "http/http-params.h"
#include "http/http-reply.h"
#include "http/routes-answer-file.h"
#include "jobs/job-requests.h"
#include "jobs/summary-tracker.h"
#include "metrics.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-result-cache.h"
#include "worker-protocol.h"

#define IO_MAX_COLUMNS 64
#define IO_MAX_COLUMN_LENGTH 4096
#define IO_MAX_INTERVALS 1000000
/* The automatic interval: the first giving at most WORKER_IO_AUTO_ROWS rows (API.md). */
static const char *const io_auto_intervals[] = WORKER_IO_AUTO_INTERVALS;

void
io_query_clear(IoQuery *query)
{
	g_clear_pointer(&query->interval, g_free);
	g_clear_pointer(&query->columns, g_strfreev);
	g_clear_pointer(&query->capture_path, g_free);
	query->n_columns = 0;
}

static gboolean
io_check_interval(const char *text, double duration, GError **error)
{
	char *end = NULL;
	double seconds = g_ascii_strtod(text, &end);

	if (end == text || *end != '\0' || !isfinite(seconds) || seconds < 0.000001) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "interval: '%s' is not a number of seconds of at least 0.000001", text);
		return FALSE;
	}
	if (duration / seconds > IO_MAX_INTERVALS) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "interval: %s seconds is too small for this capture's %.6f seconds: more than %d intervals",
			    text, duration, IO_MAX_INTERVALS);
		return FALSE;
	}
	return TRUE;
}

gboolean
io_query_init(IoQuery *query, HttpRequest *request, const StoreCapture *capture, Store *store, GError **error)
{
	g_autofree const char **given = http_params_get_all(request->params, "column");
	/* Copied: the request's parameters go when the handler returns, the query may wait. */
	char **columns = g_strdupv((char **)given);
	const char *interval = http_request_get(request, "interval");
	/* Out-of-order times (a negative duration) count as none. */
	double duration = MAX(store_capture_duration(capture), 0);

	query->passes = (guint)http_request_get_integer(request, "passes");
	query->columns = columns;
	while (columns[query->n_columns] != NULL) {
		if (strlen(columns[query->n_columns]) > IO_MAX_COLUMN_LENGTH) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "column: at most %d characters each", IO_MAX_COLUMN_LENGTH);
			return FALSE;
		}
		query->n_columns++;
	}
	if (query->n_columns > IO_MAX_COLUMNS) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "column: at most %d, not %u",
			    IO_MAX_COLUMNS, query->n_columns);
		return FALSE;
	}
	g_autofree char *stripped = g_strstrip(g_strdup(interval != NULL ? interval : ""));
	if (*stripped != '\0') {
		if (!io_check_interval(stripped, duration, error))
			return FALSE;
		query->interval = g_steal_pointer(&stripped);
	} else {
		guint i = 0;
		while (i + 1 < G_N_ELEMENTS(io_auto_intervals) &&
		       duration / g_ascii_strtod(io_auto_intervals[i], NULL) > WORKER_IO_AUTO_ROWS)
			i++;
		query->interval = g_strdup(io_auto_intervals[i]);
	}
	query->capture_path = store_capture_file(store, capture->id);
	return TRUE;
}

char *
io_query_job_line(const IoQuery *query, const char *output)
{
	return job_request_io(query->capture_path, output, (const char *const *)query->columns, query->n_columns,
			      query->interval,
			      query->passes);
}

/* Everything that shapes the answer: the columns as given, the interval as text, passes. */
static char *
io_cache_key(const IoQuery *query)
{
	g_autofree char *passes = g_strdup_printf("passes=%u", query->passes);
	g_autoptr(GPtrArray) parts = g_ptr_array_new();
	g_ptr_array_add(parts, "stats/io v1");
	g_ptr_array_add(parts, query->interval);
	g_ptr_array_add(parts, passes);
	for (guint i = 0; i < query->n_columns; i++)
		g_ptr_array_add(parts, query->columns[i]);
	g_ptr_array_add(parts, NULL);
	return result_cache_key((const char *const *)parts->pdata);
}

static char *
io_job_line_cb(const char *output, gpointer user_data)
{
	return io_query_job_line(user_data, output);
}

static void
io_reply_cb(SoupServerMessage *msg, GMappedFile *answer, gboolean cached, const GError *error, gpointer user_data)
{
	if (error != NULL) {
		http_reply_error(msg, error);
		return;
	}
	g_autoptr(GBytes) body = g_mapped_file_get_bytes(answer);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "X-Sharkapi-Cache",
				     cached ? "hit" : "miss");
	http_reply_json_bytes(msg, 200, body);
}

static void
io_query_free(IoQuery *query)
{
	io_query_clear(query);
	g_free(query);
}

/* ---- the summary pass's series ---- */

/* The all-frames series at an automatic interval, one pass: the summary pass counted it. */
static gboolean
io_query_is_summary_series(const IoQuery *query)
{
	if (query->n_columns > 0 || query->passes != 1)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(io_auto_intervals); i++) {
		if (g_str_equal(query->interval, io_auto_intervals[i]))
			return TRUE;
	}
	return FALSE;
}

/* A request waiting for the default summary, then for an io job if the summary has no file
 * for its interval (more than WORKER_IO_AUTO_ROWS + 1 rows). */
typedef struct {
	HttpServer *server;
	SoupServerMessage *msg;
	char *capture_id;
	char *cache_key;
	IoQuery *query;
	SummaryWaiter *waiter;
	AnswerFile *fetch;
	gboolean in_handler; /* io_series_reply() has not returned: it ends the request */
	gboolean waited;     /* for the summary: a miss */
	gulong finished_handler;
} IoSeriesRequest;

static void
io_series_request_free(IoSeriesRequest *self)
{
	if (self->finished_handler != 0)
		g_signal_handler_disconnect(self->msg, self->finished_handler);
	g_object_unref(self->msg);
	g_free(self->capture_id);
	g_free(self->cache_key);
	io_query_free(self->query);
	g_free(self);
}

/* The reply is set: send it, unless the handler is still on the stack (it sends it). */
static void
io_series_finish(IoSeriesRequest *self)
{
	if (self->in_handler)
		return;
	soup_server_message_unpause(self->msg);
	io_series_request_free(self);
}

static char *
io_series_job_line_cb(const char *output, gpointer user_data)
{
	IoSeriesRequest *self = user_data;
	return io_query_job_line(self->query, output);
}

static void
io_series_job_ready_cb(GMappedFile *answer, gboolean hit, const GError *error, gpointer user_data)
{
	IoSeriesRequest *self = user_data;
	self->fetch = NULL;
	io_reply_cb(self->msg, answer, hit, error, self->query);
	io_series_finish(self);
}

static void
io_series_summary_ready_cb(const char *summary_dir, const GError *error, gpointer user_data)
{
	IoSeriesRequest *self = user_data;
	g_autoptr(GError) error_local = NULL;
	self->waiter = NULL;
	if (error != NULL) {
		http_reply_error(self->msg, error);
		io_series_finish(self);
		return;
	}
	g_autofree char *name = g_strconcat(self->query->interval, ".json", NULL);
	g_autofree char *path = g_build_filename(summary_dir, WORKER_RESULT_IO_FOLDER, name, NULL);
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		/* Too many rows for the summary to keep: an io job computes it. NULL: answered
		 * already (self may be gone). */
		AnswerFile *fetch = answer_file_fetch(self->server, self->capture_id, self->cache_key, "cache=\"io\"",
						      io_series_job_line_cb, NULL, io_series_job_ready_cb, self);
		if (fetch != NULL)
			self->fetch = fetch;
		return;
	}
	/* Mapped, not through the file cache: that one wraps summary files in {"data": ...},
	 * and this file is the whole answer, as an io job writes it. */
	g_autoptr(GMappedFile) answer = g_mapped_file_new(path, FALSE, &error_local);
	if (answer == NULL) {
		g_warning("reading %s: %s", path, error_local->message);
		http_reply_error_literal(self->msg, 500, "a persisted analysis result could not be read");
	} else {
		metrics_inc(self->waited ? "sharkapi_cache_misses_total" : "sharkapi_cache_hits_total", "cache=\"io\"");
		io_reply_cb(self->msg, answer, !self->waited, NULL, self->query);
	}
	io_series_finish(self);
}

/* The client left while parked: withdraw what it waits for. */
static void
io_series_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	IoSeriesRequest *self = user_data;
	if (self->waiter != NULL)
		summary_waiter_cancel(self->waiter);
	else if (self->fetch != NULL)
		answer_file_cancel(self->fetch);
	else
		return;
	io_series_request_free(self);
}

static void
io_series_reply(HttpRequest *request, IoQuery *query, char *cache_key)
{
	HttpServer *server = request->server;
	IoSeriesRequest *self = g_new0(IoSeriesRequest, 1);
	self->server = server;
	self->msg = g_object_ref(request->msg);
	self->capture_id = g_strdup(request->capture_id);
	self->cache_key = cache_key;
	self->query = query;
	summary_tracker_touch(server->summaries, request->capture_id, "default");
	self->in_handler = TRUE;
	soup_server_message_pause(request->msg);
	SummaryWaiter *waiter =
		summary_tracker_wait(server->summaries, request->capture_id, NULL, 1, io_series_summary_ready_cb, self);
	self->in_handler = FALSE;
	if (waiter == NULL && self->fetch == NULL) {
		/* Answered from the summary's file (or an error) already. */
		soup_server_message_unpause(request->msg);
		io_series_request_free(self);
		return;
	}
	self->waiter = waiter;
	self->waited = waiter != NULL;
	self->finished_handler = g_signal_connect(self->msg, "finished", G_CALLBACK(io_series_finished_cb), self);
	http_request_park(request);
}

void
routes_analysis_io(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = request->server;
	g_autoptr(StoreCapture) capture = store_capture_get(server->store, request->capture_id, &error);
	if (capture == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	IoQuery *query = g_new0(IoQuery, 1);
	if (!io_query_init(query, request, capture, server->store, &error)) {
		io_query_free(query);
		http_reply_error(request->msg, error);
		return;
	}
	char *key = io_cache_key(query);
	if (io_query_is_summary_series(query)) {
		io_series_reply(request, query, key);
		return;
	}
	answer_file_reply(request, key, "cache=\"io\"", io_job_line_cb, query->passes == 2 ? query->capture_path : NULL,
			  io_reply_cb, query, (GDestroyNotify)io_query_free);
	g_free(key);
}
