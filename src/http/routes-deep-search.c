/* routes-deep-search.c: POST /api/v2/deep_search/ with JSON {"display_filter", "capture_ids" or
 * "criteria", "sort"} answers 201 {"created_at","id","pool_size","pool_size_bytes"} once a
 * worker has compiled the filter (a bad one is a 400 in libwireshark's words); GET
 * /api/v2/deep_search/<id> gives {"finished?","hit_count","id","progress_percent",
 * "searched_count"}; GET .../results the ids of the captures where a frame matched, in pool
 * order. A search is visible only to the token that created it (others get 404).
 * The pool: capture_ids when given (unknown ids left out), else the captures criteria select
 * (the search route's vocabulary, as JSON: {"filename":"x","tags":["a"],"created_at":{"from":..}}),
 * ordered by sort ("created_at.desc" by default), at most DEEP_SEARCH_MAX_POOL captures.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "deep-search"

#include "http/routes-deep-search.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "http/http-reply.h"
#include "jobs/deep-search.h"
#include "jobs/job-requests.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-deep-search.h"
#include "store/store-search.h"
#include "store/store-writer.h"

/* Largest pool of one search, and largest request body. */
#define DEEP_SEARCH_MAX_POOL 10000
#define DEEP_SEARCH_MAX_BODY (1024 * 1024)
/* Longest display filter: a filter's compile time grows faster than its length (40,000 terms
 * joined by || took 90 s); 64 KiB (some 3,000 terms) compiles in about a second, and workers
 * compile a search's filter once for all the captures they match it against. */
#define DEEP_SEARCH_MAX_FILTER (64 * 1024)
/* Searches one token may have running at once: more would let it fill the job queue. */
#define DEEP_SEARCH_MAX_RUNNING_PER_TOKEN 4

typedef struct {
	HttpServer *server;
	SoupServerMessage *msg;
	gint64 token_id;
	char *display_filter;
	StoreSearchCriteria *criteria;
	Job *check;
	gulong finished_handler;
	StoreWriter *writer;      /* the recording thread's way into the store */
	StoreDeepSearch *search;  /* recorded by the thread */
	gboolean reserved;        /* counted against the token's running searches meanwhile */
} DeepSearchCreate;

static void
search_http_create_free(DeepSearchCreate *create)
{
	if (create->finished_handler != 0)
		g_signal_handler_disconnect(create->msg, create->finished_handler);
	if (create->reserved)
		deep_search_runner_unreserve(create->server->deep_searches, create->token_id);
	g_object_unref(create->msg);
	g_free(create->display_filter);
	store_search_criteria_free(create->criteria);
	store_writer_unref(create->writer);
	store_deep_search_free(create->search);
	g_free(create);
}

static gboolean
search_http_bad(GError **error, const char *member, const char *what)
{
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "%s: %s", member, what);
	return FALSE;
}

/* A scalar JSON value as the text a query parameter would carry. */
static char *
search_http_scalar_text(JsonNode *node)
{
	if (!JSON_NODE_HOLDS_VALUE(node))
		return NULL;
	GType type = json_node_get_value_type(node);
	if (type == G_TYPE_STRING)
		return g_strdup(json_node_get_string(node));
	if (type == G_TYPE_INT64)
		return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
	if (type == G_TYPE_DOUBLE) {
		char buffer[G_ASCII_DTOSTR_BUF_SIZE];
		return g_strdup(g_ascii_dtostr(buffer, sizeof buffer, json_node_get_double(node)));
	}
	return NULL;
}

static gboolean
search_http_set_scalar(StoreSearchCriteria *criteria, const char *key, JsonNode *node, GError **error)
{
	g_autofree char *text = search_http_scalar_text(node);
	if (text == NULL) {
		g_autofree char *member = g_strdup_printf("criteria.%s", key);
		return search_http_bad(error, member, "must be a string, a number, an array or an object of those");
	}
	return store_search_criteria_set(criteria, key, text, error);
}

