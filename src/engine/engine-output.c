/* engine-output.c: atomic results directories (temp dir, fsync, rename), see engine-output.h.
 * Must not be used for anything but a worker's own output directory: it deletes its own temp
 * folders, those of dead writers on this host, and an older DIR recursively.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine"

#include "engine/engine-output.h"

#include "file-tree.h"
#include "sharkapi-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct EngineOutput {
	char *dir;
	char *tmp_dir;
	GPtrArray *subdirs; /* relative paths of directories created, to fsync */
	gboolean committed;
};

/* Names only the last path component: the message may reach a client. */
static gboolean
engine_output_fail(GError **error, int errsv, const char *what, const char *path)
{
	g_autofree char *name = g_path_get_basename(path);
	g_set_error(error, SHARKAPI_ERROR, sharkapi_error_code_from_errno(errsv),
		    "writing results: %s %s: %s", what, name, g_strerror(errsv));
	return FALSE;
}

/* The shared chores (file-tree.h), their errors said to be about results. */
static gboolean
engine_output_sync(const char *path, GError **error)
{
	if (file_tree_fsync(path, error))
		return TRUE;
	g_prefix_error(error, "writing results: ");
	return FALSE;
}

static gboolean
engine_output_remove(const char *path, GError **error)
{
	if (file_tree_remove(path, error))
		return TRUE;
	g_prefix_error(error, "writing results: ");
	return FALSE;
}

/* A name beside DIR that no other writer uses: DIR.tmp-<what>-<random>-<pid>@<host>. Several
 * nodes sharing the data dir may write the same result at once (a job whose lease ran out while
 * it still ran): each writes its own folder, and the last rename wins with the same contents. */
static char *
engine_output_private_name(const char *dir, const char *what)
{
	return g_strdup_printf("%s.tmp-%s-%08x-%d@%s", dir, what, g_random_int(), (int)getpid(), g_get_host_name());
}

/* Removes DIR's private folders left by writers of this host that died (a killed worker). */
static void
engine_output_sweep_stale(const char *dir)
{
	g_autofree char *parent = g_path_get_dirname(dir);
	g_autofree char *base = g_path_get_basename(dir);
	g_autofree char *prefix = g_strconcat(base, ".tmp-", NULL);
	g_autoptr(GDir) listing = g_dir_open(parent, 0, NULL);
	const char *name;

	while (listing != NULL && (name = g_dir_read_name(listing)) != NULL) {
		const char *at = strrchr(name, '@');
		const char *dash = at != NULL ? g_strrstr_len(name, at - name, "-") : NULL;
		if (!g_str_has_prefix(name, prefix) || dash == NULL || !g_str_equal(at + 1, g_get_host_name()))
			continue;
		pid_t pid = (pid_t)g_ascii_strtoll(dash + 1, NULL, 10);
		if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		g_autofree char *path = g_build_filename(parent, name, NULL);
		g_autoptr(GError) error = NULL;
		if (!file_tree_remove(path, &error))
			g_warning("%s, ignoring", error->message);
	}
}

EngineOutput *
engine_output_begin(const char *dir, GError **error)
{
	g_autoptr(EngineOutput) self = g_new0(EngineOutput, 1);
	g_autofree char *parent = g_path_get_dirname(dir);

	self->dir = g_strdup(dir);
	self->tmp_dir = engine_output_private_name(dir, "new");
	self->subdirs = g_ptr_array_new_with_free_func(g_free);
	self->committed = TRUE; /* nothing to clean up until DIR.tmp exists */
	engine_output_sweep_stale(dir);
	if (g_mkdir_with_parents(parent, 0755) != 0) {
		engine_output_fail(error, errno, "mkdir", parent);
		return NULL;
	}
	if (g_mkdir(self->tmp_dir, 0755) != 0) {
		engine_output_fail(error, errno, "mkdir", self->tmp_dir);
		return NULL;
	}
	self->committed = FALSE;
	return g_steal_pointer(&self);
}

void
engine_output_free(EngineOutput *self)
{
	if (self == NULL)
		return;
	if (!self->committed) {
		g_autoptr(GError) error_local = NULL;
		if (!engine_output_remove(self->tmp_dir, &error_local))
			g_warning("%s, ignoring", error_local->message);
	}
	g_ptr_array_free(self->subdirs, TRUE);
	g_free(self->tmp_dir);
	g_free(self->dir);
	g_free(self);
}

static gboolean
engine_output_make_subdir(EngineOutput *self, const char *relative_path, GError **error)
{
	g_autofree char *relative_dir = g_path_get_dirname(relative_path);
	g_autofree char *path = NULL;

	if (strcmp(relative_dir, ".") == 0)
		return TRUE;
	for (guint i = 0; i < self->subdirs->len; i++) {
		if (strcmp(g_ptr_array_index(self->subdirs, i), relative_dir) == 0)
			return TRUE;
	}
	path = g_build_filename(self->tmp_dir, relative_dir, NULL);
	if (g_mkdir_with_parents(path, 0755) != 0)
		return engine_output_fail(error, errno, "mkdir", path);
	g_ptr_array_add(self->subdirs, g_steal_pointer(&relative_dir));
	return TRUE;
}

