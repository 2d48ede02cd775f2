/* store-sql-sqlite.c: the SQLite backend of store-sql.h (the data dir's sharkapi.db).
 * A thin layer: SQLite's own statements, bindings and steps, with its failures turned into
 * sharkapi error codes (a full disk is 507, a lock held too long 503).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include <sqlite3.h>

#include "sharkapi-error.h"
#include "store/store-sql-backend.h"

typedef struct {
	StoreSql parent;
	sqlite3 *db;
} StoreSqlSqlite;

typedef struct {
	StoreSqlStatement parent;
	sqlite3_stmt *stmt;
	gint64 changes;
} StoreSqlSqliteStatement;

static sqlite3 *
store_sql_sqlite_db(StoreSql *self)
{
	return ((StoreSqlSqlite *)self)->db;
}

static sqlite3_stmt *
store_sql_sqlite_stmt(StoreSqlStatement *stmt)
{
	return ((StoreSqlSqliteStatement *)stmt)->stmt;
}

static void
store_sql_sqlite_set_error(sqlite3 *db, GError **error)
{
	int code = sqlite3_extended_errcode(db);
	SharkapiErrorCode shark_code = SHARKAPI_ERROR_INTERNAL;
	if (code == SQLITE_FULL || code == SQLITE_IOERR_WRITE)
		shark_code = SHARKAPI_ERROR_NO_SPACE;
	else if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		shark_code = SHARKAPI_ERROR_UNAVAILABLE;
	g_set_error_literal(error, SHARKAPI_ERROR, shark_code, sqlite3_errmsg(db));
}

static void
store_sql_sqlite_close(StoreSql *self)
{
	sqlite3_close(store_sql_sqlite_db(self));
	g_free(self);
}

static StoreSqlStatement *
store_sql_sqlite_prepare(StoreSql *self, const char *text, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(store_sql_sqlite_db(self), text, -1, &stmt, NULL) != SQLITE_OK) {
		store_sql_sqlite_set_error(store_sql_sqlite_db(self), error);
		g_prefix_error(error, "preparing a query: ");
		return NULL;
	}
	StoreSqlSqliteStatement *statement = g_new0(StoreSqlSqliteStatement, 1);
	statement->parent.connection = self;
	statement->stmt = stmt;
	return &statement->parent;
}

static void
store_sql_sqlite_finalize(StoreSqlStatement *stmt)
{
	sqlite3_finalize(store_sql_sqlite_stmt(stmt));
	g_free(stmt);
}

static void
store_sql_sqlite_bind_text(StoreSqlStatement *stmt, int index, const char *value)
{
	sqlite3_bind_text(store_sql_sqlite_stmt(stmt), index, value, -1, SQLITE_TRANSIENT);
}

static void
store_sql_sqlite_bind_int64(StoreSqlStatement *stmt, int index, gint64 value)
{
	sqlite3_bind_int64(store_sql_sqlite_stmt(stmt), index, value);
}

static void
store_sql_sqlite_bind_null(StoreSqlStatement *stmt, int index)
{
	sqlite3_bind_null(store_sql_sqlite_stmt(stmt), index);
}

static void
store_sql_sqlite_reset(StoreSqlStatement *stmt)
{
	sqlite3_reset(store_sql_sqlite_stmt(stmt));
}

static void
store_sql_sqlite_clear_bindings(StoreSqlStatement *stmt)
{
	sqlite3_clear_bindings(store_sql_sqlite_stmt(stmt));
}

static StoreSqlStep
store_sql_sqlite_step(StoreSqlStatement *stmt, GError **error)
{
	StoreSqlSqliteStatement *self = (StoreSqlSqliteStatement *)stmt;
	int rc = sqlite3_step(self->stmt);
	if (rc == SQLITE_ROW)
		return STORE_SQL_ROW;
	if (rc == SQLITE_DONE) {
		self->changes = sqlite3_changes(sqlite3_db_handle(self->stmt));
		return STORE_SQL_DONE;
	}
	store_sql_sqlite_set_error(sqlite3_db_handle(self->stmt), error);
	return STORE_SQL_ERROR;
}

static const char *
store_sql_sqlite_column_text(StoreSqlStatement *stmt, int column)
{
	return (const char *)sqlite3_column_text(store_sql_sqlite_stmt(stmt), column);
}

static gint64
store_sql_sqlite_column_int64(StoreSqlStatement *stmt, int column)
{
	return sqlite3_column_int64(store_sql_sqlite_stmt(stmt), column);
}

static gboolean
store_sql_sqlite_column_is_null(StoreSqlStatement *stmt, int column)
{
	return sqlite3_column_type(store_sql_sqlite_stmt(stmt), column) == SQLITE_NULL;
}

static int
store_sql_sqlite_column_count(StoreSqlStatement *stmt)
{
	return sqlite3_column_count(store_sql_sqlite_stmt(stmt));
}

static gint64
store_sql_sqlite_changes(StoreSqlStatement *stmt)
{
	return ((StoreSqlSqliteStatement *)stmt)->changes;
}

static gint64
store_sql_sqlite_last_insert_id(StoreSql *self, GError **error)
{
	return sqlite3_last_insert_rowid(store_sql_sqlite_db(self));
}

static gboolean
store_sql_sqlite_exec(StoreSql *self, const char *text, GError **error)
{
	if (sqlite3_exec(store_sql_sqlite_db(self), text, NULL, NULL, NULL) != SQLITE_OK) {
		store_sql_sqlite_set_error(store_sql_sqlite_db(self), error);
		g_prefix_error(error, "database: ");
		return FALSE;
	}
	return TRUE;
}

static gboolean
store_sql_sqlite_begin(StoreSql *self, GError **error)
{
	/* The write lock at once: a deferred transaction could fail half-way on a lock upgrade. */
	return store_sql_sqlite_exec(self, "BEGIN IMMEDIATE", error);
}

