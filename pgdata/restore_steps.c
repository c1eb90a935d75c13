/*
 * restore_steps.c — the steps of the restore bootstrap (see restore.h):
 * pgBackRest's restore into the staging directory, the recovery there, then
 * what every bootstrap ends with.
 */
#include "restore.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "mono.h"
#include "pgconn.h"
#include "proc.h"
#include "roles.h"

#define PROGRESS_MS   5000	/* replay progress is logged this often */
#define POLL_MS       50
#define STOP_WAIT_MS  (60 * 1000)

/* The settings of the staging directory: the same instance, another
 * data directory (the recovery runs there until it is complete). */
static bool
staging_settings(const struct boot *b, struct settings *st)
{
	*st = *b->set;
	if ((size_t) snprintf(st->pgdata, sizeof(st->pgdata), "%s/" BOOT_STAGING, b->set->pgdata)
	    < sizeof(st->pgdata))
		return true;
	log_error("the path of \"%s/%s\" is too long", b->set->pgdata, BOOT_STAGING);
	return false;
}

bool
restore_prepare(struct boot *b)
{
	struct pgbr_target own;

	pgbr_own(b->set, &own);
	if (!pgbr_source(b->set, b->s, &own, &b->source))
		return false;
	b->resumable = true;
	b->restore = &b->s->restore;
	b->rec = (struct config_recovery) { .mode = CONFIG_PRIMARY };
	log_info("restoring \"%s\" from pgBackRest repo%d (stanza \"%s\")", b->set->pgdata,
		 b->source.repo, b->source.stanza);
	return true;
}

/* "restore backup set 20261203-073341F, ...": the label, kept in b. */
static bool
watch_label(void *arg, const char *line, size_t len)
{
	static const char tag[] = "restore backup set ";
	struct boot *b = arg;
	const char *p = memmem(line, len, tag, sizeof(tag) - 1);

	if (p != NULL) {
		p += sizeof(tag) - 1;
		snprintf(b->label, sizeof(b->label), "%.*s", (int) strcspn(p, ", \n"), p);
	}
	return false;	/* logged as usual */
}

static bool
has_option(const struct strlist *words, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < words->n; i++)
		if (strncmp(words->items[i], name, n) == 0
		    && (words->items[i][n] == '\0' || words->items[i][n] == '='))
			return true;
	return false;
}

/* The words of `pgbackrest restore` after pgpod's own options. */
static void
restore_words(const struct boot *b, const char *staging, bool resume, struct argv *w)
{
	const struct spec_restore *r = b->restore;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	argv_init(w);
	argv_addf(w, "--pg1-path=%s", staging);
	argv_addf(w, "--repo=%d", b->source.repo);
	argv_add(w, "--type=none");	/* pgpod writes the recovery settings */
	if (resume)
		argv_add(w, "--delta");
	if (b->rec.mode == CONFIG_STANDBY) {	/* a standby: the newest backup, whole */
		argv_addf(w, "--process-max=%ld", cpus > 0 ? cpus : 1);
		return;
	}
	if (r->backup_id != NULL)
		argv_addf(w, "--set=%s", r->backup_id);
	for (size_t i = 0; i < r->db_include.n; i++)
		argv_addf(w, "--db-include=%s", r->db_include.items[i]);
	if (!has_option(&r->passthrough, "--process-max"))
		argv_addf(w, "--process-max=%ld", cpus > 0 ? cpus : 1);
	for (size_t i = 0; i < r->passthrough.n; i++)
		argv_add(w, r->passthrough.items[i]);
}

static bool
step_restore(struct boot *b)
{
	char staging[PATH_MAX], created[PATH_MAX], last[PROC_LAST_MAX] = "";
	struct argv w;
	int code = -1;
	bool ok, resume;

	snprintf(staging, sizeof(staging), "%s/%s", b->set->pgdata, BOOT_STAGING);
	resume = file_dir_state(staging) == FILE_DIR_NOT_EMPTY;
	if (!file_mkdir_p(staging, 0700, created, sizeof(created)))
		return false;	/* errors have already been logged */
	if (resume)
		log_info("\"%s\" holds a restore that was cut off: resuming it (--delta)", staging);
	restore_words(b, staging, resume, &w);
	ok = pgbr_run_until(b->set, &b->source, "restore", (const char *const *) w.v, w.n,
			    boot_interrupted, watch_label, b, &code, last, sizeof(last));
	argv_free(&w);
	if (ok && code != 0)
		log_error("pgbackrest restore from repo%d failed (exit code %d)%s%s",
			  b->source.repo, code, *last ? ": " : "", last);
	return ok && code == 0;
}

