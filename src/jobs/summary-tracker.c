/* summary-tracker.c: summary variants under way and the requests parked on them; with several
 * nodes, runs are cluster jobs (cluster.h). A large capture's default summary may run as shards
 * (summary-shards.c).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "summary"

#include "jobs/summary-run.h"

#include <errno.h>
#include <stdio.h>

#include "file-tree.h"
#include "jobs/job-requests.h"
#include "metrics.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "worker-protocol.h"

struct SummaryWaiter {
	SummaryRun *run;
	SummaryReadyFunc ready;
	gpointer user_data;
	guint timeout_source;
	guint wait_limit;
};

/* How often deferred default summaries try the queue again. */
#define SUMMARY_DEFERRED_RETRY_MS 250

static void
summary_waiter_free(SummaryWaiter *waiter)
{
	if (waiter->timeout_source != 0)
		g_source_remove(waiter->timeout_source);
	g_free(waiter);
}

static SummaryRun *summary_run_new(SummaryTracker *self, const char *capture_id, const char *variant,
				   const char *filter, guint passes, gboolean list, const char *columns);
static gboolean summary_run_start(SummaryRun *run, GError **error);

static void
summary_run_free(SummaryRun *run)
{
	summary_run_drop_shards(run);
	g_free(run->capture_path);
	g_free(run->fallback_reason);
	g_free(run->filter);
	g_free(run->columns);
	g_free(run->capture_id);
	g_free(run->variant);
	g_free(run->summary_dir);
	g_ptr_array_unref(run->waiters);
	g_free(run);
}

char *
summary_result_path(const char *summary_dir, SummaryResult result, const WorkerTable *table)
{
	switch (result) {
	case SUMMARY_RESULT_HIERARCHY:
		return g_build_filename(summary_dir, WORKER_RESULT_HIERARCHY, NULL);
	case SUMMARY_RESULT_DNS:
		return g_build_filename(summary_dir, WORKER_RESULT_DNS, NULL);
	case SUMMARY_RESULT_EXPERT:
		return g_build_filename(summary_dir, WORKER_RESULT_EXPERT, NULL);
	case SUMMARY_RESULT_HTTP_REQUESTS:
		return g_build_filename(summary_dir, WORKER_RESULT_HTTP_REQUESTS, NULL);
	case SUMMARY_RESULT_TLS_HANDSHAKES:
		return g_build_filename(summary_dir, WORKER_RESULT_TLS_HANDSHAKES, NULL);
	case SUMMARY_RESULT_ENDPOINTS:
	case SUMMARY_RESULT_CONVERSATIONS: {
		g_autofree char *file = g_strconcat(table->filter, ".json", NULL);
		return g_build_filename(summary_dir,
					result == SUMMARY_RESULT_ENDPOINTS ? WORKER_RESULT_ENDPOINTS_FOLDER
									   : WORKER_RESULT_CONVERSATIONS_FOLDER,
					file, NULL);
	}
	}
	g_return_val_if_reached(NULL);
}

char *
summary_variant_key(const char *filter, guint passes)
{
	if ((filter == NULL || *filter == '\0') && passes <= 1)
		return g_strdup("default");
	g_autofree char *material = g_strdup_printf("%u\n%s", passes, filter != NULL ? filter : "");
	g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, material, -1);
	return g_strdup_printf("v-%.24s", hash);
}

SummaryTracker *
summary_tracker_new(Store *store, JobQueue *jobs, guint wait_limit_seconds)
{
	SummaryTracker *self = g_new0(SummaryTracker, 1);
	self->store = store;
	self->jobs = jobs;
	self->wait_limit = wait_limit_seconds;
	self->runs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)summary_run_free);
	self->deferred_ids = g_hash_table_new(g_str_hash, g_str_equal);
	return self;
}

