/* engine-expert.c: expert information from libwireshark's "expert" tap, registered like
 * tshark's -z expert (no tree of its own; the summary pass builds one anyway). Every item is
 * kept (frame, severity, group, protocol, summary; strings stored once), and the grouped table
 * is folded from them at write time exactly as tshark folds it: per severity, one row per
 * protocol and summary, in order of first appearance, carrying the first item's group.
 * Because the table is a fold of the items, shards merge by concatenating their items in
 * frame order and folding again.
 * Must not own the dissection loop or write files: the summary pass does both.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine-expert"
#define WS_LOG_DOMAIN "engine-expert"

#include "engine/engine-expert.h"

#include <string.h>

#include <wireshark.h>
#include <epan/expert.h>
#include <epan/tap.h>
#include <json-glib/json-glib.h>

#include "json-writer.h"
#include "sharkapi-error.h"

/* Severities from the highest, the order tshark prints its tables in. */
typedef enum {
	ENGINE_EXPERT_ERROR,
	ENGINE_EXPERT_WARN,
	ENGINE_EXPERT_NOTE,
	ENGINE_EXPERT_CHAT,
	ENGINE_EXPERT_COMMENT,
	ENGINE_EXPERT_N_SEVERITIES,
} EngineExpertSeverity;

static const char *const engine_expert_severity_names[] = {"error", "warn", "note", "chat", "comment"};

typedef struct {
	guint32 frame;
	EngineExpertSeverity severity;
	const char *group; /* in strings */
	const char *protocol;
	const char *summary;
} EngineExpertItem;

struct EngineExpert {
	char *filter;
	gboolean registered;
	GStringChunk *strings;
	GArray *items; /* EngineExpertItem, in the tap's order: frame order */
};

EngineExpert *
engine_expert_new(const char *filter)
{
	EngineExpert *self = g_new0(EngineExpert, 1);
	self->filter = g_strdup(filter != NULL ? filter : "");
	self->strings = g_string_chunk_new(4096);
	self->items = g_array_new(FALSE, FALSE, sizeof(EngineExpertItem));
	return self;
}

void
engine_expert_free(EngineExpert *self)
{
	if (self == NULL)
		return;
	if (self->registered)
		remove_tap_listener(self);
	g_string_chunk_free(self->strings);
	g_array_unref(self->items);
	g_free(self->filter);
	g_free(self);
}

static gboolean
engine_expert_severity(int severity, EngineExpertSeverity *out)
{
	switch (severity) {
	case PI_ERROR: *out = ENGINE_EXPERT_ERROR; return TRUE;
	case PI_WARN: *out = ENGINE_EXPERT_WARN; return TRUE;
	case PI_NOTE: *out = ENGINE_EXPERT_NOTE; return TRUE;
	case PI_CHAT: *out = ENGINE_EXPERT_CHAT; return TRUE;
	case PI_COMMENT: *out = ENGINE_EXPERT_COMMENT; return TRUE;
	default: return FALSE;
	}
}

/* The group's name as tshark prints it ("Sequence", "Unknown (N)"). */
static const char *
engine_expert_group_name(EngineExpert *self, int group)
{
	const char *name = try_val_to_str((guint32)group, expert_group_vals);
	if (name != NULL)
		return g_string_chunk_insert_const(self->strings, name);
	g_autofree char *unknown = g_strdup_printf("Unknown (%d)", group);
	return g_string_chunk_insert_const(self->strings, unknown);
}

static tap_packet_status
engine_expert_packet_cb(void *user_data, packet_info *pinfo, epan_dissect_t *edt, const void *data,
			tap_flags_t flags)
{
	EngineExpert *self = user_data;
	const expert_info_t *info = data;
	EngineExpertItem item = {.frame = pinfo->num};

	if (!engine_expert_severity(info->severity, &item.severity))
		return TAP_PACKET_DONT_REDRAW;
	item.group = engine_expert_group_name(self, info->group);
	item.protocol = g_string_chunk_insert_const(self->strings, info->protocol != NULL ? info->protocol : "");
	item.summary = g_string_chunk_insert_const(self->strings, info->summary != NULL ? info->summary : "");
	g_array_append_val(self->items, item);
	return TAP_PACKET_REDRAW;
}

