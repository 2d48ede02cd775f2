/* capture-service.c: multi-step operations on a capture (capture-service.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "captures"

#include "jobs/capture-service.h"

#include "file-tree.h"
#include "sharkapi-error.h"

#include <errno.h>
#include <glib/gstdio.h>

void
capture_service_added(CaptureService *self, const StoreCapture *capture, const char *how)
{
	g_message("%s capture %s (%s, %" G_GUINT64_FORMAT " frames)", how, capture->id, capture->filename,
		  capture->num_packets);
	summary_tracker_start(self->summaries, capture->id);
}

gboolean
capture_service_delete(CaptureService *self, const char *capture_id, GError **error)
{
	g_autofree char *capture_path = store_capture_file(self->store, capture_id);
	/* Its analyses stop first, so no worker writes into the folder being removed. */
	summary_tracker_forget(self->summaries, capture_id);
	if (!store_capture_delete(self->store, capture_id, error))
		return FALSE;
	result_cache_forget_capture(self->results, capture_id);
	/* A worker keeping it warm holds the file open: the disk space stays in use until it goes. */
	job_queue_forget_warm_key(self->jobs, capture_path);
	summary_tracker_forget_capture(self->summaries, capture_id);
	summary_tracker_capture_changed(self->summaries, capture_id, TRUE);
	g_message("deleted capture %s", capture_id);
	return TRUE;
}

void
capture_service_changed_elsewhere(CaptureService *self, const char *capture_id, gboolean deleted)
{
	g_autoptr(GError) reason =
		deleted ? g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "capture %s was deleted", capture_id)
			: g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE,
				      "the capture's TLS keys changed while this was computed; ask again");
	g_autofree char *capture_path = store_capture_file(self->store, capture_id);
	summary_tracker_stop_all(self->summaries, capture_id, reason);
	summary_tracker_forget_capture(self->summaries, capture_id);
	/* The other node removed the files; this one forgets what it knew of them. */
	result_cache_forget_capture(self->results, capture_id);
	job_queue_forget_warm_key(self->jobs, capture_path);
	g_message("capture %s was %s on another node", capture_id, deleted ? "deleted" : "given new TLS keys");
}

static void
capture_service_remove_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	g_autoptr(GError) error = NULL;
	if (!file_tree_remove(task_data, &error))
		g_warning("removing stale results: %s, ignoring", error->message);
	g_task_return_boolean(task, TRUE);
}

void
capture_service_keys_changed(CaptureService *self, const char *capture_id)
{
	g_autoptr(GError) reason = g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE,
					       "the capture's TLS keys changed while this was computed; ask again");
	g_autofree char *capture_path = store_capture_file(self->store, capture_id);
	g_autofree char *summaries = store_capture_summary_dir(self->store, capture_id, "");
	g_autofree char *stale_name = g_strdup_printf("stale-%s-%" G_GINT64_FORMAT, capture_id, g_get_real_time());
	g_autofree char *stale = g_build_filename(self->store->tmp_dir, stale_name, NULL);

	summary_tracker_stop_all(self->summaries, capture_id, reason);
	summary_tracker_forget_capture(self->summaries, capture_id);
	/* Renamed away at once, so nothing reads the old results; the store's tmp/ is swept at
	 * start should the removal not finish. */
	if (g_rename(summaries, stale) == 0) {
		g_autoptr(GTask) task = g_task_new(NULL, NULL, NULL, NULL);
		g_task_set_task_data(task, g_steal_pointer(&stale), g_free);
		g_task_run_in_thread(task, capture_service_remove_thread);
	} else if (errno != ENOENT) {
		g_warning("moving the stale results of %s away: %s", capture_id, g_strerror(errno));
	}
	result_cache_drop_capture(self->results, capture_id);
	job_queue_forget_warm_key(self->jobs, capture_path);
	summary_tracker_capture_changed(self->summaries, capture_id, FALSE);
	summary_tracker_start(self->summaries, capture_id);
	g_message("capture %s: TLS keys changed, its results are computed again", capture_id);
}
