/* http-routes.c: the route table: every route's method, path pattern, authentication,
 * permission, handler and declared parameters, and matching a request against it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-routes.h"

#include <string.h>

#include "http/routes-analysis.h"
#include "http/routes-annotations.h"
#include "http/routes-captures.h"
#include "http/routes-deep-search.h"
#include "http/routes-docs.h"
#include "http/routes-fields.h"
#include "http/routes-follow.h"
#include "http/routes-frames.h"
#include "http/routes-io.h"
#include "http/routes-objects.h"
#include "http/routes-merge.h"
#include "http/routes-cluster.h"
#include "http/routes-metrics.h"
#include "http/routes-search.h"
#include "http/routes-tls-keys.h"
#include "http/routes-ui.h"

/* ---- parameter declarations (http-server.h) ---- */

static const char *const http_passes_values[] = {"1", "2", NULL};
static const char *const http_format_values[] = {"json", "ndjson", NULL};
static const char *const http_duplicates_values[] = {"keep", "remove", NULL};

#define HTTP_PARAM_FILTER_SPEC {.name = "filter", .type = HTTP_PARAM_FILTER}
/* 1: what tshark prints; 2: tshark -2's two-pass view (empty is 1). */
#define HTTP_PARAM_PASSES_SPEC {.name = "passes", .type = HTTP_PARAM_ENUM, .fallback = "1", .values = http_passes_values}

static const HttpParamSpec http_summary_params[] = {
	HTTP_PARAM_FILTER_SPEC,
	HTTP_PARAM_PASSES_SPEC,
	{NULL},
};

/* The endpoint or conversation table; an unknown one is the route's 400 (it knows the tables). */
static const HttpParamSpec http_table_params[] = {
	{.name = "protocol", .type = HTTP_PARAM_STRING, .fallback = "ip"},
	HTTP_PARAM_FILTER_SPEC,
	HTTP_PARAM_PASSES_SPEC,
	{NULL},
};

/* In the order they were always checked: the first bad one is the 400. */
static const HttpParamSpec http_fields_params[] = {
	HTTP_PARAM_PASSES_SPEC,
	{.name = "fields", .type = HTTP_PARAM_LIST, .flags = HTTP_PARAM_REQUIRED, .parse_list = fields_parse_list},
	{.name = "limit", .type = HTTP_PARAM_INTEGER, .min = 0, .max = G_MAXINT64},
	{.name = "offset", .type = HTTP_PARAM_INTEGER, .fallback = "0", .min = 0, .max = G_MAXINT64},
	/* Absent: the Accept header decides. */
	{.name = "format", .type = HTTP_PARAM_ENUM, .values = http_format_values},
	HTTP_PARAM_FILTER_SPEC,
	{NULL},
};

static const char *const http_boolean_values[] = {"true", "false", NULL};

static const HttpParamSpec http_frames_params[] = {
	/* Fields (or _ws.col.* columns) replacing the seven columns; checked as fields= is. */
	{.name = "columns", .type = HTTP_PARAM_LIST, .parse_list = fields_parse_list},
	HTTP_PARAM_FILTER_SPEC,
	{.name = "limit", .type = HTTP_PARAM_INTEGER, .min = 0, .max = G_MAXINT64},
	{.name = "offset", .type = HTTP_PARAM_INTEGER, .fallback = "0", .min = 0, .max = G_MAXINT64},
	HTTP_PARAM_PASSES_SPEC,
	{NULL},
};

static const HttpParamSpec http_frame_params[] = {
	{.name = "hidden", .type = HTTP_PARAM_ENUM, .fallback = "false", .values = http_boolean_values},
	HTTP_PARAM_PASSES_SPEC,
	{NULL},
};

/* expert: a summary route whose items page (limit absent: all of them). */
static const HttpParamSpec http_expert_params[] = {
	HTTP_PARAM_FILTER_SPEC,
	HTTP_PARAM_PASSES_SPEC,
	{.name = "limit", .type = HTTP_PARAM_INTEGER, .min = 0, .max = G_MAXINT64},
	{.name = "offset", .type = HTTP_PARAM_INTEGER, .fallback = "0", .min = 0, .max = G_MAXINT64},
	{NULL},
};

static const HttpParamSpec http_filter_check_params[] = {
	{.name = "filter", .type = HTTP_PARAM_FILTER, .max = 4096},
	{NULL},
};

