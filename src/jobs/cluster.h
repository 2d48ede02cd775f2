/* cluster.h: this node's part in a cluster of sharkapi nodes sharing one PostgreSQL database
 * and one data dir (issue 20; src/jobs/CLUSTER.md says how it works).
 * Summary variants and packet lists are rows of cluster_jobs: the node that wants one inserts
 * it (queued); any node with an idle worker claims the oldest queued row, or one whose lease ran
 * out, with FOR UPDATE SKIP LOCKED, and renews its lease while the job runs. A node that stops
 * renewing (killed, powered off, cut off) loses its jobs to the others when the lease ends; a
 * job whose node was lost twice is a 422, as a job whose worker died twice. When a job ends, its
 * node NOTIFYs; every node LISTENs and answers the requests it parked on that job.
 * Must not know HTTP or what a job computes: the summary tracker runs claimed jobs.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "json-writer.h"
#include "store/store.h"

G_BEGIN_DECLS

typedef struct Cluster Cluster;

/* One job: a summary variant or a packet list of a capture. */
typedef struct {
	const char *capture_id;
	const char *variant; /* the summary folder's name: "default", "v-...", "l-..." */
	const char *filter;
	guint passes;
	gboolean list;
	const char *columns; /* a list's custom columns, or NULL */
} ClusterJob;

typedef struct {
	/* Workers of this node that would take a job now. */
	guint (*idle_workers)(gpointer user_data);
	/* This node claimed job: start it and call cluster_job_finished() when it ends. FALSE: it
	 * cannot start now; the job goes back to the queue for any node. */
	gboolean (*claimed)(const ClusterJob *job, gpointer user_data);
	/* A job this node waits for ended on another node (error NULL: its folder is written). */
	void (*ended)(const char *capture_id, const char *variant, const GError *error, gpointer user_data);
	/* Another node deleted a capture (deleted) or changed its TLS keys: what this node derived
	 * from it goes. */
	void (*capture_changed)(const char *capture_id, gboolean deleted, gpointer user_data);
} ClusterCallbacks;

/* Joins the cluster of store's PostgreSQL database as node_name. Jobs this node held before a
 * restart go back to the queue at once. */
Cluster *cluster_new(Store *store, const char *node_name, guint workers, const ClusterCallbacks *callbacks,
		     gpointer user_data, GError **error);
void cluster_free(Cluster *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Cluster, cluster_free)

const char *cluster_get_node_name(Cluster *self);

/* Queues job unless it is queued or running already (a finished one is queued again), and
 * watches it: callbacks->ended follows when another node ends it. 503 while PostgreSQL is down. */
gboolean cluster_enqueue(Cluster *self, const ClusterJob *job, GError **error);
/* No request waits for the job any more: stop watching it, and take it off the queue if no
 * node has claimed it. */
void cluster_withdraw(Cluster *self, const char *capture_id, const char *variant);
/* Claims what this node's idle workers can take now, or from the main loop soon. */
void cluster_claim(Cluster *self);
void cluster_claim_soon(Cluster *self);
/* A job this node claimed ended (error NULL: done). Other nodes are told. */
void cluster_job_finished(Cluster *self, const char *capture_id, const char *variant, const GError *error);
/* How far a claimed job is, reported to the others with the lease. */
void cluster_job_progress(Cluster *self, const char *capture_id, const char *variant, double progress);
/* A job as the database sees it: FALSE when it has no row (or PostgreSQL is down). */
gboolean cluster_job_state(Cluster *self, const char *capture_id, const char *variant, gboolean *running,
			   double *progress);
/* This node deleted a capture (its jobs are dropped) or changed its TLS keys: the other nodes
 * are told (callbacks->capture_changed). */
void cluster_capture_changed(Cluster *self, const char *capture_id, gboolean deleted);

/* GET /api/v2/cluster's data: nodes with their workers and last heartbeat, running and queued
 * jobs. */
gboolean cluster_write_status(Cluster *self, JsonWriter *writer, GError **error);

G_END_DECLS
