/* http-file-cache.h: persisted summary answers kept in memory, ready to send.
 * A summary file never changes once its folder is renamed into place, so an entry is the file's
 * bytes wrapped as {"data": ...}, keyed by path and checked against the file's identity (device,
 * inode, size, mtime) with one stat() per hit: a file that is gone or replaced is read again.
 * The total is bounded (the server's memory must not grow with captures): when a new entry
 * would pass the bound, the cache starts over. Must not decide who may read what: routes check
 * tokens and readiness before asking, or, on a hit, rely on the file existing.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct HttpFileCache HttpFileCache;

/* max_entry and max_total in bytes of wrapped answers. */
HttpFileCache *http_file_cache_new(gsize max_entry, gsize max_total);
void http_file_cache_free(HttpFileCache *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HttpFileCache, http_file_cache_free)

/* The wrapped answer for path if cached and the file is unchanged; NULL otherwise (then
 * *exists says whether path exists at all). */
GBytes *http_file_cache_lookup(HttpFileCache *self, const char *path, gboolean *exists);

/* Reads path and returns {"data": <its contents>}; keeps it when small enough. self may be
 * NULL (the offline CLI): then nothing is kept. */
GBytes *http_file_cache_load(HttpFileCache *self, const char *path, GError **error);

/* The wrapped answer for path as pieces (GBytes) to send in order, none a copy: the cached
 * answer when small enough (loaded and kept if need be), else "{\"data\":", a read-only
 * mapping of the file and "}", so that a large answer costs page cache shared by all its
 * readers, not heap per request. */
GPtrArray *http_file_cache_open(HttpFileCache *self, const char *path, GError **error);
/* A result's bytes wrapped as the cache serves them: {"data": ...}. */
GBytes *http_file_cache_wrap(GBytes *result);

G_END_DECLS
