/* secrets.h: random identifiers and comparing secrets, one implementation for API tokens,
 * capture ids, deep search ids and the metrics secret.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* n bytes from the kernel's random source (getrandom); FALSE with an error when it fails. No
 * weaker fallback: a token must not be guessable, and an id may as well not be. */
gboolean secrets_random_bytes(guint8 *bytes, gsize n, GError **error);
/* 2n lowercase hex characters of n random bytes; NULL with an error when none are available. */
char *secrets_random_hex(gsize n, GError **error);
/* Compares without an early exit, so the time taken says nothing about the expected secret. */
gboolean secrets_equal(const char *given, const char *expected);

G_END_DECLS
