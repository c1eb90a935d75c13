/*
 * import.c — bootstrap.initdb.import (see import.h).
 */
#define _XOPEN_SOURCE 700
#include "import.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "clone.h"
#include "fileio.h"
#include "log.h"
#include "mono.h"
#include "pgconn.h"
#include "proc.h"
#include "roles.h"

#define IMPORT_MAX      256		/* databases, roles */
#define QUERY_MS        (60 * 1000)	/* a catalogue question to the source */
#define PROGRESS_MS     5000		/* the import's progress is logged this often */
#define PGDATA_DUMP_DIR "pgpod-import"

/* What the import works on, found once by the source step: one bootstrap
 * per process. */
static struct {
	char      db[IMPORT_MAX][64];	/* the source's databases to import */
	long long db_bytes[IMPORT_MAX];
	size_t    ndb;
	char      role[IMPORT_MAX][64];	/* monolith: the roles */
	size_t    nrole;
	int       source_major;
} run;

static bool
is_micro(const struct spec *s)
{
	return strcmp(s->import.type, "microservice") == 0;
}

bool
import_asked(const struct spec *s)
{
	return s->bootstrap == SPEC_BOOTSTRAP_INITDB && s->import.type != NULL;
}

enum import_place
import_place_for(unsigned long long bytes, unsigned long long free_run,
		 unsigned long long free_data)
{
	/* a dump is seldom larger than the database; 10% to spare */
	unsigned long long need = bytes + bytes / 10;

	if (free_run >= need)
		return IMPORT_IN_RUN_DIR;
	if (free_data / 2 >= need)
		return IMPORT_IN_PGDATA;
	return IMPORT_STREAM;
}

/* ---- the source ---- */

/* A question to the source, bounded; NULL (logged) when it failed. */
static PGresult *
source_query(struct boot *b, PGconn *c, const char *sql, const char *what)
{
	enum pgconn_end end;
	PGresult *r = pgconn_query_until(c, sql, mono_ms() + QUERY_MS, boot_interrupted, &end);
	char msg[1024];

	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	pgconn_error_text(r, c, msg, sizeof(msg));
	log_error("asking the import source \"%s\" for %s failed: %s", b->up.name, what,
		  end == PGCONN_TIMED_OUT ? "no answer in time" : msg);
	PQclear(r);
	return NULL;
}

/* The names of a list, or the source's answer to all_sql for ["*"]. */
static bool
resolve_names(struct boot *b, PGconn *c, const struct strlist *l, const char *all_sql,
	      char names[][64], size_t *n, const char *what)
{
	PGresult *r;

	*n = 0;
	if (l->n != 1 || strcmp(l->items[0], "*") != 0) {
		for (size_t i = 0; i < l->n && *n < IMPORT_MAX; i++)
			snprintf(names[(*n)++], 64, "%s", l->items[i]);
		return true;
	}
	if ((r = source_query(b, c, all_sql, what)) == NULL)
		return false;
	for (int i = 0; i < PQntuples(r) && *n < IMPORT_MAX; i++)
		snprintf(names[(*n)++], 64, "%s", PQgetvalue(r, i, 0));
	PQclear(r);
	return true;
}

/* Each database there and open to connections, with its size. */
static bool
check_databases(struct boot *b, PGconn *c)
{
	const char *path = spec_path(b->s, "bootstrap.initdb.import.databases");

	for (size_t i = 0; i < run.ndb; i++) {
		const char *v[1] = { run.db[i] };
		PGresult *r = PQexecParams(c, "SELECT datallowconn, pg_catalog.pg_database_size(oid) "
					   "FROM pg_catalog.pg_database WHERE datname = $1", 1, NULL,
					   v, NULL, NULL, 0);
		bool ok = r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
			&& strcmp(PQgetvalue(r, 0, 0), "t") == 0;

		if (!ok)
			log_error("%s: the import source \"%s\" has no database \"%s\"%s", path,
				  b->up.name, run.db[i], r != NULL && PQntuples(r) == 1
				  ? " that allows connections" : "");
		else
			run.db_bytes[i] = atoll(PQgetvalue(r, 0, 1));
		PQclear(r);
		if (!ok)
			return false;
	}
	return true;
}

