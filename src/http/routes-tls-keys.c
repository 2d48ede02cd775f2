/* routes-tls-keys.c: a capture's TLS key log. PUT stores an NSS key log (SSLKEYLOGFILE format)
 * beside the capture, DELETE removes it; either way every result computed before goes and the
 * default summary starts again (capture_service_keys_changed()), since workers dissect with the
 * key log from then on (job-requests.h). The file is written to tmp/, fsynced and renamed in a
 * thread. Key material is never echoed: errors name a line number, never its text.
 * Needs the upload permission (the route's) and the analysis permission (checked here).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "tls-keys"

#include "http/routes-tls-keys.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "file-tree.h"
#include "http/http-reply.h"
#include "json-writer.h"
#include "sharkapi-error.h"
#include "store/store-capture.h"

/* The labels of NSS key log lines libwireshark reads ("LABEL <hex> <hex>"). */
static const char *const tls_keys_labels[] = {
	"CLIENT_RANDOM", "CLIENT_EARLY_TRAFFIC_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	"SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
	"EARLY_EXPORTER_SECRET", "EXPORTER_SECRET", "RSA", "PMS_CLIENT_RANDOM",
};

static gboolean
tls_keys_is_hex(const char *text, gsize length)
{
	if (length == 0)
		return FALSE;
	for (gsize i = 0; i < length; i++) {
		if (!g_ascii_isxdigit(text[i]))
			return FALSE;
	}
	return TRUE;
}

/* "LABEL HEX HEX" with a known label, or the old "RSA Session-ID:HEX Master-Key:HEX". */
static gboolean
tls_keys_line_is_valid(const char *line)
{
	g_auto(GStrv) words = g_strsplit(line, " ", -1);
	if (g_strv_length(words) != 3)
		return FALSE;
	if (strcmp(words[0], "RSA") == 0 && g_str_has_prefix(words[1], "Session-ID:") &&
	    g_str_has_prefix(words[2], "Master-Key:"))
		return tls_keys_is_hex(words[1] + 11, strlen(words[1] + 11)) &&
		       tls_keys_is_hex(words[2] + 11, strlen(words[2] + 11));
	for (guint i = 0; i < G_N_ELEMENTS(tls_keys_labels); i++) {
		if (strcmp(words[0], tls_keys_labels[i]) == 0)
			return tls_keys_is_hex(words[1], strlen(words[1])) && tls_keys_is_hex(words[2], strlen(words[2]));
	}
	return FALSE;
}

/* Counts the key lines; 400 naming the first line that is neither a key, a comment nor blank. */
static gboolean
tls_keys_check(const char *data, gsize length, guint *keys, GError **error)
{
	*keys = 0;
	if (memchr(data, '\0', length) != NULL || !g_utf8_validate(data, (gssize)length, NULL)) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "body: not an NSS key log (it is not text)");
		return FALSE;
	}
	g_autofree char *text = g_strndup(data, length);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip(lines[i]);
		if (*line == '\0' || *line == '#')
			continue;
		if (!tls_keys_line_is_valid(line)) {
			g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
				    "body: not an NSS key log (line %u is not \"LABEL <hex> <hex>\" with a known label)", i + 1);
			return FALSE;
		}
		(*keys)++;
	}
	if (*keys == 0) {
		g_set_error_literal(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "body: the key log has no keys");
		return FALSE;
	}
	return TRUE;
}

typedef struct {
	HttpServer *server;
	SoupServerMessage *msg;
	char *capture_id;
	char *path;      /* the key log's place */
	char *tmp_path;  /* PUT: where it is written first */
	GBytes *body;    /* PUT: the key log; NULL for DELETE */
	guint keys;
	gulong finished_handler;
	gboolean gone; /* the client left: the change still completes, unanswered */
} TlsKeysChange;

static void
tls_keys_change_free(TlsKeysChange *change)
{
	if (change->finished_handler != 0)
		g_signal_handler_disconnect(change->msg, change->finished_handler);
	g_object_unref(change->msg);
	g_free(change->capture_id);
	g_free(change->path);
	g_free(change->tmp_path);
	g_clear_pointer(&change->body, g_bytes_unref);
	g_free(change);
}

