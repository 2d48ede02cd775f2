/* engine-tables.h: every conversation and endpoint table libwireshark registers, and the taps
 * that fill them during a pass (what tshark's -z conv,P / endpoints,P and sharkd's conv:/endpt:
 * taps compute, for all tables at once).
 * Must not dissect or write files: it registers listeners and writes JSON on demand.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>
#include <wsutil/nstime.h>

#include "json-writer.h"

G_BEGIN_DECLS

typedef struct {
	struct register_ct *table;
	char *filter_name; /* the protocol's filter name, lowercase: "eth", "ip", "tcp" */
	char *name;        /* the table's name as sharkd prints it: "Ethernet", "IPv4", "TCP" */
	gboolean has_ports;
} EngineTableInfo;

/* Every registered table, sorted by filter name. Call after epan_init. */
GPtrArray *engine_tables_list(void);

/* Writes the HELLO member value [{"filter":"eth","name":"Ethernet"},...]. */
void engine_tables_write_list(const GPtrArray *tables, JsonWriter *writer);

typedef enum {
	ENGINE_TABLE_ENDPOINTS,
	ENGINE_TABLE_CONVERSATIONS,
} EngineTableKind;

typedef struct EngineTableTaps EngineTableTaps;

/* Listeners for every table of tables (which must outlive this), restricted to frames matching
 * filter (NULL or "" for all). */
EngineTableTaps *engine_table_taps_new(const GPtrArray *tables, const char *filter);
/* Removes the listeners still registered and frees the collected data. */
void engine_table_taps_free(EngineTableTaps *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineTableTaps, engine_table_taps_free)

/* Registers all listeners; must happen before the pass. A bad filter is a 400. */
gboolean engine_table_taps_register(EngineTableTaps *self, GError **error);

guint engine_table_taps_get_n_tables(EngineTableTaps *self);
const EngineTableInfo *engine_table_taps_get_info(EngineTableTaps *self, guint index);
gboolean engine_table_taps_has_data(EngineTableTaps *self, guint index, EngineTableKind kind);

/* Writes {"geoip":false,"hosts":[...],"proto":"IPv4"} or {"convs":[...],...}: the value of the
 * route's "data" member. */
void engine_table_taps_write(EngineTableTaps *self, guint index, EngineTableKind kind,
			     JsonWriter *writer);

/* ---- shards ---- */

/* After each dissected frame of a shard: items new since the last call appeared in frame. */
void engine_table_taps_note_frame(EngineTableTaps *self, guint32 frame);
/* A shard's partial table: every item also has "_first" (its first frame) and, for
 * conversations, "_start"/"_stop" as [seconds, nanoseconds] relative to the capture's first
 * frame. */
void engine_table_taps_write_partial(EngineTableTaps *self, guint index, EngineTableKind kind,
				     JsonWriter *writer);

/* An item as written; ports NULL for tables without ports. */
typedef struct {
	const char *host;
	const char *port;
	const char *filter;
	guint64 tx_frames, tx_bytes, rx_frames, rx_bytes;
} EngineEndpointRow;

typedef struct {
	const char *saddr;
	const char *sport;
	const char *daddr;
	const char *dport;
	const char *filter;
	guint64 tx_frames, tx_bytes, rx_frames, rx_bytes; /* tx: from saddr to daddr */
	nstime_t start, stop;
} EngineConversationRow;

/* Merges one table's partial results from every shard into what one pass writes: items
 * present in several shards (an Ethernet pair, an IP host) are added up, the orientation and
 * filter of a conversation are those of its first frame, and items come in order of first
 * appearance. */
typedef struct EngineTableMerge EngineTableMerge;

EngineTableMerge *engine_table_merge_new(EngineTableKind kind);
void engine_table_merge_free(EngineTableMerge *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineTableMerge, engine_table_merge_free)
/* partial: one shard's table document (kept referenced). */
void engine_table_merge_add(EngineTableMerge *self, JsonObject *partial);
/* Fails (500) when the merge cannot be exact: the same key twice in one shard (two items one
 * pass tells apart by something not written) and present in another shard too. */
gboolean engine_table_merge_write(EngineTableMerge *self, JsonWriter *writer, GError **error);

G_END_DECLS
