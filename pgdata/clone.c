/*
 * clone.c — copies of a live server (see clone.h).
 */
#include "clone.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pg_config.h>
#include <pg_config_manual.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "mono.h"
#include "pgconn.h"
#include "pgdata.h"
#include "proc.h"
#include "roles.h"

#define CONNECT_TIMEOUT_S  "10"
#define SOURCE_CONNECT_MS  (30 * 1000)	/* whatever connect_timeout says */
#define SOURCE_QUERY_MS    (30 * 1000)	/* every question to the source */
#define PROMOTE_TIMEOUT_MS (300 * 1000)

/* ---- connecting to the source ---- */

static bool
contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

void
clone_explain_connect(const struct upstream *u, const char *where, const char *host,
		      const char *port, const char *libpq_msg, char *out, size_t cap)
{
	char msg[1024];
	size_t n = 0;

	/* libpq's message on one line */
	for (const char *p = libpq_msg; *p && n + 1 < sizeof(msg); p++)
		msg[n++] = (*p == '\n' || *p == '\t') ? ' ' : *p;
	while (n > 0 && msg[n - 1] == ' ')
		n--;
	msg[n] = '\0';
	if (contains(msg, "exceeds max_wal_senders") || contains(msg, "replication slots are in use")
	    || contains(msg, "remaining connection slots are reserved"))
		snprintf(out, cap, "the source \"%s\" has no free WAL sender: %s; pg_basebackup needs "
			 "two (one for the copy, one to stream WAL): raise max_wal_senders on the "
			 "source or wait until one is free", u->name, msg);
	else if (contains(msg, "must be superuser or replication role")
		 || contains(msg, "permission denied to start WAL sender"))
		snprintf(out, cap, "role \"%s\" may not replicate from the source \"%s\" (no REPLICATION "
			 "privilege): %s; on the source run ALTER ROLE %s REPLICATION", u->user,
			 u->name, msg, u->user);
	else if (contains(msg, "no pg_hba.conf entry"))
		snprintf(out, cap, "the source \"%s\" does not let \"%s\" in: its pg_hba.conf has no "
			 "entry for this connection: %s; add one such as \"host replication %s "
			 "<this address> scram-sha-256\" (or hostssl ... cert for TLS certificates)",
			 u->name, u->user, msg, u->user);
	else if (contains(msg, "authentication failed") || contains(msg, "no password supplied")
		 || contains(msg, "password is empty") || contains(msg, "certificate")
		 || contains(msg, "SSL") || contains(msg, "ssl"))
		snprintf(out, cap, "authentication to the source \"%s\" as \"%s\" failed (%s "
			 "authentication): %s; check the credentials in %s and the source's "
			 "pg_hba.conf", u->name, u->user, u->auth, msg, where);
	else if (contains(msg, "Connection refused") || contains(msg, "could not translate host")
		 || contains(msg, "timeout expired") || contains(msg, "No route to host")
		 || contains(msg, "Network is unreachable") || contains(msg, "could not connect"))
		snprintf(out, cap, "cannot reach the source \"%s\" at %s:%s: %s; check host and port "
			 "in %s and that the network lets this pod reach it", u->name, host, port,
			 msg, where);
	else
		snprintf(out, cap, "cannot connect to the source \"%s\" at %s:%s: %s", u->name, host,
			 port, msg);
}

