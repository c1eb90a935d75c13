/*
 * test_guard.c — cmocka tests for the probe port's guard (probes/guard.c):
 * a late request head is dropped whatever trickled in, the oldest waiting
 * connection makes room above the soft cap, one being answered is never
 * dropped, and every connection is dropped at most once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "probes/guard.h"

static int dropped[64];
static size_t ndropped;

static void
record(int fd)
{
	dropped[ndropped++] = fd;
}

static void
test_late_head_dropped_once(void **state)
{
	struct guard g;

	(void) state;
	ndropped = 0;
	guard_init(&g, 3000, 512, record);
	guard_open(&g, 10, 0);
	guard_open(&g, 11, 1000);
	assert_int_equal(guard_sweep(&g, 2999), 0);
	assert_int_equal(guard_sweep(&g, 3000), 1);
	assert_int_equal(dropped[0], 10);
	assert_int_equal(guard_sweep(&g, 3500), 0);	/* once only */
	assert_int_equal(guard_sweep(&g, 4000), 1);
	assert_int_equal(dropped[1], 11);
}

/* Being answered is no waiting; after the answer the deadline starts again. */
static void
test_request_and_keepalive(void **state)
{
	struct guard g;

	(void) state;
	ndropped = 0;
	guard_init(&g, 3000, 512, record);
	guard_open(&g, 20, 0);
	guard_request(&g, 20);
	assert_int_equal(guard_sweep(&g, 10000), 0);
	guard_answered(&g, 20, 10000);
	assert_int_equal(guard_sweep(&g, 12999), 0);
	assert_int_equal(guard_sweep(&g, 13000), 1);
	guard_close(&g, 20);
	assert_int_equal(g.n, 0);
}

/* Above the soft cap, each new connection drops the oldest waiting one;
 * one being answered is passed over. */
static void
test_soft_cap_drops_oldest_waiting(void **state)
{
	struct guard g;

	(void) state;
	ndropped = 0;
	guard_init(&g, 3000, 3, record);
	guard_open(&g, 1, 100);
	guard_open(&g, 2, 200);
	guard_open(&g, 3, 300);
	guard_request(&g, 1);
	assert_int_equal(ndropped, 0);
	guard_open(&g, 4, 400);
	assert_int_equal(ndropped, 1);
	assert_int_equal(dropped[0], 2);
	guard_close(&g, 2);
	guard_open(&g, 5, 500);
	assert_int_equal(ndropped, 2);
	assert_int_equal(dropped[1], 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_late_head_dropped_once),
		cmocka_unit_test(test_request_and_keepalive),
		cmocka_unit_test(test_soft_cap_drops_oldest_waiting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
