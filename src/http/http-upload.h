/* http-upload.h: upload bodies streamed to disk as they arrive, and their multipart parts.
 * Once the early handler admitted an upload, it turns off libsoup's accumulation for upload requests and appends each
 * chunk to a spool file in DATA_DIR/tmp, counting bytes: over the limit the client gets 413 at
 * once and the connection is closed. Multipart bodies are parsed by libsoup's own parser over a
 * mapping of the spool file, so no upload is ever held whole in memory.
 * Must not decide whether the bytes are a capture (capinfo.c) or store it (store-capture.c).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "http/http-metrics.h"
#include "store/store.h"

G_BEGIN_DECLS

/* Streams msg's body to a spool file in the store's tmp/ (turning off libsoup's accumulation);
 * past limit bytes (Content-Length or counted) the client gets 413 at once (http-refusal.h).
 * Called from the early handler once the route and token allow an upload. */
void http_upload_begin(SoupServerMessage *msg, GSocket *socket, Store *store, guint64 limit, HttpMetrics *metrics);
/* Takes the spool file (the caller deletes it); NULL with the error when there is none or
 * writing it failed (507 for a full disk). */
char *http_upload_steal_spool(SoupServerMessage *msg, GError **error);

/* From a spooled multipart body: writes the "file" part to capture_path and collects the
 * other parts (text) into options. Fails with 400 when there is no file part. */
gboolean http_upload_extract_multipart(const char *spool_path, const char *content_type, const char *capture_path,
				       GHashTable *options, char **part_filename, GError **error);
/* The pure part of http_upload_extract_multipart, for it and for fuzz/: takes body apart (content_type gives the
 * boundary), puts text fields into options, returns the first "file" part (a reference into
 * body) and its filename. 400 for a malformed body or one without a file part. The byte after
 * body must be readable and NUL: libsoup 3.2's parser reads up to one otherwise. */
gboolean http_upload_parse_multipart(GBytes *body, const char *content_type, GHashTable *options, char **part_filename,
				     GBytes **file_part, GError **error);

G_END_DECLS
