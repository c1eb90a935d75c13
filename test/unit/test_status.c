/*
 * test_status.c — cmocka tests for the probe decisions (lib/status.c) and
 * the documents served over HTTP (probes/render.c), fed with hand-made
 * status copies: what /healthz, /startupz and /readyz answer in every
 * phase, the standby lag limit, and the shape of /pg/status and /metrics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "probes/render.h"

#define NOW 1000000LL
#define MiB (1024LL * 1024)

/* A primary that is up and answered the last status query. */
static void
running_primary(struct status *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->pod, sizeof(st->pod), "pod-1");
	snprintf(st->data_directory, sizeof(st->data_directory), "/data/pgdata");
	st->max_lag_bytes = 16 * MiB;
	st->phase = PHASE_RUNNING;
	st->last_tick_ms = NOW - 100;
	st->postmaster_pid = 42;
	st->postmaster_alive = true;
	st->postmaster_start_time = 1764633600;	/* 2025-12-02T00:00:00Z */
	snprintf(st->pid_status, sizeof(st->pid_status), "ready");
	st->boot_duration_s = -1;
	st->sql_ok = true;
	st->sql_at_ms = NOW - 500;
	st->timeline = 1;
	snprintf(st->system_id, sizeof(st->system_id), "7300000000000000001");
	snprintf(st->current_lsn, sizeof(st->current_lsn), "0/3000060");
	st->replay_lag_bytes = -1;
	snprintf(st->server_version, sizeof(st->server_version), "15.18");
}

/* A hot standby streaming with a small lag. */
static void
streaming_standby(struct status *st)
{
	running_primary(st);
	snprintf(st->pid_status, sizeof(st->pid_status), "standby");
	st->in_recovery = true;
	st->streaming = true;
	st->current_lsn[0] = '\0';
	snprintf(st->received_lsn, sizeof(st->received_lsn), "0/3000060");
	snprintf(st->replay_lsn, sizeof(st->replay_lsn), "0/3000000");
	st->replay_lag_bytes = 96;
}

static int
probe(const struct status *st, enum status_probe p)
{
	char reason[256];

	return status_probe(st, p, NOW, reason, sizeof(reason));
}

static void
assert_probe_reason(const struct status *st, enum status_probe p, int code, const char *needle)
{
	char reason[256];

	assert_int_equal(status_probe(st, p, NOW, reason, sizeof(reason)), code);
	if (strstr(reason, needle) == NULL)
		fail_msg("reason \"%s\" does not mention \"%s\"", reason, needle);
}

static void
test_running_primary_is_live_started_ready(void **state)
{
	struct status st;

	(void) state;
	running_primary(&st);
	assert_int_equal(probe(&st, PROBE_LIVENESS), 200);
	assert_int_equal(probe(&st, PROBE_STARTUP), 200);
	assert_probe_reason(&st, PROBE_READINESS, 200, "accepting connections");
}

/* A long bootstrap: live, neither started nor ready. */
static void
test_bootstrapping(void **state)
{
	struct status st;

	(void) state;
	running_primary(&st);
	st.phase = PHASE_BOOTSTRAPPING;
	st.postmaster_alive = false;
	st.postmaster_pid = 0;
	st.pid_status[0] = '\0';
	st.sql_ok = false;
	assert_probe_reason(&st, PROBE_LIVENESS, 200, "bootstrapping");
	assert_probe_reason(&st, PROBE_STARTUP, 503, "not running");
	assert_probe_reason(&st, PROBE_READINESS, 503, "bootstrapping");
}

/* The postmaster died: not ready at once (whatever the last query said),
 * still live while it restarts. */
static void
test_dead_postmaster(void **state)
{
	struct status st;

	(void) state;
	running_primary(&st);
	st.postmaster_alive = false;
	st.phase = PHASE_RESTARTING;
	assert_int_equal(probe(&st, PROBE_LIVENESS), 200);
	assert_int_equal(probe(&st, PROBE_STARTUP), 503);
	assert_probe_reason(&st, PROBE_READINESS, 503, "restarting");
}

