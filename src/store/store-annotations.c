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
	g_autoptr(sqlite3_stmt) stmt = store_db_prepare(
		store->db,
		"INSERT INTO annotations (capture_id, frame, text, user, updated_at) VALUES (?, ?, ?, ?, ?) "
		"ON CONFLICT (capture_id, frame) DO UPDATE SET text = excluded.text, user = excluded.user, "
		"updated_at = excluded.updated_at",
		error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, capture_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, frame);
	sqlite3_bind_text(stmt, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, user != NULL ? user : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, now, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_db_set_error(store->db, error, "recording the annotation");
		return FALSE;
	}
	return TRUE;
}

gboolean
store_annotation_remove(Store *store, const char *capture_id, gint64 frame, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt =
		store_db_prepare(store->db, "DELETE FROM annotations WHERE capture_id = ? AND frame = ?", error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, capture_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, frame);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_db_set_error(store->db, error, "removing the annotation");
		return FALSE;
	}
	return TRUE;
}

GPtrArray *
store_annotation_list(Store *store, const char *capture_id, GError **error)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify)store_annotation_free);
	g_autoptr(sqlite3_stmt) stmt = store_db_prepare(
		store->db, "SELECT frame, text, user FROM annotations WHERE capture_id = ? ORDER BY frame", error);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, capture_id, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		StoreAnnotation *annotation = g_new0(StoreAnnotation, 1);
		annotation->frame = sqlite3_column_int64(stmt, 0);
		annotation->text = g_strdup((const char *)sqlite3_column_text(stmt, 1));
		annotation->user = g_strdup((const char *)sqlite3_column_text(stmt, 2));
		g_ptr_array_add(list, annotation);
	}
	if (rc != SQLITE_DONE) {
		store_db_set_error(store->db, error, "reading the annotations");
		return NULL;
	}
	return g_steal_pointer(&list);
}

gboolean
store_annotation_usage(Store *store, const char *capture_id, gint64 except_frame, gint64 *count, gint64 *bytes,
		       GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_db_prepare(
		store->db,
		"SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(text AS BLOB))), 0) FROM annotations "
		"WHERE capture_id = ? AND frame != ?",
		error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, capture_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, except_frame);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		store_db_set_error(store->db, error, "counting the annotations");
		return FALSE;
	}
	*count = sqlite3_column_int64(stmt, 0);
	*bytes = sqlite3_column_int64(stmt, 1);
	return TRUE;
}
