/* test-json-writer.c: the JSON writer's number format, escaping and member order checks.
 * `test-json-writer --format-stdin` prints json_format_double() of each 16-hex-digit IEEE 754
 * bit pattern read from stdin, one per line: number-format-check.mjs compares that with
 * JavaScript's own printer over a sweep of values.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "json-writer.h"

static void
test_json_writer_numbers(void)
{
	char buf[JSON_DOUBLE_BUFSIZE];
	/* CloudShark's published forms. */
	g_assert_cmpstr(json_format_double(8.503908, buf), ==, "8.503908");
	g_assert_cmpstr(json_format_double(91967.99, buf), ==, "91967.99");
	g_assert_cmpstr(json_format_double(0.0, buf), ==, "0");
	g_assert_cmpstr(json_format_double(29.996437, buf), ==, "29.996437");
	g_assert_cmpstr(json_format_double(403.430014, buf), ==, "403.430014");
	g_assert_cmpstr(json_format_double(2.0, buf), ==, "2");
	g_assert_cmpstr(json_format_double(0.1 + 0.2, buf), ==, "0.30000000000000004");
	/* Exactly what a nanosecond duration divides to. */
	g_assert_cmpstr(json_format_double((double)8503908000LL / 1e9, buf), ==, "8.503908");
	/* Round values print as integers, never in exponent form (CloudShark: 100). */
	g_assert_cmpstr(json_format_double(100.0, buf), ==, "100");
	g_assert_cmpstr(json_format_double(113940.0, buf), ==, "113940");
	g_assert_cmpstr(json_format_double(-1e20, buf), ==, "-100000000000000000000");
	g_assert_cmpstr(json_format_double(1e21, buf), ==, "1e+21");
	g_assert_cmpstr(json_format_double(1.5e-7, buf), ==, "1.5e-7");
	g_assert_cmpstr(json_format_double(0.000001, buf), ==, "0.000001");
	g_assert_cmpstr(json_format_double(9007199254740993.0, buf), ==, "9007199254740992");
}

/* --format-stdin: one formatted double per hex bit pattern. */
static int
format_stdin(void)
{
	char line[64], buf[JSON_DOUBLE_BUFSIZE];
	while (fgets(line, sizeof line, stdin) != NULL) {
		guint64 bits = g_ascii_strtoull(line, NULL, 16);
		double value;
		memcpy(&value, &bits, sizeof value);
		printf("%s\n", json_format_double(value, buf));
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static void
test_json_writer_document(void)
{
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_object(writer);
	json_writer_key(writer, "a");
	json_writer_begin_array(writer);
	json_writer_int(writer, -3);
	json_writer_string(writer, "q\"\\\n\x01");
	json_writer_null(writer);
	json_writer_bool(writer, TRUE);
	json_writer_end_array(writer);
	json_writer_key(writer, "b");
	json_writer_double_rounded(writer, 2758712 / 29.996437, 2);
	json_writer_member_string(writer, "c", "\xff ok");
	json_writer_end_object(writer);
	g_autofree char *text = json_writer_steal_string(writer);
	g_assert_cmpstr(text, ==, "{\"a\":[-3,\"q\\\"\\\\\\n\\u0001\",null,true],\"b\":91967.99,\"c\":\"\xEF\xBF\xBD ok\"}");
}

static void
test_json_writer_order(void)
{
	if (g_test_subprocess()) {
		g_autoptr(JsonWriter) writer = json_writer_new();
		json_writer_begin_object(writer);
		json_writer_member_int(writer, "b", 1);
		json_writer_member_int(writer, "a", 2);
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stderr("*not in alphabetical order*");
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--format-stdin") == 0)
		return format_stdin();
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/json-writer/numbers", test_json_writer_numbers);
	g_test_add_func("/json-writer/document", test_json_writer_document);
	g_test_add_func("/json-writer/order", test_json_writer_order);
	return g_test_run();
}
