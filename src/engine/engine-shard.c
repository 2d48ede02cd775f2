/* engine-shard.c: the shard key of a record and the exactness guard (engine-shard.h).
 * The guard is deliberately conservative: anything it cannot show to stay within the shard's
 * own address pairs makes the shard unsafe, and the capture is then summarised in one pass.
 * Must not change what is dissected or counted: it only looks.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-shard.h"

#include <string.h>

#include <wireshark.h>
#include <epan/address.h>
#include <epan/conversation.h>
#include <epan/proto.h>
#include <epan/tvbuff.h>

/* An unordered IP address pair: the smaller address first. */
typedef struct {
	guint length; /* of one address: 4 or 16; 0 = no pair */
	guint8 bytes[32];
} EngineShardKey;

/* Protocols whose dissectors keep state across address pairs outside conversations, or set
 * up conversations for other hosts (signalling of media streams, data channels, tunnels,
 * connection migration, multipath). Their presence anywhere in a shard makes it unsafe. */
static const char *const engine_shard_denied_protocols[] = {
	"bittorrent", "cflow", "dtls", "erspan", "ftp", "ftp-data", "geneve", "gquic", "gre",
	"gtp", "gtpv2", "h225", "h245", "l2tp", "megaco", "mgcp", "mptcp", "msrp", "nsh", "portmap",
	"quic", "rtcp", "rtp", "rtpevent", "rtsp", "sccp", "sctp", "sdp", "sip", "skinny", "smb",
	"smb2", "srtp", "t38", "teredo", "tftp", "vxlan", "wg",
};

struct EngineShardGuard {
	guint shard;
	guint n_shards;
	int proto_ip;
	int proto_ipv6;
	int proto_tls;
	int proto_dtls;
	GHashTable *denied; /* protocol ids of engine_shard_denied_protocols */
	char *unsafe_reason;
};

static void
engine_shard_key_set(EngineShardKey *key, const guint8 *a, const guint8 *b, guint length)
{
	key->length = length;
	if (memcmp(a, b, length) > 0) {
		const guint8 *t = a;
		a = b;
		b = t;
	}
	memcpy(key->bytes, a, length);
	memcpy(key->bytes + length, b, length);
}

/* The pair of an IP header at data[offset], or FALSE when there is none to read. */
static gboolean
engine_shard_key_from_ip(EngineShardKey *key, const guint8 *data, guint length, guint offset, guint version)
{
	if (version == 4 && length >= offset + 20) {
		engine_shard_key_set(key, data + offset + 12, data + offset + 16, 4);
		return TRUE;
	}
	if (version == 6 && length >= offset + 40) {
		engine_shard_key_set(key, data + offset + 8, data + offset + 24, 16);
		return TRUE;
	}
	return FALSE;
}

static guint
engine_shard_ethertype_version(guint ethertype)
{
	return ethertype == 0x0800 ? 4 : ethertype == 0x86DD ? 6 : 0;
}

/* The link layers read here (Ethernet with VLAN tags, raw IP, Linux SLL and SLL2, BSD
 * loopback); any other puts every frame in shard 0. */
static gboolean
engine_shard_key_from_record(EngineShardKey *key, const wtap_rec *rec, const guint8 *data)
{
	if (rec->rec_type != REC_TYPE_PACKET)
		return FALSE;
	guint length = rec->rec_header.packet_header.caplen;
	switch (rec->rec_header.packet_header.pkt_encap) {
	case WTAP_ENCAP_ETHERNET: {
		guint offset = 12;
		while (offset + 2 <= length) {
			guint ethertype = ((guint)data[offset] << 8) | data[offset + 1];
			if (ethertype == 0x8100 || ethertype == 0x88A8 || ethertype == 0x9100) {
				offset += 4;
				continue;
			}
			return engine_shard_key_from_ip(key, data, length, offset + 2,
							engine_shard_ethertype_version(ethertype));
		}
		return FALSE;
	}
	case WTAP_ENCAP_RAW_IP:
	case WTAP_ENCAP_RAW_IP4:
	case WTAP_ENCAP_RAW_IP6:
		return length > 0 && engine_shard_key_from_ip(key, data, length, 0, data[0] >> 4);
	case WTAP_ENCAP_SLL:
		if (length < 16)
			return FALSE;
		return engine_shard_key_from_ip(key, data, length, 16,
						engine_shard_ethertype_version(((guint)data[14] << 8) | data[15]));
	case WTAP_ENCAP_SLL2:
		if (length < 20)
			return FALSE;
		return engine_shard_key_from_ip(key, data, length, 20,
						engine_shard_ethertype_version(((guint)data[0] << 8) | data[1]));
	case WTAP_ENCAP_NULL: {
		/* BSD loopback: an address family in the writer's byte order, then the IP header;
		 * the header's own version decides (the guard checks what the dissector saw). */
		guint32 family;
		if (length < 5)
			return FALSE;
		family = (guint32)data[0] | (guint32)data[1] << 8 | (guint32)data[2] << 16 | (guint32)data[3] << 24;
		if (family > 0xffff)
			family = GUINT32_SWAP_LE_BE(family);
		if (family != 2 && family != 10 && family != 24 && family != 28 && family != 30)
			return FALSE;
		return engine_shard_key_from_ip(key, data, length, 4, data[4] >> 4);
	}
	default:
		return FALSE;
	}
}

