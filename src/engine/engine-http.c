/* engine-http.c: HTTP/1.x requests and responses (API.md "http/requests") from the summary
 * pass's trees. Each "http" protocol node is one message; its primed fields are read in tree
 * order, with the innermost IP and TCP layers before it (engine-dns-carrier.c reads those from
 * the bytes, so no ip.* field is primed) and tcp.stream. Messages are copied out of packet
 * scope; requests and responses are paired at write time on libwireshark's own link
 * (http.request_in names the request's frame), as engine-dns.c pairs DNS messages.
 * Must not own the dissection loop, prime frame.* fields or write files (the summary pass
 * does all three).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine-http"
#define WS_LOG_DOMAIN "engine-http"

#include "engine/engine-http.h"

#include "engine/engine-dns-merge.h"
#include "engine/engine-field-roles.h"
#include "engine/engine-dns-carrier.h"

#include <wireshark.h>
#include <epan/proto.h>

typedef enum {
	ENGINE_HTTP_ROLE_NONE,
	ENGINE_HTTP_ROLE_MESSAGE,  /* the "http" protocol node */
	ENGINE_HTTP_ROLE_STREAM,   /* tcp.stream, in the TCP layer before the message */
	ENGINE_HTTP_ROLE_METHOD,
	ENGINE_HTTP_ROLE_URI,
	ENGINE_HTTP_ROLE_HOST,
	ENGINE_HTTP_ROLE_USER_AGENT,
	ENGINE_HTTP_ROLE_CONTENT_TYPE,
	ENGINE_HTTP_ROLE_CODE,
	ENGINE_HTTP_ROLE_PHRASE,
	ENGINE_HTTP_ROLE_REQUEST_IN,
	ENGINE_HTTP_ROLE_TIME,
	ENGINE_HTTP_ROLE_FILE_DATA, /* the body, after de-chunking and decompression */
	ENGINE_HTTP_ROLE_CARRIER,   /* + EngineDnsLayer */
} EngineHttpRole;

static const struct {
	const char *name;
	EngineHttpRole role;
} engine_http_fields[] = {
	{"http", ENGINE_HTTP_ROLE_MESSAGE},
	{"tcp.stream", ENGINE_HTTP_ROLE_STREAM},
	{"http.request.method", ENGINE_HTTP_ROLE_METHOD},
	{"http.request.uri", ENGINE_HTTP_ROLE_URI},
	{"http.host", ENGINE_HTTP_ROLE_HOST},
	{"http.user_agent", ENGINE_HTTP_ROLE_USER_AGENT},
	{"http.content_type", ENGINE_HTTP_ROLE_CONTENT_TYPE},
	{"http.response.code", ENGINE_HTTP_ROLE_CODE},
	{"http.response.phrase", ENGINE_HTTP_ROLE_PHRASE},
	{"http.request_in", ENGINE_HTTP_ROLE_REQUEST_IN},
	{"http.time", ENGINE_HTTP_ROLE_TIME},
	{"http.file_data", ENGINE_HTTP_ROLE_FILE_DATA},
};

#define ENGINE_HTTP_NONE G_MAXUINT

typedef struct {
	guint32 frame;
	nstime_t time;
	EngineDnsCarrier carrier;
	guint32 stream;
	gboolean has_stream;
	const char *method; /* NULL: not a request */
	const char *uri;
	const char *host;
	const char *user_agent;
	const char *content_type;
	guint32 code;
	gboolean has_code;  /* a response */
	const char *phrase;
	guint32 request_in;
	nstime_t delay;
	gboolean has_delay;
	guint32 body_size;
	gboolean has_body;
} EngineHttpMessage;

struct EngineHttp {
	int proto_http;
	EngineFieldRoles *fields; /* hf id -> EngineHttpRole; the values kept */
	GArray *messages; /* EngineHttpMessage, requests and responses only, in frame order */
};

