/* engine-dns-merge.c: the DNS lookups of a sharded summary pass, merged from the shards'
 * partial results (engine_dns_write_partial) into exactly what one pass writes. Needs nothing
 * of EngineDns: each partial line already holds a lookup's JSON and its first frame. HTTP
 * requests and TLS handshakes write their partial results as the same lines.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine-dns"

#include "engine/engine-dns-merge.h"
#include "engine/engine-shard.h"

#include "sharkapi-error.h"

#include <string.h>

typedef struct {
	EngineShardOrder order; /* first: sorted with engine_shard_order_compare */
	const char *text;       /* the record's JSON, in its part's contents */
	gsize length;
} EngineDnsMergeRecord;

gboolean
engine_dns_merge_write(char *const *parts, guint n_parts, JsonWriter *writer, GError **error)
{
	return engine_merge_lines_write(parts, n_parts, "lookups", writer, error);
}

gboolean
engine_merge_lines_write(char *const *parts, guint n_parts, const char *key, JsonWriter *writer, GError **error)
{
	g_autoptr(GArray) records = g_array_new(FALSE, FALSE, sizeof(EngineDnsMergeRecord));

	for (guint shard = 0; shard < n_parts; shard++) {
		char *line = parts[shard];
		for (guint index = 0; *line != '\0'; index++) {
			char *end = strchr(line, '\n');
			char *text = NULL;
			EngineDnsMergeRecord record = {.order = {.shard = shard, .index = index}};
			if (end == NULL) {
				g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "a shard's %s are cut short", key);
				return FALSE;
			}
			record.order.first_frame = g_ascii_strtoull(line, &text, 10);
			if (text == line || *text != ' ') {
				g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "a shard's %s are not partial results", key);
				return FALSE;
			}
			record.text = text + 1;
			record.length = (gsize)(end - record.text);
			g_array_append_val(records, record);
			line = end + 1;
		}
	}
	/* One pass writes a record where its first message is: in frame order. */
	g_array_sort(records, engine_shard_order_compare);
	json_writer_begin_object(writer);
	json_writer_key(writer, key);
	json_writer_begin_array(writer);
	for (guint i = 0; i < records->len; i++) {
		const EngineDnsMergeRecord *record = &g_array_index(records, EngineDnsMergeRecord, i);
		json_writer_raw(writer, record->text, record->length);
	}
	json_writer_end_array(writer);
	json_writer_end_object(writer);
	return TRUE;
}

void
engine_merge_line_append(GString *out, guint32 frame, JsonWriter *record)
{
	g_string_append_printf(out, "%u ", frame);
	g_string_append_len(out, json_writer_get_data(record), (gssize)json_writer_get_length(record));
	g_string_append_c(out, '\n');
}
