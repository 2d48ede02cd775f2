/* worker-process.c: spawning a worker and reading its frames without blocking the server.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "worker-pool"

#include "jobs/worker-process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "sharkapi-error.h"

struct WorkerProcess {
	GSubprocess *process;
	GOutputStream *input;
	GInputStream *output;
	GCancellable *cancellable;
	WorkerProcessCallbacks callbacks;
	gpointer user_data;
	guint8 header[WORKER_FRAME_HEADER_SIZE];
	guint8 *payload;
	gboolean paused;
	gboolean reading;
	gboolean dead;
	gboolean free_pending; /* freed while an async read or idle still holds a pointer */
	guint death_idle;
	guint64 memory_limit;
	char identifier[16]; /* the pid, kept: GSubprocess forgets it once the process has exited */
};

static void worker_process_destroy(WorkerProcess *self);

static void worker_process_read_header(WorkerProcess *self);

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void
worker_process_child_setup(gpointer user_data)
{
	WorkerProcess *self = user_data;
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed server takes its workers along */
	if (self->memory_limit > 0) {
		struct rlimit limit = {.rlim_cur = self->memory_limit, .rlim_max = self->memory_limit};
		setrlimit(RLIMIT_AS, &limit);
	}
}

WorkerProcess *
worker_process_spawn(const WorkerProcessOptions *options, const WorkerProcessCallbacks *callbacks,
		     gpointer user_data, GError **error)
{
	WorkerProcess *self = g_new0(WorkerProcess, 1);
	self->callbacks = *callbacks;
	self->user_data = user_data;
	self->memory_limit = options->memory_limit;
	self->cancellable = g_cancellable_new();

	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_autofree char *config_home = g_build_filename(options->home, ".config", NULL);
	g_subprocess_launcher_setenv(launcher, "HOME", options->home, TRUE);
	g_subprocess_launcher_setenv(launcher, "XDG_CONFIG_HOME", config_home, TRUE);
	g_subprocess_launcher_setenv(launcher, "LC_ALL", "C", TRUE);
	g_subprocess_launcher_setenv(launcher, "TZ", "UTC", TRUE);
	g_subprocess_launcher_unsetenv(launcher, "WIRESHARK_CONFIG_DIR");
	g_subprocess_launcher_unsetenv(launcher, "WIRESHARK_PLUGIN_DIR");
	g_subprocess_launcher_set_cwd(launcher, options->home);
	g_subprocess_launcher_set_child_setup(launcher, worker_process_child_setup, self, NULL);

	self->process = g_subprocess_launcher_spawn(launcher, error, options->worker_path, NULL);
	if (self->process == NULL) {
		g_prefix_error(error, "starting %s: ", options->worker_path);
		worker_process_free(self);
		return NULL;
	}
	g_strlcpy(self->identifier, g_subprocess_get_identifier(self->process), sizeof self->identifier);
	self->input = g_object_ref(g_subprocess_get_stdin_pipe(self->process));
	self->output = g_object_ref(g_subprocess_get_stdout_pipe(self->process));
	worker_process_read_header(self);
	return self;
}

gboolean
worker_process_is_alive(WorkerProcess *self)
{
	const char *identifier = self->process != NULL ? g_subprocess_get_identifier(self->process) : NULL;
	siginfo_t info = {0};
	if (identifier == NULL)
		return FALSE;
	/* WNOWAIT: look without reaping; GLib's child watch still reports the death. */
	if (waitid(P_PID, (id_t)g_ascii_strtoull(identifier, NULL, 10), &info, WEXITED | WNOHANG | WNOWAIT) != 0)
		return TRUE;
	return info.si_pid == 0;
}

const char *
worker_process_get_identifier(WorkerProcess *self)
{
	return self->identifier[0] != '\0' ? self->identifier : "?";
}

static void
worker_process_die(WorkerProcess *self, const char *reason)
{
	if (self->dead)
		return;
	self->dead = TRUE;
	g_cancellable_cancel(self->cancellable);
	if (self->process != NULL)
		g_subprocess_force_exit(self->process);
	self->callbacks.died(self, reason, self->user_data);
}

/* The common start of both read callbacks: FALSE when the worker is gone or being freed. */
static gboolean
worker_process_read_finish(WorkerProcess *self, GAsyncResult *result, gsize *read)
{
	g_autoptr(GError) error = NULL;
	self->reading = FALSE;
	if (self->free_pending) {
		worker_process_destroy(self);
		return FALSE;
	}
	if (!g_input_stream_read_all_finish(self->output, result, read, &error)) {
		worker_process_die(self, error->message);
		return FALSE;
	}
	return TRUE;
}

