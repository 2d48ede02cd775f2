/* cluster.c: jobs shared by several nodes through PostgreSQL (cluster.h).
 * Statements go through the store's connection (store-sql.h, PostgreSQL dialect: these tables
 * exist only there); notifications come on a libpq connection of our own, polled by the main
 * loop. Claims happen when a worker may be idle: on a NOTIFY of a queued job, after a job of
 * ours ends, and on the lease timer (which also finds the jobs of nodes that stopped renewing).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "cluster"

#include "jobs/cluster.h"

#include <string.h>

#include <glib-unix.h>
#include <libpq-fe.h>

#include "event-log.h"
#include "metrics.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"

/* A lease outlives four missed renewals (a PostgreSQL restart of ten seconds keeps it); a dead
 * node's jobs move on within it. */
#define CLUSTER_LEASE_SECONDS 15
#define CLUSTER_RENEW_MS 3000
/* The listening connection, when lost, is tried again this often. */
#define CLUSTER_RECONNECT_MS 1000
/* Claims: the first and a retry after a lost node; the third is a 422 (job-queue.h's rule). */
#define CLUSTER_MAX_ATTEMPTS 2
#define CLUSTER_CHANNEL_QUEUED "sharkapi_job_queued"
#define CLUSTER_CHANNEL_ENDED "sharkapi_job_ended"
/* Payload "deleted <node> <capture>" or "keys <node> <capture>". */
#define CLUSTER_CHANNEL_CAPTURE "sharkapi_capture_changed"

struct Cluster {
	Store *store;
	char *node_name;
	guint workers;
	ClusterCallbacks callbacks;
	gpointer user_data;
	PGconn *listener;      /* NULL while PostgreSQL cannot be reached */
	guint listener_source; /* the socket watch, or the reconnect timer */
	guint renew_source;
	GHashTable *watched;   /* keys of jobs this node waits for (set) */
	GHashTable *claimed;   /* keys of jobs this node runs -> progress (double *) */
	gboolean claiming;     /* cluster_claim() is on the stack: no nested claims */
	/* A job may be queued (a NOTIFY said so, or nothing was looked at since): what a free
	 * worker's cluster_claim_soon() needs before it asks the database. */
	gboolean maybe_queued;
	guint claim_source;    /* cluster_claim_soon() */
};

static char *
cluster_key(const char *capture_id, const char *variant)
{
	return g_strdup_printf("%s/%s", capture_id, variant);
}

/* The keys of a table, copied: callers change the table while they go through them. */
static GPtrArray *
cluster_keys_of(GHashTable *table)
{
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, table);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(keys, g_strdup(key));
	return keys;
}

/* ---- statements ---- */

static StoreSqlStatement *
cluster_prepare(Cluster *self, const char *text, GError **error)
{
	return store_sql_prepare(self->store->db, text, error);
}

/* Runs one statement binding values as ?1, ?2... (a NULL value is SQL's NULL). */
static gboolean
cluster_run_values(Cluster *self, const char *text, const char *context, const char *const *values, guint n_values,
		   GError **error)
{
	g_autoptr(StoreSqlStatement) stmt = cluster_prepare(self, text, error);
	if (stmt == NULL)
		return FALSE;
	for (guint i = 0; i < n_values; i++)
		store_sql_bind_text(stmt, (int)i + 1, values[i]); /* NULL binds NULL */
	return store_sql_run(stmt, context, error);
}
#define cluster_run(self, text, context, error, ...)                                                     \
	cluster_run_values(self, text, context, (const char *const[]){__VA_ARGS__},                      \
			   G_N_ELEMENTS(((const char *const[]){__VA_ARGS__})), error)

static void
cluster_notify(Cluster *self, const char *channel, const char *payload)
{
	g_autoptr(GError) error = NULL;
	if (!cluster_run(self, "SELECT pg_notify(?1, ?2)", "notifying the other nodes", &error, channel, payload))
		g_warning("%s", error->message);
}

/* ---- the node row ---- */

static gboolean
cluster_heartbeat(Cluster *self, gboolean starting, GError **error)
{
	g_autofree char *workers = g_strdup_printf("%u", self->workers);
	if (!starting)
		return cluster_run(self, "UPDATE cluster_nodes SET heartbeat_at = now() WHERE name = ?1",
				   "recording this node's heartbeat", error, self->node_name);
	return cluster_run(self,
			   "INSERT INTO cluster_nodes (name, workers, started_at, heartbeat_at)"
			   " VALUES (?1, CAST(?2 AS INTEGER), now(), now())"
			   " ON CONFLICT (name) DO UPDATE SET workers = EXCLUDED.workers, started_at = now(),"
			   " heartbeat_at = now()",
			   "recording this node", error, self->node_name, workers);
}