/* {"filename": "x", "tags": ["a", "b"], "created_at": {"from": "...", "to": "..."}, "limit": 10} */
static gboolean
search_http_parse_criteria(StoreSearchCriteria *criteria, JsonObject *object, GError **error)
{
	g_autoptr(GList) members = json_object_get_members(object);
	for (GList *link = members; link != NULL; link = link->next) {
		const char *name = link->data;
		JsonNode *node = json_object_get_member(object, name);
		if (JSON_NODE_HOLDS_NULL(node))
			continue;
		if (JSON_NODE_HOLDS_ARRAY(node)) {
			JsonArray *array = json_node_get_array(node);
			for (guint i = 0; i < json_array_get_length(array); i++) {
				if (!search_http_set_scalar(criteria, name, json_array_get_element(array, i), error))
					return FALSE;
			}
		} else if (JSON_NODE_HOLDS_OBJECT(node)) {
			JsonObject *range = json_node_get_object(node);
			g_autoptr(GList) bounds = json_object_get_members(range);
			for (GList *bound = bounds; bound != NULL; bound = bound->next) {
				g_autofree char *key = g_strdup_printf("%s.%s", name, (const char *)bound->data);
				if (!search_http_set_scalar(criteria, key, json_object_get_member(range, bound->data), error))
					return FALSE;
			}
		} else if (!search_http_set_scalar(criteria, name, node, error)) {
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
search_http_parse_capture_ids(StoreSearchCriteria *criteria, JsonArray *array, GError **error)
{
	if (json_array_get_length(array) > DEEP_SEARCH_MAX_POOL)
		return search_http_bad(error, "capture_ids", "more ids than a search may have");
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *element = json_array_get_element(array, i);
		if (!JSON_NODE_HOLDS_VALUE(element) || json_node_get_value_type(element) != G_TYPE_STRING)
			return search_http_bad(error, "capture_ids", "must be an array of capture id strings");
		store_search_criteria_set(criteria, "id", json_node_get_string(element), NULL);
	}
	/* An empty array selects nothing, not everything. */
	if (json_array_get_length(array) == 0)
		store_search_criteria_set(criteria, "id", "", NULL);
	return TRUE;
}

static gboolean
search_http_is_blank(const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (!g_ascii_isspace(*p))
			return FALSE;
	}
	return TRUE;
}


/* json-glib's parser recurses once per level: 100,000 nested '[' overflowed the stack and
 * killed the server. A body is refused past this depth before it reaches the parser. */
#define DEEP_SEARCH_MAX_DEPTH 64

/* TRUE when arrays and objects nest deeper than DEEP_SEARCH_MAX_DEPTH (brackets inside
 * strings do not count; malformed JSON is left to the parser's own error). */
static gboolean
search_http_json_too_deep(const char *data, gsize length)
{
	guint depth = 0;
	gboolean in_string = FALSE;
	for (gsize i = 0; i < length; i++) {
		char c = data[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = FALSE;
		} else if (c == '"') {
			in_string = TRUE;
		} else if (c == '[' || c == '{') {
			if (++depth > DEEP_SEARCH_MAX_DEPTH)
				return TRUE;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return FALSE;
}

static JsonObject *
search_http_parse_body(SoupServerMessage *msg, JsonParser *parser, GError **error)
{
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	if (body == NULL || body->length == 0) {
		search_http_bad(error, "body", "a JSON object with display_filter is required");
		return NULL;
	}
	if (body->length > DEEP_SEARCH_MAX_BODY) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_TOO_LARGE, "body larger than %d bytes",
			    DEEP_SEARCH_MAX_BODY);
		return NULL;
	}
	g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
	gsize length = 0;
	const char *data = g_bytes_get_data(bytes, &length);
	g_autoptr(GError) error_local = NULL;
	if (search_http_json_too_deep(data, length)) {
		search_http_bad(error, "body", "JSON nested deeper than " G_STRINGIFY(DEEP_SEARCH_MAX_DEPTH) " levels");
		return NULL;
	}
	if (!json_parser_load_from_data(parser, data, (gssize)length, &error_local)) {
		search_http_bad(error, "body", error_local->message);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		search_http_bad(error, "body", "must be a JSON object");
		return NULL;
	}
	return json_node_get_object(root);
}

/* 503 (with Retry-After) when the token has as many searches running as it may. */
static gboolean
search_http_token_may_start(HttpServer *server, gint64 token_id, GError **error)
{
	if (deep_search_runner_count_running(server->deep_searches, token_id) < DEEP_SEARCH_MAX_RUNNING_PER_TOKEN)
		return TRUE;
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE,
		    "this token has %d deep searches running, the most it may; wait for one to finish or delete one",
		    DEEP_SEARCH_MAX_RUNNING_PER_TOKEN);
	return FALSE;
}

