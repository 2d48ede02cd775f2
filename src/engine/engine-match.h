/* engine-match.h: the match job of deep search: does any frame of a capture pass a display
 * filter? Single pass, tshark's semantics (a capture matches when `tshark -r FILE -Y FILTER`
 * prints a frame), stopping at the first matching frame.
 * Must not speak the worker protocol: progress goes through EngineProgress, errors as GError.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

typedef struct {
	const char *capture; /* path of the capture */
	const char *filter;  /* display filter, required */
} EngineMatchRequest;

/* *matched: a frame passed the filter; *frames: frames dissected (up to the first match).
 * Errors: 400 empty or bad filter, 422 unreadable capture. */
gboolean engine_match_run(Engine *engine, const EngineMatchRequest *request, EngineProgressFunc progress,
			  gpointer progress_data, gboolean *matched, guint32 *frames, GError **error);

G_END_DECLS
