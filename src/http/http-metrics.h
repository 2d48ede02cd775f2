/* http-metrics.h: what every request leaves behind: a count by method, route and status, a
 * latency observation by route (metrics.h), and one "request" log line (event-log.h).
 * http-server.c calls the first when a request starts, the second when it matched a route,
 * and connects the third to libsoup's request-finished and request-aborted signals. Routes are
 * named by their table pattern, never by the path (v1 paths carry tokens). Must not answer
 * requests.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The label texts of the series requests have used, built once each. */
typedef struct HttpMetrics HttpMetrics;

HttpMetrics *http_metrics_new(void);
void http_metrics_free(HttpMetrics *self);

void http_metrics_request_started(SoupServerMessage *msg);
/* The route table's pattern the request matched: its metrics need no second match. */
void http_metrics_request_routed(SoupServerMessage *msg, const char *pattern);
/* user_data: the HttpMetrics. */
void http_metrics_request_finished_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data);
/* A request refused before libsoup parsed it (408 headers too slow, 414/431 too large): counted
 * and logged like any other, with method "-" and route "(unparsed)". */
void http_metrics_request_refused(guint status, const char *why);

G_END_DECLS
