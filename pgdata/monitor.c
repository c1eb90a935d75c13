/*
 * monitor.c — the one thread that talks SQL to the running postgres for
 * the supervisor (see monitor.h). Blocking libpq calls live here, bounded
 * by connect and statement timeouts, so that neither the supervisor loop
 * nor an HTTP probe ever waits for postgres.
 */
#include "monitor.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pgconn.h"
#include "status.h"

#define MONITOR_PERIOD_MS   1000
#define MONITOR_CATCHUP_MS  100	/* a standby not streaming yet */
#define MONITOR_CONNECT_S   2
#define MONITOR_STATEMENT_MS 2000
#define MONITOR_DEADLINE_MS  (MONITOR_STATEMENT_MS + 500)	/* client side */
#define MONITOR_MAX_PASSWORDS 4

/* One round trip for everything /pg/status shows. Functions that fail on
 * a standby (pg_current_wal_lsn, pg_walfile_name) are behind CASE. */
static const char status_query[] =
	"SELECT r.rec,"
	" CASE WHEN r.rec THEN COALESCE((SELECT received_tli FROM pg_stat_wal_receiver),"
	"   (SELECT timeline_id FROM pg_control_checkpoint()))"
	"  ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,"
	" (SELECT system_identifier FROM pg_control_system())::text,"
	" CASE WHEN r.rec THEN NULL ELSE pg_current_wal_lsn()::text END,"
	" pg_last_wal_receive_lsn()::text,"
	" pg_last_wal_replay_lsn()::text,"
	" CASE WHEN r.rec THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(),"
	"   pg_last_wal_replay_lsn())::bigint END,"
	" COALESCE((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false),"
	" COALESCE((SELECT string_agg(name, ',' ORDER BY name) FROM pg_settings"
	"   WHERE pending_restart), ''),"
	" current_setting('server_version')"
	" FROM (SELECT pg_is_in_recovery() AS rec) r";

struct pending_password {
	char *role;
	char *password;
	int   failures;
};

static struct {
	const struct settings *set;
	pthread_t       thread;
	bool            started;
	pthread_mutex_t lock;
	pthread_cond_t  cond;
	bool            stop;
	bool            nudged;
	struct pending_password pw[MONITOR_MAX_PASSWORDS];
	size_t          npw;
	PGconn         *conn;
	bool            warned;
} mon = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void
copy_field(PGresult *r, int col, char *dst, size_t cap)
{
	snprintf(dst, cap, "%s", PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col));
}

/* Nothing is known from SQL. failed_at: when the attempt that failed
 * began (CLOCK_MONOTONIC ms), or 0 when none was made (postgres is not up). */
static void
mark_unknown(long long failed_at)
{
	struct status *st = status_lock();

	st->sql_ok = false;
	st->streaming = false;
	if (failed_at == 0)
		st->sql_failing_since_ms = 0;
	else if (st->sql_failing_since_ms == 0)
		st->sql_failing_since_ms = failed_at;
	status_unlock();
}

static bool
monitor_connect(void)
{
	char err[PGCONN_ERR_MAX];

	if (mon.conn != NULL && PQstatus(mon.conn) == CONNECTION_OK)
		return true;
	PQfinish(mon.conn);
	mon.conn = NULL;
	if (!pgconn_local_timeout(mon.set->run_dir, mon.set->pg_port, "postgres", MONITOR_CONNECT_S,
				  MONITOR_STATEMENT_MS, &mon.conn, err, sizeof(err))) {
		if (!mon.warned)
			log_warn("status queries: %s", err);
		mon.warned = true;
		return false;
	}
	if (mon.warned)
		log_info("status queries: connected again");
	mon.warned = false;
	return true;
}

static void
monitor_query(long long started)
{
	bool timed_out;
	PGresult *r = pgconn_query_deadline(mon.conn, status_query, MONITOR_DEADLINE_MS, &timed_out);
	struct status *st;

	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		if (!mon.warned) {
			char msg[PGCONN_ERR_MAX];

			if (timed_out)
				snprintf(msg, sizeof(msg), "no answer within %d ms", MONITOR_DEADLINE_MS);
			else
				snprintf(msg, sizeof(msg), "%s", r ? PQresultErrorMessage(r)
					 : PQerrorMessage(mon.conn));
			msg[strcspn(msg, "\n")] = '\0';
			log_warn("status query failed (reconnecting): %s", msg);
		}
		mon.warned = true;
		PQclear(r);
		PQfinish(mon.conn);
		mon.conn = NULL;
		mark_unknown(started);
		return;
	}
	st = status_lock();
	st->sql_ok = true;
	st->sql_failing_since_ms = 0;
	st->sql_at_ms = mono_ms();
	st->ping = 1;
	st->in_recovery = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	st->timeline = PQgetisnull(r, 0, 1) ? 0 : atoi(PQgetvalue(r, 0, 1));
	copy_field(r, 2, st->system_id, sizeof(st->system_id));
	copy_field(r, 3, st->current_lsn, sizeof(st->current_lsn));
	copy_field(r, 4, st->received_lsn, sizeof(st->received_lsn));
	copy_field(r, 5, st->replay_lsn, sizeof(st->replay_lsn));
	st->replay_lag_bytes = PQgetisnull(r, 0, 6) ? -1 : atoll(PQgetvalue(r, 0, 6));
	st->streaming = strcmp(PQgetvalue(r, 0, 7), "t") == 0;
	copy_field(r, 8, st->pending_restart, sizeof(st->pending_restart));
	copy_field(r, 9, st->server_version, sizeof(st->server_version));
	status_unlock();
	PQclear(r);
}

