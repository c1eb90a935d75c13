/*
 * pgconn.c — libpq helpers (see pgconn.h).
 */
#include "pgconn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mono.h"

static void pgconn_cancel(PGconn *c);

void
pgconn_error_text(const PGresult *r, PGconn *c, char *err, size_t cap)
{
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *sev = r ? PQresultErrorField(r, PG_DIAG_SEVERITY) : NULL;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;

	if (msg == NULL) {
		snprintf(err, cap, "%s", PQerrorMessage(c));
		err[strcspn(err, "\n")] = '\0';
		if (err[0] == '\0')
			snprintf(err, cap, "no answer (out of memory or connection lost)");
		return;
	}
	snprintf(err, cap, "%s: %s (SQLSTATE %s)%s%s%s%s%s%s", sev ? sev : "ERROR", msg,
		 state ? state : "?", detail ? "; DETAIL: " : "", detail ? detail : "",
		 hint ? "; HINT: " : "", hint ? hint : "", pos ? "; at character " : "",
		 pos ? pos : "");
}

bool
pgconn_local_timeout(const char *sockdir, int port, const char *dbname, int connect_s,
		     int statement_ms, enum log_level level, PGconn **out)
{
	char portbuf[16], cto[16], opts[96];
	const char *keys[] = { "host", "port", "dbname", "user", "application_name",
			       "connect_timeout", "options", NULL };
	const char *vals[] = { sockdir, portbuf, dbname, "postgres", "pgpod", cto, opts, NULL };
	PGconn *c;

	snprintf(portbuf, sizeof(portbuf), "%d", port);
	snprintf(cto, sizeof(cto), "%d", connect_s);
	snprintf(opts, sizeof(opts), "-c statement_timeout=%d -c lock_timeout=%d", statement_ms,
		 statement_ms);
	c = PQconnectdbParams(keys, vals, 0);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		char msg[PGCONN_ERR_MAX];

		snprintf(msg, sizeof(msg), "%s", c ? PQerrorMessage(c) : "out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		log_msg(level, "pgpod", "cannot connect to database \"%s\" on %s port %d: %s", dbname,
			sockdir, port, msg);
		PQfinish(c);
		*out = NULL;
		return false;
	}
	*out = c;
	return true;
}

bool
pgconn_local(const char *sockdir, int port, const char *dbname, PGconn **out)
{
	return pgconn_local_timeout(sockdir, port, dbname, 10, 0, LOG_ERROR, out);
}

bool
pgconn_exec(PGconn *c, const char *sql, const char *what)
{
	return pgconn_exec_until(c, sql, what, NULL, false);
}

/* Where a failed statement failed, without its message: SQL from a
 * Secret may be echoed in it ("syntax error at or near ..."). */
static void
pgconn_error_place(const PGresult *r, char *buf, size_t cap)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
	const char *line = r ? PQresultErrorField(r, PG_DIAG_INTERNAL_POSITION) : NULL;

	snprintf(buf, cap, "SQLSTATE %s%s%s%s%s (the message is not shown: the SQL comes from a "
		 "Secret)", state ? state : "?", pos ? " at character " : "", pos ? pos : "",
		 line ? ", internal position " : "", line ? line : "");
}

bool
pgconn_exec_until(PGconn *c, const char *sql, const char *what, bool (*stop)(void), bool secret)
{
	enum pgconn_end end;
	PGresult *r = pgconn_query_until(c, sql, 0, stop, &end);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;

	if (end == PGCONN_STOPPED) {
		/* the local server is alive: PQcancel cannot hang on it */
		pgconn_cancel(c);
		log_error("%s in database \"%s\" was cancelled: a stop was asked for", what, PQdb(c));
	} else if (!ok) {
		char msg[PGCONN_ERR_MAX];

		if (secret && r != NULL)
			pgconn_error_place(r, msg, sizeof(msg));
		else
			pgconn_error_text(r, c, msg, sizeof(msg));
		log_error("%s failed in database \"%s\": %s", what, PQdb(c), msg);
	}
	PQclear(r);
	return ok;
}

#define PGCONN_SLICE_MS   100	/* how often a wait looks at stop() */
#define PGCONN_CANCEL_MS  5000	/* a cancelled query gets this long to end */

/* Wait for events on c's socket until deadline (0: none), asking stop()
 * every PGCONN_SLICE_MS. */
static enum pgconn_end
pgconn_wait(PGconn *c, short events, long long deadline, bool (*stop)(void))
{
	for (;;) {
		long long now = mono_ms();
		long long until = now + PGCONN_SLICE_MS;

		if (stop != NULL && stop())
			return PGCONN_STOPPED;
		if (deadline > 0 && now >= deadline)
			return PGCONN_TIMED_OUT;
		if (deadline > 0 && deadline < until)
			until = deadline;
		if (mono_wait_fd(PQsocket(c), events, until))
			return PGCONN_ANSWERED;
		if (errno != ETIMEDOUT)
			return PGCONN_BROKEN;
	}
}

