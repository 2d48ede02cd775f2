/* test-summary-tracker.c: the summary tracker's state machine over a real store, job queue and
 * sharkapi-worker processes, on corpus captures: queued, running, ready and failed; requests
 * parked until ready, answered 503 past the wait limit (the run goes on), withdrawn when every
 * request of a filtered run left; a worker death retried once then a final 422 recorded in the
 * store; a time limit that is not final; default summaries deferred while the queue is full;
 * forgetting a deleted capture; resuming after a restart; a sharded run answering as one pass.
 * A capture is kept "running" for as long as a test needs by making its file a FIFO (a gate),
 * on which the worker waits; a worker is kept busy the same way by a job on a gate of its own.
 * Workers are killed from outside, found by the file they hold open. Waits turn the main
 * context until a condition holds, failing after WAIT_LIMIT_SECONDS. Gates, waits and the /proc
 * look-ups are shared with test-job-queue.c (unit-worker.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "file-tree.h"
#include "jobs/job-queue.h"
#include "jobs/job-requests.h"
#include "jobs/summary-tracker.h"
#include "metrics.h"
#include "sharkapi-error.h"
#include "worker-protocol.h"
#include "store/store-capture.h"
#include "store/store-summary-budget.h"
#include "store/store.h"
#include "unit-worker.h"
#include "wiretap/capinfo.h"

#define CORPUS_CAPTURE "sv-dns-udp-a-aaaa-mx.pcap"
/* Longer than any test waits: only the wait-limit test sets its own. */
#define PATIENT_WAIT_LIMIT 600

/* ---- answers ---- */

/* What a parked request was told. */
typedef struct {
	guint answers; /* exactly one expected */
	char *summary_dir;
	GError *error;
} Answer;

static void
answer_clear(Answer *answer)
{
	g_free(answer->summary_dir);
	g_clear_error(&answer->error);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Answer, answer_clear)

static void
answer_cb(const char *summary_dir, const GError *error, gpointer user_data)
{
	Answer *answer = user_data;
	g_assert_cmpuint(answer->answers, ==, 0);
	answer->answers++;
	answer->summary_dir = g_strdup(summary_dir);
	answer->error = error != NULL ? g_error_copy(error) : NULL;
}

/* ---- fixture ---- */

typedef struct {
	guint workers;
	guint queue_limit;
	guint job_timeout;
	guint wait_limit;
} TrackerSettings;

typedef struct {
	char *data_dir;
	char *corpus_capture;
	Store *store;
	JobQueue *jobs;
	StoreSummaryBudget *budget;
	SummaryTracker *tracker;
	Gate worker_gate;  /* a job straight on the queue keeps a worker busy on it */
	gboolean worker_gate_done;
	Gate capture_gate; /* a capture whose file is a FIFO */
} TrackerFixture;

static void
tracker_fixture_set_up(TrackerFixture *fixture, gconstpointer data)
{
	const TrackerSettings *settings = data;
	g_autoptr(GError) error = NULL;
	fixture->data_dir = make_test_dir("sharkapi-unit-summary-XXXXXX");
	fixture->corpus_capture = g_build_filename(SHARKAPI_CAPTURES_DIR, CORPUS_CAPTURE, NULL);
	fixture->store = store_open(fixture->data_dir, &error);
	g_assert_no_error(error);
	JobQueueOptions options = {
		.worker_path = SHARKAPI_WORKER_EXECUTABLE,
		.worker_home = fixture->store->worker_home,
		.workers = settings->workers,
		.job_timeout = settings->job_timeout,
		.queue_limit = settings->queue_limit,
	};
	fixture->jobs = job_queue_new(&options, &error);
	g_assert_no_error(error);
	fixture->budget = store_summary_budget_new(fixture->store, G_MAXUINT64);
	fixture->tracker = summary_tracker_new(fixture->store, fixture->jobs,
					       settings->wait_limit != 0 ? settings->wait_limit : PATIENT_WAIT_LIMIT);
	summary_tracker_set_budget(fixture->tracker, fixture->budget);
	/* Every worker said HELLO. */
	WAIT_FOR(job_queue_count_idle_workers(fixture->jobs) == settings->workers);
}

