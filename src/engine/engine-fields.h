/* engine-fields.h: the fields job: field values of the frames matching a display filter, as
 * tshark -T fields -E occurrence=a -E aggregator=, prints them, streamed as the body of
 * packets/fields (JSON or NDJSON).
 * Must not speak the worker protocol: the body goes out through EngineFieldsDataFunc.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "engine/engine.h"

G_BEGIN_DECLS

/* Most fields one request may ask for (API.md). */
#define ENGINE_FIELDS_MAX 64

typedef struct {
	const char *capture;
	const char *const *fields; /* field names, n_fields of them */
	guint n_fields;
	const char *filter; /* display filter; NULL or "" for every frame */
	int passes;         /* 1 or 2 */
	gint64 limit;       /* rows at most; -1 for no limit */
	gint64 offset;      /* matching frames to skip first */
	gboolean ndjson;    /* one object per line instead of {"data":{"packets":[...]}} */
} EngineFieldsRequest;

/* Receives the next bytes of the body; returning FALSE (with error set) ends the job. */
typedef gboolean (*EngineFieldsDataFunc)(const char *data, gsize length, gpointer user_data,
					 GError **error);

/* Checks the request (400: unknown field, too many fields, bad filter) before dissecting, then
 * streams the body. *rows gets the number of rows written. 422 for an unreadable capture. */
gboolean engine_fields_run(Engine *engine, const EngineFieldsRequest *request,
			   EngineFieldsDataFunc data, gpointer data_user, EngineProgressFunc progress,
			   gpointer progress_data, guint64 *rows, GError **error);

G_END_DECLS
