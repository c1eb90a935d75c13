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

#include "barman_wal.h"
#include "conninfo.h"
#include "identity.h"
#include "log.h"
#include "pgconn.h"
#include "reconcile.h"
#include "status.h"
#include "upstream.h"

#define MONITOR_PERIOD_MS   1000
#define MONITOR_CATCHUP_MS  100	/* a standby not streaming yet */
#define MONITOR_CONNECT_S   2
#define MONITOR_STATEMENT_MS 2000
#define MONITOR_DEADLINE_MS  (MONITOR_STATEMENT_MS + 500)	/* client side */
#define MONITOR_MAX_PASSWORDS 4
#define MONITOR_SLOTS_MS    10000	/* replication slots are looked at this often */
#define MONITOR_SLOT_GRACE_MS 30000	/* an unused slot of a removed instance lives this long */
#define MONITOR_SLOT_WAIT_MS 3000	/* a standby not streaming this long checks its slot */
#define MONITOR_SLOT_CONNECT "2"	/* seconds, to the primary */
#define MONITOR_MAX_STALE   16
#define MONITOR_MANAGED_MS  60000	/* managed roles and databases are compared this often */

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
	" current_setting('server_version'),"
	" current_setting('archive_mode') <> 'off',"
	" a.archived_count, a.failed_count, a.last_archived_wal,"
	" extract(epoch FROM a.last_archived_time), a.last_failed_wal,"
	" extract(epoch FROM a.last_failed_time),"
	" pg_catalog.pg_size_bytes(current_setting('wal_segment_size'))"
	" FROM (SELECT pg_is_in_recovery() AS rec) r, pg_stat_archiver a";

/* A slot of an instance outside spec.instances, unused since. */
struct stale_slot {
	char      name[64];
	long long since;
	bool      seen;
};

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
	bool            released;	/* a stop began: pgpod holds no session */
	bool            nudged;
	struct pending_password pw[MONITOR_MAX_PASSWORDS];
	size_t          npw;
	PGconn         *conn;
	bool            warned;
	int             instances;	/* spec.instances; < 1: not given */
	long long       slots_at;	/* next look at the slots */
	long long       not_streaming_since;
	bool            slot_warned;
	char            pod_prefix[256];	/* this pod's name without "-<ordinal>"; "": none */
	struct stale_slot stale[MONITOR_MAX_STALE];
	size_t          nstale;
	struct managed_state *managed_next;	/* handed over by monitor_set_managed */
	bool            managed_new;		/* managed_next is to be taken */
	struct managed_state *managed;		/* the status thread's own */
	long long       managed_at;		/* next reconcile; 0: at once */
	bool            was_primary;		/* the last answer was a primary's */
	struct status_managed *items;		/* the last reconcile's, every object */
	size_t          nitems;
} mon = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
	.instances = -1 };

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
	if (mon.conn != NULL && PQstatus(mon.conn) == CONNECTION_OK)
		return true;
	PQfinish(mon.conn);
	mon.conn = NULL;
	/* said once (a warning), then at debug level until it works again */
	if (!pgconn_local_timeout(mon.set->run_dir, mon.set->pg_port, "postgres", MONITOR_CONNECT_S,
				  MONITOR_STATEMENT_MS, mon.warned ? LOG_DEBUG : LOG_WARN, &mon.conn)) {
		mon.warned = true;
		return false;
	}
	mon.was_primary = false;	/* a new session: postgres (re)started, reconcile */
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
	long long archive_lag;
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
	/* a standby fed from an object store: its lag against the archive */
	archive_lag = barman_wal_archive_lag(mon.set->run_dir, PQgetvalue(r, 0, 5),
					     strtoull(PQgetvalue(r, 0, 17), NULL, 10));
	st = status_lock();
	if (archive_lag >= 0)
		st->archive_lag_bytes = archive_lag;
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
	st->archive_on = strcmp(PQgetvalue(r, 0, 10), "t") == 0;
	st->archived_count = atoll(PQgetvalue(r, 0, 11));
	st->archive_failed_count = atoll(PQgetvalue(r, 0, 12));
	copy_field(r, 13, st->last_archived_wal, sizeof(st->last_archived_wal));
	st->last_archived_time = PQgetisnull(r, 0, 14) ? 0 : atof(PQgetvalue(r, 0, 14));
	copy_field(r, 15, st->last_failed_wal, sizeof(st->last_failed_wal));
	st->last_failed_time = PQgetisnull(r, 0, 16) ? 0 : atof(PQgetvalue(r, 0, 16));
	st->wal_segment_bytes = atoll(PQgetvalue(r, 0, 17));
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
		bool ok;

		memmove(&mon.pw[0], &mon.pw[1], (mon.npw - 1) * sizeof(mon.pw[0]));
		mon.npw--;
		pthread_mutex_unlock(&mon.lock);
		ok = pgconn_set_password(mon.conn, p.role, p.password, NULL);
		pthread_mutex_lock(&mon.lock);
		if (ok) {
			log_info("password of role \"%s\" changed (from its Secret)", p.role);
			pending_free(&p);
			continue;
		}
		/* pgconn_set_password said why */
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

