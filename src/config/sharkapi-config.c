/* sharkapi-config.c: defaults, the GKeyFile and the `serve` options.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "config"

#include "config/sharkapi-config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sharkapi-error.h"

#define SHARKAPI_CONFIG_GROUP "sharkapi"

/* Descriptors kept for everything but client connections: workers' pipes, the database, captures
 * being read or written, spool and answer files. */
#define SHARKAPI_CONFIG_RESERVED_DESCRIPTORS 256

/* The default connection cap: what the descriptor limit leaves after the reserve, within
 * [16, 16384]. */
static guint
sharkapi_config_default_max_connections(void)
{
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
		return 16384;
	if (limit.rlim_cur < 16 + SHARKAPI_CONFIG_RESERVED_DESCRIPTORS)
		return 16;
	return (guint)MIN(limit.rlim_cur - SHARKAPI_CONFIG_RESERVED_DESCRIPTORS, 16384);
}

SharkapiConfig *
sharkapi_config_new_default(void)
{
	SharkapiConfig *self = g_new0(SharkapiConfig, 1);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	self->listen = g_strdup("127.0.0.1:8080");
	self->data_dir = g_strdup("sharkapi-data");
	self->workers = cores > 0 ? (guint)cores : 1;
	self->max_upload_size = G_GUINT64_CONSTANT(2) * 1024 * 1024 * 1024;
	self->wait_limit = 120;
	self->job_timeout = 600;
	self->idle_timeout = 60;
	self->header_timeout = 10;
	self->max_connections = sharkapi_config_default_max_connections();
	self->queue_limit = 256;
	self->log_format = g_strdup("text");
	self->result_cache_size = G_GUINT64_CONSTANT(1) * 1024 * 1024 * 1024;
	self->filtered_summary_size = G_GUINT64_CONSTANT(1) * 1024 * 1024 * 1024;
	self->worker_recycle_rss = G_GUINT64_CONSTANT(512) * 1024 * 1024;
	self->summary_shard_min_frames = 0; /* off: see the option's help */
	return self;
}

void
sharkapi_config_free(SharkapiConfig *self)
{
	if (self == NULL)
		return;
	g_free(self->listen);
	g_free(self->data_dir);
	g_free(self->database);
	g_free(self->node_name);
	g_free(self->worker_path);
	g_free(self->tls_cert);
	g_free(self->tls_key);
	g_free(self->metrics_token);
	g_free(self->log_format);
	g_free(self);
}

/* A whole number in [0, max]: a sign, junk, or a value past max (no saturation) is an error that
 * names the key, so a typo never turns a limit off (-1 once read as 2^64-1). */
static gboolean
sharkapi_config_parse_number(const char *key, const char *text, guint64 max, const char *what, guint64 *out,
			     GError **error)
{
	if (!g_ascii_string_to_unsigned(text, 10, 0, max, out, NULL)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "%s: '%s' is not %s (a whole number from 0 to %" G_GUINT64_FORMAT ")", key, text, what, max);
		return FALSE;
	}
	return TRUE;
}

static gboolean
sharkapi_config_parse_size(const char *key, const char *text, guint64 *out, GError **error)
{
	return sharkapi_config_parse_number(key, text, G_MAXINT64, "a number of bytes", out, error);
}

static gboolean
sharkapi_config_parse_uint(const char *key, const char *text, guint *out, GError **error)
{
	guint64 value = 0;
	if (!sharkapi_config_parse_number(key, text, G_MAXINT, "a whole number", &value, error))
		return FALSE;
	*out = (guint)value;
	return TRUE;
}

/* A node's name goes into metrics labels, the cluster's tables and its temp folder's name. */
static gboolean
sharkapi_config_check_node_name(const char *value, GError **error)
{
	gsize length = strlen(value);
	if (length == 0 || length > 64 || value[0] == '.') {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "node-name: 1 to 64 characters, not starting with '.'");
		return FALSE;
	}
	for (gsize i = 0; i < length; i++) {
		if (!g_ascii_isalnum(value[i]) && value[i] != '-' && value[i] != '_' && value[i] != '.') {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "node-name: letters, digits, '-', '_' and '.' only");
			return FALSE;
		}
	}
	return TRUE;
}

