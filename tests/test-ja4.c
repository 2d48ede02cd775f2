/* test-ja4.c: the JA4 computation (engine-ja4.c) on the worked examples of FoxIO's published
 * specification (technical_details/JA4.md): the fingerprint, its empty-list and no-signature
 * forms, the ALPN rules and GREASE; and on the lists of ClientHellos in FoxIO's own test
 * captures with FoxIO's expected JA4 (FoxIO-LLC/ja4, python/test/testdata, one JSON file per
 * capture, whose JA4_ro gives each hello's lists in order, GREASE left out). The values from
 * real captures (Suricata's expectations for sv-ja4-tls.pcap and sv-ja4-tls-quic-ipv6.pcap) are
 * checked by test_http_forensics.py, hellos built byte by byte by test_ja4_hellos.py.
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
	/* "The highest value in the extension": 0xfefd (DTLS 1.2) is above 0xfefc (DTLS 1.3), as
	 * FoxIO's DTLS implementations (Zeek, Wireshark, Arkime) take it. */
	assert_ja4(&hello, "dd2i000000_000000000000_000000000000");
	/* A client of DTLS 1.3 alone. */
	hello.n_supported_versions = 1;
	hello.supported_versions = dtls + 1;
	assert_ja4(&hello, "dd3i000000_000000000000_000000000000");
	hello.n_supported_versions = 0;
	hello.version = 0xfeff;
	assert_ja4(&hello, "dd1i000000_000000000000_000000000000");
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
		/* FoxIO-LLC/ja4-nginx-module test/pytest/test_alpn.py */
		{"h", 1, "hh"},          {"h ", 2, "60"},       {" h", 2, "28"},
		{"  ", 2, "20"},         {"--", 2, "2d"},
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

/* "1301,1302" -> {0x1301, 0x1302}; "" -> none. */
static GArray *
parse_list(const char *text)
{
	GArray *values = g_array_new(FALSE, FALSE, sizeof(guint16));
	g_auto(GStrv) items = g_strsplit(text, ",", -1);
	for (guint i = 0; items[i] != NULL; i++) {
		if (items[i][0] == '\0')
			continue;
		guint16 value = (guint16)g_ascii_strtoull(items[i], NULL, 16);
		g_array_append_val(values, value);
	}
	return values;
}

/* The list with a GREASE value in front, as browsers send them: JA4 must not see it. */
static GArray *
parse_list_greased(const char *text, guint16 grease)
{
	GArray *values = parse_list(text);
	if (grease != 0)
		g_array_prepend_val(values, grease);
	return values;
}

