/* test-capinfo.c: capinfo_read() against capinfos, run at test time on every capture of the
 * corpus (tests/captures). capinfos (same libwiretap) is the oracle: its table report (-T -M)
 * gives the numbers, its long report the descriptions. The files in captures/bad check API.md's
 * 415 rules, with the frame counts tshark reads from them, run at test time.
 * Needs capinfos and tshark on PATH. Must not write anywhere.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "wiretap/capinfo.h"
#include "sharkapi-error.h"

/* Runs capinfos with pinned locale and time zone; exit 1 (read error after some packets)
 * still comes with a report, so only a failure to run at all is fatal. */
static char *
run_capinfos(const char *const *args)
{
	g_auto(GStrv) env = g_get_environ();
	env = g_environ_setenv(env, "LC_ALL", "C", TRUE);
	env = g_environ_setenv(env, "TZ", "UTC", TRUE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_ptr_array_add(argv, (gpointer) "capinfos");
	for (const char *const *arg = args; *arg != NULL; arg++)
		g_ptr_array_add(argv, (gpointer)*arg);
	g_ptr_array_add(argv, NULL);

	char *out = NULL;
	int status = 0;
	g_autoptr(GError) error = NULL;
	gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, env, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
				   NULL, NULL, &out, NULL, &status, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) <= 1);
	return out;
}

/* capinfos -T: a header line and a value line, tab separated, into name -> value. */
static GHashTable *
capinfos_table(const char *path)
{
	const char *args[] = {"-T", "-M", path, NULL};
	g_autofree char *out = run_capinfos(args);
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), >=, 2);
	g_auto(GStrv) names = g_strsplit(lines[0], "\t", -1);
	g_auto(GStrv) values = g_strsplit(lines[1], "\t", -1);
	g_assert_cmpuint(g_strv_length(names), ==, g_strv_length(values));

	GHashTable *table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; names[i] != NULL; i++)
		g_hash_table_insert(table, g_strdup(names[i]), g_strdup(values[i]));
	return table;
}

/* One "Label:   value" line of the long (non machine-readable) report. */
static char *
capinfos_long_value(const char *path, const char *label)
{
	const char *args[] = {"-t", "-E", path, NULL};
	g_autofree char *out = run_capinfos(args);
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], label))
			return g_strdup(g_strchug(lines[i] + strlen(label)));
	}
	g_assert_not_reached();
}

static const char *
table_get(GHashTable *table, const char *name)
{
	const char *value = g_hash_table_lookup(table, name);
	g_assert_nonnull(value);
	return value;
}

static void
assert_rate(GHashTable *table, const char *name, gboolean has_times, double value)
{
	const char *expected = table_get(table, name);
	if (g_strcmp0(expected, "n/a") == 0) {
		g_assert_false(has_times);
		return;
	}
	g_autofree char *text = g_strdup_printf("%.2f", value);
	g_assert_cmpstr(text, ==, expected);
}

static void
assert_matches_capinfos(const char *path, const CapInfo *info)
{
	g_autoptr(GHashTable) table = capinfos_table(path);
	g_autofree char *start = capinfo_format_time(info, FALSE);
	g_autofree char *end = capinfo_format_time(info, TRUE);
	g_autofree char *duration = capinfo_format_duration(info);
	g_autofree char *file_type = capinfos_long_value(path, "File type:");
	g_autofree char *encapsulation = capinfos_long_value(path, "File encapsulation:");

	g_assert_cmpuint(info->packets, ==, g_ascii_strtoull(table_get(table, "Number of packets"), NULL, 10));
	g_assert_cmpuint(info->file_size, ==, g_ascii_strtoull(table_get(table, "File size (bytes)"), NULL, 10));
	g_assert_cmpuint(info->data_size, ==, g_ascii_strtoull(table_get(table, "Data size (bytes)"), NULL, 10));
	g_assert_cmpstr(start, ==, table_get(table, "Start time"));
	g_assert_cmpstr(end, ==, table_get(table, "End time"));
	g_assert_cmpstr(duration, ==, table_get(table, "Capture duration (seconds)"));
	g_assert_cmpstr(info->file_type_name, ==, table_get(table, "File type"));
	g_assert_cmpstr(info->encapsulation_name, ==, table_get(table, "File encapsulation"));
	g_assert_cmpstr(info->file_type, ==, file_type);
	g_assert_cmpstr(info->encapsulation, ==, encapsulation);

	assert_rate(table, "Data byte rate (bytes/sec)", info->has_times, capinfo_data_byte_rate(info));
	assert_rate(table, "Data bit rate (bits/sec)", info->has_times, capinfo_data_bit_rate(info));
	assert_rate(table, "Average packet size (bytes)", TRUE, capinfo_avg_packet_size(info));
	assert_rate(table, "Average packet rate (packets/sec)", info->has_times, capinfo_avg_packet_rate(info));

	/* The float helpers agree with the exact times they were derived from. */
	if (info->has_times) {
		g_assert_cmpfloat_with_epsilon(info->start_time, info->start_time_ns / 1e9, 1e-6);
		g_assert_cmpfloat_with_epsilon(info->end_time, info->end_time_ns / 1e9, 1e-6);
	}
	if (info->packets >= 2)
		g_assert_cmpfloat_with_epsilon(capinfo_duration(info), g_ascii_strtod(duration, NULL), 1e-6);
	else
		g_assert_cmpfloat(capinfo_duration(info), ==, 0.0);
}

