/*
 * render.c — /pg/status and /metrics from a status copy (see render.h).
 */
#include "render.h"

#include <json-c/json.h>
#include <libpq-fe.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/*
 * A JSON document under construction. json-c answers NULL when it runs out
 * of memory: the document is then marked failed, and rendered as NULL
 * (http.c answers 500), rather than served with values silently null.
 */
struct render_doc {
	bool oom;
};

/* v, which must exist: NULL means json-c ran out of memory. */
static struct json_object *
need(struct render_doc *d, struct json_object *v)
{
	if (v == NULL)
		d->oom = true;
	return v;
}

/* Add key: v to o; v NULL is a JSON null. */
static void
add(struct render_doc *d, struct json_object *o, const char *key, struct json_object *v)
{
	if (o == NULL || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		d->oom = true;
	}
}

static struct json_object *
str_or_null(struct render_doc *d, const char *s)
{
	return s != NULL && *s ? need(d, json_object_new_string(s)) : NULL;
}

/* Seconds as a JSON number with 3 decimals ("1.370", not
 * "1.3700000000000001"). */
static struct json_object *
seconds(struct render_doc *d, double s)
{
	char text[400];

	if (!isfinite(s))	/* "%.3f" would print "inf" */
		return need(d, json_object_new_double(s));
	snprintf(text, sizeof(text), "%.3f", s);
	return need(d, json_object_new_double_s(s, text));
}

/* The document's text (caller frees), or NULL when anything failed; o is
 * released. */
static char *
render_text(struct render_doc *d, struct json_object *o, const char *what)
{
	const char *text = NULL;
	char *out = NULL;

	if (!d->oom && o != NULL)
		text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN
						      | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text != NULL)
		out = strdup(text);
	json_object_put(o);
	if (out == NULL)
		log_error("cannot render %s: out of memory", what);
	return out;
}

static void
rfc3339(double t, char *buf, size_t cap)
{
	time_t secs = (time_t) t;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static struct json_object *
bootstrap_json(struct render_doc *d, const struct status *st)
{
	struct json_object *o;

	if (st->boot_method[0] == '\0')
		return NULL;
	o = need(d, json_object_new_object());
	add(d, o, "method", need(d, json_object_new_string(st->boot_method)));
	add(d, o, "finishedAt", str_or_null(d, st->boot_finished_at));
	add(d, o, "durationSeconds", st->boot_duration_s >= 0
	    ? seconds(d, st->boot_duration_s) : NULL);
	return o;
}

/* The supervisor's side: phase, probes, the postmaster. */
static void
status_supervisor_json(struct render_doc *d, struct json_object *o, const struct status *st)
{
	long long now = mono_ms();
	char when[40], reason[256];

	add(d, o, "pgpodVersion", need(d, json_object_new_string(PGPOD_VERSION)));
	add(d, o, "pod", need(d, json_object_new_string(st->pod)));
	add(d, o, "phase", need(d, json_object_new_string(status_phase_name(st->phase))));
	add(d, o, "phaseCode", need(d, json_object_new_int((int) st->phase)));
	add(d, o, "live", need(d, json_object_new_boolean(
		status_probe(st, PROBE_LIVENESS, now, reason, sizeof(reason)) == 200)));
	add(d, o, "started", need(d, json_object_new_boolean(
		status_probe(st, PROBE_STARTUP, now, reason, sizeof(reason)) == 200)));
	add(d, o, "ready", need(d, json_object_new_boolean(
		status_probe(st, PROBE_READINESS, now, reason, sizeof(reason)) == 200)));
	add(d, o, "postmasterPid", st->postmaster_pid > 0
	    ? need(d, json_object_new_int((int) st->postmaster_pid)) : NULL);
	if (st->postmaster_start_time > 0)
		rfc3339(st->postmaster_start_time, when, sizeof(when));
	add(d, o, "postmasterStartTime",
	    st->postmaster_start_time > 0 ? need(d, json_object_new_string(when)) : NULL);
	add(d, o, "postmasterStatus", str_or_null(d, st->pid_status));
	add(d, o, "restarts", need(d, json_object_new_int(st->restarts)));
	add(d, o, "lastExit", str_or_null(d, st->last_exit));
}

/* What the monitor learnt over SQL (null when the last query failed). */
static void
status_sql_json(struct render_doc *d, struct json_object *o, const struct status *st)
{
	struct json_object *params = need(d, json_object_new_array());
	char list[sizeof(st->pending_restart)];
	bool sql = st->sql_ok;

	snprintf(list, sizeof(list), "%s", st->pending_restart);
	for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		struct json_object *v = need(d, json_object_new_string(p));

		if (params == NULL || json_object_array_add(params, v) != 0) {
			json_object_put(v);
			d->oom = true;
		}
	}
	add(d, o, "isPrimary", sql ? need(d, json_object_new_boolean(!st->in_recovery)) : NULL);
	add(d, o, "inRecovery", sql ? need(d, json_object_new_boolean(st->in_recovery)) : NULL);
	add(d, o, "timeline", sql && st->timeline > 0 ? need(d, json_object_new_int(st->timeline)) : NULL);
	add(d, o, "systemId", sql ? str_or_null(d, st->system_id) : NULL);
	add(d, o, "currentLsn", sql ? str_or_null(d, st->current_lsn) : NULL);
	add(d, o, "receivedLsn", sql ? str_or_null(d, st->received_lsn) : NULL);
	add(d, o, "replayLsn", sql ? str_or_null(d, st->replay_lsn) : NULL);
	add(d, o, "replayLagBytes", sql && st->replay_lag_bytes >= 0
	    ? need(d, json_object_new_int64(st->replay_lag_bytes)) : NULL);
	add(d, o, "archiveLagBytes", sql && st->in_recovery && st->archive_fed
	    && st->archive_lag_bytes >= 0 ? need(d, json_object_new_int64(st->archive_lag_bytes))
	    : NULL);
	add(d, o, "streaming", sql && st->in_recovery
	    ? need(d, json_object_new_boolean(st->streaming)) : NULL);
	add(d, o, "pendingRestart", sql
	    ? need(d, json_object_new_boolean(st->pending_restart[0] != '\0')) : NULL);
	add(d, o, "pendingRestartParameters", params);
	add(d, o, "serverVersion", sql ? str_or_null(d, st->server_version) : NULL);
}

