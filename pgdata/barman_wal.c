/*
 * barman_wal.c — archive_command and restore_command over barman-cloud
 * (see barman_wal.h).
 */
#include "barman_wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "barman.h"
#include "fileio.h"
#include "log.h"
#include "proc.h"

#define WAL_LOGGER    "barman-cloud"
#define SEGMENT_16MB  (16ULL * 1024 * 1024)
#define PREFETCH_WAIT_MS (120 * 1000)	/* a segment fetched ahead is waited for this long */
#define MISSING_FRESH_S  2	/* the prefetcher's "not archived" stands this long */
#define ARCHIVE_HEAD  "archive-head"	/* in the source store's directory: see note_head */

bool
barman_wal_is_segment(const char *name)
{
	return strlen(name) == 24 && strspn(name, "0123456789ABCDEF") == 24;
}

bool
barman_wal_next(const char *name, unsigned long long segment_bytes, char *out, size_t cap)
{
	unsigned tli, log, seg;
	unsigned long long per_log;

	if (!barman_wal_is_segment(name) || segment_bytes == 0
	    || sscanf(name, "%8X%8X%8X", &tli, &log, &seg) != 3)
		return false;
	per_log = 0x100000000ULL / segment_bytes;
	if ((unsigned long long) seg + 1 >= per_log) {
		seg = 0;
		log++;
	} else {
		seg++;
	}
	return (size_t) snprintf(out, cap, "%08X%08X%08X", tli, log, seg) < cap;
}

static int
name_order(const void *a, const void *b)
{
	return strcmp(a, b);
}

size_t
barman_wal_ready_after(const char *const *status_names, size_t n, const char *name,
		       char out[][32], size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n && max > 0; i++) {
		const char *f = status_names[i];
		size_t len = strlen(f);
		char seg[32];

		if (len != 24 + 6 || strcmp(f + 24, ".ready") != 0)
			continue;
		snprintf(seg, sizeof(seg), "%.24s", f);
		if (!barman_wal_is_segment(seg) || strcmp(seg, name) <= 0)
			continue;
		if (k < max) {
			memcpy(out[k++], seg, 25);
		} else {
			/* keep the oldest max: replace the newest kept if older */
			qsort(out, k, sizeof(out[0]), name_order);
			if (strcmp(seg, out[k - 1]) < 0)
				memcpy(out[k - 1], seg, 25);
		}
	}
	qsort(out, k, sizeof(out[0]), name_order);
	return k;
}

/* ---- running the tools ---- */

/* barman-cloud-wal-archive with the store's options, for one path. */
static bool
archive_start(const struct barman_store *st, const char *path, struct proc *p)
{
	struct argv args, env;
	bool ok;

	if (!barman_command(st, "barman-cloud-wal-archive", &args, &env))
		return false;
	if (*st->wal_compression)
		argv_add(&args, strcmp(st->wal_compression, "gzip") == 0 ? "--gzip"
			 : strcmp(st->wal_compression, "bzip2") == 0 ? "--bzip2" : "--snappy");
	if (*st->wal_encryption) {
		argv_add(&args, "--encryption");
		argv_add(&args, st->wal_encryption);
	}
	if (st->ntags > 0) {
		argv_add(&args, "--tags");
		for (size_t i = 0; i < st->ntags; i++)
			argv_add(&args, st->tags[i]);
	}
	if (st->nhistory_tags > 0) {
		argv_add(&args, "--history-tags");
		for (size_t i = 0; i < st->nhistory_tags; i++)
			argv_add(&args, st->history_tags[i]);
	}
	barman_target(st, &args);
	argv_add(&args, path);
	ok = proc_spawn(&args, &env, WAL_LOGGER, false, p);
	argv_free(&args);
	argv_free(&env);
	return ok;
}

/* Run a tool to its end: its exit code, -1 when it could not start. */
static int
tool_wait(struct proc *p, bool started)
{
	int code = -1;

	if (!started || !proc_wait(p, &code))
		return -1;
	return code;
}