/* Crash recovery: the postmaster answers (rejecting), so it has started,
 * but it is not ready. Before postmaster.pid has a status, not started. */
static void
test_starting(void **state)
{
	struct status st;

	(void) state;
	running_primary(&st);
	st.phase = PHASE_STARTING;
	snprintf(st.pid_status, sizeof(st.pid_status), "starting");
	assert_int_equal(probe(&st, PROBE_STARTUP), 200);
	assert_int_equal(probe(&st, PROBE_READINESS), 503);
	st.pid_status[0] = '\0';
	assert_int_equal(probe(&st, PROBE_STARTUP), 503);
	snprintf(st.pid_status, sizeof(st.pid_status), "stopping");
	st.phase = PHASE_STOPPING;
	assert_int_equal(probe(&st, PROBE_STARTUP), 503);
	assert_int_equal(probe(&st, PROBE_READINESS), 503);
}

/* A primary that stops answering the status queries (hung) turns unready
 * once the failures last STATUS_SQL_GRACE_MS; it stays live. */
static void
test_primary_not_answering(void **state)
{
	struct status st;

	(void) state;
	running_primary(&st);
	st.sql_ok = false;
	st.sql_failing_since_ms = NOW - STATUS_SQL_GRACE_MS + 1;
	assert_int_equal(probe(&st, PROBE_READINESS), 200);
	st.sql_failing_since_ms = NOW - STATUS_SQL_GRACE_MS;
	assert_probe_reason(&st, PROBE_READINESS, 503, "has not answered a query");
	assert_int_equal(probe(&st, PROBE_LIVENESS), 200);
	assert_int_equal(probe(&st, PROBE_STARTUP), 200);
}

/* A loop that stopped ticking is not live. */
static void
test_stale_tick_not_live(void **state)
{
	struct status st;

	(void) state;
	running_primary(&st);
	st.last_tick_ms = NOW - STATUS_TICK_STALE_MS - 1;
	assert_probe_reason(&st, PROBE_LIVENESS, 503, "has not ticked");
	st.last_tick_ms = NOW - STATUS_TICK_STALE_MS;
	assert_int_equal(probe(&st, PROBE_LIVENESS), 200);
}

static void
test_standby_readiness(void **state)
{
	struct status st;

	(void) state;
	streaming_standby(&st);
	assert_probe_reason(&st, PROBE_READINESS, 200, "lag 96 bytes");
	assert_int_equal(probe(&st, PROBE_STARTUP), 200);
	/* exactly at the limit is ready, one byte more is not */
	st.replay_lag_bytes = 16 * MiB;
	assert_int_equal(probe(&st, PROBE_READINESS), 200);
	st.replay_lag_bytes = 16 * MiB + 1;
	assert_probe_reason(&st, PROBE_READINESS, 503, "exceeds 16777216");
	st.max_lag_bytes = 32 * MiB;
	assert_int_equal(probe(&st, PROBE_READINESS), 200);
	/* not streaming (primary gone) */
	streaming_standby(&st);
	st.streaming = false;
	assert_probe_reason(&st, PROBE_READINESS, 503, "not streaming");
	assert_int_equal(probe(&st, PROBE_LIVENESS), 200);
	/* no recent answer from postgres: unknown is not ready */
	streaming_standby(&st);
	st.sql_at_ms = NOW - STATUS_TICK_STALE_MS - 1;
	assert_probe_reason(&st, PROBE_READINESS, 503, "unknown");
	streaming_standby(&st);
	st.sql_ok = false;
	assert_int_equal(probe(&st, PROBE_READINESS), 503);
	/* PostgreSQL 10+ writes "ready" for a hot standby too: standby.signal
	 * or pg_is_in_recovery() tells, and the standby rules still apply */
	streaming_standby(&st);
	snprintf(st.pid_status, sizeof(st.pid_status), "ready");
	st.streaming = false;
	assert_probe_reason(&st, PROBE_READINESS, 503, "not streaming");
	st.standby_signal = true;
	st.sql_ok = false;
	assert_probe_reason(&st, PROBE_READINESS, 503, "unknown");
	st.sql_ok = true;
	st.streaming = true;
	assert_probe_reason(&st, PROBE_READINESS, 200, "standby streaming");
	/* a standby still short of consistency says "starting" */
	streaming_standby(&st);
	snprintf(st.pid_status, sizeof(st.pid_status), "starting");
	st.phase = PHASE_STARTING;
	assert_int_equal(probe(&st, PROBE_READINESS), 503);
	assert_int_equal(probe(&st, PROBE_STARTUP), 200);
}

