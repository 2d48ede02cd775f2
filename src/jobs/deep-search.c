/* deep-search.c: the deep search runner (see deep-search.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "deep-search"

#include "jobs/deep-search.h"

#include <string.h>

#include "jobs/job-requests.h"
#include "json-writer.h"
#include "secrets.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-deep-search.h"
#include "worker-protocol.h"

/* Wait before submitting again when the job queue was full. */
#define DEEP_SEARCH_QUEUE_FULL_RETRY_MS 500

typedef struct RunningSearch RunningSearch;

/* One match job of a running search. */
typedef struct {
	RunningSearch *search;
	gint64 position;
	char *capture_id;
	Job *job;
	double fraction;
} DeepSearchJob;

struct RunningSearch {
	DeepSearchRunner *runner;
	char *id;
	gint64 token_id;       /* the creating token's */
	char *display_filter;
	GArray *positions;     /* pending pool entries, in order */
	GPtrArray *capture_ids;
	guint next;            /* index of the next entry to submit */
	GPtrArray *jobs;       /* DeepSearchJob, submitted and not finished */
	guint retry_source;
};

struct DeepSearchRunner {
	Store *store;
	JobQueue *jobs;
	guint parallel;
	GHashTable *running; /* search id -> RunningSearch */
	GArray *reserved;    /* gint64 token ids of searches being recorded */
};

static void deep_search_fill(RunningSearch *search);

static void
deep_search_job_free(DeepSearchJob *job)
{
	g_free(job->capture_id);
	g_free(job);
}

static void
running_search_free(RunningSearch *search)
{
	for (guint i = 0; i < search->jobs->len; i++) {
		DeepSearchJob *job = g_ptr_array_index(search->jobs, i);
		job_cancel(job->job); /* no callback follows */
	}
	g_ptr_array_unref(search->jobs);
	if (search->retry_source != 0)
		g_source_remove(search->retry_source);
	g_array_unref(search->positions);
	g_ptr_array_unref(search->capture_ids);
	g_free(search->id);
	g_free(search->display_filter);
	g_free(search);
}

DeepSearchRunner *
deep_search_runner_new(Store *store, JobQueue *jobs, guint parallel)
{
	DeepSearchRunner *self = g_new0(DeepSearchRunner, 1);
	self->store = store;
	self->jobs = jobs;
	self->parallel = MAX(parallel, 1);
	self->running = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)running_search_free);
	self->reserved = g_array_new(FALSE, FALSE, sizeof(gint64));
	return self;
}

void
deep_search_runner_free(DeepSearchRunner *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->running);
	g_array_unref(self->reserved);
	g_free(self);
}

static void
deep_search_record(RunningSearch *search, gint64 position, gboolean matched)
{
	g_autoptr(GError) error = NULL;
	if (!store_deep_search_record(search->runner->store, search->id, position, matched, &error))
		g_warning("deep search %s: %s; the entry stays pending until the next start", search->id,
			  error->message);
}

/* Ends the search when nothing is left to submit or wait for. */
static void
deep_search_check_finished(RunningSearch *search)
{
	if (search->next < search->positions->len || search->jobs->len > 0 || search->retry_source != 0)
		return;
	g_message("deep search %s finished", search->id);
	g_hash_table_remove(search->runner->running, search->id);
}

static void
deep_search_job_progress_cb(Job *job, double fraction, gpointer user_data)
{
	DeepSearchJob *search_job = user_data;
	search_job->fraction = CLAMP(fraction, 0.0, 1.0);
}

static void
deep_search_job_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	DeepSearchJob *search_job = user_data;
	RunningSearch *search = search_job->search;
	gboolean matched = FALSE;

	if (error != NULL)
		g_message("deep search %s: capture %s counts as searched without a match: %s", search->id,
			  search_job->capture_id, error->message);
	else
		matched = json_object_get_boolean_member_with_default(result, WORKER_END_MATCHED, FALSE);
	deep_search_record(search, search_job->position, matched);
	g_ptr_array_remove_fast(search->jobs, search_job);
	deep_search_job_free(search_job);
	deep_search_fill(search);
	deep_search_check_finished(search);
}

static gboolean
deep_search_retry_cb(gpointer user_data)
{
	RunningSearch *search = user_data;
	search->retry_source = 0;
	deep_search_fill(search);
	deep_search_check_finished(search);
	return G_SOURCE_REMOVE;
}

/* Submits one entry; FALSE when the queue is full (the entry is to be tried again later). */
static gboolean
deep_search_submit(RunningSearch *search, gint64 position, const char *capture_id)
{
	static const JobCallbacks callbacks = {
		.progress = deep_search_job_progress_cb,
		.done = deep_search_job_done_cb,
	};
	Store *store = search->runner->store;
	g_autoptr(StoreCapture) capture = store_capture_get(store, capture_id, NULL);
	if (capture == NULL) {
		/* Deleted since the search began: searched, nothing found. */
		deep_search_record(search, position, FALSE);
		return TRUE;
	}
	g_autofree char *path = store_capture_file(store, capture->id);
	g_autofree char *request = job_request_match(path, search->display_filter);
	DeepSearchJob *search_job = g_new0(DeepSearchJob, 1);
	search_job->search = search;
	search_job->position = position;
	search_job->capture_id = g_strdup(capture_id);
	g_autoptr(GError) error = NULL;
	search_job->job = job_queue_submit(search->runner->jobs, request, NULL, &callbacks, search_job, &error);
	if (search_job->job == NULL) {
		deep_search_job_free(search_job);
		return FALSE;
	}
	g_ptr_array_add(search->jobs, search_job);
	return TRUE;
}

