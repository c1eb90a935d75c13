/*
 * boot.c — the bootstrap runner and the steps every method shares (see
 * boot.h).
 */
#include "boot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "exitcodes.h"
#include "fileio.h"
#include "log.h"
#include "mono.h"
#include "pgconn.h"
#include "barman.h"
#include "barman_wal.h"
#include "pgbackrest.h"
#include "pgdata.h"

#define START_TIMEOUT_MS (300 * 1000)
#define STOP_TIMEOUT_MS  (60 * 1000)
#define SMART_GRACE_MS   (5 * 1000)

int
boot_exit_code(enum boot_result r)
{
	switch (r) {
	case BOOT_DONE:
	case BOOT_ALREADY:
	case BOOT_PENDING:
		return EXIT_OK;
	case BOOT_REFUSED:
		return EXIT_PGDATA_REFUSED;
	case BOOT_FAILED:
		break;
	}
	return EXIT_RUNTIME;
}

enum boot_result
boot_admit(const struct settings *set, enum pgdata_state st)
{
	switch (st) {
	case PGDATA_BOOTSTRAPPED:
		/* a stop between writing the marker and removing the mark: the
		 * marker wins, the mark goes */
		if (pgdata_has(set->pgdata, PGDATA_BOOTSTRAPPING)
		    && file_remove_in(set->pgdata, PGDATA_BOOTSTRAPPING) && file_fsync_dir(set->pgdata))
			log_info("removed the in-progress mark left beside the completion marker in "
				 "\"%s\" (pgpod was stopped between the two)", set->pgdata);
		log_info("PGDATA \"%s\" is already bootstrapped by pgpod; nothing to do", set->pgdata);
		return BOOT_ALREADY;
	case PGDATA_FOREIGN:
	case PGDATA_UNKNOWN:
		log_error("PGDATA \"%s\" is %s; pgpod never deletes data: move it aside or point "
			  "--pgdata at an empty directory", set->pgdata, pgdata_state_name(st));
		return BOOT_REFUSED;
	case PGDATA_UNREADABLE:
		log_error("PGDATA \"%s\" is %s", set->pgdata, pgdata_state_name(st));
		return BOOT_FAILED;
	case PGDATA_EMPTY:
	case PGDATA_PARTIAL:
	case PGDATA_FAILED:
		break;
	}
	if (!pgdata_movable(set->pgdata))
		log_warn("the directory holding PGDATA \"%s\" is not writable for this user: a failed "
			 "bootstrap cannot be moved aside, it is left in place, marked, and the next "
			 "run replaces it (make the parent writable, e.g. an fsGroup on the volume, to "
			 "keep failed attempts)", set->pgdata);
	return BOOT_PENDING;
}

/* ---- shared steps ---- */

/* A new cluster with an object store of its own archives there only once
 * it is found empty (CloudNativePG's check, barman_wal.h); a joining
 * replica belongs to a cluster that archives already (the mark it copied
 * from the primary goes). */
