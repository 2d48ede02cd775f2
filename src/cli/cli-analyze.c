/* cli-analyze.c: `sharkapi analyze FILE ROUTE [NAME=VALUE ...]`, one route answered offline.
 * It runs the server's own parts in a throw-away data dir: the capture is checked by capinfo.c
 * and committed to a temporary store (as a symlink: the file is not copied), its analysis runs
 * on one sharkapi-worker through the job queue and the summary tracker, and the answer is
 * written by the functions the routes use, so stdout gets the body the API would send,
 * {"data": ...} included, or its {"exceptions": [...], "status": N} error. A progress bar
 * goes to stderr when stderr is a terminal. Must not open a socket or change FILE.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "analyze"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wiretap/capinfo.h"
#include "cli/cli.h"
#include "file-tree.h"
#include "http/http-reply.h"
#include "http/routes-analysis.h"
#include "http/routes-answer-file.h"
#include "http/routes-captures.h"
#include "http/routes-frames.h"
#include "http/routes-io.h"
#include "http/routes-objects.h"
#include "jobs/job-queue.h"
#include "jobs/job-requests.h"
#include "jobs/summary-tracker.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"

/* Offline nothing else waits: an analysis may take as long as it takes. */
#define ANALYZE_WAIT_LIMIT_SECONDS (365u * 24 * 3600)
#define ANALYZE_PROGRESS_INTERVAL_MS 200

typedef struct {
	GMainLoop *loop;
	Store *store;
	JobQueue *jobs;
	SummaryTracker *summaries;
	StoreCapture *capture;
	const char *const *arguments; /* NAME=VALUE, checked as a query by the route's declarations */
	HttpRequest request;          /* the route and its checked parameters, as a handler sees them */
	char **path_names;            /* the route name's {name} segments ("frames/5": frame) */
	char **path_values;
	SummaryWaiter *waiter;
	Job *job;
	AnswerFile *answer; /* stats/io, objects: a job writing an answer file */
	IoQuery io;
	gboolean objects; /* the answer file is objects/<proto>'s: print its list */
	double job_progress;
	gboolean show_progress;
	gboolean bar_visible; /* a bar is on stderr's current line */
	gboolean stdout_is_tty;
	gboolean wrote_data;
	char *prefix;       /* written before a job's answer, once it has one (frames/N opens its object) */
	const char *suffix; /* written after it */
	gboolean ends_with_newline;
	int exit_code;
} Analyze;

/* ---- output ---- */

static void
analyze_progress_clear(Analyze *self)
{
	if (self->bar_visible)
		fputs("\r\033[K", stderr);
	self->bar_visible = FALSE;
}

static void
analyze_write(Analyze *self, const char *data, gsize len)
{
	if (len == 0)
		return;
	/* stdout and stderr may be one terminal: the bar goes before the answer comes. */
	analyze_progress_clear(self);
	fwrite(data, 1, len, stdout);
	self->ends_with_newline = data[len - 1] == '\n';
}

static void
analyze_finish_output(Analyze *self)
{
	analyze_progress_clear(self);
	if (!self->ends_with_newline)
		fputc('\n', stdout);
	fflush(stdout);
}

static void
analyze_print_bytes(Analyze *self, GBytes *body)
{
	gsize len = 0;
	const char *data = g_bytes_get_data(body, &len);
	analyze_write(self, data, len);
}

/* The API's error document; the exit code says an error was printed. */
static void
analyze_print_error(Analyze *self, const GError *error)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	http_reply_write_error(writer, sharkapi_error_http_status(error), error->message);
	g_autoptr(GBytes) body = json_writer_take(writer);
	analyze_print_bytes(self, body);
	self->exit_code = 1;
}

static void
analyze_print_writer(Analyze *self, JsonWriter *writer)
{
	g_autoptr(GBytes) body = json_writer_take(writer);
	analyze_print_bytes(self, body);
}

static void
analyze_progress_draw(Analyze *self, double fraction)
{
	const int width = 40;
	int filled = (int)(CLAMP(fraction, 0.0, 1.0) * width);
	g_autofree char *bar = g_strnfill(filled, '#');
	g_autofree char *rest = g_strnfill(width - filled, '.');
	fprintf(stderr, "\r[%s%s] %3d%%", bar, rest, (int)(fraction * 100));
	self->bar_visible = TRUE;
}

