/* engine-tls.c: TLS, DTLS and QUIC handshakes (API.md "tls/handshakes") from the summary pass's
 * trees. A "tls", "dtls" or "quic" protocol node holds handshake messages; in the non-visible
 * tree only the primed fields are there, flat and in order, so each tls.handshake.type starts a
 * message and the fields up to the next one are its own (each extension's values follow its
 * extension type). ClientHellos keep what the record shows and what JA4 needs (engine-ja4.h,
 * computed when the hello ends); ServerHellos keep the server's choice. A ServerHello joins the
 * latest ClientHello of the same stream (tcp.stream, udp.stream for DTLS, quic.connection.number)
 * that none joined yet, so a HelloRetryRequest joins the first hello and the final ServerHello
 * the second. Addresses come from engine-dns-carrier.c, as for DNS and HTTP.
 * Must not own the dissection loop, prime frame.* fields or write files (the summary pass
 * does all three).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine-tls"
#define WS_LOG_DOMAIN "engine-tls"

#include "engine/engine-tls.h"

#include "engine/engine-dns-merge.h"
#include "engine/engine-field-roles.h"
#include "engine/engine-dns-carrier.h"
#include "engine/engine-ja4.h"

#include <string.h>

#include <wireshark.h>
#include <epan/proto.h>
#include <epan/value_string.h>

typedef enum {
	ENGINE_TLS_ROLE_NONE,
	ENGINE_TLS_ROLE_TLS,          /* protocol nodes holding handshakes */
	ENGINE_TLS_ROLE_DTLS,
	ENGINE_TLS_ROLE_QUIC,
	ENGINE_TLS_ROLE_TCP_STREAM,   /* the stream indices, before (TCP, UDP) or in (QUIC) the node */
	ENGINE_TLS_ROLE_UDP_STREAM,
	ENGINE_TLS_ROLE_QUIC_CONNECTION,
	ENGINE_TLS_ROLE_TYPE,         /* starts a handshake message */
	ENGINE_TLS_ROLE_VERSION,
	ENGINE_TLS_ROLE_CIPHER,
	ENGINE_TLS_ROLE_EXTENSION,
	ENGINE_TLS_ROLE_SERVER_NAME,
	ENGINE_TLS_ROLE_ALPN,
	ENGINE_TLS_ROLE_SIGNATURE_ALGORITHM,
	ENGINE_TLS_ROLE_SUPPORTED_VERSION,
	ENGINE_TLS_ROLE_JA3,
	ENGINE_TLS_ROLE_JA3_FULL,
	ENGINE_TLS_ROLE_JA3S,
	ENGINE_TLS_ROLE_JA3S_FULL,
	ENGINE_TLS_ROLE_CARRIER,      /* + EngineDnsLayer */
} EngineTlsRole;

static const struct {
	const char *name;
	EngineTlsRole role;
} engine_tls_fields[] = {
	{"tls", ENGINE_TLS_ROLE_TLS},
	{"dtls", ENGINE_TLS_ROLE_DTLS},
	{"quic", ENGINE_TLS_ROLE_QUIC},
	{"tcp.stream", ENGINE_TLS_ROLE_TCP_STREAM},
	{"udp.stream", ENGINE_TLS_ROLE_UDP_STREAM},
	{"quic.connection.number", ENGINE_TLS_ROLE_QUIC_CONNECTION},
};

