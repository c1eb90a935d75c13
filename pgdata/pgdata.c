/*
 * pgdata.c — data directory state and marks (see pgdata.h).
 */
#include "pgdata.h"

#include <json-c/json.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "status.h"

bool
pgdata_has(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

bool
pgdata_mark_bootstrapping(const char *pgdata, const char *method)
{
	char created[PATH_MAX], path[PATH_MAX];

	if (!file_mkdir_p(pgdata, 0700, created, sizeof(created)))
		return false;	/* errors have already been logged */
	snprintf(path, sizeof(path), "%s/%s", pgdata, PGDATA_BOOTSTRAPPING);
	return file_write_atomic(path, method, strlen(method), 0600);
}

void
pgdata_bootstrapping_method(const char *pgdata, char *buf, size_t cap)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	int err;

	*buf = '\0';
	snprintf(path, sizeof(path), "%s/%s", pgdata, PGDATA_BOOTSTRAPPING);
	if (file_read(path, 64, &text, &len, &err))
		snprintf(buf, cap, "%.*s", (int) strcspn(text, "\n"), text);
	free(text);
}

bool
pgdata_only_staging(const char *pgdata)
{
	struct dirent *e;
	DIR *d = opendir(pgdata);
	bool only = d != NULL, staging = false;

	while (only && (e = readdir(d)) != NULL) {
		staging |= strcmp(e->d_name, ".pgpod-copy") == 0;
		only = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0
			|| strcmp(e->d_name, PGDATA_BOOTSTRAPPING) == 0
			|| strcmp(e->d_name, ".pgpod-copy") == 0
			|| strcmp(e->d_name, ".pgpod-copy.pid") == 0;
	}
	if (d != NULL)
		closedir(d);
	return only && staging;
}

bool
pgdata_only_mark(const char *pgdata)
{
	struct dirent *e;
	DIR *d = opendir(pgdata);
	bool only = d != NULL;

	while (only && (e = readdir(d)) != NULL)
		only = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0
			|| strcmp(e->d_name, PGDATA_BOOTSTRAPPING) == 0;
	if (d != NULL)
		closedir(d);
	return only && file_remove_in(pgdata, PGDATA_BOOTSTRAPPING);
}

enum pgdata_state
pgdata_state(const char *pgdata)
{
	switch (file_dir_state(pgdata)) {
	case FILE_DIR_MISSING:
	case FILE_DIR_EMPTY:
		return PGDATA_EMPTY;
	case FILE_DIR_NOT_A_DIR:
		return PGDATA_UNREADABLE;
	case FILE_DIR_NOT_EMPTY:
		break;
	}
	/* the completion marker wins: a stray leftover of a copy beside it
	 * does not make a finished PGDATA a cut-off one */
	if (pgdata_has(pgdata, PGDATA_MARKER))
		return PGDATA_BOOTSTRAPPED;
	if (pgdata_has(pgdata, PGDATA_FAILED_MARK))
		return PGDATA_FAILED;
	if (pgdata_has(pgdata, PGDATA_BOOTSTRAPPING) || pgdata_has(pgdata, ".pgpod-copy")
	    || pgdata_has(pgdata, ".pgpod-copy.pid"))
		return PGDATA_PARTIAL;
	if (pgdata_has(pgdata, "PG_VERSION") && pgdata_has(pgdata, "global/pg_control"))
		return PGDATA_FOREIGN;
	return PGDATA_UNKNOWN;
}

const char *
pgdata_state_name(enum pgdata_state st)
{
	static const char *const names[] = {
		[PGDATA_EMPTY] = "empty",
		[PGDATA_BOOTSTRAPPED] = "bootstrapped by pgpod",
		[PGDATA_PARTIAL] = "a bootstrap that was cut off",
		[PGDATA_FAILED] = "a failed attempt of pgpod's that could not be moved aside",
		[PGDATA_FOREIGN] = "a PostgreSQL data directory not bootstrapped by pgpod",
		[PGDATA_UNKNOWN] = "not empty and not a PostgreSQL data directory",
		[PGDATA_UNREADABLE] = "not a readable directory",
	};

	return names[st];
}

