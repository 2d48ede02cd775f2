/* routes-metrics.c: the Prometheus scrape endpoint.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "metrics"

#include "http/routes-metrics.h"

#include <string.h>

#include "http/http-reply.h"
#include "metrics.h"

/* Compares without an early exit, so the time taken says nothing about the secret. */
static gboolean
metrics_secret_equal(const char *given, const char *expected)
{
	gsize given_len = strlen(given), expected_len = strlen(expected);
	guchar difference = given_len != expected_len;
	for (gsize i = 0; i < expected_len; i++)
		difference |= (guchar)expected[i] ^ (guchar)(i < given_len ? given[i] : 0);
	return difference == 0;
}

static gboolean
metrics_authorized(HttpRequest *request)
{
	const char *expected = request->server->config->metrics_token;
	if (expected == NULL)
		return TRUE;
	const char *value =
		soup_message_headers_get_one(soup_server_message_get_request_headers(request->msg), "Authorization");
	if (value == NULL)
		return FALSE;
	while (*value == ' ')
		value++;
	if (g_ascii_strncasecmp(value, "Bearer ", 7) == 0)
		value += 7;
	g_autofree char *given = g_strstrip(g_strdup(value));
	return metrics_secret_equal(given, expected);
}

void
routes_metrics_scrape(HttpRequest *request)
{
	if (!metrics_authorized(request)) {
		http_reply_error_literal(request->msg, 401, "metrics: missing or wrong metrics token");
		return;
	}
	char *text = metrics_render();
	gsize len = strlen(text);
	soup_server_message_set_status(request->msg, 200, NULL);
	soup_server_message_set_response(request->msg, METRICS_CONTENT_TYPE, SOUP_MEMORY_TAKE, text, len);
}