static void
test_capture(gconstpointer data)
{
	const char *path = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(CapInfo) info = capinfo_read(path, &error);

	g_assert_no_error(error);
	g_assert_nonnull(info);
	g_assert_false(info->truncated);
	g_assert_null(info->warning);
	assert_matches_capinfos(path, info);
}

static void
test_bad_refused(gconstpointer data)
{
	const char *path = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(CapInfo) info = capinfo_read(path, &error);

	g_assert_null(info);
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNSUPPORTED_MEDIA);
	g_assert_cmpuint(sharkapi_error_http_status(error), ==, 415);
	g_assert_null(strstr(error->message, path)); /* no server path in a client's message */
	g_test_message("%s: %s", path, error->message);
}

/* Frames tshark reads before its read error: one line per frame of `tshark -n -r PATH`
 * (it exits 2 after the cut, so only a failure to run at all is fatal). */
static guint64
tshark_frame_count(const char *path)
{
	const char *argv[] = {"tshark", "-n", "-r", path, NULL};
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "LC_ALL", "C", TRUE);
	int status = 0;
	g_assert_true(g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
				   NULL, NULL, &out, NULL, &status, &error));
	g_assert_no_error(error);
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	guint64 frames = 0;
	for (guint i = 0; lines[i] != NULL; i++)
		if (g_regex_match_simple("^\\s*[0-9]+\\s", lines[i], 0, 0))
			frames++;
	return frames;
}

static void
test_bad_truncated(gconstpointer data)
{
	const char *path = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(CapInfo) info = capinfo_read(path, &error);

	g_assert_no_error(error);
	g_assert_nonnull(info);
	g_assert_true(info->truncated);
	g_assert_cmpstr(info->warning, ==, "The file appears to have been cut short in the middle of a packet.");
	g_assert_cmpuint(info->packets, >, 0);
	g_assert_cmpuint(info->packets, ==, tshark_frame_count(path));
	assert_matches_capinfos(path, info);
}

static void
test_missing_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(CapInfo) info = capinfo_read("/nonexistent/sharkapi/capture.pcap", &error);

	g_assert_null(info);
	g_assert_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL);
}

static void
test_derived_values(void)
{
	/* capinfos' definitions, on numbers small enough to check by hand. */
	CapInfo info = {.packets = 4, .data_size = 1000, .has_times = TRUE, .start_time = 10.0, .end_time = 12.5};
	g_assert_cmpfloat(capinfo_duration(&info), ==, 2.5);
	g_assert_cmpfloat(capinfo_data_byte_rate(&info), ==, 400.0);
	g_assert_cmpfloat(capinfo_data_bit_rate(&info), ==, 3200.0);
	g_assert_cmpfloat(capinfo_avg_packet_size(&info), ==, 250.0);
	g_assert_cmpfloat(capinfo_avg_packet_rate(&info), ==, 1.6);

	CapInfo one = {.packets = 1, .data_size = 60, .has_times = TRUE, .start_time = 5.0, .end_time = 5.0};
	g_assert_cmpfloat(capinfo_duration(&one), ==, 0.0);
	g_assert_cmpfloat(capinfo_data_byte_rate(&one), ==, 0.0);
	g_assert_cmpfloat(capinfo_avg_packet_size(&one), ==, 60.0);

	CapInfo none = {0};
	g_assert_cmpfloat(capinfo_avg_packet_size(&none), ==, 0.0);
	g_autofree char *na = capinfo_format_time(&none, FALSE);
	g_assert_cmpstr(na, ==, "n/a");
}

