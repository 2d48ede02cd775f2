/* event-log.h: structured log lines on stderr, one event per line.
 * Two formats, chosen by the log-format setting: "text" (logfmt, key=value, values quoted when
 * they hold spaces) and "json" (one object per line, keys in alphabetical order). Every line has
 * time, level and event; GLib's g_message()/g_warning() become event=log lines with domain and
 * message once event_log_install() ran, so a log shipper reads one format only.
 *     EventLogLine *line = event_log_begin("request");
 *     event_log_add_string(line, "method", "GET");
 *     event_log_add_int(line, "status", 200);
 *     event_log_end(line);
 * Must not decide what is logged: callers do.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	EVENT_LOG_TEXT,
	EVENT_LOG_JSON,
} EventLogFormat;

typedef struct EventLogLine EventLogLine;

/* "text" or "json". */
gboolean event_log_parse_format(const char *text, EventLogFormat *format, GError **error);
/* Sets the format, turns event lines on (off until then) and routes GLib's log messages through it. */
void event_log_install(EventLogFormat format);

EventLogLine *event_log_begin(const char *event);
/* level: "info" (default), "warning", "error", ... */
void event_log_set_level(EventLogLine *line, const char *level);
void event_log_add_string(EventLogLine *line, const char *key, const char *value);
void event_log_add_int(EventLogLine *line, const char *key, gint64 value);
void event_log_add_double(EventLogLine *line, const char *key, double value);
/* Writes the line to stderr and frees it. */
void event_log_end(EventLogLine *line);

G_END_DECLS
