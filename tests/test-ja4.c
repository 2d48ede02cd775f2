/* test-ja4.c: the JA4 computation (engine-ja4.c) on the worked examples of FoxIO's published
 * specification (technical_details/JA4.md): the fingerprint, its empty-list and no-signature
 * forms, the ALPN rules and GREASE. The values from real captures (Suricata's expectations
 * for sv-ja4-tls.pcap and sv-ja4-tls-quic-ipv6.pcap) are checked by test_http_forensics.py.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "engine/engine-ja4.h"

/* The specification's example ClientHello, with GREASE values added where browsers put
 * them: JA4 must ignore them. */
static const guint16 example_ciphers[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
					  0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const guint16 example_extensions[] = {0x2a2a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d,
					     0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a,
					     0x0015, 0xfafa};
static const guint16 example_algorithms[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
static const guint16 example_versions[] = {0x3a3a, 0x0304, 0x0303};

static EngineJa4Hello
example_hello(void)
{
	EngineJa4Hello hello = {
		.transport = 't',
		.version = 0x0303,
		.supported_versions = example_versions,
		.n_supported_versions = G_N_ELEMENTS(example_versions),
		.ciphers = example_ciphers,
		.n_ciphers = G_N_ELEMENTS(example_ciphers),
		.extensions = example_extensions,
		.n_extensions = G_N_ELEMENTS(example_extensions),
		.signature_algorithms = example_algorithms,
		.n_signature_algorithms = G_N_ELEMENTS(example_algorithms),
		.alpn = (const guint8 *)"h2",
		.alpn_length = 2,
	};
	return hello;
}

static void
assert_ja4(const EngineJa4Hello *hello, const char *expected)
{
	g_autofree char *ja4 = engine_ja4_compute(hello);
	g_assert_cmpstr(ja4, ==, expected);
}

static void
test_ja4_example(void)
{
	EngineJa4Hello hello = example_hello();
	assert_ja4(&hello, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	/* The same hello over QUIC only changes the first character. */
	hello.transport = 'q';
	assert_ja4(&hello, "q13d1516h2_8daaf6152771_e5627efa2ab1");
}

static void
test_ja4_no_signature_algorithms(void)
{
	/* "0005,...,ff01 = 6d807ffa2a79": no underscore when there are no algorithms. */
	EngineJa4Hello hello = example_hello();
	hello.n_signature_algorithms = 0;
	assert_ja4(&hello, "t13d1516h2_8daaf6152771_6d807ffa2a79");
}

static void
test_ja4_empty_lists(void)
{
	/* No ciphers and no extensions: zeros, not the hash of nothing; no supported_versions:
	 * the hello's own version; no SNI: "i"; no ALPN: "00". */
	static const guint16 only_sni_alpn[] = {0x0000, 0x0010};
	EngineJa4Hello hello = {.transport = 't', .version = 0x0301};
	assert_ja4(&hello, "t10i000000_000000000000_000000000000");
	hello.extensions = only_sni_alpn;
	hello.n_extensions = G_N_ELEMENTS(only_sni_alpn);
	assert_ja4(&hello, "t10d000200_000000000000_000000000000");
	hello.version = 0xabcd;
	assert_ja4(&hello, "t00d000200_000000000000_000000000000");
}

static void
test_ja4_versions(void)
{
	static const guint16 dtls[] = {0xfefd, 0xfefc, 0x1a1a};
	EngineJa4Hello hello = {.transport = 'd', .version = 0xfefd, .supported_versions = dtls,
				.n_supported_versions = G_N_ELEMENTS(dtls)};
	/* DTLS versions count down: 0xfefc (1.3) is higher than 0xfefd (1.2). */
	assert_ja4(&hello, "dd3i000000_000000000000_000000000000");
	hello.n_supported_versions = 0;
	assert_ja4(&hello, "dd2i000000_000000000000_000000000000");
}

/* The specification's ALPN list: letters and digits as they are, else hex's first and last. */
static void
test_ja4_alpn(void)
{
	static const struct {
		const char *bytes;
		gsize length;
		const char *expected;
	} cases[] = {
		{"h2", 2, "h2"},         {"http/1.1", 8, "h1"}, {"x", 1, "xx"},
		{"\xab", 1, "ab"},       {"\x20", 1, "20"},     {"\xab\xcd", 2, "ad"},
		{"\x20\x61", 2, "21"},   {"\x30\xab", 2, "3b"}, {"\x61\x20", 2, "60"},
		{"\x30\x31\xab\xcd", 4, "3d"}, {"\x30\xab\xcd\x31", 4, "01"}, {"", 0, "00"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		EngineJa4Hello hello = {.transport = 't', .version = 0x0303, .alpn = (const guint8 *)cases[i].bytes,
					.alpn_length = cases[i].length};
		g_autofree char *ja4 = engine_ja4_compute(&hello);
		g_autofree char *alpn = g_strndup(ja4 + 8, 2);
		g_assert_cmpstr(alpn, ==, cases[i].expected);
	}
}

static void
test_ja4_grease(void)
{
	for (guint value = 0; value <= 0xffff; value++) {
		gboolean grease = (value & 0xff) == (value >> 8) && (value & 0x0f) == 0x0a;
		g_assert_cmpint(engine_ja4_is_grease((guint16)value), ==, grease);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ja4/example", test_ja4_example);
	g_test_add_func("/ja4/no-signature-algorithms", test_ja4_no_signature_algorithms);
	g_test_add_func("/ja4/empty-lists", test_ja4_empty_lists);
	g_test_add_func("/ja4/versions", test_ja4_versions);
	g_test_add_func("/ja4/alpn", test_ja4_alpn);
	g_test_add_func("/ja4/grease", test_ja4_grease);
	return g_test_run();
}
