/* worker-jobs.c: the worker's jobs. One table maps a request's "job" to its handler; each
 * handler reads its members, runs the engine and, on success, sends END itself. A job's
 * failure becomes an ERROR frame and the worker stays usable for the next request.
 * Must not include epan headers or touch libwireshark: the engine does.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "worker"

#include "worker/worker-jobs.h"

#include "engine/engine-fields.h"
#include "engine/engine-follow.h"
#include "engine/engine-frame-list.h"
#include "engine/engine-frame-tree.h"
#include "engine/engine-io.h"
#include "engine/engine-objects.h"
#include "engine/engine-match.h"
#include "engine/engine-summary.h"
#include "engine/engine-tables.h"
#include "sharkapi-error.h"
#include "worker/worker-request.h"
#include "worker-protocol.h"

#include <string.h>

typedef struct {
	Engine *engine;
	WorkerChannel *channel;
	gboolean channel_failed; /* set when a send failed: the worker must exit */
} WorkerJob;

typedef gboolean (*WorkerJobFunc)(WorkerJob *job, JsonObject *request, GError **error);

gboolean
worker_jobs_hello(Engine *engine, WorkerChannel *channel, GError **error)
{
	g_autoptr(JsonWriter) writer = json_writer_new();

	json_writer_begin_object(writer);
	json_writer_key(writer, WORKER_HELLO_TABLES);
	engine_tables_write_list(engine_get_tables(engine), writer);
	json_writer_member_string(writer, WORKER_HELLO_VERSION, engine_get_version());
	json_writer_end_object(writer);
	return worker_channel_send_json(channel, WORKER_FRAME_HELLO, writer, error);
}

static void
worker_jobs_progress_cb(double fraction, gpointer user_data)
{
	WorkerJob *job = user_data;
	worker_channel_progress(job->channel, fraction);
}

/* Sends END; a failure here is the channel's, not the job's. */
static gboolean
worker_jobs_end(WorkerJob *job, JsonWriter *writer, GError **error)
{
	if (!worker_channel_send_json(job->channel, WORKER_FRAME_END, writer, error)) {
		job->channel_failed = TRUE;
		return FALSE;
	}
	return TRUE;
}

/* END {"first_passes":N[,key:value]} for the jobs that dissect in a session the engine may keep
 * warm; key (NULL for none) must sort after "first_passes". */
static gboolean
worker_jobs_end_passes(WorkerJob *job, const char *key, gint64 value, GError **error)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_int(writer, WORKER_END_FIRST_PASSES, engine_get_first_passes(job->engine));
	if (key != NULL)
		json_writer_member_int(writer, key, value);
	json_writer_end_object(writer);
	return worker_jobs_end(job, writer, error);
}

static gboolean
worker_jobs_get_passes(JsonObject *request, int *passes, GError **error)
{
	gint64 value = 1;

	if (!worker_request_get_int(request, WORKER_REQUEST_PASSES, 1, &value, error))
		return FALSE;
	if (value != 1 && value != 2) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "request member passes must be 1 or 2");
		return FALSE;
	}
	*passes = (int)value;
	return TRUE;
}

/* Optional "shard":K,"shards":N: N = 0 (or absent) is the whole capture. */
static gboolean
worker_jobs_get_shard(JsonObject *request, EngineSummaryRequest *summary, GError **error)
{
	gint64 shard = 0, shards = 0;

	if (!worker_request_get_int(request, WORKER_REQUEST_SHARD, 0, &shard, error) ||
	    !worker_request_get_int(request, WORKER_REQUEST_SHARDS, 0, &shards, error))
		return FALSE;
	if (shards < 0 || shards > 64 || shard < 0 || (shards > 0 && shard >= shards)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "request members shard and shards must satisfy 0 <= shard < shards <= 64");
		return FALSE;
	}
	summary->shard = (guint)shard;
	summary->n_shards = (guint)shards;
	return TRUE;
}

/* {"job":"summary","capture":PATH,"output":DIR,"filter":"","passes":1[,"shard":K,"shards":N]}
 * -> END {"first_passes":N,"frames":N}; a shard's END adds "unsafe": null or why its partial
 * results may not merge exactly. */
