/* store-db.c: opening the metadata database (SQLite in the data dir, or PostgreSQL) and keeping
 * its schema. Each schema version is written once per dialect, side by side.
 * Must not hold business logic: queries live with the module that owns the table.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-db.h"

#include <string.h>

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


/* The same versions in PostgreSQL's dialect: identity columns instead of AUTOINCREMENT (BY
 * DEFAULT, so `sharkapi migrate` can keep every id), byte-order collation where SQLite sorts
 * (filename, created_at), and pg_trgm's GIN indexes for substring search instead of FTS5. */
static const char *const store_db_postgres_schema_v1 =
	"CREATE TABLE tokens ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  hash_prefix TEXT NOT NULL,"
	"  hash TEXT NOT NULL,"
	"  permissions TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX tokens_hash_prefix ON tokens(hash_prefix);"
	"CREATE TABLE captures ("
	"  cap_file_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  filename TEXT COLLATE \"C\" NOT NULL,"
	"  comments TEXT NOT NULL DEFAULT '',"
	"  tag_list TEXT NOT NULL DEFAULT '',"
	"  \"user\" TEXT NOT NULL DEFAULT '',"
	"  created_at TEXT COLLATE \"C\" NOT NULL,"
	"  last_accessed TEXT NOT NULL,"
	"  viewcount BIGINT NOT NULL DEFAULT 0,"
	"  size BIGINT NOT NULL,"
	"  num_packets BIGINT NOT NULL,"
	"  data_size BIGINT NOT NULL,"
	"  has_times INTEGER NOT NULL,"
	"  start_time_ns BIGINT NOT NULL,"
	"  end_time_ns BIGINT NOT NULL,"
	"  time_digits INTEGER NOT NULL,"
	"  file_type TEXT NOT NULL,"
	"  encapsulation TEXT NOT NULL,"
	"  truncated INTEGER NOT NULL,"
	"  warning TEXT NOT NULL DEFAULT '',"
	"  analysis_failed TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX captures_created_at ON captures(created_at);";

static const char *const store_db_postgres_schema_v2 =
	"CREATE EXTENSION IF NOT EXISTS pg_trgm;"
	"CREATE TABLE capture_tags ("
	"  capture_id TEXT NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
	"  tag TEXT NOT NULL,"
	"  PRIMARY KEY (tag, capture_id));"
	"CREATE INDEX capture_tags_capture ON capture_tags(capture_id);"
	"CREATE TABLE annotations ("
	"  capture_id TEXT NOT NULL REFERENCES captures(id) ON DELETE CASCADE,"
	"  frame BIGINT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  \"user\" TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  PRIMARY KEY (capture_id, frame));"
	"CREATE TABLE deep_searches ("
	"  id TEXT PRIMARY KEY,"
	"  token_id BIGINT NOT NULL,"
	"  display_filter TEXT NOT NULL,"
	"  created_at TEXT COLLATE \"C\" NOT NULL,"
	"  pool_size BIGINT NOT NULL,"
	"  pool_size_bytes BIGINT NOT NULL);"
	"CREATE TABLE deep_search_pool ("
	"  search_id TEXT NOT NULL REFERENCES deep_searches(id) ON DELETE CASCADE,"
	"  position BIGINT NOT NULL,"
	"  capture_id TEXT NOT NULL,"
	"  state INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (search_id, position));"
	"CREATE INDEX captures_start_time ON captures(start_time_ns);"
	"CREATE INDEX captures_filename ON captures(filename);"
	"CREATE INDEX captures_size ON captures(size);"
	"CREATE INDEX captures_num_packets ON captures(num_packets);"
	"CREATE INDEX captures_filename_trigrams ON captures USING gin (filename gin_trgm_ops);"
	"CREATE INDEX captures_comments_trigrams ON captures USING gin (comments gin_trgm_ops);"
	"INSERT INTO capture_tags (capture_id, tag)"
	"  SELECT id, trim(tag) FROM captures, unnest(string_to_array(tag_list, ',')) AS tag"
	"  WHERE trim(tag) <> '' ON CONFLICT DO NOTHING;";