/* FNV-1a: any fixed function will do, as long as every worker uses the same. */
static guint
engine_shard_of_key(const EngineShardKey *key, guint n_shards)
{
	guint32 hash = 2166136261u;
	if (key->length == 0 || n_shards <= 1)
		return 0;
	for (guint i = 0; i < 2 * key->length; i++) {
		hash ^= key->bytes[i];
		hash *= 16777619u;
	}
	return hash % n_shards;
}

guint
engine_shard_of_record(const wtap_rec *rec, const guint8 *data, guint n_shards)
{
	EngineShardKey key = {0};
	if (!engine_shard_key_from_record(&key, rec, data))
		return 0;
	return engine_shard_of_key(&key, n_shards);
}

EngineShardGuard *
engine_shard_guard_new(guint shard, guint n_shards)
{
	EngineShardGuard *self = g_new0(EngineShardGuard, 1);
	self->shard = shard;
	self->n_shards = n_shards;
	self->proto_ip = proto_get_id_by_filter_name("ip");
	self->proto_ipv6 = proto_get_id_by_filter_name("ipv6");
	self->proto_tls = proto_get_id_by_filter_name("tls");
	self->proto_dtls = proto_get_id_by_filter_name("dtls");
	self->denied = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (gsize i = 0; i < G_N_ELEMENTS(engine_shard_denied_protocols); i++) {
		int id = proto_get_id_by_filter_name(engine_shard_denied_protocols[i]);
		if (id >= 0)
			g_hash_table_add(self->denied, GINT_TO_POINTER(id));
	}
	return self;
}

void
engine_shard_guard_free(EngineShardGuard *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->denied);
	g_free(self->unsafe_reason);
	g_free(self);
}

static void
engine_shard_guard_fail(EngineShardGuard *self, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
engine_shard_guard_fail(EngineShardGuard *self, const char *format, ...)
{
	va_list args;
	if (self->unsafe_reason != NULL)
		return; /* the first reason is reported */
	va_start(args, format);
	self->unsafe_reason = g_strdup_vprintf(format, args);
	va_end(args);
}

/* The pair under a top-level IP node, read from the header bytes it covers. */
static gboolean
engine_shard_key_from_node(EngineShardKey *key, field_info *fi, guint version)
{
	tvbuff_t *tvb = fi->ds_tvb;
	gint remaining;
	if (tvb == NULL || fi->start < 0)
		return FALSE;
	remaining = tvb_captured_length_remaining(tvb, fi->start);
	if (remaining < (version == 4 ? 20 : 40))
		return FALSE;
	return engine_shard_key_from_ip(key, tvb_get_ptr(tvb, fi->start, remaining), (guint)remaining, 0, version);
}

static gboolean
engine_shard_guard_is_tls_id(EngineShardGuard *self, int id)
{
	return id >= 0 && (id == self->proto_tls || id == self->proto_dtls);
}

/* The same checks as engine_shard_guard_protocol(), by protocol id, for one frame's path. */
static gboolean
engine_shard_guard_path_node(EngineShardGuard *self, const header_field_info *hfinfo, int parent_id,
			     guint32 frame)
{
	if (g_hash_table_contains(self->denied, GINT_TO_POINTER(hfinfo->id))) {
		engine_shard_guard_fail(self, "protocol %s (frame %u) keeps state across address pairs",
					hfinfo->abbrev, frame);
		return FALSE;
	}
	/* proto_registrar_is_protocol: fields such as tcp.segments are no protocols. */
	if (engine_shard_guard_is_tls_id(self, parent_id) && !engine_shard_guard_is_tls_id(self, hfinfo->id) &&
	    proto_registrar_is_protocol(hfinfo->id) && strchr(hfinfo->abbrev, '.') == NULL) {
		engine_shard_guard_fail(self, "decrypted TLS (frame %u) may resume sessions across address pairs",
					frame);
		return FALSE;
	}
	return TRUE;
}

void
engine_shard_guard_frame(EngineShardGuard *self, epan_dissect_t *edt)
{
	guint ip_layers = 0;
	int parent_id = -1;

	if (self->unsafe_reason != NULL || edt->tree == NULL)
		return;
	for (proto_node *node = edt->tree->first_child; node != NULL; node = node->next) {
		field_info *fi = PNODE_FINFO(node);
		EngineShardKey key = {0};
		guint version;

		if (fi == NULL || fi->hfinfo == NULL)
			continue;
		if (!engine_shard_guard_path_node(self, fi->hfinfo, parent_id, edt->pi.num))
			return;
		parent_id = fi->hfinfo->id;
		if (fi->hfinfo->id == self->proto_ip)
			version = 4;
		else if (fi->hfinfo->id == self->proto_ipv6)
			version = 6;
		else
			continue;
		if (++ip_layers > 1) {
			engine_shard_guard_fail(self, "frame %u carries IP in IP", edt->pi.num);
			return;
		}
		/* A header the dissector could not read names no pair, and creates no pair state. */
		if (engine_shard_key_from_node(&key, fi, version) &&
		    engine_shard_of_key(&key, self->n_shards) != self->shard) {
			engine_shard_guard_fail(self, "frame %u: its IP pair belongs to another shard",
						edt->pi.num);
			return;
		}
	}
}

/* Tables whose items are keyed by something that crosses address pairs (MPTCP connections
 * span subflows on other addresses, SCTP associations several addresses). */
static const char *const engine_shard_denied_tables[] = {"mptcp", "sctp"};

void
engine_shard_guard_table(EngineShardGuard *self, const char *filter_name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(engine_shard_denied_tables); i++) {
		if (strcmp(filter_name, engine_shard_denied_tables[i]) == 0)
			engine_shard_guard_fail(self, "the %s table spans address pairs", filter_name);
	}
}

