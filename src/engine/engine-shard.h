/* engine-shard.h: one shard of a capture's summary pass, and the guard that tells, from what
 * the shard's dissection left behind, whether its results can be merged exactly.
 * A frame belongs to the shard of its unordered IP address pair (both directions, fragments,
 * every port of the pair together), read cheaply from the record's link-layer and IP headers;
 * frames without a readable IP header go to shard 0. A shard worker still reads every record
 * (frame numbers and the time reference stay those of one pass) but dissects its frames only.
 * The guard marks the shard unsafe when dissector state may have crossed shard boundaries:
 * a frame whose dissected IP pair belongs to another shard or that carries a second IP header
 * (tunnel), a conversation that names another shard's pair, a wildcard address or no address
 * pair at all, or a protocol whose state crosses pairs in ways conversations do not show.
 * Must not write results or decide what happens to an unsafe shard: the server falls back to
 * one pass.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <epan/epan_dissect.h>
#include <wiretap/wtap.h>

G_BEGIN_DECLS

typedef struct EngineShardGuard EngineShardGuard;

/* The shard (0..n_shards-1) of a record, from its bytes. */
guint engine_shard_of_record(const wtap_rec *rec, const guint8 *data, guint n_shards);

EngineShardGuard *engine_shard_guard_new(guint shard, guint n_shards);
void engine_shard_guard_free(EngineShardGuard *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineShardGuard, engine_shard_guard_free)

/* Checks one dissected frame of the shard (its tree's top-level protocol nodes). */
void engine_shard_guard_frame(EngineShardGuard *self, epan_dissect_t *edt);
/* Checks a protocol the hierarchy saw (by filter name), below parent (NULL: top level). */
void engine_shard_guard_protocol(EngineShardGuard *self, const char *abbrev, const char *parent);
/* TRUE for the tables engine_shard_guard_table() refuses once they have items. */
gboolean engine_shard_guard_watches_table(const char *filter_name);
/* Checks a conversation/endpoint table that has items (by filter name). */
void engine_shard_guard_table(EngineShardGuard *self, const char *filter_name);
/* After the pass: walks every conversation epan holds. */
void engine_shard_guard_finish(EngineShardGuard *self);

/* Where a merged item goes: in one pass's order of first appearance, ties in shard order, then
 * in the shard's own order. Put first in a merge's item struct, so one comparison sorts them all. */
typedef struct {
	guint64 first_frame;
	guint shard;
	guint index;
} EngineShardOrder;
/* A GCompareFunc for arrays of structs that begin with an EngineShardOrder. */
gint engine_shard_order_compare(gconstpointer a, gconstpointer b);

/* NULL when the shard is safe to merge; else why not (the first reason found). */
const char *engine_shard_guard_get_unsafe_reason(EngineShardGuard *self);

G_END_DECLS
