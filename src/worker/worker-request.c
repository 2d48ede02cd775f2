/* worker-request.c: request parsing with json-glib and member checks (see worker-request.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "worker"

#include "worker/worker-request.h"

#include "sharkapi-error.h"

JsonNode *
worker_request_parse(const char *line, gsize length, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;

	if (!json_parser_load_from_data(parser, line, (gssize)length, &error_local)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "request is not JSON: %s", error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "request is not a JSON object");
		return NULL;
	}
	return json_node_copy(root);
}

/* The member's node, NULL when absent or null. */
static JsonNode *
worker_request_member(JsonObject *request, const char *member)
{
	JsonNode *node = json_object_get_member(request, member);
	return node == NULL || JSON_NODE_HOLDS_NULL(node) ? NULL : node;
}

static gboolean
worker_request_bad(GError **error, const char *member, const char *what)
{
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "request member %s %s",
		    member, what);
	return FALSE;
}

gboolean
worker_request_get_string(JsonObject *request, const char *member, const char *fallback,
			  const char **value, GError **error)
{
	JsonNode *node = worker_request_member(request, member);

	if (node == NULL) {
		if (fallback == NULL)
			return worker_request_bad(error, member, "is missing");
		*value = fallback;
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
		return worker_request_bad(error, member, "must be a string");
	*value = json_node_get_string(node);
	return TRUE;
}

gboolean
worker_request_get_int(JsonObject *request, const char *member, gint64 fallback, gint64 *value,
		       GError **error)
{
	JsonNode *node = worker_request_member(request, member);

	if (node == NULL) {
		*value = fallback;
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
		return worker_request_bad(error, member, "must be an integer");
	*value = json_node_get_int(node);
	return TRUE;
}

gboolean
worker_request_get_strings(JsonObject *request, const char *member, GPtrArray **values,
			   GError **error)
{
	JsonNode *node = worker_request_member(request, member);
	g_autoptr(GPtrArray) strings = g_ptr_array_new();
	JsonArray *array;

	if (node == NULL)
		return worker_request_bad(error, member, "is missing");
	if (!JSON_NODE_HOLDS_ARRAY(node))
		return worker_request_bad(error, member, "must be an array of strings");
	array = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *element = json_array_get_element(array, i);
		if (!JSON_NODE_HOLDS_VALUE(element) ||
		    json_node_get_value_type(element) != G_TYPE_STRING)
			return worker_request_bad(error, member, "must be an array of strings");
		g_ptr_array_add(strings, (gpointer)json_node_get_string(element));
	}
	*values = g_steal_pointer(&strings);
	return TRUE;
}
