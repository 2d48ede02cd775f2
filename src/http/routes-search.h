/* routes-search.h: v1 search (API.md v1 table) with Rails-style nested parameters.
 * Must not build SQL: store-search.c answers the criteria.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"
#include "http/http-params.h"
#include "store/store-search.h"

G_BEGIN_DECLS

void routes_search(HttpRequest *request);

/* Every search[...] parameter of params as a criterion. */
gboolean routes_search_criteria_from_params(StoreSearchCriteria *criteria, HttpParams *params, GError **error);

G_END_DECLS