/* UTC now, compact (20261122T235900Z) or RFC 3339. */
static void
utc_stamp(char *buf, size_t cap, bool compact)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (compact)
		strftime(buf, cap, "%Y%m%dT%H%M%SZ", &tm);
	else
		strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool
pgdata_write_marker(const char *pgdata, const char *method, double seconds, const char *extra)
{
	char path[PATH_MAX];
	char when[32];
	char text[1024];
	int n;

	utc_stamp(when, sizeof(when), false);
	n = snprintf(text, sizeof(text),
		     "{\"method\": \"%s\", \"finishedAt\": \"%s\", \"durationSeconds\": %.3f, "
		     "\"pgpodVersion\": \"%s\"%s}\n", method, when, seconds, PGPOD_VERSION, extra);
	if (n < 0 || (size_t) n >= sizeof(text))
		return false;
	snprintf(path, sizeof(path), "%s/%s", pgdata, PGDATA_MARKER);
	return file_write_atomic(path, text, (size_t) n, 0600);
}

bool
pgdata_read_marker(const char *pgdata, struct pgdata_marker *m)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	int err;
	struct json_object *o, *v;

	memset(m, 0, sizeof(*m));
	m->duration_s = -1;
	snprintf(path, sizeof(path), "%s/%s", pgdata, PGDATA_MARKER);
	if (!file_read(path, 4096, &text, &len, &err))
		return false;
	o = json_tokener_parse(text);
	free(text);
	if (o == NULL)
		return false;
	if (json_object_object_get_ex(o, "method", &v))
		snprintf(m->method, sizeof(m->method), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "finishedAt", &v))
		snprintf(m->finished_at, sizeof(m->finished_at), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "durationSeconds", &v))
		m->duration_s = json_object_get_double(v);
	json_object_put(o);
	return true;
}

void
pgdata_marker_status(const char *pgdata)
{
	struct pgdata_marker m;
	struct status *st;

	if (!pgdata_read_marker(pgdata, &m))
		return;
	st = status_lock();
	snprintf(st->boot_method, sizeof(st->boot_method), "%s", m.method);
	snprintf(st->boot_finished_at, sizeof(st->boot_finished_at), "%s", m.finished_at);
	st->boot_duration_s = m.duration_s;
	status_unlock();
}

bool
pgdata_movable(const char *pgdata)
{
	char parent[PATH_MAX];

	file_dirname(pgdata, parent, sizeof(parent));
	return access(parent, W_OK | X_OK) == 0;
}

/* Remove a whole tree, without following symlinks or crossing mounts. */
static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0)
		log_warn("cannot remove \"%s\": %s", path, strerror(errno));
	return 0;
}

bool
pgdata_clear_failed(const char *pgdata)
{
	char mark[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(pgdata);

	if (d == NULL) {
		log_error("cannot open \"%s\": %s", pgdata, strerror(errno));
		return false;
	}
	log_warn("PGDATA \"%s\" holds a failed attempt of pgpod's own that could not be moved "
		 "aside: removing it and bootstrapping again", pgdata);
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX * 2];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0
		    || strcmp(e->d_name, PGDATA_FAILED_MARK) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pgdata, e->d_name);
		(void) nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	}
	closedir(d);
	/* the mark goes last: a removal that was cut off is finished next time */
	snprintf(mark, sizeof(mark), "%s/%s", pgdata, PGDATA_FAILED_MARK);
	if (unlink(mark) != 0) {
		log_error("cannot remove \"%s\": %s", mark, strerror(errno));
		return false;
	}
	if (file_dir_state(pgdata) != FILE_DIR_EMPTY) {
		log_error("could not empty \"%s\" of pgpod's failed attempt (see above)", pgdata);
		return false;
	}
	return true;
}

/* Failed attempts in the order they were made: "<stamp>" before
 * "<stamp>-1" before "<stamp>-10" (the suffix numerically). */
