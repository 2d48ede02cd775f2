/* http-server.c: the route table, request matching and authentication.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-server.h"

#include <string.h>

#include "http/http-metrics.h"
#include "http/http-params.h"
#include "http/http-refusal.h"
#include "http/http-listener.h"
#include "http/http-reply.h"
#include "http/http-upload.h"
#include "http/http-file-cache.h"
#include "http/routes-analysis.h"
#include "http/routes-annotations.h"
#include "http/routes-captures.h"
#include "http/routes-docs.h"
#include "http/routes-fields.h"
#include "http/routes-metrics.h"
#include "http/routes-deep-search.h"
#include "http/routes-merge.h"
#include "http/routes-search.h"
#include "http/routes-ui.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"

/* A form's or a deep search's body (http-params.h, routes-deep-search.c check the same). */
#define HTTP_SERVER_MAX_FORM_BODY (1024 * 1024)

/* Connections the kernel may hold before they are accepted (capped by net.core.somaxconn). */
#define HTTP_SERVER_LISTEN_BACKLOG 1024

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
	{"GET HEAD", "/api/v2/openapi.json", HTTP_AUTH_NONE, 0, routes_docs_openapi, NULL, ANALYSIS_NONE},
	{"GET HEAD", "/docs", HTTP_AUTH_NONE, 0, routes_docs_page, NULL, ANALYSIS_NONE},
	{"GET HEAD", "/metrics", HTTP_AUTH_NONE, 0, routes_metrics_scrape, NULL, ANALYSIS_NONE},
	{"GET", "/api/v2/filter/check", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_ui_filter_check,
	 http_filter_check_params, ANALYSIS_NONE},
	{"GET", "/api/v2/tables", HTTP_AUTH_HEADER, AUTH_PERMISSION_ANALYSIS, routes_ui_tables, NULL, ANALYSIS_NONE},
};

typedef struct {
	const HttpRoute *route;
	char *token;
	char *capture_id;
	char *deep_search_id;
} HttpMatch;

static void
http_match_clear(HttpMatch *match)
{
	g_clear_pointer(&match->token, g_free);
	g_clear_pointer(&match->capture_id, g_free);
	g_clear_pointer(&match->deep_search_id, g_free);
}