void
summary_tracker_free(SummaryTracker *self)
{
	if (self == NULL)
		return;
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, self->runs);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		SummaryRun *run = value;
		if (run->job != NULL)
			job_cancel(run->job);
		summary_run_drop_shards(run);
		for (guint i = 0; i < run->waiters->len; i++)
			summary_waiter_free(g_ptr_array_index(run->waiters, i));
	}
	g_hash_table_unref(self->runs);
	g_clear_pointer(&self->cluster, cluster_free);
	if (self->deferred_source != 0)
		g_source_remove(self->deferred_source);
	g_hash_table_unref(self->deferred_ids);
	g_queue_clear_full(&self->deferred, g_free);
	g_free(self);
}

/* Answers and frees every waiter of a finished run, then drops the run. */
void
summary_run_complete(SummaryRun *run, const GError *error)
{
	SummaryTracker *self = run->tracker;
	g_autofree char *key = g_strdup_printf("%s/%s", run->capture_id, run->variant);
	g_autoptr(GPtrArray) waiters = g_steal_pointer(&run->waiters);
	g_autofree char *summary_dir = g_strdup(run->summary_dir);

	g_autofree char *capture_id = g_strdup(run->capture_id);
	g_autofree char *variant = g_strdup(run->variant);
	gboolean claimed = run->claimed;
	run->waiters = g_ptr_array_new();
	g_hash_table_remove(self->runs, key); /* frees run */
	for (guint i = 0; i < waiters->len; i++) {
		SummaryWaiter *waiter = g_ptr_array_index(waiters, i);
		waiter->ready(summary_dir, error, waiter->user_data);
		summary_waiter_free(waiter);
	}
	/* After the answers, which read the folder: counting it may remove older variants. */
	if (error == NULL && self->budget != NULL)
		store_summary_budget_add(self->budget, capture_id, variant);
	/* Last: the other nodes' waiters are answered, and this node may claim the next job. */
	if (self->cluster != NULL && claimed)
		cluster_job_finished(self->cluster, capture_id, variant, error);
}

static void
summary_job_progress_cb(Job *job, double fraction, gpointer user_data)
{
	SummaryRun *run = user_data;
	run->progress = CLAMP(fraction, 0.0, 1.0);
	if (run->tracker->cluster != NULL)
		cluster_job_progress(run->tracker->cluster, run->capture_id, run->variant, run->progress);
}

static void
summary_job_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	SummaryRun *run = user_data;
	SummaryTracker *self = run->tracker;
	g_autoptr(GError) unreachable = NULL;
	run->job = NULL;
	/* A capture file that is not there (a shared mount gone, a capture deleted meanwhile) says
	 * nothing about the capture: no verdict, a 503. */
	if (error != NULL && error->code == SHARKAPI_ERROR_UNPROCESSABLE &&
	    !g_file_test(run->capture_path, G_FILE_TEST_EXISTS)) {
		unreachable = g_error_new_literal(SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE,
						  "the capture's file cannot be reached now; try again later");
		error = unreachable;
	}
	if (error != NULL) {
		g_warning("summary of %s (%s) failed: %s", run->capture_id, run->variant, error->message);
		/* Only a crash verdict is final; a full queue or a time limit may pass. */
		if (g_str_equal(run->variant, "default") && error->code == SHARKAPI_ERROR_UNPROCESSABLE) {
			g_autoptr(GError) error_local = NULL;
			if (!store_capture_set_analysis_failed(self->store, run->capture_id, error->message,
							       &error_local))
				g_warning("%s, ignoring", error_local->message);
		}
	}
	summary_run_complete(run, error);
}

void
summary_tracker_set_sharding(SummaryTracker *self, guint shards, guint64 min_frames)
{
	self->shards = shards;
	self->shard_min_frames = min_frames;
}

/* A summary folder an older sharkapi wrote lacks results this one answers from (expert info,
 * HTTP requests, TLS handshakes, the I/O series): its format file says so, and it is computed
 * again rather than answered with a 500. Packet lists have no format file. */
static gboolean
summary_folder_is_current(const char *dir, gboolean list)
{
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		return FALSE;
	if (list)
		return TRUE;
	g_autofree char *path = g_build_filename(dir, WORKER_RESULT_FORMAT, NULL);
	g_autofree char *format = NULL;
	if (!g_file_get_contents(path, &format, NULL, NULL))
		return FALSE;
	return g_str_equal(g_strchomp(format), WORKER_SUMMARY_FORMAT);
}