static gboolean
tls_keys_write(TlsKeysChange *change, GError **error)
{
	gsize length = 0;
	const char *data = g_bytes_get_data(change->body, &length);
	int fd = open(change->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	gboolean ok = fd >= 0;
	for (gsize done = 0; ok && done < length;) {
		ssize_t written = write(fd, data + done, length - done);
		if (written < 0 && errno == EINTR)
			continue;
		ok = written > 0;
		done += ok ? (gsize)written : 0;
	}
	ok = ok && fsync(fd) == 0;
	int errsv = errno;
	if (fd >= 0)
		close(fd);
	if (ok && rename(change->tmp_path, change->path) != 0) {
		errsv = errno;
		ok = FALSE;
	}
	if (!ok) {
		g_unlink(change->tmp_path);
		g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv), "storing the key log: %s",
			    g_strerror(errsv));
	}
	return ok;
}

/* Writes or removes the file, then syncs its folder (the change survives a crash once answered). */
static void
tls_keys_change_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	TlsKeysChange *change = task_data;
	GError *error = NULL;
	g_autofree char *dir = g_path_get_dirname(change->path);

	if (change->body != NULL) {
		if (!tls_keys_write(change, &error)) {
			g_task_return_error(task, error);
			return;
		}
	} else if (g_unlink(change->path) != 0) {
		int errsv = errno;
		g_task_return_new_error(task, SHARKAPI_ERROR,
					errsv == ENOENT ? SHARKAPI_ERROR_NOT_FOUND : sharkapi_error_code_from_errno(errsv),
					errsv == ENOENT ? "the capture has no TLS key log" : "removing the key log: %s",
					g_strerror(errsv));
		return;
	}
	if (!file_tree_fsync(dir, &error)) {
		g_task_return_error(task, error);
		return;
	}
	g_task_return_boolean(task, TRUE);
}

static void
tls_keys_changed_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	TlsKeysChange *change = user_data;
	g_autoptr(GError) error = NULL;

	gboolean ok = g_task_propagate_boolean(G_TASK(result), &error);
	if (ok)
		capture_service_keys_changed(&change->server->captures, change->capture_id);
	if (change->gone) {
		tls_keys_change_free(change);
		return;
	}
	if (!ok) {
		http_reply_error(change->msg, error);
	} else {
		g_autoptr(JsonWriter) writer = json_writer_new();
		json_writer_begin_object(writer);
		json_writer_key(writer, "data");
		json_writer_begin_object(writer);
		if (change->body != NULL)
			json_writer_member_int(writer, "keys", change->keys);
		json_writer_member_string(writer, "tls_keys", change->body != NULL ? "stored" : "removed");
		json_writer_end_object(writer);
		json_writer_end_object(writer);
		http_reply_writer(change->msg, 200, writer);
	}
	soup_server_message_unpause(change->msg);
	tls_keys_change_free(change);
}

static void
tls_keys_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	TlsKeysChange *change = user_data;
	change->gone = TRUE;
}

void
routes_tls_keys(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	HttpServer *server = request->server;
	gboolean put = g_str_equal(soup_server_message_get_method(request->msg), "PUT");

	if (!auth_token_require(request->token, AUTH_PERMISSION_ANALYSIS, &error)) {
		http_reply_error(request->msg, error);
		return;
	}
	g_autoptr(StoreCapture) capture = store_capture_get(server->store, request->capture_id, &error);
	if (capture == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	TlsKeysChange *change = g_new0(TlsKeysChange, 1);
	change->server = server;
	change->msg = g_object_ref(request->msg);
	change->capture_id = g_strdup(capture->id);
	change->path = store_capture_tls_keys(server->store, capture->id);
	if (put) {
		SoupMessageBody *body = soup_server_message_get_request_body(request->msg);
		change->body = soup_message_body_flatten(body);
		gsize length = 0;
		const char *data = g_bytes_get_data(change->body, &length);
		if (!tls_keys_check(data, length, &change->keys, &error)) {
			http_reply_error(request->msg, error);
			tls_keys_change_free(change);
			return;
		}
		g_autofree char *name = g_strdup_printf("tls-keys-%s-%08x", capture->id, g_random_int());
		change->tmp_path = g_build_filename(server->store->tmp_dir, name, NULL);
	}
	http_request_park(request);
	change->finished_handler = g_signal_connect(request->msg, "finished", G_CALLBACK(tls_keys_finished_cb), change);
	g_autoptr(GTask) task = g_task_new(NULL, NULL, tls_keys_changed_cb, change);
	g_task_set_task_data(task, change, NULL);
	g_task_run_in_thread(task, tls_keys_change_thread);
}