EngineHttp *
engine_http_new(void)
{
	EngineHttp *self = g_new0(EngineHttp, 1);

	self->proto_http = proto_registrar_get_id_byname("http");
	self->fields = engine_field_roles_new();
	self->messages = g_array_new(FALSE, TRUE, sizeof(EngineHttpMessage));
	for (guint i = 0; i < G_N_ELEMENTS(engine_http_fields); i++)
		engine_field_roles_add(self->fields, engine_http_fields[i].name, engine_http_fields[i].role);
	engine_field_roles_add_carriers(self->fields, ENGINE_HTTP_ROLE_CARRIER);
	return self;
}

void
engine_http_free(EngineHttp *self)
{
	if (self == NULL)
		return;
	engine_field_roles_free(self->fields);
	g_array_unref(self->messages);
	g_free(self);
}

void
engine_http_prime_hfids(EngineHttp *self, GArray *hfids)
{
	engine_field_roles_prime(self->fields, hfids);
}

static EngineHttpRole
engine_http_role(EngineHttp *self, const field_info *fi)
{
	return (EngineHttpRole)engine_field_roles_get(self->fields, fi);
}

/* A string field's value as tshark -T fields prints it, kept for the whole file. */
static const char *
engine_http_text(EngineHttp *self, field_info *fi)
{
	return engine_field_roles_text(self->fields, fi);
}

static void
engine_http_read_field(EngineHttp *self, EngineHttpMessage *message, EngineHttpRole role, field_info *fi)
{
	/* The first of each: a header repeated, or a body's own parts, do not replace it. */
	switch (role) {
	case ENGINE_HTTP_ROLE_METHOD:
		if (message->method == NULL)
			message->method = engine_http_text(self, fi);
		break;
	case ENGINE_HTTP_ROLE_URI:
		if (message->uri == NULL)
			message->uri = engine_http_text(self, fi);
		break;
	case ENGINE_HTTP_ROLE_HOST:
		if (message->host == NULL)
			message->host = engine_http_text(self, fi);
		break;
	case ENGINE_HTTP_ROLE_USER_AGENT:
		if (message->user_agent == NULL)
			message->user_agent = engine_http_text(self, fi);
		break;
	case ENGINE_HTTP_ROLE_CONTENT_TYPE:
		if (message->content_type == NULL)
			message->content_type = engine_http_text(self, fi);
		break;
	case ENGINE_HTTP_ROLE_CODE:
		if (!message->has_code) {
			message->code = fvalue_get_uinteger(&fi->value);
			message->has_code = TRUE;
		}
		break;
	case ENGINE_HTTP_ROLE_PHRASE:
		if (message->phrase == NULL)
			message->phrase = engine_http_text(self, fi);
		break;
	case ENGINE_HTTP_ROLE_REQUEST_IN:
		if (message->request_in == 0)
			message->request_in = fvalue_get_uinteger(&fi->value);
		break;
	case ENGINE_HTTP_ROLE_TIME:
		if (!message->has_delay) {
			message->delay = *fvalue_get_time(&fi->value);
			message->has_delay = TRUE;
		}
		break;
	case ENGINE_HTTP_ROLE_FILE_DATA:
		if (!message->has_body) {
			message->body_size = (guint32)fi->length;
			message->has_body = TRUE;
		}
		break;
	default:
		break;
	}
}

/* Fields below one "http" node, in tree order (unprimed subtrees are faked: the primed
 * fields hang directly below the message). */
static void
engine_http_read_subtree(EngineHttp *self, EngineHttpMessage *message, proto_node *node)
{
	for (proto_node *child = node->first_child; child != NULL; child = child->next) {
		field_info *fi = PNODE_FINFO(child);
		EngineHttpRole role = engine_http_role(self, fi);
		if (role == ENGINE_HTTP_ROLE_MESSAGE)
			continue; /* a message inside a message is not this one's */
		if (role > ENGINE_HTTP_ROLE_STREAM && role < ENGINE_HTTP_ROLE_CARRIER)
			engine_http_read_field(self, message, role, fi);
		if (child->first_child != NULL)
			engine_http_read_subtree(self, message, child);
	}
}

typedef struct {
	EngineDnsCarrier carrier;
	guint32 stream;
	gboolean has_stream;
} EngineHttpWalk;

