/* store-search.c: search criteria and the SQL that answers them from indexes.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "store"

#include "store/store-search.h"

#include <string.h>

#include "sharkapi-error.h"
#include "store/store-capture.h"
#include "store/store-db.h"

#define STORE_SEARCH_US_PER_SECOND G_GINT64_CONSTANT(1000000)
/* The trigram index finds substrings of at least this many characters. */
#define STORE_SEARCH_TRIGRAM 3
/* Above this many index matches, fetching and sorting them all costs more than walking the sort
 * column's index and testing each row until the page is full (measured: bench/search-bench.py). */
#define STORE_SEARCH_INDEX_MATCHES_MAX 1000

struct StoreSearchCriteria {
	char *filename;
	char *comments;
	char *user;
	GPtrArray *tags;
	GPtrArray *ids;         /* NULL: any capture; else only these */
	gint64 created_from_us; /* inclusive; G_MININT64 when open */
	gint64 created_to_us;   /* exclusive; G_MAXINT64 when open */
	gint64 start_from_us;
	gint64 start_to_us;
	const char *sort_column; /* a column name from store_search_sort_columns */
	gboolean descending;
	gint64 limit;
	gboolean limit_set;
	gint64 page;
};

static const struct {
	const char *field;
	const char *column;
} store_search_sort_columns[] = {
	{"created_at", "created_at"}, {"filename", "filename"}, {"start_time", "start_time_ns"},
	{"size", "size"},             {"num_packets", "num_packets"},
};

StoreSearchCriteria *
store_search_criteria_new(void)
{
	StoreSearchCriteria *self = g_new0(StoreSearchCriteria, 1);
	self->tags = g_ptr_array_new_with_free_func(g_free);
	self->created_from_us = self->start_from_us = G_MININT64;
	self->created_to_us = self->start_to_us = G_MAXINT64;
	self->sort_column = "created_at";
	self->descending = TRUE; /* newest first */
	self->limit = STORE_SEARCH_DEFAULT_LIMIT;
	self->page = 1;
	return self;
}

void
store_search_criteria_free(StoreSearchCriteria *self)
{
	if (self == NULL)
		return;
	g_free(self->filename);
	g_free(self->comments);
	g_free(self->user);
	g_ptr_array_unref(self->tags);
	if (self->ids != NULL)
		g_ptr_array_unref(self->ids);
	g_free(self);
}

static gboolean
store_search_bad(GError **error, const char *key, const char *value, const char *why)
{
	g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "search[%s]: '%s' %s", key, value, why);
	return FALSE;
}

static gboolean
store_search_is_number(const char *text)
{
	gboolean digits = FALSE;
	for (const char *p = text; *p != '\0'; p++) {
		if (g_ascii_isdigit(*p))
			digits = TRUE;
		else if (*p != '.')
			return FALSE;
	}
	return digits;
}

/* 9999-12-31T23:59:59Z: the last second a bound may name (ISO-8601 dates stop there too). */
#define STORE_SEARCH_LAST_SECOND 253402300799.0

/* A time bound in microseconds since the epoch. Upper bounds are inclusive of the unit given
 * (a day, a second), so they come back exclusive: the start of the next unit. */
static gboolean
store_search_parse_time(const char *key, const char *text, gboolean upper, gint64 *bound_us, GError **error)
{
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) time = NULL;
	gint64 unit_us = STORE_SEARCH_US_PER_SECOND;

	if (store_search_is_number(text)) {
		double seconds = g_ascii_strtod(text, NULL);
		/* Past 9999-12-31T23:59:59Z the microseconds overflowed and matched everything. */
		if (seconds > STORE_SEARCH_LAST_SECOND)
			return store_search_bad(error, key, text, "is out of range (after the year 9999)");
		*bound_us = (gint64)(seconds * 1e6);
		if (upper)
			*bound_us += strchr(text, '.') != NULL ? 1 : STORE_SEARCH_US_PER_SECOND;
		return TRUE;
	}
	if (strlen(text) == 10) {
		g_autofree char *midnight = g_strconcat(text, "T00:00:00Z", NULL);
		time = g_date_time_new_from_iso8601(midnight, utc);
		unit_us = G_TIME_SPAN_DAY;
	} else {
		g_autofree char *iso = g_strdup(text);
		if (strlen(iso) > 10 && iso[10] == ' ')
			iso[10] = 'T'; /* "2026-11-26 05:00:00" */
		time = g_date_time_new_from_iso8601(iso, utc);
		if (strchr(iso + MIN(strlen(iso), 11), '.') != NULL)
			unit_us = 1;
	}
	if (time == NULL)
		return store_search_bad(error, key, text, "is not an ISO-8601 date or date-time");
	*bound_us = g_date_time_to_unix(time) * STORE_SEARCH_US_PER_SECOND + g_date_time_get_microsecond(time);
	if (upper)
		*bound_us += unit_us;
	return TRUE;
}

