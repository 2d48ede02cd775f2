/* http-job-answer.h: a route's answer that one worker job streams as its body (packets/fields,
 * frames/<N>, follow), kept in the result cache so the same question later is a file read.
 * Must not know what the job computes: the route builds its request line and cache key.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

typedef struct {
	const char *capture_id;
	const char *cache_key;   /* result_cache_key() of everything that shapes the cached part */
	const char *job_request; /* the worker job (job-requests.h), run on a cache miss */
	const char *warm_key;    /* NULL, or the capture path of a two-pass job (job_queue_submit()) */
	const char *content_type;
	const char *cache_label; /* the cache="..." label of sharkapi_cache_{hits,misses}_total */
	gboolean ndjson;         /* a failure mid-answer ends with an NDJSON error line */
	const char *prefix;      /* NULL, or text sent before the body and not cached */
	const char *suffix;      /* NULL, or text sent after the body and not cached */
} HttpJobAnswer;

/* Answers request: from the cache, or by running the job and streaming its DATA frames (a
 * failure before any data is the job's error status). The request is parked meanwhile. */
void http_job_answer_start(HttpRequest *request, const HttpJobAnswer *answer);

G_END_DECLS
