/* engine-summary.c: the summary job. All listeners (protocol hierarchy, every endpoint and
 * conversation table) are registered together, DNS messages are collected from the same
 * dissection, and the results are written into the output directory atomically.
 * A filter restricts what is counted, as a tap filter does (tshark -z io,phs,FILTER): every
 * frame is still dissected, so frame bookkeeping is that of an unfiltered pass.
 * A shard's run (engine-shard.h) dissects only its frames, keeps the guard's verdict and writes
 * partial results; engine_summary_merge() turns all shards' partial results into the files one
 * pass writes. Expert information (a tap), HTTP requests and TLS handshakes (read from the
 * primed tree, as DNS) and, without a filter, the all-frames I/O series are collected in the
 * same pass.
 * Must not prime frame.* fields: that would put a "frame" node on top of the hierarchy.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-summary.h"

#include "engine/engine-dns.h"
#include "engine/engine-dns-merge.h"
#include "engine/engine-expert.h"
#include "engine/engine-http.h"
#include "engine/engine-io.h"
#include "engine/engine-tls.h"
#include "engine/engine-filter.h"
#include "engine/engine-session.h"
#include "engine/engine-hierarchy.h"
#include "engine/engine-output.h"
#include "engine/engine-shard.h"
#include "engine/engine-tables.h"
#include "json-writer.h"
#include "sharkapi-error.h"
#include "worker-protocol.h"

#include <wireshark.h>
#include <epan/epan_dissect.h>

/* A shard's DNS lookups: lines, not JSON (engine_dns_write_partial). */
#define ENGINE_SUMMARY_PARTIAL_DNS "dns.lines"
/* HTTP requests and TLS handshakes: lines too (engine_merge_lines_write). A shard's expert.json
 * is written as one pass writes it; merging folds its items again. */
#define ENGINE_SUMMARY_PARTIAL_HTTP "http-requests.lines"
#define ENGINE_SUMMARY_PARTIAL_TLS "tls-handshakes.lines"

/* Everything the summary pass collects. */
typedef struct {
	dfilter_t *filter; /* NULL: count every frame */
	EngineHierarchy *hierarchy;
	EngineTableTaps *tables;
	EngineDns *dns;
	EngineExpert *expert;
	EngineHttp *http;
	EngineTls *tls;
	EngineIoSeries *io; /* unfiltered summaries only (and of shards, the first) */
	GArray *dns_hfids; /* every id the modules read from the tree: DNS, HTTP, TLS */
	/* Shards only: which frames are dissected, and the exactness guard. */
	guint shard;
	guint n_shards;
	EngineShardGuard *guard;
	GArray *guarded_tables; /* indices of tables the guard checks after every frame */
} EngineSummary;

