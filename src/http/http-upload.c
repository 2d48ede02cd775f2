/* http-upload.c: spooling upload bodies and taking multipart bodies apart.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "upload"

#include "http/http-upload.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "http/http-refusal.h"
#include "sharkapi-error.h"

#define HTTP_UPLOAD_KEY "sharkapi-upload"

typedef struct {
	SoupServerMessage *msg; /* not a reference: this state lives on the message */
	char *spool_path;
	int fd;
	guint64 received;
	guint64 limit;
	HttpMetrics *metrics;
	GSocket *socket;   /* the connection's (borrowed), for the refusal's drain */
	gboolean refused;  /* 413 sent, connection closed */
	int write_errno;   /* first write failure, answered when the body is complete */
	guint64 since_yield; /* bytes read since the main loop last had a turn */
	guint yield_source;
} HttpUpload;

/* libsoup reads a request body for as long as the socket has data: a fast client on a fast
 * link would keep the main loop to itself for a whole 200 MB upload (a cached request then
 * waited seconds). Every HTTP_UPLOAD_YIELD_BYTES the upload pauses until the main loop has
 * run everything else that is ready. */
#define HTTP_UPLOAD_YIELD_BYTES (256 * 1024)

static void
http_upload_free(HttpUpload *upload)
{
	if (upload->yield_source != 0)
		g_source_remove(upload->yield_source);
	if (upload->fd >= 0)
		close(upload->fd);
	if (upload->spool_path != NULL)
		g_unlink(upload->spool_path);
	g_free(upload->spool_path);
	g_free(upload);
}

static void
http_upload_refuse(HttpUpload *upload)
{
	if (upload->refused)
		return;
	upload->refused = TRUE;
	g_message("upload refused: over %" G_GUINT64_FORMAT " bytes", upload->limit);
	http_refusal_send(upload->msg, upload->socket, upload->metrics, 413, "upload larger than the configured limit (max-upload-size)");
}

static gboolean
http_upload_resume_cb(gpointer user_data)
{
	HttpUpload *upload = user_data;
	upload->yield_source = 0;
	soup_server_message_unpause(upload->msg);
	return G_SOURCE_REMOVE;
}

static void
http_upload_yield(HttpUpload *upload, gsize len)
{
	upload->since_yield += len;
	if (upload->since_yield < HTTP_UPLOAD_YIELD_BYTES || upload->yield_source != 0)
		return;
	upload->since_yield = 0;
	soup_server_message_pause(upload->msg);
	upload->yield_source = g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, http_upload_resume_cb, upload, NULL);
}

static void
http_upload_got_chunk_cb(SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
	HttpUpload *upload = user_data;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(chunk, &len);

	if (upload->refused)
		return;
	upload->received += len;
	if (upload->received > upload->limit) {
		http_upload_refuse(upload);
		return;
	}
	while (len > 0 && upload->write_errno == 0) {
		ssize_t written = write(upload->fd, data, len);
		if (written < 0) {
			if (errno == EINTR)
				continue;
			upload->write_errno = errno;
			break;
		}
		data += written;
		len -= (gsize)written;
	}
	http_upload_yield(upload, g_bytes_get_size(chunk));
}

void
http_upload_begin(SoupServerMessage *msg, GSocket *socket, Store *store, guint64 limit, HttpMetrics *metrics)
{
	g_autoptr(GError) error = NULL;
	HttpUpload *upload = g_new0(HttpUpload, 1);
	upload->msg = msg;
	upload->fd = -1;
	upload->limit = limit;
	upload->metrics = metrics;
	upload->socket = socket;
	g_object_set_data_full(G_OBJECT(msg), HTTP_UPLOAD_KEY, upload, (GDestroyNotify)http_upload_free);
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH &&
	    (guint64)soup_message_headers_get_content_length(headers) > limit) {
		http_upload_refuse(upload);
		return;
	}
	upload->spool_path = store_new_temp_file(store, "spool", &error);
	if (upload->spool_path != NULL)
		upload->fd = g_open(upload->spool_path, O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
	if (upload->fd < 0)
		upload->write_errno = upload->spool_path == NULL && error->code == SHARKAPI_ERROR_NO_SPACE ? ENOSPC
												    : EIO;
	soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
	g_signal_connect(msg, "got-chunk", G_CALLBACK(http_upload_got_chunk_cb), upload);
}