/* ---- leases ---- */

static gboolean
cluster_renew_cb(gpointer user_data)
{
	Cluster *self = user_data;
	g_autoptr(GError) error = NULL;
	GHashTableIter iter;
	gpointer key, value;

	if (!cluster_heartbeat(self, FALSE, &error)) {
		g_debug("%s", error->message);
		return G_SOURCE_CONTINUE; /* PostgreSQL is down: the store has said so */
	}
	g_hash_table_iter_init(&iter, self->claimed);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		g_autofree char *progress = g_strdup_printf("%.4f", *(double *)value);
		if (!cluster_run(self,
				 "UPDATE cluster_jobs SET lease_until = now() + interval '" G_STRINGIFY(CLUSTER_LEASE_SECONDS)
				 " seconds', progress = CAST(?3 AS DOUBLE PRECISION) WHERE key = ?1 AND node = ?2"
				 " AND state = 'running'",
				 "renewing a lease", &error, (const char *)key, self->node_name, progress)) {
			g_debug("%s", error->message);
			return G_SOURCE_CONTINUE;
		}
	}
	/* Jobs of nodes that stopped renewing are claimable now. */
	cluster_claim(self);
	return G_SOURCE_CONTINUE;
}

/* ---- claiming ---- */

/* The job this node gave up (it could not start it): back to the queue, the claim not counted. */
static void
cluster_release(Cluster *self, const char *key)
{
	g_autoptr(GError) error = NULL;
	g_hash_table_remove(self->claimed, key);
	if (!cluster_run(self,
			 "UPDATE cluster_jobs SET state = 'queued', node = NULL, lease_until = NULL,"
			 " attempts = GREATEST(attempts - 1, 0) WHERE key = ?1 AND node = ?2",
			 "giving a job back", &error, key, self->node_name))
		g_warning("%s", error->message);
	else
		cluster_notify(self, CLUSTER_CHANNEL_QUEUED, key);
}

/* A job whose nodes were lost CLUSTER_MAX_ATTEMPTS times: a 422, as a job whose worker died twice. */
static void
cluster_fail_lost_job(Cluster *self, const char *key, const char *capture_id, const char *variant)
{
	g_autoptr(GError) verdict = g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_UNPROCESSABLE,
						"the analysis stopped %d times with the node running it",
						CLUSTER_MAX_ATTEMPTS);
	g_autoptr(GError) error = NULL;
	g_warning("job %s: %s", key, verdict->message);
	g_hash_table_insert(self->claimed, g_strdup(key), g_new0(double, 1));
	if (g_str_equal(variant, "default") &&
	    !store_capture_set_analysis_failed(self->store, capture_id, verdict->message, &error))
		g_warning("%s, ignoring", error->message);
	cluster_job_finished(self, capture_id, variant, verdict);
	/* This node's own requests for it, if any. */
	self->callbacks.ended(capture_id, variant, verdict, self->user_data);
}

