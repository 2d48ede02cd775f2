/* store-deep-search.c: the deep_searches and deep_search_pool tables.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-deep-search.h"

#include "json-writer.h"
#include "sharkapi-error.h"
#include "store/store-db.h"

void
store_deep_search_free(StoreDeepSearch *search)
{
	if (search == NULL)
		return;
	g_free(search->id);
	g_free(search->display_filter);
	g_free(search->created_at);
	g_free(search);
}

/* PostgreSQL: the whole pool (up to 10,000 ids) in one statement, one round trip instead of one
 * per capture; the ids go as one JSON array, numbered from 0 in their order. */
static gboolean
store_deep_search_insert_pool_at_once(Store *store, const char *id, GPtrArray *capture_ids, GError **error)
{
	g_autoptr(JsonWriter) array = json_writer_new();
	json_writer_begin_array(array);
	for (guint i = 0; i < capture_ids->len; i++)
		json_writer_string(array, g_ptr_array_index(capture_ids, i));
	json_writer_end_array(array);
	g_autofree char *ids = json_writer_steal_string(array);
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db,
		"INSERT INTO deep_search_pool (search_id, position, capture_id) "
		"SELECT ?, pool.position - 1, pool.capture_id "
		"FROM json_array_elements_text(?::json) WITH ORDINALITY AS pool(capture_id, position)",
		error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, id);
	store_sql_bind_text(stmt, 2, ids);
	return store_sql_run(stmt, "recording the deep search pool", error);
}

static gboolean
store_deep_search_insert_pool(Store *store, const char *id, GPtrArray *capture_ids, GError **error)
{
	if (store_sql_backend(store->db) == STORE_SQL_POSTGRES)
		return store_deep_search_insert_pool_at_once(store, id, capture_ids, error);
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db, "INSERT INTO deep_search_pool (search_id, position, capture_id) VALUES (?, ?, ?)", error);
	if (stmt == NULL)
		return FALSE;
	for (guint i = 0; i < capture_ids->len; i++) {
		store_sql_reset(stmt);
		store_sql_bind_text(stmt, 1, id);
		store_sql_bind_int64(stmt, 2, i);
		store_sql_bind_text(stmt, 3, g_ptr_array_index(capture_ids, i));
		if (!store_sql_run(stmt, "recording the deep search pool", error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
store_deep_search_insert(Store *store, const StoreDeepSearch *search, GError **error)
{
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db,
		"INSERT INTO deep_searches (id, token_id, display_filter, created_at, pool_size, pool_size_bytes) "
		"VALUES (?, ?, ?, ?, ?, ?)",
		error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, search->id);
	store_sql_bind_int64(stmt, 2, search->token_id);
	store_sql_bind_text(stmt, 3, search->display_filter);
	store_sql_bind_text(stmt, 4, search->created_at);
	store_sql_bind_int64(stmt, 5, search->pool_size);
	store_sql_bind_int64(stmt, 6, search->pool_size_bytes);
	return store_sql_run(stmt, "recording the deep search", error);
}

gboolean
store_deep_search_create(Store *store, const StoreDeepSearch *search, GPtrArray *capture_ids, GError **error)
{
	if (!store_sql_begin(store->db, error))
		return FALSE;
	if (!store_deep_search_insert(store, search, error) ||
	    !store_deep_search_insert_pool(store, search->id, capture_ids, error)) {
		store_sql_rollback(store->db);
		return FALSE;
	}
	return store_sql_commit(store->db, error);
}

StoreDeepSearch *
store_deep_search_get(Store *store, const char *id, GError **error)
{
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db,
		"SELECT s.id, s.token_id, s.display_filter, s.created_at, s.pool_size, s.pool_size_bytes,"
		" (SELECT count(*) FROM deep_search_pool p WHERE p.search_id = s.id AND p.state <> 0),"
		" (SELECT count(*) FROM deep_search_pool p WHERE p.search_id = s.id AND p.state = 2)"
		" FROM deep_searches s WHERE s.id = ?",
		error);
	if (stmt == NULL)
		return NULL;
	store_sql_bind_text(stmt, 1, id);
	StoreSqlStep step = store_sql_step(stmt, error);
	if (step != STORE_SQL_ROW) {
		if (step == STORE_SQL_DONE)
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "deep search %s not found", id);
		else
			g_prefix_error(error, "reading the deep search: ");
		return NULL;
	}
	StoreDeepSearch *search = g_new0(StoreDeepSearch, 1);
	search->id = g_strdup(store_sql_column_text(stmt, 0));
	search->token_id = store_sql_column_int64(stmt, 1);
	search->display_filter = g_strdup(store_sql_column_text(stmt, 2));
	search->created_at = g_strdup(store_sql_column_text(stmt, 3));
	search->pool_size = store_sql_column_int64(stmt, 4);
	search->pool_size_bytes = store_sql_column_int64(stmt, 5);
	search->searched_count = store_sql_column_int64(stmt, 6);
	search->hit_count = store_sql_column_int64(stmt, 7);
	return search;
}