static void
tracker_fixture_tear_down(TrackerFixture *fixture, gconstpointer data)
{
	g_clear_pointer(&fixture->tracker, summary_tracker_free);
	g_clear_pointer(&fixture->jobs, job_queue_free);
	WAIT_FOR(live_worker_count() == 0);
	assert_warnings(NULL);
	g_clear_pointer(&fixture->budget, store_summary_budget_free);
	g_clear_pointer(&fixture->store, store_free);
	gate_clear(&fixture->worker_gate);
	gate_clear(&fixture->capture_gate);
	g_assert_true(file_tree_remove(fixture->data_dir, NULL));
	free(fixture->data_dir);
	g_free(fixture->corpus_capture);
}

/* The corpus capture added as an upload is; returns its id. */
static char *
add_capture(TrackerFixture *fixture)
{
	Store *store = fixture->store;
	g_autoptr(GError) error = NULL;
	g_autofree char *temp_path = store_new_temp_file(store, "upload", &error);
	g_autofree char *contents = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(fixture->corpus_capture, &contents, &length, NULL));
	g_assert_true(g_file_set_contents(temp_path, contents, (gssize)length, NULL));
	g_autoptr(CapInfo) info = capinfo_read(temp_path, &error);
	g_assert_no_error(error);
	StoreCaptureLabels labels = {.filename = CORPUS_CAPTURE};
	g_autoptr(StoreCapture) capture = store_capture_add(store->writer, temp_path, info, &labels, &error);
	g_assert_no_error(error);
	return g_strdup(capture->id);
}

/* Turns the capture's stored file into the fixture's capture gate. */
static void
gate_capture(TrackerFixture *fixture, const char *capture_id)
{
	g_autofree char *path = store_capture_file(fixture->store, capture_id);
	g_assert_cmpint(g_unlink(path), ==, 0);
	gate_init(&fixture->capture_gate, path);
}

static void
worker_gate_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	TrackerFixture *fixture = user_data;
	g_assert_no_error(error); /* it read the capture written into the gate */
	fixture->worker_gate_done = TRUE;
}

/* Keeps a worker busy with a job of its own until the worker gate is opened. */
static void
hold_a_worker(TrackerFixture *fixture)
{
	static const JobCallbacks callbacks = {.done = worker_gate_done_cb};
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(fixture->data_dir, "worker-gate", NULL);
	gate_init(&fixture->worker_gate, path);
	g_autofree char *request = job_request_match(path, "dns");
	Job *job = job_queue_submit(fixture->jobs, request, NULL, &callbacks, fixture, &error);
	g_assert_no_error(error);
	g_assert_true(job_is_running(job));
}

static void
release_the_worker(TrackerFixture *fixture)
{
	gate_open(&fixture->worker_gate, fixture->corpus_capture);
	WAIT_FOR(fixture->worker_gate_done);
}

static SummaryState
state_of(TrackerFixture *fixture, const char *capture_id)
{
	double progress = -1;
	SummaryState state = summary_tracker_get_state(fixture->tracker, capture_id, &progress);
	g_assert_cmpfloat(progress, >=, 0);
	g_assert_cmpfloat(progress, <=, 1);
	if (state == SUMMARY_STATE_READY)
		g_assert_cmpfloat(progress, ==, 1);
	return state;
}

static SummaryWaiter *
wait_for_variant(TrackerFixture *fixture, const char *capture_id, const char *filter, guint passes,
		 Answer *answer)
{
	return summary_tracker_wait(fixture->tracker, capture_id, filter, passes, answer_cb, answer);
}

