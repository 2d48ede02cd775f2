/* capinfo.c: capinfos' numbers for one capture, and the upload acceptance rules of API.md.
 * Every record is read with libwiretap, so a file is only accepted once it has been read to
 * its end; the counting follows capinfos (packet records only, earliest and latest time
 * stamps) so that every value agrees with `capinfos -M`.
 * Must not dissect (no epan: the server never links libwireshark) and must not keep state
 * between files beyond wiretap's process-wide tables.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "capinfo"
#define WS_LOG_DOMAIN "capinfo"

#include "wiretap/capinfo.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <wireshark.h>
#include <wiretap/wtap.h>
#include <wsutil/buffer.h>

#include "wiretap/wiretap-lock.h"
#include "sharkapi-error.h"

#define CAPINFO_NS_PER_SEC G_GINT64_CONSTANT(1000000000)

/* What the read loop gathers; CapInfo is filled from it at the end. */
typedef struct {
	guint64 packets;
	guint64 data_size;
	gboolean all_timed;   /* no record without a time stamp so far */
	nstime_t start;
	nstime_t stop;
	int start_tsprec;
	int stop_tsprec;
	int first_packet_encap;
} CapinfoTally;

gboolean
capinfo_init(GError **error)
{
	static gsize initialised = 0;

	if (g_once_init_enter(&initialised)) {
		/* Until ws_log_init() runs, wsutil logs at every level, debug included (wiretap
		 * traces each block it reads); the server never calls it, so quieten it here. */
		ws_log_set_level(LOG_LEVEL_WARNING);
		/* No plugins: a server must not load code from the data or home directories,
		 * and the formats built into libwiretap are the ones API.md promises. */
		wtap_init(FALSE);
		g_once_init_leave(&initialised, 1);
	}
	return TRUE;
}

void
capinfo_free(CapInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->file_type);
	g_free(info->file_type_name);
	g_free(info->encapsulation);
	g_free(info->encapsulation_name);
	g_free(info->warning);
	g_free(info);
}

/* Wiretap's reason for a failed read, worded as tshark and capinfos word it but without the
 * file name: the stored path is the server's business, not the client's. Frees err_info. */
static char *
capinfo_read_error_text(int err, char *err_info)
{
	g_autofree char *detail = err_info;
	const char *why = detail != NULL ? detail : "no information supplied";

	switch (err) {
	case WTAP_ERR_SHORT_READ:
		return g_strdup("The file appears to have been cut short in the middle of a packet.");
	case WTAP_ERR_BAD_FILE:
		return g_strdup_printf("The file appears to be damaged or corrupt. (%s)", why);
	case WTAP_ERR_UNSUPPORTED:
		return g_strdup_printf("The file contains record data that sharkapi doesn't support. (%s)",
				       why);
	case WTAP_ERR_DECOMPRESS:
		return g_strdup_printf("The file cannot be decompressed; it may be damaged or corrupt. (%s)",
				       why);
	case WTAP_ERR_DECOMPRESSION_NOT_SUPPORTED:
		return g_strdup_printf("The file cannot be decompressed; it is compressed in a way that "
				       "we don't support. (%s)", why);
	default:
		return g_strdup_printf("An error occurred while reading the file: %s.", wtap_strerror(err));
	}
}

/* The same for wiretap_open_offline(); every such failure means "not a capture we can read". */
static char *
capinfo_open_error_text(int err, char *err_info)
{
	switch (err) {
	case WTAP_ERR_FILE_UNKNOWN_FORMAT:
		g_free(err_info);
		return g_strdup("The file isn't a capture file in a format sharkapi understands.");
	case WTAP_ERR_ENCAP_PER_PACKET_UNSUPPORTED:
		g_free(err_info);
		return g_strdup("The file is a capture for a network type that sharkapi doesn't support.");
	case WTAP_ERR_SHORT_READ:
		g_free(err_info);
		return g_strdup("The file appears to have been cut short in the middle of a packet or "
				"other data.");
	default:
		return capinfo_read_error_text(err, err_info);
	}
}