/* The handshake fields, registered once under "tls." and once under "dtls.". */
static const struct {
	const char *suffix;
	EngineTlsRole role;
} engine_tls_handshake_fields[] = {
	{"handshake.type", ENGINE_TLS_ROLE_TYPE},
	{"handshake.version", ENGINE_TLS_ROLE_VERSION},
	{"handshake.ciphersuite", ENGINE_TLS_ROLE_CIPHER},
	{"handshake.extension.type", ENGINE_TLS_ROLE_EXTENSION},
	{"handshake.extensions_server_name", ENGINE_TLS_ROLE_SERVER_NAME},
	{"handshake.extensions_alpn_str", ENGINE_TLS_ROLE_ALPN},
	{"handshake.sig_hash_alg", ENGINE_TLS_ROLE_SIGNATURE_ALGORITHM},
	{"handshake.extensions.supported_version", ENGINE_TLS_ROLE_SUPPORTED_VERSION},
	{"handshake.ja3", ENGINE_TLS_ROLE_JA3},
	{"handshake.ja3_full", ENGINE_TLS_ROLE_JA3_FULL},
	{"handshake.ja3s", ENGINE_TLS_ROLE_JA3S},
	{"handshake.ja3s_full", ENGINE_TLS_ROLE_JA3S_FULL},
};

#define ENGINE_TLS_CLIENT_HELLO 1
#define ENGINE_TLS_SERVER_HELLO 2
#define ENGINE_TLS_EXTENSION_ALPN 0x0010
#define ENGINE_TLS_EXTENSION_SIGNATURE_ALGORITHMS 0x000d
#define ENGINE_TLS_EXTENSION_SUPPORTED_VERSIONS 0x002b
#define ENGINE_TLS_NONE G_MAXUINT

/* One hello, kept for the whole file (strings in the chunk). */
typedef struct {
	guint32 frame;
	gboolean is_client;
	const char *transport; /* "tcp", "udp" (DTLS) or "quic" */
	EngineDnsCarrier carrier;
	guint32 stream;
	gboolean has_stream;
	/* ClientHello */
	const char *server_name;
	const char *alpn_json; /* a JSON array of strings */
	const char *ja3;
	const char *ja3_full;
	const char *ja4;
	/* ServerHello */
	const char *cipher_suite;
	const char *version;
	const char *ja3s;
	const char *ja3s_full;
} EngineTlsHello;

/* A hello being read. */
typedef struct {
	EngineTlsHello hello;
	guint16 legacy_version;
	const char *legacy_version_name;
	const char *selected_version_name; /* ServerHello's supported_versions */
	guint32 extension;                 /* the extension whose values are being read */
	GArray *ciphers;                   /* guint16 each */
	GArray *extensions;
	GArray *signature_algorithms;
	GArray *supported_versions;
	GPtrArray *alpn;                   /* strings, kept in the chunk */
	GByteArray *first_alpn;            /* the first ALPN value's bytes, for JA4 */
	gboolean has_first_alpn;
} EngineTlsReader;

struct EngineTls {
	EngineFieldRoles *fields; /* hf id -> EngineTlsRole; the values kept */
	int proto_ids[3];  /* tls, dtls, quic: frames without them are skipped at once */
	GArray *hellos;    /* EngineTlsHello in frame order */
	EngineTlsReader reader;
};

EngineTls *
engine_tls_new(void)
{
	EngineTls *self = g_new0(EngineTls, 1);
	static const char *const prefixes[] = {"tls", "dtls"};

	self->fields = engine_field_roles_new();
	self->hellos = g_array_new(FALSE, TRUE, sizeof(EngineTlsHello));
	for (guint i = 0; i < G_N_ELEMENTS(engine_tls_fields); i++)
		engine_field_roles_add(self->fields, engine_tls_fields[i].name, engine_tls_fields[i].role);
	for (guint p = 0; p < G_N_ELEMENTS(prefixes); p++) {
		for (guint i = 0; i < G_N_ELEMENTS(engine_tls_handshake_fields); i++) {
			g_autofree char *name = g_strconcat(prefixes[p], ".", engine_tls_handshake_fields[i].suffix, NULL);
			engine_field_roles_add(self->fields, name, engine_tls_handshake_fields[i].role);
		}
	}
	engine_field_roles_add_carriers(self->fields, ENGINE_TLS_ROLE_CARRIER);
	self->proto_ids[0] = proto_get_id_by_filter_name("tls");
	self->proto_ids[1] = proto_get_id_by_filter_name("dtls");
	self->proto_ids[2] = proto_get_id_by_filter_name("quic");
	self->reader.ciphers = g_array_new(FALSE, FALSE, sizeof(guint16));
	self->reader.extensions = g_array_new(FALSE, FALSE, sizeof(guint16));
	self->reader.signature_algorithms = g_array_new(FALSE, FALSE, sizeof(guint16));
	self->reader.supported_versions = g_array_new(FALSE, FALSE, sizeof(guint16));
	self->reader.alpn = g_ptr_array_new();
	self->reader.first_alpn = g_byte_array_new();
	return self;
}

