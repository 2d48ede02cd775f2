/* engine-field-roles.h: the fields a summary-pass collector reads (DNS lookups, HTTP requests,
 * TLS handshakes), each mapped to the collector's own role number, with the ids to prime the
 * non-visible tree with, and a string chunk that keeps the values read for the whole file.
 * Must not know any collector's roles: the collector's enum does.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <epan/proto.h>

G_BEGIN_DECLS

typedef struct EngineFieldRoles EngineFieldRoles;

EngineFieldRoles *engine_field_roles_new(void);
void engine_field_roles_free(EngineFieldRoles *self);

/* Every hf registered under name (a name may be registered more than once: tshark matches by
 * name) gets role; an unknown name is logged and left out. */
void engine_field_roles_add(EngineFieldRoles *self, const char *name, int role);
/* The protocols the carrier tracks (engine-dns-carrier.h) get carrier_role + their layer; they
 * are in every tree, so they are not primed. */
void engine_field_roles_add_carriers(EngineFieldRoles *self, int carrier_role);

/* Appends the fields' ids to hfids (the tree's priming list). */
void engine_field_roles_prime(EngineFieldRoles *self, GArray *hfids);
/* A tree item's role, 0 when the item is none of the fields. */
int engine_field_roles_get(EngineFieldRoles *self, const field_info *fi);

/* Text kept for the whole file. */
const char *engine_field_roles_keep(EngineFieldRoles *self, const char *text);
/* A field's value as tshark -T fields prints it, kept. */
const char *engine_field_roles_text(EngineFieldRoles *self, field_info *fi);
GStringChunk *engine_field_roles_get_strings(EngineFieldRoles *self);

G_END_DECLS
