/* test-job-queue.c: the job queue with real sharkapi-worker processes on a corpus capture: jobs
 * run to their END or ERROR in order; the queue limit (503); cancelling a waiting and a running
 * job; a worker death retried once and a second one answered 422; a death before the worker
 * read the job not counted; the time limit; routing to the worker that keeps a capture warm,
 * forgetting it, and recycling grown workers.
 * A "gate" keeps a worker busy for exactly as long as a test needs: the job's capture path is a
 * FIFO, on which the worker waits until the test writes a real capture into it. Workers are
 * killed from outside, as the OOM killer would, found by the file they hold open. Waits turn
 * the main context until a condition holds, failing after WAIT_LIMIT_SECONDS. Gates, waits and
 * the /proc look-ups are shared with test-summary-tracker.c (unit-worker.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "file-tree.h"
#include "jobs/job-queue.h"
#include "jobs/job-requests.h"
#include "sharkapi-error.h"
#include "unit-worker.h"

#define CORPUS_CAPTURE "sv-dns-udp-a-aaaa-mx.pcap" /* 6 DNS frames, the MX query is frame 5 */
#define MX_QUERY_FILTER "dns.qry.type == 15"

/* The one live worker of a one-worker queue. */
static pid_t
only_worker(void)
{
	g_autoptr(GArray) pids = live_workers();
	g_assert_cmpuint(pids->len, ==, 1);
	return g_array_index(pids, pid_t, 0);
}

/* ---- jobs ---- */

/* What became of one job. */
typedef struct {
	gboolean done;
	guint order; /* 1 for the first job of the test to end, ... */
	JsonObject *result;
	GError *error;
	GString *data;
} Outcome;

static guint outcomes_ended;

static void
outcome_clear(Outcome *outcome)
{
	g_clear_pointer(&outcome->result, json_object_unref);
	g_clear_error(&outcome->error);
	if (outcome->data != NULL)
		g_string_free(outcome->data, TRUE);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Outcome, outcome_clear)

static gboolean
outcome_data_cb(Job *job, GBytes *chunk, gpointer user_data)
{
	Outcome *outcome = user_data;
	gsize length = 0;
	const char *bytes = g_bytes_get_data(chunk, &length);
	if (outcome->data == NULL)
		outcome->data = g_string_new(NULL);
	g_string_append_len(outcome->data, bytes, (gssize)length);
	return FALSE;
}

static void
outcome_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	Outcome *outcome = user_data;
	g_assert_false(outcome->done); /* exactly once */
	outcome->done = TRUE;
	outcome->order = ++outcomes_ended;
	outcome->result = result != NULL ? json_object_ref(result) : NULL;
	outcome->error = error != NULL ? g_error_copy(error) : NULL;
}

static const JobCallbacks outcome_callbacks = {.data = outcome_data_cb, .done = outcome_done_cb};

/* Frame numbers of the first three frames, streamed. */
static char *
fields_request(const char *capture, guint passes)
{
	g_autoptr(GPtrArray) fields = g_ptr_array_new();
	g_ptr_array_add(fields, (gpointer) "frame.number");
	return job_request_fields(capture, fields, "frame.number <= 3", passes, -1, 0, FALSE);
}

static void
assert_matched_mx_query(const Outcome *outcome)
{
	g_assert_true(outcome->done);
	g_assert_no_error(outcome->error);
	g_assert_true(json_object_get_boolean_member(outcome->result, "matched"));
	g_assert_cmpint(json_object_get_int_member(outcome->result, "frames"), ==, 5);
}

static void
assert_three_rows(const Outcome *outcome)
{
	g_assert_true(outcome->done);
	g_assert_no_error(outcome->error);
	g_assert_cmpint(json_object_get_int_member(outcome->result, "rows"), ==, 3);
	g_assert_nonnull(outcome->data);
	g_assert_cmpuint(outcome->data->len, >, 0);
}

/* ---- fixture ---- */

typedef struct {
	guint workers;
	guint queue_limit;
	guint job_timeout;
	guint64 worker_recycle_rss;
} QueueSettings;

typedef struct {
	char *dir;
	char *capture; /* the corpus capture, copied into dir */
	JobQueue *jobs;
	Gate gates[2];
} QueueFixture;

