/* store-sql.h: the small SQL interface every store module talks through, with two backends:
 * SQLite in the data dir (store-sql-sqlite.c, the default) and PostgreSQL (store-sql-postgres.c,
 * `--database postgresql://...`). Statements use `?` placeholders (`?N` to reuse one); values
 * are bound as text, 64-bit integers or NULL and read back the same way. The few statements
 * whose dialects differ are written twice, side by side, in the module that owns the table
 * (store_sql_pick()). Must not hold queries: those live with their tables.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	STORE_SQL_SQLITE,
	STORE_SQL_POSTGRES,
} StoreSqlBackend;

typedef enum {
	STORE_SQL_ROW,   /* a row is ready: read it with store_sql_column_*() */
	STORE_SQL_DONE,  /* the statement ran to its end */
	STORE_SQL_ERROR, /* error is set */
} StoreSqlStep;

/* A connection. Safe to use from several threads one statement at a time; a transaction is the
 * connection's, so only one thread may hold one (store-writer.h). */
typedef struct StoreSql StoreSql;
typedef struct StoreSqlStatement StoreSqlStatement;

/* Opens (creating if needed) a SQLite database file. */
StoreSql *store_sql_open_sqlite(const char *path, GError **error);
/* Connects to PostgreSQL: a postgresql:// or postgres:// URL or a libpq key=value string.
 * Connection, keep-alive and statement time limits are added, so a lost server fails calls
 * within seconds (SHARKAPI_ERROR_UNAVAILABLE) instead of hanging them; a later call reconnects. */
StoreSql *store_sql_open_postgres(const char *conninfo, GError **error);
/* TRUE for what store_sql_open_postgres() accepts rather than a file. */
gboolean store_sql_is_postgres_url(const char *database);
void store_sql_close(StoreSql *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreSql, store_sql_close)

StoreSqlBackend store_sql_backend(StoreSql *self);
/* PostgreSQL only: another connection to the same server with the same settings, for a caller
 * that needs libpq itself (LISTEN); NULL with *reason when it cannot connect. */
struct pg_conn *store_sql_postgres_new_connection(StoreSql *self, char **reason);
/* The statement text for this connection's dialect. */
const char *store_sql_pick(StoreSql *self, const char *sqlite_text, const char *postgres_text);

StoreSqlStatement *store_sql_prepare(StoreSql *self, const char *text, GError **error);
void store_sql_finalize(StoreSqlStatement *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreSqlStatement, store_sql_finalize)

/* Parameters count from 1. Values are copied. */
void store_sql_bind_text(StoreSqlStatement *stmt, int index, const char *value);
void store_sql_bind_int64(StoreSqlStatement *stmt, int index, gint64 value);
void store_sql_bind_null(StoreSqlStatement *stmt, int index);
/* Back to before the first step; bindings stay until rebound or cleared. */
void store_sql_reset(StoreSqlStatement *stmt);
void store_sql_clear_bindings(StoreSqlStatement *stmt);

StoreSqlStep store_sql_step(StoreSqlStatement *stmt, GError **error);
/* Steps a statement without rows to its end; context prefixes the error ("recording X"). */
gboolean store_sql_run(StoreSqlStatement *stmt, const char *context, GError **error);

/* Columns count from 0; valid until the next step. Text is NULL for NULL. */
const char *store_sql_column_text(StoreSqlStatement *stmt, int column);
gint64 store_sql_column_int64(StoreSqlStatement *stmt, int column);
gboolean store_sql_column_is_null(StoreSqlStatement *stmt, int column);
int store_sql_column_count(StoreSqlStatement *stmt);
/* Rows the statement's last run inserted, updated or deleted. */
gint64 store_sql_changes(StoreSqlStatement *stmt);
/* The id the connection's last INSERT gave its row (an INTEGER PRIMARY KEY / identity column);
 * call it right after the INSERT, from the same thread. */
gint64 store_sql_last_insert_id(StoreSql *self, GError **error);

/* Runs SQL without parameters or rows (several statements allowed). */
gboolean store_sql_exec(StoreSql *self, const char *text, GError **error);
/* A write transaction: SQLite takes the write lock at once (BEGIN IMMEDIATE). */
gboolean store_sql_begin(StoreSql *self, GError **error);
gboolean store_sql_commit(StoreSql *self, GError **error);
/* Never fails the caller: a failed rollback is logged and ignored. */
void store_sql_rollback(StoreSql *self);

/* For hot paths (every request's token check): a statement prepared once and reused. Give it
 * back (reset, bindings cleared) with the same connection and text; store_sql_close() frees the
 * connection's pooled statements. */
StoreSqlStatement *store_sql_borrow(StoreSql *self, const char *text, GError **error);
void store_sql_give_back(StoreSql *self, const char *text, StoreSqlStatement *stmt);

G_END_DECLS
