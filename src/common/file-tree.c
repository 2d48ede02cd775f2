/* file-tree.c: fsync by path and tree removal (file-tree.h).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "file-tree.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sharkapi-error.h"

static gboolean
file_tree_fail(GError **error, int errsv, const char *what, const char *path)
{
	g_autofree char *name = g_path_get_basename(path);
	g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv), "%s %s: %s", what, name,
		    g_strerror(errsv));
	return FALSE;
}

gboolean
file_tree_fsync(const char *path, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return file_tree_fail(error, errno, "open", path);
	if (fsync(fd) != 0) {
		int errsv = errno;
		close(fd);
		return file_tree_fail(error, errsv, "fsync", path);
	}
	close(fd);
	return TRUE;
}

gboolean
file_tree_remove(const char *path, GError **error)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? TRUE : file_tree_fail(error, errno, "stat", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) != 0 && errno != ENOENT)
			return file_tree_fail(error, errno, "unlink", path);
		return TRUE;
	}
	g_autoptr(GDir) dir = g_dir_open(path, 0, error);
	if (dir == NULL)
		return FALSE;
	const char *name;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		if (!file_tree_remove(child, error))
			return FALSE;
	}
	if (rmdir(path) != 0 && errno != ENOENT)
		return file_tree_fail(error, errno, "rmdir", path);
	return TRUE;
}
