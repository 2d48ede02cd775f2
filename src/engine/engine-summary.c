/* engine-summary.c: the summary job. All listeners (protocol hierarchy, every endpoint and
 * conversation table) are registered together, DNS messages are collected from the same
 * dissection, and the results are written into the output directory atomically.
 * A filter restricts what is counted, as a tap filter does (tshark -z io,phs,FILTER): every
 * frame is still dissected, so frame bookkeeping is that of an unfiltered pass.
 * Must not prime frame.* fields: that would put a "frame" node on top of the hierarchy.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-summary.h"

#include "engine/engine-dns.h"
#include "engine/engine-filter.h"
#include "engine/engine-session.h"
#include "engine/engine-hierarchy.h"
#include "engine/engine-output.h"
#include "engine/engine-tables.h"
#include "json-writer.h"
#include "sharkapi-error.h"

#include <wireshark.h>
#include <epan/epan_dissect.h>

/* Everything the summary pass collects. */
typedef struct {
	dfilter_t *filter; /* NULL: count every frame */
	EngineHierarchy *hierarchy;
	EngineTableTaps *tables;
	EngineDns *dns;
	GArray *dns_hfids;
} EngineSummary;

static void
engine_summary_clear(EngineSummary *self)
{
	/* Listeners first: they must not outlive what they write into. */
	g_clear_pointer(&self->hierarchy, engine_hierarchy_free);
	g_clear_pointer(&self->tables, engine_table_taps_free);
	g_clear_pointer(&self->dns, engine_dns_free);
	if (self->dns_hfids != NULL)
		g_array_free(self->dns_hfids, TRUE);
	g_clear_pointer(&self->filter, dfilter_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EngineSummary, engine_summary_clear)

static gboolean
engine_summary_prepare(EngineSummary *self, Engine *engine, const char *filter, GError **error)
{
	if (!engine_filter_compile(filter, &self->filter, error))
		return FALSE;
	self->hierarchy = engine_hierarchy_new(filter);
	self->tables = engine_table_taps_new(engine_get_tables(engine), filter);
	self->dns = engine_dns_new();
	self->dns_hfids = g_array_new(FALSE, FALSE, sizeof(int));
	engine_dns_prime_hfids(self->dns, self->dns_hfids);
	if (!engine_hierarchy_register(self->hierarchy, error))
		return FALSE;
	return engine_table_taps_register(self->tables, error);
}

static void
engine_summary_prime_cb(epan_dissect_t *edt, gpointer user_data)
{
	EngineSummary *self = user_data;
	/* The listeners' filters are primed by the tap system; ours is the same text. */
	if (self->filter != NULL)
		epan_dissect_prime_with_dfilter(edt, self->filter);
	if (self->dns_hfids->len > 0)
		epan_dissect_prime_with_hfid_array(edt, self->dns_hfids);
}

static EngineFrameResult
engine_summary_frame_cb(epan_dissect_t *edt, frame_data *fdata, gpointer user_data)
{
	EngineSummary *self = user_data;
	if (self->filter == NULL || dfilter_apply_edt(self->filter, edt))
		engine_dns_frame(self->dns, edt, fdata);
	/* A tap filter, not a display filter: every frame counts as displayed. */
	return ENGINE_FRAME_DISPLAYED;
}

/* Runs the pass(es) on the right session; *frames gets the frame count. */
static gboolean
engine_summary_dissect(EngineSummary *self, Engine *engine, const EngineSummaryRequest *request,
		       const EngineProgress *progress, guint32 *frames, GError **error)
{
	g_autoptr(EngineSession) owned = NULL;
	EngineSession *session;
	EngineLoop loop = {
	    .prime = engine_summary_prime_cb,
	    .frame = engine_summary_frame_cb,
	    .user_data = self,
	    .progress = *progress,
	};
	gboolean ok;

	session = engine_open_for_passes(engine, request->capture, request->passes, &loop.progress, &owned, error);
	if (session == NULL)
		return FALSE;
	loop.edt = epan_dissect_new(engine_session_get_epan(session), TRUE, FALSE);
	if (request->passes == 2)
		ok = engine_session_run_second_pass(session, &loop, error);
	else
		ok = engine_session_run_single_pass(session, &loop, error);
	epan_dissect_free(loop.edt);
	if (!ok && request->passes == 2)
		engine_drop_warm(engine);
	*frames = engine_session_get_frame_count(session);
	return ok;
}

static gboolean
engine_summary_write_file(EngineOutput *output, const char *relative_path, JsonWriter *writer,
			  GError **error)
{
	gsize length = json_writer_get_length(writer);
	g_autofree char *text = json_writer_steal_string(writer);
	return engine_output_write(output, relative_path, text, length, error);
}

static gboolean
engine_summary_write_tables(EngineSummary *self, EngineOutput *output, GError **error)
{
	static const struct {
		EngineTableKind kind;
		const char *folder;
	} kinds[] = {
	    {ENGINE_TABLE_ENDPOINTS, "endpoints"},
	    {ENGINE_TABLE_CONVERSATIONS, "conversations"},
	};

	for (guint i = 0; i < engine_table_taps_get_n_tables(self->tables); i++) {
		const EngineTableInfo *info = engine_table_taps_get_info(self->tables, i);
		for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
			g_autoptr(JsonWriter) writer = NULL;
			g_autofree char *name = NULL;

			if (!engine_table_taps_has_data(self->tables, i, kinds[k].kind))
				continue;
			writer = json_writer_new();
			engine_table_taps_write(self->tables, i, kinds[k].kind, writer);
			name = g_strdup_printf("%s/%s.json", kinds[k].folder, info->filter_name);
			if (!engine_summary_write_file(output, name, writer, error))
				return FALSE;
		}
	}
	return TRUE;
}

static gboolean
engine_summary_write(EngineSummary *self, const char *dir, GError **error)
{
	g_autoptr(EngineOutput) output = engine_output_begin(dir, error);
	g_autoptr(JsonWriter) hierarchy = json_writer_new();
	g_autoptr(JsonWriter) dns = json_writer_new();

	if (output == NULL)
		return FALSE;
	engine_hierarchy_write(self->hierarchy, hierarchy);
	if (!engine_summary_write_file(output, "hierarchy.json", hierarchy, error))
		return FALSE;
	if (!engine_summary_write_tables(self, output, error))
		return FALSE;
	engine_dns_write(self->dns, dns);
	if (!engine_summary_write_file(output, "dns.json", dns, error))
		return FALSE;
	return engine_output_commit(output, error);
}

gboolean
engine_summary_run(Engine *engine, const EngineSummaryRequest *request,
		   EngineProgressFunc progress, gpointer progress_data, guint32 *frames,
		   GError **error)
{
	g_auto(EngineSummary) summary = {0};
	EngineProgress whole = {progress, progress_data, 0.0, 1.0};

	*frames = 0;
	if (request->passes != 1 && request->passes != 2) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "passes must be 1 or 2, not %d", request->passes);
		return FALSE;
	}
	if (!engine_summary_prepare(&summary, engine, request->filter, error))
		return FALSE;
	if (!engine_summary_dissect(&summary, engine, request, &whole, frames, error))
		return FALSE;
	return engine_summary_write(&summary, request->output, error);
}
