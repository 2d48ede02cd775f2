/* http-header-guard.c: see http-header-guard.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-header-guard.h"

#include "http/http-metrics.h"
#include "http/http-refusal.h"

/* ---- the input side: a pollable filter stream that counts ---- */

#define HTTP_TYPE_HEADER_GUARD_INPUT (http_header_guard_input_get_type())
G_DECLARE_FINAL_TYPE(HttpHeaderGuardInput, http_header_guard_input, HTTP, HEADER_GUARD_INPUT, GFilterInputStream)

struct _HttpHeaderGuardInput {
	GFilterInputStream parent;
	HttpHeaderGuard *guard; /* not a reference: the guard owns this stream */
};

struct _HttpHeaderGuard {
	GIOStream parent;
	GIOStream *base;
	GInputStream *input;
	gboolean counting;   /* within a request's line and headers */
	gboolean seen_line;  /* the request line ended (a LF was read) */
	guint line_end;      /* 1 after a LF, 2 after LF CR: the next LF ends the headers */
	gsize count;
	gboolean read_ahead; /* bytes past the blank line came with it: the next request's, maybe */
	guint refused;       /* 414 or 431 once answered; every later read fails */
};

static void http_header_guard_input_pollable_init(GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(HttpHeaderGuardInput, http_header_guard_input, G_TYPE_FILTER_INPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM, http_header_guard_input_pollable_init))

G_DEFINE_TYPE(HttpHeaderGuard, http_header_guard, G_TYPE_IO_STREAM)

/* Writes the answer on the connection itself; libsoup then meets a closed stream and drops it. */
static void
http_header_guard_refuse(HttpHeaderGuard *self)
{
	self->refused = self->seen_line ? 431 : 414;
	http_metrics_request_refused(self->refused, self->seen_line ? "request headers too large"
								    : "request line too long");
	http_refusal_write_only(self->base, g_socket_connection_get_socket(G_SOCKET_CONNECTION(self->base)), self->refused,
				self->seen_line ? "request headers larger than 65536 bytes"
						: "request line longer than 65536 bytes");
}

/* Counts what libsoup is given of a request's line and headers; FALSE once over the limit. */
static gboolean
http_header_guard_count(HttpHeaderGuard *self, const guint8 *data, gssize length)
{
	for (gssize i = 0; self->counting && i < length; i++) {
		if (++self->count > HTTP_HEADER_GUARD_LIMIT) {
			http_header_guard_refuse(self);
			return FALSE;
		}
		if (data[i] == '\n') {
			self->seen_line = TRUE;
			if (self->line_end > 0) {
				self->counting = FALSE; /* a blank line: the headers are complete */
				self->read_ahead = i + 1 < length;
			}
			self->line_end = 1;
		} else if (data[i] == '\r' && self->line_end == 1) {
			self->line_end = 2;
		} else {
			self->line_end = 0;
		}
	}
	return TRUE;
}

static gssize
http_header_guard_input_after_read(HttpHeaderGuardInput *input, void *buffer, gssize read, GError **error)
{
	HttpHeaderGuard *self = input->guard;
	if (read > 0 && !http_header_guard_count(self, buffer, read)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "request line or headers too large (%u)",
			    self->refused);
		return -1;
	}
	return read;
}

static gboolean
http_header_guard_input_refused(HttpHeaderGuardInput *input, GError **error)
{
	if (input->guard->refused == 0)
		return FALSE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "request line or headers too large");
	return TRUE;
}

static gssize
http_header_guard_input_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
			     GError **error)
{
	HttpHeaderGuardInput *input = HTTP_HEADER_GUARD_INPUT(stream);
	if (http_header_guard_input_refused(input, error))
		return -1;
	GInputStream *base = g_filter_input_stream_get_base_stream(G_FILTER_INPUT_STREAM(stream));
	gssize read = g_input_stream_read(base, buffer, count, cancellable, error);
	return http_header_guard_input_after_read(input, buffer, read, error);
}

static gssize
http_header_guard_input_read_nonblocking(GPollableInputStream *stream, void *buffer, gsize count, GError **error)
{
	HttpHeaderGuardInput *input = HTTP_HEADER_GUARD_INPUT(stream);
	if (http_header_guard_input_refused(input, error))
		return -1;
	GInputStream *base = g_filter_input_stream_get_base_stream(G_FILTER_INPUT_STREAM(stream));
	gssize read = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(base), buffer, count, NULL,
							       error);
	return http_header_guard_input_after_read(input, buffer, read, error);
}