static gboolean
worker_jobs_summary(WorkerJob *job, JsonObject *request, GError **error)
{
	EngineSummaryRequest summary = {0};
	g_autoptr(JsonWriter) writer = NULL;
	g_autofree char *unsafe = NULL;
	guint32 frames = 0;
	gboolean ok;

	if (!worker_request_get_string(request, WORKER_REQUEST_CAPTURE, NULL, &summary.capture, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_OUTPUT, NULL, &summary.output, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_FILTER, "", &summary.filter, error) ||
	    !worker_jobs_get_passes(request, &summary.passes, error) ||
	    !worker_jobs_get_shard(request, &summary, error))
		return FALSE;
	if (summary.n_shards > 0)
		ok = engine_summary_run_shard(job->engine, &summary, worker_jobs_progress_cb, job, &frames,
					      &unsafe, error);
	else
		ok = engine_summary_run(job->engine, &summary, worker_jobs_progress_cb, job, &frames, error);
	if (!ok)
		return FALSE;
	writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_int(writer, WORKER_END_FIRST_PASSES, engine_get_first_passes(job->engine));
	json_writer_member_int(writer, WORKER_END_FRAMES, frames);
	if (summary.n_shards > 0)
		json_writer_member_string(writer, WORKER_END_UNSAFE, unsafe);
	json_writer_end_object(writer);
	return worker_jobs_end(job, writer, error);
}

/* {"job":"summary_merge","output":DIR,"parts":[DIR0,DIR1,...]} -> END {} */
static gboolean
worker_jobs_summary_merge(WorkerJob *job, JsonObject *request, GError **error)
{
	g_autoptr(GPtrArray) parts = NULL;
	g_autoptr(JsonWriter) writer = NULL;
	const char *output = NULL;

	if (!worker_request_get_string(request, WORKER_REQUEST_OUTPUT, NULL, &output, error) ||
	    !worker_request_get_strings(request, WORKER_REQUEST_PARTS, &parts, error))
		return FALSE;
	if (!engine_summary_merge((const char *const *)parts->pdata, parts->len, output, error))
		return FALSE;
	writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_end_object(writer);
	return worker_jobs_end(job, writer, error);
}

static gboolean
worker_jobs_data_cb(const char *data, gsize length, gpointer user_data, GError **error)
{
	WorkerJob *job = user_data;

	if (!worker_channel_send(job->channel, WORKER_FRAME_DATA, data, length, error)) {
		job->channel_failed = TRUE;
		return FALSE;
	}
	return TRUE;
}

static gboolean
worker_jobs_get_format(JsonObject *request, gboolean *ndjson, GError **error)
{
	const char *format = NULL;

	if (!worker_request_get_string(request, WORKER_REQUEST_FORMAT, "json", &format, error))
		return FALSE;
	if (strcmp(format, "json") != 0 && strcmp(format, "ndjson") != 0) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "request member format must be \"json\" or \"ndjson\"");
		return FALSE;
	}
	*ndjson = strcmp(format, "ndjson") == 0;
	return TRUE;
}

/* {"job":"fields","capture":PATH,"fields":[...],"filter":"","passes":1,"limit":-1,"offset":0,
 *  "format":"json"|"ndjson"} -> DATA... then END {"first_passes":N,"rows":N} */
static gboolean
worker_jobs_fields(WorkerJob *job, JsonObject *request, GError **error)
{
	EngineFieldsRequest fields = {0};
	g_autoptr(GPtrArray) names = NULL;
	guint64 rows = 0;

	if (!worker_request_get_string(request, WORKER_REQUEST_CAPTURE, NULL, &fields.capture, error) ||
	    !worker_request_get_strings(request, WORKER_REQUEST_FIELDS, &names, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_FILTER, "", &fields.filter, error) ||
	    !worker_jobs_get_passes(request, &fields.passes, error) ||
	    !worker_request_get_int(request, WORKER_REQUEST_LIMIT, -1, &fields.limit, error) ||
	    !worker_request_get_int(request, WORKER_REQUEST_OFFSET, 0, &fields.offset, error) ||
	    !worker_jobs_get_format(request, &fields.ndjson, error))
		return FALSE;
	fields.fields = (const char *const *)names->pdata;
	fields.n_fields = names->len;
	if (!engine_fields_run(job->engine, &fields, worker_jobs_data_cb, job,
			       worker_jobs_progress_cb, job, &rows, error))
		return FALSE;
	return worker_jobs_end_passes(job, WORKER_END_ROWS, (gint64)rows, error);
}

/* {"job":"check_filter","filter":"..."} -> END {} */
static gboolean
worker_jobs_check_filter(WorkerJob *job, JsonObject *request, GError **error)
{
	g_autoptr(JsonWriter) writer = NULL;
	const char *text = NULL;

	if (!worker_request_get_string(request, WORKER_REQUEST_FILTER, NULL, &text, error) ||
	    !engine_check_filter(text, error))
		return FALSE;
	writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_end_object(writer);
	return worker_jobs_end(job, writer, error);
}

/* {"capture":PATH,"filter":"...","job":"match"} -> END {"frames":N,"matched":bool}
 * frames: those dissected, up to and including the first match. */
