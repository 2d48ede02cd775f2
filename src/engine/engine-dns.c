/* engine-dns.c: DNS lookups (API.md "dns/lookups") gathered from the summary pass's trees.
 * Each "dns" protocol node of a frame is one DNS message; its primed fields are read in tree
 * order, together with the innermost IP/IPv6 and UDP/TCP layers seen before it (so a message
 * carried in a tunnel or quoted in an ICMP error gets the addresses that carry it: see
 * engine-dns-carrier.c). Messages
 * are kept, small and copied out of packet scope; queries and responses are paired only at
 * write time, on libwireshark's own link (dns.response_to names the query's frame).
 * Must not own the dissection loop, prime frame.* fields or write files (the summary pass
 * does all three), and must not count mDNS or LLMNR, which are other protocols.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine-dns"
#define WS_LOG_DOMAIN "engine-dns"

#include "engine/engine-dns.h"
#include "engine/engine-dns-carrier.h"
#include "engine/engine-field-roles.h"

#include <string.h>

#include <wireshark.h>
#include <epan/proto.h>
#include <epan/value_string.h>

/* What a primed field means to this module. */
typedef enum {
	ENGINE_DNS_ROLE_NONE,
	ENGINE_DNS_ROLE_MESSAGE,     /* the "dns" protocol node itself */
	ENGINE_DNS_ROLE_ID,
	ENGINE_DNS_ROLE_RESPONSE,
	ENGINE_DNS_ROLE_RCODE,
	ENGINE_DNS_ROLE_ANSWER_COUNT,
	ENGINE_DNS_ROLE_QUERY_NAME,
	ENGINE_DNS_ROLE_QUERY_TYPE,
	ENGINE_DNS_ROLE_RESPONSE_TO,
	ENGINE_DNS_ROLE_TIME,
	ENGINE_DNS_ROLE_RR_NAME,     /* owner name of the next resource record */
	ENGINE_DNS_ROLE_SRV_LABEL,   /* SRV owners come as service, protocol, name instead */
	ENGINE_DNS_ROLE_RR_TYPE,     /* every record has one: it starts the record */
	ENGINE_DNS_ROLE_RR_TTL,
	ENGINE_DNS_ROLE_RR_DATA,     /* a value the Info column shows after the record type */
	ENGINE_DNS_ROLE_CARRIER,     /* + EngineDnsLayer: a carrying layer's protocol node */
} EngineDnsRole;

static const struct {
	const char *name;
	EngineDnsRole role;
} engine_dns_fields[] = {
	{"dns", ENGINE_DNS_ROLE_MESSAGE},
	{"dns.id", ENGINE_DNS_ROLE_ID},
	{"dns.flags.response", ENGINE_DNS_ROLE_RESPONSE},
	{"dns.flags.rcode", ENGINE_DNS_ROLE_RCODE},
	{"dns.count.answers", ENGINE_DNS_ROLE_ANSWER_COUNT},
	{"dns.qry.name", ENGINE_DNS_ROLE_QUERY_NAME},
	{"dns.qry.type", ENGINE_DNS_ROLE_QUERY_TYPE},
	{"dns.response_to", ENGINE_DNS_ROLE_RESPONSE_TO},
	{"dns.time", ENGINE_DNS_ROLE_TIME},
	{"dns.resp.name", ENGINE_DNS_ROLE_RR_NAME},
	{"dns.srv.service", ENGINE_DNS_ROLE_SRV_LABEL},
	{"dns.srv.proto", ENGINE_DNS_ROLE_SRV_LABEL},
	{"dns.srv.name", ENGINE_DNS_ROLE_SRV_LABEL},
	{"dns.resp.type", ENGINE_DNS_ROLE_RR_TYPE},
	{"dns.resp.ttl", ENGINE_DNS_ROLE_RR_TTL},
	/* Record data as the Info column shows it, fields joined by spaces in tree order:
	 * one field for addresses and names, "preference exchange" for MX, "priority weight
	 * port target" for SRV, "order preference flags" for NAPTR, "cpu os" for HINFO. Types
	 * whose data the Info column leaves out (TXT, RRSIG, HTTPS, OPT, ...) get "". */
	{"dns.a", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.aaaa", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.cname", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.ns", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.ptr.domain_name", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.dname", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.md", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.mf", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.mb", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.mg", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.mr", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.soa.mname", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.mx.preference", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.mx.mail_exchange", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.srv.priority", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.srv.weight", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.srv.port", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.srv.target", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.naptr.order", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.naptr.preference", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.naptr.flags", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.hinfo.cpu", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.hinfo.os", ENGINE_DNS_ROLE_RR_DATA},
	{"dns.wks.address", ENGINE_DNS_ROLE_RR_DATA},
};

