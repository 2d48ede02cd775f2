/* engine-tls.h: TLS, DTLS and QUIC handshakes (API.md "tls/handshakes"), collected during the
 * summary pass: one record per ClientHello joined with the ServerHello of its stream, with
 * libwireshark's JA3/JA3S and a JA4 computed here (engine-ja4.h). The summary pass calls
 * engine_tls_frame() for every frame it counts, after dissection with the tree primed with
 * engine_tls_prime_hfids()'s ids.
 * Must not own the dissection loop or write files: the summary pass does both.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <epan/epan_dissect.h>
#include <epan/frame_data.h>

#include "json-writer.h"

G_BEGIN_DECLS

typedef struct EngineTls EngineTls;

/* Resolves the TLS field ids; call after epan_init. */
EngineTls *engine_tls_new(void);
void engine_tls_free(EngineTls *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineTls, engine_tls_free)

/* Appends (as int) every hf id that must be primed for engine_tls_frame() to see its fields. */
void engine_tls_prime_hfids(EngineTls *self, GArray *hfids);

/* Records the ClientHellos and ServerHellos of one dissected frame. */
void engine_tls_frame(EngineTls *self, epan_dissect_t *edt, const frame_data *fdata);

/* TRUE when no hello was recorded. */
gboolean engine_tls_is_empty(EngineTls *self);

/* Writes {"handshakes":[...]}: the value of the route's "data" member. */
void engine_tls_write(EngineTls *self, JsonWriter *writer);
/* A shard's partial result: one line per record, "<ClientHello frame> <its JSON>\n". */
void engine_tls_write_partial(EngineTls *self, GString *out);

G_END_DECLS
