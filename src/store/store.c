/* store.c: the data dir's folders, opening, and crash recovery.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "file-tree.h"
#include "sharkapi-error.h"
#include "store/store-db.h"
#include "store/store-writer.h"

static gboolean
store_mkdir(const char *path, GError **error)
{
	if (g_mkdir_with_parents(path, 0750) != 0) {
		int errsv = errno;
		g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv), "creating %s: %s", path,
			    g_strerror(errsv));
		return FALSE;
	}
	return TRUE;
}

Store *
store_open(const char *data_dir, GError **error)
{
	return store_open_with_database(data_dir, NULL, error);
}

Store *
store_open_with_database(const char *data_dir, const char *database, GError **error)
{
	g_autoptr(Store) self = g_new0(Store, 1);
	self->data_dir = g_canonicalize_filename(data_dir, NULL);
	self->captures_dir = g_build_filename(self->data_dir, "captures", NULL);
	self->tmp_dir = g_build_filename(self->data_dir, "tmp", NULL);
	self->worker_home = g_build_filename(self->data_dir, "worker-home", NULL);
	if (!store_mkdir(self->data_dir, error) || !store_mkdir(self->captures_dir, error) ||
	    !store_mkdir(self->tmp_dir, error) || !store_mkdir(self->worker_home, error))
		return NULL;
	self->database = database != NULL && *database != '\0' ? g_strdup(database) : NULL;
	self->db = store_db_open(self->data_dir, self->database, error);
	if (self->db == NULL)
		return NULL;
	self->writer = store_writer_open(self->data_dir, self->database, error);
	if (self->writer == NULL)
		return NULL;
	return g_steal_pointer(&self);
}

void
store_free(Store *self)
{
	if (self == NULL)
		return;
	store_writer_unref(self->writer);
	store_db_close(self->db);
	g_free(self->database);
	g_free(self->data_dir);
	g_free(self->captures_dir);
	g_free(self->tmp_dir);
	g_free(self->worker_home);
	g_free(self);
}

char **
store_get_folders(Store *self)
{
	const char *const folders[] = {self->captures_dir, self->tmp_dir, NULL};
	return g_strdupv((char **)folders);
}

gboolean
store_share_with_nodes(Store *self, const char *node_name, GError **error)
{
	g_autofree char *tmp_dir = g_build_filename(self->data_dir, "tmp", node_name, NULL);
	if (!store_mkdir(tmp_dir, error))
		return FALSE;
	g_free(self->tmp_dir);
	self->tmp_dir = g_strdup(tmp_dir);
	self->shared = TRUE;
	store_writer_set_tmp_dir(self->writer, tmp_dir);
	return TRUE;
}

char *
store_new_temp_file(Store *self, const char *prefix, GError **error)
{
	g_autofree char *template = g_strdup_printf("%s/%s-XXXXXX", self->tmp_dir, prefix);
	int fd = g_mkstemp_full(template, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		int errsv = errno;
		g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv), "temp file: %s",
			    g_strerror(errsv));
		return NULL;
	}
	close(fd);
	return g_steal_pointer(&template);
}

static gboolean
store_capture_row_exists(Store *self, const char *id)
{
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(self->db, "SELECT 1 FROM captures WHERE id = ?", NULL);
	if (stmt == NULL)
		return TRUE; /* when in doubt, keep the files */
	store_sql_bind_text(stmt, 1, id);
	/* An unreadable database keeps the files too. */
	return store_sql_step(stmt, NULL) != STORE_SQL_DONE;
}

/* Removes DIR/<anything>.tmp entries below a capture's summary folder. */
static guint
store_recover_summary(const char *summary_dir)
{
	g_autoptr(GDir) dir = g_dir_open(summary_dir, 0, NULL);
	const char *name;
	guint removed = 0;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		if (!g_str_has_suffix(name, ".tmp") && strstr(name, ".tmp-") == NULL)
			continue;
		g_autofree char *path = g_build_filename(summary_dir, name, NULL);
		if (file_tree_remove(path, NULL))
			removed++;
	}
	return removed;
}

guint
store_recover(Store *self)
{
	guint removed = 0;
	const char *name;
	g_autoptr(GDir) tmp = g_dir_open(self->tmp_dir, 0, NULL);
	while (tmp != NULL && (name = g_dir_read_name(tmp)) != NULL) {
		g_autofree char *path = g_build_filename(self->tmp_dir, name, NULL);
		if (file_tree_remove(path, NULL))
			removed++;
	}
	/* Another node may be writing any capture or result folder right now: it finishes or
	 * sweeps its own (a rerun job replaces a half-written folder). */
	if (self->shared)
		return removed;
	g_autoptr(GDir) captures = g_dir_open(self->captures_dir, 0, NULL);
	while (captures != NULL && (name = g_dir_read_name(captures)) != NULL) {
		g_autofree char *path = g_build_filename(self->captures_dir, name, NULL);
		if (!store_capture_row_exists(self, name)) {
			if (file_tree_remove(path, NULL))
				removed++;
			continue;
		}
		g_autofree char *summary = g_build_filename(path, "summary", NULL);
		removed += store_recover_summary(summary);
	}
	return removed;
}
