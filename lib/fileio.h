/*
 * fileio.h — small, careful file-system helpers: bounded reads, atomic
 * writes (temp file, fsync, rename, fsync the directory), mkdir -p.
 */
#ifndef PGPOD_FILEIO_H
#define PGPOD_FILEIO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MUSTCHECK __attribute__((warn_unused_result))

/* file_read's *err for a FIFO, a device or a socket. */
#define FILE_NOT_REGULAR ENODEV

/* strerror, with FILE_NOT_REGULAR said plainly. */
const char *file_strerror(int err);

enum file_dir_state {
	FILE_DIR_MISSING,
	FILE_DIR_EMPTY,
	FILE_DIR_NOT_EMPTY,
	FILE_DIR_NOT_A_DIR,
};

/* Read a whole regular file (at most max bytes) into a NUL-terminated
 * buffer, without blocking on a FIFO or a device. Does not log: *err gets
 * errno (EFBIG when too large, EISDIR for a directory, FILE_NOT_REGULAR
 * for a FIFO, a device or a socket). */
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

/* Remove dir/name when it is there; false (logged) when it cannot go. */
bool file_remove_in(const char *dir, const char *name) MUSTCHECK;

/* dir/name holds text (written atomically, 0600), or, text NULL, is not
 * there: a credential file that follows its Secret. Logs failures. */
bool file_put_in(const char *dir, const char *name, const char *text) MUSTCHECK;

/* Whether name can be one component of a path pgpod builds: 1..255
 * bytes, no '/' or '\\', no "..", not ".", no control characters. Every
 * file name made from spec text is checked with it. */
bool file_name_safe(const char *name);

/* path is a real directory (not a symlink) of this user, and private
 * (made 0700 when it was open to others); logged why not. */
bool file_private_dir(const char *path) MUSTCHECK;

bool file_fsync_dir(const char *path) MUSTCHECK;

/* The parent directory of path into buf. */
void file_dirname(const char *path, char *buf, size_t cap);

#endif