static void
pending_free(struct pending_password *p)
{
	free(p->role);
	if (p->password != NULL) {
		OPENSSL_cleanse(p->password, strlen(p->password));
		free(p->password);
	}
	memset(p, 0, sizeof(*p));
}

/* Apply queued password changes (a primary only: a standby gets them by
 * replication). Called with mon.lock held; the SQL runs without it. */
static void
monitor_passwords(bool in_recovery)
{
	while (mon.npw > 0 && !in_recovery) {
		struct pending_password p = mon.pw[0];
		char err[PGCONN_ERR_MAX];
		bool ok;

		memmove(&mon.pw[0], &mon.pw[1], (mon.npw - 1) * sizeof(mon.pw[0]));
		mon.npw--;
		pthread_mutex_unlock(&mon.lock);
		ok = pgconn_set_password(mon.conn, p.role, p.password, NULL, err, sizeof(err));
		pthread_mutex_lock(&mon.lock);
		if (ok) {
			log_info("password of role \"%s\" changed (from its Secret)", p.role);
			pending_free(&p);
			continue;
		}
		log_error("cannot change the password of role \"%s\": %s", p.role, err);
		if (++p.failures >= 3 || mon.npw == MONITOR_MAX_PASSWORDS) {
			log_error("giving up on the password change of role \"%s\" until its Secret "
				  "changes again", p.role);
			pending_free(&p);
		} else {
			mon.pw[mon.npw++] = p;
		}
		break;
	}
}

static void *
monitor_main(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&mon.lock);
	while (!mon.stop) {
		struct status st;
		struct timespec until;
		long long started;
		int period;
		bool up;

		status_get(&st);
		up = st.postmaster_alive && (strcmp(st.pid_status, "ready") == 0
					     || strcmp(st.pid_status, "standby") == 0);
		pthread_mutex_unlock(&mon.lock);
		started = mono_ms();
		if (!up) {
			PQfinish(mon.conn);
			mon.conn = NULL;
			mark_unknown(0);
		} else if (monitor_connect()) {
			monitor_query(started);
		} else {
			mark_unknown(started);
		}
		pthread_mutex_lock(&mon.lock);
		if (up && mon.conn != NULL) {
			status_get(&st);
			monitor_passwords(st.in_recovery || !st.sql_ok);
		}
		if (mon.stop)
			break;
		/* a standby that does not stream yet is asked again soon: its
		 * readiness waits for the first answer that says it streams */
		status_get(&st);
		period = up && st.sql_ok && st.in_recovery && !st.streaming
			? MONITOR_CATCHUP_MS : MONITOR_PERIOD_MS;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long) (period % 1000) * 1000000L;
		until.tv_sec += period / 1000 + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!mon.stop && !mon.nudged
		       && pthread_cond_timedwait(&mon.cond, &mon.lock, &until) != ETIMEDOUT)
			;
		mon.nudged = false;
	}
	pthread_mutex_unlock(&mon.lock);
	PQfinish(mon.conn);
	mon.conn = NULL;
	return NULL;
}

bool
monitor_start(const struct settings *set)
{
	mon.set = set;
	mon.stop = false;
	if (pthread_create(&mon.thread, NULL, monitor_main, NULL) != 0) {
		log_error("cannot start the status thread: %s", strerror(errno));
		return false;
	}
	mon.started = true;
	return true;
}

void
monitor_nudge(void)
{
	pthread_mutex_lock(&mon.lock);
	mon.nudged = true;
	pthread_cond_signal(&mon.cond);
	pthread_mutex_unlock(&mon.lock);
}

void
monitor_set_password(const char *role, const char *password)
{
	pthread_mutex_lock(&mon.lock);
	for (size_t i = 0; i < mon.npw; i++) {
		if (strcmp(mon.pw[i].role, role) == 0) {
			pending_free(&mon.pw[i]);
			mon.pw[i] = mon.pw[--mon.npw];
			break;
		}
	}
	if (mon.npw < MONITOR_MAX_PASSWORDS) {
		mon.pw[mon.npw].role = strdup(role);
		mon.pw[mon.npw].password = strdup(password);
		if (mon.pw[mon.npw].role == NULL || mon.pw[mon.npw].password == NULL)
			abort();
		mon.npw++;
	}
	mon.nudged = true;
	pthread_cond_signal(&mon.cond);
	pthread_mutex_unlock(&mon.lock);
}

void
monitor_stop(void)
{
	if (!mon.started)
		return;
	pthread_mutex_lock(&mon.lock);
	mon.stop = true;
	pthread_cond_signal(&mon.cond);
	pthread_mutex_unlock(&mon.lock);
	pthread_join(mon.thread, NULL);
	mon.started = false;
	for (size_t i = 0; i < mon.npw; i++)
		pending_free(&mon.pw[i]);
	mon.npw = 0;
}
