/*
 * status.c — the shared instance status and the probe decisions (see
 * status.h).
 */
#include "status.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t status_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct status   status_shared;

/* HTTP counters live outside the lock: every request bumps one, and the
 * server threads should not queue on the mutex for that. */
static unsigned long long status_requests[SPATH_COUNT][SCODE_COUNT];

void
status_init(const char *pod, const char *data_directory, long long max_lag_bytes)
{
	pthread_mutex_lock(&status_mutex);
	memset(&status_shared, 0, sizeof(status_shared));
	memset(status_requests, 0, sizeof(status_requests));
	snprintf(status_shared.pod, sizeof(status_shared.pod), "%s", pod);
	snprintf(status_shared.data_directory, sizeof(status_shared.data_directory), "%s",
		 data_directory);
	status_shared.max_lag_bytes = max_lag_bytes;
	status_shared.phase = PHASE_STOPPED;
	status_shared.last_tick_ms = mono_ms();
	status_shared.boot_duration_s = -1;
	status_shared.replay_lag_bytes = -1;
	status_shared.archive_lag_bytes = -1;
	pthread_mutex_unlock(&status_mutex);
}

void
status_get(struct status *out)
{
	pthread_mutex_lock(&status_mutex);
	*out = status_shared;
	pthread_mutex_unlock(&status_mutex);
	for (int p = 0; p < SPATH_COUNT; p++)
		for (int c = 0; c < SCODE_COUNT; c++)
			out->requests[p][c] = __atomic_load_n(&status_requests[p][c], __ATOMIC_RELAXED);
}

struct status *
status_lock(void)
{
	pthread_mutex_lock(&status_mutex);
	return &status_shared;
}

void
status_unlock(void)
{
	pthread_mutex_unlock(&status_mutex);
}

void
status_count(enum status_path path, int http_code)
{
	enum status_code c;

	switch (http_code) {
	case 200: c = SCODE_200; break;
	case 404: c = SCODE_404; break;
	case 405: c = SCODE_405; break;
	case 500: c = SCODE_500; break;
	case 503: c = SCODE_503; break;
	default: c = SCODE_OTHER; break;
	}
	if ((int) path < 0 || path >= SPATH_COUNT)
		path = SPATH_OTHER;
	__atomic_fetch_add(&status_requests[path][c], 1, __ATOMIC_RELAXED);
}

static int
probe_liveness(const struct status *st, long long now_ms, char *reason, size_t cap)
{
	long long age = now_ms - st->last_tick_ms;

	if (age > STATUS_TICK_STALE_MS) {
		snprintf(reason, cap, "the supervisor loop has not ticked for %lld ms", age);
		return 503;
	}
	snprintf(reason, cap, "supervisor alive, phase %s", status_phase_name(st->phase));
	return 200;
}

/* postmaster.pid says "starting" once its sockets exist: from then on it
 * answers, accepting or rejecting ("the database system is starting up"). */
static bool
postmaster_answers(const struct status *st)
{
	return st->postmaster_alive && st->pid_status[0] != '\0'
		&& strcmp(st->pid_status, "stopping") != 0;
}

static int
probe_startup(const struct status *st, char *reason, size_t cap)
{
	if (!st->postmaster_alive) {
		snprintf(reason, cap, "postgres is not running (phase %s)", status_phase_name(st->phase));
		return 503;
	}
	if (!postmaster_answers(st)) {
		snprintf(reason, cap, "postgres is %s", st->pid_status[0] ? st->pid_status : "starting");
		return 503;
	}
	snprintf(reason, cap, "postgres has started (%s)", st->pid_status);
	return 200;
}

