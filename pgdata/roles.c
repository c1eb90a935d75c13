/*
 * roles.c — streaming_replica, the superuser and the application database
 * (see roles.h).
 */
#include "roles.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "pgconn.h"

bool
roles_save_generated(const struct settings *set, const char *role, const char *password)
{
	char dir[PATH_MAX];
	char path[PATH_MAX + 64];
	char created[PATH_MAX];

	if (!file_name_safe(role)) {
		log_error("cannot keep the generated password of role \"%s\" in a file named after "
			  "it: the name has '/', \"..\" or control characters", role);
		return false;
	}
	snprintf(dir, sizeof(dir), "%s/passwords", set->run_dir);
	snprintf(path, sizeof(path), "%s/%s", dir, role);
	if (!file_mkdir_p(dir, 0700, created, sizeof(created))
	    || !file_write_atomic(path, password, strlen(password), 0600)) {
		log_error("cannot save the generated password of role \"%s\" (see above)", role);
		return false;
	}
	log_info("generated a random password for role \"%s\" (stored in %s)", role, path);
	return true;
}

/* Run "<head> <quoted name> <tail>". */
static bool
exec_ident(PGconn *c, const char *head, const char *name, const char *tail)
{
	char *q = pgconn_ident(c, name);
	char *sql = NULL;
	char what[200];
	bool ok = false;

	if (q == NULL || asprintf(&sql, "%s %s %s", head, q, tail) < 0) {
		sql = NULL;
		log_error("cannot quote \"%s\": %s", name, q ? strerror(ENOMEM) : PQerrorMessage(c));
	} else {
		snprintf(what, sizeof(what), "%s \"%s\" %s", head, name, tail);
		ok = pgconn_exec(c, sql, what);
	}
	free(sql);
	PQfreemem(q);
	return ok;
}

