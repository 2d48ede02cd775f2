/* unit-worker.c: waits, warning capture, workers found through /proc and FIFO gates for the
 * unit tests that run real sharkapi-worker processes (unit-worker.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit-worker.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_TICK_MS 20

/* ---- set-up ---- */

/* Warnings the code under test logged, for assert_warnings(). */
static GPtrArray *logged_warnings;

static void
log_cb(const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
	if (level & G_LOG_LEVEL_WARNING)
		g_ptr_array_add(logged_warnings, g_strdup(message));
	g_log_default_handler(domain, level, message, user_data);
}

void
unit_worker_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	logged_warnings = g_ptr_array_new_with_free_func(g_free);
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_log_set_default_handler(log_cb, NULL);
}

char *
make_test_dir(const char *name_template)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp(name_template, &error);
	g_assert_no_error(error);
	char *resolved = realpath(dir, NULL);
	g_assert_nonnull(resolved);
	return resolved;
}

/* ---- waiting ---- */

static gboolean
wait_tick_cb(gpointer user_data)
{
	guint *source = user_data;
	*source = 0;
	return G_SOURCE_REMOVE;
}

void
wait_step(gint64 deadline, const char *condition)
{
	if (g_get_monotonic_time() > deadline)
		g_error("still waiting after %d s for: %s", WAIT_LIMIT_SECONDS, condition);
	guint tick = g_timeout_add(WAIT_TICK_MS, wait_tick_cb, &tick);
	g_main_context_iteration(NULL, TRUE);
	if (tick != 0)
		g_source_remove(tick);
}

/* ---- warnings ---- */

void
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

char
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

gboolean
process_is_gone(pid_t pid)
{
	char state = process_state(pid, NULL);
	return state == '\0' || state == 'Z' || state == 'X';
}

GArray *
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

guint
live_worker_count(void)
{
	g_autoptr(GArray) pids = live_workers();
	return pids->len;
}

gboolean
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

pid_t
worker_holding(const char *path)
{
	g_autoptr(GArray) pids = live_workers();
	for (guint i = 0; i < pids->len; i++) {
		if (process_has_open(g_array_index(pids, pid_t, i), path))
			return g_array_index(pids, pid_t, i);
	}
	return 0;
}

void
kill_worker(pid_t pid)
{
	g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
	WAIT_FOR(process_is_gone(pid));
}

/* ---- gates ---- */

void
gate_init(Gate *gate, const char *path)
{
	gate->path = g_strdup(path);
	gate->writer = -1;
	g_assert_cmpint(mkfifo(gate->path, 0600), ==, 0);
}

gboolean
gate_has_reader(Gate *gate)
{
	if (gate->writer < 0)
		gate->writer = open(gate->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	return gate->writer >= 0;
}

void
gate_forget_reader(Gate *gate)
{
	if (gate->writer >= 0)
		close(gate->writer);
	gate->writer = -1;
}

pid_t
gate_wait_for_reader(Gate *gate)
{
	pid_t pid = 0;
	WAIT_FOR(gate_has_reader(gate));
	WAIT_FOR((pid = worker_holding(gate->path)) != 0);
	return pid;
}

void
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

void
gate_clear(Gate *gate)
{
	if (gate->path == NULL)
		return;
	gate_forget_reader(gate);
	g_unlink(gate->path);
	g_clear_pointer(&gate->path, g_free);
}