void
engine_tls_free(EngineTls *self)
{
	if (self == NULL)
		return;
	engine_field_roles_free(self->fields);
	g_array_unref(self->hellos);
	g_array_unref(self->reader.ciphers);
	g_array_unref(self->reader.extensions);
	g_array_unref(self->reader.signature_algorithms);
	g_array_unref(self->reader.supported_versions);
	g_ptr_array_unref(self->reader.alpn);
	g_byte_array_unref(self->reader.first_alpn);
	g_free(self);
}

void
engine_tls_prime_hfids(EngineTls *self, GArray *hfids)
{
	engine_field_roles_prime(self->fields, hfids);
}

static EngineTlsRole
engine_tls_role(EngineTls *self, const field_info *fi)
{
	return (EngineTlsRole)engine_field_roles_get(self->fields, fi);
}

static const char *
engine_tls_keep(EngineTls *self, const char *text)
{
	return engine_field_roles_keep(self->fields, text);
}

static const char *
engine_tls_text(EngineTls *self, field_info *fi)
{
	char *text = fvalue_to_string_repr(NULL, &fi->value, FTREPR_DISPLAY, fi->hfinfo->display);
	const char *kept = engine_tls_keep(self, text != NULL ? text : "");
	wmem_free(NULL, text);
	return kept;
}

/* The name libwireshark's value string gives an integer field's value ("TLS 1.3",
 * "TLS_AES_128_GCM_SHA256"); "0x1301" when it has none. */
static const char *
engine_tls_value_name(EngineTls *self, field_info *fi)
{
	const header_field_info *hfinfo = fi->hfinfo;
	guint32 value = fvalue_get_uinteger(&fi->value);
	const char *name = NULL;
	if (hfinfo->strings != NULL && (hfinfo->display & BASE_EXT_STRING))
		name = try_val_to_str_ext(value, (value_string_ext *)hfinfo->strings);
	else if (hfinfo->strings != NULL && !(hfinfo->display & (BASE_RANGE_STRING | BASE_VAL64_STRING)) &&
		 FIELD_DISPLAY(hfinfo->display) != BASE_CUSTOM)
		name = try_val_to_str(value, (const value_string *)hfinfo->strings);
	if (name != NULL)
		return engine_tls_keep(self, name);
	g_autofree char *hex = g_strdup_printf("0x%04x", value);
	return engine_tls_keep(self, hex);
}

static void
engine_tls_reader_reset(EngineTlsReader *reader, guint32 frame, gboolean is_client, const char *transport,
			const EngineDnsCarrier *carrier)
{
	memset(&reader->hello, 0, sizeof reader->hello);
	reader->hello.frame = frame;
	reader->hello.is_client = is_client;
	reader->hello.transport = transport;
	reader->hello.carrier = *carrier;
	reader->legacy_version = 0;
	reader->legacy_version_name = NULL;
	reader->selected_version_name = NULL;
	reader->extension = G_MAXUINT32;
	g_array_set_size(reader->ciphers, 0);
	g_array_set_size(reader->extensions, 0);
	g_array_set_size(reader->signature_algorithms, 0);
	g_array_set_size(reader->supported_versions, 0);
	g_ptr_array_set_size(reader->alpn, 0);
	g_byte_array_set_size(reader->first_alpn, 0);
	reader->has_first_alpn = FALSE;
}

static char
engine_tls_ja4_transport(const char *transport)
{
	if (strcmp(transport, "quic") == 0)
		return 'q';
	return strcmp(transport, "udp") == 0 ? 'd' : 't';
}