#define ENGINE_DNS_NONE G_MAXUINT

typedef struct {
	const char *name;
	const char *type;
	const char *data;       /* "" when the Info column shows no data for the type */
	guint32 ttl;
	gboolean has_ttl;
} EngineDnsAnswer;

typedef struct {
	guint32 frame;
	nstime_t time;
	EngineDnsCarrier carrier;
	guint32 id;
	gboolean has_id;
	gboolean is_response;
	guint32 rcode;
	gboolean has_rcode;
	const char *query_name;  /* first question; NULL when none */
	const char *query_type;
	guint32 response_to;     /* 0: not linked */
	nstime_t rtt;
	gboolean has_rtt;
	guint32 answer_count;    /* dns.count.answers: the first records are the answers */
	guint answers_start;     /* into EngineDns.answers */
	guint answers_len;
	gboolean past_answers;   /* reading authority/additional records: ignored */
	GString *owner;          /* owner name of the record being read (while reading only) */
} EngineDnsMessage;

struct EngineDns {
	int proto_dns;
	EngineFieldRoles *fields; /* hf id -> EngineDnsRole; names and addresses kept once */
	header_field_info *type_field; /* dns.qry.type, whose value_string names the types */
	GArray *messages;        /* EngineDnsMessage, in frame order */
	GArray *answers;         /* EngineDnsAnswer of all messages */
};

EngineDns *
engine_dns_new(void)
{
	EngineDns *self = g_new0(EngineDns, 1);

	self->proto_dns = proto_registrar_get_id_byname("dns");
	self->fields = engine_field_roles_new();
	self->messages = g_array_new(FALSE, TRUE, sizeof(EngineDnsMessage));
	self->answers = g_array_new(FALSE, TRUE, sizeof(EngineDnsAnswer));
	for (guint i = 0; i < G_N_ELEMENTS(engine_dns_fields); i++)
		engine_field_roles_add(self->fields, engine_dns_fields[i].name, engine_dns_fields[i].role);
	engine_field_roles_add_carriers(self->fields, ENGINE_DNS_ROLE_CARRIER);
	int type_id = proto_registrar_get_id_byname("dns.qry.type");
	if (type_id >= 0)
		self->type_field = proto_registrar_get_nth(type_id);
	return self;
}

void
engine_dns_free(EngineDns *self)
{
	if (self == NULL)
		return;
	engine_field_roles_free(self->fields);
	g_array_unref(self->messages);
	g_array_unref(self->answers);
	g_free(self);
}

void
engine_dns_prime_hfids(EngineDns *self, GArray *hfids)
{
	engine_field_roles_prime(self->fields, hfids);
}

static EngineDnsRole
engine_dns_role(EngineDns *self, const field_info *fi)
{
	return (EngineDnsRole)engine_field_roles_get(self->fields, fi);
}

/* The value as tshark -T fields prints it, kept for the whole file. */
static const char *
engine_dns_text(EngineDns *self, field_info *fi)
{
	return engine_field_roles_text(self->fields, fi);
}

static guint32
engine_dns_uint(field_info *fi)
{
	/* Booleans are 64-bit in 4.0; every other field read here is an unsigned integer. */
	if (fi->hfinfo->type == FT_BOOLEAN)
		return fvalue_get_uinteger64(&fi->value) != 0;
	return fvalue_get_uinteger(&fi->value);
}

/* The mnemonic the Info column shows ("A", "HTTPS", "ANY"), from libwireshark's own type
 * table; its entries read "A (Host Address)", and "*" for 255, which Info names "ANY". */
static const char *
engine_dns_type_name(EngineDns *self, guint32 type)
{
	if (type == 255)
		return "ANY";
	const char *description = NULL;
	if (self->type_field != NULL && (self->type_field->display & BASE_EXT_STRING))
		description = try_val_to_str_ext(type, (value_string_ext *)self->type_field->strings);
	if (description == NULL) {
		g_autofree char *unknown = g_strdup_printf("Unknown (%u)", type);
		return engine_field_roles_keep(self->fields, unknown);
	}
	const char *space = strchr(description, ' ');
	if (space == NULL)
		return description;
	g_autofree char *mnemonic = g_strndup(description, space - description);
	return engine_field_roles_keep(self->fields, mnemonic);
}

