/* http-server.h: the HTTP front: a libsoup server, the route table, authentication.
 * Every request is matched against one table (method, path pattern, permission, handler,
 * declared parameters), its parameters checked against the declarations, authenticated (v1: token in the path; v2: Authorization header) and handed to the route
 * group that owns it (routes-captures.c, routes-analysis.c, routes-search.c, routes-docs.c,
 * routes-metrics.c, ...); public routes (docs, metrics) skip authentication. Must not dissect
 * anything.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "auth/auth-tokens.h"
#include "config/sharkapi-config.h"
#include "jobs/capture-service.h"
#include "jobs/deep-search.h"
#include "jobs/job-queue.h"
#include "jobs/summary-tracker.h"
#include "store/store-result-cache.h"
#include "store/store.h"

G_BEGIN_DECLS

/* The server's own parts (http-listener.h, http-file-cache.h, http-metrics.h): private to http/. */
typedef struct HttpListener HttpListener;
typedef struct HttpFileCache HttpFileCache;
typedef struct HttpMetrics HttpMetrics;

typedef struct {
	SharkapiConfig *config; /* not owned */
	Store *store;           /* not owned */
	JobQueue *jobs;         /* not owned */
	SummaryTracker *summaries; /* not owned */
	ResultCache *results;      /* repeat packets/fields answers */
	DeepSearchRunner *deep_searches;
	CaptureService captures; /* adding and deleting captures (capture-service.h) */
	HttpListener *listener; /* accepts connections for libsoup (http-listener.h) */
	SoupServer *soup;
	HttpFileCache *file_cache; /* persisted summary answers (http-file-cache.h) */
	HttpMetrics *metrics;      /* request counters' label texts (http-metrics.h) */
	struct HttpStorageWatch *storage; /* is the (shared) data dir there? (http-storage-watch.h) */
} HttpServer;

/* ---- parameter declarations ----
 * Every route declares its query (and form) parameters once, in the route table: the server
 * checks them before the handler runs, `sharkapi analyze` checks its NAME=VALUE arguments with
 * the same declarations, `sharkapi routes --json` prints them and the OpenAPI test compares them
 * with api/openapi.json. Parsing is http-params.c's. */
typedef enum {
	HTTP_PARAM_STRING,   /* any text, at most max bytes when max > 0 */
	HTTP_PARAM_FILTER,   /* a display filter (the worker compiles it: 400 with its reason) */
	HTTP_PARAM_ENUM,     /* one of values, any letter case */
	HTTP_PARAM_INTEGER,  /* a whole number from min to max */
	HTTP_PARAM_LIST,     /* one text split and checked by parse_list (fields=a,b,c) */
	HTTP_PARAM_REPEATED, /* may come more than once (also as name[]): every value counts */
} HttpParamType;

#define HTTP_PARAM_REQUIRED (1u << 0)
/* Declared for the record, checked by the route itself: its range depends on the capture
 * (annotations' frame) or the store checks it (search[...]). */
#define HTTP_PARAM_ROUTE_CHECKS (1u << 1)

typedef gboolean (*HttpParamListParser)(const char *text, GPtrArray *items, GError **error);

typedef struct {
	const char *name;
	HttpParamType type;
	guint flags;
	const char *fallback;       /* the value when absent or empty; NULL: none */
	const char *const *values;  /* ENUM */
	gint64 min, max;            /* INTEGER; STRING: max is a length */
	HttpParamListParser parse_list; /* LIST */
} HttpParamSpec;

/* What `sharkapi analyze` answers offline for a route (cli-analyze.c), ANALYSIS_NONE for the
 * routes it does not; the summary routes' handler reads it too. */
typedef enum {
	ANALYSIS_NONE,
	ANALYSIS_INFO,
	ANALYSIS_STATUS,
	ANALYSIS_HIERARCHY,
	ANALYSIS_ENDPOINTS,
	ANALYSIS_CONVERSATIONS,
	ANALYSIS_DNS,
	ANALYSIS_FIELDS,
	ANALYSIS_FRAMES,
	ANALYSIS_FRAME,
	ANALYSIS_FOLLOW,
	ANALYSIS_EXPERT,
	ANALYSIS_HTTP_REQUESTS,
	ANALYSIS_TLS_HANDSHAKES,
	ANALYSIS_IO,
	ANALYSIS_OBJECTS,
} AnalysisRoute;

typedef enum {
	HTTP_AUTH_PATH,   /* v1: /api/v1/<token>/... */
	HTTP_AUTH_HEADER, /* v2: Authorization: <token> (or Bearer <token>) */
	HTTP_AUTH_NONE,   /* public (API.md: /, /docs, openapi.json; /metrics checks its own secret) */
} HttpAuthKind;

typedef struct HttpRequest HttpRequest;
typedef void (*HttpHandler)(HttpRequest *request);

