/* http-connection-sweeper.h: closes connections whose client has gone while they sat idle.
 * libsoup 3.2 (Debian 12's 3.2.3) never notices that a client closed a keep-alive connection
 * between requests: the socket and its descriptor stay open for good (fixed upstream in 3.3), so
 * every curl call used to cost the server a file descriptor. The sweeper remembers the socket of
 * each request and, every few seconds, closes those whose peer has closed and sent nothing more.
 * Must not touch a socket that still has a request or unread bytes on it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct HttpConnectionSweeper HttpConnectionSweeper;

HttpConnectionSweeper *http_connection_sweeper_new(guint interval_seconds);
void http_connection_sweeper_free(HttpConnectionSweeper *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HttpConnectionSweeper, http_connection_sweeper_free)

/* Remembers a request's socket (several requests may share one). */
void http_connection_sweeper_track(HttpConnectionSweeper *self, GSocket *socket);
/* Closes what can be closed now; returns how many sockets it closed. */
guint http_connection_sweeper_sweep(HttpConnectionSweeper *self);

G_END_DECLS