static void
engine_tls_finish_client(EngineTls *self, EngineTlsReader *reader)
{
	EngineJa4Hello ja4 = {
		.transport = engine_tls_ja4_transport(reader->hello.transport),
		.version = reader->legacy_version,
		.supported_versions = (const guint16 *)reader->supported_versions->data,
		.n_supported_versions = reader->supported_versions->len,
		.ciphers = (const guint16 *)reader->ciphers->data,
		.n_ciphers = reader->ciphers->len,
		.extensions = (const guint16 *)reader->extensions->data,
		.n_extensions = reader->extensions->len,
		.signature_algorithms = (const guint16 *)reader->signature_algorithms->data,
		.n_signature_algorithms = reader->signature_algorithms->len,
		.alpn = reader->has_first_alpn ? reader->first_alpn->data : NULL,
		.alpn_length = reader->has_first_alpn ? reader->first_alpn->len : 0,
	};
	g_autofree char *fingerprint = engine_ja4_compute(&ja4);
	reader->hello.ja4 = engine_tls_keep(self, fingerprint);

	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_array(writer);
	for (guint i = 0; i < reader->alpn->len; i++)
		json_writer_string(writer, g_ptr_array_index(reader->alpn, i));
	json_writer_end_array(writer);
	reader->hello.alpn_json = engine_tls_keep(self, json_writer_get_data(writer));
}

/* The hello being read is complete: kept (unless it is a fragment), with the stream its node
 * gives it. */
static void
engine_tls_finish(EngineTls *self, gboolean *reading, GArray *finished)
{
	EngineTlsReader *reader = &self->reader;
	if (!*reading)
		return;
	*reading = FALSE;
	/* A DTLS handshake fragment carries its message type and nothing of the message (it is
	 * dissected where the fragments are reassembled): not a hello, or it would be a second,
	 * empty ClientHello, or a ServerHello taking the real one's place. Every hello's body
	 * starts with its version. */
	if (reader->legacy_version_name == NULL)
		return;
	if (reader->hello.is_client) {
		engine_tls_finish_client(self, reader);
	} else {
		reader->hello.version = reader->selected_version_name != NULL ? reader->selected_version_name
									       : reader->legacy_version_name;
	}
	g_array_append_val(self->hellos, reader->hello);
	guint index = self->hellos->len - 1;
	g_array_append_val(finished, index);
}