/* Moves an outdated folder out of the way (its *.tmp name is swept at start if removing fails). */
static void
summary_folder_retire(const char *dir)
{
	g_autofree char *stale = g_strconcat(dir, ".outdated.tmp", NULL);
	g_autoptr(GError) error = NULL;
	if (!file_tree_remove(stale, &error) || rename(dir, stale) != 0 || !file_tree_remove(stale, &error))
		g_warning("retiring the outdated summary %s: %s", dir, error != NULL ? error->message : g_strerror(errno));
	else
		g_message("summary %s was written by an older version: computing it again", dir);
}

/* The run of a variant, started if needed; NULL when the variant is ready (or cannot start,
 * with error set). */
static SummaryRun *
summary_tracker_ensure_run(SummaryTracker *self, const char *capture_id, const char *filter, guint passes,
			   gboolean list, const char *columns, char **summary_dir_out, GError **error)
{
	g_autofree char *variant =
		list ? summary_list_variant_key(filter, passes, columns) : summary_variant_key(filter, passes);
	g_autofree char *key = g_strdup_printf("%s/%s", capture_id, variant);
	g_autofree char *summary_dir = store_capture_summary_dir(self->store, capture_id, variant);
	SummaryRun *run = g_hash_table_lookup(self->runs, key);

	*summary_dir_out = g_strdup(summary_dir);
	if (run != NULL)
		return run;
	if (summary_folder_is_current(summary_dir, list))
		return NULL;
	if (g_file_test(summary_dir, G_FILE_TEST_IS_DIR))
		summary_folder_retire(summary_dir);

	run = summary_run_new(self, capture_id, variant, filter, passes, list, columns);
	if (self->cluster != NULL) {
		/* Any node's idle worker may claim it, this node's first if it has one. */
		ClusterJob job = {capture_id, variant, run->filter, passes, list, run->columns};
		if (!cluster_enqueue(self->cluster, &job, error)) {
			summary_run_free(run);
			return NULL;
		}
		g_hash_table_insert(self->runs, g_steal_pointer(&key), run);
		cluster_claim_soon(self->cluster);
		return run;
	}
	if (!summary_run_start(run, error)) {
		summary_run_free(run);
		return NULL;
	}
	g_hash_table_insert(self->runs, g_steal_pointer(&key), run);
	return run;
}

static SummaryRun *
summary_run_new(SummaryTracker *self, const char *capture_id, const char *variant, const char *filter,
		guint passes, gboolean list, const char *columns)
{
	SummaryRun *run = g_new0(SummaryRun, 1);
	run->tracker = self;
	run->capture_id = g_strdup(capture_id);
	run->variant = g_strdup(variant);
	run->summary_dir = store_capture_summary_dir(self->store, capture_id, variant);
	run->capture_path = store_capture_file(self->store, capture_id);
	run->filter = g_strdup(filter != NULL ? filter : "");
	run->passes = passes;
	run->list = list;
	run->columns = columns != NULL && *columns != '\0' ? g_strdup(columns) : NULL;
	run->waiters = g_ptr_array_new();
	return run;
}

/* Submits the run's jobs: shards when they pay, else one pass. */
static gboolean
summary_run_start(SummaryRun *run, GError **error)
{
	SummaryTracker *self = run->tracker;
	guint n_shards = run->list ? 0 : summary_tracker_shards_for(self, run->capture_id, run->variant);
	return (n_shards > 0 && summary_run_submit_shards(run, n_shards)) || summary_run_submit_single(run, error);
}

gboolean
summary_run_submit_single(SummaryRun *run, GError **error)
{
	static const JobCallbacks callbacks = {
		.progress = summary_job_progress_cb,
		.done = summary_job_done_cb,
	};
	g_autofree char *request =
		run->list ? job_request_frame_list(run->capture_path, run->summary_dir, run->filter, run->passes,
						 run->columns, -1)
			  : job_request_summary(run->capture_path, run->summary_dir, run->filter, run->passes, 0, 0);
	/* A two-pass run leaves its worker warm for this capture's later two-pass queries. */
	run->job = job_queue_submit(run->tracker->jobs, request, run->passes == 2 ? run->capture_path : NULL,
				    &callbacks, run, error);
	return run->job != NULL;
}