static void
copy_corpus_capture(const char *name, const char *target)
{
	g_autofree char *source = g_build_filename(SHARKAPI_CAPTURES_DIR, name, NULL);
	g_autofree char *contents = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(source, &contents, &length, NULL));
	g_assert_true(g_file_set_contents(target, contents, (gssize)length, NULL));
}

static void
queue_fixture_set_up(QueueFixture *fixture, gconstpointer data)
{
	const QueueSettings *settings = data;
	g_autoptr(GError) error = NULL;
	fixture->dir = make_test_dir("sharkapi-unit-jobs-XXXXXX");
	g_autofree char *home = g_build_filename(fixture->dir, "worker-home", NULL);
	g_assert_cmpint(g_mkdir(home, 0700), ==, 0);
	fixture->capture = g_build_filename(fixture->dir, "capture.pcap", NULL);
	copy_corpus_capture(CORPUS_CAPTURE, fixture->capture);
	for (guint k = 0; k < G_N_ELEMENTS(fixture->gates); k++) {
		g_autofree char *path = g_strdup_printf("%s/gate-%u", fixture->dir, k);
		gate_init(&fixture->gates[k], path);
	}
	JobQueueOptions options = {
		.worker_path = SHARKAPI_WORKER_EXECUTABLE,
		.worker_home = home,
		.workers = settings->workers,
		.job_timeout = settings->job_timeout,
		.queue_limit = settings->queue_limit,
		.worker_recycle_rss = settings->worker_recycle_rss,
	};
	fixture->jobs = job_queue_new(&options, &error);
	g_assert_no_error(error);
	/* Every worker said HELLO. */
	WAIT_FOR(job_queue_count_idle_workers(fixture->jobs) == settings->workers);
	outcomes_ended = 0;
}

static void
queue_fixture_tear_down(QueueFixture *fixture, gconstpointer data)
{
	g_clear_pointer(&fixture->jobs, job_queue_free);
	WAIT_FOR(live_worker_count() == 0);
	assert_warnings(NULL);
	gate_clear(&fixture->gates[0]);
	gate_clear(&fixture->gates[1]);
	g_assert_true(file_tree_remove(fixture->dir, NULL));
	g_free(fixture->capture);
	free(fixture->dir);
}

static Job *
submit(QueueFixture *fixture, const char *request, const char *warm_key, Outcome *outcome)
{
	g_autoptr(GError) error = NULL;
	Job *job = job_queue_submit(fixture->jobs, request, warm_key, &outcome_callbacks, outcome, &error);
	g_assert_no_error(error);
	g_assert_nonnull(job);
	return job;
}

/* A job that waits at gate k until the test opens it. */
static Job *
submit_gated(QueueFixture *fixture, guint k, Outcome *outcome)
{
	g_autofree char *request = job_request_match(fixture->gates[k].path, MX_QUERY_FILTER);
	return submit(fixture, request, NULL, outcome);
}

/* ---- tests ---- */

/* END answers a job; ERROR fails one and the worker stays for the next. */
static void
test_jobs_run_to_end(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) match = {0}, bad_filter = {0}, fields = {0};
	pid_t worker = only_worker();
	g_autofree char *match_line = job_request_match(fixture->capture, MX_QUERY_FILTER);
	g_autofree char *bad_line = job_request_match(fixture->capture, "dns.qry.type ===");
	g_autofree char *fields_line = fields_request(fixture->capture, 1);

	submit(fixture, match_line, NULL, &match);
	WAIT_FOR(match.done);
	assert_matched_mx_query(&match);

	submit(fixture, bad_line, NULL, &bad_filter);
	WAIT_FOR(bad_filter.done);
	g_assert_error(bad_filter.error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST);
	g_assert_null(bad_filter.result);

	submit(fixture, fields_line, NULL, &fields);
	WAIT_FOR(fields.done);
	assert_three_rows(&fields);
	g_assert_cmpint(only_worker(), ==, worker);
}