PGconn *
clone_source_connect(struct boot *b, bool replication, enum log_level level)
{
	struct conninfo c = { 0 };
	char host[256], port[16], given[256];
	enum pgconn_end end;
	PGconn *conn;

	conninfo_get(b->up.conn.text, "host", host, sizeof(host));
	conninfo_get(b->up.conn.text, "port", port, sizeof(port));
	conninfo_put_text(&c, b->up.conn.text);
	if (!port[0])
		snprintf(port, sizeof(port), "5432");
	if (!host[0])
		snprintf(host, sizeof(host), "localhost");
	conninfo_get(b->up.conn.text, "connect_timeout", given, sizeof(given));
	if (!given[0])
		conninfo_add(&c, "connect_timeout", CONNECT_TIMEOUT_S);
	conninfo_add(&c, "fallback_application_name", "pgpod");
	if (replication) {
		conninfo_add(&c, "replication", "true");
	} else {
		conninfo_get(b->up.conn.text, "dbname", given, sizeof(given));
		if (!given[0])
			conninfo_add(&c, "dbname", "postgres");
	}
	conn = pgconn_connect_until(c.text, mono_ms() + SOURCE_CONNECT_MS, boot_interrupted, &end);
	conninfo_free(&c);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		return conn;
	if (end == PGCONN_STOPPED) {
		log_msg(level, "pgpod", "connecting to the source \"%s\" was given up: a stop was "
			"asked for", b->up.name);
	} else if (end == PGCONN_TIMED_OUT) {
		log_msg(level, "pgpod", "the source \"%s\" at %s:%s did not answer within %d s (it "
			"accepts connections but says nothing); check that it is a PostgreSQL server "
			"and that it is not overloaded", b->up.name, host, port, SOURCE_CONNECT_MS / 1000);
	} else {
		char why[2048];

		clone_explain_connect(&b->up, b->up_path, host, port,
				      conn ? PQerrorMessage(conn) : "out of memory", why, sizeof(why));
		log_msg(level, "pgpod", "%s", why);
	}
	PQfinish(conn);
	return NULL;
}

/* Run a command that returns one row; its column col into out. */
/* A question to the source (or the copy), bounded by SOURCE_QUERY_MS and
 * given up when a stop is asked for; NULL (logged at level) when it
 * failed. */
static PGresult *
ask(struct boot *b, PGconn *c, const char *sql, enum log_level level)
{
	const char *who = c == b->conn ? "copy" : "source";
	enum pgconn_end end;
	PGresult *r = pgconn_query_until(c, sql, mono_ms() + SOURCE_QUERY_MS, boot_interrupted, &end);
	char msg[PGCONN_ERR_MAX];

	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	if (end == PGCONN_STOPPED)
		snprintf(msg, sizeof(msg), "given up: a stop was asked for");
	else if (end == PGCONN_TIMED_OUT)
		snprintf(msg, sizeof(msg), "no answer within %d s", SOURCE_QUERY_MS / 1000);
	else
		pgconn_error_text(r, c, msg, sizeof(msg));
	log_msg(level, "pgpod", "the %s \"%s\" did not answer %s: %s", who, b->up.name, sql, msg);
	PQclear(r);
	return NULL;
}

/* Run a command that returns one row; its column col into out. */
static bool
query_value(struct boot *b, PGconn *c, const char *sql, int col, char *out, size_t cap)
{
	PGresult *r = ask(b, c, sql, LOG_ERROR);
	bool ok = r != NULL && PQntuples(r) == 1 && PQnfields(r) > col;

	if (ok)
		snprintf(out, cap, "%s", PQgetvalue(r, 0, col));
	else if (r != NULL)
		log_error("the %s \"%s\" answered %s with %d rows", c == b->conn ? "copy" : "source",
			  b->up.name, sql, PQntuples(r));
	PQclear(r);
	return ok;
}

bool
clone_layout_matches(const char *name, const char *value, char *out, size_t cap)
{
	static const struct {
		const char *name;
		const char *mine;
	} layout[] = {
#define STR_(x) #x
#define STR(x) STR_(x)
		{ "block_size", STR(BLCKSZ) },
		{ "wal_block_size", STR(XLOG_BLCKSZ) },
		{ "max_identifier_length", STR(NAMEDATALEN) },
		{ "max_index_keys", STR(INDEX_MAX_KEYS) },
	};

	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
		long mine, theirs;

		if (strcmp(layout[i].name, name) != 0)
			continue;
		mine = strtol(layout[i].mine, NULL, 10);
		if (strcmp(name, "max_identifier_length") == 0)
			mine -= 1;	/* NAMEDATALEN counts the terminating zero */
		theirs = strtol(value, NULL, 10);
		if (mine == theirs)
			return true;
		snprintf(out, cap, "source and target are not binary compatible: %s is %ld on the "
			 "source and %ld here; a physical copy needs the same build options and "
			 "architecture (use a logical import instead)", name, theirs, mine);
		return false;
	}
	return true;
}

