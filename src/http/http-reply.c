/* http-reply.c: status codes and JSON bodies for success and failure.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-reply.h"

#include "sharkapi-error.h"

void
http_reply_write_error(JsonWriter *writer, guint status, const char *message)
{
	json_writer_begin_object(writer);
	json_writer_key(writer, "exceptions");
	json_writer_begin_array(writer);
	json_writer_string(writer, message);
	json_writer_end_array(writer);
	json_writer_member_int(writer, "status", status);
	json_writer_end_object(writer);
}

void
http_reply_error(SoupServerMessage *msg, const GError *error)
{
	guint status = sharkapi_error_http_status(error);
	g_autoptr(JsonWriter) writer = json_writer_new();

	if (status >= 500)
		g_warning("%s %s: %u %s", soup_server_message_get_method(msg),
			  g_uri_get_path(soup_server_message_get_uri(msg)), status, error->message);
	if (status == 503)
		soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
					     HTTP_RETRY_AFTER_SECONDS);
	http_reply_write_error(writer, status, error->message);
	http_reply_writer(msg, status, writer);
}

void
http_reply_error_literal(SoupServerMessage *msg, guint status, const char *message)
{
	g_autoptr(GError) error = g_error_new_literal(SHARKAPI_ERROR, (gint)status, message);
	http_reply_error(msg, error);
}

void
http_reply_json_pieces(SoupServerMessage *msg, guint status, GPtrArray *pieces)
{
	SoupMessageBody *body = soup_server_message_get_response_body(msg);
	soup_server_message_set_status(msg, status, NULL);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Content-Type",
				     HTTP_JSON_CONTENT_TYPE);
	soup_message_body_truncate(body);
	/* References, not copies: a shared cached answer or a file mapping stays one in memory. */
	for (guint i = 0; i < pieces->len; i++)
		soup_message_body_append_bytes(body, g_ptr_array_index(pieces, i));
}

void
http_reply_json_bytes(SoupServerMessage *msg, guint status, GBytes *body)
{
	g_autoptr(GPtrArray) pieces = g_ptr_array_new();
	g_ptr_array_add(pieces, body);
	http_reply_json_pieces(msg, status, pieces);
}

void
http_reply_writer(SoupServerMessage *msg, guint status, JsonWriter *writer)
{
	g_autoptr(GBytes) body = json_writer_take(writer);
	http_reply_json_bytes(msg, status, body);
}

void
http_reply_data_wrapped(SoupServerMessage *msg, const char *json, gsize len)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_key(writer, "data");
	json_writer_raw(writer, json, len);
	json_writer_end_object(writer);
	http_reply_writer(msg, 200, writer);
}