/* Which capture a pattern segment is: 0 {token}, 1 {id}, 2 {search}, -1 a literal. */
static int
http_route_capture_slot(const char *segment, gsize len)
{
	static const char *const names[] = {"{token}", "{id}", "{search}"};
	if (len == 0 || segment[0] != '{')
		return -1;
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (len == strlen(names[i]) && strncmp(segment, names[i], len) == 0)
			return (int)i;
	}
	return -1;
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

	/* A trailing slash is tolerated: "/upload/" is "/upload". */
	if (have_end - path > 1 && have_end[-1] == '/')
		have_end--;
	for (;;) {
		const char *want_next = strchr(want, '/');
		const char *have_next = memchr(have, '/', (size_t)(have_end - have));
		gsize want_len = want_next != NULL ? (gsize)(want_next - want) : strlen(want);
		gsize have_len = (gsize)((have_next != NULL ? have_next : have_end) - have);
		int slot = http_route_capture_slot(want, want_len);

		if (slot >= 0) {
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
static gboolean
http_server_find_route(const char *method, const char *path, HttpMatch *match, gboolean *path_matched)
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

char *
http_request_authorization(SoupServerMessage *msg)
{
	const char *value =
		soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
	if (value == NULL)
		return NULL;
	while (*value == ' ')
		value++;
	if (g_ascii_strncasecmp(value, "Bearer ", 7) == 0)
		value += 7;
	return g_strstrip(g_strdup(value));
}

static AuthToken *
http_server_authenticate(HttpServer *self, SoupServerMessage *msg, const HttpMatch *match, GError **error)
{
	g_autofree char *header_token = NULL;
	const char *presented = match->token;
	if (match->route->auth == HTTP_AUTH_HEADER)
		presented = header_token = http_request_authorization(msg);
	g_autoptr(AuthToken) token = auth_token_verify(self->store->db, presented, error);
	if (token == NULL)
		return NULL;
	if (!auth_token_require(token, match->route->permission, error))
		return NULL;
	return g_steal_pointer(&token);
}

/* What the early handler decided from the request line and headers, kept on the message for the
 * handler: the body has not been read yet when it runs. */
typedef struct {
	HttpMatch match;  /* route NULL: the web UI's page or assets */
	AuthToken *token; /* NULL for public routes */
	guint64 body_limit;
	guint64 body_received;
	HttpMetrics *metrics;
	GSocket *socket; /* the connection's (borrowed: the message lives on it), for refusals */
} HttpAdmission;

#define HTTP_ADMISSION_KEY "sharkapi-admission"

static void
http_admission_free(HttpAdmission *admission)
{
	http_match_clear(&admission->match);
	g_clear_pointer(&admission->token, auth_token_free);
	g_free(admission);
}

/* Whether the request carries a body: a Content-Length over 0, or chunks. */
static gboolean
http_server_announces_body(SoupMessageHeaders *headers)
{
	SoupEncoding encoding = soup_message_headers_get_encoding(headers);
	if (encoding == SOUP_ENCODING_CONTENT_LENGTH)
		return soup_message_headers_get_content_length(headers) > 0;
	return encoding != SOUP_ENCODING_NONE;
}

/* How much body a request may send: an upload as much as max-upload-size (spooled to disk,
 * http-upload.c), other POSTs a form or a deep search's JSON, and a GET, HEAD or DELETE none. */
static guint64
http_server_body_limit(HttpServer *self, const HttpRoute *route, const char *method)
{
	if (route == NULL || g_str_equal(method, "GET") || g_str_equal(method, "HEAD") || g_str_equal(method, "DELETE"))
		return 0;
	if (route->handler == routes_captures_upload)
		return self->config->max_upload_size;
	return HTTP_SERVER_MAX_FORM_BODY;
}

/* Route, token and permission from the request line and headers alone. */
static gboolean
http_server_admit(HttpServer *self, SoupServerMessage *msg, const char *method, const char *path,
		  HttpAdmission *admission, GError **error)
{
	gboolean path_matched = FALSE;
	if (routes_ui_claims(path)) {
		if (g_str_equal(method, "GET") || g_str_equal(method, "HEAD"))
			return TRUE; /* public */
		g_set_error_literal(error, SHARKAPI_ERROR, 405, "method not allowed for this route");
		return FALSE;
	}
	if (!http_server_find_route(method, path, &admission->match, &path_matched)) {
		g_set_error_literal(error, SHARKAPI_ERROR, path_matched ? 405 : 404,
				    path_matched ? "method not allowed for this route" : "no such route");
		return FALSE;
	}
	http_metrics_request_routed(msg, admission->match.route->pattern);
	if (admission->match.route->auth != HTTP_AUTH_NONE) {
		admission->token = http_server_authenticate(self, msg, &admission->match, error);
		if (admission->token == NULL)
			return FALSE;
	}
	return TRUE;
}

static void
http_server_body_chunk_cb(SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
	HttpAdmission *admission = user_data;
	admission->body_received += g_bytes_get_size(chunk);
	if (admission->body_received > admission->body_limit)
		http_refusal_send(msg, admission->socket, admission->metrics, 413, "request body larger than this route takes");
}

/* Runs once the request line and headers are in, before a byte of the body is read: anything
 * refused here costs the server no memory or disk for the body (http-refusal.h). */
static void
http_server_early_cb(SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
		     gpointer user_data)
{
	HttpServer *self = user_data;
	const char *method = soup_server_message_get_method(msg);
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	g_autoptr(GError) error = NULL;

	HttpAdmission *admission = g_new0(HttpAdmission, 1);
	admission->metrics = self->metrics;
	admission->socket = http_listener_get_socket(self->listener, msg);
	g_object_set_data_full(G_OBJECT(msg), HTTP_ADMISSION_KEY, admission, (GDestroyNotify)http_admission_free);
	gboolean has_body = http_server_announces_body(headers);
	/* No route offers ranges, and libsoup would answer one by copying the whole body (a stored
	 * capture of gigabytes, per request): the header goes. */
	soup_message_headers_remove(headers, "Range");
	/* Content-Length beside chunks: real clients send it and the chunks are read, but whatever
	 * follows the last chunk may be a request smuggled past a proxy that read the length, so
	 * the connection ends with this answer. */
	if (soup_message_headers_get_one(headers, "Content-Length") != NULL &&
	    soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CHUNKED)
		soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection", "close");
	if (!http_server_admit(self, msg, method, path, admission, &error)) {
		/* Without a body the connection stays usable: libsoup answers and skips the handler. */
		if (has_body || (soup_message_headers_get_expectations(headers) & SOUP_EXPECTATION_CONTINUE))
			http_refusal_send(msg, admission->socket, self->metrics, sharkapi_error_http_status(error),
					  error->message);
		else
			http_reply_error(msg, error);
		return;
	}
	admission->body_limit = http_server_body_limit(self, admission->match.route, method);
	if (has_body && admission->body_limit == 0) {
		g_autofree char *message = g_strdup_printf("a %s request to this route takes no body", method);
		http_refusal_send(msg, admission->socket, self->metrics, 400, message);
		return;
	}
	if (admission->match.route != NULL && admission->match.route->handler == routes_captures_upload) {
		http_upload_begin(msg, admission->socket, self->store, admission->body_limit, self->metrics);
		return;
	}
	if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH &&
	    (guint64)soup_message_headers_get_content_length(headers) > admission->body_limit) {
		http_refusal_send(msg, admission->socket, self->metrics, 413, "request body larger than this route takes");
		return;
	}
	if (has_body)
		g_signal_connect(msg, "got-chunk", G_CALLBACK(http_server_body_chunk_cb), admission);
}

static void
http_server_request_cb(SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
		       gpointer user_data)
{
	HttpServer *self = user_data;
	const char *method = soup_server_message_get_method(msg);
	HttpAdmission *admission = g_object_get_data(G_OBJECT(msg), HTTP_ADMISSION_KEY);
	g_autoptr(GError) error = NULL;

	/* Refused while its body was arriving: answered already. */
	if (http_refusal_sent(msg))
		return;
	/* Every request passes the early handler; a message without its admission would be a bug. */
	g_return_if_fail(admission != NULL);
	/* The web page and its assets need no token (API.md). */
	if (admission->match.route == NULL && routes_ui_serve(msg, method, path))
		return;
	HttpMatch *match = &admission->match;
	/* Ids that are not 12 lowercase hex characters never reach the store or the file system. */
	if (match->capture_id != NULL && !store_capture_id_is_valid(match->capture_id)) {
		http_reply_error_literal(msg, 404, "capture not found");
		return;
	}
	if (match->deep_search_id != NULL && !deep_search_id_is_valid(match->deep_search_id)) {
		http_reply_error_literal(msg, 404, "deep search not found");
		return;
	}
	/* libsoup cuts a value at an encoded NUL ("filter=ip.src%00junk" became "ip.src"), so a
	 * query holding one is refused rather than answered for a shorter value. */
	const char *raw_query = g_uri_get_query(soup_server_message_get_uri(msg));
	if (raw_query != NULL && strstr(raw_query, "%00") != NULL) {
		http_reply_error_literal(msg, 400, "query: a parameter holds a NUL byte (%00)");
		return;
	}
	/* An upload's body is the capture: its parameters come from the query alone. */
	g_autoptr(HttpParams) params = match->route->handler == routes_captures_upload
					       ? http_params_from_query(msg)
					       : http_params_from_message(msg, &error);
	if (params == NULL || !http_params_check(params, match->route->params, &error)) {
		http_reply_error(msg, error);
		return;
	}
	HttpRequest request = {
		.server = self,
		.msg = msg,
		.route = match->route,
		.token = admission->token,
		.capture_id = match->capture_id,
		.deep_search_id = match->deep_search_id,
		.params = params,
	};
	match->route->handler(&request);
}

void
http_request_park(HttpRequest *request)
{
	soup_server_message_pause(request->msg);
	if (request->server->listener != NULL)
		http_listener_watch_departure(request->server->listener, request->msg);
}

const char *
http_request_get(HttpRequest *request, const char *name)
{
	return http_params_get(request->params, name);
}

gint64
http_request_get_integer(HttpRequest *request, const char *name)
{
	return http_params_get_integer(request->params, name);
}

GPtrArray *
http_request_get_list(HttpRequest *request, const char *name)
{
	return http_params_get_list(request->params, name);
}

/* libsoup answers some requests itself before any handler, with an empty body (400 for a path
 * whose %-escapes decode to a NUL or a "..", for instance): they get API.md's JSON error too. */
static void
http_server_request_read_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	guint status = soup_server_message_get_status(msg);
	if (status < 400 || soup_server_message_get_response_body(msg)->length > 0)
		return;
	const char *message = status == SOUP_STATUS_BAD_REQUEST ? "malformed request: the path or a header is invalid"
								: soup_status_get_phrase(status);
	http_reply_error_literal(msg, status, message);
}