/* ---- managed roles and databases ---- */

/* Put the items (the first STATUS_MANAGED_MAX), their failures and the
 * time into the shared status. */
static void
managed_publish(const struct status_managed *items, size_t n, bool ran)
{
	size_t shown = n < STATUS_MANAGED_MAX ? n : STATUS_MANAGED_MAX;
	struct status *st = status_lock();

	memcpy(st->managed, items, shown * sizeof(*items));
	st->managed_n = (int) shown;
	st->managed_more = (int) (n - shown);
	st->managed_failures = 0;
	for (size_t i = 0; i < n; i++)
		st->managed_failures += strcmp(items[i].state, "failed") == 0;
	if (ran)
		st->managed_at = (double) time(NULL);
	status_unlock();
}

/* One item per object of the desired state (at least one, for calloc). */
static struct status_managed *
managed_new_items(size_t *cap)
{
	*cap = mon.managed ? mon.managed->n_roles + mon.managed->n_users + mon.managed->n_dbs : 0;
	return spec_xcalloc(*cap ? *cap : 1, sizeof(struct status_managed));
}

/* Take a newly handed desired state: its items are pending until a
 * primary has been reconciled. Called with mon.lock held. */
static void
managed_take(void)
{
	struct status_managed *items;
	size_t cap, n;

	managed_free(mon.managed);
	mon.managed = mon.managed_next;
	mon.managed_next = NULL;
	mon.managed_new = false;
	mon.managed_at = 0;
	items = managed_new_items(&cap);
	n = reconcile_items(mon.managed, items, cap);
	managed_publish(items, n, false);
	free(items);
}

/* A primary is reconciled when the desired state is new, when it has just
 * become a primary (a start, a promotion), and every MONITOR_MANAGED_MS
 * (what someone changed by hand is put back). Called with mon.lock held;
 * the SQL runs without it. */
static void
monitor_managed(const struct status *st)
{
	struct status_managed *items;
	long long now = mono_ms();
	bool primary = st->sql_ok && !st->in_recovery, lost = false;
	size_t cap, n;

	if (mon.managed_new)
		managed_take();
	if (primary && !mon.was_primary)
		mon.managed_at = 0;
	mon.was_primary = primary;
	if (!primary || mon.managed == NULL || now < mon.managed_at)
		return;
	mon.managed_at = now + MONITOR_MANAGED_MS;
	pthread_mutex_unlock(&mon.lock);
	items = managed_new_items(&cap);
	n = reconcile_run(mon.conn, mon.set, mon.managed, mon.items, mon.nitems, items, cap, &lost);
	if (lost) {
		PQfinish(mon.conn);
		mon.conn = NULL;
	}
	free(mon.items);
	mon.items = items;
	mon.nitems = n;
	managed_publish(items, n, true);
	pthread_mutex_lock(&mon.lock);
}

/* ---- replication slots ---- */

