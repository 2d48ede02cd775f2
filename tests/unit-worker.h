/* unit-worker.h: what the unit tests that run real sharkapi-worker processes share (test-job-queue.c,
 * test-summary-tracker.c): waiting on the main context until a condition holds, capturing the
 * warnings the code under test logs, finding and killing workers through /proc, and FIFO
 * "gates" that keep a worker inside a job for exactly as long as a test needs.
 * Tests wait for conditions, never for a fixed time: a loaded machine only makes them slower.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* ---- set-up ---- */

/* Call once in main() after g_test_init(): ignores SIGPIPE (a gate written after its reader
 * died then fails instead of killing the test), keeps criticals fatal but captures warnings for
 * assert_warnings(), since a test that kills a worker causes warnings on purpose. */
void unit_worker_init(void);
/* A new folder under the temporary folder (name_template as g_dir_make_tmp()), resolved with
 * realpath() so that paths in it compare with those /proc/<pid>/fd shows; free() it. */
char *make_test_dir(const char *name_template);

/* ---- waiting ---- */

/* How long WAIT_FOR waits before the test fails: generous, so only a hang fails. */
#define WAIT_LIMIT_SECONDS 120

/* One turn of the main context, woken by a tick at the latest, so that conditions outside it
 * (a process gone, a FIFO opened) are seen too; g_error() with condition past deadline. */
void wait_step(gint64 deadline, const char *condition);

/* Turns the main context until condition holds: the code under test runs on it. */
#define WAIT_FOR(condition)                                                                          \
	do {                                                                                         \
		gint64 wait_deadline = g_get_monotonic_time() + WAIT_LIMIT_SECONDS * G_USEC_PER_SEC; \
		while (!(condition))                                                                 \
			wait_step(wait_deadline, #condition);                                        \
	} while (0)

/* ---- warnings ---- */

/* The warnings logged since the last call match patterns (NULL-terminated, NULL for none;
 * g_pattern_match_simple), in order; then forgets them. A test names the warnings it causes,
 * and its tear-down passes NULL so that any other warning fails it. */
void assert_warnings(const char *const *patterns);

/* ---- worker processes ---- */

/* State letter of a process (R, S, T, Z...), '\0' when it is gone; its parent's pid in *parent
 * if not NULL. Lets a test see a worker stopped (T) or gone without waiting for it. */
char process_state(pid_t pid, pid_t *parent);
/* TRUE once pid exited (gone, zombie or dead): a killed or replaced worker is really gone. */
gboolean process_is_gone(pid_t pid);
/* The workers: this process's children that have not exited, a GArray of pid_t. The tests
 * find workers this way because the job queue does not expose its pids. */
GArray *live_workers(void);
/* How many workers are alive: 0 after the queue is freed means none was leaked. */
guint live_worker_count(void);
/* TRUE if pid has path open (path as /proc shows it: resolved). */
gboolean process_has_open(pid_t pid, const char *path);
/* The live worker that has path open, 0 when none has: the worker running a given job, or
 * keeping a given capture warm. */
pid_t worker_holding(const char *path);
/* SIGKILLs pid and waits until it is gone: a worker death from outside, as the OOM killer's. */
void kill_worker(pid_t pid);

/* ---- gates ---- */

/* A FIFO used as a job's capture path: the worker that opens it waits in its first read until
 * the test writes a real capture into it, so a job stays running as long as the test needs. */
typedef struct {
	char *path; /* NULL until gate_init() */
	int writer; /* -1 until a worker opened the FIFO */
} Gate;

/* Makes the FIFO at path (which must not exist). */
void gate_init(Gate *gate, const char *path);
/* TRUE once a worker opened the FIFO: it is inside the job. The write end, then held open,
 * keeps it waiting in its first read. */
gboolean gate_has_reader(Gate *gate);
/* Waits until a worker is inside the gate's job and returns its pid. */
pid_t gate_wait_for_reader(Gate *gate);
/* Lets the job through: waits for its worker, which then reads all of capture (a small file)
 * from the FIFO. */
void gate_open(Gate *gate, const char *capture);
/* Its reader is gone (the worker killed): the next one to open it is another attempt at the job. */
void gate_forget_reader(Gate *gate);
/* Closes and removes the FIFO; a gate never initialised (all zero) is left alone. */
void gate_clear(Gate *gate);

G_END_DECLS
