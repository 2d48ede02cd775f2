/* json-writer.c: streaming JSON output in CloudShark's number format.
 * A stack of frames remembers, per open object or array, whether a separator is due and the last
 * member name (to check alphabetical order). Order mistakes are programming errors: they are
 * reported with g_critical, which the tests turn fatal, and the output is still written.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "json"

#include "json-writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	gboolean is_object;
	gboolean need_comma;
	gboolean after_key;
	char *last_key;
} JsonFrame;

struct JsonWriter {
	GString *out;
	GArray *frames; /* of JsonFrame */
	gboolean top_written;
};

JsonWriter *
json_writer_new(void)
{
	JsonWriter *self = g_new0(JsonWriter, 1);
	self->out = g_string_sized_new(256);
	self->frames = g_array_new(FALSE, TRUE, sizeof(JsonFrame));
	return self;
}

void
json_writer_free(JsonWriter *self)
{
	if (self == NULL)
		return;
	for (guint i = 0; i < self->frames->len; i++)
		g_free(g_array_index(self->frames, JsonFrame, i).last_key);
	g_array_free(self->frames, TRUE);
	g_string_free(self->out, TRUE);
	g_free(self);
}

static JsonFrame *
json_writer_top(JsonWriter *self)
{
	if (self->frames->len == 0)
		return NULL;
	return &g_array_index(self->frames, JsonFrame, self->frames->len - 1);
}

/* Writes the separator a new value needs in the current container. */
static void
json_writer_before_value(JsonWriter *self)
{
	JsonFrame *frame = json_writer_top(self);
	if (frame == NULL) {
		self->top_written = TRUE;
		return;
	}
	if (frame->is_object) {
		if (!frame->after_key)
			g_critical("JSON value without a member name");
		frame->after_key = FALSE;
		return;
	}
	if (frame->need_comma)
		g_string_append_c(self->out, ',');
	frame->need_comma = TRUE;
}

static void
json_writer_push(JsonWriter *self, gboolean is_object)
{
	JsonFrame frame = {.is_object = is_object};
	json_writer_before_value(self);
	g_string_append_c(self->out, is_object ? '{' : '[');
	g_array_append_val(self->frames, frame);
}

static void
json_writer_pop(JsonWriter *self, gboolean is_object)
{
	JsonFrame *frame = json_writer_top(self);
	if (frame == NULL || frame->is_object != is_object) {
		g_critical("unbalanced JSON %s", is_object ? "object" : "array");
		return;
	}
	g_free(frame->last_key);
	g_array_set_size(self->frames, self->frames->len - 1);
	g_string_append_c(self->out, is_object ? '}' : ']');
}

void
json_writer_begin_object(JsonWriter *self)
{
	json_writer_push(self, TRUE);
}

void
json_writer_end_object(JsonWriter *self)
{
	json_writer_pop(self, TRUE);
}

void
json_writer_begin_array(JsonWriter *self)
{
	json_writer_push(self, FALSE);
}

void
json_writer_end_array(JsonWriter *self)
{
	json_writer_pop(self, FALSE);
}

void
json_writer_key(JsonWriter *self, const char *key)
{
	JsonFrame *frame = json_writer_top(self);
	if (frame == NULL || !frame->is_object) {
		g_critical("JSON member name '%s' outside an object", key);
		return;
	}
	if (frame->last_key != NULL && strcmp(frame->last_key, key) >= 0)
		g_critical("JSON member '%s' after '%s': not in alphabetical order", key, frame->last_key);
	g_free(frame->last_key);
	frame->last_key = g_strdup(key);
	if (frame->need_comma)
		g_string_append_c(self->out, ',');
	frame->need_comma = TRUE;
	json_append_escaped(self->out, key, -1);
	g_string_append_c(self->out, ':');
	frame->after_key = TRUE;
}

void
json_append_escaped(GString *out, const char *value, gssize len)
{
	const char *p = value;
	const char *end = value + (len < 0 ? (gssize)strlen(value) : len);

	g_string_append_c(out, '"');
	while (p < end) {
		guchar c = (guchar)*p;
		if (c < 0x80) {
			switch (c) {
			case '"': g_string_append(out, "\\\""); break;
			case '\\': g_string_append(out, "\\\\"); break;
			case '\n': g_string_append(out, "\\n"); break;
			case '\r': g_string_append(out, "\\r"); break;
			case '\t': g_string_append(out, "\\t"); break;
			case '\b': g_string_append(out, "\\b"); break;
			case '\f': g_string_append(out, "\\f"); break;
			default:
				if (c < 0x20)
					g_string_append_printf(out, "\\u%04x", c);
				else
					g_string_append_c(out, (char)c);
			}
			p++;
			continue;
		}
		/* Multi-byte sequence: copy when valid, else U+FFFD so the output stays valid JSON. */
		gunichar uc = g_utf8_get_char_validated(p, end - p);
		if (uc == (gunichar)-1 || uc == (gunichar)-2) {
			g_string_append(out, "\xEF\xBF\xBD");
			p++;
			continue;
		}
		const char *next = g_utf8_next_char(p);
		g_string_append_len(out, p, next - p);
		p = next;
	}
	g_string_append_c(out, '"');
}