PGconn *
pgconn_connect_until(const char *conninfo, long long deadline, bool (*stop)(void),
		     enum pgconn_end *end)
{
	PGconn *c = PQconnectStart(conninfo);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	*end = PGCONN_BROKEN;
	if (c == NULL || PQstatus(c) == CONNECTION_BAD)
		return c;
	for (;;) {
		if (st == PGRES_POLLING_OK) {
			*end = PGCONN_ANSWERED;
			return c;
		}
		if (st == PGRES_POLLING_FAILED)
			return c;
		*end = pgconn_wait(c, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline, stop);
		if (*end != PGCONN_ANSWERED) {
			if (*end == PGCONN_ANSWERED)
				*end = PGCONN_BROKEN;
			return c;
		}
		st = PQconnectPoll(c);
	}
}

/* Ask the server to cancel what c runs, then drain its results. */
static void
pgconn_cancel(PGconn *c)
{
	PGcancel *cn = PQgetCancel(c);
	char msg[256];
	long long deadline = mono_ms() + PGCONN_CANCEL_MS;
	PGresult *r;

	if (cn == NULL || !PQcancel(cn, msg, sizeof(msg)))
		log_warn("cannot cancel the running statement: %s", cn ? msg : "no cancel handle");
	PQfreeCancel(cn);
	while (PQisBusy(c) && mono_wait_fd(PQsocket(c), POLLIN, deadline) && PQconsumeInput(c))
		;
	while (!PQisBusy(c) && (r = PQgetResult(c)) != NULL)
		PQclear(r);
}

PGresult *
pgconn_query_until(PGconn *c, const char *sql, long long deadline, bool (*stop)(void),
		   enum pgconn_end *end)
{
	PGresult *last = NULL, *r;

	*end = PGCONN_BROKEN;
	if (!PQsendQuery(c, sql))
		return NULL;
	for (;;) {
		while (PQisBusy(c)) {
			*end = pgconn_wait(c, POLLIN, deadline, stop);
			if (*end != PGCONN_ANSWERED || !PQconsumeInput(c)) {
				if (*end == PGCONN_ANSWERED)
					*end = PGCONN_BROKEN;
				PQclear(last);
				return NULL;
			}
		}
		r = PQgetResult(c);
		if (r == NULL) {
			*end = PGCONN_ANSWERED;
			return last;
		}
		PQclear(last);
		last = r;
	}
}

PGresult *
pgconn_query_deadline(PGconn *c, const char *sql, int timeout_ms, bool *timed_out)
{
	enum pgconn_end end;
	PGresult *r = pgconn_query_until(c, sql, mono_ms() + timeout_ms, NULL, &end);

	*timed_out = end == PGCONN_TIMED_OUT;
	return r;
}

bool
pgconn_exists(PGconn *c, const char *sql, const char *param, bool *found)
{
	const char *params[1] = { param };
	PGresult *r = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
	bool ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;

	if (ok) {
		*found = PQntuples(r) > 0;
	} else {
		char msg[PGCONN_ERR_MAX];

		pgconn_error_text(r, c, msg, sizeof(msg));
		log_error("cannot look up \"%s\" in database \"%s\": %s", param, PQdb(c), msg);
	}
	PQclear(r);
	return ok;
}

char *
pgconn_ident(PGconn *c, const char *s)
{
	return PQescapeIdentifier(c, s, strlen(s));
}

char *
pgconn_literal(PGconn *c, const char *s)
{
	return PQescapeLiteral(c, s, strlen(s));
}

bool
pgconn_set_password(PGconn *c, const char *role, const char *password, const char *create)
{
	char *hash = PQencryptPasswordConn(c, password, role, "scram-sha-256");
	char *ident = NULL, *lit = NULL, *sql = NULL;
	char what[200];
	bool ok = false;

	if (hash == NULL) {
		char msg[PGCONN_ERR_MAX];

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
		msg[strcspn(msg, "\n")] = '\0';
		log_error("cannot hash the password of role \"%s\": %s", role, msg);
		return false;
	}
	ident = pgconn_ident(c, role);
	lit = pgconn_literal(c, hash);
	if (ident == NULL || lit == NULL
	    || asprintf(&sql, "%s ROLE %s%s%s PASSWORD %s", create ? "CREATE" : "ALTER", ident,
			create ? " " : "", create ? create : "", lit) < 0) {
		sql = NULL;
		log_error("cannot build the statement setting the password of role \"%s\": %s",
			  role, ident && lit ? strerror(ENOMEM) : PQerrorMessage(c));
		goto done;
	}
	if (create)
		snprintf(what, sizeof(what), "creating role \"%s\" with a password", role);
	else
		snprintf(what, sizeof(what), "setting the password of role \"%s\"", role);
	/* keep the (hashed) password out of the server log */
	ok = pgconn_exec(c, "SET log_statement = 'none'; SET log_min_duration_statement = -1; "
			 "SET log_min_error_statement = 'panic'", "keeping the password out of the "
			 "server log")
		&& pgconn_exec(c, sql, what)
		&& pgconn_exec(c, "RESET log_statement; RESET log_min_duration_statement; "
			       "RESET log_min_error_statement", "resetting the logging settings");
done:
	free(sql);
	PQfreemem(ident);
	PQfreemem(lit);
	PQfreemem(hash);
	return ok;
}
