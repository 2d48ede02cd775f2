/* http-refusal.h: answering a request on the spot, before its body is read.
 * A request refused from its request line and headers (unknown route, wrong token, a body the
 * route does not take or one over its limit) must not make the server read, hold or spool that
 * body: its connection is taken from libsoup, API.md's JSON error is written with
 * "Connection: close", the sending side is shut, and what the client still sends is read and
 * dropped for a short, bounded while, so that the client reads the answer instead of a reset.
 * Must not decide whether a request is refused (http-server.c does).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "http/http-metrics.h"

G_BEGIN_DECLS

/* At most this many bytes, or seconds, of a refused body are read and dropped. */
#define HTTP_REFUSAL_DRAIN_BYTES (4 * 1024 * 1024)
#define HTTP_REFUSAL_DRAIN_SECONDS 2

/* Refuses msg with status and message (socket: its connection's, for the drain; NULL closes
 * at once); counts and logs it through metrics (libsoup reports
 * nothing for a connection taken from it). Call from an early handler or a "got-chunk"
 * handler: the answer is written from the main loop's next iteration. Repeated calls keep
 * the first answer. */
void http_refusal_send(SoupServerMessage *msg, GSocket *socket, HttpMetrics *metrics, guint status,
		       const char *message);
/* The same answer on a connection already taken from libsoup (stream is closed after the drain). */
void http_refusal_write(GIOStream *stream, GSocket *socket, guint status, const char *message, gboolean headers_only);
/* Only writes the answer (and shuts the sending side) on a stream libsoup still holds: it is
 * about to drop the connection itself (http-header-guard.c). */
void http_refusal_write_only(GIOStream *stream, GSocket *socket, guint status, const char *message);
/* TRUE once msg was refused: its handler must do nothing. */
gboolean http_refusal_sent(SoupServerMessage *msg);

G_END_DECLS
