/* http-params.c: query strings and urlencoded forms with repeated and nested names, checked
 * against a route's parameter declarations into typed values.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-params.h"

#include <string.h>

#include "sharkapi-error.h"

/* A declared parameter after http_params_check(). */
typedef struct {
	const char *text; /* borrowed: a value of the list, or the declaration's fallback */
	gint64 number;
	GPtrArray *items;
} HttpParamValue;

struct HttpParams {
	GPtrArray *names;
	GPtrArray *values;
	GHashTable *checked; /* declared name -> HttpParamValue */
};

static void
http_param_value_free(HttpParamValue *value)
{
	g_clear_pointer(&value->items, g_ptr_array_unref);
	g_free(value);
}

HttpParams *
http_params_new(void)
{
	HttpParams *self = g_new0(HttpParams, 1);
	self->names = g_ptr_array_new_with_free_func(g_free);
	self->values = g_ptr_array_new_with_free_func(g_free);
	self->checked = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)http_param_value_free);
	return self;
}

void
http_params_free(HttpParams *self)
{
	if (self == NULL)
		return;
	g_ptr_array_unref(self->names);
	g_ptr_array_unref(self->values);
	g_hash_table_unref(self->checked);
	g_free(self);
}

/* '+' is a space in forms; %XX decoded; invalid escapes and invalid UTF-8 are kept as they are
 * and made valid, so a value is always a UTF-8 string. */
static char *
http_params_decode(const char *text, gsize length)
{
	g_autofree char *plus = g_strndup(text, length);
	for (char *p = plus; *p != '\0'; p++) {
		if (*p == '+')
			*p = ' ';
	}
	g_autofree char *decoded = g_uri_unescape_string(plus, NULL);
	const char *result = decoded != NULL ? decoded : plus;
	return g_utf8_make_valid(result, -1);
}

void
http_params_add_urlencoded(HttpParams *self, const char *text, gsize length)
{
	const char *end = text + length;
	const char *pair = text;
	while (pair < end) {
		const char *amp = memchr(pair, '&', (gsize)(end - pair));
		const char *pair_end = amp != NULL ? amp : end;
		const char *equals = memchr(pair, '=', (gsize)(pair_end - pair));
		if (pair_end > pair) {
			const char *name_end = equals != NULL ? equals : pair_end;
			g_ptr_array_add(self->names, http_params_decode(pair, (gsize)(name_end - pair)));
			g_ptr_array_add(self->values, equals != NULL ? http_params_decode(equals + 1, (gsize)(pair_end - equals - 1))
								     : g_strdup(""));
		}
		pair = pair_end + 1;
	}
}

void
http_params_add(HttpParams *self, const char *name, const char *value)
{
	g_ptr_array_add(self->names, g_utf8_make_valid(name, -1));
	g_ptr_array_add(self->values, g_utf8_make_valid(value, -1));
}

HttpParams *
http_params_from_query(SoupServerMessage *msg)
{
	HttpParams *self = http_params_new();
	const char *query = g_uri_get_query(soup_server_message_get_uri(msg));
	if (query != NULL)
		http_params_add_urlencoded(self, query, strlen(query));
	return self;
}

static gboolean
http_params_is_form(SoupServerMessage *msg)
{
	const char *type =
		soup_message_headers_get_content_type(soup_server_message_get_request_headers(msg), NULL);
	return type != NULL && g_ascii_strcasecmp(type, "application/x-www-form-urlencoded") == 0;
}

HttpParams *
http_params_from_message(SoupServerMessage *msg, GError **error)
{
	g_autoptr(HttpParams) self = http_params_from_query(msg);
	if (!http_params_is_form(msg))
		return g_steal_pointer(&self);
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	if (body == NULL || body->length == 0)
		return g_steal_pointer(&self);
	if (body->length > HTTP_PARAMS_MAX_BODY) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_TOO_LARGE, "form body larger than %d bytes",
			    HTTP_PARAMS_MAX_BODY);
		return NULL;
	}
	g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
	gsize length = 0;
	const char *data = g_bytes_get_data(bytes, &length);
	http_params_add_urlencoded(self, data, length);
	return g_steal_pointer(&self);
}

guint
http_params_length(HttpParams *self)
{
	return self->names->len;
}

const char *
http_params_name(HttpParams *self, guint index)
{
	return g_ptr_array_index(self->names, index);
}

const char *
http_params_value(HttpParams *self, guint index)
{
	return g_ptr_array_index(self->values, index);
}

/* The last value of name as sent. */
static const char *
http_params_get_sent(HttpParams *self, const char *name)
{
	for (guint i = self->names->len; i > 0; i--) {
		if (g_str_equal(g_ptr_array_index(self->names, i - 1), name))
			return g_ptr_array_index(self->values, i - 1);
	}
	return NULL;
}

const char *
http_params_get(HttpParams *self, const char *name)
{
	HttpParamValue *value = g_hash_table_lookup(self->checked, name);
	return value != NULL ? value->text : http_params_get_sent(self, name);
}

gint64
http_params_get_integer(HttpParams *self, const char *name)
{
	HttpParamValue *value = g_hash_table_lookup(self->checked, name);
	g_return_val_if_fail(value != NULL, -1);
	return value->number;
}