static const HttpParamSpec http_upload_params[] = {
	{.name = "filename", .type = HTTP_PARAM_STRING},
	{.name = "additional_tags", .type = HTTP_PARAM_REPEATED},
	{.name = "tags", .type = HTTP_PARAM_REPEATED},
	{.name = "comments", .type = HTTP_PARAM_STRING},
	{NULL},
};

static const HttpParamSpec http_annotation_params[] = {
	{.name = "frame", .type = HTTP_PARAM_INTEGER, .flags = HTTP_PARAM_REQUIRED | HTTP_PARAM_ROUTE_CHECKS, .min = 1,
	 .max = G_MAXINT64},
	{.name = "text", .type = HTTP_PARAM_STRING, .flags = HTTP_PARAM_ROUTE_CHECKS, .max = 65536},
	{.name = "quiet", .type = HTTP_PARAM_STRING},
	{NULL},
};

static const HttpParamSpec http_merge_params[] = {
	{.name = "capture_ids", .type = HTTP_PARAM_REPEATED, .flags = HTTP_PARAM_REQUIRED | HTTP_PARAM_ROUTE_CHECKS},
	{.name = "filename", .type = HTTP_PARAM_STRING},
	{.name = "additional_tags", .type = HTTP_PARAM_REPEATED},
	{.name = "tags", .type = HTTP_PARAM_REPEATED},
	{.name = "comments", .type = HTTP_PARAM_STRING},
	{.name = "duplicates", .type = HTTP_PARAM_ENUM, .flags = HTTP_PARAM_ROUTE_CHECKS, .fallback = "keep",
	 .values = http_duplicates_values},
	{NULL},
};

/* Rails-style names, each a criterion the store checks (store-search.c). */
static const HttpParamSpec http_search_params[] = {
	{.name = "search[filename]", .type = HTTP_PARAM_STRING},
	{.name = "search[comments]", .type = HTTP_PARAM_STRING},
	{.name = "search[tags][]", .type = HTTP_PARAM_REPEATED},
	{.name = "search[user]", .type = HTTP_PARAM_STRING},
	{.name = "search[id][]", .type = HTTP_PARAM_REPEATED},
	{.name = "search[created_at][from]", .type = HTTP_PARAM_STRING},
	{.name = "search[created_at][to]", .type = HTTP_PARAM_STRING},
	{.name = "search[start_time][from]", .type = HTTP_PARAM_STRING},
	{.name = "search[start_time][to]", .type = HTTP_PARAM_STRING},
	{.name = "search[limit]", .type = HTTP_PARAM_INTEGER, .flags = HTTP_PARAM_ROUTE_CHECKS, .fallback = "100",
	 .min = 1, .max = 1000},
	{.name = "search[page]", .type = HTTP_PARAM_INTEGER, .flags = HTTP_PARAM_ROUTE_CHECKS, .fallback = "1",
	 .min = 1, .max = G_MAXINT32},
	{.name = "search[sort]", .type = HTTP_PARAM_STRING, .flags = HTTP_PARAM_ROUTE_CHECKS,
	 .fallback = "created_at.desc"},
	{NULL},
};

/* stats/io: each column a display filter or FUNC(field)filter (the worker checks them);
 * interval in seconds, the automatic one when absent (routes-io.c). */
static const HttpParamSpec http_io_params[] = {
	{.name = "column", .type = HTTP_PARAM_REPEATED, .flags = HTTP_PARAM_ROUTE_CHECKS},
	{.name = "interval", .type = HTTP_PARAM_STRING, .flags = HTTP_PARAM_ROUTE_CHECKS, .max = 64},
	HTTP_PARAM_PASSES_SPEC,
	{NULL},
};

static const HttpParamSpec http_objects_params[] = {
	HTTP_PARAM_PASSES_SPEC,
	{NULL},
};

/* The whole API, in one place: method, path, authentication, permission, handler, parameters,
 * and what `sharkapi analyze` answers for it. */
