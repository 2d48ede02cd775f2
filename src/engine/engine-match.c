/* engine-match.c: dissects frames with only the filter primed (non-visible tree) until one
 * passes. Frames that do not pass are "hidden", as tshark -Y treats them, so fields relative to
 * the previous displayed frame come out as tshark computes them.
 * Must not keep the session: a match job leaves no warm state behind.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-match.h"

#include "engine/engine-filter.h"
#include "engine/engine-session.h"
#include "sharkapi-error.h"

#include <wireshark.h>
#include <epan/epan_dissect.h>

typedef struct {
	dfilter_t *filter;
	gboolean matched;
} EngineMatch;

static void
engine_match_prime_cb(epan_dissect_t *edt, gpointer user_data)
{
	EngineMatch *self = user_data;
	epan_dissect_prime_with_dfilter(edt, self->filter);
}

static EngineFrameResult
engine_match_frame_cb(epan_dissect_t *edt, frame_data *fdata, gpointer user_data)
{
	EngineMatch *self = user_data;
	if (!dfilter_apply_edt(self->filter, edt))
		return ENGINE_FRAME_HIDDEN;
	self->matched = TRUE;
	return ENGINE_FRAME_STOP;
}

gboolean
engine_match_run(Engine *engine, const EngineMatchRequest *request, EngineProgressFunc progress,
		 gpointer progress_data, gboolean *matched, guint32 *frames, GError **error)
{
	EngineMatch match = {0};

	*matched = FALSE;
	*frames = 0;
	if (engine_filter_is_empty(request->filter)) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "a display filter is required");
		return FALSE;
	}
	dfilter_t *filter = engine_get_match_filter(engine, request->filter, error);
	if (filter == NULL)
		return FALSE;
	g_autoptr(EngineSession) session = engine_open_single_pass(engine, request->capture, error);
	if (session == NULL)
		return FALSE;
	match.filter = filter;
	EngineLoop loop = {
		.edt = epan_dissect_new(engine_session_get_epan(session), TRUE, FALSE),
		.prime = engine_match_prime_cb,
		.frame = engine_match_frame_cb,
		.user_data = &match,
		.progress = {progress, progress_data, 0.0, 1.0},
	};
	gboolean ok = engine_session_run_single_pass(session, &loop, error);
	epan_dissect_free(loop.edt);
	*matched = match.matched;
	*frames = engine_session_get_frame_count(session);
	return ok;
}
