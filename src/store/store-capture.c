/* store-capture.c: capture records in the captures table and their folders.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-capture.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "file-tree.h"
#include "secrets.h"
#include "sharkapi-error.h"
#include "store/store-db.h"
#include "store/store-tags.h"

void
store_capture_free(StoreCapture *capture)
{
	if (capture == NULL)
		return;
	g_free(capture->id);
	g_free(capture->filename);
	g_free(capture->comments);
	g_free(capture->tag_list);
	g_free(capture->user);
	g_free(capture->created_at);
	g_free(capture->last_accessed);
	g_free(capture->file_type);
	g_free(capture->encapsulation);
	g_free(capture->warning);
	g_free(capture->analysis_failed);
	g_free(capture);
}

double
store_capture_duration(const StoreCapture *capture)
{
	if (!capture->has_times || capture->num_packets < 2)
		return 0;
	return (double)(capture->end_time_ns - capture->start_time_ns) / 1e9;
}

gboolean
store_capture_id_is_valid(const char *id)
{
	if (id == NULL || strlen(id) != STORE_CAPTURE_ID_LENGTH)
		return FALSE;
	for (const char *p = id; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p) && !(*p >= 'a' && *p <= 'f'))
			return FALSE;
	}
	return TRUE;
}

char *
store_capture_dir(Store *store, const char *id)
{
	g_return_val_if_fail(store_capture_id_is_valid(id), NULL);
	return g_build_filename(store->captures_dir, id, NULL);
}

char *
store_capture_file(Store *store, const char *id)
{
	g_return_val_if_fail(store_capture_id_is_valid(id), NULL);
	return g_build_filename(store->captures_dir, id, "capture", NULL);
}

#define STORE_CAPTURE_TLS_KEYS_FILE "tls-keys"

char *
store_capture_tls_keys(Store *store, const char *id)
{
	g_return_val_if_fail(store_capture_id_is_valid(id), NULL);
	return g_build_filename(store->captures_dir, id, STORE_CAPTURE_TLS_KEYS_FILE, NULL);
}

char *
store_capture_tls_keys_beside(const char *capture_path)
{
	g_autofree char *dir = g_path_get_dirname(capture_path);
	return g_build_filename(dir, STORE_CAPTURE_TLS_KEYS_FILE, NULL);
}

char *
store_capture_summary_dir(Store *store, const char *id, const char *variant)
{
	g_return_val_if_fail(store_capture_id_is_valid(id), NULL);
	return g_build_filename(store->captures_dir, id, "summary", variant, NULL);
}

static gboolean
store_capture_insert(Store *store, const char *id, const CapInfo *info, const StoreCaptureLabels *labels,
		     GError **error)
{
	g_autofree char *now = store_db_now_iso8601();
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db,
		"INSERT INTO captures (id, filename, comments, tag_list, \"user\", created_at, last_accessed, "
		"size, num_packets, data_size, has_times, start_time_ns, end_time_ns, file_type, encapsulation, "
		"truncated, warning, time_digits) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, id);
	store_sql_bind_text(stmt, 2, labels->filename);
	store_sql_bind_text(stmt, 3, labels->comments != NULL ? labels->comments : "");
	store_sql_bind_text(stmt, 4, labels->tag_list != NULL ? labels->tag_list : "");
	store_sql_bind_text(stmt, 5, labels->user != NULL ? labels->user : "");
	store_sql_bind_text(stmt, 6, now);
	store_sql_bind_text(stmt, 7, now);
	store_sql_bind_int64(stmt, 8, (gint64)info->file_size);
	store_sql_bind_int64(stmt, 9, (gint64)info->packets);
	store_sql_bind_int64(stmt, 10, (gint64)info->data_size);
	store_sql_bind_int64(stmt, 11, info->has_times);
	store_sql_bind_int64(stmt, 12, info->start_time_ns);
	store_sql_bind_int64(stmt, 13, info->end_time_ns);
	store_sql_bind_text(stmt, 14, info->file_type != NULL ? info->file_type : "");
	store_sql_bind_text(stmt, 15, info->encapsulation != NULL ? info->encapsulation : "");
	store_sql_bind_int64(stmt, 16, info->truncated);
	store_sql_bind_text(stmt, 17, info->warning != NULL ? info->warning : "");
	store_sql_bind_int64(stmt, 18, info->time_digits);
	return store_sql_run(stmt, "recording the capture", error);
}

/* The row and its tag rows together, or neither. */
static gboolean
store_capture_insert_with_tags(Store *store, const char *id, const CapInfo *info, const StoreCaptureLabels *labels,
			       GError **error)
{
	if (!store_sql_begin(store->db, error))
		return FALSE;
	if (!store_capture_insert(store, id, info, labels, error) ||
	    !store_tags_insert(store, id, labels->tag_list, error)) {
		store_sql_rollback(store->db);
		return FALSE;
	}
	return store_sql_commit(store->db, error);
}