/* A Unix time as RFC 3339, or null for 0 (never). */
static struct json_object *
time_or_null(struct render_doc *d, double t)
{
	char when[40];

	if (t <= 0)
		return NULL;
	rfc3339(t, when, sizeof(when));
	return need(d, json_object_new_string(when));
}

/* pg_stat_archiver: failures show here and in /metrics, never in /readyz. */
static struct json_object *
archive_json(struct render_doc *d, const struct status *st)
{
	struct json_object *o;

	if (!st->sql_ok)
		return NULL;
	o = need(d, json_object_new_object());
	add(d, o, "enabled", need(d, json_object_new_boolean(st->archive_on)));
	add(d, o, "archivedCount", need(d, json_object_new_int64(st->archived_count)));
	add(d, o, "failedCount", need(d, json_object_new_int64(st->archive_failed_count)));
	add(d, o, "lastArchivedWal", str_or_null(d, st->last_archived_wal));
	add(d, o, "lastArchivedTime", time_or_null(d, st->last_archived_time));
	add(d, o, "lastFailedWal", str_or_null(d, st->last_failed_wal));
	add(d, o, "lastFailedTime", time_or_null(d, st->last_failed_time));
	return o;
}

/* The backup tool, pgBackRest's stanza, a running backup, the last one. */
static struct json_object *
backups_json(struct render_doc *d, const struct status *st)
{
	struct json_object *o, *last = NULL;

	if (st->backup_tool[0] == '\0')
		return NULL;
	o = need(d, json_object_new_object());
	if (st->repo_stanza[0] != '\0')
		add(d, o, "stanza", need(d, json_object_new_string(st->repo_stanza)));
	add(d, o, "running", str_or_null(d, st->backup_running));
	if (st->last_backup_end > 0) {
		last = need(d, json_object_new_object());
		add(d, last, "label", str_or_null(d, st->last_backup_label));
		add(d, last, "type", str_or_null(d, st->last_backup_type));
		add(d, last, "succeeded", need(d, json_object_new_boolean(st->last_backup_ok)));
		add(d, last, "finishedAt", time_or_null(d, st->last_backup_end));
		add(d, last, "durationSeconds", seconds(d, st->last_backup_duration_s));
	}
	add(d, o, "lastBackup", last);
	add(d, o, "lastSuccessAt", time_or_null(d, st->last_backup_success));
	add(d, o, "tool", need(d, json_object_new_string(st->backup_tool)));
	return o;
}