static const HttpRoute http_routes[] = {
	{"POST PUT", "/api/v1/{token}/upload", HTTP_AUTH_PATH, AUTH_PERMISSION_UPLOAD, routes_captures_upload,
	 http_upload_params, ANALYSIS_NONE},
	{"GET", "/api/v1/{token}/info/{id}", HTTP_AUTH_PATH, AUTH_PERMISSION_INFO, routes_captures_info,
	 NULL, ANALYSIS_INFO},
	{"GET", "/api/v1/{token}/download/{id}", HTTP_AUTH_PATH, AUTH_PERMISSION_DOWNLOAD, routes_captures_download,
	 NULL, ANALYSIS_NONE},
	{"POST DELETE GET", "/api/v1/{token}/delete/{id}", HTTP_AUTH_PATH, AUTH_PERMISSION_DELETE, routes_captures_delete,
	 NULL, ANALYSIS_NONE},
	{"GET POST", "/api/v1/{token}/annotations/{id}", HTTP_AUTH_PATH, AUTH_PERMISSION_ANNOTATE, routes_annotations,
	 http_annotation_params, ANALYSIS_NONE},
	{"POST GET", "/api/v1/{token}/merge", HTTP_AUTH_PATH, AUTH_PERMISSION_UPLOAD, routes_merge,
	 http_merge_params, ANALYSIS_NONE},
	{"GET POST", "/api/v1/{token}/search", HTTP_AUTH_PATH, AUTH_PERMISSION_INFO, routes_search,
	 http_search_params, ANALYSIS_NONE},
	{"POST", "/api/v2/deep_search", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_deep_search_create,
	 NULL, ANALYSIS_NONE},
	{"GET", "/api/v2/deep_search/{search}", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_deep_search_status,
	 NULL, ANALYSIS_NONE},
	{"DELETE", "/api/v2/deep_search/{search}", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_deep_search_delete,
	 NULL, ANALYSIS_NONE},
	{"GET", "/api/v2/deep_search/{search}/results", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_deep_search_results,
	 NULL, ANALYSIS_NONE},
	{"GET", "/api/v2/analysis/{id}/status", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_analysis_status,
	 NULL, ANALYSIS_STATUS},
	{"GET", "/api/v2/analysis/{id}/stats/hierarchy", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_analysis_summary,
	 http_summary_params, ANALYSIS_HIERARCHY},
	{"GET", "/api/v2/analysis/{id}/stats/endpoints", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_analysis_summary,
	 http_table_params, ANALYSIS_ENDPOINTS},
	{"GET", "/api/v2/analysis/{id}/stats/conversations", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_analysis_summary,
	 http_table_params, ANALYSIS_CONVERSATIONS},
	{"GET", "/api/v2/analysis/{id}/dns/lookups", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_analysis_summary,
	 http_summary_params, ANALYSIS_DNS},
	{"GET", "/api/v2/analysis/{id}/packets/fields", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_analysis_fields,
	 http_fields_params, ANALYSIS_FIELDS},
	{"GET", "/api/v2/analysis/{id}/frames", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_frames_list,
	 http_frames_params, ANALYSIS_FRAMES},
	{"GET", "/api/v2/analysis/{id}/frames/{frame}", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_frames_detail,
	 http_frame_params, ANALYSIS_FRAME},
	{"GET", "/api/v2/analysis/{id}/follow/{proto}/{stream}", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS,
	 routes_follow, NULL, ANALYSIS_FOLLOW},
	{"GET", "/api/v2/analysis/{id}/follow/{proto}/{stream}/{substream}", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS,
	 routes_follow, NULL, ANALYSIS_FOLLOW},
	/* Also needs the analysis permission (the route checks): the keys change every answer. */
	{"PUT DELETE", "/api/v2/analysis/{id}/tls-keys", HTTP_AUTH_HEADER, AUTH_PERMISSION_UPLOAD, routes_tls_keys,
	 NULL, ANALYSIS_NONE},
	{"GET HEAD", "/api/v2/openapi.json", HTTP_AUTH_NONE, 0, routes_docs_openapi, NULL, ANALYSIS_NONE},
	{"GET HEAD", "/docs", HTTP_AUTH_NONE, 0, routes_docs_page, NULL, ANALYSIS_NONE},
	{"GET HEAD", "/metrics", HTTP_AUTH_NONE, 0, routes_metrics_scrape, NULL, ANALYSIS_NONE},
	{"GET", "/api/v2/cluster", HTTP_AUTH_HEADER, AUTH_PERMISSION_ADMIN, routes_cluster, NULL, ANALYSIS_NONE},
	{"GET", "/api/v2/filter/check", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_ui_filter_check,
	 http_filter_check_params, ANALYSIS_NONE},
	{"GET", "/api/v2/tables", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_ui_tables, NULL, ANALYSIS_NONE},
	{"GET", "/api/v2/analysis/{id}/expert", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_analysis_summary,
	 http_expert_params, ANALYSIS_EXPERT},
	{"GET", "/api/v2/analysis/{id}/http/requests", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_analysis_summary,
	 http_summary_params, ANALYSIS_HTTP_REQUESTS},
	{"GET", "/api/v2/analysis/{id}/tls/handshakes", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_analysis_summary,
	 http_summary_params, ANALYSIS_TLS_HANDSHAKES},
	{"GET", "/api/v2/analysis/{id}/stats/io", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_analysis_io,
	 http_io_params, ANALYSIS_IO},
	{"GET", "/api/v2/analysis/{id}/objects/{proto}", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS,
	 routes_analysis_objects, http_objects_params, ANALYSIS_OBJECTS},
	{"GET", "/api/v2/analysis/{id}/objects/{proto}/{index}", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS,
	 routes_analysis_object, http_objects_params, ANALYSIS_NONE},
};

