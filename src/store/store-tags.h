/* store-tags.h: capture tags: the capture_tags rows behind info's tag_list and search[tags][].
 * A tag list is normalised once (split on commas, trimmed, empties and repeats dropped) and
 * stored both as the captures.tag_list text info shows and as one indexed row per tag, in the
 * same transaction as the capture row (store-capture.c calls store_tags_insert).
 * Must not parse HTTP parameters: routes hand in the values they collected.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "store/store.h"

G_BEGIN_DECLS

/* Most tags one capture may carry, and the longest tag (bytes). */
#define STORE_TAGS_MAX 100
#define STORE_TAG_MAX_LENGTH 255

/* Values such as {"a, b", "c"} -> "a,b,c". NULL values give "". Too many tags, a tag too long
 * or not UTF-8 is a 400 naming it. */
char *store_tags_normalize(const char *const *values, GError **error);

/* One capture_tags row per tag of tag_list (normalised text). Part of the caller's transaction. */
gboolean store_tags_insert(Store *store, const char *capture_id, const char *tag_list, GError **error);

G_END_DECLS
