/*
 * barman_wal.c — archive_command and restore_command over barman-cloud
 * (see barman_wal.h).
 */
#include "barman_wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "barman.h"
#include "fileio.h"
#include "log.h"
#include "proc.h"

#define WAL_LOGGER    "barman-cloud"
#define SEGMENT_16MB  (16ULL * 1024 * 1024)

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

	while (d != NULL && n < max && (e = readdir(d)) != NULL)
		if (strlen(e->d_name) < 40 && strstr(e->d_name, ".ready") != NULL)
			snprintf(names[n++], 40, "%s", e->d_name);
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

int
barman_wal_restore(const char *run_dir, const char *name, const char *path)
{
	static struct proc procs[BARMAN_WAL_MAX_PARALLEL];
	static bool started[BARMAN_WAL_MAX_PARALLEL];
	char ahead[BARMAN_WAL_MAX_PARALLEL][32], dir[PATH_MAX + 16], got[PATH_MAX + 64];
	char created[PATH_MAX];
	struct barman_store st;
	size_t n = 0;
	int code;

	if (!barman_store_read(run_dir, BARMAN_SOURCE, &st))
		return 1;
	if (!path_of(dir, sizeof(dir), st.dir, "prefetch", ""))
		return 1;
	if (path_of(got, sizeof(got), dir, name, "") && rename(got, path) == 0)
		return 0;	/* fetched ahead by an earlier call */
	if (st.max_parallel > 1 && barman_wal_is_segment(name)
	    && file_mkdir_p(dir, 0700, created, sizeof(created))) {
		const char *prev = name;

		for (; n + 1 < (size_t) st.max_parallel && n + 1 < BARMAN_WAL_MAX_PARALLEL; n++) {
			if (!barman_wal_next(prev, st.segment_bytes ? st.segment_bytes : SEGMENT_16MB,
					     ahead[n], sizeof(ahead[n])))
				break;
			prev = ahead[n];
		}
	}
	started[0] = restore_start(&st, name, path, &procs[0]);
	/* ahead into NAME.partial, renamed once complete: a cut-off download
	 * must never pass for a segment */
	for (size_t i = 0; i < n; i++) {
		started[i + 1] = path_of(got, sizeof(got), dir, ahead[i], "")
			&& access(got, F_OK) != 0
			&& path_of(got, sizeof(got), dir, ahead[i], ".partial")
			&& restore_start(&st, ahead[i], got, &procs[i + 1]);
	}
	code = tool_wait(&procs[0], started[0]);
	for (size_t i = 0; i < n; i++) {
		char done[PATH_MAX + 64];

		if (!started[i + 1])
			continue;
		(void) path_of(got, sizeof(got), dir, ahead[i], ".partial");
		if (tool_wait(&procs[i + 1], true) != 0
		    || !path_of(done, sizeof(done), dir, ahead[i], "") || rename(got, done) != 0)
			(void) unlink(got);
	}
	return code == 0 ? 0 : 1;
}
