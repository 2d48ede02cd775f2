/* capture-merge.h: merging captures with libwiretap, as mergecap does by default (records
 * ordered by time stamp, interfaces merged when all files have the same set, pcapng out), and
 * optionally dropping duplicates as `editcap -d` does (a packet whose length and MD5 equal
 * those of one of the 4 packets before it).
 * Must not touch the store: the caller gives a temp file to write and commits it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a merge may write; 0 is no limit. */
typedef struct {
	guint64 max_bytes;  /* the merged file's size (max-upload-size) */
	guint64 max_frames; /* its records (max-frames) */
} CaptureMergeLimits;

/* Merges inputs (at least one) into output, which is overwritten. An input cut short in the
 * middle of a frame contributes its complete frames (as its upload did). Errors: 413 when the
 * output passes a limit (counted while it is written: the merge stops there), 422 when an input
 * cannot be read at all, 507 no space, 500 otherwise; output is then left for the caller to
 * delete. Any thread may call it: it holds the wiretap lock (wiretap-lock.h) throughout. */
gboolean capture_merge(const char *const *inputs, guint n_inputs, const char *output, gboolean remove_duplicates,
		       const CaptureMergeLimits *limits, GError **error);
G_END_DECLS
