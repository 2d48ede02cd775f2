/* test-store.c: the store on a real data dir with real SQLite: captures added (through the
 * writer connection), read, listed and deleted; tags; annotations and the usage numbers their
 * caps are checked against; the filtered-summary disk budget; and recovery of a data dir a
 * crash left half-written. Captures come from the corpus (tests/captures), read by capinfo.
 * Each test gets a fresh data dir under the system temp dir and removes it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <utime.h>

#include "file-tree.h"
#include "sharkapi-error.h"
#include "store/store-annotations.h"
#include "store/store-capture.h"
#include "store/store-db.h"
#include "store/store-summary-budget.h"
#include "store/store-tags.h"
#include "store/store.h"
#include "wiretap/capinfo.h"

#define SMALL_CAPTURE "sv-dns-udp-a-aaaa-mx.pcap"
#define OTHER_CAPTURE "zeek-dhcp.pcap"

typedef struct {
	char *data_dir;
	Store *store;
} StoreFixture;

/* SHARKAPI_TEST_DATABASE=URL (tests/with_postgres.py sets it): the same tests with the metadata
 * in PostgreSQL, each from an empty schema; unset: SQLite in the data dir. */
static const char *test_database;

static void
store_fixture_open(StoreFixture *fixture)
{
	g_autoptr(GError) error = NULL;
	fixture->store = store_open_with_database(fixture->data_dir, test_database, &error);
	g_assert_no_error(error);
	g_assert_nonnull(fixture->store);
}

static void
store_fixture_set_up(StoreFixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	fixture->data_dir = g_dir_make_tmp("sharkapi-unit-store-XXXXXX", &error);
	g_assert_no_error(error);
	if (test_database != NULL) {
		g_autoptr(StoreSql) db = store_sql_open_postgres(test_database, &error);
		g_assert_no_error(error);
		g_assert_true(store_sql_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", &error));
		g_assert_no_error(error);
	}
	store_fixture_open(fixture);
}

static void
store_fixture_tear_down(StoreFixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_clear_pointer(&fixture->store, store_free);
	if (test_database != NULL) {
		g_autofree char *sqlite_path = g_build_filename(fixture->data_dir, "sharkapi.db", NULL);
		g_assert_false(g_file_test(sqlite_path, G_FILE_TEST_EXISTS));
	}
	g_assert_true(file_tree_remove(fixture->data_dir, &error));
	g_assert_no_error(error);
	g_free(fixture->data_dir);
}

static char *
corpus_path(const char *name)
{
	return g_build_filename(SHARKAPI_CAPTURES_DIR, name, NULL);
}

static GBytes *
read_bytes(const char *path)
{
	g_autoptr(GError) error = NULL;
	char *contents = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(path, &contents, &length, &error));
	g_assert_no_error(error);
	return g_bytes_new_take(contents, length);
}

static void
write_file(const char *path, const char *contents, gssize length)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(g_file_set_contents(path, contents, length, &error));
	g_assert_no_error(error);
}

/* A corpus capture copied into a spool file, checked and added as an upload is. */
static StoreCapture *
add_corpus_capture(Store *store, const char *name, const char *tag_list)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *source = corpus_path(name);
	g_autofree char *temp_path = store_new_temp_file(store, "upload", &error);
	g_assert_no_error(error);
	g_autoptr(GBytes) bytes = read_bytes(source);
	write_file(temp_path, g_bytes_get_data(bytes, NULL), (gssize)g_bytes_get_size(bytes));
	g_autoptr(CapInfo) info = capinfo_read(temp_path, &error);
	g_assert_no_error(error);
	StoreCaptureLabels labels = {
		.filename = name, .comments = "a unit test", .tag_list = tag_list, .user = "tester"};
	StoreCapture *capture = store_capture_add(store->writer, temp_path, info, &labels, &error);
	g_assert_no_error(error);
	g_assert_nonnull(capture);
	g_assert_false(g_file_test(temp_path, G_FILE_TEST_EXISTS)); /* moved, not copied */
	return capture;
}

static guint
count_entries(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	guint count = 0;
	while (dir != NULL && g_dir_read_name(dir) != NULL)
		count++;
	return count;
}

static void
assert_not_found(const GError *error)
{
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_NOT_FOUND);
}

/* ---- captures ---- */