static void
engine_tls_read_value(EngineTls *self, EngineTlsReader *reader, EngineTlsRole role, field_info *fi)
{
	EngineTlsHello *hello = &reader->hello;
	guint16 value;

	switch (role) {
	case ENGINE_TLS_ROLE_VERSION:
		if (reader->legacy_version_name == NULL) {
			reader->legacy_version = (guint16)fvalue_get_uinteger(&fi->value);
			reader->legacy_version_name = engine_tls_value_name(self, fi);
		}
		break;
	case ENGINE_TLS_ROLE_CIPHER:
		value = (guint16)fvalue_get_uinteger(&fi->value);
		g_array_append_val(reader->ciphers, value);
		if (!hello->is_client && hello->cipher_suite == NULL)
			hello->cipher_suite = engine_tls_value_name(self, fi);
		break;
	case ENGINE_TLS_ROLE_EXTENSION:
		value = (guint16)fvalue_get_uinteger(&fi->value);
		reader->extension = value;
		g_array_append_val(reader->extensions, value);
		break;
	case ENGINE_TLS_ROLE_SERVER_NAME:
		if (hello->server_name == NULL)
			hello->server_name = engine_tls_text(self, fi);
		break;
	case ENGINE_TLS_ROLE_ALPN:
		if (reader->extension != ENGINE_TLS_EXTENSION_ALPN)
			break;
		g_ptr_array_add(reader->alpn, (gpointer)engine_tls_text(self, fi));
		/* JA4 reads the first value's bytes, not its printable form; an empty first value
		 * is JA4's "00", never the next value's characters. */
		if (!reader->has_first_alpn) {
			if (fi->ds_tvb != NULL && fi->length > 0)
				g_byte_array_append(reader->first_alpn, tvb_get_ptr(fi->ds_tvb, fi->start, fi->length),
						    (guint)fi->length);
			reader->has_first_alpn = TRUE;
		}
		break;
	case ENGINE_TLS_ROLE_SIGNATURE_ALGORITHM:
		/* signature_algorithms_cert (0x0032) lists its own: not JA4's. */
		if (reader->extension != ENGINE_TLS_EXTENSION_SIGNATURE_ALGORITHMS)
			break;
		value = (guint16)fvalue_get_uinteger(&fi->value);
		g_array_append_val(reader->signature_algorithms, value);
		break;
	case ENGINE_TLS_ROLE_SUPPORTED_VERSION:
		if (reader->extension != ENGINE_TLS_EXTENSION_SUPPORTED_VERSIONS)
			break;
		value = (guint16)fvalue_get_uinteger(&fi->value);
		g_array_append_val(reader->supported_versions, value);
		if (!hello->is_client && reader->selected_version_name == NULL)
			reader->selected_version_name = engine_tls_value_name(self, fi);
		break;
	case ENGINE_TLS_ROLE_JA3:
		if (hello->ja3 == NULL)
			hello->ja3 = engine_tls_text(self, fi);
		break;
	case ENGINE_TLS_ROLE_JA3_FULL:
		if (hello->ja3_full == NULL)
			hello->ja3_full = engine_tls_text(self, fi);
		break;
	case ENGINE_TLS_ROLE_JA3S:
		if (hello->ja3s == NULL)
			hello->ja3s = engine_tls_text(self, fi);
		break;
	case ENGINE_TLS_ROLE_JA3S_FULL:
		if (hello->ja3s_full == NULL)
			hello->ja3s_full = engine_tls_text(self, fi);
		break;
	default:
		break;
	}
}

/* Where the walk is: the carrying layers and streams seen so far. */
typedef struct {
	EngineDnsCarrier carrier;
	guint32 tcp_stream;
	gboolean has_tcp_stream;
	guint32 udp_stream;
	gboolean has_udp_stream;
	guint32 frame;
} EngineTlsWalk;

typedef struct {
	const char *transport;
	gboolean reading;
	guint32 quic_connection;
	gboolean has_quic_connection;
	GArray *finished; /* indices of the hellos this node holds */
} EngineTlsNode;

static void
engine_tls_read_node(EngineTls *self, proto_node *node, const EngineTlsWalk *walk, EngineTlsNode *state)
{
	for (proto_node *child = node->first_child; child != NULL; child = child->next) {
		field_info *fi = PNODE_FINFO(child);
		EngineTlsRole role = engine_tls_role(self, fi);
		/* A "tls" node inside QUIC holds the CRYPTO frames' handshake: read as QUIC's. */
		if (role == ENGINE_TLS_ROLE_QUIC_CONNECTION) {
			state->quic_connection = fvalue_get_uinteger(&fi->value);
			state->has_quic_connection = TRUE;
		} else if (role == ENGINE_TLS_ROLE_TYPE) {
			guint32 type = fvalue_get_uinteger(&fi->value);
			engine_tls_finish(self, &state->reading, state->finished);
			if (type == ENGINE_TLS_CLIENT_HELLO || type == ENGINE_TLS_SERVER_HELLO) {
				engine_tls_reader_reset(&self->reader, walk->frame, type == ENGINE_TLS_CLIENT_HELLO,
							state->transport, &walk->carrier);
				state->reading = TRUE;
			}
		} else if (state->reading && role > ENGINE_TLS_ROLE_TYPE && role < ENGINE_TLS_ROLE_CARRIER) {
			engine_tls_read_value(self, &self->reader, role, fi);
		}
		if (child->first_child != NULL)
			engine_tls_read_node(self, child, walk, state);
	}
}

