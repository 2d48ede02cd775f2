/* engine-frame-tree.h: the packet detail job: one frame's visible protocol tree, node for node
 * what tshark -T pdml prints for it, with its bytes, its other data sources (reassembled,
 * decompressed, decrypted) and the capture's comments on it.
 * Must not know the annotations: the server adds those.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "engine/engine.h"
#include "engine/engine-fields.h"

G_BEGIN_DECLS

typedef struct {
	const char *capture;
	guint32 frame;
	int passes;      /* 1: frames 1..N-1 dissected first, as tshark; 2: frame N of the warm first pass */
	gboolean hidden; /* hidden items too, flagged "hidden": true */
} EngineFrameTreeRequest;

/* Hands on the frame's "data" object without its opening '{' (worker-protocol.h). 404 for a
 * frame past the capture's end, 422 for an unreadable capture. */
gboolean engine_frame_tree_run(Engine *engine, const EngineFrameTreeRequest *request, EngineFieldsDataFunc data,
			       gpointer data_user, EngineProgressFunc progress, gpointer progress_data,
			       GError **error);

G_END_DECLS
