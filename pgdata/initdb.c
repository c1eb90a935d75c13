/*
 * initdb.c — the initdb bootstrap as a table of steps walked by one
 * function that logs each step and its duration (see initdb.h).
 */
#include "initdb.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "fileio.h"
#include "instance.h"
#include "log.h"
#include "pgconn.h"
#include "pgdata.h"
#include "proc.h"

#define START_TIMEOUT_MS (300 * 1000)
#define STOP_TIMEOUT_MS  (60 * 1000)
#define SMART_GRACE_MS   (5 * 1000)

struct boot {
	const struct settings *set;
	const struct spec     *s;
	const struct inputs   *in;
	struct instance        inst;
	PGconn                *conn;		/* to the postgres database */
	char                   err[PGCONN_ERR_MAX + 512];
	char                   hash[CONFIG_HASH_HEX];
};

struct boot_step {
	const char *name;
	bool (*run)(struct boot *b);
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

void
initdb_build_args(const struct settings *set, const struct spec *s, const char *pwfile,
		  struct argv *a)
{
	argv_addf(a, "%s/initdb", set->pg_bin);
	argv_add(a, "--pgdata");
	argv_add(a, set->pgdata);
	argv_add(a, "--username=postgres");
	argv_add(a, "--auth-local=peer");
	argv_add(a, "--auth-host=scram-sha-256");
	argv_addf(a, "--encoding=%s", s->encoding);
	if (s->locale)
		argv_addf(a, "--locale=%s", s->locale);
	if (s->locale_collate)
		argv_addf(a, "--lc-collate=%s", s->locale_collate);
	if (s->locale_ctype)
		argv_addf(a, "--lc-ctype=%s", s->locale_ctype);
	if (s->locale_provider)
		argv_addf(a, "--locale-provider=%s", s->locale_provider);
	if (s->icu_locale)
		argv_addf(a, "--icu-locale=%s", s->icu_locale);
	if (s->icu_rules)
		argv_addf(a, "--icu-rules=%s", s->icu_rules);
	if (s->builtin_locale)
		argv_addf(a, "--builtin-locale=%s", s->builtin_locale);
	if (s->data_checksums == 1)
		argv_add(a, "--data-checksums");
	if (s->wal_segment_size > 0)
		argv_addf(a, "--wal-segsize=%d", s->wal_segment_size);
	if (pwfile)
		argv_addf(a, "--pwfile=%s", pwfile);
	/* pgpod flushes the file system once at the end (syncfs) and keeps a
	 * failed attempt for inspection instead of letting initdb delete it */
	argv_add(a, "--no-sync");
	argv_add(a, "--no-clean");
	for (size_t i = 0; i < s->initdb_options.n; i++)
		argv_add(a, s->initdb_options.items[i]);
}

static bool
step_initdb(struct boot *b)
{
	char pwfile[PATH_MAX] = "";
	struct argv args, env;
	char last[PROC_LAST_MAX] = "";
	int code = -1;
	bool ok;

	if (b->in->su_password != NULL) {
		snprintf(pwfile, sizeof(pwfile), "%s/initdb-pwfile.%d", b->set->run_dir, (int) getpid());
		if (!file_write_atomic(pwfile, b->in->su_password, strlen(b->in->su_password), 0600)) {
			snprintf(b->err, sizeof(b->err), "cannot write the temporary password file");
			return false;
		}
	}
	argv_init(&args);
	argv_init(&env);
	initdb_build_args(b->set, b->s, *pwfile ? pwfile : NULL, &args);
	instance_tool_env(b->set, &env);
	ok = proc_run(&args, &env, "initdb", &code, last, sizeof(last));
	argv_free(&args);
	argv_free(&env);
	if (*pwfile)
		(void) unlink(pwfile);
	if (!ok || code != 0) {
		snprintf(b->err, sizeof(b->err), "initdb exited with code %d%s%s", code,
			 *last ? ": " : "", last);
		return false;
	}
	return true;
}

static bool
step_configure(struct boot *b)
{
	if (!config_write_all(b->set, b->s, b->hash)) {
		snprintf(b->err, sizeof(b->err), "cannot write the managed configuration");
		return false;
	}
	return true;
}

static bool
step_start(struct boot *b)
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
	ok = instance_start(b->set, &extra, &b->inst);
	argv_free(&extra);
	if (!ok || !instance_wait_ready(&b->inst, START_TIMEOUT_MS)) {
		snprintf(b->err, sizeof(b->err), "the temporary postgres did not start%s%s",
			 b->inst.proc.last[0] ? ": " : "", b->inst.proc.last);
		return false;
	}
	if (!pgconn_local(b->set->run_dir, b->set->pg_port, "postgres", &b->conn, b->err,
			  sizeof(b->err)))
		return false;
	return true;
}

