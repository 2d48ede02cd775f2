/* capture-service.h: the operations on a capture that span the store and the jobs, one call
 * each, for whoever asks (HTTP routes today; the CLI and other nodes later): a capture just
 * added gets its default summary started; a capture deleted has its analyses stopped, its row
 * and files removed, and its cached answers and warm worker forgotten, in that order.
 * Must not know HTTP.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "jobs/job-queue.h"
#include "jobs/summary-tracker.h"
#include "store/store-capture.h"
#include "store/store-result-cache.h"
#include "store/store.h"

G_BEGIN_DECLS

typedef struct {
	Store *store;              /* not owned, any of them */
	JobQueue *jobs;
	SummaryTracker *summaries;
	ResultCache *results;
} CaptureService;

/* A capture store_capture_add() just stored: logs it and starts its default summary. how:
 * "stored", "merged". */
void capture_service_added(CaptureService *self, const StoreCapture *capture, const char *how);
/* The capture's TLS key log was stored or removed: every result computed before (summaries,
 * packet lists, cached answers, a warm first pass) goes, and the default summary starts again.
 * Parked requests get a 503 saying why. Folders are renamed away at once and removed in a thread. */
void capture_service_keys_changed(CaptureService *self, const char *capture_id);
/* Deletes a capture and everything derived from it; 404 when there is none. */
gboolean capture_service_delete(CaptureService *self, const char *capture_id, GError **error);
/* Another node sharing the data dir deleted the capture or changed its TLS keys: this node's
 * analyses of it stop (their requests get a 404 or a 503), and its warm worker and what it
 * knew of the cached answers go. */
void capture_service_changed_elsewhere(CaptureService *self, const char *capture_id, gboolean deleted);

G_END_DECLS
