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
/* stats/hierarchy, stats/endpoints, stats/conversations, dns/lookups, expert, http/requests and
 * tls/handshakes: which one is the route entry's analysis (http-server.h). */
void routes_analysis_summary(HttpRequest *request);

/* Shared with `sharkapi analyze`, which prints what these routes answer. */

/* The whole status document, {"data": {...}}; first_passes: job_queue_get_first_passes(). */
void routes_analysis_write_status(JsonWriter *writer, const StoreCapture *capture, SummaryState state,
				  double progress, guint first_passes);
/* The body of a summary route once its variant is ready in summary_dir (400 unknown protocol).
 * cache: the server's file cache (persisted summary files in memory), or NULL to read the file only. */
GBytes *routes_analysis_summary_body(JobQueue *jobs, HttpFileCache *cache, AnalysisRoute route,
				     const char *protocol, const char *summary_dir, GError **error);
/* The page a request's limit/offset ask for of a summary body (expert's items), or a new
 * reference to body when the route does not page or no paging is asked for. */
GBytes *routes_analysis_page(AnalysisRoute route, HttpRequest *request, GBytes *body);


G_END_DECLS
