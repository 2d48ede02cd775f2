/* http-metrics.c: request counters, latency histogram and request log lines.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-metrics.h"

#include "event-log.h"
#include "http/http-server.h"
#include "metrics.h"

#define HTTP_METRICS_REQUEST_KEY "sharkapi-request-metrics"
/* Requests that no route takes share one label, so scanners cannot grow the registry. */
#define HTTP_METRICS_NO_ROUTE "(none)"
/* Methods are the client's to invent: past this many series the cache starts over. */
#define HTTP_METRICS_MAX_SERIES 1024

/* What a request carries from its start to its end (object data of its message). */
typedef struct {
	gint64 started;    /* monotonic us */
	const char *route; /* its route's pattern, once http-server.c matched one */
} HttpMetricsRequest;

/* One series' label texts: every request of a route repeats them, so they are built once. */
typedef struct {
	char *method;       /* the client's text: compared by content */
	const char *route;  /* the route table's own string, or HTTP_METRICS_NO_ROUTE */
	guint status;
	char *labels;       /* method, route and status */
	char *route_only;
} HttpMetricsSeries;

struct HttpMetrics {
	GHashTable *series; /* HttpMetricsSeries, keyed by its first three fields */
};

static guint
http_metrics_series_hash(gconstpointer key)
{
	const HttpMetricsSeries *series = key;
	return (g_str_hash(series->method) * 31u) ^ (GPOINTER_TO_UINT(series->route) * 17u) ^ series->status;
}

static gboolean
http_metrics_series_equal(gconstpointer a, gconstpointer b)
{
	const HttpMetricsSeries *x = a, *y = b;
	return x->route == y->route && x->status == y->status && g_str_equal(x->method, y->method);
}

static void
http_metrics_series_free(gpointer data)
{
	HttpMetricsSeries *series = data;
	g_free(series->method);
	g_free(series->labels);
	g_free(series->route_only);
	g_free(series);
}

HttpMetrics *
http_metrics_new(void)
{
	HttpMetrics *self = g_new0(HttpMetrics, 1);
	self->series = g_hash_table_new_full(http_metrics_series_hash, http_metrics_series_equal,
					     http_metrics_series_free, NULL);
	return self;
}

void
http_metrics_free(HttpMetrics *self)
{
	if (self == NULL)
		return;
	g_hash_table_destroy(self->series);
	g_free(self);
}

static const HttpMetricsSeries *
http_metrics_series(HttpMetrics *self, const char *method, const char *route, guint status)
{
	HttpMetricsSeries key = {.method = (char *)method, .route = route, .status = status};
	HttpMetricsSeries *series = g_hash_table_lookup(self->series, &key);
	if (series != NULL)
		return series;
	if (g_hash_table_size(self->series) >= HTTP_METRICS_MAX_SERIES)
		g_hash_table_remove_all(self->series);
	g_autofree char *status_text = g_strdup_printf("%u", status);
	series = g_new(HttpMetricsSeries, 1);
	*series = key;
	series->method = g_strdup(method);
	series->labels = metrics_labels("method", method, "route", route, "status", status_text, NULL);
	series->route_only = metrics_labels("route", route, NULL);
	g_hash_table_add(self->series, series);
	return series;
}

void
http_metrics_request_started(SoupServerMessage *msg)
{
	HttpMetricsRequest *request = g_new0(HttpMetricsRequest, 1);
	request->started = g_get_monotonic_time();
	g_object_set_data_full(G_OBJECT(msg), HTTP_METRICS_REQUEST_KEY, request, g_free);
}

void
http_metrics_request_routed(SoupServerMessage *msg, const char *pattern)
{
	HttpMetricsRequest *request = g_object_get_data(G_OBJECT(msg), HTTP_METRICS_REQUEST_KEY);
	if (request != NULL)
		request->route = pattern;
}

/* The route's pattern: the one matched, else by path (a 405, the web UI, an early answer). */
static const char *
http_metrics_route(SoupServerMessage *msg, const HttpMetricsRequest *request)
{
	if (request->route != NULL)
		return request->route;
	GUri *uri = soup_server_message_get_uri(msg);
	const char *route = http_server_route_pattern(uri != NULL ? g_uri_get_path(uri) : NULL);
	return route != NULL ? route : HTTP_METRICS_NO_ROUTE;
}

/* nginx's "client closed request": what a request the client left before its answer counts as. */
#define HTTP_METRICS_ABANDONED 499

/* The status a request ended with. libsoup reports a connection that broke before the answer
 * was out (the client gave up) as a 500 whose reason phrase is the I/O error, or as no status
 * at all; the server's own 500s carry the standard phrase (http-reply.c). */
static guint
http_metrics_final_status(SoupServerMessage *msg)
{
	guint status = soup_server_message_get_status(msg);
	const char *reason = soup_server_message_get_reason_phrase(msg);
	if (status == 0 || (status == SOUP_STATUS_INTERNAL_SERVER_ERROR && reason != NULL &&
			    g_strcmp0(reason, soup_status_get_phrase(status)) != 0))
		return HTTP_METRICS_ABANDONED;
	return status;
}

void
http_metrics_request_finished_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	const HttpMetricsRequest *request = g_object_get_data(G_OBJECT(msg), HTTP_METRICS_REQUEST_KEY);
	if (request == NULL)
		return; /* counted already: libsoup may signal both finished and aborted */
	double seconds = (double)(g_get_monotonic_time() - request->started) / 1e6;
	const char *method = soup_server_message_get_method(msg);
	guint status = http_metrics_final_status(msg);
	const char *route_label = http_metrics_route(msg, request);
	const HttpMetricsSeries *series = http_metrics_series(user_data, method, route_label, status);

	metrics_inc("sharkapi_http_requests_total", series->labels);
	metrics_observe("sharkapi_http_request_duration_seconds", series->route_only, seconds);

	EventLogLine *line = event_log_begin("request");
	event_log_add_string(line, "method", method);
	event_log_add_string(line, "route", route_label);
	event_log_add_int(line, "status", status);
	event_log_add_double(line, "duration_ms", (double)(gint64)(seconds * 1e6) / 1e3);
	if (status == HTTP_METRICS_ABANDONED)
		event_log_add_string(line, "outcome", "abandoned by the client");
	else if (status >= 500)
		event_log_set_level(line, "warning");
	event_log_end(line);
	g_object_set_data(G_OBJECT(msg), HTTP_METRICS_REQUEST_KEY, NULL);
}

void
http_metrics_request_refused(guint status, const char *why)
{
	g_autofree char *status_text = g_strdup_printf("%u", status);
	g_autofree char *labels = metrics_labels("method", "-", "route", "(unparsed)", "status", status_text, NULL);
	metrics_inc("sharkapi_http_requests_total", labels);
	EventLogLine *line = event_log_begin("request");
	event_log_add_string(line, "method", "-");
	event_log_add_string(line, "route", "(unparsed)");
	event_log_add_int(line, "status", status);
	event_log_add_string(line, "outcome", why);
	event_log_end(line);
}
