/* http-routes.h: the route table (http-routes.c) as the server sees it: matching a request's
 * method and path to its route. Private to http/; the table's public face (route patterns for
 * metrics, offline routes for `sharkapi analyze`, `sharkapi routes`) is declared in http-server.h.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "http/http-server.h"

G_BEGIN_DECLS

/* A matched route and what its pattern captured: {token}, {id} and {search} by name, and any
 * other {name} segment (frames/{frame}) as a path parameter, NULL-terminated pairs. */
typedef struct {
	const HttpRoute *route;
	char *token;
	char *capture_id;
	char *deep_search_id;
	char *path_names[HTTP_PATH_PARAMS_MAX + 1];
	char *path_values[HTTP_PATH_PARAMS_MAX + 1];
} HttpMatch;

void http_match_clear(HttpMatch *match);
/* Finds the route of method and path; *path_matched tells 405 from 404 when none allows the
 * method. */
gboolean http_routes_find(const char *method, const char *path, HttpMatch *match, gboolean *path_matched);

G_END_DECLS