static gboolean
store_search_parse_int(const char *key, const char *text, gint64 min, gint64 max, gint64 *value, GError **error)
{
	guint64 parsed = 0;
	if (!g_ascii_string_to_unsigned(text, 10, (guint64)min, (guint64)max, &parsed, NULL)) {
		g_autofree char *why = g_strdup_printf("must be a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
						       min, max);
		return store_search_bad(error, key, text, why);
	}
	*value = (gint64)parsed;
	return TRUE;
}

static gboolean
store_search_parse_sort(StoreSearchCriteria *self, const char *text, GError **error)
{
	g_autofree char *field = g_strstrip(g_strdup(text));
	gboolean descending = FALSE;
	char *separator = NULL;

	if (*field == '-') {
		descending = TRUE;
		memmove(field, field + 1, strlen(field));
	} else if ((separator = strpbrk(field, ". ")) != NULL) {
		const char *direction = separator + strspn(separator, ". ");
		if (g_ascii_strcasecmp(direction, "desc") == 0)
			descending = TRUE;
		else if (g_ascii_strcasecmp(direction, "asc") != 0)
			return store_search_bad(error, "sort", text, "must end in .asc or .desc");
		*separator = '\0';
	}
	for (guint i = 0; i < G_N_ELEMENTS(store_search_sort_columns); i++) {
		if (g_str_equal(field, store_search_sort_columns[i].field)) {
			self->sort_column = store_search_sort_columns[i].column;
			self->descending = descending;
			return TRUE;
		}
	}
	return store_search_bad(error, "sort", text,
				"is not a sort field (created_at, filename, start_time, size, num_packets)");
}

static void
store_search_replace(char **slot, const char *value)
{
	g_free(*slot);
	*slot = *value != '\0' ? g_strdup(value) : NULL;
}

gboolean
store_search_criteria_set(StoreSearchCriteria *self, const char *key, const char *value, GError **error)
{
	if (value == NULL)
		return TRUE;
	if (g_str_equal(key, "filename"))
		store_search_replace(&self->filename, value);
	else if (g_str_equal(key, "comments"))
		store_search_replace(&self->comments, value);
	else if (g_str_equal(key, "user"))
		store_search_replace(&self->user, value);
	else if (g_str_equal(key, "tags")) {
		/* "a,b" in one value is two tags, as additional_tags writes them. */
		g_auto(GStrv) tags = g_strsplit(value, ",", -1);
		for (guint i = 0; tags[i] != NULL; i++) {
			char *tag = g_strstrip(tags[i]);
			if (*tag != '\0')
				g_ptr_array_add(self->tags, g_strdup(tag));
		}
	} else if (g_str_equal(key, "id")) {
		if (self->ids == NULL)
			self->ids = g_ptr_array_new_with_free_func(g_free);
		/* Only well-formed ids can match; others are left out, not an error. */
		if (store_capture_id_is_valid(value))
			g_ptr_array_add(self->ids, g_strdup(value));
	} else if (*value == '\0')
		return TRUE; /* an empty date, page or sort field in a form means "not given" */
	else if (g_str_equal(key, "created_at.from"))
		return store_search_parse_time(key, value, FALSE, &self->created_from_us, error);
	else if (g_str_equal(key, "created_at.to"))
		return store_search_parse_time(key, value, TRUE, &self->created_to_us, error);
	else if (g_str_equal(key, "start_time.from"))
		return store_search_parse_time(key, value, FALSE, &self->start_from_us, error);
	else if (g_str_equal(key, "start_time.to"))
		return store_search_parse_time(key, value, TRUE, &self->start_to_us, error);
	else if (g_str_equal(key, "limit")) {
		self->limit_set = TRUE;
		return store_search_parse_int(key, value, 1, STORE_SEARCH_MAX_LIMIT, &self->limit, error);
	} else if (g_str_equal(key, "page"))
		return store_search_parse_int(key, value, 1, G_MAXINT32, &self->page, error);
	else if (g_str_equal(key, "sort"))
		return store_search_parse_sort(self, value, error);
	return TRUE;
}

void
store_search_criteria_set_max_limit(StoreSearchCriteria *self, gint64 max)
{
	if (!self->limit_set || self->limit > max)
		self->limit = max;
}

/* ---- SQL ---- */

typedef struct {
	GString *sql;
	GPtrArray *texts;  /* bound values, in order; NULL entries stand for numbers */
	GArray *numbers;
	gboolean postgres; /* PostgreSQL's dialect (store-sql.h) */
} StoreSearchQuery;