/* Starts the default summary; FALSE only when the job queue is full (error set). */
static gboolean
summary_tracker_try_start(SummaryTracker *self, const char *capture_id, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autofree char *summary_dir = NULL;
	if (summary_tracker_ensure_run(self, capture_id, NULL, 1, FALSE, NULL, &summary_dir, &local_error) != NULL ||
	    local_error == NULL)
		return TRUE;
	if (g_error_matches(local_error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE)) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	g_warning("summary of %s not started: %s", capture_id, local_error->message);
	return TRUE;
}

static void
summary_tracker_count_deferred(SummaryTracker *self)
{
	metrics_set("sharkapi_summaries_deferred", NULL, self->deferred.length);
}

static gboolean
summary_tracker_retry_deferred_cb(gpointer user_data)
{
	SummaryTracker *self = user_data;
	while (!g_queue_is_empty(&self->deferred)) {
		if (!summary_tracker_try_start(self, g_queue_peek_head(&self->deferred), NULL)) {
			summary_tracker_count_deferred(self);
			return G_SOURCE_CONTINUE; /* still full */
		}
		char *capture_id = g_queue_pop_head(&self->deferred);
		g_hash_table_remove(self->deferred_ids, capture_id);
		g_free(capture_id);
	}
	summary_tracker_count_deferred(self);
	self->deferred_source = 0;
	return G_SOURCE_REMOVE;
}

void
summary_tracker_start(SummaryTracker *self, const char *capture_id)
{
	g_autoptr(GError) error = NULL;
	if (g_hash_table_contains(self->deferred_ids, capture_id))
		return;
	/* Behind others already waiting for room, so they start in upload order. */
	if (g_queue_is_empty(&self->deferred) && summary_tracker_try_start(self, capture_id, &error))
		return;
	if (g_queue_is_empty(&self->deferred))
		g_message("deferring default summaries until the job queue has room: %s",
			  error != NULL ? error->message : "the queue is full");
	char *id = g_strdup(capture_id);
	g_queue_push_tail(&self->deferred, id);
	g_hash_table_add(self->deferred_ids, id);
	summary_tracker_count_deferred(self);
	if (self->deferred_source == 0)
		self->deferred_source = g_timeout_add(SUMMARY_DEFERRED_RETRY_MS, summary_tracker_retry_deferred_cb, self);
}

void
summary_tracker_resume_all(SummaryTracker *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) ids = store_capture_list_ids(self->store, &error);
	guint resumed = 0;
	if (ids == NULL) {
		g_warning("resuming analyses: %s", error->message);
		return;
	}
	for (guint i = 0; i < ids->len; i++) {
		const char *id = g_ptr_array_index(ids, i);
		g_autoptr(StoreCapture) capture = store_capture_get(self->store, id, NULL);
		g_autofree char *dir = store_capture_summary_dir(self->store, id, "default");
		if (capture == NULL || *capture->analysis_failed != '\0' || summary_folder_is_current(dir, FALSE))
			continue;
		summary_tracker_start(self, id);
		resumed++;
	}
	if (resumed > 0)
		g_message("resumed %u summary analyses", resumed);
}

static gboolean
summary_waiter_timeout_cb(gpointer user_data)
{
	SummaryWaiter *waiter = user_data;
	g_autoptr(GError) error = g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE,
					      "the analysis is not ready after %u s; it goes on, try again later",
					      waiter->wait_limit);
	waiter->timeout_source = 0;
	waiter->run->promised = TRUE;
	g_ptr_array_remove(waiter->run->waiters, waiter);
	waiter->ready(NULL, error, waiter->user_data);
	summary_waiter_free(waiter);
	return G_SOURCE_REMOVE;
}