static void
test_capture_add_get(StoreFixture *fixture, gconstpointer data)
{
	Store *store = fixture->store;
	g_autoptr(GError) error = NULL;
	g_autofree char *source = corpus_path(SMALL_CAPTURE);
	g_autoptr(CapInfo) expected = capinfo_read(source, &error);
	g_assert_no_error(error);
	g_autoptr(StoreCapture) added = add_corpus_capture(store, SMALL_CAPTURE, "dns,unit");

	g_assert_true(store_capture_id_is_valid(added->id));
	g_autoptr(StoreCapture) capture = store_capture_get(store, added->id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(capture->id, ==, added->id);
	g_assert_cmpstr(capture->filename, ==, SMALL_CAPTURE);
	g_assert_cmpstr(capture->comments, ==, "a unit test");
	g_assert_cmpstr(capture->tag_list, ==, "dns,unit");
	g_assert_cmpstr(capture->user, ==, "tester");
	g_assert_cmpuint(capture->size, ==, expected->file_size);
	g_assert_cmpuint(capture->num_packets, ==, expected->packets);
	g_assert_cmpuint(capture->num_packets, >, 0);
	g_assert_cmpuint(capture->data_size, ==, expected->data_size);
	g_assert_cmpint(capture->start_time_ns, ==, expected->start_time_ns);
	g_assert_cmpint(capture->end_time_ns, ==, expected->end_time_ns);
	g_assert_cmpstr(capture->file_type, ==, expected->file_type);
	g_assert_cmpstr(capture->analysis_failed, ==, "");
	g_assert_cmpint(capture->viewcount, ==, 0);

	/* The stored file is the upload byte for byte. */
	g_autofree char *stored_path = store_capture_file(store, capture->id);
	g_autoptr(GBytes) stored = read_bytes(stored_path);
	g_autoptr(GBytes) original = read_bytes(source);
	g_assert_true(g_bytes_equal(stored, original));
}

static void
test_capture_touch_and_failure_mark(StoreFixture *fixture, gconstpointer data)
{
	Store *store = fixture->store;
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreCapture) added = add_corpus_capture(store, SMALL_CAPTURE, NULL);

	store_capture_touch(store, added->id);
	store_capture_touch(store, added->id);
	g_assert_true(store_capture_set_analysis_failed(store, added->id, "crashed twice", &error));
	g_assert_no_error(error);
	g_autoptr(StoreCapture) capture = store_capture_get(store, added->id, &error);
	g_assert_no_error(error);
	g_assert_cmpint(capture->viewcount, ==, 2);
	g_assert_cmpstr(capture->analysis_failed, ==, "crashed twice");
	g_assert_cmpstr(capture->tag_list, ==, "");
}

static void
test_capture_delete(StoreFixture *fixture, gconstpointer data)
{
	Store *store = fixture->store;
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreCapture) added = add_corpus_capture(store, SMALL_CAPTURE, NULL);
	g_autofree char *dir = store_capture_dir(store, added->id);
	g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));

	g_assert_true(store_capture_delete(store, added->id, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
	g_autoptr(StoreCapture) gone = store_capture_get(store, added->id, &error);
	g_assert_null(gone);
	assert_not_found(error);
	g_clear_error(&error);

	/* A second delete, an unknown id and a path-like id are all 404, touching no file. */
	g_assert_false(store_capture_delete(store, added->id, &error));
	assert_not_found(error);
	g_clear_error(&error);
	g_assert_false(store_capture_delete(store, "000000000000", &error));
	assert_not_found(error);
	g_clear_error(&error);
	g_assert_false(store_capture_delete(store, "../captures", &error));
	assert_not_found(error);
	g_clear_error(&error);
	g_assert_null(store_capture_get(store, "ABCDEF012345", &error));
	assert_not_found(error);
	g_assert_cmpuint(count_entries(store->captures_dir), ==, 0);
}

static void
test_capture_list(StoreFixture *fixture, gconstpointer data)
{
	Store *store = fixture->store;
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreCapture) first = add_corpus_capture(store, SMALL_CAPTURE, NULL);
	g_autoptr(StoreCapture) second = add_corpus_capture(store, OTHER_CAPTURE, NULL);
	g_autoptr(StoreCapture) third = add_corpus_capture(store, SMALL_CAPTURE, NULL);
	g_assert_cmpstr(first->id, !=, third->id);

	g_autoptr(GPtrArray) ids = store_capture_list_ids(store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ids->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(ids, 0), ==, first->id);
	g_assert_cmpstr(g_ptr_array_index(ids, 1), ==, second->id);
	g_assert_cmpstr(g_ptr_array_index(ids, 2), ==, third->id);

	g_assert_true(store_capture_delete(store, second->id, &error));
	g_autoptr(GPtrArray) after = store_capture_list_ids(store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(after->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(after, 0), ==, first->id);
	g_assert_cmpstr(g_ptr_array_index(after, 1), ==, third->id);
}

/* A spool that vanished: the add fails and leaves no folder and no row. */
static void
test_capture_add_missing_file(StoreFixture *fixture, gconstpointer data)
{
	Store *store = fixture->store;
	g_autoptr(GError) error = NULL;
	g_autofree char *source = corpus_path(SMALL_CAPTURE);
	g_autoptr(CapInfo) info = capinfo_read(source, &error);
	g_assert_no_error(error);
	g_autofree char *missing = g_build_filename(store->tmp_dir, "no-such-spool", NULL);
	StoreCaptureLabels labels = {.filename = "missing.pcap"};

	g_autoptr(StoreCapture) capture = store_capture_add(store->writer, missing, info, &labels, &error);
	g_assert_null(capture);
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL);
	g_assert_cmpuint(count_entries(store->captures_dir), ==, 0);
	g_autoptr(GPtrArray) ids = store_capture_list_ids(store, NULL);
	g_assert_cmpuint(ids->len, ==, 0);
}