/* The instance number of a slot that pgpod makes for a pod of this
 * cluster (identity_slot_name of "<pod prefix>-<ordinal>"), else 0. */
static long
slot_instance(const char *slot)
{
	const char *us = strrchr(slot, '_');
	char pod[sizeof(mon.pod_prefix) + 16], want[64];

	if (us == NULL || strlen(us + 1) > 9)
		return 0;
	snprintf(pod, sizeof(pod), "%s-%s", mon.pod_prefix, us + 1);
	identity_slot_name(pod, want, sizeof(want));
	return strcmp(want, slot) == 0 ? identity_pod_instance(mon.set, pod) : 0;
}

static struct stale_slot *
stale_find(const char *name, long long now)
{
	for (size_t i = 0; i < mon.nstale; i++)
		if (strcmp(mon.stale[i].name, name) == 0)
			return &mon.stale[i];
	if (mon.nstale == MONITOR_MAX_STALE)
		return NULL;
	snprintf(mon.stale[mon.nstale].name, sizeof(mon.stale[0].name), "%s", name);
	mon.stale[mon.nstale].since = now;
	return &mon.stale[mon.nstale++];
}

static void
drop_slot(const struct stale_slot *z, long inst, int instances)
{
	char *lit = pgconn_literal(mon.conn, z->name);
	char sql[200];
	bool timed_out;
	PGresult *r;

	if (lit == NULL)
		return;
	snprintf(sql, sizeof(sql), "SELECT pg_drop_replication_slot(%s)", lit);
	PQfreemem(lit);
	r = pgconn_query_deadline(mon.conn, sql, MONITOR_DEADLINE_MS, &timed_out);
	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK)
		log_info("dropped the replication slot \"%s\" of instance %ld: spec.instances is %d "
			 "and nothing used the slot for %d s, so it no longer holds WAL back",
			 z->name, inst, instances, MONITOR_SLOT_GRACE_MS / 1000);
	else
		log_warn("cannot drop the unused replication slot \"%s\" of instance %ld: %s", z->name,
			 inst, r ? PQresultErrorMessage(r) : timed_out ? "no answer" : PQerrorMessage(mon.conn));
	PQclear(r);
}

/* A primary: drop the physical slots of replicas outside spec.instances
 * once they have been unused for the grace time (a scaled-down replica's
 * slot would otherwise keep WAL until the disk is full). */
static void
slots_of_primary(int instances, long long now)
{
	bool timed_out;
	PGresult *r = pgconn_query_deadline(mon.conn,
		"SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT active"
		" AND slot_name LIKE 'pgpod\\_%'", MONITOR_DEADLINE_MS, &timed_out);
	size_t keep = 0;

	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return;		/* the status query reports a failing server */
	}
	for (size_t i = 0; i < mon.nstale; i++)
		mon.stale[i].seen = false;
	for (int row = 0; row < PQntuples(r); row++) {
		const char *name = PQgetvalue(r, row, 0);
		long inst = slot_instance(name);
		struct stale_slot *z;

		if (inst < 1 || inst <= instances)
			continue;
		z = stale_find(name, now);
		if (z == NULL)
			continue;
		z->seen = true;
		if (now - z->since >= MONITOR_SLOT_GRACE_MS) {
			drop_slot(z, inst, instances);
			z->seen = false;
		}
	}
	PQclear(r);
	for (size_t i = 0; i < mon.nstale; i++)
		if (mon.stale[i].seen)
			mon.stale[keep++] = mon.stale[i];
	mon.nstale = keep;
}

/* A standby that does not stream: make sure its slot exists on the
 * primary (it may have been dropped while this replica was away, e.g.
 * scaled down and up again with its volume kept). Only slots pgpod names;
 * the connection is postgres' own primary_conninfo. */