/* The roles named there (monolith); the reserved ones left out. */
static bool
check_roles(struct boot *b, PGconn *c)
{
	const char *path = spec_path(b->s, "bootstrap.initdb.import.roles");
	size_t kept = 0;

	for (size_t i = 0; i < run.nrole; i++) {
		const char *v[1] = { run.role[i] };
		PGresult *r = PQexecParams(c, "SELECT rolsuper FROM pg_catalog.pg_roles "
					   "WHERE rolname = $1", 1, NULL, v, NULL, NULL, 0);
		bool there = r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;

		PQclear(r);
		if (!there) {
			log_error("%s: the import source \"%s\" has no role \"%s\"", path, b->up.name,
				  run.role[i]);
			return false;
		}
		if (strcmp(run.role[i], "postgres") == 0
		    || strcmp(run.role[i], ROLES_REPLICATION_USER) == 0
		    || strcmp(run.role[i], "cnpg_pooler_pgbouncer") == 0) {
			log_warn("%s: role \"%s\" is this cluster's own and is not imported", path,
				 run.role[i]);
			continue;
		}
		memmove(run.role[kept++], run.role[i], sizeof(run.role[0]));
	}
	run.nrole = kept;
	return true;
}

static const char all_databases[] =
	"SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate "
	"AND datname <> 'postgres' ORDER BY datname";
static const char all_roles[] =
	"SELECT rolname FROM pg_catalog.pg_roles WHERE NOT rolsuper AND rolname !~ '^pg_' "
	"AND rolname NOT IN ('streaming_replica', 'cnpg_pooler_pgbouncer') ORDER BY rolname";

/* A connection to the import's source whose every statement has a
 * deadline; NULL (logged). */
static PGconn *
source_open(struct boot *b)
{
	PGconn *c = clone_source_connect(b, false, LOG_ERROR);

	if (c != NULL && !pgconn_exec(c, "SET statement_timeout = '60s'",
				      "bounding the import source's statements")) {
		PQfinish(c);
		c = NULL;
	}
	return c;
}

/* Connect to the source and find what is imported; false (logged) when
 * the source cannot be used. */
static bool
survey(struct boot *b)
{
	PGconn *c;
	bool ok;

	if (!clone_prepare_external(b, b->s->import.source) || (c = source_open(b)) == NULL)
		return false;
	run.source_major = PQserverVersion(c) / 10000;
	if (run.source_major > b->set->pg_major) {
		log_error("%s: the import source \"%s\" runs PostgreSQL %d, newer than this pod's %d: "
			  "pg_dump %d cannot dump it; use a PostgreSQL %d (or newer) image",
			  spec_path(b->s, "bootstrap.initdb.import.source"), b->up.name,
			  run.source_major, b->set->pg_major, b->set->pg_major, run.source_major);
		PQfinish(c);
		return false;
	}
	ok = resolve_names(b, c, &b->s->import.databases, all_databases, run.db, &run.ndb,
			   "its databases")
		&& resolve_names(b, c, &b->s->import.roles, all_roles, run.role, &run.nrole,
				 "its roles")
		&& check_databases(b, c) && check_roles(b, c);
	PQfinish(c);
	if (ok && run.ndb == 0)
		log_error("%s: the import source \"%s\" has no database to import",
			  spec_path(b->s, "bootstrap.initdb.import.databases"), b->up.name);
	return ok && run.ndb > 0;
}

bool
import_check(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	struct boot b;
	bool ok;

	memset(&b, 0, sizeof(b));
	b.set = set;
	b.s = s;
	b.in = in;
	ok = survey(&b);
	upstream_free(&b.up);
	return ok;
}

bool
import_prepare(struct boot *b)
{
	long long total = 0;
	char roles[64] = "";

	if (!survey(b))
		return false;
	for (size_t i = 0; i < run.ndb; i++)
		total += run.db_bytes[i];
	if (!is_micro(b->s))
		snprintf(roles, sizeof(roles), " and %zu role%s", run.nrole, run.nrole == 1 ? "" : "s");
	log_info("importing %zu database%s (%.1f MB on the source)%s from \"%s\" (PostgreSQL %d, "
		 "as \"%s\", %s authentication), %s", run.ndb, run.ndb == 1 ? "" : "s",
		 (double) total / 1048576, roles, b->up.name, run.source_major, b->up.user,
		 b->up.auth, b->s->import.schema_only == 1 ? "schema only" : "schema and data");
	return true;
}

