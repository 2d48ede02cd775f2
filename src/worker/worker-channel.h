/* worker-channel.h: the worker's side of the frame protocol (include/worker-protocol.h):
 * typed, length-prefixed frames written to the server on a private descriptor.
 * Must not read requests or know about jobs.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "json-writer.h"
#include "worker-protocol.h"

G_BEGIN_DECLS

typedef struct WorkerChannel WorkerChannel;

/* Takes ownership of fd. */
WorkerChannel *worker_channel_new(int fd);
void worker_channel_free(WorkerChannel *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WorkerChannel, worker_channel_free)

/* One frame; DATA payloads longer than a frame may carry are cut into several frames.
 * Fails (and stays failed) once the server has gone. */
gboolean worker_channel_send(WorkerChannel *self, WorkerFrameType type, const char *payload,
			     gsize length, GError **error);
/* Sends the writer's finished document as one frame. */
gboolean worker_channel_send_json(WorkerChannel *self, WorkerFrameType type, JsonWriter *writer,
				  GError **error);
/* ERROR {"message":...,"status":N}, the status being the error's HTTP status. */
gboolean worker_channel_send_error(WorkerChannel *self, const GError *job_error,
				   GError **error);
/* PROGRESS, at most every 250 ms; a failure shows at the next send. */
void worker_channel_progress(WorkerChannel *self, double fraction);
/* Forgets when the last PROGRESS went out: a new job reports its first progress at once. */
void worker_channel_reset_progress(WorkerChannel *self);

G_END_DECLS