static void
engine_tls_read_protocol(EngineTls *self, proto_node *node, EngineTlsRole role, const EngineTlsWalk *walk)
{
	g_autoptr(GArray) finished = g_array_new(FALSE, FALSE, sizeof(guint));
	EngineTlsNode state = {.finished = finished};
	state.transport = role == ENGINE_TLS_ROLE_QUIC ? "quic" : role == ENGINE_TLS_ROLE_DTLS ? "udp" : "tcp";
	engine_tls_read_node(self, node, walk, &state);
	engine_tls_finish(self, &state.reading, finished);
	for (guint i = 0; i < finished->len; i++) {
		EngineTlsHello *hello = &g_array_index(self->hellos, EngineTlsHello, g_array_index(finished, guint, i));
		if (role == ENGINE_TLS_ROLE_QUIC) {
			hello->stream = state.quic_connection;
			hello->has_stream = state.has_quic_connection;
		} else if (role == ENGINE_TLS_ROLE_DTLS) {
			hello->stream = walk->udp_stream;
			hello->has_stream = walk->has_udp_stream;
		} else {
			hello->stream = walk->tcp_stream;
			hello->has_stream = walk->has_tcp_stream;
		}
	}
}

static void
engine_tls_walk(EngineTls *self, proto_node *node, EngineTlsWalk *walk)
{
	for (proto_node *child = node->first_child; child != NULL; child = child->next) {
		field_info *fi = PNODE_FINFO(child);
		EngineTlsRole role = engine_tls_role(self, fi);
		switch (role) {
		case ENGINE_TLS_ROLE_TLS:
		case ENGINE_TLS_ROLE_DTLS:
		case ENGINE_TLS_ROLE_QUIC:
			engine_tls_read_protocol(self, child, role, walk);
			continue;
		case ENGINE_TLS_ROLE_TCP_STREAM:
			walk->tcp_stream = fvalue_get_uinteger(&fi->value);
			walk->has_tcp_stream = TRUE;
			break;
		case ENGINE_TLS_ROLE_UDP_STREAM:
			walk->udp_stream = fvalue_get_uinteger(&fi->value);
			walk->has_udp_stream = TRUE;
			break;
		default:
			if (role > ENGINE_TLS_ROLE_CARRIER)
				engine_dns_carrier_update(&walk->carrier, role - ENGINE_TLS_ROLE_CARRIER, fi, engine_field_roles_get_strings(self->fields));
			break;
		}
		if (child->first_child != NULL)
			engine_tls_walk(self, child, walk);
	}
}

void
engine_tls_frame(EngineTls *self, epan_dissect_t *edt, const frame_data *fdata)
{
	if (edt->tree == NULL)
		return;
	/* Most frames carry none of the three: one lookup each in the primed-field index. */
	gboolean any = FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(self->proto_ids) && !any; i++) {
		GPtrArray *nodes = self->proto_ids[i] >= 0 ? proto_get_finfo_ptr_array(edt->tree, self->proto_ids[i]) : NULL;
		any = nodes != NULL && nodes->len > 0;
	}
	if (!any)
		return;
	EngineTlsWalk walk = {.frame = fdata->num};
	engine_tls_walk(self, edt->tree, &walk);
}

gboolean
engine_tls_is_empty(EngineTls *self)
{
	return self->hellos->len == 0;
}

/* ---- joining and output ---- */

static void
engine_tls_member_string(JsonWriter *writer, const char *key, const char *value)
{
	json_writer_key(writer, key);
	json_writer_string(writer, value);
}

static void
engine_tls_member_port(JsonWriter *writer, const char *key, const EngineDnsCarrier *carrier, guint32 port)
{
	json_writer_key(writer, key);
	if (carrier->transport != NULL)
		json_writer_uint(writer, port);
	else
		json_writer_null(writer);
}

