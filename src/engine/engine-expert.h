/* engine-expert.h: expert information (API.md "expert"), collected during the summary pass by
 * libwireshark's "expert" tap: counts per severity, the grouped table of tshark -z expert, and
 * every item in frame order.
 * Must not own the dissection loop or write files: the summary pass does both.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct EngineExpert EngineExpert;

/* filter: the tap's display filter (NULL or "" for every frame), as -z expert,FILTER. */
EngineExpert *engine_expert_new(const char *filter);
void engine_expert_free(EngineExpert *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineExpert, engine_expert_free)

/* Registers the tap listener; a bad filter is a 400. */
gboolean engine_expert_register(EngineExpert *self, GError **error);

/* Writes expert.json's text: {"counts":{...},"groups":[...],"items":[ then one item per line,
 * each line but the last ending in ",", then "]}" on its own line, so that a page of items is a
 * range of lines (routes-analysis.c pages it). A shard writes the same, and merging reads it back. */
void engine_expert_write(EngineExpert *self, GString *out);

/* Merges shards' expert.json texts (in shard order) into what one pass writes. */
gboolean engine_expert_merge(char *const *parts, guint n_parts, GString *out, GError **error);

G_END_DECLS