gboolean
engine_expert_register(EngineExpert *self, GError **error)
{
	/* Flags 0, as tshark's own listener: expert info needs no tree of its own. */
	GString *failure = register_tap_listener("expert", self, self->filter[0] ? self->filter : NULL, 0, NULL,
						 engine_expert_packet_cb, NULL, NULL);
	if (failure != NULL) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "%s", failure->str);
		g_string_free(failure, TRUE);
		return FALSE;
	}
	self->registered = TRUE;
	return TRUE;
}

/* ---- output ---- */

typedef struct {
	const EngineExpertItem *first;
	guint count;
} EngineExpertGroup;

static guint
engine_expert_group_hash(gconstpointer key)
{
	const EngineExpertItem *item = key;
	return g_str_hash(item->protocol) * 31 + g_str_hash(item->summary) * 7 + item->severity;
}

static gboolean
engine_expert_group_equal(gconstpointer a, gconstpointer b)
{
	const EngineExpertItem *x = a, *y = b;
	return x->severity == y->severity && strcmp(x->protocol, y->protocol) == 0 &&
	       strcmp(x->summary, y->summary) == 0;
}

static void
engine_expert_write_groups(const GArray *items, JsonWriter *writer)
{
	g_autoptr(GHashTable) index = g_hash_table_new(engine_expert_group_hash, engine_expert_group_equal);
	GArray *groups[ENGINE_EXPERT_N_SEVERITIES] = {NULL};

	for (guint s = 0; s < ENGINE_EXPERT_N_SEVERITIES; s++)
		groups[s] = g_array_new(FALSE, FALSE, sizeof(EngineExpertGroup));
	for (guint i = 0; i < items->len; i++) {
		const EngineExpertItem *item = &g_array_index(items, EngineExpertItem, i);
		gpointer position;
		if (g_hash_table_lookup_extended(index, item, NULL, &position)) {
			g_array_index(groups[item->severity], EngineExpertGroup, GPOINTER_TO_UINT(position)).count++;
			continue;
		}
		EngineExpertGroup group = {.first = item, .count = 1};
		g_hash_table_insert(index, (gpointer)item, GUINT_TO_POINTER(groups[item->severity]->len));
		g_array_append_val(groups[item->severity], group);
	}
	json_writer_begin_array(writer);
	for (guint s = 0; s < ENGINE_EXPERT_N_SEVERITIES; s++) {
		for (guint i = 0; i < groups[s]->len; i++) {
			const EngineExpertGroup *group = &g_array_index(groups[s], EngineExpertGroup, i);
			json_writer_begin_object(writer);
			json_writer_member_int(writer, "count", group->count);
			json_writer_member_string(writer, "group", group->first->group);
			json_writer_member_string(writer, "protocol", group->first->protocol);
			json_writer_member_string(writer, "severity", engine_expert_severity_names[s]);
			json_writer_member_string(writer, "summary", group->first->summary);
			json_writer_end_object(writer);
		}
		g_array_unref(groups[s]);
	}
	json_writer_end_array(writer);
}

static void
engine_expert_write_items(const GArray *items, GString *out)
{
	g_string_append_c(out, '\n');
	for (guint i = 0; i < items->len; i++) {
		const EngineExpertItem *item = &g_array_index(items, EngineExpertItem, i);
		g_autoptr(JsonWriter) writer = json_writer_new();
		json_writer_begin_object(writer);
		json_writer_member_int(writer, "frame", item->frame);
		json_writer_member_string(writer, "group", item->group);
		json_writer_member_string(writer, "message", item->summary);
		json_writer_member_string(writer, "protocol", item->protocol);
		json_writer_member_string(writer, "severity", engine_expert_severity_names[item->severity]);
		json_writer_end_object(writer);
		g_string_append_len(out, json_writer_get_data(writer), json_writer_get_length(writer));
		g_string_append(out, i + 1 < items->len ? ",\n" : "\n");
	}
	g_string_append(out, "]}");
}

