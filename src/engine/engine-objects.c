/* engine-objects.c: export objects through libwireshark's own handlers (engine-objects.h).
 * The handler's tap listener collects export_object_entry_t's as tshark's does (no tree, no
 * filter); the file names are tshark's: eo_massage_str() of the object's name (or of
 * "object<frame>.<ext>" when it has none), and a name already taken, or one that names the
 * folder itself ("", ".", ".."), is tried again with a duplicate number, up to tshark's 1,000.
 * Must not keep entries between jobs: the handler's reset function runs before and after.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-objects.h"

#include "engine/engine-answer-file.h"
#include "engine/engine-session.h"
#include "json-writer.h"
#include "sharkapi-error.h"

#include <wireshark.h>
#include <epan/epan_dissect.h>
#include <epan/export_object.h>
#include <epan/tap.h>

#include <string.h>

/* tshark's prefs.gui_max_export_objects: tries before a duplicate name is used anyway. */
#define ENGINE_OBJECTS_MAX_DUPLICATES 1000

typedef struct {
	export_object_list_t list; /* first: the handler's tap data */
	GPtrArray *entries;        /* of export_object_entry_t, owned */
	register_eo_t *eo;
	gboolean registered;
} EngineObjects;

static void
engine_objects_clear(EngineObjects *self)
{
	if (self->registered)
		remove_tap_listener(&self->list);
	if (self->eo != NULL && get_eo_reset_func(self->eo) != NULL)
		get_eo_reset_func(self->eo)();
	g_clear_pointer(&self->entries, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EngineObjects, engine_objects_clear)

static void
engine_objects_add_entry_cb(void *gui_data, export_object_entry_t *entry)
{
	EngineObjects *self = gui_data;
	g_ptr_array_add(self->entries, entry);
}

/* ftp-data appends later packets to an entry it added before, by row. */
static export_object_entry_t *
engine_objects_get_entry_cb(void *gui_data, int row)
{
	EngineObjects *self = gui_data;
	if (row < 0 || (guint)row >= self->entries->len)
		return NULL;
	return g_ptr_array_index(self->entries, row);
}

static gboolean
engine_objects_name_cb(const void *key, void *value, void *user_data)
{
	GString *names = user_data;
	g_string_append_printf(names, "%s%s", names->len > 0 ? ", " : "", (const char *)key);
	return FALSE;
}

static gboolean
engine_objects_prepare(EngineObjects *self, const char *protocol, GError **error)
{
	self->eo = get_eo_by_name(protocol);
	if (self->eo == NULL) {
		g_autoptr(GString) names = g_string_new(NULL);
		eo_iterate_tables(engine_objects_name_cb, names);
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "protocol: '%s' has no export-object handler; the handlers are %s", protocol, names->str);
		return FALSE;
	}
	self->entries = g_ptr_array_new_with_free_func((GDestroyNotify)eo_free_entry);
	self->list.add_entry = engine_objects_add_entry_cb;
	self->list.get_entry = engine_objects_get_entry_cb;
	self->list.gui_data = self;
	/* Left over from an earlier job in this worker, if any. */
	if (get_eo_reset_func(self->eo) != NULL)
		get_eo_reset_func(self->eo)();
	GString *failure = register_tap_listener(get_eo_tap_listener_name(self->eo), &self->list, NULL, 0, NULL,
						 get_eo_packet_func(self->eo), NULL, NULL);
	if (failure != NULL) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "%s tap: %s", protocol, failure->str);
		g_string_free(failure, TRUE);
		return FALSE;
	}
	self->registered = TRUE;
	return TRUE;
}

static EngineFrameResult
engine_objects_frame_cb(epan_dissect_t *edt, frame_data *fdata, gpointer user_data)
{
	return ENGINE_FRAME_DISPLAYED;
}