/* Uploads are read on GTask threads, several at once. libwiretap shares an unlocked buffer
 * free list between threads (wiretap-lock.h): without the lock this test ends in a heap
 * corruption abort within a few hundred reads; with it every read equals the lone one. */
#define CONCURRENT_THREADS 4
#define CONCURRENT_READS 400

static gpointer
concurrent_reader(gpointer data)
{
	const char *const *paths = data;
	guint n_paths = g_strv_length((char **)paths);
	guint failures = 0;
	for (guint i = 0; i < CONCURRENT_READS; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(CapInfo) info = capinfo_read(paths[i % n_paths], &error);
		failures += info == NULL;
	}
	return GUINT_TO_POINTER(failures);
}

static void
test_concurrent_reads(gconstpointer data)
{
	const char *captures = data;
	const char *const names[] = {"zeek-dhcp.pcap", "tcpdump-dnssec.pcap", "zeek-pcapng-multi-interface.pcapng",
				     "sv-dns-tcp-www-google-com.pcap", NULL};
	g_auto(GStrv) paths = g_new0(char *, G_N_ELEMENTS(names));
	guint64 expected[G_N_ELEMENTS(names)] = {0};
	for (guint i = 0; names[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		paths[i] = g_build_filename(captures, names[i], NULL);
		g_autoptr(CapInfo) alone = capinfo_read(paths[i], &error);
		g_assert_no_error(error);
		expected[i] = alone->packets;
	}
	GThread *threads[CONCURRENT_THREADS];
	for (guint t = 0; t < CONCURRENT_THREADS; t++)
		threads[t] = g_thread_new("capinfo-reader", concurrent_reader, paths);
	for (guint t = 0; t < CONCURRENT_THREADS; t++)
		g_assert_cmpuint(GPOINTER_TO_UINT(g_thread_join(threads[t])), ==, 0);
	/* And the library is still sound afterwards. */
	for (guint i = 0; names[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(CapInfo) again = capinfo_read(paths[i], &error);
		g_assert_no_error(error);
		g_assert_cmpuint(again->packets, ==, expected[i]);
	}
}

static gboolean
is_capture_name(const char *name)
{
	return strstr(name, ".pcap") != NULL || strstr(name, ".cap") != NULL;
}

static const char *const bad_refused[] = {"not-a-capture.png", "not-a-capture.txt",
					  "pcap-magic-then-garbage.pcap", "zero-bytes.pcap"};
static const char *const bad_truncated[] = {"truncated-mid-block.pcapng", "truncated-mid-packet.pcap",
					    "truncated-mid-record-header.pcap"};

/* Registers one test per file; the paths live until the process ends. */
static void
add_file_tests(const char *prefix, const char *dir, const char *const *names, guint n_names,
	       GTestDataFunc func)
{
	for (guint i = 0; i < n_names; i++) {
		g_autofree char *test_path = g_strconcat(prefix, names[i], NULL);
		g_test_add_data_func_full(test_path, g_build_filename(dir, names[i], NULL), func, g_free);
	}
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static guint
add_capture_tests(const char *captures)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = g_dir_open(captures, 0, &error);
	g_assert_no_error(error);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	while ((name = g_dir_read_name(dir)) != NULL) {
		if (is_capture_name(name))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, compare_names);
	add_file_tests("/capinfo/capture/", captures, (const char *const *)names->pdata, names->len, test_capture);
	return names->len;
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_autoptr(GError) error = NULL;
	g_assert_true(capinfo_init(&error));

	/* The corpus in the source tree (CMake passes its path). */
	const char *captures = SHARKAPI_CAPTURES_DIR;
	g_autofree char *bad = g_build_filename(captures, "bad", NULL);

	g_test_add_func("/capinfo/derived-values", test_derived_values);
	g_test_add_func("/capinfo/missing-file", test_missing_file);
	g_test_add_data_func("/capinfo/concurrent-reads", captures, test_concurrent_reads);
	guint n = add_capture_tests(captures);
	g_assert_cmpuint(n, >, 0);
	add_file_tests("/capinfo/bad/refused/", bad, bad_refused, G_N_ELEMENTS(bad_refused), test_bad_refused);
	add_file_tests("/capinfo/bad/truncated/", bad, bad_truncated, G_N_ELEMENTS(bad_truncated),
		       test_bad_truncated);
	return g_test_run();
}