GPtrArray *
http_params_get_list(HttpParams *self, const char *name)
{
	HttpParamValue *value = g_hash_table_lookup(self->checked, name);
	g_return_val_if_fail(value != NULL, NULL);
	return value->items; /* NULL: an optional list that was absent */
}

/* "json or ndjson" */
static char *
http_param_enum_choices(const HttpParamSpec *spec)
{
	g_autoptr(GString) choices = g_string_new(NULL);
	for (guint i = 0; spec->values[i] != NULL; i++)
		g_string_append_printf(choices, "%s%s", i == 0 ? "" : spec->values[i + 1] == NULL ? " or " : ", ",
				       spec->values[i]);
	return g_string_free(g_steal_pointer(&choices), FALSE);
}

static gboolean
http_param_check_enum(const HttpParamSpec *spec, HttpParamValue *value, GError **error)
{
	for (guint i = 0; spec->values[i] != NULL; i++) {
		if (g_ascii_strcasecmp(value->text, spec->values[i]) != 0)
			continue;
		gint64 number = -1;
		if (g_ascii_string_to_signed(value->text, 10, G_MININT64, G_MAXINT64, &number, NULL))
			value->number = number;
		return TRUE;
	}
	g_autofree char *choices = http_param_enum_choices(spec);
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "%s: must be %s, not '%s'", spec->name, choices,
		    value->text);
	return FALSE;
}

static gboolean
http_param_check_integer(const HttpParamSpec *spec, HttpParamValue *value, GError **error)
{
	gboolean valid = FALSE;
	if (spec->min >= 0) {
		guint64 number = 0;
		valid = g_ascii_string_to_unsigned(value->text, 10, (guint64)spec->min, (guint64)spec->max, &number, NULL);
		value->number = (gint64)number;
	} else {
		valid = g_ascii_string_to_signed(value->text, 10, spec->min, spec->max, &value->number, NULL);
	}
	if (!valid)
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "%s: '%s' is not a whole number",
			    spec->name, value->text);
	return valid;
}

/* One declared parameter; value->text is already the fallback when the value was empty. */
static gboolean
http_param_check_one(const HttpParamSpec *spec, HttpParamValue *value, GError **error)
{
	gboolean absent = value->text == NULL;
	switch (spec->type) {
	case HTTP_PARAM_STRING:
	case HTTP_PARAM_FILTER:
		if (absent || spec->max <= 0 || strlen(value->text) <= (gsize)spec->max)
			return TRUE;
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "%s: longer than %" G_GINT64_FORMAT " characters", spec->name, spec->max);
		return FALSE;
	case HTTP_PARAM_ENUM:
		return absent || http_param_check_enum(spec, value, error);
	case HTTP_PARAM_INTEGER:
		/* An empty count is no count, as an absent one. */
		return absent || *value->text == '\0' || http_param_check_integer(spec, value, error);
	case HTTP_PARAM_LIST:
		/* An optional list may be absent (a required one's parser says it is required). */
		if (absent && (spec->flags & HTTP_PARAM_REQUIRED) == 0)
			return TRUE;
		value->items = g_ptr_array_new_with_free_func(g_free);
		return spec->parse_list(value->text, value->items, error);
	case HTTP_PARAM_REPEATED:
		return TRUE;
	}
	g_return_val_if_reached(FALSE);
}

gboolean
http_params_check(HttpParams *self, const HttpParamSpec *specs, GError **error)
{
	for (const HttpParamSpec *spec = specs; spec != NULL && spec->name != NULL; spec++) {
		HttpParamValue *value = g_new0(HttpParamValue, 1);
		value->number = -1;
		value->text = http_params_get_sent(self, spec->name);
		if ((value->text == NULL || *value->text == '\0') && spec->fallback != NULL)
			value->text = spec->fallback;
		g_hash_table_replace(self->checked, (gpointer)spec->name, value);
		if ((spec->flags & HTTP_PARAM_ROUTE_CHECKS) == 0 && !http_param_check_one(spec, value, error))
			return FALSE;
	}
	return TRUE;
}

const char **
http_params_get_all(HttpParams *self, const char *name)
{
	GPtrArray *all = g_ptr_array_new();
	for (guint i = 0; i < self->names->len; i++) {
		if (g_str_equal(g_ptr_array_index(self->names, i), name))
			g_ptr_array_add(all, g_ptr_array_index(self->values, i));
	}
	g_ptr_array_add(all, NULL);
	return (const char **)g_ptr_array_free(all, FALSE);
}

char *
http_params_nested_key(const char *name, const char *prefix)
{
	gsize prefix_length = strlen(prefix);
	if (strncmp(name, prefix, prefix_length) != 0 || name[prefix_length] != '[')
		return NULL;
	g_autoptr(GString) key = g_string_new(NULL);
	const char *p = name + prefix_length;
	while (*p == '[') {
		const char *close = strchr(p, ']');
		if (close == NULL)
			return NULL;
		if (close > p + 1) {
			if (key->len > 0)
				g_string_append_c(key, '.');
			g_string_append_len(key, p + 1, close - p - 1);
		}
		p = close + 1;
	}
	if (*p != '\0' || key->len == 0)
		return NULL;
	return g_string_free(g_steal_pointer(&key), FALSE);
}