static EngineDnsAnswer *
engine_dns_current_answer(EngineDns *self, EngineDnsMessage *message)
{
	if (message->past_answers || message->answers_len == 0)
		return NULL;
	return &g_array_index(self->answers, EngineDnsAnswer, self->answers->len - 1);
}

/* Owner names come before the type: a whole name, or SRV's three labels to be joined. */
static void
engine_dns_add_owner(EngineDns *self, EngineDnsMessage *message, EngineDnsRole role, field_info *fi)
{
	if (role == ENGINE_DNS_ROLE_RR_NAME)
		g_string_truncate(message->owner, 0);
	else if (message->owner->len > 0)
		g_string_append_c(message->owner, '.');
	g_string_append(message->owner, engine_dns_text(self, fi));
}

/* A resource record starts at its type: an answer while the header's answer count lasts. */
static void
engine_dns_begin_record(EngineDns *self, EngineDnsMessage *message, field_info *fi)
{
	if (message->past_answers || message->answers_len >= message->answer_count) {
		message->past_answers = TRUE;
		return;
	}
	EngineDnsAnswer answer = {
		.name = engine_field_roles_keep(self->fields, message->owner->str),
		.type = engine_dns_type_name(self, engine_dns_uint(fi)),
		.data = "",
	};
	g_string_truncate(message->owner, 0);
	g_array_append_val(self->answers, answer);
	message->answers_len++;
}

static void
engine_dns_add_record_data(EngineDns *self, EngineDnsAnswer *answer, field_info *fi)
{
	const char *value = engine_dns_text(self, fi);
	if (*answer->data == '\0') {
		answer->data = value;
		return;
	}
	g_autofree char *joined = g_strconcat(answer->data, " ", value, NULL);
	answer->data = engine_field_roles_keep(self->fields, joined);
}

static void
engine_dns_read_record_field(EngineDns *self, EngineDnsMessage *message, EngineDnsRole role, field_info *fi)
{
	if (role == ENGINE_DNS_ROLE_RR_NAME || role == ENGINE_DNS_ROLE_SRV_LABEL) {
		engine_dns_add_owner(self, message, role, fi);
		return;
	}
	if (role == ENGINE_DNS_ROLE_RR_TYPE) {
		engine_dns_begin_record(self, message, fi);
		return;
	}
	EngineDnsAnswer *answer = engine_dns_current_answer(self, message);
	if (answer == NULL)
		return;
	if (role == ENGINE_DNS_ROLE_RR_TTL) {
		answer->ttl = engine_dns_uint(fi);
		answer->has_ttl = TRUE;
	} else {
		engine_dns_add_record_data(self, answer, fi);
	}
}

static void
engine_dns_read_field(EngineDns *self, EngineDnsMessage *message, EngineDnsRole role, field_info *fi)
{
	switch (role) {
	case ENGINE_DNS_ROLE_ID:
		message->id = engine_dns_uint(fi);
		message->has_id = TRUE;
		break;
	case ENGINE_DNS_ROLE_RESPONSE:
		message->is_response = engine_dns_uint(fi) != 0;
		break;
	case ENGINE_DNS_ROLE_RCODE:
		message->rcode = engine_dns_uint(fi);
		message->has_rcode = TRUE;
		break;
	case ENGINE_DNS_ROLE_ANSWER_COUNT:
		message->answer_count = engine_dns_uint(fi);
		break;
	case ENGINE_DNS_ROLE_QUERY_NAME:
		if (message->query_name == NULL)
			message->query_name = engine_dns_text(self, fi);
		break;
	case ENGINE_DNS_ROLE_QUERY_TYPE:
		if (message->query_type == NULL)
			message->query_type = engine_dns_type_name(self, engine_dns_uint(fi));
		g_string_truncate(message->owner, 0); /* SRV labels of a question are no owner */
		break;
	case ENGINE_DNS_ROLE_RESPONSE_TO:
		message->response_to = engine_dns_uint(fi);
		break;
	case ENGINE_DNS_ROLE_TIME:
		message->rtt = *fvalue_get_time(&fi->value);
		message->has_rtt = TRUE;
		break;
	case ENGINE_DNS_ROLE_RR_NAME:
	case ENGINE_DNS_ROLE_SRV_LABEL:
	case ENGINE_DNS_ROLE_RR_TYPE:
	case ENGINE_DNS_ROLE_RR_TTL:
	case ENGINE_DNS_ROLE_RR_DATA:
		engine_dns_read_record_field(self, message, role, fi);
		break;
	default:
		break;
	}
}

