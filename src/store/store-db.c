/* store-db.c: opening the data dir's SQLite database and keeping its schema.
 * Must not hold business logic: queries live with the module that owns the table.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-db.h"

#include "sharkapi-error.h"

/* Schema version 1. Later versions append statements and bump user_version. */
static const char *const store_db_schema_v1 =
	"CREATE TABLE IF NOT EXISTS tokens ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL,"
	"  hash_prefix TEXT NOT NULL,"   /* first 16 hex of the hash: the index lookup */
	"  hash TEXT NOT NULL,"          /* SHA-256 of the token, hex; the token itself is never stored */
	"  permissions TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS tokens_hash_prefix ON tokens(hash_prefix);"
	"CREATE TABLE IF NOT EXISTS captures ("
	"  cap_file_id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  id TEXT NOT NULL UNIQUE,"
	"  filename TEXT NOT NULL,"
	"  comments TEXT NOT NULL DEFAULT '',"
	"  tag_list TEXT NOT NULL DEFAULT '',"
	"  user TEXT NOT NULL DEFAULT '',"
	"  created_at TEXT NOT NULL,"
	"  last_accessed TEXT NOT NULL,"
	"  viewcount INTEGER NOT NULL DEFAULT 0,"
	"  size INTEGER NOT NULL,"
	"  num_packets INTEGER NOT NULL,"
	"  data_size INTEGER NOT NULL,"
	"  has_times INTEGER NOT NULL,"
	"  start_time_ns INTEGER NOT NULL,"
	"  end_time_ns INTEGER NOT NULL,"
	"  time_digits INTEGER NOT NULL,"
	"  file_type TEXT NOT NULL,"
	"  encapsulation TEXT NOT NULL,"
	"  truncated INTEGER NOT NULL,"
	"  warning TEXT NOT NULL DEFAULT '',"
	"  analysis_failed TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS captures_created_at ON captures(created_at);";

void
store_db_set_error(sqlite3 *db, GError **error, const char *context)
{
	int code = sqlite3_extended_errcode(db);
	SharkapiErrorCode shark_code = SHARKAPI_ERROR_INTERNAL;
	if (code == SQLITE_FULL || code == SQLITE_IOERR_WRITE)
		shark_code = SHARKAPI_ERROR_NO_SPACE;
	else if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		shark_code = SHARKAPI_ERROR_UNAVAILABLE;
	g_set_error(error, SHARKAPI_ERROR, shark_code, "%s: %s", context, sqlite3_errmsg(db));
}

sqlite3_stmt *
store_db_prepare(sqlite3 *db, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_db_set_error(db, error, "preparing a query");
		return NULL;
	}
	return stmt;
}

gboolean
store_db_exec(sqlite3 *db, const char *sql, GError **error)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_db_set_error(db, error, "database");
		return FALSE;
	}
	return TRUE;
}

static gboolean
store_db_migrate(sqlite3 *db, GError **error)
{
	g_autoptr(sqlite3_stmt) stmt = store_db_prepare(db, "PRAGMA user_version", error);
	if (stmt == NULL)
		return FALSE;
	int version = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
	if (version >= 1)
		return TRUE;
	if (!store_db_exec(db, "BEGIN IMMEDIATE", error))
		return FALSE;
	if (!store_db_exec(db, store_db_schema_v1, error) ||
	    !store_db_exec(db, "PRAGMA user_version = 1", error)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return FALSE;
	}
	return store_db_exec(db, "COMMIT", error);
}

sqlite3 *
store_db_open(const char *data_dir, GError **error)
{
	g_autofree char *path = g_build_filename(data_dir, "sharkapi.db", NULL);
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
	if (!store_db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
			   error) ||
	    !store_db_migrate(db, error)) {
		g_prefix_error(error, "%s: ", path);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

void
store_db_close(sqlite3 *db)
{
	if (db != NULL)
		sqlite3_close(db);
}

char *
store_db_now_iso8601(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	return g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
}
