/* routes-merge.h: v1 merge (API.md v1 table): a new capture made of others, merged by time.
 * Must not dissect: the merge is libwiretap's (src/wiretap/capture-merge.c).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_merge(HttpRequest *request);

G_END_DECLS
