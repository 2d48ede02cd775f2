/* routes-frames.c: the packet list and packet detail routes.
 * The list of a (filter, passes) pair is made once by a frame_list job and kept as a summary
 * variant's folder (summary-tracker.h); a page is then two preads, never a dissection: the index
 * gives the page's rows' offsets, the rows file their column texts. While a fresh capture's
 * list is still being made, a first page of the unfiltered one-pass list (offset + limit up to
 * FRAMES_EARLY_PAGE_MAX) is made by a job of its own that stops after those frames; its
 * "matched" is the capture's frame count, which capinfo counted at upload.
 * Pages go out in chunks of FRAMES_CHUNK_ROWS, each read when the one before is written, so a
 * whole 2 M-frame list streams in bounded memory. Annotations come from the store at answer time:
 * they change without the capture changing.
 * The detail of a frame is a frame_tree job's answer (http-job-answer.h), cached; the server
 * opens its "data" object and writes the frame's annotations first.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "frames"

#include "http/routes-frames.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-tree.h"
#include "http/http-job-answer.h"
#include "http/http-reply.h"
#include "jobs/job-requests.h"
#include "json-writer.h"
#include "metrics.h"
#include "sharkapi-error.h"
#include "store/store-annotations.h"
#include "store/store-capture.h"
#include "store/store-result-cache.h"
#include "worker-protocol.h"

#define FRAMES_CHUNK_ROWS 2000
#define FRAMES_EARLY_PAGE_MAX 10000

typedef struct {
	HttpServer *server;
	SoupServerMessage *msg;
	char *capture_id;
	gint64 offset;
	gint64 limit; /* -1: every row from offset */
	gint64 matched; /* -1: the list's own count */
	GHashTable *annotated; /* frame numbers (GUINT_TO_POINTER) that have an annotation */
	SummaryWaiter *waiter;
	Job *job;
	char *page_dir; /* an early page's folder, removed when answered */
	/* reading */
	int index_fd;
	int rows_fd;
	guint64 rows_size;
	guint64 count; /* rows in the list */
	guint64 first; /* the answer's first row */
	guint64 next; /* next row to send */
	guint64 end;  /* one past the last */
	gboolean closed;    /* the text after the last row is out */
	gboolean completed; /* the final chunk is out */
	gulong wrote_chunk_handler;
	gulong finished_handler;
} FramesList;

static void
frames_list_free(FramesList *list)
{
	if (list->wrote_chunk_handler != 0)
		g_signal_handler_disconnect(list->msg, list->wrote_chunk_handler);
	if (list->finished_handler != 0)
		g_signal_handler_disconnect(list->msg, list->finished_handler);
	if (list->waiter != NULL)
		summary_waiter_cancel(list->waiter);
	if (list->job != NULL)
		job_cancel(list->job);
	if (list->index_fd >= 0)
		close(list->index_fd);
	if (list->rows_fd >= 0)
		close(list->rows_fd);
	if (list->page_dir != NULL) {
		g_autoptr(GError) error = NULL;
		if (!file_tree_remove(list->page_dir, &error))
			g_warning("%s, ignoring", error->message);
		g_free(list->page_dir);
	}
	g_clear_pointer(&list->annotated, g_hash_table_unref);
	g_free(list->capture_id);
	g_clear_object(&list->msg);
	g_free(list);
}

/* The frames an annotation is on: they get "comment": true as frames with a capture comment do. */
static GHashTable *
frames_annotated(Store *store, const char *capture_id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) annotations = store_annotation_list(store, capture_id, &error);
	GHashTable *frames = g_hash_table_new(g_direct_hash, g_direct_equal);
	if (annotations == NULL) {
		g_warning("listing annotations: %s, ignoring", error->message);
		return frames;
	}
	for (guint i = 0; i < annotations->len; i++) {
		StoreAnnotation *annotation = g_ptr_array_index(annotations, i);
		if (annotation->frame > 0 && annotation->frame <= G_MAXUINT32)
			g_hash_table_add(frames, GUINT_TO_POINTER((guint)annotation->frame));
	}
	return frames;
}

static gboolean
frames_pread(int fd, void *buffer, gsize length, guint64 offset)
{
	char *at = buffer;
	while (length > 0) {
		ssize_t got = pread(fd, at, length, (off_t)offset);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return FALSE;
		at += got;
		length -= (gsize)got;
		offset += (guint64)got;
	}
	return TRUE;
}

