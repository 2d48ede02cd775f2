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
#include "sharkapi-error.h"

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
		json_writer_member_string(writer, "filter", info->filter_name);
		json_writer_member_string(writer, "name", info->name);
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
	}
	g_free(self->taps);
	g_free(self->filter);
	g_free(self);
}

/* Listeners libwireshark 4.0.17 crashes in, whatever the caller does: MPTCP's endpoint packet
 * function asserts in alloc_address_wmem() on ordinary MPTCP traffic (tshark -z
 * endpoints,mptcp aborts the same way on shared/captures/tcpdump-mptcp-ssh.pcap). Such a
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
engine_tables_member_address(JsonWriter *writer, const char *key, address *addr)
{
	char *text = get_conversation_address(NULL, addr, FALSE);
	json_writer_member_string(writer, key, text);
	wmem_free(NULL, text);
}

static void
engine_tables_member_port(JsonWriter *writer, const char *key, guint32 port,
			  conversation_type ctype)
{
	char *text = get_conversation_port(NULL, port, ctype, FALSE);
	json_writer_member_string(writer, key, text);
	wmem_free(NULL, text);
}

static void
engine_tables_member_uint(JsonWriter *writer, const char *key, guint64 value)
{
	json_writer_key(writer, key);
	json_writer_uint(writer, value);
}

static void
engine_tables_member_filter(JsonWriter *writer, char *filter)
{
	json_writer_member_string(writer, "filter", filter != NULL ? filter : "");
	g_free(filter);
}

static void
engine_tables_write_endpoint(const EngineTableInfo *info, endpoint_item_t *item,
			     JsonWriter *writer)
{
	json_writer_begin_object(writer);
	engine_tables_member_filter(writer, get_endpoint_filter(item));
	engine_tables_member_address(writer, "host", &item->myaddress);
	if (info->has_ports) {
		char *port = get_endpoint_port(NULL, item, FALSE);
		json_writer_member_string(writer, "port", port);
		wmem_free(NULL, port);
	}
	engine_tables_member_uint(writer, "rxb", item->rx_bytes);
	engine_tables_member_uint(writer, "rxf", item->rx_frames);
	engine_tables_member_uint(writer, "totalb", item->rx_bytes + item->tx_bytes);
	engine_tables_member_uint(writer, "totalf", item->rx_frames + item->tx_frames);
	engine_tables_member_uint(writer, "txb", item->tx_bytes);
	engine_tables_member_uint(writer, "txf", item->tx_frames);
	json_writer_end_object(writer);
}

static void
engine_tables_member_rate(JsonWriter *writer, const char *key, guint64 bytes, double duration)
{
	json_writer_key(writer, key);
	json_writer_double_rounded(writer, duration > 0 ? (double)bytes / duration : 0.0, 2);
}

static void
engine_tables_write_conversation(const EngineTableInfo *info, conv_item_t *item,
				 JsonWriter *writer)
{
	double start = engine_tables_nanosecond_round(nstime_to_sec(&item->start_time));
	double stop = engine_tables_nanosecond_round(nstime_to_sec(&item->stop_time));
	double duration = engine_tables_nanosecond_round(stop - start);

	json_writer_begin_object(writer);
	engine_tables_member_address(writer, "daddr", &item->dst_address);
	if (info->has_ports)
		engine_tables_member_port(writer, "dport", item->dst_port, item->ctype);
	json_writer_member_double(writer, "duration", duration);
	engine_tables_member_filter(writer, get_conversation_filter(item, CONV_DIR_A_TO_FROM_B));
	engine_tables_member_rate(writer, "rx_rate", item->rx_bytes, duration);
	engine_tables_member_uint(writer, "rxb", item->rx_bytes);
	engine_tables_member_uint(writer, "rxf", item->rx_frames);
	engine_tables_member_address(writer, "saddr", &item->src_address);
	if (info->has_ports)
		engine_tables_member_port(writer, "sport", item->src_port, item->ctype);
	json_writer_member_double(writer, "start", start);
	json_writer_member_double(writer, "stop", stop);
	engine_tables_member_uint(writer, "totalb", item->rx_bytes + item->tx_bytes);
	engine_tables_member_uint(writer, "totalf", item->rx_frames + item->tx_frames);
	engine_tables_member_rate(writer, "tx_rate", item->tx_bytes, duration);
	engine_tables_member_uint(writer, "txb", item->tx_bytes);
	engine_tables_member_uint(writer, "txf", item->tx_frames);
	json_writer_end_object(writer);
}

static void
engine_table_taps_write_endpoints(const EngineTableInfo *info, GArray *items, JsonWriter *writer)
{
	json_writer_begin_object(writer);
	json_writer_member_bool(writer, "geoip", FALSE);
	json_writer_key(writer, "hosts");
	json_writer_begin_array(writer);
	for (guint i = 0; items != NULL && i < items->len; i++)
		engine_tables_write_endpoint(info, &g_array_index(items, endpoint_item_t, i), writer);
	json_writer_end_array(writer);
	json_writer_member_string(writer, "proto", info->name);
	json_writer_end_object(writer);
}

static void
engine_table_taps_write_conversations(const EngineTableInfo *info, GArray *items,
				      JsonWriter *writer)
{
	json_writer_begin_object(writer);
	json_writer_key(writer, "convs");
	json_writer_begin_array(writer);
	for (guint i = 0; items != NULL && i < items->len; i++)
		engine_tables_write_conversation(info, &g_array_index(items, conv_item_t, i),
						 writer);
	json_writer_end_array(writer);
	json_writer_member_bool(writer, "geoip", FALSE);
	json_writer_member_string(writer, "proto", info->name);
	json_writer_end_object(writer);
}

void
engine_table_taps_write(EngineTableTaps *self, guint index, EngineTableKind kind,
			JsonWriter *writer)
{
	const EngineTableInfo *info = engine_table_taps_get_info(self, index);
	const conv_hash_t *hash = engine_table_taps_hash(self, index, kind);

	if (kind == ENGINE_TABLE_ENDPOINTS)
		engine_table_taps_write_endpoints(info, hash->conv_array, writer);
	else
		engine_table_taps_write_conversations(info, hash->conv_array, writer);
}
