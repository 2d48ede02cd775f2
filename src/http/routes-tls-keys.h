/* routes-tls-keys.h: PUT and DELETE /api/v2/analysis/<id>/tls-keys, a capture's NSS key log.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

/* The body is the key log itself, not a form (http-server.c reads parameters from the query). */
void routes_tls_keys(HttpRequest *request);

G_END_DECLS
