/* job-queue.c: the bounded job FIFO and the supervised worker pool.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "jobs"

#include "jobs/job-queue.h"

#include <string.h>

#include "jobs/job-events.h"
#include "jobs/worker-process.h"
#include "metrics.h"
#include "sharkapi-error.h"
#include "worker-protocol.h"

/* A job is tried at most this often when its worker dies under it (API.md: 422 after two). */
#define JOB_MAX_ATTEMPTS 2
/* Workers that die before acknowledging a job (killed from outside, say) are not the job's
 * fault and do not count as attempts, up to this many. */
#define JOB_MAX_UNACKNOWLEDGED_DEATHS 4
/* Pause before replacing a worker that died without saying HELLO: no respawn storm. */
#define WORKER_RESPAWN_BACKOFF_MS 1000

typedef struct WorkerSlot WorkerSlot;

struct Job {
	JobQueue *queue;
	char *request;
	char *warm_key;
	JobCallbacks callbacks;
	gpointer user_data;
	WorkerSlot *slot;
	guint attempts;
	guint unacknowledged_deaths;
	gboolean acknowledged; /* the current attempt's worker sent a frame for it */
	gboolean data_sent;
	gboolean cancelled;
	gboolean timed_out;
	gboolean quick;    /* waits ahead of the others (job_queue_submit_quick()) */
	gint64 started_us; /* when it last went to a worker (job-events.h) */
};

struct WorkerSlot {
	JobQueue *queue;
	WorkerProcess *process;
	gboolean ready; /* said HELLO */
	gboolean retiring; /* being replaced after a job: takes no more */
	gboolean forget_warm; /* its capture was deleted: replace it after the job it is running */
	Job *job;
	char *warm_key;
	gint64 first_passes_seen; /* the worker's own count, from its last END */
	guint timeout_source;
	guint respawn_source;
};

struct JobQueue {
	char *worker_path;
	char *worker_home;
	guint job_timeout;
	guint queue_limit;
	guint64 worker_memory_limit;
	guint64 worker_recycle_rss;
	GPtrArray *slots;
	GQueue pending;
	GPtrArray *tables; /* WorkerTable */
	gboolean tables_from_worker; /* else they are the kept list of an earlier run */
	char *tables_path;
	GHashTable *first_passes; /* warm key -> first passes run for it (GUINT_TO_POINTER) */
	gboolean shutting_down;
	GSourceFunc idle_func; /* job_queue_set_idle_func() */
	gpointer idle_data;
};

static void job_queue_dispatch(JobQueue *self);
static gboolean worker_slot_start(WorkerSlot *slot, GError **error);

static void
job_free(Job *job)
{
	g_free(job->request);
	g_free(job->warm_key);
	g_free(job);
}

/* Ends a job: calls done (unless cancelled) and frees it. */
static void
job_finish(Job *job, JsonObject *result, const GError *error)
{
	job_events_finished(job->request, job->started_us, job->cancelled, error);
	if (!job->cancelled)
		job->callbacks.done(job, result, error, job->user_data);
	job_free(job);
}

static void
worker_slot_clear_timeout(WorkerSlot *slot)
{
	if (slot->timeout_source != 0) {
		g_source_remove(slot->timeout_source);
		slot->timeout_source = 0;
	}
}

/* Takes the running job off its slot, which becomes idle. */
static Job *
worker_slot_take_job(WorkerSlot *slot)
{
	Job *job = g_steal_pointer(&slot->job);
	worker_slot_clear_timeout(slot);
	if (job != NULL)
		job->slot = NULL;
	return job;
}

static GError *
job_error_from_payload(GBytes *payload)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	gsize len = 0;
	const char *text = g_bytes_get_data(payload, &len);
	if (json_parser_load_from_data(parser, text, (gssize)len, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		JsonObject *object = json_node_get_object(json_parser_get_root(parser));
		gint64 status = json_object_get_int_member_with_default(object, WORKER_ERROR_STATUS, 500);
		const char *message = json_object_get_string_member_with_default(object, WORKER_ERROR_MESSAGE, "worker error");
		if (status < 400 || status > 599)
			status = 500;
		return g_error_new_literal(SHARKAPI_ERROR, (gint)status, message);
	}
	return g_error_new_literal(SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "worker sent a malformed error");
}