/* Rows [first, first + count) of the list as JSON objects, each after a comma but the answer's first. */
static gboolean
frames_list_read_rows(FramesList *list, guint64 first, guint64 count, GString *out, GError **error)
{
	g_autofree WorkerFrameIndexEntry *entries = g_new(WorkerFrameIndexEntry, count + 1);
	/* The entry after the page, when there is one, gives the page's last row's end. */
	gboolean has_next = first + count < list->count;
	g_autofree char *rows = NULL;
	guint64 rows_end = 0;
	gboolean ok = frames_pread(list->index_fd, entries, (count + (has_next ? 1 : 0)) * sizeof *entries,
				   first * sizeof *entries);

	if (ok) {
		rows_end = has_next ? entries[count].offset : list->rows_size;
		ok = rows_end >= entries[0].offset && rows_end - entries[0].offset <= G_MAXINT32;
	}
	if (ok) {
		rows = g_malloc(rows_end - entries[0].offset + 1);
		ok = frames_pread(list->rows_fd, rows, rows_end - entries[0].offset, entries[0].offset);
	}
	if (!ok) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "reading the packet list failed");
		return FALSE;
	}
	for (guint64 i = 0; i < count; i++) {
		guint64 start = entries[i].offset - entries[0].offset;
		guint64 stop = (i + 1 < count ? entries[i + 1].offset : rows_end) - entries[0].offset;
		gboolean comment = (entries[i].flags & WORKER_FRAME_FLAG_COMMENT) != 0 ||
				   g_hash_table_contains(list->annotated, GUINT_TO_POINTER(entries[i].frame));
		if (first + i > (guint64)list->first)
			g_string_append_c(out, ',');
		g_string_append(out, "{\"columns\":");
		g_string_append_len(out, rows + start, (gssize)(stop - start));
		if (comment)
			g_string_append(out, ",\"comment\":true");
		g_string_append_printf(out, ",\"frame\":%u}", entries[i].frame);
	}
	return TRUE;
}

static void
frames_list_next(FramesList *list)
{
	g_autoptr(GError) error = NULL;
	SoupMessageBody *body = soup_server_message_get_response_body(list->msg);
	g_autoptr(GString) out = g_string_new(NULL);

	if (list->completed)
		return;
	if (list->next >= list->end) {
		if (list->closed) {
			soup_message_body_complete(body); /* the closing text went out last time */
			list->completed = TRUE;
		} else {
			g_string_append_printf(out, "],\"matched\":%" G_GINT64_FORMAT "}}", list->matched);
			soup_message_body_append(body, SOUP_MEMORY_COPY, out->str, out->len);
			list->closed = TRUE;
		}
		soup_server_message_unpause(list->msg);
		return;
	}
	guint64 count = MIN(FRAMES_CHUNK_ROWS, list->end - list->next);
	if (!frames_list_read_rows(list, list->next, count, out, &error)) {
		/* Headers are out: the connection ends without the final chunk, as a broken answer. */
		g_warning("%s", error->message);
		g_signal_handler_disconnect(list->msg, list->finished_handler);
		list->finished_handler = 0;
		g_autoptr(GIOStream) connection = soup_server_message_steal_connection(list->msg);
		if (connection != NULL)
			g_io_stream_close(connection, NULL, NULL);
		frames_list_free(list);
		return;
	}
	list->next += count;
	soup_message_body_append(body, SOUP_MEMORY_COPY, out->str, out->len);
	soup_server_message_unpause(list->msg);
}

static void
frames_list_wrote_chunk_cb(SoupServerMessage *msg, gpointer user_data)
{
	frames_list_next(user_data);
}

static void
frames_list_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	FramesList *list = user_data;
	g_signal_handler_disconnect(list->msg, list->finished_handler);
	list->finished_handler = 0;
	frames_list_free(list);
}

static gboolean
frames_list_open(FramesList *list, const char *dir, GString *head, GError **error)
{
	g_autofree char *columns_path = g_build_filename(dir, WORKER_RESULT_FRAME_COLUMNS, NULL);
	g_autofree char *index_path = g_build_filename(dir, WORKER_RESULT_FRAME_INDEX, NULL);
	g_autofree char *rows_path = g_build_filename(dir, WORKER_RESULT_FRAME_ROWS, NULL);
	g_autofree char *columns = NULL;
	struct stat index_stat, rows_stat;

	list->index_fd = open(index_path, O_RDONLY | O_CLOEXEC);
	list->rows_fd = open(rows_path, O_RDONLY | O_CLOEXEC);
	if (!g_file_get_contents(columns_path, &columns, NULL, NULL) || list->index_fd < 0 || list->rows_fd < 0 ||
	    fstat(list->index_fd, &index_stat) != 0 || fstat(list->rows_fd, &rows_stat) != 0) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "the packet list cannot be read");
		return FALSE;
	}
	guint64 count = (guint64)index_stat.st_size / sizeof(WorkerFrameIndexEntry);
	list->count = count;
	list->rows_size = (guint64)rows_stat.st_size;
	if (list->matched < 0)
		list->matched = (gint64)count;
	list->first = list->next = MIN((guint64)list->offset, count);
	list->end = list->limit < 0 ? count : MIN(count, list->next + (guint64)list->limit);
	g_string_append(head, "{\"data\":{\"columns\":");
	g_string_append(head, columns);
	g_string_append(head, ",\"frames\":[");
	return TRUE;
}

