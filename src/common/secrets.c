/* secrets.c: getrandom and a constant-time comparison (secrets.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "secrets.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "sharkapi-error.h"

gboolean
secrets_random_bytes(guint8 *bytes, gsize n, GError **error)
{
	gsize got = 0;
	while (got < n) {
		ssize_t r = getrandom(bytes + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "no randomness available: %s",
				    g_strerror(errno));
			return FALSE;
		}
		got += (gsize)r;
	}
	return TRUE;
}

char *
secrets_random_hex(gsize n, GError **error)
{
	g_autofree guint8 *bytes = g_malloc(n);
	if (!secrets_random_bytes(bytes, n, error))
		return NULL;
	GString *hex = g_string_sized_new(2 * n);
	for (gsize i = 0; i < n; i++)
		g_string_append_printf(hex, "%02x", bytes[i]);
	return g_string_free(hex, FALSE);
}

gboolean
secrets_equal(const char *given, const char *expected)
{
	gsize given_len = strlen(given), expected_len = strlen(expected);
	guchar difference = given_len != expected_len;
	for (gsize i = 0; i < expected_len; i++)
		difference |= (guchar)expected[i] ^ (guchar)(i < given_len ? given[i] : 0);
	return difference == 0;
}
