/* engine-hierarchy.c: protocol hierarchy statistics.
 * Counts like tshark 4.0's io,phs (ui/cli/tap-protohierstat.c, which is not in the library):
 * the protocols epan put at the top level of a frame's tree, in order, form one path of a trie;
 * every node on the path counts the frame and its bytes. Pseudo-protocols that epan adds at the
 * top level (_ws.short, _ws.malformed, ...) are counted like any other. The tree must not have
 * frame.* fields primed, or a "frame" node tops every path (notes, pitfall 7).
 * Must not touch the dissection loop: it only listens on the "frame" tap.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-hierarchy.h"

#include "engine/engine-filter.h"
#include "sharkapi-error.h"

#include <string.h>

#include <wireshark.h>
#include <epan/epan_dissect.h>
#include <epan/proto.h>
#include <epan/tap.h>

typedef struct EngineHierarchyNode EngineHierarchyNode;

struct EngineHierarchyNode {
	int protocol;
	const char *abbrev; /* the protocol's filter name, owned by epan's registrar or by merged */
	guint32 first_frame; /* where it first appeared: orders a shard merge */
	guint32 frames;
	guint64 bytes;
	GPtrArray *children; /* of EngineHierarchyNode, in order of first appearance; lazy */
};

struct EngineHierarchy {
	char *filter;
	EngineHierarchyNode root; /* counts nothing itself: its children are the top level */
	gboolean registered;
	GStringChunk *merged_names; /* abbrevs read from shards' partial results */
};

static void
engine_hierarchy_node_free(gpointer data)
{
	EngineHierarchyNode *node = data;
	if (node->children != NULL)
		g_ptr_array_free(node->children, TRUE);
	g_free(node);
}

EngineHierarchy *
engine_hierarchy_new(const char *filter)
{
	EngineHierarchy *self = g_new0(EngineHierarchy, 1);
	self->filter = g_strdup(engine_filter_is_empty(filter) ? "" : filter);
	self->root.protocol = -1;
	return self;
}

void
engine_hierarchy_free(EngineHierarchy *self)
{
	if (self == NULL)
		return;
	if (self->registered)
		remove_tap_listener(self);
	if (self->root.children != NULL)
		g_ptr_array_free(self->root.children, TRUE);
	if (self->merged_names != NULL)
		g_string_chunk_free(self->merged_names);
	g_free(self->filter);
	g_free(self);
}

/* The child of parent for this protocol, appended if it is new. */
static EngineHierarchyNode *
engine_hierarchy_child(EngineHierarchyNode *parent, const header_field_info *hfinfo, guint32 frame)
{
	EngineHierarchyNode *child;

	if (parent->children == NULL)
		parent->children = g_ptr_array_new_with_free_func(engine_hierarchy_node_free);
	for (guint i = 0; i < parent->children->len; i++) {
		child = g_ptr_array_index(parent->children, i);
		if (child->protocol == hfinfo->id)
			return child;
	}
	child = g_new0(EngineHierarchyNode, 1);
	child->protocol = hfinfo->id;
	child->abbrev = hfinfo->abbrev;
	child->first_frame = frame;
	g_ptr_array_add(parent->children, child);
	return child;
}

static tap_packet_status
engine_hierarchy_packet_cb(void *tapdata, packet_info *pinfo, epan_dissect_t *edt,
			   const void *data, tap_flags_t flags)
{
	EngineHierarchy *self = tapdata;
	EngineHierarchyNode *level = &self->root;

	if (edt == NULL || edt->tree == NULL)
		return TAP_PACKET_DONT_REDRAW;
	for (proto_node *node = edt->tree->first_child; node != NULL; node = node->next) {
		field_info *finfo = PNODE_FINFO(node);
		level = engine_hierarchy_child(level, finfo->hfinfo, pinfo->num);
		level->frames++;
		level->bytes += pinfo->fd->pkt_len;
	}
	return TAP_PACKET_REDRAW;
}

gboolean
engine_hierarchy_register(EngineHierarchy *self, GError **error)
{
	GString *failure = register_tap_listener("frame", self, self->filter[0] ? self->filter : NULL,
						 TL_REQUIRES_PROTO_TREE, NULL,
						 engine_hierarchy_packet_cb, NULL, NULL);
	if (failure != NULL) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "%s", failure->str);
		g_string_free(failure, TRUE);
		return FALSE;
	}
	self->registered = TRUE;
	return TRUE;
}

