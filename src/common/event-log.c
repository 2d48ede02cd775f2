/* event-log.c: logfmt or JSON lines on stderr, and GLib's log messages in the same form.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "event-log.h"

#include <stdio.h>
#include <string.h>

#include "json-writer.h"
#include "sharkapi-error.h"

typedef enum {
	EVENT_VALUE_STRING,
	EVENT_VALUE_INT,
	EVENT_VALUE_DOUBLE,
} EventValueType;

typedef struct {
	char *key;
	EventValueType type;
	char *text;
	gint64 integer;
	double number;
} EventField;

struct EventLogLine {
	GArray *fields; /* of EventField */
};

/* Set once at start, before other threads log: the format is the process's, like stderr. */
static EventLogFormat event_log_format = EVENT_LOG_TEXT;
/* Only a process that asked for event lines (the server) writes them: the CLI stays quiet. */
static gboolean event_log_enabled;

gboolean
event_log_parse_format(const char *text, EventLogFormat *format, GError **error)
{
	if (g_strcmp0(text, "text") == 0) {
		*format = EVENT_LOG_TEXT;
		return TRUE;
	}
	if (g_strcmp0(text, "json") == 0) {
		*format = EVENT_LOG_JSON;
		return TRUE;
	}
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "log-format: 'text' or 'json', not '%s'", text);
	return FALSE;
}

static void
event_field_clear(gpointer data)
{
	EventField *field = data;
	g_free(field->key);
	g_free(field->text);
}

static EventField *
event_log_add(EventLogLine *line, const char *key, EventValueType type)
{
	/* A repeated key replaces the earlier value: one key, one value per line. */
	for (guint i = 0; i < line->fields->len; i++) {
		EventField *field = &g_array_index(line->fields, EventField, i);
		if (g_str_equal(field->key, key)) {
			g_clear_pointer(&field->text, g_free);
			field->type = type;
			return field;
		}
	}
	EventField field = {.key = g_strdup(key), .type = type};
	g_array_append_val(line->fields, field);
	return &g_array_index(line->fields, EventField, line->fields->len - 1);
}

void
event_log_add_string(EventLogLine *line, const char *key, const char *value)
{
	event_log_add(line, key, EVENT_VALUE_STRING)->text = g_strdup(value != NULL ? value : "");
}

void
event_log_add_int(EventLogLine *line, const char *key, gint64 value)
{
	event_log_add(line, key, EVENT_VALUE_INT)->integer = value;
}

void
event_log_add_double(EventLogLine *line, const char *key, double value)
{
	event_log_add(line, key, EVENT_VALUE_DOUBLE)->number = value;
}

void
event_log_set_level(EventLogLine *line, const char *level)
{
	event_log_add_string(line, "level", level);
}

EventLogLine *
event_log_begin(const char *event)
{
	EventLogLine *line = g_new0(EventLogLine, 1);
	line->fields = g_array_new(FALSE, TRUE, sizeof(EventField));
	g_array_set_clear_func(line->fields, event_field_clear);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
	/* %f gives microseconds; milliseconds are enough to read and sort. */
	if (stamp != NULL && strlen(stamp) > 24)
		memmove(stamp + 23, stamp + 26, strlen(stamp + 26) + 1);
	event_log_add_string(line, "time", stamp);
	event_log_add_string(line, "level", "info");
	event_log_add_string(line, "event", event);
	return line;
}

static int
event_field_compare(gconstpointer a, gconstpointer b)
{
	return strcmp(((const EventField *)a)->key, ((const EventField *)b)->key);
}

