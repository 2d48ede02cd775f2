/* engine-frame-list.c: the packet list job (engine-frame-list.h).
 * The columns are the preferences' (the worker's empty profile: Wireshark's seven), filled as
 * tshark fills them for -T fields -e _ws.col.*: a non-visible tree (the filter needs one, and
 * dissectors must see the tree tshark gives them) and epan_dissect_fill_in_columns().
 * Custom columns are fields' values as packets/fields prints them (engine-field-values.h).
 * Rows go to disk as they are made, so a 2 M-frame list never sits in memory.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-frame-list.h"

#include "engine/engine-field-values.h"
#include "engine/engine-filter.h"
#include "engine/engine-output.h"
#include "engine/engine-session.h"
#include "json-writer.h"
#include "sharkapi-error.h"
#include "worker-protocol.h"

#include <wireshark.h>
#include <epan/column-info.h>
#include <epan/column.h>
#include <epan/epan_dissect.h>
#include <epan/prefs.h>
#include <wiretap/wtap_opttypes.h>

typedef struct {
	dfilter_t *filter;
	EngineFieldValues *custom; /* custom columns, or NULL for the preferences' */
	column_info columns;
	gboolean columns_built;
	EngineOutput *output;
	EngineOutputFile *rows;
	EngineOutputFile *index;
	GString *row;
	gint64 remaining; /* rows still allowed; -1 without limit */
	guint64 count;
	GError *error; /* the first write failure; ends the loop */
} EngineFrameList;

static void
engine_frame_list_clear(EngineFrameList *self)
{
	g_clear_pointer(&self->filter, dfilter_free);
	g_clear_pointer(&self->custom, engine_field_values_free);
	if (self->columns_built)
		col_cleanup(&self->columns);
	engine_output_file_discard(g_steal_pointer(&self->rows));
	engine_output_file_discard(g_steal_pointer(&self->index));
	g_clear_pointer(&self->output, engine_output_free);
	if (self->row != NULL)
		g_string_free(g_steal_pointer(&self->row), TRUE);
	g_clear_error(&self->error);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EngineFrameList, engine_frame_list_clear)

/* [{"format":"%m","title":"No."},...]: what the status route calls the columns; a custom
 * column is {"format":"%Cus:<field>","title":"<field>"}, as Wireshark spells custom columns. */
