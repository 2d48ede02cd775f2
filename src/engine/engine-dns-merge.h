/* engine-dns-merge.h: merging the shards' partial DNS lookups (engine_dns_write_partial).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "json-writer.h"

G_BEGIN_DECLS

/* Writes what one pass writes from every shard's partial result (file contents, in shard
 * order); the lookups' JSON is copied, not parsed. A malformed part is a 500. */
gboolean engine_dns_merge_write(char *const *parts, guint n_parts, JsonWriter *writer, GError **error);

/* One line of such a partial result: "<first frame> <record's JSON>\n". */
void engine_merge_line_append(GString *out, guint32 frame, JsonWriter *record);

/* The same for any partial result of "<first frame> <JSON>" lines (engine_http_write_partial,
 * engine_tls_write_partial): writes {"<key>": [records in frame order]}. */
gboolean engine_merge_lines_write(char *const *parts, guint n_parts, const char *key, JsonWriter *writer,
				  GError **error);

G_END_DECLS