/* Past queue_limit waiting jobs a submit is a 503; the waiting ones run in order. */
static void
test_queue_limit(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) gate = {0}, first = {0}, second = {0}, refused = {0};
	g_autoptr(GError) error = NULL;
	g_autofree char *request = job_request_match(fixture->capture, MX_QUERY_FILTER);

	g_assert_true(job_is_running(submit_gated(fixture, 0, &gate)));
	Job *first_job = submit(fixture, request, NULL, &first);
	Job *second_job = submit(fixture, request, NULL, &second);
	g_assert_false(job_is_running(first_job));
	g_assert_false(job_is_running(second_job));
	g_assert_cmpuint(job_queue_count_idle_workers(fixture->jobs), ==, 0);
	g_assert_null(job_queue_submit(fixture->jobs, request, NULL, &outcome_callbacks, &refused, &error));
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE);
	g_assert_nonnull(strstr(error->message, "2 jobs waiting"));

	gate_open(&fixture->gates[0], fixture->capture);
	WAIT_FOR(second.done);
	assert_matched_mx_query(&gate);
	assert_matched_mx_query(&first);
	assert_matched_mx_query(&second);
	g_assert_cmpuint(gate.order, ==, 1);
	g_assert_cmpuint(first.order, ==, 2);
	g_assert_cmpuint(second.order, ==, 3);
	g_assert_false(refused.done);

	submit(fixture, request, NULL, &refused); /* room again */
	WAIT_FOR(refused.done);
	assert_matched_mx_query(&refused);
}

/* A quick job (a filter check) waits ahead of the jobs already queued, behind earlier quick
 * ones: with one worker busy, a match queued first, then two filter checks, the checks run
 * first and in their own order. */
static void
test_quick_jobs_go_first(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) gate = {0}, match = {0}, check = {0}, second_check = {0};
	g_autoptr(GError) error = NULL;
	g_autofree char *request = job_request_match(fixture->capture, MX_QUERY_FILTER);
	g_autofree char *check_request = job_request_check_filter(MX_QUERY_FILTER);

	submit_gated(fixture, 0, &gate);
	submit(fixture, request, NULL, &match);
	g_assert_nonnull(job_queue_submit_quick(fixture->jobs, check_request, &outcome_callbacks, &check, &error));
	g_assert_nonnull(
		job_queue_submit_quick(fixture->jobs, check_request, &outcome_callbacks, &second_check, &error));
	gate_open(&fixture->gates[0], fixture->capture);
	WAIT_FOR(match.done);
	assert_matched_mx_query(&match);
	g_assert_true(check.done && check.error == NULL);
	g_assert_true(second_check.done && second_check.error == NULL);
	g_assert_cmpuint(check.order, ==, 2);
	g_assert_cmpuint(second_check.order, ==, 3);
	g_assert_cmpuint(match.order, ==, 4);
}

/* A cancelled waiting job leaves the queue (its place is free) and never reaches a worker:
 * it would wait at gate 1, which nobody opens, and hold up the job behind it for ever. */
static void
test_cancel_waiting(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) gate = {0}, cancelled = {0}, next = {0};
	g_autofree char *request = job_request_match(fixture->capture, MX_QUERY_FILTER);

	submit_gated(fixture, 0, &gate);
	Job *waiting = submit_gated(fixture, 1, &cancelled);
	g_assert_false(job_is_running(waiting));
	job_cancel(waiting);
	submit(fixture, request, NULL, &next); /* queue_limit 1: only with the place freed */

	gate_open(&fixture->gates[0], fixture->capture);
	WAIT_FOR(next.done);
	assert_matched_mx_query(&gate);
	assert_matched_mx_query(&next);
	g_assert_false(cancelled.done);
	g_assert_cmpuint(job_queue_count_idle_workers(fixture->jobs), ==, 1);
}

/* Cancelling a running job stops its worker, with no callback and no warning; a fresh worker
 * takes its place. */
static void
test_cancel_running(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) gate = {0}, next = {0};
	g_autofree char *request = job_request_match(fixture->capture, MX_QUERY_FILTER);

	Job *running = submit_gated(fixture, 0, &gate);
	pid_t worker = gate_wait_for_reader(&fixture->gates[0]);
	job_cancel(running);
	WAIT_FOR(process_is_gone(worker));
	WAIT_FOR(job_queue_count_idle_workers(fixture->jobs) == 1);
	g_assert_cmpint(only_worker(), !=, worker);

	submit(fixture, request, NULL, &next);
	WAIT_FOR(next.done);
	assert_matched_mx_query(&next);
	g_assert_false(gate.done);
}