/* Claims one job; FALSE when none is waiting (or PostgreSQL is down). */
static gboolean
cluster_claim_one(Cluster *self)
{
	g_autoptr(GError) error = NULL;
	gint64 started = g_get_monotonic_time();
	g_autoptr(StoreSqlStatement) stmt = cluster_prepare(
		self,
		"UPDATE cluster_jobs SET state = 'running', node = ?1, attempts = attempts + 1, progress = 0,"
		" started_at = now(), lease_until = now() + interval '" G_STRINGIFY(CLUSTER_LEASE_SECONDS) " seconds'"
		" WHERE key = (SELECT key FROM cluster_jobs"
		"   WHERE state = 'queued' OR (state = 'running' AND lease_until < now())"
		"   ORDER BY queued_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
		" RETURNING key, capture_id, variant, filter, passes, list, columns, attempts",
		&error);
	if (stmt == NULL) {
		g_debug("%s", error->message);
		return FALSE;
	}
	store_sql_bind_text(stmt, 1, self->node_name);
	StoreSqlStep step = store_sql_step(stmt, &error);
	double claim_seconds = (double)(g_get_monotonic_time() - started) / 1e6;
	metrics_observe("sharkapi_cluster_claim_seconds", NULL, claim_seconds);
	if (step != STORE_SQL_ROW) {
		if (step == STORE_SQL_ERROR)
			g_debug("claiming a job: %s", error->message);
		else
			self->maybe_queued = FALSE; /* until the next NOTIFY */
		return FALSE;
	}
	g_autofree char *key = g_strdup(store_sql_column_text(stmt, 0));
	g_autofree char *capture_id = g_strdup(store_sql_column_text(stmt, 1));
	g_autofree char *variant = g_strdup(store_sql_column_text(stmt, 2));
	g_autofree char *filter = g_strdup(store_sql_column_text(stmt, 3));
	guint passes = (guint)store_sql_column_int64(stmt, 4);
	const char *list = store_sql_column_text(stmt, 5);
	gboolean is_list = list != NULL && (*list == 't' || *list == '1');
	g_autofree char *columns = g_strdup(store_sql_column_text(stmt, 6));
	gint64 attempts = store_sql_column_int64(stmt, 7);
	g_clear_pointer(&stmt, store_sql_finalize);

	metrics_inc("sharkapi_cluster_claims_total", NULL);
	if (attempts > CLUSTER_MAX_ATTEMPTS) {
		cluster_fail_lost_job(self, key, capture_id, variant);
		return TRUE;
	}
	EventLogLine *line = event_log_begin("cluster_claim");
	event_log_add_string(line, "job", key);
	event_log_add_int(line, "attempt", attempts);
	event_log_add_double(line, "claim_ms", claim_seconds * 1e3);
	event_log_end(line);
	g_hash_table_insert(self->claimed, g_strdup(key), g_new0(double, 1));
	ClusterJob job = {capture_id, variant, filter, passes, is_list, columns};
	if (!self->callbacks.claimed(&job, self->user_data)) {
		cluster_release(self, key);
		return FALSE;
	}
	return TRUE;
}

static gboolean
cluster_claim_cb(gpointer user_data)
{
	Cluster *self = user_data;
	self->claim_source = 0;
	cluster_claim(self);
	return G_SOURCE_REMOVE;
}

void
cluster_claim_soon(Cluster *self)
{
	/* Called whenever a worker may be free (job-queue.h): no query while nothing is queued. */
	if (self->maybe_queued && self->claim_source == 0)
		self->claim_source = g_idle_add(cluster_claim_cb, self);
}

void
cluster_claim(Cluster *self)
{
	if (self->claiming)
		return;
	self->claiming = TRUE;
	while (self->callbacks.idle_workers(self->user_data) > 0 && cluster_claim_one(self))
		;
	self->claiming = FALSE;
}

/* ---- notifications ---- */

static void cluster_listen_start(Cluster *self);
static void cluster_capture_changed_elsewhere(Cluster *self, const char *payload);

static gboolean
cluster_reconnect_cb(gpointer user_data)
{
	cluster_listen_start(user_data);
	return G_SOURCE_REMOVE;
}

/* What the database says of a job another node ended: FALSE while it is not over. */
static gboolean
cluster_job_outcome(Cluster *self, const char *key, GError **outcome)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreSqlStatement) stmt =
		cluster_prepare(self, "SELECT state, error_code, error FROM cluster_jobs WHERE key = ?1", &error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, key);
	if (store_sql_step(stmt, &error) != STORE_SQL_ROW) {
		/* No row: withdrawn, or its capture was deleted. */
		if (error == NULL)
			*outcome = g_error_new(SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "the analysis was withdrawn");
		return error == NULL;
	}
	const char *state = store_sql_column_text(stmt, 0);
	if (g_str_equal(state, "done"))
		return TRUE;
	if (!g_str_equal(state, "failed"))
		return FALSE;
	int code = store_sql_column_is_null(stmt, 1) ? SHARKAPI_ERROR_INTERNAL : (int)store_sql_column_int64(stmt, 1);
	const char *message = store_sql_column_text(stmt, 2);
	*outcome = g_error_new_literal(SHARKAPI_ERROR, code, message != NULL ? message : "the analysis failed");
	return TRUE;
}

