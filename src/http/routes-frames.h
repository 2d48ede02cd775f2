/* routes-frames.h: the packet list (GET /api/v2/analysis/<id>/frames) and packet detail
 * (GET /api/v2/analysis/<id>/frames/<N>).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_frames_list(HttpRequest *request);
void routes_frames_detail(HttpRequest *request);

/* columns= (checked, as a list) as the worker and the list's key take it: comma separated;
 * NULL for none (the seven columns). */
char *routes_frames_columns_text(GPtrArray *names);

/* `sharkapi analyze`: the whole answer of a ready list folder, in pieces. */
typedef void (*RoutesFramesWriteFunc)(const char *data, gsize length, gpointer user_data);
gboolean routes_frames_list_write(Store *store, const char *capture_id, const char *list_dir, gint64 offset, gint64 limit,
				  RoutesFramesWriteFunc write, gpointer user_data, GError **error);
/* What the server writes before a frame_tree job's answer: {"data":{"annotations":[...], (the
 * frame's annotations); after it comes "}". */
char *routes_frames_detail_prefix(Store *store, const char *capture_id, guint32 frame);

G_END_DECLS