/* The hot-standby settings a recovery needs at least: the primary's, as
 * pg_controldata of the restored files says. */
static void
controldata_settings(const struct settings *st, struct argv *extra)
{
	static const struct {
		const char *label;
		const char *name;
	} map[] = {
		{ "max_connections setting:", "max_connections" },
		{ "max_worker_processes setting:", "max_worker_processes" },
		{ "max_wal_senders setting:", "max_wal_senders" },
		{ "max_prepared_xacts setting:", "max_prepared_transactions" },
		{ "max_locks_per_xact setting:", "max_locks_per_transaction" },
	};
	char out[8192];
	struct argv args, env;
	int code = -1;

	argv_init(&args);
	argv_init(&env);
	argv_addf(&args, "%s/pg_controldata", st->pg_bin);
	argv_add(&args, st->pgdata);
	instance_tool_env(st, &env);
	if (proc_capture(&args, &env, out, sizeof(out), &code) && code == 0) {
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			const char *p = strstr(out, map[i].label);

			if (p != NULL) {
				argv_add(extra, "-c");
				argv_addf(extra, "%s=%ld", map[i].name,
					  strtol(p + strlen(map[i].label), NULL, 10));
			}
		}
	} else {
		log_warn("pg_controldata of the restored files failed; the recovery starts with the "
			 "configured hot-standby settings");
	}
	argv_free(&args);
	argv_free(&env);
}

/* What the recovery stops at: the spec's target, as postgres names it. */
static enum config_target
config_target_of(enum spec_target_kind k)
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

/* pgpod's recovery settings in the directory restored into: archive-get
 * from the repository, the target, promotion at it (or at the end of the
 * WAL). A copy (not an in-place restore) drops the source's marker. */
static bool
recovery_configure(struct boot *b, const struct settings *st, bool copy)
{
	const struct spec_target *t = &b->restore->target;
	char cmd[PATH_MAX * 6];
	struct config_recovery rec = { .mode = CONFIG_RECOVERY };

	if (!pgbr_restore_command(&b->source, st->pgdata, cmd, sizeof(cmd))) {
		log_error("the restore_command for \"%s\" is too long", st->pgdata);
		return false;
	}
	rec.restore_command = cmd;
	rec.target = config_target_of(t->kind);
	rec.target_value = t->value;
	rec.target_exclusive = t->exclusive == 1;
	rec.target_timeline = t->timeline;
	rec.target_action = rec.target != CONFIG_TARGET_NONE ? "promote" : NULL;
	/* the source's marker and signals are not this cluster's */
	return (!copy || file_remove_in(st->pgdata, PGDATA_MARKER))
		&& file_remove_in(st->pgdata, "standby.signal")
		&& config_drop_copied_recovery(st->pgdata) && config_write_all(st, b->s, &rec, NULL);
}

/* The recovery's postgres: no TCP, the socket in the run directory, hot
 * standby (its progress can be asked), the primary's limits. */
