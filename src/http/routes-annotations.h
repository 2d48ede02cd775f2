/* routes-annotations.h: v1 annotations (API.md v1 table): per-frame notes on a capture.
 * Must not dissect or read the capture file: the frame range comes from the capture's record.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

void routes_annotations(HttpRequest *request);

G_END_DECLS
