/* worker-channel.c: frame writing on the worker's private protocol descriptor.
 * Writes are blocking and complete: a slow server slows the worker (back-pressure), and the
 * 5-byte header and payload of one frame are never interleaved with another.
 * Must not write anywhere but its descriptor (stdout itself is stderr in the worker).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "worker"

#include "worker/worker-channel.h"

#include "sharkapi-error.h"
#include "worker-protocol.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* DATA frames are cut at this size, far below WORKER_FRAME_MAX_PAYLOAD. */
#define WORKER_CHANNEL_DATA_MAX (64 * 1024)
#define WORKER_CHANNEL_PROGRESS_INTERVAL_US (250 * 1000)

struct WorkerChannel {
	int fd;
	gboolean broken;
	gint64 last_progress_us;
};

WorkerChannel *
worker_channel_new(int fd)
{
	WorkerChannel *self = g_new0(WorkerChannel, 1);
	self->fd = fd;
	return self;
}

void
worker_channel_free(WorkerChannel *self)
{
	if (self == NULL)
		return;
	close(self->fd);
	g_free(self);
}

static gboolean
worker_channel_write_all(WorkerChannel *self, const guint8 *data, gsize length, GError **error)
{
	while (length > 0) {
		ssize_t written = write(self->fd, data, length);
		if (written < 0) {
			int errsv = errno;
			if (errsv == EINTR)
				continue;
			self->broken = TRUE;
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
				    "writing to the server: %s", g_strerror(errsv));
			return FALSE;
		}
		data += written;
		length -= (gsize)written;
	}
	return TRUE;
}

static gboolean
worker_channel_send_one(WorkerChannel *self, WorkerFrameType type, const char *payload,
			gsize length, GError **error)
{
	guint8 header[WORKER_FRAME_HEADER_SIZE];

	worker_frame_header_encode(header, type, (guint32)length);
	if (!worker_channel_write_all(self, header, sizeof header, error))
		return FALSE;
	return worker_channel_write_all(self, (const guint8 *)payload, length, error);
}

gboolean
worker_channel_send(WorkerChannel *self, WorkerFrameType type, const char *payload, gsize length,
		    GError **error)
{
	if (self->broken) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
				    "the server has gone");
		return FALSE;
	}
	if (type != WORKER_FRAME_DATA)
		return worker_channel_send_one(self, type, payload, length, error);
	while (length > 0) {
		gsize part = MIN(length, WORKER_CHANNEL_DATA_MAX);
		if (!worker_channel_send_one(self, type, payload, part, error))
			return FALSE;
		payload += part;
		length -= part;
	}
	return TRUE;
}

gboolean
worker_channel_send_json(WorkerChannel *self, WorkerFrameType type, JsonWriter *writer,
			 GError **error)
{
	gsize length = json_writer_get_length(writer);
	g_autofree char *text = json_writer_steal_string(writer);
	return worker_channel_send(self, type, text, length, error);
}

gboolean
worker_channel_send_error(WorkerChannel *self, const GError *job_error, GError **error)
{
	g_autoptr(JsonWriter) writer = json_writer_new();

	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_ERROR_MESSAGE, job_error->message);
	json_writer_member_int(writer, WORKER_ERROR_STATUS, sharkapi_error_http_status(job_error));
	json_writer_end_object(writer);
	return worker_channel_send_json(self, WORKER_FRAME_ERROR, writer, error);
}

void
worker_channel_progress(WorkerChannel *self, double fraction)
{
	gint64 now = g_get_monotonic_time();
	char text[G_ASCII_DTOSTR_BUF_SIZE];

	if (self->broken || (self->last_progress_us != 0 &&
			     now - self->last_progress_us < WORKER_CHANNEL_PROGRESS_INTERVAL_US))
		return;
	self->last_progress_us = now;
	g_ascii_formatd(text, sizeof text, "%.2f", CLAMP(fraction, 0.0, 1.0));
	/* A failure marks the channel broken; the job's next send reports it. */
	worker_channel_send(self, WORKER_FRAME_PROGRESS, text, strlen(text), NULL);
}

void
worker_channel_reset_progress(WorkerChannel *self)
{
	self->last_progress_us = 0;
}