/* Phase codes are an interface: they never change. */
static void
test_phase_codes_fixed(void **state)
{
	(void) state;
	assert_int_equal(PHASE_STOPPED, 0);
	assert_int_equal(PHASE_BOOTSTRAPPING, 1);
	assert_int_equal(PHASE_STARTING, 2);
	assert_int_equal(PHASE_RUNNING, 3);
	assert_int_equal(PHASE_RESTARTING, 4);
	assert_int_equal(PHASE_STOPPING, 5);
	assert_int_equal(PHASE_FAILED, 6);
	assert_string_equal(status_phase_name(PHASE_RESTARTING), "restarting");
	assert_string_equal(status_phase_name((enum status_phase) 99), "unknown");
}

static struct json_object *
parse(const char *text)
{
	struct json_object *o;

	assert_non_null(text);
	o = json_tokener_parse(text);
	if (o == NULL)
		fail_msg("not JSON: %s", text);
	return o;
}

static struct json_object *
member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("/pg/status has no \"%s\"", key);
	return v;
}

static void
test_status_json_primary(void **state)
{
	struct status st;
	struct json_object *o;
	char *text;

	(void) state;
	running_primary(&st);
	snprintf(st.boot_method, sizeof(st.boot_method), "initdb");
	snprintf(st.boot_finished_at, sizeof(st.boot_finished_at), "2026-12-02T01:00:00Z");
	st.boot_duration_s = 1.25;
	st.last_tick_ms = mono_ms();	/* the renderer asks the real clock */
	snprintf(st.pending_restart, sizeof(st.pending_restart), "max_connections,shared_buffers");
	text = render_status_json(&st);
	o = parse(text);
	assert_string_equal(json_object_get_string(member(o, "pod")), "pod-1");
	assert_string_equal(json_object_get_string(member(o, "phase")), "running");
	assert_int_equal(json_object_get_int(member(o, "phaseCode")), 3);
	assert_int_equal(json_object_get_int(member(o, "postmasterPid")), 42);
	assert_string_equal(json_object_get_string(member(o, "postmasterStartTime")),
			    "2025-12-02T00:00:00Z");
	assert_true(json_object_get_boolean(member(o, "isPrimary")));
	assert_false(json_object_get_boolean(member(o, "inRecovery")));
	assert_string_equal(json_object_get_string(member(o, "currentLsn")), "0/3000060");
	assert_null(member(o, "replayLagBytes"));
	assert_null(member(o, "receivedLsn"));
	assert_null(member(o, "lastExit"));
	assert_true(json_object_get_boolean(member(o, "pendingRestart")));
	assert_int_equal(json_object_array_length(member(o, "pendingRestartParameters")), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
		member(o, "pendingRestartParameters"), 1)), "shared_buffers");
	assert_string_equal(json_object_get_string(member(member(o, "bootstrap"), "method")), "initdb");
	assert_true(json_object_get_double(member(member(o, "bootstrap"), "durationSeconds")) == 1.25);
	assert_true(json_object_get_boolean(member(o, "ready")));
	json_object_put(o);
	free(text);
}

