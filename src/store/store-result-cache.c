/* store-result-cache.c: a size-capped, least-recently-used cache of complete answers on disk.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE /* fdatasync */
#define G_LOG_DOMAIN "result-cache"

#include "store/store-result-cache.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define RESULT_CACHE_FOLDER "results"
/* One answer may take at most this share of the whole cache, so one huge query cannot flush
 * every other. */
#define RESULT_CACHE_ENTRY_SHARE 4

typedef struct {
	char *capture_id;
	char *key;
	char *path;
	guint64 size;
	GList *link; /* in ResultCache.recency */
} ResultCacheEntry;

struct ResultCache {
	Store *store;
	guint64 capacity;
	guint64 size;
	GHashTable *entries; /* path -> ResultCacheEntry */
	GQueue recency;      /* most recently used first */
	guint64 hits;
	guint64 misses;
	gint64 scanned_us; /* several nodes: when the index was last rebuilt from the disk */
};

/* Several nodes share the answers (store_share_with_nodes()): before evicting, a node rebuilds
 * its index from the disk at most this often, so the cap holds for all nodes' answers together
 * and the least recently used go first whoever wrote them (a hit on any node touches the file's
 * mtime). Between rebuilds the other nodes' new answers count from the next one. */
#define RESULT_CACHE_SHARED_RESCAN_US (2 * G_USEC_PER_SEC)

struct ResultCacheWriter {
	ResultCache *cache;
	char *capture_id;
	char *key;
	char *temp_path;
	FILE *file;
	guint64 size;
	gboolean failed;
};

static void
result_cache_entry_free(ResultCacheEntry *entry)
{
	g_free(entry->capture_id);
	g_free(entry->key);
	g_free(entry->path);
	g_free(entry);
}

static char *
result_cache_path(ResultCache *self, const char *capture_id, const char *key)
{
	return g_build_filename(self->store->captures_dir, capture_id, RESULT_CACHE_FOLDER, key, NULL);
}

/* Drops an entry from the index; the caller decides about its file. */
static void
result_cache_remove_entry(ResultCache *self, ResultCacheEntry *entry)
{
	g_queue_delete_link(&self->recency, entry->link);
	self->size -= entry->size;
	g_hash_table_remove(self->entries, entry->path); /* frees entry */
}

static void
result_cache_add_entry(ResultCache *self, const char *capture_id, const char *key, guint64 size)
{
	ResultCacheEntry *entry = g_new0(ResultCacheEntry, 1);
	entry->capture_id = g_strdup(capture_id);
	entry->key = g_strdup(key);
	entry->path = result_cache_path(self, capture_id, key);
	entry->size = size;
	ResultCacheEntry *old = g_hash_table_lookup(self->entries, entry->path);
	if (old != NULL)
		result_cache_remove_entry(self, old);
	g_queue_push_head(&self->recency, entry);
	entry->link = self->recency.head;
	self->size += size;
	g_hash_table_insert(self->entries, entry->path, entry);
}

static void result_cache_index_disk(ResultCache *self);

static void
result_cache_evict(ResultCache *self)
{
	gint64 now = g_get_monotonic_time();
	if (self->store->shared && self->capacity > 0 && now - self->scanned_us >= RESULT_CACHE_SHARED_RESCAN_US) {
		while (self->recency.head != NULL)
			result_cache_remove_entry(self, self->recency.head->data);
		result_cache_index_disk(self);
		self->scanned_us = now;
	}
	while (self->size > self->capacity && self->recency.tail != NULL) {
		ResultCacheEntry *entry = self->recency.tail->data;
		if (g_unlink(entry->path) != 0 && errno != ENOENT)
			g_warning("evicting %s: %s", entry->path, g_strerror(errno));
		result_cache_remove_entry(self, entry);
	}
}

typedef struct {
	char *capture_id;
	char *key;
	guint64 size;
	gint64 mtime;
} ResultCacheFound;

static void
result_cache_found_free(ResultCacheFound *found)
{
	g_free(found->capture_id);
	g_free(found->key);
	g_free(found);
}