static JsonObject *
job_parse_object(GBytes *payload)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	gsize len = 0;
	const char *text = g_bytes_get_data(payload, &len);
	if (!json_parser_load_from_data(parser, text, (gssize)len, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		return NULL;
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

/* The table list a worker sent, for the next start (read by job_queue_load_tables()). Not
 * fsynced: a list lost in a crash is only learnt again from the next HELLO. */
static void
job_queue_keep_tables(JobQueue *self)
{
	if (self->tables_path == NULL)
		return;
	g_autofree char *text = worker_tables_to_json(self->tables);
	g_autofree char *kept = NULL;
	if (g_file_get_contents(self->tables_path, &kept, NULL, NULL) && g_str_equal(kept, text))
		return;
	g_autoptr(GError) error = NULL;
	if (!g_file_set_contents_full(self->tables_path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error))
		g_warning("keeping the table list: %s", error->message);
}

static void
job_queue_load_tables(JobQueue *self)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	if (self->tables_path == NULL || !json_parser_load_from_mapped_file(parser, self->tables_path, NULL))
		return;
	JsonNode *root = json_parser_get_root(parser);
	if (root != NULL && JSON_NODE_HOLDS_ARRAY(root))
		self->tables = worker_tables_from_json(json_node_get_array(root));
}

static void
worker_slot_hello(WorkerSlot *slot, GBytes *payload)
{
	JobQueue *self = slot->queue;
	g_autoptr(JsonObject) hello = job_parse_object(payload);
	slot->ready = TRUE;
	if (hello == NULL) {
		g_warning("worker %s sent a malformed HELLO, ignoring", worker_process_get_identifier(slot->process));
		return;
	}
	JsonNode *tables = json_object_get_member(hello, WORKER_HELLO_TABLES);
	if (!self->tables_from_worker && tables != NULL && JSON_NODE_HOLDS_ARRAY(tables)) {
		self->tables_from_worker = TRUE;
		g_clear_pointer(&self->tables, g_ptr_array_unref);
		self->tables = worker_tables_from_json(json_node_get_array(tables));
		job_queue_keep_tables(self);
	}
}

/* Resident bytes of a worker, 0 when unknown. */
static guint64
worker_slot_rss(WorkerSlot *slot)
{
	g_autofree char *path = g_strdup_printf("/proc/%s/status", worker_process_get_identifier(slot->process));
	g_autofree char *status = NULL;
	if (!g_file_get_contents(path, &status, NULL, NULL))
		return 0;
	const char *line = strstr(status, "\nVmRSS:");
	return line != NULL ? g_ascii_strtoull(line + strlen("\nVmRSS:"), NULL, 10) * 1024 : 0;
}

/* After a job: a worker grown past the recycle size is replaced, unless its memory is the
 * warm first pass that the next two-pass query needs. */
static void
worker_slot_maybe_retire(WorkerSlot *slot)
{
	JobQueue *self = slot->queue;
	if (slot->forget_warm && slot->job == NULL && slot->process != NULL) {
		slot->retiring = TRUE;
		worker_process_kill(slot->process);
		return;
	}
	/* job: the finished job's callback may already have handed this worker the next one. */
	if (self->worker_recycle_rss == 0 || slot->warm_key != NULL || slot->process == NULL || slot->job != NULL)
		return;
	guint64 rss = worker_slot_rss(slot);
	if (rss <= self->worker_recycle_rss)
		return;
	g_message("replacing worker %s: %" G_GUINT64_FORMAT " MiB resident, over the recycle size",
		  worker_process_get_identifier(slot->process), rss / (1024 * 1024));
	slot->retiring = TRUE;
	worker_process_kill(slot->process);
}

/* Workers count the first passes they ran; a rise during a job means this job ran one. */
static void
job_queue_count_first_pass(JobQueue *self, WorkerSlot *slot, Job *job, JsonObject *result)
{
	gint64 seen = json_object_get_int_member_with_default(result, WORKER_END_FIRST_PASSES, slot->first_passes_seen);
	if (seen > slot->first_passes_seen && job->warm_key != NULL) {
		guint count = GPOINTER_TO_UINT(g_hash_table_lookup(self->first_passes, job->warm_key));
		g_hash_table_insert(self->first_passes, g_strdup(job->warm_key), GUINT_TO_POINTER(count + 1));
	}
	slot->first_passes_seen = seen;
}

static void
worker_slot_frame_cb(WorkerProcess *process, WorkerFrameType type, GBytes *payload, gpointer user_data)
{
	WorkerSlot *slot = user_data;
	JobQueue *self = slot->queue;
	Job *job = slot->job;

	if (type == WORKER_FRAME_HELLO) {
		worker_slot_hello(slot, payload);
		job_queue_dispatch(self);
		return;
	}
	if (job == NULL) {
		g_warning("worker %s sent a frame without a job, replacing it", worker_process_get_identifier(process));
		worker_process_kill(process);
		return;
	}
	job->acknowledged = TRUE;
	switch (type) {
	case WORKER_FRAME_PROGRESS:
		if (job->callbacks.progress != NULL && !job->cancelled)
			job->callbacks.progress(job, g_ascii_strtod(g_bytes_get_data(payload, NULL), NULL), job->user_data);
		break;
	case WORKER_FRAME_DATA:
		job->data_sent = TRUE;
		if (!job->cancelled && job->callbacks.data != NULL && job->callbacks.data(job, payload, job->user_data))
			worker_process_pause(process);
		break;
	case WORKER_FRAME_END: {
		g_autoptr(JsonObject) result = job_parse_object(payload);
		if (result == NULL)
			result = json_object_new();
		job_queue_count_first_pass(self, slot, job, result);
		g_free(slot->warm_key);
		slot->warm_key = g_strdup(job->warm_key);
		job_finish(worker_slot_take_job(slot), result, NULL);
		worker_slot_maybe_retire(slot);
		job_queue_dispatch(self);
		break;
	}
	case WORKER_FRAME_ERROR: {
		g_autoptr(GError) error = job_error_from_payload(payload);
		job_finish(worker_slot_take_job(slot), NULL, error);
		worker_slot_maybe_retire(slot);
		job_queue_dispatch(self);
		break;
	}
	default:
		break;
	}
}

static gboolean
worker_slot_respawn_cb(gpointer user_data)
{
	WorkerSlot *slot = user_data;
	g_autoptr(GError) error = NULL;
	slot->respawn_source = 0;
	if (!worker_slot_start(slot, &error)) {
		g_warning("%s; retrying", error->message);
		slot->respawn_source = g_timeout_add(WORKER_RESPAWN_BACKOFF_MS, worker_slot_respawn_cb, slot);
	}
	return G_SOURCE_REMOVE;
}

/* Decides what a job whose worker died becomes: retried, or failed. */
static void
job_after_worker_death(JobQueue *self, Job *job, const char *reason)
{
	if (job->cancelled) {
		job_free(job);
		return;
	}
	if (job->timed_out) {
		g_autoptr(GError) error = g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE,
						      "the analysis exceeded the time limit of %u s", self->job_timeout);
		job_finish(job, NULL, error);
		return;
	}
	if (job->data_sent) {
		g_autoptr(GError) error = g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
						      "the dissection worker failed while answering (%s)", reason);
		job_finish(job, NULL, error);
		return;
	}
	if (!job->acknowledged && job->unacknowledged_deaths < JOB_MAX_UNACKNOWLEDGED_DEATHS) {
		job->unacknowledged_deaths++;
		job->attempts--;
	}
	if (job->attempts < JOB_MAX_ATTEMPTS) {
		g_message("retrying a job after its worker died (%s)", reason);
		g_queue_push_head(&self->pending, job);
		return;
	}
	g_autoptr(GError) error = g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_UNPROCESSABLE,
					      "the capture could not be analysed: the dissection worker crashed on it "
					      "twice (%s)",
					      reason);
	job_finish(job, NULL, error);
}

