/* engine-fields.c: field extraction for packets/fields.
 * Values are formatted by libwireshark's own get_node_field_value() (what tshark -T fields
 * prints), gathered in tree order and joined with ",". The tree is non-visible with only the
 * filter and the requested fields primed (2.3x cheaper than tshark's visible tree), except when
 * a protocol (FT_PROTOCOL) field is asked for: its value is the item's text, which only a
 * visible tree has. _ws.col.* are columns, not fields, in 4.0: they get a column_info, built
 * only when one is asked for.
 * Must not buffer the whole answer: rows go out in chunks as they are made.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-fields.h"

#include "engine/engine-filter.h"
#include "engine/engine-session.h"
#include "json-writer.h"
#include "sharkapi-error.h"

#include <string.h>

#include <wireshark.h>
#include <epan/column-info.h>
#include <epan/column.h>
#include <epan/epan_dissect.h>
#include <epan/prefs.h>
#include <epan/print.h>
#include <epan/proto.h>

#define ENGINE_FIELDS_COLUMN_PREFIX "_ws.col."
/* Body bytes gathered before they are handed on. */
#define ENGINE_FIELDS_CHUNK (48 * 1024)

typedef struct {
	char *name;
	const char *column_title; /* for _ws.col.* fields: the column's title; else NULL */
	GString *value;           /* this frame's occurrences joined with ',' */
	gboolean present;         /* at least one occurrence in this frame */
} EngineField;

typedef struct {
	GPtrArray *fields;   /* of EngineField, sorted by name (JSON members are alphabetical) */
	GHashTable *by_hfid; /* hf id -> EngineField, every hf registered under a field's name */
	GArray *hfids;       /* the same ids, to prime the tree with */
	gboolean needs_columns;
	gboolean needs_visible_tree;
	dfilter_t *filter;
	column_info columns;
	gboolean columns_built;
	epan_dissect_t *edt;
	/* output */
	JsonWriter *writer;
	gboolean ndjson;
	gint64 skip;      /* matching frames still to skip (offset) */
	gint64 remaining; /* rows still allowed; -1 without limit */
	guint64 rows;
	EngineFieldsDataFunc data;
	gpointer data_user;
	GError *data_error; /* first failure to hand data on; ends the loop */
} EngineFields;

static void
engine_field_free(gpointer data)
{
	EngineField *field = data;
	g_string_free(field->value, TRUE);
	g_free(field->name);
	g_free(field);
}

static void
engine_fields_clear(EngineFields *self)
{
	g_clear_pointer(&self->fields, g_ptr_array_unref);
	g_clear_pointer(&self->by_hfid, g_hash_table_unref);
	if (self->hfids != NULL)
		g_array_free(self->hfids, TRUE);
	g_clear_pointer(&self->filter, dfilter_free);
	if (self->columns_built)
		col_cleanup(&self->columns);
	g_clear_pointer(&self->edt, epan_dissect_free);
	g_clear_pointer(&self->writer, json_writer_free);
	g_clear_error(&self->data_error);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EngineFields, engine_fields_clear)

/* ---- the request's fields ---- */

static gint
engine_fields_compare(gconstpointer a, gconstpointer b)
{
	const EngineField *left = *(const EngineField *const *)a;
	const EngineField *right = *(const EngineField *const *)b;
	return strcmp(left->name, right->name);
}

/* Maps every hf registered under the field's name (several dissectors may share one) to it.
 * tshark matches tree items by name, so an alias that is not the item's own name never
 * matches: such a field is accepted and stays empty, as in tshark. */
static void
engine_fields_index_hfids(EngineFields *self, EngineField *field, header_field_info *hfinfo)
{
	for (; hfinfo != NULL; hfinfo = hfinfo->same_name_next) {
		if (strcmp(hfinfo->abbrev, field->name) != 0)
			continue;
		g_hash_table_insert(self->by_hfid, GINT_TO_POINTER(hfinfo->id), field);
		g_array_append_val(self->hfids, hfinfo->id);
		if (hfinfo->type == FT_PROTOCOL)
			self->needs_visible_tree = TRUE;
	}
}

