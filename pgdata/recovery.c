/*
 * recovery.c — a temporary postgres replaying archived WAL until promoted
 * (see recovery.h).
 */
#include "recovery.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "argv.h"
#include "config.h"
#include "fileio.h"
#include "instance.h"
#include "log.h"
#include "mono.h"
#include "pgconn.h"
#include "proc.h"
#include "restore.h"
#include "roles.h"

#define PROGRESS_MS   5000	/* replay progress is logged this often */
#define POLL_MS       50
#define STOP_WAIT_MS  (60 * 1000)
#define STARTS_MAX    16	/* each start after the first raises a parameter */

const char *const recovery_hot_names[RECOVERY_HOT_N] = {
	"max_connections", "max_worker_processes", "max_wal_senders",
	"max_prepared_transactions", "max_locks_per_transaction",
};

/* pg_controldata's labels of the same, in the same order. */
static const char *const hot_labels[RECOVERY_HOT_N] = {
	"max_connections setting:", "max_worker_processes setting:",
	"max_wal_senders setting:", "max_prepared_xacts setting:",
	"max_locks_per_xact setting:",
};

bool
recovery_hot_parse(const char *controldata, struct recovery_hot *h)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < RECOVERY_HOT_N; i++) {
		const char *p = strstr(controldata, hot_labels[i]);

		if (p != NULL) {
			h->v[i] = strtol(p + strlen(hot_labels[i]), NULL, 10);
			h->known = true;
		}
	}
	return h->known;
}

bool
recovery_hot_raised(const struct recovery_hot *before, const struct recovery_hot *now,
		    char *buf, size_t cap)
{
	size_t len = 0;
	bool any = false;

	if (cap > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < RECOVERY_HOT_N; i++) {
		int n;

		if (now->v[i] <= before->v[i])
			continue;
		n = snprintf(buf + len, len < cap ? cap - len : 0, "%s%s %ld -> %ld", any ? ", " : "",
			     recovery_hot_names[i], before->v[i], now->v[i]);
		len += n > 0 ? (size_t) n : 0;
		any = true;
	}
	return any;
}

/* pg_controldata of the directory recovered: the primary's parameters as
 * far as the replay got. */
static bool
hot_read(const struct settings *st, struct recovery_hot *h)
{
	char out[8192];
	struct argv args, env;
	int code = -1;
	bool ok;

	argv_init(&args);
	argv_init(&env);
	argv_addf(&args, "%s/pg_controldata", st->pg_bin);
	argv_add(&args, st->pgdata);
	instance_tool_env(st, &env);
	ok = proc_capture(&args, &env, out, sizeof(out), &code) && code == 0
		&& recovery_hot_parse(out, h);
	argv_free(&args);
	argv_free(&env);
	if (!ok)
		memset(h, 0, sizeof(*h));
	return ok;
}

enum config_target
recovery_target_of(enum spec_target_kind k)
{
	switch (k) {
	case SPEC_TARGET_TIME:
		return CONFIG_TARGET_TIME;
	case SPEC_TARGET_XID:
		return CONFIG_TARGET_XID;
	case SPEC_TARGET_NAME:
		return CONFIG_TARGET_NAME;
	case SPEC_TARGET_LSN:
		return CONFIG_TARGET_LSN;
	case SPEC_TARGET_IMMEDIATE:
		return CONFIG_TARGET_IMMEDIATE;
	default:
		return CONFIG_TARGET_NONE;	/* the end of the archived WAL */
	}
}

const char *
recovery_target_text(const struct spec_target *t, char *buf, size_t cap)
{
	if (recovery_target_of(t->kind) == CONFIG_TARGET_NONE)
		snprintf(buf, cap, "the end of the archived WAL");
	else
		snprintf(buf, cap, "%s %s", spec_target_name(t->kind), t->value ? t->value : "");
	return buf;
}

/* The recovery's postgres: no TCP, the socket in the run directory, hot
 * standby (its progress can be asked), the primary's limits. */
static bool
recovery_start(struct boot *b, const struct settings *st, const struct recovery_hot *hot)
{
	struct argv extra;
	bool ok;

	argv_init(&extra);
	boot_temp_args(st, &extra);
	argv_add(&extra, "-c");
	argv_add(&extra, "hot_standby=on");
	for (size_t i = 0; hot->known && i < RECOVERY_HOT_N; i++) {
		if (hot->v[i] > 0) {
			argv_add(&extra, "-c");
			argv_addf(&extra, "%s=%ld", recovery_hot_names[i], hot->v[i]);
		}
	}
	ok = instance_start(st, &extra, &b->inst);
	argv_free(&extra);
	return ok;
}