static void
engine_summary_clear(EngineSummary *self)
{
	/* Listeners first: they must not outlive what they write into. */
	g_clear_pointer(&self->hierarchy, engine_hierarchy_free);
	g_clear_pointer(&self->tables, engine_table_taps_free);
	g_clear_pointer(&self->dns, engine_dns_free);
	g_clear_pointer(&self->expert, engine_expert_free);
	g_clear_pointer(&self->http, engine_http_free);
	g_clear_pointer(&self->tls, engine_tls_free);
	g_clear_pointer(&self->io, engine_io_series_free);
	g_clear_pointer(&self->guard, engine_shard_guard_free);
	if (self->guarded_tables != NULL)
		g_array_free(self->guarded_tables, TRUE);
	if (self->dns_hfids != NULL)
		g_array_free(self->dns_hfids, TRUE);
	g_clear_pointer(&self->filter, dfilter_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EngineSummary, engine_summary_clear)

static gboolean
engine_summary_prepare(EngineSummary *self, Engine *engine, const char *filter, GError **error)
{
	if (!engine_filter_compile(filter, &self->filter, error)) {
		g_prefix_error(error, "filter: "); /* the 400 names the parameter */
		return FALSE;
	}
	self->hierarchy = engine_hierarchy_new(filter);
	self->tables = engine_table_taps_new(engine_get_tables(engine), filter);
	self->dns = engine_dns_new();
	self->expert = engine_expert_new(filter);
	self->http = engine_http_new();
	self->tls = engine_tls_new();
	if (engine_filter_is_empty(filter))
		self->io = engine_io_series_new();
	self->dns_hfids = g_array_new(FALSE, FALSE, sizeof(int));
	engine_dns_prime_hfids(self->dns, self->dns_hfids);
	engine_http_prime_hfids(self->http, self->dns_hfids);
	engine_tls_prime_hfids(self->tls, self->dns_hfids);
	if (!engine_hierarchy_register(self->hierarchy, error) || !engine_expert_register(self->expert, error))
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

/* Hands a table to the guard once it has items. */
static void
engine_summary_guard_table(EngineSummary *self, guint index)
{
	if (engine_table_taps_has_data(self->tables, index, ENGINE_TABLE_ENDPOINTS) ||
	    engine_table_taps_has_data(self->tables, index, ENGINE_TABLE_CONVERSATIONS))
		engine_shard_guard_table(self->guard, engine_table_taps_get_info(self->tables, index)->filter_name);
}

static EngineFrameResult
engine_summary_frame_cb(epan_dissect_t *edt, frame_data *fdata, gpointer user_data)
{
	EngineSummary *self = user_data;
	if (self->io != NULL)
		engine_io_series_add(self->io, fdata);
	if (self->filter == NULL || dfilter_apply_edt(self->filter, edt)) {
		engine_dns_frame(self->dns, edt, fdata);
		engine_http_frame(self->http, edt, fdata);
		engine_tls_frame(self->tls, edt, fdata);
	}
	if (self->guard != NULL) {
		engine_table_taps_note_frame(self->tables, fdata->num);
		engine_shard_guard_frame(self->guard, edt);
		for (guint i = 0; i < self->guarded_tables->len; i++)
			engine_summary_guard_table(self, g_array_index(self->guarded_tables, guint, i));
		/* An unsafe shard is not merged: the rest of its pass would be wasted. */
		if (engine_shard_guard_get_unsafe_reason(self->guard) != NULL)
			return ENGINE_FRAME_STOP;
	}
	/* A tap filter, not a display filter: every frame counts as displayed. */
	return ENGINE_FRAME_DISPLAYED;
}

static gboolean
engine_summary_skip_cb(const wtap_rec *rec, const guint8 *data, const frame_data *fdata, gpointer user_data)
{
	EngineSummary *self = user_data;
	if (engine_shard_of_record(rec, data, self->n_shards) == self->shard)
		return FALSE;
	/* The I/O series counts every frame: the shard that keeps it sees them all here or in
	 * engine_summary_frame_cb(). */
	if (self->io != NULL)
		engine_io_series_add(self->io, fdata);
	return TRUE;
}

static void
engine_summary_guard_protocol_cb(const char *abbrev, const char *parent, gpointer user_data)
{
	engine_shard_guard_protocol(user_data, abbrev, parent);
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
	    .skip = self->guard != NULL ? engine_summary_skip_cb : NULL,
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
	/* The conversations live as long as the session: walked before it closes. */
	if (ok && self->guard != NULL) {
		/* The whole hierarchy and every table once more, then every conversation. */
		engine_hierarchy_visit(self->hierarchy, engine_summary_guard_protocol_cb, self->guard);
		for (guint i = 0; i < engine_table_taps_get_n_tables(self->tables); i++)
			engine_summary_guard_table(self, i);
		engine_shard_guard_finish(self->guard);
	}
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
engine_summary_write_format(EngineOutput *output, GError **error)
{
	static const char format[] = WORKER_SUMMARY_FORMAT "\n";
	return engine_output_write(output, WORKER_RESULT_FORMAT, format, sizeof(format) - 1, error);
}

static gboolean
engine_summary_write_tables(EngineSummary *self, EngineOutput *output, gboolean partial, GError **error)
{
	static const struct {
		EngineTableKind kind;
		const char *folder;
	} kinds[] = {
	    {ENGINE_TABLE_ENDPOINTS, WORKER_RESULT_ENDPOINTS_FOLDER},
	    {ENGINE_TABLE_CONVERSATIONS, WORKER_RESULT_CONVERSATIONS_FOLDER},
	};

	for (guint i = 0; i < engine_table_taps_get_n_tables(self->tables); i++) {
		const EngineTableInfo *info = engine_table_taps_get_info(self->tables, i);
		for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
			g_autoptr(JsonWriter) writer = NULL;
			g_autofree char *name = NULL;

			if (!engine_table_taps_has_data(self->tables, i, kinds[k].kind))
				continue;
			writer = json_writer_new();
			if (partial)
				engine_table_taps_write_partial(self->tables, i, kinds[k].kind, writer);
			else
				engine_table_taps_write(self->tables, i, kinds[k].kind, writer);
			name = g_strdup_printf("%s/%s.json", kinds[k].folder, info->filter_name);
			if (!engine_summary_write_file(output, name, writer, error))
				return FALSE;
		}
	}
	return TRUE;
}

/* Expert information, HTTP requests and TLS handshakes (a shard's partial forms included). */
static gboolean
engine_summary_write_forensics(EngineSummary *self, EngineOutput *output, gboolean partial, GError **error)
{
	g_autoptr(GString) expert = g_string_new(NULL);
	engine_expert_write(self->expert, expert);
	if (!engine_output_write(output, WORKER_RESULT_EXPERT, expert->str, expert->len, error))
		return FALSE;
	if (partial) {
		g_autoptr(GString) http = g_string_new(NULL);
		g_autoptr(GString) tls = g_string_new(NULL);
		engine_http_write_partial(self->http, http);
		engine_tls_write_partial(self->tls, tls);
		return engine_output_write(output, ENGINE_SUMMARY_PARTIAL_HTTP, http->str, http->len, error) &&
		       engine_output_write(output, ENGINE_SUMMARY_PARTIAL_TLS, tls->str, tls->len, error);
	}
	g_autoptr(JsonWriter) http = json_writer_new();
	g_autoptr(JsonWriter) tls = json_writer_new();
	engine_http_write(self->http, http);
	engine_tls_write(self->tls, tls);
	return engine_summary_write_file(output, WORKER_RESULT_HTTP_REQUESTS, http, error) &&
	       engine_summary_write_file(output, WORKER_RESULT_TLS_HANDSHAKES, tls, error);
}

static gboolean
engine_summary_write(EngineSummary *self, const char *dir, gboolean partial, GError **error)
{
	g_autoptr(EngineOutput) output = engine_output_begin(dir, error);
	g_autoptr(JsonWriter) hierarchy = json_writer_new();
	g_autoptr(JsonWriter) dns = json_writer_new();

	if (output == NULL)
		return FALSE;
	if (partial)
		engine_hierarchy_write_partial(self->hierarchy, hierarchy);
	else
		engine_hierarchy_write(self->hierarchy, hierarchy);
	if (!engine_summary_write_file(output, WORKER_RESULT_HIERARCHY, hierarchy, error))
		return FALSE;
	if (!engine_summary_write_tables(self, output, partial, error))
		return FALSE;
	if (partial) {
		g_autoptr(GString) lines = g_string_new(NULL);
		engine_dns_write_partial(self->dns, lines);
		if (!engine_output_write(output, ENGINE_SUMMARY_PARTIAL_DNS, lines->str, lines->len, error))
			return FALSE;
	} else {
		engine_dns_write(self->dns, dns);
		if (!engine_summary_write_file(output, WORKER_RESULT_DNS, dns, error))
			return FALSE;
	}
	if (!engine_summary_write_forensics(self, output, partial, error))
		return FALSE;
	if (self->io != NULL && !engine_io_series_write(self->io, output, error))
		return FALSE;
	if (!partial && !engine_summary_write_format(output, error))
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
	return engine_summary_write(&summary, request->output, FALSE, error);
}

gboolean
engine_summary_run_shard(Engine *engine, const EngineSummaryRequest *request,
			 EngineProgressFunc progress, gpointer progress_data, guint32 *frames,
			 char **unsafe_reason, GError **error)
{
	g_auto(EngineSummary) summary = {0};
	EngineProgress whole = {progress, progress_data, 0.0, 1.0};

	*frames = 0;
	*unsafe_reason = NULL;
	if (request->passes != 1 || !engine_filter_is_empty(request->filter) || request->n_shards < 1 ||
	    request->shard >= request->n_shards) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "a shard is one pass without a filter, and shard < shards");
		return FALSE;
	}
	if (!engine_summary_prepare(&summary, engine, request->filter, error))
		return FALSE;
	summary.shard = request->shard;
	summary.n_shards = request->n_shards;
	if (request->shard != 0)
		g_clear_pointer(&summary.io, engine_io_series_free); /* the first shard counts it */
	summary.guard = engine_shard_guard_new(request->shard, request->n_shards);
	summary.guarded_tables = g_array_new(FALSE, FALSE, sizeof(guint));
	for (guint i = 0; i < engine_table_taps_get_n_tables(summary.tables); i++) {
		if (engine_shard_guard_watches_table(engine_table_taps_get_info(summary.tables, i)->filter_name))
			g_array_append_val(summary.guarded_tables, i);
	}
	if (!engine_summary_dissect(&summary, engine, request, &whole, frames, error))
		return FALSE;
	*unsafe_reason = g_strdup(engine_shard_guard_get_unsafe_reason(summary.guard));
	/* tcp.stream and the like count the conversations a pass has seen, so a shard numbers its
	 * streams its own way: records that name streams only one pass writes right. */
	if (*unsafe_reason == NULL && (!engine_http_is_empty(summary.http) || !engine_tls_is_empty(summary.tls)))
		*unsafe_reason = g_strdup("HTTP requests or TLS handshakes name stream indices, which only one pass numbers");
	/* An unsafe shard stopped early; its results are never read. */
	if (*unsafe_reason != NULL)
		return TRUE;
	return engine_summary_write(&summary, request->output, TRUE, error);
}