static void
engine_http_read_message(EngineHttp *self, proto_node *node, const EngineHttpWalk *walk, const frame_data *fdata)
{
	EngineHttpMessage message = {
		.frame = fdata->num,
		.time = fdata->abs_ts,
		.carrier = walk->carrier,
		.stream = walk->stream,
		.has_stream = walk->has_stream,
	};
	engine_http_read_subtree(self, &message, node);
	/* Continuations (a body's later segments) are neither: no record. */
	if (message.method != NULL || message.has_code)
		g_array_append_val(self->messages, message);
}

static void
engine_http_walk(EngineHttp *self, proto_node *node, EngineHttpWalk *walk, const frame_data *fdata)
{
	for (proto_node *child = node->first_child; child != NULL; child = child->next) {
		field_info *fi = PNODE_FINFO(child);
		EngineHttpRole role = engine_http_role(self, fi);
		if (role == ENGINE_HTTP_ROLE_MESSAGE) {
			engine_http_read_message(self, child, walk, fdata);
			continue;
		}
		if (role == ENGINE_HTTP_ROLE_STREAM) {
			walk->stream = fvalue_get_uinteger(&fi->value);
			walk->has_stream = TRUE;
		} else if (role > ENGINE_HTTP_ROLE_CARRIER) {
			engine_dns_carrier_update(&walk->carrier, role - ENGINE_HTTP_ROLE_CARRIER, fi, engine_field_roles_get_strings(self->fields));
		}
		if (child->first_child != NULL)
			engine_http_walk(self, child, walk, fdata);
	}
}

void
engine_http_frame(EngineHttp *self, epan_dissect_t *edt, const frame_data *fdata)
{
	if (edt->tree == NULL || self->proto_http < 0)
		return;
	/* Most frames carry no HTTP: one lookup in the primed-field index skips them. */
	GPtrArray *messages = proto_get_finfo_ptr_array(edt->tree, self->proto_http);
	if (messages == NULL || messages->len == 0)
		return;
	EngineHttpWalk walk = {0};
	engine_http_walk(self, edt->tree, &walk, fdata);
}

gboolean
engine_http_is_empty(EngineHttp *self)
{
	return self->messages->len == 0;
}

/* ---- pairing and output ---- */

static double
engine_http_seconds(const nstime_t *time)
{
	return (double)time->secs + (double)time->nsecs / 1e9;
}

static void
engine_http_member_string(JsonWriter *writer, const char *key, const char *value)
{
	json_writer_key(writer, key);
	json_writer_string(writer, value); /* NULL writes null */
}

static void
engine_http_member_port(JsonWriter *writer, const char *key, const EngineDnsCarrier *carrier, guint32 port)
{
	json_writer_key(writer, key);
	if (carrier->transport != NULL)
		json_writer_uint(writer, port);
	else
		json_writer_null(writer);
}

/* One record: a request with its response, or a response alone. */
static void
engine_http_write_record(JsonWriter *writer, const EngineHttpMessage *request, const EngineHttpMessage *response)
{
	const EngineHttpMessage *first = request != NULL ? request : response;
	const EngineDnsCarrier *carrier = &first->carrier;
	gboolean from_client = request != NULL;

	json_writer_begin_object(writer);
	engine_http_member_string(writer, "client", from_client ? carrier->src : carrier->dst);
	engine_http_member_port(writer, "client_port", carrier, from_client ? carrier->src_port : carrier->dst_port);
	engine_http_member_string(writer, "content_type", response != NULL ? response->content_type : NULL);
	json_writer_key(writer, "frame");
	if (request != NULL)
		json_writer_uint(writer, request->frame);
	else
		json_writer_null(writer);
	engine_http_member_string(writer, "host", request != NULL ? request->host : NULL);
	engine_http_member_string(writer, "method", request != NULL ? request->method : NULL);
	engine_http_member_string(writer, "reason", response != NULL ? response->phrase : NULL);
	json_writer_key(writer, "response_frame");
	if (response != NULL)
		json_writer_uint(writer, response->frame);
	else
		json_writer_null(writer);
	json_writer_key(writer, "response_size");
	if (response != NULL && response->has_body)
		json_writer_uint(writer, response->body_size);
	else if (response != NULL)
		json_writer_uint(writer, 0);
	else
		json_writer_null(writer);
	engine_http_member_string(writer, "server", from_client ? carrier->dst : carrier->src);
	engine_http_member_port(writer, "server_port", carrier, from_client ? carrier->dst_port : carrier->src_port);
	json_writer_key(writer, "status");
	if (response != NULL)
		json_writer_uint(writer, response->code);
	else
		json_writer_null(writer);
	json_writer_key(writer, "stream");
	if (first->has_stream)
		json_writer_uint(writer, first->stream);
	else
		json_writer_null(writer);
	json_writer_key(writer, "time");
	if (response != NULL && response->has_delay)
		json_writer_double(writer, engine_http_seconds(&response->delay));
	else
		json_writer_null(writer);
	engine_http_member_string(writer, "uri", request != NULL ? request->uri : NULL);
	engine_http_member_string(writer, "user_agent", request != NULL ? request->user_agent : NULL);
	json_writer_end_object(writer);
}

