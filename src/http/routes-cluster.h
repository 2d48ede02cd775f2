/* routes-cluster.h: GET /api/v2/cluster (admin permission): the nodes sharing this server's
 * database with their workers and last heartbeats, and the jobs queued or running among them
 * (cluster.h). A node alone answers with itself.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_cluster(HttpRequest *request);

G_END_DECLS
