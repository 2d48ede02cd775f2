/* routes-captures.c: upload, info, download and delete of captures (v1).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "captures"

#include "http/routes-captures.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "wiretap/capinfo.h"
#include "http/http-reply.h"
#include "http/http-params.h"
#include "http/http-upload.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-tags.h"

/* ---- upload ---- */

typedef struct {
	HttpServer *server;
	SoupServerMessage *msg;
	char *spool_path;
	char *capture_path;   /* temp file holding the capture itself */
	StoreWriter *writer;  /* the thread's way into the store (which may be freed at shutdown) */
	StoreCapture *capture; /* added by the thread */
	char *content_type;
	gboolean multipart;
	GHashTable *options;  /* query parameters, then form fields over them */
	char *part_filename;
	char *user;
	guint64 max_frames;   /* copied: the thread must not read the config, freed at shutdown */
	CapInfo *info;
	GPtrArray *query_tags;       /* additional_tags values of the query string, in order */
	GPtrArray *query_alias_tags; /* tags= values (a published client's name for them) */
} UploadJob;

static void
upload_job_free(UploadJob *job)
{
	if (job->spool_path != NULL)
		g_unlink(job->spool_path);
	if (job->capture_path != NULL)
		g_unlink(job->capture_path);
	store_writer_unref(job->writer);
	store_capture_free(job->capture);
	g_free(job->spool_path);
	g_free(job->capture_path);
	g_free(job->content_type);
	g_free(job->part_filename);
	g_free(job->user);
	g_hash_table_unref(job->options);
	g_ptr_array_unref(job->query_tags);
	g_ptr_array_unref(job->query_alias_tags);
	capinfo_free(job->info);
	g_object_unref(job->msg);
	g_free(job);
}

/* Keeps the last path component and drops characters that would break a header. */
char *
routes_captures_clean_filename(const char *name)
{
	if (name == NULL || *name == '\0')
		return NULL;
	g_autofree char *base = g_path_get_basename(name);
	if (g_str_equal(base, ".") || g_str_equal(base, "/") || g_str_equal(base, ".."))
		return NULL;
	g_autoptr(GString) clean = g_string_new(NULL);
	for (const char *p = base; *p != '\0' && clean->len < 255; p++) {
		guchar c = (guchar)*p;
		g_string_append_c(clean, c < 0x20 || c == 0x7f || c == '"' || c == ';' || c == '\\' ? '_' : (char)c);
	}
	if (!g_utf8_validate(clean->str, -1, NULL))
		return g_utf8_make_valid(clean->str, -1);
	return g_string_free(g_steal_pointer(&clean), FALSE);
}

static char *
upload_default_filename(const CapInfo *info)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d-%H%M%S");
	const char *ext = info->file_type_name != NULL && *info->file_type_name != '\0' ? info->file_type_name : "cap";
	return g_strdup_printf("upload-%s.%s", stamp, ext);
}

static const char *
upload_option(UploadJob *job, const char *name)
{
	return g_hash_table_lookup(job->options, name);
}

/* Query values of name (and name[]) appended to values. */
static void
upload_collect_values(HttpParams *params, const char *name, GPtrArray *values)
{
	g_autofree char *array_name = g_strconcat(name, "[]", NULL);
	for (guint i = 0; i < http_params_length(params); i++) {
		const char *key = http_params_name(params, i);
		if (g_str_equal(key, name) || g_str_equal(key, array_name))
			g_ptr_array_add(values, g_strdup(http_params_value(params, i)));
	}
}

/* Every additional_tags value, from the query string and the form; failing those, every tags
 * value (a published client sends tags= where it means additional_tags). */