/* The row cannot be written (the main connection holds the write lock past the writer's busy
 * timeout): the folder already placed is removed with it, so nothing is left half-added. */
static void
test_capture_add_row_refused(StoreFixture *fixture, gconstpointer data)
{
	if (test_database != NULL) {
		g_test_skip("SQLite's one write lock: PostgreSQL's transactions do not hold each other up");
		return;
	}
	Store *store = fixture->store;
	g_autoptr(GError) error = NULL;
	g_autofree char *source = corpus_path(SMALL_CAPTURE);
	g_autoptr(CapInfo) info = capinfo_read(source, &error);
	g_assert_no_error(error);
	g_autofree char *temp_path = store_new_temp_file(store, "upload", &error);
	g_assert_no_error(error);
	g_autoptr(GBytes) bytes = read_bytes(source);
	write_file(temp_path, g_bytes_get_data(bytes, NULL), (gssize)g_bytes_get_size(bytes));
	StoreCaptureLabels labels = {.filename = SMALL_CAPTURE};

	g_assert_true(store_db_exec(store->db, "BEGIN IMMEDIATE", &error));
	g_autoptr(StoreCapture) capture = store_capture_add(store->writer, temp_path, info, &labels, &error);
	g_assert_true(store_db_exec(store->db, "ROLLBACK", NULL));
	g_assert_null(capture);
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE);
	g_assert_cmpuint(count_entries(store->captures_dir), ==, 0);
	g_autoptr(GPtrArray) ids = store_capture_list_ids(store, NULL);
	g_assert_cmpuint(ids->len, ==, 0);
}

/* ---- tags ---- */

static char *
normalize(const char *const *values, GError **error)
{
	return store_tags_normalize(values, error);
}

static void
test_tags_normalize(void)
{
	g_autoptr(GError) error = NULL;
	const char *const mixed[] = {" a, b ", "c,,a", " ", "b", NULL};
	g_autofree char *list = normalize(mixed, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(list, ==, "a,b,c");
	g_autofree char *none = normalize(NULL, &error);
	g_assert_cmpstr(none, ==, "");

	/* 255 bytes is the longest tag; 256 is a 400. */
	g_autofree char *longest = g_strnfill(STORE_TAG_MAX_LENGTH, 'x');
	g_autofree char *too_long = g_strnfill(STORE_TAG_MAX_LENGTH + 1, 'x');
	const char *const fits[] = {longest, NULL};
	const char *const over[] = {too_long, NULL};
	g_autofree char *kept = normalize(fits, &error);
	g_assert_cmpstr(kept, ==, longest);
	g_assert_null(normalize(over, &error));
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST);
	g_clear_error(&error);

	const char *const not_utf8[] = {"ok,\xff\xfe", NULL};
	g_assert_null(normalize(not_utf8, &error));
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST);
	g_clear_error(&error);
}

