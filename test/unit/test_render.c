/*
 * test_render.c — cmocka tests for the documents of probes/render.c: the
 * /pg/status JSON (what `pgpod status` prints too: its keys and their
 * order, durationSeconds with 3 decimals), a probe's answer and the
 * bootstrap duration in /metrics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "probes/render.h"

static void
status_fill(struct status *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->pod, sizeof(st->pod), "db-1");
	snprintf(st->data_directory, sizeof(st->data_directory), "/pg/data");
	st->phase = PHASE_RUNNING;
	st->postmaster_pid = 42;
	st->postmaster_alive = true;
	st->postmaster_start_time = 1700000000;
	snprintf(st->pid_status, sizeof(st->pid_status), "ready");
	snprintf(st->boot_method, sizeof(st->boot_method), "initdb");
	snprintf(st->boot_finished_at, sizeof(st->boot_finished_at), "2026-01-01T00:00:00Z");
	st->boot_duration_s = 1.37;
	st->sql_ok = true;
	st->in_recovery = true;
	st->timeline = 3;
	st->replay_lag_bytes = -1;
	snprintf(st->pending_restart, sizeof(st->pending_restart), "shared_buffers,max_connections");
}

/* The document rendered for st, with its bootstrap duration set to s. */
static char *
render_with_duration(double s)
{
	struct status st;

	status_fill(&st);
	st.boot_duration_s = s;
	return render_status_json(&st);
}

static void
test_duration_three_decimals(void **state)
{
	char *doc;

	(void) state;
	doc = render_with_duration(1.37);
	assert_non_null(doc);
	assert_non_null(strstr(doc, "\"durationSeconds\":1.370}"));
	free(doc);
}

static void
test_duration_other_values(void **state)
{
	static const struct {
		double      s;
		const char *text;
	} cases[] = {
		{ 0, "\"durationSeconds\":0.000}" },
		{ 0.1, "\"durationSeconds\":0.100}" },
		{ 12.3456, "\"durationSeconds\":12.346}" },
		{ 3600, "\"durationSeconds\":3600.000}" },
		{ -1, "\"durationSeconds\":null}" },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *doc = render_with_duration(cases[i].s);

		assert_non_null(doc);
		if (strstr(doc, cases[i].text) == NULL)
			fail_msg("%g: want %s in %s", cases[i].s, cases[i].text, doc);
		free(doc);
	}
}

/* Still a JSON number, read back as the value rendered. */
static void
test_duration_is_a_number(void **state)
{
	struct json_object *o, *boot, *d;
	char *doc;

	(void) state;
	doc = render_with_duration(1.37);
	assert_non_null(doc);
	o = json_tokener_parse(doc);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "bootstrap", &boot));
	assert_true(json_object_object_get_ex(boot, "durationSeconds", &d));
	assert_int_equal(json_object_get_type(d), json_type_double);
	assert_true(fabs(json_object_get_double(d) - 1.37) < 1e-9);
	json_object_put(o);
	free(doc);
}

