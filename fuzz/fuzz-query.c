/* fuzz-query.c: libFuzzer target for query strings and form bodies: libsoup's decoder (what the
 * server's route handlers get as the query table) and http-params.c's ordered decoder with its
 * Rails-style nested names. Must not touch the network or the disk.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <libsoup/soup.h>
#include <stdint.h>

#include "http/http-params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	GHashTable *table = soup_form_decode(text);
	if (table != NULL)
		g_hash_table_unref(table);

	g_autoptr(HttpParams) params = http_params_new();
	http_params_add_urlencoded(params, (const char *)data, size);
	for (guint i = 0; i < http_params_length(params); i++) {
		const char *name = http_params_name(params, i);
		g_free(http_params_nested_key(name, "search"));
		g_free(http_params_nested_key(name, ""));
		const char **all = http_params_get_all(params, name);
		g_free(all);
		(void)http_params_get(params, name);
	}
	return 0;
}