static gboolean
analyze_progress_cb(gpointer user_data)
{
	Analyze *self = user_data;
	if (self->wrote_data && self->stdout_is_tty)
		return G_SOURCE_CONTINUE; /* rows are streaming to the terminal: no bar between them */
	analyze_progress_draw(self, self->waiter != NULL ? summary_waiter_get_progress(self->waiter) : self->job_progress);
	return G_SOURCE_CONTINUE;
}

/* ---- routes ---- */

static void
analyze_status_ready_cb(const char *summary_dir, const GError *error, gpointer user_data)
{
	Analyze *self = user_data;
	g_autoptr(GError) error_local = NULL;
	self->waiter = NULL;
	/* A failed analysis is part of the status answer (state "failed"), not an error. */
	g_autoptr(StoreCapture) capture = store_capture_get(self->store, self->capture->id, &error_local);
	if (capture == NULL) {
		analyze_print_error(self, error_local);
	} else {
		double progress = 0;
		SummaryState state = summary_tracker_get_state(self->summaries, capture->id, &progress);
		g_autofree char *capture_path = store_capture_file(self->store, capture->id);
		g_autoptr(JsonWriter) writer = json_writer_new();
		routes_analysis_write_status(writer, capture, state, progress,
					     job_queue_get_first_passes(self->jobs, capture_path));
		analyze_print_writer(self, writer);
	}
	g_main_loop_quit(self->loop);
}

static void
analyze_summary_ready_cb(const char *summary_dir, const GError *error, gpointer user_data)
{
	Analyze *self = user_data;
	g_autoptr(GError) error_local = NULL;
	self->waiter = NULL;
	if (error != NULL) {
		analyze_print_error(self, error);
	} else {
		/* "ip" when absent or empty, as declared; the routes without tables have none. */
		const char *protocol = http_request_get(&self->request, "protocol");
		g_autoptr(GBytes) whole = routes_analysis_summary_body(self->jobs, NULL, self->request.route->analysis,
								       protocol != NULL ? protocol : "ip", summary_dir,
								       &error_local);
		g_autoptr(GBytes) body =
			whole != NULL ? routes_analysis_page(self->request.route->analysis, &self->request, whole) : NULL;
		if (body == NULL)
			analyze_print_error(self, error_local);
		else
			analyze_print_bytes(self, body);
	}
	g_main_loop_quit(self->loop);
}

static void
analyze_start_summary(Analyze *self)
{
	guint passes = (guint)http_request_get_integer(&self->request, "passes");
	self->waiter = summary_tracker_wait(self->summaries, self->capture->id, http_request_get(&self->request, "filter"),
					    passes, analyze_summary_ready_cb, self);
}

static void
analyze_write_prefix(Analyze *self)
{
	g_autofree char *prefix = g_steal_pointer(&self->prefix);
	if (prefix != NULL)
		analyze_write(self, prefix, strlen(prefix));
}

static gboolean
analyze_fields_data_cb(Job *job, GBytes *chunk, gpointer user_data)
{
	Analyze *self = user_data;
	analyze_write_prefix(self);
	self->wrote_data = TRUE;
	analyze_print_bytes(self, chunk);
	return FALSE; /* stdout blocks when it must: no need to pause the worker */
}

static void
analyze_fields_progress_cb(Job *job, double fraction, gpointer user_data)
{
	Analyze *self = user_data;
	self->job_progress = fraction;
}

static void
analyze_fields_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	Analyze *self = user_data;
	self->job = NULL;
	if (error == NULL && self->suffix != NULL) {
		analyze_write_prefix(self);
		analyze_write(self, self->suffix, strlen(self->suffix));
	} else if (error != NULL && !self->wrote_data) {
		analyze_print_error(self, error);
	} else if (error != NULL) {
		/* As the API: a broken answer, never a complete-looking one. */
		analyze_progress_clear(self);
		fprintf(stderr, "sharkapi analyze: the answer broke off: %s\n", error->message);
		self->exit_code = 1;
	}
	g_main_loop_quit(self->loop);
}

/* A route answered by one streaming job: packets/fields, frames/N and follow (the API's answer). */
static gboolean
analyze_start_job(Analyze *self, const char *line, GError **error)
{
	static const JobCallbacks callbacks = {
		.progress = analyze_fields_progress_cb,
		.data = analyze_fields_data_cb,
		.done = analyze_fields_done_cb,
	};
	self->job = job_queue_submit(self->jobs, line, NULL, &callbacks, self, error);
	return self->job != NULL;
}

