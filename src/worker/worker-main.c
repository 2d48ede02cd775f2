/* worker-main.c: sharkapi-worker, the dissection worker and the only program linking
 * libwireshark. It reads one JSON request per line on stdin and answers with frames
 * (include/worker-protocol.h) on what was stdout; it exits 0 at the end of its input.
 * Stray prints of libwireshark cannot corrupt the protocol: the protocol gets a private copy of
 * stdout and stdout itself becomes stderr before libwireshark starts.
 * Must not run jobs itself (worker-jobs.c) nor know libwireshark (src/engine/).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "worker"

/* nice(1) level of a worker. */
#define WORKER_NICENESS 10

#include "engine/engine-init.h"
#include "engine/engine.h"
#include "sharkapi-error.h"
#include "worker/worker-channel.h"
#include "worker/worker-jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

/* Longest request line accepted (a fields request of 64 names is a few KiB). */
#define WORKER_MAIN_MAX_LINE (1024 * 1024)

/* Moves the protocol off fd 1: returns a private descriptor for frames, and fd 1 becomes a
 * copy of stderr. */
static int
worker_main_take_stdout(GError **error)
{
	int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);

	if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		int errsv = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv),
			    "cannot move stdout: %s", g_strerror(errsv));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static gboolean
worker_main_serve(Engine *engine, WorkerChannel *channel, GError **error)
{
	g_autofree char *line = NULL;
	size_t capacity = 0;
	ssize_t length;

	while ((length = getline(&line, &capacity, stdin)) >= 0) {
		while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
			line[--length] = '\0';
		if (length == 0)
			continue;
		if (length > WORKER_MAIN_MAX_LINE) {
			g_autoptr(GError) too_long =
			    g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
					"request line of %zd bytes is too long", length);
			if (!worker_channel_send_error(channel, too_long, error))
				return FALSE;
			continue;
		}
		if (!worker_jobs_run_line(engine, channel, line, (gsize)length, error))
			return FALSE;
	}
	return TRUE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(Engine) engine = NULL;
	g_autoptr(WorkerChannel) channel = NULL;
	int protocol_fd;

	/* `sharkapi --version` asks here: the server itself does not link libwireshark. */
	if (argc > 1 && g_str_equal(argv[1], "--version")) {
		g_print("sharkapi-worker %s, libwireshark %s\n", SHARKAPI_VERSION, engine_get_version());
		return EXIT_SUCCESS;
	}
	/* A server that went away is seen as a write error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* Dissection is batch work; the server's main loop answers requests and gets the CPU first
	 * when both want it (a cached answer stays fast while captures are dissected). */
	if (setpriority(PRIO_PROCESS, 0, WORKER_NICENESS) != 0)
		g_debug("setpriority: %s", g_strerror(errno));
	protocol_fd = worker_main_take_stdout(&error);
	if (protocol_fd < 0) {
		g_printerr("sharkapi-worker: %s\n", error->message);
		return EXIT_FAILURE;
	}
	channel = worker_channel_new(protocol_fd);
	if (!engine_init(argv[0], &error)) {
		g_printerr("sharkapi-worker: %s\n", error->message);
		return EXIT_FAILURE;
	}
	engine = engine_new();
	if (!worker_jobs_hello(engine, channel, &error) ||
	    !worker_main_serve(engine, channel, &error)) {
		g_printerr("sharkapi-worker: %s\n", error->message);
		return EXIT_FAILURE;
	}
	g_clear_pointer(&engine, engine_free);
	engine_init_cleanup();
	return EXIT_SUCCESS;
}