bool
import_wants_app_db(const struct spec *s)
{
	/* monolith keeps the source's databases and owners: the application
	 * database is made only when the spec names one (CloudNativePG) */
	return is_micro(s) || strcmp(spec_path(s, "bootstrap.database"), "bootstrap.database") != 0
		|| strcmp(spec_path(s, "bootstrap.owner"), "bootstrap.owner") != 0;
}

void
import_start_args(struct argv *extra)
{
	/* CloudNativePG's import settings: no WAL beyond what a crash needs
	 * (the bootstrap is flushed once at its end) */
	static const char *const fast[] = {
		"wal_level=minimal", "max_wal_senders=0", "full_page_writes=off",
		"synchronous_commit=off", "maintenance_work_mem=256MB",
	};

	for (size_t i = 0; i < sizeof(fast) / sizeof(fast[0]); i++) {
		argv_add(extra, "-c");
		argv_add(extra, fast[i]);
	}
}

/* ---- roles (monolith) ---- */

/* names as a text[] literal for a query parameter (caller frees). */
static char *
array_literal(char names[][64], size_t n)
{
	size_t cap = 3 + n * (64 * 2 + 3);
	char *out = malloc(cap), *p = out;

	if (out == NULL)
		return NULL;
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		*p++ = '"';
		for (const char *c = names[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				*p++ = '\\';
			*p++ = *c;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return out;
}

/* A parameterized question to a server; NULL (logged) when it failed. */
static PGresult *
ask_params(PGconn *c, const char *sql, const char *param, const char *what)
{
	const char *v[1] = { param };
	PGresult *r = PQexecParams(c, sql, 1, NULL, v, NULL, NULL, 0);
	char msg[1024];

	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	pgconn_error_text(r, c, msg, sizeof(msg));
	log_error("%s failed: %s", what, msg);
	PQclear(r);
	return NULL;
}

static const char roles_sql[] =
	"SELECT rolname, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, "
	"rolbypassrls, rolconnlimit, rolvaliduntil, "
	"pg_catalog.shobj_description(oid, 'pg_authid') FROM pg_catalog.pg_roles "
	"WHERE rolname = ANY($1::text[]) ORDER BY rolname";
static const char memberships_sql[] =
	"SELECT r.rolname, m.rolname, a.admin_option FROM pg_catalog.pg_auth_members a "
	"JOIN pg_catalog.pg_roles r ON r.oid = a.roleid JOIN pg_catalog.pg_roles m "
	"ON m.oid = a.member WHERE r.rolname = ANY($1::text[]) AND m.rolname = ANY($1::text[]) "
	"ORDER BY 1, 2";

/* The role's password hash, when the source lets it be read (pg_authid:
 * a superuser); NULL otherwise. */
static char *
source_password(PGconn *c, const char *role)
{
	const char *v[1] = { role };
	PGresult *r = PQexecParams(c, "SELECT rolpassword FROM pg_catalog.pg_authid "
				   "WHERE rolname = $1", 1, NULL, v, NULL, NULL, 0);
	char *out = NULL;

	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
	    && !PQgetisnull(r, 0, 0))
		out = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return out;
}

/* "CREATE ROLE x WITH ..." (or ALTER when it exists here) for row i of r:
 * the source's attributes, never SUPERUSER. */
static bool
role_statement(PGconn *to, PGresult *r, int i, const char *password, bool exists,
	       char **sql)
{
	static const char *const attr[] = { "INHERIT", "CREATEROLE", "CREATEDB", "LOGIN",
					    "REPLICATION", "BYPASSRLS" };
	char *name = pgconn_ident(to, PQgetvalue(r, i, 0)), *until = NULL, *pw = NULL;
	char attrs[256] = "NOSUPERUSER";
	bool ok;

	for (int k = 0; k < 6; k++)
		snprintf(attrs + strlen(attrs), sizeof(attrs) - strlen(attrs), " %s%s",
			 strcmp(PQgetvalue(r, i, 1 + k), "t") == 0 ? "" : "NO", attr[k]);
	if (!PQgetisnull(r, i, 8))
		until = pgconn_literal(to, PQgetvalue(r, i, 8));
	if (password != NULL)
		pw = pgconn_literal(to, password);
	ok = name != NULL && (PQgetisnull(r, i, 8) || until != NULL) && (password == NULL || pw != NULL)
		&& asprintf(sql, "%s ROLE %s WITH %s CONNECTION LIMIT %d%s%s%s%s",
			    exists ? "ALTER" : "CREATE", name, attrs, atoi(PQgetvalue(r, i, 7)),
			    until ? " VALID UNTIL " : "", until ? until : "", pw ? " PASSWORD " : "",
			    pw ? pw : "") >= 0;
	if (pw != NULL) {
		memset(pw, 0, strlen(pw));
		PQfreemem(pw);
	}
	PQfreemem(name);
	PQfreemem(until);
	return ok;
}

/* One role of the source row i, with its comment. */
static bool
import_role(struct boot *b, PGconn *from, PGresult *r, int i, bool *no_password)
{
	const char *name = PQgetvalue(r, i, 0);
	char *password = source_password(from, name), *sql = NULL, *ident, *comment;
	bool exists = false, ok;

	*no_password |= password == NULL;
	ok = pgconn_exists(b->conn, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", name,
			   &exists)
		&& role_statement(b->conn, r, i, password, exists, &sql)
		&& pgconn_exec(b->conn, sql, exists ? "altering an imported role"
			       : "creating an imported role");
	if (password != NULL) {
		memset(password, 0, strlen(password));
		free(password);
	}
	if (sql != NULL)
		memset(sql, 0, strlen(sql));
	free(sql);
	sql = NULL;
	if (ok && !PQgetisnull(r, i, 9)) {
		ident = pgconn_ident(b->conn, name);
		comment = pgconn_literal(b->conn, PQgetvalue(r, i, 9));
		ok = ident != NULL && comment != NULL
			&& asprintf(&sql, "COMMENT ON ROLE %s IS %s", ident, comment) >= 0
			&& pgconn_exec(b->conn, sql, "the comment of an imported role");
		PQfreemem(ident);
		PQfreemem(comment);
		free(sql);
	}
	if (ok)
		log_info("imported role \"%s\"%s", name, exists ? " (it existed: altered)" : "");
	else
		log_error("importing role \"%s\" failed (see above)", name);
	return ok;
}

/* The memberships between the imported roles, as in the source. */
static bool
import_memberships(struct boot *b, PGconn *from, const char *names)
{
	PGresult *r = ask_params(from, memberships_sql, names, "reading the source's memberships");
	bool ok = r != NULL;

	for (int i = 0; ok && i < PQntuples(r); i++) {
		char *role = pgconn_ident(b->conn, PQgetvalue(r, i, 0));
		char *member = pgconn_ident(b->conn, PQgetvalue(r, i, 1));
		char *sql = NULL;

		ok = role != NULL && member != NULL
			&& asprintf(&sql, "GRANT %s TO %s%s", role, member,
				    strcmp(PQgetvalue(r, i, 2), "t") == 0 ? " WITH ADMIN OPTION" : "") >= 0
			&& pgconn_exec(b->conn, sql, "granting an imported membership");
		if (ok)
			log_info("imported membership: \"%s\" in \"%s\"", PQgetvalue(r, i, 1),
				 PQgetvalue(r, i, 0));
		PQfreemem(role);
		PQfreemem(member);
		free(sql);
	}
	PQclear(r);
	return ok;
}

bool
import_step_roles(struct boot *b)
{
	PGconn *from;
	PGresult *r;
	char *names;
	bool ok, no_password = false;

	if (is_micro(b->s) || run.nrole == 0)
		return true;
	if ((names = array_literal(run.role, run.nrole)) == NULL
	    || (from = source_open(b)) == NULL) {
		free(names);
		return false;
	}
	r = ask_params(from, roles_sql, names, "reading the source's roles");
	ok = r != NULL;
	for (int i = 0; ok && i < PQntuples(r); i++)
		ok = import_role(b, from, r, i, &no_password);
	PQclear(r);
	ok = ok && import_memberships(b, from, names);
	if (ok && no_password)
		log_warn("the import source \"%s\" does not let \"%s\" read password hashes "
			 "(pg_authid): roles were imported without their passwords", b->up.name,
			 b->up.user);
	PQfinish(from);
	free(names);
	return ok;
}

/* ---- databases ---- */

static const char *const section_names[] = { "pre-data", "data", "post-data" };

struct progress {
	const char *db;
	const char *phase;	/* "dump", "restore (data)", ... */
	const char *dir;	/* the dump directory, whose size is the dump's progress */
	int         tables;
	long long   started_ms;
	long long   logged_ms;
};

static long long dir_total;	/* nftw's sum: one dump runs at a time */

static int
add_size(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void) path;
	(void) f;
	if (flag == FTW_F)
		dir_total += sb->st_size;
	return 0;
}

