/* store-search.h: capture search (v1 search, and the pool of a v2 deep search by criteria).
 * Criteria are built from named values in the search vocabulary ("filename", "tags",
 * "created_at.from", "sort", ...) whatever the request looked like (Rails-style query or JSON),
 * and answered from indexes: substrings of filename and comments through a trigram full-text
 * index when it narrows the search to a few rows (3 characters or more), else by testing rows in
 * the order of the sort column's index until the page is full; tags through their own index,
 * dates and sorting through column indexes.
 * Must not format answers or know HTTP: routes turn the records into JSON.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "store/store.h"

G_BEGIN_DECLS

#define STORE_SEARCH_DEFAULT_LIMIT 100
#define STORE_SEARCH_MAX_LIMIT 1000

typedef struct StoreSearchCriteria StoreSearchCriteria;

StoreSearchCriteria *store_search_criteria_new(void);
void store_search_criteria_free(StoreSearchCriteria *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreSearchCriteria, store_search_criteria_free)

/* Sets one criterion. Keys: filename, comments (substring, case-insensitive for ASCII letters), user (exact),
 * tags (exact; each call adds one, a capture must have all), id (each call adds one; only those
 * captures, malformed ids matching none), created_at.from, created_at.to,
 * start_time.from, start_time.to (ISO-8601 date or date-time, or epoch seconds; both ends
 * inclusive, a date meaning its whole day, UTC unless an offset is given), limit (1 to
 * STORE_SEARCH_MAX_LIMIT), page (from 1), sort (FIELD, FIELD.asc, FIELD.desc, "FIELD desc" or
 * -FIELD, FIELD one of created_at, filename, start_time, size, num_packets). An unknown key is
 * ignored (FALSE without error); a bad value is a 400 naming the key. */
gboolean store_search_criteria_set(StoreSearchCriteria *self, const char *key, const char *value, GError **error);
/* Lifts the limit to max (deep search pools are bounded by their own maximum, not by pages);
 * a limit set explicitly is kept when smaller. */
void store_search_criteria_set_max_limit(StoreSearchCriteria *self, gint64 max);

/* The matching captures (GPtrArray of StoreCapture), in the criteria's order and page, read in
 * one query. */
GPtrArray *store_search_captures(Store *store, const StoreSearchCriteria *criteria, GError **error);

G_END_DECLS