void
http_match_clear(HttpMatch *match)
{
	g_clear_pointer(&match->token, g_free);
	g_clear_pointer(&match->capture_id, g_free);
	g_clear_pointer(&match->deep_search_id, g_free);
	for (guint i = 0; i < HTTP_PATH_PARAMS_MAX; i++) {
		g_clear_pointer(&match->path_names[i], g_free);
		g_clear_pointer(&match->path_values[i], g_free);
	}
}

/* Which capture a pattern segment is: 0 {token}, 1 {id}, 2 {search}, 3 any other {name} (a path
 * parameter), -1 a literal. */
#define HTTP_ROUTE_PATH_PARAM 3
static int
http_route_capture_slot(const char *segment, gsize len)
{
	static const char *const names[] = {"{token}", "{id}", "{search}"};
	if (len < 3 || segment[0] != '{' || segment[len - 1] != '}')
		return -1;
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (len == strlen(names[i]) && strncmp(segment, names[i], len) == 0)
			return (int)i;
	}
	return HTTP_ROUTE_PATH_PARAM;
}

/* Matches path segments against a pattern; fills match's {token}, {id} and {search} (match may
 * be NULL: the pattern is all that is wanted). Walks both strings in place: this runs for every
 * route on every request, so it allocates only the captures of a full match. */
static gboolean
http_route_match_path(const HttpRoute *route, const char *path, HttpMatch *match)
{
	const char *want = route->pattern;
	const char *have = path;
	const char *have_end = path + strlen(path);
	const char *captured[3] = {NULL}; /* {token}, {id}, {search} in path, by capture slot */
	gsize captured_len[3] = {0};
	/* path parameters: name (in the pattern, braces included) and value (in the path) */
	const char *param_name[HTTP_PATH_PARAMS_MAX], *param_value[HTTP_PATH_PARAMS_MAX];
	gsize param_name_len[HTTP_PATH_PARAMS_MAX], param_value_len[HTTP_PATH_PARAMS_MAX];
	guint n_params = 0;

	/* A trailing slash is tolerated: "/upload/" is "/upload". */
	if (have_end - path > 1 && have_end[-1] == '/')
		have_end--;
	for (;;) {
		const char *want_next = strchr(want, '/');
		const char *have_next = memchr(have, '/', (size_t)(have_end - have));
		gsize want_len = want_next != NULL ? (gsize)(want_next - want) : strlen(want);
		gsize have_len = (gsize)((have_next != NULL ? have_next : have_end) - have);
		int slot = http_route_capture_slot(want, want_len);

		if (slot == HTTP_ROUTE_PATH_PARAM) {
			if (have_len == 0 || n_params == HTTP_PATH_PARAMS_MAX)
				return FALSE;
			param_name[n_params] = want;
			param_name_len[n_params] = want_len;
			param_value[n_params] = have;
			param_value_len[n_params++] = have_len;
		} else if (slot >= 0) {
			captured[slot] = have;
			captured_len[slot] = have_len;
		} else if (want_len != have_len || memcmp(want, have, want_len) != 0) {
			return FALSE;
		}
		if ((want_next == NULL) != (have_next == NULL))
			return FALSE;
		if (want_next == NULL)
			break;
		want = want_next + 1;
		have = have_next + 1;
	}
	if (match != NULL) {
		char **fields[] = {&match->token, &match->capture_id, &match->deep_search_id};
		for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
			g_free(*fields[i]);
			*fields[i] = captured[i] != NULL ? g_strndup(captured[i], captured_len[i]) : NULL;
		}
		for (guint i = 0; i < HTTP_PATH_PARAMS_MAX; i++) {
			g_clear_pointer(&match->path_names[i], g_free);
			g_clear_pointer(&match->path_values[i], g_free);
			if (i < n_params) {
				match->path_names[i] = g_strndup(param_name[i] + 1, param_name_len[i] - 2);
				match->path_values[i] = g_strndup(param_value[i], param_value_len[i]);
			}
		}
	}
	return TRUE;
}

