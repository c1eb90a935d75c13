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
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;

	if (!ok) {
		char msg[PGCONN_ERR_MAX];

		pgconn_error_text(r, c, msg, sizeof(msg));
		log_error("%s failed in database \"%s\": %s", what, PQdb(c), msg);
	}
	PQclear(r);
	return ok;
}

PGresult *
pgconn_query_deadline(PGconn *c, const char *sql, int timeout_ms, bool *timed_out)
{
	long long deadline = mono_ms() + timeout_ms;
	PGresult *last = NULL, *r;

	*timed_out = false;
	if (!PQsendQuery(c, sql))
		return NULL;
	for (;;) {
		while (PQisBusy(c)) {
			if (!mono_wait_fd(PQsocket(c), POLLIN, deadline)) {
				*timed_out = errno == ETIMEDOUT;
				PQclear(last);
				return NULL;
			}
			if (!PQconsumeInput(c)) {
				PQclear(last);
				return NULL;
			}
		}
		r = PQgetResult(c);
		if (r == NULL)
			return last;
		PQclear(last);
		last = r;
	}
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
