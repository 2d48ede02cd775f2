/* engine.c: the worker's engine state (see engine.h). Keeping one two-pass session warm is what
 * sharkd does with its loaded file: a later passes=2 job on the same capture skips the first
 * pass, the expensive half of two-pass dissection.
 * Must not hold more than one session: epan aborts on a second concurrent epan_new().
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine.h"

#include "engine/engine-filter.h"
#include "engine/engine-session.h"
#include "engine/engine-tables.h"

#include "sharkapi-error.h"

#include <wireshark.h>
#include <epan/epan.h>
#include <epan/prefs.h>

struct Engine {
	GPtrArray *tables;   /* of EngineTableInfo */
	EngineSession *warm; /* two-pass session with its first pass done, or NULL */
	guint first_passes;
	/* The last match job's filter, compiled: a deep search sends the same filter for every
	 * capture of its pool, and a long one takes seconds to compile. */
	char *match_filter_text;
	dfilter_t *match_filter;
	char *tls_keys; /* the key log path in tls.keylog_file now, NULL for none */
};

Engine *
engine_new(void)
{
	Engine *self = g_new0(Engine, 1);
	self->tables = engine_tables_list();
	return self;
}

void
engine_free(Engine *self)
{
	if (self == NULL)
		return;
	engine_drop_warm(self);
	g_free(self->match_filter_text);
	g_free(self->tls_keys);
	if (self->match_filter != NULL)
		dfilter_free(self->match_filter);
	g_ptr_array_free(self->tables, TRUE);
	g_free(self);
}

const char *
engine_get_version(void)
{
	return epan_get_version();
}

gboolean
engine_set_tls_keys(Engine *self, const char *path, GError **error)
{
	char *errmsg = NULL;

	if (path != NULL && *path == '\0')
		path = NULL;
	if (g_strcmp0(path, self->tls_keys) == 0)
		return TRUE;
	/* A warm first pass was dissected with the other keys. */
	engine_drop_warm(self);
	g_autofree char *setting = g_strdup_printf("tls.keylog_file:%s", path != NULL ? path : "");
	if (prefs_set_pref(setting, &errmsg) != PREFS_SET_OK) {
		/* The path is the capture's own file in the data dir, but never repeated: key
		 * material and where it lives stay out of messages. */
		g_free(errmsg);
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "the TLS key log could not be applied");
		return FALSE;
	}
	prefs_apply_all();
	g_free(self->tls_keys);
	self->tls_keys = g_strdup(path);
	return TRUE;
}

gboolean
engine_run_passes(Engine *self, const char *path, int passes, EngineLoop *loop, gboolean tree, gboolean visible,
		  gint64 *elapsed_ns, GError **error)
{
	g_autoptr(EngineSession) owned = NULL;
	EngineSession *session = engine_open_for_passes(self, path, (guint)passes, &loop->progress, &owned, error);
	gboolean ok;

	if (session == NULL)
		return FALSE;
	loop->edt = epan_dissect_new(engine_session_get_epan(session), tree, visible);
	if (passes == 2)
		ok = engine_session_run_second_pass(session, loop, error);
	else
		ok = engine_session_run_single_pass(session, loop, error);
	g_clear_pointer(&loop->edt, epan_dissect_free);
	if (!ok && passes == 2)
		engine_drop_warm(self);
	if (ok && elapsed_ns != NULL) {
		nstime_t elapsed = engine_session_get_elapsed(session);
		*elapsed_ns = (gint64)elapsed.secs * G_GINT64_CONSTANT(1000000000) + elapsed.nsecs;
	}
	return ok;
}

gboolean
engine_check_filter(const char *text, GError **error)
{
	g_autoptr(dfilter_t) filter = NULL;
	return engine_filter_compile(text, &filter, error);
}

const GPtrArray *
engine_get_tables(Engine *self)
{
	return self->tables;
}

guint
engine_get_first_passes(Engine *self)
{
	return self->first_passes;
}

gboolean
engine_is_warm(Engine *self, const char *path)
{
	return self->warm != NULL && engine_session_matches(self->warm, path);
}

void
engine_drop_warm(Engine *self)
{
	g_clear_pointer(&self->warm, engine_session_free);
}

EngineSession *
engine_open_single_pass(Engine *self, const char *path, GError **error)
{
	engine_drop_warm(self);
	return engine_session_open(path, FALSE, error);
}

EngineSession *
engine_get_two_pass(Engine *self, const char *path, const EngineProgress *progress,
		    GError **error)
{
	g_autoptr(EngineSession) session = NULL;

	if (engine_is_warm(self, path))
		return self->warm;
	engine_drop_warm(self);
	session = engine_session_open(path, TRUE, error);
	if (session == NULL)
		return NULL;
	self->first_passes++;
	if (!engine_session_run_first_pass(session, progress, error))
		return NULL;
	self->warm = g_steal_pointer(&session);
	return self->warm;
}

EngineSession *
engine_open_for_passes(Engine *self, const char *path, guint passes, EngineProgress *progress,
		       EngineSession **owned, GError **error)
{
	if (passes != 2)
		return *owned = engine_open_single_pass(self, path, error);

	EngineProgress first = *progress;
	gboolean warm = engine_is_warm(self, path);
	first.span = progress->span / 2;
	EngineSession *session = engine_get_two_pass(self, path, &first, error);
	if (!warm) {
		progress->base += first.span;
		progress->span -= first.span;
	}
	return session;
}

dfilter_t *
engine_get_match_filter(Engine *self, const char *text, GError **error)
{
	if (self->match_filter != NULL && g_strcmp0(self->match_filter_text, text) == 0)
		return self->match_filter;
	dfilter_t *filter = NULL;
	if (!engine_filter_compile(text, &filter, error))
		return NULL;
	g_free(self->match_filter_text);
	g_free(self->tls_keys);
	if (self->match_filter != NULL)
		dfilter_free(self->match_filter);
	self->match_filter_text = g_strdup(text);
	self->match_filter = filter;
	return filter;
}