static const struct {
	const char *source; /* FoxIO-LLC/ja4 python/test/testdata/<source>.json, the hello's JA4.1;
			     * or FoxIO-LLC/ja4-nginx-module test/testdata/<source> */
	guint16 version;
	const char *ciphers, *extensions, *algorithms; /* JA4_ro's lists */
	const char *alpn;
	gsize alpn_length;
	const char *expected;
} foxio_cases[] = {
	/* TLS 1.0 with SNI as its only extension: one extension counted, none hashed. */
	{"https3-301-get.pcap", 0x0301,
	 "0039,0038,0035,0016,0013,000a,0033,0032,002f,009a,0099,0096,0005,0004,0015,0012,0009,0014,0011,0008,0006,0003,00ff",
	 "0000", "", "", 0, "t10d230100_6a57a6f57151_000000000000"},
	/* TLS 1.2, no ALPN; 0x0201 and friends in signature_algorithms. */
	{"latest.pcapng", 0x0303,
	 "c02c,c02b,c030,c02f,c024,c023,c028,c027,c00a,c009,c014,c013,009d,009c,003d,003c,0035,002f,000a",
	 "0000,0005,000a,000b,000d,0023,0017,ff01", "0804,0805,0806,0401,0501,0201,0403,0503,0203,0202,0601,0603", "", 0,
	 "t12d190800_d83cc789557e_7af1ed941c26"},
	/* 0xefef, 0xeeee, 0xeded look like GREASE and are not: they stay. */
	{"ipv6.pcapng", 0x0303,
	 "c030,c02c,c028,c024,c014,c00a,009f,006b,0039,cca9,cca8,ccaa,ff85,00c4,0088,0081,009d,003d,0035,00c0,0084,c02f,c02b,"
	 "c027,c023,c013,c009,009e,0067,0033,00be,0045,009c,003c,002f,00ba,0041,c011,c007,0005,0004,c012,c008,0016,000a,00ff",
	 "0000,000b,000a,000d,0010", "0601,0603,efef,0501,0503,0401,0403,eeee,eded,0301,0303,0201,0203", "h2", 2,
	 "t12d4605h2_85626a9a5f7f_aaf95bb78ec9"},
	/* A signature algorithm listed twice is hashed twice. */
	{"macos_tcp_flags.pcap", 0x0303,
	 "1301,1302,1303,c02c,c02b,c024,c023,c00a,c009,cca9,c030,c02f,c028,c027,c014,c013,cca8,009d,009c,003d,003c,0035,002f,"
	 "c008,c012,000a",
	 "ff01,0000,0017,000d,0005,0012,0010,000b,0033,002d,002b,000a,0015",
	 "0403,0804,0401,0503,0203,0805,0805,0501,0806,0601,0201", "h2", 2, "t13d2613h2_2802a3db6c62_845d286b0d67"},
	/* delegated_credentials (0x0022) has algorithms of its own: not these. */
	{"tls12.pcap", 0x0303, "1301,1303,1302,c02b,c02f,cca9,cca8,c02c,c030,c00a,c009,c013,c014,009c,009d,002f,0035",
	 "0000,0017,ff01,000a,000b,0023,0010,0005,0022,0033,002b,000d,002d,001c,0015",
	 "0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201", "h2", 2, "t13d1715h2_5b57614c22b0_3d5424432f57"},
	/* Chromium 152 (FoxIO pcap/sigalg-grease.pcapng, FoxIO's data from after 0e54bc83): ECH,
	 * the new ALPS code point, ML-DSA algorithms; a GREASE algorithm is put back below. */
	{"sigalg-grease.pcapng", 0x0303, "1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035",
	 "fe0d,0010,0017,0033,44cd,ff01,000a,000d,0023,002b,000b,ca34,002d,0000,0005,001b,0012",
	 "0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601", "h2", 2, "t13d1517h2_8daaf6152771_cb7bf5808d99"},
	/* The first ALPN value is the bytes 0xba 0xad: FoxIO's implementations print "99" (their
	 * JA4.1 is t13d151699_8daaf6152771_e5627efa2ab1), the specification's current rule the first
	 * and last hex digits, "bd" (FoxIO-LLC/ja4 issue #326). */
	{"tls-non-ascii-alpn.pcapng", 0x0303, "1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035",
	 "ff01,0033,002d,0005,4469,000d,0010,0023,001b,002b,0000,0012,000a,0017,000b,0015",
	 "0403,0804,0401,0503,0805,0501,0806,0601", "\xba\xad", 2, "t13d1516bd_8daaf6152771_e5627efa2ab1"},
	/* FoxIO's nginx module: its "JA4 String" lists (sorted, SNI and ALPN left out: put back
	 * here). ECH and the new ALPS code point. */
	{"ech_alps.txt", 0x0303, "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9",
	 "0000,0010,0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01",
	 "0403,0804,0401,0503,0805,0501,0806,0601", "h2", 2, "t13d1516h2_8daaf6152771_d8a2da3f94cd"},
	/* No SNI, 30 ciphers, ML-DSA and brainpool algorithms. */
	{"no_sni_ip.txt", 0x0303,
	 "002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,1301,1302,1303,c009,c00a,c013,c014,c023,c024,c027,"
	 "c028,c02b,c02c,c02f,c030,cca8,cca9,ccaa",
	 "0010,000a,000b,000d,0016,0017,002b,002d,0031,0033,ff01",
	 "0905,0906,0904,0403,0503,0603,0807,0808,081a,081b,081c,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,"
	 "0302,0402,0502,0602",
	 "h2", 2, "t13i3011h2_1d37bd780c83_882d495ac381"},
};

