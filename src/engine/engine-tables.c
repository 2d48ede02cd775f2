/* engine-tables.c: conversation and endpoint tables for every protocol that registers one.
 * Each table gets two listeners on its protocol's tap, fed by the table's own packet functions
 * (get_conversation_packet_func / get_endpoint_packet_func), so counts, addresses and filters
 * are libwireshark's. Output follows sharkd 4.0's conv/endpt taps: addresses and ports numeric,
 * start/stop printed to nanoseconds, plus totals, duration and rates (API.md).
 * Must not dissect or decide which tables a route shows: it reports all of them.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-tables.h"

#include "engine/engine-filter.h"
#include "engine/engine-shard.h"
#include "sharkapi-error.h"
#include "worker-protocol.h"

#include <string.h>

#include <wireshark.h>
#include <epan/conversation_table.h>
#include <epan/proto.h>
#include <epan/tap.h>

/* ---- the list of tables ---- */

static void
engine_table_info_free(gpointer data)
{
	EngineTableInfo *info = data;
	g_free(info->filter_name);
	g_free(info->name);
	g_free(info);
}

static gboolean
engine_tables_collect_cb(const void *key, void *value, void *user_data)
{
	register_ct_t *table = value;
	GPtrArray *tables = user_data;
	int proto_id = get_conversation_proto_id(table);
	EngineTableInfo *info = g_new0(EngineTableInfo, 1);

	info->table = table;
	info->filter_name = g_ascii_strdown(proto_get_protocol_filter_name(proto_id), -1);
	info->name = g_strdup(proto_get_protocol_short_name(find_protocol_by_id(proto_id)));
	info->has_ports = !get_conversation_hide_ports(table);
	g_ptr_array_add(tables, info);
	return FALSE; /* keep iterating */
}

static gint
engine_tables_compare(gconstpointer a, gconstpointer b)
{
	const EngineTableInfo *left = *(const EngineTableInfo *const *)a;
	const EngineTableInfo *right = *(const EngineTableInfo *const *)b;
	return strcmp(left->filter_name, right->filter_name);
}

GPtrArray *
engine_tables_list(void)
{
	GPtrArray *tables = g_ptr_array_new_with_free_func(engine_table_info_free);
	conversation_table_iterate_tables(engine_tables_collect_cb, tables);
	g_ptr_array_sort(tables, engine_tables_compare);
	return tables;
}

