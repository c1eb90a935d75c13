/*
 * pgdata.h — what the data directory holds and the marks pgpod leaves in
 * it: the completion marker (pgpod-bootstrap.json), moving a failed attempt
 * aside (PGDATA.failed-<timestamp>, never deleted), and flushing to disk.
 */
#ifndef PGPOD_PGDATA_H
#define PGPOD_PGDATA_H

#define PGDATA_KEEP_FAILED 3	/* failed attempts kept by default */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define PGDATA_MARKER "pgpod-bootstrap.json"
#define PGDATA_FAILED_MARK ".pgpod-failed-attempt"	/* in a moved-aside attempt */
#define PGDATA_BOOTSTRAPPING ".pgpod-bootstrapping"	/* a bootstrap is under way */

enum pgdata_state {
	PGDATA_EMPTY,		/* missing or empty: bootstrap it */
	PGDATA_BOOTSTRAPPED,	/* pgpod finished a bootstrap here */
	PGDATA_PARTIAL,		/* a bootstrap pgpod began was cut off (its mark,
				 * or .pgpod-copy) */
	PGDATA_FAILED,		/* pgpod's own failed attempt, left in place (it could
				 * not be moved aside): replaced by the next bootstrap */
	PGDATA_FOREIGN,		/* a PostgreSQL data directory pgpod did not make */
	PGDATA_UNKNOWN,		/* other files: refuse to touch */
	PGDATA_UNREADABLE,
};

enum pgdata_state pgdata_state(const char *pgdata);
const char *pgdata_state_name(enum pgdata_state st);

/* Write the completion marker (method, finished-at, duration, and extra:
 * more members of the JSON object, "" or `, "backup": "..."`). */
bool pgdata_write_marker(const char *pgdata, const char *method, double seconds,
			 const char *extra) __attribute__((warn_unused_result));

/* What the completion marker says; false when there is none. */
struct pgdata_marker {
	char   method[24];
	char   finished_at[40];	/* RFC 3339, UTC */
	double duration_s;
};

bool pgdata_read_marker(const char *pgdata, struct pgdata_marker *m);

/* What the marker says, into the shared status (bootstrap method, time,
 * duration); nothing when there is no marker. */
void pgdata_marker_status(const char *pgdata);

/* Rename pgdata to pgdata.failed-<UTC timestamp> (marked as pgpod's own
 * failed attempt); the new path goes to out. Then keep the newest keep of
 * pgpod's own failed attempts (0: all); nothing else is ever removed. */
bool pgdata_move_aside(const char *pgdata, int keep, char *out, size_t cap)
	__attribute__((warn_unused_result));

/* Whether a failed attempt could be moved aside (PGDATA's parent is
 * writable); checked before a bootstrap writes anything. */
bool pgdata_movable(const char *pgdata) __attribute__((warn_unused_result));

/* Empty PGDATA that holds pgpod's own failed attempt (PGDATA_FAILED),
 * keeping the directory itself. */
bool pgdata_clear_failed(const char *pgdata) __attribute__((warn_unused_result));

/* Say so when the volume holding pgdata is (nearly) full. */
void pgdata_report_space(const char *pgdata);

/* Make PGDATA (0700) if missing and put the in-progress mark in it, the
 * method's name its content; false (logged) when it cannot. */
bool pgdata_mark_bootstrapping(const char *pgdata, const char *method)
	__attribute__((warn_unused_result));

/* The method of the in-progress mark ("" when none or unreadable). */
void pgdata_bootstrapping_method(const char *pgdata, char *buf, size_t cap);

/* PGDATA holds nothing but the in-progress mark: remove it (nothing was
 * written) and say true. */
bool pgdata_only_mark(const char *pgdata);

/* PGDATA holds the in-progress mark and the staging directory, nothing
 * else: a bootstrap cut off before its result was moved into place. */
bool pgdata_only_staging(const char *pgdata);

/* Whether PGDATA holds name (a file or directory). */
bool pgdata_has(const char *pgdata, const char *name);

#define PGDATA_MAX_FS 16	/* file systems a cluster lives on, at most */

/* A descriptor on PGDATA (or its parent when it does not exist yet),
 * opened when a bootstrap begins: syncfs through it reports every write
 * error since then. -1 when neither opens. */
int pgdata_sync_open(const char *pgdata);

/* The file systems the cluster lives on: PGDATA's, pg_wal's and each
 * tablespace's (symlinks followed), one path each; how many. */
size_t pgdata_filesystems(const char *pgdata, char paths[][PATH_MAX], size_t cap);

/* Flush every file system the cluster lives on (syncfs), early_fd's
 * (pgdata_sync_open, or -1) first; false (logged) when any failed. */
bool pgdata_sync(const char *pgdata, int early_fd) __attribute__((warn_unused_result));

#endif