/* Wiretap also opens images, JSON, PEM and Ruby marshal data so that Wireshark can show them;
 * none of them is a packet capture, so an upload of one is refused (a PNG opens as "MIME"). */
static gboolean
capinfo_encap_is_capture(int encap)
{
	switch (encap) {
	case WTAP_ENCAP_MIME:
	case WTAP_ENCAP_JPEG_JFIF:
	case WTAP_ENCAP_JSON:
	case WTAP_ENCAP_RFC7468:
	case WTAP_ENCAP_RUBY_MARSHAL:
		return FALSE;
	default:
		return TRUE;
	}
}

/* One record, counted as capinfos counts it: time stamps of every record, sizes of packets. */
static void
capinfo_tally_record(CapinfoTally *tally, const wtap_rec *rec)
{
	if (rec->presence_flags & WTAP_HAS_TS) {
		/* capinfos restarts both ends on every timed record until the first packet. */
		if (tally->packets == 0) {
			tally->start = tally->stop = rec->ts;
			tally->start_tsprec = tally->stop_tsprec = rec->tsprec;
		}
		if (nstime_cmp(&rec->ts, &tally->start) < 0) {
			tally->start = rec->ts;
			tally->start_tsprec = rec->tsprec;
		}
		if (nstime_cmp(&rec->ts, &tally->stop) > 0) {
			tally->stop = rec->ts;
			tally->stop_tsprec = rec->tsprec;
		}
	} else {
		tally->all_timed = FALSE;
	}

	if (rec->rec_type != REC_TYPE_PACKET)
		return;
	if (tally->packets == 0)
		tally->first_packet_encap = rec->rec_header.packet_header.pkt_encap;
	tally->packets++;
	tally->data_size += rec->rec_header.packet_header.len;
}

/* Reads to the end. Returns the wiretap error that stopped it (0 at a clean end). */
static int
capinfo_read_records(wtap *wth, CapinfoTally *tally, char **err_info)
{
	wtap_rec rec;
	Buffer buffer;
	int err = 0;
	gint64 offset;

	wtap_rec_init(&rec);
	ws_buffer_init(&buffer, 1514);
	while (wtap_read(wth, &rec, &buffer, &err, err_info, &offset)) {
		capinfo_tally_record(tally, &rec);
		wtap_rec_reset(&rec);
	}
	wtap_rec_cleanup(&rec);
	ws_buffer_free(&buffer);
	return err;
}

/* Digits capinfos prints for a time stamp of this precision (the WTAP_TSPREC_ values are
 * digit counts; unknown or per-packet falls back to microseconds, as tshark shows them). */
static int
capinfo_tsprec_digits(int tsprec)
{
	if (tsprec < WTAP_TSPREC_SEC || tsprec > WTAP_TSPREC_NSEC)
		return 6;
	return tsprec;
}

static gint64
capinfo_nstime_to_ns(const nstime_t *time)
{
	return (gint64)time->secs * CAPINFO_NS_PER_SEC + time->nsecs;
}

static char *
capinfo_file_type_text(wtap *wth)
{
	int file_type = wtap_file_type_subtype(wth);
	const char *compression = wtap_compression_type_description(wtap_get_compression_type(wth));

	if (compression == NULL)
		return g_strdup(wtap_file_type_subtype_description(file_type));
	return g_strdup_printf("%s (%s)", wtap_file_type_subtype_description(file_type), compression);
}