static void
deep_search_fill(RunningSearch *search)
{
	while (search->retry_source == 0 && search->jobs->len < search->runner->parallel &&
	       search->next < search->positions->len) {
		gint64 position = g_array_index(search->positions, gint64, search->next);
		const char *capture_id = g_ptr_array_index(search->capture_ids, search->next);
		if (!deep_search_submit(search, position, capture_id)) {
			search->retry_source = g_timeout_add(DEEP_SEARCH_QUEUE_FULL_RETRY_MS, deep_search_retry_cb, search);
			return;
		}
		search->next++;
	}
}

void
deep_search_runner_start(DeepSearchRunner *self, const char *search_id, gint64 token_id, const char *display_filter)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) positions = NULL;
	g_autoptr(GPtrArray) capture_ids = NULL;

	if (g_hash_table_contains(self->running, search_id))
		return;
	if (!store_deep_search_pending(self->store, search_id, &positions, &capture_ids, &error)) {
		g_warning("deep search %s: %s", search_id, error->message);
		return;
	}
	if (positions->len == 0)
		return;
	RunningSearch *search = g_new0(RunningSearch, 1);
	search->runner = self;
	search->id = g_strdup(search_id);
	search->token_id = token_id;
	search->display_filter = g_strdup(display_filter);
	search->positions = g_steal_pointer(&positions);
	search->capture_ids = g_steal_pointer(&capture_ids);
	search->jobs = g_ptr_array_new();
	g_hash_table_insert(self->running, search->id, search);
	deep_search_fill(search);
	deep_search_check_finished(search);
}

void
deep_search_runner_resume_all(DeepSearchRunner *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) ids = store_deep_search_list_unfinished(self->store, &error);
	if (ids == NULL) {
		g_warning("resuming deep searches: %s", error->message);
		return;
	}
	for (guint i = 0; i < ids->len; i++) {
		const char *id = g_ptr_array_index(ids, i);
		g_autoptr(StoreDeepSearch) search = store_deep_search_get(self->store, id, NULL);
		if (search == NULL)
			continue;
		g_message("resuming deep search %s", id);
		deep_search_runner_start(self, id, search->token_id, search->display_filter);
	}
}

gboolean
deep_search_runner_stop(DeepSearchRunner *self, const char *search_id)
{
	return g_hash_table_remove(self->running, search_id); /* withdraws its jobs */
}

guint
deep_search_runner_count_running(DeepSearchRunner *self, gint64 token_id)
{
	GHashTableIter iter;
	gpointer value;
	guint count = 0;
	g_hash_table_iter_init(&iter, self->running);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		count += ((RunningSearch *)value)->token_id == token_id;
	for (guint i = 0; i < self->reserved->len; i++)
		count += g_array_index(self->reserved, gint64, i) == token_id;
	return count;
}

void
deep_search_runner_reserve(DeepSearchRunner *self, gint64 token_id)
{
	g_array_append_val(self->reserved, token_id);
}

void
deep_search_runner_unreserve(DeepSearchRunner *self, gint64 token_id)
{
	for (guint i = 0; i < self->reserved->len; i++) {
		if (g_array_index(self->reserved, gint64, i) == token_id) {
			g_array_remove_index_fast(self->reserved, i);
			return;
		}
	}
}

double
deep_search_runner_running_fraction(DeepSearchRunner *self, const char *search_id)
{
	RunningSearch *search = g_hash_table_lookup(self->running, search_id);
	double sum = 0;
	for (guint i = 0; search != NULL && i < search->jobs->len; i++)
		sum += ((DeepSearchJob *)g_ptr_array_index(search->jobs, i))->fraction;
	return sum;
}

char *
deep_search_new_id(void)
{
	guint8 bytes[16];
	guint64 ms = (guint64)(g_get_real_time() / 1000);

	if (!secrets_random_bytes(bytes, sizeof bytes, NULL)) {
		/* An id, not a secret: unique is enough, which the time and GLib's generator give. */
		for (guint i = 0; i < sizeof bytes; i++)
			bytes[i] = (guint8)g_random_int();
	}
	for (guint i = 0; i < 6; i++)
		bytes[i] = (guint8)(ms >> (40 - 8 * i));
	bytes[6] = (guint8)(0x70 | (bytes[6] & 0x0f)); /* version 7 */
	bytes[8] = (guint8)(0x80 | (bytes[8] & 0x3f)); /* variant 10 */
	GString *id = g_string_sized_new(36);
	for (guint i = 0; i < sizeof bytes; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			g_string_append_c(id, '-');
		g_string_append_printf(id, "%02x", bytes[i]);
	}
	return g_string_free(id, FALSE);
}

gboolean
deep_search_id_is_valid(const char *id)
{
	if (id == NULL || strlen(id) != 36)
		return FALSE;
	for (guint i = 0; i < 36; i++) {
		gboolean dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? id[i] != '-' : !(g_ascii_isdigit(id[i]) || (id[i] >= 'a' && id[i] <= 'f')))
			return FALSE;
	}
	return TRUE;
}
