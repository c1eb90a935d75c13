/*
 * boot.c — the bootstrap runner and the steps every method shares (see
 * boot.h).
 */
#include "boot.h"

#include <ctype.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clone.h"
#include "config.h"
#include "fileio.h"
#include "initdb.h"
#include "log.h"
#include "mono.h"
#include "pgdata.h"
#include "upstream.h"

#define START_TIMEOUT_MS (300 * 1000)
#define STOP_TIMEOUT_MS  (60 * 1000)
#define SMART_GRACE_MS   (5 * 1000)

static const char *const method_names[] = {
	[BOOT_METHOD_INITDB] = "initdb",
	[BOOT_METHOD_CLONE] = "pg_basebackup",
	[BOOT_METHOD_REPLICA_CLUSTER] = "replica cluster",
	[BOOT_METHOD_JOIN] = "join",
};

const char *
boot_method_name(enum boot_method m)
{
	return method_names[m];
}

long
boot_pod_instance(const struct settings *set, const char *pod)
{
	const char *dash = strrchr(pod, '-');
	char *end;
	long n;

	if (dash == NULL || !isdigit((unsigned char) dash[1]))
		return 0;
	n = strtol(dash + 1, &end, 10);
	if (*end != '\0' || n < set->ordinal_base)
		return 0;
	return n - set->ordinal_base + 1;
}

bool
boot_is_replica(const struct settings *set)
{
	if (strcmp(set->instance_role, "auto") != 0)
		return strcmp(set->instance_role, "replica") == 0;
	return boot_pod_instance(set, set->pod_name) > 1;
}

enum boot_method
boot_method_for(const struct settings *set, const struct spec *s)
{
	if (boot_is_replica(set))
		return BOOT_METHOD_JOIN;
	if (s->standby_enabled == 1)
		return BOOT_METHOD_REPLICA_CLUSTER;
	if (s->bootstrap == SPEC_BOOTSTRAP_PG_BASEBACKUP)
		return BOOT_METHOD_CLONE;
	return BOOT_METHOD_INITDB;
}

/* ---- shared steps ---- */

bool
boot_step_configure(struct boot *b)
{
	if (!upstream_write_config(b->set, b->s, b->in, b->hash)) {
		snprintf(b->err, sizeof(b->err), "cannot write the managed configuration");
		return false;
	}
	return true;
}

bool
boot_start_temp(struct boot *b, const struct argv *more)
{
	struct argv extra;
	bool ok;

	/* no TCP while bootstrapping; fsync is off because the bootstrap is
	 * flushed once with syncfs before it is marked complete */
	argv_init(&extra);
	argv_add(&extra, "-c");
	argv_add(&extra, "listen_addresses=");
	argv_add(&extra, "-c");
	argv_addf(&extra, "unix_socket_directories=%s", b->set->run_dir);
	argv_add(&extra, "-c");
	argv_addf(&extra, "port=%d", b->set->pg_port);
	argv_add(&extra, "-c");
	argv_add(&extra, "fsync=off");
	argv_add(&extra, "-c");
	argv_add(&extra, "archive_mode=off");
	/* SQL from Secrets must not reach the server log with its error */
	argv_add(&extra, "-c");
	argv_add(&extra, "log_min_error_statement=panic");
	for (size_t i = 0; more != NULL && i < more->n; i++)
		argv_add(&extra, more->v[i]);
	ok = instance_start(b->set, &extra, &b->inst);
	argv_free(&extra);
	if (!ok || !instance_wait_ready(&b->inst, START_TIMEOUT_MS)) {
		snprintf(b->err, sizeof(b->err), "the temporary postgres did not start%s%s",
			 b->inst.proc.last[0] ? ": " : "", b->inst.proc.last);
		return false;
	}
	return pgconn_local(b->set->run_dir, b->set->pg_port, "postgres", &b->conn, b->err,
			    sizeof(b->err));
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
		snprintf(b->err, sizeof(b->err), "the temporary postgres did not shut down cleanly "
			 "(exit code %d)", b->inst.exit_code);
		return false;
	}
	return true;
}

