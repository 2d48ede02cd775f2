/* job-requests.h: the request line of every worker job (worker-protocol.h), built in one place
 * from the protocol's names, for job_queue_submit(). Each returns a newly allocated line. A job
 * that dissects a capture carries the capture's TLS key log when it has one.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* shards 0: the whole capture; else shard K of N (the default variant only). filter may be NULL. */
char *job_request_summary(const char *capture_path, const char *output_dir, const char *filter, guint passes,
			  guint shard, guint shards);
/* parts: the shards' output folders, in shard order. */
char *job_request_summary_merge(const char *output_dir, GPtrArray *parts);
/* fields: the field names (char *); filter may be NULL; limit -1: all rows. */
char *job_request_fields(const char *capture_path, GPtrArray *fields, const char *filter, guint passes,
			 gint64 limit, gint64 offset, gboolean ndjson);
/* columns: custom columns, comma separated (NULL: the seven); limit -1: the whole list, else a
 * first page while the whole list is still being made. */
char *job_request_frame_list(const char *capture_path, const char *output_dir, const char *filter, guint passes,
			     const char *columns, gint64 limit);
char *job_request_frame_tree(const char *capture_path, guint32 frame, guint passes, gboolean hidden);
/* substream -1: none (only http2 and quic have them). */
char *job_request_follow(const char *capture_path, const char *protocol, gint64 stream, gint64 substream);
char *job_request_check_filter(const char *filter);
char *job_request_match(const char *capture_path, const char *filter);
/* output: the file the worker writes the answer into (worker-protocol.h). */
char *job_request_io(const char *capture_path, const char *output, const char *const *columns, guint n_columns,
		     const char *interval, guint passes);
char *job_request_objects(const char *capture_path, const char *output, const char *protocol, guint passes);

G_END_DECLS
