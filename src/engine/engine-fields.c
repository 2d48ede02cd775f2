/* engine-fields.c: field extraction for packets/fields (the values: engine-field-values.h).
 * The tree is non-visible with only the filter and the requested fields primed (2.3x cheaper
 * than tshark's visible tree), except when a protocol (FT_PROTOCOL) field is asked for: its
 * value is the item's text, which only a visible tree has.
 * Must not buffer the whole answer: rows go out in chunks as they are made.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-fields.h"

#include "engine/engine-field-values.h"
#include "engine/engine-filter.h"
#include "engine/engine-session.h"
#include "json-writer.h"
#include "sharkapi-error.h"

#include <string.h>

#include <wireshark.h>
#include <epan/epan_dissect.h>

/* Body bytes gathered before they are handed on. */
#define ENGINE_FIELDS_CHUNK (48 * 1024)

typedef struct {
	EngineFieldValues *values;
	GArray *order; /* indexes into values, by name (JSON members are alphabetical) */
	dfilter_t *filter;
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
engine_fields_clear(EngineFields *self)
{
	g_clear_pointer(&self->values, engine_field_values_free);
	if (self->order != NULL)
		g_array_free(g_steal_pointer(&self->order), TRUE);
	g_clear_pointer(&self->filter, dfilter_free);
	g_clear_pointer(&self->writer, json_writer_free);
	g_clear_error(&self->data_error);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EngineFields, engine_fields_clear)

/* ---- the request's fields ---- */

static gint
engine_fields_compare(gconstpointer a, gconstpointer b, gpointer user_data)
{
	EngineFieldValues *values = user_data;
	return strcmp(engine_field_values_get_name(values, *(const guint *)a),
		      engine_field_values_get_name(values, *(const guint *)b));
}

static gboolean
engine_fields_prepare(EngineFields *self, const EngineFieldsRequest *request, GError **error)
{
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
	self->values = engine_field_values_new(request->fields, request->n_fields, error);
	if (self->values == NULL)
		return FALSE;
	self->order = g_array_new(FALSE, FALSE, sizeof(guint));
	for (guint i = 0; i < engine_field_values_get_count(self->values); i++)
		g_array_append_val(self->order, i);
	g_array_sort_with_data(self->order, engine_fields_compare, self->values);
	if (request->passes != 1 && request->passes != 2) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "passes must be 1 or 2, not %d", request->passes);
		return FALSE;
	}
	return engine_filter_compile(request->filter, &self->filter, error);
}

/* ---- per frame ---- */

static void
engine_fields_write_row(EngineFields *self, guint32 frame_number)
{
	JsonWriter *writer = self->writer;

	json_writer_begin_object(writer);
	json_writer_key(writer, "fields");
	json_writer_begin_object(writer);
	for (guint i = 0; i < self->order->len; i++) {
		guint index = g_array_index(self->order, guint, i);
		const char *value = engine_field_values_get_value(self->values, index);
		/* Absent, or printed as the empty string: left out (API.md). */
		if (*value != '\0')
			json_writer_member_string(writer, engine_field_values_get_name(self->values, index), value);
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
	engine_field_values_prime(self->values, edt);
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
	engine_field_values_collect(self->values, edt);
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
	EngineLoop loop = {
	    .cinfo = engine_field_values_needs_columns(self->values) ? engine_field_values_get_columns(self->values)
								     : NULL,
	    .prime = engine_fields_prime_cb,
	    .frame = engine_fields_frame_cb,
	    .user_data = self,
	    .progress = *progress,
	};
	return engine_run_passes(engine, request->capture, request->passes, &loop, TRUE,
				 engine_field_values_needs_visible_tree(self->values), NULL, error);
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
