/* routes-answer-file.c: cached or freshly computed answer files (routes-answer-file.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "answers"

#include "http/routes-answer-file.h"

#include <glib/gstdio.h>

#include "metrics.h"
#include "sharkapi-error.h"
#include "store/store.h"

#include <errno.h>

struct AnswerFile {
	ResultCache *results; /* NULL: not cached */
	Job *job;
	char *capture_id;
	char *cache_key;
	char *temp_path;
	AnswerFileReady ready;
	gpointer user_data;
};

static void
answer_file_free(AnswerFile *self)
{
	if (self->temp_path != NULL && g_unlink(self->temp_path) != 0)
		g_debug("removing %s: %s", self->temp_path, g_strerror(errno));
	g_free(self->temp_path);
	g_free(self->capture_id);
	g_free(self->cache_key);
	g_free(self);
}

/* The finished file: into the cache when it takes it, else mapped from tmp/ and removed
 * (the mapping outlives the name). */
static GMappedFile *
answer_file_take(AnswerFile *self, GError **error)
{
	if (self->results != NULL &&
	    result_cache_adopt(self->results, self->capture_id, self->cache_key, self->temp_path)) {
		g_clear_pointer(&self->temp_path, g_free);
		GMappedFile *mapped = result_cache_map(self->results, self->capture_id, self->cache_key);
		if (mapped != NULL)
			return mapped;
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "a cached answer vanished");
		return NULL;
	}
	return g_mapped_file_new(self->temp_path, FALSE, error);
}

static void
answer_file_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	AnswerFile *self = user_data;
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GMappedFile) mapped = NULL;
	self->job = NULL;
	if (error == NULL) {
		mapped = answer_file_take(self, &local_error);
		error = local_error;
	}
	/* Computed now: a miss, even when the cache keeps it from here on. */
	self->ready(mapped, FALSE, error, self->user_data);
	answer_file_free(self);
}

static AnswerFile *
answer_file_start(AnswerFile *self, Store *store, JobQueue *jobs, AnswerFileJobLine job_line, const char *warm_key)
{
	g_autoptr(GError) error = NULL;
	static const JobCallbacks callbacks = {.done = answer_file_done_cb};

	self->temp_path = store_new_temp_file(store, "answer", &error);
	if (self->temp_path != NULL) {
		g_autofree char *line = job_line(self->temp_path, self->user_data);
		self->job = job_queue_submit(jobs, line, warm_key, &callbacks, self, &error);
	}
	if (self->job == NULL) {
		self->ready(NULL, FALSE, error, self->user_data);
		answer_file_free(self);
		return NULL;
	}
	return self;
}

AnswerFile *
answer_file_fetch(HttpServer *server, const char *capture_id, const char *cache_key, const char *metric_label,
		  AnswerFileJobLine job_line, const char *warm_key, AnswerFileReady ready, gpointer user_data)
{
	g_autoptr(GMappedFile) mapped = result_cache_map(server->results, capture_id, cache_key);
	metrics_inc(mapped != NULL ? "sharkapi_cache_hits_total" : "sharkapi_cache_misses_total", metric_label);
	if (mapped != NULL) {
		ready(mapped, TRUE, NULL, user_data);
		return NULL;
	}
	AnswerFile *self = g_new0(AnswerFile, 1);
	self->results = server->results;
	self->capture_id = g_strdup(capture_id);
	self->cache_key = g_strdup(cache_key);
	self->ready = ready;
	self->user_data = user_data;
	return answer_file_start(self, server->store, server->jobs, job_line, warm_key);
}

AnswerFile *
answer_file_fetch_uncached(Store *store, JobQueue *jobs, AnswerFileJobLine job_line, AnswerFileReady ready,
			   gpointer user_data)
{
	AnswerFile *self = g_new0(AnswerFile, 1);
	self->ready = ready;
	self->user_data = user_data;
	return answer_file_start(self, store, jobs, job_line, NULL);
}

void
answer_file_cancel(AnswerFile *self)
{
	if (self->job != NULL)
		job_cancel(self->job);
	answer_file_free(self);
}

/* ---- a request waiting for its answer ---- */

typedef struct {
	SoupServerMessage *msg;
	AnswerFile *fetch;
	gboolean parked;
	gulong finished_handler;
	AnswerFileReply reply;
	gpointer user_data;
	GDestroyNotify destroy;
	AnswerFileJobLine job_line;
} AnswerFileRequest;

static void
answer_file_request_free(AnswerFileRequest *self)
{
	if (self->finished_handler != 0)
		g_signal_handler_disconnect(self->msg, self->finished_handler);
	if (self->destroy != NULL)
		self->destroy(self->user_data);
	g_object_unref(self->msg);
	g_free(self);
}

static char *
answer_file_request_line_cb(const char *output, gpointer user_data)
{
	AnswerFileRequest *self = user_data;
	return self->job_line(output, self->user_data);
}

static void
answer_file_request_ready_cb(GMappedFile *answer, gboolean cached, const GError *error, gpointer user_data)
{
	AnswerFileRequest *self = user_data;
	self->reply(self->msg, answer, cached, error, self->user_data);
	if (!self->parked)
		return; /* answered before answer_file_reply() returns; it frees */
	soup_server_message_unpause(self->msg);
	answer_file_request_free(self);
}

static void
answer_file_request_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	AnswerFileRequest *self = user_data;
	g_message("client left while its answer was computed: stopping its job");
	answer_file_cancel(self->fetch);
	answer_file_request_free(self);
}

void
answer_file_reply(HttpRequest *request, const char *cache_key, const char *metric_label, AnswerFileJobLine job_line,
		  const char *warm_key, AnswerFileReply reply, gpointer user_data, GDestroyNotify destroy)
{
	AnswerFileRequest *self = g_new0(AnswerFileRequest, 1);
	self->msg = g_object_ref(request->msg);
	self->reply = reply;
	self->user_data = user_data;
	self->destroy = destroy;
	self->job_line = job_line;
	self->fetch = answer_file_fetch(request->server, request->capture_id, cache_key, metric_label,
					answer_file_request_line_cb, warm_key, answer_file_request_ready_cb, self);
	if (self->fetch == NULL) {
		answer_file_request_free(self);
		return;
	}
	self->parked = TRUE;
	http_request_park(request);
	self->finished_handler =
		g_signal_connect(self->msg, "finished", G_CALLBACK(answer_file_request_finished_cb), self);
}