static char *
upload_tag_list(UploadJob *job, GError **error)
{
	g_autoptr(GPtrArray) values = g_ptr_array_new();
	for (guint i = 0; i < job->query_tags->len; i++)
		g_ptr_array_add(values, g_ptr_array_index(job->query_tags, i));
	if (upload_option(job, "additional_tags") != NULL)
		g_ptr_array_add(values, (gpointer)upload_option(job, "additional_tags"));
	if (values->len == 0) {
		for (guint i = 0; i < job->query_alias_tags->len; i++)
			g_ptr_array_add(values, g_ptr_array_index(job->query_alias_tags, i));
		if (upload_option(job, "tags") != NULL)
			g_ptr_array_add(values, (gpointer)upload_option(job, "tags"));
	}
	g_ptr_array_add(values, NULL);
	return store_tags_normalize((const char *const *)values->pdata, error);
}

void
routes_captures_created(HttpServer *server, SoupServerMessage *msg, const StoreCapture *capture, const char *how)
{
	capture_service_added(&server->captures, capture, how);
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, "filename", capture->filename);
	json_writer_member_string(writer, "id", capture->id);
	json_writer_end_object(writer);
	http_reply_writer(msg, 200, writer);
}

/* Runs in a thread: taking the body apart and reading every record can take seconds. */
static void
upload_job_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	UploadJob *job = task_data;
	GError *error = NULL;

	if (job->multipart) {
		/* job->capture_path was made on the main loop: the store is not the thread's to read. */
		if (!http_upload_extract_multipart(job->spool_path, job->content_type, job->capture_path, job->options,
						   &job->part_filename, &error)) {
			g_task_return_error(task, error);
			return;
		}
		g_unlink(job->spool_path);
		g_clear_pointer(&job->spool_path, g_free);
	} else {
		job->capture_path = g_steal_pointer(&job->spool_path);
	}
	job->info = capinfo_read(job->capture_path, &error);
	if (job->info == NULL) {
		g_task_return_error(task, error);
		return;
	}
	/* Refused here, before anything is stored or dissected: no worker ever sees it. */
	guint64 max_frames = job->max_frames;
	if (max_frames > 0 && job->info->packets > max_frames) {
		g_task_return_new_error(task, SHARKAPI_ERROR, SHARKAPI_ERROR_TOO_LARGE,
					"the capture has %" G_GUINT64_FORMAT " frames, over the limit of %" G_GUINT64_FORMAT
					" (max-frames)",
					job->info->packets, max_frames);
		return;
	}
	g_autofree char *filename = routes_captures_clean_filename(upload_option(job, "filename"));
	if (filename == NULL)
		filename = routes_captures_clean_filename(job->part_filename);
	if (filename == NULL)
		filename = upload_default_filename(job->info);
	g_autofree char *tag_list = upload_tag_list(job, &error);
	if (tag_list == NULL) {
		g_task_return_error(task, error);
		return;
	}
	StoreCaptureLabels labels = {
		.filename = filename,
		.comments = upload_option(job, "comments"),
		.tag_list = tag_list,
		.user = job->user,
	};
	job->capture = store_capture_add(job->writer, job->capture_path, job->info, &labels, &error);
	if (job->capture == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_clear_pointer(&job->capture_path, g_free); /* renamed into the store */
	g_task_return_boolean(task, TRUE);
}

static void
upload_job_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	UploadJob *job = user_data;
	g_autoptr(GError) error = NULL;

	if (g_task_propagate_boolean(G_TASK(result), &error))
		routes_captures_created(job->server, job->msg, job->capture, "stored");
	else
		http_reply_error(job->msg, error);
	soup_server_message_unpause(job->msg);
	upload_job_free(job);
}

