/* engine-summary.h: the summary job: one dissection pass (two with passes=2) computing every
 * summary result together, written into an output directory (worker-protocol.h).
 * Must not speak the worker protocol: progress goes through EngineProgress, errors as GError.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

typedef struct {
	const char *capture; /* path of the capture */
	const char *output;  /* results directory, written atomically */
	const char *filter;  /* display filter restricting what is counted; NULL or "" for all */
	int passes;          /* 1 or 2 */
	guint n_shards;      /* 0: the whole capture; else dissect only shard `shard` (engine-shard.h) */
	guint shard;
} EngineSummaryRequest;

/* Writes hierarchy.json, endpoints/<table>.json, conversations/<table>.json (tables with data
 * only), dns.json, expert.json, http-requests.json and tls-handshakes.json. *frames gets the
 * number of frames dissected. Errors: 400 bad filter, 422 unreadable capture, 507 no space,
 * 500 otherwise. */
gboolean engine_summary_run(Engine *engine, const EngineSummaryRequest *request,
			    EngineProgressFunc progress, gpointer progress_data, guint32 *frames,
			    GError **error);

/* A shard's run (n_shards > 0, one pass, no filter) writes partial results instead, which only
 * engine_summary_merge() reads. *unsafe_reason gets NULL when the shard's results merge
 * exactly, else why they may not (then the caller runs one pass instead). */
gboolean engine_summary_run_shard(Engine *engine, const EngineSummaryRequest *request,
				  EngineProgressFunc progress, gpointer progress_data, guint32 *frames,
				  char **unsafe_reason, GError **error);

/* Merges the partial results of every shard of a capture (parts, in shard order) into output,
 * atomically, exactly as one pass writes them. Errors: 500 when a part is missing or cannot be
 * merged exactly, 507 no space. */
gboolean engine_summary_merge(const char *const *parts, guint n_parts, const char *output, GError **error);

G_END_DECLS