/* Where a tablespace of the source would go here: it must be missing (and
 * creatable) or empty, since pg_basebackup writes it at the same path. */
static bool
check_tablespace(const char *name, const char *path)
{
	char dir[PATH_MAX];
	struct stat st;

	if (stat(path, &st) == 0) {
		if (file_dir_state(path) == FILE_DIR_NOT_EMPTY || !S_ISDIR(st.st_mode)) {
			log_error("the source has tablespace \"%s\" at \"%s\", which is not an empty "
				  "directory here; pgpod copies tablespaces to the same paths: mount an "
				  "empty volume there or drop the tablespace on the source", name, path);
			return false;
		}
		if (access(path, W_OK) != 0) {
			log_error("the source has tablespace \"%s\" at \"%s\", which this user cannot "
				  "write here", name, path);
			return false;
		}
		return true;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	while (strlen(dir) > 1) {
		char parent[PATH_MAX];

		file_dirname(dir, parent, sizeof(parent));
		snprintf(dir, sizeof(dir), "%s", parent);
		if (stat(dir, &st) == 0)
			break;
	}
	if (access(dir, W_OK) != 0) {
		log_error("the source has tablespace \"%s\" at \"%s\", which cannot be created here "
			  "(\"%s\" is not writable); mount a volume at that path", name, path, dir);
		return false;
	}
	return true;
}

/* With a normal session (when pg_hba.conf allows one): the tablespaces. */
static bool
check_sql(struct boot *b)
{
	PGconn *c = clone_source_connect(b, false, LOG_INFO);
	PGresult *r;
	bool ok = true;

	if (c == NULL) {
		log_info("no SQL session on the source \"%s\" (see above); its tablespaces are checked "
			 "by pg_basebackup itself", b->up.name);
		return true;
	}
	r = ask(b, c, "SELECT spcname, pg_catalog.pg_tablespace_location(oid) FROM "
		"pg_catalog.pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')", LOG_WARN);
	for (int i = 0; r != NULL && ok && i < PQntuples(r); i++)
		ok = check_tablespace(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	if (r == NULL)
		ok = !boot_interrupted();	/* the list is pg_basebackup's to check then */
	PQclear(r);
	PQfinish(c);
	return ok;
}

/* The source's major version and block layout match this build's. */
static bool
check_compatible(struct boot *b, PGconn *c)
{
	static const char *const layout[] = {
		"block_size", "wal_block_size", "max_identifier_length", "max_index_keys",
	};
	int major = PQserverVersion(c) / 10000;
	char value[64], why[512];

	if (major != b->set->pg_major) {
		log_error("source and target must have the same major PostgreSQL version: source %d, "
			  "target %d; use a PostgreSQL %d image here (or a source of version %d)",
			  major, b->set->pg_major, major, b->set->pg_major);
		return false;
	}
	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++) {
		char sql[64];

		snprintf(sql, sizeof(sql), "SHOW %s", layout[i]);
		if (!query_value(b, c, sql, 0, value, sizeof(value)))
			return false;
		if (!clone_layout_matches(layout[i], value, why, sizeof(why))) {
			log_error("%s", why);
			return false;
		}
	}
	return true;
}

static bool
step_check_source(struct boot *b)
{
	char sysid[32] = "", tli[16] = "", lsn[32] = "";
	PGconn *c, *second;
	PGresult *r;

	log_info("checking the source \"%s\" (as \"%s\", %s authentication)", b->up.name, b->up.user,
		 b->up.auth);
	if ((c = clone_source_connect(b, true, LOG_ERROR)) == NULL)
		return false;
	if (!check_compatible(b, c)) {
		PQfinish(c);
		return false;
	}
	r = ask(b, c, "IDENTIFY_SYSTEM", LOG_ERROR);
	if (r == NULL || PQntuples(r) != 1 || PQnfields(r) < 3) {
		if (r != NULL)
			log_error("the source \"%s\" answered IDENTIFY_SYSTEM with %d rows", b->up.name,
				  PQntuples(r));
		PQclear(r);
		PQfinish(c);
		return false;
	}
	snprintf(sysid, sizeof(sysid), "%s", PQgetvalue(r, 0, 0));
	snprintf(tli, sizeof(tli), "%s", PQgetvalue(r, 0, 1));
	snprintf(lsn, sizeof(lsn), "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	/* the copy takes one WAL sender and the WAL stream another */
	second = clone_source_connect(b, true, LOG_ERROR);
	PQfinish(second);
	PQfinish(c);
	if (second == NULL)
		return false;
	log_info("source \"%s\": PostgreSQL %d, system %s, timeline %s, WAL at %s", b->up.name,
		 b->set->pg_major, sysid, tli, lsn);
	return check_sql(b);
}

/* join: the replica's physical slot on the primary, made before the copy
 * so that the primary keeps the WAL the replica will need. */
static bool
step_slot(struct boot *b)
{
	PGconn *c = clone_source_connect(b, true, LOG_ERROR);
	bool existed, ok;

	if (c == NULL)
		return false;
	ok = upstream_create_slot(c, b->up.name, b->up.slot, LOG_ERROR, &existed);
	if (ok && existed)
		log_info("the %s has the slot \"%s\" already: the replica uses it", b->up.name,
			 b->up.slot);
	else if (ok)
		log_info("created the physical replication slot \"%s\" on the %s", b->up.slot, b->up.name);
	PQfinish(c);
	return ok;
}

/* ---- the copy ---- */

/*
 * Write-behind while pg_basebackup runs with --no-sync: the copy sits in
 * the page cache until something flushes it, and a flush at the end would
 * wait for all of it. A thread flushes PGDATA's file system every
 * FLUSH_EVERY_MS meanwhile, so the disk writes while the network copies;
 * the final syncfs then has little left to do.
 */
#define FLUSH_EVERY_MS 500

struct flusher {
	pthread_t       thread;
	bool            running;
	int             fd;
	pthread_mutex_t lock;
	pthread_cond_t  cond;
	bool            stop;
	int             error;	/* the first errno syncfs gave, 0 when none */
};

static void *
flusher_main(void *arg)
{
	struct flusher *f = arg;

	pthread_mutex_lock(&f->lock);
	while (!f->stop) {
		struct timespec until;
		int rc;

		pthread_mutex_unlock(&f->lock);
		rc = syncfs(f->fd);
		pthread_mutex_lock(&f->lock);
		if (rc != 0 && f->error == 0)
			f->error = errno;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += FLUSH_EVERY_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!f->stop && pthread_cond_timedwait(&f->cond, &f->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

static void
flusher_start(struct flusher *f, const char *dir)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	f->running = f->fd >= 0 && pthread_create(&f->thread, NULL, flusher_main, f) == 0;
}

/* Stop flushing; false (logged) when a flush failed meanwhile: a write
 * of the copy was lost, and the copy must not be marked complete. */
static bool
flusher_stop(struct flusher *f)
{
	if (f->running) {
		pthread_mutex_lock(&f->lock);
		f->stop = true;
		pthread_cond_signal(&f->cond);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
	}
	if (f->fd >= 0)
		close(f->fd);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	if (f->error != 0)
		log_error("flushing the copy to disk failed: %s%s", strerror(f->error),
			  f->error == ENOSPC || f->error == EDQUOT ? " (the volume is full)" : "");
	return f->error == 0;
}

bool
clone_parse_progress(const char *line, size_t len, long long *done_kb, long long *total_kb,
		     int *pct)
{
	char buf[256];
	char *p, *end;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	p = buf;
	while (*p == ' ')
		p++;
	*done_kb = strtoll(p, &end, 10);
	if (end == p || *end != '/')
		return false;
	p = end + 1;
	*total_kb = strtoll(p, &end, 10);
	if (end == p || strncmp(end, " kB (", 5) != 0)
		return false;
	p = end + 5;
	*pct = (int) strtol(p, &end, 10);
	return end != p && *end == '%';
}

struct progress {
	const char *source;
	long long   started_ms;
	long long   logged_ms;
	long long   done_kb;
	long long   total_kb;
};

static bool
progress_line(void *arg, const char *line, size_t len)
{
	struct progress *pr = arg;
	long long done, total, now = mono_ms();
	int pct;

	if (!clone_parse_progress(line, len, &done, &total, &pct))
		return false;
	pr->done_kb = done;
	pr->total_kb = total;
	if (now - pr->logged_ms >= 1000 && pct < 100) {
		double secs = (double) (now - pr->started_ms) / 1000;

		pr->logged_ms = now;
		log_info("copying from \"%s\": %d%% (%.1f MB of %.1f MB, %.1f MB/s)", pr->source, pct,
			 (double) done / 1024, (double) total / 1024,
			 secs > 0 ? (double) done / 1024 / secs : 0.0);
	}
	return true;
}

/* Where a later run finds pg_basebackup's group if pgpod is killed. */
static void
record_pgid(struct boot *b, pid_t pid)
{
	char path[PATH_MAX], text[32];
	int n = snprintf(text, sizeof(text), "%d\n", (int) pid);

	snprintf(path, sizeof(path), "%s/%s", b->set->pgdata, BOOT_STAGING_PID);
	if (!file_write_atomic(path, text, (size_t) n, 0600))
		log_warn("cannot record pg_basebackup's process group in %s", path);
}

/* Whether /proc/<pid> is in process group pgid and runs pg_basebackup
 * into staging. */
static bool
is_our_copier(const char *pid, pid_t pgid, const char *staging)
{
	char *args;
	struct proc_stat st;
	size_t n = 0, cap = 64 * 1024;
	bool tool = false, ours = false;

	if (!proc_stat_of(pid, &st) || st.pgrp != pgid || (args = malloc(cap)) == NULL)
		return false;
	if (!proc_cmdline_of(pid, args, cap, &n))
		n = 0;
	for (const char *a = args; a < args + n; a += strlen(a) + 1) {
		const char *base = strrchr(a, '/');

		tool = tool || strcmp(base ? base + 1 : a, "pg_basebackup") == 0;
		ours = ours || (strncmp(a, "--pgdata=", 9) == 0 && strcmp(a + 9, staging) == 0);
	}
	free(args);
	return tool && ours;
}

void
clone_kill_leftover(const char *pgdata)
{
	char path[PATH_MAX], staging[PATH_MAX], *text = NULL;
	size_t len;
	int err;
	long pgid;

	snprintf(path, sizeof(path), "%s/%s", pgdata, BOOT_STAGING_PID);
	snprintf(staging, sizeof(staging), "%s/%s", pgdata, BOOT_STAGING);
	if (!file_read(path, 64, &text, &len, &err))
		return;
	pgid = strtol(text, NULL, 10);
	free(text);
	if (pgid <= 1)
		return;
	for (int round = 0; round < 50; round++) {
		struct timespec nap = { 0, 100 * 1000000L };
		struct dirent *e;
		DIR *d = opendir("/proc");
		int found = 0;

		if (d == NULL)
			return;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] < '1' || e->d_name[0] > '9'
			    || !is_our_copier(e->d_name, (pid_t) pgid, staging))
				continue;
			if (found++ == 0 && round == 0)
				log_warn("pg_basebackup of the cut-off copy still runs (process group %ld): "
					 "stopping it", pgid);
			(void) kill((pid_t) strtol(e->d_name, NULL, 10), SIGKILL);
		}
		closedir(d);
		if (found == 0)
			return;
		nanosleep(&nap, NULL);
	}
	log_warn("pg_basebackup of the cut-off copy (process group %ld) did not stop", pgid);
}

/* pg_basebackup into PGDATA/.pgpod-copy; the connection string names
 * files, never a password. */
static void
copy_args(struct boot *b, struct argv *args)
{
	argv_addf(args, "%s/pg_basebackup", b->set->pg_bin);
	argv_addf(args, "--pgdata=%s/%s", b->set->pgdata, BOOT_STAGING);
	argv_add(args, "--wal-method=stream");
	argv_add(args, "--checkpoint=fast");
	argv_add(args, "--no-password");
	argv_add(args, "--progress");
	/* a cut-off copy is moved aside, not deleted; one syncfs at the end */
	argv_add(args, "--no-clean");
	argv_add(args, "--no-sync");
	if (b->up.slot[0])
		argv_addf(args, "--slot=%s", b->up.slot);
	argv_addf(args, "--dbname=%s", b->up.conn.text);
}

/* Start pg_basebackup in its own process group (it forks the WAL
 * streamer, which must stop with it), its progress lines going to pr. */
static bool
copy_spawn(struct boot *b, struct progress *pr, struct proc *p)
{
	struct argv args, env;
	char created[PATH_MAX];
	bool ok;

	/* PGDATA is gone when a cut-off copy was just moved aside */
	if (!file_mkdir_p(b->set->pgdata, 0700, created, sizeof(created)))
		return false;	/* errors have already been logged */
	argv_init(&args);
	argv_init(&env);
	copy_args(b, &args);
	instance_tool_env(b->set, &env);
	log_info("copying \"%s\" with pg_basebackup into \"%s\"", b->up.name, b->set->pgdata);
	ok = proc_spawn_filtered(&args, &env, "pg_basebackup", true, progress_line, pr, p);
	argv_free(&args);
	argv_free(&env);
	if (ok)
		record_pgid(b, p->pid);
	return ok;
}

static bool
step_copy(struct boot *b)
{
	struct progress pr = { .source = b->up.name, .started_ms = mono_ms() };
	struct proc p;
	struct flusher fl;
	bool stopped = false;
	int code = -1;
	pid_t pid;
	double secs;

	pr.logged_ms = pr.started_ms;
	if (!copy_spawn(b, &pr, &p))
		return false;	/* errors have already been logged */
	pid = p.pid;
	flusher_start(&fl, b->set->pgdata);
	while (!proc_poll(&p, &code)) {
		struct timespec nap = { 0, 10 * 1000000L };	/* its end is seen within 10 ms */

		if (!stopped && boot_interrupted()) {
			log_info("stopping pg_basebackup (pid %d) and its WAL streamer", (int) p.pid);
			(void) kill(-p.pid, SIGTERM);
			stopped = true;
		}
		nanosleep(&nap, NULL);
	}
	/* a WAL streamer left behind would hold the output pipe (and a WAL
	 * sender of the source) */
	(void) kill(-pid, SIGKILL);
	proc_finish(&p);
	if (!flusher_stop(&fl))
		return false;	/* errors have already been logged */
	if (code != 0) {
		log_error("pg_basebackup exited with code %d%s%s", code, p.last[0] ? ": " : "", p.last);
		return false;
	}
	secs = (double) (mono_ms() - pr.started_ms) / 1000;
	log_info("copied %.1f MB from \"%s\" in %.1f s (%.1f MB/s)", (double) pr.done_kb / 1024,
		 b->up.name, secs, secs > 0 ? (double) pr.done_kb / 1024 / secs : 0.0);
	return true;
}

/* Move the complete copy from PGDATA/.pgpod-copy into PGDATA. The
 * source's marker and recovery signals are not ours to keep. */
static bool
step_finish_copy(struct boot *b)
{
	char staging[PATH_MAX];

	snprintf(staging, sizeof(staging), "%s/%s", b->set->pgdata, BOOT_STAGING);
	return file_remove_in(staging, PGDATA_MARKER) && file_remove_in(staging, "standby.signal")
		&& file_remove_in(staging, "recovery.signal") && boot_step_unstage(b)
		&& config_drop_copied_recovery(b->set->pgdata);
}

/* The timeline postgres writes WAL on now. */
static long
current_timeline(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn())");
	long tli = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		char hex[9];

		snprintf(hex, sizeof(hex), "%s", PQgetvalue(r, 0, 0));
		tli = strtol(hex, NULL, 16);
	}
	PQclear(r);
	return tli;
}