/* Applies one key=value, from the file or the command line. */
static gboolean
sharkapi_config_set(SharkapiConfig *self, const char *key, const char *value, GError **error)
{
	if (g_str_equal(key, "listen")) {
		g_free(self->listen);
		self->listen = g_strdup(value);
	} else if (g_str_equal(key, "data-dir")) {
		g_free(self->data_dir);
		self->data_dir = g_strdup(value);
	} else if (g_str_equal(key, "database")) {
		g_free(self->database);
		self->database = *value != '\0' ? g_strdup(value) : NULL;
	} else if (g_str_equal(key, "node-name")) {
		if (!sharkapi_config_check_node_name(value, error))
			return FALSE;
		g_free(self->node_name);
		self->node_name = g_strdup(value);
	} else if (g_str_equal(key, "worker-path")) {
		g_free(self->worker_path);
		self->worker_path = g_strdup(value);
	} else if (g_str_equal(key, "tls-cert")) {
		g_free(self->tls_cert);
		self->tls_cert = g_strdup(value);
	} else if (g_str_equal(key, "tls-key")) {
		g_free(self->tls_key);
		self->tls_key = g_strdup(value);
	} else if (g_str_equal(key, "max-frames")) {
		return sharkapi_config_parse_size(key, value, &self->max_frames, error);
	} else if (g_str_equal(key, "metrics-token")) {
		g_free(self->metrics_token);
		self->metrics_token = *value != '\0' ? g_strdup(value) : NULL;
	} else if (g_str_equal(key, "log-format")) {
		if (!g_str_equal(value, "text") && !g_str_equal(value, "json")) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "log-format: 'text' or 'json', not '%s'", value);
			return FALSE;
		}
		g_free(self->log_format);
		self->log_format = g_strdup(value);
	} else if (g_str_equal(key, "summary-shard-min-frames")) {
		return sharkapi_config_parse_size(key, value, &self->summary_shard_min_frames, error);
	} else if (g_str_equal(key, "max-upload-size")) {
		return sharkapi_config_parse_size(key, value, &self->max_upload_size, error);
	} else if (g_str_equal(key, "worker-memory-limit")) {
		return sharkapi_config_parse_size(key, value, &self->worker_memory_limit, error);
	} else if (g_str_equal(key, "worker-recycle-rss")) {
		return sharkapi_config_parse_size(key, value, &self->worker_recycle_rss, error);
	} else if (g_str_equal(key, "result-cache-size")) {
		return sharkapi_config_parse_size(key, value, &self->result_cache_size, error);
	} else if (g_str_equal(key, "filtered-summary-size")) {
		return sharkapi_config_parse_size(key, value, &self->filtered_summary_size, error);
	} else if (g_str_equal(key, "workers")) {
		if (!sharkapi_config_parse_uint(key, value, &self->workers, error))
			return FALSE;
		if (self->workers == 0 || self->workers > 64) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "workers: 1 to 64");
			return FALSE;
		}
	} else if (g_str_equal(key, "wait-limit")) {
		return sharkapi_config_parse_uint(key, value, &self->wait_limit, error);
	} else if (g_str_equal(key, "job-timeout")) {
		return sharkapi_config_parse_uint(key, value, &self->job_timeout, error);
	} else if (g_str_equal(key, "idle-timeout")) {
		return sharkapi_config_parse_uint(key, value, &self->idle_timeout, error);
	} else if (g_str_equal(key, "header-timeout")) {
		return sharkapi_config_parse_uint(key, value, &self->header_timeout, error);
	} else if (g_str_equal(key, "max-connections")) {
		if (!sharkapi_config_parse_uint(key, value, &self->max_connections, error))
			return FALSE;
		if (self->max_connections == 0) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "max-connections: at least 1");
			return FALSE;
		}
	} else if (g_str_equal(key, "queue-limit")) {
		return sharkapi_config_parse_uint(key, value, &self->queue_limit, error);
	} else {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "unknown setting '%s'", key);
		return FALSE;
	}
	return TRUE;
}