/* logfmt: bare when the value is plain, else a quoted string with \" \\ \n escapes. */
static void
event_log_append_text_value(GString *out, const char *value)
{
	gboolean plain = *value != '\0';
	for (const char *p = value; *p != '\0' && plain; p++)
		plain = (guchar)*p > ' ' && *p != '"' && *p != '=' && *p != '\\';
	if (plain) {
		g_string_append(out, value);
		return;
	}
	g_string_append_c(out, '"');
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(out, '\\');
		if (*p == '\n')
			g_string_append(out, "\\n");
		else if (*p == '\r' || *p == '\t')
			g_string_append_c(out, ' ');
		else
			g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

static char *
event_log_format_text(EventLogLine *line)
{
	GString *out = g_string_new(NULL);
	/* time, level and event first, as people read them; the rest in alphabetical order. */
	static const char *const leading[] = {"time", "level", "event", NULL};
	for (guint pass = 0; pass < 4; pass++) {
		for (guint i = 0; i < line->fields->len; i++) {
			EventField *field = &g_array_index(line->fields, EventField, i);
			/* passes 0-2: the leading keys in their order; pass 3: every other key */
			if (pass < 3 ? !g_str_equal(field->key, leading[pass]) : g_strv_contains(leading, field->key))
				continue;
			char number[JSON_DOUBLE_BUFSIZE];
			if (out->len > 0)
				g_string_append_c(out, ' ');
			g_string_append_printf(out, "%s=", field->key);
			if (field->type == EVENT_VALUE_STRING)
				event_log_append_text_value(out, field->text);
			else if (field->type == EVENT_VALUE_INT)
				g_string_append_printf(out, "%" G_GINT64_FORMAT, field->integer);
			else
				g_string_append(out, json_format_double(field->number, number));
		}
	}
	return g_string_free(out, FALSE);
}

static char *
event_log_format_json(EventLogLine *line)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	for (guint i = 0; i < line->fields->len; i++) {
		EventField *field = &g_array_index(line->fields, EventField, i);
		json_writer_key(writer, field->key);
		if (field->type == EVENT_VALUE_STRING)
			json_writer_string(writer, field->text);
		else if (field->type == EVENT_VALUE_INT)
			json_writer_int(writer, field->integer);
		else
			json_writer_double(writer, field->number);
	}
	json_writer_end_object(writer);
	return json_writer_steal_string(writer);
}

void
event_log_end(EventLogLine *line)
{
	if (!event_log_enabled) {
		g_array_unref(line->fields);
		g_free(line);
		return;
	}
	g_array_sort(line->fields, event_field_compare);
	g_autofree char *text =
		event_log_format == EVENT_LOG_JSON ? event_log_format_json(line) : event_log_format_text(line);
	/* One write per line, so lines of concurrent writers never interleave. */
	g_autofree char *with_newline = g_strconcat(text, "\n", NULL);
	fputs(with_newline, stderr);
	fflush(stderr);
	g_array_unref(line->fields);
	g_free(line);
}

static const char *
event_log_level_name(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return "error";
	if (level & G_LOG_LEVEL_CRITICAL)
		return "critical";
	if (level & G_LOG_LEVEL_WARNING)
		return "warning";
	if (level & G_LOG_LEVEL_MESSAGE)
		return "notice";
	if (level & G_LOG_LEVEL_INFO)
		return "info";
	return "debug";
}

static GLogWriterOutput
event_log_glib_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const char *domain = NULL, *message = NULL;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_str_equal(fields[i].key, "GLIB_DOMAIN"))
			domain = fields[i].value;
		else if (g_str_equal(fields[i].key, "MESSAGE"))
			message = fields[i].value;
	}
	if (g_log_writer_default_would_drop(level, domain))
		return G_LOG_WRITER_HANDLED;
	EventLogLine *line = event_log_begin("log");
	event_log_set_level(line, event_log_level_name(level));
	event_log_add_string(line, "domain", domain != NULL ? domain : "sharkapi");
	event_log_add_string(line, "message", message);
	event_log_end(line);
	return G_LOG_WRITER_HANDLED;
}

void
event_log_install(EventLogFormat format)
{
	event_log_format = format;
	event_log_enabled = TRUE;
	g_log_set_writer_func(event_log_glib_writer, NULL, NULL);
}
