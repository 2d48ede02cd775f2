/* http-params.c: query strings and urlencoded forms with repeated and nested names.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-params.h"

#include <string.h>

#include "sharkapi-error.h"

struct HttpParams {
	GPtrArray *names;
	GPtrArray *values;
};

HttpParams *
http_params_new(void)
{
	HttpParams *self = g_new0(HttpParams, 1);
	self->names = g_ptr_array_new_with_free_func(g_free);
	self->values = g_ptr_array_new_with_free_func(g_free);
	return self;
}

void
http_params_free(HttpParams *self)
{
	if (self == NULL)
		return;
	g_ptr_array_unref(self->names);
	g_ptr_array_unref(self->values);
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

const char *
http_params_get(HttpParams *self, const char *name)
{
	for (guint i = self->names->len; i > 0; i--) {
		if (g_str_equal(g_ptr_array_index(self->names, i - 1), name))
			return g_ptr_array_index(self->values, i - 1);
	}
	return NULL;
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