static bool
mark_empty_check(const struct boot *b)
{
	char path[PATH_MAX + 64];
	int fd;

	if (strcmp(b->marker, "join") == 0)	/* copied from the primary: not ours */
		return file_remove_in(b->set->pgdata, EMPTY_CHECK_FILE);
	if (!barman_enabled(b->s) || b->s->skip_empty_wal_check == 1)
		return true;
	snprintf(path, sizeof(path), "%s/%s", b->set->pgdata, EMPTY_CHECK_FILE);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("cannot create \"%s\": %s", path, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

bool
boot_step_configure(struct boot *b)
{
	return pgbr_write_conf(b->set, b->s, b->in) && barman_write_own(b->set, b->s, b->in)
		&& mark_empty_check(b) && config_write_all(b->set, b->s, &b->rec, b->hash);
}

void
boot_temp_args(const struct settings *set, struct argv *extra)
{
	argv_add(extra, "-c");
	argv_add(extra, "listen_addresses=");
	argv_add(extra, "-c");
	argv_addf(extra, "unix_socket_directories=%s", set->run_dir);
	argv_add(extra, "-c");
	argv_addf(extra, "port=%d", set->pg_port);
	argv_add(extra, "-c");
	argv_add(extra, "archive_mode=off");
	/* no TCP, so no TLS: the certificates' copies are written only by the
	 * supervisor's configuration (upstream_configure) */
	argv_add(extra, "-c");
	argv_add(extra, "ssl=off");
}

bool
boot_start_temp(struct boot *b, const struct argv *more)
{
	struct argv extra;
	bool ok;

	/* fsync is off because the bootstrap is flushed once with syncfs
	 * before it is marked complete */
	argv_init(&extra);
	boot_temp_args(b->set, &extra);
	argv_add(&extra, "-c");
	argv_add(&extra, "fsync=off");
	/* SQL from Secrets must not reach the server log, whatever the
	 * user's logging settings (statements, durations, auto_explain,
	 * pgaudit: unknown prefixed names are placeholders) */
	static const char *const quiet[] = {
		"log_min_error_statement=panic", "log_statement=none",
		"log_min_duration_statement=-1", "log_min_duration_sample=-1",
		"auto_explain.log_min_duration=-1", "pgaudit.log=none",
	};
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		argv_add(&extra, "-c");
		argv_add(&extra, quiet[i]);
	}
	for (size_t i = 0; more != NULL && i < more->n; i++)
		argv_add(&extra, more->v[i]);
	ok = instance_start(b->set, &extra, &b->inst);
	argv_free(&extra);
	if (!ok || !instance_wait_ready(&b->inst, START_TIMEOUT_MS)) {
		log_error("the temporary postgres did not start%s%s", b->inst.proc.last[0] ? ": " : "",
			  b->inst.proc.last);
		return false;
	}
	return pgconn_local(b->set->run_dir, b->set->pg_port, "postgres", &b->conn);
}

bool
boot_stop_temp(struct boot *b)
{
	PQfinish(b->conn);
	b->conn = NULL;
	/*
	 * Smart first: the backends of the sessions just closed may still be
	 * exiting, and a fast shutdown would log FATAL "terminating connection
	 * due to administrator command" for them. With no session left smart
	 * is as quick as fast; fast follows if something lingers.
	 */
	instance_signal(&b->inst, INSTANCE_STOP_SMART);
	if (!instance_wait_exit(&b->inst, SMART_GRACE_MS))
		log_warn("the temporary postgres still has sessions after %d ms; stopping it fast",
			 SMART_GRACE_MS);
	if (!instance_stop(&b->inst, INSTANCE_STOP_FAST, STOP_TIMEOUT_MS) || b->inst.exit_code != 0) {
		log_error("the temporary postgres did not shut down cleanly (exit code %d)",
			  b->inst.exit_code);
		return false;
	}
	return true;
}

/* Move every entry of staging into pgdata. */
static bool
boot_move_entries(const char *staging, const char *pgdata)
{
	DIR *d = opendir(staging);
	struct dirent *e;
	bool ok = true;

	if (d == NULL) {
		log_error("cannot open \"%s\": %s", staging, strerror(errno));
		return false;
	}
	while (ok && (e = readdir(d)) != NULL) {
		char from[PATH_MAX + 256], to[PATH_MAX + 256];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(from, sizeof(from), "%s/%s", staging, e->d_name);
		snprintf(to, sizeof(to), "%s/%s", pgdata, e->d_name);
		if (rename(from, to) != 0) {
			log_error("cannot move \"%s\" to \"%s\": %s", from, to, strerror(errno));
			ok = false;
		}
	}
	closedir(d);
	return ok;
}

bool
boot_step_unstage(struct boot *b)
{
	char staging[PATH_MAX];
	struct stat st;

	snprintf(staging, sizeof(staging), "%s/%s", b->set->pgdata, BOOT_STAGING);
	/* PGDATA takes the mode initdb or pg_basebackup gave the staging
	 * directory (0700, or 0750 with group access): postgres refuses others */
	if (stat(staging, &st) != 0 || chmod(b->set->pgdata, st.st_mode & 0750) != 0) {
		log_error("cannot give \"%s\" the mode of \"%s\": %s", b->set->pgdata, staging,
			  strerror(errno));
		return false;
	}
	if (!boot_move_entries(staging, b->set->pgdata) || !file_fsync_dir(b->set->pgdata))
		return false;	/* errors have already been logged */
	if (rmdir(staging) != 0) {
		log_error("cannot remove the emptied \"%s\": %s", staging, strerror(errno));
		return false;
	}
	return file_remove_in(b->set->pgdata, BOOT_STAGING_PID) && file_fsync_dir(b->set->pgdata);
}

bool
boot_step_sync(struct boot *b)
{
	return pgdata_sync(b->set->pgdata, b->sync_fd);
}

/* ---- the runner ---- */

static atomic_bool boot_stop_requested;

void
boot_request_stop(void)
{
	atomic_store(&boot_stop_requested, true);
}

/* The supervisor asks through boot_request_stop(); a plain `pgpod init`
 * has SIGTERM/SIGINT blocked (cmd/ did it), and a pending one stops us. */
bool
boot_interrupted(void)
{
	sigset_t pending;

	if (atomic_load(&boot_stop_requested))
		return true;
	return sigpending(&pending) == 0
		&& (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1);
}

static void
boot_fail(struct boot *b, const char *step)
{
	char aside[PATH_MAX + 64];

	log_error("bootstrap step \"%s\" failed", step);
	if (b->conn != NULL) {
		PQfinish(b->conn);
		b->conn = NULL;
	}
	if (b->inst.running)
		(void) instance_stop(&b->inst, INSTANCE_STOP_FAST, STOP_TIMEOUT_MS);
	pgdata_report_space(b->set->pgdata);
	if (pgdata_only_mark(b->set->pgdata)) {
		log_error("nothing was written to \"%s\"", b->set->pgdata);
		return;
	}
	if (pgdata_move_aside(b->set->pgdata, b->set->keep_failed, aside, sizeof(aside)))
		log_error("the failed attempt was moved aside to \"%s\" (nothing was deleted); "
			  "fix the cause and run again", aside);
	else if (pgdata_has(b->set->pgdata, PGDATA_FAILED_MARK))
		log_error("the failed attempt is left in \"%s\", marked as pgpod's: the next run "
			  "replaces it", b->set->pgdata);
}

/* A step failed or a stop cut the bootstrap off: a resumable one stopped
 * by a signal stays in place for the next run; any other is moved aside. */
static void
boot_end(struct boot *b, const char *step)
{
	if (!b->resumable || !boot_interrupted()) {
		boot_fail(b, step);
		return;
	}
	if (b->conn != NULL) {
		PQfinish(b->conn);
		b->conn = NULL;
	}
	if (b->inst.running)
		(void) instance_stop(&b->inst, INSTANCE_STOP_FAST, STOP_TIMEOUT_MS);
	log_warn("the %s was stopped during step \"%s\"; it stays in \"%s\" and the next run "
		 "resumes it", b->marker, step, b->set->pgdata);
}

static enum boot_result boot_walk(struct boot *b, const struct boot_step *steps, size_t nsteps,
				  long long start);

enum boot_result
boot_run(struct boot *b, const struct boot_steps *plan)
{
	const struct boot_step *steps = plan->v;
	long long start = mono_ms();
	enum boot_result r;

	/* a cut-off bootstrap is found by this mark and started again */
	if (!pgdata_mark_bootstrapping(b->set->pgdata, b->marker))
		return BOOT_FAILED;	/* errors have already been logged */
	b->sync_fd = pgdata_sync_open(b->set->pgdata);
	r = boot_walk(b, steps, plan->n, start);
	if (b->sync_fd >= 0)
		close(b->sync_fd);
	return r;
}

/* boot_run's steps, then the marker. */
static enum boot_result
boot_walk(struct boot *b, const struct boot_step *steps, size_t nsteps, long long start)
{
	for (size_t i = 0; i < nsteps; i++) {
		long long t0 = mono_ms();

		if (boot_interrupted()) {
			log_error("the bootstrap was interrupted by a signal before step \"%s\"",
				  steps[i].name);
			boot_end(b, steps[i].name);
			return BOOT_FAILED;
		}
		if (!steps[i].run(b)) {
			boot_end(b, steps[i].name);
			return BOOT_FAILED;
		}
		log_debug("step \"%s\" done in %lld ms", steps[i].name, mono_ms() - t0);
	}
	if (!pgdata_write_marker(b->set->pgdata, b->marker, (double) (mono_ms() - start) / 1000,
				 b->marker_extra)) {
		boot_fail(b, "mark complete");
		return BOOT_FAILED;
	}
	/* the completion marker wins over it: a failure here is only a warning */
	if (!file_remove_in(b->set->pgdata, PGDATA_BOOTSTRAPPING) || !file_fsync_dir(b->set->pgdata))
		log_warn("the bootstrap is complete, but its in-progress mark stays (see above)");
	log_info("bootstrap (%s) complete in %.2f s (config hash %s)", b->marker,
		 (double) (mono_ms() - start) / 1000, b->hash);
	return BOOT_DONE;
}
