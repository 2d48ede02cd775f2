/* http-listener.c: see http-listener.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-listener.h"

#include "http/http-header-guard.h"
#include "http/http-metrics.h"
#include "http/http-refusal.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* What wakes an idle connection's watch: any byte, the end or a broken connection; a peek
 * tells which. Not POLLRDHUP alone, though it would spare the peek: a FIN can show as
 * readable a moment before it shows as a shutdown, libsoup then reads the end first, and
 * stealing the connection after that failed read crashes libsoup. */
#define HTTP_CONNECTION_IDLE_EVENTS (G_IO_IN | G_IO_HUP | G_IO_ERR)

/* One accepted connection; it is also its own watch, a GSource that lives as long as the
 * connection. Between requests the watch polls the socket and ends the idle timeout; during
 * a request it polls for nothing. Switching is a store to pollfd.events, which the main loop
 * reads at each iteration (g_source_modify_unix_fd() would wake it up), and the watch may
 * recurse, so its dispatch does not take its descriptor out of the poll set and put it back.
 * A source made and destroyed per request cost two wake-up writes, about 20 us. */
typedef struct {
	GSource source;
	GPollFD pollfd;              /* events 0 while not idle */
	gboolean polled;             /* pollfd is in the main context's set */
	gint64 idle_deadline;        /* while idle: when the idle timeout ends (monotonic us), or 0 */
	gint64 header_deadline;      /* while a request's headers arrive: when they are overdue, or 0 */
	SoupServerMessage *reading;  /* that request (weak), until its headers are in */
	gulong got_headers_handler;
	HttpListener *listener;
	GSocketAddress *remote;      /* the key: libsoup's messages return this very object */
	GObject *stream;             /* the GSocketConnection, weakly: gone when libsoup drops it */
	GSocket *socket;             /* the connection's, valid as long as it is */
	HttpHeaderGuard *guard;      /* what libsoup reads through (plain connections), or NULL */
	SoupServerMessage *answered; /* while idle between requests: its last answered message */
	SoupServerMessage *parked;   /* (weak) a request its route holds paused, unanswered */
} HttpConnection;

struct HttpListener {
	SoupServer *soup;
	GSocketService *service;
	GTlsCertificate *certificate;
	guint idle_timeout;
	guint header_timeout;
	guint max_connections;
	gboolean accepting_paused; /* at max_connections: the service is stopped */
	GSocket *placeholder;    /* our end of the socket pair libsoup "listens" on */
	GHashTable *connections; /* remote address object -> HttpConnection */
	gulong started_handler, finished_handler, aborted_handler;
};

/* The request's headers are in (or it ended): no header deadline any more. */
static void
http_connection_headers_done(HttpConnection *conn)
{
	conn->header_deadline = 0;
	if (conn->reading != NULL) {
		g_signal_handler_disconnect(conn->reading, conn->got_headers_handler);
		g_clear_weak_pointer(&conn->reading);
	}
	conn->got_headers_handler = 0;
}

static void
http_connection_got_headers_cb(SoupServerMessage *msg, gpointer user_data)
{
	http_connection_headers_done(user_data);
}

/* A request started: its line and headers must be in within the header timeout. libsoup starts
 * a connection's first request when it accepts the connection, later ones at their first byte. */
static void
http_connection_expect_headers(HttpConnection *conn, SoupServerMessage *msg)
{
	guint timeout = conn->listener->header_timeout;
	http_connection_headers_done(conn);
	if (timeout == 0)
		return;
	g_set_weak_pointer(&conn->reading, msg); /* weak: a reference would keep a closed connection */
	conn->got_headers_handler =
		g_signal_connect(msg, "got-headers", G_CALLBACK(http_connection_got_headers_cb), conn);
	conn->header_deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
}

/* A request is under way, or the connection is done: nothing to watch (no system call). */
static void
http_connection_unwatch(HttpConnection *conn)
{
	conn->pollfd.events = 0;
	conn->idle_deadline = 0;
	g_clear_object(&conn->answered);
	g_clear_weak_pointer(&conn->parked);
}

