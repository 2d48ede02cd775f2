/* engine-ja4.h: the JA4 TLS client fingerprint (FoxIO's published JA4 specification,
 * technical_details/JA4.md), computed from a ClientHello's values; libwireshark 4.0 has none.
 * Must not read dissection trees: engine-tls.c collects the values and calls this.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What JA4 reads from one ClientHello. Lists are in the order the hello carries them,
 * GREASE values included (JA4 drops them itself). */
typedef struct {
	char transport;                 /* 't' TLS over TCP, 'q' QUIC, 'd' DTLS */
	guint16 version;                /* the hello's protocol version (legacy_version) */
	const guint16 *supported_versions; /* the supported_versions extension's list */
	guint n_supported_versions;
	const guint16 *ciphers;
	guint n_ciphers;
	const guint16 *extensions;      /* extension types */
	guint n_extensions;
	const guint16 *signature_algorithms; /* the signature_algorithms extension's list */
	guint n_signature_algorithms;
	const guint8 *alpn;             /* the first ALPN protocol's bytes; NULL when none */
	gsize alpn_length;
} EngineJa4Hello;

/* TRUE for the reserved GREASE values (RFC 8701: 0x0a0a, 0x1a1a, ..., 0xfafa). */
gboolean engine_ja4_is_grease(guint16 value);

/* The fingerprint, "t13d1516h2_8daaf6152771_e5627efa2ab1". */
char *engine_ja4_compute(const EngineJa4Hello *hello);

G_END_DECLS