/* The copy ends its recovery at the end of the WAL it has and starts a
 * new timeline of its own: archive recovery (recovery.signal) with no
 * archive to read from. */
static bool
step_start_new_timeline(struct boot *b)
{
	struct config_recovery rec = { .mode = CONFIG_RECOVERY, .restore_command = "false" };
	long long deadline;

	if (!config_write_all(b->set, b->s, &rec, NULL) || !boot_start_temp(b, NULL))
		return false;	/* errors have already been logged */
	deadline = mono_ms() + PROMOTE_TIMEOUT_MS;
	for (;;) {
		char in_recovery[8] = "";
		struct timespec nap = { 0, 10 * 1000000L };	/* a query on the local socket */

		if (!query_value(b, b->conn, "SELECT pg_catalog.pg_is_in_recovery()", 0, in_recovery,
				 sizeof(in_recovery)))
			return false;
		if (strcmp(in_recovery, "f") == 0)
			break;
		if (mono_ms() > deadline) {
			log_error("the copy did not finish its recovery within %d s",
				  PROMOTE_TIMEOUT_MS / 1000);
			return false;
		}
		nanosleep(&nap, NULL);
	}
	log_info("the copy is an independent primary on timeline %ld", current_timeline(b->conn));
	return true;
}

static bool
step_roles(struct boot *b)
{
	return roles_apply_all(b->conn, b->set, b->s, b->in);
}

