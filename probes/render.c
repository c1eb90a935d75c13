/*
 * render.c — /pg/status and /metrics from a status copy (see render.h).
 */
#include "render.h"

#include <json-c/json.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct json_object *
str_or_null(const char *s)
{
	return s != NULL && *s ? json_object_new_string(s) : NULL;
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
bootstrap_json(const struct status *st)
{
	struct json_object *o;

	if (st->boot_method[0] == '\0')
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string(st->boot_method));
	json_object_object_add(o, "finishedAt", str_or_null(st->boot_finished_at));
	json_object_object_add(o, "durationSeconds", st->boot_duration_s >= 0
			       ? json_object_new_double(st->boot_duration_s) : NULL);
	return o;
}

char *
render_status_json(const struct status *st)
{
	struct json_object *o = json_object_new_object();
	struct json_object *params = json_object_new_array();
	long long now = mono_ms();
	char when[40], reason[256], list[sizeof(st->pending_restart)];
	char *out;
	bool sql = st->sql_ok;

	snprintf(list, sizeof(list), "%s", st->pending_restart);
	for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
		json_object_array_add(params, json_object_new_string(p));
	json_object_object_add(o, "pgpodVersion", json_object_new_string(PGPOD_VERSION));
	json_object_object_add(o, "pod", json_object_new_string(st->pod));
	json_object_object_add(o, "phase", json_object_new_string(status_phase_name(st->phase)));
	json_object_object_add(o, "phaseCode", json_object_new_int((int) st->phase));
	json_object_object_add(o, "live", json_object_new_boolean(
		status_probe(st, PROBE_LIVENESS, now, reason, sizeof(reason)) == 200));
	json_object_object_add(o, "started", json_object_new_boolean(
		status_probe(st, PROBE_STARTUP, now, reason, sizeof(reason)) == 200));
	json_object_object_add(o, "ready", json_object_new_boolean(
		status_probe(st, PROBE_READINESS, now, reason, sizeof(reason)) == 200));
	json_object_object_add(o, "postmasterPid", st->postmaster_pid > 0
			       ? json_object_new_int((int) st->postmaster_pid) : NULL);
	if (st->postmaster_start_time > 0)
		rfc3339(st->postmaster_start_time, when, sizeof(when));
	json_object_object_add(o, "postmasterStartTime",
			       st->postmaster_start_time > 0 ? json_object_new_string(when) : NULL);
	json_object_object_add(o, "postmasterStatus", str_or_null(st->pid_status));
	json_object_object_add(o, "restarts", json_object_new_int(st->restarts));
	json_object_object_add(o, "lastExit", str_or_null(st->last_exit));
	json_object_object_add(o, "isPrimary", sql ? json_object_new_boolean(!st->in_recovery) : NULL);
	json_object_object_add(o, "inRecovery", sql ? json_object_new_boolean(st->in_recovery) : NULL);
	json_object_object_add(o, "timeline", sql && st->timeline > 0
			       ? json_object_new_int(st->timeline) : NULL);
	json_object_object_add(o, "systemId", sql ? str_or_null(st->system_id) : NULL);
	json_object_object_add(o, "currentLsn", sql ? str_or_null(st->current_lsn) : NULL);
	json_object_object_add(o, "receivedLsn", sql ? str_or_null(st->received_lsn) : NULL);
	json_object_object_add(o, "replayLsn", sql ? str_or_null(st->replay_lsn) : NULL);
	json_object_object_add(o, "replayLagBytes", sql && st->replay_lag_bytes >= 0
			       ? json_object_new_int64(st->replay_lag_bytes) : NULL);
	json_object_object_add(o, "streaming", sql && st->in_recovery
			       ? json_object_new_boolean(st->streaming) : NULL);
	json_object_object_add(o, "pendingRestart", sql
			       ? json_object_new_boolean(st->pending_restart[0] != '\0') : NULL);
	json_object_object_add(o, "pendingRestartParameters", params);
	json_object_object_add(o, "serverVersion", sql ? str_or_null(st->server_version) : NULL);
	json_object_object_add(o, "bootstrap", bootstrap_json(st));
	json_object_object_add(o, "configHash", str_or_null(st->config_hash));
	json_object_object_add(o, "dataDirectory", json_object_new_string(st->data_directory));
	json_object_object_add(o, "failure", str_or_null(st->failure));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN
						    | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
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

char *
render_metrics(const struct status *st)
{
	struct text t = { 0 };
	char version[64], libpq[32], ssl[96];
	int pqv = PQlibVersion();

	family(&t, "pgpod_up", "gauge", "1 while pgpod answers");
	text_printf(&t, "pgpod_up 1\n");
	family(&t, "pgpod_phase", "gauge", "Supervisor phase: 0 stopped, 1 bootstrapping, "
	       "2 starting, 3 running, 4 restarting, 5 stopping, 6 failed");
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
	if (st->sql_ok) {
		family(&t, "pgpod_in_recovery", "gauge", "1 when postgres is a standby (in recovery)");
		text_printf(&t, "pgpod_in_recovery %d\n", st->in_recovery ? 1 : 0);
		family(&t, "pgpod_pending_restart", "gauge",
		       "1 when a changed parameter waits for a restart");
		text_printf(&t, "pgpod_pending_restart %d\n", st->pending_restart[0] ? 1 : 0);
		if (st->replay_lag_bytes >= 0) {
			family(&t, "pgpod_replay_lag_bytes", "gauge",
			       "Standby: WAL received but not yet replayed, in bytes");
			text_printf(&t, "pgpod_replay_lag_bytes %lld\n", st->replay_lag_bytes);
		}
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
	struct json_object *o = json_object_new_object();
	char *out;

	json_object_object_add(o, "status", json_object_new_string(code == 200 ? "ok" : "fail"));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN
						    | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}
