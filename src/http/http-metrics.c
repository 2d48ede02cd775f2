/* http-metrics.c: request counters, latency histogram and request log lines.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-metrics.h"

#include "event-log.h"
#include "http/http-server.h"
#include "metrics.h"

#define HTTP_METRICS_STARTED_KEY "sharkapi-request-started-us"
/* Requests that no route takes share one label, so scanners cannot grow the registry. */
#define HTTP_METRICS_NO_ROUTE "(none)"

void
http_metrics_request_started(SoupServerMessage *msg)
{
	gint64 *started = g_new(gint64, 1);
	*started = g_get_monotonic_time();
	g_object_set_data_full(G_OBJECT(msg), HTTP_METRICS_STARTED_KEY, started, g_free);
}

void
http_metrics_request_finished_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	const gint64 *started = g_object_get_data(G_OBJECT(msg), HTTP_METRICS_STARTED_KEY);
	if (started == NULL)
		return; /* counted already: libsoup may signal both finished and aborted */
	double seconds = (double)(g_get_monotonic_time() - *started) / 1e6;
	const char *method = soup_server_message_get_method(msg);
	GUri *uri = soup_server_message_get_uri(msg);
	const char *route = http_server_route_pattern(uri != NULL ? g_uri_get_path(uri) : NULL);
	guint status = soup_server_message_get_status(msg);
	g_autofree char *status_text = g_strdup_printf("%u", status);
	const char *route_label = route != NULL ? route : HTTP_METRICS_NO_ROUTE;

	g_autofree char *labels =
		metrics_labels("method", method, "route", route_label, "status", status_text, NULL);
	metrics_inc("sharkapi_http_requests_total", labels);
	g_autofree char *route_only = metrics_labels("route", route_label, NULL);
	metrics_observe("sharkapi_http_request_duration_seconds", route_only, seconds);

	EventLogLine *line = event_log_begin("request");
	event_log_add_string(line, "method", method);
	event_log_add_string(line, "route", route_label);
	event_log_add_int(line, "status", status);
	event_log_add_double(line, "duration_ms", (double)(gint64)(seconds * 1e6) / 1e3);
	if (status == 0 || status >= 500)
		event_log_set_level(line, status >= 500 ? "warning" : "info");
	event_log_end(line);
	g_object_set_data(G_OBJECT(msg), HTTP_METRICS_STARTED_KEY, NULL);
}
