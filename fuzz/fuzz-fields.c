/* fuzz-fields.c: libFuzzer target for the field list of packets/fields ("fields=a,b,c"):
 * whatever fields_parse_list() accepts is 1 to FIELDS_MAX valid names.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "http/routes-fields.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	if (fields_parse_list(text, fields, &error)) {
		/* What the parser lets through must be a sane list of names. */
		if (fields->len == 0 || fields->len > FIELDS_MAX)
			__builtin_trap();
		for (guint i = 0; i < fields->len; i++) {
			if (!fields_name_is_valid(g_ptr_array_index(fields, i)))
				__builtin_trap();
		}
	}
	return 0;
}