static const struct boot_step copy_steps[] = {
	{ "check the source", step_check_source },
	{ "copy with pg_basebackup", step_copy },
	{ "move the copy into place", step_finish_copy },
	{ "start on a new timeline", step_start_new_timeline },
	{ "roles and application database", step_roles },
	{ "stop temporary postgres", boot_stop_temp },
	{ "configure", boot_step_configure },
	{ "flush to disk", boot_step_sync },
};

/* A standby of the source: the application-database rules wait until it
 * is promoted (a standby takes no writes). */
static const struct boot_step standby_steps[] = {
	{ "check the source", step_check_source },
	{ "copy with pg_basebackup", step_copy },
	{ "move the copy into place", step_finish_copy },
	{ "configure", boot_step_configure },
	{ "flush to disk", boot_step_sync },
};

static const struct boot_step join_steps[] = {
	{ "check the primary", step_check_source },
	{ "replication slot", step_slot },
	{ "copy with pg_basebackup", step_copy },
	{ "move the copy into place", step_finish_copy },
	{ "configure", boot_step_configure },
	{ "flush to disk", boot_step_sync },
};

const struct boot_steps clone_copy_plan = BOOT_STEPS(copy_steps);
const struct boot_steps clone_standby_plan = BOOT_STEPS(standby_steps);
const struct boot_steps clone_join_plan = BOOT_STEPS(join_steps);

