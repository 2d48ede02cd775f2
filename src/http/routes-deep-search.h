/* routes-deep-search.h: v2 deep search (as CloudShark's: bodies bare, not wrapped in "data"):
 * create a search over a pool of captures, read its progress, read its results.
 * Must not dissect or run jobs itself: src/jobs/deep-search.c runs the pool on the workers.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_deep_search_create(HttpRequest *request);
void routes_deep_search_status(HttpRequest *request);
void routes_deep_search_results(HttpRequest *request);
/* DELETE by the creating token: stops the search's jobs and forgets it. */
void routes_deep_search_delete(HttpRequest *request);

G_END_DECLS