static SummaryWaiter *summary_tracker_wait_run(SummaryTracker *self, const char *capture_id, const char *filter,
					       guint passes, gboolean list, const char *columns, SummaryReadyFunc ready,
					       gpointer user_data);

SummaryWaiter *
summary_tracker_wait(SummaryTracker *self, const char *capture_id, const char *filter, guint passes,
		     SummaryReadyFunc ready, gpointer user_data)
{
	return summary_tracker_wait_run(self, capture_id, filter, passes, FALSE, NULL, ready, user_data);
}

SummaryWaiter *
summary_tracker_wait_list(SummaryTracker *self, const char *capture_id, const char *filter, guint passes,
			  const char *columns, SummaryReadyFunc ready, gpointer user_data)
{
	return summary_tracker_wait_run(self, capture_id, filter, passes, TRUE, columns, ready, user_data);
}

gboolean
summary_tracker_start_list(SummaryTracker *self, const char *capture_id, const char *filter, guint passes,
			   const char *columns, GError **error)
{
	g_autofree char *list_dir = NULL;
	g_autoptr(GError) local_error = NULL;
	SummaryRun *run =
		summary_tracker_ensure_run(self, capture_id, filter, passes, TRUE, columns, &list_dir, &local_error);
	if (run != NULL)
		run->promised = TRUE;
	if (local_error == NULL)
		return TRUE; /* under way, or ready */
	g_propagate_error(error, g_steal_pointer(&local_error));
	return FALSE;
}

char *
summary_list_variant_key(const char *filter, guint passes, const char *columns)
{
	g_autofree char *material = g_strdup_printf("list\n%u\n%s\n%s", passes, filter != NULL ? filter : "",
						    columns != NULL ? columns : "");
	g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, material, -1);
	return g_strdup_printf("l-%.24s", hash);
}

static SummaryWaiter *
summary_tracker_wait_run(SummaryTracker *self, const char *capture_id, const char *filter, guint passes,
			 gboolean list, const char *columns, SummaryReadyFunc ready, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *summary_dir = NULL;
	gboolean is_default = (filter == NULL || *filter == '\0') && passes <= 1;

	if (is_default) {
		g_autoptr(StoreCapture) capture = store_capture_get(self->store, capture_id, &error);
		if (capture == NULL) {
			ready(NULL, error, user_data);
			return NULL;
		}
		if (*capture->analysis_failed != '\0') {
			g_autoptr(GError) failed = g_error_new_literal(SHARKAPI_ERROR, SHARKAPI_ERROR_UNPROCESSABLE,
								       capture->analysis_failed);
			ready(NULL, failed, user_data);
			return NULL;
		}
	}
	SummaryRun *run =
		summary_tracker_ensure_run(self, capture_id, filter, passes, list, columns, &summary_dir, &error);
	if (run == NULL) {
		ready(error == NULL ? summary_dir : NULL, error, user_data);
		return NULL;
	}
	SummaryWaiter *waiter = g_new0(SummaryWaiter, 1);
	waiter->run = run;
	waiter->ready = ready;
	waiter->user_data = user_data;
	waiter->wait_limit = self->wait_limit;
	waiter->timeout_source = g_timeout_add_seconds(self->wait_limit, summary_waiter_timeout_cb, waiter);
	g_ptr_array_add(run->waiters, waiter);
	return waiter;
}

double
summary_waiter_get_progress(SummaryWaiter *waiter)
{
	return waiter->run->progress;
}

void
summary_waiter_cancel(SummaryWaiter *waiter)
{
	SummaryRun *run = waiter->run;
	g_ptr_array_remove(run->waiters, waiter);
	summary_waiter_free(waiter);
	/* A filtered or two-pass variant runs for its requests only: with the last one gone, its
	 * jobs are withdrawn (dropped from the queue, or their workers stopped). The default
	 * summary belongs to the upload and always completes, and so does a run some request was
	 * told goes on (its wait limit passed). */
	if (run->waiters->len > 0 || run->promised || g_str_equal(run->variant, "default"))
		return;
	g_message("summary of %s (%s): every request left, stopping it", run->capture_id, run->variant);
	if (run->job != NULL)
		job_cancel(g_steal_pointer(&run->job));
	if (run->tracker->cluster != NULL) {
		/* A claimed run of ours ends as withdrawn; one queued for any node leaves the queue. */
		if (run->claimed) {
			g_autoptr(GError) withdrawn =
				g_error_new_literal(SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE, "every request left");
			cluster_job_finished(run->tracker->cluster, run->capture_id, run->variant, withdrawn);
		} else {
			cluster_withdraw(run->tracker->cluster, run->capture_id, run->variant);
		}
	}
	g_autofree char *key = g_strdup_printf("%s/%s", run->capture_id, run->variant);
	g_hash_table_remove(run->tracker->runs, key); /* frees run, withdrawing its shards */
}

