/* worker-tables.h: the conversation and endpoint tables a worker's HELLO lists
 * (worker-protocol.h), parsed once here. Routes look a table up by protocol and never read the
 * HELLO's JSON themselves.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
	char *filter; /* libwireshark's filter name ("tcp"): the API's protocol= and the result file's name */
	char *name;   /* its display name ("TCP") */
} WorkerTable;

/* A GPtrArray of WorkerTable from HELLO's "tables" array (or the kept copy of it); entries
 * without a filter name are skipped. */
GPtrArray *worker_tables_from_json(JsonArray *array);
/* The same list as the JSON array text worker_tables_from_json() reads back. */
char *worker_tables_to_json(const GPtrArray *tables);
/* The table whose filter name or display name is protocol, case-insensitively; NULL if none. */
const WorkerTable *worker_tables_find(const GPtrArray *tables, const char *protocol);
/* "eth, ip, ipv6, ...": the filter names, for an error that lists the valid values. */
char *worker_tables_filter_names(const GPtrArray *tables);

G_END_DECLS
