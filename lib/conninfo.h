/*
 * conninfo.h — libpq connection strings for the sources pgpod connects to
 * (externalClusters entries, the primary of a replica) and the files they
 * refer to: a pgpass file and the TLS key, certificate and CA, each 0600 in
 * a 0700 directory, so that no password or key is ever in a connection
 * string, an argv or an environment.
 */
#ifndef PGPOD_CONNINFO_H
#define PGPOD_CONNINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "spec.h"

/* Where one source's files live and what goes into them. */
struct conn_files {
	const char *password;		/* NULL: no pgpass file */
	const char *ssl_key;		/* PEM texts; NULL: none */
	const char *ssl_cert;
	const char *ssl_root_cert;
};

/* A growable connection string. */
struct conninfo {
	char  *text;
	size_t len;
	size_t cap;
};

/* Append key=value with libpq's quoting: the value in single quotes, with
 * backslash before every ' and \ (not SQL's doubling). */
void conninfo_add(struct conninfo *c, const char *key, const char *value);

/* Append every parameter of l except secret ones (password, sslpassword)
 * and those pgpod sets itself (passfile, sslkey, sslcert, sslrootcert). */
void conninfo_add_params(struct conninfo *c, const struct kvlist *l);

/* Append a whole connection string. */
void conninfo_put_text(struct conninfo *c, const char *text);

void conninfo_free(struct conninfo *c);

/* One pgpass line that matches any host, port, database and user:
 * "*:*:*:*:<password>" with ':' and '\' escaped (caller frees). */
char *conninfo_pgpass_line(const char *password);

/* Write the files of f under dir (created 0700) atomically, each 0600
 * (pgpass, tls.key, tls.crt, ca.crt); files f does not have are removed.
 * Then append passfile=/sslkey=/sslcert=/sslrootcert= to c for those
 * written. False on a write failure (logged). */
bool conninfo_write_files(const char *dir, const struct conn_files *f, struct conninfo *c)
	__attribute__((warn_unused_result));

/* The value of key in a connection string built here ("" when absent). */
void conninfo_get(const char *text, const char *key, char *buf, size_t cap);

#endif
