/* store.h: a data dir as a whole: its folders, its database, and recovery after a crash.
 *   DATA_DIR/sharkapi.db                  metadata and tokens (store-db.c), unless they live in
 *                                         PostgreSQL (--database): then no database file is here
 *   DATA_DIR/captures/<id>/capture        the capture exactly as uploaded
 *   DATA_DIR/captures/<id>/summary/<key>/ persisted results of one analysis variant
 *   DATA_DIR/tmp/                         spools and temp files; emptied at start
 *   DATA_DIR/worker-home/                 empty HOME for workers (no personal Lua or prefs)
 * Must not know about HTTP or workers.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "store/store-sql.h"

G_BEGIN_DECLS

typedef struct {
	char *data_dir;
	char *captures_dir;
	char *tmp_dir;
	char *worker_home;
	char *database; /* NULL: SQLite in the data dir; else the PostgreSQL URL */
	gboolean shared; /* several nodes use this data dir (store_share_with_nodes()) */
	StoreSql *db;
	/* The second connection, for commits made in worker threads (store-writer.h); NULL in a
	 * writer's own view. */
	struct _StoreWriter *writer;
} Store;

/* Creates the folders if missing, opens the database (SQLite in the data dir). */
Store *store_open(const char *data_dir, GError **error);
/* The same with the metadata in database (store_db_open() says what it may be; NULL: SQLite). */
Store *store_open_with_database(const char *data_dir, const char *database, GError **error);
void store_free(Store *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Store, store_free)

/* Several nodes use this data dir (on a shared mount): this one's temp files go into
 * tmp/<node_name>/, and store_recover() leaves everything else to its owner. */
gboolean store_share_with_nodes(Store *self, const char *node_name, GError **error);

/* The folders a node cannot work without (captures/, its tmp/), copied: a watch of a shared
 * mount looks for them (http-storage-watch.h). */
char **store_get_folders(Store *self);

/* After a crash: empties tmp/, removes capture folders without a database row and half-written
 * result folders (*.tmp); for a node sharing the data dir, only its own tmp/<node>/. Returns how
 * many entries it removed. */
guint store_recover(Store *self);

/* A new temp file path in tmp/ (the file is created empty, mode 0600). */
char *store_new_temp_file(Store *self, const char *prefix, GError **error);


G_END_DECLS
