/* engine-field-values.h: the values of named fields in each dissected frame, as tshark -T fields
 * -E occurrence=a -E aggregator=, prints them: for packets/fields and for the packet list's
 * custom columns. Names are fields libwireshark knows or columns (_ws.col.Info), kept in the
 * order given. The caller creates the tree the set needs (needs_visible_tree), hands over the
 * column_info when needs_columns, primes each dissection and collects after it.
 * Must not format rows: callers do.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <epan/column-info.h>
#include <epan/epan_dissect.h>

G_BEGIN_DECLS

typedef struct EngineFieldValues EngineFieldValues;

/* 400 for an unknown field name; a name given twice is kept once. */
EngineFieldValues *engine_field_values_new(const char *const *names, guint n_names, GError **error);
void engine_field_values_free(EngineFieldValues *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineFieldValues, engine_field_values_free)

/* A column (_ws.col.*) is asked for: dissect with engine_field_values_get_columns(). */
gboolean engine_field_values_needs_columns(EngineFieldValues *self);
/* A protocol (FT_PROTOCOL) field is asked for: its value is the item's text, only a visible tree
 * has it. */
gboolean engine_field_values_needs_visible_tree(EngineFieldValues *self);
/* The preferences' columns, built on first use; owned by self. */
column_info *engine_field_values_get_columns(EngineFieldValues *self);

/* Before a dissection: the fields' ids (and the columns' custom fields) into edt. */
void engine_field_values_prime(EngineFieldValues *self, epan_dissect_t *edt);
/* After it: every name's values in this frame; the previous frame's are dropped. */
void engine_field_values_collect(EngineFieldValues *self, epan_dissect_t *edt);

guint engine_field_values_get_count(EngineFieldValues *self);
const char *engine_field_values_get_name(EngineFieldValues *self, guint index);
/* This frame's occurrences joined with ','; "" when absent (present tells the two apart). */
const char *engine_field_values_get_value(EngineFieldValues *self, guint index);
gboolean engine_field_values_is_present(EngineFieldValues *self, guint index);

G_END_DECLS
