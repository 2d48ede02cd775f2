/* worker-process.h: one sharkapi-worker child process and its frame stream.
 * Spawns the worker with exec (never a bare fork of the server), with HOME and
 * XDG_CONFIG_HOME at an empty folder so no personal Lua scripts or preferences load, an
 * optional address-space limit, and death with the server. Reads frames
 * (include/worker-protocol.h) asynchronously on the main loop and hands them to its owner.
 * Must not know what a job is: job-queue.c decides what the frames mean.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

#include "worker-protocol.h"

G_BEGIN_DECLS

typedef struct WorkerProcess WorkerProcess;

typedef struct {
	/* Any frame, HELLO included. */
	void (*frame)(WorkerProcess *worker, WorkerFrameType type, GBytes *payload, gpointer user_data);
	/* The process is gone or broke the protocol; called once. The owner frees the worker. */
	void (*died)(WorkerProcess *worker, const char *reason, gpointer user_data);
} WorkerProcessCallbacks;

typedef struct {
	const char *worker_path;
	const char *home;
	guint64 memory_limit; /* bytes of address space, 0 for none */
} WorkerProcessOptions;

WorkerProcess *worker_process_spawn(const WorkerProcessOptions *options, const WorkerProcessCallbacks *callbacks,
				    gpointer user_data, GError **error);
/* Sends one request line (a '\n' is appended). */
gboolean worker_process_send(WorkerProcess *self, const char *line, GError **error);
/* Stops reading after the current frame until resumed: backpressure for streamed answers. */
void worker_process_pause(WorkerProcess *self);
void worker_process_resume(WorkerProcess *self);
/* SIGKILL; the died callback follows from the main loop. */
void worker_process_kill(WorkerProcess *self);
const char *worker_process_get_identifier(WorkerProcess *self);
/* FALSE once the process has exited, even before its death is reported: a worker killed from
 * outside must not be handed a job in the meantime. */
gboolean worker_process_is_alive(WorkerProcess *self);
void worker_process_free(WorkerProcess *self);

G_END_DECLS
