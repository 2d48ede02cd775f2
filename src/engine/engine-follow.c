/* engine-follow.c: the follow stream job (engine-follow.h).
 * libwireshark does the following itself: its follower's tap listener, registered with the
 * follower's own filter for the stream, gathers the payloads (TCP's reordering included) into
 * a follow_info_t during one pass. This module finds the follower, runs that pass, and writes
 * what was gathered, labelling the directions as tshark does (sharkd 4.0 swaps the byte counts).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-follow.h"

#include "engine/engine-session.h"
#include "json-writer.h"
#include "sharkapi-error.h"

#include <string.h>

#include <wireshark.h>
#include <epan/epan_dissect.h>
#include <epan/follow.h>
#include <epan/tap.h>
#include <epan/to_str.h>

/* Body bytes gathered before they are handed on. */
#define ENGINE_FOLLOW_CHUNK (48 * 1024)

typedef struct {
	const char *wanted;
	register_follow_t *found;
	GString *known; /* every follower's name, for the error */
} EngineFollowLookup;

static const char *
engine_follow_name(register_follow_t *follower)
{
	return proto_get_protocol_filter_name(get_follow_proto_id(follower));
}

static gboolean
engine_follow_lookup_cb(const void *key, void *value, void *user_data)
{
	EngineFollowLookup *lookup = user_data;
	register_follow_t *follower = value;
	const char *name = engine_follow_name(follower);

	g_string_append_printf(lookup->known, "%s%s", lookup->known->len > 0 ? ", " : "", name);
	if (lookup->found == NULL && g_ascii_strcasecmp(name, lookup->wanted) == 0)
		lookup->found = follower;
	return FALSE;
}

static register_follow_t *
engine_follow_find(const char *protocol, GError **error)
{
	g_autoptr(GString) known = g_string_new(NULL);
	EngineFollowLookup lookup = {protocol, NULL, known};

	follow_iterate_followers(engine_follow_lookup_cb, &lookup);
	if (lookup.found == NULL)
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "protocol: no follower for '%s'; known: %s", protocol, known->str);
	return lookup.found;
}

/* tshark asks for a substream for these two only. */
static gboolean
engine_follow_has_substreams(const char *name)
{
	return strcmp(name, "http2") == 0 || strcmp(name, "quic") == 0;
}

static void
engine_follow_write_endpoint(JsonWriter *writer, const char *key, const address *addr, guint port, guint64 bytes)
{
	char text[WS_INET6_ADDRSTRLEN + 64] = "";

	if (addr->type != AT_NONE)
		address_to_str_buf(addr, text, sizeof text);
	json_writer_key(writer, key);
	json_writer_begin_object(writer);
	json_writer_member_string(writer, "address", text);
	json_writer_member_int(writer, "bytes", (gint64)bytes);
	json_writer_member_int(writer, "port", port);
	json_writer_end_object(writer);
}

typedef struct {
	JsonWriter *writer;
	EngineFieldsDataFunc data;
	gpointer data_user;
} EngineFollowOutput;

static gboolean
engine_follow_flush(EngineFollowOutput *out, gboolean final, GError **error)
{
	if (!final && json_writer_get_length(out->writer) < ENGINE_FOLLOW_CHUNK)
		return TRUE;
	g_autoptr(GBytes) chunk = json_writer_take(out->writer);
	gsize length = 0;
	const char *bytes = g_bytes_get_data(chunk, &length);
	return length == 0 || out->data(bytes, length, out->data_user, error);
}

