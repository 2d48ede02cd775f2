/* routes-fields.h: GET /api/v2/analysis/<id>/packets/fields (and v1's form of it): any fields
 * under any display filter, streamed from a worker as they are dissected, kept in the result
 * cache for repeat queries.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

/* Most field names one query may ask for. */
#define FIELDS_MAX 64

void routes_analysis_fields(HttpRequest *request);

/* "a,b,c" into field names (400 for an empty list, more than FIELDS_MAX, or a name that is not
 * letters, digits, '.', '_', '-' of at most 256 characters). Shared with `sharkapi analyze`. */
gboolean fields_parse_list(const char *text, GPtrArray *fields, GError **error);
/* TRUE for a name fields_parse_list() lets through. */
gboolean fields_name_is_valid(const char *name);

G_END_DECLS