/* The tools' verbose lines make the progress; their errors, warnings and
 * whatever is not theirs (DETAIL, "Command was:") go to the log. */
static bool
progress_line(void *arg, const char *line, size_t len)
{
	struct progress *pr = arg;
	long long now = mono_ms();
	double secs = (double) (now - pr->started_ms) / 1000;

	if ((strncmp(line, "pg_dump: ", 9) != 0 && strncmp(line, "pg_restore: ", 12) != 0)
	    || memmem(line, len, ": error", 7) || memmem(line, len, ": warning", 9)
	    || memmem(line, len, ": detail", 8) || memmem(line, len, ": hint", 6))
		return false;
	if (memmem(line, len, "contents of table", 17) || memmem(line, len, "data for table", 14))
		pr->tables++;
	if (now - pr->logged_ms < PROGRESS_MS)
		return true;
	pr->logged_ms = now;
	dir_total = 0;
	if (pr->dir != NULL)
		(void) nftw(pr->dir, add_size, 16, FTW_PHYS);
	log_info("import of \"%s\": %s, %d table%s so far%s%.1f%s (%.0f s)", pr->db, pr->phase,
		 pr->tables, pr->tables == 1 ? "" : "s", pr->dir ? ", " : "",
		 pr->dir ? (double) dir_total / 1048576 : 0.0, pr->dir ? " MB written" : "", secs);
	return true;
}