static void
test_ja4_foxio_captures(void)
{
	static const guint16 tls13[] = {0x5a5a, 0x0304, 0x0303};
	for (guint i = 0; i < G_N_ELEMENTS(foxio_cases); i++) {
		g_autoptr(GArray) ciphers = parse_list_greased(foxio_cases[i].ciphers, 0x0a0a);
		g_autoptr(GArray) extensions = parse_list_greased(foxio_cases[i].extensions, 0xdada);
		g_autoptr(GArray) algorithms = parse_list_greased(foxio_cases[i].algorithms,
								   strcmp(foxio_cases[i].source, "sigalg-grease.pcapng") == 0 ? 0x1a1a : 0);
		gboolean has_tls13 = g_str_has_prefix(foxio_cases[i].expected, "t13");
		EngineJa4Hello hello = {
			.transport = 't',
			.version = foxio_cases[i].version,
			.supported_versions = has_tls13 ? tls13 : NULL,
			.n_supported_versions = has_tls13 ? G_N_ELEMENTS(tls13) : 0,
			.ciphers = (const guint16 *)ciphers->data,
			.n_ciphers = ciphers->len,
			.extensions = (const guint16 *)extensions->data,
			.n_extensions = extensions->len,
			.signature_algorithms = (const guint16 *)algorithms->data,
			.n_signature_algorithms = algorithms->len,
			.alpn = foxio_cases[i].alpn_length > 0 ? (const guint8 *)foxio_cases[i].alpn : NULL,
			.alpn_length = foxio_cases[i].alpn_length,
		};
		g_autofree char *ja4 = engine_ja4_compute(&hello);
		if (g_strcmp0(ja4, foxio_cases[i].expected) != 0)
			g_error("%s: %s, FoxIO %s", foxio_cases[i].source, ja4, foxio_cases[i].expected);
	}
}

/* The sha256's first 12 hex digits of the values, "%04x" and comma-separated, less one. */
static char *
hash_of_range(guint16 first, guint16 last, guint16 left_out)
{
	g_autoptr(GString) text = g_string_new(NULL);
	for (guint value = first; value <= last; value++)
		if (value != left_out)
			g_string_append_printf(text, text->len == 0 ? "%04x" : ",%04x", value);
	g_autofree char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text->str, text->len);
	return g_strndup(digest, 12);
}

/* Counts stop at 99 while the hashes take every value. */
static void
test_ja4_counts_cap(void)
{
	g_autoptr(GArray) values = g_array_new(FALSE, FALSE, sizeof(guint16));
	for (guint16 value = 1; value <= 120; value++)
		g_array_append_val(values, value);
	/* 120 ciphers 0x0001..0x0078, and 120 extension types the same numbers: ALPN (0x0010) is
	 * counted and left out of the hash. */
	EngineJa4Hello hello = {.transport = 't', .version = 0x0303, .ciphers = (const guint16 *)values->data,
				.n_ciphers = values->len, .extensions = (const guint16 *)values->data,
				.n_extensions = values->len};
	g_autofree char *ciphers = hash_of_range(1, 120, 0);
	g_autofree char *extensions = hash_of_range(1, 120, 0x0010);
	g_autofree char *expected = g_strdup_printf("t12i999900_%s_%s", ciphers, extensions);
	assert_ja4(&hello, expected);
}

/* The two-character versions the specification lists, and supported_versions' edge cases. */
static void
test_ja4_version_codes(void)
{
	static const struct {
		guint16 version;
		const char *code;
	} codes[] = {{0x0304, "13"}, {0x0303, "12"}, {0x0302, "11"}, {0x0301, "10"}, {0x0300, "s3"},
		     {0x0002, "s2"}, {0xfeff, "d1"}, {0xfefd, "d2"}, {0xfefc, "d3"}, {0x0200, "00"},
		     {0x0100, "00"}, {0x7f1c, "00"}};
	for (guint i = 0; i < G_N_ELEMENTS(codes); i++) {
		EngineJa4Hello hello = {.transport = 't', .version = codes[i].version};
		g_autofree char *ja4 = engine_ja4_compute(&hello);
		g_autofree char *code = g_strndup(ja4 + 1, 2);
		g_assert_cmpstr(code, ==, codes[i].code);
	}
	/* Only GREASE in supported_versions: the hello's own version. */
	static const guint16 only_grease[] = {0x2a2a};
	EngineJa4Hello hello = {.transport = 't', .version = 0x0303, .supported_versions = only_grease,
				.n_supported_versions = 1};
	assert_ja4(&hello, "t12i000000_000000000000_000000000000");
	/* A TLS 1.3 draft version is numerically highest and unknown: "00", as FoxIO's
	 * implementations (which take the largest value) give it. */
	static const guint16 draft[] = {0x7f1c, 0x0304, 0x0303};
	hello.supported_versions = draft;
	hello.n_supported_versions = G_N_ELEMENTS(draft);
	assert_ja4(&hello, "t00i000000_000000000000_000000000000");
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
	g_test_add_func("/ja4/foxio-captures", test_ja4_foxio_captures);
	g_test_add_func("/ja4/counts-cap", test_ja4_counts_cap);
	g_test_add_func("/ja4/version-codes", test_ja4_version_codes);
	return g_test_run();
}
