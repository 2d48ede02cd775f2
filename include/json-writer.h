/* json-writer.h: the JSON writer every route and the worker use.
 * It prints numbers as CloudShark does (integers bare, doubles in the shortest form that reads
 * back to the same value: 8.503908, 91967.99, 0) and checks, per object, that members come in
 * alphabetical order (API.md). It writes into a growing buffer that a streaming caller may take
 * from at any point (json_writer_take), so a million-row answer never sits whole in memory.
 * It does not parse JSON: json-glib does that.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct JsonWriter JsonWriter;

/* Longest text json_format_double() writes, with its NUL. */
#define JSON_DOUBLE_BUFSIZE 32

JsonWriter *json_writer_new(void);
void json_writer_free(JsonWriter *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsonWriter, json_writer_free)

void json_writer_begin_object(JsonWriter *self);
void json_writer_end_object(JsonWriter *self);
void json_writer_begin_array(JsonWriter *self);
void json_writer_end_array(JsonWriter *self);

/* Member name; must sort after the previous member of the same object (strcmp order). */
void json_writer_key(JsonWriter *self, const char *key);

void json_writer_string(JsonWriter *self, const char *value);   /* NULL writes null */
void json_writer_string_len(JsonWriter *self, const char *value, gssize len);
void json_writer_int(JsonWriter *self, gint64 value);
void json_writer_uint(JsonWriter *self, guint64 value);
void json_writer_double(JsonWriter *self, double value);      /* NaN and infinities write 0 */
void json_writer_double_rounded(JsonWriter *self, double value, int decimals);
void json_writer_bool(JsonWriter *self, gboolean value);
void json_writer_null(JsonWriter *self);
/* Inserts already-serialised JSON (a persisted result) as one value. */
void json_writer_raw(JsonWriter *self, const char *json, gsize len);

/* Convenience: key + value. */
void json_writer_member_string(JsonWriter *self, const char *key, const char *value);
void json_writer_member_int(JsonWriter *self, const char *key, gint64 value);
void json_writer_member_double(JsonWriter *self, const char *key, double value);
void json_writer_member_bool(JsonWriter *self, const char *key, gboolean value);

/* Bytes written so far and not yet taken. */
gsize json_writer_get_length(JsonWriter *self);
const char *json_writer_get_data(JsonWriter *self);
/* Takes what was written so far, leaving the writer's nesting state as it is. */
GBytes *json_writer_take(JsonWriter *self);
/* Takes everything as a string; for a finished document. */
char *json_writer_steal_string(JsonWriter *self);

/* Shortest round-trip text for a double; "0" for zero, NaN and infinities. Returns buf. */
char *json_format_double(double value, char buf[JSON_DOUBLE_BUFSIZE]);
/* Appends value as a JSON string literal (quotes, escapes, invalid UTF-8 replaced). */
void json_append_escaped(GString *out, const char *value, gssize len);

G_END_DECLS
