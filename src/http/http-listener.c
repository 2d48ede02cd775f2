/* http-listener.c: see http-listener.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* One accepted connection, known by its client's address (all a SoupServerMessage tells). */
typedef struct {
	HttpListener *listener;
	char *peer;                  /* "address:port": the key */
	GObject *stream;             /* the GSocketConnection, weakly: gone when libsoup drops it */
	GSocket *socket;             /* the connection's, valid as long as it is */
	SoupServerMessage *answered; /* while idle between requests: its last answered message */
	GSource *idle_watch;         /* while idle: fires when the client sends or closes */
} HttpConnection;

struct HttpListener {
	SoupServer *soup;
	GSocketService *service;
	GTlsCertificate *certificate;
	guint idle_timeout;
	GSocket *placeholder;    /* our end of the socket pair libsoup "listens" on */
	GHashTable *connections; /* peer -> HttpConnection */
	gulong started_handler, finished_handler, aborted_handler;
};

static void
http_connection_stop_watching(HttpConnection *conn)
{
	if (conn->idle_watch != NULL) {
		g_source_destroy(conn->idle_watch);
		g_clear_pointer(&conn->idle_watch, g_source_unref);
	}
	g_clear_object(&conn->answered);
}

static void http_connection_gone_cb(gpointer data, GObject *where_the_object_was);

static void
http_connection_free(HttpConnection *conn)
{
	http_connection_stop_watching(conn);
	if (conn->stream != NULL)
		g_object_weak_unref(conn->stream, http_connection_gone_cb, conn);
	g_free(conn->peer);
	g_free(conn);
}

static void
http_connection_gone_cb(gpointer data, GObject *where_the_object_was)
{
	HttpConnection *conn = data;
	conn->stream = NULL;
	g_hash_table_remove(conn->listener->connections, conn->peer); /* frees conn */
}

static char *
http_listener_peer_key(GSocketAddress *address)
{
	if (address == NULL || !G_IS_INET_SOCKET_ADDRESS(address))
		return NULL;
	GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS(address);
	g_autofree char *ip = g_inet_address_to_string(g_inet_socket_address_get_address(inet));
	return g_strdup_printf("%s:%u", ip, g_inet_socket_address_get_port(inet));
}

static HttpConnection *
http_listener_lookup(HttpListener *self, SoupServerMessage *msg)
{
	g_autofree char *peer = http_listener_peer_key(soup_server_message_get_remote_address(msg));
	return peer != NULL ? g_hash_table_lookup(self->connections, peer) : NULL;
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

/* The idle connection became readable: the next request, or its client closing. */
static gboolean
http_connection_idle_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	HttpConnection *conn = user_data;
	char byte;

	if (g_socket_is_closed(socket)) {
		http_connection_stop_watching(conn); /* libsoup closed it itself */
		return G_SOURCE_REMOVE;
	}
	ssize_t n = recv(g_socket_get_fd(socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return G_SOURCE_CONTINUE; /* woken by the idle timeout: libsoup's own read ends it */
	if (n > 0) {
		http_connection_stop_watching(conn); /* a request: libsoup reads it */
		return G_SOURCE_REMOVE;
	}
	/* End of stream with nothing unread, or a broken connection: nothing is left to answer.
	 * Stealing makes libsoup drop its connection object; then the stream is ours to close. */
	g_autoptr(SoupServerMessage) answered = g_steal_pointer(&conn->answered);
	http_connection_stop_watching(conn);
	g_autoptr(GIOStream) stream = soup_server_message_steal_connection(answered);
	if (stream != NULL)
		g_io_stream_close(stream, NULL, NULL);
	return G_SOURCE_REMOVE;
}

static void
http_listener_request_started_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	HttpConnection *conn = http_listener_lookup(user_data, msg);
	if (conn != NULL)
		http_connection_stop_watching(conn);
}

static void
http_listener_request_finished_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	HttpConnection *conn = http_listener_lookup(user_data, msg);
	if (conn == NULL)
		return;
	http_connection_stop_watching(conn);
	if (!http_listener_keeps_alive(msg) || g_socket_is_closed(conn->socket))
		return;
	conn->answered = g_object_ref(msg);
	conn->idle_watch = g_socket_create_source(conn->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(conn->idle_watch, G_SOURCE_FUNC(http_connection_idle_cb), conn, NULL);
	g_source_attach(conn->idle_watch, NULL);
}

static void
http_listener_request_aborted_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	HttpConnection *conn = http_listener_lookup(user_data, msg);
	if (conn != NULL)
		http_connection_stop_watching(conn); /* libsoup closes the connection */
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
	g_autofree char *peer = http_listener_peer_key(remote);
	g_autoptr(GIOStream) stream = NULL;

	if (peer == NULL) {
		g_debug("a connection ended before it was accepted: %s", error != NULL ? error->message : "no address");
		return TRUE;
	}
	g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
	/* Silent connections are closed: libsoup 3.2 has no idle timeout of its own (DESIGN.md). */
	if (self->idle_timeout > 0)
		g_socket_set_timeout(socket, self->idle_timeout);
	if (self->certificate != NULL) {
		stream = G_IO_STREAM(g_tls_server_connection_new(G_IO_STREAM(connection), self->certificate, &error));
		if (stream == NULL) {
			g_warning("TLS for %s: %s", peer, error->message);
			return TRUE;
		}
	} else {
		stream = G_IO_STREAM(g_object_ref(connection));
	}

	HttpConnection *conn = g_new0(HttpConnection, 1);
	conn->listener = self;
	conn->peer = g_strdup(peer);
	conn->socket = socket;
	conn->stream = G_OBJECT(connection);
	g_object_weak_ref(conn->stream, http_connection_gone_cb, conn);
	/* A stale entry for the same address (its port reused) goes first. */
	g_hash_table_replace(self->connections, conn->peer, conn);

	if (!soup_server_accept_iostream(self->soup, stream, local, remote, &error))
		g_warning("connection from %s not accepted: %s", peer, error->message);
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
http_listener_new(SoupServer *soup, guint idle_timeout, GTlsCertificate *certificate)
{
	HttpListener *self = g_new0(HttpListener, 1);
	self->soup = g_object_ref(soup);
	self->idle_timeout = idle_timeout;
	self->certificate = certificate != NULL ? g_object_ref(certificate) : NULL;
	self->connections = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)http_connection_free);
	self->service = g_socket_service_new();
	g_signal_connect(self->service, "incoming", G_CALLBACK(http_listener_incoming_cb), self);
	self->started_handler =
		g_signal_connect(soup, "request-started", G_CALLBACK(http_listener_request_started_cb), self);
	self->finished_handler =
		g_signal_connect(soup, "request-finished", G_CALLBACK(http_listener_request_finished_cb), self);
	self->aborted_handler =
		g_signal_connect(soup, "request-aborted", G_CALLBACK(http_listener_request_aborted_cb), self);
	return self;
}

void
http_listener_free(HttpListener *self)
{
	if (self == NULL)
		return;
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
