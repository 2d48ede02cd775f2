/* engine-io.h: the stats/io job: tshark's -z io,stat,INTERVAL,COLUMN,... as JSON.
 * Each column is a display filter (frames and bytes of the frames passing it) or
 * FUNC(field)filter with FUNC one of COUNT, SUM, MIN, MAX, AVG, LOAD, computed as tshark 4.0's
 * ui/cli/tap-iostat.c does (reimplemented here: ui/ is not in libwireshark). The answer body,
 * {"data": {"columns", "interval", "rows"}}, is written into a file the server named.
 * Must not choose the interval: the server does (API.md), the engine only checks it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "engine/engine.h"
#include "engine/engine-output.h"

#include <epan/frame_data.h>

G_BEGIN_DECLS

/* More rows than this is a 400 (API.md). */
#define ENGINE_IO_MAX_ROWS 1000000

typedef struct {
	const char *capture;
	const char *output;                /* the file the answer body goes into */
	const char *const *columns;        /* none: one column of all frames */
	guint n_columns;
	/* Seconds as text: tshark rounds the duration to the decimals the interval was written
	 * with ("1" and "1.0" differ in the last row of LOAD). */
	const char *interval;
	int passes;
} EngineIoRequest;

/* Bad columns and intervals are 400s naming the parameter. *rows gets the rows written. */
gboolean engine_io_run(Engine *engine, const EngineIoRequest *request, EngineProgressFunc progress,
		       gpointer progress_data, guint64 *rows, GError **error);

/* The all-frames series (stats/io without columns) at every automatic interval, counted from
 * the summary pass's frames, dissected or skipped: io/<interval>.json (worker-protocol.h). */
typedef struct EngineIoSeries EngineIoSeries;
EngineIoSeries *engine_io_series_new(void);
void engine_io_series_free(EngineIoSeries *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineIoSeries, engine_io_series_free)
/* Every frame of the capture, in file order. */
void engine_io_series_add(EngineIoSeries *self, const frame_data *fdata);
gboolean engine_io_series_write(EngineIoSeries *self, EngineOutput *output, GError **error);

G_END_DECLS