/* Reads the fields under one "dns" node in tree order. In a non-visible tree the unprimed
 * subtrees (Queries, Answers, each record) are faked, so the primed fields hang directly
 * below the message; a primed parent (dns.flags, say, primed by a filter) only adds a level. */
static void
engine_dns_read_subtree(EngineDns *self, EngineDnsMessage *message, proto_node *node)
{
	for (proto_node *child = node->first_child; child != NULL; child = child->next) {
		field_info *fi = PNODE_FINFO(child);
		EngineDnsRole role = engine_dns_role(self, fi);
		if (role == ENGINE_DNS_ROLE_MESSAGE)
			continue; /* a message inside a message is not this one's */
		if (role != ENGINE_DNS_ROLE_NONE)
			engine_dns_read_field(self, message, role, fi);
		if (child->first_child != NULL)
			engine_dns_read_subtree(self, message, child);
	}
}

static void
engine_dns_read_message(EngineDns *self, proto_node *node, const EngineDnsCarrier *carrier,
			const frame_data *fdata)
{
	EngineDnsMessage message = {
		.frame = fdata->num,
		.time = fdata->abs_ts,
		.carrier = *carrier,
		.answers_start = self->answers->len,
		.owner = g_string_new(NULL),
	};
	engine_dns_read_subtree(self, &message, node);
	g_string_free(message.owner, TRUE);
	message.owner = NULL;
	g_array_append_val(self->messages, message);
}

/* Walks the frame's tree in order, remembering the latest IP and transport fields, so that
 * each message is read with the innermost layers that precede it. */
static void
engine_dns_walk(EngineDns *self, proto_node *node, EngineDnsCarrier *carrier, const frame_data *fdata)
{
	for (proto_node *child = node->first_child; child != NULL; child = child->next) {
		field_info *fi = PNODE_FINFO(child);
		EngineDnsRole role = engine_dns_role(self, fi);
		if (role == ENGINE_DNS_ROLE_MESSAGE) {
			engine_dns_read_message(self, child, carrier, fdata);
			continue;
		}
		if (role > ENGINE_DNS_ROLE_CARRIER)
			engine_dns_carrier_update(carrier, role - ENGINE_DNS_ROLE_CARRIER, fi, engine_field_roles_get_strings(self->fields));
		if (child->first_child != NULL)
			engine_dns_walk(self, child, carrier, fdata);
	}
}

void
engine_dns_frame(EngineDns *self, epan_dissect_t *edt, const frame_data *fdata)
{
	if (edt->tree == NULL || self->proto_dns < 0)
		return;
	/* Most frames carry no DNS: one lookup in the primed-field index skips them. */
	GPtrArray *messages = proto_get_finfo_ptr_array(edt->tree, self->proto_dns);
	if (messages == NULL || messages->len == 0)
		return;
	EngineDnsCarrier carrier = {0};
	engine_dns_walk(self, edt->tree, &carrier, fdata);
}

/* ---- Pairing and output ---- */

/* IANA's mnemonics for the header's 4-bit RCODE (RFC 6895). */
static const char *const engine_dns_rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
	"NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
};

static void
engine_dns_write_rcode_name(JsonWriter *writer, guint32 rcode)
{
	if (rcode < G_N_ELEMENTS(engine_dns_rcode_names)) {
		json_writer_string(writer, engine_dns_rcode_names[rcode]);
		return;
	}
	g_autofree char *text = g_strdup_printf("RCODE%u", rcode);
	json_writer_string(writer, text);
}

static double
engine_dns_seconds(const nstime_t *time)
{
	return (double)time->secs + (double)time->nsecs / 1e9;
}

/* The query a response links to: in the frame dns.response_to names, the query with the
 * same id (a TCP segment may hold several), else that frame's first query. */