/* Fills the file-level members (type, encapsulation, size) that wiretap knows after reading. */
static gboolean
capinfo_fill_file(CapInfo *info, wtap *wth, GError **error)
{
	int err = 0;
	gint64 size = wtap_file_size(wth, &err);
	int encap = wtap_file_encap(wth);

	if (size < 0) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "cannot get the file size: %s",
			    g_strerror(err));
		return FALSE;
	}
	info->file_size = (guint64)size;
	info->file_type = capinfo_file_type_text(wth);
	info->file_type_name = g_strdup(wtap_file_type_subtype_name(wtap_file_type_subtype(wth)));
	info->encapsulation = g_strdup(wtap_encap_description(encap));
	info->encapsulation_name = g_strdup(wtap_encap_name(encap));
	return TRUE;
}

static void
capinfo_fill_tally(CapInfo *info, const CapinfoTally *tally)
{
	info->packets = tally->packets;
	info->data_size = tally->data_size;
	info->has_times = tally->all_timed && tally->packets > 0;
	if (!info->has_times)
		return;
	/* As nstime_to_sec(): capinfos derives its rates from these two doubles. */
	info->start_time = (double)tally->start.secs + (double)tally->start.nsecs / 1e9;
	info->end_time = (double)tally->stop.secs + (double)tally->stop.nsecs / 1e9;
	info->start_time_ns = capinfo_nstime_to_ns(&tally->start);
	info->end_time_ns = capinfo_nstime_to_ns(&tally->stop);
	info->start_time_digits = capinfo_tsprec_digits(tally->start_tsprec);
	info->end_time_digits = capinfo_tsprec_digits(tally->stop_tsprec);
	info->time_digits = MAX(info->start_time_digits, info->end_time_digits);
}

static gboolean
capinfo_check_not_empty(const char *path, GError **error)
{
	GStatBuf st;

	if (g_stat(path, &st) != 0) {
		int errsv = errno;
		g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv),
			    "cannot read the stored capture: %s", g_strerror(errsv));
		return FALSE;
	}
	/* Wiretap reads an empty file as an ERF capture with no records: refuse it ourselves. */
	if (st.st_size == 0) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNSUPPORTED_MEDIA,
				    "The file is empty (0 bytes), not a capture file.");
		return FALSE;
	}
	return TRUE;
}

static wtap *
capinfo_open(const char *path, GError **error)
{
	int err = 0;
	char *err_info = NULL;
	wtap *wth = wtap_open_offline(path, WTAP_TYPE_AUTO, &err, &err_info, FALSE);

	if (wth != NULL)
		return wth;
	if (err > 0) {
		/* An errno: our own storage failed, the upload is not to blame. */
		g_free(err_info);
		g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(err),
			    "cannot open the stored capture: %s", g_strerror(err));
		return NULL;
	}
	g_autofree char *text = capinfo_open_error_text(err, err_info);
	g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNSUPPORTED_MEDIA, text);
	return NULL;
}

/* Applies API.md's rules to a file read to its end (or to its first error). */
static gboolean
capinfo_accept(CapInfo *info, wtap *wth, const CapinfoTally *tally, int err, char *err_info,
	       GError **error)
{
	if (!capinfo_encap_is_capture(wtap_file_encap(wth)) ||
	    (tally->packets > 0 && !capinfo_encap_is_capture(tally->first_packet_encap))) {
		g_free(err_info);
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNSUPPORTED_MEDIA,
			    "The file opens only as \"%s\" data (%s), not as a packet capture.",
			    wtap_file_type_subtype_name(wtap_file_type_subtype(wth)),
			    wtap_encap_description(wtap_file_encap(wth)));
		return FALSE;
	}
	if (err > 0) {
		g_free(err_info);
		g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(err),
			    "error reading the capture: %s", g_strerror(err));
		return FALSE;
	}
	if (err == 0)
		return TRUE;

	g_autofree char *text = capinfo_read_error_text(err, err_info);
	if (tally->packets == 0) {
		/* Nothing usable: the file only looks like a capture (pcap magic, then garbage). */
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_UNSUPPORTED_MEDIA,
			    "No packet could be read. %s", text);
		return FALSE;
	}
	/* Wireshark opens such a file with the complete packets it holds, and so do we. */
	info->truncated = TRUE;
	info->warning = g_steal_pointer(&text);
	return TRUE;
}