static gboolean
analyze_start_frame(Analyze *self, GError **error)
{
	HttpRequest *request = &self->request;
	gint64 frame = 0;
	if (!http_request_get_path_number(request, "frame", 1, &frame, error))
		return FALSE;
	g_autofree char *capture_path = store_capture_file(self->store, self->capture->id);
	g_autofree char *line =
		job_request_frame_tree(capture_path, (guint32)frame, (guint)http_request_get_integer(request, "passes"),
				       g_ascii_strcasecmp(http_request_get(request, "hidden"), "true") == 0);
	self->prefix = routes_frames_detail_prefix(self->store, self->capture->id, (guint32)frame);
	self->suffix = "}";
	return analyze_start_job(self, line, error);
}

static gboolean
analyze_start_follow(Analyze *self, GError **error)
{
	HttpRequest *request = &self->request;
	gint64 stream = -1, substream = -1;
	if (!http_request_get_path_number(request, "stream", 0, &stream, error) ||
	    !http_request_get_path_number(request, "substream", 0, &substream, error))
		return FALSE;
	g_autofree char *capture_path = store_capture_file(self->store, self->capture->id);
	g_autofree char *line =
		job_request_follow(capture_path, http_request_get_path(request, "proto"), stream, substream);
	return analyze_start_job(self, line, error);
}

static void
analyze_frames_write_cb(const char *data, gsize length, gpointer user_data)
{
	analyze_write(user_data, data, length);
}

static void
analyze_frames_ready_cb(const char *list_dir, const GError *error, gpointer user_data)
{
	Analyze *self = user_data;
	g_autoptr(GError) error_local = NULL;
	self->waiter = NULL;
	if (error != NULL)
		analyze_print_error(self, error);
	else if (!routes_frames_list_write(self->store, self->capture->id, list_dir,
					   http_request_get_integer(&self->request, "offset"),
					   http_request_get_integer(&self->request, "limit"), analyze_frames_write_cb, self,
					   &error_local))
		analyze_print_error(self, error_local);
	g_main_loop_quit(self->loop);
}

static gboolean
analyze_start_fields(Analyze *self, GError **error)
{
	HttpRequest *request = &self->request;
	const char *format = http_request_get(request, "format");
	/* No Accept header offline: format= alone decides. */
	gboolean ndjson = format != NULL && g_ascii_strcasecmp(format, "ndjson") == 0;
	g_autofree char *capture_path = store_capture_file(self->store, self->capture->id);
	g_autofree char *line = job_request_fields(
		capture_path, http_request_get_list(request, "fields"), http_request_get(request, "filter"),
		(guint)http_request_get_integer(request, "passes"), http_request_get_integer(request, "limit"),
		http_request_get_integer(request, "offset"), ndjson);
	return analyze_start_job(self, line, error);
}

static char *
analyze_io_line_cb(const char *output, gpointer user_data)
{
	Analyze *self = user_data;
	return io_query_job_line(&self->io, output);
}

static char *
analyze_objects_line_cb(const char *output, gpointer user_data)
{
	Analyze *self = user_data;
	g_autofree char *capture_path = store_capture_file(self->store, self->capture->id);
	return objects_job_line(capture_path, output, http_request_get_path(&self->request, "proto"),
				(guint)http_request_get_integer(&self->request, "passes"));
}

static void
analyze_answer_ready_cb(GMappedFile *answer, gboolean cached, const GError *error, gpointer user_data)
{
	Analyze *self = user_data;
	self->answer = NULL;
	if (error != NULL) {
		analyze_print_error(self, error);
	} else {
		g_autoptr(GBytes) bytes = g_mapped_file_get_bytes(answer);
		g_autoptr(GBytes) list = self->objects ? objects_answer_list(bytes) : NULL;
		analyze_print_bytes(self, self->objects ? list : bytes);
	}
	if (self->loop != NULL)
		g_main_loop_quit(self->loop);
}

static gboolean
analyze_start_answer_file(Analyze *self, gboolean objects, GError **error)
{
	self->objects = objects;
	if (!objects && !io_query_init(&self->io, &self->request, self->capture, self->store, error))
		return FALSE;
	self->answer = answer_file_fetch_uncached(self->store, self->jobs,
						  objects ? analyze_objects_line_cb : analyze_io_line_cb,
						  analyze_answer_ready_cb, self);
	return TRUE;
}

