/* metrics.c: the Prometheus registry: families of series, kept in memory, printed on demand.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "metrics"

#include "metrics.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json-writer.h"

typedef enum {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
} MetricsType;

/* Upper bounds in seconds: from a cached answer (ms) to a long analysis wait (120 s). */
static const double metrics_buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
#define METRICS_N_BUCKETS G_N_ELEMENTS(metrics_buckets)

/* The series sharkapi itself keeps, so that they are documented and visible from the start. */
static const struct {
	const char *name;
	MetricsType type;
	gboolean unlabelled; /* one series without labels, printed at 0 before first use */
	const char *help;
} metrics_known[] = {
	{"sharkapi_cache_hits_total", METRICS_COUNTER, FALSE, "Answers served from persisted or cached results, by cache"},
	{"sharkapi_cache_misses_total", METRICS_COUNTER, FALSE, "Answers that had to wait for a computation, by cache"},
	{"sharkapi_cluster_claim_seconds", METRICS_HISTOGRAM, FALSE, "Time to claim a job from the cluster's queue (several nodes)"},
	{"sharkapi_cluster_claims_total", METRICS_COUNTER, FALSE, "Jobs this node claimed from the cluster's queue (several nodes)"},
	{"sharkapi_filtered_summary_bytes", METRICS_GAUGE, TRUE, "Disk taken by filtered and two-pass summaries (filtered-summary-size)"},
	{"sharkapi_http_request_duration_seconds", METRICS_HISTOGRAM, FALSE, "Time from request start to the last byte, by route"},
	{"sharkapi_http_requests_total", METRICS_COUNTER, FALSE, "Finished HTTP requests, by method, route and status"},
	{"sharkapi_job_queue_length", METRICS_GAUGE, TRUE, "Dissection jobs waiting for a worker"},
	{"sharkapi_jobs_total", METRICS_COUNTER, FALSE, "Finished dissection jobs, by job kind and outcome"},
	{"sharkapi_node_info", METRICS_GAUGE, FALSE, "This node, by name (--node-name): always 1"},
	{"sharkapi_passes_total", METRICS_COUNTER, FALSE, "Dissection passes over captures run by workers, by job kind"},
	{"sharkapi_summaries_deferred", METRICS_GAUGE, TRUE, "Default summaries waiting for room in the full job queue"},
	{"sharkapi_summary_shard_runs_total", METRICS_COUNTER, FALSE, "Summary passes split into shards, by outcome (merged, or fallback to one pass)"},
	{"sharkapi_worker_restarts_total", METRICS_COUNTER, TRUE, "Dissection worker processes replaced after they died"},
};

typedef struct {
	double value;                       /* counter or gauge; histogram: sum */
	guint64 count;                      /* histogram: observations */
	guint64 buckets[METRICS_N_BUCKETS]; /* histogram: observations <= each bound (not cumulative) */
} MetricsSeries;

typedef struct {
	MetricsType type;
	const char *help;
	GHashTable *series; /* label text -> MetricsSeries */
} MetricsFamily;

static GMutex metrics_lock;
static GHashTable *metrics_families; /* name -> MetricsFamily */

static MetricsFamily *
metrics_family_new(MetricsType type, const char *help)
{
	MetricsFamily *family = g_new0(MetricsFamily, 1);
	family->type = type;
	family->help = help;
	family->series = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return family;
}

/* Called with the lock held. */
static void
metrics_ensure_registry(void)
{
	if (metrics_families != NULL)
		return;
	metrics_families = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < G_N_ELEMENTS(metrics_known); i++) {
		MetricsFamily *family = metrics_family_new(metrics_known[i].type, metrics_known[i].help);
		if (metrics_known[i].unlabelled)
			g_hash_table_insert(family->series, g_strdup(""), g_new0(MetricsSeries, 1));
		g_hash_table_insert(metrics_families, g_strdup(metrics_known[i].name), family);
	}
}

static int
metrics_compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Called with the lock held; the type of a family is fixed by its first use. */
static MetricsSeries *
metrics_series(const char *name, const char *labels, MetricsType type)
{
	metrics_ensure_registry();
	MetricsFamily *family = g_hash_table_lookup(metrics_families, name);
	if (family == NULL) {
		family = metrics_family_new(type, NULL);
		g_hash_table_insert(metrics_families, g_strdup(name), family);
	}
	if (family->type != type) {
		g_warning("metric %s used with two types, ignoring", name);
		return NULL;
	}
	const char *key = labels != NULL ? labels : "";
	MetricsSeries *series = g_hash_table_lookup(family->series, key);
	if (series == NULL) {
		series = g_new0(MetricsSeries, 1);
		g_hash_table_insert(family->series, g_strdup(key), series);
	}
	return series;
}

