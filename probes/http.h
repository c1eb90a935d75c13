/*
 * http.h — the HTTP server on --listen (libmicrohttpd, a small fixed pool
 * of threads): /healthz, /startupz, /readyz, /pg/status and /metrics, all
 * answered from a copy of the shared status (lib/status.h), never by
 * asking postgres, so they stay fast when postgres hangs.
 */
#ifndef PGPOD_HTTP_H
#define PGPOD_HTTP_H

#include <stdbool.h>

struct http_server;

/* What a server answers: the probes (/healthz /livez /startupz /readyz),
 * the documents (/pg/status /metrics), or both (--status-listen unset). */
#define HTTP_PROBES 1u
#define HTTP_DOCS   2u

/* Parse "ADDR:PORT" ("127.0.0.1:8000", "0.0.0.0:8000", "*:8000",
 * "[::1]:8000", "[::]:8000") and serve on exactly that address what serves
 * says; slow and idle clients are dropped (guard.h). With tls_cert and
 * tls_key (PEM files) it serves HTTPS (tlsfront.h); NULL: plain HTTP.
 * Errors are logged (naming the address and the cause); false then. Call
 * after the signals are blocked: the server's threads inherit the mask. */
bool http_start(const char *listen, unsigned serves, const char *tls_cert, const char *tls_key,
		struct http_server **out)
	__attribute__((warn_unused_result));

void http_stop(struct http_server *s);

#endif