static void
worker_slot_died_cb(WorkerProcess *process, const char *reason, gpointer user_data)
{
	WorkerSlot *slot = user_data;
	JobQueue *self = slot->queue;
	gboolean was_ready = slot->ready;
	Job *job = worker_slot_take_job(slot);

	if (!self->shutting_down && !slot->retiring)
		g_warning("worker %s died: %s", worker_process_get_identifier(process), reason);
	slot->ready = FALSE;
	slot->retiring = FALSE;
	slot->forget_warm = FALSE;
	slot->first_passes_seen = 0;
	g_clear_pointer(&slot->warm_key, g_free);
	g_clear_pointer(&slot->process, worker_process_free);
	if (job != NULL)
		job_after_worker_death(self, job, reason);
	if (self->shutting_down)
		return;
	metrics_inc("sharkapi_worker_restarts_total", NULL);
	slot->respawn_source =
		g_timeout_add(was_ready ? 0 : WORKER_RESPAWN_BACKOFF_MS, worker_slot_respawn_cb, slot);
	job_queue_dispatch(self);
}

static gboolean
worker_slot_start(WorkerSlot *slot, GError **error)
{
	JobQueue *self = slot->queue;
	WorkerProcessOptions options = {
		.worker_path = self->worker_path,
		.home = self->worker_home,
		.memory_limit = self->worker_memory_limit,
	};
	static const WorkerProcessCallbacks callbacks = {
		.frame = worker_slot_frame_cb,
		.died = worker_slot_died_cb,
	};
	slot->process = worker_process_spawn(&options, &callbacks, slot, error);
	return slot->process != NULL;
}