/* What is not known (postgres down) is null, never stale or made up. */
static void
test_status_json_unknown_is_null(void **state)
{
	static const char *const unknown[] = {
		"postmasterPid", "isPrimary", "inRecovery", "timeline", "systemId", "currentLsn",
		"replayLagBytes", "streaming", "pendingRestart", "serverVersion", "bootstrap",
	};
	struct status st;
	struct json_object *o;
	char *text;

	(void) state;
	running_primary(&st);
	st.phase = PHASE_RESTARTING;
	st.postmaster_alive = false;
	st.postmaster_pid = 0;
	st.sql_ok = false;
	st.restarts = 2;
	st.last_tick_ms = mono_ms();
	snprintf(st.last_exit, sizeof(st.last_exit), "killed by signal 9 (Killed)");
	text = render_status_json(&st);
	o = parse(text);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (member(o, unknown[i]) != NULL)
			fail_msg("%s should be null when postgres is down", unknown[i]);
	assert_int_equal(json_object_get_int(member(o, "restarts")), 2);
	assert_string_equal(json_object_get_string(member(o, "lastExit")),
			    "killed by signal 9 (Killed)");
	assert_false(json_object_get_boolean(member(o, "ready")));
	assert_true(json_object_get_boolean(member(o, "live")));
	json_object_put(o);
	free(text);
}

/* Every line of /metrics is a comment (# HELP / # TYPE) or a sample
 * "name{labels} value"; every family is typed before its samples. */
static void
test_metrics_text(void **state)
{
	struct status st;
	char *text, *save = NULL;
	char typed[64][64];
	size_t ntyped = 0;

	(void) state;
	streaming_standby(&st);
	st.restarts = 3;
	st.boot_duration_s = 2.5;
	st.requests[SPATH_READYZ][SCODE_503] = 7;
	st.requests[SPATH_STATUS][SCODE_200] = 1;
	text = render_metrics(&st);
	assert_non_null(text);
	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	assert_non_null(strstr(text, "\npgpod_postgres_restarts_total 3\n"));
	assert_non_null(strstr(text, "\npgpod_replay_lag_bytes 96\n"));
	assert_non_null(strstr(text, "\npgpod_in_recovery 1\n"));
	assert_non_null(strstr(text, "\npgpod_phase 3\n"));
	assert_non_null(strstr(text, "\npgpod_bootstrap_duration_seconds 2.500\n"));
	assert_non_null(strstr(text, "pgpod_http_requests_total{path=\"/readyz\",code=\"503\"} 7\n"));
	assert_non_null(strstr(text, "pgpod_build_info{version=\""));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		size_t n;
		bool found = false;

		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_true(ntyped < 64);
			assert_int_equal(sscanf(line + 7, "%63s", typed[ntyped]), 1);
			ntyped++;
			continue;
		}
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		n = strcspn(line, "{ ");
		assert_true(n > 0 && n < sizeof(name));
		memcpy(name, line, n);
		name[n] = '\0';
		for (size_t i = 0; i < ntyped; i++)
			found = found || strcmp(typed[i], name) == 0;
		if (!found)
			fail_msg("sample before its # TYPE: %s", line);
		assert_non_null(strrchr(line, ' '));
	}
	free(text);
}

static void
test_probe_body(void **state)
{
	char *text = render_probe(503, "postgres is \"starting\"");
	struct json_object *o = parse(text);

	(void) state;
	assert_string_equal(json_object_get_string(member(o, "status")), "fail");
	assert_string_equal(json_object_get_string(member(o, "reason")), "postgres is \"starting\"");
	json_object_put(o);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running_primary_is_live_started_ready),
		cmocka_unit_test(test_bootstrapping),
		cmocka_unit_test(test_dead_postmaster),
		cmocka_unit_test(test_starting),
		cmocka_unit_test(test_stale_tick_not_live),
		cmocka_unit_test(test_primary_not_answering),
		cmocka_unit_test(test_standby_readiness),
		cmocka_unit_test(test_phase_codes_fixed),
		cmocka_unit_test(test_status_json_primary),
		cmocka_unit_test(test_status_json_unknown_is_null),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_probe_body),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