/* Schema version 3: several nodes (src/jobs/cluster.c). The jobs any node may claim, one row per
 * capture and summary folder, and the nodes with their heartbeats. Only PostgreSQL has them: a
 * SQLite data dir is one node, whose jobs never leave its own queue. */
static const char *const store_db_schema_v3 = "SELECT 1;";
static const char *const store_db_postgres_schema_v3 =
	"CREATE TABLE cluster_jobs ("
	"  key TEXT PRIMARY KEY,"              /* <capture>/<variant> */
	"  capture_id TEXT NOT NULL,"
	"  variant TEXT NOT NULL,"             /* the summary folder: default, v-..., l-... */
	"  filter TEXT NOT NULL,"
	"  passes INTEGER NOT NULL,"
	"  list BOOLEAN NOT NULL,"
	"  columns TEXT,"
	"  state TEXT NOT NULL,"               /* queued, running, done, failed */
	"  node TEXT,"                         /* the node running it */
	"  lease_until TIMESTAMPTZ,"
	"  attempts INTEGER NOT NULL DEFAULT 0," /* claims so far: a third is a 422 */
	"  progress DOUBLE PRECISION NOT NULL DEFAULT 0,"
	"  error_code INTEGER,"
	"  error TEXT,"
	"  queued_at TIMESTAMPTZ NOT NULL DEFAULT now(),"
	"  started_at TIMESTAMPTZ,"
	"  finished_at TIMESTAMPTZ);"
	"CREATE INDEX cluster_jobs_queue ON cluster_jobs(queued_at) WHERE state IN ('queued', 'running');"
	"CREATE INDEX cluster_jobs_capture ON cluster_jobs(capture_id);"
	"CREATE TABLE cluster_nodes ("
	"  name TEXT PRIMARY KEY,"
	"  workers INTEGER NOT NULL,"
	"  started_at TIMESTAMPTZ NOT NULL,"
	"  heartbeat_at TIMESTAMPTZ NOT NULL);";

/* Schema steps in order: steps[i] takes a database from version i to version i + 1. */
static const char *const store_db_schema_steps[] = {
	store_db_schema_v1,
	store_db_schema_v2,
	store_db_schema_v3,
};
static const char *const store_db_postgres_schema_steps[] = {
	store_db_postgres_schema_v1,
	store_db_postgres_schema_v2,
	store_db_postgres_schema_v3,
};
G_STATIC_ASSERT(G_N_ELEMENTS(store_db_schema_steps) == G_N_ELEMENTS(store_db_postgres_schema_steps));
#define STORE_DB_LATEST_VERSION ((int)G_N_ELEMENTS(store_db_schema_steps))

/* Any 64-bit number of our own: the advisory lock several nodes take around migrating. */
#define STORE_DB_MIGRATION_LOCK "7305682231604781569"

gboolean
store_db_exec(StoreSql *db, const char *sql, GError **error)
{
	return store_sql_exec(db, sql, error);
}

static int
store_db_sqlite_version(StoreSql *db)
{
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(db, "PRAGMA user_version", NULL);
	return stmt != NULL && store_sql_step(stmt, NULL) == STORE_SQL_ROW ? (int)store_sql_column_int64(stmt, 0) : 0;
}

static gboolean
store_db_check_version(int version, GError **error)
{
	if (version > STORE_DB_LATEST_VERSION) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
			    "schema version %d is newer than this sharkapi knows (%d)", version, STORE_DB_LATEST_VERSION);
		return FALSE;
	}
	return TRUE;
}

/* Runs one schema step and records its version, all or nothing. */
static gboolean
store_db_sqlite_migrate_step(StoreSql *db, int to_version, GError **error)
{
	g_autofree char *set_version = g_strdup_printf("PRAGMA user_version = %d", to_version);
	if (!store_sql_begin(db, error))
		return FALSE;
	/* Under the write lock: another process (the CLI) may have migrated meanwhile. */
	if (store_db_sqlite_version(db) >= to_version)
		return store_sql_commit(db, error);
	if (!store_sql_exec(db, store_db_schema_steps[to_version - 1], error) ||
	    !store_sql_exec(db, set_version, error)) {
		g_prefix_error(error, "schema version %d: ", to_version);
		store_sql_rollback(db);
		return FALSE;
	}
	return store_sql_commit(db, error);
}

