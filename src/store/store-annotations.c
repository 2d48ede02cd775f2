/* store-annotations.c: the annotations table.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-annotations.h"

#include "sharkapi-error.h"
#include "store/store-db.h"

void
store_annotation_free(StoreAnnotation *annotation)
{
	if (annotation == NULL)
		return;
	g_free(annotation->text);
	g_free(annotation->user);
	g_free(annotation);
}

gboolean
store_annotation_set(Store *store, const char *capture_id, gint64 frame, const char *text, const char *user,
		     GError **error)
{
	g_autofree char *now = store_db_now_iso8601();
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db,
		"INSERT INTO annotations (capture_id, frame, text, \"user\", updated_at) VALUES (?, ?, ?, ?, ?) "
		"ON CONFLICT (capture_id, frame) DO UPDATE SET text = excluded.text, \"user\" = excluded.\"user\", "
		"updated_at = excluded.updated_at",
		error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, capture_id);
	store_sql_bind_int64(stmt, 2, frame);
	store_sql_bind_text(stmt, 3, text);
	store_sql_bind_text(stmt, 4, user != NULL ? user : "");
	store_sql_bind_text(stmt, 5, now);
	return store_sql_run(stmt, "recording the annotation", error);
}

gboolean
store_annotation_remove(Store *store, const char *capture_id, gint64 frame, GError **error)
{
	g_autoptr(StoreSqlStatement) stmt =
		store_sql_prepare(store->db, "DELETE FROM annotations WHERE capture_id = ? AND frame = ?", error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, capture_id);
	store_sql_bind_int64(stmt, 2, frame);
	return store_sql_run(stmt, "removing the annotation", error);
}

GPtrArray *
store_annotation_list(Store *store, const char *capture_id, GError **error)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify)store_annotation_free);
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db, "SELECT frame, text, \"user\" FROM annotations WHERE capture_id = ? ORDER BY frame", error);
	if (stmt == NULL)
		return NULL;
	store_sql_bind_text(stmt, 1, capture_id);
	StoreSqlStep step;
	while ((step = store_sql_step(stmt, error)) == STORE_SQL_ROW) {
		StoreAnnotation *annotation = g_new0(StoreAnnotation, 1);
		annotation->frame = store_sql_column_int64(stmt, 0);
		annotation->text = g_strdup(store_sql_column_text(stmt, 1));
		annotation->user = g_strdup(store_sql_column_text(stmt, 2));
		g_ptr_array_add(list, annotation);
	}
	if (step == STORE_SQL_ERROR) {
		g_prefix_error(error, "reading the annotations: ");
		return NULL;
	}
	return g_steal_pointer(&list);
}

gboolean
store_annotation_usage(Store *store, const char *capture_id, gint64 except_frame, gint64 *count, gint64 *bytes,
		       GError **error)
{
	/* Bytes, not characters: the limit is on storage. */
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db,
		store_sql_pick(store->db,
			       "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(text AS BLOB))), 0) FROM annotations "
			       "WHERE capture_id = ? AND frame != ?",
			       "SELECT COUNT(*), COALESCE(SUM(octet_length(text)), 0) FROM annotations "
			       "WHERE capture_id = ? AND frame != ?"),
		error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, capture_id);
	store_sql_bind_int64(stmt, 2, except_frame);
	StoreSqlStep step = store_sql_step(stmt, error);
	if (step != STORE_SQL_ROW) {
		if (step == STORE_SQL_DONE)
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "no row");
		g_prefix_error(error, "counting the annotations: ");
		return FALSE;
	}
	*count = store_sql_column_int64(stmt, 0);
	*bytes = store_sql_column_int64(stmt, 1);
	return TRUE;
}
