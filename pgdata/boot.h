/*
 * boot.h — making PGDATA exist. One runner walks a method's table of
 * steps, logging each and its duration; a failure stops the temporary
 * postgres and moves the attempt aside as PGDATA.failed-<timestamp>
 * (nothing is deleted). The methods:
 *
 *   initdb         initdb.c: a new cluster, its roles and postInit SQL
 *   pg_basebackup  clone.c: a copy of a live cluster, promoted on a new
 *                  timeline and configured (or, in replica cluster mode,
 *                  left a standby of it)
 *   join           clone.c: a streaming replica of this cluster's primary
 *
 * A copy is made in PGDATA/.pgpod-copy and moved into place only once it
 * is complete, so a copy that was cut off is never taken for a finished
 * bootstrap (the source's own marker travels with the copy).
 */
#ifndef PGPOD_BOOT_H
#define PGPOD_BOOT_H

#include <libpq-fe.h>
#include <limits.h>
#include <stdbool.h>

#include "conninfo.h"
#include "upstream.h"
#include "inputs.h"
#include "instance.h"
#include "pgconn.h"
#include "settings.h"
#include "spec.h"

#define BOOT_STAGING ".pgpod-copy"
#define BOOT_STAGING_PID ".pgpod-copy.pid"	/* pg_basebackup's process group */

enum boot_result {
	BOOT_DONE,		/* bootstrapped now */
	BOOT_ALREADY,		/* PGDATA was bootstrapped before: nothing done */
	BOOT_REFUSED,		/* PGDATA holds something pgpod did not finish */
	BOOT_FAILED,		/* a step failed; the attempt was moved aside */
};

enum boot_method {
	BOOT_METHOD_INITDB,
	BOOT_METHOD_CLONE,		/* bootstrap.pg_basebackup */
	BOOT_METHOD_REPLICA_CLUSTER,	/* a standby of spec.replica.source */
	BOOT_METHOD_JOIN,		/* a replica of this cluster's primary */
};

/* What this instance does with an empty PGDATA: instance 1 (by the pod
 * name's ordinal, or --instance-role) bootstraps by the spec's method,
 * the others join. */
enum boot_method boot_method_for(const struct settings *set, const struct spec *s);
const char *boot_method_name(enum boot_method m);

/* The instance number of a pod name from its trailing "-<ordinal>" and
 * --ordinal-base (instance 1 is the first ordinal); 0 when it has none. */
long boot_pod_instance(const struct settings *set, const char *pod);

/* Whether this instance is a replica of its cluster's primary (not
 * instance 1); the pod name's ordinal decides unless --instance-role. */
bool boot_is_replica(const struct settings *set);

/* Make PGDATA exist by m. */
enum boot_result boot_bootstrap(const struct settings *set, const struct spec *s,
				const struct inputs *in, enum boot_method m);

/* Ask a running bootstrap (another thread) to stop before its next step;
 * the supervisor also stops the step's child processes. */
void boot_request_stop(void);

/* ---- for the method files ---- */

struct boot {
	const struct settings *set;
	const struct spec     *s;
	const struct inputs   *in;
	enum boot_method       method;
	struct instance        inst;
	PGconn                *conn;		/* to the postgres database */
	char                   err[3 * PATH_MAX];
	char                   hash[65];
	struct upstream        up;		/* what a copy is made from */
	const char            *up_path;		/* where the user sets it, for messages */
};

struct boot_step {
	const char *name;
	bool (*run)(struct boot *b);
};

/* A stop was asked for (boot_request_stop, or SIGTERM/SIGINT pending). */
bool boot_interrupted(void);

enum boot_result boot_run(struct boot *b, const char *what, const struct boot_step *steps,
			  size_t n);

/* The temporary postgres: Unix socket in the run dir only, fsync off (the
 * bootstrap is flushed once at the end); more: extra "-c" settings. */
bool boot_start_temp(struct boot *b, const struct argv *more);
bool boot_stop_temp(struct boot *b);
bool boot_step_sync(struct boot *b);
bool boot_step_configure(struct boot *b);

#endif
