/*
 * upstream.h — the server an instance copies from and, as a standby,
 * streams from: an externalClusters entry (a clone, a replica cluster) or
 * this cluster's primary (a replica). Its connection string refers to
 * files under the run dir (external/<name>/ or replication/), written here
 * from the Secrets, never to a password.
 */
#ifndef PGPOD_UPSTREAM_H
#define PGPOD_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "conninfo.h"
#include "inputs.h"
#include "settings.h"
#include "spec.h"

enum upstream_kind {
	UPSTREAM_NONE,
	UPSTREAM_EXTERNAL,	/* spec.externalClusters[name] */
	UPSTREAM_PRIMARY,	/* this cluster's primary (--primary-host) */
};

struct upstream {
	enum upstream_kind kind;
	char            name[400];	/* the external's name, or "primary HOST:PORT" */
	char            user[128];	/* who logs in */
	char            auth[64];	/* "password", "TLS client certificate", ... */
	struct conninfo conn;
	char            slot[64];	/* a replica's slot on the primary */
	const char     *min_apply_delay;
};

/* The upstream of an external cluster by name. */
bool upstream_external(const struct settings *set, const struct spec *s,
		       const struct inputs *in, const char *name, struct upstream *u,
		       char *err, size_t cap) __attribute__((warn_unused_result));

/* The upstream of a replica: the primary as streaming_replica. */
bool upstream_primary(const struct settings *set, const struct spec *s,
		      const struct inputs *in, struct upstream *u, char *err, size_t cap)
	__attribute__((warn_unused_result));

/* What a standby in PGDATA streams from: the primary for a replica, else
 * the replica cluster's source; UPSTREAM_NONE when PGDATA is no standby. */
bool upstream_of_standby(const struct settings *set, const struct spec *s,
			 const struct inputs *in, struct upstream *u, char *err, size_t cap)
	__attribute__((warn_unused_result));

void upstream_free(struct upstream *u);

/* The physical slot name of a replica: pgpod_<pod name>, lower case,
 * other characters as '_' (at most 63). */
void upstream_slot_name(const char *pod, char *buf, size_t cap);

/* Create the physical slot (reserving WAL from now) through the
 * replication connection c. *existed: it was there already, which is no
 * failure. False with the server's message in err. */
bool upstream_create_slot(PGconn *c, const char *slot, bool *existed, char *err, size_t cap)
	__attribute__((warn_unused_result));

/* Write PGDATA's managed configuration with the standby settings of
 * upstream_of_standby(). hash (may be NULL) receives the config hash. */
bool upstream_write_config(const struct settings *set, const struct spec *s,
			   const struct inputs *in, char *hash) __attribute__((warn_unused_result));

#endif