static void
slot_of_standby(void)
{
	bool timed_out, existed;
	PGresult *r = pgconn_query_deadline(mon.conn,
		"SELECT current_setting('primary_conninfo'), current_setting('primary_slot_name')",
		MONITOR_DEADLINE_MS, &timed_out);
	char slot[64];
	struct conninfo c = { 0 };
	PGconn *p;

	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1
	    || strncmp(PQgetvalue(r, 0, 1), "pgpod_", 6) != 0 || !PQgetvalue(r, 0, 0)[0]) {
		PQclear(r);
		return;
	}
	snprintf(slot, sizeof(slot), "%s", PQgetvalue(r, 0, 1));
	conninfo_put_text(&c, PQgetvalue(r, 0, 0));
	PQclear(r);
	conninfo_add(&c, "connect_timeout", MONITOR_SLOT_CONNECT);
	conninfo_add(&c, "replication", "true");
	p = PQconnectdb(c.text);
	conninfo_free(&c);
	/* said once (a warning), then at debug level until it works again */
	if (PQstatus(p) != CONNECTION_OK) {
		char msg[PGCONN_ERR_MAX];

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(p));
		msg[strcspn(msg, "\n")] = '\0';
		log_msg(mon.slot_warned ? LOG_DEBUG : LOG_WARN, "pgpod", "this standby does not stream, "
			"and its slot \"%s\" on the primary cannot be checked: %s", slot, msg);
		mon.slot_warned = true;
	} else if (upstream_create_slot(p, "primary", slot, mon.slot_warned ? LOG_DEBUG : LOG_WARN,
					&existed)) {
		if (!existed)
			log_warn("this standby's replication slot \"%s\" was missing on the primary: "
				 "created it again (WAL the standby still needs may be gone; if it "
				 "does not catch up, clone it again)", slot);
		mon.slot_warned = false;
	} else {
		mon.slot_warned = true;
	}
	PQfinish(p);
}

/* Called with mon.lock held; the SQL runs without it. */
static void
monitor_slots(const struct status *st)
{
	long long now = mono_ms();
	int instances = mon.instances;
	bool standby = st->in_recovery;

	if (!standby || st->streaming)
		mon.not_streaming_since = 0;
	else if (mon.not_streaming_since == 0)
		mon.not_streaming_since = now;
	if (now < mon.slots_at
	    || (standby && (mon.not_streaming_since == 0
			    || now - mon.not_streaming_since < MONITOR_SLOT_WAIT_MS))
	    || (!standby && (instances < 1 || !mon.pod_prefix[0])))
		return;
	mon.slots_at = now + MONITOR_SLOTS_MS;
	pthread_mutex_unlock(&mon.lock);
	if (standby)
		slot_of_standby();
	else
		slots_of_primary(instances, now);
	pthread_mutex_lock(&mon.lock);
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
		up = !mon.released && st.postmaster_alive && (strcmp(st.pid_status, "ready") == 0
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
			if (mon.conn != NULL)
				monitor_managed(&st);
			if (st.sql_ok && mon.conn != NULL)
				monitor_slots(&st);
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
	int rc;

	mon.set = set;
	mon.stop = false;
	(void) identity_pod_prefix(set, mon.pod_prefix, sizeof(mon.pod_prefix));
	rc = pthread_create(&mon.thread, NULL, monitor_main, NULL);
	if (rc != 0) {
		log_error("cannot start the status thread: %s", strerror(rc));
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
monitor_set_managed(struct managed_state *m)
{
	pthread_mutex_lock(&mon.lock);
	managed_free(mon.managed_next);
	mon.managed_next = m;
	mon.managed_new = true;
	mon.nudged = true;
	pthread_cond_signal(&mon.cond);
	pthread_mutex_unlock(&mon.lock);
}

void
monitor_release(void)
{
	pthread_mutex_lock(&mon.lock);
	mon.released = true;
	mon.nudged = true;
	pthread_cond_signal(&mon.cond);
	pthread_mutex_unlock(&mon.lock);
}

void
monitor_set_instances(int instances)
{
	pthread_mutex_lock(&mon.lock);
	mon.instances = instances;
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
	managed_free(mon.managed);
	managed_free(mon.managed_next);
	mon.managed = mon.managed_next = NULL;
	mon.managed_new = false;
	free(mon.items);
	mon.items = NULL;
	mon.nitems = 0;
}