void
routes_captures_upload(HttpRequest *request)
{
	SoupServerMessage *msg = request->msg;
	g_autoptr(GError) spool_error = NULL;
	g_autofree char *spool_path = http_upload_steal_spool(msg, &spool_error);
	if (spool_path == NULL) {
		http_reply_error(msg, spool_error);
		return;
	}
	const char *content_type =
		soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Content-Type");
	UploadJob *job = g_new0(UploadJob, 1);
	job->server = request->server;
	job->max_frames = request->server->config->max_frames;
	job->writer = store_writer_ref(request->server->store->writer);
	job->msg = g_object_ref(msg);
	job->spool_path = g_steal_pointer(&spool_path);
	job->content_type = g_strdup(content_type);
	job->multipart = g_str_equal(soup_server_message_get_method(msg), "POST") && content_type != NULL &&
			 g_ascii_strncasecmp(content_type, "multipart/", 10) == 0;
	job->user = g_strdup(request->token->name);
	job->options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	/* The query's parameters (the last of each name), then the form's over them. */
	HttpParams *params = request->params;
	for (guint i = 0; i < http_params_length(params); i++)
		g_hash_table_replace(job->options, g_strdup(http_params_name(params, i)),
				     g_strdup(http_params_value(params, i)));
	/* Tags may repeat in the query; what stays in options afterwards came from the form. */
	job->query_tags = g_ptr_array_new_with_free_func(g_free);
	job->query_alias_tags = g_ptr_array_new_with_free_func(g_free);
	upload_collect_values(params, "additional_tags", job->query_tags);
	upload_collect_values(params, "tags", job->query_alias_tags);
	g_hash_table_remove(job->options, "additional_tags");
	g_hash_table_remove(job->options, "tags");

	if (job->multipart) {
		g_autoptr(GError) error = NULL;
		job->capture_path = store_new_temp_file(request->server->store, "capture", &error);
		if (job->capture_path == NULL) {
			http_reply_error(msg, error);
			upload_job_free(job);
			return;
		}
	}
	soup_server_message_pause(msg);
	g_autoptr(GTask) task = g_task_new(NULL, NULL, upload_job_done_cb, job);
	g_task_set_task_data(task, job, NULL);
	g_task_run_in_thread(task, upload_job_thread);
}

/* ---- info ---- */

static char *
captures_format_time(gint64 ns, gboolean has_times)
{
	if (!has_times)
		return g_strdup("");
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(ns / G_GINT64_CONSTANT(1000000000));
	return time != NULL ? g_date_time_format(time, "%Y-%m-%dT%H:%M:%S%:z") : g_strdup("");
}

/* Seconds from first to last frame; 0 with fewer than two frames (API.md). */
static double
captures_duration(const StoreCapture *capture)
{
	if (!capture->has_times || capture->num_packets < 2)
		return 0;
	return (double)(capture->end_time_ns - capture->start_time_ns) / 1e9;
}

static void
captures_member_fixed(JsonWriter *writer, const char *key, double value, int decimals)
{
	g_autofree char *text = g_strdup_printf("%.*f", decimals, value);
	json_writer_member_string(writer, key, text);
}

/* The stored numbers as a CapInfo, so the derived values come from capinfo.c's capinfos rules. */
static void
captures_capinfo_view(const StoreCapture *capture, CapInfo *info)
{
	const gint64 ns_per_second = G_GINT64_CONSTANT(1000000000);
	memset(info, 0, sizeof *info);
	info->packets = capture->num_packets;
	info->data_size = capture->data_size;
	info->has_times = capture->has_times;
	info->start_time_ns = capture->start_time_ns;
	info->end_time_ns = capture->end_time_ns;
	/* As nstime_to_sec(): seconds plus nanoseconds, as capinfos computes its rates. */
	info->start_time = (double)(capture->start_time_ns / ns_per_second) +
			   (double)(capture->start_time_ns % ns_per_second) / 1e9;
	info->end_time = (double)(capture->end_time_ns / ns_per_second) +
			 (double)(capture->end_time_ns % ns_per_second) / 1e9;
}

