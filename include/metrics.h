/* metrics.h: the server's Prometheus counters, gauges and histograms, in one registry.
 * Any module adds a series with one line, by name and optional labels:
 *     metrics_inc("sharkapi_field_cache_hits_total", NULL);
 *     g_autofree char *labels = metrics_labels("route", pattern, "status", "200", NULL);
 *     metrics_observe("sharkapi_http_request_duration_seconds", labels, seconds);
 * A series springs into being on first use; names known in metrics.c get their HELP text
 * and appear at 0 before their first use. GET /metrics prints metrics_render().
 * The registry is the process's one piece of global state besides main's (a cache of numbers,
 * STYLE.md allows those); it is locked, so any thread may count. Must not know HTTP or jobs.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Counters: add 1, or any positive amount. */
void metrics_inc(const char *name, const char *labels);
void metrics_add(const char *name, const char *labels, double amount);
/* Gauges: set to a value. */
void metrics_set(const char *name, const char *labels, double value);
/* Histograms: one observation (seconds for latencies; the buckets suit 1 ms to 2 min). */
void metrics_observe(const char *name, const char *labels, double value);

/* Label text from key/value pairs ending in NULL: route="/x",status="200" (values escaped).
 * Keys must be given in a fixed order so one series keeps one text. */
char *metrics_labels(const char *first_key, ...) G_GNUC_NULL_TERMINATED;

/* The whole registry in Prometheus text exposition format 0.0.4. */
char *metrics_render(void);

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

G_END_DECLS