bool
clone_check_join(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	char secret[300];

	if (in->replication_password != NULL || inputs_replication_by_cert(in))
		return true;
	inputs_replication_secret(s, secret, sizeof(secret));
	log_error("a replica logs in to the primary as \"%s\" with the password in Secret \"%s\" "
		  "key \"password\", which is not mounted (looked in %s/%s); mount it on every "
		  "instance", ROLES_REPLICATION_USER, secret, set->secrets_dir, secret);
	return false;
}

bool
clone_prepare_join(struct boot *b)
{
	if (!upstream_primary(b->set, b->s, b->in, &b->up))
		return false;	/* errors have already been logged */
	b->up_path = "--primary-host/--primary-port and the replication Secret";
	upstream_standby(&b->up, &b->rec);
	log_info("joining %s as a streaming replica (slot \"%s\")", b->up.name, b->up.slot);
	return true;
}

bool
clone_prepare_external(struct boot *b, const char *name)
{
	if (!upstream_external(b->set, b->s, b->in, name, &b->up))
		return false;	/* errors have already been logged */
	b->up_path = spec_external_path(b->s, name, b->up_where, sizeof(b->up_where));
	return true;
}

bool
clone_prepare_copy(struct boot *b)
{
	if (!clone_prepare_external(b, b->s->clone_source))
		return false;
	b->rec = (struct config_recovery) { .mode = CONFIG_PRIMARY };
	log_info("cloning \"%s\" with pg_basebackup (PostgreSQL %s here)", b->s->clone_source,
		 b->set->pg_version);
	return true;
}

bool
clone_prepare_standby(struct boot *b)
{
	if (!clone_prepare_external(b, b->s->standby_source))
		return false;
	b->up.min_apply_delay = b->s->standby_min_apply_delay;
	upstream_standby(&b->up, &b->rec);
	log_info("bootstrapping a replica cluster of \"%s\": a standby that follows it until it "
		 "is promoted", b->s->standby_source);
	return true;
}