/* methods is a space-separated list such as "POST PUT"; HEAD goes wherever GET does (libsoup
 * sends the headers of the GET answer without its body). */
static gboolean
http_route_allows_method(const HttpRoute *route, const char *method)
{
	if (g_str_equal(method, "HEAD"))
		method = "GET";
	gsize len = strlen(method);
	for (const char *p = route->methods; *p != '\0';) {
		const char *space = strchr(p, ' ');
		gsize word = space != NULL ? (gsize)(space - p) : strlen(p);
		if (word == len && strncmp(p, method, len) == 0)
			return TRUE;
		if (space == NULL)
			break;
		p = space + 1;
	}
	return FALSE;
}

/* Finds the route; *path_matched tells 405 from 404 when none allows the method. */
gboolean
http_routes_find(const char *method, const char *path, HttpMatch *match, gboolean *path_matched)
{
	*path_matched = FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(http_routes); i++) {
		if (!http_route_match_path(&http_routes[i], path, match))
			continue;
		if (!http_route_allows_method(&http_routes[i], method)) {
			*path_matched = TRUE;
			http_match_clear(match);
			continue;
		}
		match->route = &http_routes[i];
		return TRUE;
	}
	return FALSE;
}

const char *
http_server_route_pattern(const char *path)
{
	/* By path alone: a wrong method (405) still names the route it missed. */
	for (guint i = 0; path != NULL && i < G_N_ELEMENTS(http_routes); i++) {
		if (http_route_match_path(&http_routes[i], path, NULL))
			return http_routes[i].pattern;
	}
	/* The web UI is served before the table (routes-ui.c): its page and its assets. */
	if (path != NULL && (g_str_equal(path, "/") || g_str_equal(path, "/index.html")))
		return "/";
	if (path != NULL && g_str_has_prefix(path, "/ui/"))
		return "/ui/{build}/{asset}";
	return NULL;
}

const HttpRoute *
http_server_find_offline_route(const char *name, char ***path_names, char ***path_values)
{
	/* Paths such a name would have, matched by the router itself: v2's analysis routes, then
	 * v1's per-capture ones ("info"). */
	g_autofree char *v2 = g_strconcat("/api/v2/analysis/000000000000/", name, NULL);
	g_autofree char *v1 = g_strconcat("/api/v1/-/", name, "/000000000000", NULL);
	const char *paths[] = {v2, v1};
	for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
		HttpMatch match = {NULL};
		gboolean path_matched = FALSE;
		gboolean found = http_routes_find("GET", paths[i], &match, &path_matched);
		const HttpRoute *route = found && match.route->analysis != ANALYSIS_NONE ? match.route : NULL;
		if (route != NULL && path_names != NULL)
			*path_names = g_strdupv(match.path_names);
		if (route != NULL && path_values != NULL)
			*path_values = g_strdupv(match.path_values);
		http_match_clear(&match);
		if (route != NULL)
			return route;
	}
	return NULL;
}

const char *
http_param_type_name(HttpParamType type)
{
	static const char *const names[] = {"string", "filter", "enum", "integer", "list", "repeated"};
	g_return_val_if_fail((guint)type < G_N_ELEMENTS(names), "string");
	return names[type];
}

void
http_server_foreach_route(HttpRouteFunc func, gpointer user_data)
{
	static const char *auth_names[] = {"path-token", "header-token", "none"};
	for (guint i = 0; i < G_N_ELEMENTS(http_routes); i++) {
		const HttpRoute *route = &http_routes[i];
		func(route->methods, route->pattern, auth_names[route->auth],
		     route->auth == HTTP_AUTH_NONE ? "" : auth_permission_name(route->permission), route->params,
		     user_data);
	}
	/* Served before the table by routes_ui_serve(), public. */
	func("GET HEAD", "/", auth_names[HTTP_AUTH_NONE], "", NULL, user_data);
	func("GET HEAD", "/ui/{build}/{asset}", auth_names[HTTP_AUTH_NONE], "", NULL, user_data);
}