void
routes_captures_write_info(JsonWriter *writer, const StoreCapture *capture)
{
	CapInfo view;
	captures_capinfo_view(capture, &view);
	double duration = captures_duration(capture);
	g_autofree char *start = captures_format_time(capture->start_time_ns, capture->has_times);
	g_autofree char *end = captures_format_time(capture->end_time_ns, capture->has_times);
	g_autofree char *file = g_strdup_printf("captures/%s/capture", capture->id);

	json_writer_begin_object(writer);
	captures_member_fixed(writer, "avg_packet_rate", capinfo_avg_packet_rate(&view), 2);
	captures_member_fixed(writer, "avg_packet_size", capinfo_avg_packet_size(&view), 2);
	json_writer_member_int(writer, "cap_file_id", capture->cap_file_id);
	json_writer_member_string(writer, "comments", capture->comments);
	json_writer_member_string(writer, "created_at", capture->created_at);
	captures_member_fixed(writer, "data_bit_rate", capinfo_data_bit_rate(&view), 2);
	captures_member_fixed(writer, "data_byte_rate", capinfo_data_byte_rate(&view), 2);
	json_writer_member_int(writer, "data_size", (gint64)capture->data_size);
	captures_member_fixed(writer, "duration", duration, 6);
	json_writer_member_string(writer, "encapsulation", capture->encapsulation);
	json_writer_member_string(writer, "end_time", end);
	json_writer_member_string(writer, "file", file);
	json_writer_member_string(writer, "file_source", "upload");
	json_writer_member_string(writer, "file_type", capture->file_type);
	json_writer_member_string(writer, "filename", capture->filename);
	json_writer_member_string(writer, "group", "");
	json_writer_member_bool(writer, "group_write?", FALSE);
	json_writer_member_string(writer, "id", capture->id);
	json_writer_member_string(writer, "last_accessed", capture->last_accessed);
	json_writer_member_int(writer, "num_packets", (gint64)capture->num_packets);
	json_writer_member_bool(writer, "public?", FALSE);
	json_writer_member_int(writer, "size", (gint64)capture->size);
	json_writer_member_string(writer, "start_time", start);
	json_writer_member_string(writer, "tag_list", capture->tag_list);
	json_writer_member_string(writer, "truncated", capture->truncated ? "Yes" : "No");
	json_writer_member_string(writer, "user", capture->user);
	json_writer_member_int(writer, "viewcount", capture->viewcount);
	json_writer_end_object(writer);
}

void
routes_captures_info(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	Store *store = request->server->store;
	store_capture_touch(store, request->capture_id);
	g_autoptr(StoreCapture) capture = store_capture_get(store, request->capture_id, &error);
	if (capture == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autoptr(JsonWriter) writer = json_writer_new();
	routes_captures_write_info(writer, capture);
	http_reply_writer(request->msg, 200, writer);
}

/* ---- download ---- */

void
routes_captures_download(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	Store *store = request->server->store;
	g_autoptr(StoreCapture) capture = store_capture_get(store, request->capture_id, &error);
	if (capture == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autofree char *path = store_capture_file(store, capture->id);
	/* A mapping, not a copy: the page cache serves the bytes, the heap stays small. */
	g_autoptr(GMappedFile) mapped = g_mapped_file_new(path, FALSE, &error);
	if (mapped == NULL) {
		http_reply_error_literal(request->msg, 500, "the stored capture could not be read");
		return;
	}
	store_capture_touch(store, capture->id);
	g_autoptr(GBytes) bytes = g_mapped_file_get_bytes(mapped);
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(request->msg);
	g_autofree char *disposition = g_strdup_printf("attachment; filename=%s", capture->filename);
	soup_message_headers_replace(headers, "Content-Disposition", disposition);
	soup_message_headers_set_content_type(headers, "application/vnd.tcpdump.pcap", NULL);
	soup_server_message_set_status(request->msg, 200, NULL);
	soup_message_body_append_bytes(soup_server_message_get_response_body(request->msg), bytes);
}

/* ---- delete ---- */

void
routes_captures_delete(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = request->server;
	if (!capture_service_delete(&server->captures, request->capture_id, &error)) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, "id", request->capture_id);
	json_writer_member_string(writer, "message", "Capture deleted");
	json_writer_member_int(writer, "status", 200);
	json_writer_end_object(writer);
	http_reply_writer(request->msg, 200, writer);
}
