/* routes-follow.c: follow stream. One follow job per (protocol, stream, substream), its answer
 * cached (http-job-answer.h): a repeat is a file read. The worker knows the followers: an
 * unknown protocol is its 400, a stream with no traffic its 404.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "follow"

#include "http/routes-follow.h"

#include <string.h>

#include "http/http-job-answer.h"
#include "http/http-reply.h"
#include "jobs/job-requests.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-result-cache.h"

/* A follower's name as libwireshark spells protocol filter names: short, lowercase, no path. */
static gboolean
follow_parse_protocol(const char *text, char **protocol, GError **error)
{
	gsize length = text != NULL ? strlen(text) : 0;
	for (gsize i = 0; i < length; i++) {
		if (!g_ascii_isalnum(text[i]) && text[i] != '-' && text[i] != '_' && text[i] != '.')
			length = 0;
	}
	if (length == 0 || length > 32) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "protocol: a follower's name (tcp, udp, tls, http, http2, quic, ...)");
		return FALSE;
	}
	*protocol = g_ascii_strdown(text, -1);
	return TRUE;
}

void
routes_follow(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = request->server;
	g_autofree char *protocol = NULL;
	gint64 stream = -1, substream = -1;

	g_autoptr(StoreCapture) capture = store_capture_get(server->store, request->capture_id, &error);
	if (capture == NULL || !follow_parse_protocol(http_request_get_path(request, "proto"), &protocol, &error) ||
	    !http_request_get_path_number(request, "stream", 0, &stream, &error) ||
	    !http_request_get_path_number(request, "substream", 0, &substream, &error)) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autofree char *capture_path = store_capture_file(server->store, capture->id);
	g_autofree char *numbers = g_strdup_printf("stream=%" G_GINT64_FORMAT " substream=%" G_GINT64_FORMAT, stream,
						   substream);
	const char *parts[] = {"follow v1", protocol, numbers, NULL};
	g_autofree char *cache_key = result_cache_key(parts);
	g_autofree char *line = job_request_follow(capture_path, protocol, stream, substream);
	HttpJobAnswer answer = {
		.capture_id = capture->id,
		.cache_key = cache_key,
		.job_request = line,
		.content_type = "application/json",
		.cache_label = "follow",
	};
	http_job_answer_start(request, &answer);
}