/* ---- merging shards ---- */

static JsonObject *
engine_summary_read_part(const char *part, const char *relative_path, GError **error)
{
	g_autofree char *path = g_build_filename(part, relative_path, NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!json_parser_load_from_file(parser, path, error) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_clear_error(error);
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "a shard's %s cannot be read",
			    relative_path);
		return NULL;
	}
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

/* Every table file name ("endpoints/eth.json") any part holds, sorted as one pass writes them
 * (by table, endpoints before conversations). */
static GPtrArray *
engine_summary_part_tables(const char *const *parts, guint n_parts, const char *folder)
{
	g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GPtrArray *sorted = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < n_parts; i++) {
		g_autofree char *path = g_build_filename(parts[i], folder, NULL);
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const char *name;
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL)
			g_hash_table_add(names, g_strdup(name));
	}
	GHashTableIter iter;
	gpointer name;
	g_hash_table_iter_init(&iter, names);
	while (g_hash_table_iter_next(&iter, &name, NULL))
		g_ptr_array_add(sorted, g_strdup(name));
	g_ptr_array_sort(sorted, (GCompareFunc)g_ascii_strcasecmp);
	return sorted;
}

static gboolean
engine_summary_merge_tables(const char *const *parts, guint n_parts, EngineOutput *output,
			    EngineTableKind kind, const char *folder, GError **error)
{
	g_autoptr(GPtrArray) names = engine_summary_part_tables(parts, n_parts, folder);
	for (guint t = 0; t < names->len; t++) {
		g_autoptr(EngineTableMerge) merge = engine_table_merge_new(kind);
		g_autoptr(JsonWriter) writer = json_writer_new();
		g_autofree char *relative = g_build_filename(folder, g_ptr_array_index(names, t), NULL);
		for (guint i = 0; i < n_parts; i++) {
			g_autofree char *path = g_build_filename(parts[i], relative, NULL);
			g_autoptr(JsonObject) partial = NULL;
			if (!g_file_test(path, G_FILE_TEST_EXISTS))
				continue;
			partial = engine_summary_read_part(parts[i], relative, error);
			if (partial == NULL)
				return FALSE;
			engine_table_merge_add(merge, partial);
		}
		if (!engine_table_merge_write(merge, writer, error) ||
		    !engine_summary_write_file(output, relative, writer, error))
			return FALSE;
	}
	return TRUE;
}

