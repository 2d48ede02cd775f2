/* summary-tracker.h: the summary analyses of captures: started, waited for, resumed.
 * A summary variant is a (capture, display filter, passes) triple; the default one (no filter,
 * one pass) starts when an upload is accepted, the others on first request. A variant is ready
 * when its folder exists (the worker renames it into place as its last act), so readiness
 * survives restarts with no bookkeeping; only a final failure of the default variant is
 * recorded in the database. Requests that arrive early are parked until the variant is ready
 * or the wait limit passes (503). Must not format answers: routes read the folder.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "jobs/job-queue.h"
#include "store/store.h"
#include "store/store-summary-budget.h"

G_BEGIN_DECLS

typedef struct SummaryTracker SummaryTracker;
typedef struct SummaryWaiter SummaryWaiter;

/* error NULL: the variant's folder is ready at summary_dir. */
typedef void (*SummaryReadyFunc)(const char *summary_dir, const GError *error, gpointer user_data);

typedef enum {
	SUMMARY_STATE_QUEUED,
	SUMMARY_STATE_RUNNING,
	SUMMARY_STATE_READY,
	SUMMARY_STATE_FAILED,
} SummaryState;

SummaryTracker *summary_tracker_new(Store *store, JobQueue *jobs, guint wait_limit_seconds);
void summary_tracker_free(SummaryTracker *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SummaryTracker, summary_tracker_free)

/* Default summaries of captures with at least min_frames frames run as `shards` shard jobs
 * merged afterwards (shards < 2 or min_frames 0: never, the default). */
/* Several nodes sharing a PostgreSQL store (cluster.h): every run becomes a cluster job that
 * any node's idle worker may claim; requests here are answered when the claiming node ends it. */
gboolean summary_tracker_join_cluster(SummaryTracker *self, const char *node_name, guint workers, GError **error);
/* This node deleted a capture or changed its TLS keys: the other nodes are told. */
void summary_tracker_capture_changed(SummaryTracker *self, const char *capture_id, gboolean deleted);
/* What to do when another node did (capture-service.h). */
typedef void (*SummaryCaptureFunc)(const char *capture_id, gboolean deleted, gpointer user_data);
void summary_tracker_set_capture_func(SummaryTracker *self, SummaryCaptureFunc func, gpointer user_data);
/* NULL for a node alone. */
struct Cluster *summary_tracker_get_cluster(SummaryTracker *self);
void summary_tracker_set_sharding(SummaryTracker *self, guint shards, guint64 min_frames);

/* The results a ready variant's folder holds (worker-protocol.h names their files). */
typedef enum {
	SUMMARY_RESULT_HIERARCHY,
	SUMMARY_RESULT_DNS,
	SUMMARY_RESULT_ENDPOINTS,     /* one file per table with data */
	SUMMARY_RESULT_CONVERSATIONS, /* one file per table with data */
	SUMMARY_RESULT_EXPERT,
	SUMMARY_RESULT_HTTP_REQUESTS,
	SUMMARY_RESULT_TLS_HANDSHAKES,
} SummaryResult;

/* The file of one result in a variant's folder; table: the table's (endpoints and
 * conversations), else NULL. */
char *summary_result_path(const char *summary_dir, SummaryResult result, const WorkerTable *table);

/* Folder name of a variant: "default", or "v-<hash>" of filter and passes. */
char *summary_variant_key(const char *filter, guint passes);

/* Starts the default summary of every capture that lacks one and has not failed. */
void summary_tracker_resume_all(SummaryTracker *self);
/* Starts the default summary if it is neither ready nor under way; when the job queue is
 * full it is deferred, and started (in order) as soon as the queue has room. */
void summary_tracker_start(SummaryTracker *self, const char *capture_id);

/* Calls ready at once (returning NULL) when the variant is ready or failed; otherwise parks
 * the caller and returns a waiter it may cancel (client gone). */
SummaryWaiter *summary_tracker_wait(SummaryTracker *self, const char *capture_id, const char *filter,
				    guint passes, SummaryReadyFunc ready, gpointer user_data);
/* The packet list of (filter, passes, columns) is kept the same way: its folder ("l-<hash>"
 * beside the summary variants, counted against the same budget) is written by one frame_list
 * job (worker-protocol.h: columns.json, rows, index); waiters are parked and answered as above.
 * columns: custom columns, comma separated; NULL or "" for the seven. */
SummaryWaiter *summary_tracker_wait_list(SummaryTracker *self, const char *capture_id, const char *filter,
					 guint passes, const char *columns, SummaryReadyFunc ready, gpointer user_data);
/* Starts the list unless it is ready or under way, to complete with or without waiters. FALSE
 * (error set) when it cannot start (the job queue is full). */
gboolean summary_tracker_start_list(SummaryTracker *self, const char *capture_id, const char *filter, guint passes,
				    const char *columns, GError **error);
char *summary_list_variant_key(const char *filter, guint passes, const char *columns);

/* The waiter's client is gone: forgets it. A filtered or two-pass run left with no waiter is
 * stopped (its jobs withdrawn); the default summary always completes. */
void summary_waiter_cancel(SummaryWaiter *waiter);

/* The disk budget filtered and two-pass variants are counted against once written (not owned). */
void summary_tracker_set_budget(SummaryTracker *self, StoreSummaryBudget *budget);
/* A request asked for this variant (summary_variant_key()): the budget keeps recently used ones
 * longest. */
void summary_tracker_touch(SummaryTracker *self, const char *capture_id, const char *variant);
/* The capture was deleted, its folders with it. */
void summary_tracker_forget_capture(SummaryTracker *self, const char *capture_id);
/* Fraction of the capture read so far by the run the waiter waits for (the CLI's progress bar). */
double summary_waiter_get_progress(SummaryWaiter *waiter);

/* For status.analysis. */
SummaryState summary_tracker_get_state(SummaryTracker *self, const char *capture_id, double *progress);
const char *summary_state_to_string(SummaryState state);

/* A deleted capture: its running analyses stop and waiters get 404. */
void summary_tracker_forget(SummaryTracker *self, const char *capture_id);
/* Every analysis of the capture under way stops and its waiters get reason (what the capture's
 * results are computed from changed). */
void summary_tracker_stop_all(SummaryTracker *self, const char *capture_id, const GError *reason);

G_END_DECLS
