/* http-refusal.c: see http-refusal.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-refusal.h"

#include "http/http-reply.h"

#define HTTP_REFUSAL_KEY "sharkapi-refusal"

typedef struct {
	SoupServerMessage *msg; /* a reference until the answer is written */
	GSocket *socket;        /* the connection's, or NULL */
	HttpMetrics *metrics;
	guint status;
	char *message;
} HttpRefusal;

/* After the answer: the client's remaining bytes, read and dropped within bounds. */
typedef struct {
	GIOStream *stream;
	GSocket *socket;
	guint64 drained;
	guint read_source;
	guint timeout_source;
} HttpRefusalDrain;

static void
http_refusal_drain_end(HttpRefusalDrain *drain)
{
	g_clear_handle_id(&drain->read_source, g_source_remove);
	g_clear_handle_id(&drain->timeout_source, g_source_remove);
	g_io_stream_close(drain->stream, NULL, NULL);
	g_object_unref(drain->stream);
	g_object_unref(drain->socket);
	g_free(drain);
}

static gboolean
http_refusal_drain_read_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	HttpRefusalDrain *drain = user_data;
	char buffer[16 * 1024];

	for (;;) {
		g_autoptr(GError) error = NULL;
		gssize n = g_socket_receive_with_blocking(socket, buffer, sizeof buffer, FALSE, NULL, &error);
		if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			return G_SOURCE_CONTINUE;
		if (n <= 0)
			break; /* the client closed its side, or the connection broke */
		drain->drained += (guint64)n;
		if (drain->drained >= HTTP_REFUSAL_DRAIN_BYTES)
			break;
	}
	drain->read_source = 0;
	http_refusal_drain_end(drain);
	return G_SOURCE_REMOVE;
}

static gboolean
http_refusal_drain_timeout_cb(gpointer user_data)
{
	HttpRefusalDrain *drain = user_data;
	drain->timeout_source = 0;
	http_refusal_drain_end(drain);
	return G_SOURCE_REMOVE;
}

/* socket: the connection's own (what libsoup hands back when it gives up a connection is its
 * own stream wrapper, which leads to no socket). Under TLS the raw bytes drained are records. */
static void
http_refusal_drain_start(GIOStream *stream, GSocket *socket)
{
	if (socket == NULL || !g_socket_shutdown(socket, FALSE, TRUE, NULL)) {
		g_io_stream_close(stream, NULL, NULL);
		return;
	}
	HttpRefusalDrain *drain = g_new0(HttpRefusalDrain, 1);
	drain->stream = g_object_ref(stream);
	drain->socket = g_object_ref(socket);
	GSource *source = g_socket_create_source(drain->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(source, G_SOURCE_FUNC(http_refusal_drain_read_cb), drain, NULL);
	drain->read_source = g_source_attach(source, NULL);
	g_source_unref(source);
	drain->timeout_source = g_timeout_add_seconds(HTTP_REFUSAL_DRAIN_SECONDS, http_refusal_drain_timeout_cb, drain);
}

/* libsoup 3.2 knows no phrase for the newer codes. */
static const char *
http_refusal_phrase(guint status)
{
	switch (status) {
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	default:
		return soup_status_get_phrase(status);
	}
}

/* The answer's bytes: status line, headers, and (unless headers_only) the JSON error. */
static GString *
http_refusal_response(guint status, const char *message, gboolean headers_only)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	http_reply_write_error(writer, status, message);
	GString *response = g_string_new(NULL);
	g_string_append_printf(response,
			       "HTTP/1.1 %u %s\r\nContent-Type: " HTTP_JSON_CONTENT_TYPE
			       "\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
			       status, http_refusal_phrase(status), json_writer_get_length(writer),
			       status == 503 ? "Retry-After: " HTTP_RETRY_AFTER_SECONDS "\r\n" : "");
	if (!headers_only)
		g_string_append_len(response, json_writer_get_data(writer), (gssize)json_writer_get_length(writer));
	return response;
}

void
http_refusal_write_only(GIOStream *stream, GSocket *socket, guint status, const char *message)
{
	g_autoptr(GString) response = http_refusal_response(status, message, FALSE);
	GOutputStream *out = g_io_stream_get_output_stream(stream);
	if (g_output_stream_write_all(out, response->str, response->len, NULL, NULL, NULL) && socket != NULL)
		g_socket_shutdown(socket, FALSE, TRUE, NULL); /* the answer, then the end */
}

void
http_refusal_write(GIOStream *stream, GSocket *socket, guint status, const char *message, gboolean headers_only)
{
	g_autoptr(GString) response = http_refusal_response(status, message, headers_only);
	GOutputStream *out = g_io_stream_get_output_stream(stream);
	if (g_output_stream_write_all(out, response->str, response->len, NULL, NULL, NULL))
		http_refusal_drain_start(stream, socket);
	else
		g_io_stream_close(stream, NULL, NULL);
}

static gboolean
http_refusal_write_cb(gpointer user_data)
{
	HttpRefusal *refusal = user_data;
	SoupServerMessage *msg = refusal->msg;

	/* Stealing the connection ends libsoup's part without a signal: the request is counted here. */
	soup_server_message_set_status(msg, refusal->status, NULL);
	http_metrics_request_finished_cb(NULL, msg, refusal->metrics);
	g_autoptr(GIOStream) stream = soup_server_message_steal_connection(msg);
	/* HEAD gets the headers only (RFC 9110 9.3.2). */
	if (stream != NULL)
		http_refusal_write(stream, refusal->socket, refusal->status, refusal->message,
				   g_strcmp0(soup_server_message_get_method(msg), "HEAD") == 0);
	g_clear_object(&refusal->msg);
	return G_SOURCE_REMOVE;
}

static void
http_refusal_free(HttpRefusal *refusal)
{
	g_clear_object(&refusal->msg);
	g_clear_object(&refusal->socket);
	g_free(refusal->message);
	g_free(refusal);
}

void
http_refusal_send(SoupServerMessage *msg, GSocket *socket, HttpMetrics *metrics, guint status, const char *message)
{
	if (http_refusal_sent(msg))
		return;
	HttpRefusal *refusal = g_new0(HttpRefusal, 1);
	refusal->msg = g_object_ref(msg);
	refusal->socket = socket != NULL ? g_object_ref(socket) : NULL;
	refusal->metrics = metrics;
	refusal->status = status;
	refusal->message = g_strdup(message);
	/* Lives on the message (the reference taken above is dropped once written). */
	g_object_set_data_full(G_OBJECT(msg), HTTP_REFUSAL_KEY, refusal, (GDestroyNotify)http_refusal_free);
	if (status >= 500)
		g_warning("%s %s: refused with %u: %s", soup_server_message_get_method(msg),
			  g_uri_get_path(soup_server_message_get_uri(msg)), status, message);
	/* libsoup must not read on (or send 100 Continue) before the idle takes the connection. */
	soup_server_message_pause(msg);
	g_idle_add(http_refusal_write_cb, refusal);
}

gboolean
http_refusal_sent(SoupServerMessage *msg)
{
	return g_object_get_data(G_OBJECT(msg), HTTP_REFUSAL_KEY) != NULL;
}
