/* store-sql.c: dispatch to the connection's backend, and the pool of reused statements.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-sql-backend.h"

#include <string.h>

gboolean
store_sql_is_postgres_url(const char *database)
{
	if (database == NULL)
		return FALSE;
	/* libpq's key=value form names at least one key ("host=... dbname=..."). */
	return g_str_has_prefix(database, "postgresql://") || g_str_has_prefix(database, "postgres://") ||
	       strchr(database, '=') != NULL;
}

StoreSqlBackend
store_sql_backend(StoreSql *self)
{
	return self->backend;
}

const char *
store_sql_pick(StoreSql *self, const char *sqlite_text, const char *postgres_text)
{
	return self->backend == STORE_SQL_POSTGRES ? postgres_text : sqlite_text;
}

StoreSqlStatement *
store_sql_prepare(StoreSql *self, const char *text, GError **error)
{
	return self->ops->prepare(self, text, error);
}

void
store_sql_finalize(StoreSqlStatement *stmt)
{
	if (stmt != NULL)
		stmt->connection->ops->finalize(stmt);
}

void
store_sql_bind_text(StoreSqlStatement *stmt, int index, const char *value)
{
	if (value == NULL)
		stmt->connection->ops->bind_null(stmt, index);
	else
		stmt->connection->ops->bind_text(stmt, index, value);
}

void
store_sql_bind_int64(StoreSqlStatement *stmt, int index, gint64 value)
{
	stmt->connection->ops->bind_int64(stmt, index, value);
}

void
store_sql_bind_null(StoreSqlStatement *stmt, int index)
{
	stmt->connection->ops->bind_null(stmt, index);
}

void
store_sql_reset(StoreSqlStatement *stmt)
{
	stmt->connection->ops->reset(stmt);
}

void
store_sql_clear_bindings(StoreSqlStatement *stmt)
{
	stmt->connection->ops->clear_bindings(stmt);
}

StoreSqlStep
store_sql_step(StoreSqlStatement *stmt, GError **error)
{
	return stmt->connection->ops->step(stmt, error);
}

gboolean
store_sql_run(StoreSqlStatement *stmt, const char *context, GError **error)
{
	StoreSqlStep step;
	while ((step = store_sql_step(stmt, error)) == STORE_SQL_ROW)
		;
	if (step == STORE_SQL_ERROR) {
		g_prefix_error(error, "%s: ", context);
		return FALSE;
	}
	return TRUE;
}

const char *
store_sql_column_text(StoreSqlStatement *stmt, int column)
{
	return stmt->connection->ops->column_text(stmt, column);
}

gint64
store_sql_column_int64(StoreSqlStatement *stmt, int column)
{
	return stmt->connection->ops->column_int64(stmt, column);
}

gboolean
store_sql_column_is_null(StoreSqlStatement *stmt, int column)
{
	return stmt->connection->ops->column_is_null(stmt, column);
}

int
store_sql_column_count(StoreSqlStatement *stmt)
{
	return stmt->connection->ops->column_count(stmt);
}

gint64
store_sql_changes(StoreSqlStatement *stmt)
{
	return stmt->connection->ops->changes(stmt);
}

gint64
store_sql_last_insert_id(StoreSql *self, GError **error)
{
	return self->ops->last_insert_id(self, error);
}

gboolean
store_sql_exec(StoreSql *self, const char *text, GError **error)
{
	return self->ops->exec(self, text, error);
}

gboolean
store_sql_begin(StoreSql *self, GError **error)
{
	return self->ops->begin(self, error);
}

gboolean
store_sql_commit(StoreSql *self, GError **error)
{
	return self->ops->commit(self, error);
}

void
store_sql_rollback(StoreSql *self)
{
	g_autoptr(GError) error = NULL;
	if (!self->ops->rollback(self, &error))
		g_warning("rolling back: %s, ignoring", error->message);
}

/* Statements kept for reuse: "<connection pointer>\n<sql>" -> statement. A borrowed statement is
 * out of the pool until given back, so two threads never step the same one. */
static GMutex store_sql_pool_lock;
static GHashTable *store_sql_pool;

static char *
store_sql_pool_key(StoreSql *self, const char *text)
{
	return g_strdup_printf("%p\n%s", (void *)self, text);
}

StoreSqlStatement *
store_sql_borrow(StoreSql *self, const char *text, GError **error)
{
	g_autofree char *key = store_sql_pool_key(self, text);
	g_autofree char *stolen_key = NULL; /* stealing never frees the pool's copy of the key */
	StoreSqlStatement *stmt = NULL;
	g_mutex_lock(&store_sql_pool_lock);
	if (store_sql_pool != NULL)
		g_hash_table_steal_extended(store_sql_pool, key, (gpointer *)&stolen_key, (gpointer *)&stmt);
	g_mutex_unlock(&store_sql_pool_lock);
	return stmt != NULL ? stmt : store_sql_prepare(self, text, error);
}

void
store_sql_give_back(StoreSql *self, const char *text, StoreSqlStatement *stmt)
{
	if (stmt == NULL)
		return;
	store_sql_reset(stmt);
	store_sql_clear_bindings(stmt);
	g_mutex_lock(&store_sql_pool_lock);
	if (store_sql_pool == NULL)
		store_sql_pool = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						       (GDestroyNotify)store_sql_finalize);
	g_autofree char *key = store_sql_pool_key(self, text);
	if (g_hash_table_contains(store_sql_pool, key))
		store_sql_finalize(stmt); /* another borrower gave the same one back first */
	else
		g_hash_table_insert(store_sql_pool, g_steal_pointer(&key), stmt);
	g_mutex_unlock(&store_sql_pool_lock);
}

void
store_sql_close(StoreSql *self)
{
	if (self == NULL)
		return;
	g_autofree char *prefix = store_sql_pool_key(self, "");
	g_mutex_lock(&store_sql_pool_lock);
	if (store_sql_pool != NULL) {
		GHashTableIter iter;
		const char *key;
		g_hash_table_iter_init(&iter, store_sql_pool);
		while (g_hash_table_iter_next(&iter, (gpointer *)&key, NULL)) {
			if (g_str_has_prefix(key, prefix))
				g_hash_table_iter_remove(&iter);
		}
	}
	g_mutex_unlock(&store_sql_pool_lock);
	self->ops->close(self);
}
