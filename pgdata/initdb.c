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
#include "import.h"
#include "instance.h"
#include "log.h"
#include "mono.h"
#include "pgconn.h"
#include "pgdata.h"
#include "proc.h"
#include "roles.h"

void
initdb_build_args(const struct settings *set, const struct spec *s, const char *pwfile,
		  struct argv *a)
{
	argv_addf(a, "%s/initdb", set->pg_bin);
	argv_add(a, "--pgdata");
	argv_addf(a, "%s/%s", set->pgdata, BOOT_STAGING);
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
		if (!file_write_atomic(pwfile, b->in->su_password, strlen(b->in->su_password), 0600))
			return false;	/* errors have already been logged */
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
	if (ok && code != 0)
		log_error("initdb exited with code %d%s%s", code, *last ? ": " : "", last);
	return ok && code == 0;
}

static bool
step_start(struct boot *b)
{
	return boot_start_temp(b, NULL);
}

static bool
step_owner(struct boot *b)
{
	bool found = false;

	if (!pgconn_exists(b->conn, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1",
			   b->s->app_owner, &found))
		return false;
	if (found) {
		log_info("role \"%s\" exists already", b->s->app_owner);
		return true;
	}
	if (b->in->app_generated
	    && !roles_save_generated(b->set, b->s->app_owner, b->in->app_password))
		return false;
	return pgconn_set_password(b->conn, b->s->app_owner, b->in->app_password, "LOGIN");
}

/* What the server logs of a session that runs SQL from a Secret: no
 * statement, no duration, no error (its message may quote the SQL). */
static const char quiet_on[] = "SET log_statement = 'none'; SET log_min_duration_statement = -1; "
	"SET log_min_error_statement = 'panic'; SET log_min_messages = 'fatal'";
static const char quiet_off[] = "RESET log_statement; RESET log_min_duration_statement; "
	"RESET log_min_error_statement; RESET log_min_messages";

/* Run one SQL text in conn; a failure names the element and its origin
 * (for SQL from a Secret, the SQLSTATE and position only). */
static bool
run_sql(PGconn *conn, const char *db, const char *label, const char *origin, const char *sql,
	bool secret)
{
	char what[600];
	long long t0 = mono_ms();
	bool ok;

	snprintf(what, sizeof(what), "%s%s%s%s", label, origin ? " (" : "", origin ? origin : "",
		 origin ? ")" : "");
	/* a stop cancels the statement on the server; nothing further runs */
	if (boot_interrupted()) {
		log_error("%s was not run: a stop was asked for", what);
		return false;
	}
	if (secret && !pgconn_exec(conn, quiet_on, "keeping SQL from a Secret out of the server log"))
		return false;
	ok = pgconn_exec_until(conn, sql, what, boot_interrupted, secret);
	if (secret && ok && !pgconn_exec(conn, quiet_off, "resetting the server log settings"))
		ok = false;
	if (ok)
		log_info("ran %s in database \"%s\" (%.0f ms)", label, db, (double) (mono_ms() - t0));
	return ok;
}

bool
initdb_run_stage(struct boot *b, const char *db, const char *name, const struct strlist *list,
		 const struct sqlfiles *files)
{
	PGconn *conn = b->conn;
	bool ok = true;

	if (list->n == 0 && files->n == 0)
		return true;
	if (strcmp(db, "postgres") != 0 && !pgconn_local(b->set->run_dir, b->set->pg_port, db, &conn))
		return false;
	for (size_t i = 0; ok && i < list->n; i++) {
		char label[128];

		snprintf(label, sizeof(label), "%s[%zu]", name, i);
		ok = run_sql(conn, db, label, NULL, list->items[i], false);
	}
	for (size_t i = 0; ok && i < files->n; i++)
		ok = run_sql(conn, db, files->items[i].label, files->items[i].origin,
			     files->items[i].sql, files->items[i].secret);
	if (conn != b->conn)
		PQfinish(conn);
	return ok;
}

static bool
step_post_init(struct boot *b)
{
	return initdb_run_stage(b, "postgres", "postInitSQL", &b->s->post_init_sql, &b->in->post_init);
}

