/* http-metrics.h: what every request leaves behind: a count by method, route and status, a
 * latency observation by route (metrics.h), and one "request" log line (event-log.h).
 * http-server.c calls the first when a request starts and connects the second to libsoup's
 * request-finished and request-aborted signals. Routes are named by their table pattern,
 * never by the path (v1 paths carry tokens). Must not answer requests.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

void http_metrics_request_started(SoupServerMessage *msg);
void http_metrics_request_finished_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data);

G_END_DECLS