static gboolean
variant_exists(TrackerFixture *fixture, const char *capture_id, const char *filter, guint passes)
{
	g_autofree char *variant = summary_variant_key(filter, passes);
	g_autofree char *dir = store_capture_summary_dir(fixture->store, capture_id, variant);
	return g_file_test(dir, G_FILE_TEST_IS_DIR);
}

/* A ready answer: no error, the variant's folder with the summary files in it. */
static void
assert_ready_answer(TrackerFixture *fixture, const Answer *answer, const char *capture_id, const char *variant)
{
	g_autofree char *expected_dir = store_capture_summary_dir(fixture->store, capture_id, variant);
	g_autofree char *hierarchy = summary_result_path(expected_dir, SUMMARY_RESULT_HIERARCHY, NULL);
	g_autofree char *dns = summary_result_path(expected_dir, SUMMARY_RESULT_DNS, NULL);
	g_assert_cmpuint(answer->answers, ==, 1);
	g_assert_no_error(answer->error);
	g_assert_cmpstr(answer->summary_dir, ==, expected_dir);
	g_assert_true(g_file_test(hierarchy, G_FILE_TEST_IS_REGULAR));
	g_assert_true(g_file_test(dns, G_FILE_TEST_IS_REGULAR));
}

static void
assert_error_answer(const Answer *answer, SharkapiErrorCode code, const char *words)
{
	g_assert_cmpuint(answer->answers, ==, 1);
	g_assert_error(answer->error, SHARKAPI_ERROR, code);
	g_assert_nonnull(strstr(answer->error->message, words));
}

/* A value of /metrics; -1 when the series does not exist. */
static double
metric_value(const char *series)
{
	g_autofree char *text = metrics_render();
	g_autofree char *prefix = g_strconcat(series, " ", NULL);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], prefix))
			return g_ascii_strtod(lines[i] + strlen(prefix), NULL);
	}
	return -1;
}

/* ---- tests ---- */

static void
test_variant_keys(void)
{
	g_autofree char *plain = summary_variant_key(NULL, 1);
	g_autofree char *empty = summary_variant_key("", 0);
	g_autofree char *filtered = summary_variant_key("dns", 1);
	g_autofree char *two_pass = summary_variant_key("", 2);
	g_autofree char *filtered_two_pass = summary_variant_key("dns", 2);
	g_assert_cmpstr(plain, ==, "default");
	g_assert_cmpstr(empty, ==, "default");
	g_assert_true(g_str_has_prefix(filtered, "v-"));
	g_assert_cmpuint(strlen(filtered), ==, 2 + 24);
	g_assert_cmpstr(filtered, !=, two_pass);
	g_assert_cmpstr(filtered, !=, filtered_two_pass);
	g_assert_cmpstr(two_pass, !=, filtered_two_pass);
	g_assert_cmpstr(summary_state_to_string(SUMMARY_STATE_QUEUED), ==, "queued");
	g_assert_cmpstr(summary_state_to_string(SUMMARY_STATE_RUNNING), ==, "running");
	g_assert_cmpstr(summary_state_to_string(SUMMARY_STATE_READY), ==, "ready");
	g_assert_cmpstr(summary_state_to_string(SUMMARY_STATE_FAILED), ==, "failed");
}

/* queued -> running (an idle worker takes it at once) -> ready; then answered at once, and
 * starting it again starts nothing. */
static void
test_default_summary_ready(TrackerFixture *fixture, gconstpointer data)
{
	g_auto(Answer) parked = {0}, at_once = {0};
	g_autofree char *id = add_capture(fixture);

	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_QUEUED);
	summary_tracker_start(fixture->tracker, id);
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_RUNNING);
	g_assert_nonnull(wait_for_variant(fixture, id, NULL, 1, &parked));
	g_assert_cmpuint(parked.answers, ==, 0);
	WAIT_FOR(parked.answers > 0);
	assert_ready_answer(fixture, &parked, id, "default");
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_READY);

	g_assert_null(wait_for_variant(fixture, id, "", 1, &at_once));
	assert_ready_answer(fixture, &at_once, id, "default");
	summary_tracker_start(fixture->tracker, id);
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_READY);
	g_assert_cmpuint(job_queue_count_idle_workers(fixture->jobs), ==, 1);
	g_assert_cmpuint(store_summary_budget_get_used(fixture->budget), ==, 0); /* the default is not counted */
}

