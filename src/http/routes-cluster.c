/* routes-cluster.c: GET /api/v2/cluster (routes-cluster.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "cluster"

#include "http/routes-cluster.h"

#include "config/sharkapi-config.h"
#include "http/http-reply.h"
#include "jobs/cluster.h"
#include "jobs/summary-tracker.h"
#include "json-writer.h"

/* A node alone: itself, its workers, no shared queue. */
static void
routes_cluster_write_alone(HttpServer *server, JsonWriter *writer)
{
	const char *name = server->config->node_name; /* resolved at start (cli-serve.c) */
	/* Members in alphabetical order (json-writer.h). */
	json_writer_key(writer, "jobs");
	json_writer_begin_array(writer);
	json_writer_end_array(writer);
	json_writer_member_string(writer, "node", name);
	json_writer_key(writer, "nodes");
	json_writer_begin_array(writer);
	json_writer_begin_object(writer);
	json_writer_member_bool(writer, "alive", TRUE);
	json_writer_member_string(writer, "name", name);
	json_writer_member_int(writer, "workers", server->config->workers);
	json_writer_end_object(writer);
	json_writer_end_array(writer);
}

void
routes_cluster(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonWriter) writer = json_writer_new();
	Cluster *cluster = summary_tracker_get_cluster(request->server->summaries);

	json_writer_begin_object(writer);
	json_writer_key(writer, "data");
	json_writer_begin_object(writer);
	if (cluster == NULL)
		routes_cluster_write_alone(request->server, writer);
	else if (!cluster_write_status(cluster, writer, &error)) {
		http_reply_error(request->msg, error);
		return;
	}
	json_writer_member_bool(writer, "shared", cluster != NULL);
	json_writer_end_object(writer);
	json_writer_end_object(writer);
	g_autoptr(GBytes) body = json_writer_take(writer);
	http_reply_json_bytes(request->msg, 200, body);
}
