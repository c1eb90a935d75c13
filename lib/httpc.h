/*
 * httpc.h — a tiny blocking HTTP/1.0 GET client for `pgpod status` and
 * `pgpod probe`: one request to the local pgpod, bounded by a timeout,
 * over TLS when pgpod serves HTTPS.
 */
#ifndef PGPOD_HTTPC_H
#define PGPOD_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

/* GET path from listen ("ADDR:PORT" as --listen; a wildcard address means
 * the loopback). On success *code is the HTTP status and body holds the
 * body (NUL-terminated, truncated to cap). On failure err says why and
 * *refused tells "nothing listens there" apart from other failures. With
 * tls_cert (a PEM file, --tls-cert) it speaks HTTPS and trusts exactly that
 * certificate; NULL: plain HTTP. */
bool httpc_get(const char *listen, const char *path, const char *tls_cert, int timeout_ms,
	       int *code, char *body, size_t cap, bool *refused, char *err, size_t errcap);

#endif