static guint
engine_dns_find_query(EngineDns *self, GHashTable *first_in_frame, const EngineDnsMessage *response)
{
	gpointer value;
	if (!g_hash_table_lookup_extended(first_in_frame, GUINT_TO_POINTER(response->response_to), NULL, &value))
		return ENGINE_DNS_NONE;
	guint first_query = ENGINE_DNS_NONE;
	for (guint i = GPOINTER_TO_UINT(value); i < self->messages->len; i++) {
		const EngineDnsMessage *message = &g_array_index(self->messages, EngineDnsMessage, i);
		if (message->frame != response->response_to)
			break;
		if (message->is_response)
			continue;
		if (message->id == response->id)
			return i;
		if (first_query == ENGINE_DNS_NONE)
			first_query = i;
	}
	return first_query;
}

/* For every message, the first response paired to it (queries) or the query it is paired
 * to (responses); ENGINE_DNS_NONE otherwise. */
static guint *
engine_dns_pair(EngineDns *self, GHashTable *first_in_frame)
{
	guint n = self->messages->len;
	guint *partner = g_new(guint, MAX(n, 1));

	for (guint i = 0; i < n; i++)
		partner[i] = ENGINE_DNS_NONE;
	for (guint i = 0; i < n; i++) {
		const EngineDnsMessage *response = &g_array_index(self->messages, EngineDnsMessage, i);
		if (!response->is_response || response->response_to == 0)
			continue;
		guint query = engine_dns_find_query(self, first_in_frame, response);
		if (query != ENGINE_DNS_NONE && partner[query] == ENGINE_DNS_NONE) {
			partner[query] = i;
			partner[i] = query;
		}
	}
	return partner;
}

static void
engine_dns_write_answers(EngineDns *self, JsonWriter *writer, const EngineDnsMessage *response)
{
	json_writer_begin_array(writer);
	for (guint i = 0; response != NULL && i < response->answers_len; i++) {
		const EngineDnsAnswer *answer =
			&g_array_index(self->answers, EngineDnsAnswer, response->answers_start + i);
		json_writer_begin_object(writer);
		json_writer_member_string(writer, "data", answer->data);
		json_writer_member_string(writer, "name", answer->name);
		json_writer_key(writer, "ttl");
		if (answer->has_ttl)
			json_writer_uint(writer, answer->ttl);
		else
			json_writer_null(writer);
		json_writer_member_string(writer, "type", answer->type);
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
}

static void
engine_dns_write_port(JsonWriter *writer, const char *key, const EngineDnsCarrier *carrier, guint32 port)
{
	json_writer_key(writer, key);
	if (carrier->transport != NULL)
		json_writer_uint(writer, port);
	else
		json_writer_null(writer);
}

/* One lookup. query or response may be NULL (not both); linked is the query frame a lone
 * response names (0: none), linked_query that query when it was seen. */
typedef struct {
	const EngineDnsMessage *query;
	const EngineDnsMessage *response;
	guint32 linked;
	const EngineDnsMessage *linked_query;
} EngineDnsRecord;

static void
engine_dns_write_record(EngineDns *self, JsonWriter *writer, const EngineDnsRecord *record)
{
	/* The record is named after its first message; a lone response sees the client as
	 * the destination. */
	const EngineDnsMessage *first = record->query != NULL ? record->query : record->response;
	const EngineDnsMessage *response = record->response;
	const EngineDnsMessage *query_for_time = record->query != NULL ? record->query : record->linked_query;
	gboolean from_client = record->query != NULL;
	const EngineDnsCarrier *carrier = &first->carrier;

	json_writer_begin_object(writer);
	json_writer_key(writer, "answers");
	engine_dns_write_answers(self, writer, response);
	json_writer_member_string(writer, "client", from_client ? carrier->src : carrier->dst);
	engine_dns_write_port(writer, "client_port", carrier, from_client ? carrier->src_port : carrier->dst_port);
	json_writer_member_string(writer, "full_query", first->query_name != NULL ? first->query_name : "");
	json_writer_key(writer, "id");
	if (first->has_id)
		json_writer_uint(writer, first->id);
	else
		json_writer_null(writer);
	json_writer_key(writer, "query_frame");
	if (record->query != NULL)
		json_writer_uint(writer, record->query->frame);
	else if (record->linked != 0)
		json_writer_uint(writer, record->linked);
	else
		json_writer_null(writer);
	json_writer_key(writer, "query_time");
	if (query_for_time != NULL)
		json_writer_double(writer, engine_dns_seconds(&query_for_time->time));
	else
		json_writer_null(writer);
	json_writer_member_string(writer, "query_type", first->query_type != NULL ? first->query_type : "");
	json_writer_key(writer, "rcode");
	if (response != NULL && response->has_rcode)
		json_writer_uint(writer, response->rcode);
	else
		json_writer_null(writer);
	json_writer_key(writer, "rcode_name");
	if (response != NULL && response->has_rcode)
		engine_dns_write_rcode_name(writer, response->rcode);
	else
		json_writer_null(writer);
	json_writer_key(writer, "response_frame");
	if (response != NULL)
		json_writer_uint(writer, response->frame);
	else
		json_writer_null(writer);
	json_writer_key(writer, "rtt");
	if (response != NULL && response->has_rtt)
		json_writer_double(writer, engine_dns_seconds(&response->rtt));
	else
		json_writer_null(writer);
	json_writer_member_string(writer, "server", from_client ? carrier->dst : carrier->src);
	engine_dns_write_port(writer, "server_port", carrier, from_client ? carrier->dst_port : carrier->src_port);
	json_writer_member_string(writer, "transport", carrier->transport);
	json_writer_end_object(writer);
}

/* Frame number -> index of its first message, to follow dns.response_to. */
static GHashTable *
engine_dns_index_frames(EngineDns *self)
{
	GHashTable *first_in_frame = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; i < self->messages->len; i++) {
		const EngineDnsMessage *message = &g_array_index(self->messages, EngineDnsMessage, i);
		if (!g_hash_table_contains(first_in_frame, GUINT_TO_POINTER(message->frame)))
			g_hash_table_insert(first_in_frame, GUINT_TO_POINTER(message->frame), GUINT_TO_POINTER(i));
	}
	return first_in_frame;
}

