/* engine-init.h: the process-wide libwireshark start-up of the dissection worker.
 * Must be called once, before any other engine_* function; there is no way to undo it short of
 * exiting (epan keeps its registrars in process globals).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Initialises wiretap and epan with all dissectors, settings loaded, name resolution off.
 * argv0 locates the data and plugin directories. Errors are set only for what a caller can
 * report; libwireshark aborts by itself on broken installations. */
gboolean engine_init(const char *argv0, GError **error);

/* Releases epan and wiretap at exit (optional: the process ends anyway). */
void engine_init_cleanup(void);

G_END_DECLS
