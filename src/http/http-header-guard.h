/* http-header-guard.h: a connection's stream as libsoup reads it, counting the bytes of each
 * request's line and headers. libsoup 3.2 gives up on more than 64 KiB of them by closing the
 * connection without a word; the guard answers first, API.md's JSON error with 414 (a request
 * line that long) or 431 (headers that long), and then ends the stream for libsoup.
 * Counting runs from the start of a request to the blank line that ends its headers (seen in
 * the bytes themselves) and starts again when the listener says the next request begins.
 * Plain connections only: under TLS the bytes read are ciphertext (left to libsoup's close).
 * Must not parse HTTP beyond line ends: libsoup does.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Bytes of request line and headers at most (libsoup's own limit). */
#define HTTP_HEADER_GUARD_LIMIT (64 * 1024)

#define HTTP_TYPE_HEADER_GUARD (http_header_guard_get_type())
G_DECLARE_FINAL_TYPE(HttpHeaderGuard, http_header_guard, HTTP, HEADER_GUARD, GIOStream)

/* Wraps base (a GSocketConnection); the guard owns a reference and closes it with itself. */
GIOStream *http_header_guard_new(GIOStream *base);
/* The wrapped stream. */
GIOStream *http_header_guard_get_base(HttpHeaderGuard *self);
/* A new request starts on the connection: count its line and headers from zero. */
void http_header_guard_expect_request(HttpHeaderGuard *self);

G_END_DECLS