/* One entry of the route table (http-routes.c). */
typedef struct {
	const char *methods; /* space separated */
	/* segments; {token}, {id} and {search} capture those, any other {name} a path parameter
	 * (http_request_get_path()) */
	const char *pattern;
	HttpAuthKind auth;
	AuthPermission permission;
	HttpHandler handler;
	const HttpParamSpec *params; /* ends with a NULL name; NULL: takes none */
	AnalysisRoute analysis;
} HttpRoute;

/* A request's parameters (http-params.h): the query, and a urlencoded form body. */
typedef struct HttpParams HttpParams;

/* Most {name} path parameters one route pattern may have besides {token}, {id}, {search}. */
#define HTTP_PATH_PARAMS_MAX 3

/* One matched request, as handlers see it. */
struct HttpRequest {
	HttpServer *server; /* NULL for `sharkapi analyze` */
	SoupServerMessage *msg; /* NULL for `sharkapi analyze` */
	const HttpRoute *route;
	AuthToken *token;
	const char *capture_id; /* the {id} of the path, NULL when the route has none */
	const char *deep_search_id; /* the {search} of the path (a UUID), NULL when none */
	HttpParams *params;     /* checked against route->params, never NULL */
	/* The pattern's other {name} segments and their values, NULL-terminated; may be NULL. */
	char *const *path_names;
	char *const *path_values;
};

HttpServer *http_server_new(SharkapiConfig *config, Store *store, JobQueue *jobs, SummaryTracker *summaries);
void http_server_free(HttpServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HttpServer, http_server_free)

/* Listens on ADDR:PORT (port 0 picks one), HTTPS when config has tls_cert and tls_key;
 * returns the base URL, "http://127.0.0.1:8080/" (or https://). */
char *http_server_listen(HttpServer *self, const char *listen, GError **error);

/* Pauses the request until its route answers (work elsewhere: a job, a summary). If the client
 * leaves meanwhile, the request ends as 499 and libsoup emits "finished": the route must
 * connect a "finished" handler that withdraws the work (http_listener_watch_departure()). */
void http_request_park(HttpRequest *request);
/* The Authorization header's credential ("Bearer " and spaces taken off), or NULL. */
char *http_request_authorization(SoupServerMessage *msg);
/* A declared parameter's value: its text (the fallback when absent or empty; NULL when none),
 * its number (INTEGER, or an ENUM of digits such as passes; -1 when none), its items (LIST;
 * owned by the request; NULL when an optional list is absent). */
const char *http_request_get(HttpRequest *request, const char *name);
gint64 http_request_get_integer(HttpRequest *request, const char *name);
GPtrArray *http_request_get_list(HttpRequest *request, const char *name);
/* A {name} segment of the route's pattern as the path had it (not decoded), or NULL. */
const char *http_request_get_path(HttpRequest *request, const char *name);
/* A {name} segment that is a number from min to 2^32-1 (frames/{frame}, follow's {stream}):
 * *value gets it, or -1 when the pattern has no such segment; anything else is a 400 naming it. */
gboolean http_request_get_path_number(HttpRequest *request, const char *name, guint64 min, gint64 *value,
				      GError **error);

/* `sharkapi analyze`: the route named as the end of its path after the capture
 * ("stats/hierarchy", "status", "frames/5"; "info" for v1's info), or NULL when no route of that
 * name can be answered offline. path_names/path_values (may be NULL) get the name's {name}
 * segments, NULL-terminated, for the caller to g_strfreev(). */
const HttpRoute *http_server_find_offline_route(const char *name, char ***path_names, char ***path_values);
/* Each argument is NAME=VALUE with a non-empty NAME (400 naming the first that is not). */
gboolean http_arguments_check_form(const char *const *arguments, GError **error);
/* An offline request for route: NAME=VALUE arguments (not URL-encoded) checked against the
 * route's declarations as the server checks a query (same 400s). Clear with
 * http_request_clear_offline(). */
gboolean http_request_init_offline(HttpRequest *request, const HttpRoute *route, const char *capture_id,
				   char *const *path_names, char *const *path_values, const char *const *arguments,
				   GError **error);
void http_request_clear_offline(HttpRequest *request);

/* The route table's pattern for a request path ("/api/v2/analysis/{id}/status"), whatever the
 * method; NULL when no route has that path. Metrics and logs name routes, never paths (v1 paths
 * carry tokens). */
const char *http_server_route_pattern(const char *path);

/* Walks the route table (`sharkapi routes`, the OpenAPI test). auth: "path-token",
 * "header-token" or "none"; permission "" for public routes; params as declared (may be NULL). */
typedef void (*HttpRouteFunc)(const char *methods, const char *pattern, const char *auth, const char *permission,
			      const HttpParamSpec *params, gpointer user_data);
void http_server_foreach_route(HttpRouteFunc func, gpointer user_data);
/* A parameter type's name as `sharkapi routes` prints it ("string", "enum", ...). */
const char *http_param_type_name(HttpParamType type);

G_END_DECLS