char *
http_upload_steal_spool(SoupServerMessage *msg, GError **error)
{
	HttpUpload *upload = g_object_get_data(G_OBJECT(msg), HTTP_UPLOAD_KEY);
	if (upload == NULL || upload->spool_path == NULL) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_INTERNAL, "the upload was not spooled");
		return NULL;
	}
	if (upload->fd >= 0) {
		close(upload->fd);
		upload->fd = -1;
	}
	if (upload->write_errno != 0) {
		int errsv = upload->write_errno;
		gboolean no_space = errsv == ENOSPC || errsv == EDQUOT;
		g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv), "%s: %s",
			    no_space ? "no space left to store the upload" : "the upload could not be spooled",
			    g_strerror(errsv));
		return NULL;
	}
	return g_steal_pointer(&upload->spool_path);
}

static gboolean
http_upload_write_file(const char *path, GBytes *bytes, GError **error)
{
	int fd = g_open(path, O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(bytes, &len);
	while (fd >= 0 && len > 0) {
		ssize_t written = write(fd, data, len);
		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0)
			break;
		data += written;
		len -= (gsize)written;
	}
	int errsv = errno;
	if (fd < 0 || len > 0 || fsync(fd) != 0) {
		errsv = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv), "writing the capture: %s",
			    g_strerror(errsv));
		return FALSE;
	}
	close(fd);
	return TRUE;
}

gboolean
http_upload_parse_multipart(GBytes *body, const char *content_type, GHashTable *options, char **part_filename,
			    GBytes **file_part, GError **error)
{
	g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_MULTIPART);
	soup_message_headers_replace(headers, "Content-Type", content_type);
	g_autoptr(SoupMultipart) multipart = soup_multipart_new_from_message(headers, body);
	if (multipart == NULL) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "malformed multipart/form-data body");
		return FALSE;
	}
	*file_part = NULL;
	for (int i = 0; i < soup_multipart_get_length(multipart); i++) {
		SoupMessageHeaders *part_headers = NULL;
		GBytes *part_body = NULL;
		g_autofree char *disposition = NULL;
		g_autoptr(GHashTable) params = NULL;
		if (!soup_multipart_get_part(multipart, i, &part_headers, &part_body))
			continue;
		/* libsoup 3.2 gives a part whose end precedes its start a wrapped, huge length (found
		 * by fuzz/fuzz-multipart): writing it would copy memory past the body to disk. */
		if (part_body == NULL || g_bytes_get_size(part_body) > g_bytes_get_size(body)) {
			g_clear_pointer(file_part, g_bytes_unref);
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "malformed multipart/form-data body");
			return FALSE;
		}
		if (!soup_message_headers_get_content_disposition(part_headers, &disposition, &params))
			continue;
		const char *name = g_hash_table_lookup(params, "name");
		if (name == NULL)
			continue;
		if (g_str_equal(name, "file") && *file_part == NULL) {
			*file_part = g_bytes_ref(part_body);
			*part_filename = g_strdup(g_hash_table_lookup(params, "filename"));
			continue;
		}
		gsize len = 0;
		const char *text = g_bytes_get_data(part_body, &len);
		if (len <= 64 * 1024 && g_utf8_validate(text, (gssize)len, NULL))
			g_hash_table_replace(options, g_strdup(name), g_strndup(text, len));
	}
	if (*file_part == NULL) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "the multipart upload has no 'file' part");
		return FALSE;
	}
	return TRUE;
}

gboolean
http_upload_extract_multipart(const char *spool_path, const char *content_type, const char *capture_path,
			      GHashTable *options, char **part_filename, GError **error)
{
	/* libsoup 3.2's multipart parser runs strstr() over the body, past its end when no NUL
	 * follows (found by fuzz/fuzz-multipart): one NUL appended to the spool stops it. */
	int fd = g_open(spool_path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
	if (fd < 0 || write(fd, "", 1) != 1) {
		int errsv = errno;
		if (fd >= 0)
			close(fd);
		g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv), "spooling the upload: %s",
			    g_strerror(errsv));
		return FALSE;
	}
	close(fd);
	g_autoptr(GMappedFile) mapped = g_mapped_file_new(spool_path, FALSE, error);
	if (mapped == NULL)
		return FALSE;
	g_autoptr(GBytes) terminated = g_mapped_file_get_bytes(mapped);
	g_autoptr(GBytes) body = g_bytes_new_from_bytes(terminated, 0, g_bytes_get_size(terminated) - 1);
	g_autoptr(GBytes) file_part = NULL;
	if (!http_upload_parse_multipart(body, content_type, options, part_filename, &file_part, error))
		return FALSE;
	return http_upload_write_file(capture_path, file_part, error);
}
