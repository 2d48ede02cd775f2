/* http-storage-watch.h: whether this node still reaches its data dir. A node sharing the data
 * dir with others has it on a mount that may disappear; the watch looks every 2 s, in a thread
 * (a hung mount blocks whoever looks), logs when it goes and comes back, and meanwhile the
 * server answers 503 (http-server.c). A node alone is not watched.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "store/store.h"

G_BEGIN_DECLS

typedef struct HttpStorageWatch HttpStorageWatch;

HttpStorageWatch *http_storage_watch_new(Store *store);
void http_storage_watch_free(HttpStorageWatch *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HttpStorageWatch, http_storage_watch_free)

/* TRUE while the data dir is unreachable (as of the last look). */
gboolean http_storage_watch_is_lost(HttpStorageWatch *self);

G_END_DECLS
