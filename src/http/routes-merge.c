/* routes-merge.c: POST (or GET) /api/v1/<token>/merge?capture_ids=a,b,... with filename,
 * additional_tags, comments and duplicates=remove|keep. The sources are merged in a thread into
 * a temp file of the store, checked as an upload is (capinfo), and committed as a new capture;
 * nothing half-written is ever visible. The new capture's tags are the ones given, not the
 * sources'. Needs upload (the route's permission) and info (to read the sources).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "merge"

#include "http/routes-merge.h"

#include <glib/gstdio.h>

#include "wiretap/capture-merge.h"
#include "wiretap/capinfo.h"
#include "http/http-params.h"
#include "http/http-reply.h"
#include "http/routes-captures.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-tags.h"

/* Most captures one merge may name (each is an open file while merging). */
#define MERGE_MAX_SOURCES 64

typedef struct {
	HttpServer *server;
	SoupServerMessage *msg;
	GPtrArray *source_paths;
	char *output_path; /* temp file in the store */
	StoreWriter *writer; /* the thread's way into the store (which may be freed at shutdown) */
	StoreCapture *capture; /* added by the thread */
	gboolean remove_duplicates;
	CaptureMergeLimits limits; /* copied: the thread must not read the config */
	char *filename;
	char *comments;
	char *tag_list;
	char *user;
	CapInfo *info;
} MergeJob;

static void
merge_job_free(MergeJob *job)
{
	if (job->output_path != NULL)
		g_unlink(job->output_path);
	store_writer_unref(job->writer);
	store_capture_free(job->capture);
	g_free(job->output_path);
	g_ptr_array_unref(job->source_paths);
	g_free(job->filename);
	g_free(job->comments);
	g_free(job->tag_list);
	g_free(job->user);
	capinfo_free(job->info);
	g_object_unref(job->msg);
	g_free(job);
}

/* capture_ids=a,b (commas may come as %2C), or repeated capture_ids[]=a. */
static GPtrArray *
merge_parse_ids(HttpParams *params, GError **error)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < http_params_length(params); i++) {
		const char *name = http_params_name(params, i);
		if (!g_str_equal(name, "capture_ids") && !g_str_equal(name, "capture_ids[]"))
			continue;
		g_auto(GStrv) parts = g_strsplit(http_params_value(params, i), ",", -1);
		for (guint k = 0; parts[k] != NULL; k++) {
			char *id = g_strstrip(parts[k]);
			if (*id != '\0')
				g_ptr_array_add(ids, g_strdup(id));
		}
	}
	if (ids->len < 2 || ids->len > MERGE_MAX_SOURCES) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "capture_ids: between 2 and %d capture ids, comma separated, not %u", MERGE_MAX_SOURCES,
			    ids->len);
		return NULL;
	}
	return g_steal_pointer(&ids);
}

static gboolean
merge_parse_duplicates(HttpParams *params, gboolean *remove, GError **error)
{
	const char *duplicates = http_params_get(params, "duplicates");
	*remove = FALSE;
	if (duplicates == NULL || *duplicates == '\0' || g_str_equal(duplicates, "keep"))
		return TRUE;
	if (g_str_equal(duplicates, "remove")) {
		*remove = TRUE;
		return TRUE;
	}
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "duplicates: 'remove' or 'keep', not '%s'",
		    duplicates);
	return FALSE;
}

/* additional_tags (repeatable, comma separated), or tags= when a client says that instead. */
static char *
merge_tag_list(HttpParams *params, GError **error)
{
	g_autofree const char **tags = http_params_get_all(params, "additional_tags");
	if (tags[0] == NULL) {
		g_free(tags);
		tags = http_params_get_all(params, "tags");
	}
	return store_tags_normalize(tags, error);
}