static void
engine_expert_write_items_of(const GArray *items, GString *out)
{
	guint counts[ENGINE_EXPERT_N_SEVERITIES] = {0};
	g_autoptr(JsonWriter) head = json_writer_new();

	for (guint i = 0; i < items->len; i++)
		counts[g_array_index(items, EngineExpertItem, i).severity]++;
	json_writer_begin_object(head);
	json_writer_key(head, "counts");
	json_writer_begin_object(head);
	json_writer_member_int(head, "chat", counts[ENGINE_EXPERT_CHAT]);
	json_writer_member_int(head, "comment", counts[ENGINE_EXPERT_COMMENT]);
	json_writer_member_int(head, "error", counts[ENGINE_EXPERT_ERROR]);
	json_writer_member_int(head, "note", counts[ENGINE_EXPERT_NOTE]);
	json_writer_member_int(head, "warn", counts[ENGINE_EXPERT_WARN]);
	json_writer_end_object(head);
	json_writer_key(head, "groups");
	engine_expert_write_groups(items, head);
	json_writer_key(head, "items");
	/* The writer's document ends here: the items follow by hand, one per line. */
	g_string_append_len(out, json_writer_get_data(head), json_writer_get_length(head));
	g_string_append_c(out, '[');
	engine_expert_write_items(items, out);
}

void
engine_expert_write(EngineExpert *self, GString *out)
{
	engine_expert_write_items_of(self->items, out);
}

/* ---- merging shards ---- */

typedef struct {
	guint32 frame;
	guint shard;
	guint index;
	EngineExpertItem item;
} EngineExpertMergeItem;

static gint
engine_expert_merge_compare(gconstpointer a, gconstpointer b)
{
	const EngineExpertMergeItem *x = a, *y = b;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	if (x->shard != y->shard)
		return x->shard < y->shard ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static gboolean
engine_expert_parse_item(GStringChunk *strings, const char *line, gsize length, EngineExpertItem *item)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!json_parser_load_from_data(parser, line, (gssize)length, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		return FALSE;
	JsonObject *object = json_node_get_object(json_parser_get_root(parser));
	const char *severity = json_object_get_string_member_with_default(object, "severity", "");
	guint s;
	for (s = 0; s < ENGINE_EXPERT_N_SEVERITIES; s++) {
		if (strcmp(severity, engine_expert_severity_names[s]) == 0)
			break;
	}
	if (s == ENGINE_EXPERT_N_SEVERITIES)
		return FALSE;
	item->severity = s;
	item->frame = (guint32)json_object_get_int_member_with_default(object, "frame", 0);
	item->group = g_string_chunk_insert_const(strings, json_object_get_string_member_with_default(object, "group", ""));
	item->protocol = g_string_chunk_insert_const(strings, json_object_get_string_member_with_default(object, "protocol", ""));
	item->summary = g_string_chunk_insert_const(strings, json_object_get_string_member_with_default(object, "message", ""));
	return TRUE;
}

gboolean
engine_expert_merge(char *const *parts, guint n_parts, GString *out, GError **error)
{
	g_autoptr(GArray) merged = g_array_new(FALSE, FALSE, sizeof(EngineExpertMergeItem));
	g_autoptr(GArray) items = g_array_new(FALSE, FALSE, sizeof(EngineExpertItem));
	GStringChunk *strings = g_string_chunk_new(4096);

	for (guint shard = 0; shard < n_parts; shard++) {
		/* Items are the lines between the head's line and the closing "]}". */
		char *line = strchr(parts[shard], '\n');
		for (guint index = 0; line != NULL && line[1] != ']'; index++) {
			char *start = line + 1;
			char *end = strchr(start, '\n');
			EngineExpertMergeItem entry = {.shard = shard, .index = index};
			gsize length;
			if (end == NULL)
				break;
			length = (gsize)(end - start);
			if (length > 0 && start[length - 1] == ',')
				length--;
			if (!engine_expert_parse_item(strings, start, length, &entry.item)) {
				g_string_chunk_free(strings);
				g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "a shard's expert items cannot be read");
				return FALSE;
			}
			entry.frame = entry.item.frame;
			g_array_append_val(merged, entry);
			line = end;
		}
	}
	g_array_sort(merged, engine_expert_merge_compare);
	for (guint i = 0; i < merged->len; i++)
		g_array_append_val(items, g_array_index(merged, EngineExpertMergeItem, i).item);
	engine_expert_write_items_of(items, out);
	g_string_chunk_free(strings);
	return TRUE;
}
