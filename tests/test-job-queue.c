/* test-job-queue.c: the job queue with real sharkapi-worker processes on a corpus capture: jobs
 * run to their END or ERROR in order; the queue limit (503); cancelling a waiting and a running
 * job; a worker death retried once and a second one answered 422; a death before the worker
 * read the job not counted; the time limit; routing to the worker that keeps a capture warm,
 * forgetting it, and recycling grown workers.
 * A "gate" keeps a worker busy for exactly as long as a test needs: the job's capture path is a
 * FIFO, on which the worker waits until the test writes a real capture into it. Workers are
 * killed from outside, as the OOM killer would, found by the file they hold open. Waits turn
 * the main context until a condition holds, failing after WAIT_LIMIT_SECONDS.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-tree.h"
#include "jobs/job-queue.h"
#include "jobs/job-requests.h"
#include "sharkapi-error.h"

#define CORPUS_CAPTURE "sv-dns-udp-a-aaaa-mx.pcap" /* 6 DNS frames, the MX query is frame 5 */
#define MX_QUERY_FILTER "dns.qry.type == 15"
#define WAIT_LIMIT_SECONDS 120
#define WAIT_TICK_MS 20

/* ---- waiting ---- */

static gboolean
wait_tick_cb(gpointer user_data)
{
	guint *source = user_data;
	*source = 0;
	return G_SOURCE_REMOVE;
}

/* One turn of the main context, woken by a tick at the latest, so that conditions outside it
 * (a process gone, a FIFO opened) are seen too. */
static void
wait_step(gint64 deadline, const char *condition)
{
	if (g_get_monotonic_time() > deadline)
		g_error("still waiting after %d s for: %s", WAIT_LIMIT_SECONDS, condition);
	guint tick = g_timeout_add(WAIT_TICK_MS, wait_tick_cb, &tick);
	g_main_context_iteration(NULL, TRUE);
	if (tick != 0)
		g_source_remove(tick);
}

#define WAIT_FOR(condition)                                                                          \
	do {                                                                                         \
		gint64 wait_deadline = g_get_monotonic_time() + WAIT_LIMIT_SECONDS * G_USEC_PER_SEC; \
		while (!(condition))                                                                 \
			wait_step(wait_deadline, #condition);                                        \
	} while (0)

/* ---- warnings ---- */

/* Warnings the code under test logged. They are not fatal here (criticals are): a test names
 * those it causes (a worker it killed), and any other fails it at tear-down. */
static GPtrArray *logged_warnings;

static void
log_cb(const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
	if (level & G_LOG_LEVEL_WARNING)
		g_ptr_array_add(logged_warnings, g_strdup(message));
	g_log_default_handler(domain, level, message, user_data);
}

/* The warnings so far match patterns (NULL-terminated), in order; then forgets them. */
static void
assert_warnings(const char *const *patterns)
{
	guint expected = patterns != NULL ? g_strv_length((char **)patterns) : 0;
	for (guint i = 0; i < logged_warnings->len; i++)
		g_test_message("logged warning: %s", (const char *)g_ptr_array_index(logged_warnings, i));
	g_assert_cmpuint(logged_warnings->len, ==, expected);
	for (guint i = 0; i < expected; i++)
		g_assert_true(g_pattern_match_simple(patterns[i], g_ptr_array_index(logged_warnings, i)));
	g_ptr_array_set_size(logged_warnings, 0);
}

/* ---- worker processes ---- */

/* State letter of a process (R, S, T, Z...), '\0' when it is gone. */
static char
process_state(pid_t pid, pid_t *parent)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	char state = '\0';
	int parent_pid = 0;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return '\0';
	const char *name_end = strrchr(text, ')'); /* the name may hold spaces */
	if (name_end == NULL || sscanf(name_end + 1, " %c %d", &state, &parent_pid) != 2)
		return '\0';
	if (parent != NULL)
		*parent = parent_pid;
	return state;
}

static gboolean
process_is_gone(pid_t pid)
{
	char state = process_state(pid, NULL);
	return state == '\0' || state == 'Z' || state == 'X';
}

/* The workers: this process's children that have not exited. */
static GArray *
live_workers(void)
{
	GArray *pids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
	const char *name;
	while (proc != NULL && (name = g_dir_read_name(proc)) != NULL) {
		guint64 number = 0;
		pid_t parent = 0;
		if (!g_ascii_string_to_unsigned(name, 10, 1, G_MAXINT, &number, NULL))
			continue;
		pid_t pid = (pid_t)number;
		char state = process_state(pid, &parent);
		if (state != '\0' && state != 'Z' && state != 'X' && parent == getpid())
			g_array_append_val(pids, pid);
	}
	return pids;
}

