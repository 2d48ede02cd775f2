/* routes-search.c: GET /api/v1/<token>/search?search[filename]=x&search[tags][]=y...
 * answers a bare array of info objects, newest first unless search[sort] says otherwise.
 * Nested names follow Rails: search[tags][]=a&search[tags][]=b (both tags), and
 * search[created_at][from] / search[created_at][to] (likewise start_time) for date ranges.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "search"

#include "http/routes-search.h"

#include "http/http-reply.h"
#include "http/routes-captures.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"

gboolean
routes_search_criteria_from_params(StoreSearchCriteria *criteria, HttpParams *params, GError **error)
{
	for (guint i = 0; i < http_params_length(params); i++) {
		g_autofree char *key = http_params_nested_key(http_params_name(params, i), "search");
		if (key == NULL)
			continue;
		if (!store_search_criteria_set(criteria, key, http_params_value(params, i), error))
			return FALSE;
	}
	return TRUE;
}

void
routes_search(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	Store *store = request->server->store;
	g_autoptr(StoreSearchCriteria) criteria = store_search_criteria_new();
	if (!routes_search_criteria_from_params(criteria, request->params, &error)) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autoptr(GPtrArray) captures = store_search_captures(store, criteria, &error);
	if (captures == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_array(writer);
	for (guint i = 0; i < captures->len; i++)
		routes_captures_write_info(writer, g_ptr_array_index(captures, i));
	json_writer_end_array(writer);
	http_reply_writer(request->msg, 200, writer);
}