void
json_writer_string_len(JsonWriter *self, const char *value, gssize len)
{
	json_writer_before_value(self);
	if (value == NULL)
		g_string_append(self->out, "null");
	else
		json_append_escaped(self->out, value, len);
}

void
json_writer_string(JsonWriter *self, const char *value)
{
	json_writer_string_len(self, value, -1);
}

void
json_writer_int(JsonWriter *self, gint64 value)
{
	json_writer_before_value(self);
	g_string_append_printf(self->out, "%" G_GINT64_FORMAT, value);
}

void
json_writer_uint(JsonWriter *self, guint64 value)
{
	json_writer_before_value(self);
	g_string_append_printf(self->out, "%" G_GUINT64_FORMAT, value);
}

/* The shortest digits that read back to value, as "d.ddde±x" from %.*e: into digits (no point,
 * no sign) and the decimal exponent x. */
static void
json_shortest_digits(double value, char digits[20], int *exponent)
{
	char text[JSON_DOUBLE_BUFSIZE];
	for (int precision = 0; precision <= 16; precision++) {
		char format[8]; /* g_ascii_formatd: a '.' whatever the locale */
		g_snprintf(format, sizeof format, "%%.%de", precision);
		g_ascii_formatd(text, sizeof text, format, value);
		if (g_ascii_strtod(text, NULL) == value)
			break;
	}
	char *e = strchr(text, 'e');
	*exponent = atoi(e + 1);
	gsize n = 0;
	for (const char *c = text; c < e; c++)
		if (g_ascii_isdigit(*c))
			digits[n++] = *c;
	while (n > 1 && digits[n - 1] == '0') /* %.0e can still end in zeros after a carry */
		n--;
	digits[n] = '\0';
}

/* ECMAScript's Number-to-String layout (as JSON.stringify prints numbers): positional for
 * 1e-7 <= |value| < 1e21 (100, not 1e+02), exponent form outside, always the shortest digits. */
char *
json_format_double(double value, char buf[JSON_DOUBLE_BUFSIZE])
{
	if (!isfinite(value) || value == 0) {
		strcpy(buf, "0");
		return buf;
	}
	char digits[20];
	int exponent;
	json_shortest_digits(fabs(value), digits, &exponent);
	int k = (int)strlen(digits), n = exponent + 1; /* value = 0.DIGITS x 10^n */
	const char *sign = value < 0 ? "-" : "";
	if (k <= n && n <= 21) /* an integer: the digits, then zeros */
		g_snprintf(buf, JSON_DOUBLE_BUFSIZE, "%s%s%.*s", sign, digits, n - k, "000000000000000000000");
	else if (0 < n && n <= 21) /* the point inside the digits */
		g_snprintf(buf, JSON_DOUBLE_BUFSIZE, "%s%.*s.%s", sign, n, digits, digits + n);
	else if (-6 < n && n <= 0) /* 0.000ddd */
		g_snprintf(buf, JSON_DOUBLE_BUFSIZE, "%s0.%.*s%s", sign, -n, "000000", digits);
	else
		g_snprintf(buf, JSON_DOUBLE_BUFSIZE, "%s%c%s%se%c%d", sign, digits[0], k > 1 ? "." : "",
			   digits + 1, n - 1 < 0 ? '-' : '+', abs(n - 1));
	return buf;
}

void
json_writer_double(JsonWriter *self, double value)
{
	char buf[JSON_DOUBLE_BUFSIZE];
	json_writer_before_value(self);
	g_string_append(self->out, json_format_double(value, buf));
}

void
json_writer_double_rounded(JsonWriter *self, double value, int decimals)
{
	double scale = pow(10, decimals);
	json_writer_double(self, round(value * scale) / scale);
}

void
json_writer_bool(JsonWriter *self, gboolean value)
{
	json_writer_before_value(self);
	g_string_append(self->out, value ? "true" : "false");
}

void
json_writer_null(JsonWriter *self)
{
	json_writer_before_value(self);
	g_string_append(self->out, "null");
}

void
json_writer_raw(JsonWriter *self, const char *json, gsize len)
{
	json_writer_before_value(self);
	g_string_append_len(self->out, json, len);
}

void
json_writer_member_string(JsonWriter *self, const char *key, const char *value)
{
	json_writer_key(self, key);
	json_writer_string(self, value);
}

void
json_writer_member_int(JsonWriter *self, const char *key, gint64 value)
{
	json_writer_key(self, key);
	json_writer_int(self, value);
}

void
json_writer_member_double(JsonWriter *self, const char *key, double value)
{
	json_writer_key(self, key);
	json_writer_double(self, value);
}

void
json_writer_member_bool(JsonWriter *self, const char *key, gboolean value)
{
	json_writer_key(self, key);
	json_writer_bool(self, value);
}

gsize
json_writer_get_length(JsonWriter *self)
{
	return self->out->len;
}

const char *
json_writer_get_data(JsonWriter *self)
{
	return self->out->str;
}

GBytes *
json_writer_take(JsonWriter *self)
{
	GBytes *bytes = g_bytes_new(self->out->str, self->out->len);
	g_string_truncate(self->out, 0);
	return bytes;
}

char *
json_writer_steal_string(JsonWriter *self)
{
	char *text = g_strndup(self->out->str, self->out->len);
	g_string_truncate(self->out, 0);
	return text;
}