/* A watched job may have ended: answer its waiters if so. */
static void
cluster_check_watched(Cluster *self, const char *key)
{
	g_autoptr(GError) outcome = NULL;
	if (!g_hash_table_contains(self->watched, key) || g_hash_table_contains(self->claimed, key))
		return;
	if (!cluster_job_outcome(self, key, &outcome))
		return;
	g_autofree char *capture_id = g_strdup(key);
	char *slash = strchr(capture_id, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	g_hash_table_remove(self->watched, key);
	self->callbacks.ended(capture_id, slash + 1, outcome, self->user_data);
}

static void
cluster_listen_lost(Cluster *self, const char *reason)
{
	g_warning("the cluster's notifications stopped (%s); reconnecting", reason);
	g_clear_pointer(&self->listener, PQfinish);
	self->listener_source = g_timeout_add(CLUSTER_RECONNECT_MS, cluster_reconnect_cb, self);
}

static gboolean
cluster_listen_cb(gint fd, GIOCondition condition, gpointer user_data)
{
	Cluster *self = user_data;
	PGnotify *notify;
	gboolean queued = FALSE;

	if (!PQconsumeInput(self->listener) || PQstatus(self->listener) != CONNECTION_OK) {
		g_autofree char *reason = g_strstrip(g_strdup(PQerrorMessage(self->listener)));
		self->listener_source = 0;
		cluster_listen_lost(self, reason);
		return G_SOURCE_REMOVE;
	}
	while ((notify = PQnotifies(self->listener)) != NULL) {
		if (g_str_equal(notify->relname, CLUSTER_CHANNEL_ENDED))
			cluster_check_watched(self, notify->extra);
		else if (g_str_equal(notify->relname, CLUSTER_CHANNEL_CAPTURE))
			cluster_capture_changed_elsewhere(self, notify->extra);
		else
			queued = self->maybe_queued = TRUE;
		PQfreemem(notify);
	}
	if (queued)
		cluster_claim(self);
	return G_SOURCE_CONTINUE;
}

/* (Re)connects the listening connection; a timer callback while it cannot. */
static void
cluster_listen_start(Cluster *self)
{
	g_autofree char *reason = NULL;
	self->listener_source = 0;
	self->listener = store_sql_postgres_new_connection(self->store->db, &reason);
	if (self->listener != NULL) {
		PGresult *result = PQexec(self->listener, "LISTEN " CLUSTER_CHANNEL_QUEUED "; LISTEN " CLUSTER_CHANNEL_ENDED
						  "; LISTEN " CLUSTER_CHANNEL_CAPTURE);
		if (PQresultStatus(result) != PGRES_COMMAND_OK) {
			reason = g_strdup(PQerrorMessage(self->listener));
			g_clear_pointer(&self->listener, PQfinish);
		}
		PQclear(result);
	}
	if (self->listener == NULL) {
		g_debug("cluster notifications: %s", reason);
		self->listener_source =
			g_timeout_add(CLUSTER_RECONNECT_MS, cluster_reconnect_cb, self);
		return;
	}
	self->listener_source = g_unix_fd_add(PQsocket(self->listener), G_IO_IN, cluster_listen_cb, self);
	/* Notifications sent while nobody listened are lost: look at every watched job once, and
	 * at the queue. */
	self->maybe_queued = TRUE;
	g_autoptr(GPtrArray) keys = cluster_keys_of(self->watched);
	for (guint i = 0; i < keys->len; i++)
		cluster_check_watched(self, g_ptr_array_index(keys, i));
	cluster_claim(self);
}

/* ---- the interface ---- */

Cluster *
cluster_new(Store *store, const char *node_name, guint workers, const ClusterCallbacks *callbacks,
	    gpointer user_data, GError **error)
{
	g_autoptr(Cluster) self = g_new0(Cluster, 1);
	self->store = store;
	self->node_name = g_strdup(node_name);
	self->workers = workers;
	self->callbacks = *callbacks;
	self->user_data = user_data;
	self->watched = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->claimed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (store_sql_backend(store->db) != STORE_SQL_POSTGRES) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
				    "several nodes need their metadata in PostgreSQL (--database)");
		return NULL;
	}
	if (!cluster_heartbeat(self, TRUE, error))
		return NULL;
	/* This node's jobs from before a restart: another node (or this one) runs them again. */
	if (!cluster_run(self,
			 "UPDATE cluster_jobs SET state = 'queued', node = NULL, lease_until = NULL"
			 " WHERE node = ?1 AND state = 'running'",
			 "releasing this node's earlier jobs", error, self->node_name))
		return NULL;
	cluster_listen_start(self);
	self->renew_source = g_timeout_add(CLUSTER_RENEW_MS, cluster_renew_cb, self);
	return g_steal_pointer(&self);
}