static gboolean
store_sql_sqlite_commit(StoreSql *self, GError **error)
{
	return store_sql_sqlite_exec(self, "COMMIT", error);
}

static gboolean
store_sql_sqlite_rollback(StoreSql *self, GError **error)
{
	return store_sql_sqlite_exec(self, "ROLLBACK", error);
}

static const StoreSqlOps store_sql_sqlite_ops = {
	.close = store_sql_sqlite_close,
	.prepare = store_sql_sqlite_prepare,
	.finalize = store_sql_sqlite_finalize,
	.bind_text = store_sql_sqlite_bind_text,
	.bind_int64 = store_sql_sqlite_bind_int64,
	.bind_null = store_sql_sqlite_bind_null,
	.reset = store_sql_sqlite_reset,
	.clear_bindings = store_sql_sqlite_clear_bindings,
	.step = store_sql_sqlite_step,
	.column_text = store_sql_sqlite_column_text,
	.column_int64 = store_sql_sqlite_column_int64,
	.column_is_null = store_sql_sqlite_column_is_null,
	.column_count = store_sql_sqlite_column_count,
	.changes = store_sql_sqlite_changes,
	.last_insert_id = store_sql_sqlite_last_insert_id,
	.exec = store_sql_sqlite_exec,
	.begin = store_sql_sqlite_begin,
	.commit = store_sql_sqlite_commit,
	.rollback = store_sql_sqlite_rollback,
};

StoreSql *
store_sql_open_sqlite(const char *path, GError **error)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "opening %s: %s", path,
			    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	/* The CLI creates tokens while the server runs: WAL lets both proceed, the timeout waits. */
	sqlite3_busy_timeout(db, 5000);
	StoreSqlSqlite *self = g_new0(StoreSqlSqlite, 1);
	self->parent.ops = &store_sql_sqlite_ops;
	self->parent.backend = STORE_SQL_SQLITE;
	self->db = db;
	return &self->parent;
}
