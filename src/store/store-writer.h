/* store-writer.h: the store's second database connection, for commits made in worker threads.
 * A SQLite commit waits for fsync; with a 200 MB upload being written the disk can take a
 * while, and the main loop must not wait for it. Adding a capture (its file and its row) and
 * recording a deep search's pool of up to 10,000 captures therefore run in worker threads,
 * through this connection. WAL mode lets the main loop's reads go on meanwhile. With PostgreSQL
 * it is a second connection to the same database, for the same reasons.
 *
 * One holder at a time (a mutex): a transaction on the connection is never interleaved with
 * another thread's. Reference counted: a thread that holds a reference finishes its commit even
 * when the server frees the store at shutdown.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "store/store.h"

G_BEGIN_DECLS

typedef struct _StoreWriter StoreWriter;

StoreWriter *store_writer_open(const char *data_dir, const char *database, GError **error);
StoreWriter *store_writer_ref(StoreWriter *self);
void store_writer_unref(StoreWriter *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreWriter, store_writer_unref)

/* Where the writer's temp files go (store_share_with_nodes()). */
void store_writer_set_tmp_dir(StoreWriter *self, const char *tmp_dir);
/* Waits for the connection and returns a view of the store whose db is it: any store_*
 * function may be called on the view, from this thread, until store_writer_release(). */
Store *store_writer_acquire(StoreWriter *self);
void store_writer_release(StoreWriter *self);

G_END_DECLS