/* STORE_TAGS_MAX distinct tags are fine, one more is a 400; repeats do not count. */
static void
test_tags_limit(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) values = g_string_new(NULL);
	for (guint i = 0; i < STORE_TAGS_MAX; i++)
		g_string_append_printf(values, "tag%u,tag%u,", i, i);
	const char *const at_limit[] = {values->str, NULL};
	g_autofree char *list = normalize(at_limit, &error);
	g_assert_no_error(error);
	g_auto(GStrv) tags = g_strsplit(list, ",", -1);
	g_assert_cmpuint(g_strv_length(tags), ==, STORE_TAGS_MAX);

	g_string_append(values, "one-more");
	const char *const over[] = {values->str, NULL};
	g_assert_null(normalize(over, &error));
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST);
}

/* The capture_tags rows of a capture, sorted, joined by commas. */
static char *
tag_rows(Store *store, const char *capture_id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
		store->db, "SELECT tag FROM capture_tags WHERE capture_id = ? ORDER BY tag", &error);
	g_assert_no_error(error);
	store_sql_bind_text(stmt, 1, capture_id);
	g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func(g_free);
	while (store_sql_step(stmt, NULL) == STORE_SQL_ROW)
		g_ptr_array_add(tags, g_strdup(store_sql_column_text(stmt, 0)));
	g_ptr_array_add(tags, NULL);
	return g_strjoinv(",", (char **)tags->pdata);
}

static void
test_tags_rows_follow_capture(StoreFixture *fixture, gconstpointer data)
{
	Store *store = fixture->store;
	g_autoptr(GError) error = NULL;
	const char *const values[] = {"zeta, alpha", "mid", NULL};
	g_autofree char *tag_list = normalize(values, &error);
	g_assert_no_error(error);
	g_autoptr(StoreCapture) tagged = add_corpus_capture(store, SMALL_CAPTURE, tag_list);
	g_autoptr(StoreCapture) untagged = add_corpus_capture(store, OTHER_CAPTURE, NULL);

	g_assert_cmpstr(tagged->tag_list, ==, "zeta,alpha,mid");
	g_autofree char *rows = tag_rows(store, tagged->id);
	g_assert_cmpstr(rows, ==, "alpha,mid,zeta");
	g_autofree char *no_rows = tag_rows(store, untagged->id);
	g_assert_cmpstr(no_rows, ==, "");

	g_assert_true(store_capture_delete(store, tagged->id, &error));
	g_autofree char *after_delete = tag_rows(store, tagged->id);
	g_assert_cmpstr(after_delete, ==, "");
}

/* ---- annotations ---- */

static void
assert_usage(Store *store, const char *capture_id, gint64 except_frame, gint64 count, gint64 bytes)
{
	g_autoptr(GError) error = NULL;
	gint64 got_count = -1, got_bytes = -1;
	g_assert_true(store_annotation_usage(store, capture_id, except_frame, &got_count, &got_bytes, &error));
	g_assert_no_error(error);
	g_assert_cmpint(got_count, ==, count);
	g_assert_cmpint(got_bytes, ==, bytes);
}

static void
test_annotations(StoreFixture *fixture, gconstpointer data)
{
	Store *store = fixture->store;
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreCapture) capture = add_corpus_capture(store, SMALL_CAPTURE, NULL);
	const char *id = capture->id;
	const char *accented = "caf\xc3\xa9"; /* 4 characters, 5 bytes: the caps count bytes */

	assert_usage(store, id, 0, 0, 0);
	g_assert_true(store_annotation_set(store, id, 3, "first", "alice", &error));
	g_assert_true(store_annotation_set(store, id, 1, accented, "bob", &error));
	g_assert_no_error(error);
	assert_usage(store, id, 0, 2, 5 + 5);
	/* What a replacement of frame 3 is checked against: the others only. */
	assert_usage(store, id, 3, 1, 5);

	g_assert_true(store_annotation_set(store, id, 3, "replaced text", "carol", &error));
	g_autoptr(GPtrArray) list = store_annotation_list(store, id, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 2);
	StoreAnnotation *low = g_ptr_array_index(list, 0), *high = g_ptr_array_index(list, 1);
	g_assert_cmpint(low->frame, ==, 1);
	g_assert_cmpstr(low->text, ==, accented);
	g_assert_cmpstr(low->user, ==, "bob");
	g_assert_cmpint(high->frame, ==, 3);
	g_assert_cmpstr(high->text, ==, "replaced text");
	g_assert_cmpstr(high->user, ==, "carol");
	assert_usage(store, id, 0, 2, 5 + 13);

	g_assert_true(store_annotation_remove(store, id, 1, &error));
	g_assert_true(store_annotation_remove(store, id, 42, &error)); /* no note there: fine */
	g_assert_no_error(error);
	assert_usage(store, id, 0, 1, 13);

	/* Notes go with their capture, and a capture that does not exist takes none. */
	g_assert_true(store_capture_delete(store, id, &error));
	g_autoptr(GPtrArray) after = store_annotation_list(store, id, &error);
	g_assert_cmpuint(after->len, ==, 0);
	g_assert_false(store_annotation_set(store, id, 1, "orphan", "alice", &error));
	g_assert_nonnull(error);
}