static void
store_search_bind_text(StoreSearchQuery *query, const char *text)
{
	gint64 unused = 0;
	g_ptr_array_add(query->texts, g_strdup(text));
	g_array_append_val(query->numbers, unused);
}

static void
store_search_bind_number(StoreSearchQuery *query, gint64 number)
{
	g_ptr_array_add(query->texts, NULL);
	g_array_append_val(query->numbers, number);
}

/* "a "b"" -> "\"a \"\"b\"\"\"": one FTS5 phrase, which the trigram tokenizer matches as a substring. */
static void
store_search_append_phrase(GString *match, const char *column, const char *text)
{
	if (match->len > 0)
		g_string_append(match, " AND ");
	g_string_append_printf(match, "%s : \"", column);
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(match, '"');
		g_string_append_c(match, *p);
	}
	g_string_append_c(match, '"');
}

/* A LIKE pattern that matches the text anywhere: its own %, _ and \ escaped with \. */
static char *
store_search_like_pattern(const char *text)
{
	GString *pattern = g_string_new("%");
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			g_string_append_c(pattern, '\\');
		g_string_append_c(pattern, *p);
	}
	g_string_append_c(pattern, '%');
	return g_string_free(pattern, FALSE);
}

static void
store_search_add_substring(StoreSearchQuery *query, GString *match, const char *column, const char *text)
{
	if (text == NULL)
		return;
	if (query->postgres) {
		/* pg_trgm's GIN index answers ILIKE for three characters or more; shorter ones scan. */
		g_autofree char *pattern = store_search_like_pattern(text);
		g_string_append_printf(query->sql, " AND c.%s ILIKE ?", column);
		store_search_bind_text(query, pattern);
		return;
	}
	if (match != NULL && g_utf8_strlen(text, -1) >= STORE_SEARCH_TRIGRAM) {
		store_search_append_phrase(match, column, text);
		return;
	}
	/* Too short for trigrams, or too common to be worth the index: tested row by row. */
	g_string_append_printf(query->sql, " AND instr(lower(c.%s), lower(?)) > 0", column);
	store_search_bind_text(query, text);
}

