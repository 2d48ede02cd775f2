/* engine-output.h: a results directory written atomically: files go into a temp folder beside
 * it (DIR.tmp-..., private to this writer), each fsynced, then that folder is renamed to DIR, so
 * readers see all results or none, and two writers of the same DIR never mix their files.
 * Must not know what the files hold.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct EngineOutput EngineOutput;

/* Removes temp folders of DIR left by dead writers of this host, creates DIR's parents and a
 * temp folder. Errors: 507 for a full disk,
 * else 500. */
EngineOutput *engine_output_begin(const char *dir, GError **error);
/* Removes the temp folder unless committed. */
void engine_output_free(EngineOutput *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineOutput, engine_output_free)

/* Writes relative_path (subdirectories created as needed) and fsyncs it. */
gboolean engine_output_write(EngineOutput *self, const char *relative_path, const char *data,
			     gsize length, GError **error);

/* A file written in pieces (a result too large to hold in memory), buffered. */
typedef struct EngineOutputFile EngineOutputFile;
EngineOutputFile *engine_output_open(EngineOutput *self, const char *relative_path, GError **error);
gboolean engine_output_file_append(EngineOutputFile *file, const void *data, gsize length, GError **error);
/* Bytes appended so far. */
guint64 engine_output_file_get_size(EngineOutputFile *file);
/* Flushes, fsyncs and closes; frees file whatever the outcome. */
gboolean engine_output_file_close(EngineOutputFile *file, GError **error);
/* Closes without syncing (the job failed); NULL is fine. */
void engine_output_file_discard(EngineOutputFile *file);

/* fsyncs the directories and renames the temp folder to DIR, replacing an older DIR. */
gboolean engine_output_commit(EngineOutput *self, GError **error);

G_END_DECLS
