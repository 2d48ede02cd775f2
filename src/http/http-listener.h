/* http-listener.h: accepts the server's connections itself and hands them to libsoup, so that
 * a finished connection costs nothing afterwards. libsoup 3.2.3 (Debian 12) leaks on its own
 * listener path, both fixed upstream:
 * - its listener keeps a reference to every GSocket it accepts (about 0.5 KB per connection),
 * - it never notices a client closing a keep-alive connection while idle: the connection, its
 *   socket and its descriptor stayed for good (about 1.8 KB and one descriptor each).
 * Connections are accepted by a GSocketService and given to soup_server_accept_iostream(), TLS
 * included; an idle keep-alive connection whose client has closed, or that stayed silent for
 * the idle timeout, is taken back from libsoup (soup_server_message_steal_connection() on its
 * last answered message, after which libsoup drops it) and closed. Its own timed-out read
 * would leave libsoup's connection half torn down, and stealing it then crashes libsoup.
 * Each connection has one watch for its whole life, keyed by the remote address object
 * libsoup hands back with every message: nothing is allocated or formatted per request.
 * libsoup keeps connections alive only while it has a listener of its own, so it gets one
 * that can never accept: one end of a socket pair nobody writes to.
 * Two limits against clients that hold connections: a request's line and headers must arrive
 * within the header timeout (else 408 and the connection closes: one
 * header line every 30 s no longer keeps a connection for good), and past max_connections
 * open connections no more are accepted until one closes (they wait in the kernel's backlog).
 * Must not touch a connection with a request under way or unread bytes, except to end one
 * whose headers are overdue.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct HttpListener HttpListener;

typedef struct {
	guint idle_timeout;    /* seconds a connection may stay silent mid-read or mid-write (0 = none) */
	guint header_timeout;  /* seconds a request's line and headers may take (0 = none): from the
				* connection's start, or from a later request's first byte */
	guint max_connections; /* open connections at most (0 = no limit) */
} HttpListenerLimits;

/* certificate: serve HTTPS with it, or NULL. */
HttpListener *http_listener_new(SoupServer *soup, const HttpListenerLimits *limits, GTlsCertificate *certificate);
void http_listener_free(HttpListener *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HttpListener, http_listener_free)

/* The status of a request whose client left while it was parked (nginx's "client closed request"). */
#define HTTP_LISTENER_CLIENT_LEFT 499

/* msg is paused by its route, unanswered, until work elsewhere ends: watch its connection, and
 * if the client leaves meanwhile, end msg with HTTP_LISTENER_CLIENT_LEFT (libsoup then emits
 * "finished": the route must withdraw its work there). libsoup itself reads nothing while a
 * request is paused, so without this a client that gave up went unnoticed until the answer. */
void http_listener_watch_departure(HttpListener *self, SoupServerMessage *msg);

/* The socket of msg's connection (borrowed), or NULL. */
GSocket *http_listener_get_socket(HttpListener *self, SoupServerMessage *msg);

/* Listens on a bound, listening socket; returns the URL it serves ("http://127.0.0.1:8080/"). */
char *http_listener_listen(HttpListener *self, GSocket *socket, GError **error);

G_END_DECLS
