/* http-reply.h: every answer the server sends goes through here.
 * Success bodies are JSON in the project's writer format; errors are API.md's
 * {"exceptions": [...], "status": N} with the status taken from the GError code.
 * Must not decide what a route answers, only how it is put on the wire.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "json-writer.h"

G_BEGIN_DECLS

#define HTTP_JSON_CONTENT_TYPE "application/json; charset=utf-8"
/* Seconds a client is told to wait after a 503 (every 503 says it, http_reply_error() and
 * http-refusal.c alike). */
#define HTTP_RETRY_AFTER_SECONDS "5"

/* The error's status and JSON body; adds Retry-After for 503. Logs 5xx. */
void http_reply_error(SoupServerMessage *msg, const GError *error);
/* Builds a GError in the sharkapi domain and replies with it. */
void http_reply_error_literal(SoupServerMessage *msg, guint status, const char *message);
/* Status and a finished JSON document. */
void http_reply_writer(SoupServerMessage *msg, guint status, JsonWriter *writer);
/* Status and JSON text taken as is (persisted results), by reference. */
void http_reply_json_bytes(SoupServerMessage *msg, guint status, GBytes *body);
/* The same for an answer in pieces (GBytes) sent in order (http_file_cache_open()). */
void http_reply_json_pieces(SoupServerMessage *msg, guint status, GPtrArray *pieces);
/* {"data": <persisted JSON>} without parsing it again. */
void http_reply_data_wrapped(SoupServerMessage *msg, const char *json, gsize len);
/* Writes the error document into a writer (NDJSON trailers use it too). */
void http_reply_write_error(JsonWriter *writer, guint status, const char *message);

G_END_DECLS