SummaryState
summary_tracker_get_state(SummaryTracker *self, const char *capture_id, double *progress)
{
	g_autofree char *key = g_strdup_printf("%s/default", capture_id);
	g_autofree char *dir = store_capture_summary_dir(self->store, capture_id, "default");
	SummaryRun *run = g_hash_table_lookup(self->runs, key);

	gboolean ready = summary_folder_is_current(dir, FALSE);

	*progress = 0;
	if (self->cluster != NULL && (run == NULL || !run->claimed) && !ready) {
		/* Queued for the cluster, or running on another node: the database knows. */
		gboolean running = FALSE;
		if (cluster_job_state(self->cluster, capture_id, "default", &running, progress))
			return running ? SUMMARY_STATE_RUNNING : SUMMARY_STATE_QUEUED;
	}
	if (run != NULL) {
		gboolean running = run->job != NULL && job_is_running(run->job);
		for (guint i = 0; run->shards != NULL && i < run->shards->len; i++) {
			SummaryShard *shard = g_ptr_array_index(run->shards, i);
			running = running || (shard->job != NULL && job_is_running(shard->job));
		}
		*progress = run->progress;
		return running ? SUMMARY_STATE_RUNNING : SUMMARY_STATE_QUEUED;
	}
	if (ready) {
		*progress = 1;
		return SUMMARY_STATE_READY;
	}
	g_autoptr(StoreCapture) capture = store_capture_get(self->store, capture_id, NULL);
	if (capture != NULL && *capture->analysis_failed != '\0')
		return SUMMARY_STATE_FAILED;
	return SUMMARY_STATE_QUEUED;
}

const char *
summary_state_to_string(SummaryState state)
{
	switch (state) {
	case SUMMARY_STATE_QUEUED: return "queued";
	case SUMMARY_STATE_RUNNING: return "running";
	case SUMMARY_STATE_READY: return "ready";
	case SUMMARY_STATE_FAILED: return "failed";
	}
	return "queued";
}

void
summary_tracker_forget(SummaryTracker *self, const char *capture_id)
{
	g_autoptr(GError) error = g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "capture %s was deleted", capture_id);
	summary_tracker_stop_all(self, capture_id, error);
}

void
summary_tracker_stop_all(SummaryTracker *self, const char *capture_id, const GError *reason)
{
	g_autofree char *prefix = g_strdup_printf("%s/", capture_id);
	g_autoptr(GPtrArray) doomed = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key, value;

	if (g_hash_table_remove(self->deferred_ids, capture_id)) {
		GList *link = g_queue_find_custom(&self->deferred, capture_id, (GCompareFunc)g_strcmp0);
		g_free(link->data);
		g_queue_delete_link(&self->deferred, link);
		summary_tracker_count_deferred(self);
	}

	g_hash_table_iter_init(&iter, self->runs);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (g_str_has_prefix(key, prefix))
			g_ptr_array_add(doomed, value);
	}
	for (guint i = 0; i < doomed->len; i++) {
		SummaryRun *run = g_ptr_array_index(doomed, i);
		if (run->job != NULL)
			job_cancel(g_steal_pointer(&run->job));
		summary_run_drop_shards(run);
		summary_run_complete(run, reason);
	}
}

void
summary_tracker_capture_changed(SummaryTracker *self, const char *capture_id, gboolean deleted)
{
	if (self->cluster != NULL)
		cluster_capture_changed(self->cluster, capture_id, deleted);
}