static DeepSearchCreate *
search_http_create_parse(HttpRequest *request, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *body = search_http_parse_body(request->msg, parser, error);
	if (body == NULL)
		return NULL;
	JsonNode *filter = json_object_get_member(body, "display_filter");
	if (filter == NULL || !JSON_NODE_HOLDS_VALUE(filter) || json_node_get_value_type(filter) != G_TYPE_STRING ||
	    search_http_is_blank(json_node_get_string(filter))) {
		search_http_bad(error, "display_filter", "required, a display filter");
		return NULL;
	}
	if (strlen(json_node_get_string(filter)) > DEEP_SEARCH_MAX_FILTER) {
		search_http_bad(error, "display_filter", "longer than " G_STRINGIFY(DEEP_SEARCH_MAX_FILTER) " bytes");
		return NULL;
	}
	if (!search_http_token_may_start(request->server, request->token->id, error))
		return NULL;
	g_autoptr(StoreSearchCriteria) criteria = store_search_criteria_new();
	JsonNode *capture_ids = json_object_get_member(body, "capture_ids");
	JsonNode *criteria_node = json_object_get_member(body, "criteria");
	JsonNode *sort = json_object_get_member(body, "sort");
	if (capture_ids != NULL && !JSON_NODE_HOLDS_NULL(capture_ids)) {
		if (!JSON_NODE_HOLDS_ARRAY(capture_ids)) {
			search_http_bad(error, "capture_ids", "must be an array of capture id strings");
			return NULL;
		}
		if (!search_http_parse_capture_ids(criteria, json_node_get_array(capture_ids), error))
			return NULL;
	} else if (criteria_node != NULL && !JSON_NODE_HOLDS_NULL(criteria_node)) {
		if (!JSON_NODE_HOLDS_OBJECT(criteria_node)) {
			search_http_bad(error, "criteria", "must be an object");
			return NULL;
		}
		if (!search_http_parse_criteria(criteria, json_node_get_object(criteria_node), error))
			return NULL;
	}
	if (sort != NULL && !JSON_NODE_HOLDS_NULL(sort) && !search_http_set_scalar(criteria, "sort", sort, error))
		return NULL;
	store_search_criteria_set_max_limit(criteria, DEEP_SEARCH_MAX_POOL);

	DeepSearchCreate *create = g_new0(DeepSearchCreate, 1);
	create->server = request->server;
	create->msg = g_object_ref(request->msg);
	create->token_id = request->token->id;
	create->display_filter = g_strdup(json_node_get_string(filter));
	create->criteria = g_steal_pointer(&criteria);
	return create;
}

static char *
deep_search_now_iso8601_ms(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *seconds = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
	return g_strdup_printf("%s.%03dZ", seconds, g_date_time_get_microsecond(now) / 1000);
}

/* In a worker thread: resolves the pool and records the search with it (up to 10,000 rows and
 * a commit the main loop must not wait for). */
static void
search_http_record_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	DeepSearchCreate *create = task_data;
	GError *error = NULL;
	Store *store = store_writer_acquire(create->writer);
	g_autoptr(GPtrArray) captures = store_search_captures(store, create->criteria, &error);
	if (captures == NULL) {
		store_writer_release(create->writer);
		g_task_return_error(task, error);
		return;
	}
	g_autoptr(GPtrArray) ids = g_ptr_array_new();
	g_autoptr(StoreDeepSearch) search = g_new0(StoreDeepSearch, 1);
	search->id = deep_search_new_id();
	search->token_id = create->token_id;
	search->display_filter = g_strdup(create->display_filter);
	search->created_at = deep_search_now_iso8601_ms();
	search->pool_size = captures->len;
	for (guint i = 0; i < captures->len; i++) {
		const StoreCapture *capture = g_ptr_array_index(captures, i);
		g_ptr_array_add(ids, capture->id);
		search->pool_size_bytes += (gint64)capture->size;
	}
	gboolean recorded = store_deep_search_create(store, search, ids, &error);
	store_writer_release(create->writer);
	if (!recorded) {
		g_task_return_error(task, error);
		return;
	}
	create->search = g_steal_pointer(&search);
	g_task_return_boolean(task, TRUE);
}

/* Back on the main loop: starts the recorded search; the 201 answer. */
static void
search_http_recorded_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	DeepSearchCreate *create = user_data;
	g_autoptr(GError) error = NULL;
	if (!g_task_propagate_boolean(G_TASK(result), &error)) {
		http_reply_error(create->msg, error);
		soup_server_message_unpause(create->msg);
		search_http_create_free(create);
		return;
	}
	const StoreDeepSearch *search = create->search;
	g_message("deep search %s: '%s' over %" G_GINT64_FORMAT " captures", search->id, search->display_filter,
		  search->pool_size);
	deep_search_runner_start(create->server->deep_searches, search->id, search->token_id, search->display_filter);

	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_string(writer, "created_at", search->created_at);
	json_writer_member_string(writer, "id", search->id);
	json_writer_member_int(writer, "pool_size", search->pool_size);
	json_writer_member_int(writer, "pool_size_bytes", search->pool_size_bytes);
	json_writer_end_object(writer);
	http_reply_writer(create->msg, 201, writer);
	soup_server_message_unpause(create->msg);
	search_http_create_free(create);
}

/* The filter compiled: records the search in a worker thread, unless the token has reached its
 * limit meanwhile. FALSE with the error to answer. */