bool
boot_step_sync(struct boot *b)
{
	if (!pgdata_sync(b->set->pgdata)) {
		snprintf(b->err, sizeof(b->err), "cannot flush PGDATA to disk");
		return false;
	}
	return true;
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

	log_error("bootstrap step \"%s\" failed: %s", step, b->err);
	if (b->conn != NULL) {
		PQfinish(b->conn);
		b->conn = NULL;
	}
	if (b->inst.running)
		(void) instance_stop(&b->inst, INSTANCE_STOP_FAST, STOP_TIMEOUT_MS);
	if (pgdata_state(b->set->pgdata) == PGDATA_EMPTY) {
		log_error("nothing was written to \"%s\"", b->set->pgdata);
		return;
	}
	if (pgdata_move_aside(b->set->pgdata, aside, sizeof(aside)))
		log_error("the failed attempt was moved aside to \"%s\" (nothing was deleted); "
			  "fix the cause and run again", aside);
}

enum boot_result
boot_run(struct boot *b, const char *what, const struct boot_step *steps, size_t n)
{
	long long start = mono_ms();

	for (size_t i = 0; i < n; i++) {
		long long t0 = mono_ms();

		if (boot_interrupted()) {
			snprintf(b->err, sizeof(b->err), "interrupted by a signal");
			boot_fail(b, steps[i].name);
			return BOOT_FAILED;
		}
		if (!steps[i].run(b)) {
			boot_fail(b, steps[i].name);
			return BOOT_FAILED;
		}
		log_debug("step \"%s\" done in %lld ms", steps[i].name, mono_ms() - t0);
	}
	if (!pgdata_write_marker(b->set->pgdata, what, (double) (mono_ms() - start) / 1000)) {
		snprintf(b->err, sizeof(b->err), "cannot write the completion marker");
		boot_fail(b, "mark complete");
		return BOOT_FAILED;
	}
	log_info("bootstrap (%s) complete in %.2f s (config hash %s)", what,
		 (double) (mono_ms() - start) / 1000, b->hash);
	return BOOT_DONE;
}

enum boot_result
boot_bootstrap(const struct settings *set, const struct spec *s, const struct inputs *in,
	       enum boot_method m)
{
	struct boot b = { .set = set, .s = s, .in = in, .method = m };
	enum pgdata_state st = pgdata_state(set->pgdata);
	enum boot_result r;
	char aside[PATH_MAX + 64];

	switch (st) {
	case PGDATA_BOOTSTRAPPED:
		log_info("PGDATA \"%s\" is already bootstrapped by pgpod; nothing to do", set->pgdata);
		return BOOT_ALREADY;
	case PGDATA_PARTIAL:
		log_warn("PGDATA \"%s\" holds a copy that was cut off; moving it aside and starting "
			 "again", set->pgdata);
		clone_kill_leftover(set->pgdata);
		if (!pgdata_move_aside(set->pgdata, aside, sizeof(aside)))
			return BOOT_FAILED;
		log_info("the cut-off copy is kept in \"%s\"", aside);
		break;
	case PGDATA_FOREIGN:
	case PGDATA_UNKNOWN:
		log_error("PGDATA \"%s\" is %s; pgpod never deletes data: move it aside or point "
			  "--pgdata at an empty directory", set->pgdata, pgdata_state_name(st));
		return BOOT_REFUSED;
	case PGDATA_UNREADABLE:
		log_error("PGDATA \"%s\" is %s", set->pgdata, pgdata_state_name(st));
		return BOOT_FAILED;
	case PGDATA_EMPTY:
		break;
	}
	if (m == BOOT_METHOD_INITDB)
		r = initdb_bootstrap(&b);
	else
		r = clone_bootstrap(&b);
	upstream_free(&b.up);
	return r;
}