static gboolean
worker_jobs_match(WorkerJob *job, JsonObject *request, GError **error)
{
	EngineMatchRequest match = {0};
	g_autoptr(JsonWriter) writer = NULL;
	gboolean matched = FALSE;
	guint32 frames = 0;

	if (!worker_request_get_string(request, WORKER_REQUEST_CAPTURE, NULL, &match.capture, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_FILTER, NULL, &match.filter, error))
		return FALSE;
	if (!engine_match_run(job->engine, &match, worker_jobs_progress_cb, job, &matched, &frames, error))
		return FALSE;
	writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_int(writer, WORKER_END_FRAMES, frames);
	json_writer_member_bool(writer, WORKER_END_MATCHED, matched);
	json_writer_end_object(writer);
	return worker_jobs_end(job, writer, error);
}

/* {"job":"frame_list","capture":PATH,"columns":[...],"output":DIR,"filter":"","passes":1,"limit":-1}
 * -> END {"first_passes":N,"rows":N} */
static gboolean
worker_jobs_frame_list(WorkerJob *job, JsonObject *request, GError **error)
{
	EngineFrameListRequest list = {0};
	g_autoptr(GPtrArray) columns = NULL;
	guint64 rows = 0;

	if (!worker_request_get_string(request, WORKER_REQUEST_CAPTURE, NULL, &list.capture, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_OUTPUT, NULL, &list.output, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_FILTER, "", &list.filter, error) ||
	    !worker_jobs_get_passes(request, &list.passes, error) ||
	    !worker_request_get_int(request, WORKER_REQUEST_LIMIT, -1, &list.limit, error))
		return FALSE;
	if (json_object_has_member(request, WORKER_REQUEST_COLUMNS)) {
		if (!worker_request_get_strings(request, WORKER_REQUEST_COLUMNS, &columns, error))
			return FALSE;
		list.columns = (const char *const *)columns->pdata;
		list.n_columns = columns->len;
	}
	if (!engine_frame_list_run(job->engine, &list, worker_jobs_progress_cb, job, &rows, error))
		return FALSE;
	return worker_jobs_end_passes(job, WORKER_END_ROWS, (gint64)rows, error);
}

/* {"job":"frame_tree","capture":PATH,"frame":N,"passes":1,"hidden":false} -> DATA... END {} */
static gboolean
worker_jobs_frame_tree(WorkerJob *job, JsonObject *request, GError **error)
{
	EngineFrameTreeRequest tree = {0};
	gint64 frame = 0;

	if (!worker_request_get_string(request, WORKER_REQUEST_CAPTURE, NULL, &tree.capture, error) ||
	    !worker_request_get_int(request, WORKER_REQUEST_FRAME, 0, &frame, error) ||
	    !worker_jobs_get_passes(request, &tree.passes, error))
		return FALSE;
	if (frame < 1 || frame > G_MAXUINT32) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "frame %" G_GINT64_FORMAT " is not in the capture",
			    frame);
		return FALSE;
	}
	tree.frame = (guint32)frame;
	tree.hidden = json_object_get_boolean_member_with_default(request, WORKER_REQUEST_HIDDEN, FALSE);
	if (!engine_frame_tree_run(job->engine, &tree, worker_jobs_data_cb, job, worker_jobs_progress_cb, job, error))
		return FALSE;
	return worker_jobs_end_passes(job, NULL, 0, error);
}

/* {"job":"follow","capture":PATH,"protocol":"tcp","stream":N,"substream":-1} -> DATA... END {"chunks":N} */
static gboolean
worker_jobs_follow(WorkerJob *job, JsonObject *request, GError **error)
{
	EngineFollowRequest follow = {0};
	g_autoptr(JsonWriter) writer = NULL;
	guint64 chunks = 0;

	if (!worker_request_get_string(request, WORKER_REQUEST_CAPTURE, NULL, &follow.capture, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_PROTOCOL, NULL, &follow.protocol, error) ||
	    !worker_request_get_int(request, WORKER_REQUEST_STREAM, 0, &follow.stream, error) ||
	    !worker_request_get_int(request, WORKER_REQUEST_SUBSTREAM, -1, &follow.substream, error))
		return FALSE;
	if (!engine_follow_run(job->engine, &follow, worker_jobs_data_cb, job, worker_jobs_progress_cb, job, &chunks,
			       error))
		return FALSE;
	writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_int(writer, WORKER_END_CHUNKS, (gint64)chunks);
	json_writer_end_object(writer);
	return worker_jobs_end(job, writer, error);
}

/* {"capture":PATH,"columns":[...],"interval":"S","job":"io","output":FILE,"passes":1}
 * -> END {"rows":N} */