/* Managed roles and databases: each with its state and, failed, why. */
static struct json_object *
managed_json(struct render_doc *d, const struct status *st)
{
	struct json_object *o, *roles, *dbs;

	if (st->managed_n == 0)
		return NULL;
	o = need(d, json_object_new_object());
	roles = need(d, json_object_new_array());
	dbs = need(d, json_object_new_array());
	for (int i = 0; i < st->managed_n && i < STATUS_MANAGED_MAX; i++) {
		const struct status_managed *m = &st->managed[i];
		struct json_object *it = need(d, json_object_new_object());

		add(d, it, "name", need(d, json_object_new_string(m->name)));
		add(d, it, "state", need(d, json_object_new_string(m->state)));
		add(d, it, "error", str_or_null(d, m->error));
		if (it != NULL && json_object_array_add(strcmp(m->kind, "database") == 0 ? dbs : roles,
							it) != 0) {
			json_object_put(it);
			d->oom = true;
		}
	}
	add(d, o, "roles", roles);
	add(d, o, "databases", dbs);
	add(d, o, "failures", need(d, json_object_new_int(st->managed_failures)));
	add(d, o, "notShown", need(d, json_object_new_int(st->managed_more)));
	add(d, o, "reconciledAt", time_or_null(d, st->managed_at));
	return o;
}

char *
render_status_json(const struct status *st)
{
	struct render_doc d = { false };
	struct json_object *o = need(&d, json_object_new_object());

	status_supervisor_json(&d, o, st);
	status_sql_json(&d, o, st);
	add(&d, o, "bootstrap", bootstrap_json(&d, st));
	add(&d, o, "configHash", str_or_null(&d, st->config_hash));
	add(&d, o, "dataDirectory", need(&d, json_object_new_string(st->data_directory)));
	add(&d, o, "failure", str_or_null(&d, st->failure));
	/* added later: after the keys that were there first */
	add(&d, o, "archive", archive_json(&d, st));
	add(&d, o, "backups", backups_json(&d, st));
	add(&d, o, "managed", managed_json(&d, st));
	return render_text(&d, o, "/pg/status");
}

/* ---- Prometheus text format 0.0.4 ---- */

struct text {
	char  *data;
	size_t len;
	size_t cap;
	bool   failed;
};

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->data ? t->data + t->len : NULL, t->data ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if (t->data != NULL && (size_t) n < t->cap - t->len) {
			t->len += (size_t) n;
			return;
		}
		{
			size_t cap = t->cap * 2 + (size_t) n + 256;
			char *d = realloc(t->data, cap);

			if (d == NULL) {
				t->failed = true;
				return;
			}
			t->data = d;
			t->cap = cap;
		}
	}
}

