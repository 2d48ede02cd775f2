/* engine-field-values.c: named fields' values per frame (engine-field-values.h).
 * Values are formatted by libwireshark's own get_node_field_value() (what tshark -T fields
 * prints), gathered in tree order and joined with ",". _ws.col.* are columns, not fields, in
 * 4.0: they get a column_info, built only when one is asked for.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-field-values.h"

#include "sharkapi-error.h"

#include <string.h>

#include <wireshark.h>
#include <epan/column.h>
#include <epan/prefs.h>
#include <epan/print.h>
#include <epan/proto.h>

#define ENGINE_FIELD_VALUES_COLUMN_PREFIX "_ws.col."

typedef struct {
	char *name;
	const char *column_title; /* for _ws.col.* names: the column's title; else NULL */
	GString *value;           /* this frame's occurrences joined with ',' */
	gboolean present;         /* at least one occurrence in this frame */
} EngineFieldValue;

struct EngineFieldValues {
	GPtrArray *values;   /* of EngineFieldValue, in the order given */
	GHashTable *by_hfid; /* hf id -> EngineFieldValue, every hf registered under a name */
	GArray *hfids;       /* the same ids, to prime the tree with */
	gboolean needs_columns;
	gboolean needs_visible_tree;
	column_info columns;
	gboolean columns_built;
	epan_dissect_t *edt; /* while collecting */
};

static void
engine_field_value_free(gpointer data)
{
	EngineFieldValue *value = data;
	g_string_free(value->value, TRUE);
	g_free(value->name);
	g_free(value);
}

void
engine_field_values_free(EngineFieldValues *self)
{
	if (self == NULL)
		return;
	g_ptr_array_unref(self->values);
	g_hash_table_unref(self->by_hfid);
	g_array_free(self->hfids, TRUE);
	if (self->columns_built)
		col_cleanup(&self->columns);
	g_free(self);
}

/* Maps every hf registered under the name (several dissectors may share one) to it. tshark
 * matches tree items by name, so an alias that is not the item's own name never matches: such a
 * field is accepted and stays empty, as in tshark. */
static void
engine_field_values_index_hfids(EngineFieldValues *self, EngineFieldValue *value, header_field_info *hfinfo)
{
	for (; hfinfo != NULL; hfinfo = hfinfo->same_name_next) {
		if (strcmp(hfinfo->abbrev, value->name) != 0)
			continue;
		g_hash_table_insert(self->by_hfid, GINT_TO_POINTER(hfinfo->id), value);
		g_array_append_val(self->hfids, hfinfo->id);
		if (hfinfo->type == FT_PROTOCOL)
			self->needs_visible_tree = TRUE;
	}
}

static gboolean
engine_field_values_add(EngineFieldValues *self, const char *name, GError **error)
{
	header_field_info *hfinfo = NULL;
	EngineFieldValue *value;

	for (guint i = 0; i < self->values->len; i++) {
		if (strcmp(((EngineFieldValue *)g_ptr_array_index(self->values, i))->name, name) == 0)
			return TRUE; /* asked twice: kept once */
	}
	if (!g_str_has_prefix(name, ENGINE_FIELD_VALUES_COLUMN_PREFIX)) {
		hfinfo = proto_registrar_get_byname(name);
		if (hfinfo == NULL) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "unknown field: %s", name);
			return FALSE;
		}
	}
	value = g_new0(EngineFieldValue, 1);
	value->name = g_strdup(name);
	value->value = g_string_new(NULL);
	g_ptr_array_add(self->values, value);
	if (hfinfo == NULL) {
		value->column_title = value->name + strlen(ENGINE_FIELD_VALUES_COLUMN_PREFIX);
		self->needs_columns = TRUE;
	} else {
		engine_field_values_index_hfids(self, value, hfinfo);
	}
	return TRUE;
}