gboolean
sharkapi_config_load_file(SharkapiConfig *self, const char *path, GError **error)
{
	g_autoptr(GKeyFile) file = g_key_file_new();
	if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, error)) {
		g_prefix_error(error, "%s: ", path);
		return FALSE;
	}
	g_auto(GStrv) keys = g_key_file_get_keys(file, SHARKAPI_CONFIG_GROUP, NULL, NULL);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		g_autofree char *value = g_key_file_get_string(file, SHARKAPI_CONFIG_GROUP, keys[i], error);
		if (value == NULL || !sharkapi_config_set(self, keys[i], value, error)) {
			g_prefix_error(error, "%s: ", path);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
sharkapi_config_parse_serve_args(SharkapiConfig *self, int *argc, char ***argv, GError **error)
{
	g_autofree char *config_file = NULL, *listen = NULL, *data_dir = NULL, *workers = NULL;
	g_autofree char *max_upload = NULL, *wait_limit = NULL, *job_timeout = NULL, *worker_path = NULL;
	g_autofree char *idle_timeout = NULL, *queue_limit = NULL, *worker_memory = NULL;
	g_autofree char *header_timeout = NULL, *max_connections = NULL;
	g_autofree char *max_frames = NULL, *tls_cert = NULL, *tls_key = NULL;
	g_autofree char *metrics_token = NULL, *log_format = NULL;
	g_autofree char *result_cache = NULL, *worker_recycle = NULL, *shard_min_frames = NULL;
	g_autofree char *filtered_summary = NULL, *database = NULL, *node_name = NULL;
	GOptionEntry entries[] = {
		{"config", 0, 0, G_OPTION_ARG_FILENAME, &config_file, "Read settings from FILE ([sharkapi] group)", "FILE"},
		{"listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address and port (default 127.0.0.1:8080)", "ADDR:PORT"},
		{"data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory, created if missing (default ./sharkapi-data)", "DIR"},
		{"database", 0, 0, G_OPTION_ARG_STRING, &database, "Keep the metadata in PostgreSQL (postgresql://... or a libpq key=value string) instead of SQLite in the data dir", "URL"},
		{"node-name", 0, 0, G_OPTION_ARG_STRING, &node_name, "This node's name among several sharing --database (default: the host name)", "NAME"},
		{"workers", 0, 0, G_OPTION_ARG_STRING, &workers, "Dissection worker processes (default: cores)", "N"},
		{"max-upload-size", 0, 0, G_OPTION_ARG_STRING, &max_upload, "Largest upload body (default 2147483648)", "BYTES"},
		{"wait-limit", 0, 0, G_OPTION_ARG_STRING, &wait_limit, "Seconds a request waits for an analysis (default 120)", "SECONDS"},
		{"job-timeout", 0, 0, G_OPTION_ARG_STRING, &job_timeout, "Seconds one worker job may run (default 600)", "SECONDS"},
		{"idle-timeout", 0, 0, G_OPTION_ARG_STRING, &idle_timeout, "Seconds a connection may stay silent (default 60)", "SECONDS"},
		{"header-timeout", 0, 0, G_OPTION_ARG_STRING, &header_timeout, "Seconds a request's line and headers may take, from the connection's start or a later request's first byte; 0 = none (default 10)", "SECONDS"},
		{"max-connections", 0, 0, G_OPTION_ARG_STRING, &max_connections, "Open client connections at most; more wait until one closes (default: the descriptor limit less 256, at most 16384)", "N"},
		{"queue-limit", 0, 0, G_OPTION_ARG_STRING, &queue_limit, "Queued jobs before answering 503 (default 256)", "N"},
		{"worker-memory-limit", 0, 0, G_OPTION_ARG_STRING, &worker_memory, "Address space limit per worker, 0 = none", "BYTES"},
		{"worker-path", 0, 0, G_OPTION_ARG_FILENAME, &worker_path, "The sharkapi-worker binary", "PATH"},
		{"max-frames", 0, 0, G_OPTION_ARG_STRING, &max_frames, "Frames per uploaded capture, 0 = no limit (default 0)", "N"},
		{"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "PEM certificate: serve HTTPS (needs --tls-key)", "FILE"},
		{"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "PEM private key of --tls-cert", "FILE"},
		{"metrics-token", 0, 0, G_OPTION_ARG_STRING, &metrics_token, "Secret that GET /metrics requires (default: none)", "SECRET"},
		{"log-format", 0, 0, G_OPTION_ARG_STRING, &log_format, "Log lines as key=value text or JSON (default text)", "text|json"},
		{"worker-recycle-rss", 0, 0, G_OPTION_ARG_STRING, &worker_recycle, "Replace a worker above this resident size after a job, 0 = never (default 536870912)", "BYTES"},
		{"result-cache-size", 0, 0, G_OPTION_ARG_STRING, &result_cache, "Disk for repeat-query answers, 0 = off (default 1073741824)", "BYTES"},
		{"filtered-summary-size", 0, 0, G_OPTION_ARG_STRING, &filtered_summary, "Disk for summaries of filter= and passes=2 queries; least recently used ones are removed past it, the newest always kept (default 1073741824)", "BYTES"},
		{"summary-shard-min-frames", 0, 0, G_OPTION_ARG_STRING, &shard_min_frames, "Split the summary pass of captures with at least N frames across two workers; 0 = never (default)", "N"},
		{NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- run the sharkapi server");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, argc, argv, error))
		return FALSE;
	if (config_file != NULL && !sharkapi_config_load_file(self, config_file, error))
		return FALSE;

	struct { const char *key; const char *value; } given[] = {
		{"listen", listen}, {"data-dir", data_dir}, {"workers", workers},
		{"max-upload-size", max_upload}, {"wait-limit", wait_limit}, {"job-timeout", job_timeout},
		{"idle-timeout", idle_timeout}, {"queue-limit", queue_limit},
		{"header-timeout", header_timeout}, {"max-connections", max_connections},
		{"worker-memory-limit", worker_memory}, {"worker-path", worker_path},
		{"max-frames", max_frames}, {"tls-cert", tls_cert}, {"tls-key", tls_key},
		{"metrics-token", metrics_token}, {"log-format", log_format},
		{"result-cache-size", result_cache}, {"worker-recycle-rss", worker_recycle},
		{"filtered-summary-size", filtered_summary},
		{"summary-shard-min-frames", shard_min_frames}, {"database", database},
		{"node-name", node_name},
	};
	for (guint i = 0; i < G_N_ELEMENTS(given); i++) {
		if (given[i].value != NULL && !sharkapi_config_set(self, given[i].key, given[i].value, error))
			return FALSE;
	}
	if ((self->tls_cert == NULL) != (self->tls_key == NULL)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "tls-cert and tls-key go together");
		return FALSE;
	}
	return TRUE;
}

gboolean
sharkapi_config_split_listen(const char *listen, char **address, guint16 *port, GError **error)
{
	const char *colon = strrchr(listen, ':');
	guint64 port_value = 0;
	if (colon == NULL || !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port_value, NULL)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "listen: '%s' is not ADDR:PORT", listen);
		return FALSE;
	}
	g_autofree char *host = g_strndup(listen, colon - listen);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		char *inner = g_strndup(host + 1, strlen(host) - 2);
		g_free(host);
		host = inner;
	}
	*address = g_steal_pointer(&host);
	*port = (guint16)port_value;
	return TRUE;
}