static bool
recovery_start(struct boot *b, const struct settings *st)
{
	struct argv extra;
	bool ok;

	argv_init(&extra);
	boot_temp_args(st, &extra);
	argv_add(&extra, "-c");
	argv_add(&extra, "hot_standby=on");
	controldata_settings(st, &extra);
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

static const char *
target_text(const struct boot *b, char *buf, size_t cap)
{
	const struct spec_target *t = &b->restore->target;

	if (config_target_of(t->kind) == CONFIG_TARGET_NONE)
		snprintf(buf, cap, "the end of the archived WAL");
	else
		snprintf(buf, cap, "%s %s", spec_target_name(t->kind), t->value ? t->value : "");
	return buf;
}

/* One look at the recovery: true once it is promoted; a paused replay is
 * resumed; progress is logged every PROGRESS_MS. */
static bool
recovery_look(struct boot *b, struct replay *r, long long *next_log)
{
	char target[300];

	if (b->conn == NULL && !pgconn_local_timeout(b->set->run_dir, b->set->pg_port, "postgres",
						     2, 0, LOG_DEBUG, &b->conn))
		return false;	/* not consistent yet: no connections */
	if (!replay_ask(b->conn, r)) {
		PQfinish(b->conn);
		b->conn = NULL;
		return false;
	}
	if (strcmp(r->in_recovery, "f") == 0)
		return true;
	if (strcmp(r->paused, "paused") == 0) {
		log_warn("the replay paused at %s; resuming it", r->lsn);
		PQclear(PQexec(b->conn, "SELECT pg_catalog.pg_wal_replay_resume()"));
	}
	if (mono_ms() >= *next_log) {
		log_info("recovery: replayed up to %s (%s), towards %s", r->lsn[0] ? r->lsn : "?",
			 r->at[0] ? r->at : "no transaction yet", target_text(b, target,
			 sizeof(target)));
		*next_log = mono_ms() + PROGRESS_MS;
	}
	return false;
}

/* Until promoted, however long it takes; postgres ending first is an
 * error that says where it got to. */
static bool
recovery_wait(struct boot *b)
{
	struct replay r = { .lsn = "" };
	long long next_log = mono_ms() + PROGRESS_MS;
	char target[300];

	for (;;) {
		struct timespec nap = { 0, POLL_MS * 1000000L };

		if (recovery_look(b, &r, &next_log))
			return true;
		if (instance_check_exit(&b->inst)) {
			log_error("postgres ended the recovery before it was promoted%s%s; it had "
				  "replayed up to %s (last transaction %s), towards %s",
				  b->inst.proc.last[0] ? ": " : "", b->inst.proc.last,
				  r.lsn[0] ? r.lsn : "an unknown LSN", r.at[0] ? r.at : "unknown",
				  target_text(b, target, sizeof(target)));
			return false;
		}
		if (boot_interrupted())
			return false;
		nanosleep(&nap, NULL);
	}
}

static bool
step_recover(struct boot *b)
{
	struct settings st;
	long long t0 = mono_ms();
	char target[300];

	if (!staging_settings(b, &st) || !recovery_configure(b, &st, true) || !recovery_start(b, &st) || !recovery_wait(b))
		return false;
	log_info("recovered to %s and promoted in %.1f s (backup %s)", target_text(b, target,
		 sizeof(target)), (double) (mono_ms() - t0) / 1000, b->label[0] ? b->label : "?");
	return true;
}

/* The recovered cluster (its postgres stopped) into PGDATA, as a primary
 * from now on. */
static bool
step_place(struct boot *b)
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
static bool
step_roles(struct boot *b)
{
	char target[300], esc[200], label[80];

	if (b->conn == NULL && !pgconn_local(b->set->run_dir, b->set->pg_port, "postgres", &b->conn))
		return false;	/* errors have already been logged */
	if (!drop_excluded(b) || !roles_apply_all(b->conn, b->set, b->s, b->in))
		return false;
	target_text(b, target, sizeof(target));
	(void) log_json_escape(esc, 0, sizeof(esc), target, strlen(target));
	(void) log_json_escape(label, 0, sizeof(label), b->label, strlen(b->label));
	snprintf(b->marker_extra, sizeof(b->marker_extra), ", \"backup\": \"%s\", \"target\": "
		 "\"%s\", \"timeline\": %ld, \"repo\": %d", label, esc, timeline_now(b->conn),
		 b->source.repo);
	return true;
}

static const struct boot_step restore_steps[] = {
	{ "restore with pgBackRest", step_restore },
	{ "recover to the target", step_recover },
	{ "roles and application database", step_roles },
	{ "stop temporary postgres", boot_stop_temp },
	{ "move the restore into place", step_place },
	{ "configure", boot_step_configure },
	{ "flush to disk", boot_step_sync },
};

const struct boot_steps restore_plan = BOOT_STEPS(restore_steps);

/* A standby: the restored files into place, its standby configuration. */
static bool
step_place_standby(struct boot *b)
{
	char staging[PATH_MAX];

	snprintf(staging, sizeof(staging), "%s/%s", b->set->pgdata, BOOT_STAGING);
	snprintf(b->marker_extra, sizeof(b->marker_extra), ", \"backup\": \"%s\", \"standby\": "
		 "true, \"repo\": %d", b->label, b->source.repo);
	return file_remove_in(staging, PGDATA_MARKER) && file_remove_in(staging, "recovery.signal")
		&& boot_step_unstage(b) && config_drop_copied_recovery(b->set->pgdata);
}

static const struct boot_step standby_steps[] = {
	{ "restore with pgBackRest", step_restore },
	{ "move the restore into place", step_place_standby },
	{ "configure", boot_step_configure },
	{ "flush to disk", boot_step_sync },
};

const struct boot_steps standby_plan = BOOT_STEPS(standby_steps);

/* ---- PGO's in-place restore ---- */

bool
restore_inplace_pending(const struct settings *set, const struct spec *s)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	int err;
	bool pending;

	if (s->inplace_restore_enabled != 1 || s->inplace_id == NULL)
		return false;
	snprintf(path, sizeof(path), "%s/%s", set->pgdata, RESTORE_ID_FILE);
	if (!file_read(path, 4096, &text, &len, &err))
		return true;
	pending = strcmp(text, s->inplace_id) != 0;
	free(text);
	return pending;
}