static gboolean
job_timeout_cb(gpointer user_data)
{
	WorkerSlot *slot = user_data;
	slot->timeout_source = 0;
	if (slot->job != NULL) {
		g_warning("job over its time limit of %u s: killing worker %s", slot->queue->job_timeout,
			  worker_process_get_identifier(slot->process));
		slot->job->timed_out = TRUE;
		worker_process_kill(slot->process);
	}
	return G_SOURCE_REMOVE;
}

static gboolean
worker_slot_is_idle(WorkerSlot *slot)
{
	return slot->process != NULL && slot->ready && !slot->retiring && slot->job == NULL &&
	       worker_process_is_alive(slot->process);
}

/* The slot a job should run on now, or NULL to keep it waiting. A job with a warm key waits
 * for the worker that holds that capture's first pass rather than repeat it elsewhere. */
static WorkerSlot *
job_queue_pick_slot(JobQueue *self, Job *job)
{
	WorkerSlot *idle = NULL;
	for (guint i = 0; i < self->slots->len; i++) {
		WorkerSlot *slot = g_ptr_array_index(self->slots, i);
		if (job->warm_key != NULL && g_strcmp0(slot->warm_key, job->warm_key) == 0)
			return worker_slot_is_idle(slot) ? slot : NULL;
		if (idle == NULL && worker_slot_is_idle(slot))
			idle = slot;
	}
	/* Prefer an idle worker that is not keeping some other capture warm. */
	for (guint i = 0; idle != NULL && i < self->slots->len; i++) {
		WorkerSlot *slot = g_ptr_array_index(self->slots, i);
		if (worker_slot_is_idle(slot) && slot->warm_key == NULL)
			return slot;
	}
	return idle;
}

static void
job_queue_run(JobQueue *self, Job *job, WorkerSlot *slot)
{
	g_autoptr(GError) error = NULL;
	job->attempts++;
	job->started_us = g_get_monotonic_time();
	job->slot = slot;
	slot->job = job;
	if (!worker_process_send(slot->process, job->request, &error)) {
		g_warning("%s", error->message);
		worker_process_kill(slot->process); /* the death handler retries the job */
		return;
	}
	if (self->job_timeout > 0)
		slot->timeout_source = g_timeout_add_seconds(self->job_timeout, job_timeout_cb, slot);
}

static void
job_queue_dispatch(JobQueue *self)
{
	GList *link = self->pending.head;
	while (link != NULL) {
		GList *next = link->next;
		Job *job = link->data;
		WorkerSlot *slot = job_queue_pick_slot(self, job);
		if (slot != NULL) {
			g_queue_delete_link(&self->pending, link);
			job_queue_run(self, job, slot);
		}
		link = next;
	}
	metrics_set("sharkapi_job_queue_length", NULL, self->pending.length);
	if (self->idle_func != NULL && job_queue_count_free_workers(self) > 0)
		self->idle_func(self->idle_data);
}

void
job_queue_set_idle_func(JobQueue *self, GSourceFunc func, gpointer user_data)
{
	self->idle_func = func;
	self->idle_data = user_data;
}

JobQueue *
job_queue_new(const JobQueueOptions *options, GError **error)
{
	g_autoptr(JobQueue) self = g_new0(JobQueue, 1);
	self->worker_path = g_strdup(options->worker_path);
	self->worker_home = g_strdup(options->worker_home);
	self->job_timeout = options->job_timeout;
	self->queue_limit = options->queue_limit;
	self->worker_memory_limit = options->worker_memory_limit;
	self->worker_recycle_rss = options->worker_recycle_rss;
	self->tables_path = g_strdup(options->tables_path);
	job_queue_load_tables(self);
	self->slots = g_ptr_array_new();
	self->first_passes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_queue_init(&self->pending);
	for (guint i = 0; i < MAX(options->workers, 1); i++) {
		WorkerSlot *slot = g_new0(WorkerSlot, 1);
		slot->queue = self;
		g_ptr_array_add(self->slots, slot);
		if (!worker_slot_start(slot, error))
			return NULL;
	}
	return g_steal_pointer(&self);
}

void
job_queue_free(JobQueue *self)
{
	if (self == NULL)
		return;
	self->shutting_down = TRUE;
	for (guint i = 0; i < self->slots->len; i++) {
		WorkerSlot *slot = g_ptr_array_index(self->slots, i);
		Job *job = worker_slot_take_job(slot);
		if (job != NULL)
			job_free(job); /* at shutdown nobody is left to answer */
		if (slot->respawn_source != 0)
			g_source_remove(slot->respawn_source);
		g_clear_pointer(&slot->process, worker_process_free);
		g_free(slot->warm_key);
		g_free(slot);
	}
	g_ptr_array_free(self->slots, TRUE);
	g_queue_clear_full(&self->pending, (GDestroyNotify)job_free);
	if (self->tables != NULL)
		g_ptr_array_unref(self->tables);
	g_free(self->tables_path);
	g_hash_table_destroy(self->first_passes);
	g_free(self->worker_path);
	g_free(self->worker_home);
	g_free(self);
}