void
cluster_free(Cluster *self)
{
	if (self == NULL)
		return;
	/* Jobs still running here go back to the queue now, not when their leases end. */
	if (self->claimed != NULL && g_hash_table_size(self->claimed) > 0) {
		g_autoptr(GPtrArray) keys = cluster_keys_of(self->claimed);
		for (guint i = 0; i < keys->len; i++)
			cluster_release(self, g_ptr_array_index(keys, i));
	}
	if (self->listener_source != 0)
		g_source_remove(self->listener_source);
	if (self->renew_source != 0)
		g_source_remove(self->renew_source);
	if (self->claim_source != 0)
		g_source_remove(self->claim_source);
	g_clear_pointer(&self->listener, PQfinish);
	g_clear_pointer(&self->watched, g_hash_table_unref);
	g_clear_pointer(&self->claimed, g_hash_table_unref);
	g_free(self->node_name);
	g_free(self);
}

const char *
cluster_get_node_name(Cluster *self)
{
	return self->node_name;
}

gboolean
cluster_enqueue(Cluster *self, const ClusterJob *job, GError **error)
{
	g_autofree char *key = cluster_key(job->capture_id, job->variant);
	g_autofree char *passes = g_strdup_printf("%u", job->passes);
	g_autoptr(StoreSqlStatement) stmt = cluster_prepare(
		self,
		"INSERT INTO cluster_jobs (key, capture_id, variant, filter, passes, list, columns, state)"
		" VALUES (?1, ?2, ?3, ?4, CAST(?5 AS INTEGER), CAST(?6 AS BOOLEAN), ?7, 'queued')"
		" ON CONFLICT (key) DO UPDATE SET state = 'queued', node = NULL, lease_until = NULL, attempts = 0,"
		" progress = 0, error_code = NULL, error = NULL, queued_at = now(), finished_at = NULL"
		" WHERE cluster_jobs.state IN ('done', 'failed')",
		error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, key);
	store_sql_bind_text(stmt, 2, job->capture_id);
	store_sql_bind_text(stmt, 3, job->variant);
	store_sql_bind_text(stmt, 4, job->filter != NULL ? job->filter : "");
	store_sql_bind_text(stmt, 5, passes);
	store_sql_bind_text(stmt, 6, job->list ? "true" : "false");
	if (job->columns != NULL)
		store_sql_bind_text(stmt, 7, job->columns);
	else
		store_sql_bind_null(stmt, 7);
	if (!store_sql_run(stmt, "queueing an analysis", error))
		return FALSE;
	g_hash_table_add(self->watched, g_strdup(key));
	if (store_sql_changes(stmt) > 0) {
		self->maybe_queued = TRUE;
		cluster_notify(self, CLUSTER_CHANNEL_QUEUED, key);
	}
	return TRUE;
}

void
cluster_withdraw(Cluster *self, const char *capture_id, const char *variant)
{
	g_autofree char *key = cluster_key(capture_id, variant);
	g_autoptr(GError) error = NULL;
	g_hash_table_remove(self->watched, key);
	if (!cluster_run(self, "DELETE FROM cluster_jobs WHERE key = ?1 AND state = 'queued'", "withdrawing a job",
			 &error, key))
		g_warning("%s", error->message);
}

void
cluster_job_finished(Cluster *self, const char *capture_id, const char *variant, const GError *outcome)
{
	g_autofree char *key = cluster_key(capture_id, variant);
	g_autoptr(GError) error = NULL;
	g_autofree char *code = outcome != NULL ? g_strdup_printf("%d", outcome->code) : NULL;

	g_hash_table_remove(self->watched, key);
	if (!g_hash_table_remove(self->claimed, key))
		return;
	if (!cluster_run(self,
			 "UPDATE cluster_jobs SET state = ?3, error_code = CAST(?4 AS INTEGER), error = ?5, node = NULL,"
			 " lease_until = NULL, progress = 1, finished_at = now() WHERE key = ?1 AND node = ?2",
			 "recording the end of a job", &error, key, self->node_name, outcome == NULL ? "done" : "failed",
			 code != NULL ? code : NULL, outcome != NULL ? outcome->message : NULL)) {
		/* Its lease runs out and another node does it again. */
		g_warning("%s", error->message);
		return;
	}
	cluster_notify(self, CLUSTER_CHANNEL_ENDED, key);
	/* A worker is free again. */
	cluster_claim(self);
}

void
cluster_job_progress(Cluster *self, const char *capture_id, const char *variant, double progress)
{
	g_autofree char *key = cluster_key(capture_id, variant);
	double *kept = g_hash_table_lookup(self->claimed, key);
	if (kept != NULL)
		*kept = progress;
}

