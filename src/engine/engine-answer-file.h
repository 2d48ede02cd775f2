/* engine-answer-file.h: one answer written whole into a file the server named (stats/io,
 * objects): the server creates the file in its tmp/ and, after the job's END, moves it into the
 * result cache. Written in pieces, flushed and fsynced on commit; removed when not committed.
 * Must not know what the answer holds.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct EngineAnswerFile EngineAnswerFile;

/* Opens (truncates) path. 507 for a full disk, else 500. */
EngineAnswerFile *engine_answer_file_open(const char *path, GError **error);
/* Truncates the file again unless committed. */
void engine_answer_file_free(EngineAnswerFile *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineAnswerFile, engine_answer_file_free)

gboolean engine_answer_file_write(EngineAnswerFile *self, const void *data, gsize length, GError **error);
/* Bytes written so far. */
guint64 engine_answer_file_get_size(EngineAnswerFile *self);
/* Flushes, fsyncs and closes it. */
gboolean engine_answer_file_commit(EngineAnswerFile *self, GError **error);

G_END_DECLS
