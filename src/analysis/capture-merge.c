/* capture-merge.c: merge_files() of libwiretap, then an optional duplicate-removing copy.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "merge"

#include "analysis/capture-merge.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include <wireshark.h>
#include <wiretap/merge.h>
#include <wiretap/wtap.h>
#include <wsutil/buffer.h>

#include "analysis/wiretap-lock.h"
#include "sharkapi-error.h"

/* editcap -d: the packet and the 4 before it. */
#define CAPTURE_MERGE_DUP_WINDOW 5
#define CAPTURE_MERGE_MD5_LENGTH 16

typedef struct {
	guint8 digest[CAPTURE_MERGE_MD5_LENGTH];
	guint32 length;
} CaptureMergeDigest;

/* The last CAPTURE_MERGE_DUP_WINDOW packets, as a ring. */
typedef struct {
	CaptureMergeDigest ring[CAPTURE_MERGE_DUP_WINDOW];
	guint current;
} CaptureMergeDuplicates;

static SharkapiErrorCode
capture_merge_write_code(int err)
{
	return err == ENOSPC || err == EDQUOT ? SHARKAPI_ERROR_NO_SPACE : SHARKAPI_ERROR_INTERNAL;
}

/* Error text without server paths: it reaches the client. Takes err_info. */
static void
capture_merge_set_error(GError **error, SharkapiErrorCode code, const char *what, int err, char *err_info)
{
	if (err_info != NULL)
		g_set_error(error, SHARKAPI_ERROR, code, "%s: %s (%s)", what, wtap_strerror(err), err_info);
	else
		g_set_error(error, SHARKAPI_ERROR, code, "%s: %s", what, wtap_strerror(err));
	g_free(err_info);
}

static gboolean
capture_merge_files(const char *const *inputs, guint n_inputs, const char *output, GError **error)
{
	int err = 0;
	char *err_info = NULL;
	guint err_fileno = 0;
	guint32 err_framenum = 0;
	merge_result result = merge_files(output, wtap_pcapng_file_type_subtype(), inputs, n_inputs, FALSE,
					  IDB_MERGE_MODE_ALL_SAME, 0, "sharkapi " SHARKAPI_VERSION, NULL, &err,
					  &err_info, &err_fileno, &err_framenum);
	switch (result) {
	case MERGE_OK:
		return TRUE;
	case MERGE_ERR_CANT_OPEN_INFILE:
	case MERGE_ERR_CANT_READ_INFILE:
	case MERGE_ERR_BAD_PHDR_INTERFACE_ID: {
		g_autofree char *what = g_strdup_printf("capture %u of the merge cannot be read to its end (frame %u)",
							err_fileno + 1, err_framenum);
		capture_merge_set_error(error, SHARKAPI_ERROR_UNPROCESSABLE, what, err, err_info);
		return FALSE;
	}
	case MERGE_ERR_CANT_WRITE_OUTFILE:
	case MERGE_ERR_CANT_OPEN_OUTFILE:
	case MERGE_ERR_CANT_CLOSE_OUTFILE:
		capture_merge_set_error(error, capture_merge_write_code(err), "writing the merged capture", err, err_info);
		return FALSE;
	default:
		g_free(err_info);
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "merging failed (wiretap result %d)", result);
		return FALSE;
	}
}

/* editcap's rule: the packet's digest replaces the oldest of the ring, then is compared with
 * the others. */
static gboolean
capture_merge_is_duplicate(CaptureMergeDuplicates *self, const guint8 *data, guint32 length)
{
	g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);
	gsize digest_length = CAPTURE_MERGE_MD5_LENGTH;

	self->current = (self->current + 1) % CAPTURE_MERGE_DUP_WINDOW;
	CaptureMergeDigest *entry = &self->ring[self->current];
	g_checksum_update(md5, data, length);
	g_checksum_get_digest(md5, entry->digest, &digest_length);
	entry->length = length;
	for (guint i = 0; i < CAPTURE_MERGE_DUP_WINDOW; i++) {
		if (i != self->current && self->ring[i].length == length &&
		    memcmp(self->ring[i].digest, entry->digest, CAPTURE_MERGE_MD5_LENGTH) == 0)
			return TRUE;
	}
	return FALSE;
}

