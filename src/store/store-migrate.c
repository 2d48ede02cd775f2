/* store-migrate.c: copying every metadata table from SQLite to PostgreSQL (store-migrate.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-migrate.h"

#include "sharkapi-error.h"

/* Parents before children, so foreign keys hold at every insert. identity: the column whose
 * sequence must move past the copied ids. */
static const struct {
	const char *table;
	const char *columns;
	const char *identity;
} store_migrate_tables[] = {
	{"tokens", "id, name, hash_prefix, hash, permissions, created_at, revoked", "id"},
	{"captures",
	 "cap_file_id, id, filename, comments, tag_list, \"user\", created_at, last_accessed, viewcount, size, "
	 "num_packets, data_size, has_times, start_time_ns, end_time_ns, time_digits, file_type, encapsulation, "
	 "truncated, warning, analysis_failed",
	 "cap_file_id"},
	{"capture_tags", "capture_id, tag", NULL},
	{"annotations", "capture_id, frame, text, \"user\", updated_at", NULL},
	{"deep_searches", "id, token_id, display_filter, created_at, pool_size, pool_size_bytes", NULL},
	{"deep_search_pool", "search_id, position, capture_id, state", NULL},
};

static char *
store_migrate_insert_sql(const char *table, const char *columns)
{
	g_auto(GStrv) names = g_strsplit(columns, ",", -1);
	g_autoptr(GString) sql = g_string_new(NULL);
	g_string_append_printf(sql, "INSERT INTO %s (%s) VALUES (", table, columns);
	for (guint i = 0; names[i] != NULL; i++)
		g_string_append(sql, i > 0 ? ", ?" : "?");
	/* Any row already there (an earlier run) stays as it is. */
	g_string_append(sql, ") ON CONFLICT DO NOTHING");
	return g_string_free(g_steal_pointer(&sql), FALSE);
}

static gboolean
store_migrate_table(StoreSql *from, StoreSql *to, guint index, gint64 *read, gint64 *written, GError **error)
{
	const char *table = store_migrate_tables[index].table;
	const char *columns = store_migrate_tables[index].columns;
	g_autofree char *select = g_strdup_printf("SELECT %s FROM %s", columns, table);
	g_autofree char *insert = store_migrate_insert_sql(table, columns);
	g_autoptr(StoreSqlStatement) source = store_sql_prepare(from, select, error);
	g_autoptr(StoreSqlStatement) target = source != NULL ? store_sql_prepare(to, insert, error) : NULL;
	if (target == NULL)
		return FALSE;
	StoreSqlStep step;
	while ((step = store_sql_step(source, error)) == STORE_SQL_ROW) {
		store_sql_reset(target);
		for (int column = 0; column < store_sql_column_count(source); column++) {
			/* As text: PostgreSQL reads each value as its column's type. */
			if (store_sql_column_is_null(source, column))
				store_sql_bind_null(target, column + 1);
			else
				store_sql_bind_text(target, column + 1, store_sql_column_text(source, column));
		}
		if (!store_sql_run(target, table, error))
			return FALSE;
		(*read)++;
		*written += store_sql_changes(target);
	}
	if (step == STORE_SQL_ERROR) {
		g_prefix_error(error, "reading %s: ", table);
		return FALSE;
	}
	const char *identity = store_migrate_tables[index].identity;
	if (identity == NULL)
		return TRUE;
	/* The next id PostgreSQL hands out comes after every copied one. */
	g_autofree char *advance = g_strdup_printf(
		"SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(max(%s), 0) + 1, false) FROM %s", table,
		identity, identity, table);
	if (!store_sql_exec(to, advance, error)) {
		g_prefix_error(error, "advancing the ids of %s: ", table);
		return FALSE;
	}
	return TRUE;
}

gboolean
store_migrate_copy(StoreSql *from, StoreSql *to, StoreMigrateReport report, gpointer user_data, GError **error)
{
	if (store_sql_backend(to) != STORE_SQL_POSTGRES) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "the target must be a PostgreSQL database");
		return FALSE;
	}
	gint64 read[G_N_ELEMENTS(store_migrate_tables)] = {0};
	gint64 written[G_N_ELEMENTS(store_migrate_tables)] = {0};
	if (!store_sql_begin(to, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(store_migrate_tables); i++) {
		if (!store_migrate_table(from, to, i, &read[i], &written[i], error)) {
			store_sql_rollback(to);
			return FALSE;
		}
	}
	if (!store_sql_commit(to, error))
		return FALSE;
	/* Reported only once committed: nothing is said to have moved that did not. */
	for (guint i = 0; report != NULL && i < G_N_ELEMENTS(store_migrate_tables); i++)
		report(store_migrate_tables[i].table, read[i], written[i], user_data);
	return TRUE;
}
