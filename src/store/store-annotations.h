/* store-annotations.h: per-frame notes on captures (v1 annotations): at most one per frame,
 * written by a token whose name is kept as the note's user. Rows go with their capture
 * (ON DELETE CASCADE). Must not check permissions or frame ranges: the route does.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "store/store.h"

G_BEGIN_DECLS

typedef struct {
	gint64 frame;
	char *text;
	char *user;
} StoreAnnotation;

void store_annotation_free(StoreAnnotation *annotation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreAnnotation, store_annotation_free)

/* Adds the frame's note, or replaces the one it has. */
gboolean store_annotation_set(Store *store, const char *capture_id, gint64 frame, const char *text, const char *user,
			      GError **error);
/* Removes the frame's note; a frame without one is fine. */
gboolean store_annotation_remove(Store *store, const char *capture_id, gint64 frame, GError **error);
/* The capture's notes by frame number (GPtrArray of StoreAnnotation). */
GPtrArray *store_annotation_list(Store *store, const char *capture_id, GError **error);

/* How many notes a capture has, and their text's bytes, leaving out except_frame's (the one a
 * new note would replace). */
gboolean store_annotation_usage(Store *store, const char *capture_id, gint64 except_frame, gint64 *count, gint64 *bytes,
				GError **error);

G_END_DECLS
