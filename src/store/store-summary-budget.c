/* store-summary-budget.c: see store-summary-budget.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _XOPEN_SOURCE 700 /* nftw */
#define G_LOG_DOMAIN "summary-budget"

#include "store/store-summary-budget.h"

#include <ftw.h>
#include <glib/gstdio.h>
#include <string.h>

#include "file-tree.h"
#include "metrics.h"
#include "store/store-capture.h"

typedef struct {
	char *capture_id;
	char *variant;
	guint64 bytes;
	gint64 last_used; /* wall-clock microseconds */
} StoreSummaryVariant;

struct StoreSummaryBudget {
	Store *store;
	guint64 limit;
	guint64 used;
	GHashTable *variants; /* "<capture>/<variant>" -> StoreSummaryVariant */
};

static void
store_summary_variant_free(StoreSummaryVariant *variant)
{
	g_free(variant->capture_id);
	g_free(variant->variant);
	g_free(variant);
}

/* nftw() has no user data: the sum goes through this (main thread only). */
static guint64 store_summary_budget_sum;

static int
store_summary_budget_add_entry_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_F)
		store_summary_budget_sum += (guint64)st->st_blocks * 512;
	return 0;
}

/* Disk a folder takes (allocated blocks, as du counts). */
static guint64
store_summary_budget_folder_bytes(const char *path)
{
	store_summary_budget_sum = 0;
	nftw(path, store_summary_budget_add_entry_cb, 16, FTW_PHYS);
	return store_summary_budget_sum;
}

static void
store_summary_budget_report(StoreSummaryBudget *self)
{
	metrics_set("sharkapi_filtered_summary_bytes", NULL, (double)self->used);
}

static void
store_summary_budget_insert(StoreSummaryBudget *self, const char *capture_id, const char *variant, guint64 bytes,
			    gint64 last_used)
{
	StoreSummaryVariant *entry = g_new0(StoreSummaryVariant, 1);
	entry->capture_id = g_strdup(capture_id);
	entry->variant = g_strdup(variant);
	entry->bytes = bytes;
	entry->last_used = last_used;
	char *key = g_strdup_printf("%s/%s", capture_id, variant);
	StoreSummaryVariant *old = g_hash_table_lookup(self->variants, key);
	if (old != NULL)
		self->used -= old->bytes;
	g_hash_table_replace(self->variants, key, entry);
	self->used += bytes;
}

/* Counts the filtered summaries already on disk. */
static void
store_summary_budget_scan(StoreSummaryBudget *self)
{
	g_autoptr(GDir) captures = g_dir_open(self->store->captures_dir, 0, NULL);
	const char *capture_id;
	while (captures != NULL && (capture_id = g_dir_read_name(captures)) != NULL) {
		if (!store_capture_id_is_valid(capture_id))
			continue;
		g_autofree char *summary = g_build_filename(self->store->captures_dir, capture_id, "summary", NULL);
		g_autoptr(GDir) variants = g_dir_open(summary, 0, NULL);
		const char *variant;
		while (variants != NULL && (variant = g_dir_read_name(variants)) != NULL) {
			if (!g_str_has_prefix(variant, "v-") || strstr(variant, ".tmp") != NULL)
				continue;
			g_autofree char *path = g_build_filename(summary, variant, NULL);
			GStatBuf st;
			if (g_stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
				continue;
			store_summary_budget_insert(self, capture_id, variant, store_summary_budget_folder_bytes(path),
						    (gint64)st.st_mtime * G_USEC_PER_SEC);
		}
	}
}

StoreSummaryBudget *
store_summary_budget_new(Store *store, guint64 limit)
{
	StoreSummaryBudget *self = g_new0(StoreSummaryBudget, 1);
	self->store = store;
	self->limit = limit;
	self->variants = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)store_summary_variant_free);
	store_summary_budget_scan(self);
	g_message("filtered summaries: %u kept, %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes",
		  g_hash_table_size(self->variants), self->used, self->limit);
	store_summary_budget_report(self);
	return self;
}

void
store_summary_budget_free(StoreSummaryBudget *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->variants);
	g_free(self);
}

/* Removes the least recently used variant other than keep_key; FALSE when there is none. */
static gboolean
store_summary_budget_evict_one(StoreSummaryBudget *self, const char *keep_key)
{
	GHashTableIter iter;
	gpointer key, value;
	const char *oldest_key = NULL;
	StoreSummaryVariant *oldest = NULL;
	g_hash_table_iter_init(&iter, self->variants);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		StoreSummaryVariant *entry = value;
		if (g_str_equal(key, keep_key))
			continue;
		if (oldest == NULL || entry->last_used < oldest->last_used) {
			oldest = entry;
			oldest_key = key;
		}
	}
	if (oldest == NULL)
		return FALSE;
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = store_capture_summary_dir(self->store, oldest->capture_id, oldest->variant);
	if (!file_tree_remove(dir, &error))
		g_warning("%s, ignoring", error->message);
	g_debug("removed filtered summary %s (%" G_GUINT64_FORMAT " bytes)", oldest_key, oldest->bytes);
	self->used -= oldest->bytes;
	g_hash_table_remove(self->variants, oldest_key);
	return TRUE;
}

void
store_summary_budget_add(StoreSummaryBudget *self, const char *capture_id, const char *variant)
{
	if (g_str_equal(variant, "default"))
		return;
	g_autofree char *dir = store_capture_summary_dir(self->store, capture_id, variant);
	g_autofree char *key = g_strdup_printf("%s/%s", capture_id, variant);
	store_summary_budget_insert(self, capture_id, variant, store_summary_budget_folder_bytes(dir),
				    g_get_real_time());
	while (self->used > self->limit && store_summary_budget_evict_one(self, key))
		;
	store_summary_budget_report(self);
}

void
store_summary_budget_touch(StoreSummaryBudget *self, const char *capture_id, const char *variant)
{
	g_autofree char *key = g_strdup_printf("%s/%s", capture_id, variant);
	StoreSummaryVariant *entry = g_hash_table_lookup(self->variants, key);
	if (entry != NULL)
		entry->last_used = g_get_real_time();
}

void
store_summary_budget_forget_capture(StoreSummaryBudget *self, const char *capture_id)
{
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, self->variants);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		StoreSummaryVariant *entry = value;
		if (g_str_equal(entry->capture_id, capture_id)) {
			self->used -= entry->bytes;
			g_hash_table_iter_remove(&iter);
		}
	}
	store_summary_budget_report(self);
}

guint64
store_summary_budget_get_used(StoreSummaryBudget *self)
{
	return self->used;
}