gboolean
engine_shard_guard_watches_table(const char *filter_name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(engine_shard_denied_tables); i++) {
		if (strcmp(filter_name, engine_shard_denied_tables[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
engine_shard_is_tls(const char *abbrev)
{
	return abbrev != NULL && (strcmp(abbrev, "tls") == 0 || strcmp(abbrev, "dtls") == 0);
}

void
engine_shard_guard_protocol(EngineShardGuard *self, const char *abbrev, const char *parent)
{
	for (gsize i = 0; i < G_N_ELEMENTS(engine_shard_denied_protocols); i++) {
		if (strcmp(abbrev, engine_shard_denied_protocols[i]) == 0) {
			engine_shard_guard_fail(self, "protocol %s keeps state across address pairs", abbrev);
			return;
		}
	}
	/* A protocol dissected inside TLS (other than a further record; fields such as
	 * tcp.segments and epan's _ws.* markers are no protocols) means decryption: session keys
	 * and tickets are shared across connections. */
	if (engine_shard_is_tls(parent) && !engine_shard_is_tls(abbrev) && strchr(abbrev, '.') == NULL)
		engine_shard_guard_fail(self, "decrypted TLS may resume sessions across address pairs");
}

/* One conversation: two IP addresses, no wildcard, and their pair is this shard's. */
static void
engine_shard_guard_conversation(EngineShardGuard *self, const conversation_t *conversation)
{
	const address *addresses[2] = {NULL, NULL};
	guint n_addresses = 0;
	EngineShardKey key = {0};

	if (conversation->options & NO_ADDR2) {
		engine_shard_guard_fail(self, "a conversation set up in frame %u has a wildcard address",
					conversation->setup_frame);
		return;
	}
	for (const conversation_element_t *element = conversation->key_ptr;
	     element != NULL && element->type != CE_CONVERSATION_TYPE; element++) {
		if (element->type != CE_ADDRESS)
			continue;
		if (n_addresses == 2) {
			n_addresses++;
			break;
		}
		addresses[n_addresses++] = &element->addr_val;
	}
	if (n_addresses != 2 || addresses[0]->type != addresses[1]->type ||
	    (addresses[0]->type != AT_IPv4 && addresses[0]->type != AT_IPv6) ||
	    addresses[0]->len != addresses[1]->len) {
		engine_shard_guard_fail(self, "a conversation set up in frame %u is not one IP address pair",
					conversation->setup_frame);
		return;
	}
	engine_shard_key_set(&key, addresses[0]->data, addresses[1]->data, (guint)addresses[0]->len);
	if (engine_shard_of_key(&key, self->n_shards) != self->shard)
		engine_shard_guard_fail(self, "a conversation set up in frame %u names another shard's pair",
					conversation->setup_frame);
}

static void
engine_shard_guard_chain_cb(gpointer key, gpointer value, gpointer user_data)
{
	EngineShardGuard *self = user_data;
	for (const conversation_t *conversation = value; conversation != NULL && self->unsafe_reason == NULL;
	     conversation = conversation->next)
		engine_shard_guard_conversation(self, conversation);
}

static void
engine_shard_guard_table_cb(gpointer key, gpointer value, gpointer user_data)
{
	EngineShardGuard *self = user_data;
	if (value != NULL && self->unsafe_reason == NULL)
		wmem_map_foreach(value, engine_shard_guard_chain_cb, self);
}

void
engine_shard_guard_finish(EngineShardGuard *self)
{
	wmem_map_t *tables = get_conversation_hashtables();
	if (self->unsafe_reason != NULL || tables == NULL)
		return;
	wmem_map_foreach(tables, engine_shard_guard_table_cb, self);
}

const char *
engine_shard_guard_get_unsafe_reason(EngineShardGuard *self)
{
	return self->unsafe_reason;
}

gint
engine_shard_order_compare(gconstpointer a, gconstpointer b)
{
	const EngineShardOrder *left = a, *right = b;
	if (left->first_frame != right->first_frame)
		return left->first_frame < right->first_frame ? -1 : 1;
	if (left->shard != right->shard)
		return left->shard < right->shard ? -1 : 1;
	return left->index < right->index ? -1 : left->index > right->index;
}