/* ---- summary budget ---- */

/* A variant folder of one file of `size` bytes; returns the disk it takes as du counts it. */
static guint64
make_variant(Store *store, const char *capture_id, const char *variant, gsize size)
{
	g_autofree char *dir = store_capture_summary_dir(store, capture_id, variant);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0750), ==, 0);
	g_autofree char *file = g_build_filename(dir, "hierarchy.json", NULL);
	g_autofree char *contents = g_strnfill(size, '{');
	write_file(file, contents, (gssize)size);
	GStatBuf st;
	g_assert_cmpint(g_stat(file, &st), ==, 0);
	return (guint64)st.st_blocks * 512;
}

static gboolean
variant_exists(Store *store, const char *capture_id, const char *variant)
{
	g_autofree char *dir = store_capture_summary_dir(store, capture_id, variant);
	return g_file_test(dir, G_FILE_TEST_IS_DIR);
}

/* Last uses are wall-clock microseconds: let the clock move so two uses never tie. */
static void
let_clock_advance(void)
{
	gint64 now = g_get_real_time();
	while (g_get_real_time() == now)
		;
}

/* A folder last written an hour ago: the budget's scan takes its mtime as its last use. */
static void
age_variant(Store *store, const char *capture_id, const char *variant)
{
	g_autofree char *dir = store_capture_summary_dir(store, capture_id, variant);
	struct utimbuf times = {.actime = time(NULL) - 3600, .modtime = time(NULL) - 3600};
	g_assert_cmpint(g_utime(dir, &times), ==, 0);
}

static void
test_summary_budget_lru(StoreFixture *fixture, gconstpointer data)
{
	Store *store = fixture->store;
	g_autoptr(StoreCapture) capture = add_corpus_capture(store, SMALL_CAPTURE, NULL);
	const char *id = capture->id;
	guint64 old = make_variant(store, id, "v-old", 10000);
	g_assert_cmpuint(old, >, 0);
	make_variant(store, id, "default", 10000);     /* the upload's own: never counted */
	make_variant(store, id, "v-half.tmp", 10000);  /* half-written: not counted */
	age_variant(store, id, "v-old");

	/* Room for two and a half variants of this size. */
	g_autoptr(StoreSummaryBudget) budget = store_summary_budget_new(store, old * 5 / 2);
	g_assert_cmpuint(store_summary_budget_get_used(budget), ==, old);

	guint64 one = make_variant(store, id, "v-one", 10000);
	store_summary_budget_add(budget, id, "v-one");
	g_assert_cmpuint(store_summary_budget_get_used(budget), ==, old + one);
	let_clock_advance();
	guint64 two = make_variant(store, id, "v-two", 10000);
	store_summary_budget_add(budget, id, "v-two");
	/* Three over the limit: the least recently used (scanned, an hour old) goes. */
	g_assert_cmpuint(store_summary_budget_get_used(budget), ==, one + two);
	g_assert_false(variant_exists(store, id, "v-old"));
	g_assert_true(variant_exists(store, id, "v-one"));
	g_assert_true(variant_exists(store, id, "v-two"));

	/* A use makes v-one the most recent: v-two is the one to go next. */
	let_clock_advance();
	store_summary_budget_touch(budget, id, "v-one");
	let_clock_advance();
	guint64 three = make_variant(store, id, "v-three", 10000);
	store_summary_budget_add(budget, id, "v-three");
	g_assert_cmpuint(store_summary_budget_get_used(budget), ==, one + three);
	g_assert_true(variant_exists(store, id, "v-one"));
	g_assert_false(variant_exists(store, id, "v-two"));
	g_assert_true(variant_exists(store, id, "v-three"));
	g_assert_true(variant_exists(store, id, "default"));

	store_summary_budget_forget_capture(budget, id);
	g_assert_cmpuint(store_summary_budget_get_used(budget), ==, 0);
}

