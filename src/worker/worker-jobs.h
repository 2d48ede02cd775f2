/* worker-jobs.h: the jobs a worker runs, one request line at a time (worker-protocol.h).
 * Must not read stdin or own the engine: worker-main.c does both and hands them in.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "engine/engine.h"
#include "worker/worker-channel.h"

G_BEGIN_DECLS

/* Sends HELLO: the tables every summary reports and libwireshark's version. */
gboolean worker_jobs_hello(Engine *engine, WorkerChannel *channel, GError **error);

/* Runs the request in line (one JSON object) and answers it with END or ERROR, after any DATA
 * and PROGRESS frames. Returns FALSE only when the channel itself failed: the worker must
 * then exit. */
gboolean worker_jobs_run_line(Engine *engine, WorkerChannel *channel, const char *line,
			      gsize length, GError **error);

G_END_DECLS
