/*
 * boot.h — the bootstrap runner and the steps every method shares. A
 * method (method.h) is a table of steps; the runner walks it, logging each
 * step and its duration; a failure stops the temporary postgres and moves
 * the attempt aside as PGDATA.failed-<timestamp> (nothing is deleted).
 * Each step logs what went wrong where it happens and returns false.
 */
#ifndef PGPOD_BOOT_H
#define PGPOD_BOOT_H

#include <libpq-fe.h>
#include <limits.h>
#include <stdbool.h>

#include "argv.h"
#include "config.h"
#include "inputs.h"
#include "instance.h"
#include "pgbackrest.h"
#include "pgdata.h"
#include "settings.h"
#include "spec.h"
#include "upstream.h"

/* initdb and a copy write into PGDATA/.pgpod-copy, moved into place only
 * once complete; PGDATA carries the in-progress mark (pgdata.h) from the
 * first step to the completion marker, so a bootstrap that was cut off is
 * never taken for a finished one, nor for data pgpod did not make. */
#define BOOT_STAGING ".pgpod-copy"
#define BOOT_STAGING_PID ".pgpod-copy.pid"	/* pg_basebackup's process group */

enum boot_result {
	BOOT_DONE,		/* bootstrapped now */
	BOOT_ALREADY,		/* PGDATA was bootstrapped before: nothing done */
	BOOT_REFUSED,		/* PGDATA holds something pgpod did not finish */
	BOOT_FAILED,		/* a step failed; the attempt was moved aside */
	BOOT_PENDING,		/* PGDATA is ready for a bootstrap (boot_admit) */
};

/* What one bootstrap works with; the method's prepare function fills in
 * the upstream and the recovery description its configure step writes. */
struct boot {
	const struct settings *set;
	const struct spec     *s;
	const struct inputs   *in;
	const char            *marker;		/* the method's name in the marker */
	struct instance        inst;
	PGconn                *conn;		/* to the postgres database */
	char                   hash[65];
	struct upstream        up;		/* what a copy is made from */
	const char            *up_path;		/* where the user sets it, for messages */
	char                   up_where[300];	/* room for up_path */
	struct config_recovery rec;		/* what boot_step_configure writes */
	int                    sync_fd;		/* PGDATA's, from the start (boot_step_sync) */
	bool                   resumable;	/* cut off by a stop: left in place for the
						 * next run to resume (a restore), not moved aside */
	char                   marker_extra[512]; /* more members of the completion marker */
	struct pgbr_target     source;		/* a restore's repository (restore.c) */
	const struct spec_restore *restore;	/* which restore of the spec: bootstrap or in place */
	char                   label[64];	/* the backup restored */
	/* a restore's restore_command for the directory pgdata recovers in */
	bool (*restore_command)(const struct boot *b, const char *pgdata, char *buf, size_t cap);
};

struct boot_step {
	const char *name;
	bool (*run)(struct boot *b);
};

/* A method's steps, in order (each method file exports its own). */
struct boot_steps {
	const struct boot_step *v;
	size_t                  n;
};

#define BOOT_STEPS(array) { array, sizeof(array) / sizeof(array[0]) }

/* The exit code (exitcodes.h) of a bootstrap result. */
int boot_exit_code(enum boot_result r);

/* What PGDATA in state st allows: BOOT_PENDING (empty, or pgpod's own
 * cut-off copy or failed attempt: go ahead), BOOT_ALREADY (bootstrapped:
 * nothing to do), BOOT_REFUSED (data pgpod did not make: left untouched)
 * or BOOT_FAILED (unreadable); the last two say why in the log. */
enum boot_result boot_admit(const struct settings *set, enum pgdata_state st);

/* Ask a running bootstrap (another thread) to stop before its next step;
 * the supervisor also stops the step's child processes. */
void boot_request_stop(void);

/* A stop was asked for (boot_request_stop, or SIGTERM/SIGINT pending). */
bool boot_interrupted(void);

/* Walk the steps, then write the completion marker. */
enum boot_result boot_run(struct boot *b, const struct boot_steps *steps);

/* The temporary postgres: Unix socket in the run dir only, fsync off (the
 * bootstrap is flushed once at the end); more: extra "-c" settings. */
bool boot_start_temp(struct boot *b, const struct argv *more) __attribute__((warn_unused_result));
bool boot_stop_temp(struct boot *b) __attribute__((warn_unused_result));

/* The settings of every temporary postgres of a bootstrap: no TCP, the
 * socket in the run directory on the instance's port, no archiving. */
void boot_temp_args(const struct settings *set, struct argv *extra);

/* Shared steps: move what was made in PGDATA/.pgpod-copy into PGDATA
 * (initdb and pg_basebackup write there first, so that a cut-off one is
 * never taken for a PGDATA); write the managed configuration with b->rec;
 * flush. */
bool boot_step_unstage(struct boot *b) __attribute__((warn_unused_result));
bool boot_step_configure(struct boot *b) __attribute__((warn_unused_result));
bool boot_step_sync(struct boot *b) __attribute__((warn_unused_result));

#endif