CapInfo *
capinfo_read(const char *path, GError **error)
{
	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!capinfo_check_not_empty(path, error))
		return NULL;
	wiretap_lock();
	wtap *wth = capinfo_open(path, error);
	if (wth == NULL) {
		wiretap_unlock();
		return NULL;
	}

	g_autoptr(CapInfo) info = g_new0(CapInfo, 1);
	CapinfoTally tally = {.all_timed = TRUE, .first_packet_encap = WTAP_ENCAP_UNKNOWN};
	char *err_info = NULL;
	int err = capinfo_read_records(wth, &tally, &err_info);
	gboolean ok = capinfo_accept(info, wth, &tally, err, err_info, error) &&
		      capinfo_fill_file(info, wth, error);
	wtap_close(wth);
	wiretap_unlock();
	if (!ok)
		return NULL;
	capinfo_fill_tally(info, &tally);
	return g_steal_pointer(&info);
}

double
capinfo_duration(const CapInfo *info)
{
	if (!info->has_times || info->packets < 2)
		return 0.0;
	return info->end_time - info->start_time;
}

double
capinfo_data_byte_rate(const CapInfo *info)
{
	double duration = capinfo_duration(info);
	return duration > 0.0 ? (double)info->data_size / duration : 0.0;
}

double
capinfo_data_bit_rate(const CapInfo *info)
{
	/* capinfos multiplies the byte rate, it does not divide bits by the duration. */
	return capinfo_data_byte_rate(info) * 8;
}

double
capinfo_avg_packet_size(const CapInfo *info)
{
	return info->packets > 0 ? (double)info->data_size / (double)info->packets : 0.0;
}

double
capinfo_avg_packet_rate(const CapInfo *info)
{
	double duration = capinfo_duration(info);
	return duration > 0.0 ? (double)info->packets / duration : 0.0;
}

/* "%s.%0*d" with the fraction cut (not rounded) to digits, as wiretap's formatters do. */
static void
capinfo_append_fraction(GString *out, gint64 nsecs, int digits)
{
	gint64 divisor = 1;

	if (digits == 0)
		return;
	for (int i = digits; i < 9; i++)
		divisor *= 10;
	g_string_append_printf(out, ".%0*" G_GINT64_FORMAT, digits, nsecs / divisor);
}

char *
capinfo_format_time(const CapInfo *info, gboolean end)
{
	if (!info->has_times)
		return g_strdup("n/a");

	gint64 ns = end ? info->end_time_ns : info->start_time_ns;
	gint64 secs = ns / CAPINFO_NS_PER_SEC;
	gint64 nsecs = ns % CAPINFO_NS_PER_SEC;
	if (nsecs < 0) { /* before 1970: keep the fraction positive, as nstime_t does */
		secs -= 1;
		nsecs += CAPINFO_NS_PER_SEC;
	}
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(secs);
	if (time == NULL)
		return g_strdup("n/a");
	g_autofree char *whole = g_date_time_format(time, "%Y-%m-%d %H:%M:%S");
	GString *out = g_string_new(whole);
	capinfo_append_fraction(out, nsecs, end ? info->end_time_digits : info->start_time_digits);
	return g_string_free(out, FALSE);
}

char *
capinfo_format_duration(const CapInfo *info)
{
	if (!info->has_times)
		return g_strdup("n/a");

	gint64 ns = info->end_time_ns - info->start_time_ns;
	GString *out = g_string_new(NULL);
	g_string_append_printf(out, "%" G_GINT64_FORMAT, ns / CAPINFO_NS_PER_SEC);
	capinfo_append_fraction(out, ns % CAPINFO_NS_PER_SEC, info->time_digits);
	return g_string_free(out, FALSE);
}
