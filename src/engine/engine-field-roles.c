/* engine-field-roles.c: fields read by the summary pass's collectors (engine-field-roles.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-field-roles.h"

#include "engine/engine-dns-carrier.h"

#include <wireshark.h>
#include <epan/ftypes/ftypes.h>

struct EngineFieldRoles {
	GHashTable *roles; /* hf id -> role */
	GArray *hfids;     /* the fields' ids, to prime with */
	GStringChunk *strings;
};

EngineFieldRoles *
engine_field_roles_new(void)
{
	EngineFieldRoles *self = g_new0(EngineFieldRoles, 1);
	self->roles = g_hash_table_new(g_direct_hash, g_direct_equal);
	self->hfids = g_array_new(FALSE, FALSE, sizeof(int));
	self->strings = g_string_chunk_new(4096);
	return self;
}

void
engine_field_roles_free(EngineFieldRoles *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->roles);
	g_array_unref(self->hfids);
	g_string_chunk_free(self->strings);
	g_free(self);
}

void
engine_field_roles_add(EngineFieldRoles *self, const char *name, int role)
{
	header_field_info *hfinfo = proto_registrar_get_byname(name);
	if (hfinfo == NULL) {
		g_warning("libwireshark has no field %s, ignoring", name);
		return;
	}
	/* The name's entry is the last one registered: go back to the first. */
	while (hfinfo->same_name_prev_id != -1)
		hfinfo = proto_registrar_get_nth(hfinfo->same_name_prev_id);
	for (; hfinfo != NULL; hfinfo = hfinfo->same_name_next) {
		g_hash_table_insert(self->roles, GINT_TO_POINTER(hfinfo->id), GINT_TO_POINTER(role));
		g_array_append_val(self->hfids, hfinfo->id);
	}
}

void
engine_field_roles_add_carriers(EngineFieldRoles *self, int carrier_role)
{
	for (EngineDnsLayer layer = ENGINE_DNS_LAYER_IPV4; layer <= ENGINE_DNS_LAYER_ICMPV6; layer++) {
		int id = engine_dns_carrier_protocol(layer);
		if (id >= 0)
			g_hash_table_insert(self->roles, GINT_TO_POINTER(id), GINT_TO_POINTER(carrier_role + layer));
	}
}

void
engine_field_roles_prime(EngineFieldRoles *self, GArray *hfids)
{
	g_array_append_vals(hfids, self->hfids->data, self->hfids->len);
}

int
engine_field_roles_get(EngineFieldRoles *self, const field_info *fi)
{
	if (fi == NULL || fi->hfinfo == NULL)
		return 0;
	return GPOINTER_TO_INT(g_hash_table_lookup(self->roles, GINT_TO_POINTER(fi->hfinfo->id)));
}

const char *
engine_field_roles_keep(EngineFieldRoles *self, const char *text)
{
	return g_string_chunk_insert_const(self->strings, text);
}

const char *
engine_field_roles_text(EngineFieldRoles *self, field_info *fi)
{
	char *text = fvalue_to_string_repr(NULL, &fi->value, FTREPR_DISPLAY, fi->hfinfo->display);
	const char *kept = g_string_chunk_insert_const(self->strings, text != NULL ? text : "");
	wmem_free(NULL, text);
	return kept;
}

GStringChunk *
engine_field_roles_get_strings(EngineFieldRoles *self)
{
	return self->strings;
}
