/* routes-captures.h: the v1 capture routes (API.md "v1: captures"): upload, info,
 * download, delete. Must not dissect: an accepted upload only queues its summary analysis.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"
#include "json-writer.h"
#include "store/store-capture.h"

G_BEGIN_DECLS

void routes_captures_upload(HttpRequest *request);
void routes_captures_info(HttpRequest *request);
void routes_captures_download(HttpRequest *request);
void routes_captures_delete(HttpRequest *request);

/* One capture's info object, as the info route answers it (also `sharkapi analyze FILE info`). */
void captures_write_info(JsonWriter *writer, const StoreCapture *capture);

G_END_DECLS