/* The repository of the in-place restore: restoreInPlace.repo of this
 * cluster's repositories. */
static bool
inplace_source(const struct settings *set, const struct spec *s, struct pgbr_target *t)
{
	const char *name = s->inplace.source;

	pgbr_own(set, t);
	if (name == NULL || strlen(name) != 5 || strncmp(name, "repo", 4) != 0 || name[4] < '1'
	    || name[4] > '4') {
		log_error("%s: \"%s\" is not a pgBackRest repository name (repo1 to repo4)",
			  spec_path(s, "restoreInPlace.repo"), name ? name : "");
		return false;
	}
	t->repo = name[4] - '0';
	return true;
}

static bool
inplace_restore_files(struct boot *b)
{
	char last[PROC_LAST_MAX] = "";
	struct argv w;
	int code = -1;
	bool ok;

	restore_words(b, b->set->pgdata, true, &w);
	ok = pgbr_run_until(b->set, &b->source, "restore", (const char *const *) w.v, w.n,
			    boot_interrupted, watch_label, b, &code, last, sizeof(last));
	argv_free(&w);
	if (ok && code != 0)
		log_error("pgbackrest restore --delta from repo%d failed (exit code %d)%s%s",
			  b->source.repo, code, *last ? ": " : "", last);
	return ok && code == 0;
}

bool
restore_in_place(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	struct boot b = { .set = set, .s = s, .in = in, .marker = "restore",
			  .restore = &s->inplace, .sync_fd = -1 };
	char path[PATH_MAX], target[300];
	long long t0 = mono_ms();
	bool ok;

	if (!inplace_source(set, s, &b.source) || !pgbr_write_conf(set, s, in))
		return false;
	log_info("in-place restore \"%s\" of \"%s\" from pgBackRest repo%d, to %s", s->inplace_id,
		 set->pgdata, b.source.repo, target_text(&b, target, sizeof(target)));
	ok = inplace_restore_files(&b) && recovery_configure(&b, set, false)
		&& recovery_start(&b, set) && recovery_wait(&b) && boot_stop_temp(&b);
	if (!ok) {
		if (b.conn != NULL)
			PQfinish(b.conn);
		if (b.inst.running)
			(void) instance_stop(&b.inst, INSTANCE_STOP_FAST, STOP_WAIT_MS);
		return false;
	}
	snprintf(path, sizeof(path), "%s/%s", set->pgdata, RESTORE_ID_FILE);
	if (!config_write_all(set, s, NULL, NULL)
	    || !file_write_atomic(path, s->inplace_id, strlen(s->inplace_id), 0600)
	    || !pgdata_sync(set->pgdata, -1))
		return false;
	log_info("in-place restore \"%s\" done in %.1f s (backup %s): postgres starts on the "
		 "restored data", s->inplace_id, (double) (mono_ms() - t0) / 1000,
		 b.label[0] ? b.label : "?");
	return true;
}
