/* store-result-cache.h: persisted answers of repeat queries, evicted least recently used.
 *   DATA_DIR/captures/<id>/results/<key>   one complete answer body, exactly as first sent
 * A query's key is a digest of everything that shapes its answer (route, fields, filter, passes,
 * format, paging). Answers are written to tmp/ while they stream and renamed into place only when
 * complete, so a half answer is never served. The total size is capped; the least recently
 * used answers go first (recency survives restarts as the files' mtime). A capture's answers go
 * with its folder when it is deleted. Must not know about HTTP or workers.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

#include "store/store.h"

G_BEGIN_DECLS

typedef struct ResultCache ResultCache;
typedef struct ResultCacheWriter ResultCacheWriter;

/* capacity: total bytes kept; 0 disables the cache (lookups miss, writers are NULL).
 * Indexes the answers already on disk. */
ResultCache *result_cache_new(Store *store, guint64 capacity);
void result_cache_free(ResultCache *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ResultCache, result_cache_free)

/* The key of a query: a hex digest of its parts, NULL-terminated, order significant. */
char *result_cache_key(const char *const *parts);

/* Opens a cached answer and marks it used, or returns NULL (a miss). */
GInputStream *result_cache_open(ResultCache *self, const char *capture_id, const char *key);

/* Starts recording an answer; NULL when caching is off or tmp/ is unusable (not an error: the
 * query is answered anyway). */
ResultCacheWriter *result_cache_writer_new(ResultCache *self, const char *capture_id, const char *key);
/* Appends a chunk; past the largest size one answer may take, the writer quietly gives up. */
void result_cache_writer_append(ResultCacheWriter *writer, GBytes *chunk);
/* The answer is complete: synced in a thread, then (on the main loop) made visible and the cache
 * evicted down to its capacity; then done(user_data) runs, whether it was kept or not (done may
 * be NULL). Frees writer. */
typedef void (*ResultCacheCommitted)(gpointer user_data);
void result_cache_writer_commit(ResultCacheWriter *writer, ResultCacheCommitted done, gpointer user_data);
/* The answer failed or its client left: drops what was written. Frees writer. */
void result_cache_writer_abort(ResultCacheWriter *writer);

/* Removes a capture's answers, files included (what they were computed from changed). */
void result_cache_drop_capture(ResultCache *self, const char *capture_id);
/* Answers a worker wrote whole into a file (stats/io, objects):
 * Takes a complete, synced file as key's answer: renamed into place, counted, the cache then
 * evicted down to its capacity. FALSE (the file left where it is) when caching is off, the
 * file is larger than one answer may be, or the capture is gone. */
gboolean result_cache_adopt(ResultCache *self, const char *capture_id, const char *key, const char *path);
/* Maps a cached answer and marks it used, or returns NULL (a miss). The mapping stays valid
 * when the answer is evicted meanwhile. */
GMappedFile *result_cache_map(ResultCache *self, const char *capture_id, const char *key);

/* Forgets a deleted capture's answers (their files went with its folder). */
void result_cache_forget_capture(ResultCache *self, const char *capture_id);

guint64 result_cache_get_hits(ResultCache *self);
guint64 result_cache_get_misses(ResultCache *self);
guint64 result_cache_get_size(ResultCache *self);

G_END_DECLS