/* The first archive of a new cluster: the destination must not hold WAL
 * of this server name already (CloudNativePG's check). */
static bool
empty_check(const struct barman_store *st)
{
	struct argv args, env;
	struct proc p;
	char last[PROC_LAST_MAX] = "";
	int code;

	if (access(EMPTY_CHECK_FILE, F_OK) != 0)
		return true;
	if (!barman_command(st, "barman-cloud-check-wal-archive", &args, &env))
		return false;
	barman_target(st, &args);
	code = tool_wait(&p, proc_spawn(&args, &env, WAL_LOGGER, false, &p));
	if (code >= 0)
		snprintf(last, sizeof(last), "%s", p.last);
	argv_free(&args);
	argv_free(&env);
	if (code != 0) {
		log_error("WAL archive check failed for server \"%s\" in \"%s\"%s%s: Expected empty "
			  "archive. A new cluster must not archive into a path that holds another "
			  "cluster's WAL (say, the one it was restored from): give it another "
			  "serverName or destinationPath, or, if you are sure, annotate the cluster "
			  "with cnpg.io/skipEmptyWalArchiveCheck: enabled", st->server, st->destination,
			  *last ? ": " : "", last);
		return false;
	}
	if (unlink(EMPTY_CHECK_FILE) != 0 && errno != ENOENT)
		log_warn("cannot remove \"%s\": %s", EMPTY_CHECK_FILE, strerror(errno));
	log_info("the WAL archive \"%s\" (server \"%s\") is empty: archiving into it",
		 st->destination, st->server);
	return true;
}