/* Wait for a tool; a stop asked for meanwhile stops it (its group). */
static bool
tool_wait(struct proc *p, int *code)
{
	bool signalled = false;

	while (!proc_poll(p, code)) {
		struct timespec nap = { 0, 50 * 1000000L };

		if (!signalled && boot_interrupted()) {
			(void) kill(-p->pid, SIGTERM);
			signalled = true;
		}
		nanosleep(&nap, NULL);
	}
	proc_finish(p);
	return !signalled;
}

static bool
tool_start(struct boot *b, const struct argv *args, const char *logger, struct progress *pr,
	   struct proc *p)
{
	struct argv env;
	bool ok;

	argv_init(&env);
	instance_tool_env(b->set, &env);
	ok = proc_spawn_filtered(args, &env, logger, true, progress_line, pr, p);
	argv_free(&env);
	return ok;
}

/* Run a tool to its end; false (logged, naming the database and phase)
 * when it failed or a stop cut it off. */
static bool
tool_run(struct boot *b, const struct argv *args, const char *logger, struct progress *pr)
{
	struct proc p;
	int code = -1;

	pr->started_ms = pr->logged_ms = mono_ms();
	pr->tables = 0;
	if (!tool_start(b, args, logger, pr, &p))
		return false;
	if (!tool_wait(&p, &code)) {
		log_error("import of database \"%s\": %s stopped (%s): a stop was asked for", pr->db,
			  logger, pr->phase);
		return false;
	}
	if (code != 0)
		log_error("import of database \"%s\": %s failed (%s, exit code %d)%s%s", pr->db,
			  logger, pr->phase, code, p.last[0] ? ": " : "", p.last);
	return code == 0;
}

static int
jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 8 ? 8 : (int) n;
}