/* The list (or an early page) is in dir: the answer streams from it. */
static void
frames_list_answer(FramesList *list, const char *dir)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) head = g_string_new(NULL);

	if (!frames_list_open(list, dir, head, &error)) {
		http_reply_error(list->msg, error);
		soup_server_message_unpause(list->msg);
		return; /* "finished" frees */
	}
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(list->msg);
	soup_server_message_set_status(list->msg, 200, NULL);
	soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
	soup_message_headers_set_content_type(headers, "application/json", NULL);
	soup_message_body_set_accumulate(soup_server_message_get_response_body(list->msg), FALSE);
	soup_message_body_append(soup_server_message_get_response_body(list->msg), SOUP_MEMORY_COPY, head->str,
				 head->len);
	list->wrote_chunk_handler =
		g_signal_connect(list->msg, "wrote-chunk", G_CALLBACK(frames_list_wrote_chunk_cb), list);
	soup_server_message_unpause(list->msg);
}

static void
frames_list_ready_cb(const char *list_dir, const GError *error, gpointer user_data)
{
	FramesList *list = user_data;
	list->waiter = NULL;
	if (error != NULL) {
		http_reply_error(list->msg, error);
		soup_server_message_unpause(list->msg);
		return; /* "finished" frees */
	}
	frames_list_answer(list, list_dir);
}

static void
frames_early_page_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	FramesList *list = user_data;
	list->job = NULL;
	if (error != NULL) {
		http_reply_error(list->msg, error);
		soup_server_message_unpause(list->msg);
		return;
	}
	frames_list_answer(list, list->page_dir);
}

/* A first page of a capture whose list is still being made: a job of its own, stopping after
 * offset + limit frames. */
static gboolean
frames_list_start_early_page(FramesList *list, const char *capture_path, GError **error)
{
	static const JobCallbacks callbacks = {.done = frames_early_page_done_cb};
	g_autofree char *name = g_strdup_printf("frames-page-%s-%08x", list->capture_id, g_random_int());
	list->page_dir = g_build_filename(list->server->store->tmp_dir, name, NULL);
	g_autofree char *line =
		job_request_frame_list(capture_path, list->page_dir, "", 1, NULL, list->offset + list->limit);
	list->job = job_queue_submit_quick(list->server->jobs, line, &callbacks, list, error);
	return list->job != NULL;
}

char *
routes_frames_columns_text(GPtrArray *names)
{
	if (names == NULL || names->len == 0)
		return NULL;
	g_ptr_array_add(names, NULL);
	char *text = g_strjoinv(",", (char **)names->pdata);
	g_ptr_array_remove_index(names, names->len - 1);
	return text;
}

