/* capture-merge.c: merge_files() of libwiretap within limits, then an optional duplicate-removing copy.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "merge"

#include "wiretap/capture-merge.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include <wireshark.h>
#include <wiretap/merge.h>
#include <wiretap/wtap.h>
#include <wsutil/buffer.h>

#include "wiretap/wiretap-lock.h"
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

/* What a merge may write, counted while merge_files() writes it. */
typedef struct {
	const char *output;
	const CaptureMergeLimits *limits;
	guint64 frames;
	gboolean over_bytes;
	gboolean over_frames;
} CaptureMergeBudget;

/* The output's size is looked at every this many records: a stat per record would cost more
 * than the copy; the writer's buffer makes the count lag by a few KiB at most. */
#define CAPTURE_MERGE_SIZE_CHECK_RECORDS 64

static gboolean
capture_merge_budget_passed(CaptureMergeBudget *budget)
{
	GStatBuf st;
	if (budget->limits->max_bytes > 0 && g_stat(budget->output, &st) == 0 &&
	    (guint64)st.st_size > budget->limits->max_bytes)
		budget->over_bytes = TRUE;
	return budget->over_bytes;
}

/* merge_files() calls it as it goes; TRUE stops the merge. */
static gboolean
capture_merge_progress_cb(merge_event event, int num, const merge_in_file_t in_files[], const guint in_file_count,
			  void *data)
{
	CaptureMergeBudget *budget = data;
	if (event != MERGE_EVENT_RECORD_WAS_READ)
		return FALSE;
	budget->frames++;
	if (budget->limits->max_frames > 0 && budget->frames > budget->limits->max_frames) {
		budget->over_frames = TRUE;
		return TRUE;
	}
	return budget->frames % CAPTURE_MERGE_SIZE_CHECK_RECORDS == 0 && capture_merge_budget_passed(budget);
}

static void
capture_merge_set_budget_error(const CaptureMergeBudget *budget, GError **error)
{
	if (budget->over_frames)
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_TOO_LARGE,
			    "the merged capture would have over %" G_GUINT64_FORMAT " frames (max-frames)",
			    budget->limits->max_frames);
	else
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_TOO_LARGE,
			    "the merged capture would be larger than %" G_GUINT64_FORMAT " bytes (max-upload-size)",
			    budget->limits->max_bytes);
}

/* merge_files() itself. *unreadable_input is the index of an input that could not be read to its
 * end (-1 otherwise), so that the caller can retry with its complete frames. */