static char *
store_capture_place(const char *captures_dir, const char *temp_path, GError **error)
{
	g_autofree char *id = NULL;
	g_autofree char *dir = NULL;

	/* 48 random bits: a collision is unlikely, and mkdir's EEXIST catches it anyway. */
	for (guint attempt = 0; attempt < 8 && dir == NULL; attempt++) {
		g_free(id);
		id = secrets_random_hex(STORE_CAPTURE_ID_LENGTH / 2, error);
		if (id == NULL)
			return NULL;
		g_autofree char *candidate = g_build_filename(captures_dir, id, NULL);
		if (g_mkdir(candidate, 0750) == 0) {
			dir = g_steal_pointer(&candidate);
		} else if (errno != EEXIST) {
			int errsv = errno;
			g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv),
				    "creating the capture folder: %s", g_strerror(errsv));
			return NULL;
		}
	}
	if (dir == NULL) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "no free capture id");
		return NULL;
	}
	g_autofree char *final_path = g_build_filename(dir, "capture", NULL);
	if (!file_tree_fsync(temp_path, error))
		goto fail;
	if (g_rename(temp_path, final_path) != 0) {
		int errsv = errno;
		g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv), "storing the capture: %s",
			    g_strerror(errsv));
		goto fail;
	}
	if (!file_tree_fsync(dir, error) || !file_tree_fsync(captures_dir, error))
		goto fail;
	return g_steal_pointer(&id);

fail:
	/* Not visible yet (no row): removing the folder leaves nothing behind. */
	file_tree_remove(dir, NULL);
	return NULL;
}

static StoreCapture *
store_capture_register(Store *store, const char *id, const CapInfo *info, const StoreCaptureLabels *labels,
		       GError **error)
{
	if (!store_capture_insert_with_tags(store, id, info, labels, error)) {
		g_autofree char *dir = store_capture_dir(store, id);
		file_tree_remove(dir, NULL); /* no row: nothing refers to it */
		return NULL;
	}
	return store_capture_get(store, id, error);
}

StoreCapture *
store_capture_add(StoreWriter *writer, const char *temp_path, const CapInfo *info, const StoreCaptureLabels *labels,
		  GError **error)
{
	/* Placing happens outside the lock, so two uploads' fsyncs go on side by side; only the
	 * rows take turns. */
	Store *store = store_writer_acquire(writer);
	g_autofree char *captures_dir = g_strdup(store->captures_dir);
	store_writer_release(writer);
	g_autofree char *id = store_capture_place(captures_dir, temp_path, error);
	if (id == NULL)
		return NULL;
	store = store_writer_acquire(writer);
	StoreCapture *capture = store_capture_register(store, id, info, labels, error);
	store_writer_release(writer);
	return capture;
}

static void store_capture_touch_row(Store *store, const char *id);

StoreCapture *
store_capture_from_statement(StoreSqlStatement *stmt)
{
	StoreCapture *capture = g_new0(StoreCapture, 1);
	capture->cap_file_id = store_sql_column_int64(stmt, 0);
	capture->id = g_strdup(store_sql_column_text(stmt, 1));
	capture->filename = g_strdup(store_sql_column_text(stmt, 2));
	capture->comments = g_strdup(store_sql_column_text(stmt, 3));
	capture->tag_list = g_strdup(store_sql_column_text(stmt, 4));
	capture->user = g_strdup(store_sql_column_text(stmt, 5));
	capture->created_at = g_strdup(store_sql_column_text(stmt, 6));
	capture->last_accessed = g_strdup(store_sql_column_text(stmt, 7));
	capture->viewcount = store_sql_column_int64(stmt, 8);
	capture->size = (guint64)store_sql_column_int64(stmt, 9);
	capture->num_packets = (guint64)store_sql_column_int64(stmt, 10);
	capture->data_size = (guint64)store_sql_column_int64(stmt, 11);
	capture->has_times = (int)store_sql_column_int64(stmt, 12) != 0;
	capture->start_time_ns = store_sql_column_int64(stmt, 13);
	capture->end_time_ns = store_sql_column_int64(stmt, 14);
	capture->time_digits = (int)store_sql_column_int64(stmt, 15);
	capture->file_type = g_strdup(store_sql_column_text(stmt, 16));
	capture->encapsulation = g_strdup(store_sql_column_text(stmt, 17));
	capture->truncated = (int)store_sql_column_int64(stmt, 18) != 0;
	capture->warning = g_strdup(store_sql_column_text(stmt, 19));
	capture->analysis_failed = g_strdup(store_sql_column_text(stmt, 20));
	return capture;
}