static int
cmp_attempts(const void *a, const void *b)
{
	const char *x = *(char *const *) a, *y = *(char *const *) b;
	const char *dx = strrchr(x, 'Z'), *dy = strrchr(y, 'Z');
	size_t nx = dx ? (size_t) (dx - x) : strlen(x), ny = dy ? (size_t) (dy - y) : strlen(y);
	int c = strncmp(x, y, nx < ny ? nx : ny);
	long sx = dx && dx[1] == '-' ? strtol(dx + 2, NULL, 10) : 0;
	long sy = dy && dy[1] == '-' ? strtol(dy + 2, NULL, 10) : 0;

	if (c != 0 || nx != ny)
		return c != 0 ? c : (nx < ny ? -1 : 1);
	return sx < sy ? -1 : sx > sy;
}

/* Keep the newest keep failed attempts of pgdata; older ones go, but only
 * pgpod's own (named <pgdata>.failed-<UTC stamp>[-n] and holding the
 * mark pgpod puts in them). Their names sort by time. */
static void
prune_failed(const char *pgdata, int keep)
{
	char parent[PATH_MAX], prefix[PATH_MAX];
	char *names[256];
	size_t n = 0, plen;
	struct dirent *e;
	DIR *d;

	file_dirname(pgdata, parent, sizeof(parent));
	snprintf(prefix, sizeof(prefix), "%s.failed-", strrchr(pgdata, '/') ? strrchr(pgdata, '/') + 1
		 : pgdata);
	plen = strlen(prefix);
	if ((d = opendir(parent)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && n < sizeof(names) / sizeof(names[0])) {
		char mark[PATH_MAX * 2];

		snprintf(mark, sizeof(mark), "%s/%s/%s", parent, e->d_name, PGDATA_FAILED_MARK);
		if (strncmp(e->d_name, prefix, plen) == 0 && access(mark, F_OK) == 0
		    && (names[n++] = strdup(e->d_name)) == NULL)
			abort();	/* out of memory */
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_attempts);
	for (size_t i = 0; i < n; i++) {
		if (i + (size_t) keep < n) {
			char path[PATH_MAX * 2];

			snprintf(path, sizeof(path), "%s/%s", parent, names[i]);
			log_info("removing the old failed attempt \"%s\" (pgpod keeps the newest %d)",
				 path, keep);
			(void) nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
		}
		free(names[i]);
	}
}

static void
attempt_name(char *out, size_t cap, const char *pgdata, const char *stamp, int i)
{
	if (i == 0)
		snprintf(out, cap, "%s.failed-%s", pgdata, stamp);
	else
		snprintf(out, cap, "%s.failed-%s-%d", pgdata, stamp, i);
}

bool
pgdata_move_aside(const char *pgdata, int keep, char *out, size_t cap)
{
	int last = -1;
	char stamp[32];
	char parent[PATH_MAX], mark[PATH_MAX];
	int fd;

	utc_stamp(stamp, sizeof(stamp), true);
	/* after the newest attempt of the same second, even when older ones
	 * of that second were removed: names keep their order */
	for (int i = 0; i < 100; i++) {
		attempt_name(out, cap, pgdata, stamp, i);
		if (access(out, F_OK) == 0)
			last = i;
	}
	attempt_name(out, cap, pgdata, stamp, last + 1);
	/* the mark says this is pgpod's own failed attempt (only such are
	 * ever removed); on a full volume it may be missing: then it stays */
	snprintf(mark, sizeof(mark), "%s/%s", pgdata, PGDATA_FAILED_MARK);
	fd = open(mark, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	if (rename(pgdata, out) != 0) {
		log_error("cannot move the failed attempt \"%s\" aside to \"%s\": %s; it is left "
			  "in place, move it away by hand before retrying", pgdata, out, strerror(errno));
		return false;
	}
	file_dirname(pgdata, parent, sizeof(parent));
	if (!file_fsync_dir(parent))
		log_warn("the move to \"%s\" may not be durable yet", out);
	if (keep > 0)
		prune_failed(pgdata, keep);
	return true;
}

void
pgdata_report_space(const char *pgdata)
{
	char parent[PATH_MAX];
	struct statvfs vfs;

	file_dirname(pgdata, parent, sizeof(parent));
	if (statvfs(access(pgdata, F_OK) == 0 ? pgdata : parent, &vfs) != 0)
		return;
	/* less room than a few WAL segments, or under 1 %: (nearly) full;
	 * what failed may have freed some already (a removed WAL temp file) */
	if ((unsigned long long) vfs.f_bavail * vfs.f_frsize < (64ULL << 20)
	    || vfs.f_bavail * 100 < vfs.f_blocks)
		log_error("the volume holding \"%s\" is full or nearly (%llu kB free of %llu kB): free "
			  "space or give the volume more room, then run again", parent,
			  (unsigned long long) vfs.f_bavail * vfs.f_frsize / 1024,
			  (unsigned long long) vfs.f_blocks * vfs.f_frsize / 1024);
}

/* Add the directory at path (a symlink followed) to paths when its file
 * system is not there yet. */
static void
pgdata_add_fs(const char *path, char paths[][PATH_MAX], dev_t *devs, size_t *n, size_t cap)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || *n >= cap)
		return;
	for (size_t i = 0; i < *n; i++)
		if (devs[i] == st.st_dev)
			return;
	devs[*n] = st.st_dev;
	snprintf(paths[(*n)++], PATH_MAX, "%s", path);
}