/* Where the replay is, for the log. */
struct replay {
	char in_recovery[8];
	char lsn[32];
	char at[64];
	char paused[16];
};

static bool
replay_ask(PGconn *c, struct replay *r)
{
	PGresult *q = PQexec(c, "SELECT pg_catalog.pg_is_in_recovery(), "
			     "pg_catalog.pg_last_wal_replay_lsn(), "
			     "pg_catalog.pg_last_xact_replay_timestamp(), "
			     "CASE WHEN pg_catalog.pg_is_in_recovery() THEN "
			     "pg_catalog.pg_get_wal_replay_pause_state() END");
	bool ok = PQresultStatus(q) == PGRES_TUPLES_OK && PQntuples(q) == 1;

	if (ok) {
		snprintf(r->in_recovery, sizeof(r->in_recovery), "%s", PQgetvalue(q, 0, 0));
		if (!PQgetisnull(q, 0, 1))
			snprintf(r->lsn, sizeof(r->lsn), "%s", PQgetvalue(q, 0, 1));
		if (!PQgetisnull(q, 0, 2))
			snprintf(r->at, sizeof(r->at), "%s", PQgetvalue(q, 0, 2));
		snprintf(r->paused, sizeof(r->paused), "%s", PQgetvalue(q, 0, 3));
	}
	PQclear(q);
	return ok;
}

enum look {
	LOOK_WAIT,		/* still replaying */
	LOOK_PROMOTED,
	LOOK_RAISE,		/* start again with higher hot-standby parameters */
	LOOK_FAILED,
};

/* The parameters the replay has raised above those of this start, said
 * with why the recovery stopped (when). */
static bool
hot_raised_now(const struct settings *st, const struct recovery_hot *hot, const char *when,
	       const struct replay *r)
{
	struct recovery_hot now;
	char what[400];

	if (!hot_read(st, &now) || !recovery_hot_raised(hot, &now, what, sizeof(what)))
		return false;
	log_warn("the recovery %s at %s: the source raised %s after the backup, above what this "
		 "recovery runs with; starting it again with the new values", when,
		 r->lsn[0] ? r->lsn : "an unknown LSN", what);
	return true;
}

/* postmaster.pid says connections are accepted ("standby" once the replay
 * is consistent, "ready" once promoted): asking earlier only fills the
 * log with postgres refusing ("the database system is starting up"). */
static bool
accepts_connections(const struct settings *st)
{
	char status[32];
	pid_t pid;

	return instance_pidfile(st->pgdata, &pid, status, sizeof(status))
		&& (strcmp(status, "standby") == 0 || strcmp(status, "ready") == 0);
}

/* One look at the recovery; a replay paused for another reason than a
 * parameter is resumed; progress is logged every PROGRESS_MS. */
static enum look
recovery_look(struct boot *b, const struct settings *st, const struct recovery_hot *hot,
	      struct replay *r, long long *next_log)
{
	char target[300];

	if (b->conn == NULL && (!accepts_connections(st)
				|| !pgconn_local_timeout(b->set->run_dir, b->set->pg_port, "postgres",
							 2, 0, LOG_DEBUG, &b->conn)))
		return LOOK_WAIT;	/* not consistent yet: no connections */
	if (!replay_ask(b->conn, r)) {
		PQfinish(b->conn);
		b->conn = NULL;
		return LOOK_WAIT;
	}
	if (strcmp(r->in_recovery, "f") == 0)
		return LOOK_PROMOTED;
	if (strcmp(r->paused, "paused") == 0) {
		if (hot_raised_now(st, hot, "paused", r))
			return LOOK_RAISE;
		log_warn("the replay paused at %s; resuming it", r->lsn);
		PQclear(PQexec(b->conn, "SELECT pg_catalog.pg_wal_replay_resume()"));
	}
	if (mono_ms() >= *next_log) {
		log_info("recovery: replayed up to %s (%s), towards %s", r->lsn[0] ? r->lsn : "?",
			 r->at[0] ? r->at : "no transaction yet",
			 recovery_target_text(&b->restore->target, target, sizeof(target)));
		*next_log = mono_ms() + PROGRESS_MS;
	}
	return LOOK_WAIT;
}

/* Until promoted, however long it takes; postgres ending first is an
 * error that says where it got to, unless it ended for a parameter. */
static enum look
recovery_wait(struct boot *b, const struct settings *st, const struct recovery_hot *hot,
	      struct replay *r)
{
	long long next_log = mono_ms() + PROGRESS_MS;
	char target[300];