static gint
result_cache_found_by_age(gconstpointer a, gconstpointer b)
{
	const ResultCacheFound *x = *(ResultCacheFound *const *)a, *y = *(ResultCacheFound *const *)b;
	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* Indexes captures/<id>/results/, oldest first so the newest ends at the head. */
static void
result_cache_index_disk(ResultCache *self)
{
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify)result_cache_found_free);
	g_autoptr(GDir) captures = g_dir_open(self->store->captures_dir, 0, NULL);
	const char *capture_id;
	while (captures != NULL && (capture_id = g_dir_read_name(captures)) != NULL) {
		g_autofree char *folder =
			g_build_filename(self->store->captures_dir, capture_id, RESULT_CACHE_FOLDER, NULL);
		g_autoptr(GDir) results = g_dir_open(folder, 0, NULL);
		const char *key;
		while (results != NULL && (key = g_dir_read_name(results)) != NULL) {
			g_autofree char *path = g_build_filename(folder, key, NULL);
			GStatBuf st;
			if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			ResultCacheFound *one = g_new0(ResultCacheFound, 1);
			one->capture_id = g_strdup(capture_id);
			one->key = g_strdup(key);
			one->size = (guint64)st.st_size;
			one->mtime = (gint64)st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
			g_ptr_array_add(found, one);
		}
	}
	g_ptr_array_sort(found, result_cache_found_by_age);
	for (guint i = 0; i < found->len; i++) {
		ResultCacheFound *one = g_ptr_array_index(found, i);
		result_cache_add_entry(self, one->capture_id, one->key, one->size);
	}
}

/* Builds the index from the disk and keeps to the capacity. */
static void
result_cache_scan(ResultCache *self)
{
	result_cache_index_disk(self);
	self->scanned_us = g_get_monotonic_time();
	result_cache_evict(self);
}

ResultCache *
result_cache_new(Store *store, guint64 capacity)
{
	ResultCache *self = g_new0(ResultCache, 1);
	self->store = store;
	self->capacity = capacity;
	self->entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)result_cache_entry_free);
	g_queue_init(&self->recency);
	result_cache_scan(self);
	if (capacity > 0)
		g_message("result cache: %u answers, %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes",
			  g_hash_table_size(self->entries), self->size, capacity);
	return self;
}

void
result_cache_free(ResultCache *self)
{
	if (self == NULL)
		return;
	g_queue_clear(&self->recency);
	g_hash_table_destroy(self->entries);
	g_free(self);
}

char *
result_cache_key(const char *const *parts)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	for (guint i = 0; parts[i] != NULL; i++) {
		/* The terminating NUL separates parts, so ("ab","c") and ("a","bc") differ. */
		g_checksum_update(checksum, (const guchar *)parts[i], (gssize)strlen(parts[i]) + 1);
	}
	return g_strdup(g_checksum_get_string(checksum));
}

/* The entry of key, or NULL (a miss, counted). */
static ResultCacheEntry *
result_cache_find(ResultCache *self, const char *capture_id, const char *key)
{
	g_autofree char *path = result_cache_path(self, capture_id, key);
	ResultCacheEntry *entry = g_hash_table_lookup(self->entries, path);
	struct stat st;
	/* Another node sharing the data dir may have written it (store_share_with_nodes()): from
	 * then on this node counts it too. */
	if (entry == NULL && self->store->shared && self->capacity > 0 && g_stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		result_cache_add_entry(self, capture_id, key, (guint64)st.st_size);
		entry = g_hash_table_lookup(self->entries, path);
	}
	if (entry == NULL)
		self->misses++;
	return entry;
}

/* The entry's file could be opened: a hit, and the most recently used. */
static void
result_cache_hit(ResultCache *self, ResultCacheEntry *entry)
{
	self->hits++;
	g_queue_unlink(&self->recency, entry->link);
	g_queue_push_head_link(&self->recency, entry->link);
	/* mtime carries recency across restarts. */
	if (utimes(entry->path, NULL) != 0)
		g_debug("touching %s: %s", entry->path, g_strerror(errno));
}

/* The entry's file is gone behind our back (a deleted capture, a hand-cleaned data dir): a miss. */
static void
result_cache_unreadable(ResultCache *self, ResultCacheEntry *entry, const GError *error)
{
	g_message("cached answer unreadable, forgetting it: %s", error->message);
	result_cache_remove_entry(self, entry);
	self->misses++;
}

