/* store-capture.h: capture records: a checked capture file made visible, looked up, deleted.
 * A capture becomes visible only when complete: its file is fsynced in tmp/, renamed into
 * captures/<id>/, the folder fsynced, and only then is the database row inserted. Deleting
 * removes the row first, so a crash half-way leaves only files that recovery sweeps.
 * Must not read capture contents: capinfo.c does, before commit.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "capinfo.h"
#include "store/store.h"

G_BEGIN_DECLS

#define STORE_CAPTURE_ID_LENGTH 12

typedef struct {
	gint64 cap_file_id;
	char *id;
	char *filename;
	char *comments;
	char *tag_list;
	char *user;
	char *created_at;
	char *last_accessed;
	gint64 viewcount;
	guint64 size;
	guint64 num_packets;
	guint64 data_size;
	gboolean has_times;
	gint64 start_time_ns; /* epoch nanoseconds */
	gint64 end_time_ns;
	int time_digits;      /* fraction digits of the time stamps (6 for usec) */
	char *file_type;
	char *encapsulation;
	gboolean truncated;
	char *warning;
	char *analysis_failed; /* "" unless the default summary failed for good */
} StoreCapture;

void store_capture_free(StoreCapture *capture);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreCapture, store_capture_free)

typedef struct {
	const char *filename;
	const char *comments;
	const char *tag_list; /* normalised (store_tags_normalize); stored also as capture_tags rows */
	const char *user;
} StoreCaptureLabels;

/* The columns of a capture row, in the order store_capture_from_statement() reads them (for
 * modules that select captures themselves, such as search). */
#define STORE_CAPTURE_COLUMNS                                                                         \
	"cap_file_id, id, filename, comments, tag_list, user, created_at, last_accessed, viewcount, " \
	"size, num_packets, data_size, has_times, start_time_ns, end_time_ns, time_digits, file_type, encapsulation, "  \
	"truncated, warning, analysis_failed"
StoreCapture *store_capture_from_statement(sqlite3_stmt *stmt);

/* TRUE for exactly 12 lowercase hex characters: the only ids that reach the file system. */
gboolean store_capture_id_is_valid(const char *id);

/* Storing a checked capture takes two steps. The first, in a worker thread: moves the temp
 * file into a new capture folder, every step fsynced (a 200 MB capture takes the disk a
 * while, which the main loop must not wait for); returns the new id, with no row yet
 * (recovery removes such a folder); it takes the store's captures_dir as a copy of its own, as the
 * store may be freed while a thread still runs at shutdown. The second, on the main loop: records the row and
 * returns it (on failure the folder is removed). */
char *store_capture_place(const char *captures_dir, const char *temp_path, GError **error);
StoreCapture *store_capture_register(Store *store, const char *id, const CapInfo *info,
				     const StoreCaptureLabels *labels, GError **error);
StoreCapture *store_capture_get(Store *store, const char *id, GError **error);
gboolean store_capture_delete(Store *store, const char *id, GError **error);
/* Records a read of the capture (info, download): last_accessed, viewcount. */
void store_capture_touch(Store *store, const char *id);
gboolean store_capture_set_analysis_failed(Store *store, const char *id, const char *message, GError **error);
/* Ids of every capture, oldest first. */
GPtrArray *store_capture_list_ids(Store *store, GError **error);

char *store_capture_dir(Store *store, const char *id);
char *store_capture_file(Store *store, const char *id);
/* captures/<id>/summary/<variant> */
char *store_capture_summary_dir(Store *store, const char *id, const char *variant);

G_END_DECLS