static bool
step_post_init_template(struct boot *b)
{
	return initdb_run_stage(b, "template1", "postInitTemplateSQL", &b->s->post_init_template_sql,
			 &b->in->post_init_template);
}

static bool
step_app_db(struct boot *b)
{
	return roles_database_owned(b->conn, b->s->app_database, b->s->app_owner);
}

static bool
step_post_init_app(struct boot *b)
{
	return initdb_run_stage(b, b->s->app_database, "postInitApplicationSQL",
			 &b->s->post_init_application_sql, &b->in->post_init_application);
}

static bool
step_superuser(struct boot *b)
{
	return roles_superuser(b->conn, b->set, b->in);
}

static bool
step_streaming_replica(struct boot *b)
{
	return roles_streaming_replica(b->conn, b->in->replication_password);
}

static const struct boot_step steps[] = {
	{ "initdb", step_initdb },
	{ "move into place", boot_step_unstage },
	{ "configure", boot_step_configure },
	{ "start temporary postgres", step_start },
	{ "create owner role", step_owner },
	{ "postInitSQL", step_post_init },
	{ "postInitTemplateSQL", step_post_init_template },
	{ "create application database", step_app_db },
	{ "postInitApplicationSQL", step_post_init_app },
	{ "set superuser password", step_superuser },
	{ "create streaming_replica", step_streaming_replica },
	{ "stop temporary postgres", boot_stop_temp },
	{ "flush to disk", boot_step_sync },
};

const struct boot_steps initdb_plan = BOOT_STEPS(steps);

/* ---- with an import (import.c) ---- */

static bool
step_start_import(struct boot *b)
{
	struct argv extra;
	bool ok;

	argv_init(&extra);
	import_start_args(&extra);
	ok = boot_start_temp(b, &extra);
	argv_free(&extra);
	return ok;
}

static bool
step_owner_import(struct boot *b)
{
	return !import_wants_app_db(b->s) || step_owner(b);
}

static bool
step_app_db_import(struct boot *b)
{
	return !import_wants_app_db(b->s) || step_app_db(b);
}

static bool
step_post_init_app_import(struct boot *b)
{
	return !import_wants_app_db(b->s) || step_post_init_app(b);
}

static bool
step_post_import(struct boot *b)
{
	static const struct sqlfiles none;

	if (strcmp(b->s->import.type, "microservice") != 0)
		return true;
	return initdb_run_stage(b, b->s->app_database, "postImportApplicationSQL",
				&b->s->import.post_import_sql, &none);
}

static const struct boot_step import_steps[] = {
	{ "initdb", step_initdb },
	{ "move into place", boot_step_unstage },
	{ "configure", boot_step_configure },
	{ "start temporary postgres for the import", step_start_import },
	{ "create owner role", step_owner_import },
	{ "postInitSQL", step_post_init },
	{ "postInitTemplateSQL", step_post_init_template },
	{ "create application database", step_app_db_import },
	{ "postInitApplicationSQL", step_post_init_app_import },
	{ "import roles", import_step_roles },
	{ "import databases", import_step_databases },
	{ "postImportApplicationSQL", step_post_import },
	{ "ANALYZE", import_step_analyze },
	{ "set superuser password", step_superuser },
	{ "create streaming_replica", step_streaming_replica },
	{ "stop temporary postgres", boot_stop_temp },
	{ "flush to disk", boot_step_sync },
};

const struct boot_steps import_plan = BOOT_STEPS(import_steps);

bool
initdb_prepare(struct boot *b)
{
	b->rec = (struct config_recovery) { .mode = CONFIG_PRIMARY };
	log_info("bootstrapping \"%s\" with initdb (database \"%s\", owner \"%s\", PostgreSQL %s)",
		 b->set->pgdata, b->s->app_database, b->s->app_owner, b->set->pg_version);
	return true;
}

bool
initdb_prepare_import(struct boot *b)
{
	return initdb_prepare(b) && import_prepare(b);
}
