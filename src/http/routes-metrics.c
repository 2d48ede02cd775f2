/* routes-metrics.c: the Prometheus scrape endpoint.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "metrics"

#include "http/routes-metrics.h"

#include <string.h>

#include "http/http-reply.h"
#include "metrics.h"
#include "secrets.h"

static gboolean
metrics_authorized(HttpRequest *request)
{
	const char *expected = request->server->config->metrics_token;
	if (expected == NULL)
		return TRUE;
	g_autofree char *given = http_request_authorization(request->msg);
	return given != NULL && secrets_equal(given, expected);
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
