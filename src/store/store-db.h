/* store-db.h: the SQLite database of a data dir (DATA_DIR/sharkapi.db).
 * Opens it in WAL mode with a busy timeout, so the CLI and the server can use it at once,
 * and creates or upgrades the schema. Tables belong to the modules that use them (auth-tokens.c,
 * store-capture.c); this file only knows the schema as a whole.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* Opens (creating if needed) DATA_DIR/sharkapi.db; data_dir must exist. */
sqlite3 *store_db_open(const char *data_dir, GError **error);
void store_db_close(sqlite3 *db);

/* Prepares a statement; on failure sets error with SQLite's message. */
sqlite3_stmt *store_db_prepare(sqlite3 *db, const char *sql, GError **error);
/* For hot paths (every request's token check): a statement prepared once and reused. Give it
 * back (reset, bindings cleared) with the same db and sql; store_db_close() finalizes the pool. */
sqlite3_stmt *store_db_borrow(sqlite3 *db, const char *sql, GError **error);
void store_db_give_back(sqlite3 *db, const char *sql, sqlite3_stmt *stmt);
/* Runs SQL without results. */
gboolean store_db_exec(sqlite3 *db, const char *sql, GError **error);
/* Sets error from the connection's last failure, with context. */
void store_db_set_error(sqlite3 *db, GError **error, const char *context);
/* Steps stmt to its end and returns the first column of every row as strings; NULL with an
 * error (context says what was being read) when a step fails, never a silently partial list. */
GPtrArray *store_db_column_strings(sqlite3 *db, sqlite3_stmt *stmt, const char *context, GError **error);

/* Current time as ISO-8601 UTC with seconds, "2026-11-26T05:49:13Z". */
char *store_db_now_iso8601(void);

G_END_DECLS