static bool
has_jobs(const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (strncmp(l->items[i], "--jobs", 6) == 0)
			return true;
	return false;
}

/* The source's database db, as a connection string for the tools. */
static void
source_conninfo(struct boot *b, const char *db, struct argv *a)
{
	struct conninfo c = { 0 };

	conninfo_put_text(&c, b->up.conn.text);
	conninfo_add(&c, "dbname", db);
	conninfo_add(&c, "fallback_application_name", "pgpod-import");
	argv_add(a, c.text);
	conninfo_free(&c);
}

/* The temporary postgres' database db. */
static void
target_conninfo(struct boot *b, const char *db, struct argv *a)
{
	struct conninfo c = { 0 };
	char port[16];

	snprintf(port, sizeof(port), "%d", b->set->pg_port);
	conninfo_add(&c, "host", b->set->run_dir);
	conninfo_add(&c, "port", port);
	conninfo_add(&c, "user", "postgres");
	conninfo_add(&c, "dbname", db);
	argv_add(a, c.text);
	conninfo_free(&c);
}

/* Extra options, --jobs left out when the tool runs one job (a stream). */
static void
add_options(struct argv *a, const struct strlist *l, bool one_job)
{
	for (size_t i = 0; i < l->n; i++)
		if (!one_job || strncmp(l->items[i], "--jobs", 6) != 0)
			argv_add(a, l->items[i]);
}

static void
dump_args(struct boot *b, size_t i, const char *out, bool stream, struct argv *a)
{
	const struct spec_import *im = &b->s->import;

	argv_init(a);
	argv_addf(a, "%s/pg_dump", b->set->pg_bin);
	argv_add(a, "--verbose");
	argv_add(a, stream ? "--format=custom" : "--format=directory");
	/* the dump lives until its restore: no fsync (a FIFO has none) */
	argv_add(a, "--no-sync");
	argv_add(a, "--file");
	argv_add(a, out);
	if (im->schema_only == 1)
		argv_add(a, "--schema-only");
	if (!stream && !has_jobs(&im->dump_options))
		argv_addf(a, "--jobs=%d", jobs());
	add_options(a, &im->dump_options, stream);
	argv_add(a, "--dbname");
	source_conninfo(b, run.db[i], a);
}

/* The options of section sec (-1: all at once, a stream): its own, else
 * pgRestoreExtraOptions. */
static const struct strlist *
section_options(const struct spec_import *im, int sec)
{
	const struct strlist *own = sec == 0 ? &im->predata_options : sec == 1 ? &im->data_options
		: sec == 2 ? &im->postdata_options : &im->restore_options;

	return own->n > 0 ? own : &im->restore_options;
}

/* pg_restore of database i: section sec (-1: all), from archive (NULL:
 * standard input, a stream, one job). */
static void
restore_args(struct boot *b, size_t i, int sec, const char *archive, struct argv *a)
{
	const struct spec_import *im = &b->s->import;
	const struct strlist *opts = section_options(im, sec);
	bool micro = is_micro(b->s), create = !micro && sec <= 0;

	argv_init(a);
	argv_addf(a, "%s/pg_restore", b->set->pg_bin);
	argv_add(a, "--verbose");
	argv_add(a, "--exit-on-error");
	if (sec >= 0)
		argv_addf(a, "--section=%s", section_names[sec]);
	if (create)
		argv_add(a, "--create");
	if (micro) {
		argv_add(a, "--no-owner");
		argv_add(a, "--no-privileges");
		argv_addf(a, "--role=%s", b->s->app_owner);
	}
	if (archive != NULL && !has_jobs(opts))
		argv_addf(a, "--jobs=%d", jobs());
	add_options(a, opts, archive == NULL);
	argv_add(a, "--dbname");
	target_conninfo(b, micro ? b->s->app_database : create ? "postgres" : run.db[i], a);
	if (archive != NULL)
		argv_add(a, archive);	/* else its standard input */
}

static unsigned long long
free_bytes(const char *path)
{
	struct statvfs v;

	return statvfs(path, &v) == 0 ? (unsigned long long) v.f_bavail * v.f_frsize : 0;
}

static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void) sb;
	(void) f;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