static gboolean
search_http_record(DeepSearchCreate *create, GError **error)
{
	if (!search_http_token_may_start(create->server, create->token_id, error))
		return FALSE;
	deep_search_runner_reserve(create->server->deep_searches, create->token_id);
	create->reserved = TRUE;
	create->writer = store_writer_ref(create->server->store->writer);
	g_autoptr(GTask) task = g_task_new(NULL, NULL, search_http_recorded_cb, create);
	g_task_set_task_data(task, create, NULL);
	g_task_run_in_thread(task, search_http_record_thread);
	return TRUE;
}

static void
search_http_check_done_cb(Job *job, JsonObject *result, const GError *error, gpointer user_data)
{
	DeepSearchCreate *create = user_data;
	g_autoptr(GError) record_error = NULL;
	create->check = NULL;
	if (error != NULL && g_error_matches(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST)) {
		g_autoptr(GError) named = g_error_new(SHARKAPI_ERROR, error->code, "display_filter: %s", error->message);
		http_reply_error(create->msg, named);
	} else if (error != NULL) {
		http_reply_error(create->msg, error);
	} else if (search_http_record(create, &record_error)) {
		return; /* search_http_recorded_cb answers */
	} else {
		http_reply_error(create->msg, record_error);
	}
	soup_server_message_unpause(create->msg);
	search_http_create_free(create);
}

/* The client left while the filter was being checked. */
static void
search_http_create_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	DeepSearchCreate *create = user_data;
	if (create->check == NULL)
		return;
	job_cancel(create->check);
	search_http_create_free(create);
}

void
routes_deep_search_create(HttpRequest *request)
{
	static const JobCallbacks callbacks = {.done = search_http_check_done_cb};
	g_autoptr(GError) error = NULL;
	DeepSearchCreate *create = search_http_create_parse(request, &error);
	if (create == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	/* The filter is compiled by libwireshark, which only workers have. */
	g_autofree char *check = job_request_check_filter(create->display_filter);
	create->check = job_queue_submit_quick(create->server->jobs, check, &callbacks, create, &error);
	if (create->check == NULL) {
		http_reply_error(request->msg, error);
		search_http_create_free(create);
		return;
	}
	create->finished_handler =
		g_signal_connect(request->msg, "finished", G_CALLBACK(search_http_create_finished_cb), create);
	http_request_park(request);
}

/* The search, if this token created it; 404 otherwise (as if it did not exist). */
static StoreDeepSearch *
search_http_get_own(HttpRequest *request, GError **error)
{
	StoreDeepSearch *search = store_deep_search_get(request->server->store, request->deep_search_id, error);
	if (search != NULL && search->token_id != request->token->id) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND, "deep search %s not found", search->id);
		store_deep_search_free(search);
		return NULL;
	}
	return search;
}

static gint64
search_http_progress_percent(HttpRequest *request, const StoreDeepSearch *search)
{
	if (search->searched_count >= search->pool_size)
		return 100;
	double running = deep_search_runner_running_fraction(request->server->deep_searches, search->id);
	double percent = 100.0 * ((double)search->searched_count + running) / (double)search->pool_size;
	return CLAMP((gint64)percent, 0, 99);
}

void
routes_deep_search_status(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreDeepSearch) search = search_http_get_own(request, &error);
	if (search == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_bool(writer, "finished?", search->searched_count >= search->pool_size);
	json_writer_member_int(writer, "hit_count", search->hit_count);
	json_writer_member_string(writer, "id", search->id);
	json_writer_member_int(writer, "progress_percent", search_http_progress_percent(request, search));
	json_writer_member_int(writer, "searched_count", search->searched_count);
	json_writer_end_object(writer);
	http_reply_writer(request->msg, 200, writer);
}

void
routes_deep_search_results(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreDeepSearch) search = search_http_get_own(request, &error);
	g_autoptr(GPtrArray) ids = NULL;
	if (search == NULL || (ids = store_deep_search_results(request->server->store, search->id, &error)) == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_array(writer);
	for (guint i = 0; i < ids->len; i++)
		json_writer_string(writer, g_ptr_array_index(ids, i));
	json_writer_end_array(writer);
	http_reply_writer(request->msg, 200, writer);
}

void
routes_deep_search_delete(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreDeepSearch) search = search_http_get_own(request, &error);
	if (search == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	gboolean was_running = deep_search_runner_stop(request->server->deep_searches, search->id);
	if (!store_deep_search_delete(request->server->store, search->id, &error)) {
		http_reply_error(request->msg, error);
		return;
	}
	g_message("deep search %s deleted%s", search->id, was_running ? ", its jobs withdrawn" : "");
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_member_bool(writer, "deleted", TRUE);
	json_writer_member_string(writer, "id", search->id);
	json_writer_end_object(writer);
	http_reply_writer(request->msg, 200, writer);
}
