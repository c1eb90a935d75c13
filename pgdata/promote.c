/*
 * promote.c — promotion of the local standby (see promote.h).
 */
#include "promote.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mono.h"
#include "pgconn.h"
#include "roles.h"
#include "upstream.h"

#define PROMOTE_WAIT_S 60

static bool
in_recovery(PGconn *c, bool *rec, char *err, size_t cap)
{
	PGresult *r = PQexec(c, "SELECT pg_catalog.pg_is_in_recovery()");
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;

	if (ok)
		*rec = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	else
		snprintf(err, cap, "%s", PQerrorMessage(c));
	PQclear(r);
	return ok;
}

bool
promote_instance(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	char err[PGCONN_ERR_MAX + 256];
	PGconn *c = NULL;
	bool rec = false, ok = false;
	long long t0 = mono_ms();

	if (!pgconn_local_timeout(set->run_dir, set->pg_port, "postgres", 10, 0, &c, err,
				  sizeof(err))) {
		log_error("cannot promote: no connection to the local postgres: %s", err);
		return false;
	}
	if (!in_recovery(c, &rec, err, sizeof(err)))
		goto fail;
	if (!rec) {
		log_info("postgres is a primary already; applying the primary's roles and database");
	} else {
		char sql[96];
		PGresult *r;

		log_info("promoting the standby (pg_promote, waiting up to %d s)", PROMOTE_WAIT_S);
		snprintf(sql, sizeof(sql), "SELECT pg_catalog.pg_promote(true, %d)", PROMOTE_WAIT_S);
		r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
			&& strcmp(PQgetvalue(r, 0, 0), "t") == 0;
		if (!ok)
			snprintf(err, sizeof(err), "pg_promote did not finish within %d s%s%s",
				 PROMOTE_WAIT_S, PQresultStatus(r) == PGRES_TUPLES_OK ? "" : ": ",
				 PQresultStatus(r) == PGRES_TUPLES_OK ? "" : PQerrorMessage(c));
		PQclear(r);
		if (!ok)
			goto fail;
		log_info("promoted in %lld ms", mono_ms() - t0);
	}
	/* standby.signal is gone now: the configuration becomes a primary's */
	if (!upstream_write_config(set, s, in, NULL)) {
		snprintf(err, sizeof(err), "cannot rewrite the managed configuration");
		goto fail;
	}
	if (!pgconn_exec(c, "SELECT pg_catalog.pg_reload_conf()", err, sizeof(err))
	    || !roles_apply_all(c, set, s, in, err, sizeof(err)))
		goto fail;
	log_info("the promoted primary has its roles and application database");
	PQfinish(c);
	return true;
fail:
	log_error("promotion failed: %s", err);
	PQfinish(c);
	return false;
}
