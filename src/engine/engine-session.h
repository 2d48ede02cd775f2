/* engine-session.h: one open capture with its epan session, and the frame loops over it.
 * A session is single-pass (read sequentially once, tshark's default) or two-pass (a first
 * pass builds the frame_data_sequence, then each second pass re-reads every frame with
 * wtap_seek_read, as tshark -2 does; a two-pass session can run several second passes).
 * Only one session may exist per process (epan's file scope is global).
 * Must not know what the frames are used for: callers prime the tree and read the results.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <epan/epan.h>
#include <epan/epan_dissect.h>
#include <epan/column-info.h>
#include <epan/frame_data.h>
#include <wiretap/wtap.h>

#include "engine/engine-progress.h"

G_BEGIN_DECLS

typedef struct EngineSession EngineSession;

/* What a frame callback decides about a frame it was given. */
typedef enum {
	ENGINE_FRAME_DISPLAYED, /* counts as displayed (passed the display filter) */
	ENGINE_FRAME_HIDDEN,    /* dissected, but not displayed */
	ENGINE_FRAME_STOP,      /* stop the loop now (enough rows, or the caller failed) */
} EngineFrameResult;

typedef void (*EnginePrimeFunc)(epan_dissect_t *edt, gpointer user_data);
/* Decides from a record's bytes, before dissection, that a frame is not dissected at all;
 * fdata is the frame as frame_data_init() made it (number, times, lengths). */
typedef gboolean (*EngineSkipFunc)(const wtap_rec *rec, const guint8 *data, const frame_data *fdata,
				   gpointer user_data);
typedef EngineFrameResult (*EngineFrameFunc)(epan_dissect_t *edt, frame_data *fdata,
					     gpointer user_data);
/* The tree a frame is dissected into, when not the loop's edt (one frame's visible tree). */
typedef epan_dissect_t *(*EngineSelectFunc)(guint32 number, gpointer user_data);

/* One dissecting loop: the caller owns edt and cinfo. */
typedef struct EngineLoop {
	epan_dissect_t *edt;
	column_info *cinfo;    /* NULL unless a column is needed */
	EnginePrimeFunc prime; /* before each dissection; may be NULL */
	/* Single pass only, may be NULL: a skipped frame keeps its number and the time
	 * bookkeeping (it counts as displayed), but no dissector or tap sees it. */
	EngineSkipFunc skip;
	EngineFrameFunc frame; /* after each dissection, before the tree is reset */
	EngineSelectFunc select; /* may be NULL: every frame goes into edt */
	gpointer user_data;
	EngineProgress progress;
} EngineLoop;

/* Opens path; two_pass asks for random access (wtap_seek_read) too. Unreadable: 422. */
EngineSession *engine_session_open(const char *path, gboolean two_pass, GError **error);
void engine_session_free(EngineSession *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineSession, engine_session_free)

epan_t *engine_session_get_epan(EngineSession *self);
const char *engine_session_get_path(EngineSession *self);
gboolean engine_session_is_two_pass(EngineSession *self);
/* TRUE once a two-pass session's first pass has run. */
gboolean engine_session_has_first_pass(EngineSession *self);
/* Frames read so far (all of them after a complete pass). */
guint32 engine_session_get_frame_count(EngineSession *self);
/* The latest frame time relative to the first frame, over the frames read so far (tshark's
 * cf->elapsed_time: the capture's duration after a complete pass). */
nstime_t engine_session_get_elapsed(EngineSession *self);
/* TRUE when path still names the same unchanged file this session was opened on. */
gboolean engine_session_matches(EngineSession *self, const char *path);

/* Single-pass session: reads every frame once, dissecting with taps. A capture cut short is
 * read up to its last complete frame, as tshark does (logged, not an error); one whose first
 * record cannot be read is a 422. */
gboolean engine_session_run_single_pass(EngineSession *self, const EngineLoop *loop,
					GError **error);

/* Two-pass session: the first pass (no taps), building the frame_data_sequence. */
gboolean engine_session_run_first_pass(EngineSession *self, const EngineProgress *progress,
				       GError **error);

/* Two-pass session after its first pass: re-reads and dissects frame number alone into edt
 * (no taps), as tshark -2 -Y frame.number==N shows it (no frame displayed before it). The caller reads edt (and
 * edt->pi.rec), then resets edt and calls engine_session_release_frame(). A number past the
 * last frame is a 404. */
gboolean engine_session_dissect_frame(EngineSession *self, guint32 number, epan_dissect_t *edt, GError **error);
void engine_session_release_frame(EngineSession *self);

/* Two-pass session after its first pass: re-reads and dissects every frame with taps. */
gboolean engine_session_run_second_pass(EngineSession *self, const EngineLoop *loop,
					GError **error);

G_END_DECLS