static void
http_server_request_started_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	http_metrics_request_started(msg);
}

HttpServer *
http_server_new(SharkapiConfig *config, Store *store, JobQueue *jobs, SummaryTracker *summaries)
{
	HttpServer *self = g_new0(HttpServer, 1);
	self->config = config;
	self->store = store;
	self->jobs = jobs;
	self->summaries = summaries;
	self->results = result_cache_new(store, config->result_cache_size);
	self->captures = (CaptureService){.store = store, .jobs = jobs, .summaries = summaries, .results = self->results};
	/* As many match jobs per search as there are workers: searches use them all. */
	self->deep_searches = deep_search_runner_new(store, jobs, config->workers);
	deep_search_runner_resume_all(self->deep_searches);
	/* Answers up to 1 MiB, 16 MiB in all: the server stays far under its 64 MiB. */
	self->file_cache = http_file_cache_new(1024 * 1024, 16 * 1024 * 1024);
	self->soup = soup_server_new("server-header", "sharkapi/" SHARKAPI_VERSION " ", NULL);
	/* One entry for every path: the early handler admits, the handler answers. */
	soup_server_add_early_handler(self->soup, NULL, http_server_early_cb, self, NULL);
	soup_server_add_handler(self->soup, NULL, http_server_request_cb, self, NULL);
	g_signal_connect(self->soup, "request-started", G_CALLBACK(http_server_request_started_cb), self);
	g_signal_connect(self->soup, "request-read", G_CALLBACK(http_server_request_read_cb), self);
	self->metrics = http_metrics_new();
	g_signal_connect(self->soup, "request-finished", G_CALLBACK(http_metrics_request_finished_cb), self->metrics);
	g_signal_connect(self->soup, "request-aborted", G_CALLBACK(http_metrics_request_finished_cb), self->metrics);
	return self;
}

