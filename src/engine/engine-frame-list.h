/* engine-frame-list.h: the packet list job: the text of every column tshark prints for each
 * frame that passes a display filter, written into a results folder the server pages through
 * without dissecting again (worker-protocol.h: columns.json, rows, index).
 * Must not format the API's answer: the server reads the folder and adds what the store knows
 * (annotations).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

typedef struct {
	const char *capture;
	const char *output; /* the folder, written atomically (engine-output.h) */
	const char *filter; /* display filter; NULL or "" for every frame */
	int passes;         /* 1 or 2 */
	gint64 limit;       /* rows at most (the first page of a capture still being listed); -1: all */
	/* Custom columns: field or column (_ws.col.*) names whose values replace the seven columns,
	 * as packets/fields prints them; NULL for the seven. */
	const char *const *columns;
	guint n_columns;
} EngineFrameListRequest;

/* 400 for a bad filter, 422 for an unreadable capture. *rows gets the rows written. */
gboolean engine_frame_list_run(Engine *engine, const EngineFrameListRequest *request, EngineProgressFunc progress,
			       gpointer progress_data, guint64 *rows, GError **error);

G_END_DECLS
