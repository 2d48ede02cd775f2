/* routes-metrics.h: GET /metrics, the registry of metrics.h in Prometheus text format.
 * Public unless the metrics-token setting is given; then the request must carry that secret in
 * Authorization (bare or "Bearer"), as Prometheus' bearer_token sends it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_metrics_scrape(HttpRequest *request);

G_END_DECLS