	for (;;) {
		struct timespec nap = { 0, POLL_MS * 1000000L };
		enum look l = recovery_look(b, st, hot, r, &next_log);

		if (l != LOOK_WAIT)
			return l;
		if (instance_check_exit(&b->inst)) {
			if (hot_raised_now(st, hot, "ended", r))
				return LOOK_RAISE;
			log_error("postgres ended the recovery before it was promoted%s%s; it had "
				  "replayed up to %s (last transaction %s), towards %s",
				  b->inst.proc.last[0] ? ": " : "", b->inst.proc.last,
				  r->lsn[0] ? r->lsn : "an unknown LSN", r->at[0] ? r->at : "unknown",
				  recovery_target_text(&b->restore->target, target, sizeof(target)));
			return LOOK_FAILED;
		}
		if (boot_interrupted())
			return LOOK_FAILED;
		nanosleep(&nap, NULL);
	}
}

bool
recovery_run(struct boot *b, const struct settings *st)
{
	struct replay r = { .lsn = "" };

	for (int start = 0; start < STARTS_MAX; start++) {
		struct recovery_hot hot;
		enum look l;

		if (!hot_read(st, &hot) && start == 0)
			log_warn("pg_controldata of the restored files failed; the recovery starts "
				 "with the configured hot-standby settings");
		if (!recovery_start(b, st, &hot))
			return false;
		l = recovery_wait(b, st, &hot, &r);
		if (l != LOOK_RAISE)
			return l == LOOK_PROMOTED;
		if (b->conn != NULL) {
			PQfinish(b->conn);
			b->conn = NULL;
		}
		if (b->inst.running && !instance_stop(&b->inst, INSTANCE_STOP_FAST, STOP_WAIT_MS)) {
			log_error("the recovery's postgres did not stop for its restart");
			return false;
		}
	}
	log_error("the recovery was started %d times, each time with higher hot-standby "
		  "parameters, and stopped again; it had replayed up to %s", STARTS_MAX,
		  r.lsn[0] ? r.lsn : "an unknown LSN");
	return false;
}

/* ---- the steps a restore ends with ---- */

/* The settings of the staging directory: the same instance, another
 * data directory (the recovery runs there until it is complete). */
bool
recovery_staging(const struct boot *b, struct settings *st)
{
	*st = *b->set;
	if ((size_t) snprintf(st->pgdata, sizeof(st->pgdata), "%s/" BOOT_STAGING, b->set->pgdata)
	    < sizeof(st->pgdata))
		return true;
	log_error("the path of \"%s/%s\" is too long", b->set->pgdata, BOOT_STAGING);
	return false;
}

/* pgpod's recovery settings in the directory restored into: the method's
 * restore_command (archive-get, wal-restore), the target, promotion at it (or at the end of the
 * WAL). A copy (not an in-place restore) drops the source's marker. */
bool
recovery_time_text(const char *value, char *buf, size_t cap)
{
	double t;
	time_t secs;
	struct tm tm;
	long usec;
	char day[32];

	if (value == NULL || !restore_parse_time(value, &t))
		return false;
	secs = (time_t) t;
	usec = (long) ((t - (double) secs) * 1e6 + 0.5);
	if (usec >= 1000000) {
		secs++;
		usec -= 1000000;
	}
	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
	return (size_t) snprintf(buf, cap, "%s.%06ld+00", day, usec) < cap;
}

bool
recovery_configure(struct boot *b, const struct settings *st, bool copy)
{
	const struct spec_target *t = &b->restore->target;
	char cmd[PATH_MAX * 10], when[64];
	struct config_recovery rec = { .mode = CONFIG_RECOVERY };

	if (!b->restore_command(b, st->pgdata, cmd, sizeof(cmd))) {
		log_error("the restore_command for \"%s\" is too long", st->pgdata);
		return false;
	}
	rec.restore_command = cmd;
	rec.target = recovery_target_of(t->kind);
	/* a time as postgres reads it whatever its TimeZone: UTC, spelled out */
	rec.target_value = t->kind == SPEC_TARGET_TIME
		&& recovery_time_text(t->value, when, sizeof(when)) ? when : t->value;
	rec.target_exclusive = t->exclusive == 1;
	rec.target_timeline = t->timeline;
	rec.target_action = rec.target != CONFIG_TARGET_NONE ? "promote" : NULL;
	/* the source's marker and signals are not this cluster's */
	return (!copy || file_remove_in(st->pgdata, PGDATA_MARKER))
		&& file_remove_in(st->pgdata, "standby.signal")
		&& config_drop_copied_recovery(st->pgdata) && config_write_all(st, b->s, &rec, NULL);
}

