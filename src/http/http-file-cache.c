/* http-file-cache.c: persisted summary answers kept in memory (see the header).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-file-cache.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "sharkapi-error.h"

#define HTTP_FILE_CACHE_PREFIX "{\"data\":"
#define HTTP_FILE_CACHE_SUFFIX "}"

typedef struct {
	GBytes *answer;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
} HttpFileCacheEntry;

struct HttpFileCache {
	GHashTable *entries; /* path -> HttpFileCacheEntry */
	gsize total;
	gsize max_entry;
	gsize max_total;
};

static void
http_file_cache_entry_free(gpointer data)
{
	HttpFileCacheEntry *entry = data;
	g_bytes_unref(entry->answer);
	g_free(entry);
}

HttpFileCache *
http_file_cache_new(gsize max_entry, gsize max_total)
{
	HttpFileCache *self = g_new0(HttpFileCache, 1);
	self->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, http_file_cache_entry_free);
	self->max_entry = max_entry;
	self->max_total = max_total;
	return self;
}

void
http_file_cache_free(HttpFileCache *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->entries);
	g_free(self);
}

static gboolean
http_file_cache_same_file(const HttpFileCacheEntry *entry, const struct stat *now)
{
	return entry->dev == now->st_dev && entry->ino == now->st_ino && entry->size == now->st_size &&
	       entry->mtime.tv_sec == now->st_mtim.tv_sec && entry->mtime.tv_nsec == now->st_mtim.tv_nsec;
}

GBytes *
http_file_cache_lookup(HttpFileCache *self, const char *path, gboolean *exists)
{
	struct stat now;
	HttpFileCacheEntry *entry;

	*exists = stat(path, &now) == 0;
	if (!*exists)
		return NULL;
	entry = g_hash_table_lookup(self->entries, path);
	if (entry == NULL || !http_file_cache_same_file(entry, &now))
		return NULL;
	return g_bytes_ref(entry->answer);
}

static void
http_file_cache_keep(HttpFileCache *self, const char *path, const struct stat *st, GBytes *answer)
{
	if (self == NULL)
		return; /* no cache: read, not kept */
	gsize size = g_bytes_get_size(answer);
	HttpFileCacheEntry *old = g_hash_table_lookup(self->entries, path);

	if (size > self->max_entry)
		return;
	if (old != NULL) {
		self->total -= g_bytes_get_size(old->answer);
		g_hash_table_remove(self->entries, path);
	}
	if (self->total + size > self->max_total) {
		/* Simpler than LRU and enough: the hot set refills at once. */
		g_hash_table_remove_all(self->entries);
		self->total = 0;
	}
	HttpFileCacheEntry *entry = g_new0(HttpFileCacheEntry, 1);
	entry->answer = g_bytes_ref(answer);
	entry->dev = st->st_dev;
	entry->ino = st->st_ino;
	entry->size = st->st_size;
	entry->mtime = st->st_mtim;
	g_hash_table_insert(self->entries, g_strdup(path), entry);
	self->total += size;
}

GBytes *
http_file_cache_load(HttpFileCache *self, const char *path, GError **error)
{
	struct stat st;
	g_autoptr(GMappedFile) mapped = g_mapped_file_new(path, FALSE, error);

	if (mapped == NULL)
		return NULL;
	/* The identity of the file that was read: fstat is not reachable through GMappedFile, and
	 * a summary file is never rewritten in place, so a stat right after is the same file. */
	if (stat(path, &st) != 0) {
		int saved = errno;
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "%s: %s", path, g_strerror(saved));
		return NULL;
	}
	gsize length = g_mapped_file_get_length(mapped);
	gsize prefix = strlen(HTTP_FILE_CACHE_PREFIX);
	gsize suffix = strlen(HTTP_FILE_CACHE_SUFFIX);
	char *text = g_malloc(prefix + length + suffix);
	memcpy(text, HTTP_FILE_CACHE_PREFIX, prefix);
	if (length > 0)
		memcpy(text + prefix, g_mapped_file_get_contents(mapped), length);
	memcpy(text + prefix + length, HTTP_FILE_CACHE_SUFFIX, suffix);
	GBytes *answer = g_bytes_new_take(text, prefix + length + suffix);
	http_file_cache_keep(self, path, &st, answer);
	return answer;
}

GBytes *
http_file_cache_wrap(GBytes *result)
{
	gsize length = 0;
	const char *data = g_bytes_get_data(result, &length);
	GString *wrapped = g_string_sized_new(strlen(HTTP_FILE_CACHE_PREFIX) + length + strlen(HTTP_FILE_CACHE_SUFFIX));
	g_string_append(wrapped, HTTP_FILE_CACHE_PREFIX);
	g_string_append_len(wrapped, data, (gssize)length);
	g_string_append(wrapped, HTTP_FILE_CACHE_SUFFIX);
	return g_string_free_to_bytes(wrapped);
}

GPtrArray *
http_file_cache_open(HttpFileCache *self, const char *path, GError **error)
{
	GPtrArray *pieces = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	struct stat st;
	if (stat(path, &st) == 0 && (gsize)st.st_size + strlen(HTTP_FILE_CACHE_PREFIX) + strlen(HTTP_FILE_CACHE_SUFFIX) <=
					   self->max_entry) {
		GBytes *answer = http_file_cache_load(self, path, error);
		if (answer == NULL) {
			g_ptr_array_unref(pieces);
			return NULL;
		}
		g_ptr_array_add(pieces, answer);
		return pieces;
	}
	/* Too large to keep: the mapping is shared with the page cache, and libsoup sends it as the
	 * client reads, so a slow reader pins no heap. */
	g_autoptr(GMappedFile) mapped = g_mapped_file_new(path, FALSE, error);
	if (mapped == NULL) {
		g_ptr_array_unref(pieces);
		return NULL;
	}
	g_ptr_array_add(pieces, g_bytes_new_static(HTTP_FILE_CACHE_PREFIX, strlen(HTTP_FILE_CACHE_PREFIX)));
	if (g_mapped_file_get_length(mapped) > 0)
		g_ptr_array_add(pieces, g_mapped_file_get_bytes(mapped));
	g_ptr_array_add(pieces, g_bytes_new_static(HTTP_FILE_CACHE_SUFFIX, strlen(HTTP_FILE_CACHE_SUFFIX)));
	return pieces;
}
