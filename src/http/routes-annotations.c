/* routes-annotations.c: GET lists a capture's notes; POST frame + text adds or replaces the
 * frame's note, frame alone (or an empty text) removes it, and quiet=true answers 204 instead
 * of the list. Parameters come from the query string or a urlencoded form, as clients send
 * both (curl --data, the Node client's query string).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "annotations"

#include "http/routes-annotations.h"

#include <string.h>

#include "http/http-params.h"
#include "http/http-reply.h"
#include "sharkapi-error.h"
#include "store/store-annotations.h"
#include "store/store-capture.h"

/* Longest note accepted, in bytes. */
#define ANNOTATION_MAX_TEXT (64 * 1024)
/* Notes one capture may carry, and their text in all: the list is answered whole. */
#define ANNOTATION_MAX_PER_CAPTURE 10000
#define ANNOTATION_MAX_BYTES_PER_CAPTURE (16 * 1024 * 1024)

static gboolean
annotations_parse_frame(const char *text, const StoreCapture *capture, gint64 *frame, GError **error)
{
	guint64 value = 0;
	if (text == NULL || *text == '\0') {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "frame: required, the frame number");
		return FALSE;
	}
	if (!g_ascii_string_to_unsigned(text, 10, 1, MAX(capture->num_packets, 1), &value, NULL) ||
	    value > capture->num_packets) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST,
			    "frame: '%s' is not a frame of this capture (1 to %" G_GUINT64_FORMAT ")", text,
			    capture->num_packets);
		return FALSE;
	}
	*frame = (gint64)value;
	return TRUE;
}

/* quiet, quiet=true, quiet=1: anything but false/0/no. */
static gboolean
annotations_is_quiet(HttpParams *params)
{
	const char *quiet = http_params_get(params, "quiet");
	if (quiet == NULL)
		return FALSE;
	return g_ascii_strcasecmp(quiet, "false") != 0 && g_strcmp0(quiet, "0") != 0 &&
	       g_ascii_strcasecmp(quiet, "no") != 0;
}

static gboolean
annotations_apply(Store *store, const StoreCapture *capture, HttpParams *params, const char *user, GError **error)
{
	gint64 frame = 0;
	if (!annotations_parse_frame(http_params_get(params, "frame"), capture, &frame, error))
		return FALSE;
	const char *text = http_params_get(params, "text");
	if (text == NULL || *text == '\0')
		return store_annotation_remove(store, capture->id, frame, error);
	if (strlen(text) > ANNOTATION_MAX_TEXT) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_BAD_REQUEST, "text: longer than %d bytes",
			    ANNOTATION_MAX_TEXT);
		return FALSE;
	}
	gint64 count = 0, bytes = 0;
	if (!store_annotation_usage(store, capture->id, frame, &count, &bytes, error))
		return FALSE;
	if (count + 1 > ANNOTATION_MAX_PER_CAPTURE || bytes + (gint64)strlen(text) > ANNOTATION_MAX_BYTES_PER_CAPTURE) {
		g_set_error(error, SHARKAPI_ERROR, SHARKAPI_ERROR_TOO_LARGE,
			    "the capture has as many notes as it may (%d, or %d bytes of text in all)",
			    ANNOTATION_MAX_PER_CAPTURE, ANNOTATION_MAX_BYTES_PER_CAPTURE);
		return FALSE;
	}
	return store_annotation_set(store, capture->id, frame, text, user, error);
}

static void
annotations_reply_list(SoupServerMessage *msg, Store *store, const char *capture_id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = store_annotation_list(store, capture_id, &error);
	if (list == NULL) {
		http_reply_error(msg, error);
		return;
	}
	g_autoptr(JsonWriter) writer = json_writer_new();
	json_writer_begin_array(writer);
	for (guint i = 0; i < list->len; i++) {
		const StoreAnnotation *annotation = g_ptr_array_index(list, i);
		json_writer_begin_object(writer);
		json_writer_member_string(writer, "capture_id", capture_id);
		json_writer_member_int(writer, "line", annotation->frame);
		json_writer_member_string(writer, "text", annotation->text);
		json_writer_member_string(writer, "user", annotation->user);
		json_writer_end_object(writer);
	}
	json_writer_end_array(writer);
	http_reply_writer(msg, 200, writer);
}

void
routes_annotations(HttpRequest *request)
{
	g_autoptr(GError) error = NULL;
	Store *store = request->server->store;
	g_autoptr(StoreCapture) capture = store_capture_get(store, request->capture_id, &error);
	if (capture == NULL) {
		http_reply_error(request->msg, error);
		return;
	}
	if (g_str_equal(soup_server_message_get_method(request->msg), "GET")) {
		annotations_reply_list(request->msg, store, capture->id);
		return;
	}
	if (!annotations_apply(store, capture, request->params, request->token->name, &error)) {
		http_reply_error(request->msg, error);
		return;
	}
	if (annotations_is_quiet(request->params)) {
		soup_server_message_set_status(request->msg, 204, NULL);
		return;
	}
	annotations_reply_list(request->msg, store, capture->id);
}
