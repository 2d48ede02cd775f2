/* routes-analysis.h: the v2 analysis routes (API.md "v2: analysis"): status, the three
 * summary statistics, DNS lookups (answered from persisted summary results) and
 * packets/fields (streamed from a worker). Must not dissect: workers do.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"
#include "json-writer.h"
#include "store/store-capture.h"

G_BEGIN_DECLS

void routes_analysis_status(HttpRequest *request);
void routes_analysis_hierarchy(HttpRequest *request);
void routes_analysis_endpoints(HttpRequest *request);
void routes_analysis_conversations(HttpRequest *request);
void routes_analysis_dns(HttpRequest *request);

/* Shared with `sharkapi analyze`, which prints what these routes answer. */
typedef enum {
	ANALYSIS_HIERARCHY,
	ANALYSIS_ENDPOINTS,
	ANALYSIS_CONVERSATIONS,
	ANALYSIS_DNS,
} AnalysisRoute;

/* The whole status document, {"data": {...}}; first_passes: job_queue_get_first_passes(). */
void routes_analysis_write_status(JsonWriter *writer, const StoreCapture *capture, SummaryState state,
				  double progress, guint first_passes);
/* passes=1|2, default 1 (text NULL or ""). */
gboolean routes_analysis_parse_passes(const char *text, guint *passes, GError **error);
/* The body of a summary route once its variant is ready in summary_dir (400 unknown protocol).
 * cache: the server's answer cache, or NULL to read the file only. */
GBytes *routes_analysis_summary_body(JobQueue *jobs, HttpFileCache *cache, AnalysisRoute route,
				     const char *protocol, const char *summary_dir, GError **error);


G_END_DECLS
