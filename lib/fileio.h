/*
 * fileio.h — small, careful file-system helpers: bounded reads, atomic
 * writes (temp file, fsync, rename, fsync the directory), mkdir -p.
 */
#ifndef PGPOD_FILEIO_H
#define PGPOD_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MUSTCHECK __attribute__((warn_unused_result))

enum file_dir_state {
	FILE_DIR_MISSING,
	FILE_DIR_EMPTY,
	FILE_DIR_NOT_EMPTY,
	FILE_DIR_NOT_A_DIR,
};

/* Read a whole file (at most max bytes) into a NUL-terminated buffer.
 * Does not log: *err gets errno (EFBIG when too large). */
bool file_read(const char *path, size_t max, char **out, size_t *len, int *err) MUSTCHECK;

/* Write atomically with the given mode: a new randomly named file beside
 * path (O_EXCL), fsync, rename, fsync the directory. Logs failures. */
bool file_write_atomic(const char *path, const char *data, size_t len, mode_t mode) MUSTCHECK;

/* Create path and its missing parents with mode. The first directory this
 * call created (the top of what is new) goes to created (empty if none). */
bool file_mkdir_p(const char *path, mode_t mode, char *created, size_t cap) MUSTCHECK;

/* chown every directory from top down to leaf (top must be an ancestor of
 * leaf or equal to it). */
bool file_chown_path(const char *top, const char *leaf, uid_t uid, gid_t gid) MUSTCHECK;

enum file_dir_state file_dir_state(const char *path);

/* path is a real directory (not a symlink) of this user, and private
 * (made 0700 when it was open to others); logged why not. */
bool file_private_dir(const char *path) MUSTCHECK;

bool file_fsync_dir(const char *path) MUSTCHECK;

/* The parent directory of path into buf. */
void file_dirname(const char *path, char *buf, size_t cap);

#endif
