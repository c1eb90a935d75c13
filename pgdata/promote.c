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
in_recovery(PGconn *c, bool *rec)
{
	PGresult *r = PQexec(c, "SELECT pg_catalog.pg_is_in_recovery()");
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;

	if (ok) {
		*rec = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	} else {
		char msg[PGCONN_ERR_MAX];

		pgconn_error_text(r, c, msg, sizeof(msg));
		log_error("cannot ask postgres whether it is in recovery: %s", msg);
	}
	PQclear(r);
	return ok;
}

/* pg_promote(wait => true) on a standby. */
static bool
promote_standby(PGconn *c)
{
	char sql[96];
	PGresult *r;
	bool ok;

	log_info("promoting the standby (pg_promote, waiting up to %d s)", PROMOTE_WAIT_S);
	snprintf(sql, sizeof(sql), "SELECT pg_catalog.pg_promote(true, %d)", PROMOTE_WAIT_S);
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
		&& strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (!ok && PQresultStatus(r) == PGRES_TUPLES_OK) {
		log_error("pg_promote did not finish within %d s", PROMOTE_WAIT_S);
	} else if (!ok) {
		char msg[PGCONN_ERR_MAX];

		pgconn_error_text(r, c, msg, sizeof(msg));
		log_error("pg_promote failed: %s", msg);
	}
	PQclear(r);
	return ok;
}

bool
promote_instance(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	PGconn *c = NULL;
	bool rec = false, ok;
	long long t0 = mono_ms();

	if (!pgconn_local_timeout(set->run_dir, set->pg_port, "postgres", 10, 0, LOG_ERROR, &c)) {
		log_error("cannot promote: no connection to the local postgres (see above)");
		return false;
	}
	ok = in_recovery(c, &rec);
	if (ok && !rec)
		log_info("postgres is a primary already; applying the primary's roles and database");
	else if (ok && (ok = promote_standby(c)))
		log_info("promoted in %lld ms", mono_ms() - t0);
	/* standby.signal is gone now: the configuration becomes a primary's */
	ok = ok && upstream_configure(set, s, in, NULL)
		&& pgconn_exec(c, "SELECT pg_catalog.pg_reload_conf()", "reloading the configuration")
		&& roles_apply_all(c, set, s, in);
	if (ok)
		log_info("the promoted primary has its roles and application database");
	else
		log_error("promotion failed (see above)");
	PQfinish(c);
	return ok;
}