/* A dump directory (or FIFO) pgpod made, gone. */
static void
remove_dump(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == 0 && nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		log_warn("cannot remove the import's dump \"%s\": %s", path, strerror(errno));
}

/* Where database i's dump goes: dir (made 0700) and path inside it. */
static enum import_place
dump_place(struct boot *b, size_t i, char *dir, size_t dircap, char *path, size_t cap)
{
	enum import_place pl = import_place_for((unsigned long long) run.db_bytes[i],
						free_bytes(b->set->run_dir),
						free_bytes(b->set->pgdata));
	char created[PATH_MAX];

	if (pl == IMPORT_IN_PGDATA)
		snprintf(dir, dircap, "%s/" PGDATA_DUMP_DIR, b->set->pgdata);
	else
		snprintf(dir, dircap, "%s/import", b->set->run_dir);
	if (!file_mkdir_p(dir, 0700, created, sizeof(created)))
		return IMPORT_STREAM;	/* logged; the FIFO will fail the same way */
	snprintf(path, cap, "%s/%zu%s", dir, i, pl == IMPORT_STREAM ? ".fifo" : "");
	remove_dump(path);
	return pl;
}

/* Database i through a FIFO: pg_restore reads (as its standard input: it
 * reopens a file it is named, which a FIFO does not survive) what pg_dump
 * writes, one pass, one job. */
static bool
stream_database(struct boot *b, size_t i, const char *fifo)
{
	struct progress dump = { .db = run.db[i], .phase = "dump (stream)" };
	struct progress rest = { .db = run.db[i], .phase = "restore (stream)" };
	struct argv dargs, rargs, env;
	struct proc dp, rp;
	int dcode = -1, rcode = -1;
	bool ok;

	if (mkfifo(fifo, 0600) != 0) {
		log_error("cannot make the import's FIFO \"%s\": %s", fifo, strerror(errno));
		return false;
	}
	dump.started_ms = rest.started_ms = dump.logged_ms = rest.logged_ms = mono_ms();
	restore_args(b, i, -1, NULL, &rargs);
	dump_args(b, i, fifo, true, &dargs);
	argv_init(&env);
	instance_tool_env(b->set, &env);
	ok = proc_spawn_reading(&rargs, &env, "pg_restore", true, progress_line, &rest, fifo, &rp);
	if (ok && (!tool_start(b, &dargs, "pg_dump", &dump, &dp) || !tool_wait(&dp, &dcode)
		   || dcode != 0))
		(void) kill(-rp.pid, SIGTERM);	/* it may wait for a writer that never came */
	if (ok) {
		ok = tool_wait(&rp, &rcode) && dcode == 0 && rcode == 0;
		if (!ok)
			log_error("import of database \"%s\": pg_dump | pg_restore failed (exit codes "
				  "%d, %d)%s%s", run.db[i], dcode, rcode, rp.last[0] || dp.last[0]
				  ? ": " : "", rp.last[0] ? rp.last : dp.last);
	}
	argv_free(&env);
	argv_free(&dargs);
	argv_free(&rargs);
	remove_dump(fifo);
	return ok;
}

/* The spec gives a section options of its own: restore by section. */
static bool
by_section(const struct spec_import *im)
{
	return im->predata_options.n > 0 || im->data_options.n > 0 || im->postdata_options.n > 0;
}

/* Database i by a dump directory: pg_dump, then pg_restore (by section
 * when the spec gives a section options of its own). */
static bool
directory_database(struct boot *b, size_t i, const char *dir)
{
	struct progress pr = { .db = run.db[i], .phase = "dump", .dir = dir };
	char phase[40];
	struct argv a;
	bool ok;

	dump_args(b, i, dir, false, &a);
	ok = tool_run(b, &a, "pg_dump", &pr);
	argv_free(&a);
	pr.dir = NULL;
	if (ok && !by_section(&b->s->import)) {
		/* one run: its jobs load data and build indexes side by side */
		pr.phase = "restore";
		restore_args(b, i, -1, dir, &a);
		ok = tool_run(b, &a, "pg_restore", &pr);
		argv_free(&a);
		remove_dump(dir);
		return ok;
	}
	for (int sec = 0; ok && sec < 3; sec++) {
		if (sec == 1 && b->s->import.schema_only == 1)
			continue;
		snprintf(phase, sizeof(phase), "restore (%s)", section_names[sec]);
		pr.phase = phase;
		restore_args(b, i, sec, dir, &a);
		ok = tool_run(b, &a, "pg_restore", &pr);
		argv_free(&a);
	}
	remove_dump(dir);
	return ok;
}