/* The newest variant stays even when it alone is over the budget; the default is ignored. */
static void
test_summary_budget_newest_kept(StoreFixture *fixture, gconstpointer data)
{
	Store *store = fixture->store;
	g_autoptr(StoreCapture) first = add_corpus_capture(store, SMALL_CAPTURE, NULL);
	g_autoptr(StoreCapture) second = add_corpus_capture(store, OTHER_CAPTURE, NULL);
	guint64 a = make_variant(store, first->id, "v-a", 10000);
	guint64 b = make_variant(store, second->id, "v-b", 10000);

	g_autoptr(StoreSummaryBudget) budget = store_summary_budget_new(store, 1);
	g_assert_cmpuint(store_summary_budget_get_used(budget), ==, a + b);
	make_variant(store, second->id, "default", 10000);
	store_summary_budget_add(budget, second->id, "default");
	g_assert_cmpuint(store_summary_budget_get_used(budget), ==, a + b);

	guint64 c = make_variant(store, second->id, "v-c", 10000);
	store_summary_budget_add(budget, second->id, "v-c");
	g_assert_cmpuint(store_summary_budget_get_used(budget), ==, c);
	g_assert_false(variant_exists(store, first->id, "v-a"));
	g_assert_false(variant_exists(store, second->id, "v-b"));
	g_assert_true(variant_exists(store, second->id, "v-c"));
	g_assert_true(variant_exists(store, second->id, "default"));
}

/* ---- recovery ---- */

static void
make_dir(const char *parent, const char *name)
{
	g_autofree char *path = g_build_filename(parent, name, NULL);
	g_assert_cmpint(g_mkdir_with_parents(path, 0750), ==, 0);
}

/* What a crash can leave: spools in tmp/, a capture folder placed but never given its row,
 * half-written summary folders beside complete ones. */
static void
leave_crash_debris(Store *store, const char *kept_id)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *spool = store_new_temp_file(store, "upload", &error);
	g_assert_no_error(error);
	make_dir(store->tmp_dir, "multipart-spool");
	g_autofree char *spool_part = g_build_filename(store->tmp_dir, "multipart-spool", "part", NULL);
	write_file(spool_part, "partial", -1);

	make_dir(store->captures_dir, "0123456789ab");
	g_autofree char *orphan_file = g_build_filename(store->captures_dir, "0123456789ab", "capture", NULL);
	write_file(orphan_file, "half a capture", -1);
	make_dir(store->captures_dir, "not-a-capture");

	g_autofree char *summary = store_capture_summary_dir(store, kept_id, "");
	make_dir(summary, "default");
	make_dir(summary, "v-0123456789abcdef01234567");
	make_dir(summary, "v-fedcba9876543210fedcba98.tmp");
	make_dir(summary, "default.shard0.tmp");
	make_dir(summary, "default.tmp-1234");
}

static void
test_recover_half_written(StoreFixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreCapture) kept = add_corpus_capture(fixture->store, SMALL_CAPTURE, "kept");
	leave_crash_debris(fixture->store, kept->id);

	/* The restart: a new store on the same data dir. */
	g_clear_pointer(&fixture->store, store_free);
	store_fixture_open(fixture);
	Store *store = fixture->store;
	/* 2 spools, 2 folders without a row, 3 half-written summaries. */
	g_assert_cmpuint(store_recover(store), ==, 7);
	g_assert_cmpuint(store_recover(store), ==, 0);

	g_assert_cmpuint(count_entries(store->tmp_dir), ==, 0);
	g_assert_cmpuint(count_entries(store->captures_dir), ==, 1);
	g_autofree char *summary = store_capture_summary_dir(store, kept->id, "");
	g_assert_cmpuint(count_entries(summary), ==, 2);
	g_assert_true(variant_exists(store, kept->id, "default"));
	g_assert_true(variant_exists(store, kept->id, "v-0123456789abcdef01234567"));

	g_autoptr(StoreCapture) capture = store_capture_get(store, kept->id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(capture->tag_list, ==, "kept");
	g_autofree char *file = store_capture_file(store, kept->id);
	g_autofree char *source = corpus_path(SMALL_CAPTURE);
	g_autoptr(GBytes) stored = read_bytes(file);
	g_autoptr(GBytes) original = read_bytes(source);
	g_assert_true(g_bytes_equal(stored, original));
}

