/*
 * fileio.c — file-system helpers (see fileio.h).
 */
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

const char *
file_strerror(int err)
{
	if (err == FILE_NOT_REGULAR)
		return "not a regular file (a FIFO, a device or a socket)";
	if (err == EISDIR)
		return "a directory, not a regular file";
	return strerror(err);
}

bool
file_read(const char *path, size_t max, char **out, size_t *len, int *err)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	/* O_NONBLOCK: a FIFO with no writer must not hold pgpod */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	*out = NULL;
	*len = 0;
	if (fd < 0) {
		*err = errno;
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*err = fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : FILE_NOT_REGULAR;
		close(fd);
		return false;
	}
	if ((size_t) st.st_size > max) {
		*err = EFBIG;
		close(fd);
		return false;
	}
	buf = malloc((size_t) st.st_size + 1);
	if (buf == NULL) {
		*err = ENOMEM;
		close(fd);
		return false;
	}
	while (got < (size_t) st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t) st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = errno;
			free(buf);
			close(fd);
			return false;
		}
		if (n == 0)
			break;
		got += (size_t) n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return true;
}

void
file_dirname(const char *path, char *buf, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, cap, ".");
	else if (slash == path)
		snprintf(buf, cap, "/");
	else
		snprintf(buf, cap, "%.*s", (int) (slash - path), path);
}

bool
file_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		log_error("cannot open directory \"%s\": %s", path, strerror(errno));
		return false;
	}
	if (fsync(fd) != 0 && errno != EINVAL) {
		log_error("cannot fsync directory \"%s\": %s", path, strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

bool
file_write_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	char dir[PATH_MAX];
	size_t off = 0;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int) sizeof(tmp)) {
		log_error("path too long: \"%s\"", path);
		return false;
	}
	/* a new file of a random name (O_CREAT|O_EXCL, 0600): nothing planted
	 * beside it, a symlink least of all, receives what is written */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		log_error("cannot create a temporary file beside \"%s\": %s", path, strerror(errno));
		return false;
	}
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += (size_t) n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	file_dirname(path, dir, sizeof(dir));
	return file_fsync_dir(dir);

fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	(void) unlink(tmp);
	log_error("cannot write \"%s\": %s%s", path, strerror(err),
		  err == ENOSPC || err == EDQUOT ? " (the volume is full)" : "");
	return false;
}

bool
file_remove_in(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) != 0 && errno != ENOENT) {
		log_error("cannot remove \"%s\": %s", path, strerror(errno));
		return false;
	}
	return true;
}

bool
file_put_in(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];

	if (text == NULL)
		return file_remove_in(dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return file_write_atomic(path, text, strlen(text), 0600);
}

bool
file_name_safe(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255 || strcmp(name, ".") == 0 || strstr(name, "..") != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *) name; *p; p++)
		if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool
file_private_dir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		log_error("cannot use \"%s\": %s", path, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("\"%s\" is %s, not a directory; pgpod keeps passwords and its socket there: "
			  "point it at a directory of its own", path, S_ISLNK(st.st_mode)
			  ? "a symbolic link" : "not a directory");
		return false;
	}
	if (st.st_uid != geteuid()) {
		log_error("\"%s\" belongs to uid %d, not to uid %d that pgpod runs as: another user "
			  "could plant files where pgpod keeps passwords and its socket; give it to "
			  "uid %d, or point the option at a path that does not exist yet (pgpod makes it)",
			  path, (int) st.st_uid, (int) geteuid(), (int) geteuid());
		return false;
	}
	if ((st.st_mode & 077) != 0 && chmod(path, 0700) != 0) {
		log_error("\"%s\" is open to others (mode %04o) and cannot be made private: %s", path,
			  (unsigned) (st.st_mode & 07777), strerror(errno));
		return false;
	}
	return true;
}

bool
file_mkdir_p(const char *path, mode_t mode, char *created, size_t cap)
{
	char buf[PATH_MAX];
	size_t len;

	if (created != NULL && cap > 0)
		created[0] = '\0';
	len = (size_t) snprintf(buf, sizeof(buf), "%s", path);
	if (len >= sizeof(buf) || len == 0) {
		log_error("invalid directory path \"%s\"", path);
		return false;
	}
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (char *p = buf + 1;; p++) {
		bool last = (*p == '\0');

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == 0) {
			if (created != NULL && cap > 0 && created[0] == '\0')
				snprintf(created, cap, "%s", buf);
		} else if (errno != EEXIST) {
			log_error("cannot create directory \"%s\": %s", buf, strerror(errno));
			return false;
		} else {
			struct stat st;

			if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
				log_error("\"%s\" exists and is not a directory", buf);
				return false;
			}
		}
		if (last)
			break;
		*p = '/';
	}
	return true;
}

bool
file_chown_path(const char *top, const char *leaf, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX];
	size_t toplen = strlen(top);

	if (snprintf(buf, sizeof(buf), "%s", leaf) >= (int) sizeof(buf))
		return false;
	/* walk from leaf up to top */
	for (;;) {
		if (chown(buf, uid, gid) != 0) {
			log_error("cannot chown \"%s\": %s", buf, strerror(errno));
			return false;
		}
		if (strlen(buf) <= toplen)
			break;
		{
			char *slash = strrchr(buf, '/');

			if (slash == NULL || slash == buf)
				break;
			*slash = '\0';
		}
	}
	return true;
}

enum file_dir_state
file_dir_state(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	enum file_dir_state state = FILE_DIR_EMPTY;

	if (d == NULL)
		return errno == ENOENT ? FILE_DIR_MISSING : FILE_DIR_NOT_A_DIR;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* a volume's lost+found does not count as data */
		if (strcmp(de->d_name, "lost+found") == 0)
			continue;
		state = FILE_DIR_NOT_EMPTY;
		break;
	}
	closedir(d);
	return state;
}