static gboolean
capture_merge_files(const char *const *inputs, guint n_inputs, const char *output, const CaptureMergeLimits *limits,
		    int *unreadable_input, GError **error)
{
	int err = 0;
	char *err_info = NULL;
	guint err_fileno = 0;
	guint32 err_framenum = 0;
	CaptureMergeBudget budget = {.output = output, .limits = limits};
	merge_progress_callback_t progress = {.callback_func = capture_merge_progress_cb, .data = &budget};

	*unreadable_input = -1;
	merge_result result = merge_files(output, wtap_pcapng_file_type_subtype(), inputs, n_inputs, FALSE,
					  IDB_MERGE_MODE_ALL_SAME, 0, "sharkapi " SHARKAPI_VERSION, &progress, &err,
					  &err_info, &err_fileno, &err_framenum);
	switch (result) {
	case MERGE_OK:
		/* The last records were still in the writer's buffer at the last look. */
		if (capture_merge_budget_passed(&budget)) {
			capture_merge_set_budget_error(&budget, error);
			return FALSE;
		}
		return TRUE;
	case MERGE_USER_ABORTED:
		capture_merge_set_budget_error(&budget, error);
		return FALSE;
	case MERGE_ERR_CANT_READ_INFILE:
		*unreadable_input = (int)err_fileno;
		/* fall through */
	case MERGE_ERR_CANT_OPEN_INFILE:
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

typedef enum {
	CAPTURE_MERGE_COPY_DROP_DUPLICATES, /* editcap -d over the merged capture */
	CAPTURE_MERGE_COPY_COMPLETE_FRAMES, /* a truncated input's frames up to where it is cut */
} CaptureMergeCopyMode;

static gboolean
capture_merge_copy_records(CaptureMergeCopy *copy, CaptureMergeCopyMode mode, GError **error)
{
	CaptureMergeDuplicates duplicates = {0};
	int err = 0;
	char *err_info = NULL;
	gint64 offset = 0;
	guint64 copied = 0;

	while (wtap_read(copy->input, &copy->rec, &copy->buffer, &err, &err_info, &offset)) {
		const guint8 *data = ws_buffer_start_ptr(&copy->buffer);
		gboolean keep = mode != CAPTURE_MERGE_COPY_DROP_DUPLICATES || copy->rec.rec_type != REC_TYPE_PACKET ||
				!capture_merge_is_duplicate(&duplicates, data, copy->rec.rec_header.packet_header.caplen);
		if (keep && !wtap_dump(copy->output, &copy->rec, data, &err, &err_info)) {
			capture_merge_set_error(error, capture_merge_write_code(err), "writing the merged capture", err,
						err_info);
			return FALSE;
		}
		copied++;
		wtap_rec_reset(&copy->rec);
	}
	/* A cut input keeps its complete frames, as an upload does (capinfo.c). */
	if (err != 0 && (mode != CAPTURE_MERGE_COPY_COMPLETE_FRAMES || copied == 0)) {
		capture_merge_set_error(error, SHARKAPI_ERROR_UNPROCESSABLE, "reading the merged capture", err, err_info);
		return FALSE;
	}
	g_free(err_info);
	return TRUE;
}

/* Copies input into output in the same format with its interfaces and SHB, as mode says. */
static gboolean
capture_merge_copy(const char *input, const char *output, CaptureMergeCopyMode mode, GError **error)
{
	CaptureMergeCopy copy = {0};
	int err = 0;
	char *err_info = NULL;
	gboolean ok = FALSE;

	wtap_rec_init(&copy.rec);
	ws_buffer_init(&copy.buffer, 1514);
	copy.input = wtap_open_offline(input, WTAP_TYPE_AUTO, &err, &err_info, FALSE);
	if (copy.input == NULL) {
		capture_merge_set_error(error, SHARKAPI_ERROR_UNPROCESSABLE, "reading a capture of the merge", err, err_info);
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
	ok = capture_merge_copy_records(&copy, mode, error);
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

/* merge_files() over inputs; an input cut short is replaced by a copy of its complete frames
 * (made next to output, removed after) and the merge runs again. */
static gboolean
capture_merge_tolerant(const char *const *inputs, guint n_inputs, const char *output, const CaptureMergeLimits *limits,
		       GError **error)
{
	g_autoptr(GPtrArray) paths = g_ptr_array_new();
	g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func(g_free);
	gboolean ok = FALSE;
	for (guint i = 0; i < n_inputs; i++)
		g_ptr_array_add(paths, (gpointer)inputs[i]);
	/* Each input is copied at most once: n_inputs + 1 merges at worst. */
	for (guint attempt = 0; attempt <= n_inputs; attempt++) {
		int unreadable = -1;
		g_autoptr(GError) merge_error = NULL;
		if (capture_merge_files((const char *const *)paths->pdata, n_inputs, output, limits, &unreadable,
					&merge_error)) {
			ok = TRUE;
			break;
		}
		gboolean copied_already = FALSE;
		for (guint j = 0; unreadable >= 0 && j < copies->len; j++)
			copied_already |= g_str_equal(g_ptr_array_index(copies, j), g_ptr_array_index(paths, unreadable));
		if (unreadable < 0 || (guint)unreadable >= n_inputs || copied_already) {
			g_propagate_error(error, g_steal_pointer(&merge_error));
			break;
		}
		char *complete = g_strdup_printf("%s.input%d", output, unreadable);
		g_ptr_array_add(copies, complete);
		if (!capture_merge_copy(g_ptr_array_index(paths, unreadable), complete, CAPTURE_MERGE_COPY_COMPLETE_FRAMES,
					NULL)) {
			g_propagate_error(error, g_steal_pointer(&merge_error));
			break;
		}
		paths->pdata[unreadable] = complete;
	}
	for (guint j = 0; j < copies->len; j++)
		g_unlink(g_ptr_array_index(copies, j));
	return ok;
}

gboolean
capture_merge(const char *const *inputs, guint n_inputs, const char *output, gboolean remove_duplicates,
	      const CaptureMergeLimits *limits, GError **error)
{
	gboolean ok;
	wiretap_lock();
	if (!remove_duplicates) {
		ok = capture_merge_tolerant(inputs, n_inputs, output, limits, error);
	} else {
		/* As `mergecap` then `editcap -d`: the duplicates window runs over the merged order. The
		 * copy is never larger than the merge, which the limits bounded already. */
		g_autofree char *merged = g_strconcat(output, ".merged", NULL);
		ok = capture_merge_tolerant(inputs, n_inputs, merged, limits, error) &&
		     capture_merge_copy(merged, output, CAPTURE_MERGE_COPY_DROP_DUPLICATES, error);
		g_unlink(merged);
	}
	wiretap_unlock();
	return ok;
}