static Job *
job_queue_add(JobQueue *self, const char *request, const char *warm_key, gboolean quick,
	      const JobCallbacks *callbacks, gpointer user_data, GError **error)
{
	if (self->pending.length >= self->queue_limit) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE,
			    "the analysis queue is full (%u jobs waiting); try again later", self->pending.length);
		return NULL;
	}
	Job *job = g_new0(Job, 1);
	job->queue = self;
	job->request = g_strdup(request);
	job->warm_key = g_strdup(warm_key);
	job->quick = quick;
	job->callbacks = *callbacks;
	job->user_data = user_data;
	if (quick) {
		/* Behind the quick jobs already waiting, ahead of every other. */
		GList *link = self->pending.head;
		while (link != NULL && ((Job *)link->data)->quick)
			link = link->next;
		if (link != NULL)
			g_queue_insert_before(&self->pending, link, job);
		else
			g_queue_push_tail(&self->pending, job);
	} else {
		g_queue_push_tail(&self->pending, job);
	}
	job_queue_dispatch(self);
	return job;
}

Job *
job_queue_submit(JobQueue *self, const char *request, const char *warm_key, const JobCallbacks *callbacks,
		 gpointer user_data, GError **error)
{
	return job_queue_add(self, request, warm_key, FALSE, callbacks, user_data, error);
}

Job *
job_queue_submit_quick(JobQueue *self, const char *request, const JobCallbacks *callbacks, gpointer user_data,
		       GError **error)
{
	return job_queue_add(self, request, NULL, TRUE, callbacks, user_data, error);
}

void
job_cancel(Job *job)
{
	JobQueue *self = job->queue;
	job->cancelled = TRUE;
	if (job->slot == NULL) {
		if (g_queue_remove(&self->pending, job))
			job_free(job);
		metrics_set("sharkapi_job_queue_length", NULL, self->pending.length);
		return;
	}
	/* Running: stopping the worker is the only way to stop libwireshark mid-pass. Its death
	 * is expected, not a failure to warn about; it is replaced as usual. */
	job->slot->retiring = TRUE;
	worker_process_kill(job->slot->process);
}

void
job_resume(Job *job)
{
	if (job->slot != NULL && job->slot->process != NULL)
		worker_process_resume(job->slot->process);
}

gboolean
job_is_running(Job *job)
{
	return job->slot != NULL;
}

const GPtrArray *
job_queue_get_tables(JobQueue *self)
{
	return self->tables;
}

const WorkerTable *
job_queue_find_table(JobQueue *self, const char *protocol)
{
	return worker_tables_find(self->tables, protocol);
}

guint
job_queue_get_first_passes(JobQueue *self, const char *warm_key)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(self->first_passes, warm_key));
}

void
job_queue_forget_warm_key(JobQueue *self, const char *warm_key)
{
	g_hash_table_remove(self->first_passes, warm_key);
	for (guint i = 0; i < self->slots->len; i++) {
		WorkerSlot *slot = g_ptr_array_index(self->slots, i);
		gboolean holds = g_strcmp0(slot->warm_key, warm_key) == 0 ||
				 (slot->job != NULL && g_strcmp0(slot->job->warm_key, warm_key) == 0);
		if (!holds || slot->process == NULL || slot->retiring)
			continue;
		slot->forget_warm = TRUE;
		if (slot->job == NULL)
			worker_slot_maybe_retire(slot);
	}
}

guint
job_queue_count_idle_workers(JobQueue *self)
{
	guint idle = 0;
	/* Jobs still waiting will take the idle workers first. */
	if (self->pending.length > 0)
		return 0;
	for (guint i = 0; i < self->slots->len; i++) {
		WorkerSlot *slot = g_ptr_array_index(self->slots, i);
		if (worker_slot_is_idle(slot) && slot->warm_key == NULL)
			idle++;
	}
	return idle;
}

guint
job_queue_count_free_workers(JobQueue *self)
{
	guint free_workers = 0;
	if (self->pending.length > 0)
		return 0;
	for (guint i = 0; i < self->slots->len; i++) {
		if (worker_slot_is_idle(g_ptr_array_index(self->slots, i)))
			free_workers++;
	}
	return free_workers;
}