gboolean
store_deep_search_record(Store *store, const char *id, gint64 position, gboolean matched, GError **error)
{
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db, "UPDATE deep_search_pool SET state = ? WHERE search_id = ? AND position = ?", error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_int64(stmt, 1, matched ? STORE_DEEP_SEARCH_MATCHED : STORE_DEEP_SEARCH_SEARCHED);
	store_sql_bind_text(stmt, 2, id);
	store_sql_bind_int64(stmt, 3, position);
	return store_sql_run(stmt, "recording a deep search outcome", error);
}

/* Capture ids (and positions) of the pool entries in state, by position. */
static gboolean
store_deep_search_select(Store *store, const char *id, const char *condition, GArray *positions, GPtrArray *ids,
			 GError **error)
{
	g_autofree char *sql = g_strdup_printf("SELECT position, capture_id FROM deep_search_pool WHERE search_id = ? "
					       "AND %s ORDER BY position",
					       condition);
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(store->db, sql, error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, id);
	StoreSqlStep step;
	while ((step = store_sql_step(stmt, error)) == STORE_SQL_ROW) {
		gint64 position = store_sql_column_int64(stmt, 0);
		if (positions != NULL)
			g_array_append_val(positions, position);
		g_ptr_array_add(ids, g_strdup(store_sql_column_text(stmt, 1)));
	}
	if (step == STORE_SQL_ERROR) {
		g_prefix_error(error, "reading the deep search pool: ");
		return FALSE;
	}
	return TRUE;
}

GPtrArray *
store_deep_search_results(Store *store, const char *id, GError **error)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	if (!store_deep_search_select(store, id, "state = 2", NULL, ids, error))
		return NULL;
	return g_steal_pointer(&ids);
}

gboolean
store_deep_search_pending(Store *store, const char *id, GArray **positions, GPtrArray **capture_ids, GError **error)
{
	g_autoptr(GArray) found_positions = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	if (!store_deep_search_select(store, id, "state = 0", found_positions, ids, error))
		return FALSE;
	*positions = g_steal_pointer(&found_positions);
	*capture_ids = g_steal_pointer(&ids);
	return TRUE;
}

GPtrArray *
store_deep_search_list_unfinished(Store *store, GError **error)
{
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db, "SELECT id FROM deep_searches s WHERE EXISTS (SELECT 1 FROM deep_search_pool p "
			   "WHERE p.search_id = s.id AND p.state = 0) ORDER BY created_at",
		error);
	if (stmt == NULL)
		return NULL;
	return store_db_column_strings(stmt, "listing the unfinished deep searches", error);
}

gboolean
store_deep_search_delete(Store *store, const char *id, GError **error)
{
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(store->db, "DELETE FROM deep_searches WHERE id = ?", error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, id);
	return store_sql_run(stmt, "deleting a deep search", error);
}