/* The keys of /pg/status and their order are part of the interface. */
static void
test_status_keys_in_order(void **state)
{
	static const char *const keys[] = {
		"pgpodVersion", "pod", "phase", "phaseCode", "live", "started", "ready",
		"postmasterPid", "postmasterStartTime", "postmasterStatus", "restarts", "lastExit",
		"isPrimary", "inRecovery", "timeline", "systemId", "currentLsn", "receivedLsn",
		"replayLsn", "replayLagBytes", "archiveLagBytes", "streaming", "pendingRestart",
		"pendingRestartParameters", "serverVersion", "bootstrap", "configHash",
		"dataDirectory", "failure", "archive", "backups", "managed",
	};
	struct json_object *o;
	struct status st;
	size_t i = 0;
	char *doc;

	(void) state;
	status_fill(&st);
	doc = render_status_json(&st);
	assert_non_null(doc);
	o = json_tokener_parse(doc);
	assert_non_null(o);
	json_object_object_foreach(o, k, v) {
		(void) v;
		assert_true(i < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(k, keys[i]);
		i++;
	}
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	assert_non_null(strstr(doc, "\"postmasterStartTime\":\"2023-11-14T22:13:20Z\""));
	assert_non_null(strstr(doc, "\"pendingRestartParameters\":[\"shared_buffers\",\"max_connections\"]"));
	assert_non_null(strstr(doc, "\"inRecovery\":true,\"timeline\":3,"));
	assert_non_null(strstr(doc, "\"replayLagBytes\":null"));
	assert_non_null(strstr(doc, "\"dataDirectory\":\"/pg/data\",\"failure\":null,"));
	json_object_put(o);
	free(doc);
}

/* Without SQL the SQL fields are null; without a marker so is bootstrap. */
static void
test_status_nulls(void **state)
{
	struct status st;
	char *doc;

	(void) state;
	status_fill(&st);
	st.sql_ok = false;
	st.boot_method[0] = '\0';
	doc = render_status_json(&st);
	assert_non_null(doc);
	assert_non_null(strstr(doc, "\"isPrimary\":null,\"inRecovery\":null,\"timeline\":null,"));
	assert_non_null(strstr(doc, "\"bootstrap\":null,"));
	free(doc);
}

static void
test_probe_answer(void **state)
{
	char *doc;

	(void) state;
	doc = render_probe(200, "postgres accepts connections / ready");
	assert_non_null(doc);
	assert_string_equal(doc, "{\"status\":\"ok\",\"reason\":\"postgres accepts connections / ready\"}");
	free(doc);
	doc = render_probe(503, "say \"no\"");
	assert_non_null(doc);
	assert_string_equal(doc, "{\"status\":\"fail\",\"reason\":\"say \\\"no\\\"\"}");
	free(doc);
}

static void
test_metrics_duration(void **state)
{
	struct status st;
	char *text;

	(void) state;
	status_fill(&st);
	text = render_metrics(&st);
	assert_non_null(text);
	assert_non_null(strstr(text, "\npgpod_bootstrap_duration_seconds 1.370\n"));
	free(text);
}

/* A standby fed from an archive shows its lag against the archive. */
static void
test_archive_lag(void **state)
{
	struct status st;
	char *doc, *text;

	(void) state;
	status_fill(&st);
	st.archive_fed = true;
	st.archive_lag_bytes = 4096;
	doc = render_status_json(&st);
	text = render_metrics(&st);
	assert_non_null(strstr(doc, "\"archiveLagBytes\":4096,"));
	assert_non_null(strstr(text, "\npgpod_archive_lag_bytes 4096\n"));
	free(doc);
	free(text);
	st.archive_fed = false;	/* streaming: not shown */
	doc = render_status_json(&st);
	text = render_metrics(&st);
	assert_non_null(strstr(doc, "\"archiveLagBytes\":null,"));
	assert_null(strstr(text, "pgpod_archive_lag_bytes"));
	free(doc);
	free(text);
}

/* Archive failures and backups are reported in /pg/status and /metrics;
 * they never change readiness. */
static void
test_archive_and_backups(void **state)
{
	struct status st;
	char reason[128];
	char *doc, *text;

	(void) state;
	status_fill(&st);
	st.in_recovery = false;
	st.archive_on = true;
	st.archived_count = 7;
	st.archive_failed_count = 3;
	snprintf(st.last_archived_wal, sizeof(st.last_archived_wal), "000000010000000000000007");
	st.last_archived_time = 1700000000.5;
	snprintf(st.last_failed_wal, sizeof(st.last_failed_wal), "000000010000000000000008");
	st.last_failed_time = 1700000100;
	snprintf(st.backup_tool, sizeof(st.backup_tool), "pgbackrest");
	snprintf(st.repo_stanza, sizeof(st.repo_stanza), "ok");
	snprintf(st.last_backup_label, sizeof(st.last_backup_label), "20231114-221320F");
	snprintf(st.last_backup_type, sizeof(st.last_backup_type), "full");
	st.last_backup_ok = true;
	st.last_backup_end = 1700000000;
	st.last_backup_duration_s = 2.5;
	st.last_backup_success = 1700000000;
	doc = render_status_json(&st);
	assert_non_null(doc);
	assert_non_null(strstr(doc, "\"archive\":{\"enabled\":true,\"archivedCount\":7,"
			       "\"failedCount\":3,\"lastArchivedWal\":\"000000010000000000000007\","
			       "\"lastArchivedTime\":\"2023-11-14T22:13:20Z\","
			       "\"lastFailedWal\":\"000000010000000000000008\","
			       "\"lastFailedTime\":\"2023-11-14T22:15:00Z\"}"));
	assert_non_null(strstr(doc, "\"backups\":{\"stanza\":\"ok\",\"running\":null,"
			       "\"lastBackup\":{\"label\":\"20231114-221320F\",\"type\":\"full\","
			       "\"succeeded\":true,\"finishedAt\":\"2023-11-14T22:13:20Z\","
			       "\"durationSeconds\":2.500}"));
	assert_non_null(strstr(doc, ",\"tool\":\"pgbackrest\"}"));
	free(doc);
	/* Barman Cloud: no stanza */
	snprintf(st.backup_tool, sizeof(st.backup_tool), "barman-cloud");
	st.repo_stanza[0] = '\0';
	doc = render_status_json(&st);
	assert_non_null(strstr(doc, "\"backups\":{\"running\":null,\"lastBackup\":"));
	assert_non_null(strstr(doc, ",\"tool\":\"barman-cloud\"}"));
	free(doc);
	snprintf(st.backup_tool, sizeof(st.backup_tool), "pgbackrest");
	snprintf(st.repo_stanza, sizeof(st.repo_stanza), "ok");
	text = render_metrics(&st);
	assert_non_null(text);
	assert_non_null(strstr(text, "\npgpod_archive_failed_total 3\n"));
	assert_non_null(strstr(text, "\npgpod_archive_archived_total 7\n"));
	assert_non_null(strstr(text, "\npgpod_archive_last_success_timestamp_seconds 1700000000.500\n"));
	assert_non_null(strstr(text, "\npgpod_backup_running 0\n"));
	assert_non_null(strstr(text, "\npgpod_backup_last_success_timestamp_seconds 1700000000\n"));
	free(text);
	st.phase = PHASE_RUNNING;
	snprintf(st.pid_status, sizeof(st.pid_status), "ready");
	st.sql_at_ms = mono_ms();
	st.last_tick_ms = mono_ms();
	st.ping = 1;
	assert_int_equal(status_probe(&st, PROBE_READINESS, mono_ms(), reason, sizeof(reason)), 200);
	/* no repositories: no backups document, no backup metrics */
	st.repo_stanza[0] = '\0';
	st.backup_tool[0] = '\0';
	doc = render_status_json(&st);
	assert_non_null(strstr(doc, "\"backups\":null,"));
	free(doc);
}

/* Managed roles and databases: each with its state and error, the count
 * of failures in /pg/status and /metrics; null and no metric without any. */
static void
test_managed(void **state)
{
	struct status st;
	char *doc, *text;

	(void) state;
	status_fill(&st);
	doc = render_status_json(&st);
	assert_non_null(strstr(doc, "\"managed\":null}"));
	free(doc);
	text = render_metrics(&st);
	assert_null(strstr(text, "pgpod_managed_failures"));
	free(text);
	st.managed_n = 3;
	st.managed[0] = (struct status_managed) { "role", "dante", "reconciled", "" };
	st.managed[1] = (struct status_managed) { "role", "hoarder", "failed", "it owns 1 object" };
	st.managed[2] = (struct status_managed) { "database", "one", "pending", "" };
	st.managed_failures = 1;
	st.managed_at = 1700000000;
	doc = render_status_json(&st);
	assert_non_null(strstr(doc, "\"managed\":{\"roles\":[{\"name\":\"dante\",\"state\":"
			       "\"reconciled\",\"error\":null},{\"name\":\"hoarder\",\"state\":"
			       "\"failed\",\"error\":\"it owns 1 object\"}],\"databases\":[{\"name\":"
			       "\"one\",\"state\":\"pending\",\"error\":null}],\"failures\":1,"
			       "\"notShown\":0,\"reconciledAt\":\"2023-11-14T22:13:20Z\"}}"));
	free(doc);
	text = render_metrics(&st);
	assert_non_null(strstr(text, "\npgpod_managed_failures 1\n"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_three_decimals),
		cmocka_unit_test(test_duration_other_values),
		cmocka_unit_test(test_duration_is_a_number),
		cmocka_unit_test(test_status_keys_in_order),
		cmocka_unit_test(test_status_nulls),
		cmocka_unit_test(test_probe_answer),
		cmocka_unit_test(test_metrics_duration),
		cmocka_unit_test(test_archive_and_backups),
		cmocka_unit_test(test_archive_lag),
		cmocka_unit_test(test_managed),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
