/* http-connection-sweeper.c: see http-connection-sweeper.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-connection-sweeper.h"

#include <sys/socket.h>

struct HttpConnectionSweeper {
	GHashTable *sockets; /* GSocket (a reference) -> itself */
	guint source;
};

static gboolean
http_connection_sweeper_cb(gpointer user_data)
{
	http_connection_sweeper_sweep(user_data);
	return G_SOURCE_CONTINUE;
}

HttpConnectionSweeper *
http_connection_sweeper_new(guint interval_seconds)
{
	HttpConnectionSweeper *self = g_new0(HttpConnectionSweeper, 1);
	self->sockets = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_object_unref, NULL);
	self->source = g_timeout_add_seconds(MAX(interval_seconds, 1), http_connection_sweeper_cb, self);
	return self;
}

void
http_connection_sweeper_free(HttpConnectionSweeper *self)
{
	if (self == NULL)
		return;
	g_source_remove(self->source);
	g_hash_table_destroy(self->sockets);
	g_free(self);
}

void
http_connection_sweeper_track(HttpConnectionSweeper *self, GSocket *socket)
{
	if (!g_hash_table_contains(self->sockets, socket))
		g_hash_table_add(self->sockets, g_object_ref(socket));
}

/* The peer closed and nothing is left to read: a zero-byte peek, without blocking. */
static gboolean
http_connection_peer_is_gone(GSocket *socket)
{
	char byte;
	if ((g_socket_condition_check(socket, G_IO_IN | G_IO_HUP | G_IO_ERR) & (G_IO_IN | G_IO_HUP | G_IO_ERR)) == 0)
		return FALSE;
	return recv(g_socket_get_fd(socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

guint
http_connection_sweeper_sweep(HttpConnectionSweeper *self)
{
	GHashTableIter iter;
	GSocket *socket;
	guint closed = 0;
	g_hash_table_iter_init(&iter, self->sockets);
	while (g_hash_table_iter_next(&iter, (gpointer *)&socket, NULL)) {
		if (g_socket_is_closed(socket)) {
			g_hash_table_iter_remove(&iter); /* libsoup closed it itself */
		} else if (http_connection_peer_is_gone(socket)) {
			g_socket_close(socket, NULL);
			g_hash_table_iter_remove(&iter);
			closed++;
		}
	}
	return closed;
}