/* The names in pg_wal/archive_status (owned copies into names). */
static size_t
status_names(char names[][40], size_t max)
{
	DIR *d = opendir("pg_wal/archive_status");
	struct dirent *e;
	size_t n = 0;

	while (d != NULL && n < max && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 40 && strstr(e->d_name, ".ready") != NULL)
			memcpy(names[n++], e->d_name, len + 1);
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* dir/name[suffix] into buf; false when it does not fit. */
static bool
path_of(char *buf, size_t cap, const char *dir, const char *name, const char *suffix)
{
	size_t a = strlen(dir), b = strlen(name), c = strlen(suffix);

	if (a + 1 + b + c + 1 > cap)
		return false;
	memcpy(buf, dir, a);
	buf[a] = '/';
	memcpy(buf + a + 1, name, b);
	memcpy(buf + a + 1 + b, suffix, c + 1);
	return true;
}

/* spool/<name>: archived ahead. */
static bool
spool_path(const struct barman_store *st, const char *name, char *buf, size_t cap)
{
	return (size_t) snprintf(buf, cap, "%s/spool/%s", st->dir, name) < cap;
}

/* The segments after name that postgres marked ready, archived ahead. */
static size_t
ahead_list(const struct barman_store *st, const char *name, char ahead[][32])
{
	static char names[4096][40];
	const char *ptrs[4096];
	size_t n;

	if (st->max_parallel <= 1 || !barman_wal_is_segment(name))
		return 0;
	n = status_names(names, 4096);
	for (size_t i = 0; i < n; i++)
		ptrs[i] = names[i];
	return barman_wal_ready_after(ptrs, n, name, ahead,
				      (size_t) (st->max_parallel - 1) < BARMAN_WAL_MAX_PARALLEL - 1
				      ? (size_t) st->max_parallel - 1 : BARMAN_WAL_MAX_PARALLEL - 1);
}

int
barman_wal_archive(const char *run_dir, const char *path)
{
	static struct proc procs[BARMAN_WAL_MAX_PARALLEL];
	static bool started[BARMAN_WAL_MAX_PARALLEL];
	char ahead[BARMAN_WAL_MAX_PARALLEL][32];
	struct barman_store st;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char spool[PATH_MAX + 64], created[PATH_MAX];
	size_t n;
	int code;

	if (!barman_store_read(run_dir, BARMAN_OWN, &st))
		return 1;
	if (spool_path(&st, name, spool, sizeof(spool)) && unlink(spool) == 0)
		return 0;	/* archived ahead by an earlier call */
	if (!empty_check(&st))
		return 1;
	n = ahead_list(&st, name, ahead);
	started[0] = archive_start(&st, path, &procs[0]);
	for (size_t i = 0; i < n; i++) {
		char p[64];

		started[i + 1] = path_of(p, sizeof(p), "pg_wal", ahead[i], "")
			&& archive_start(&st, p, &procs[i + 1]);
	}
	code = tool_wait(&procs[0], started[0]);
	if (n > 0 && (!path_of(spool, sizeof(spool), st.dir, "spool", "")
		      || !file_mkdir_p(spool, 0700, created, sizeof(created))))
		n = 0;
	for (size_t i = 0; i < n; i++) {
		int fd;

		if (tool_wait(&procs[i + 1], started[i + 1]) != 0)
			continue;	/* postgres' own call for it tries again */
		if (!spool_path(&st, ahead[i], spool, sizeof(spool)))
			continue;
		fd = open(spool, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	if (code != 0)
		log_error("archiving \"%s\" to \"%s\" failed (barman-cloud-wal-archive exit code %d); "
			  "postgres tries again", name, st.destination, code);
	return code == 0 ? 0 : 1;
}

/* ---- restore ---- */

static bool
restore_start(const struct barman_store *st, const char *name, const char *dest, struct proc *p)
{
	struct argv args, env;
	bool ok;

	if (!barman_command(st, "barman-cloud-wal-restore", &args, &env))
		return false;
	barman_target(st, &args);
	argv_add(&args, name);
	argv_add(&args, dest);
	ok = proc_spawn(&args, &env, WAL_LOGGER, false, p);
	argv_free(&args);
	argv_free(&env);
	return ok;
}

/* What wal-restore learned of the archive's end, for the standby's lag:
 * "NAME 1" the newest segment known archived, "NAME 0" the first known
 * missing. A hint, rewritten (not synced) as requests come: an older
 * segment found present never replaces a newer one, nor an end already
 * known beyond it. */
static void
note_head(const char *store_dir, const char *name, bool present)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 64], line[40], old[40];
	ssize_t n = 0;
	int fd;

	if (!barman_wal_is_segment(name) || !path_of(path, sizeof(path), store_dir, ARCHIVE_HEAD, "")
	    || (size_t) snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long) getpid()) >= sizeof(tmp))
		return;
	if (present && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, old, sizeof(old) - 1);
		close(fd);
		old[n > 0 ? n : 0] = '\0';
		if (n >= 26 && strncmp(old, name, 24) >= 0
		    && (strncmp(old, name, 24) > 0 || old[25] == '1'))
			return;
	}
	n = snprintf(line, sizeof(line), "%s %d\n", name, present);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return;
	if (write(fd, line, (size_t) n) != n || close(fd) != 0 || rename(tmp, path) != 0)
		(void) unlink(tmp);
}

