/*
 * upstream.h — the server an instance copies from and, as a standby,
 * streams from: an externalClusters entry (a clone, a replica cluster) or
 * this cluster's primary (a replica). Its connection string refers to
 * files under the run dir (external/<name>/ or replication/), written here
 * from the Secrets, never to a password. Failures are logged here.
 */
#ifndef PGPOD_UPSTREAM_H
#define PGPOD_UPSTREAM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "config.h"
#include "conninfo.h"
#include "inputs.h"
#include "settings.h"
#include "spec.h"

enum upstream_kind {
	UPSTREAM_NONE,
	UPSTREAM_EXTERNAL,	/* spec.externalClusters[name] */
	UPSTREAM_PRIMARY,	/* this cluster's primary (--primary-host) */
	UPSTREAM_REPO,		/* a pgBackRest repository (spec.standby.repoName), and
				 * spec.standby.host when given */
};

struct upstream {
	enum upstream_kind kind;
	char            name[400];	/* the external's name, or "primary HOST:PORT" */
	char            user[128];	/* who logs in */
	char            auth[64];	/* "password", "TLS client certificate", ... */
	struct conninfo conn;
	char            slot[64];	/* a replica's slot on the primary */
	const char     *min_apply_delay;
	char            restore_command[PATH_MAX * 6];	/* "" none (a repository standby's) */
};

/* The upstream of an external cluster by name. */
bool upstream_external(const struct settings *set, const struct spec *s,
		       const struct inputs *in, const char *name, struct upstream *u)
	__attribute__((warn_unused_result));

/* The upstream of a replica: the primary as streaming_replica. */
bool upstream_primary(const struct settings *set, const struct spec *s,
		      const struct inputs *in, struct upstream *u)
	__attribute__((warn_unused_result));

void upstream_free(struct upstream *u);

/* Whether a server answers (within a few seconds) at this cluster's
 * primary address (--primary-host), as streaming_replica: a cluster exists
 * already. what says who answered. Nobody there (no such name, refused,
 * no answer) is false. */
bool upstream_primary_answers(const struct settings *set, const struct spec *s,
			      const struct inputs *in, char *what, size_t cap);

/* A standby of u: primary_conninfo, its slot and apply delay from u. */
void upstream_standby(const struct upstream *u, struct config_recovery *rec);

/*
 * What the PGDATA of this instance is, as the recovery description to
 * write (config.h): a primary; a replica streaming from this cluster's
 * primary (by its ordinal, or because it joined); the first instance of a replica cluster streaming from
 * spec.replica.source; or a standby whose replica mode was switched off,
 * which follows nothing until it is promoted. standby: PGDATA is a standby
 * (standby.signal). rec points into u (free it after use).
 */
bool upstream_recovery(const struct settings *set, const struct spec *s,
		       const struct inputs *in, bool standby, struct upstream *u,
		       struct config_recovery *rec) __attribute__((warn_unused_result));

/* Write PGDATA's managed configuration for what it is now (the
 * supervisor's start and reload, a promotion). hash (may be NULL)
 * receives the config hash. */
bool upstream_configure(const struct settings *set, const struct spec *s,
			const struct inputs *in, char *hash) __attribute__((warn_unused_result));

/* Create the physical slot (reserving WAL from now) through the
 * replication connection c to the server called where. *existed: it was
 * there already, which is no failure. A failure is logged at level (a
 * caller that retries says it once). */
bool upstream_create_slot(PGconn *c, const char *where, const char *slot, enum log_level level,
			  bool *existed) __attribute__((warn_unused_result));

#endif
