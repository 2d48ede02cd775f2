/* summary-run.h: the summary tracker's runs, shared by its two files: summary-tracker.c (runs,
 * waiters, deferral, several nodes) and summary-shards.c (a run split into shards and merged).
 * Private to src/jobs.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "jobs/cluster.h"
#include "jobs/summary-tracker.h"
#include "store/store-summary-budget.h"

G_BEGIN_DECLS

typedef struct SummaryRun SummaryRun;

/* One shard job of a sharded run. */
typedef struct {
	SummaryRun *run;
	Job *job;
	char *dir; /* its partial results */
	double progress;
} SummaryShard;

struct SummaryRun {
	SummaryTracker *tracker;
	char *capture_id;
	char *variant;
	char *summary_dir;
	char *capture_path;
	Job *job;            /* the single pass, or the merge of the shards */
	GPtrArray *shards;   /* of SummaryShard while a sharded run lasts, else NULL */
	guint shards_running;
	char *fallback_reason; /* why the shards cannot be merged (first reason) */
	char *filter;
	guint passes;
	gboolean list; /* a packet list (frame_list job), not a summary */
	char *columns; /* a list's custom columns, comma separated; NULL for the seven */
	double progress;
	GPtrArray *waiters; /* of SummaryWaiter, not owned: a waiter frees itself when answered */
	gboolean promised;  /* a request was told "it goes on": the run completes, waiters or not */
	/* Several nodes (cluster.h): this node claimed the run and runs its jobs. A run of a
	 * cluster that is not claimed waits for the node that claims it to end it. */
	gboolean claimed;
};

struct SummaryTracker {
	Store *store;
	JobQueue *jobs;
	guint wait_limit;
	guint shards;           /* default summaries of large captures run as this many shards; <2: never */
	guint64 shard_min_frames;
	GHashTable *runs; /* "<capture>/<variant>" -> SummaryRun */
	/* Default summaries the full job queue refused, oldest first: started as room appears,
	 * so an upload accepted under load is never left queued for ever. */
	GQueue deferred;           /* of capture ids (owned) */
	GHashTable *deferred_ids;  /* the same ids, to defer each once */
	guint deferred_source;
	StoreSummaryBudget *budget; /* not owned; NULL: filtered summaries are kept for good */
	Cluster *cluster;           /* several nodes: runs are cluster jobs; NULL: this node alone */
	SummaryCaptureFunc capture_func; /* another node changed a capture */
	gpointer capture_data;
};

/* summary-tracker.c */
/* Answers and frees every waiter of a finished run, then drops the run. */
void summary_run_complete(SummaryRun *run, const GError *error);
/* Submits the run as one pass; FALSE with error when the queue refuses it. */
gboolean summary_run_submit_single(SummaryRun *run, GError **error);

/* summary-shards.c */
/* How many shards a run of variant should take now: 0 for one pass. */
guint summary_tracker_shards_for(SummaryTracker *self, const char *capture_id, const char *variant);
/* Submits one summary job per shard; FALSE (nothing left submitted) when the queue refuses one. */
gboolean summary_run_submit_shards(SummaryRun *run, guint n_shards);
/* Withdraws the shard jobs still under way and removes every shard's partial results. */
void summary_run_drop_shards(SummaryRun *run);

G_END_DECLS
