/* engine-ja4.c: JA4 = a_b_c. a: transport, version, SNI or not, cipher and extension counts,
 * ALPN's first and last characters; b: the sorted ciphers' hash; c: the sorted extensions'
 * (less SNI and ALPN) and the signature algorithms' hash. GREASE is ignored everywhere.
 * Written from the specification's text, not from any implementation.
 * Must not know where the values come from (engine-tls.c reads them from libwireshark).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine-ja4"

#include "engine/engine-ja4.h"

#include <stdlib.h>

#define ENGINE_JA4_EMPTY_HASH "000000000000"
#define ENGINE_JA4_EXTENSION_SNI 0x0000
#define ENGINE_JA4_EXTENSION_ALPN 0x0010

gboolean
engine_ja4_is_grease(guint16 value)
{
	return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

static const char *
engine_ja4_version_code(guint16 version)
{
	switch (version) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

/* The highest non-GREASE value in supported_versions, else the hello's own version. "Highest"
 * is the value's, as the specification says and as FoxIO's DTLS implementations (Zeek,
 * Wireshark, Arkime) take it: a DTLS 1.3 client offering 1.2 too (0xfefc, 0xfefd) is "d2",
 * and a TLS 1.3 draft (0x7f1c) above 0x0304 is "00". */
static guint16
engine_ja4_version(const EngineJa4Hello *hello)
{
	gboolean found = FALSE;
	guint16 best = 0;
	for (guint i = 0; i < hello->n_supported_versions; i++) {
		guint16 version = hello->supported_versions[i];
		if (engine_ja4_is_grease(version))
			continue;
		best = MAX(best, version);
		found = TRUE;
	}
	return found ? best : hello->version;
}

static gboolean
engine_ja4_is_alnum(guint8 c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* First and last characters of the first ALPN value; when either byte is not an ASCII
 * letter or digit, the first and last characters of the value's hex instead. */
static void
engine_ja4_alpn(const EngineJa4Hello *hello, GString *out)
{
	static const char hex[] = "0123456789abcdef";
	if (hello->alpn == NULL || hello->alpn_length == 0) {
		g_string_append(out, "00");
		return;
	}
	guint8 first = hello->alpn[0];
	guint8 last = hello->alpn[hello->alpn_length - 1];
	if (engine_ja4_is_alnum(first) && engine_ja4_is_alnum(last)) {
		g_string_append_c(out, (char)first);
		g_string_append_c(out, (char)last);
	} else {
		g_string_append_c(out, hex[first >> 4]);
		g_string_append_c(out, hex[last & 0x0f]);
	}
}

static int
engine_ja4_compare_u16(const void *a, const void *b)
{
	return (int)*(const guint16 *)a - (int)*(const guint16 *)b;
}

/* The non-GREASE values (less the excluded ones, when given), sorted or not. */
static GArray *
engine_ja4_filter(const guint16 *values, guint n, gboolean drop_sni_alpn, gboolean sort)
{
	GArray *kept = g_array_sized_new(FALSE, FALSE, sizeof(guint16), n);
	for (guint i = 0; i < n; i++) {
		if (engine_ja4_is_grease(values[i]))
			continue;
		if (drop_sni_alpn && (values[i] == ENGINE_JA4_EXTENSION_SNI || values[i] == ENGINE_JA4_EXTENSION_ALPN))
			continue;
		g_array_append_val(kept, values[i]);
	}
	if (sort)
		qsort(kept->data, kept->len, sizeof(guint16), engine_ja4_compare_u16);
	return kept;
}

static void
engine_ja4_append_list(GString *out, const GArray *values)
{
	for (guint i = 0; i < values->len; i++)
		g_string_append_printf(out, i == 0 ? "%04x" : ",%04x", g_array_index(values, guint16, i));
}

/* The first 12 hex characters of the text's SHA-256. */
static void
engine_ja4_append_hash(GString *out, const GString *text)
{
	g_autofree char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text->str, text->len);
	g_string_append_len(out, digest, 12);
}

static guint
engine_ja4_count(const guint16 *values, guint n)
{
	guint count = 0;
	for (guint i = 0; i < n; i++)
		count += !engine_ja4_is_grease(values[i]);
	return MIN(count, 99);
}

char *
engine_ja4_compute(const EngineJa4Hello *hello)
{
	GString *out = g_string_new(NULL);
	gboolean has_sni = FALSE;

	for (guint i = 0; i < hello->n_extensions; i++)
		has_sni |= hello->extensions[i] == ENGINE_JA4_EXTENSION_SNI;
	g_string_append_c(out, hello->transport);
	g_string_append(out, engine_ja4_version_code(engine_ja4_version(hello)));
	g_string_append_c(out, has_sni ? 'd' : 'i');
	g_string_append_printf(out, "%02u%02u", engine_ja4_count(hello->ciphers, hello->n_ciphers),
			       engine_ja4_count(hello->extensions, hello->n_extensions));
	engine_ja4_alpn(hello, out);

	g_autoptr(GArray) ciphers = engine_ja4_filter(hello->ciphers, hello->n_ciphers, FALSE, TRUE);
	g_autoptr(GString) cipher_text = g_string_new(NULL);
	engine_ja4_append_list(cipher_text, ciphers);
	g_string_append_c(out, '_');
	if (ciphers->len == 0)
		g_string_append(out, ENGINE_JA4_EMPTY_HASH);
	else
		engine_ja4_append_hash(out, cipher_text);

	g_autoptr(GArray) extensions = engine_ja4_filter(hello->extensions, hello->n_extensions, TRUE, TRUE);
	g_autoptr(GArray) algorithms =
		engine_ja4_filter(hello->signature_algorithms, hello->n_signature_algorithms, FALSE, FALSE);
	g_autoptr(GString) extension_text = g_string_new(NULL);
	engine_ja4_append_list(extension_text, extensions);
	/* Without signature algorithms the text ends without the underscore. */
	if (algorithms->len > 0) {
		g_string_append_c(extension_text, '_');
		engine_ja4_append_list(extension_text, algorithms);
	}
	g_string_append_c(out, '_');
	if (extensions->len == 0)
		g_string_append(out, ENGINE_JA4_EMPTY_HASH);
	else
		engine_ja4_append_hash(out, extension_text);
	return g_string_free(out, FALSE);
}
