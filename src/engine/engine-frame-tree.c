/* engine-frame-tree.c: the packet detail job (engine-frame-tree.h).
 * One pass dissects frames 1..N-1 into a non-visible tree (dissector state must be what tshark
 * leaves it, and a visible tree costs 2.3x) and frame N alone into a visible one, then stops.
 * Two passes take frame N straight from the warm session's first pass.
 * Node keys follow PDML (epan/print.c): abbrev = name, label = showname (the item's text),
 * offset = pos (PDML's quirk for items before their parent included), length = size,
 * value = show; text-only items have no abbrev and their label as value, FT_NONE fields "",
 * protocols no value. PDML's geninfo and fake-field-wrapper elements are not nodes.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-frame-tree.h"

#include "engine/engine-session.h"
#include "json-writer.h"
#include "sharkapi-error.h"

#include <string.h>

#include <wireshark.h>
#include <epan/epan_dissect.h>
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <wiretap/wtap_opttypes.h>

#define ENGINE_FRAME_TREE_CHUNK (1024 * 1024)

typedef struct {
	const EngineFrameTreeRequest *request;
	epan_dissect_t *bulk;   /* frames before N */
	epan_dissect_t *detail; /* frame N */
	JsonWriter *writer;
	GSList *sources; /* edt->pi.data_src of frame N: a node's source is its tvb's index here */
	int proto_data;  /* the "data" protocol, which PDML prints as a field */
	gboolean found;
} EngineFrameTree;

static const char *
engine_frame_tree_severity_name(guint32 severity)
{
	switch (severity) {
	case PI_COMMENT: return "comment";
	case PI_CHAT: return "chat";
	case PI_NOTE: return "note";
	case PI_WARN: return "warn";
	case PI_ERROR: return "error";
	}
	return "unknown";
}

static void
engine_frame_tree_write_hex(JsonWriter *writer, tvbuff_t *tvb)
{
	guint length = tvb_captured_length(tvb);
	const guint8 *bytes = tvb_get_ptr(tvb, 0, (gint)length);
	g_autoptr(GString) hex = g_string_sized_new(length * 2 + 1);
	static const char digits[] = "0123456789abcdef";

	for (guint i = 0; i < length; i++) {
		g_string_append_c(hex, digits[bytes[i] >> 4]);
		g_string_append_c(hex, digits[bytes[i] & 0xf]);
	}
	json_writer_string_len(writer, hex->str, (gssize)hex->len);
}

static gint
engine_frame_tree_source_index(EngineFrameTree *self, tvbuff_t *tvb)
{
	gint index = 0;
	for (GSList *link = self->sources; link != NULL; link = link->next, index++) {
		if (get_data_source_tvb(link->data) == tvb)
			return index;
	}
	return 0;
}

/* The message of the expert info an item carries: its _ws.expert subtree's message field. */
static char *
engine_frame_tree_expert_message(proto_node *node)
{
	for (proto_node *child = node->first_child; child != NULL; child = child->next) {
		field_info *finfo = PNODE_FINFO(child);
		if (finfo == NULL || finfo->hfinfo->id != proto_expert)
			continue;
		for (proto_node *item = child->first_child; item != NULL; item = item->next) {
			field_info *message = PNODE_FINFO(item);
			if (message != NULL && strcmp(message->hfinfo->abbrev, "_ws.expert.message") == 0)
				return fvalue_to_string_repr(NULL, &message->value, FTREPR_DISPLAY, BASE_NONE);
		}
	}
	return NULL;
}

static void engine_frame_tree_write_children(EngineFrameTree *self, proto_node *node);

