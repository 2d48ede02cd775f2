/* job-requests.c: worker job request lines (job-requests.h). Members are written in name
 * order, as the worker's own JSON is.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "jobs/job-requests.h"

#include "json-writer.h"
#include "store/store-capture.h"
#include "worker-protocol.h"

/* The capture's NSS key log, when it has one (PUT tls-keys), for every job that dissects it:
 * "tls_keys" sorts after every other member, so it is written last. */
static void
job_request_end_capture(JsonWriter *writer, const char *capture_path)
{
	g_autofree char *keys = store_capture_tls_keys_beside(capture_path);
	if (g_file_test(keys, G_FILE_TEST_IS_REGULAR))
		json_writer_member_string(writer, WORKER_REQUEST_TLS_KEYS, keys);
	json_writer_end_object(writer);
}

char *
job_request_summary(const char *capture_path, const char *output_dir, const char *filter, guint passes, guint shard,
		    guint shards)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_REQUEST_CAPTURE, capture_path);
	json_writer_member_string(writer, WORKER_REQUEST_FILTER, filter != NULL ? filter : "");
	json_writer_member_string(writer, WORKER_REQUEST_JOB, WORKER_JOB_SUMMARY);
	json_writer_member_string(writer, WORKER_REQUEST_OUTPUT, output_dir);
	json_writer_member_int(writer, WORKER_REQUEST_PASSES, passes);
	if (shards > 0) {
		json_writer_member_int(writer, WORKER_REQUEST_SHARD, shard);
		json_writer_member_int(writer, WORKER_REQUEST_SHARDS, shards);
	}
	job_request_end_capture(writer, capture_path);
	return json_writer_steal_string(writer);
}

char *
job_request_summary_merge(const char *output_dir, GPtrArray *parts)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_REQUEST_JOB, WORKER_JOB_SUMMARY_MERGE);
	json_writer_member_string(writer, WORKER_REQUEST_OUTPUT, output_dir);
	json_writer_key(writer, WORKER_REQUEST_PARTS);
	json_writer_begin_array(writer);
	for (guint i = 0; i < parts->len; i++)
		json_writer_string(writer, g_ptr_array_index(parts, i));
	json_writer_end_array(writer);
	json_writer_end_object(writer);
	return json_writer_steal_string(writer);
}

char *
job_request_fields(const char *capture_path, GPtrArray *fields, const char *filter, guint passes, gint64 limit,
		   gint64 offset, gboolean ndjson)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_REQUEST_CAPTURE, capture_path);
	json_writer_key(writer, WORKER_REQUEST_FIELDS);
	json_writer_begin_array(writer);
	for (guint i = 0; i < fields->len; i++)
		json_writer_string(writer, g_ptr_array_index(fields, i));
	json_writer_end_array(writer);
	json_writer_member_string(writer, WORKER_REQUEST_FILTER, filter != NULL ? filter : "");
	json_writer_member_string(writer, WORKER_REQUEST_FORMAT, ndjson ? "ndjson" : "json");
	json_writer_member_string(writer, WORKER_REQUEST_JOB, WORKER_JOB_FIELDS);
	json_writer_member_int(writer, WORKER_REQUEST_LIMIT, limit);
	json_writer_member_int(writer, WORKER_REQUEST_OFFSET, offset);
	json_writer_member_int(writer, WORKER_REQUEST_PASSES, passes);
	job_request_end_capture(writer, capture_path);
	return json_writer_steal_string(writer);
}

char *
job_request_check_filter(const char *filter)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_REQUEST_FILTER, filter);
	json_writer_member_string(writer, WORKER_REQUEST_JOB, WORKER_JOB_CHECK_FILTER);
	json_writer_end_object(writer);
	return json_writer_steal_string(writer);
}

char *
job_request_match(const char *capture_path, const char *filter)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_REQUEST_CAPTURE, capture_path);
	json_writer_member_string(writer, WORKER_REQUEST_FILTER, filter);
	json_writer_member_string(writer, WORKER_REQUEST_JOB, WORKER_JOB_MATCH);
	job_request_end_capture(writer, capture_path);
	return json_writer_steal_string(writer);
}