static void
family(struct text *t, const char *name, const char *type, const char *help)
{
	text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped as the format requires. */
static void
label_escape(const char *v, char *out, size_t cap)
{
	size_t n = 0;

	for (; *v && n + 3 < cap; v++) {
		if (*v == '\\' || *v == '"') {
			out[n++] = '\\';
			out[n++] = *v;
		} else if (*v == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *v;
		}
	}
	out[n] = '\0';
}

/* What the status query told (postgres answered). */
static void
render_sql_metrics(struct text *t, const struct status *st)
{
	if (!st->sql_ok)
		return;
	family(t, "pgpod_in_recovery", "gauge", "1 when postgres is a standby (in recovery)");
	text_printf(t, "pgpod_in_recovery %d\n", st->in_recovery ? 1 : 0);
	family(t, "pgpod_pending_restart", "gauge",
	       "1 when a changed parameter waits for a restart");
	text_printf(t, "pgpod_pending_restart %d\n", st->pending_restart[0] ? 1 : 0);
	if (st->replay_lag_bytes >= 0) {
		family(t, "pgpod_replay_lag_bytes", "gauge",
		       "Standby: WAL received but not yet replayed, in bytes");
		text_printf(t, "pgpod_replay_lag_bytes %lld\n", st->replay_lag_bytes);
	}
	if (st->in_recovery && st->archive_fed && st->archive_lag_bytes >= 0) {
		family(t, "pgpod_archive_lag_bytes", "gauge", "Standby fed from a WAL "
		       "archive: bytes from the replay to the archive's newest WAL");
		text_printf(t, "pgpod_archive_lag_bytes %lld\n", st->archive_lag_bytes);
	}
}

/* The WAL archive and pgBackRest's backups. */
static void
render_archive_metrics(struct text *t, const struct status *st)
{
	if (st->sql_ok && st->archive_on) {
		family(t, "pgpod_archive_archived_total", "counter", "WAL files archived (pg_stat_archiver)");
		text_printf(t, "pgpod_archive_archived_total %lld\n", st->archived_count);
		family(t, "pgpod_archive_failed_total", "counter",
		       "Failed attempts to archive a WAL file (pg_stat_archiver)");
		text_printf(t, "pgpod_archive_failed_total %lld\n", st->archive_failed_count);
		family(t, "pgpod_archive_last_success_timestamp_seconds", "gauge",
		       "Unix time of the last WAL file archived; 0 none yet");
		text_printf(t, "pgpod_archive_last_success_timestamp_seconds %.3f\n",
			    st->last_archived_time);
		family(t, "pgpod_archive_last_failure_timestamp_seconds", "gauge",
		       "Unix time of the last failed archive attempt; 0 none");
		text_printf(t, "pgpod_archive_last_failure_timestamp_seconds %.3f\n",
			    st->last_failed_time);
	}
	if (st->backup_tool[0] == '\0')
		return;
	family(t, "pgpod_backup_running", "gauge", "1 while a backup (pgBackRest, Barman Cloud) runs");
	text_printf(t, "pgpod_backup_running %d\n", st->backup_running[0] ? 1 : 0);
	family(t, "pgpod_backup_last_success_timestamp_seconds", "gauge",
	       "Unix time the last successful backup ended; 0 none since pgpod started");
	text_printf(t, "pgpod_backup_last_success_timestamp_seconds %.0f\n", st->last_backup_success);
}

char *
render_metrics(const struct status *st)
{
	struct text t = { 0 };
	char version[64], libpq[32], ssl[96];
	int pqv = PQlibVersion();

	family(&t, "pgpod_up", "gauge", "1 while pgpod answers");
	text_printf(&t, "pgpod_up 1\n");
	family(&t, "pgpod_phase", "gauge", "Supervisor phase: 0 stopped, 1 bootstrapping, "
	       "2 starting, 3 running, 4 restarting, 5 stopping, 6 failed, 7 restoring");
	text_printf(&t, "pgpod_phase %d\n", (int) st->phase);
	family(&t, "pgpod_postgres_up", "gauge", "1 while the postmaster is alive");
	text_printf(&t, "pgpod_postgres_up %d\n", st->postmaster_alive ? 1 : 0);
	family(&t, "pgpod_postgres_restarts_total", "counter",
	       "In-place restarts of postgres after it died");
	text_printf(&t, "pgpod_postgres_restarts_total %d\n", st->restarts);
	if (st->postmaster_start_time > 0) {
		family(&t, "pgpod_postmaster_start_time_seconds", "gauge",
		       "Unix time the running postmaster was started");
		text_printf(&t, "pgpod_postmaster_start_time_seconds %.0f\n", st->postmaster_start_time);
	}
	if (st->boot_duration_s >= 0) {
		family(&t, "pgpod_bootstrap_duration_seconds", "gauge",
		       "How long the bootstrap of PGDATA took");
		text_printf(&t, "pgpod_bootstrap_duration_seconds %.3f\n", st->boot_duration_s);
	}
	render_sql_metrics(&t, st);
	render_archive_metrics(&t, st);
	if (st->managed_n > 0) {
		family(&t, "pgpod_managed_failures", "gauge", "Managed roles and databases whose last "
		       "reconcile failed");
		text_printf(&t, "pgpod_managed_failures %d\n", st->managed_failures);
	}
	family(&t, "pgpod_http_requests_total", "counter", "HTTP requests served, by path and code");
	for (int p = 0; p < SPATH_COUNT; p++)
		for (int c = 0; c < SCODE_COUNT; c++)
			if (st->requests[p][c] > 0)
				text_printf(&t, "pgpod_http_requests_total{path=\"%s\",code=\"%s\"} %llu\n",
					    status_path_name((enum status_path) p),
					    status_code_name((enum status_code) c), st->requests[p][c]);
	label_escape(PGPOD_VERSION, version, sizeof(version));
	snprintf(libpq, sizeof(libpq), "%d.%d", pqv / 10000, pqv % 100);
	label_escape(OpenSSL_version(OPENSSL_VERSION), ssl, sizeof(ssl));
	family(&t, "pgpod_build_info", "gauge", "pgpod's version and the libraries it runs with");
	text_printf(&t, "pgpod_build_info{version=\"%s\",libpq=\"%s\",openssl=\"%s\"} 1\n", version,
		    libpq, ssl);
	if (t.failed) {
		free(t.data);
		return NULL;
	}
	return t.data;
}

char *
render_probe(int code, const char *reason)
{
	struct render_doc d = { false };
	struct json_object *o = need(&d, json_object_new_object());

	add(&d, o, "status", need(&d, json_object_new_string(code == 200 ? "ok" : "fail")));
	add(&d, o, "reason", need(&d, json_object_new_string(reason)));
	return render_text(&d, o, "a probe's answer");
}
