/*
 * method.h — the bootstrap methods, one table: how PGDATA is made, which
 * spec fields (or which instance) select each method, the checks it makes
 * before anything is written, and its steps. Every caller — `pgpod run`,
 * the one-shot commands (init, clone, join), the supervisor — asks this
 * table; adding a method is one entry here plus its own file.
 *
 *   initdb           initdb.c: a new cluster, its roles and postInit SQL
 *   replica cluster  clone.c: a standby of spec.replica.source
 *   pg_basebackup    clone.c: a copy of a live cluster on a new timeline
 *   restore          restore.c: a restore from a pgBackRest repository (PITR)
 *   recovery         a restore from a Barman object store (not in this version)
 *   join             clone.c: a streaming replica of this cluster's primary
 */
#ifndef PGPOD_METHOD_H
#define PGPOD_METHOD_H

#include <stdbool.h>

#include "boot.h"
#include "inputs.h"
#include "settings.h"
#include "spec.h"

struct method {
	const char *name;	/* as logged */
	const char *marker;	/* in pgpod-bootstrap.json and /pg/status */
	const char *command;	/* the one-shot command that runs it, or NULL */
	const char *selected_by; /* what selects it, for people */
	bool        replicas;	/* selected by the instance (not instance 1) */
	bool        resumable;	/* a cut-off attempt of it is resumed, not moved aside */
	/* whether the spec asks for it (NULL: always, when the instance or
	 * the command selects it) */
	bool      (*spec_asks)(const struct spec *s);
	/* checks before anything is written (logged); NULL: none */
	bool      (*check)(const struct settings *set, const struct spec *s,
			   const struct inputs *in);
	/* the upstream and recovery description of b; says what it does */
	bool      (*prepare)(struct boot *b);
	const struct boot_steps *steps;	/* NULL: not available in this version */
};

/* What this instance does with an empty PGDATA: a replica (by the pod
 * name's ordinal, or --instance-role) joins; instance 1 bootstraps by the
 * first method its spec asks for. */
const struct method *method_for(const struct settings *set, const struct spec *s);

/* Before instance 1 of a cluster of several instances runs initdb on an
 * empty volume: when a server answers at the primary's address, the
 * cluster exists (this volume was lost), and the instance joins it
 * instead; NULL (logged) when --instance-role primary forbids that. m
 * itself otherwise. */
const struct method *method_check_existing(const struct settings *set, const struct spec *s,
					   const struct inputs *in, const struct method *m);

/* The method a one-shot command runs for this spec; NULL (and logged why,
 * naming the spec field) when the spec asks for something else. */
const struct method *method_for_command(const char *command, const struct spec *s);

/* Whether this version can run m; logged why not (naming the field). */
bool method_available(const struct method *m, const struct spec *s);

/* Make PGDATA exist by m: admit PGDATA (a copy that was cut off is
 * stopped and moved aside), m's checks, prepare, steps, marker. */
enum boot_result method_bootstrap(const struct settings *set, const struct spec *s,
				  const struct inputs *in, const struct method *m);

/* The table, for tests and the README: entries in selection order. */
extern const struct method method_table[];
extern const size_t method_count;

#endif