GInputStream *
result_cache_open(ResultCache *self, const char *capture_id, const char *key)
{
	ResultCacheEntry *entry = result_cache_find(self, capture_id, key);
	if (entry == NULL)
		return NULL;
	g_autoptr(GFile) file = g_file_new_for_path(entry->path);
	g_autoptr(GError) error = NULL;
	GFileInputStream *stream = g_file_read(file, NULL, &error);
	if (stream == NULL) {
		result_cache_unreadable(self, entry, error);
		return NULL;
	}
	result_cache_hit(self, entry);
	return G_INPUT_STREAM(stream);
}

ResultCacheWriter *
result_cache_writer_new(ResultCache *self, const char *capture_id, const char *key)
{
	if (self->capacity == 0)
		return NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *temp_path = store_new_temp_file(self->store, "result", &error);
	if (temp_path == NULL) {
		g_warning("not caching an answer: %s", error->message);
		return NULL;
	}
	FILE *file = g_fopen(temp_path, "wb");
	if (file == NULL) {
		g_warning("not caching an answer: opening %s: %s", temp_path, g_strerror(errno));
		g_unlink(temp_path);
		return NULL;
	}
	ResultCacheWriter *writer = g_new0(ResultCacheWriter, 1);
	writer->cache = self;
	writer->capture_id = g_strdup(capture_id);
	writer->key = g_strdup(key);
	writer->temp_path = g_steal_pointer(&temp_path);
	writer->file = file;
	return writer;
}

static void
result_cache_writer_give_up(ResultCacheWriter *writer)
{
	if (writer->file != NULL) {
		fclose(writer->file);
		writer->file = NULL;
	}
	g_unlink(writer->temp_path);
	writer->failed = TRUE;
}

void
result_cache_writer_append(ResultCacheWriter *writer, GBytes *chunk)
{
	if (writer->failed)
		return;
	gsize len = 0;
	const void *data = g_bytes_get_data(chunk, &len);
	writer->size += len;
	if (writer->size > writer->cache->capacity / RESULT_CACHE_ENTRY_SHARE) {
		result_cache_writer_give_up(writer);
		return;
	}
	if (len > 0 && fwrite(data, 1, len, writer->file) != len) {
		g_warning("not caching an answer: writing %s: %s", writer->temp_path, g_strerror(errno));
		result_cache_writer_give_up(writer);
	}
}

static void
result_cache_writer_free(ResultCacheWriter *writer)
{
	g_free(writer->capture_id);
	g_free(writer->key);
	g_free(writer->temp_path);
	g_free(writer);
}

void
result_cache_writer_abort(ResultCacheWriter *writer)
{
	if (!writer->failed)
		result_cache_writer_give_up(writer);
	result_cache_writer_free(writer);
}

/* In a thread: flushed and synced before the rename, so a crash leaves the old state or the
 * whole answer, and the main loop never waits for the disk (an answer may be 256 MiB). */
static void
result_cache_sync_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	ResultCacheWriter *writer = task_data;
	gboolean written = fflush(writer->file) == 0 && fdatasync(fileno(writer->file)) == 0;
	written = fclose(writer->file) == 0 && written;
	writer->file = NULL;
	g_task_return_boolean(task, written);
}

typedef struct {
	ResultCacheWriter *writer;
	ResultCacheCommitted done;
	gpointer user_data;
} ResultCacheCommit;

static void
result_cache_synced_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	ResultCacheCommit *commit = user_data;
	ResultCacheWriter *writer = commit->writer;
	ResultCache *self = writer->cache;
	ResultCacheCommitted done = commit->done;
	gpointer done_data = commit->user_data;
	g_free(commit);
	gboolean written = g_task_propagate_boolean(G_TASK(result), NULL);
	g_autofree char *folder =
		g_build_filename(self->store->captures_dir, writer->capture_id, RESULT_CACHE_FOLDER, NULL);
	g_autofree char *path = result_cache_path(self, writer->capture_id, writer->key);
	/* Plain mkdir, not with parents: a capture deleted meanwhile must not reappear. */
	if (!written || (g_mkdir(folder, 0750) != 0 && errno != EEXIST) || g_rename(writer->temp_path, path) != 0) {
		g_debug("not caching an answer for %s: %s", writer->capture_id, g_strerror(errno));
		g_unlink(writer->temp_path);
		result_cache_writer_free(writer);
	} else {
		result_cache_add_entry(self, writer->capture_id, writer->key, writer->size);
		result_cache_evict(self);
		result_cache_writer_free(writer);
	}
	if (done != NULL)
		done(done_data);
}