/* Terminates every other session of the test database and waits until they are gone (their
 * sockets closed), as a PostgreSQL restart would leave the store's connections. */
static void
terminate_other_sessions(StoreSql *admin)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(store_sql_exec(admin,
				     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
				     "WHERE datname = current_database() AND pid <> pg_backend_pid()",
				     &error));
	g_assert_no_error(error);
	gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	for (;;) {
		g_autoptr(StoreSqlStatement) stmt = store_sql_prepare(
			admin,
			"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
			&error);
		g_assert_cmpint(store_sql_step(stmt, &error), ==, STORE_SQL_ROW);
		if (store_sql_column_int64(stmt, 0) == 0)
			return;
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(10 * 1000);
	}
}

/* PostgreSQL only: a connection the server closed between calls is replaced before use, so the
 * call succeeds; one closed inside a transaction fails its statements (503) until the rollback,
 * never carrying on outside the transaction, and the next call after it works. */
static void
test_postgres_reconnect(StoreFixture *fixture, gconstpointer data)
{
	if (test_database == NULL) {
		g_test_skip("PostgreSQL only");
		return;
	}
	Store *store = fixture->store;
	g_autoptr(GError) error = NULL;
	g_autoptr(StoreSql) admin = store_sql_open_postgres(test_database, &error);
	g_assert_no_error(error);
	g_autoptr(StoreCapture) kept = add_corpus_capture(store, SMALL_CAPTURE, "kept");

	terminate_other_sessions(admin);
	g_autoptr(GPtrArray) ids = store_capture_list_ids(store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ids->len, ==, 1);

	g_assert_true(store_sql_begin(store->db, &error));
	g_assert_true(store_capture_set_analysis_failed(store, kept->id, "inside", &error));
	terminate_other_sessions(admin);
	g_test_expect_message("store", G_LOG_LEVEL_WARNING, "PostgreSQL is unavailable*"); /* once */
	g_assert_false(store_capture_set_analysis_failed(store, kept->id, "after the loss", &error));
	g_test_assert_expected_messages();
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE);
	g_clear_error(&error);
	g_assert_false(store_sql_commit(store->db, &error));
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNAVAILABLE);
	g_clear_error(&error);
	store_sql_rollback(store->db);

	g_autoptr(StoreCapture) capture = store_capture_get(store, kept->id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(capture->analysis_failed, ==, ""); /* neither update outlived the transaction */
}

static void
add_store_test(const char *path, void (*func)(StoreFixture *, gconstpointer))
{
	g_test_add(path, StoreFixture, NULL, store_fixture_set_up, func, store_fixture_tear_down);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_test_init(&argc, &argv, NULL);
	test_database = g_getenv("SHARKAPI_TEST_DATABASE");
	if (!capinfo_init(&error))
		g_error("capinfo_init: %s", error->message);
	add_store_test("/store/capture/add-get", test_capture_add_get);
	add_store_test("/store/capture/touch-and-failure-mark", test_capture_touch_and_failure_mark);
	add_store_test("/store/capture/delete", test_capture_delete);
	add_store_test("/store/capture/list", test_capture_list);
	add_store_test("/store/capture/add-missing-file", test_capture_add_missing_file);
	add_store_test("/store/capture/add-row-refused", test_capture_add_row_refused);
	g_test_add_func("/store/tags/normalize", test_tags_normalize);
	g_test_add_func("/store/tags/limit", test_tags_limit);
	add_store_test("/store/tags/rows-follow-capture", test_tags_rows_follow_capture);
	add_store_test("/store/annotations", test_annotations);
	add_store_test("/store/summary-budget/least-recently-used", test_summary_budget_lru);
	add_store_test("/store/summary-budget/newest-kept", test_summary_budget_newest_kept);
	add_store_test("/store/recover/half-written", test_recover_half_written);
	add_store_test("/store/postgres/reconnect", test_postgres_reconnect);
	return g_test_run();
}