/* Starts the route's work, keyed by the route table's entry; FALSE with error set for a bad
 * parameter (the server's 400) or an unknown route. */
static gboolean
analyze_start(Analyze *self, const HttpRoute *route, GError **error)
{
	if (route == NULL) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "no such route");
		return FALSE;
	}
	if (!http_request_init_offline(&self->request, route, self->capture->id, self->path_names, self->path_values,
				       self->arguments, error))
		return FALSE;
	switch (route->analysis) {
	case ANALYSIS_STATUS:
		self->waiter = summary_tracker_wait(self->summaries, self->capture->id, NULL, 1, analyze_status_ready_cb,
						    self);
		return TRUE;
	case ANALYSIS_HIERARCHY:
	case ANALYSIS_ENDPOINTS:
	case ANALYSIS_CONVERSATIONS:
	case ANALYSIS_DNS:
	case ANALYSIS_EXPERT:
	case ANALYSIS_HTTP_REQUESTS:
	case ANALYSIS_TLS_HANDSHAKES:
		analyze_start_summary(self);
		return TRUE;
	case ANALYSIS_FIELDS:
		return analyze_start_fields(self, error);
	case ANALYSIS_FRAMES: {
		g_autofree char *columns = routes_frames_columns_text(http_request_get_list(&self->request, "columns"));
		self->waiter = summary_tracker_wait_list(self->summaries, self->capture->id,
							 http_request_get(&self->request, "filter"),
							 (guint)http_request_get_integer(&self->request, "passes"),
							 columns, analyze_frames_ready_cb, self);
		return TRUE;
	}
	case ANALYSIS_FRAME:
		return analyze_start_frame(self, error);
	case ANALYSIS_FOLLOW:
		return analyze_start_follow(self, error);
	case ANALYSIS_IO:
		return analyze_start_answer_file(self, FALSE, error);
	case ANALYSIS_OBJECTS:
		return analyze_start_answer_file(self, TRUE, error);
	case ANALYSIS_NONE:
	case ANALYSIS_INFO:
		break;
	}
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "no such route");
	return FALSE;
}

/* ---- set-up ---- */

/* "/api/v2/analysis/<id>/stats/hierarchy", "/stats/hierarchy" and "stats/hierarchy" name one route. */
static char *
analyze_route_name(const char *text)
{
	const char *route = text;
	if (g_str_has_prefix(route, "/api/v2/analysis/")) {
		route += strlen("/api/v2/analysis/");
		const char *slash = strchr(route, '/');
		route = slash != NULL ? slash : "";
	}
	while (*route == '/')
		route++;
	g_autofree char *copy = g_strdup(route);
	char *query = strchr(copy, '?');
	if (query != NULL)
		*query = '\0';
	return g_steal_pointer(&copy);
}

/* The capture enters the temporary store as a symlink, so a large file is not copied. */
static StoreCapture *
analyze_commit_capture(Store *store, const char *file, const CapInfo *info, GError **error)
{
	g_autofree char *absolute = g_canonicalize_filename(file, NULL);
	g_autofree char *link_path = g_build_filename(store->tmp_dir, "analyze-capture", NULL);
	if (symlink(absolute, link_path) != 0) {
		int errsv = errno;
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "symlink %s: %s", link_path,
			    g_strerror(errsv));
		return NULL;
	}
	g_autofree char *filename = g_path_get_basename(file);
	StoreCaptureLabels labels = {
		.filename = filename,
		.user = g_get_user_name(),
	};
	return store_capture_add(store->writer, link_path, info, &labels, error);
}

static int
analyze_fail(const char *message)
{
	fprintf(stderr, "sharkapi analyze: %s\n", message);
	return 2;
}

/* v1's info needs no worker: the store has the answer. */
static int
analyze_info(Analyze *self)
{
	g_autoptr(GError) error = NULL;
	/* The info route counts the read first, so viewcount and last_accessed are its. */
	store_capture_touch(self->store, self->capture->id);
	g_autoptr(StoreCapture) capture = store_capture_get(self->store, self->capture->id, &error);
	if (capture == NULL)
		return analyze_fail(error->message);
	g_autoptr(JsonWriter) writer = json_writer_new();
	routes_captures_write_info(writer, capture);
	analyze_print_writer(self, writer);
	analyze_finish_output(self);
	return self->exit_code;
}

