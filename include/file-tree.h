/* file-tree.h: the two file system chores both the server's store and the worker's output
 * need: making a file or folder durable, and removing a folder tree.
 * Errors name only the last path component: a message may reach a client.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* fsync()s a file or folder by path. */
gboolean file_tree_fsync(const char *path, GError **error);
/* rm -rf: removes a file or a folder tree without following symlinks; missing is fine. */
gboolean file_tree_remove(const char *path, GError **error);

G_END_DECLS