typedef struct {
	wtap *input;
	wtap_dumper *output;
	wtap_dump_params params;
	gboolean params_set;
	wtap_rec rec;
	Buffer buffer;
} CaptureMergeCopy;

static void
capture_merge_copy_clear(CaptureMergeCopy *copy)
{
	if (copy->output != NULL)
		wtap_dump_close(copy->output, NULL, NULL, NULL);
	if (copy->params_set) {
		/* libwiretap 4.0 leaves the interface list's wrapper to the caller (its array is the
		 * input's own). */
		g_free(copy->params.idb_inf);
		copy->params.idb_inf = NULL;
		wtap_dump_params_cleanup(&copy->params);
	}
	if (copy->input != NULL)
		wtap_close(copy->input);
	wtap_rec_cleanup(&copy->rec);
	ws_buffer_free(&copy->buffer);
}

static gboolean
capture_merge_copy_records(CaptureMergeCopy *copy, GError **error)
{
	CaptureMergeDuplicates duplicates = {0};
	int err = 0;
	char *err_info = NULL;
	gint64 offset = 0;

	while (wtap_read(copy->input, &copy->rec, &copy->buffer, &err, &err_info, &offset)) {
		const guint8 *data = ws_buffer_start_ptr(&copy->buffer);
		gboolean keep = copy->rec.rec_type != REC_TYPE_PACKET ||
				!capture_merge_is_duplicate(&duplicates, data, copy->rec.rec_header.packet_header.caplen);
		if (keep && !wtap_dump(copy->output, &copy->rec, data, &err, &err_info)) {
			capture_merge_set_error(error, capture_merge_write_code(err), "writing the merged capture", err,
						err_info);
			return FALSE;
		}
		wtap_rec_reset(&copy->rec);
	}
	if (err != 0) {
		capture_merge_set_error(error, SHARKAPI_ERROR_UNPROCESSABLE, "reading the merged capture", err, err_info);
		return FALSE;
	}
	return TRUE;
}

/* Copies merged into output without duplicates, keeping its format, interfaces and SHB. */
static gboolean
capture_merge_remove_duplicates(const char *merged, const char *output, GError **error)
{
	CaptureMergeCopy copy = {0};
	int err = 0;
	char *err_info = NULL;
	gboolean ok = FALSE;

	wtap_rec_init(&copy.rec);
	ws_buffer_init(&copy.buffer, 1514);
	copy.input = wtap_open_offline(merged, WTAP_TYPE_AUTO, &err, &err_info, FALSE);
	if (copy.input == NULL) {
		capture_merge_set_error(error, SHARKAPI_ERROR_INTERNAL, "reading the merged capture", err, err_info);
		goto out;
	}
	wtap_dump_params_init(&copy.params, copy.input);
	copy.params_set = TRUE;
	copy.output = wtap_dump_open(output, wtap_file_type_subtype(copy.input), WTAP_UNCOMPRESSED, &copy.params, &err,
				     &err_info);
	if (copy.output == NULL) {
		capture_merge_set_error(error, capture_merge_write_code(err), "writing the merged capture", err, err_info);
		goto out;
	}
	ok = capture_merge_copy_records(&copy, error);
	if (ok) {
		wtap_dumper *dumper = g_steal_pointer(&copy.output);
		if (!wtap_dump_close(dumper, NULL, &err, &err_info)) {
			capture_merge_set_error(error, capture_merge_write_code(err), "writing the merged capture", err,
						err_info);
			ok = FALSE;
		}
	}
out:
	capture_merge_copy_clear(&copy);
	return ok;
}

gboolean
capture_merge(const char *const *inputs, guint n_inputs, const char *output, gboolean remove_duplicates,
	      GError **error)
{
	gboolean ok;
	wiretap_lock();
	if (!remove_duplicates) {
		ok = capture_merge_files(inputs, n_inputs, output, error);
	} else {
		/* As `mergecap` then `editcap -d`: the duplicates window runs over the merged order. */
		g_autofree char *merged = g_strconcat(output, ".merged", NULL);
		ok = capture_merge_files(inputs, n_inputs, merged, error) &&
		     capture_merge_remove_duplicates(merged, output, error);
		g_unlink(merged);
	}
	wiretap_unlock();
	return ok;
}