static char *
store_search_iso_seconds(gint64 seconds)
{
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(seconds);
	return time != NULL ? g_date_time_format(time, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

/* created_at is stored as "YYYY-MM-DDTHH:MM:SSZ", which sorts as the time it names. */
static void
store_search_add_created(StoreSearchQuery *query, const StoreSearchCriteria *criteria)
{
	if (criteria->created_from_us != G_MININT64) {
		gint64 seconds = criteria->created_from_us / STORE_SEARCH_US_PER_SECOND;
		g_autofree char *text = store_search_iso_seconds(seconds);
		g_string_append(query->sql, " AND c.created_at >= ?");
		store_search_bind_text(query, text != NULL ? text : "");
	}
	if (criteria->created_to_us != G_MAXINT64) {
		gint64 seconds = (criteria->created_to_us + STORE_SEARCH_US_PER_SECOND - 1) / STORE_SEARCH_US_PER_SECOND;
		g_autofree char *text = store_search_iso_seconds(seconds);
		if (text != NULL) {
			g_string_append(query->sql, " AND c.created_at < ?");
			store_search_bind_text(query, text);
		}
	}
}

static void
store_search_add_start_time(StoreSearchQuery *query, const StoreSearchCriteria *criteria)
{
	const gint64 limit_us = G_MAXINT64 / 1000;
	if (criteria->start_from_us != G_MININT64) {
		g_string_append(query->sql, " AND c.has_times = 1 AND c.start_time_ns >= ?");
		store_search_bind_number(query, CLAMP(criteria->start_from_us, -limit_us, limit_us) * 1000);
	}
	if (criteria->start_to_us != G_MAXINT64) {
		g_string_append(query->sql, " AND c.has_times = 1 AND c.start_time_ns < ?");
		store_search_bind_number(query, CLAMP(criteria->start_to_us, -limit_us, limit_us) * 1000);
	}
}

/* The full-text query for the criteria's substrings ("" when none can use the index). */
static char *
store_search_text_match(const StoreSearchCriteria *criteria)
{
	GString *match = g_string_new(NULL);
	if (criteria->filename != NULL && g_utf8_strlen(criteria->filename, -1) >= STORE_SEARCH_TRIGRAM)
		store_search_append_phrase(match, "filename", criteria->filename);
	if (criteria->comments != NULL && g_utf8_strlen(criteria->comments, -1) >= STORE_SEARCH_TRIGRAM)
		store_search_append_phrase(match, "comments", criteria->comments);
	return g_string_free(match, FALSE);
}

/* TRUE when the trigram index narrows the search to few enough rows to fetch and sort.
 * (SQLite only: PostgreSQL's planner makes this choice itself.) */
static gboolean
store_search_index_is_selective(Store *store, const char *match)
{
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db, "SELECT count(*) FROM (SELECT rowid FROM captures_text WHERE captures_text MATCH ? LIMIT ?)",
		NULL);
	if (stmt == NULL)
		return TRUE;
	store_sql_bind_text(stmt, 1, match);
	store_sql_bind_int64(stmt, 2, STORE_SEARCH_INDEX_MATCHES_MAX + 1);
	return store_sql_step(stmt, NULL) != STORE_SQL_ROW ||
	       store_sql_column_int64(stmt, 0) <= STORE_SEARCH_INDEX_MATCHES_MAX;
}

static void
store_search_build(StoreSearchQuery *query, const StoreSearchCriteria *criteria, gboolean use_text_index)
{
	g_autoptr(GString) match = use_text_index ? g_string_new(NULL) : NULL;
	g_string_append(query->sql, "SELECT " STORE_CAPTURE_COLUMNS " FROM captures c WHERE ");
	g_string_append(query->sql, query->postgres ? "TRUE" : "1");
	store_search_add_substring(query, match, "filename", criteria->filename);
	store_search_add_substring(query, match, "comments", criteria->comments);
	if (match != NULL && match->len > 0) {
		g_string_append(query->sql,
				" AND c.cap_file_id IN (SELECT rowid FROM captures_text WHERE captures_text MATCH ?)");
		store_search_bind_text(query, match->str);
	}
	if (criteria->user != NULL) {
		g_string_append(query->sql, " AND c.\"user\" = ?");
		store_search_bind_text(query, criteria->user);
	}
	if (criteria->ids != NULL) {
		/* One JSON array bound as one value, however many ids. */
		g_autoptr(GString) array = g_string_new("[");
		for (guint i = 0; i < criteria->ids->len; i++)
			g_string_append_printf(array, "%s\"%s\"", i > 0 ? "," : "",
					       (const char *)g_ptr_array_index(criteria->ids, i));
		g_string_append_c(array, ']');
		g_string_append(query->sql, query->postgres ? " AND c.id IN (SELECT json_array_elements_text(?::json))"
							    : " AND c.id IN (SELECT value FROM json_each(?))");
		store_search_bind_text(query, array->str);
	}
	for (guint i = 0; i < criteria->tags->len; i++) {
		g_string_append(query->sql, " AND c.id IN (SELECT capture_id FROM capture_tags WHERE tag = ?)");
		store_search_bind_text(query, g_ptr_array_index(criteria->tags, i));
	}
	store_search_add_created(query, criteria);
	store_search_add_start_time(query, criteria);
	const char *direction = criteria->descending ? "DESC" : "ASC";
	/* cap_file_id breaks ties, so pages never overlap. */
	g_string_append_printf(query->sql, " ORDER BY c.%s %s, c.cap_file_id %s LIMIT ? OFFSET ?",
			       criteria->sort_column, direction, direction);
	store_search_bind_number(query, criteria->limit);
	store_search_bind_number(query, (criteria->page - 1) * criteria->limit);
}

GPtrArray *
store_search_captures(Store *store, const StoreSearchCriteria *criteria, GError **error)
{
	StoreSearchQuery query = {
		.sql = g_string_new(NULL),
		.texts = g_ptr_array_new_with_free_func(g_free),
		.numbers = g_array_new(FALSE, FALSE, sizeof(gint64)),
		.postgres = store_sql_backend(store->db) == STORE_SQL_POSTGRES,
	};
	g_autoptr(GString) sql = query.sql;
	g_autoptr(GPtrArray) texts = query.texts;
	g_autoptr(GArray) numbers = query.numbers;
	g_autofree char *match = store_search_text_match(criteria);
	store_search_build(&query, criteria,
			   query.postgres || *match == '\0' || store_search_index_is_selective(store, match));

	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(store->db, sql->str, error);
	if (stmt == NULL)
		return NULL;
	for (guint i = 0; i < texts->len; i++) {
		const char *text = g_ptr_array_index(texts, i);
		if (text != NULL)
			store_sql_bind_text(stmt, (int)i + 1, text);
		else
			store_sql_bind_int64(stmt, (int)i + 1, g_array_index(numbers, gint64, i));
	}
	g_autoptr(GPtrArray) captures = g_ptr_array_new_with_free_func((GDestroyNotify)store_capture_free);
	StoreSqlStep step;
	while ((step = store_sql_step(stmt, error)) == STORE_SQL_ROW)
		g_ptr_array_add(captures, store_capture_from_statement(stmt));
	if (step == STORE_SQL_ERROR) {
		g_prefix_error(error, "searching captures: ");
		return NULL;
	}
	return g_steal_pointer(&captures);
}
