/* store-deep-search.h: v2 deep searches as rows: the search (its filter, its creating token)
 * and its pool of captures, each to search, searched, or matched. Counts and results are read
 * from the pool, so progress survives a restart and unfinished pools can be resumed.
 * Must not run anything: src/jobs/deep-search.c submits the worker jobs.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "store/store.h"

G_BEGIN_DECLS

typedef enum {
	STORE_DEEP_SEARCH_PENDING = 0,
	STORE_DEEP_SEARCH_SEARCHED = 1,
	STORE_DEEP_SEARCH_MATCHED = 2,
} StoreDeepSearchState;

typedef struct {
	char *id;
	gint64 token_id;
	char *display_filter;
	char *created_at;
	gint64 pool_size;
	gint64 pool_size_bytes;
	gint64 searched_count;
	gint64 hit_count;
} StoreDeepSearch;

void store_deep_search_free(StoreDeepSearch *search);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreDeepSearch, store_deep_search_free)

/* Records a search and its pool (capture ids in search order), all or nothing. */
gboolean store_deep_search_create(Store *store, const StoreDeepSearch *search, GPtrArray *capture_ids,
				  GError **error);
/* 404 when there is no such search. */
StoreDeepSearch *store_deep_search_get(Store *store, const char *id, GError **error);
/* Records the outcome of one pool entry. */
gboolean store_deep_search_record(Store *store, const char *id, gint64 position, gboolean matched, GError **error);
/* Ids of the matched captures, in pool order. */
GPtrArray *store_deep_search_results(Store *store, const char *id, GError **error);
/* Pool entries still to search: positions (GArray of gint64) and capture ids, in pool order. */
gboolean store_deep_search_pending(Store *store, const char *id, GArray **positions, GPtrArray **capture_ids,
				   GError **error);
/* Removes a search and its pool (nothing to resume after a restart). */
gboolean store_deep_search_delete(Store *store, const char *id, GError **error);
/* Ids of the searches with entries still to search (after a restart). */
GPtrArray *store_deep_search_list_unfinished(Store *store, GError **error);

G_END_DECLS
