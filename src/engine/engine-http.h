/* engine-http.h: HTTP/1.x requests joined with their responses (API.md "http/requests"),
 * collected during the summary pass. The summary pass calls engine_http_frame() for every
 * frame it counts, after dissection with the tree primed with engine_http_prime_hfids()'s ids.
 * Pairing is libwireshark's own (http.request_in on the response, http.time its delay).
 * Must not own the dissection loop or write files: the summary pass does both.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <epan/epan_dissect.h>
#include <epan/frame_data.h>

#include "json-writer.h"

G_BEGIN_DECLS

typedef struct EngineHttp EngineHttp;

/* Resolves the HTTP field ids; call after epan_init. */
EngineHttp *engine_http_new(void);
void engine_http_free(EngineHttp *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineHttp, engine_http_free)

/* Appends (as int) every hf id that must be primed for engine_http_frame() to see its fields. */
void engine_http_prime_hfids(EngineHttp *self, GArray *hfids);

/* Records the HTTP messages of one dissected frame (none when it has no "http" node). */
void engine_http_frame(EngineHttp *self, epan_dissect_t *edt, const frame_data *fdata);

/* TRUE when no request or response was recorded. */
gboolean engine_http_is_empty(EngineHttp *self);

/* Writes {"requests":[...]}: the value of the route's "data" member. */
void engine_http_write(EngineHttp *self, JsonWriter *writer);
/* A shard's partial result: one line per record, "<its first frame> <its JSON>\n"
 * (engine-dns-merge.h merges such lines). */
void engine_http_write_partial(EngineHttp *self, GString *out);

G_END_DECLS