/* Every part's file relative_path, in shard order; NULL (error set) when one is missing. */
static GPtrArray *
engine_summary_read_parts(const char *const *parts, guint n_parts, const char *relative_path, GError **error)
{
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < n_parts; i++) {
		g_autofree char *path = g_build_filename(parts[i], relative_path, NULL);
		char *text = NULL;
		if (!g_file_get_contents(path, &text, NULL, NULL)) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "a shard's %s cannot be read", relative_path);
			return NULL;
		}
		g_ptr_array_add(texts, text);
	}
	return g_steal_pointer(&texts);
}

static gboolean
engine_summary_merge_forensics(const char *const *parts, guint n_parts, EngineOutput *output, GError **error)
{
	g_autoptr(GPtrArray) expert = engine_summary_read_parts(parts, n_parts, WORKER_RESULT_EXPERT, error);
	g_autoptr(GPtrArray) http = expert != NULL ? engine_summary_read_parts(parts, n_parts, ENGINE_SUMMARY_PARTIAL_HTTP, error) : NULL;
	g_autoptr(GPtrArray) tls = http != NULL ? engine_summary_read_parts(parts, n_parts, ENGINE_SUMMARY_PARTIAL_TLS, error) : NULL;
	g_autoptr(GString) expert_text = g_string_new(NULL);
	g_autoptr(JsonWriter) http_writer = json_writer_new();
	g_autoptr(JsonWriter) tls_writer = json_writer_new();

	if (tls == NULL)
		return FALSE;
	return engine_expert_merge((char *const *)expert->pdata, expert->len, expert_text, error) &&
	       engine_output_write(output, WORKER_RESULT_EXPERT, expert_text->str, expert_text->len, error) &&
	       engine_merge_lines_write((char *const *)http->pdata, http->len, "requests", http_writer, error) &&
	       engine_summary_write_file(output, WORKER_RESULT_HTTP_REQUESTS, http_writer, error) &&
	       engine_merge_lines_write((char *const *)tls->pdata, tls->len, "handshakes", tls_writer, error) &&
	       engine_summary_write_file(output, WORKER_RESULT_TLS_HANDSHAKES, tls_writer, error);
}