typedef void (*EngineHttpRecordFunc)(const EngineHttpMessage *request, const EngineHttpMessage *response,
				     gpointer user_data);

/* Every record, in order of its first frame: a response joins the first request of the frame
 * its http.request_in names that no response joined yet; any other response stands alone. */
static void
engine_http_each_record(EngineHttp *self, EngineHttpRecordFunc write, gpointer user_data)
{
	guint n = self->messages->len;
	g_autofree guint *partner = g_new(guint, MAX(n, 1));
	g_autoptr(GHashTable) first_in_frame = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (guint i = 0; i < n; i++) {
		const EngineHttpMessage *message = &g_array_index(self->messages, EngineHttpMessage, i);
		partner[i] = ENGINE_HTTP_NONE;
		if (!g_hash_table_contains(first_in_frame, GUINT_TO_POINTER(message->frame)))
			g_hash_table_insert(first_in_frame, GUINT_TO_POINTER(message->frame), GUINT_TO_POINTER(i));
	}
	for (guint i = 0; i < n; i++) {
		const EngineHttpMessage *response = &g_array_index(self->messages, EngineHttpMessage, i);
		gpointer value;
		if (response->method != NULL || response->request_in == 0 ||
		    !g_hash_table_lookup_extended(first_in_frame, GUINT_TO_POINTER(response->request_in), NULL, &value))
			continue;
		for (guint j = GPOINTER_TO_UINT(value); j < n; j++) {
			const EngineHttpMessage *request = &g_array_index(self->messages, EngineHttpMessage, j);
			if (request->frame != response->request_in || j >= i)
				break;
			if (request->method != NULL && partner[j] == ENGINE_HTTP_NONE) {
				partner[j] = i;
				partner[i] = j;
				break;
			}
		}
	}
	for (guint i = 0; i < n; i++) {
		const EngineHttpMessage *message = &g_array_index(self->messages, EngineHttpMessage, i);
		if (message->method != NULL) {
			const EngineHttpMessage *response = partner[i] != ENGINE_HTTP_NONE
				? &g_array_index(self->messages, EngineHttpMessage, partner[i]) : NULL;
			write(message, response, user_data);
		} else if (partner[i] == ENGINE_HTTP_NONE) {
			write(NULL, message, user_data);
		}
	}
}

static void
engine_http_write_record_cb(const EngineHttpMessage *request, const EngineHttpMessage *response, gpointer user_data)
{
	engine_http_write_record(user_data, request, response);
}

void
engine_http_write(EngineHttp *self, JsonWriter *writer)
{
	json_writer_begin_object(writer);
	json_writer_key(writer, "requests");
	json_writer_begin_array(writer);
	engine_http_each_record(self, engine_http_write_record_cb, writer);
	json_writer_end_array(writer);
	json_writer_end_object(writer);
}

static void
engine_http_write_line_cb(const EngineHttpMessage *request, const EngineHttpMessage *response, gpointer user_data)
{
	GString *out = user_data;
	g_autoptr(JsonWriter) writer = json_writer_new();
	engine_http_write_record(writer, request, response);
	engine_merge_line_append(out, (request != NULL ? request : response)->frame, writer);
}

void
engine_http_write_partial(EngineHttp *self, GString *out)
{
	engine_http_each_record(self, engine_http_write_line_cb, out);
}