static pid_t
only_worker(void)
{
	g_autoptr(GArray) pids = live_workers();
	g_assert_cmpuint(pids->len, ==, 1);
	return g_array_index(pids, pid_t, 0);
}

static gboolean
process_has_open(pid_t pid, const char *path)
{
	g_autofree char *fd_dir_path = g_strdup_printf("/proc/%d/fd", (int)pid);
	g_autoptr(GDir) fd_dir = g_dir_open(fd_dir_path, 0, NULL);
	const char *name;
	while (fd_dir != NULL && (name = g_dir_read_name(fd_dir)) != NULL) {
		g_autofree char *link = g_build_filename(fd_dir_path, name, NULL);
		g_autofree char *target = g_file_read_link(link, NULL);
		if (g_strcmp0(target, path) == 0)
			return TRUE;
	}
	return FALSE;
}

/* The live worker that has path open, 0 when none has. */
static pid_t
worker_holding(const char *path)
{
	g_autoptr(GArray) pids = live_workers();
	for (guint i = 0; i < pids->len; i++) {
		if (process_has_open(g_array_index(pids, pid_t, i), path))
			return g_array_index(pids, pid_t, i);
	}
	return 0;
}

static void
kill_worker(pid_t pid)
{
	g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
	WAIT_FOR(process_is_gone(pid));
}

/* ---- gates ---- */

typedef struct {
	char *path;
	int writer; /* -1 until a worker opened the FIFO */
} Gate;

static void
gate_init(Gate *gate, const char *dir, const char *name)
{
	gate->path = g_build_filename(dir, name, NULL);
	gate->writer = -1;
	g_assert_cmpint(mkfifo(gate->path, 0600), ==, 0);
}

/* TRUE once a worker opened the FIFO: it is inside the job. The write end held open keeps it
 * waiting in its first read. */
static gboolean
gate_has_reader(Gate *gate)
{
	if (gate->writer < 0)
		gate->writer = open(gate->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	return gate->writer >= 0;
}

/* Its reader is gone (the worker killed): the next one is another attempt at the job. */
static void
gate_forget_reader(Gate *gate)
{
	if (gate->writer >= 0)
		close(gate->writer);
	gate->writer = -1;
}

/* Waits until a worker is inside the gate's job and returns its pid. */
static pid_t
gate_wait_for_reader(Gate *gate)
{
	pid_t pid = 0;
	WAIT_FOR(gate_has_reader(gate));
	WAIT_FOR((pid = worker_holding(gate->path)) != 0);
	return pid;
}

/* Lets the job through: the worker reads the whole capture from the FIFO. */
static void
gate_open(Gate *gate, const char *capture)
{
	g_autofree char *contents = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(capture, &contents, &length, NULL));
	gate_wait_for_reader(gate);
	/* A small capture: far below a pipe's buffer, so one write takes it all. */
	g_assert_cmpint(write(gate->writer, contents, length), ==, (gssize)length);
	gate_forget_reader(gate);
}

static void
gate_clear(Gate *gate)
{
	gate_forget_reader(gate);
	g_unlink(gate->path);
	g_free(gate->path);
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

static char *
make_test_dir(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("sharkapi-unit-jobs-XXXXXX", &error);
	g_assert_no_error(error);
	/* Resolved, so it compares with the paths /proc/<pid>/fd shows. */
	char *resolved = realpath(dir, NULL);
	g_assert_nonnull(resolved);
	return resolved;
}

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
	fixture->dir = make_test_dir();
	g_autofree char *home = g_build_filename(fixture->dir, "worker-home", NULL);
	g_assert_cmpint(g_mkdir(home, 0700), ==, 0);
	fixture->capture = g_build_filename(fixture->dir, "capture.pcap", NULL);
	copy_corpus_capture(CORPUS_CAPTURE, fixture->capture);
	gate_init(&fixture->gates[0], fixture->dir, "gate-0");
	gate_init(&fixture->gates[1], fixture->dir, "gate-1");
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

static guint
live_worker_count(void)
{
	g_autoptr(GArray) pids = live_workers();
	return pids->len;
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
	signal(SIGPIPE, SIG_IGN); /* a gate written after its reader died fails, not kills */
	logged_warnings = g_ptr_array_new_with_free_func(g_free);
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_log_set_default_handler(log_cb, NULL);
	add_queue_test("/job-queue/jobs-run-to-end", &one_worker, test_jobs_run_to_end);
	add_queue_test("/job-queue/queue-limit", &one_worker_limit_two, test_queue_limit);
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
