/* http-job-answer.c: answers that a worker job streams (http-job-answer.h).
 * Each DATA frame becomes one chunk; the worker is read again only after libsoup wrote that
 * chunk ("wrote-chunk"), so a slow client slows the worker, not the server's memory. A failure
 * after the first chunk ends the response without its final chunk (NDJSON: after one last error
 * line), as API.md says. A complete answer is also written to the result cache; the same query
 * later is streamed from that file the same way, chunk by chunk ("X-Sharkapi-Cache: hit").
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-job-answer.h"

#include <string.h>

#include "http/http-reply.h"
#include "metrics.h"
#include "sharkapi-error.h"
#include "store/store-result-cache.h"

#define JOB_ANSWER_CACHED_CHUNK (64 * 1024)

typedef struct {
	SoupServerMessage *msg;
	Job *job;
	ResultCacheWriter *cache_writer; /* recording a fresh answer */
	GInputStream *cached;            /* replaying a cached one */
	gboolean ndjson;     /* a failure mid-answer ends with an NDJSON error line */
	const char *content_type;
	char *prefix; /* written before the body, not cached */
	char *suffix; /* written after it, not cached */
	gboolean started;  /* headers and a first chunk are out */
	gboolean aborting; /* connection to be dropped after the last chunk */
	gboolean committing; /* the answer goes into the cache before its last chunk goes out */
	gboolean gone;       /* "finished" came while committing: the commit's end frees */
	gulong wrote_chunk_handler;
	gulong finished_handler;
} JobAnswer;

static void
job_answer_free(JobAnswer *stream)
{
	if (stream->wrote_chunk_handler != 0)
		g_signal_handler_disconnect(stream->msg, stream->wrote_chunk_handler);
	if (stream->finished_handler != 0)
		g_signal_handler_disconnect(stream->msg, stream->finished_handler);
	if (stream->cache_writer != NULL)
		result_cache_writer_abort(stream->cache_writer);
	g_clear_object(&stream->cached);
	g_object_unref(stream->msg);
	g_free(stream->prefix);
	g_free(stream->suffix);
	g_free(stream);
}

static void job_answer_cached_next(JobAnswer *stream);

static void
job_answer_wrote_chunk_cb(SoupServerMessage *msg, gpointer user_data)
{
	JobAnswer *stream = user_data;
	if (stream->aborting) {
		/* Dropping the connection without the final chunk marks the answer as broken. */
		g_autoptr(GIOStream) connection = soup_server_message_steal_connection(msg);
		if (connection != NULL)
			g_io_stream_close(connection, NULL, NULL);
		job_answer_free(stream);
		return;
	}
	if (stream->job != NULL)
		job_resume(stream->job);
	else if (stream->cached != NULL)
		job_answer_cached_next(stream);
}

static void
job_answer_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	JobAnswer *stream = user_data;
	if (stream->committing) {
		stream->gone = TRUE;
		return;
	}
	if (stream->job != NULL) {
		g_message("client left during a fields query: stopping its job");
		job_cancel(g_steal_pointer(&stream->job));
	}
	job_answer_free(stream);
}

static void
job_answer_start_response(JobAnswer *stream)
{
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(stream->msg);
	soup_server_message_set_status(stream->msg, 200, NULL);
	soup_message_headers_replace(headers, "X-Sharkapi-Cache", stream->cached != NULL ? "hit" : "miss");
	soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
	soup_message_headers_set_content_type(headers, stream->content_type, NULL);
	soup_message_body_set_accumulate(soup_server_message_get_response_body(stream->msg), FALSE);
	if (stream->prefix != NULL) {
		gsize length = strlen(stream->prefix);
		soup_message_body_append(soup_server_message_get_response_body(stream->msg), SOUP_MEMORY_TAKE,
					 g_steal_pointer(&stream->prefix), length);
	}
	stream->started = TRUE;
}

static gboolean
job_answer_job_data_cb(Job *job, GBytes *chunk, gpointer user_data)
{
	JobAnswer *stream = user_data;
	if (!stream->started)
		job_answer_start_response(stream);
	if (stream->cache_writer != NULL)
		result_cache_writer_append(stream->cache_writer, chunk);
	soup_message_body_append_bytes(soup_server_message_get_response_body(stream->msg), chunk);
	soup_server_message_unpause(stream->msg);
	return TRUE; /* read the worker again once this chunk is written */
}

static void job_answer_abort(JobAnswer *stream, const GError *error);

/* The body is all out: the suffix, then the final chunk. */
static void
job_answer_complete(JobAnswer *stream)
{
	SoupMessageBody *body = soup_server_message_get_response_body(stream->msg);
	if (stream->suffix != NULL) {
		gsize length = strlen(stream->suffix);
		soup_message_body_append(body, SOUP_MEMORY_TAKE, g_steal_pointer(&stream->suffix), length);
	}
	soup_message_body_complete(body);
}