static bool
import_database(struct boot *b, size_t i)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	enum import_place pl = dump_place(b, i, dir, sizeof(dir), path, sizeof(path));
	long long t0 = mono_ms();
	bool ok;

	log_info("import of \"%s\" (%.1f MB on the source) into \"%s\": %s", run.db[i],
		 (double) run.db_bytes[i] / 1048576, is_micro(b->s) ? b->s->app_database : run.db[i],
		 pl == IMPORT_STREAM ? "streamed (no file system has room for a dump)"
		 : pl == IMPORT_IN_PGDATA ? "dump in PGDATA's file system" : "dump in the run directory");
	ok = pl == IMPORT_STREAM ? stream_database(b, i, path) : directory_database(b, i, path);
	if (pl == IMPORT_IN_PGDATA)
		remove_dump(dir);
	if (ok)
		log_info("imported database \"%s\" in %.1f s", run.db[i],
			 (double) (mono_ms() - t0) / 1000);
	return ok;
}

/* Run "<head> <name, quoted> <tail>" in conn. */
static bool
exec_named(PGconn *c, const char *head, const char *name, const char *tail, const char *what)
{
	char *q = pgconn_ident(c, name), *sql = NULL;
	bool ok = q != NULL && asprintf(&sql, "%s %s %s", head, q, tail) >= 0
		&& pgconn_exec(c, sql, what);

	PQfreemem(q);
	free(sql);
	return ok;
}

/* microservice: the extensions made in the empty application database
 * (postInit SQL) go, as CloudNativePG drops them: the dump makes its own. */
static bool
drop_extensions(struct boot *b)
{
	PGconn *c = NULL;
	PGresult *r;
	bool ok;

	if (!pgconn_local(b->set->run_dir, b->set->pg_port, b->s->app_database, &c))
		return false;
	r = PQexec(c, "SELECT extname FROM pg_catalog.pg_extension WHERE oid >= 16384");
	ok = r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK;
	for (int i = 0; ok && i < PQntuples(r); i++) {
		log_info("dropping extension \"%s\" from the empty application database before the "
			 "import", PQgetvalue(r, i, 0));
		ok = exec_named(c, "DROP EXTENSION", PQgetvalue(r, i, 0), "",
				"dropping an extension before the import");
	}
	PQclear(r);
	PQfinish(c);
	return ok;
}

bool
import_step_databases(struct boot *b)
{
	bool micro = is_micro(b->s), ok = true;

	/* as CloudNativePG: the owner may create what the dump holds
	 * (extensions too) while it is restored with --role */
	if (micro && (!drop_extensions(b)
		      || !exec_named(b->conn, "ALTER ROLE", b->s->app_owner, "SUPERUSER",
				     "making the owner superuser for the import")))
		return false;
	for (size_t i = 0; ok && i < run.ndb; i++)
		ok = import_database(b, i);
	if (micro && !exec_named(b->conn, "ALTER ROLE", b->s->app_owner, "NOSUPERUSER",
				 "taking superuser back from the owner after the import"))
		ok = false;
	return ok;
}

bool
import_step_analyze(struct boot *b)
{
	bool micro = is_micro(b->s), ok = true;

	for (size_t i = 0; ok && i < (micro ? 1 : run.ndb); i++) {
		const char *db = micro ? b->s->app_database : run.db[i];
		long long t0 = mono_ms();
		PGconn *c = NULL;

		ok = pgconn_local(b->set->run_dir, b->set->pg_port, db, &c)
			&& pgconn_exec_until(c, "ANALYZE", "ANALYZE after the import",
					     boot_interrupted, false);
		if (ok)
			log_info("ANALYZE of \"%s\" done in %.1f s", db,
				 (double) (mono_ms() - t0) / 1000);
		PQfinish(c);
	}
	return ok;
}