void
result_cache_writer_commit(ResultCacheWriter *writer, ResultCacheCommitted done, gpointer user_data)
{
	if (writer->failed) {
		result_cache_writer_free(writer);
		if (done != NULL)
			done(user_data);
		return;
	}
	ResultCacheCommit *commit = g_new0(ResultCacheCommit, 1);
	commit->writer = writer;
	commit->done = done;
	commit->user_data = user_data;
	g_autoptr(GTask) task = g_task_new(NULL, NULL, result_cache_synced_cb, commit);
	g_task_set_task_data(task, writer, NULL);
	g_task_run_in_thread(task, result_cache_sync_thread);
}

gboolean
result_cache_adopt(ResultCache *self, const char *capture_id, const char *key, const char *path)
{
	GStatBuf st;
	if (self->capacity == 0 || g_stat(path, &st) != 0 ||
	    (guint64)st.st_size > self->capacity / RESULT_CACHE_ENTRY_SHARE)
		return FALSE;
	g_autofree char *folder = g_build_filename(self->store->captures_dir, capture_id, RESULT_CACHE_FOLDER, NULL);
	g_autofree char *target = result_cache_path(self, capture_id, key);
	/* Plain mkdir, not with parents: a capture deleted meanwhile must not reappear. */
	if ((g_mkdir(folder, 0750) != 0 && errno != EEXIST) || g_rename(path, target) != 0) {
		g_debug("not caching an answer for %s: %s", capture_id, g_strerror(errno));
		return FALSE;
	}
	result_cache_add_entry(self, capture_id, key, (guint64)st.st_size);
	result_cache_evict(self);
	return TRUE;
}

GMappedFile *
result_cache_map(ResultCache *self, const char *capture_id, const char *key)
{
	ResultCacheEntry *entry = result_cache_find(self, capture_id, key);
	if (entry == NULL)
		return NULL;
	g_autoptr(GError) error = NULL;
	GMappedFile *mapped = g_mapped_file_new(entry->path, FALSE, &error);
	if (mapped == NULL) {
		result_cache_unreadable(self, entry, error);
		return NULL;
	}
	result_cache_hit(self, entry);
	return mapped;
}

/* Removes a capture's entries, and their files when they do not go with the capture's folder. */
static void
result_cache_remove_capture(ResultCache *self, const char *capture_id, gboolean remove_files)
{
	GHashTableIter iter;
	ResultCacheEntry *entry;
	g_autoptr(GPtrArray) gone = g_ptr_array_new();
	g_hash_table_iter_init(&iter, self->entries);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&entry)) {
		if (g_str_equal(entry->capture_id, capture_id))
			g_ptr_array_add(gone, entry);
	}
	for (guint i = 0; i < gone->len; i++) {
		entry = g_ptr_array_index(gone, i);
		if (remove_files && g_unlink(entry->path) != 0 && errno != ENOENT)
			g_warning("removing a cached answer: %s, ignoring", g_strerror(errno));
		result_cache_remove_entry(self, entry);
	}
}

void
result_cache_forget_capture(ResultCache *self, const char *capture_id)
{
	result_cache_remove_capture(self, capture_id, FALSE);
}

void
result_cache_drop_capture(ResultCache *self, const char *capture_id)
{
	result_cache_remove_capture(self, capture_id, TRUE);
}

guint64
result_cache_get_hits(ResultCache *self)
{
	return self->hits;
}

guint64
result_cache_get_misses(ResultCache *self)
{
	return self->misses;
}

guint64
result_cache_get_size(ResultCache *self)
{
	return self->size;
}