/* Behind a busy worker the summary is queued; every parked request gets the one run's answer. */
static void
test_queued_then_running(TrackerFixture *fixture, gconstpointer data)
{
	g_auto(Answer) first = {0}, second = {0};
	g_autofree char *id = add_capture(fixture);

	hold_a_worker(fixture);
	summary_tracker_start(fixture->tracker, id);
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_QUEUED);
	SummaryWaiter *waiter = wait_for_variant(fixture, id, NULL, 1, &first);
	g_assert_nonnull(waiter);
	g_assert_cmpfloat(summary_waiter_get_progress(waiter), ==, 0);
	g_assert_nonnull(wait_for_variant(fixture, id, NULL, 1, &second));

	release_the_worker(fixture);
	/* The queue handed the freed worker the summary as the other job ended. */
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_RUNNING);
	g_assert_cmpuint(first.answers + second.answers, ==, 0);
	WAIT_FOR(first.answers > 0);
	assert_ready_answer(fixture, &first, id, "default");
	assert_ready_answer(fixture, &second, id, "default");
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_READY);
}

/* Past the wait limit a request is told 503 "it goes on", and the run does complete. */
static void
test_wait_limit(TrackerFixture *fixture, gconstpointer data)
{
	g_auto(Answer) early = {0}, later = {0};
	g_autofree char *id = add_capture(fixture);
	g_autofree char *variant = summary_variant_key("dns", 1);

	hold_a_worker(fixture);
	g_assert_nonnull(wait_for_variant(fixture, id, "dns", 1, &early));
	WAIT_FOR(early.answers > 0);
	assert_error_answer(&early, SHARKAPI_ERROR_UNAVAILABLE, "not ready after 1 s");
	g_assert_nonnull(strstr(early.error->message, "goes on"));

	release_the_worker(fixture);
	/* Completed with nobody waiting, and counted against the budget. */
	WAIT_FOR(store_summary_budget_get_used(fixture->budget) > 0);
	g_assert_true(variant_exists(fixture, id, "dns", 1));
	g_assert_null(wait_for_variant(fixture, id, "dns", 1, &later));
	assert_ready_answer(fixture, &later, id, variant);
	g_assert_false(variant_exists(fixture, id, NULL, 1)); /* a filtered request starts no default */
}

/* A filtered run every request left is withdrawn; the default summary completes regardless. */
static void
test_cancelled_requests(TrackerFixture *fixture, gconstpointer data)
{
	g_auto(Answer) filtered = {0}, plain = {0};
	g_autofree char *id = add_capture(fixture);

	hold_a_worker(fixture);
	summary_waiter_cancel(wait_for_variant(fixture, id, "udp", 1, &filtered));
	summary_waiter_cancel(wait_for_variant(fixture, id, NULL, 1, &plain));
	release_the_worker(fixture);
	WAIT_FOR(state_of(fixture, id) == SUMMARY_STATE_READY);
	/* Nothing ran after the default summary: the filtered job had left the queue. */
	g_assert_cmpuint(job_queue_count_idle_workers(fixture->jobs), ==, 1);
	g_assert_false(variant_exists(fixture, id, "udp", 1));
	g_assert_cmpuint(filtered.answers + plain.answers, ==, 0);
	g_assert_cmpuint(store_summary_budget_get_used(fixture->budget), ==, 0);
}