void
engine_tables_write_list(const GPtrArray *tables, JsonWriter *writer)
{
	json_writer_begin_array(writer);
	for (guint i = 0; i < tables->len; i++) {
		const EngineTableInfo *info = g_ptr_array_index(tables, i);
		json_writer_begin_object(writer);
		json_writer_member_string(writer, WORKER_HELLO_TABLE_FILTER, info->filter_name);
		json_writer_member_string(writer, WORKER_HELLO_TABLE_NAME, info->name);
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
}

/* ---- the taps ---- */

/* Each listener's tapdata is its own conv_hash_t, which is what the table's packet function
 * expects; remove_tap_listener finds the listener by that pointer. */
typedef struct {
	conv_hash_t endpoints;
	conv_hash_t conversations;
	gboolean endpoints_registered;
	gboolean conversations_registered;
	/* Shards only: the frame each item first appeared in (items are appended in that order). */
	GArray *endpoint_first_frames;
	GArray *conversation_first_frames;
} EngineTableTap;

struct EngineTableTaps {
	const GPtrArray *tables;
	char *filter;
	EngineTableTap *taps; /* one per table */
};

EngineTableTaps *
engine_table_taps_new(const GPtrArray *tables, const char *filter)
{
	EngineTableTaps *self = g_new0(EngineTableTaps, 1);
	self->tables = tables;
	self->filter = engine_filter_is_empty(filter) ? NULL : g_strdup(filter);
	self->taps = g_new0(EngineTableTap, tables->len);
	return self;
}

void
engine_table_taps_free(EngineTableTaps *self)
{
	if (self == NULL)
		return;
	for (guint i = 0; i < self->tables->len; i++) {
		EngineTableTap *tap = &self->taps[i];
		if (tap->endpoints_registered)
			remove_tap_listener(&tap->endpoints);
		if (tap->conversations_registered)
			remove_tap_listener(&tap->conversations);
		reset_endpoint_table_data(&tap->endpoints);
		reset_conversation_table_data(&tap->conversations);
		if (tap->endpoint_first_frames != NULL)
			g_array_unref(tap->endpoint_first_frames);
		if (tap->conversation_first_frames != NULL)
			g_array_unref(tap->conversation_first_frames);
	}
	g_free(self->taps);
	g_free(self->filter);
	g_free(self);
}

/* Listeners libwireshark 4.0.17 crashes in, whatever the caller does: MPTCP's endpoint packet
 * function asserts in alloc_address_wmem() on ordinary MPTCP traffic (tshark -z
 * endpoints,mptcp aborts the same way on tests/captures/tcpdump-mptcp-ssh.pcap). Such a
 * table is reported empty rather than taking the worker down on every such capture. */
static const struct {
	const char *filter_name;
	EngineTableKind kind;
} engine_tables_broken[] = {
    {"mptcp", ENGINE_TABLE_ENDPOINTS},
};

static gboolean
engine_tables_is_broken(const EngineTableInfo *info, EngineTableKind kind)
{
	for (gsize i = 0; i < G_N_ELEMENTS(engine_tables_broken); i++) {
		if (engine_tables_broken[i].kind == kind &&
		    strcmp(engine_tables_broken[i].filter_name, info->filter_name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Registers one listener unless the table has no packet function of that kind. */
static gboolean
engine_table_taps_listen(EngineTableTaps *self, const char *tap_name, conv_hash_t *hash,
			 tap_packet_cb packet, gboolean *registered, GError **error)
{
	GString *failure;

	if (packet == NULL)
		return TRUE;
	failure = register_tap_listener(tap_name, hash, self->filter, 0, NULL, packet, NULL, NULL);
	if (failure != NULL) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "%s", failure->str);
		g_string_free(failure, TRUE);
		return FALSE;
	}
	*registered = TRUE;
	return TRUE;
}

gboolean
engine_table_taps_register(EngineTableTaps *self, GError **error)
{
	for (guint i = 0; i < self->tables->len; i++) {
		const EngineTableInfo *info = g_ptr_array_index(self->tables, i);
		EngineTableTap *tap = &self->taps[i];
		const char *tap_name =
		    proto_get_protocol_filter_name(get_conversation_proto_id(info->table));

		if (!engine_tables_is_broken(info, ENGINE_TABLE_ENDPOINTS) &&
		    !engine_table_taps_listen(self, tap_name, &tap->endpoints,
					      get_endpoint_packet_func(info->table),
					      &tap->endpoints_registered, error))
			return FALSE;
		if (!engine_tables_is_broken(info, ENGINE_TABLE_CONVERSATIONS) &&
		    !engine_table_taps_listen(self, tap_name, &tap->conversations,
					      get_conversation_packet_func(info->table),
					      &tap->conversations_registered, error))
			return FALSE;
	}
	return TRUE;
}

guint
engine_table_taps_get_n_tables(EngineTableTaps *self)
{
	return self->tables->len;
}

const EngineTableInfo *
engine_table_taps_get_info(EngineTableTaps *self, guint index)
{
	return g_ptr_array_index(self->tables, index);
}

static const conv_hash_t *
engine_table_taps_hash(EngineTableTaps *self, guint index, EngineTableKind kind)
{
	EngineTableTap *tap = &self->taps[index];
	return kind == ENGINE_TABLE_ENDPOINTS ? &tap->endpoints : &tap->conversations;
}

gboolean
engine_table_taps_has_data(EngineTableTaps *self, guint index, EngineTableKind kind)
{
	const conv_hash_t *hash = engine_table_taps_hash(self, index, kind);
	return hash->conv_array != NULL && hash->conv_array->len > 0;
}

/* Items added since the last call appeared in this frame. */
static void
engine_table_taps_note_hash(const conv_hash_t *hash, GArray **first_frames, guint32 frame)
{
	guint len = hash->conv_array != NULL ? hash->conv_array->len : 0;
	if (*first_frames == NULL)
		*first_frames = g_array_new(FALSE, FALSE, sizeof(guint32));
	while ((*first_frames)->len < len)
		g_array_append_val(*first_frames, frame);
}

void
engine_table_taps_note_frame(EngineTableTaps *self, guint32 frame)
{
	for (guint i = 0; i < self->tables->len; i++) {
		EngineTableTap *tap = &self->taps[i];
		engine_table_taps_note_hash(&tap->endpoints, &tap->endpoint_first_frames, frame);
		engine_table_taps_note_hash(&tap->conversations, &tap->conversation_first_frames, frame);
	}
}

/* ---- JSON ---- */

/* Seconds as sharkd prints them ("%.9f"), read back as the double a client would parse. */
static double
engine_tables_nanosecond_round(double seconds)
{
	char text[G_ASCII_DTOSTR_BUF_SIZE];
	g_ascii_formatd(text, sizeof text, "%.9f", seconds);
	return g_ascii_strtod(text, NULL);
}

static void
engine_tables_member_uint(JsonWriter *writer, const char *key, guint64 value)
{
	json_writer_key(writer, key);
	json_writer_uint(writer, value);
}

static void
engine_tables_member_rate(JsonWriter *writer, const char *key, guint64 bytes, double duration)
{
	json_writer_key(writer, key);
	json_writer_double_rounded(writer, duration > 0 ? (double)bytes / duration : 0.0, 2);
}

static void
engine_tables_member_nstime(JsonWriter *writer, const char *key, const nstime_t *time)
{
	json_writer_key(writer, key);
	json_writer_begin_array(writer);
	json_writer_int(writer, time->secs);
	json_writer_int(writer, time->nsecs);
	json_writer_end_array(writer);
}

/* One endpoint as every path writes it: from a tap, from a shard, merged. first_frame > 0
 * writes a shard's partial item. */
static void
engine_tables_write_endpoint_row(const EngineEndpointRow *row, guint32 first_frame, JsonWriter *writer)
{
	json_writer_begin_object(writer);
	if (first_frame > 0)
		json_writer_member_int(writer, "_first", first_frame);
	json_writer_member_string(writer, "filter", row->filter);
	json_writer_member_string(writer, "host", row->host);
	if (row->port != NULL)
		json_writer_member_string(writer, "port", row->port);
	engine_tables_member_uint(writer, "rxb", row->rx_bytes);
	engine_tables_member_uint(writer, "rxf", row->rx_frames);
	engine_tables_member_uint(writer, "totalb", row->rx_bytes + row->tx_bytes);
	engine_tables_member_uint(writer, "totalf", row->rx_frames + row->tx_frames);
	engine_tables_member_uint(writer, "txb", row->tx_bytes);
	engine_tables_member_uint(writer, "txf", row->tx_frames);
	json_writer_end_object(writer);
}

static void
engine_tables_write_conversation_row(const EngineConversationRow *row, guint32 first_frame,
				     JsonWriter *writer)
{
	double start = engine_tables_nanosecond_round(nstime_to_sec(&row->start));
	double stop = engine_tables_nanosecond_round(nstime_to_sec(&row->stop));
	double duration = engine_tables_nanosecond_round(stop - start);

	json_writer_begin_object(writer);
	if (first_frame > 0) {
		json_writer_member_int(writer, "_first", first_frame);
		engine_tables_member_nstime(writer, "_start", &row->start);
		engine_tables_member_nstime(writer, "_stop", &row->stop);
	}
	json_writer_member_string(writer, "daddr", row->daddr);
	if (row->dport != NULL)
		json_writer_member_string(writer, "dport", row->dport);
	json_writer_member_double(writer, "duration", duration);
	json_writer_member_string(writer, "filter", row->filter);
	engine_tables_member_rate(writer, "rx_rate", row->rx_bytes, duration);
	engine_tables_member_uint(writer, "rxb", row->rx_bytes);
	engine_tables_member_uint(writer, "rxf", row->rx_frames);
	json_writer_member_string(writer, "saddr", row->saddr);
	if (row->sport != NULL)
		json_writer_member_string(writer, "sport", row->sport);
	json_writer_member_double(writer, "start", start);
	json_writer_member_double(writer, "stop", stop);
	engine_tables_member_uint(writer, "totalb", row->rx_bytes + row->tx_bytes);
	engine_tables_member_uint(writer, "totalf", row->rx_frames + row->tx_frames);
	engine_tables_member_rate(writer, "tx_rate", row->tx_bytes, duration);
	engine_tables_member_uint(writer, "txb", row->tx_bytes);
	engine_tables_member_uint(writer, "txf", row->tx_frames);
	json_writer_end_object(writer);
}

static void
engine_tables_write_endpoint(const EngineTableInfo *info, endpoint_item_t *item, guint32 first_frame,
			     JsonWriter *writer)
{
	char *host = get_conversation_address(NULL, &item->myaddress, FALSE);
	char *port = info->has_ports ? get_endpoint_port(NULL, item, FALSE) : NULL;
	char *filter = get_endpoint_filter(item);
	EngineEndpointRow row = {
		.host = host,
		.port = port,
		.filter = filter != NULL ? filter : "",
		.tx_frames = item->tx_frames,
		.tx_bytes = item->tx_bytes,
		.rx_frames = item->rx_frames,
		.rx_bytes = item->rx_bytes,
	};
	engine_tables_write_endpoint_row(&row, first_frame, writer);
	wmem_free(NULL, host);
	wmem_free(NULL, port);
	g_free(filter);
}

static void
engine_tables_write_conversation(const EngineTableInfo *info, conv_item_t *item, guint32 first_frame,
				 JsonWriter *writer)
{
	char *saddr = get_conversation_address(NULL, &item->src_address, FALSE);
	char *daddr = get_conversation_address(NULL, &item->dst_address, FALSE);
	char *sport = info->has_ports ? get_conversation_port(NULL, item->src_port, item->ctype, FALSE) : NULL;
	char *dport = info->has_ports ? get_conversation_port(NULL, item->dst_port, item->ctype, FALSE) : NULL;
	char *filter = get_conversation_filter(item, CONV_DIR_A_TO_FROM_B);
	EngineConversationRow row = {
		.saddr = saddr,
		.sport = sport,
		.daddr = daddr,
		.dport = dport,
		.filter = filter != NULL ? filter : "",
		.tx_frames = item->tx_frames,
		.tx_bytes = item->tx_bytes,
		.rx_frames = item->rx_frames,
		.rx_bytes = item->rx_bytes,
		.start = item->start_time,
		.stop = item->stop_time,
	};
	engine_tables_write_conversation_row(&row, first_frame, writer);
	wmem_free(NULL, saddr);
	wmem_free(NULL, daddr);
	wmem_free(NULL, sport);
	wmem_free(NULL, dport);
	g_free(filter);
}

static void
engine_tables_begin_document(EngineTableKind kind, JsonWriter *writer)
{
	json_writer_begin_object(writer);
	if (kind == ENGINE_TABLE_ENDPOINTS) {
		json_writer_member_bool(writer, "geoip", FALSE);
		json_writer_key(writer, "hosts");
	} else {
		json_writer_key(writer, "convs");
	}
	json_writer_begin_array(writer);
}

static void
engine_tables_end_document(EngineTableKind kind, const char *name, JsonWriter *writer)
{
	json_writer_end_array(writer);
	if (kind == ENGINE_TABLE_CONVERSATIONS)
		json_writer_member_bool(writer, "geoip", FALSE);
	json_writer_member_string(writer, "proto", name);
	json_writer_end_object(writer);
}

static void
engine_table_taps_write_document(EngineTableTaps *self, guint index, EngineTableKind kind,
				 gboolean partial, JsonWriter *writer)
{
	const EngineTableInfo *info = engine_table_taps_get_info(self, index);
	const conv_hash_t *hash = engine_table_taps_hash(self, index, kind);
	EngineTableTap *tap = &self->taps[index];
	GArray *first_frames = kind == ENGINE_TABLE_ENDPOINTS ? tap->endpoint_first_frames
							      : tap->conversation_first_frames;
	GArray *items = hash->conv_array;

	engine_tables_begin_document(kind, writer);
	for (guint i = 0; items != NULL && i < items->len; i++) {
		/* A partial item must carry its frame; 1 stands in if tracking was off. */
		guint32 first = !partial ? 0
			      : first_frames != NULL && i < first_frames->len ? g_array_index(first_frames, guint32, i)
									       : 1;
		if (kind == ENGINE_TABLE_ENDPOINTS)
			engine_tables_write_endpoint(info, &g_array_index(items, endpoint_item_t, i), first, writer);
		else
			engine_tables_write_conversation(info, &g_array_index(items, conv_item_t, i), first, writer);
	}
	engine_tables_end_document(kind, info->name, writer);
}

void
engine_table_taps_write(EngineTableTaps *self, guint index, EngineTableKind kind,
			JsonWriter *writer)
{
	engine_table_taps_write_document(self, index, kind, FALSE, writer);
}

void
engine_table_taps_write_partial(EngineTableTaps *self, guint index, EngineTableKind kind,
				JsonWriter *writer)
{
	engine_table_taps_write_document(self, index, kind, TRUE, writer);
}

/* ---- merging shards' partial tables ---- */

typedef struct {
	EngineShardOrder order; /* first: sorted with engine_shard_order_compare */
	JsonObject *item;
} EngineTableMergeItem;

struct EngineTableMerge {
	EngineTableKind kind;
	GPtrArray *partials; /* JsonObject, one per shard */
	GArray *items;       /* EngineTableMergeItem of all shards */
};

EngineTableMerge *
engine_table_merge_new(EngineTableKind kind)
{
	EngineTableMerge *self = g_new0(EngineTableMerge, 1);
	self->kind = kind;
	self->partials = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	self->items = g_array_new(FALSE, FALSE, sizeof(EngineTableMergeItem));
	return self;
}

void
engine_table_merge_free(EngineTableMerge *self)
{
	if (self == NULL)
		return;
	g_ptr_array_unref(self->partials);
	g_array_unref(self->items);
	g_free(self);
}

void
engine_table_merge_add(EngineTableMerge *self, JsonObject *partial)
{
	const char *member = self->kind == ENGINE_TABLE_ENDPOINTS ? "hosts" : "convs";
	JsonArray *items = json_object_get_array_member(partial, member);
	guint shard = self->partials->len;

	g_ptr_array_add(self->partials, json_object_ref(partial));
	for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
		JsonObject *item = json_array_get_object_element(items, i);
		EngineTableMergeItem entry = {
			.item = item,
			.order = {
				.first_frame = (guint32)json_object_get_int_member_with_default(item, "_first", 0),
				.shard = shard,
				.index = i,
			},
		};
		g_array_append_val(self->items, entry);
	}
}

static const char *
engine_table_merge_string(JsonObject *item, const char *member)
{
	return json_object_get_string_member_with_default(item, member, NULL);
}

static guint64
engine_table_merge_uint(JsonObject *item, const char *member)
{
	return (guint64)json_object_get_int_member_with_default(item, member, 0);
}

static void
engine_table_merge_nstime(JsonObject *item, const char *member, nstime_t *time)
{
	JsonArray *pair = json_object_has_member(item, member) ? json_object_get_array_member(item, member) : NULL;
	nstime_set_zero(time);
	if (pair != NULL && json_array_get_length(pair) == 2) {
		time->secs = (time_t)json_array_get_int_element(pair, 0);
		time->nsecs = (int)json_array_get_int_element(pair, 1);
	}
}

/* "address\x1fport" of one side. */
static char *
engine_table_merge_side(JsonObject *item, const char *address, const char *port)
{
	const char *port_text = engine_table_merge_string(item, port);
	return g_strdup_printf("%s\x1f%s", engine_table_merge_string(item, address),
			       port_text != NULL ? port_text : "");
}

/* The item's key, the same whichever way round; *reversed when the item's source is the
 * key's second side. */
static char *
engine_table_merge_key(EngineTableKind kind, JsonObject *item, gboolean *reversed)
{
	*reversed = FALSE;
	if (kind == ENGINE_TABLE_ENDPOINTS)
		return engine_table_merge_side(item, "host", "port");
	g_autofree char *source = engine_table_merge_side(item, "saddr", "sport");
	g_autofree char *destination = engine_table_merge_side(item, "daddr", "dport");
	*reversed = strcmp(source, destination) > 0;
	return *reversed ? g_strdup_printf("%s\x1e%s", destination, source)
			 : g_strdup_printf("%s\x1e%s", source, destination);
}

/* A merged item: the first one seen (its strings and orientation) plus counts. */
typedef struct {
	JsonObject *first;
	gboolean reversed;
	guint shard;
	guint64 tx_frames, tx_bytes, rx_frames, rx_bytes;
	nstime_t start, stop;
} EngineTableMerged;

static void
engine_table_merged_add(EngineTableMerged *merged, JsonObject *item, gboolean reversed)
{
	/* Counts of an item seen the other way round swap directions. */
	gboolean swap = reversed != merged->reversed;
	guint64 tx_frames = engine_table_merge_uint(item, "txf"), tx_bytes = engine_table_merge_uint(item, "txb");
	guint64 rx_frames = engine_table_merge_uint(item, "rxf"), rx_bytes = engine_table_merge_uint(item, "rxb");
	nstime_t start, stop;

	merged->tx_frames += swap ? rx_frames : tx_frames;
	merged->tx_bytes += swap ? rx_bytes : tx_bytes;
	merged->rx_frames += swap ? tx_frames : rx_frames;
	merged->rx_bytes += swap ? tx_bytes : rx_bytes;
	engine_table_merge_nstime(item, "_start", &start);
	engine_table_merge_nstime(item, "_stop", &stop);
	/* One pass keeps the earliest and latest relative time of the item's frames. */
	if (nstime_cmp(&start, &merged->start) < 0)
		merged->start = start;
	if (nstime_cmp(&stop, &merged->stop) > 0)
		merged->stop = stop;
}

static void
engine_table_merged_write(EngineTableKind kind, const EngineTableMerged *merged, JsonWriter *writer)
{
	JsonObject *item = merged->first;
	if (kind == ENGINE_TABLE_ENDPOINTS) {
		EngineEndpointRow row = {
			.host = engine_table_merge_string(item, "host"),
			.port = engine_table_merge_string(item, "port"),
			.filter = engine_table_merge_string(item, "filter"),
			.tx_frames = merged->tx_frames,
			.tx_bytes = merged->tx_bytes,
			.rx_frames = merged->rx_frames,
			.rx_bytes = merged->rx_bytes,
		};
		engine_tables_write_endpoint_row(&row, 0, writer);
		return;
	}
	EngineConversationRow row = {
		.saddr = engine_table_merge_string(item, "saddr"),
		.sport = engine_table_merge_string(item, "sport"),
		.daddr = engine_table_merge_string(item, "daddr"),
		.dport = engine_table_merge_string(item, "dport"),
		.filter = engine_table_merge_string(item, "filter"),
		.tx_frames = merged->tx_frames,
		.tx_bytes = merged->tx_bytes,
		.rx_frames = merged->rx_frames,
		.rx_bytes = merged->rx_bytes,
		.start = merged->start,
		.stop = merged->stop,
	};
	engine_tables_write_conversation_row(&row, 0, writer);
}

/* Keys some shard holds more than once and another shard holds too: not mergeable. */
static gboolean
engine_table_merge_check_keys(EngineTableMerge *self, GError **error)
{
	g_autoptr(GHashTable) shards_of_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) repeated = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < self->items->len; i++) {
		const EngineTableMergeItem *entry = &g_array_index(self->items, EngineTableMergeItem, i);
		gboolean reversed;
		char *key = engine_table_merge_key(self->kind, entry->item, &reversed);
		gpointer seen;
		/* The value is 1 + the first shard seen, or G_MAXUINT once several shards hold it. */
		if (!g_hash_table_lookup_extended(shards_of_key, key, NULL, &seen)) {
			g_hash_table_insert(shards_of_key, key, GUINT_TO_POINTER(entry->order.shard + 1));
			continue;
		}
		if (GPOINTER_TO_UINT(seen) == entry->order.shard + 1)
			g_hash_table_add(repeated, g_strdup(key));
		else
			g_hash_table_insert(shards_of_key, g_strdup(key), GUINT_TO_POINTER(G_MAXUINT));
		g_free(key);
	}
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, repeated);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		if (GPOINTER_TO_UINT(g_hash_table_lookup(shards_of_key, key)) == G_MAXUINT) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
				    "shards cannot be merged: a table item repeats within a shard and across shards");
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
engine_table_merge_write(EngineTableMerge *self, JsonWriter *writer, GError **error)
{
	/* order owns the merged items; the hash finds the latest one of a key. */
	g_autoptr(GHashTable) merged_by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func(g_free);
	JsonObject *first_partial = self->partials->len > 0 ? g_ptr_array_index(self->partials, 0) : NULL;

	if (first_partial == NULL || !engine_table_merge_check_keys(self, error))
		return first_partial != NULL;
	g_array_sort(self->items, engine_shard_order_compare);
	for (guint i = 0; i < self->items->len; i++) {
		const EngineTableMergeItem *entry = &g_array_index(self->items, EngineTableMergeItem, i);
		gboolean reversed;
		g_autofree char *key = engine_table_merge_key(self->kind, entry->item, &reversed);
		EngineTableMerged *merged = g_hash_table_lookup(merged_by_key, key);

		/* Items of one shard with the same key stay apart, as in that shard's pass. */
		if (merged == NULL || merged->shard == entry->order.shard) {
			merged = g_new0(EngineTableMerged, 1);
			merged->first = entry->item;
			merged->reversed = reversed;
			merged->shard = entry->order.shard;
			engine_table_merge_nstime(entry->item, "_start", &merged->start);
			engine_table_merge_nstime(entry->item, "_stop", &merged->stop);
			g_hash_table_replace(merged_by_key, g_steal_pointer(&key), merged);
			g_ptr_array_add(order, merged);
		}
		engine_table_merged_add(merged, entry->item, reversed);
	}
	engine_tables_begin_document(self->kind, writer);
	for (guint i = 0; i < order->len; i++)
		engine_table_merged_write(self->kind, g_ptr_array_index(order, i), writer);
	engine_tables_end_document(self->kind, json_object_get_string_member_with_default(first_partial, "proto", ""),
				   writer);
	return TRUE;
}