long long
barman_wal_archive_lag(const char *run_dir, const char *replay_lsn,
		       unsigned long long segment_bytes)
{
	char path[PATH_MAX + 64], text[40];
	unsigned hi, lo, log_id, seg;
	unsigned long long head, replay;
	ssize_t n;
	int fd, present;

	if ((size_t) snprintf(path, sizeof(path), "%s/barman/" BARMAN_SOURCE "/" ARCHIVE_HEAD,
			      run_dir) >= sizeof(path)
	    || segment_bytes == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	if (n < 26 || sscanf(text + 8, "%8X%8X %d", &log_id, &seg, &present) != 3
	    || sscanf(replay_lsn, "%X/%X", &hi, &lo) != 2)
		return -1;
	head = ((unsigned long long) log_id * (0x100000000ULL / segment_bytes) + seg
		+ (present == 1)) * segment_bytes;
	replay = ((unsigned long long) hi << 32) | lo;
	return head > replay ? (long long) (head - replay) : 0;
}

/* The next segments after name (same timeline), at most max. */
static size_t
next_segments(const struct barman_store *st, const char *name, char ahead[][32], size_t max)
{
	const char *prev = name;
	size_t n = 0;

	for (; n < max; n++) {
		if (!barman_wal_next(prev, st->segment_bytes ? st->segment_bytes : SEGMENT_16MB,
				     ahead[n], sizeof(ahead[n])))
			break;
		prev = ahead[n];
	}
	return n;
}

/* Claim a segment to fetch ahead: dir/NAME.claim holding our pid (O_EXCL:
 * one fetcher per segment). */
static bool
claim(const char *dir, const char *name)
{
	char path[PATH_MAX + 64], pid[24];
	int fd, len;

	if (!path_of(path, sizeof(path), dir, name, "") || access(path, F_OK) == 0
	    || !path_of(path, sizeof(path), dir, name, ".claim"))
		return false;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	len = snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
	if (write(fd, pid, (size_t) len) != len) {
		close(fd);
		(void) unlink(path);
		return false;
	}
	close(fd);
	return true;
}

/* The prefetcher, detached from postgres' restore_command (postgres does
 * not wait for it; a process reaper — pgpod run is a subreaper — reaps it): each claimed segment into NAME.partial, renamed to
 * NAME once complete — a cut-off download never passes for a segment —
 * then the claim released. */
static void
prefetch_detached(const struct barman_store *st, const char *dir, char ahead[][32], size_t n)
{
	static struct proc procs[BARMAN_WAL_MAX_PARALLEL];
	bool started[BARMAN_WAL_MAX_PARALLEL] = { false };
	char got[PATH_MAX + 64], done[PATH_MAX + 64];
	bool claimed[BARMAN_WAL_MAX_PARALLEL] = { false };
	int ready[2];
	pid_t pid;
	char c = 0;

	if (pipe2(ready, O_CLOEXEC) != 0)
		return;
	pid = proc_fork_process();
	if (pid != 0) {
		/* the parent returns once the claims are made: postgres' next
		 * call finds them and waits instead of fetching twice */
		close(ready[1]);
		if (pid > 0)
			while (read(ready[0], &c, 1) < 0 && errno == EINTR)
				;
		close(ready[0]);
		return;
	}
	close(ready[0]);
	(void) setsid();
	for (size_t i = 0; i < n; i++)
		claimed[i] = claim(dir, ahead[i]);
	while (write(ready[1], &c, 1) < 0 && errno == EINTR)
		;
	close(ready[1]);
	for (size_t i = 0; i < n; i++)
		started[i] = claimed[i] && path_of(got, sizeof(got), dir, ahead[i], ".partial")
			&& restore_start(st, ahead[i], got, &procs[i]);
	for (size_t i = 0; i < n; i++) {
		if (!started[i]) {
			if (claimed[i] && path_of(got, sizeof(got), dir, ahead[i], ".claim"))
				(void) unlink(got);
			continue;
		}
		(void) path_of(got, sizeof(got), dir, ahead[i], ".partial");
		if (tool_wait(&procs[i], true) == 0
		    && path_of(done, sizeof(done), dir, ahead[i], "") && rename(got, done) == 0) {
			note_head(st->dir, ahead[i], true);
		} else {
			int fd;

			(void) unlink(got);
			if (path_of(got, sizeof(got), dir, ahead[i], ".missing")
			    && (fd = open(got, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0)
				close(fd);
		}
		if (path_of(got, sizeof(got), dir, ahead[i], ".claim"))
			(void) unlink(got);
	}
	_exit(0);
}

/* Segments older than name go from the prefetch directory: postgres
 * does not ask for them again. */
static void
prune_before(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (barman_wal_is_segment(e->d_name) && strcmp(e->d_name, name) < 0)
			(void) unlinkat(dirfd(d), e->d_name, 0);
	if (d != NULL)
		closedir(d);
}

/* dir/name (fetched ahead) copied to path — pg_wal and the run directory
 * are seldom one file system — and kept: postgres asks for the last
 * segment again when its recovery ends. */
static bool
serve(const char *dir, const char *name, const char *path)
{
	char src[PATH_MAX + 64], buf[65536];
	int in, out;
	ssize_t n = 0;
	bool ok;

	if (!path_of(src, sizeof(src), dir, name, "") || (in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok = out >= 0;
	while (ok && (n = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, (size_t) n) == n;
	ok = ok && n == 0;
	close(in);
	if (out >= 0 && close(out) != 0)
		ok = false;
	if (!ok)
		(void) unlink(path);
	else
		prune_before(dir, name);
	return ok;
}

/* The prefetcher found name missing just now (NAME.missing, under
 * MISSING_FRESH_S old): postgres' own call for it is answered at once. */
static bool
recently_missing(const char *dir, const char *name)
{
	char path[PATH_MAX + 64];
	struct stat sb;
	bool fresh;

	if (!path_of(path, sizeof(path), dir, name, ".missing") || stat(path, &sb) != 0)
		return false;
	fresh = time(NULL) - sb.st_mtime <= MISSING_FRESH_S;
	(void) unlink(path);
	return fresh;
}

/* A segment being fetched ahead: wait (bounded) until it is there. True
 * when it was served to path; false: fetch it directly. */
static bool
take_in_flight(const char *dir, const char *name, const char *path)
{
	char c[PATH_MAX + 64], got[PATH_MAX + 64], *text = NULL;
	size_t len;
	int err;
	pid_t pid;

	if (!path_of(c, sizeof(c), dir, name, ".claim") || !path_of(got, sizeof(got), dir, name, ""))
		return false;
	for (int i = 0; i < PREFETCH_WAIT_MS / 20; i++) {
		struct timespec nap = { 0, 20 * 1000000L };

		if (access(got, F_OK) == 0)
			return serve(dir, name, path);
		if (!file_read(c, 64, &text, &len, &err))
			return serve(dir, name, path);	/* released: done, or failed */
		pid = (pid_t) strtol(text, NULL, 10);
		free(text);
		text = NULL;
		if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
			(void) unlink(c);	/* its fetcher is gone */
			return false;
		}
		nanosleep(&nap, NULL);
	}
	return false;
}

int
barman_wal_restore(const char *run_dir, const char *name, const char *path)
{
	char ahead[BARMAN_WAL_MAX_PARALLEL][32], dir[PATH_MAX + 16];
	char created[PATH_MAX];
	struct barman_store st;
	struct proc main_fetch;
	size_t n = 0;
	int code;

	if (!barman_store_read(run_dir, BARMAN_SOURCE, &st)
	    || !path_of(dir, sizeof(dir), st.dir, "prefetch", ""))
		return 1;
	if (serve(dir, name, path))
		return 0;	/* fetched ahead by an earlier call */
	if (take_in_flight(dir, name, path))
		return 0;
	if (recently_missing(dir, name)) {
		note_head(st.dir, name, false);
		return 1;
	}
	if (st.max_parallel > 1 && barman_wal_is_segment(name)
	    && file_mkdir_p(dir, 0700, created, sizeof(created)))
		n = next_segments(&st, name, ahead, (size_t) st.max_parallel - 1
				  < BARMAN_WAL_MAX_PARALLEL ? (size_t) st.max_parallel - 1
				  : BARMAN_WAL_MAX_PARALLEL - 1);
	code = tool_wait(&main_fetch, restore_start(&st, name, path, &main_fetch));
	if (code != 0) {
		if (code == 1)	/* barman-cloud's "does not exist" (2: network, 4: other) */
			note_head(st.dir, name, false);
		return 1;	/* not archived (yet): nothing after it is either */
	}
	note_head(st.dir, name, true);
	/* the next ones while postgres replays this one */
	if (n > 0)
		prefetch_detached(&st, dir, ahead, n);
	return 0;
}