static gboolean
engine_frame_list_write_columns(EngineFrameList *self, GError **error)
{
	g_autoptr(JsonWriter) writer = json_writer_new();

	json_writer_begin_array(writer);
	for (guint i = 0; self->custom != NULL && i < engine_field_values_get_count(self->custom); i++) {
		const char *name = engine_field_values_get_name(self->custom, i);
		g_autofree char *format = g_strconcat("%Cus:", name, NULL);
		json_writer_begin_object(writer);
		json_writer_member_string(writer, "format", format);
		json_writer_member_string(writer, "title", name);
		json_writer_end_object(writer);
	}
	for (gint col = 0; self->custom == NULL && col < self->columns.num_cols; col++) {
		if (!get_column_visible(col))
			continue;
		json_writer_begin_object(writer);
		json_writer_member_string(writer, "format", col_format_to_string(self->columns.columns[col].col_fmt));
		json_writer_member_string(writer, "title", self->columns.columns[col].col_title);
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
	return engine_output_write(self->output, WORKER_RESULT_FRAME_COLUMNS, json_writer_get_data(writer),
				   json_writer_get_length(writer), error);
}

/* The frame's row: its column texts as a JSON array. */
static void
engine_frame_list_make_row(EngineFrameList *self, epan_dissect_t *edt)
{
	g_string_assign(self->row, "[");
	if (self->custom != NULL) {
		engine_field_values_collect(self->custom, edt);
		for (guint i = 0; i < engine_field_values_get_count(self->custom); i++) {
			if (i > 0)
				g_string_append_c(self->row, ',');
			json_append_escaped(self->row, engine_field_values_get_value(self->custom, i), -1);
		}
	} else {
		epan_dissect_fill_in_columns(edt, FALSE, TRUE);
		for (gint col = 0, written = 0; col < self->columns.num_cols; col++) {
			if (!get_column_visible(col))
				continue;
			if (written++ > 0)
				g_string_append_c(self->row, ',');
			json_append_escaped(self->row, self->columns.columns[col].col_data, -1);
		}
	}
	g_string_append_c(self->row, ']');
}

static gboolean
engine_frame_has_comment(const epan_dissect_t *edt)
{
	const wtap_rec *rec = edt->pi.rec;
	return rec != NULL && rec->block != NULL && wtap_block_count_option(rec->block, OPT_COMMENT) > 0;
}

static void
engine_frame_list_prime_cb(epan_dissect_t *edt, gpointer user_data)
{
	EngineFrameList *self = user_data;
	if (self->filter != NULL)
		epan_dissect_prime_with_dfilter(edt, self->filter);
	if (self->custom != NULL)
		engine_field_values_prime(self->custom, edt);
	else
		col_custom_prime_edt(edt, &self->columns);
}

static EngineFrameResult
engine_frame_list_frame_cb(epan_dissect_t *edt, frame_data *fdata, gpointer user_data)
{
	EngineFrameList *self = user_data;
	WorkerFrameIndexEntry entry = {0};

	if (self->filter != NULL && !dfilter_apply_edt(self->filter, edt))
		return ENGINE_FRAME_HIDDEN;
	engine_frame_list_make_row(self, edt);
	entry.offset = engine_output_file_get_size(self->rows);
	entry.frame = fdata->num;
	entry.flags = engine_frame_has_comment(edt) ? WORKER_FRAME_FLAG_COMMENT : 0;
	if (!engine_output_file_append(self->rows, self->row->str, self->row->len, &self->error) ||
	    !engine_output_file_append(self->index, &entry, sizeof entry, &self->error))
		return ENGINE_FRAME_STOP;
	self->count++;
	if (self->remaining > 0 && --self->remaining == 0)
		return ENGINE_FRAME_STOP;
	return ENGINE_FRAME_DISPLAYED;
}

static gboolean
engine_frame_list_dissect(EngineFrameList *self, Engine *engine, const EngineFrameListRequest *request,
			  EngineProgress *progress, GError **error)
{
	EngineLoop loop = {
	    .cinfo = self->custom == NULL ? &self->columns
		     : engine_field_values_needs_columns(self->custom) ? engine_field_values_get_columns(self->custom)
								       : NULL,
	    .prime = engine_frame_list_prime_cb,
	    .frame = engine_frame_list_frame_cb,
	    .user_data = self,
	    .progress = *progress,
	};
	return engine_run_passes(engine, request->capture, request->passes, &loop, TRUE,
				 self->custom != NULL && engine_field_values_needs_visible_tree(self->custom), NULL, error);
}

gboolean
engine_frame_list_run(Engine *engine, const EngineFrameListRequest *request, EngineProgressFunc progress,
		      gpointer progress_data, guint64 *rows, GError **error)
{
	g_auto(EngineFrameList) self = {0};
	EngineProgress whole = {progress, progress_data, 0.0, 1.0};

	*rows = 0;
	if (!engine_filter_compile(request->filter, &self.filter, error))
		return FALSE;
	if (request->n_columns > 0) {
		self.custom = engine_field_values_new(request->columns, request->n_columns, error);
		if (self.custom == NULL)
			return FALSE;
	}
	self.output = engine_output_begin(request->output, error);
	if (self.output == NULL)
		return FALSE;
	build_column_format_array(&self.columns, prefs.num_cols, TRUE);
	self.columns_built = TRUE;
	self.row = g_string_sized_new(256);
	self.remaining = request->limit < 0 ? -1 : request->limit;
	if (!engine_frame_list_write_columns(&self, error))
		return FALSE;
	self.rows = engine_output_open(self.output, WORKER_RESULT_FRAME_ROWS, error);
	if (self.rows == NULL)
		return FALSE;
	self.index = engine_output_open(self.output, WORKER_RESULT_FRAME_INDEX, error);
	if (self.index == NULL)
		return FALSE;
	if (self.remaining != 0 && !engine_frame_list_dissect(&self, engine, request, &whole, error))
		return FALSE;
	if (self.error != NULL) {
		g_propagate_error(error, g_steal_pointer(&self.error));
		return FALSE;
	}
	if (!engine_output_file_close(g_steal_pointer(&self.rows), error) ||
	    !engine_output_file_close(g_steal_pointer(&self.index), error) ||
	    !engine_output_commit(self.output, error))
		return FALSE;
	*rows = self.count;
	return TRUE;
}