/* The first shard counted the I/O series over every frame: its files are the answer. */
static gboolean
engine_summary_merge_io(const char *first_part, EngineOutput *output, GError **error)
{
	g_autofree char *folder = g_build_filename(first_part, WORKER_RESULT_IO_FOLDER, NULL);
	g_autoptr(GDir) dir = g_dir_open(folder, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *relative = g_build_filename(WORKER_RESULT_IO_FOLDER, name, NULL);
		g_autofree char *path = g_build_filename(folder, name, NULL);
		g_autofree char *text = NULL;
		gsize length = 0;
		if (!g_file_get_contents(path, &text, &length, NULL)) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "a shard's %s cannot be read", relative);
			return FALSE;
		}
		if (!engine_output_write(output, relative, text, length, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
engine_summary_merge(const char *const *parts, guint n_parts, const char *output_dir, GError **error)
{
	g_autoptr(EngineHierarchy) hierarchy = engine_hierarchy_new(NULL);
	g_autoptr(GPtrArray) dns_parts = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(JsonWriter) hierarchy_writer = json_writer_new();
	g_autoptr(JsonWriter) dns_writer = json_writer_new();
	g_autoptr(EngineOutput) output = NULL;

	for (guint i = 0; i < n_parts; i++) {
		g_autoptr(JsonObject) partial = engine_summary_read_part(parts[i], WORKER_RESULT_HIERARCHY, error);
		g_autofree char *dns_path = g_build_filename(parts[i], ENGINE_SUMMARY_PARTIAL_DNS, NULL);
		char *dns = NULL;
		if (partial == NULL || !engine_hierarchy_merge_partial(hierarchy, partial, error))
			return FALSE;
		if (!g_file_get_contents(dns_path, &dns, NULL, NULL)) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "a shard's DNS lookups cannot be read");
			return FALSE;
		}
		g_ptr_array_add(dns_parts, dns);
	}
	output = engine_output_begin(output_dir, error);
	if (output == NULL)
		return FALSE;
	engine_hierarchy_write(hierarchy, hierarchy_writer);
	if (!engine_summary_write_file(output, WORKER_RESULT_HIERARCHY, hierarchy_writer, error) ||
	    !engine_summary_merge_tables(parts, n_parts, output, ENGINE_TABLE_ENDPOINTS, WORKER_RESULT_ENDPOINTS_FOLDER, error) ||
	    !engine_summary_merge_tables(parts, n_parts, output, ENGINE_TABLE_CONVERSATIONS, WORKER_RESULT_CONVERSATIONS_FOLDER, error))
		return FALSE;
	if (!engine_dns_merge_write((char *const *)dns_parts->pdata, dns_parts->len, dns_writer, error) ||
	    !engine_summary_write_file(output, WORKER_RESULT_DNS, dns_writer, error))
		return FALSE;
	if (!engine_summary_merge_forensics(parts, n_parts, output, error) ||
	    !engine_summary_merge_io(parts[0], output, error) || !engine_summary_write_format(output, error))
		return FALSE;
	return engine_output_commit(output, error);
}
