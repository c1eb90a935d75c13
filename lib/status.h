/*
 * status.h — what pgpod knows about its instance, shared between the
 * supervisor loop (which writes it), the monitor thread (which adds what
 * only SQL can tell) and the HTTP threads (which read copies of it).
 *
 * Probes and documents are computed from a copy, never by asking postgres,
 * so they answer in microseconds even when postgres hangs.
 */
#ifndef PGPOD_STATUS_H
#define PGPOD_STATUS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "mono.h"

/* Numeric codes are part of the interface (metrics, status): never change
 * one, only add. */
enum status_phase {
	PHASE_STOPPED       = 0,	/* no postgres, nothing going on */
	PHASE_BOOTSTRAPPING = 1,	/* initdb / clone / restore / join running */
	PHASE_STARTING      = 2,	/* postmaster started, not yet accepting */
	PHASE_RUNNING       = 3,	/* postmaster up and accepting (or a standby) */
	PHASE_RESTARTING    = 4,	/* postmaster died; being started again */
	PHASE_STOPPING      = 5,	/* shutdown sequence under way */
	PHASE_FAILED        = 6,	/* gave up (bootstrap failed, restart limit) */
	PHASE_RESTORING     = 7,	/* an in-place restore (PGO's annotation) replaces PGDATA */
};

enum status_probe {
	PROBE_LIVENESS,		/* /healthz */
	PROBE_STARTUP,		/* /startupz */
	PROBE_READINESS,	/* /readyz */
};

/* How long the supervisor loop may go without ticking before /healthz
 * says it is stuck. */
#define STATUS_TICK_STALE_MS 5000

/* A primary whose postmaster.pid says "ready" but that has not answered
 * the status queries for this long is not ready (it is hung, or refuses
 * even the superuser). */
#define STATUS_SQL_GRACE_MS 2000

/* The paths counted in pgpod_http_requests_total. */
enum status_path {
	SPATH_HEALTHZ,
	SPATH_STARTUPZ,
	SPATH_READYZ,
	SPATH_STATUS,
	SPATH_METRICS,
	SPATH_OTHER,
	SPATH_COUNT
};

/* The HTTP codes counted (others count as "other"). */
enum status_code {
	SCODE_200,
	SCODE_404,
	SCODE_405,
	SCODE_500,
	SCODE_503,
	SCODE_OTHER,
	SCODE_COUNT
};

/* One managed role or database (pgdata/reconcile.c): bounded, the
 * status being shared memory of fixed size. */
#define STATUS_MANAGED_MAX 48
struct status_managed {
	char kind[12];			/* role, database */
	char name[64];
	char state[12];			/* pending, reconciled, failed */
	char error[240];		/* why it failed; "" when it did not */
};

struct status {
	/* identity, set once */
	char      pod[256];
	char      data_directory[PATH_MAX];
	long long max_lag_bytes;	/* readiness limit for a standby */

	/* supervisor loop */
	enum status_phase phase;
	long long last_tick_ms;		/* CLOCK_MONOTONIC, ms */
	pid_t     postmaster_pid;	/* 0 when there is none */
	bool      postmaster_alive;
	double    postmaster_start_time; /* Unix time, s; 0 when none */
	char      pid_status[16];	/* postmaster.pid line 8: starting, ready, standby, stopping */
	bool      archive_fed;		/* a standby fed from a WAL archive only (no host to
					 * stream from): ready when replaying */
	long long archive_lag_bytes;	/* archive_fed: from the replayed LSN to the end of the
					 * newest archived WAL segment; -1 unknown */
	long long wal_segment_bytes;	/* wal_segment_size; 0 unknown */
	bool      standby_signal;	/* PGDATA has standby.signal: postgres runs as a standby
					 * (a hot standby says "ready" in postmaster.pid too) */
	int       restarts;		/* in-place restarts since pgpod started */
	char      last_exit[128];	/* how the last postmaster ended, "" if never */
	char      config_hash[72];	/* hash of the managed settings */
	char      failure[512];		/* why phase is failed */

	/* bootstrap (from the marker) */
	char      boot_method[24];	/* initdb, pg_basebackup, recovery, ... ; "" unknown */
	char      boot_finished_at[40];	/* RFC 3339 */
	double    boot_duration_s;	/* < 0 unknown */

	/* monitor thread (SQL), valid when sql_ok */
	bool      sql_ok;		/* the last query succeeded */
	long long sql_at_ms;		/* CLOCK_MONOTONIC of the last success */
	long long sql_failing_since_ms;	/* start of the first of the failing attempts; 0 none */
	int       ping;			/* 0 no answer, 1 accepting, 2 rejecting (starting up) */
	bool      in_recovery;
	bool      streaming;		/* a standby's WAL receiver is streaming */
	int       timeline;
	char      system_id[24];
	char      current_lsn[24];	/* primary: pg_current_wal_lsn() */
	char      received_lsn[24];	/* standby: pg_last_wal_receive_lsn() */
	char      replay_lsn[24];	/* standby: pg_last_wal_replay_lsn() */
	long long replay_lag_bytes;	/* standby: received - replayed; -1 unknown */
	char      pending_restart[1024]; /* comma-separated parameter names */
	char      server_version[32];

	/* the WAL archive (pg_stat_archiver), valid when sql_ok */
	bool      archive_on;		/* archive_mode is not off */
	long long archived_count;
	long long archive_failed_count;
	char      last_archived_wal[64];
	double    last_archived_time;	/* Unix time; 0 never */
	char      last_failed_wal[64];
	double    last_failed_time;	/* Unix time; 0 never */

	/* backups (supervisor/backup.c); backup_tool "" with nowhere to back up to */
	char      backup_tool[16];	/* pgbackrest, barman-cloud */
	char      repo_stanza[16];	/* pgBackRest: pending, ok, failed */
	char      backup_running[8];	/* full, diff, incr; "" none */
	char      last_backup_label[64];
	char      last_backup_type[8];
	bool      last_backup_ok;
	double    last_backup_end;	/* Unix time the last backup ended; 0 none */
	double    last_backup_duration_s;
	double    last_backup_success;	/* Unix time of the last successful one; 0 none */

	/* managed roles and databases (the status thread); managed_n 0: none */
	struct status_managed managed[STATUS_MANAGED_MAX];
	int       managed_n;
	int       managed_more;		/* items beyond STATUS_MANAGED_MAX, not shown */
	int       managed_failures;	/* items whose last reconcile failed */
	double    managed_at;		/* Unix time of the last reconcile; 0 none yet */

	/* HTTP counters: filled in by status_get (kept apart, atomically) */
	unsigned long long requests[SPATH_COUNT][SCODE_COUNT];
};

/* Initialize the shared status (once, before any thread). */
void status_init(const char *pod, const char *data_directory, long long max_lag_bytes);

/* A consistent copy. */
void status_get(struct status *out);

/* Change it under the lock: status_lock() returns the shared instance,
 * status_unlock() releases it. Keep the section short; no I/O inside. */
struct status *status_lock(void);
void status_unlock(void);

/* Count one HTTP request. */
void status_count(enum status_path path, int http_code);

/* Decide a probe from a copy: the HTTP code (200 or 503), with a short
 * reason in reason. now_ms is CLOCK_MONOTONIC in ms. */
int status_probe(const struct status *st, enum status_probe probe, long long now_ms,
		 char *reason, size_t cap);

/* Names of phases and paths, as they appear in JSON and metrics. */
const char *status_phase_name(enum status_phase phase);
const char *status_path_name(enum status_path path);
const char *status_code_name(enum status_code code);


#endif