char *
job_request_frame_list(const char *capture_path, const char *output_dir, const char *filter, guint passes,
		       const char *columns, gint64 limit)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_REQUEST_CAPTURE, capture_path);
	if (columns != NULL && *columns != '\0') {
		g_auto(GStrv) names = g_strsplit(columns, ",", -1);
		json_writer_key(writer, WORKER_REQUEST_COLUMNS);
		json_writer_begin_array(writer);
		for (guint i = 0; names[i] != NULL; i++)
			json_writer_string(writer, names[i]);
		json_writer_end_array(writer);
	}
	json_writer_member_string(writer, WORKER_REQUEST_FILTER, filter != NULL ? filter : "");
	json_writer_member_string(writer, WORKER_REQUEST_JOB, WORKER_JOB_FRAME_LIST);
	json_writer_member_int(writer, WORKER_REQUEST_LIMIT, limit);
	json_writer_member_string(writer, WORKER_REQUEST_OUTPUT, output_dir);
	json_writer_member_int(writer, WORKER_REQUEST_PASSES, passes);
	job_request_end_capture(writer, capture_path);
	return json_writer_steal_string(writer);
}

char *
job_request_frame_tree(const char *capture_path, guint32 frame, guint passes, gboolean hidden)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_REQUEST_CAPTURE, capture_path);
	json_writer_member_int(writer, WORKER_REQUEST_FRAME, frame);
	json_writer_member_bool(writer, WORKER_REQUEST_HIDDEN, hidden);
	json_writer_member_string(writer, WORKER_REQUEST_JOB, WORKER_JOB_FRAME_TREE);
	json_writer_member_int(writer, WORKER_REQUEST_PASSES, passes);
	job_request_end_capture(writer, capture_path);
	return json_writer_steal_string(writer);
}

char *
job_request_follow(const char *capture_path, const char *protocol, gint64 stream, gint64 substream)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_REQUEST_CAPTURE, capture_path);
	json_writer_member_string(writer, WORKER_REQUEST_JOB, WORKER_JOB_FOLLOW);
	json_writer_member_string(writer, WORKER_REQUEST_PROTOCOL, protocol);
	json_writer_member_int(writer, WORKER_REQUEST_STREAM, stream);
	json_writer_member_int(writer, WORKER_REQUEST_SUBSTREAM, substream);
	job_request_end_capture(writer, capture_path);
	return json_writer_steal_string(writer);
}

char *
job_request_io(const char *capture_path, const char *output, const char *const *columns, guint n_columns,
	       const char *interval, guint passes)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_REQUEST_CAPTURE, capture_path);
	json_writer_key(writer, WORKER_REQUEST_COLUMNS);
	json_writer_begin_array(writer);
	for (guint i = 0; i < n_columns; i++)
		json_writer_string(writer, columns[i]);
	json_writer_end_array(writer);
	json_writer_member_string(writer, WORKER_REQUEST_INTERVAL, interval);
	json_writer_member_string(writer, WORKER_REQUEST_JOB, WORKER_JOB_IO);
	json_writer_member_string(writer, WORKER_REQUEST_OUTPUT, output);
	json_writer_member_int(writer, WORKER_REQUEST_PASSES, passes);
	job_request_end_capture(writer, capture_path);
	return json_writer_steal_string(writer);
}

char *
job_request_objects(const char *capture_path, const char *output, const char *protocol, guint passes)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, WORKER_REQUEST_CAPTURE, capture_path);
	json_writer_member_string(writer, WORKER_REQUEST_JOB, WORKER_JOB_OBJECTS);
	json_writer_member_string(writer, WORKER_REQUEST_OUTPUT, output);
	json_writer_member_int(writer, WORKER_REQUEST_PASSES, passes);
	json_writer_member_string(writer, WORKER_REQUEST_PROTOCOL, protocol);
	job_request_end_capture(writer, capture_path);
	return json_writer_steal_string(writer);
}