void
http_server_free(HttpServer *self)
{
	if (self == NULL)
		return;
	/* First: it holds answered messages of idle connections. */
	http_listener_free(self->listener);
	if (self->soup != NULL) {
		soup_server_disconnect(self->soup);
		g_object_unref(self->soup);
	}
	result_cache_free(self->results);
	deep_search_runner_free(self->deep_searches);
	http_file_cache_free(self->file_cache);
	http_metrics_free(self->metrics);
	g_free(self);
}

char *
http_server_listen(HttpServer *self, const char *listen, GError **error)
{
	g_autofree char *address = NULL;
	guint16 port = 0;
	if (!sharkapi_config_split_listen(listen, &address, &port, error))
		return NULL;
	g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(address);
	if (inet == NULL) {
		/* Numeric addresses only: the server never resolves names. */
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "listen: '%s' is not a numeric IP address", address);
		return NULL;
	}
	g_autoptr(GTlsCertificate) certificate = NULL;
	if (self->config->tls_cert != NULL) {
		/* Files only: GnuTLS reads them here, nothing is fetched (no OCSP, no AIA). */
		certificate = g_tls_certificate_new_from_files(self->config->tls_cert, self->config->tls_key, error);
		if (certificate == NULL)
			return NULL;
	}
	g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new(inet, port);
	/* Our own socket for a deep accept queue: soup_server_listen() keeps GSocket's backlog
	 * of 10, and a burst of connections then waits out SYN retransmits of a second or more. */
	g_autoptr(GSocket) socket = g_socket_new(g_inet_address_get_family(inet), G_SOCKET_TYPE_STREAM,
						 G_SOCKET_PROTOCOL_TCP, error);
	if (socket == NULL)
		return NULL;
	g_socket_set_listen_backlog(socket, HTTP_SERVER_LISTEN_BACKLOG);
	if (!g_socket_bind(socket, socket_address, TRUE, error) || !g_socket_listen(socket, error))
		return NULL;
	HttpListenerLimits limits = {
		.idle_timeout = self->config->idle_timeout,
		.header_timeout = self->config->header_timeout,
		.max_connections = self->config->max_connections,
	};
	if (self->listener == NULL)
		self->listener = http_listener_new(self->soup, &limits, certificate);
	return http_listener_listen(self->listener, socket, error);
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
http_server_find_offline_route(const char *name)
{
	/* Paths such a name would have, matched by the router itself: v2's analysis routes, then
	 * v1's per-capture ones ("info"). */
	g_autofree char *v2 = g_strconcat("/api/v2/analysis/000000000000/", name, NULL);
	g_autofree char *v1 = g_strconcat("/api/v1/-/", name, "/000000000000", NULL);
	const char *paths[] = {v2, v1};
	for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
		HttpMatch match = {NULL};
		gboolean path_matched = FALSE;
		gboolean found = http_server_find_route("GET", paths[i], &match, &path_matched);
		http_match_clear(&match);
		if (found && match.route->analysis != ANALYSIS_NONE)
			return match.route;
	}
	return NULL;
}

gboolean
http_arguments_check_form(const char *const *arguments, GError **error)
{
	for (guint i = 0; arguments[i] != NULL; i++) {
		const char *equals = strchr(arguments[i], '=');
		if (equals == NULL || equals == arguments[i]) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "'%s' is not NAME=VALUE",
				    arguments[i]);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
http_request_init_offline(HttpRequest *request, const HttpRoute *route, const char *capture_id,
			  const char *const *arguments, GError **error)
{
	*request = (HttpRequest){.route = route, .capture_id = capture_id, .params = http_params_new()};
	if (!http_arguments_check_form(arguments, error))
		return FALSE;
	for (guint i = 0; arguments[i] != NULL; i++) {
		const char *equals = strchr(arguments[i], '=');
		g_autofree char *name = g_strndup(arguments[i], equals - arguments[i]);
		http_params_add(request->params, name, equals + 1);
	}
	return http_params_check(request->params, route->params, error);
}

void
http_request_clear_offline(HttpRequest *request)
{
	g_clear_pointer(&request->params, http_params_free);
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
