/*
 * cmd_backup.c — `pgpod backup [--type full|diff|incr] [--repo N]`, for
 * `kubectl exec`: a pgBackRest backup (PGO, Percona) or a Barman Cloud one
 * (CloudNativePG's spec.backup.barmanObjectStore) of the primary running in
 * this pod, its progress in the log and one summary line at the end.
 * Refused on a standby, and when the spec has nowhere to back up to.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exitcodes.h"
#include "log.h"
#include "pgconn.h"
#include "pgdata/barman.h"
#include "pgdata/pgbackrest.h"

struct backup_args {
	const char *type;
	int         repo;	/* 0: the spec's first repository */
};

static bool
backup_parse(const struct settings *set, int argc, struct backup_args *a)
{
	static const char *const types[] = { "full", "diff", "incr" };
	const char *r = set->backup_repo;

	*a = (struct backup_args) { .type = NULL };
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
		if (strcmp(set->backup_type, types[k]) == 0)
			a->type = types[k];
	if (a->type == NULL || argc > 0) {
		log_error("usage: pgpod backup [--type full|diff|incr] [--repo 1-4]%s%s",
			  a->type == NULL ? "; --type must be full, diff or incr, got " : "",
			  a->type == NULL ? set->backup_type : "");
		return false;
	}
	if (*r != '\0' && (strlen(r) != 1 || r[0] < '1' || r[0] > '4')) {
		log_error("--repo must be 1, 2, 3 or 4 (the N of repoN), got \"%s\"", r);
		return false;
	}
	a->repo = *r ? r[0] - '0' : 0;
	return true;
}

/* The repository asked for (or the first) is one of the spec's. */
static bool
backup_repo(const struct spec *s, struct backup_args *a)
{
	char name[16];

	if (!pgbr_enabled(s)) {
		log_error("%s: this cluster has no pgBackRest repository (nor a Barman Cloud object "
			  "store) to back up to; add one to spec.backups.pgbackrest.repos",
			  spec_path(s, "repos"));
		return false;
	}
	if (a->repo == 0 && s->repos[0].name != NULL)
		a->repo = s->repos[0].name[4] - '0';
	snprintf(name, sizeof(name), "repo%d", a->repo);
	for (size_t i = 0; i < s->n_repos; i++)
		if (s->repos[i].name != NULL && strcmp(s->repos[i].name, name) == 0)
			return true;
	log_error("--repo %d: %s has no %s", a->repo, spec_path(s, "repos"), name);
	return false;
}

/* postgres runs here and is the primary. */
static bool
backup_on_primary(const struct settings *set)
{
	PGconn *c = NULL;
	PGresult *r;
	bool primary = false;

	if (!pgconn_local_timeout(set->run_dir, set->pg_port, "postgres", 5, 10000, LOG_ERROR, &c)) {
		log_error("cannot back up: postgres does not answer on the socket in \"%s\" (port %d); "
			  "run pgpod backup in the pod where pgpod run serves the primary",
			  set->run_dir, set->pg_port);
		return false;
	}
	r = PQexec(c, "SELECT pg_is_in_recovery()");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		primary = strcmp(PQgetvalue(r, 0, 0), "f") == 0;
	else
		log_error("cannot ask postgres whether it is the primary: %s", PQerrorMessage(c));
	if (PQresultStatus(r) == PGRES_TUPLES_OK && !primary)
		log_error("this instance is a standby: pgpod backup runs on the primary (kubectl exec "
			  "into the pod whose /pg/status says \"isPrimary\": true)");
	PQclear(r);
	PQfinish(c);
	return primary;
}

/* CloudNativePG: a Barman Cloud backup into spec.backup.barmanObjectStore
 * (always a full one: --type does not apply, --repo is refused). */
static int
backup_barman(struct settings *set, const struct spec *s, const struct inputs *in)
{
	char id[64];
	int rc;

	if (*set->backup_repo) {
		log_error("--repo names a pgBackRest repository; this cluster backs up to its Barman "
			  "Cloud object store (%s)", spec_path(s, "backup.objectStore"));
		return EXIT_BAD_USAGE;
	}
	if ((rc = cmd_drop_privileges(set)) != EXIT_OK)
		return rc;
	if (!backup_on_primary(set) || !barman_write_own(set, s, in))
		return EXIT_RUNTIME;
	return barman_backup(set, s->backup_retention, id, sizeof(id)) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

int
cmd_backup(struct settings *set, int argc, char **argv)
{
	struct backup_args a;
	struct pgbr_backup done;
	struct spec *s;
	struct inputs in;
	int rc;

	(void) argv;
	if (!backup_parse(set, argc, &a))
		return EXIT_BAD_USAGE;
	rc = cmd_load_spec(set, &s, &in);
	if (rc != EXIT_OK)
		return rc;
	if (!pgbr_enabled(s) && barman_enabled(s))
		rc = backup_barman(set, s, &in);
	else if (!backup_repo(s, &a))
		rc = EXIT_BAD_USAGE;
	else if ((rc = cmd_drop_privileges(set)) != EXIT_OK)
		;
	else if (!backup_on_primary(set) || !pgbr_write_conf(set, s, &in))
		rc = EXIT_RUNTIME;
	else if (pgbr_backup(set, a.type, a.repo, &done) != 0)
		rc = EXIT_RUNTIME;
	inputs_free(&in);
	spec_free(s);
	return rc;
}
