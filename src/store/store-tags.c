/* store-tags.c: tag lists normalised and stored as indexed rows.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-tags.h"

#include <string.h>

#include "sharkapi-error.h"
#include "store/store-db.h"

static gboolean
store_tags_check(const char *tag, guint count, GError **error)
{
	if (!g_utf8_validate(tag, -1, NULL)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "additional_tags: a tag is not UTF-8");
		return FALSE;
	}
	if (strlen(tag) > STORE_TAG_MAX_LENGTH) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "additional_tags: the tag '%.40s...' is longer than %d bytes", tag, STORE_TAG_MAX_LENGTH);
		return FALSE;
	}
	if (count >= STORE_TAGS_MAX) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "additional_tags: more than %d tags", STORE_TAGS_MAX);
		return FALSE;
	}
	return TRUE;
}

char *
store_tags_normalize(const char *const *values, GError **error)
{
	g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);
	for (guint v = 0; values != NULL && values[v] != NULL; v++) {
		g_auto(GStrv) parts = g_strsplit(values[v], ",", -1);
		for (guint i = 0; parts[i] != NULL; i++) {
			char *tag = g_strstrip(parts[i]);
			gboolean seen = FALSE;
			if (*tag == '\0')
				continue;
			for (guint k = 0; k < kept->len && !seen; k++)
				seen = g_str_equal(g_ptr_array_index(kept, k), tag);
			if (seen)
				continue;
			if (!store_tags_check(tag, kept->len, error))
				return NULL;
			g_ptr_array_add(kept, g_strdup(tag));
		}
	}
	g_ptr_array_add(kept, NULL);
	return g_strjoinv(",", (char **)kept->pdata);
}

gboolean
store_tags_insert(Store *store, const char *capture_id, const char *tag_list, GError **error)
{
	if (tag_list == NULL || *tag_list == '\0')
		return TRUE;
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db,
		store_sql_pick(store->db, "INSERT OR IGNORE INTO capture_tags (capture_id, tag) VALUES (?, ?)",
			       "INSERT INTO capture_tags (capture_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING"),
		error);
	if (stmt == NULL)
		return FALSE;
	g_auto(GStrv) tags = g_strsplit(tag_list, ",", -1);
	for (guint i = 0; tags[i] != NULL; i++) {
		if (*tags[i] == '\0')
			continue;
		store_sql_reset(stmt);
		store_sql_bind_text(stmt, 1, capture_id);
		store_sql_bind_text(stmt, 2, tags[i]);
		if (!store_sql_run(stmt, "recording the capture's tags", error))
			return FALSE;
	}
	return TRUE;
}