/* Idle after answering msg: watch for the client leaving and for the idle timeout. */
static void
http_connection_watch(HttpConnection *conn, SoupServerMessage *msg)
{
	guint timeout = conn->listener->idle_timeout;
	/* Its request is answered: no longer parked (a departure check would now skip the idle
	 * close, and libsoup, reading for the next request, would meet the end first). */
	g_clear_weak_pointer(&conn->parked);
	g_set_object(&conn->answered, msg);
	conn->pollfd.events = HTTP_CONNECTION_IDLE_EVENTS;
	/* From the iteration's time: never after the deadline libsoup's next read gets from the
	 * socket's timeout, so the watch (attached first, dispatched first) takes the connection
	 * before that read times out (http-listener.h). */
	conn->idle_deadline = timeout > 0 ? g_source_get_time(&conn->source) + (gint64)timeout * G_USEC_PER_SEC : 0;
	if (!conn->polled && !g_source_is_destroyed(&conn->source)) {
		g_source_add_poll(&conn->source, &conn->pollfd);
		conn->polled = TRUE;
	}
}

/* Out of the poll set until the connection is idle again: a reset connection reports
 * G_IO_HUP | G_IO_ERR whatever the events, at every iteration. */
static void
http_connection_unpoll(HttpConnection *conn)
{
	/* A destroyed source (its connection closed) has left the poll set with it already. */
	if (conn->polled && !g_source_is_destroyed(&conn->source))
		g_source_remove_poll(&conn->source, &conn->pollfd);
	conn->polled = FALSE;
	conn->pollfd.revents = 0;
}

/* Nothing is left to answer: stealing makes libsoup drop its connection object, then the
 * stream is ours to close. The table may let go of conn meanwhile; dispatch still holds it. */
static void
http_connection_close(HttpConnection *conn)
{
	g_autoptr(SoupServerMessage) answered = g_steal_pointer(&conn->answered);
	http_connection_unwatch(conn);
	g_autoptr(GIOStream) stream = soup_server_message_steal_connection(answered);
	if (stream != NULL)
		g_io_stream_close(stream, NULL, NULL);
}

static gboolean
http_connection_timed_out(HttpConnection *conn)
{
	return conn->idle_deadline != 0 && g_source_get_time(&conn->source) >= conn->idle_deadline;
}

static gboolean
http_connection_headers_overdue(HttpConnection *conn)
{
	return conn->header_deadline != 0 && g_source_get_time(&conn->source) >= conn->header_deadline;
}

/* The headers did not come in time: 408 on the connection taken from libsoup, then closed. */
static void
http_connection_end_overdue(HttpConnection *conn)
{
	g_autoptr(SoupServerMessage) msg = conn->reading != NULL ? g_object_ref(conn->reading) : NULL;
	http_connection_headers_done(conn);
	if (msg == NULL)
		return; /* libsoup dropped the request already */
	http_metrics_request_refused(SOUP_STATUS_REQUEST_TIMEOUT, "request headers not received in time");
	g_autoptr(GIOStream) stream = soup_server_message_steal_connection(msg);
	if (stream != NULL)
		http_refusal_write(stream, conn->socket, SOUP_STATUS_REQUEST_TIMEOUT, "request headers not received in time",
				   FALSE);
}

static gboolean
http_connection_prepare(GSource *source, gint *timeout)
{
	HttpConnection *conn = (HttpConnection *)source;
	*timeout = -1;
	gint64 deadline = conn->idle_deadline;
	if (conn->header_deadline != 0 && (deadline == 0 || conn->header_deadline < deadline))
		deadline = conn->header_deadline;
	if (deadline == 0)
		return FALSE;
	gint64 left = deadline - g_source_get_time(source);
	if (left <= 0)
		return TRUE;
	*timeout = (gint)MIN((left + 999) / 1000, G_MAXINT); /* rounded up: never wakes early */
	return FALSE;
}

static gboolean
http_connection_check(GSource *source)
{
	HttpConnection *conn = (HttpConnection *)source;
	return conn->pollfd.revents != 0 || http_connection_timed_out(conn) || http_connection_headers_overdue(conn);
}

/* A parked request's connection became readable or broken. An end of stream or an error means
 * the client left: the request ends as 499 (libsoup then emits "finished", on which its route
 * withdraws the work). Bytes mean a pipelined request, and nothing more can be told: the
 * watch stops. Either way the descriptor leaves the poll set: a broken one would wake every
 * iteration. */
