/* capture-service.c: multi-step operations on a capture (capture-service.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "captures"

#include "jobs/capture-service.h"

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
	g_message("deleted capture %s", capture_id);
	return TRUE;
}