static gboolean
http_header_guard_input_can_poll(GPollableInputStream *stream)
{
	GInputStream *base = g_filter_input_stream_get_base_stream(G_FILTER_INPUT_STREAM(stream));
	return G_IS_POLLABLE_INPUT_STREAM(base) && g_pollable_input_stream_can_poll(G_POLLABLE_INPUT_STREAM(base));
}

static gboolean
http_header_guard_input_is_readable(GPollableInputStream *stream)
{
	GInputStream *base = g_filter_input_stream_get_base_stream(G_FILTER_INPUT_STREAM(stream));
	return g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(base));
}

/* As GSocketInputStream makes its own: a pollable source over the socket's readiness. */
static GSource *
http_header_guard_input_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	HttpHeaderGuard *self = HTTP_HEADER_GUARD_INPUT(stream)->guard;
	GSocket *socket = g_socket_connection_get_socket(G_SOCKET_CONNECTION(self->base));
	GSource *source = g_pollable_source_new(G_OBJECT(stream));
	g_autoptr(GSource) socket_source = g_socket_create_source(socket, G_IO_IN, cancellable);
	g_source_set_dummy_callback(socket_source);
	g_source_add_child_source(source, socket_source);
	return source;
}

static void
http_header_guard_input_pollable_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = http_header_guard_input_can_poll;
	iface->is_readable = http_header_guard_input_is_readable;
	iface->create_source = http_header_guard_input_create_source;
	iface->read_nonblocking = http_header_guard_input_read_nonblocking;
}

static void
http_header_guard_input_class_init(HttpHeaderGuardInputClass *klass)
{
	G_INPUT_STREAM_CLASS(klass)->read_fn = http_header_guard_input_read;
}

static void
http_header_guard_input_init(HttpHeaderGuardInput *input)
{
}

/* ---- the stream libsoup is given ---- */

static GInputStream *
http_header_guard_get_input_stream(GIOStream *stream)
{
	return HTTP_HEADER_GUARD(stream)->input;
}

static GOutputStream *
http_header_guard_get_output_stream(GIOStream *stream)
{
	return g_io_stream_get_output_stream(HTTP_HEADER_GUARD(stream)->base);
}

static gboolean
http_header_guard_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
	return g_io_stream_close(HTTP_HEADER_GUARD(stream)->base, cancellable, error);
}

static void
http_header_guard_finalize(GObject *object)
{
	HttpHeaderGuard *self = HTTP_HEADER_GUARD(object);
	g_clear_object(&self->input);
	g_clear_object(&self->base);
	G_OBJECT_CLASS(http_header_guard_parent_class)->finalize(object);
}

static void
http_header_guard_class_init(HttpHeaderGuardClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = http_header_guard_finalize;
	G_IO_STREAM_CLASS(klass)->get_input_stream = http_header_guard_get_input_stream;
	G_IO_STREAM_CLASS(klass)->get_output_stream = http_header_guard_get_output_stream;
	G_IO_STREAM_CLASS(klass)->close_fn = http_header_guard_close;
}

static void
http_header_guard_init(HttpHeaderGuard *self)
{
	self->counting = TRUE;
}

GIOStream *
http_header_guard_new(GIOStream *base)
{
	HttpHeaderGuard *self = g_object_new(HTTP_TYPE_HEADER_GUARD, NULL);
	self->base = g_object_ref(base);
	HttpHeaderGuardInput *input = g_object_new(HTTP_TYPE_HEADER_GUARD_INPUT, "base-stream",
						   g_io_stream_get_input_stream(base), "close-base-stream", FALSE, NULL);
	input->guard = self;
	self->input = G_INPUT_STREAM(input);
	return G_IO_STREAM(self);
}

GIOStream *
http_header_guard_get_base(HttpHeaderGuard *self)
{
	return self->base;
}

void
http_header_guard_expect_request(HttpHeaderGuard *self)
{
	/* libsoup may hold the start of the next request already, read with the last headers (a
	 * body, or a pipelined request): counting from here on would take whatever comes next for
	 * its headers. That request is left to libsoup's own limit. */
	self->counting = !self->read_ahead;
	self->read_ahead = FALSE;
	self->seen_line = FALSE;
	self->line_end = 0;
	self->count = 0;
}
