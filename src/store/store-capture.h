/* store-capture.h: capture records: a checked capture file made visible, looked up, deleted.
 * A capture becomes visible only when complete: its file is fsynced in tmp/, renamed into
 * captures/<id>/, the folder fsynced, and only then is the database row inserted. Deleting
 * removes the row first, so a crash half-way leaves only files that recovery sweeps.
 * Must not read capture contents: capinfo.c does, before commit.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "wiretap/capinfo.h"
#include "store/store.h"
#include "store/store-sql.h"
#include "store/store-writer.h"

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

/* Seconds from the first frame to the last (capinfos' duration); 0 without times or with fewer
 * than two frames. Out-of-order times can make it negative, as capinfos prints it. */
double store_capture_duration(const StoreCapture *capture);

typedef struct {
	const char *filename;
	const char *comments;
	const char *tag_list; /* normalised (store_tags_normalize); stored also as capture_tags rows */
	const char *user;
} StoreCaptureLabels;

/* The columns of a capture row, in the order store_capture_from_statement() reads them (for
 * modules that select captures themselves, such as search). */
#define STORE_CAPTURE_COLUMNS                                                                         \
	"cap_file_id, id, filename, comments, tag_list, \"user\", created_at, last_accessed, viewcount, " \
	"size, num_packets, data_size, has_times, start_time_ns, end_time_ns, time_digits, file_type, encapsulation, "  \
	"truncated, warning, analysis_failed"
StoreCapture *store_capture_from_statement(StoreSqlStatement *stmt);

/* TRUE for exactly 12 lowercase hex characters: the only ids that reach the file system. */
gboolean store_capture_id_is_valid(const char *id);

/* Stores a checked capture, in a worker thread: moves the temp file into a new capture folder,
 * every step fsynced, then records its row (and tags) through the store's writer connection,
 * so the main loop waits for neither fsync. On failure nothing is left: the folder goes with
 * the row that was not written. The one path for uploads, merges and `sharkapi analyze`. */
StoreCapture *store_capture_add(StoreWriter *writer, const char *temp_path, const CapInfo *info,
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
/* The capture's NSS key log (PUT tls-keys), beside its file; it may not exist. */
char *store_capture_tls_keys(Store *store, const char *id);
/* The same, from the capture file's own path (store_capture_file()). */
char *store_capture_tls_keys_beside(const char *capture_path);
/* captures/<id>/summary/<variant> */
char *store_capture_summary_dir(Store *store, const char *id, const char *variant);

G_END_DECLS
