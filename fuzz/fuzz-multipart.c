/* fuzz-multipart.c: libFuzzer target for multipart upload bodies (http-upload.c's pure parser).
 * Input: the Content-Type header value up to the first newline, then the body.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <string.h>

#include "http/http-upload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *newline = memchr(data, '\n', size);
	if (newline == NULL)
		return 0;
	g_autofree char *content_type = g_strndup((const char *)data, (gsize)(newline - data));
	/* As http_upload_extract_multipart() does: a NUL after the body (see http-upload.h). */
	gsize body_size = size - (gsize)(newline - data) - 1;
	guint8 *copy = g_malloc(body_size + 1);
	memcpy(copy, newline + 1, body_size);
	copy[body_size] = '\0';
	g_autoptr(GBytes) terminated = g_bytes_new_take(copy, body_size + 1);
	g_autoptr(GBytes) body = g_bytes_new_from_bytes(terminated, 0, body_size);
	g_autoptr(GHashTable) options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autofree char *filename = NULL;
	g_autoptr(GBytes) file_part = NULL;
	g_autoptr(GError) error = NULL;
	if (http_upload_parse_multipart(body, content_type, options, &filename, &file_part, &error)) {
		if (file_part == NULL)
			g_error("parsed, but no file part");
		if (g_bytes_get_size(file_part) > body_size)
			g_error("file part of %zu bytes in a body of %zu", g_bytes_get_size(file_part), body_size);
	} else if (error == NULL || file_part != NULL) {
		g_error("failed without an error, or with a file part");
	}
	return 0;
}
