/* routes-docs.h: the public documentation routes: the OpenAPI document at /api/v2/openapi.json
 * and the API page at /docs that renders it. Both are files compiled into the binary
 * (api/docs.gresource.xml); nothing is read from disk, nothing needs a token.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_docs_openapi(HttpRequest *request);
void routes_docs_page(HttpRequest *request);

/* The OpenAPI document's bytes (the CLI prints them too). */
GBytes *routes_docs_lookup(const char *name, GError **error);

G_END_DECLS