int
pgdata_sync_open(const char *pgdata)
{
	char parent[PATH_MAX];
	int fd = open(pgdata, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	file_dirname(pgdata, parent, sizeof(parent));
	return open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* syncfs through fd; logged with what it flushed when it fails. */
static bool
pgdata_syncfs(int fd, const char *what)
{
	if (syncfs(fd) == 0)
		return true;
	log_error("cannot flush the file system of \"%s\" to disk: %s%s", what, strerror(errno),
		  errno == ENOSPC || errno == EDQUOT ? " (the volume is full)" : "");
	return false;
}

size_t
pgdata_filesystems(const char *pgdata, char paths[][PATH_MAX], size_t cap)
{
	char dir[PATH_MAX + 16];
	dev_t devs[PGDATA_MAX_FS];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", pgdata);
	pgdata_add_fs(dir, paths, devs, &n, cap);
	snprintf(dir, sizeof(dir), "%s/pg_wal", pgdata);
	pgdata_add_fs(dir, paths, devs, &n, cap);
	snprintf(dir, sizeof(dir), "%s/pg_tblspc", pgdata);
	if ((d = opendir(dir)) == NULL)
		return n;
	while ((e = readdir(d)) != NULL) {
		char link[PATH_MAX * 2];

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		pgdata_add_fs(link, paths, devs, &n, cap);
	}
	closedir(d);
	return n;
}

bool
pgdata_sync(const char *pgdata, int early_fd)
{
	char paths[PGDATA_MAX_FS][PATH_MAX];
	size_t n = pgdata_filesystems(pgdata, paths, PGDATA_MAX_FS);
	struct stat early;
	bool ok = true;

	/* the descriptor opened when the bootstrap began sees every write
	 * error of its file system since then (syncfs reports only those) */
	if (early_fd >= 0)
		ok = pgdata_syncfs(early_fd, pgdata);
	if (early_fd < 0 || fstat(early_fd, &early) != 0)
		early.st_dev = (dev_t) -1;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		int fd;

		if (stat(paths[i], &st) == 0 && st.st_dev == early.st_dev)
			continue;
		fd = open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			log_error("cannot open \"%s\" to flush it: %s", paths[i], strerror(errno));
			ok = false;
			continue;
		}
		ok = pgdata_syncfs(fd, paths[i]) && ok;
		close(fd);
	}
	if (ok)
		log_info("flushed to disk: %zu file system%s (%s%s)", n, n == 1 ? "" : "s", paths[0],
			 n > 1 ? " and where pg_wal or the tablespaces live" : "");
	return ok;
}