static void
engine_frame_tree_write_node(EngineFrameTree *self, proto_node *node)
{
	JsonWriter *writer = self->writer;
	field_info *finfo = PNODE_FINFO(node);
	header_field_info *hfinfo;
	gboolean text_only, hidden;
	char label[ITEM_LABEL_LENGTH];
	gint offset;

	if (finfo == NULL)
		return;
	hfinfo = finfo->hfinfo;
	hidden = proto_item_is_hidden(node);
	if (hidden && !self->request->hidden)
		return;
	text_only = hfinfo->id == hf_text_only;
	if (finfo->rep != NULL)
		g_strlcpy(label, finfo->rep->representation, sizeof label);
	else if (text_only)
		label[0] = '\0';
	else
		proto_item_fill_label(finfo, label);
	offset = finfo->start;
	if (node->parent != NULL && node->parent->finfo != NULL && finfo->start < node->parent->finfo->start)
		offset = node->parent->finfo->start + finfo->start;

	json_writer_begin_object(writer);
	if (!text_only)
		json_writer_member_string(writer, "abbrev", hfinfo->abbrev);
	if (node->first_child != NULL) {
		json_writer_key(writer, "children");
		engine_frame_tree_write_children(self, node);
	}
	/* The severity flag also marks every parent of the item (Wireshark colours them): the
	 * item itself is the one with the _ws.expert subtree. */
	guint32 severity = FI_GET_FLAG(finfo, PI_SEVERITY_MASK);
	g_autofree char *message = severity != 0 ? engine_frame_tree_expert_message(node) : NULL;
	if (message != NULL) {
		json_writer_key(writer, "expert");
		json_writer_begin_object(writer);
		json_writer_member_string(writer, "group",
					  val_to_str_const(FI_GET_FLAG(finfo, PI_GROUP_MASK), expert_group_vals, "Unknown"));
		json_writer_member_string(writer, "message", message);
		json_writer_member_string(writer, "severity", engine_frame_tree_severity_name(severity));
		json_writer_end_object(writer);
	}
	if (FI_GET_FLAG(finfo, FI_GENERATED))
		json_writer_member_bool(writer, "generated", TRUE);
	if (hidden)
		json_writer_member_bool(writer, "hidden", TRUE);
	json_writer_member_string(writer, "label", label);
	json_writer_member_int(writer, "length", finfo->length);
	json_writer_member_int(writer, "offset", offset);
	json_writer_member_int(writer, "source", engine_frame_tree_source_index(self, finfo->ds_tvb));
	if (text_only) {
		json_writer_member_string(writer, "value", label);
	} else if (hfinfo->type == FT_NONE) {
		json_writer_member_string(writer, "value", "");
	} else if (hfinfo->type != FT_PROTOCOL) {
		char *value = fvalue_to_string_repr(NULL, &finfo->value, FTREPR_DISPLAY, hfinfo->display);
		if (value != NULL)
			json_writer_member_string(writer, "value", value);
		wmem_free(NULL, value);
	}
	json_writer_end_object(writer);
}

static void
engine_frame_tree_write_children(EngineFrameTree *self, proto_node *node)
{
	json_writer_begin_array(self->writer);
	for (proto_node *child = node->first_child; child != NULL; child = child->next)
		engine_frame_tree_write_node(self, child);
	json_writer_end_array(self->writer);
}

static void
engine_frame_tree_write_comments(EngineFrameTree *self, const wtap_rec *rec)
{
	json_writer_begin_array(self->writer);
	for (guint i = 0; rec != NULL && rec->block != NULL; i++) {
		char *comment = NULL;
		if (wtap_block_get_nth_string_option_value(rec->block, OPT_COMMENT, i, &comment) != WTAP_OPTTYPE_SUCCESS)
			break;
		json_writer_string(self->writer, comment);
	}
	json_writer_end_array(self->writer);
}