static void
http_connection_check_departure(HttpConnection *conn)
{
	char byte;
	ssize_t n = recv(conn->pollfd.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	g_autoptr(SoupServerMessage) msg = g_object_ref(conn->parked);
	g_clear_weak_pointer(&conn->parked);
	conn->pollfd.events = 0;
	http_connection_unpoll(conn);
	if (n > 0 || soup_server_message_get_status(msg) != 0)
		return; /* a pipelined request, or the answer is under way already */
	soup_server_message_set_status(msg, HTTP_LISTENER_CLIENT_LEFT, "Client Closed Request");
	soup_server_message_unpause(msg);
}

/* The idle connection became readable or broken (its client sent a request, closed or reset
 * it), or its idle timeout ended. */
static gboolean
http_connection_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	HttpConnection *conn = (HttpConnection *)source;
	gboolean woken = conn->pollfd.revents != 0;
	char byte;

	conn->pollfd.revents = 0;
	if (http_connection_headers_overdue(conn)) {
		http_connection_end_overdue(conn);
		return G_SOURCE_CONTINUE;
	}
	if (conn->parked != NULL) {
		if (woken)
			http_connection_check_departure(conn);
		return G_SOURCE_CONTINUE;
	}
	if (conn->answered == NULL || g_socket_is_closed(conn->socket)) {
		/* Reset during a request, or closed by libsoup: libsoup finds out by itself. */
		http_connection_unwatch(conn);
		http_connection_unpoll(conn);
		return G_SOURCE_CONTINUE;
	}
	if (!http_connection_timed_out(conn)) {
		if (!woken)
			return G_SOURCE_CONTINUE;
		ssize_t n = recv(conn->pollfd.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) {
			/* A request: libsoup reads it. Or nothing after all: a FIN shows as readable a
			 * moment before it reads as the end, libsoup may read the end before the next
			 * peek, and stealing after that crashes; this connection is left to libsoup. */
			http_connection_unwatch(conn);
			return G_SOURCE_CONTINUE;
		}
	}
	/* End of stream with nothing unread, a broken connection, or the idle timeout. */
	http_connection_close(conn);
	return G_SOURCE_CONTINUE;
}

static void http_connection_gone_cb(gpointer data, GObject *where_the_object_was);

static void
http_connection_finalize(GSource *source)
{
	HttpConnection *conn = (HttpConnection *)source;
	/* First: dropping the message may finalize the stream. */
	if (conn->stream != NULL)
		g_object_weak_unref(conn->stream, http_connection_gone_cb, conn);
	http_connection_headers_done(conn);
	g_clear_weak_pointer(&conn->parked);
	g_clear_object(&conn->answered);
	g_clear_object(&conn->remote);
}

static GSourceFuncs http_connection_funcs = {
	.prepare = http_connection_prepare,
	.check = http_connection_check,
	.dispatch = http_connection_dispatch,
	.finalize = http_connection_finalize,
};

/* The table's value destructor. */
static void
http_connection_drop(gpointer data)
{
	g_source_destroy(data);
	g_source_unref(data);
}

static void
http_connection_gone_cb(gpointer data, GObject *where_the_object_was)
{
	HttpConnection *conn = data;
	HttpListener *self = conn->listener;
	conn->stream = NULL;
	g_hash_table_remove(self->connections, conn->remote); /* destroys conn */
	if (self->accepting_paused && g_hash_table_size(self->connections) < self->max_connections) {
		self->accepting_paused = FALSE;
		g_socket_service_start(self->service);
	}
}

static HttpConnection *
http_connection_add(HttpListener *self, GSocketConnection *connection, GSocketAddress *remote)
{
	HttpConnection *conn = (HttpConnection *)g_source_new(&http_connection_funcs, sizeof(HttpConnection));
	g_source_set_static_name(&conn->source, "sharkapi connection watch");
	g_source_set_can_recurse(&conn->source, TRUE);
	conn->listener = self;
	conn->remote = g_object_ref(remote);
	conn->socket = g_socket_connection_get_socket(connection);
	conn->pollfd.fd = g_socket_get_fd(conn->socket);
	conn->stream = G_OBJECT(connection);
	g_object_weak_ref(conn->stream, http_connection_gone_cb, conn);
	/* Attached now, before any source libsoup makes for the connection: dispatched before them
	 * in an iteration where both are ready. Polled from its first answer on: until then libsoup
	 * watches the connection itself. */
	g_source_attach(&conn->source, NULL);
	g_hash_table_insert(self->connections, conn->remote, conn);
	return conn;
}