static gboolean
store_db_sqlite_migrate(StoreSql *db, GError **error)
{
	int version = store_db_sqlite_version(db);
	if (!store_db_check_version(version, error))
		return FALSE;
	for (int next = version + 1; next <= STORE_DB_LATEST_VERSION; next++) {
		if (!store_db_sqlite_migrate_step(db, next, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
store_db_postgres_version(StoreSql *db, int *version, GError **error)
{
	g_autoptr(StoreSqlStatement) stmt =
		store_sql_prepare(db, "SELECT COALESCE(max(version), 0) FROM schema_version", error);
	if (stmt == NULL || store_sql_step(stmt, error) != STORE_SQL_ROW)
		return FALSE;
	*version = (int)store_sql_column_int64(stmt, 0);
	return TRUE;
}

/* Every missing step in one transaction, under an advisory lock: nodes starting together against
 * one database take turns, and the later ones find the schema done. */
static gboolean
store_db_postgres_migrate_locked(StoreSql *db, GError **error)
{
	int version = 0;
	/* No time limits here: a step may build an index over many rows, and a node waits for
	 * another's migration however long it takes. */
	if (!store_sql_exec(db,
			    "SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0;"
			    "SELECT pg_advisory_xact_lock(" STORE_DB_MIGRATION_LOCK ");"
			    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
			    error) ||
	    !store_db_postgres_version(db, &version, error) || !store_db_check_version(version, error))
		return FALSE;
	for (int next = version + 1; next <= STORE_DB_LATEST_VERSION; next++) {
		g_autofree char *set_version =
			g_strdup_printf("DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)", next);
		if (!store_sql_exec(db, store_db_postgres_schema_steps[next - 1], error) ||
		    !store_sql_exec(db, set_version, error)) {
			g_prefix_error(error, "schema version %d: ", next);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
store_db_postgres_migrate(StoreSql *db, GError **error)
{
	if (!store_sql_begin(db, error))
		return FALSE;
	if (!store_db_postgres_migrate_locked(db, error)) {
		store_sql_rollback(db);
		return FALSE;
	}
	return store_sql_commit(db, error);
}

StoreSql *
store_db_open(const char *data_dir, const char *database, GError **error)
{
	if (store_sql_is_postgres_url(database)) {
		g_autoptr(StoreSql) db = store_sql_open_postgres(database, error);
		if (db == NULL || !store_db_postgres_migrate(db, error))
			return NULL;
		return g_steal_pointer(&db);
	}
	/* A typo ("postgresq://...") must not quietly become a new SQLite file of that name. */
	if (database != NULL && *database != '\0') {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "database: '%s' is not a postgresql:// URL or a libpq key=value string", database);
		return NULL;
	}
	g_autofree char *path = g_build_filename(data_dir, "sharkapi.db", NULL);
	g_autoptr(StoreSql) db = store_sql_open_sqlite(path, error);
	if (db == NULL)
		return NULL;
	if (!store_sql_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", error) ||
	    !store_db_sqlite_migrate(db, error)) {
		g_prefix_error(error, "%s: ", path);
		return NULL;
	}
	return g_steal_pointer(&db);
}

void
store_db_close(StoreSql *db)
{
	store_sql_close(db);
}

GPtrArray *
store_db_column_strings(StoreSqlStatement *stmt, const char *context, GError **error)
{
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
	StoreSqlStep step;
	while ((step = store_sql_step(stmt, error)) == STORE_SQL_ROW)
		g_ptr_array_add(values, g_strdup(store_sql_column_text(stmt, 0)));
	if (step == STORE_SQL_ERROR) {
		g_prefix_error(error, "%s: ", context);
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
