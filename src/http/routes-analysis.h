/* routes-analysis.h: the v2 analysis routes (API.md "v2: analysis"): status, the three
 * summary statistics, DNS lookups (answered from persisted summary results) and
 * packets/fields (streamed from a worker). Must not dissect: workers do.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_analysis_status(HttpRequest *request);
void routes_analysis_hierarchy(HttpRequest *request);
void routes_analysis_endpoints(HttpRequest *request);
void routes_analysis_conversations(HttpRequest *request);
void routes_analysis_dns(HttpRequest *request);
void routes_analysis_fields(HttpRequest *request);

G_END_DECLS
