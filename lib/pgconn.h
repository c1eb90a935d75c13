/*
 * pgconn.h — libpq helpers: local superuser connections, one-call query
 * execution with errors rendered for humans, identifier/literal quoting and
 * client-side SCRAM hashing. Every failure is logged here, with what was
 * being done and the server's message; callers only return false.
 */
#ifndef PGPOD_PGCONN_H
#define PGPOD_PGCONN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#define PGCONN_ERR_MAX 1024

/* Connect as postgres over the Unix socket in sockdir. */
bool pgconn_local(const char *sockdir, int port, const char *dbname, PGconn **out)
	__attribute__((warn_unused_result));

/* The same with a connect timeout (s) and statement/lock timeouts (ms,
 * 0 = none) for the session; a failure is logged at level (a caller that
 * retries says it once, then at LOG_DEBUG). */
bool pgconn_local_timeout(const char *sockdir, int port, const char *dbname, int connect_s,
			  int statement_ms, enum log_level level, PGconn **out)
	__attribute__((warn_unused_result));

/* Run sql with the simple-query protocol (several statements allowed); a
 * failure is logged as "<what> failed in database D: <the server's message
 * with SQLSTATE, detail and hint>". */
bool pgconn_exec(PGconn *c, const char *sql, const char *what)
	__attribute__((warn_unused_result));

/* The server's message of a failed result r on c, on one line, with
 * SQLSTATE, detail, hint and position. */
void pgconn_error_text(const PGresult *r, PGconn *c, char *buf, size_t cap);

/* How a bounded wait for the server ended. */
enum pgconn_end {
	PGCONN_ANSWERED,	/* the server answered (the result may be an error) */
	PGCONN_TIMED_OUT,	/* the deadline passed (a query was cancelled) */
	PGCONN_STOPPED,		/* stop() said so (a query was cancelled) */
	PGCONN_BROKEN,		/* the connection failed */
};

/* Connect with conninfo, whatever its connect_timeout says, until
 * deadline (mono_ms; 0: none) or until stop() (may be NULL) says so: a
 * server that accepts TCP and never answers cannot hold the caller. The
 * connection (check PQstatus; caller PQfinishes), or NULL out of memory. */
PGconn *pgconn_connect_until(const char *conninfo, long long deadline, bool (*stop)(void),
			     enum pgconn_end *end) __attribute__((warn_unused_result));

/* Run sql (simple query) until its result, the deadline (mono_ms; 0:
 * none), or stop(). The last result (caller PQclears), or NULL with *end
 * saying why; after a NULL, PQfinish c (the query may still run on the
 * server: a cancel request to a hung server would hang too). */
PGresult *pgconn_query_until(PGconn *c, const char *sql, long long deadline, bool (*stop)(void),
			     enum pgconn_end *end) __attribute__((warn_unused_result));

/* The same, waiting at most timeout_ms; *timed_out tells a timeout from a
 * broken connection. */
PGresult *pgconn_query_deadline(PGconn *c, const char *sql, int timeout_ms, bool *timed_out)
	__attribute__((warn_unused_result));

/* pgconn_exec that fails as soon as stop() says so (a SIGTERM during a
 * long postInit statement), the statement cancelled on the server (for
 * the local server, which answers a cancel request). secret:
 * the SQL comes from a Secret, and a failure names only its SQLSTATE and
 * position, never the server's message (which may quote the SQL). */
bool pgconn_exec_until(PGconn *c, const char *sql, const char *what, bool (*stop)(void),
		       bool secret) __attribute__((warn_unused_result));

/* Run a one-parameter query; *found is true when it returns a row. */
bool pgconn_exists(PGconn *c, const char *sql, const char *param, bool *found)
	__attribute__((warn_unused_result));

/* Quoted identifier / literal (caller frees with PQfreemem). */
char *pgconn_ident(PGconn *c, const char *s);
char *pgconn_literal(PGconn *c, const char *s);

/* Set a role's password hashed client-side with SCRAM-SHA-256; the
 * statement is not logged by the server. create (e.g. "LOGIN"): CREATE
 * ROLE with these options; NULL: ALTER ROLE. */
bool pgconn_set_password(PGconn *c, const char *role, const char *password, const char *create)
	__attribute__((warn_unused_result));

#endif