void
metrics_add(const char *name, const char *labels, double amount)
{
	g_mutex_lock(&metrics_lock);
	MetricsSeries *series = metrics_series(name, labels, METRICS_COUNTER);
	if (series != NULL && amount > 0)
		series->value += amount;
	g_mutex_unlock(&metrics_lock);
}

void
metrics_inc(const char *name, const char *labels)
{
	metrics_add(name, labels, 1);
}

void
metrics_set(const char *name, const char *labels, double value)
{
	g_mutex_lock(&metrics_lock);
	MetricsSeries *series = metrics_series(name, labels, METRICS_GAUGE);
	if (series != NULL)
		series->value = value;
	g_mutex_unlock(&metrics_lock);
}

void
metrics_observe(const char *name, const char *labels, double value)
{
	g_mutex_lock(&metrics_lock);
	MetricsSeries *series = metrics_series(name, labels, METRICS_HISTOGRAM);
	if (series != NULL) {
		series->value += value;
		series->count++;
		for (guint i = 0; i < METRICS_N_BUCKETS; i++) {
			if (value <= metrics_buckets[i]) {
				series->buckets[i]++;
				break;
			}
		}
	}
	g_mutex_unlock(&metrics_lock);
}

char *
metrics_labels(const char *first_key, ...)
{
	g_autoptr(GString) text = g_string_new(NULL);
	va_list args;
	va_start(args, first_key);
	for (const char *key = first_key; key != NULL; key = va_arg(args, const char *)) {
		const char *value = va_arg(args, const char *);
		if (text->len > 0)
			g_string_append_c(text, ',');
		g_string_append_printf(text, "%s=\"", key);
		/* Prometheus escapes exactly these three in label values. */
		for (const char *p = value != NULL ? value : ""; *p != '\0'; p++) {
			if (*p == '\\' || *p == '"')
				g_string_append_c(text, '\\');
			if (*p == '\n')
				g_string_append(text, "\\n");
			else
				g_string_append_c(text, *p);
		}
		g_string_append_c(text, '"');
	}
	va_end(args);
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
metrics_append_sample(GString *out, const char *name, const char *suffix, const char *labels, const char *extra,
		      double value)
{
	char number[JSON_DOUBLE_BUFSIZE];
	gboolean has_labels = *labels != '\0' || extra != NULL;
	g_string_append_printf(out, "%s%s", name, suffix);
	if (has_labels)
		g_string_append_printf(out, "{%s%s%s}", labels, *labels != '\0' && extra != NULL ? "," : "",
				       extra != NULL ? extra : "");
	g_string_append_printf(out, " %s\n", json_format_double(value, number));
}

static void
metrics_append_family(GString *out, const char *name, MetricsFamily *family)
{
	static const char *type_names[] = {"counter", "gauge", "histogram"};
	g_autofree const char **labels = (const char **)g_hash_table_get_keys_as_array(family->series, NULL);
	guint n = g_hash_table_size(family->series);
	if (family->help != NULL)
		g_string_append_printf(out, "# HELP %s %s\n", name, family->help);
	g_string_append_printf(out, "# TYPE %s %s\n", name, type_names[family->type]);
	qsort(labels, n, sizeof *labels, metrics_compare_names);
	for (guint i = 0; i < n; i++) {
		MetricsSeries *series = g_hash_table_lookup(family->series, labels[i]);
		if (family->type != METRICS_HISTOGRAM) {
			metrics_append_sample(out, name, "", labels[i], NULL, series->value);
			continue;
		}
		guint64 cumulative = 0;
		char bound[JSON_DOUBLE_BUFSIZE + 8];
		for (guint b = 0; b < METRICS_N_BUCKETS; b++) {
			cumulative += series->buckets[b];
			g_snprintf(bound, sizeof bound, "le=\"%g\"", metrics_buckets[b]);
			metrics_append_sample(out, name, "_bucket", labels[i], bound, (double)cumulative);
		}
		metrics_append_sample(out, name, "_bucket", labels[i], "le=\"+Inf\"", (double)series->count);
		metrics_append_sample(out, name, "_sum", labels[i], NULL, series->value);
		metrics_append_sample(out, name, "_count", labels[i], NULL, (double)series->count);
	}
}

char *
metrics_render(void)
{
	GString *out = g_string_new(NULL);
	g_mutex_lock(&metrics_lock);
	metrics_ensure_registry();
	g_autofree const char **names = (const char **)g_hash_table_get_keys_as_array(metrics_families, NULL);
	guint n = g_hash_table_size(metrics_families);
	qsort(names, n, sizeof *names, metrics_compare_names);
	for (guint i = 0; i < n; i++)
		metrics_append_family(out, names[i], g_hash_table_lookup(metrics_families, names[i]));
	g_mutex_unlock(&metrics_lock);
	return g_string_free(out, FALSE);
}
