/* engine-dns.h: DNS lookups, collected during the summary pass (API.md "dns/lookups").
 * The summary pass calls engine_dns_frame() for every frame it counts (all frames, or those
 * matching the variant's display filter), after dissection with the tree primed with the ids
 * from engine_dns_prime_hfids(). Pairing is libwireshark's own (dns.response_to, dns.time).
 * Must not own the dissection loop or write files: the summary pass does both.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <epan/epan_dissect.h>
#include <epan/frame_data.h>

#include "json-writer.h"

G_BEGIN_DECLS

typedef struct EngineDns EngineDns;

/* Resolves the DNS field ids; call after epan_init. */
EngineDns *engine_dns_new(void);
void engine_dns_free(EngineDns *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineDns, engine_dns_free)

/* Appends (as int) every hf id that must be primed for engine_dns_frame() to see its fields. */
void engine_dns_prime_hfids(EngineDns *self, GArray *hfids);

/* Records the DNS messages of one dissected frame (none when the frame has no DNS). */
void engine_dns_frame(EngineDns *self, epan_dissect_t *edt, const frame_data *fdata);

/* Writes {"lookups":[...]}: the value of the route's "data" member. */
void engine_dns_write(EngineDns *self, JsonWriter *writer);
/* A shard's partial result: one line per lookup, "<frame of its first message> <its JSON>\n";
 * engine-dns-merge.h merges them. */
void engine_dns_write_partial(EngineDns *self, GString *out);

G_END_DECLS