static int
probe_readiness(const struct status *st, long long now_ms, char *reason, size_t cap)
{
	if (!st->postmaster_alive || st->phase != PHASE_RUNNING) {
		snprintf(reason, cap, "postgres is not running (phase %s)", status_phase_name(st->phase));
		return 503;
	}
	if (strcmp(st->pid_status, "ready") == 0 && !st->standby_signal
	    && !(st->sql_ok && st->in_recovery)) {
		if (st->sql_failing_since_ms != 0
		    && now_ms - st->sql_failing_since_ms >= STATUS_SQL_GRACE_MS) {
			snprintf(reason, cap, "postgres has not answered a query for %lld ms",
				 now_ms - st->sql_failing_since_ms);
			return 503;
		}
		snprintf(reason, cap, "accepting connections");
		return 200;
	}
	if (strcmp(st->pid_status, "standby") != 0 && strcmp(st->pid_status, "ready") != 0) {
		snprintf(reason, cap, "postgres is %s, not accepting connections",
			 st->pid_status[0] ? st->pid_status : "starting");
		return 503;
	}
	/* a hot standby: consistent; ready when streaming within the lag limit */
	if (!st->sql_ok || now_ms - st->sql_at_ms > STATUS_TICK_STALE_MS) {
		snprintf(reason, cap, "standby: replication state unknown (no recent status query)");
		return 503;
	}
	if (!st->streaming && st->archive_fed) {
		if (st->archive_lag_bytes > st->max_lag_bytes) {
			snprintf(reason, cap, "standby: %lld bytes behind the newest archived WAL, more "
				 "than %lld", st->archive_lag_bytes, st->max_lag_bytes);
			return 503;
		}
		snprintf(reason, cap, "standby replaying WAL from the archive (at %s, %lld bytes "
			 "behind its newest segment%s)", st->replay_lsn[0] ? st->replay_lsn : "?",
			 st->archive_lag_bytes < 0 ? 0 : st->archive_lag_bytes,
			 st->archive_lag_bytes < 0 ? ", not measured yet" : "");
		return st->replay_lsn[0] ? 200 : 503;
	}
	if (!st->streaming) {
		snprintf(reason, cap, "standby: not streaming from the primary");
		return 503;
	}
	if (st->replay_lag_bytes < 0 || st->replay_lag_bytes > st->max_lag_bytes) {
		snprintf(reason, cap, "standby: replay lag %lld bytes exceeds %lld",
			 st->replay_lag_bytes, st->max_lag_bytes);
		return 503;
	}
	snprintf(reason, cap, "standby streaming, replay lag %lld bytes", st->replay_lag_bytes);
	return 200;
}

int
status_probe(const struct status *st, enum status_probe probe, long long now_ms, char *reason,
	     size_t cap)
{
	switch (probe) {
	case PROBE_LIVENESS:
		return probe_liveness(st, now_ms, reason, cap);
	case PROBE_STARTUP:
		return probe_startup(st, reason, cap);
	case PROBE_READINESS:
		return probe_readiness(st, now_ms, reason, cap);
	}
	snprintf(reason, cap, "unknown probe");
	return 503;
}

const char *
status_phase_name(enum status_phase phase)
{
	static const char *const names[] = {
		[PHASE_STOPPED] = "stopped",
		[PHASE_BOOTSTRAPPING] = "bootstrapping",
		[PHASE_STARTING] = "starting",
		[PHASE_RUNNING] = "running",
		[PHASE_RESTARTING] = "restarting",
		[PHASE_STOPPING] = "stopping",
		[PHASE_FAILED] = "failed",
		[PHASE_RESTORING] = "restoring",
	};

	if ((int) phase < 0 || (size_t) phase >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[phase];
}

const char *
status_path_name(enum status_path path)
{
	static const char *const names[] = {
		[SPATH_HEALTHZ] = "/healthz",
		[SPATH_STARTUPZ] = "/startupz",
		[SPATH_READYZ] = "/readyz",
		[SPATH_STATUS] = "/pg/status",
		[SPATH_METRICS] = "/metrics",
		[SPATH_OTHER] = "other",
	};

	if ((int) path < 0 || path >= SPATH_COUNT)
		return "other";
	return names[path];
}

const char *
status_code_name(enum status_code code)
{
	static const char *const names[] = {
		[SCODE_200] = "200",
		[SCODE_404] = "404",
		[SCODE_405] = "405",
		[SCODE_500] = "500",
		[SCODE_503] = "503",
		[SCODE_OTHER] = "other",
	};

	if ((int) code < 0 || code >= SCODE_COUNT)
		return "other";
	return names[code];
}
