/*
 * tls.h — postgres' own TLS files: the server certificate, its key and the
 * CA that client certificates are checked with, copied from the
 * certificates' Secrets into <run-dir>/tls. Kubernetes mounts Secret files
 * 0644 and owned by root, and postgres refuses a key it does not own or
 * that others may read; the copies are 0600 and pgpod's (the postgres
 * user's), written atomically, rewritten at every start and reload.
 */
#ifndef PGPOD_TLS_H
#define PGPOD_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "inputs.h"
#include "settings.h"
#include "spec.h"

#define TLS_DIR "tls"
#define TLS_SERVER_CERT "server.crt"
#define TLS_SERVER_KEY "server.key"
#define TLS_CLIENT_CA "client-ca.crt"

/* <run-dir>/tls/name into buf. */
void tls_path(const struct settings *set, const char *name, char *buf, size_t cap);

/* Write the files of the spec's certificates (in's PEM texts) and remove
 * those it no longer has. False on a write failure (logged). */
bool tls_write_server(const struct settings *set, const struct inputs *in)
	__attribute__((warn_unused_result));

#endif