/* A two-pass variant leaves its worker warm: the next two-pass variant skips the first pass. */
static void
test_two_pass_variants(TrackerFixture *fixture, gconstpointer data)
{
	g_auto(Answer) plain = {0}, filtered = {0};
	g_autofree char *id = add_capture(fixture);
	g_autofree char *capture_path = store_capture_file(fixture->store, id);
	g_autofree char *plain_key = summary_variant_key(NULL, 2);
	g_autofree char *filtered_key = summary_variant_key("dns", 2);

	g_assert_nonnull(wait_for_variant(fixture, id, NULL, 2, &plain));
	WAIT_FOR(plain.answers > 0);
	assert_ready_answer(fixture, &plain, id, plain_key);
	g_assert_cmpuint(job_queue_get_first_passes(fixture->jobs, capture_path), ==, 1);

	g_assert_nonnull(wait_for_variant(fixture, id, "dns", 2, &filtered));
	WAIT_FOR(filtered.answers > 0);
	assert_ready_answer(fixture, &filtered, id, filtered_key);
	g_assert_cmpuint(job_queue_get_first_passes(fixture->jobs, capture_path), ==, 1);
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_QUEUED); /* the default never ran */
}

/* Kills the worker inside the capture gate's job twice, checking it was retried between. */
static void
kill_summary_worker_twice(TrackerFixture *fixture, const char *capture_id, const Answer *answer)
{
	pid_t first = gate_wait_for_reader(&fixture->capture_gate);
	g_assert_cmpint(state_of(fixture, capture_id), ==, SUMMARY_STATE_RUNNING);
	kill_worker(first);
	gate_forget_reader(&fixture->capture_gate);
	pid_t second = gate_wait_for_reader(&fixture->capture_gate);
	g_assert_cmpint(second, !=, first);
	g_assert_cmpuint(answer->answers, ==, 0);
	kill_worker(second);
}

/* The default summary's worker dies, is retried once, dies again: failed for good (422), in
 * the store, for every later request, and not resumed. */
static void
test_crash_twice_fails(TrackerFixture *fixture, gconstpointer data)
{
	g_auto(Answer) parked = {0}, later = {0};
	g_autoptr(GError) error = NULL;
	const char *const warnings[] = {"worker * died: *", "worker * died: *", "summary of * (default) failed: *",
					NULL};
	g_autofree char *id = add_capture(fixture);

	gate_capture(fixture, id);
	summary_tracker_start(fixture->tracker, id);
	g_assert_nonnull(wait_for_variant(fixture, id, NULL, 1, &parked));
	kill_summary_worker_twice(fixture, id, &parked);
	WAIT_FOR(parked.answers > 0);
	assert_error_answer(&parked, SHARKAPI_ERROR_UNPROCESSABLE, "twice");
	assert_warnings(warnings);
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_FAILED);

	g_autoptr(StoreCapture) capture = store_capture_get(fixture->store, id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(capture->analysis_failed, ==, parked.error->message);
	g_assert_null(wait_for_variant(fixture, id, NULL, 1, &later));
	assert_error_answer(&later, SHARKAPI_ERROR_UNPROCESSABLE, "twice");
	g_assert_cmpstr(later.error->message, ==, parked.error->message);
	summary_tracker_resume_all(fixture->tracker);
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_FAILED);
}

/* A time limit is no verdict on the capture: nothing is recorded, and after a restart the
 * summary is started again. */
static void
test_time_limit_not_final(TrackerFixture *fixture, gconstpointer data)
{
	g_auto(Answer) parked = {0};
	g_autoptr(GError) error = NULL;
	const char *const warnings[] = {"job over its time limit of 1 s: *", "worker * died: *",
					"summary of * (default) failed: *", NULL};
	g_autofree char *id = add_capture(fixture);

	gate_capture(fixture, id);
	summary_tracker_start(fixture->tracker, id);
	g_assert_nonnull(wait_for_variant(fixture, id, NULL, 1, &parked));
	WAIT_FOR(parked.answers > 0);
	assert_error_answer(&parked, SHARKAPI_ERROR_UNAVAILABLE, "time limit");
	assert_warnings(warnings);
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_QUEUED);
	g_autoptr(StoreCapture) capture = store_capture_get(fixture->store, id, &error);
	g_assert_cmpstr(capture->analysis_failed, ==, "");

	WAIT_FOR(job_queue_count_idle_workers(fixture->jobs) == 1);
	summary_tracker_resume_all(fixture->tracker);
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_RUNNING);
}

