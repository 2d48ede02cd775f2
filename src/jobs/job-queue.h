/* job-queue.h: dissection jobs, the worker pool that runs them, and their supervision.
 * Jobs wait in a bounded FIFO (a full queue is a 503). Each runs on one worker; a job whose
 * worker dies before it produced any output is retried once on a fresh worker, and a second
 * death answers 422; a job over its wall-clock limit is killed with its worker (503). Dead
 * workers are replaced. A job that names a warm key (a capture whose first pass a worker keeps)
 * goes to the worker that has it. Must not know routes or HTTP: results go to callbacks.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "jobs/worker-tables.h"

G_BEGIN_DECLS

typedef struct JobQueue JobQueue;
typedef struct Job Job;

typedef struct {
	/* Fraction of the capture read; may be NULL. */
	void (*progress)(Job *job, double fraction, gpointer user_data);
	/* A chunk of a streamed answer. Return TRUE to stop reading the worker until job_resume(). */
	gboolean (*data)(Job *job, GBytes *chunk, gpointer user_data);
	/* Exactly once: result is the END object on success, error set on failure. The job is freed
	 * right after this returns. */
	void (*done)(Job *job, JsonObject *result, const GError *error, gpointer user_data);
} JobCallbacks;

typedef struct {
	const char *worker_path;
	const char *worker_home;
	guint workers;
	guint job_timeout;       /* seconds */
	guint queue_limit;
	guint64 worker_memory_limit;
	/* A worker above this resident size after a job, and not keeping a capture warm, is
	 * replaced: libwireshark 4.0 keeps ~9 MB per capture opened. 0 = never. */
	guint64 worker_recycle_rss;
	/* Where the workers' table list is kept between runs (NULL: not kept): read at start, so
	 * that requests before the first worker's HELLO know the tables; written when it changes. */
	const char *tables_path;
} JobQueueOptions;

JobQueue *job_queue_new(const JobQueueOptions *options, GError **error);
void job_queue_free(JobQueue *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JobQueue, job_queue_free)

/* request: the job's JSON line (worker-protocol.h). warm_key: NULL, or the capture path of a
 * two-pass job. Fails with 503 when the queue is full. */
Job *job_queue_submit(JobQueue *self, const char *request, const char *warm_key, const JobCallbacks *callbacks,
		      gpointer user_data, GError **error);
/* A job of milliseconds a person waits for (a filter check): queued ahead of the jobs that
 * dissect whole captures, behind other quick ones. */
Job *job_queue_submit_quick(JobQueue *self, const char *request, const JobCallbacks *callbacks,
			    gpointer user_data, GError **error);
/* Withdraws a job whose answer nobody waits for any more: no callback follows. */
void job_cancel(Job *job);
void job_resume(Job *job);
gboolean job_is_running(Job *job);

/* The worker's HELLO: the conversation/endpoint tables (WorkerTable); the kept list
 * (tables_path) until the first worker is up, NULL when there is none either. */
const GPtrArray *job_queue_get_tables(JobQueue *self);
/* The table whose filter or display name is protocol (case-insensitive); NULL if none or no list. */
const WorkerTable *job_queue_find_table(JobQueue *self, const char *protocol);

/* How many first passes workers ran for two-pass jobs on this warm key since the start: a
 * query answered by a warm worker does not add one. */
guint job_queue_get_first_passes(JobQueue *self, const char *warm_key);
/* For a deleted capture: forgets its first-pass count and replaces any worker keeping it warm
 * (now, or after the job it is running), whose open file would keep the disk space in use. */
void job_queue_forget_warm_key(JobQueue *self, const char *warm_key);

/* Called whenever a worker may have become idle (after its HELLO, after each job, and inside
 * job_queue_submit() too: it should only schedule work); its return value is ignored. */
void job_queue_set_idle_func(JobQueue *self, GSourceFunc func, gpointer user_data);
/* Workers that would take a job now (ready, idle, keeping no capture warm); 0 while jobs wait. */
guint job_queue_count_idle_workers(JobQueue *self);
/* The same, warm workers included (a job for another capture takes one, which then goes cold). */
guint job_queue_count_free_workers(JobQueue *self);

G_END_DECLS
