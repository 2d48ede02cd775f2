/* routes-io.h: GET /api/v2/analysis/<id>/stats/io (tshark's -z io,stat as JSON), computed by
 * a worker's io job and kept in the result cache.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"
#include "store/store-capture.h"

G_BEGIN_DECLS

void routes_analysis_io(HttpRequest *request);

/* A checked stats/io query (shared with `sharkapi analyze`). */
typedef struct {
	char **columns; /* as given, NULL-terminated */
	guint n_columns;
	char *interval; /* seconds as text: the given one, or the automatic one */
	guint passes;
	char *capture_path;
} IoQuery;

/* 400 naming column or interval for what can be told without libwireshark: too many columns,
 * an interval below 0.000001 s or giving more than 1,000,000 rows over the capture. */
gboolean io_query_init(IoQuery *query, HttpRequest *request, const StoreCapture *capture, Store *store,
		       GError **error);
void io_query_clear(IoQuery *query);
/* The worker request writing the answer into output. */
char *io_query_job_line(const IoQuery *query, const char *output);

G_END_DECLS