/* With the queue full, default summaries wait in the tracker (once each) and start as room
 * appears; a capture deleted meanwhile is dropped from the line. */
static void
test_deferred_while_queue_full(TrackerFixture *fixture, gconstpointer data)
{
	g_autofree char *first = add_capture(fixture);
	g_autofree char *second = add_capture(fixture);
	g_autofree char *deleted = add_capture(fixture);

	hold_a_worker(fixture);
	summary_tracker_start(fixture->tracker, first); /* takes the one place in the queue */
	summary_tracker_start(fixture->tracker, second);
	summary_tracker_start(fixture->tracker, deleted);
	summary_tracker_start(fixture->tracker, second);
	g_assert_cmpfloat(metric_value("sharkapi_summaries_deferred"), ==, 2);
	summary_tracker_forget(fixture->tracker, deleted);
	g_assert_cmpfloat(metric_value("sharkapi_summaries_deferred"), ==, 1);

	release_the_worker(fixture);
	WAIT_FOR(state_of(fixture, first) == SUMMARY_STATE_READY);
	WAIT_FOR(state_of(fixture, second) == SUMMARY_STATE_READY);
	WAIT_FOR(metric_value("sharkapi_summaries_deferred") == 0);
	g_assert_cmpuint(job_queue_count_idle_workers(fixture->jobs), ==, 1);
	g_assert_cmpint(state_of(fixture, deleted), ==, SUMMARY_STATE_QUEUED);
	g_assert_false(variant_exists(fixture, deleted, NULL, 1));
}

/* A deleted capture: its parked requests get 404 at once, its running job's worker is stopped
 * (no warning) and replaced, its waiting jobs leave the queue. */
static void
test_forget_running(TrackerFixture *fixture, gconstpointer data)
{
	g_auto(Answer) plain = {0}, filtered = {0};
	g_autofree char *id = add_capture(fixture);

	gate_capture(fixture, id);
	summary_tracker_start(fixture->tracker, id);
	g_assert_nonnull(wait_for_variant(fixture, id, NULL, 1, &plain));
	g_assert_nonnull(wait_for_variant(fixture, id, "dns", 1, &filtered));
	pid_t worker = gate_wait_for_reader(&fixture->capture_gate);
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_RUNNING);

	summary_tracker_forget(fixture->tracker, id);
	assert_error_answer(&plain, SHARKAPI_ERROR_NOT_FOUND, "deleted");
	assert_error_answer(&filtered, SHARKAPI_ERROR_NOT_FOUND, "deleted");
	WAIT_FOR(process_is_gone(worker));
	WAIT_FOR(job_queue_count_idle_workers(fixture->jobs) == 1);
	g_assert_cmpint(state_of(fixture, id), ==, SUMMARY_STATE_QUEUED);
}

/* After a restart: a capture without its default summary is started, a failed one and a ready
 * one are not; one an older version wrote (its format file older, or none) is computed again. */
