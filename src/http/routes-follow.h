/* routes-follow.h: follow stream, GET /api/v2/analysis/<id>/follow/<proto>/<stream>[/<substream>].
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_follow(HttpRequest *request);

G_END_DECLS
