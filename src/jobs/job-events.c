/* job-events.c: job log lines and job counters.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "jobs"

#include "jobs/job-events.h"

#include <json-glib/json-glib.h>

#include "event-log.h"
#include "metrics.h"
#include "sharkapi-error.h"
#include "worker-protocol.h"

void
job_events_finished(const char *request, gint64 started_us, gboolean cancelled, const GError *error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	const char *kind = "unknown";
	gint64 passes = 1;
	if (json_parser_load_from_data(parser, request, -1, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		JsonObject *object = json_node_get_object(json_parser_get_root(parser));
		kind = json_object_get_string_member_with_default(object, WORKER_REQUEST_JOB, "unknown");
		/* A merge of shards' results reads no capture. */
		passes = json_object_get_int_member_with_default(object, WORKER_REQUEST_PASSES,
							     g_str_equal(kind, WORKER_JOB_SUMMARY_MERGE) ? 0 : 1);
	}
	const char *outcome = cancelled ? "cancelled" : error != NULL ? "error" : "ok";
	g_autofree char *labels = metrics_labels("job", kind, "outcome", outcome, NULL);
	metrics_inc("sharkapi_jobs_total", labels);
	if (error == NULL && !cancelled) {
		g_autofree char *kind_label = metrics_labels("job", kind, NULL);
		metrics_add("sharkapi_passes_total", kind_label, (double)passes);
	}

	EventLogLine *line = event_log_begin("job");
	event_log_add_string(line, "job", kind);
	event_log_add_int(line, "passes", passes);
	event_log_add_string(line, "outcome", outcome);
	if (started_us > 0)
		event_log_add_double(line, "duration_ms", (double)((g_get_monotonic_time() - started_us) / 1000));
	if (error != NULL) {
		event_log_add_int(line, "status", sharkapi_error_http_status(error));
		event_log_add_string(line, "error", error->message);
	}
	event_log_end(line);
}
