/* capinfo.h: what capinfos says about a capture, computed with libwiretap alone.
 * Used by the server to accept or refuse an upload (API.md: 415 rules) and to fill the
 * v1 info route and the status route. Reads every record once, dissects nothing.
 * Must not include epan headers: the server never links libwireshark (DESIGN.md).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	guint64 file_size;      /* bytes of the file as stored (compressed size for .gz) */
	guint64 packets;        /* packet records, as capinfos "Number of packets" */
	guint64 data_size;      /* sum of original packet lengths, capinfos "Data size" */
	gboolean has_times;     /* TRUE when there are packets and every record has a time stamp */
	double start_time;      /* epoch seconds of the earliest time stamp (0 without times) */
	double end_time;        /* epoch seconds of the latest time stamp (0 without times) */
	gint64 start_time_ns;   /* the same two, exact */
	gint64 end_time_ns;
	int time_digits;        /* fraction digits capinfos prints for the duration (6 for usec) */
	int start_time_digits;  /* ... and for each of the two time stamps */
	int end_time_digits;
	char *file_type;        /* capinfos "File type": "Wireshark/tcpdump/... - pcap",
	                         * with " (gzip compressed)" when compressed */
	char *file_type_name;   /* wiretap's short name: "pcap", "pcapng" */
	char *encapsulation;    /* capinfos "File encapsulation": "Ethernet", "Per packet" */
	char *encapsulation_name; /* wiretap's short name: "ether", "per-packet" */
	gboolean truncated;     /* the file ends or breaks after at least one complete packet */
	char *warning;          /* wiretap's reason when truncated (no path in it), else NULL */
} CapInfo;

/* Once per process, before capinfo_read: wiretap's tables, no plugins. Safe to call again. */
gboolean capinfo_init(GError **error);

/* Reads every record of the capture at path. Refuses (SHARKAPI_ERROR_UNSUPPORTED_MEDIA) an
 * empty file, a format wiretap does not know, a non-capture (image, JSON, ...) and a capture
 * whose first packet is unreadable; an I/O failure is SHARKAPI_ERROR_INTERNAL. Any thread may
 * call it: it holds the wiretap lock (wiretap-lock.h), so reads run one at a time. */
CapInfo *capinfo_read(const char *path, GError **error);

void capinfo_free(CapInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CapInfo, capinfo_free)

/* capinfos' derived values. Rates are 0 when the duration is 0 or unknown. */
double capinfo_duration(const CapInfo *info);          /* seconds, last minus first time stamp */
double capinfo_data_byte_rate(const CapInfo *info);    /* data bytes per second */
double capinfo_data_bit_rate(const CapInfo *info);     /* data bits per second */
double capinfo_avg_packet_size(const CapInfo *info);   /* data bytes per packet, 0 without packets */
double capinfo_avg_packet_rate(const CapInfo *info);   /* packets per second */

/* Text as capinfos prints it (UTC, its number of fraction digits), or "n/a" without times:
 * "2017-05-09 21:07:38.364077" and "5.846900". */
char *capinfo_format_time(const CapInfo *info, gboolean end);
char *capinfo_format_duration(const CapInfo *info);

G_END_DECLS