bool
recovery_step_recover(struct boot *b)
{
	struct settings st;
	long long t0 = mono_ms();
	char target[300];

	if (!recovery_staging(b, &st) || !recovery_configure(b, &st, true) || !recovery_run(b, &st))
		return false;
	log_info("recovered to %s and promoted in %.1f s (backup %s)",
		 recovery_target_text(&b->restore->target, target, sizeof(target)),
		 (double) (mono_ms() - t0) / 1000, b->label[0] ? b->label : "?");
	return true;
}

/* The recovered cluster (its postgres stopped) into PGDATA, as a primary
 * from now on. */
bool
recovery_step_place(struct boot *b)
{
	char staging[PATH_MAX];

	snprintf(staging, sizeof(staging), "%s/%s", b->set->pgdata, BOOT_STAGING);
	return file_remove_in(staging, "recovery.signal") && boot_step_unstage(b)
		&& config_write_all(b->set, b->s, NULL, NULL);
}

/* --db-include: the other databases were restored as zeroed files and
 * cannot be used; they are dropped (their names logged). */
static bool
drop_excluded(struct boot *b)
{
	const struct strlist *keep = &b->restore->db_include;
	PGresult *r;
	bool ok = true;

	if (keep->n == 0)
		return true;
	r = PQexec(b->conn, "SELECT datname FROM pg_catalog.pg_database WHERE datname NOT IN "
		   "('postgres', 'template0', 'template1') ORDER BY 1");
	for (int i = 0; ok && PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++) {
		const char *db = PQgetvalue(r, i, 0);
		char *ident, sql[512];

		if (strlist_has(keep, db) || (ident = pgconn_ident(b->conn, db)) == NULL)
			continue;
		snprintf(sql, sizeof(sql), "DROP DATABASE %s", ident);
		PQfreemem(ident);
		log_warn("dropping database \"%s\": --db-include left it out, so pgBackRest "
			 "restored it as empty files that cannot be used", db);
		ok = pgconn_exec(b->conn, sql, "dropping a database left out by --db-include");
	}
	PQclear(r);
	return ok;
}

/* The timeline the restored primary writes on, for the marker (its first
 * checkpoint on it may not have happened yet). */
static long
timeline_now(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT substr(pg_catalog.pg_walfile_name("
			     "pg_catalog.pg_current_wal_lsn()), 1, 8)");
	long tli = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
		? strtol(PQgetvalue(r, 0, 0), NULL, 16) : -1;

	PQclear(r);
	return tli;
}

/* On the promoted recovery postgres itself (no second start): databases
 * left out dropped, roles and the application database. */
bool
recovery_step_roles(struct boot *b)
{
	char target[300], esc[200], label[80];
	int n;

	if (b->conn == NULL && !pgconn_local(b->set->run_dir, b->set->pg_port, "postgres", &b->conn))
		return false;	/* errors have already been logged */
	if (!drop_excluded(b) || !roles_apply_all(b->conn, b->set, b->s, b->in))
		return false;
	recovery_target_text(&b->restore->target, target, sizeof(target));
	(void) log_json_escape(esc, 0, sizeof(esc), target, strlen(target));
	(void) log_json_escape(label, 0, sizeof(label), b->label, strlen(b->label));
	n = snprintf(b->marker_extra, sizeof(b->marker_extra), ", \"backup\": \"%s\", \"target\": "
		     "\"%s\", \"timeline\": %ld", label, esc, timeline_now(b->conn));
	if (b->source.repo > 0 && n > 0 && (size_t) n < sizeof(b->marker_extra))
		snprintf(b->marker_extra + n, sizeof(b->marker_extra) - (size_t) n, ", \"repo\": %d",
			 b->source.repo);
	return true;
}


bool
recovery_step_place_standby(struct boot *b)
{
	char staging[PATH_MAX];
	int n;

	snprintf(staging, sizeof(staging), "%s/%s", b->set->pgdata, BOOT_STAGING);
	n = snprintf(b->marker_extra, sizeof(b->marker_extra), ", \"backup\": \"%s\", "
		     "\"standby\": true", b->label);
	if (b->source.repo > 0 && n > 0 && (size_t) n < sizeof(b->marker_extra))
		snprintf(b->marker_extra + n, sizeof(b->marker_extra) - (size_t) n, ", \"repo\": %d",
			 b->source.repo);
	return file_remove_in(staging, PGDATA_MARKER) && file_remove_in(staging, "recovery.signal")
		&& boot_step_unstage(b) && config_drop_copied_recovery(b->set->pgdata);
}
