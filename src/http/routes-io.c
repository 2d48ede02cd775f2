/* routes-io.c: GET /api/v2/analysis/<id>/stats/io, tshark's -z io,stat as JSON (API.md).
 * The route checks what it can without libwireshark (how many columns, the interval against
 * the capture's duration, and picks the automatic interval); the worker's io job parses the
 * columns with libwireshark and computes the table (engine-io.h); the answer is kept in the
 * result cache, so a repeat is a file read.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "io"

#include "http/routes-io.h"

#include <math.h>
#include <string.h>

#include "http/http-params.h"
#include "http/http-reply.h"
#include "http/routes-answer-file.h"
#include "jobs/job-requests.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-result-cache.h"

#define IO_MAX_COLUMNS 64
#define IO_MAX_COLUMN_LENGTH 4096
#define IO_MAX_INTERVALS 1000000
/* The automatic interval: the first giving at most IO_AUTO_INTERVALS rows (API.md). */
#define IO_AUTO_INTERVALS 1000
static const char *const io_auto_intervals[] = {"0.001", "0.01", "0.1", "1", "10", "60", "600"};

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
		       duration / g_ascii_strtod(io_auto_intervals[i], NULL) > IO_AUTO_INTERVALS)
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
	g_autofree char *key = io_cache_key(query);
	answer_file_reply(request, key, "cache=\"io\"", io_job_line_cb, query->passes == 2 ? query->capture_path : NULL,
			  io_reply_cb, query, (GDestroyNotify)io_query_free);
}
