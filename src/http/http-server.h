/* http-server.h: the HTTP front: a libsoup server, the route table, authentication.
 * Every request is matched against one table (method, path pattern, permission, handler),
 * authenticated (v1: token in the path; v2: Authorization header) and handed to the route
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
} HttpServer;

/* One matched request, as handlers see it. */
typedef struct {
	HttpServer *server;
	SoupServerMessage *msg;
	AuthToken *token;
	const char *capture_id; /* the {id} of the path, NULL when the route has none */
	const char *deep_search_id; /* the {search} of the path (a UUID), NULL when none */
	GHashTable *query;      /* decoded query parameters, never NULL */
} HttpRequest;

typedef void (*HttpHandler)(HttpRequest *request);

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
/* A query parameter, or NULL. */
const char *http_request_param(HttpRequest *request, const char *name);

/* The route table's pattern for a request path ("/api/v2/analysis/{id}/status"), whatever the
 * method; NULL when no route has that path. Metrics and logs name routes, never paths (v1 paths
 * carry tokens). */
const char *http_server_route_pattern(const char *path);

/* Walks the route table (`sharkapi routes`, the OpenAPI test). auth: "path-token",
 * "header-token" or "none"; permission "" for public routes. */
typedef void (*HttpRouteFunc)(const char *methods, const char *pattern, const char *auth, const char *permission,
			      gpointer user_data);
void http_server_foreach_route(HttpRouteFunc func, gpointer user_data);

G_END_DECLS