static gboolean
engine_fields_add(EngineFields *self, const char *name, GError **error)
{
	header_field_info *hfinfo = NULL;
	EngineField *field;

	for (guint i = 0; i < self->fields->len; i++) {
		if (strcmp(((EngineField *)g_ptr_array_index(self->fields, i))->name, name) == 0)
			return TRUE; /* asked twice: one member */
	}
	if (!g_str_has_prefix(name, ENGINE_FIELDS_COLUMN_PREFIX)) {
		hfinfo = proto_registrar_get_byname(name);
		if (hfinfo == NULL) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "unknown field: %s", name);
			return FALSE;
		}
	}
	field = g_new0(EngineField, 1);
	field->name = g_strdup(name);
	field->value = g_string_new(NULL);
	g_ptr_array_add(self->fields, field);
	if (hfinfo == NULL) {
		field->column_title = field->name + strlen(ENGINE_FIELDS_COLUMN_PREFIX);
		self->needs_columns = TRUE;
	} else {
		engine_fields_index_hfids(self, field, hfinfo);
	}
	return TRUE;
}

static gboolean
engine_fields_prepare(EngineFields *self, const EngineFieldsRequest *request, GError **error)
{
	self->fields = g_ptr_array_new_with_free_func(engine_field_free);
	self->by_hfid = g_hash_table_new(g_direct_hash, g_direct_equal);
	self->hfids = g_array_new(FALSE, FALSE, sizeof(int));
	if (request->n_fields == 0) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "no fields given");
		return FALSE;
	}
	if (request->n_fields > ENGINE_FIELDS_MAX) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "too many fields: %u (at most %d)", request->n_fields,
			    ENGINE_FIELDS_MAX);
		return FALSE;
	}
	for (guint i = 0; i < request->n_fields; i++) {
		if (!engine_fields_add(self, request->fields[i], error))
			return FALSE;
	}
	g_ptr_array_sort(self->fields, engine_fields_compare);
	if (request->passes != 1 && request->passes != 2) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "passes must be 1 or 2, not %d", request->passes);
		return FALSE;
	}
	return engine_filter_compile(request->filter, &self->filter, error);
}

/* ---- per frame ---- */

static void
engine_fields_append(EngineField *field, const char *value)
{
	if (field->present)
		g_string_append_c(field->value, ',');
	g_string_append(field->value, value);
	field->present = TRUE;
}

/* Visits the tree depth first, in tree order, as tshark's field printer does. */
static void
engine_fields_collect_cb(proto_node *node, gpointer user_data)
{
	EngineFields *self = user_data;
	field_info *finfo = PNODE_FINFO(node);

	if (finfo != NULL) {
		EngineField *field =
		    g_hash_table_lookup(self->by_hfid, GINT_TO_POINTER(finfo->hfinfo->id));
		if (field != NULL) {
			g_autofree char *value = get_node_field_value(finfo, self->edt);
			if (value != NULL)
				engine_fields_append(field, value);
		}
	}
	if (node->first_child != NULL)
		proto_tree_children_foreach(node, engine_fields_collect_cb, self);
}

static void
engine_fields_collect_columns(EngineFields *self)
{
	epan_dissect_fill_in_columns(self->edt, FALSE, TRUE);
	for (gint col = 0; col < self->columns.num_cols; col++) {
		const col_item_t *column = &self->columns.columns[col];
		if (!get_column_visible(col))
			continue;
		for (guint i = 0; i < self->fields->len; i++) {
			EngineField *field = g_ptr_array_index(self->fields, i);
			if (field->column_title != NULL &&
			    strcmp(field->column_title, column->col_title) == 0)
				engine_fields_append(field, column->col_data);
		}
	}
}

static void
engine_fields_write_row(EngineFields *self, guint32 frame_number)
{
	JsonWriter *writer = self->writer;

	json_writer_begin_object(writer);
	json_writer_key(writer, "fields");
	json_writer_begin_object(writer);
	for (guint i = 0; i < self->fields->len; i++) {
		EngineField *field = g_ptr_array_index(self->fields, i);
		/* Absent, or printed as the empty string: left out (API.md). */
		if (field->present && field->value->len > 0)
			json_writer_member_string(writer, field->name, field->value->str);
		field->present = FALSE;
		g_string_truncate(field->value, 0);
	}
	json_writer_end_object(writer);
	json_writer_key(writer, "frame");
	json_writer_uint(writer, frame_number);
	json_writer_end_object(writer);
	if (self->ndjson)
		json_writer_raw(writer, "\n", 1); /* top level: a line break between documents */
}

/* Hands the body gathered so far on once it is big enough (or always, when final). */
static gboolean
engine_fields_flush(EngineFields *self, gboolean final)
{
	g_autoptr(GBytes) chunk = NULL;
	gsize length = 0;
	const char *data;

	if (self->data_error != NULL)
		return FALSE;
	if (!final && json_writer_get_length(self->writer) < ENGINE_FIELDS_CHUNK)
		return TRUE;
	chunk = json_writer_take(self->writer);
	data = g_bytes_get_data(chunk, &length);
	if (length == 0)
		return TRUE;
	return self->data(data, length, self->data_user, &self->data_error);
}