static void
worker_process_payload_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WorkerProcess *self = user_data;
	gsize read = 0;

	if (!worker_process_read_finish(self, result, &read))
		return;
	guint32 length = worker_frame_header_length(self->header);
	if (read != length) {
		worker_process_die(self, "worker output ended inside a frame");
		return;
	}
	g_autoptr(GBytes) payload = g_bytes_new_take(g_steal_pointer(&self->payload), length);
	/* Hold off freeing: the callback may free or pause us. */
	self->reading = TRUE;
	self->callbacks.frame(self, (WorkerFrameType)self->header[0], payload, self->user_data);
	self->reading = FALSE;
	if (self->free_pending) {
		worker_process_destroy(self);
		return;
	}
	if (!self->dead && !self->paused)
		worker_process_read_header(self);
}

static gboolean
worker_frame_type_is_known(guint8 type)
{
	return type == WORKER_FRAME_HELLO || type == WORKER_FRAME_PROGRESS || type == WORKER_FRAME_DATA ||
	       type == WORKER_FRAME_END || type == WORKER_FRAME_ERROR;
}

static void
worker_process_header_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	WorkerProcess *self = user_data;
	gsize read = 0;

	if (!worker_process_read_finish(self, result, &read))
		return;
	if (read != WORKER_FRAME_HEADER_SIZE) {
		worker_process_die(self, read == 0 ? "worker exited" : "worker output ended inside a frame");
		return;
	}
	guint32 length = worker_frame_header_length(self->header);
	if (!worker_frame_type_is_known(self->header[0]) || length > WORKER_FRAME_MAX_PAYLOAD) {
		worker_process_die(self, "worker broke the frame protocol");
		return;
	}
	self->payload = g_malloc(length + 1);
	self->payload[length] = '\0'; /* payloads are often text */
	self->reading = TRUE;
	g_input_stream_read_all_async(self->output, self->payload, length, G_PRIORITY_DEFAULT, self->cancellable,
				      worker_process_payload_cb, self);
}

static void
worker_process_read_header(WorkerProcess *self)
{
	if (self->reading || self->dead)
		return;
	self->reading = TRUE;
	g_input_stream_read_all_async(self->output, self->header, sizeof self->header, G_PRIORITY_DEFAULT,
				      self->cancellable, worker_process_header_cb, self);
}

gboolean
worker_process_send(WorkerProcess *self, const char *line, GError **error)
{
	g_autofree char *with_newline = g_strconcat(line, "\n", NULL);
	/* A request is one short line and the worker reads it at once: a blocking write is fine. */
	if (!g_output_stream_write_all(self->input, with_newline, strlen(with_newline), NULL, NULL, error) ||
	    !g_output_stream_flush(self->input, NULL, error)) {
		g_prefix_error(error, "sending a job to worker %s: ", worker_process_get_identifier(self));
		return FALSE;
	}
	return TRUE;
}

void
worker_process_pause(WorkerProcess *self)
{
	self->paused = TRUE;
}

void
worker_process_resume(WorkerProcess *self)
{
	if (!self->paused)
		return;
	self->paused = FALSE;
	worker_process_read_header(self);
}

static gboolean
worker_process_death_idle_cb(gpointer user_data)
{
	WorkerProcess *self = user_data;
	self->death_idle = 0;
	if (self->free_pending)
		worker_process_destroy(self);
	else
		worker_process_die(self, "worker killed");
	return G_SOURCE_REMOVE;
}

void
worker_process_kill(WorkerProcess *self)
{
	if (self->dead)
		return;
	if (self->process != NULL)
		g_subprocess_force_exit(self->process);
	/* A pending read sees EOF and reports the death; a paused reader needs a nudge. */
	if (!self->reading && self->death_idle == 0)
		self->death_idle = g_idle_add(worker_process_death_idle_cb, self);
}

static void
worker_process_destroy(WorkerProcess *self)
{
	if (self->death_idle != 0)
		g_source_remove(self->death_idle);
	if (self->process != NULL && !self->dead)
		g_subprocess_force_exit(self->process);
	if (self->process != NULL)
		g_subprocess_wait_async(self->process, NULL, NULL, NULL); /* reaped by GLib's child watch */
	g_clear_object(&self->input);
	g_clear_object(&self->output);
	g_clear_object(&self->process);
	g_clear_object(&self->cancellable);
	g_free(self->payload);
	g_free(self);
}

void
worker_process_free(WorkerProcess *self)
{
	if (self == NULL)
		return;
	g_cancellable_cancel(self->cancellable);
	if (self->process != NULL && !self->dead)
		g_subprocess_force_exit(self->process);
	self->dead = TRUE; /* no more callbacks */
	if (self->reading) {
		self->free_pending = TRUE; /* the read callback finishes the job */
		return;
	}
	worker_process_destroy(self);
}