void
routes_frames_list(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = request->server;
	const char *filter = http_request_get(request, "filter");
	guint passes = (guint)http_request_get_integer(request, "passes");
	g_autoptr(StoreCapture) capture = store_capture_get(server->store, request->capture_id, &error);

	if (capture == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	if (filter == NULL)
		filter = "";
	g_autofree char *columns = routes_frames_columns_text(http_request_get_list(request, "columns"));
	FramesList *list = g_new0(FramesList, 1);
	list->server = server;
	list->msg = g_object_ref(request->msg);
	list->capture_id = g_strdup(capture->id);
	list->offset = http_request_get_integer(request, "offset");
	list->limit = http_request_get_integer(request, "limit");
	list->matched = -1;
	list->index_fd = list->rows_fd = -1;
	list->annotated = frames_annotated(server->store, capture->id);
	http_request_park(request);
	list->finished_handler = g_signal_connect(request->msg, "finished", G_CALLBACK(frames_list_finished_cb), list);

	g_autofree char *variant = summary_list_variant_key(filter, passes, columns);
	g_autofree char *list_dir = store_capture_summary_dir(server->store, capture->id, variant);
	g_autofree char *capture_path = store_capture_file(server->store, capture->id);
	summary_tracker_touch(server->summaries, capture->id, variant);
	gboolean ready = g_file_test(list_dir, G_FILE_TEST_IS_DIR);
	metrics_inc(ready ? "sharkapi_cache_hits_total" : "sharkapi_cache_misses_total", "cache=\"frames\"");
	if (!ready && *filter == '\0' && passes == 1 && columns == NULL && list->limit >= 0 &&
	    list->offset + list->limit <= FRAMES_EARLY_PAGE_MAX) {
		/* The page first, so it gets the first free worker; the whole list goes on being made
		 * for the pages after this one. */
		if (!frames_list_start_early_page(list, capture_path, &error) ||
		    !summary_tracker_start_list(server->summaries, capture->id, "", 1, NULL, &error)) {
			http_reply_error(request->msg, error);
			soup_server_message_unpause(request->msg);
			return;
		}
		list->matched = (gint64)capture->num_packets;
		return;
	}
	list->waiter =
		summary_tracker_wait_list(server->summaries, capture->id, filter, passes, columns, frames_list_ready_cb, list);
}

gboolean
routes_frames_list_write(Store *store, const char *capture_id, const char *list_dir, gint64 offset, gint64 limit,
			 RoutesFramesWriteFunc write, gpointer user_data, GError **error)
{
	FramesList *list = g_new0(FramesList, 1);
	g_autoptr(GString) out = g_string_new(NULL);
	gboolean ok;

	list->offset = offset;
	list->limit = limit;
	list->matched = -1;
	list->index_fd = list->rows_fd = -1;
	list->annotated = frames_annotated(store, capture_id);
	ok = frames_list_open(list, list_dir, out, error);
	while (ok && list->next < list->end) {
		guint64 count = MIN(FRAMES_CHUNK_ROWS, list->end - list->next);
		write(out->str, out->len, user_data);
		g_string_truncate(out, 0);
		ok = frames_list_read_rows(list, list->next, count, out, error);
		list->next += count;
	}
	if (ok) {
		g_string_append_printf(out, "],\"matched\":%" G_GINT64_FORMAT "}}", list->matched);
		write(out->str, out->len, user_data);
	}
	frames_list_free(list);
	return ok;
}

/* ---- packet detail ---- */

char *
routes_frames_detail_prefix(Store *store, const char *capture_id, guint32 frame)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) annotations = store_annotation_list(store, capture_id, &error);
	g_autoptr(JsonWriter) writer = json_writer_new();

	json_writer_begin_array(writer);
	for (guint i = 0; annotations != NULL && i < annotations->len; i++) {
		StoreAnnotation *annotation = g_ptr_array_index(annotations, i);
		if (annotation->frame != frame)
			continue;
		json_writer_begin_object(writer);
		json_writer_member_string(writer, "text", annotation->text);
		json_writer_member_string(writer, "user", annotation->user);
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
	if (annotations == NULL)
		g_warning("listing annotations: %s, ignoring", error->message);
	return g_strdup_printf("{\"data\":{\"annotations\":%s,", json_writer_get_data(writer));
}

void
routes_frames_detail(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = request->server;
	guint passes = (guint)http_request_get_integer(request, "passes");
	gboolean hidden = g_ascii_strcasecmp(http_request_get(request, "hidden"), "true") == 0;
	gint64 frame = 0;

	g_autoptr(StoreCapture) capture = store_capture_get(server->store, request->capture_id, &error);
	if (capture == NULL || !http_request_get_path_number(request, "frame", 1, &frame, &error)) {
		http_reply_error(request->msg, error);
		return;
	}
	/* capinfo counted the frames at upload: no job for a frame that is not there. */
	if ((guint64)frame > capture->num_packets) {
		http_reply_error_literal(request->msg, 404, "frame is not in the capture");
		return;
	}
	g_autofree char *capture_path = store_capture_file(server->store, capture->id);
	g_autofree char *numbers = g_strdup_printf("frame=%" G_GINT64_FORMAT " passes=%u hidden=%d", frame, passes, hidden);
	const char *parts[] = {"frames/N v1", numbers, NULL};
	g_autofree char *cache_key = result_cache_key(parts);
	g_autofree char *line = job_request_frame_tree(capture_path, (guint32)frame, passes, hidden);
	g_autofree char *prefix = routes_frames_detail_prefix(server->store, capture->id, (guint32)frame);
	HttpJobAnswer answer = {
		.capture_id = capture->id,
		.cache_key = cache_key,
		.job_request = line,
		.warm_key = passes == 2 ? capture_path : NULL,
		.content_type = "application/json",
		.cache_label = "frame",
		.prefix = prefix,
		.suffix = "}",
	};
	http_job_answer_start(request, &answer);
}
