/* engine.h: the worker's engine, the only mutable state of the worker process: the list of
 * conversation/endpoint tables, the warm two-pass session kept between jobs, and the count of
 * first passes run. Jobs (engine-summary, engine-fields) borrow sessions from it.
 * Must not speak the worker protocol: it knows nothing of frames, stdin or stdout.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "engine/engine-progress.h"

G_BEGIN_DECLS

typedef struct Engine Engine;
typedef struct EngineSession EngineSession;

/* Needs engine_init() done. */
Engine *engine_new(void);
void engine_free(Engine *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Engine, engine_free)

/* libwireshark's version, "4.0.17". */
const char *engine_get_version(void);

/* The NSS key log the next jobs dissect with (tshark -o tls.keylog_file:PATH); NULL or "" for
 * none. A change drops the warm session. Errors never name the file. */
gboolean engine_set_tls_keys(Engine *self, const char *path, GError **error);

/* Compiles text as a display filter and forgets it: 400 with libwireshark's words if bad. */
gboolean engine_check_filter(const char *text, GError **error);

/* Every conversation/endpoint table, of EngineTableInfo, sorted by filter name. */
const GPtrArray *engine_get_tables(Engine *self);
/* First passes this worker has run since it started. */
guint engine_get_first_passes(Engine *self);

/* A fresh single-pass session for path, owned by the caller. Drops the warm session first:
 * epan holds one session per process, and single-pass results need fresh dissector state. */
EngineSession *engine_open_single_pass(Engine *self, const char *path, GError **error);

/* The two-pass session for path, borrowed (the engine keeps it warm for later jobs). Runs the
 * first pass unless the warm session is on the same unchanged file; progress covers that
 * first pass. */
EngineSession *engine_get_two_pass(Engine *self, const char *path,
				   const EngineProgress *progress, GError **error);

/* TRUE when a passes=2 job on path would skip the first pass. */
gboolean engine_is_warm(Engine *self, const char *path);

/* The session a job with this many passes dissects in: a fresh single-pass one (returned also
 * in *owned, for the caller to free) or the kept two-pass one, whose first pass, when it has to
 * run now, reports the first half of *progress; *progress is left with the part that remains. */
EngineSession *engine_open_for_passes(Engine *self, const char *path, guint passes, EngineProgress *progress,
				      EngineSession **owned, GError **error);

/* Runs loop (engine-session.h) over every frame of path in the session passes asks for
 * (engine_open_for_passes(): one fresh pass, or the second pass of the kept first one; the
 * first half of loop->progress covers a first pass run now), dissecting into a tree of its own
 * (loop->edt is set for the run: tree and visible as epan_dissect_new() takes them). A failed
 * two-pass run drops the warm session. *elapsed_ns (may be NULL) gets the capture's elapsed time. */
typedef struct EngineLoop EngineLoop;
gboolean engine_run_passes(Engine *self, const char *path, int passes, EngineLoop *loop, gboolean tree,
			   gboolean visible, gint64 *elapsed_ns, GError **error);

/* Forgets the warm session (after a failure left it in doubt). */
void engine_drop_warm(Engine *self);

/* text compiled as a display filter, borrowed: the engine keeps the last one, so the match jobs
 * of one deep search compile its filter once per worker. 400 in libwireshark's words if bad. */
struct epan_dfilter;
struct epan_dfilter *engine_get_match_filter(Engine *self, const char *text, GError **error);

G_END_DECLS