/* Keep a generated password where an operator can find it (0600). */
static bool
save_generated(struct boot *b, const char *role, const char *password)
{
	char dir[PATH_MAX];
	char path[PATH_MAX + 64];
	char created[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/passwords", b->set->run_dir);
	snprintf(path, sizeof(path), "%s/%s", dir, role);
	if (!file_mkdir_p(dir, 0700, created, sizeof(created))
	    || !file_write_atomic(path, password, strlen(password), 0600)) {
		snprintf(b->err, sizeof(b->err), "cannot save the generated password of \"%s\"", role);
		return false;
	}
	log_info("generated a random password for role \"%s\" (stored in %s)", role, path);
	return true;
}

static bool
step_owner(struct boot *b)
{
	bool found = false;

	if (!pgconn_exists(b->conn, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1",
			   b->s->app_owner, &found, b->err, sizeof(b->err)))
		return false;
	if (found) {
		log_info("role \"%s\" exists already", b->s->app_owner);
		return true;
	}
	if (b->in->app_generated && !save_generated(b, b->s->app_owner, b->in->app_password))
		return false;
	return pgconn_set_password(b->conn, b->s->app_owner, b->in->app_password, true,
				   b->err, sizeof(b->err));
}

/* Run one SQL text in conn; a failure names the step and the element. */
static bool
run_sql(struct boot *b, PGconn *conn, const char *db, const char *label,
	const char *origin, const char *sql)
{
	char err[PGCONN_ERR_MAX];
	double t0 = now_s();

	if (!pgconn_exec(conn, sql, err, sizeof(err))) {
		snprintf(b->err, sizeof(b->err), "%s%s%s%s failed in database \"%s\": %s", label,
			 origin ? " (" : "", origin ? origin : "", origin ? ")" : "", db, err);
		return false;
	}
	log_info("ran %s in database \"%s\" (%.0f ms)", label, db, (now_s() - t0) * 1000);
	return true;
}

/* A list (postInit*SQL) then its refs (secrets, then configmaps). */
static bool
run_stage(struct boot *b, const char *db, const char *name, const struct strlist *list,
	  const struct sqlfiles *files)
{
	PGconn *conn = b->conn;
	bool ok = true;

	if (list->n == 0 && files->n == 0)
		return true;
	if (strcmp(db, "postgres") != 0
	    && !pgconn_local(b->set->run_dir, b->set->pg_port, db, &conn, b->err, sizeof(b->err)))
		return false;
	for (size_t i = 0; ok && i < list->n; i++) {
		char label[128];

		snprintf(label, sizeof(label), "%s[%zu]", name, i);
		ok = run_sql(b, conn, db, label, NULL, list->items[i]);
	}
	for (size_t i = 0; ok && i < files->n; i++)
		ok = run_sql(b, conn, db, files->items[i].label, files->items[i].origin,
			     files->items[i].sql);
	if (conn != b->conn)
		PQfinish(conn);
	return ok;
}

static bool
step_post_init(struct boot *b)
{
	return run_stage(b, "postgres", "postInitSQL", &b->s->post_init_sql, &b->in->post_init);
}

static bool
step_post_init_template(struct boot *b)
{
	return run_stage(b, "template1", "postInitTemplateSQL", &b->s->post_init_template_sql,
			 &b->in->post_init_template);
}

static bool
step_app_db(struct boot *b)
{
	const char *db = b->s->app_database;
	char *dbq = NULL, *ownq = NULL, *sql = NULL;
	bool found = false, ok = false;

	if (!pgconn_exists(b->conn, "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
			   db, &found, b->err, sizeof(b->err)))
		return false;
	dbq = pgconn_ident(b->conn, db);
	ownq = pgconn_ident(b->conn, b->s->app_owner);
	if (dbq == NULL || ownq == NULL
	    || asprintf(&sql, found ? "ALTER DATABASE %s OWNER TO %s" : "CREATE DATABASE %s OWNER %s",
			dbq, ownq) < 0) {
		snprintf(b->err, sizeof(b->err), "cannot build the statement: %s", PQerrorMessage(b->conn));
		sql = NULL;
		goto done;
	}
	if (found)
		log_info("database \"%s\" exists already; making \"%s\" its owner", db, b->s->app_owner);
	ok = pgconn_exec(b->conn, sql, b->err, sizeof(b->err));
done:
	free(sql);
	PQfreemem(dbq);
	PQfreemem(ownq);
	return ok;
}

static bool
step_post_init_app(struct boot *b)
{
	return run_stage(b, b->s->app_database, "postInitApplicationSQL",
			 &b->s->post_init_application_sql, &b->in->post_init_application);
}

static bool
step_superuser(struct boot *b)
{
	if (b->in->su_password == NULL)
		return true;
	if (b->in->su_generated && !save_generated(b, "postgres", b->in->su_password))
		return false;
	return pgconn_set_password(b->conn, "postgres", b->in->su_password, false,
				   b->err, sizeof(b->err));
}

static bool
step_stop(struct boot *b)
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

static bool
step_sync(struct boot *b)
{
	if (!pgdata_sync(b->set->pgdata)) {
		snprintf(b->err, sizeof(b->err), "cannot flush PGDATA to disk");
		return false;
	}
	return true;
}

static const struct boot_step steps[] = {
	{ "initdb", step_initdb },
	{ "configure", step_configure },
	{ "start temporary postgres", step_start },
	{ "create owner role", step_owner },
	{ "postInitSQL", step_post_init },
	{ "postInitTemplateSQL", step_post_init_template },
	{ "create application database", step_app_db },
	{ "postInitApplicationSQL", step_post_init_app },
	{ "set superuser password", step_superuser },
	{ "stop temporary postgres", step_stop },
	{ "flush to disk", step_sync },
};

static atomic_bool boot_stop_requested;

void
initdb_request_stop(void)
{
	atomic_store(&boot_stop_requested, true);
}

/* The supervisor asks through initdb_request_stop(); a plain `pgpod init`
 * has SIGTERM/SIGINT blocked (cmd/ did it), and a pending one stops us. */
static bool
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

enum initdb_result
initdb_bootstrap(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	struct boot b = { .set = set, .s = s, .in = in };
	enum pgdata_state st = pgdata_state(set->pgdata);
	double start = now_s();

	switch (st) {
	case PGDATA_BOOTSTRAPPED:
		log_info("PGDATA \"%s\" is already bootstrapped by pgpod; nothing to do", set->pgdata);
		return INITDB_ALREADY;
	case PGDATA_FOREIGN:
	case PGDATA_UNKNOWN:
		log_error("PGDATA \"%s\" is %s; pgpod never deletes data: move it aside or point "
			  "--pgdata at an empty directory", set->pgdata, pgdata_state_name(st));
		return INITDB_REFUSED;
	case PGDATA_UNREADABLE:
		log_error("PGDATA \"%s\" is %s", set->pgdata, pgdata_state_name(st));
		return INITDB_FAILED;
	case PGDATA_EMPTY:
		break;
	}
	log_info("bootstrapping \"%s\" with initdb (database \"%s\", owner \"%s\", PostgreSQL %s)",
		 set->pgdata, s->app_database, s->app_owner, set->pg_version);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		double t0 = now_s();

		if (boot_interrupted()) {
			snprintf(b.err, sizeof(b.err), "interrupted by a signal");
			boot_fail(&b, steps[i].name);
			return INITDB_FAILED;
		}
		if (!steps[i].run(&b)) {
			boot_fail(&b, steps[i].name);
			return INITDB_FAILED;
		}
		log_debug("step \"%s\" done in %.0f ms", steps[i].name, (now_s() - t0) * 1000);
	}
	if (!pgdata_write_marker(set->pgdata, "initdb", now_s() - start)) {
		snprintf(b.err, sizeof(b.err), "cannot write the completion marker");
		boot_fail(&b, "mark complete");
		return INITDB_FAILED;
	}
	log_info("bootstrap complete in %.2f s (config hash %s)", now_s() - start, b.hash);
	return INITDB_DONE;
}