EngineFieldValues *
engine_field_values_new(const char *const *names, guint n_names, GError **error)
{
	g_autoptr(EngineFieldValues) self = g_new0(EngineFieldValues, 1);
	self->values = g_ptr_array_new_with_free_func(engine_field_value_free);
	self->by_hfid = g_hash_table_new(g_direct_hash, g_direct_equal);
	self->hfids = g_array_new(FALSE, FALSE, sizeof(int));
	for (guint i = 0; i < n_names; i++) {
		if (!engine_field_values_add(self, names[i], error))
			return NULL;
	}
	return g_steal_pointer(&self);
}

gboolean
engine_field_values_needs_columns(EngineFieldValues *self)
{
	return self->needs_columns;
}

gboolean
engine_field_values_needs_visible_tree(EngineFieldValues *self)
{
	return self->needs_visible_tree;
}

column_info *
engine_field_values_get_columns(EngineFieldValues *self)
{
	if (!self->columns_built) {
		build_column_format_array(&self->columns, prefs.num_cols, TRUE);
		self->columns_built = TRUE;
	}
	return &self->columns;
}

void
engine_field_values_prime(EngineFieldValues *self, epan_dissect_t *edt)
{
	if (self->hfids->len > 0)
		epan_dissect_prime_with_hfid_array(edt, self->hfids);
	if (self->columns_built)
		col_custom_prime_edt(edt, &self->columns);
}

static void
engine_field_values_append(EngineFieldValue *value, const char *text)
{
	if (value->present)
		g_string_append_c(value->value, ',');
	g_string_append(value->value, text);
	value->present = TRUE;
}

/* Visits the tree depth first, in tree order, as tshark's field printer does. */
static void
engine_field_values_collect_cb(proto_node *node, gpointer user_data)
{
	EngineFieldValues *self = user_data;
	field_info *finfo = PNODE_FINFO(node);

	if (finfo != NULL) {
		EngineFieldValue *value = g_hash_table_lookup(self->by_hfid, GINT_TO_POINTER(finfo->hfinfo->id));
		if (value != NULL) {
			g_autofree char *text = get_node_field_value(finfo, self->edt);
			if (text != NULL)
				engine_field_values_append(value, text);
		}
	}
	if (node->first_child != NULL)
		proto_tree_children_foreach(node, engine_field_values_collect_cb, self);
}

static void
engine_field_values_collect_columns(EngineFieldValues *self, epan_dissect_t *edt)
{
	epan_dissect_fill_in_columns(edt, FALSE, TRUE);
	for (gint col = 0; col < self->columns.num_cols; col++) {
		const col_item_t *column = &self->columns.columns[col];
		if (!get_column_visible(col))
			continue;
		for (guint i = 0; i < self->values->len; i++) {
			EngineFieldValue *value = g_ptr_array_index(self->values, i);
			if (value->column_title != NULL && strcmp(value->column_title, column->col_title) == 0)
				engine_field_values_append(value, column->col_data);
		}
	}
}

void
engine_field_values_collect(EngineFieldValues *self, epan_dissect_t *edt)
{
	for (guint i = 0; i < self->values->len; i++) {
		EngineFieldValue *value = g_ptr_array_index(self->values, i);
		value->present = FALSE;
		g_string_truncate(value->value, 0);
	}
	self->edt = edt;
	if (edt->tree != NULL)
		proto_tree_children_foreach(edt->tree, engine_field_values_collect_cb, self);
	if (self->needs_columns && self->columns_built)
		engine_field_values_collect_columns(self, edt);
	self->edt = NULL;
}

guint
engine_field_values_get_count(EngineFieldValues *self)
{
	return self->values->len;
}

const char *
engine_field_values_get_name(EngineFieldValues *self, guint index)
{
	return ((EngineFieldValue *)g_ptr_array_index(self->values, index))->name;
}

const char *
engine_field_values_get_value(EngineFieldValues *self, guint index)
{
	return ((EngineFieldValue *)g_ptr_array_index(self->values, index))->value->str;
}

gboolean
engine_field_values_is_present(EngineFieldValues *self, guint index)
{
	return ((EngineFieldValue *)g_ptr_array_index(self->values, index))->present;
}
