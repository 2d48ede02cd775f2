/* engine-filter.h: display filters compiled with libwireshark's own parser, errors in its words.
 * Must not apply filters to frames: the jobs do, on their own trees.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <epan/dfilter/dfilter.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC(dfilter_t, dfilter_free)

/* Compiles text into *filter (NULL for an empty or blank filter, which matches everything).
 * A filter libwireshark rejects is a 400 whose message is libwireshark's own. */
gboolean engine_filter_compile(const char *text, dfilter_t **filter, GError **error);

/* TRUE when text is empty or blank: no filtering at all. */
gboolean engine_filter_is_empty(const char *text);

G_END_DECLS