/* Calls write for every lookup, in order of its first frame. */
typedef void (*EngineDnsRecordFunc)(EngineDns *self, const EngineDnsRecord *record, gpointer user_data);

static void
engine_dns_each_record(EngineDns *self, EngineDnsRecordFunc write, gpointer user_data)
{
	g_autoptr(GHashTable) first_in_frame = engine_dns_index_frames(self);
	g_autofree guint *partner = engine_dns_pair(self, first_in_frame);

	/* A query comes before its response, so walking the messages in order writes the
	 * records in order of their first frame, each message exactly once. */
	for (guint i = 0; i < self->messages->len; i++) {
		const EngineDnsMessage *message = &g_array_index(self->messages, EngineDnsMessage, i);
		EngineDnsRecord record = {0};
		if (!message->is_response) {
			record.query = message;
			if (partner[i] != ENGINE_DNS_NONE)
				record.response = &g_array_index(self->messages, EngineDnsMessage, partner[i]);
		} else if (partner[i] == ENGINE_DNS_NONE) {
			record.response = message;
			/* Linked to a query that an earlier response already answered. */
			record.linked = message->response_to;
			guint query = engine_dns_find_query(self, first_in_frame, message);
			if (query != ENGINE_DNS_NONE)
				record.linked_query = &g_array_index(self->messages, EngineDnsMessage, query);
		} else {
			continue; /* written with its query */
		}
		write(self, &record, user_data);
	}
}

static void
engine_dns_write_record_cb(EngineDns *self, const EngineDnsRecord *record, gpointer user_data)
{
	engine_dns_write_record(self, user_data, record);
}

void
engine_dns_write(EngineDns *self, JsonWriter *writer)
{
	json_writer_begin_object(writer);
	json_writer_key(writer, "lookups");
	json_writer_begin_array(writer);
	engine_dns_each_record(self, engine_dns_write_record_cb, writer);
	json_writer_end_array(writer);
	json_writer_end_object(writer);
}

static void
engine_dns_write_line_cb(EngineDns *self, const EngineDnsRecord *record, gpointer user_data)
{
	GString *out = user_data;
	const EngineDnsMessage *first = record->query != NULL ? record->query : record->response;
	g_autoptr(JsonWriter) writer = json_writer_new();
	g_autofree char *text = NULL;

	engine_dns_write_record(self, writer, record);
	text = json_writer_steal_string(writer);
	g_string_append_printf(out, "%u %s\n", first->frame, text);
}

void
engine_dns_write_partial(EngineDns *self, GString *out)
{
	engine_dns_each_record(self, engine_dns_write_line_cb, out);
}