static gboolean
worker_jobs_io(WorkerJob *job, JsonObject *request, GError **error)
{
	EngineIoRequest io = {0};
	g_autoptr(GPtrArray) columns = NULL;
	g_autoptr(JsonWriter) writer = NULL;
	guint64 rows = 0;

	if (!worker_request_get_string(request, WORKER_REQUEST_CAPTURE, NULL, &io.capture, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_OUTPUT, NULL, &io.output, error) ||
	    !worker_request_get_strings(request, WORKER_REQUEST_COLUMNS, &columns, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_INTERVAL, NULL, &io.interval, error) ||
	    !worker_jobs_get_passes(request, &io.passes, error))
		return FALSE;
	io.columns = (const char *const *)columns->pdata;
	io.n_columns = columns->len;
	if (!engine_io_run(job->engine, &io, worker_jobs_progress_cb, job, &rows, error))
		return FALSE;
	writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_int(writer, WORKER_END_ROWS, (gint64)rows);
	json_writer_end_object(writer);
	return worker_jobs_end(job, writer, error);
}

/* {"capture":PATH,"job":"objects","output":FILE,"passes":1,"protocol":"http"}
 * -> END {"objects":N} */
static gboolean
worker_jobs_objects(WorkerJob *job, JsonObject *request, GError **error)
{
	EngineObjectsRequest objects = {0};
	g_autoptr(JsonWriter) writer = NULL;
	guint count = 0;

	if (!worker_request_get_string(request, WORKER_REQUEST_CAPTURE, NULL, &objects.capture, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_OUTPUT, NULL, &objects.output, error) ||
	    !worker_request_get_string(request, WORKER_REQUEST_PROTOCOL, NULL, &objects.protocol, error) ||
	    !worker_jobs_get_passes(request, &objects.passes, error))
		return FALSE;
	if (!engine_objects_run(job->engine, &objects, worker_jobs_progress_cb, job, &count, error))
		return FALSE;
	writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_int(writer, WORKER_END_OBJECTS, count);
	json_writer_end_object(writer);
	return worker_jobs_end(job, writer, error);
}

/* dissects: the job reads a capture, with the request's "tls_keys" (none when absent). */
static const struct {
	const char *name;
	WorkerJobFunc func;
	gboolean dissects;
} worker_jobs_table[] = {
    {WORKER_JOB_CHECK_FILTER, worker_jobs_check_filter, FALSE},
    {WORKER_JOB_FIELDS, worker_jobs_fields, TRUE},
    {WORKER_JOB_FOLLOW, worker_jobs_follow, TRUE},
    {WORKER_JOB_FRAME_LIST, worker_jobs_frame_list, TRUE},
    {WORKER_JOB_FRAME_TREE, worker_jobs_frame_tree, TRUE},
    {WORKER_JOB_MATCH, worker_jobs_match, TRUE},
    {WORKER_JOB_SUMMARY, worker_jobs_summary, TRUE},
    {WORKER_JOB_SUMMARY_MERGE, worker_jobs_summary_merge, FALSE},
    {WORKER_JOB_IO, worker_jobs_io, TRUE},
    {WORKER_JOB_OBJECTS, worker_jobs_objects, TRUE},
};

static gboolean
worker_jobs_dispatch(WorkerJob *job, const char *line, gsize length, GError **error)
{
	g_autoptr(JsonNode) root = worker_request_parse(line, length, error);
	JsonObject *request;
	const char *name = NULL;

	if (root == NULL)
		return FALSE;
	request = json_node_get_object(root);
	if (!worker_request_get_string(request, WORKER_REQUEST_JOB, NULL, &name, error))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(worker_jobs_table); i++) {
		if (strcmp(worker_jobs_table[i].name, name) != 0)
			continue;
		if (worker_jobs_table[i].dissects) {
			const char *tls_keys = NULL;
			if (!worker_request_get_string(request, WORKER_REQUEST_TLS_KEYS, "", &tls_keys, error) ||
			    !engine_set_tls_keys(job->engine, tls_keys, error))
				return FALSE;
		}
		return worker_jobs_table[i].func(job, request, error);
	}
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "unknown job: %s", name);
	return FALSE;
}

gboolean
worker_jobs_run_line(Engine *engine, WorkerChannel *channel, const char *line, gsize length,
		     GError **error)
{
	WorkerJob job = {engine, channel, FALSE};
	g_autoptr(GError) job_error = NULL;

	worker_channel_reset_progress(channel);
	/* Progress 0 at once acknowledges the job: the server tells "died before reading it" (not
	 * the capture's fault) from "died on it". */
	worker_channel_progress(channel, 0.0);
	if (worker_jobs_dispatch(&job, line, length, &job_error))
		return TRUE;
	if (job.channel_failed) {
		g_propagate_error(error, g_steal_pointer(&job_error));
		return FALSE;
	}
	return worker_channel_send_error(channel, job_error, error);
}