static gboolean
engine_output_write_all(int fd, const char *data, gsize length)
{
	while (length > 0) {
		ssize_t written = write(fd, data, length);
		if (written < 0) {
			if (errno == EINTR)
				continue;
			return FALSE;
		}
		data += written;
		length -= (gsize)written;
	}
	return TRUE;
}

gboolean
engine_output_write(EngineOutput *self, const char *relative_path, const char *data,
		    gsize length, GError **error)
{
	g_autofree char *path = g_build_filename(self->tmp_dir, relative_path, NULL);
	int fd;

	if (!engine_output_make_subdir(self, relative_path, error))
		return FALSE;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return engine_output_fail(error, errno, "create", relative_path);
	if (!engine_output_write_all(fd, data, length) || fsync(fd) != 0) {
		int errsv = errno;
		close(fd);
		return engine_output_fail(error, errsv, "write", relative_path);
	}
	if (close(fd) != 0)
		return engine_output_fail(error, errno, "close", relative_path);
	return TRUE;
}

/* Appended bytes are written once this many have gathered. */
#define ENGINE_OUTPUT_FILE_BUFFER (256 * 1024)

struct EngineOutputFile {
	int fd;
	char *relative_path;
	GByteArray *buffer;
	guint64 size;
};

EngineOutputFile *
engine_output_open(EngineOutput *self, const char *relative_path, GError **error)
{
	g_autofree char *path = g_build_filename(self->tmp_dir, relative_path, NULL);
	EngineOutputFile *file;
	int fd;

	if (!engine_output_make_subdir(self, relative_path, error))
		return NULL;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		engine_output_fail(error, errno, "create", relative_path);
		return NULL;
	}
	file = g_new0(EngineOutputFile, 1);
	file->fd = fd;
	file->relative_path = g_strdup(relative_path);
	file->buffer = g_byte_array_sized_new(ENGINE_OUTPUT_FILE_BUFFER);
	return file;
}

static gboolean
engine_output_file_flush(EngineOutputFile *file, GError **error)
{
	if (!engine_output_write_all(file->fd, (const char *)file->buffer->data, file->buffer->len))
		return engine_output_fail(error, errno, "write", file->relative_path);
	g_byte_array_set_size(file->buffer, 0);
	return TRUE;
}

gboolean
engine_output_file_append(EngineOutputFile *file, const void *data, gsize length, GError **error)
{
	g_byte_array_append(file->buffer, data, (guint)length);
	file->size += length;
	if (file->buffer->len < ENGINE_OUTPUT_FILE_BUFFER)
		return TRUE;
	return engine_output_file_flush(file, error);
}

guint64
engine_output_file_get_size(EngineOutputFile *file)
{
	return file->size;
}

void
engine_output_file_discard(EngineOutputFile *file)
{
	if (file == NULL)
		return;
	close(file->fd);
	g_byte_array_unref(file->buffer);
	g_free(file->relative_path);
	g_free(file);
}

gboolean
engine_output_file_close(EngineOutputFile *file, GError **error)
{
	gboolean ok = engine_output_file_flush(file, error);
	if (ok && fsync(file->fd) != 0)
		ok = engine_output_fail(error, errno, "fsync", file->relative_path);
	if (close(file->fd) != 0 && ok)
		ok = engine_output_fail(error, errno, "close", file->relative_path);
	file->fd = -1;
	g_byte_array_unref(file->buffer);
	g_free(file->relative_path);
	g_free(file);
	return ok;
}

gboolean
engine_output_commit(EngineOutput *self, GError **error)
{
	g_autofree char *parent = g_path_get_dirname(self->dir);
	g_autofree char *old_dir = engine_output_private_name(self->dir, "old");
	gboolean replaced = FALSE;

	for (guint i = 0; i < self->subdirs->len; i++) {
		g_autofree char *path =
		    g_build_filename(self->tmp_dir, g_ptr_array_index(self->subdirs, i), NULL);
		if (!engine_output_sync(path, error))
			return FALSE;
	}
	if (!engine_output_sync(self->tmp_dir, error))
		return FALSE;
	/* rename(2) cannot replace a non-empty directory: move an older result aside first. */
	if (!engine_output_remove(old_dir, error))
		return FALSE;
	if (rename(self->dir, old_dir) == 0)
		replaced = TRUE;
	else if (errno != ENOENT)
		return engine_output_fail(error, errno, "rename", self->dir);
	if (rename(self->tmp_dir, self->dir) != 0) {
		if (errno != ENOTEMPTY && errno != EEXIST)
			return engine_output_fail(error, errno, "rename", self->tmp_dir);
		/* Another writer of the same result put its folder there between our renames. */
		g_message("%s was written by another job meanwhile; keeping that one", self->dir);
		if (!engine_output_remove(self->tmp_dir, error))
			return FALSE;
	}
	self->committed = TRUE;
	if (!engine_output_sync(parent, error))
		return FALSE;
	if (replaced) {
		g_autoptr(GError) error_local = NULL;
		if (!engine_output_remove(old_dir, &error_local))
			g_warning("%s, ignoring", error_local->message);
	}
	return TRUE;
}
