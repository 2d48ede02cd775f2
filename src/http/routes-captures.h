/* routes-captures.h: the v1 capture routes (API.md "v1: captures"): upload, info,
 * download, delete. Must not dissect: an accepted upload only queues its summary analysis.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_captures_upload(HttpRequest *request);
void routes_captures_info(HttpRequest *request);
void routes_captures_download(HttpRequest *request);
void routes_captures_delete(HttpRequest *request);

G_END_DECLS
