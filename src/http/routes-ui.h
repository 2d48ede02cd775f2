/* routes-ui.h: the web UI (API.md: "/" needs no token) and the two small v2 routes the page
 * needs beyond the CloudShark API: filter/check and tables. The page and its assets come from
 * ui/ in the source tree, compiled into the binary with GResource. Must not compute analysis
 * results: the page asks the API like any other client.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

/* Answers "/" (the page) and "/ui/<build>/<asset>" without a token; FALSE for any other path,
 * which is then left to the route table. */
gboolean routes_ui_serve(SoupServerMessage *msg, const char *method, const char *path);
/* Whether path is the page's or an asset's (what routes_ui_serve answers). */
gboolean routes_ui_claims(const char *path);

/* GET /api/v2/filter/check?filter=X: {"data": {"filter": X, "valid": true}}, or "valid": false
 * with libwireshark's "error"; asked of a worker, the same check packets/fields makes. */
void routes_ui_filter_check(HttpRequest *request);
/* GET /api/v2/tables: {"data": {"tables": [{"filter": "eth", "name": "Ethernet"}, ...]}}, the
 * endpoint and conversation tables the workers know (valid "protocol" values). */
void routes_ui_tables(HttpRequest *request);

G_END_DECLS