static gboolean
engine_follow_write(EngineFollowOutput *out, const EngineFollowRequest *request, const char *name,
		    follow_info_t *info, guint64 *chunks, GError **error)
{
	JsonWriter *writer = out->writer;
	/* Each side's bytes are those of its chunks: follow_info's own counters leave out data the
	 * followers hand over later (TCP's out-of-order segments), so they disagree with the chunks. */
	guint64 sent[2] = {0, 0};

	json_writer_begin_object(writer);
	json_writer_key(writer, "data");
	json_writer_begin_object(writer);
	json_writer_key(writer, "chunks");
	json_writer_begin_array(writer);
	/* The payload list is newest first. */
	for (GList *link = g_list_last(info->payload); link != NULL; link = link->prev) {
		follow_record_t *record = link->data;
		g_autofree char *encoded = g_base64_encode(record->data->data, record->data->len);
		json_writer_begin_object(writer);
		json_writer_member_string(writer, "data", encoded);
		json_writer_member_int(writer, "frame", record->packet_num);
		json_writer_member_string(writer, "from", record->is_server ? "server" : "client");
		json_writer_end_object(writer);
		sent[record->is_server ? FROM_SERVER : FROM_CLIENT] += record->data->len;
		(*chunks)++;
		if (!engine_follow_flush(out, FALSE, error))
			return FALSE;
	}
	json_writer_end_array(writer);
	engine_follow_write_endpoint(writer, "client", &info->client_ip, info->client_port, sent[FROM_CLIENT]);
	json_writer_member_string(writer, "filter", info->filter_out_filter);
	json_writer_member_string(writer, "protocol", name);
	engine_follow_write_endpoint(writer, "server", &info->server_ip, info->server_port, sent[FROM_SERVER]);
	json_writer_member_int(writer, "stream", request->stream);
	if (request->substream >= 0)
		json_writer_member_int(writer, "substream", request->substream);
	json_writer_end_object(writer);
	json_writer_end_object(writer);
	return engine_follow_flush(out, TRUE, error);
}

static EngineFrameResult
engine_follow_frame_cb(epan_dissect_t *edt, frame_data *fdata, gpointer user_data)
{
	return ENGINE_FRAME_DISPLAYED;
}

gboolean
engine_follow_run(Engine *engine, const EngineFollowRequest *request, EngineFieldsDataFunc data, gpointer data_user,
		  EngineProgressFunc progress, gpointer progress_data, guint64 *chunks, GError **error)
{
	register_follow_t *follower = engine_follow_find(request->protocol, error);
	g_autoptr(JsonWriter) writer = json_writer_new();
	EngineFollowOutput out = {writer, data, data_user};
	g_autoptr(EngineSession) session = NULL;
	follow_info_t *info;
	const char *name;
	GString *tap_error;
	gboolean ok;

	*chunks = 0;
	if (follower == NULL)
		return FALSE;
	name = engine_follow_name(follower);
	if (request->stream < 0 || request->stream > G_MAXUINT32) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "stream: a stream index, 0 or more");
		return FALSE;
	}
	if (engine_follow_has_substreams(name) != (request->substream >= 0) || request->substream > G_MAXUINT32) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    engine_follow_has_substreams(name) ? "substream: %s streams are followed by stream and substream"
							       : "substream: %s streams have no substreams",
			    name);
		return FALSE;
	}
	session = engine_open_single_pass(engine, request->capture, error);
	if (session == NULL)
		return FALSE;

	info = g_new0(follow_info_t, 1);
	info->substream_id = request->substream >= 0 ? (guint64)request->substream : SUBSTREAM_UNUSED;
	info->filter_out_filter = get_follow_index_func(follower)((guint)request->stream,
								  request->substream >= 0 ? (guint)request->substream : 0);
	if (info->filter_out_filter == NULL) {
		follow_info_free(info);
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "stream: no filter for %s stream %" G_GINT64_FORMAT,
			    name, request->stream);
		return FALSE;
	}
	tap_error = register_tap_listener(get_follow_tap_string(follower), info, info->filter_out_filter, 0, NULL,
					  get_follow_tap_handler(follower), NULL, NULL);
	if (tap_error != NULL) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "following %s: %s", name, tap_error->str);
		g_string_free(tap_error, TRUE);
		follow_info_free(info);
		return FALSE;
	}
	EngineLoop loop = {
	    /* The tap's filter needs a tree; epan primes it with the filter's fields. */
	    .edt = epan_dissect_new(engine_session_get_epan(session), TRUE, FALSE),
	    .frame = engine_follow_frame_cb,
	    .progress = {progress, progress_data, 0.0, 1.0},
	};
	ok = engine_session_run_single_pass(session, &loop, error);
	epan_dissect_free(loop.edt);
	remove_tap_listener(info);
	/* A stream that exists but carries no payload (a handshake alone) still has its endpoints,
	 * as tshark prints them; one with no frame at all has none. */
	if (ok && info->payload == NULL && info->client_ip.type == AT_NONE && info->server_ip.type == AT_NONE) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "%s stream %" G_GINT64_FORMAT "%s has no traffic",
			    name, request->stream, request->substream >= 0 ? " (with that substream)" : "");
		ok = FALSE;
	}
	if (ok)
		ok = engine_follow_write(&out, request, name, info, chunks, error);
	follow_info_free(info);
	return ok;
}
