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

#include <wireshark.h>
#include <epan/epan_dissect.h>
#include <epan/proto.h>
#include <epan/tap.h>

typedef struct EngineHierarchyNode EngineHierarchyNode;

struct EngineHierarchyNode {
	int protocol;
	const char *abbrev; /* the protocol's filter name, owned by epan's registrar */
	guint32 frames;
	guint64 bytes;
	GPtrArray *children; /* of EngineHierarchyNode, in order of first appearance; lazy */
};

struct EngineHierarchy {
	char *filter;
	EngineHierarchyNode root; /* counts nothing itself: its children are the top level */
	gboolean registered;
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
	g_free(self->filter);
	g_free(self);
}

/* The child of parent for this protocol, appended if it is new. */
static EngineHierarchyNode *
engine_hierarchy_child(EngineHierarchyNode *parent, const header_field_info *hfinfo)
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
		level = engine_hierarchy_child(level, finfo->hfinfo);
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
engine_hierarchy_write_nodes(const GPtrArray *nodes, JsonWriter *writer)
{
	json_writer_begin_array(writer);
	for (guint i = 0; i < nodes->len; i++) {
		const EngineHierarchyNode *node = g_ptr_array_index(nodes, i);
		json_writer_begin_object(writer);
		json_writer_key(writer, "bytes");
		json_writer_uint(writer, node->bytes);
		json_writer_key(writer, "frames");
		json_writer_uint(writer, node->frames);
		json_writer_member_string(writer, "proto", node->abbrev);
		if (node->children != NULL && node->children->len > 0) {
			json_writer_key(writer, "protos");
			engine_hierarchy_write_nodes(node->children, writer);
		}
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
}

void
engine_hierarchy_write(EngineHierarchy *self, JsonWriter *writer)
{
	g_autoptr(GPtrArray) empty = g_ptr_array_new();

	json_writer_begin_object(writer);
	json_writer_member_string(writer, "filter", self->filter);
	json_writer_key(writer, "protos");
	engine_hierarchy_write_nodes(self->root.children != NULL ? self->root.children : empty,
				     writer);
	json_writer_end_object(writer);
}