static void
engine_fields_prime_cb(epan_dissect_t *edt, gpointer user_data)
{
	EngineFields *self = user_data;
	if (self->filter != NULL)
		epan_dissect_prime_with_dfilter(edt, self->filter);
	if (self->hfids->len > 0)
		epan_dissect_prime_with_hfid_array(edt, self->hfids);
	if (self->columns_built)
		col_custom_prime_edt(edt, &self->columns);
}

static EngineFrameResult
engine_fields_frame_cb(epan_dissect_t *edt, frame_data *fdata, gpointer user_data)
{
	EngineFields *self = user_data;

	if (self->filter != NULL && !dfilter_apply_edt(self->filter, edt))
		return ENGINE_FRAME_HIDDEN;
	if (self->skip > 0) {
		self->skip--;
		return ENGINE_FRAME_DISPLAYED;
	}
	if (edt->tree != NULL)
		proto_tree_children_foreach(edt->tree, engine_fields_collect_cb, self);
	if (self->needs_columns)
		engine_fields_collect_columns(self);
	engine_fields_write_row(self, fdata->num);
	self->rows++;
	if (self->remaining > 0)
		self->remaining--;
	if (!engine_fields_flush(self, FALSE) || self->remaining == 0)
		return ENGINE_FRAME_STOP;
	return ENGINE_FRAME_DISPLAYED;
}

/* ---- the job ---- */

static void
engine_fields_begin_body(EngineFields *self)
{
	if (self->ndjson)
		return;
	json_writer_begin_object(self->writer);
	json_writer_key(self->writer, "data");
	json_writer_begin_object(self->writer);
	json_writer_key(self->writer, "packets");
	json_writer_begin_array(self->writer);
}

static void
engine_fields_end_body(EngineFields *self)
{
	if (self->ndjson)
		return;
	json_writer_end_array(self->writer);
	json_writer_end_object(self->writer);
	json_writer_end_object(self->writer);
}

/* Runs the loop on the right session, with the tree and columns the fields need. */
static gboolean
engine_fields_dissect(EngineFields *self, Engine *engine, const EngineFieldsRequest *request,
		      const EngineProgress *progress, GError **error)
{
	g_autoptr(EngineSession) owned = NULL;
	EngineSession *session;
	EngineLoop loop = {
	    .prime = engine_fields_prime_cb,
	    .frame = engine_fields_frame_cb,
	    .user_data = self,
	    .progress = *progress,
	};
	gboolean ok;

	session = engine_open_for_passes(engine, request->capture, request->passes, &loop.progress, &owned, error);
	if (session == NULL)
		return FALSE;
	if (self->needs_columns) {
		build_column_format_array(&self->columns, prefs.num_cols, TRUE);
		self->columns_built = TRUE;
		loop.cinfo = &self->columns;
	}
	self->edt = epan_dissect_new(engine_session_get_epan(session), TRUE,
				     self->needs_visible_tree);
	loop.edt = self->edt;
	if (request->passes == 2)
		ok = engine_session_run_second_pass(session, &loop, error);
	else
		ok = engine_session_run_single_pass(session, &loop, error);
	g_clear_pointer(&self->edt, epan_dissect_free);
	if (!ok && request->passes == 2)
		engine_drop_warm(engine);
	return ok;
}

gboolean
engine_fields_run(Engine *engine, const EngineFieldsRequest *request, EngineFieldsDataFunc data,
		  gpointer data_user, EngineProgressFunc progress, gpointer progress_data,
		  guint64 *rows, GError **error)
{
	g_auto(EngineFields) self = {0};
	EngineProgress whole = {progress, progress_data, 0.0, 1.0};

	*rows = 0;
	if (!engine_fields_prepare(&self, request, error))
		return FALSE;
	self.writer = json_writer_new();
	self.ndjson = request->ndjson;
	self.skip = MAX(request->offset, 0);
	self.remaining = request->limit < 0 ? -1 : request->limit;
	self.data = data;
	self.data_user = data_user;
	engine_fields_begin_body(&self);
	if (self.remaining != 0 &&
	    !engine_fields_dissect(&self, engine, request, &whole, error))
		return FALSE;
	*rows = self.rows;
	if (self.data_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&self.data_error));
		return FALSE;
	}
	engine_fields_end_body(&self);
	if (!engine_fields_flush(&self, TRUE)) {
		g_propagate_error(error, g_steal_pointer(&self.data_error));
		return FALSE;
	}
	return TRUE;
}
