/* store-writer.c: the second connection and its lock (store-writer.h says why).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-writer.h"

#include "store/store-db.h"

struct _StoreWriter {
	gatomicrefcount refs;
	GMutex lock;
	Store view; /* the data dir's paths, db = this connection */
};

StoreWriter *
store_writer_open(const char *data_dir, const char *database, GError **error)
{
	StoreSql *db = store_db_open(data_dir, database, error);
	if (db == NULL)
		return NULL;
	StoreWriter *self = g_new0(StoreWriter, 1);
	g_atomic_ref_count_init(&self->refs);
	g_mutex_init(&self->lock);
	self->view.data_dir = g_strdup(data_dir);
	self->view.database = g_strdup(database);
	self->view.captures_dir = g_build_filename(data_dir, "captures", NULL);
	self->view.tmp_dir = g_build_filename(data_dir, "tmp", NULL);
	self->view.worker_home = g_build_filename(data_dir, "worker-home", NULL);
	self->view.db = db;
	return self;
}

StoreWriter *
store_writer_ref(StoreWriter *self)
{
	g_atomic_ref_count_inc(&self->refs);
	return self;
}

void
store_writer_unref(StoreWriter *self)
{
	if (self == NULL || !g_atomic_ref_count_dec(&self->refs))
		return;
	store_db_close(self->view.db);
	g_free(self->view.data_dir);
	g_free(self->view.database);
	g_free(self->view.captures_dir);
	g_free(self->view.tmp_dir);
	g_free(self->view.worker_home);
	g_mutex_clear(&self->lock);
	g_free(self);
}

void
store_writer_set_tmp_dir(StoreWriter *self, const char *tmp_dir)
{
	g_mutex_lock(&self->lock);
	g_free(self->view.tmp_dir);
	self->view.tmp_dir = g_strdup(tmp_dir);
	self->view.shared = TRUE;
	g_mutex_unlock(&self->lock);
}

Store *
store_writer_acquire(StoreWriter *self)
{
	g_mutex_lock(&self->lock);
	return &self->view;
}

void
store_writer_release(StoreWriter *self)
{
	g_mutex_unlock(&self->lock);
}