StoreCapture *
store_capture_get(Store *store, const char *id, GError **error)
{
	if (!store_capture_id_is_valid(id)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "capture not found");
		return NULL;
	}
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db, "SELECT " STORE_CAPTURE_COLUMNS " FROM captures WHERE id = ?", error);
	if (stmt == NULL)
		return NULL;
	store_sql_bind_text(stmt, 1, id);
	StoreSqlStep step = store_sql_step(stmt, error);
	if (step == STORE_SQL_ROW)
		return store_capture_from_statement(stmt);
	if (step == STORE_SQL_ERROR) {
		g_prefix_error(error, "reading the capture record: ");
		return NULL;
	}
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "capture %s not found", id);
	return NULL;
}

gboolean
store_capture_delete(Store *store, const char *id, GError **error)
{
	if (!store_capture_id_is_valid(id)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "capture not found");
		return FALSE;
	}
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(store->db, "DELETE FROM captures WHERE id = ?", error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, id);
	if (!store_sql_run(stmt, "deleting the capture record", error))
		return FALSE;
	if (store_sql_changes(stmt) == 0) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "capture %s not found", id);
		return FALSE;
	}
	g_autofree char *dir = store_capture_dir(store, id);
	g_autoptr(GError) error_local = NULL;
	if (!file_tree_remove(dir, &error_local))
		g_warning("%s; recovery removes it at the next start, ignoring", error_local->message);
	return TRUE;
}

void
store_capture_touch(Store *store, const char *id)
{
	/* A view count is not worth a disk flush on the main loop per info or download request:
	 * this commit skips the WAL's sync (SQLite stays consistent; a power cut may lose the
	 * last counts), the next FULL commit syncs it along. PostgreSQL has no such switch per
	 * connection that would be worth a round trip: its commit is the server's. */
	if (store_sql_backend(store->db) == STORE_SQL_POSTGRES) {
		store_capture_touch_row(store, id);
		return;
	}
	store_db_exec(store->db, "PRAGMA synchronous=NORMAL", NULL);
	store_capture_touch_row(store, id);
	store_db_exec(store->db, "PRAGMA synchronous=FULL", NULL);
}

static void
store_capture_touch_row(Store *store, const char *id)
{
	g_autofree char *now = store_db_now_iso8601();
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db, "UPDATE captures SET last_accessed = ?, viewcount = viewcount + 1 WHERE id = ?", &error);
	if (stmt == NULL) {
		g_warning("counting a view of capture %s: %s, ignoring", id, error->message);
		return;
	}
	store_sql_bind_text(stmt, 1, now);
	store_sql_bind_text(stmt, 2, id);
	if (store_sql_step(stmt, &error) == STORE_SQL_ERROR)
		g_warning("counting a view of capture %s: %s, ignoring", id, error->message);
}

gboolean
store_capture_set_analysis_failed(Store *store, const char *id, const char *message, GError **error)
{
	g_autoptr(StoreSqlStatement) stmt =
		store_sql_prepare(store->db, "UPDATE captures SET analysis_failed = ? WHERE id = ?", error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, message);
	store_sql_bind_text(stmt, 2, id);
	return store_sql_run(stmt, "recording the analysis failure", error);
}

GPtrArray *
store_capture_list_ids(Store *store, GError **error)
{
	g_autoptr(StoreSqlStatement) stmt =
		store_sql_prepare(store->db, "SELECT id FROM captures ORDER BY cap_file_id", error);
	if (stmt == NULL)
		return NULL;
	return store_db_column_strings(stmt, "listing the captures", error);
}