static HttpConnection *
http_listener_lookup(HttpListener *self, SoupServerMessage *msg);

void
http_listener_watch_departure(HttpListener *self, SoupServerMessage *msg)
{
	HttpConnection *conn = http_listener_lookup(self, msg);
	if (conn == NULL || g_socket_is_closed(conn->socket))
		return;
	g_set_weak_pointer(&conn->parked, msg);
	conn->pollfd.events = HTTP_CONNECTION_IDLE_EVENTS;
	if (!conn->polled && !g_source_is_destroyed(&conn->source)) {
		g_source_add_poll(&conn->source, &conn->pollfd);
		conn->polled = TRUE;
	}
}

GSocket *
http_listener_get_socket(HttpListener *self, SoupServerMessage *msg)
{
	HttpConnection *conn = self != NULL ? http_listener_lookup(self, msg) : NULL;
	return conn != NULL ? conn->socket : NULL;
}

static HttpConnection *
http_listener_lookup(HttpListener *self, SoupServerMessage *msg)
{
	/* libsoup keeps the address object given at accept: no address formatting per request. */
	GSocketAddress *remote = soup_server_message_get_remote_address(msg);
	return remote != NULL ? g_hash_table_lookup(self->connections, remote) : NULL;
}

/* Whether libsoup keeps the connection for another request after this answer. */
static gboolean
http_listener_keeps_alive(SoupServerMessage *msg)
{
	const char *request = soup_message_headers_get_list(soup_server_message_get_request_headers(msg), "Connection");
	const char *response = soup_message_headers_get_list(soup_server_message_get_response_headers(msg), "Connection");
	if ((request != NULL && soup_header_contains(request, "close")) ||
	    (response != NULL && soup_header_contains(response, "close")))
		return FALSE;
	return soup_server_message_get_http_version(msg) != SOUP_HTTP_1_0 ||
	       (request != NULL && soup_header_contains(request, "keep-alive"));
}

static void
http_listener_request_started_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	HttpConnection *conn = http_listener_lookup(user_data, msg);
	if (conn != NULL) {
		http_connection_unwatch(conn);
		http_connection_expect_headers(conn, msg);
	}
}

/* Finished or aborted. libsoup also keeps a connection alive after an aborted request that was
 * answered in full (a 500); after one that was cut short it closes the connection next, and
 * the watch then sees a closed socket. */
static void
http_listener_request_done_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	HttpConnection *conn = http_listener_lookup(user_data, msg);
	if (conn == NULL)
		return;
	http_connection_headers_done(conn);
	if (conn->guard != NULL)
		http_header_guard_expect_request(conn->guard);
	if (http_listener_keeps_alive(msg) && !g_socket_is_closed(conn->socket))
		http_connection_watch(conn, msg);
	else
		http_connection_unwatch(conn);
}

static gboolean
http_listener_incoming_cb(GSocketService *service, GSocketConnection *connection, GObject *source_object,
			  gpointer user_data)
{
	HttpListener *self = user_data;
	GSocket *socket = g_socket_connection_get_socket(connection);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(connection, &error);
	g_autoptr(GSocketAddress) remote = local != NULL ? g_socket_connection_get_remote_address(connection, &error) : NULL;
	g_autoptr(GIOStream) stream = NULL;

	if (remote == NULL) {
		g_debug("a connection ended before it was accepted: %s", error->message);
		return TRUE;
	}
	g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
	/* Silent connections are closed: libsoup 3.2 has no idle timeout of its own (DESIGN.md). */
	if (self->idle_timeout > 0)
		g_socket_set_timeout(socket, self->idle_timeout);
	if (self->certificate != NULL) {
		stream = G_IO_STREAM(g_tls_server_connection_new(G_IO_STREAM(connection), self->certificate, &error));
		if (stream == NULL) {
			g_autofree char *peer = g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(remote));
			g_warning("TLS for %s: %s", peer, error->message);
			return TRUE;
		}
	} else {
		stream = http_header_guard_new(G_IO_STREAM(connection));
	}
	HttpConnection *conn = http_connection_add(self, connection, remote);
	if (HTTP_IS_HEADER_GUARD(stream))
		conn->guard = HTTP_HEADER_GUARD(stream);
	/* At the limit, the next connections wait in the kernel's backlog until one closes. */
	if (self->max_connections > 0 && g_hash_table_size(self->connections) >= self->max_connections &&
	    !self->accepting_paused) {
		g_message("%u connections open (max-connections): new ones wait until one closes", self->max_connections);
		self->accepting_paused = TRUE;
		g_socket_service_stop(self->service);
	}
	if (!soup_server_accept_iostream(self->soup, stream, local, remote, &error)) {
		g_autofree char *peer = g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(remote));
		g_warning("connection from %s not accepted: %s", peer, error->message);
	}
	return TRUE;
}