static void
test_resume_all(TrackerFixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *pending = add_capture(fixture);
	g_autofree char *failed = add_capture(fixture);
	g_autofree char *ready = add_capture(fixture);
	g_autofree char *outdated = add_capture(fixture);
	g_assert_true(store_capture_set_analysis_failed(fixture->store, failed, "crashed twice", &error));
	g_autofree char *ready_dir = store_capture_summary_dir(fixture->store, ready, "default");
	g_assert_cmpint(g_mkdir_with_parents(ready_dir, 0750), ==, 0);
	g_autofree char *newest = g_build_filename(ready_dir, WORKER_RESULT_FORMAT, NULL);
	g_assert_true(g_file_set_contents(newest, WORKER_SUMMARY_FORMAT "\n", -1, &error));
	g_autofree char *outdated_dir = store_capture_summary_dir(fixture->store, outdated, "default");
	g_assert_cmpint(g_mkdir_with_parents(outdated_dir, 0750), ==, 0);
	g_autofree char *older = g_build_filename(outdated_dir, WORKER_RESULT_FORMAT, NULL);
	g_assert_true(g_file_set_contents(older, "1\n", -1, &error));
	g_assert_cmpint(state_of(fixture, outdated), ==, SUMMARY_STATE_QUEUED);

	summary_tracker_resume_all(fixture->tracker);
	g_assert_cmpint(state_of(fixture, pending), ==, SUMMARY_STATE_RUNNING);
	g_assert_cmpint(state_of(fixture, failed), ==, SUMMARY_STATE_FAILED);
	g_assert_cmpint(state_of(fixture, ready), ==, SUMMARY_STATE_READY);
	WAIT_FOR(state_of(fixture, pending) == SUMMARY_STATE_READY);
	WAIT_FOR(state_of(fixture, outdated) == SUMMARY_STATE_READY);
	g_autofree char *recomputed = g_build_filename(outdated_dir, WORKER_RESULT_FORMAT, NULL);
	g_autofree char *format = NULL;
	g_assert_true(g_file_get_contents(recomputed, &format, NULL, &error));
	g_assert_cmpstr(format, ==, WORKER_SUMMARY_FORMAT "\n");
	g_autofree char *series = g_build_filename(outdated_dir, WORKER_RESULT_IO_FOLDER, NULL);
	g_assert_true(g_file_test(series, G_FILE_TEST_IS_DIR));
	g_assert_cmpuint(job_queue_count_idle_workers(fixture->jobs), ==, 1);
	g_assert_false(variant_exists(fixture, failed, NULL, 1));
}

