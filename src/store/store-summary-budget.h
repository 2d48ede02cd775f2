/* store-summary-budget.h: the disk budget of filtered summaries.
 * Every distinct filter= (or passes=2) on a summary route persists a whole summary beside the
 * capture (DATA_DIR/captures/<id>/summary/v-<hash>/): the answers of repeat queries, worth
 * keeping, but without a bound 600 distinct filters on a large capture would fill the disk.
 * They are kept under one budget: when a new one pushes the total past it, the least recently
 * used others are removed (and computed again if asked for). The default summary of each
 * capture is the upload's own and never counted or removed. Sizes and last uses are known in
 * memory; at start the folders on disk are counted, their modification times as last uses.
 * Must not know HTTP or jobs: the summary tracker reports new variants, routes report uses.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "store/store.h"

G_BEGIN_DECLS

typedef struct StoreSummaryBudget StoreSummaryBudget;

/* limit: bytes all filtered summaries may take; the newest is kept even when alone over it. */
StoreSummaryBudget *store_summary_budget_new(Store *store, guint64 limit);
void store_summary_budget_free(StoreSummaryBudget *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreSummaryBudget, store_summary_budget_free)

/* A variant's folder was just written: counts it, then removes least recently used others
 * while the total is over the limit. The default variant is ignored. */
void store_summary_budget_add(StoreSummaryBudget *self, const char *capture_id, const char *variant);
/* A variant answered a request: it is the most recently used. */
void store_summary_budget_touch(StoreSummaryBudget *self, const char *capture_id, const char *variant);
/* The capture was deleted with its folders: forgets its variants. */
void store_summary_budget_forget_capture(StoreSummaryBudget *self, const char *capture_id);
/* Bytes the filtered summaries take now. */
guint64 store_summary_budget_get_used(StoreSummaryBudget *self);

G_END_DECLS