/* Checks every source exists and collects the paths; 404 names the missing one. */
static GPtrArray *
merge_source_paths(Store *store, GPtrArray *ids, GError **error)
{
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < ids->len; i++) {
		const char *id = g_ptr_array_index(ids, i);
		g_autoptr(StoreCapture) capture = store_capture_get(store, id, NULL);
		if (capture == NULL) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "capture_ids: capture %s not found",
				    store_capture_id_is_valid(id) ? id : "(malformed id)");
			return NULL;
		}
		g_ptr_array_add(paths, store_capture_file(store, capture->id));
	}
	g_ptr_array_add(paths, NULL);
	return g_steal_pointer(&paths);
}

static void
merge_job_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	MergeJob *job = task_data;
	GError *error = NULL;
	if (!capture_merge((const char *const *)job->source_paths->pdata, job->source_paths->len - 1, job->output_path,
			   job->remove_duplicates, &job->limits, &error)) {
		g_task_return_error(task, error);
		return;
	}
	job->info = capinfo_read(job->output_path, &error);
	if (job->info == NULL) {
		g_prefix_error(&error, "the merged capture: ");
		g_task_return_error(task, error);
		return;
	}
	StoreCaptureLabels labels = {
		.filename = job->filename,
		.comments = job->comments,
		.tag_list = job->tag_list,
		.user = job->user,
	};
	job->capture = store_capture_add(job->writer, job->output_path, job->info, &labels, &error);
	if (job->capture == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_clear_pointer(&job->output_path, g_free); /* renamed into the store */
	g_task_return_boolean(task, TRUE);
}

static void
merge_job_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	MergeJob *job = user_data;
	g_autoptr(GError) error = NULL;

	if (g_task_propagate_boolean(G_TASK(result), &error))
		routes_captures_created(job->server, job->msg, job->capture, "merged");
	else
		http_reply_error(job->msg, error);
	soup_server_message_unpause(job->msg);
	merge_job_free(job);
}

/* Everything a merge needs, checked before any work; NULL with the 4xx to answer. */
static MergeJob *
merge_job_new(HttpRequest *request, GError **error)
{
	Store *store = request->server->store;
	if (!auth_token_require(request->token, AUTH_PERMISSION_INFO, error))
		return NULL;
	HttpParams *params = request->params;
	g_autoptr(GPtrArray) ids = merge_parse_ids(params, error);
	gboolean remove_duplicates = FALSE;
	if (ids == NULL || !merge_parse_duplicates(params, &remove_duplicates, error))
		return NULL;
	g_autofree char *tag_list = merge_tag_list(params, error);
	if (tag_list == NULL)
		return NULL;
	g_autoptr(GPtrArray) paths = merge_source_paths(store, ids, error);
	if (paths == NULL)
		return NULL;
	g_autofree char *output_path = store_new_temp_file(store, "merge", error);
	if (output_path == NULL)
		return NULL;

	MergeJob *job = g_new0(MergeJob, 1);
	job->server = request->server;
	job->msg = g_object_ref(request->msg);
	job->source_paths = g_steal_pointer(&paths);
	job->output_path = g_steal_pointer(&output_path);
	job->remove_duplicates = remove_duplicates;
	job->writer = store_writer_ref(store->writer);
	job->limits.max_bytes = request->server->config->max_upload_size;
	job->limits.max_frames = request->server->config->max_frames;
	job->filename = routes_captures_clean_filename(http_params_get(params, "filename"));
	if (job->filename == NULL)
		job->filename = g_strdup_printf("merged %s-%s", (const char *)g_ptr_array_index(ids, 0),
						(const char *)g_ptr_array_index(ids, ids->len - 1));
	job->comments = g_strdup(http_params_get(params, "comments"));
	job->tag_list = g_steal_pointer(&tag_list);
	job->user = g_strdup(request->token->name);
	return job;
}

void
routes_merge(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	MergeJob *job = merge_job_new(request, &error);
	if (job == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	soup_server_message_pause(request->msg);
	g_autoptr(GTask) task = g_task_new(NULL, NULL, merge_job_done_cb, job);
	g_task_set_task_data(task, job, NULL);
	g_task_run_in_thread(task, merge_job_thread);
}