/* The name tshark gives the entry's file when the names in used are taken. */
static char *
engine_objects_file_name(const export_object_entry_t *entry, GHashTable *used)
{
	g_autofree char *generic = NULL;
	const char *base = entry->filename;
	GString *name = NULL;

	if (base == NULL) {
		const char *extension = eo_ct2ext(entry->content_type);
		generic = g_strdup_printf("object%u%s%s", entry->pkt_num, extension != NULL ? "." : "",
					  extension != NULL ? extension : "");
		/* tshark builds it in a buffer of EXPORT_OBJECT_MAXFILELEN + 1 bytes. */
		if (strlen(generic) > EXPORT_OBJECT_MAXFILELEN)
			generic[EXPORT_OBJECT_MAXFILELEN] = '\0';
		base = generic;
	}
	for (int count = 0;;) {
		name = eo_massage_str(base, EXPORT_OBJECT_MAXFILELEN, count);
		gboolean taken = g_hash_table_contains(used, name->str) || name->len == 0 ||
				 strcmp(name->str, ".") == 0 || strcmp(name->str, "..") == 0;
		if (!taken || ++count >= ENGINE_OBJECTS_MAX_DUPLICATES)
			break;
		g_string_free(name, TRUE);
	}
	char *result = g_string_free(name, FALSE);
	g_hash_table_add(used, g_strdup(result));
	return result;
}

static void
engine_objects_write_list(EngineObjects *self, const char *protocol, JsonWriter *writer)
{
	g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	json_writer_begin_object(writer);
	json_writer_key(writer, "data");
	json_writer_begin_object(writer);
	json_writer_key(writer, "objects");
	json_writer_begin_array(writer);
	for (guint i = 0; i < self->entries->len; i++) {
		const export_object_entry_t *entry = g_ptr_array_index(self->entries, i);
		g_autofree char *name = engine_objects_file_name(entry, used);
		json_writer_begin_object(writer);
		json_writer_member_string(writer, "content_type", entry->content_type);
		json_writer_member_string(writer, "filename", name);
		json_writer_member_int(writer, "frame", entry->pkt_num);
		json_writer_member_string(writer, "hostname", entry->hostname);
		json_writer_member_int(writer, "index", i + 1);
		json_writer_key(writer, "size");
		json_writer_uint(writer, entry->payload_len);
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
	json_writer_member_string(writer, "protocol", protocol);
	json_writer_end_object(writer);
	json_writer_end_object(writer);
}

static gboolean
engine_objects_write(EngineObjects *self, const EngineObjectsRequest *request, GError **error)
{
	g_autoptr(EngineAnswerFile) file = engine_answer_file_open(request->output, error);
	g_autoptr(JsonWriter) writer = json_writer_new();

	if (file == NULL)
		return FALSE;
	engine_objects_write_list(self, request->protocol, writer);
	/* The writer escapes control characters: the list is one line. */
	if (!engine_answer_file_write(file, json_writer_get_data(writer), json_writer_get_length(writer), error) ||
	    !engine_answer_file_write(file, "\n", 1, error))
		return FALSE;
	for (guint i = 0; i < self->entries->len; i++) {
		const export_object_entry_t *entry = g_ptr_array_index(self->entries, i);
		if (!engine_answer_file_write(file, entry->payload_data, entry->payload_len, error))
			return FALSE;
	}
	return engine_answer_file_commit(file, error);
}

gboolean
engine_objects_run(Engine *engine, const EngineObjectsRequest *request, EngineProgressFunc progress,
		   gpointer progress_data, guint *count, GError **error)
{
	g_auto(EngineObjects) objects = {0};
	EngineLoop loop = {
	    .frame = engine_objects_frame_cb,
	    .user_data = &objects,
	    .progress = {progress, progress_data, 0.0, 1.0},
	};

	*count = 0;
	/* No tree, as tshark dissects for --export-objects alone. */
	if (!engine_objects_prepare(&objects, request->protocol, error) ||
	    !engine_run_passes(engine, request->capture, request->passes, &loop, FALSE, FALSE, NULL, error))
		return FALSE;
	if (!engine_objects_write(&objects, request, error))
		return FALSE;
	*count = objects.entries->len;
	return TRUE;
}