static void
job_answer_committed_cb(gpointer user_data)
{
	JobAnswer *stream = user_data;
	stream->committing = FALSE;
	if (stream->gone) {
		job_answer_free(stream);
		return;
	}
	job_answer_complete(stream);
	soup_server_message_unpause(stream->msg);
	/* "finished" frees the stream */
}

static void
job_answer_job_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	JobAnswer *stream = user_data;
	stream->job = NULL;

	if (error == NULL) {
		if (!stream->started)
			job_answer_start_response(stream);
		if (stream->cache_writer != NULL) {
			/* The last chunk waits for the cache: a repeat of this query, sent once this
			 * answer is in, is a hit (the sync itself runs off the main loop). */
			stream->committing = TRUE;
			result_cache_writer_commit(g_steal_pointer(&stream->cache_writer), job_answer_committed_cb, stream);
			return;
		}
		job_answer_complete(stream);
		soup_server_message_unpause(stream->msg);
		return; /* "finished" frees the stream */
	}
	if (stream->cache_writer != NULL)
		result_cache_writer_abort(g_steal_pointer(&stream->cache_writer));
	if (!stream->started) {
		http_reply_error(stream->msg, error);
		soup_server_message_unpause(stream->msg);
		return;
	}
	g_warning("a job's answer failed mid-stream: %s", error->message);
	job_answer_abort(stream, error);
}

/* Ends a started answer as broken: the connection drops without the final chunk. */
static void
job_answer_abort(JobAnswer *stream, const GError *error)
{
	SoupMessageBody *body = soup_server_message_get_response_body(stream->msg);
	stream->aborting = TRUE;
	g_signal_handler_disconnect(stream->msg, stream->finished_handler);
	stream->finished_handler = 0;
	if (stream->ndjson) {
		g_autoptr(JsonWriter) writer = json_writer_new();
		http_reply_write_error(writer, sharkapi_error_http_status(error), error->message);
		g_autofree char *line = g_strconcat(json_writer_get_data(writer), "\n", NULL);
		soup_message_body_append(body, SOUP_MEMORY_COPY, line, strlen(line));
	} else {
		soup_message_body_append(body, SOUP_MEMORY_STATIC, "", 0);
	}
	soup_server_message_unpause(stream->msg);
}

static void
job_answer_connect_signals(JobAnswer *stream)
{
	stream->wrote_chunk_handler =
		g_signal_connect(stream->msg, "wrote-chunk", G_CALLBACK(job_answer_wrote_chunk_cb), stream);
	stream->finished_handler = g_signal_connect(stream->msg, "finished", G_CALLBACK(job_answer_finished_cb), stream);
}

/* Sends the next piece of a cached answer; called again from "wrote-chunk". */
static void
job_answer_cached_next(JobAnswer *stream)
{
	g_autoptr(GError) error = NULL;
	SoupMessageBody *body = soup_server_message_get_response_body(stream->msg);
	g_autoptr(GBytes) chunk = g_input_stream_read_bytes(stream->cached, JOB_ANSWER_CACHED_CHUNK, NULL, &error);
	if (chunk == NULL) {
		g_warning("reading a cached answer failed mid-stream: %s", error->message);
		g_clear_object(&stream->cached);
		job_answer_abort(stream, error);
		return;
	}
	if (g_bytes_get_size(chunk) == 0) {
		g_clear_object(&stream->cached);
		job_answer_complete(stream);
	} else {
		soup_message_body_append_bytes(body, chunk);
	}
	soup_server_message_unpause(stream->msg);
}


void
http_job_answer_start(HttpRequest *request, const HttpJobAnswer *answer)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = request->server;
	JobAnswer *stream = g_new0(JobAnswer, 1);
	g_autofree char *labels = metrics_labels("cache", answer->cache_label, NULL);

	stream->msg = g_object_ref(request->msg);
	stream->ndjson = answer->ndjson;
	stream->content_type = answer->content_type;
	stream->prefix = g_strdup(answer->prefix);
	stream->suffix = g_strdup(answer->suffix);
	stream->cached = result_cache_open(server->results, answer->capture_id, answer->cache_key);
	metrics_inc(stream->cached != NULL ? "sharkapi_cache_hits_total" : "sharkapi_cache_misses_total", labels);
	if (stream->cached != NULL) {
		soup_server_message_pause(request->msg);
		job_answer_connect_signals(stream);
		job_answer_start_response(stream);
		job_answer_cached_next(stream);
		return;
	}
	static const JobCallbacks callbacks = {
		.data = job_answer_job_data_cb,
		.done = job_answer_job_done_cb,
	};
	stream->job = job_queue_submit(server->jobs, answer->job_request, answer->warm_key, &callbacks, stream, &error);
	if (stream->job == NULL) {
		http_reply_error(request->msg, error);
		job_answer_free(stream);
		return;
	}
	stream->cache_writer = result_cache_writer_new(server->results, answer->capture_id, answer->cache_key);
	job_answer_connect_signals(stream);
	http_request_park(request);
}