/* The whole "data" object of frame N, from its visible tree. */
static void
engine_frame_tree_write(EngineFrameTree *self, epan_dissect_t *edt, guint32 number)
{
	JsonWriter *writer = self->writer;

	self->sources = edt->pi.data_src;
	json_writer_begin_object(writer);
	json_writer_key(writer, "bytes");
	engine_frame_tree_write_hex(writer, edt->tvb);
	json_writer_key(writer, "comments");
	engine_frame_tree_write_comments(self, edt->pi.rec);
	json_writer_key(writer, "data_sources");
	json_writer_begin_array(writer);
	for (GSList *link = self->sources; link != NULL; link = link->next) {
		char *name = get_data_source_name(link->data);
		json_writer_begin_object(writer);
		json_writer_key(writer, "bytes");
		engine_frame_tree_write_hex(writer, get_data_source_tvb(link->data));
		json_writer_member_string(writer, "name", name);
		json_writer_end_object(writer);
		wmem_free(NULL, name);
	}
	json_writer_end_array(writer);
	json_writer_member_int(writer, "frame", number);
	json_writer_key(writer, "tree");
	engine_frame_tree_write_children(self, edt->tree);
	json_writer_end_object(writer);
	self->found = TRUE;
}

static epan_dissect_t *
engine_frame_tree_select_cb(guint32 number, gpointer user_data)
{
	EngineFrameTree *self = user_data;
	return number == self->request->frame ? self->detail : self->bulk;
}

static EngineFrameResult
engine_frame_tree_frame_cb(epan_dissect_t *edt, frame_data *fdata, gpointer user_data)
{
	EngineFrameTree *self = user_data;
	/* As tshark -Y frame.number==N: the frames before are not displayed, so N's "displayed"
	 * deltas count from nothing. */
	if (fdata->num != self->request->frame)
		return ENGINE_FRAME_HIDDEN;
	engine_frame_tree_write(self, edt, fdata->num);
	return ENGINE_FRAME_STOP;
}

static gboolean
engine_frame_tree_dissect(EngineFrameTree *self, Engine *engine, EngineProgress *progress, GError **error)
{
	const EngineFrameTreeRequest *request = self->request;
	g_autoptr(EngineSession) owned = NULL;
	EngineSession *session =
	    engine_open_for_passes(engine, request->capture, request->passes, progress, &owned, error);
	epan_t *epan;
	gboolean ok;

	if (session == NULL)
		return FALSE;
	epan = engine_session_get_epan(session);
	self->detail = epan_dissect_new(epan, TRUE, TRUE);
	if (request->passes == 2) {
		ok = engine_session_dissect_frame(session, request->frame, self->detail, error);
		if (ok)
			engine_frame_tree_write(self, self->detail, request->frame);
		epan_dissect_free(self->detail);
		engine_session_release_frame(session);
		return ok;
	}
	self->bulk = epan_dissect_new(epan, TRUE, FALSE);
	EngineLoop loop = {
	    .edt = self->bulk,
	    .select = engine_frame_tree_select_cb,
	    .frame = engine_frame_tree_frame_cb,
	    .user_data = self,
	    .progress = *progress,
	};
	ok = engine_session_run_single_pass(session, &loop, error);
	if (ok && !self->found)
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "frame %u is not in the capture (it has %u frames)",
			    request->frame, engine_session_get_frame_count(session));
	epan_dissect_free(self->bulk);
	epan_dissect_free(self->detail);
	return ok && self->found;
}

gboolean
engine_frame_tree_run(Engine *engine, const EngineFrameTreeRequest *request, EngineFieldsDataFunc data,
		      gpointer data_user, EngineProgressFunc progress, gpointer progress_data, GError **error)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	EngineFrameTree self = {.request = request, .writer = writer};
	EngineProgress whole = {progress, progress_data, 0.0, 1.0};

	if (request->frame == 0) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "frame numbers start at 1");
		return FALSE;
	}
	if (!engine_frame_tree_dissect(&self, engine, &whole, error))
		return FALSE;
	/* Without its '{': the server opens the object and writes the members before "bytes".
	 * In pieces well below the worker protocol's frame limit (a reassembled source is large). */
	const char *body = json_writer_get_data(writer) + 1;
	gsize length = json_writer_get_length(writer) - 1;
	for (gsize done = 0; done < length; done += ENGINE_FRAME_TREE_CHUNK) {
		if (!data(body + done, MIN(ENGINE_FRAME_TREE_CHUNK, length - done), data_user, error))
			return FALSE;
	}
	return TRUE;
}
