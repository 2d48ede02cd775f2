/* fuzz-search.c: libFuzzer target for v1 search parameters: the form/query text goes through
 * http-params.c and routes-search.c into search criteria, which run as SQL against a real (empty)
 * SQLite store in a temporary data dir made once per process.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib/gstdio.h>
#include <stdint.h>

#include "http/http-params.h"
#include "http/routes-search.h"
#include "store/store.h"
#include "store/store-search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Store *fuzz_store;

static Store *
fuzz_search_store(void)
{
	if (fuzz_store == NULL) {
		g_autofree char *dir = g_dir_make_tmp("sharkapi-fuzz-search-XXXXXX", NULL);
		g_autoptr(GError) error = NULL;
		fuzz_store = store_open(dir, &error);
		if (fuzz_store == NULL)
			g_error("fuzz-search: %s", error->message);
	}
	return fuzz_store;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Store *store = fuzz_search_store();
	g_autoptr(HttpParams) params = http_params_new();
	http_params_add_urlencoded(params, (const char *)data, size);
	g_autoptr(StoreSearchCriteria) criteria = store_search_criteria_new();
	g_autoptr(GError) error = NULL;
	if (!routes_search_criteria_from_params(criteria, params, &error)) {
		if (error == NULL)
			__builtin_trap();
		return 0;
	}
	store_search_criteria_set_max_limit(criteria, 100);
	g_autoptr(GError) search_error = NULL;
	g_autoptr(GPtrArray) captures = store_search_captures(store, criteria, &search_error);
	/* Criteria that parsed must make valid SQL: a failure here is a bug, not bad input. */
	if (captures == NULL && search_error != NULL && search_error->code == 500)
		g_error("search SQL failed: %s", search_error->message);
	return 0;
}
