/* store-db.c: opening the data dir's SQLite database and keeping its schema.
 * Must not hold business logic: queries live with the module that owns the table.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-db.h"

#include "sharkapi-error.h"

/* Schema version 1. Later versions are further steps (store_db_schema_steps). */
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

/* Schema version 2: tags, annotations and deep searches, and what search needs to answer in
 * milliseconds over 100,000 captures: an index per sortable column, a tag index, and a trigram
 * full-text index of filename and comments (substring matching without a table scan), kept in
 * step with captures by triggers. A version 1 database gets its tags from tag_list. */
static const char *const store_db_schema_v2 =
	"CREATE TABLE capture_tags ("
	"  capture_id TEXT NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
	"  tag TEXT NOT NULL,"
	"  PRIMARY KEY (tag, capture_id)) WITHOUT ROWID;"
	"CREATE INDEX capture_tags_capture ON capture_tags(capture_id);"
	"CREATE TABLE annotations ("
	"  capture_id TEXT NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
	"  frame INTEGER NOT NULL,"
	"  text TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  PRIMARY KEY (capture_id, frame)) WITHOUT ROWID;"
	"CREATE TABLE deep_searches ("
	"  id TEXT PRIMARY KEY,"           /* UUIDv7 */
	"  token_id INTEGER NOT NULL,"     /* only this token may read it */
	"  display_filter TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  pool_size INTEGER NOT NULL,"
	"  pool_size_bytes INTEGER NOT NULL);"
	"CREATE TABLE deep_search_pool ("
	"  search_id TEXT NOT NULL REFERENCES deep_searches(id) ON DELETE CASCADE,"
	"  position INTEGER NOT NULL,"
	"  capture_id TEXT NOT NULL,"      /* no foreign key: a deleted capture stays a searched one */
	"  state INTEGER NOT NULL DEFAULT 0," /* 0 to search, 1 searched without a match, 2 matched */
	"  PRIMARY KEY (search_id, position)) WITHOUT ROWID;"
	"CREATE INDEX captures_start_time ON captures(start_time_ns);"
	"CREATE INDEX captures_filename ON captures(filename);"
	"CREATE INDEX captures_size ON captures(size);"
	"CREATE INDEX captures_num_packets ON captures(num_packets);"
	"CREATE VIRTUAL TABLE captures_text USING fts5(filename, comments, content='captures',"
	"  content_rowid='cap_file_id', tokenize='trigram');"
	"CREATE TRIGGER captures_text_insert AFTER INSERT ON captures BEGIN"
	"  INSERT INTO captures_text(rowid, filename, comments) VALUES (new.cap_file_id, new.filename, new.comments);"
	"END;"
	"CREATE TRIGGER captures_text_delete AFTER DELETE ON captures BEGIN"
	"  INSERT INTO captures_text(captures_text, rowid, filename, comments)"
	"    VALUES ('delete', old.cap_file_id, old.filename, old.comments);"
	"END;"
	"CREATE TRIGGER captures_text_update AFTER UPDATE OF filename, comments ON captures BEGIN"
	"  INSERT INTO captures_text(captures_text, rowid, filename, comments)"
	"    VALUES ('delete', old.cap_file_id, old.filename, old.comments);"
	"  INSERT INTO captures_text(rowid, filename, comments) VALUES (new.cap_file_id, new.filename, new.comments);"
	"END;"
	"INSERT INTO captures_text(captures_text) VALUES ('rebuild');"
	/* tag_list "a,b" of version 1 rows -> one capture_tags row per tag. */
	"WITH RECURSIVE split(capture_id, tag, rest) AS ("
	"  SELECT id, '', tag_list || ',' FROM captures"
	"  UNION ALL"
	"  SELECT capture_id, trim(substr(rest, 1, instr(rest, ',') - 1)), substr(rest, instr(rest, ',') + 1)"
	"  FROM split WHERE rest <> '')"
	"INSERT OR IGNORE INTO capture_tags (capture_id, tag) SELECT capture_id, tag FROM split WHERE tag <> '';";

/* Schema steps in order: steps[i] takes a database from version i to version i + 1. */
static const char *const store_db_schema_steps[] = {
	store_db_schema_v1,
	store_db_schema_v2,
};

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

