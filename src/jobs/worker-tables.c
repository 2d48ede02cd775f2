/* worker-tables.c: HELLO's table list, parsed once (worker-tables.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "jobs/worker-tables.h"

#include "json-writer.h"
#include "worker-protocol.h"

static void
worker_table_free(gpointer data)
{
	WorkerTable *table = data;
	g_free(table->filter);
	g_free(table->name);
	g_free(table);
}

GPtrArray *
worker_tables_from_json(JsonArray *array)
{
	GPtrArray *tables = g_ptr_array_new_with_free_func(worker_table_free);
	for (guint i = 0; array != NULL && i < json_array_get_length(array); i++) {
		JsonNode *node = json_array_get_element(array, i);
		if (!JSON_NODE_HOLDS_OBJECT(node))
			continue;
		JsonObject *object = json_node_get_object(node);
		const char *filter = json_object_get_string_member_with_default(object, WORKER_HELLO_TABLE_FILTER, "");
		if (*filter == '\0')
			continue;
		WorkerTable *table = g_new0(WorkerTable, 1);
		table->filter = g_strdup(filter);
		table->name = g_strdup(json_object_get_string_member_with_default(object, WORKER_HELLO_TABLE_NAME, ""));
		g_ptr_array_add(tables, table);
	}
	return tables;
}

char *
worker_tables_to_json(const GPtrArray *tables)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_array(writer);
	for (guint i = 0; i < tables->len; i++) {
		const WorkerTable *table = g_ptr_array_index(tables, i);
		json_writer_begin_object(writer);
		json_writer_member_string(writer, WORKER_HELLO_TABLE_FILTER, table->filter);
		json_writer_member_string(writer, WORKER_HELLO_TABLE_NAME, table->name);
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
	return json_writer_steal_string(writer);
}

const WorkerTable *
worker_tables_find(const GPtrArray *tables, const char *protocol)
{
	for (guint i = 0; tables != NULL && protocol != NULL && i < tables->len; i++) {
		const WorkerTable *table = g_ptr_array_index(tables, i);
		if (g_ascii_strcasecmp(table->filter, protocol) == 0 || g_ascii_strcasecmp(table->name, protocol) == 0)
			return table;
	}
	return NULL;
}

char *
worker_tables_filter_names(const GPtrArray *tables)
{
	GString *names = g_string_new(NULL);
	for (guint i = 0; tables != NULL && i < tables->len; i++) {
		if (names->len > 0)
			g_string_append(names, ", ");
		g_string_append(names, ((const WorkerTable *)g_ptr_array_index(tables, i))->filter);
	}
	return g_string_free(names, FALSE);
}