void
summary_tracker_set_capture_func(SummaryTracker *self, SummaryCaptureFunc func, gpointer user_data)
{
	self->capture_func = func;
	self->capture_data = user_data;
}

/* ---- several nodes ---- */

static guint
summary_tracker_idle_workers_cb(gpointer user_data)
{
	SummaryTracker *self = user_data;
	/* Warm workers too: a node whose workers all keep a capture warm must still claim. */
	return job_queue_count_free_workers(self->jobs);
}

/* A worker may be free: claim from the cluster's queue (from the main loop: this runs inside
 * the job queue). */
static gboolean
summary_tracker_workers_idle_cb(gpointer user_data)
{
	SummaryTracker *self = user_data;
	cluster_claim_soon(self->cluster);
	return G_SOURCE_REMOVE;
}

/* This node claimed a run (maybe one it waits for itself): its jobs go to this node's workers. */
static gboolean
summary_tracker_claimed_cb(const ClusterJob *job, gpointer user_data)
{
	SummaryTracker *self = user_data;
	g_autofree char *key = g_strdup_printf("%s/%s", job->capture_id, job->variant);
	g_autoptr(GError) error = NULL;
	SummaryRun *run = g_hash_table_lookup(self->runs, key);
	gboolean created = run == NULL;

	if (run != NULL && (run->claimed || run->job != NULL))
		return TRUE; /* already ours */
	if (created)
		run = summary_run_new(self, job->capture_id, job->variant, job->filter, job->passes, job->list,
				      job->columns);
	if (!summary_run_start(run, &error)) {
		g_message("claimed %s but cannot start it here: %s", key, error->message);
		if (created)
			summary_run_free(run);
		return FALSE;
	}
	run->claimed = TRUE;
	/* A run nobody here waits for still completes: another node's request waits for it. */
	run->promised = TRUE;
	if (created)
		g_hash_table_insert(self->runs, g_steal_pointer(&key), run);
	return TRUE;
}

/* A run this node waits for ended on another node. */
static void
summary_tracker_ended_cb(const char *capture_id, const char *variant, const GError *error, gpointer user_data)
{
	SummaryTracker *self = user_data;
	g_autofree char *key = g_strdup_printf("%s/%s", capture_id, variant);
	SummaryRun *run = g_hash_table_lookup(self->runs, key);
	if (run != NULL && !run->claimed && run->job == NULL)
		summary_run_complete(run, error);
}

static void
summary_tracker_capture_changed_cb(const char *capture_id, gboolean deleted, gpointer user_data)
{
	SummaryTracker *self = user_data;
	if (self->capture_func != NULL)
		self->capture_func(capture_id, deleted, self->capture_data);
}

gboolean
summary_tracker_join_cluster(SummaryTracker *self, const char *node_name, guint workers, GError **error)
{
	static const ClusterCallbacks callbacks = {
		.idle_workers = summary_tracker_idle_workers_cb,
		.claimed = summary_tracker_claimed_cb,
		.ended = summary_tracker_ended_cb,
		.capture_changed = summary_tracker_capture_changed_cb,
	};
	self->cluster = cluster_new(self->store, node_name, workers, &callbacks, self, error);
	if (self->cluster == NULL)
		return FALSE;
	job_queue_set_idle_func(self->jobs, summary_tracker_workers_idle_cb, self);
	return TRUE;
}

Cluster *
summary_tracker_get_cluster(SummaryTracker *self)
{
	return self->cluster;
}

void
summary_tracker_set_budget(SummaryTracker *self, StoreSummaryBudget *budget)
{
	self->budget = budget;
}

void
summary_tracker_touch(SummaryTracker *self, const char *capture_id, const char *variant)
{
	if (self->budget != NULL && !g_str_equal(variant, "default"))
		store_summary_budget_touch(self->budget, capture_id, variant);
}

void
summary_tracker_forget_capture(SummaryTracker *self, const char *capture_id)
{
	if (self->budget != NULL)
		store_summary_budget_forget_capture(self->budget, capture_id);
}