/* libsoup honours keep-alive only while it has a listener (soup-server.c request_finished):
 * give it one that can never accept, a connected socket pair whose other end stays silent. */
static gboolean
http_listener_add_placeholder(HttpListener *self, GError **error)
{
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
		int saved = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "socketpair: %s", g_strerror(saved));
		return FALSE;
	}
	g_autoptr(GSocket) libsoups_end = g_socket_new_from_fd(fds[0], error);
	g_autoptr(GSocket) our_end = libsoups_end != NULL ? g_socket_new_from_fd(fds[1], error) : NULL;
	if (our_end == NULL || !soup_server_listen_socket(self->soup, libsoups_end, 0, error))
		return FALSE;
	self->placeholder = g_steal_pointer(&our_end);
	return TRUE;
}

HttpListener *
http_listener_new(SoupServer *soup, const HttpListenerLimits *limits, GTlsCertificate *certificate)
{
	HttpListener *self = g_new0(HttpListener, 1);
	self->soup = g_object_ref(soup);
	self->idle_timeout = limits->idle_timeout;
	self->header_timeout = limits->header_timeout;
	self->max_connections = limits->max_connections;
	self->certificate = certificate != NULL ? g_object_ref(certificate) : NULL;
	self->connections = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, http_connection_drop);
	self->service = g_socket_service_new();
	g_signal_connect(self->service, "incoming", G_CALLBACK(http_listener_incoming_cb), self);
	self->started_handler =
		g_signal_connect(soup, "request-started", G_CALLBACK(http_listener_request_started_cb), self);
	self->finished_handler =
		g_signal_connect(soup, "request-finished", G_CALLBACK(http_listener_request_done_cb), self);
	self->aborted_handler =
		g_signal_connect(soup, "request-aborted", G_CALLBACK(http_listener_request_done_cb), self);
	return self;
}

void
http_listener_free(HttpListener *self)
{
	if (self == NULL)
		return;
	self->accepting_paused = FALSE; /* a connection going now must not restart the service */
	g_socket_service_stop(self->service);
	g_socket_listener_close(G_SOCKET_LISTENER(self->service));
	g_object_unref(self->service);
	g_signal_handler_disconnect(self->soup, self->started_handler);
	g_signal_handler_disconnect(self->soup, self->finished_handler);
	g_signal_handler_disconnect(self->soup, self->aborted_handler);
	g_hash_table_destroy(self->connections);
	g_clear_object(&self->placeholder);
	g_clear_object(&self->certificate);
	g_object_unref(self->soup);
	g_free(self);
}

char *
http_listener_listen(HttpListener *self, GSocket *socket, GError **error)
{
	if (self->placeholder == NULL && !http_listener_add_placeholder(self, error))
		return NULL;
	if (!g_socket_listener_add_socket(G_SOCKET_LISTENER(self->service), socket, NULL, error))
		return NULL;
	g_autoptr(GSocketAddress) address = g_socket_get_local_address(socket, error);
	if (address == NULL)
		return NULL;
	GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS(address);
	GInetAddress *ip = g_inet_socket_address_get_address(inet);
	g_autofree char *text = g_inet_address_to_string(ip);
	gboolean v6 = g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6;
	g_socket_service_start(self->service);
	return g_strdup_printf("%s://%s%s%s:%u/", self->certificate != NULL ? "https" : "http", v6 ? "[" : "", text,
			       v6 ? "]" : "", g_inet_socket_address_get_port(inet));
}