gboolean
cluster_job_state(Cluster *self, const char *capture_id, const char *variant, gboolean *running, double *progress)
{
	g_autofree char *key = cluster_key(capture_id, variant);
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreSqlStatement) stmt =
		cluster_prepare(self, "SELECT state, progress FROM cluster_jobs WHERE key = ?1", &error);
	if (stmt == NULL)
		return FALSE;
	store_sql_bind_text(stmt, 1, key);
	if (store_sql_step(stmt, &error) != STORE_SQL_ROW)
		return FALSE;
	*running = g_str_equal(store_sql_column_text(stmt, 0), "running");
	*progress = g_ascii_strtod(store_sql_column_text(stmt, 1), NULL);
	return TRUE;
}

void
cluster_capture_changed(Cluster *self, const char *capture_id, gboolean deleted)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *payload = g_strdup_printf("%s %s %s", deleted ? "deleted" : "keys", self->node_name, capture_id);
	if (deleted && !cluster_run(self, "DELETE FROM cluster_jobs WHERE capture_id = ?1",
				    "dropping a deleted capture's jobs", &error, capture_id))
		g_warning("%s", error->message);
	cluster_notify(self, CLUSTER_CHANNEL_CAPTURE, payload);
}

static void
cluster_capture_changed_elsewhere(Cluster *self, const char *payload)
{
	g_auto(GStrv) parts = g_strsplit(payload, " ", 3);
	if (g_strv_length(parts) != 3 || g_str_equal(parts[1], self->node_name))
		return; /* ours: done already */
	self->callbacks.capture_changed(parts[2], g_str_equal(parts[0], "deleted"), self->user_data);
}

gboolean
cluster_write_status(Cluster *self, JsonWriter *writer, GError **error)
{
	g_autoptr(StoreSqlStatement) nodes = cluster_prepare(
		self,
		"SELECT n.name, n.workers, to_char(n.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" to_char(n.heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		" n.heartbeat_at > now() - interval '" G_STRINGIFY(CLUSTER_LEASE_SECONDS) " seconds',"
		" (SELECT count(*) FROM cluster_jobs j WHERE j.node = n.name AND j.state = 'running')"
		" FROM cluster_nodes n ORDER BY n.name",
		error);
	g_autoptr(StoreSqlStatement) jobs = cluster_prepare(
		self,
		"SELECT capture_id, variant, state, node, attempts, progress,"
		" to_char(queued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
		" FROM cluster_jobs WHERE state IN ('queued', 'running') ORDER BY queued_at LIMIT 1000",
		error);
	StoreSqlStep step;

	if (nodes == NULL || jobs == NULL)
		return FALSE;
	/* Members in alphabetical order (json-writer.h). */
	json_writer_key(writer, "jobs");
	json_writer_begin_array(writer);
	while ((step = store_sql_step(jobs, error)) == STORE_SQL_ROW) {
		json_writer_begin_object(writer);
		json_writer_member_int(writer, "attempts", store_sql_column_int64(jobs, 4));
		json_writer_member_string(writer, "capture", store_sql_column_text(jobs, 0));
		json_writer_key(writer, "node");
		json_writer_string(writer, store_sql_column_text(jobs, 3)); /* NULL: null, while queued */
		json_writer_member_double(writer, "progress", g_ascii_strtod(store_sql_column_text(jobs, 5), NULL));
		json_writer_member_string(writer, "queued_at", store_sql_column_text(jobs, 6));
		json_writer_member_string(writer, "state", store_sql_column_text(jobs, 2));
		json_writer_member_string(writer, "variant", store_sql_column_text(jobs, 1));
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
	if (step == STORE_SQL_ERROR)
		return FALSE;
	json_writer_member_string(writer, "node", self->node_name);
	json_writer_key(writer, "nodes");
	json_writer_begin_array(writer);
	while ((step = store_sql_step(nodes, error)) == STORE_SQL_ROW) {
		const char *alive = store_sql_column_text(nodes, 4);
		json_writer_begin_object(writer);
		json_writer_member_bool(writer, "alive", alive != NULL && (*alive == 't' || *alive == '1'));
		json_writer_member_string(writer, "last_heartbeat", store_sql_column_text(nodes, 3));
		json_writer_member_string(writer, "name", store_sql_column_text(nodes, 0));
		json_writer_member_int(writer, "running_jobs", store_sql_column_int64(nodes, 5));
		json_writer_member_string(writer, "started_at", store_sql_column_text(nodes, 2));
		json_writer_member_int(writer, "workers", store_sql_column_int64(nodes, 1));
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
	return step != STORE_SQL_ERROR;
}