static int
analyze_run(Analyze *self, const char *file, const char *route_name, const char *worker_path, const char *data_dir)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CapInfo) info = NULL;

	if (g_access(file, R_OK) != 0 || g_file_test(file, G_FILE_TEST_IS_DIR)) {
		int errsv = g_file_test(file, G_FILE_TEST_IS_DIR) ? EISDIR : errno;
		g_autofree char *message = g_strdup_printf("%s: %s", file, g_strerror(errsv));
		return analyze_fail(message);
	}
	if (!capinfo_init(&error))
		return analyze_fail(error->message);
	/* Refused as an upload would be: 415 and the same message. */
	info = capinfo_read(file, &error);
	if (info == NULL) {
		analyze_print_error(self, error);
		analyze_finish_output(self);
		return self->exit_code;
	}
	g_autoptr(Store) store = store_open(data_dir, &error);
	if (store == NULL)
		return analyze_fail(error->message);
	self->store = store;
	self->capture = analyze_commit_capture(store, file, info, &error);
	if (self->capture == NULL)
		return analyze_fail(error->message);

	const HttpRoute *route = http_server_find_offline_route(route_name, &self->path_names, &self->path_values);
	if (route != NULL && route->analysis == ANALYSIS_INFO)
		return analyze_info(self);

	JobQueueOptions job_options = {
		.worker_path = worker_path,
		.worker_home = store->worker_home,
		.workers = 1,
		.job_timeout = 0,
		.queue_limit = 4,
	};
	g_autoptr(JobQueue) jobs = job_queue_new(&job_options, &error);
	if (jobs == NULL)
		return analyze_fail(error->message);
	g_autoptr(SummaryTracker) summaries = summary_tracker_new(store, jobs, ANALYZE_WAIT_LIMIT_SECONDS);
	self->jobs = jobs;
	self->summaries = summaries;

	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	self->loop = loop;
	if (!analyze_start(self, route, &error)) {
		analyze_print_error(self, error);
	} else if (self->waiter != NULL || self->job != NULL || self->answer != NULL) {
		guint progress_source = 0;
		if (self->show_progress) {
			/* Drawn at once and when done too, so even a short run shows its bar. */
			analyze_progress_draw(self, 0);
			progress_source = g_timeout_add(ANALYZE_PROGRESS_INTERVAL_MS, analyze_progress_cb, self);
		}
		g_main_loop_run(loop);
		if (progress_source != 0)
			g_source_remove(progress_source);
	}
	analyze_finish_output(self);
	return self->exit_code;
}

int
cli_analyze(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *worker_path = NULL;
	gboolean no_progress = FALSE;
	GOptionEntry entries[] = {
		{"worker-path", 0, 0, G_OPTION_ARG_FILENAME, &worker_path, "The sharkapi-worker binary", "PATH"},
		{"no-progress", 0, 0, G_OPTION_ARG_NONE, &no_progress, "No progress bar on stderr", NULL},
		{NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new(
		"FILE ROUTE [NAME=VALUE ...] - print what GET /api/v2/analysis/<id>/ROUTE (or info) answers for FILE");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return analyze_fail(error->message);
	if (argc < 3)
		return analyze_fail("usage: sharkapi analyze FILE ROUTE [NAME=VALUE ...]");
	const char *const *arguments = (const char *const *)argv + 3;
	if (!http_arguments_check_form(arguments, &error))
		return analyze_fail(error->message);
	if (worker_path == NULL)
		worker_path = cli_default_worker_path();
	g_autofree char *route = analyze_route_name(argv[2]);
	g_autofree char *data_dir = g_dir_make_tmp("sharkapi-analyze-XXXXXX", &error);
	if (data_dir == NULL)
		return analyze_fail(error->message);

	Analyze self = {
		.arguments = arguments,
		.show_progress = !no_progress && isatty(STDERR_FILENO),
		.stdout_is_tty = isatty(STDOUT_FILENO),
		.ends_with_newline = TRUE,
	};
	int code = analyze_run(&self, argv[1], route, worker_path, data_dir);
	store_capture_free(self.capture);
	http_request_clear_offline(&self.request);
	g_free(self.prefix);
	io_query_clear(&self.io);
	g_strfreev(self.path_names);
	g_strfreev(self.path_values);
	if (!file_tree_remove(data_dir, &error))
		g_warning("%s, ignoring", error->message);
	return code;
}
