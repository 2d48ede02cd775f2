/* cli-serve.c: `sharkapi serve`: opens the store, starts the workers and the HTTP server,
 * runs until SIGINT or SIGTERM, then stops in order (HTTP first, then workers, then store).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "serve"

#include <glib-unix.h>
#include <stdio.h>

#include "wiretap/capinfo.h"
#include "event-log.h"
#include "metrics.h"
#include "cli/cli.h"
#include "config/sharkapi-config.h"
#include "http/http-server.h"

static gboolean
cli_serve_signal_cb(gpointer user_data)
{
	GMainLoop *loop = user_data;
	g_message("stopping");
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int
cli_serve(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(SharkapiConfig) config = sharkapi_config_new_default();

	if (!sharkapi_config_parse_serve_args(config, &argc, &argv, &error)) {
		fprintf(stderr, "sharkapi serve: %s\n", error->message);
		return 2;
	}
	EventLogFormat log_format = EVENT_LOG_TEXT;
	if (!event_log_parse_format(config->log_format, &log_format, &error)) {
		fprintf(stderr, "sharkapi serve: %s\n", error->message);
		return 2;
	}
	event_log_install(log_format);
	if (config->worker_path == NULL)
		config->worker_path = cli_default_worker_path();
	if (!capinfo_init(&error)) {
		fprintf(stderr, "sharkapi serve: %s\n", error->message);
		return 1;
	}
	g_autoptr(Store) store = store_open_with_database(config->data_dir, config->database, &error);
	if (store == NULL) {
		fprintf(stderr, "sharkapi serve: %s\n", error->message);
		return 1;
	}
	/* The name in /metrics and, with several nodes, in the cluster's tables and tmp/<node>/. */
	if (config->node_name == NULL)
		config->node_name = g_strdup(g_get_host_name());
	const char *node_name = config->node_name;
	gboolean several_nodes = store->database != NULL;
	if (several_nodes && !store_share_with_nodes(store, node_name, &error)) {
		fprintf(stderr, "sharkapi serve: %s\n", error->message);
		return 1;
	}
	guint removed = store_recover(store);
	if (removed > 0)
		g_message("recovery removed %u incomplete entries", removed);

	g_autofree char *tables_path = g_build_filename(store->data_dir, "tables.json", NULL);
	JobQueueOptions job_options = {
		.worker_path = config->worker_path,
		.worker_home = store->worker_home,
		.workers = config->workers,
		.job_timeout = config->job_timeout,
		.queue_limit = config->queue_limit,
		.worker_memory_limit = config->worker_memory_limit,
		.worker_recycle_rss = config->worker_recycle_rss,
		.tables_path = tables_path,
	};
	g_autoptr(JobQueue) jobs = job_queue_new(&job_options, &error);
	if (jobs == NULL) {
		fprintf(stderr, "sharkapi serve: %s\n", error->message);
		return 1;
	}
	g_autoptr(StoreSummaryBudget) summary_budget = store_summary_budget_new(store, config->filtered_summary_size);
	g_autoptr(SummaryTracker) summaries = summary_tracker_new(store, jobs, config->wait_limit);
	summary_tracker_set_budget(summaries, summary_budget);
	/* Two shards: more would only pay with more cores than the pass has frames to share. */
	summary_tracker_set_sharding(summaries, MIN(config->workers, 2), config->summary_shard_min_frames);
	if (several_nodes && !summary_tracker_join_cluster(summaries, node_name, config->workers, &error)) {
		fprintf(stderr, "sharkapi serve: joining the cluster: %s\n", error->message);
		return 1;
	}
	g_autofree char *node_labels = metrics_labels("node", node_name, NULL);
	metrics_set("sharkapi_node_info", node_labels, 1);
	g_autoptr(HttpServer) server = http_server_new(config, store, jobs, summaries);
	g_autofree char *url = http_server_listen(server, config->listen, &error);
	if (url == NULL) {
		fprintf(stderr, "sharkapi serve: listening on %s: %s\n", config->listen, error->message);
		return 1;
	}
	summary_tracker_resume_all(summaries);
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, cli_serve_signal_cb, loop);
	g_unix_signal_add(SIGTERM, cli_serve_signal_cb, loop);
	/* Tests and scripts read "listening on <url>" in this line to learn the port. */
	g_autofree char *message = g_strdup_printf("sharkapi: listening on %s (data dir %s, %u workers)", url,
						   store->data_dir, config->workers);
	EventLogLine *line = event_log_begin("listening");
	event_log_add_string(line, "message", message);
	event_log_add_string(line, "url", url);
	event_log_add_int(line, "workers", config->workers);
	event_log_add_string(line, "node", node_name);
	event_log_end(line);
	g_main_loop_run(loop);
	return 0;
}