static void
engine_tls_write_record(JsonWriter *writer, const EngineTlsHello *client, const EngineTlsHello *server)
{
	const EngineDnsCarrier *carrier = &client->carrier;
	json_writer_begin_object(writer);
	json_writer_key(writer, "alpn");
	json_writer_raw(writer, client->alpn_json, strlen(client->alpn_json));
	engine_tls_member_string(writer, "cipher_suite", server != NULL ? server->cipher_suite : NULL);
	engine_tls_member_string(writer, "client", carrier->src);
	engine_tls_member_port(writer, "client_port", carrier, carrier->src_port);
	json_writer_member_int(writer, "frame", client->frame);
	engine_tls_member_string(writer, "ja3", client->ja3);
	engine_tls_member_string(writer, "ja3_full", client->ja3_full);
	engine_tls_member_string(writer, "ja3s", server != NULL ? server->ja3s : NULL);
	engine_tls_member_string(writer, "ja3s_full", server != NULL ? server->ja3s_full : NULL);
	engine_tls_member_string(writer, "ja4", client->ja4);
	engine_tls_member_string(writer, "server", carrier->dst);
	json_writer_key(writer, "server_frame");
	if (server != NULL)
		json_writer_uint(writer, server->frame);
	else
		json_writer_null(writer);
	engine_tls_member_string(writer, "server_name", client->server_name);
	engine_tls_member_port(writer, "server_port", carrier, carrier->dst_port);
	json_writer_key(writer, "stream");
	if (client->has_stream)
		json_writer_uint(writer, client->stream);
	else
		json_writer_null(writer);
	engine_tls_member_string(writer, "transport", client->transport);
	engine_tls_member_string(writer, "version", server != NULL ? server->version : NULL);
	json_writer_end_object(writer);
}

typedef void (*EngineTlsRecordFunc)(const EngineTlsHello *client, const EngineTlsHello *server, gpointer user_data);

static void
engine_tls_each_record(EngineTls *self, EngineTlsRecordFunc write, gpointer user_data)
{
	guint n = self->hellos->len;
	g_autofree guint *server_of = g_new(guint, MAX(n, 1));
	/* "transport stream" -> the latest ClientHello no ServerHello joined yet */
	g_autoptr(GHashTable) waiting = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < n; i++) {
		const EngineTlsHello *hello = &g_array_index(self->hellos, EngineTlsHello, i);
		server_of[i] = ENGINE_TLS_NONE;
		if (!hello->has_stream)
			continue;
		char *key = g_strdup_printf("%s %u", hello->transport, hello->stream);
		gpointer client;
		if (hello->is_client) {
			g_hash_table_replace(waiting, key, GUINT_TO_POINTER(i + 1));
			continue;
		}
		if (g_hash_table_lookup_extended(waiting, key, NULL, &client)) {
			server_of[GPOINTER_TO_UINT(client) - 1] = i;
			g_hash_table_remove(waiting, key);
		}
		g_free(key);
	}
	for (guint i = 0; i < n; i++) {
		const EngineTlsHello *hello = &g_array_index(self->hellos, EngineTlsHello, i);
		if (!hello->is_client)
			continue;
		write(hello, server_of[i] != ENGINE_TLS_NONE ? &g_array_index(self->hellos, EngineTlsHello, server_of[i]) : NULL,
		      user_data);
	}
}

static void
engine_tls_write_record_cb(const EngineTlsHello *client, const EngineTlsHello *server, gpointer user_data)
{
	engine_tls_write_record(user_data, client, server);
}

void
engine_tls_write(EngineTls *self, JsonWriter *writer)
{
	json_writer_begin_object(writer);
	json_writer_key(writer, "handshakes");
	json_writer_begin_array(writer);
	engine_tls_each_record(self, engine_tls_write_record_cb, writer);
	json_writer_end_array(writer);
	json_writer_end_object(writer);
}

static void
engine_tls_write_line_cb(const EngineTlsHello *client, const EngineTlsHello *server, gpointer user_data)
{
	GString *out = user_data;
	g_autoptr(JsonWriter) writer = json_writer_new();
	engine_tls_write_record(writer, client, server);
	engine_merge_line_append(out, client->frame, writer);
}

void
engine_tls_write_partial(EngineTls *self, GString *out)
{
	engine_tls_each_record(self, engine_tls_write_line_cb, out);
}