/* Relative paths of every file below dir, sorted. */
static void
list_files(const char *dir, const char *prefix, GPtrArray *paths)
{
	g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
	const char *name;
	g_assert_nonnull(listing);
	while ((name = g_dir_read_name(listing)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *relative = *prefix != '\0' ? g_build_filename(prefix, name, NULL) : g_strdup(name);
		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			list_files(path, relative, paths);
		else
			g_ptr_array_add(paths, g_steal_pointer(&relative));
	}
}

static int
compare_paths(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static void
assert_same_files(const char *expected_dir, const char *actual_dir)
{
	g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) actual = g_ptr_array_new_with_free_func(g_free);
	list_files(expected_dir, "", expected);
	list_files(actual_dir, "", actual);
	g_ptr_array_sort(expected, compare_paths);
	g_ptr_array_sort(actual, compare_paths);
	g_assert_cmpuint(actual->len, ==, expected->len);
	g_assert_cmpuint(expected->len, >, 0);
	for (guint i = 0; i < expected->len; i++) {
		const char *name = g_ptr_array_index(expected, i);
		g_autofree char *expected_path = g_build_filename(expected_dir, name, NULL);
		g_autofree char *actual_path = g_build_filename(actual_dir, g_ptr_array_index(actual, i), NULL);
		g_autofree char *expected_text = NULL, *actual_text = NULL;
		g_assert_cmpstr(g_ptr_array_index(actual, i), ==, name);
		g_assert_true(g_file_get_contents(expected_path, &expected_text, NULL, NULL));
		g_assert_true(g_file_get_contents(actual_path, &actual_text, NULL, NULL));
		g_assert_cmpstr(actual_text, ==, expected_text);
	}
}

/* A default summary split over two idle workers and merged writes what one pass writes. */
static void
test_sharded_as_one_pass(TrackerFixture *fixture, gconstpointer data)
{
	const char *merged = "sharkapi_summary_shard_runs_total{outcome=\"merged\"}";
	g_autofree char *sharded = add_capture(fixture);
	g_autofree char *single = add_capture(fixture);
	double merged_before = MAX(metric_value(merged), 0);

	summary_tracker_set_sharding(fixture->tracker, 2, 1);
	summary_tracker_start(fixture->tracker, sharded);
	g_assert_cmpint(job_queue_count_idle_workers(fixture->jobs), ==, 0); /* both shards running */
	WAIT_FOR(state_of(fixture, sharded) == SUMMARY_STATE_READY);
	g_assert_cmpfloat(metric_value(merged), ==, merged_before + 1);

	summary_tracker_set_sharding(fixture->tracker, 0, 0);
	summary_tracker_start(fixture->tracker, single);
	WAIT_FOR(state_of(fixture, single) == SUMMARY_STATE_READY);
	g_autofree char *sharded_dir = store_capture_summary_dir(fixture->store, sharded, "default");
	g_autofree char *single_dir = store_capture_summary_dir(fixture->store, single, "default");
	assert_same_files(single_dir, sharded_dir);
	g_assert_cmpfloat(metric_value(merged), ==, merged_before + 1);
	/* No partial results left beside the folder. */
	g_autofree char *summary_root = store_capture_summary_dir(fixture->store, sharded, "");
	g_autoptr(GPtrArray) left = g_ptr_array_new_with_free_func(g_free);
	list_files(summary_root, "", left);
	for (guint i = 0; i < left->len; i++)
		g_assert_true(g_str_has_prefix(g_ptr_array_index(left, i), "default/"));
}

static const TrackerSettings one_worker = {.workers = 1, .queue_limit = 8};
static const TrackerSettings one_worker_limit_one = {.workers = 1, .queue_limit = 1};
static const TrackerSettings one_worker_wait_one_second = {.workers = 1, .queue_limit = 8, .wait_limit = 1};
static const TrackerSettings one_worker_job_one_second = {.workers = 1, .queue_limit = 8, .job_timeout = 1};
static const TrackerSettings two_workers = {.workers = 2, .queue_limit = 8};

static void
add_tracker_test(const char *path, const TrackerSettings *settings, void (*func)(TrackerFixture *, gconstpointer))
{
	g_test_add(path, TrackerFixture, settings, tracker_fixture_set_up, func, tracker_fixture_tear_down);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_test_init(&argc, &argv, NULL);
	unit_worker_init();
	if (!capinfo_init(&error))
		g_error("capinfo_init: %s", error->message);
	g_test_add_func("/summary-tracker/variant-keys", test_variant_keys);
	add_tracker_test("/summary-tracker/default-ready", &one_worker, test_default_summary_ready);
	add_tracker_test("/summary-tracker/queued-then-running", &one_worker, test_queued_then_running);
	add_tracker_test("/summary-tracker/wait-limit", &one_worker_wait_one_second, test_wait_limit);
	add_tracker_test("/summary-tracker/cancelled-requests", &one_worker, test_cancelled_requests);
	add_tracker_test("/summary-tracker/two-pass-variants", &one_worker, test_two_pass_variants);
	add_tracker_test("/summary-tracker/crash-twice-fails", &one_worker, test_crash_twice_fails);
	add_tracker_test("/summary-tracker/time-limit-not-final", &one_worker_job_one_second,
			 test_time_limit_not_final);
	add_tracker_test("/summary-tracker/deferred-while-queue-full", &one_worker_limit_one,
			 test_deferred_while_queue_full);
	add_tracker_test("/summary-tracker/forget-running", &one_worker, test_forget_running);
	add_tracker_test("/summary-tracker/resume-all", &one_worker, test_resume_all);
	add_tracker_test("/summary-tracker/sharded-as-one-pass", &two_workers, test_sharded_as_one_pass);
	return g_test_run();
}