/* Kills the worker inside the gate's job `deaths` times; returns the last one killed. */
static pid_t
kill_gate_readers(QueueFixture *fixture, guint deaths, const Outcome *outcome)
{
	pid_t previous = 0;
	for (guint i = 0; i < deaths; i++) {
		pid_t reader = gate_wait_for_reader(&fixture->gates[0]);
		g_assert_cmpint(reader, !=, previous); /* each attempt on a fresh worker */
		g_assert_false(outcome->done);
		kill_worker(reader);
		gate_forget_reader(&fixture->gates[0]);
		previous = reader;
	}
	return previous;
}

/* A worker that dies inside a job (after reading it, before any answer) costs the job one
 * attempt: it is retried once on a fresh worker; the second death is a 422. */
static void
test_retry_once_then_422(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) gate = {0};
	const char *const warnings[] = {"worker * died: *", "worker * died: *", NULL};

	submit_gated(fixture, 0, &gate);
	kill_gate_readers(fixture, 2, &gate);
	WAIT_FOR(gate.done);
	g_assert_error(gate.error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNPROCESSABLE);
	g_assert_nonnull(strstr(gate.error->message, "twice"));
	assert_warnings(warnings);
	WAIT_FOR(job_queue_count_idle_workers(fixture->jobs) == 1); /* the pool is whole again */
}

/* A worker that dies before it read the job (stopped, then killed) is not the job's fault: the
 * job still has both its attempts. */
static void
test_unread_job_death_not_counted(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) gate = {0};
	const char *const warnings[] = {"worker * died: *", "worker * died: *", "worker * died: *", NULL};
	pid_t stopped = only_worker();

	g_assert_cmpint(kill(stopped, SIGSTOP), ==, 0);
	WAIT_FOR(process_state(stopped, NULL) == 'T');
	g_assert_true(job_is_running(submit_gated(fixture, 0, &gate)));
	kill_worker(stopped);
	kill_gate_readers(fixture, 2, &gate);
	WAIT_FOR(gate.done);
	g_assert_error(gate.error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNPROCESSABLE);
	assert_warnings(warnings);
}

/* A job over the time limit is a 503 and its worker is replaced. */
static void
test_time_limit(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) gate = {0};
	const char *const warnings[] = {"job over its time limit of 1 s: killing worker *", "worker * died: *", NULL};

	submit_gated(fixture, 0, &gate);
	WAIT_FOR(gate.done);
	g_assert_error(gate.error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE);
	g_assert_nonnull(strstr(gate.error->message, "time limit of 1 s"));
	assert_warnings(warnings);
	WAIT_FOR(job_queue_count_idle_workers(fixture->jobs) == 1);
}

/* Runs a two-pass job on the capture with its warm key, to its end. */
static void
run_two_pass(QueueFixture *fixture, Outcome *outcome)
{
	g_autofree char *request = fields_request(fixture->capture, 2);
	submit(fixture, request, fixture->capture, outcome);
	WAIT_FOR(outcome->done);
	assert_three_rows(outcome);
}

/* A two-pass job goes to the worker that keeps its capture's first pass, which is not counted
 * as idle; forgetting the key replaces that worker and the count. */
static void
test_warm_routing(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) first = {0}, again = {0}, after_forget = {0};

	run_two_pass(fixture, &first);
	g_assert_cmpuint(job_queue_get_first_passes(fixture->jobs, fixture->capture), ==, 1);
	pid_t warm = worker_holding(fixture->capture); /* its two-pass session keeps the file open */
	g_assert_cmpint(warm, !=, 0);
	g_assert_cmpuint(job_queue_count_idle_workers(fixture->jobs), ==, 1);

	run_two_pass(fixture, &again);
	g_assert_cmpuint(job_queue_get_first_passes(fixture->jobs, fixture->capture), ==, 1);
	g_assert_cmpstr(again.data->str, ==, first.data->str);
	g_assert_cmpint(worker_holding(fixture->capture), ==, warm);

	job_queue_forget_warm_key(fixture->jobs, fixture->capture);
	g_assert_cmpuint(job_queue_get_first_passes(fixture->jobs, fixture->capture), ==, 0);
	WAIT_FOR(process_is_gone(warm));
	WAIT_FOR(job_queue_count_idle_workers(fixture->jobs) == 2);

	run_two_pass(fixture, &after_forget);
	g_assert_cmpuint(job_queue_get_first_passes(fixture->jobs, fixture->capture), ==, 1);
}

