/*
 * test_recovery.c — cmocka tests for the hot-standby parameters of a
 * recovery (pgdata/recovery.c): pg_controldata's output read into them,
 * and which of them the replay raised, said the way the log says it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "pgdata/recovery.h"

/* The lines of pg_controldata (PostgreSQL 15) around the parameters. */
static const char controldata[] =
	"pg_control version number:            1300\n"
	"Catalog version number:               202209061\n"
	"wal_level setting:                    replica\n"
	"wal_log_hints setting:                off\n"
	"max_connections setting:              150\n"
	"max_worker_processes setting:         8\n"
	"max_wal_senders setting:              10\n"
	"max_prepared_xacts setting:           0\n"
	"max_locks_per_xact setting:           64\n"
	"track_commit_timestamp setting:       off\n";

static void
test_parse_every_parameter(void **state)
{
	struct recovery_hot h;
	const long want[RECOVERY_HOT_N] = { 150, 8, 10, 0, 64 };

	(void) state;
	assert_true(recovery_hot_parse(controldata, &h));
	assert_true(h.known);
	for (size_t i = 0; i < RECOVERY_HOT_N; i++)
		assert_int_equal(h.v[i], want[i]);
	assert_string_equal(recovery_hot_names[3], "max_prepared_transactions");
}

static void
test_parse_nothing_known(void **state)
{
	struct recovery_hot h;

	(void) state;
	assert_false(recovery_hot_parse("pg_controldata: fatal: could not open file\n", &h));
	assert_false(h.known);
	assert_int_equal(h.v[0], 0);
	/* one of them is enough to be known; the others stay 0 */
	assert_true(recovery_hot_parse("max_wal_senders setting:              12\n", &h));
	assert_int_equal(h.v[2], 12);
	assert_int_equal(h.v[0], 0);
}

static void
test_raised_names_each(void **state)
{
	struct recovery_hot before = { { 100, 8, 10, 0, 64 }, true };
	struct recovery_hot now = { { 150, 8, 10, 5, 64 }, true };
	char buf[200];

	(void) state;
	assert_true(recovery_hot_raised(&before, &now, buf, sizeof(buf)));
	assert_string_equal(buf, "max_connections 100 -> 150, max_prepared_transactions 0 -> 5");
	/* lower or equal is not raised: nothing to start again for */
	assert_false(recovery_hot_raised(&now, &before, buf, sizeof(buf)));
	assert_string_equal(buf, "");
	assert_false(recovery_hot_raised(&now, &now, buf, sizeof(buf)));
}

static void
test_raised_small_buffer(void **state)
{
	struct recovery_hot before = { { 1, 1, 1, 1, 1 }, true };
	struct recovery_hot now = { { 1000, 1000, 1000, 1000, 1000 }, true };
	char buf[16];

	(void) state;
	memset(buf, 'x', sizeof(buf));
	assert_true(recovery_hot_raised(&before, &now, buf, sizeof(buf)));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "max_connections", 15);
}

static void
test_time_text(void **state)
{
	char b[64];

	(void) state;
	assert_true(recovery_time_text("2023-08-11T11:14:21Z", b, sizeof(b)));
	assert_string_equal(b, "2023-08-11 11:14:21.000000+00");
	assert_true(recovery_time_text("2021-06-09 14:15:11-04", b, sizeof(b)));
	assert_string_equal(b, "2021-06-09 18:15:11.000000+00");
	assert_true(recovery_time_text("2023-08-11 11:14:21.00000+02", b, sizeof(b)));
	assert_string_equal(b, "2023-08-11 09:14:21.000000+00");
	assert_true(recovery_time_text("2026-12-03 10:50:28.738943+00", b, sizeof(b)));
	assert_string_equal(b, "2026-12-03 10:50:28.738943+00");
	assert_true(recovery_time_text("2026-01-02 03:04:05", b, sizeof(b)));	/* no zone: UTC */
	assert_string_equal(b, "2026-01-02 03:04:05.000000+00");
	assert_false(recovery_time_text("yesterday", b, sizeof(b)));
	assert_false(recovery_time_text(NULL, b, sizeof(b)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_every_parameter),
		cmocka_unit_test(test_parse_nothing_known),
		cmocka_unit_test(test_raised_names_each),
		cmocka_unit_test(test_raised_small_buffer),
		cmocka_unit_test(test_time_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
