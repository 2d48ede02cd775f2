/* routes-captures.h: the v1 capture routes (API.md "v1: captures"): upload (with its tags), info,
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

/* The v1 info object of a capture (also each element of a search answer, and
 * `sharkapi analyze FILE info`). */
void routes_captures_write_info(JsonWriter *writer, const StoreCapture *capture);
/* A new capture is in the store (upload, merge): logs it, starts its summary pass and answers
 * {"filename","id"}. how: "stored" or "merged", for the log. */
void routes_captures_created(HttpServer *server, SoupServerMessage *msg, const StoreCapture *capture,
			     const char *how);
/* A client-given file name made safe for Content-Disposition: last path component, no control
 * characters, quotes or semicolons, at most 255 bytes; NULL when nothing usable is left. */
char *routes_captures_clean_filename(const char *name);

G_END_DECLS
