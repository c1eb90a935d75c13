/*
 * pgdata.h — what the data directory holds and the marks pgpod leaves in
 * it: the completion marker (pgpod-bootstrap.json), moving a failed attempt
 * aside (PGDATA.failed-<timestamp>, never deleted), and flushing to disk.
 */
#ifndef PGPOD_PGDATA_H
#define PGPOD_PGDATA_H

#include <stdbool.h>
#include <stddef.h>

#define PGDATA_MARKER "pgpod-bootstrap.json"

enum pgdata_state {
	PGDATA_EMPTY,		/* missing or empty: bootstrap it */
	PGDATA_BOOTSTRAPPED,	/* pgpod finished a bootstrap here */
	PGDATA_PARTIAL,		/* a copy pgpod began was cut off (.pgpod-copy) */
	PGDATA_FOREIGN,		/* a PostgreSQL data directory pgpod did not make */
	PGDATA_UNKNOWN,		/* other files: refuse to touch */
	PGDATA_UNREADABLE,
};

enum pgdata_state pgdata_state(const char *pgdata);
const char *pgdata_state_name(enum pgdata_state st);

/* Write the completion marker (method, finished-at, duration). */
bool pgdata_write_marker(const char *pgdata, const char *method, double seconds)
	__attribute__((warn_unused_result));

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

/* Rename pgdata to pgdata.failed-<UTC timestamp>; the new path goes to out. */
bool pgdata_move_aside(const char *pgdata, char *out, size_t cap)
	__attribute__((warn_unused_result));

/* Whether PGDATA holds name (a file or directory). */
bool pgdata_has(const char *pgdata, const char *name);

/* Flush the whole file system holding pgdata (syncfs). */
bool pgdata_sync(const char *pgdata) __attribute__((warn_unused_result));

#endif
