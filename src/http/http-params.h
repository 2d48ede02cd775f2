/* http-params.h: request parameters as real CloudShark clients send them: the query string and,
 * on POST, an application/x-www-form-urlencoded body, kept in order with repeats (libsoup's
 * query table keeps only the last of "tags=a&tags=b" and "search[tags][]=a&search[tags][]=b").
 * Also reads Rails-style nested names: "search[created_at][from]" is "created_at.from" under
 * "search", "search[tags][]" is "tags".
 * Checks parameters against a route's declarations (HttpParamSpec, http-server.h) and keeps
 * their typed values; what a parameter means is the route's business.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "http/http-server.h"

G_BEGIN_DECLS

/* Largest form body read for parameters (not uploads, which are streamed to disk). */
#define HTTP_PARAMS_MAX_BODY (1024 * 1024)

/* The query string, then the form body of a urlencoded POST/PUT. A form body over
 * HTTP_PARAMS_MAX_BODY is a 413. */
HttpParams *http_params_from_message(SoupServerMessage *msg, GError **error);
/* An empty list, to fill with http_params_add_urlencoded (fuzz/ does). */
HttpParams *http_params_new(void);
/* Only the query string (uploads: the body is the capture). */
HttpParams *http_params_from_query(SoupServerMessage *msg);
void http_params_free(HttpParams *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HttpParams, http_params_free)

/* Parses "a=1&b=%2C&c+d=e" and appends the pairs. */
void http_params_add_urlencoded(HttpParams *self, const char *text, gsize length);
/* Appends one pair as it is, not decoded (`sharkapi analyze`'s NAME=VALUE arguments). */
void http_params_add(HttpParams *self, const char *name, const char *value);

guint http_params_length(HttpParams *self);
const char *http_params_name(HttpParams *self, guint index);
const char *http_params_value(HttpParams *self, guint index);

/* Checks the parameters specs declares (ending with a NULL name), in their order; the first bad
 * one is a 400 naming it. Afterwards the getters give declared parameters their typed values. */
gboolean http_params_check(HttpParams *self, const HttpParamSpec *specs, GError **error);

/* The last value of name, or NULL; a checked declared parameter's fallback when absent or empty. */
const char *http_params_get(HttpParams *self, const char *name);
/* A checked INTEGER (or ENUM of digits): its number, -1 when absent without fallback. */
gint64 http_params_get_integer(HttpParams *self, const char *name);
/* A checked LIST's items (owned by self); NULL for an optional list that was absent. */
GPtrArray *http_params_get_list(HttpParams *self, const char *name);
/* Every value of name, in order, NULL-terminated (owned by self; free the array only). */
const char **http_params_get_all(HttpParams *self, const char *name);

/* For a Rails-style name under prefix ("search[tags][]" under "search"): the nested path joined
 * with '.', trailing "[]" dropped ("tags"); NULL when name is not of that form. */
char *http_params_nested_key(const char *name, const char *prefix);

G_END_DECLS
