/* sharkapi-config.h: the server's settings, from defaults, a GKeyFile and the command line.
 * The command line wins over the file, the file over the defaults. Keys are the long option
 * names, in the group [sharkapi]. Must not start anything: it only describes.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	char *listen;              /* ADDR:PORT, default 127.0.0.1:8080 */
	char *data_dir;            /* default ./sharkapi-data */
	char *node_name;           /* names this node among several (--database); serve sets the host name when none is given */
	char *database;            /* NULL: SQLite in the data dir; else a PostgreSQL URL for the metadata */
	guint workers;             /* default: number of cores */
	guint64 max_upload_size;   /* request body bytes, default 2 GiB */
	guint wait_limit;          /* seconds a request waits for an analysis, default 120 */
	guint job_timeout;         /* seconds one worker job may run, default 600 */
	guint idle_timeout;        /* seconds a connection may stay silent, default 60 */
	guint header_timeout;      /* seconds from a request's first byte to its last header, default 10 */
	guint max_connections;     /* open connections at most, default from the descriptor limit */
	guint queue_limit;         /* queued jobs before 503, default 256 */
	guint64 worker_memory_limit; /* bytes of address space per worker, 0 = none */
	guint64 max_frames;        /* frames per uploaded capture, 0 = no limit; more is 413 */
	char *tls_cert;            /* PEM certificate (chain) file; with tls_key the listener speaks HTTPS */
	char *tls_key;             /* PEM private key file */
	guint64 worker_recycle_rss; /* replace an idle, cold worker above this RSS, default 512 MiB, 0 = never */
	guint64 result_cache_size; /* bytes of cached repeat-query answers, default 1 GiB, 0 = off */
	guint64 filtered_summary_size; /* bytes of filtered/two-pass summaries kept, default 1 GiB */
	char *worker_path;         /* default: sharkapi-worker beside the server binary */
	char *metrics_token;       /* when set, GET /metrics needs it in Authorization; default none */
	char *log_format;          /* "text" (key=value) or "json", default text */
	/* A capture with at least this many frames gets its summary pass split across two workers
	 * (when there are two, both free); default 0 = never. */
	guint64 summary_shard_min_frames;
} SharkapiConfig;

SharkapiConfig *sharkapi_config_new_default(void);
void sharkapi_config_free(SharkapiConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SharkapiConfig, sharkapi_config_free)

/* Applies the [sharkapi] group of a configuration file to self (for commands other than serve
 * that need its data-dir and database). */
gboolean sharkapi_config_load_file(SharkapiConfig *self, const char *path, GError **error);

/* Parses `serve` arguments (and the --config file they name) into self. */
gboolean sharkapi_config_parse_serve_args(SharkapiConfig *self, int *argc, char ***argv, GError **error);

/* Splits "ADDR:PORT" (or "[v6]:PORT"). */
gboolean sharkapi_config_split_listen(const char *listen, char **address, guint16 *port, GError **error);

G_END_DECLS