bool
roles_streaming_replica(PGconn *c, const char *password)
{
	const char *role = ROLES_REPLICATION_USER;
	bool found = false;

	if (!pgconn_exists(c, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", role, &found))
		return false;
	if (!found && password != NULL) {
		log_info("creating role \"%s\" (REPLICATION LOGIN) with the password of its Secret", role);
		return pgconn_set_password(c, role, password, "REPLICATION LOGIN");
	}
	if (!found) {
		log_info("creating role \"%s\" (REPLICATION LOGIN); it has no password until its "
			 "Secret is mounted", role);
		return exec_ident(c, "CREATE ROLE", role, "REPLICATION LOGIN");
	}
	if (!exec_ident(c, "ALTER ROLE", role, "REPLICATION LOGIN"))
		return false;
	return password == NULL || pgconn_set_password(c, role, password, NULL);
}

/* The owner of database db into owner (empty when db does not exist). */
static bool
db_owner(PGconn *c, const char *db, char *owner, size_t ocap)
{
	const char *params[1] = { db };
	PGresult *r = PQexecParams(c, "SELECT pg_catalog.pg_get_userbyid(datdba) FROM "
				   "pg_catalog.pg_database WHERE datname = $1", 1, NULL, params,
				   NULL, NULL, 0);
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;

	owner[0] = '\0';
	if (!ok) {
		char msg[PGCONN_ERR_MAX];

		pgconn_error_text(r, c, msg, sizeof(msg));
		log_error("cannot look up database \"%s\": %s", db, msg);
	} else if (PQntuples(r) > 0) {
		snprintf(owner, ocap, "%s", PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return ok;
}

/* Rule 2: the owner does not exist; it logs in with the Secret's password
 * when the Secret is the owner's, else with a generated one. */
static bool
create_owner(PGconn *c, const struct settings *set, const struct spec *s,
	     const struct inputs *in, bool matches)
{
	const char *owner = s->app_owner;
	const char *pw = matches || in->app_generated ? in->app_password : NULL;
	char gen[64];
	bool ok;

	if (pw == NULL) {
		if (!inputs_generate_password(gen, sizeof(gen))) {
			log_error("cannot generate a password for role \"%s\" (OpenSSL)", owner);
			return false;
		}
		pw = gen;
	}
	if ((pw != in->app_password || in->app_generated) && !roles_save_generated(set, owner, pw)) {
		explicit_bzero(gen, sizeof(gen));
		return false;
	}
	log_info("role \"%s\" does not exist: creating it (LOGIN)", owner);
	ok = pgconn_set_password(c, owner, pw, "LOGIN");
	explicit_bzero(gen, sizeof(gen));
	return ok;
}

bool
roles_app_database(PGconn *c, const struct settings *set, const struct spec *s,
		   const struct inputs *in)
{
	const char *db = s->app_database, *owner = s->app_owner;
	bool matches = in->app_username != NULL && strcmp(in->app_username, owner) == 0;
	bool role_found = false;

	if (db == NULL || owner == NULL)
		return true;
	/* rule 2 first: the database of rule 1 is created with its owner */
	if (!pgconn_exists(c, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", owner,
			   &role_found))
		return false;
	if (!role_found) {
		if (!create_owner(c, set, s, in, matches))
			return false;
	} else if (matches) {
		/* rule 4 */
		log_info("role \"%s\" exists: setting its password from Secret \"%s\"", owner,
			 s->app_secret);
		if (!pgconn_set_password(c, owner, in->app_password, NULL))
			return false;
	} else if (s->app_secret != NULL) {
		log_warn("role \"%s\" exists and Secret \"%s\" has username \"%s\", not the owner: "
			 "its password is left as it is", owner, s->app_secret,
			 in->app_username ? in->app_username : "");
	} else {
		log_info("role \"%s\" exists: its password is left as it is (no Secret)", owner);
	}
	return roles_database_owned(c, db, owner);
}

bool
roles_database_owned(PGconn *c, const char *db, const char *owner)
{
	char current[256];
	char *dbq = NULL, *ownq = NULL, *sql = NULL;
	bool ok = false;

	if (!db_owner(c, db, current, sizeof(current)))
		return false;
	dbq = pgconn_ident(c, db);
	ownq = pgconn_ident(c, owner);
	if (dbq == NULL || ownq == NULL) {
		log_error("cannot quote database \"%s\" or role \"%s\": %s", db, owner,
			  PQerrorMessage(c));
		goto done;
	}
	if (current[0] == '\0') {
		log_info("database \"%s\" does not exist: creating it, owned by \"%s\"", db, owner);
		if (asprintf(&sql, "CREATE DATABASE %s OWNER %s", dbq, ownq) < 0)
			sql = NULL;
	} else if (strcmp(current, owner) != 0) {
		log_info("database \"%s\" is owned by \"%s\": giving it to \"%s\"", db, current, owner);
		if (asprintf(&sql, "ALTER DATABASE %s OWNER TO %s", dbq, ownq) < 0)
			sql = NULL;
	} else {
		log_info("database \"%s\" exists and is owned by \"%s\"", db, owner);
		ok = true;
		goto done;
	}
	if (sql == NULL)
		log_error("cannot build the statement for database \"%s\": %s", db, strerror(ENOMEM));
	else
		ok = pgconn_exec(c, sql, current[0] ? "giving the application database to its owner"
				 : "creating the application database");
done:
	free(sql);
	PQfreemem(dbq);
	PQfreemem(ownq);
	return ok;
}

bool
roles_superuser(PGconn *c, const struct settings *set, const struct inputs *in)
{
	if (in->su_password == NULL)
		return true;
	if (in->su_generated && !roles_save_generated(set, "postgres", in->su_password))
		return false;
	log_info("setting the password of the superuser \"postgres\"");
	return pgconn_set_password(c, "postgres", in->su_password, NULL);
}

bool
roles_apply_all(PGconn *c, const struct settings *set, const struct spec *s,
		const struct inputs *in)
{
	return roles_streaming_replica(c, in->replication_password)
		&& roles_superuser(c, set, in)
		&& roles_app_database(c, set, s, in);
}
