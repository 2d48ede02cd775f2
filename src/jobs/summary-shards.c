/* summary-shards.c: a default summary split across workers (engine-shard.h): one summary job per
 * shard at once, each on its own worker, then a summary_merge job writes the same folder one pass
 * writes. Any shard that fails or reports itself unsafe, or a failed merge, turns the run into
 * the ordinary single pass: answers are the same either way. Partial results live beside the
 * folder as <variant>.shard<K>.tmp (swept after a crash like every *.tmp).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "summary"

#include "jobs/summary-run.h"

#include "event-log.h"
#include "file-tree.h"
#include "jobs/job-requests.h"
#include "metrics.h"
#include "store/store-capture.h"
#include "worker-protocol.h"

static void
summary_shard_free(SummaryShard *shard)
{
	g_free(shard->dir);
	g_free(shard);
}

void
summary_run_drop_shards(SummaryRun *run)
{
	g_autoptr(GPtrArray) shards = g_steal_pointer(&run->shards);
	for (guint i = 0; shards != NULL && i < shards->len; i++) {
		SummaryShard *shard = g_ptr_array_index(shards, i);
		g_autoptr(GError) error = NULL;
		if (shard->job != NULL)
			job_cancel(g_steal_pointer(&shard->job));
		if (!file_tree_remove(shard->dir, &error))
			g_warning("%s, ignoring", error->message);
	}
	run->shards_running = 0;
}


/* What users see of sharding: a counter by outcome and one log line per sharded run. */
static void
summary_run_report_shards(SummaryRun *run, const char *outcome, guint n_shards)
{
	g_autofree char *labels = metrics_labels("outcome", outcome, NULL);
	EventLogLine *line = event_log_begin("summary_shards");
	metrics_inc("sharkapi_summary_shard_runs_total", labels);
	event_log_add_string(line, "capture", run->capture_id);
	event_log_add_int(line, "shards", n_shards);
	event_log_add_string(line, "outcome", outcome);
	if (run->fallback_reason != NULL)
		event_log_add_string(line, "reason", run->fallback_reason);
	event_log_end(line);
}


static void
summary_run_fall_back(SummaryRun *run)
{
	g_autoptr(GError) error = NULL;
	guint n_shards = run->shards != NULL ? run->shards->len : 0;

	summary_run_report_shards(run, "fallback", n_shards);
	summary_run_drop_shards(run);
	/* The single pass reads the capture from the start: its progress starts over. */
	run->progress = 0;
	if (!summary_run_submit_single(run, &error))
		summary_run_complete(run, error);
}

static void
summary_merge_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	SummaryRun *run = user_data;
	guint n_shards = run->shards->len;

	run->job = NULL;
	if (error != NULL) {
		run->fallback_reason = g_strdup_printf("merge: %s", error->message);
		summary_run_fall_back(run);
		return;
	}
	summary_run_report_shards(run, "merged", n_shards);
	summary_run_drop_shards(run);
	summary_run_complete(run, NULL);
}

static void
summary_run_submit_merge(SummaryRun *run)
{
	static const JobCallbacks callbacks = {.done = summary_merge_done_cb};
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) parts = g_ptr_array_new();
	for (guint i = 0; i < run->shards->len; i++)
		g_ptr_array_add(parts, ((SummaryShard *)g_ptr_array_index(run->shards, i))->dir);
	g_autofree char *request = job_request_summary_merge(run->summary_dir, parts);
	run->job = job_queue_submit(run->tracker->jobs, request, NULL, &callbacks, run, &error);
	if (run->job == NULL) {
		run->fallback_reason = g_strdup_printf("merge: %s", error->message);
		summary_run_fall_back(run);
	}
}

static void
summary_shard_progress_cb(Job *job, double fraction, gpointer user_data)
{
	SummaryShard *shard = user_data;
	SummaryRun *run = shard->run;
	double sum = 0;

	shard->progress = CLAMP(fraction, 0.0, 1.0);
	/* Every shard reads the whole capture: the run is as far as the shards on average. */
	for (guint i = 0; i < run->shards->len; i++)
		sum += ((SummaryShard *)g_ptr_array_index(run->shards, i))->progress;
	run->progress = sum / run->shards->len;
}

static void
summary_shard_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	SummaryShard *shard = user_data;
	SummaryRun *run = shard->run;
	const char *unsafe = NULL;

	shard->job = NULL;
	run->shards_running--;
	if (error != NULL)
		unsafe = error->message;
	else if (json_object_has_member(result, WORKER_END_UNSAFE) &&
		 !json_object_get_null_member(result, WORKER_END_UNSAFE))
		unsafe = json_object_get_string_member_with_default(result, WORKER_END_UNSAFE, "unsafe");
	if (unsafe != NULL) {
		/* No need to wait for the other shards: their workers are stopped (and replaced),
		 * and the single pass starts on this one's. */
		run->fallback_reason = g_strdup(unsafe);
		summary_run_fall_back(run);
		return;
	}
	if (run->shards_running == 0)
		summary_run_submit_merge(run);
}

/* Submits one summary job per shard; FALSE (nothing left submitted) when the queue refuses one. */
gboolean
summary_run_submit_shards(SummaryRun *run, guint n_shards)
{
	static const JobCallbacks callbacks = {
		.progress = summary_shard_progress_cb,
		.done = summary_shard_done_cb,
	};
	run->shards = g_ptr_array_new_with_free_func((GDestroyNotify)summary_shard_free);
	for (guint k = 0; k < n_shards; k++) {
		SummaryShard *shard = g_new0(SummaryShard, 1);
		g_autoptr(GError) error = NULL;
		g_autofree char *request = NULL;

		shard->run = run;
		shard->dir = g_strdup_printf("%s.shard%u.tmp", run->summary_dir, k);
		g_ptr_array_add(run->shards, shard);
		request = job_request_summary(run->capture_path, shard->dir, "", 1, k, n_shards);
		shard->job = job_queue_submit(run->tracker->jobs, request, NULL, &callbacks, shard, &error);
		if (shard->job == NULL) {
			g_message("summary of %s not sharded: %s", run->capture_id, error->message);
			summary_run_drop_shards(run);
			return FALSE;
		}
		run->shards_running++;
	}
	return TRUE;
}

/* Shards pay only for the default summary of a capture with enough frames, and only when a
 * worker per shard is free now: a shard queued behind another job would end later than one
 * pass started at once. */
guint
summary_tracker_shards_for(SummaryTracker *self, const char *capture_id, const char *variant)
{
	if (self->shards < 2 || self->shard_min_frames == 0 || !g_str_equal(variant, "default") ||
	    job_queue_count_idle_workers(self->jobs) < self->shards)
		return 0;
	g_autoptr(StoreCapture) capture = store_capture_get(self->store, capture_id, NULL);
	if (capture == NULL || capture->num_packets < self->shard_min_frames)
		return 0;
	return self->shards;
}