/* A two-pass job waits for its warm worker even while another worker is idle. */
static void
test_warm_job_waits_for_its_worker(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) warm_up = {0}, cold_gate = {0}, warm_gate = {0}, waiting = {0};
	g_autofree char *request = fields_request(fixture->capture, 2);

	run_two_pass(fixture, &warm_up);
	pid_t warm = worker_holding(fixture->capture);
	/* A job without a key prefers the worker that keeps nothing warm. */
	submit_gated(fixture, 0, &cold_gate);
	g_assert_cmpint(gate_wait_for_reader(&fixture->gates[0]), !=, warm);
	submit_gated(fixture, 1, &warm_gate);
	g_assert_cmpint(gate_wait_for_reader(&fixture->gates[1]), ==, warm);

	Job *two_pass = submit(fixture, request, fixture->capture, &waiting);
	gate_open(&fixture->gates[0], fixture->capture);
	WAIT_FOR(cold_gate.done);
	g_assert_false(job_is_running(two_pass));
	g_assert_cmpuint(job_queue_count_idle_workers(fixture->jobs), ==, 0);

	gate_open(&fixture->gates[1], fixture->capture);
	WAIT_FOR(waiting.done);
	assert_three_rows(&waiting);
	/* The gate's one-pass job on the warm worker dropped its first pass: it ran again. */
	g_assert_cmpuint(job_queue_get_first_passes(fixture->jobs, fixture->capture), ==, 2);
}

/* Over the recycle size a worker is replaced after its job, unless it keeps a capture warm. */
static void
test_recycle(QueueFixture *fixture, gconstpointer data)
{
	g_auto(Outcome) match = {0}, warm_up = {0}, again = {0};
	g_autofree char *request = job_request_match(fixture->capture, MX_QUERY_FILTER);
	pid_t before = only_worker();

	submit(fixture, request, NULL, &match);
	WAIT_FOR(match.done);
	assert_matched_mx_query(&match);
	WAIT_FOR(process_is_gone(before));
	WAIT_FOR(job_queue_count_idle_workers(fixture->jobs) == 1);

	run_two_pass(fixture, &warm_up);
	pid_t warm = worker_holding(fixture->capture);
	run_two_pass(fixture, &again);
	g_assert_cmpint(worker_holding(fixture->capture), ==, warm);
	g_assert_cmpuint(job_queue_get_first_passes(fixture->jobs, fixture->capture), ==, 1);
}

static const QueueSettings one_worker = {.workers = 1, .queue_limit = 8};
static const QueueSettings one_worker_limit_one = {.workers = 1, .queue_limit = 1};
static const QueueSettings one_worker_limit_two = {.workers = 1, .queue_limit = 2};
static const QueueSettings one_worker_one_second = {.workers = 1, .queue_limit = 8, .job_timeout = 1};
static const QueueSettings one_worker_recycled = {.workers = 1, .queue_limit = 8, .worker_recycle_rss = 1};
static const QueueSettings two_workers = {.workers = 2, .queue_limit = 8};

static void
add_queue_test(const char *path, const QueueSettings *settings, void (*func)(QueueFixture *, gconstpointer))
{
	g_test_add(path, QueueFixture, settings, queue_fixture_set_up, func, queue_fixture_tear_down);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	unit_worker_init();
	add_queue_test("/job-queue/jobs-run-to-end", &one_worker, test_jobs_run_to_end);
	add_queue_test("/job-queue/queue-limit", &one_worker_limit_two, test_queue_limit);
	add_queue_test("/job-queue/quick-jobs-go-first", &one_worker, test_quick_jobs_go_first);
	add_queue_test("/job-queue/cancel-waiting", &one_worker_limit_one, test_cancel_waiting);
	add_queue_test("/job-queue/cancel-running", &one_worker, test_cancel_running);
	add_queue_test("/job-queue/retry-once-then-422", &one_worker, test_retry_once_then_422);
	add_queue_test("/job-queue/unread-job-death-not-counted", &one_worker, test_unread_job_death_not_counted);
	add_queue_test("/job-queue/time-limit", &one_worker_one_second, test_time_limit);
	add_queue_test("/job-queue/warm-routing", &two_workers, test_warm_routing);
	add_queue_test("/job-queue/warm-job-waits-for-its-worker", &two_workers, test_warm_job_waits_for_its_worker);
	add_queue_test("/job-queue/recycle", &one_worker_recycled, test_recycle);
	return g_test_run();
}
