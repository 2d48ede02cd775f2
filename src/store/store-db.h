/* store-db.h: the metadata database of a data dir: SQLite in DATA_DIR/sharkapi.db (WAL mode with a
 * busy timeout, so the CLI and the server can use it at once), or PostgreSQL when a database URL
 * is given. Opening creates or upgrades the schema. Tables belong to the modules that use them
 * (auth-tokens.c, store-capture.c); this file only knows the schema as a whole.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "store/store-sql.h"

G_BEGIN_DECLS

/* database NULL or "": DATA_DIR/sharkapi.db (data_dir must exist); a PostgreSQL URL or key=value
 * string (store_sql_is_postgres_url()): that database; anything else is an error. */
StoreSql *store_db_open(const char *data_dir, const char *database, GError **error);
void store_db_close(StoreSql *db);

/* Runs SQL without results. */
gboolean store_db_exec(StoreSql *db, const char *sql, GError **error);
/* Steps stmt to its end and returns the first column of every row as strings; NULL with an
 * error (context says what was being read) when a step fails, never a silently partial list. */
GPtrArray *store_db_column_strings(StoreSqlStatement *stmt, const char *context, GError **error);

/* Current time as ISO-8601 UTC with seconds, "2026-11-26T05:49:13Z". */
char *store_db_now_iso8601(void);

G_END_DECLS
