/* engine-hierarchy.h: the protocol hierarchy of a pass, as tshark -q -z io,phs[,FILTER] counts it.
 * Must not dissect or write files: it listens on the "frame" tap and writes JSON on demand.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "json-writer.h"

G_BEGIN_DECLS

typedef struct EngineHierarchy EngineHierarchy;

/* filter: a display filter restricting the frames counted, or NULL/"" for all. */
EngineHierarchy *engine_hierarchy_new(const char *filter);
/* Removes the tap listener if it is still registered. */
void engine_hierarchy_free(EngineHierarchy *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineHierarchy, engine_hierarchy_free)

/* Registers the tap listener; must happen before the pass. A bad filter is a 400. */
gboolean engine_hierarchy_register(EngineHierarchy *self, GError **error);

/* Writes {"filter":"...","protos":[...]}: the value of the route's "data" member. */
void engine_hierarchy_write(EngineHierarchy *self, JsonWriter *writer);

/* A shard's partial result: the same, each node with "_first", the frame it first appeared in. */
void engine_hierarchy_write_partial(EngineHierarchy *self, JsonWriter *writer);

/* Adds a shard's partial result (counts summed, nodes in order of first appearance across all
 * shards merged so far). Only on a hierarchy that no tap fills. */
gboolean engine_hierarchy_merge_partial(EngineHierarchy *self, JsonObject *partial, GError **error);

typedef void (*EngineHierarchyVisitFunc)(const char *abbrev, const char *parent, gpointer user_data);
/* Calls visit for every node, depth first; parent is NULL at the top level. */
void engine_hierarchy_visit(EngineHierarchy *self, EngineHierarchyVisitFunc visit, gpointer user_data);

G_END_DECLS
