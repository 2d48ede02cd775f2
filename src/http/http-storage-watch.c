/* http-storage-watch.c: the data dir's presence, checked in a thread (http-storage-watch.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "storage"

#include "http/http-storage-watch.h"

#include <errno.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#define HTTP_STORAGE_WATCH_EVERY_MS 2000

struct HttpStorageWatch {
	gatomicrefcount refs; /* the watch, and a look under way */
	Store *store;         /* NULL once freed: a look that ends then is ignored */
	guint source;
	gboolean looking;
	gboolean lost;
};

static HttpStorageWatch *
http_storage_watch_ref(HttpStorageWatch *self)
{
	g_atomic_ref_count_inc(&self->refs);
	return self;
}

static void
http_storage_watch_unref(HttpStorageWatch *self)
{
	if (g_atomic_ref_count_dec(&self->refs))
		g_free(self);
}

static void
http_storage_watch_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	char **folders = task_data;
	for (guint i = 0; folders[i] != NULL; i++) {
		GStatBuf st;
		int errsv = g_stat(folders[i], &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
		if (errsv != 0) {
			g_task_return_new_error(task, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s", folders[i],
						g_strerror(errsv));
			return;
		}
	}
	g_task_return_boolean(task, TRUE);
}

static void
http_storage_watch_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	HttpStorageWatch *self = user_data;
	g_autoptr(GError) error = NULL;
	gboolean reachable = g_task_propagate_boolean(G_TASK(result), &error);

	self->looking = FALSE;
	if (self->store != NULL) {
		if (!reachable && !self->lost)
			g_warning("the data dir is unreachable (%s): answering 503 until it is back", error->message);
		else if (reachable && self->lost)
			g_message("the data dir is reachable again");
		self->lost = !reachable;
	}
	http_storage_watch_unref(self);
}

static gboolean
http_storage_watch_look_cb(gpointer user_data)
{
	HttpStorageWatch *self = user_data;
	/* One look at a time: a hung mount keeps the first one waiting, and the node 503s. */
	if (self->looking) {
		self->lost = TRUE;
		return G_SOURCE_CONTINUE;
	}
	self->looking = TRUE;
	g_autoptr(GTask) task = g_task_new(NULL, NULL, http_storage_watch_done_cb, http_storage_watch_ref(self));
	g_task_set_task_data(task, store_get_folders(self->store), (GDestroyNotify)g_strfreev);
	g_task_run_in_thread(task, http_storage_watch_thread);
	return G_SOURCE_CONTINUE;
}

HttpStorageWatch *
http_storage_watch_new(Store *store)
{
	HttpStorageWatch *self = g_new0(HttpStorageWatch, 1);
	g_atomic_ref_count_init(&self->refs);
	self->store = store;
	if (store->shared)
		self->source = g_timeout_add(HTTP_STORAGE_WATCH_EVERY_MS, http_storage_watch_look_cb, self);
	return self;
}

void
http_storage_watch_free(HttpStorageWatch *self)
{
	if (self == NULL)
		return;
	if (self->source != 0)
		g_source_remove(self->source);
	self->store = NULL;
	http_storage_watch_unref(self);
}

gboolean
http_storage_watch_is_lost(HttpStorageWatch *self)
{
	return self->lost;
}
