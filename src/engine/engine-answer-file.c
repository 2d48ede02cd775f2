/* engine-answer-file.c: an answer file written, fsynced and closed (engine-answer-file.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE /* fdatasync */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-answer-file.h"

#include "sharkapi-error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

struct EngineAnswerFile {
	char *path;
	FILE *file;
	guint64 size;
	gboolean committed;
};

/* Names only the last path component: the message may reach a client. */
static gboolean
engine_answer_file_fail(EngineAnswerFile *self, int errsv, const char *what, GError **error)
{
	g_autofree char *name = g_path_get_basename(self->path);
	g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv), "writing the answer: %s %s: %s",
		    what, name, g_strerror(errsv));
	return FALSE;
}

EngineAnswerFile *
engine_answer_file_open(const char *path, GError **error)
{
	g_autoptr(EngineAnswerFile) self = g_new0(EngineAnswerFile, 1);
	self->path = g_strdup(path);
	self->file = g_fopen(path, "wb");
	if (self->file == NULL) {
		engine_answer_file_fail(self, errno, "opening", error);
		return NULL;
	}
	return g_steal_pointer(&self);
}

void
engine_answer_file_free(EngineAnswerFile *self)
{
	if (self == NULL)
		return;
	if (self->file != NULL)
		fclose(self->file);
	/* A failed job leaves an empty file: the server removes its own temp file. */
	if (!self->committed && truncate(self->path, 0) != 0)
		g_debug("truncating %s: %s", self->path, g_strerror(errno));
	g_free(self->path);
	g_free(self);
}

gboolean
engine_answer_file_write(EngineAnswerFile *self, const void *data, gsize length, GError **error)
{
	if (length > 0 && fwrite(data, 1, length, self->file) != length)
		return engine_answer_file_fail(self, errno, "writing", error);
	self->size += length;
	return TRUE;
}

guint64
engine_answer_file_get_size(EngineAnswerFile *self)
{
	return self->size;
}

gboolean
engine_answer_file_commit(EngineAnswerFile *self, GError **error)
{
	FILE *file = self->file;
	self->file = NULL;
	if (fflush(file) != 0 || fdatasync(fileno(file)) != 0) {
		int errsv = errno;
		fclose(file);
		return engine_answer_file_fail(self, errsv, "syncing", error);
	}
	if (fclose(file) != 0)
		return engine_answer_file_fail(self, errno, "closing", error);
	self->committed = TRUE;
	return TRUE;
}