static void
engine_hierarchy_write_nodes(const GPtrArray *nodes, gboolean partial, JsonWriter *writer)
{
	json_writer_begin_array(writer);
	for (guint i = 0; i < nodes->len; i++) {
		const EngineHierarchyNode *node = g_ptr_array_index(nodes, i);
		json_writer_begin_object(writer);
		if (partial)
			json_writer_member_int(writer, "_first", node->first_frame);
		json_writer_key(writer, "bytes");
		json_writer_uint(writer, node->bytes);
		json_writer_key(writer, "frames");
		json_writer_uint(writer, node->frames);
		json_writer_member_string(writer, "proto", node->abbrev);
		if (node->children != NULL && node->children->len > 0) {
			json_writer_key(writer, "protos");
			engine_hierarchy_write_nodes(node->children, partial, writer);
		}
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
}

static void
engine_hierarchy_write_document(EngineHierarchy *self, gboolean partial, JsonWriter *writer)
{
	g_autoptr(GPtrArray) empty = g_ptr_array_new();

	json_writer_begin_object(writer);
	json_writer_member_string(writer, "filter", self->filter);
	json_writer_key(writer, "protos");
	engine_hierarchy_write_nodes(self->root.children != NULL ? self->root.children : empty,
				     partial, writer);
	json_writer_end_object(writer);
}

void
engine_hierarchy_write(EngineHierarchy *self, JsonWriter *writer)
{
	engine_hierarchy_write_document(self, FALSE, writer);
}

void
engine_hierarchy_write_partial(EngineHierarchy *self, JsonWriter *writer)
{
	engine_hierarchy_write_document(self, TRUE, writer);
}

static void
engine_hierarchy_visit_nodes(const GPtrArray *nodes, const char *parent, EngineHierarchyVisitFunc visit,
			     gpointer user_data)
{
	for (guint i = 0; nodes != NULL && i < nodes->len; i++) {
		const EngineHierarchyNode *node = g_ptr_array_index(nodes, i);
		visit(node->abbrev, parent, user_data);
		engine_hierarchy_visit_nodes(node->children, node->abbrev, visit, user_data);
	}
}

void
engine_hierarchy_visit(EngineHierarchy *self, EngineHierarchyVisitFunc visit, gpointer user_data)
{
	engine_hierarchy_visit_nodes(self->root.children, NULL, visit, user_data);
}

/* ---- merging shards' partial hierarchies ---- */

static gint
engine_hierarchy_compare_first(gconstpointer a, gconstpointer b)
{
	const EngineHierarchyNode *left = *(const EngineHierarchyNode *const *)a;
	const EngineHierarchyNode *right = *(const EngineHierarchyNode *const *)b;
	return left->first_frame < right->first_frame ? -1 : left->first_frame > right->first_frame;
}

static gboolean
engine_hierarchy_merge_nodes(EngineHierarchy *self, EngineHierarchyNode *parent, JsonArray *nodes,
			     GError **error)
{
	for (guint i = 0; i < json_array_get_length(nodes); i++) {
		JsonObject *object = json_array_get_object_element(nodes, i);
		const char *abbrev;
		EngineHierarchyNode *child = NULL;

		if (object == NULL || !json_object_has_member(object, "proto") ||
		    !json_object_has_member(object, "_first")) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL,
				    "a shard's hierarchy is not a partial result");
			return FALSE;
		}
		abbrev = json_object_get_string_member(object, "proto");
		if (parent->children == NULL)
			parent->children = g_ptr_array_new_with_free_func(engine_hierarchy_node_free);
		for (guint k = 0; k < parent->children->len && child == NULL; k++) {
			EngineHierarchyNode *candidate = g_ptr_array_index(parent->children, k);
			if (strcmp(candidate->abbrev, abbrev) == 0)
				child = candidate;
		}
		if (child == NULL) {
			child = g_new0(EngineHierarchyNode, 1);
			child->protocol = -1;
			child->abbrev = g_string_chunk_insert_const(self->merged_names, abbrev);
			child->first_frame = G_MAXUINT32;
			g_ptr_array_add(parent->children, child);
		}
		child->first_frame = MIN(child->first_frame, (guint32)json_object_get_int_member(object, "_first"));
		child->frames += (guint32)json_object_get_int_member(object, "frames");
		child->bytes += (guint64)json_object_get_int_member(object, "bytes");
		if (json_object_has_member(object, "protos") &&
		    !engine_hierarchy_merge_nodes(self, child, json_object_get_array_member(object, "protos"), error))
			return FALSE;
	}
	return TRUE;
}

static void
engine_hierarchy_sort_nodes(GPtrArray *nodes)
{
	if (nodes == NULL)
		return;
	/* One pass appends a node when it first sees it: order of first appearance. */
	g_ptr_array_sort(nodes, engine_hierarchy_compare_first);
	for (guint i = 0; i < nodes->len; i++)
		engine_hierarchy_sort_nodes(((EngineHierarchyNode *)g_ptr_array_index(nodes, i))->children);
}

gboolean
engine_hierarchy_merge_partial(EngineHierarchy *self, JsonObject *partial, GError **error)
{
	if (self->merged_names == NULL)
		self->merged_names = g_string_chunk_new(1024);
	if (!json_object_has_member(partial, "protos") ||
	    !engine_hierarchy_merge_nodes(self, &self->root, json_object_get_array_member(partial, "protos"), error))
		return FALSE;
	engine_hierarchy_sort_nodes(self->root.children);
	return TRUE;
}
