/* http-server.c: the server: admission before the body (route, token, permission, body limit),
 * dispatch to the route's handler with its checked parameters, and listening. The route table
 * itself is http-routes.c.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "http"

#include "http/http-server.h"

#include <string.h>

#include "http/http-metrics.h"
#include "http/http-params.h"
#include "http/http-routes.h"
#include "http/http-refusal.h"
#include "http/http-listener.h"
#include "http/http-reply.h"
#include "http/http-upload.h"
#include "http/http-file-cache.h"
#include "http/http-storage-watch.h"
#include "http/routes-captures.h"
#include "http/routes-tls-keys.h"
#include "http/routes-ui.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"

/* A form's or a deep search's body (http-params.h, routes-deep-search.c check the same). */
#define HTTP_SERVER_MAX_FORM_BODY (1024 * 1024)

/* Connections the kernel may hold before they are accepted (capped by net.core.somaxconn). */
#define HTTP_SERVER_LISTEN_BACKLOG 1024

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
	if (!http_routes_find(method, path, &admission->match, &path_matched)) {
		g_set_error_literal(error, SHARKAPI_ERROR, path_matched ? 405 : 404,
				    path_matched ? "method not allowed for this route" : "no such route");
		return FALSE;
	}
	http_metrics_request_routed(msg, admission->match.route->pattern);
	/* A node that lost its shared data dir serves nothing but its metrics and documents. */
	if (admission->match.route->auth != HTTP_AUTH_NONE && http_storage_watch_is_lost(self->storage)) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE,
				    "this node cannot reach its data directory; try again later or another node");
		return FALSE;
	}
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
	/* An upload's body is the capture, a key log's the key log: parameters come from the query. */
	gboolean body_is_data = match->route->handler == routes_captures_upload || match->route->handler == routes_tls_keys;
	g_autoptr(HttpParams) params = body_is_data ? http_params_from_query(msg) : http_params_from_message(msg, &error);
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
		.path_names = match->path_names,
		.path_values = match->path_values,
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
http_request_get_path(HttpRequest *request, const char *name)
{
	for (guint i = 0; request->path_names != NULL && request->path_names[i] != NULL; i++) {
		if (g_str_equal(request->path_names[i], name))
			return request->path_values[i];
	}
	return NULL;
}

gboolean
http_request_get_path_number(HttpRequest *request, const char *name, guint64 min, gint64 *value, GError **error)
{
	const char *text = http_request_get_path(request, name);
	guint64 number = 0;

	*value = -1;
	if (text == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned(text, 10, min, G_MAXUINT32, &number, NULL)) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "%s: '%s' is not a whole number from %" G_GUINT64_FORMAT " to %u", name, text, min, G_MAXUINT32);
		return FALSE;
	}
	*value = (gint64)number;
	return TRUE;
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

/* Another node deleted a capture or changed its keys (several nodes). */
static void
http_server_capture_changed_cb(const char *capture_id, gboolean deleted, gpointer user_data)
{
	HttpServer *self = user_data;
	capture_service_changed_elsewhere(&self->captures, capture_id, deleted);
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
	self->storage = http_storage_watch_new(store);
	self->captures = (CaptureService){.store = store, .jobs = jobs, .summaries = summaries, .results = self->results};
	summary_tracker_set_capture_func(summaries, http_server_capture_changed_cb, self);
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
	summary_tracker_set_capture_func(self->summaries, NULL, NULL);
	g_clear_pointer(&self->storage, http_storage_watch_free);
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
			  char *const *path_names, char *const *path_values, const char *const *arguments,
			  GError **error)
{
	*request = (HttpRequest){.route = route,
				 .capture_id = capture_id,
				 .params = http_params_new(),
				 .path_names = path_names,
				 .path_values = path_values};
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
