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

/* Run sql (simple query) and wait at most timeout_ms for its result, on
 * the client side: a server that hangs (stopped, stuck on I/O) cannot hold
 * the caller. The last result (caller PQclears), or NULL with *timed_out
 * telling a timeout from a broken connection; after NULL, PQfinish c. */
PGresult *pgconn_query_deadline(PGconn *c, const char *sql, int timeout_ms, bool *timed_out)
	__attribute__((warn_unused_result));

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