static int
store_db_user_version(sqlite3 *db)
{
	g_autoptr(sqlite3_stmt) stmt = store_db_prepare(db, "PRAGMA user_version", NULL);
	return stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
}

/* Runs one schema step and records its version, all or nothing. */
static gboolean
store_db_migrate_step(sqlite3 *db, int to_version, GError **error)
{
	g_autofree char *set_version = g_strdup_printf("PRAGMA user_version = %d", to_version);
	if (!store_db_exec(db, "BEGIN IMMEDIATE", error))
		return FALSE;
	/* Under the write lock: another process (the CLI) may have migrated meanwhile. */
	if (store_db_user_version(db) >= to_version)
		return store_db_exec(db, "COMMIT", error);
	if (!store_db_exec(db, store_db_schema_steps[to_version - 1], error) ||
	    !store_db_exec(db, set_version, error)) {
		g_prefix_error(error, "schema version %d: ", to_version);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return FALSE;
	}
	return store_db_exec(db, "COMMIT", error);
}

static gboolean
store_db_migrate(sqlite3 *db, GError **error)
{
	const int latest = (int)G_N_ELEMENTS(store_db_schema_steps);
	int version = store_db_user_version(db);
	if (version > latest) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
			    "schema version %d is newer than this sharkapi knows (%d)", version, latest);
		return FALSE;
	}
	for (int next = version + 1; next <= latest; next++) {
		if (!store_db_migrate_step(db, next, error))
			return FALSE;
	}
	return TRUE;
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

/* Statements kept for reuse: "<db pointer>\n<sql>" -> sqlite3_stmt. A borrowed statement is out
 * of the pool until given back, so two threads never step the same one. */
static GMutex store_db_pool_lock;
static GHashTable *store_db_pool;

static void
store_db_finalize(gpointer stmt)
{
	sqlite3_finalize(stmt);
}

static char *
store_db_pool_key(sqlite3 *db, const char *sql)
{
	return g_strdup_printf("%p\n%s", (void *)db, sql);
}

sqlite3_stmt *
store_db_borrow(sqlite3 *db, const char *sql, GError **error)
{
	g_autofree char *key = store_db_pool_key(db, sql);
	g_autofree char *stolen_key = NULL; /* stealing never frees the pool's copy of the key */
	sqlite3_stmt *stmt = NULL;
	g_mutex_lock(&store_db_pool_lock);
	if (store_db_pool != NULL)
		g_hash_table_steal_extended(store_db_pool, key, (gpointer *)&stolen_key, (gpointer *)&stmt);
	g_mutex_unlock(&store_db_pool_lock);
	return stmt != NULL ? stmt : store_db_prepare(db, sql, error);
}

void
store_db_give_back(sqlite3 *db, const char *sql, sqlite3_stmt *stmt)
{
	if (stmt == NULL)
		return;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	g_mutex_lock(&store_db_pool_lock);
	if (store_db_pool == NULL)
		store_db_pool = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, store_db_finalize);
	g_autofree char *key = store_db_pool_key(db, sql);
	if (g_hash_table_contains(store_db_pool, key))
		sqlite3_finalize(stmt); /* another borrower gave the same one back first */
	else
		g_hash_table_insert(store_db_pool, g_steal_pointer(&key), stmt);
	g_mutex_unlock(&store_db_pool_lock);
}

void
store_db_close(sqlite3 *db)
{
	if (db == NULL)
		return;
	g_autofree char *prefix = store_db_pool_key(db, "");
	g_mutex_lock(&store_db_pool_lock);
	if (store_db_pool != NULL) {
		GHashTableIter iter;
		const char *key;
		g_hash_table_iter_init(&iter, store_db_pool);
		while (g_hash_table_iter_next(&iter, (gpointer *)&key, NULL)) {
			if (g_str_has_prefix(key, prefix))
				g_hash_table_iter_remove(&iter);
		}
	}
	g_mutex_unlock(&store_db_pool_lock);
	sqlite3_close(db);
}

GPtrArray *
store_db_column_strings(sqlite3 *db, sqlite3_stmt *stmt, const char *context, GError **error)
{
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(values, g_strdup((const char *)sqlite3_column_text(stmt, 0)));
	if (rc != SQLITE_DONE) {
		store_db_set_error(db, error, context);
		return NULL;
	}
	return g_steal_pointer(&values);
}

char *
store_db_now_iso8601(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	return g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
}
