/*
 * test_supervisor.c — cmocka tests for the supervisor's pure parts: the
 * restart limiter, the stop steps, the phase transition table, the reload
 * plan and the background task runner.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inputs.h"
#include "spec.h"
#include "status.h"
#include "supervisor/phase.h"
#include "supervisor/reload.h"
#include "supervisor/restart.h"
#include "supervisor/stop.h"
#include "supervisor/task.h"

/* ---- restart limiter ---- */

/* At most max restarts within the window; the (max+1)th death is refused. */
static void
test_restart_limit(void **state)
{
	struct restart_limiter l = { 0 };

	(void) state;
	for (int i = 0; i < 5; i++)
		assert_true(restart_allow(&l, 1000 + i * 100, 5, 60000));
	assert_false(restart_allow(&l, 1600, 5, 60000));
	assert_int_equal(l.total, 5);
	assert_int_equal(l.n, 5);
}

/* Restarts older than the window are forgotten. */
static void
test_restart_window_slides(void **state)
{
	struct restart_limiter l = { 0 };

	(void) state;
	assert_true(restart_allow(&l, 0, 2, 10000));
	assert_true(restart_allow(&l, 5000, 2, 10000));
	assert_false(restart_allow(&l, 9999, 2, 10000));
	/* the one at 0 is 10 s old now: out of the window */
	assert_true(restart_allow(&l, 10000, 2, 10000));
	assert_int_equal(l.n, 2);
	assert_int_equal(l.total, 3);
	assert_false(restart_allow(&l, 14999, 2, 10000));
	assert_true(restart_allow(&l, 15000, 2, 10000));
}

/* --restart-max 0: never restart in place. */
static void
test_restart_max_zero(void **state)
{
	struct restart_limiter l = { 0 };

	(void) state;
	assert_false(restart_allow(&l, 0, 0, 60000));
	assert_int_equal(l.total, 0);
}

/* ---- stop steps ---- */

static void
test_stop_steps(void **state)
{
	(void) state;
	assert_int_equal(stop_steps[0].mode, INSTANCE_STOP_SMART);
	assert_int_equal(stop_steps[0].task_signal, SIGTERM);
	assert_int_equal(stop_steps[STOP_STEPS - 1].mode, INSTANCE_STOP_KILL);
	/* CloudNativePG's defaults: smart 180 s, then the rest of stopDelay 1800 s */
	assert_int_equal(stop_step_ms(0, -1, -1), 180000);
	assert_int_equal(stop_step_ms(1, -1, -1), 1620000);
	assert_int_equal(stop_step_ms(0, 3, 10), 3000);
	assert_int_equal(stop_step_ms(1, 3, 10), 7000);
	/* stopDelay not above smartShutdownTimeout: fast still gets a second */
	assert_int_equal(stop_step_ms(1, 10, 10), 1000);
	assert_int_equal(stop_step_ms(2, 3, 10), 10000);
	assert_int_equal(stop_step_ms(3, 3, 10), 5000);
	/* never a step back, the last one stays */
	assert_int_equal(stop_next(0), 1);
	assert_int_equal(stop_next(STOP_STEPS - 1), STOP_STEPS - 1);
	assert_int_equal(stop_index(INSTANCE_STOP_IMMEDIATE), 2);
}

/* ---- phases ---- */

static void
test_phase_table(void **state)
{
	(void) state;
	assert_true(phase_allowed(PHASE_STOPPED, PHASE_BOOTSTRAPPING));
	assert_true(phase_allowed(PHASE_BOOTSTRAPPING, PHASE_STARTING));
	assert_true(phase_allowed(PHASE_STARTING, PHASE_RUNNING));
	assert_true(phase_allowed(PHASE_RUNNING, PHASE_RESTARTING));
	assert_true(phase_allowed(PHASE_RESTARTING, PHASE_RUNNING));
	assert_true(phase_allowed(PHASE_RUNNING, PHASE_STOPPING));
	assert_true(phase_allowed(PHASE_RUNNING, PHASE_FAILED));
	assert_true(phase_allowed(PHASE_BOOTSTRAPPING, PHASE_FAILED));
	/* not transitions pgpod makes */
	assert_false(phase_allowed(PHASE_RUNNING, PHASE_BOOTSTRAPPING));
	assert_false(phase_allowed(PHASE_STOPPING, PHASE_RUNNING));
	assert_false(phase_allowed(PHASE_FAILED, PHASE_RUNNING));
	assert_false(phase_allowed(PHASE_FAILED, PHASE_FAILED));
	assert_false(phase_allowed(PHASE_RUNNING, PHASE_RUNNING));
}

/* phase_move changes the shared status only along the table. */
static void
test_phase_move(void **state)
{
	(void) state;
	status_init("pod-1", "/data", 0);
	assert_int_equal(phase_now(), PHASE_STOPPED);
	assert_true(phase_move(PHASE_STARTING, "postgres started (pid %d)", 42));
	assert_int_equal(phase_now(), PHASE_STARTING);
	assert_true(phase_move(PHASE_STARTING, "again"));	/* staying is no move */
	assert_false(phase_move(PHASE_BOOTSTRAPPING, "not allowed"));
	assert_int_equal(phase_now(), PHASE_STARTING);
	assert_true(phase_move(PHASE_RUNNING, "ready"));
	assert_true(phase_move(PHASE_RESTARTING, "postmaster killed by signal 9 (Killed)"));
	assert_int_equal(phase_now(), PHASE_RESTARTING);
}

/* ---- reload plan ---- */

static void
test_reload_plan_passwords(void **state)
{
	struct spec *old = spec_new(), *nw = spec_new();
	struct inputs oin = { 0 }, nin = { 0 };
	struct reload_plan p;

	(void) state;
	old->app_secret = strdup("app-secret");
	nw->app_secret = strdup("app-secret");
	spec_apply_defaults(old);
	spec_apply_defaults(nw);
	oin.app_password = "old";
	nin.app_password = "new";
	oin.replication_password = "r";
	nin.replication_password = "r";
	reload_plan(old, &oin, nw, &nin, false, &p);
	assert_int_equal(p.npasswords, 1);
	assert_string_equal(p.passwords[0].role, "app");
	assert_string_equal(p.passwords[0].password, "new");
	assert_false(p.promote);
	reload_plan_free(&p);
	/* a rotated replication Secret reaches streaming_replica */
	nin.app_password = "old";
	nin.replication_password = "r2";
	reload_plan(old, &oin, nw, &nin, false, &p);
	assert_int_equal(p.npasswords, 1);
	assert_string_equal(p.passwords[0].role, "streaming_replica");
	reload_plan_free(&p);
	spec_free(old);
	spec_free(nw);
}

/* Only the designated standby of a replica cluster is promoted, and only
 * when replica mode goes from on to off. */
static void
test_reload_plan_promote(void **state)
{
	struct spec *old = spec_new(), *nw = spec_new();
	struct inputs in = { 0 };
	struct reload_plan p;

	(void) state;
	old->standby_enabled = 1;
	nw->standby_enabled = 0;
	reload_plan(old, &in, nw, &in, true, &p);
	assert_true(p.promote);
	reload_plan_free(&p);
	reload_plan(old, &in, nw, &in, false, &p);
	assert_false(p.promote);
	reload_plan_free(&p);
	nw->standby_enabled = 1;
	reload_plan(old, &in, nw, &in, true, &p);
	assert_false(p.promote);
	reload_plan_free(&p);
	spec_free(old);
	spec_free(nw);
}

/* A changed field that only matters at bootstrap is reported, by its
 * path; a changed parameter is not (it is applied). */
static void
test_reload_plan_unapplied(void **state)
{
	struct spec *old = spec_new(), *nw = spec_new();
	struct inputs in = { 0 };
	struct reload_plan p;

	(void) state;
	spec_apply_defaults(old);
	spec_apply_defaults(nw);
	free(nw->encoding);
	nw->encoding = strdup("LATIN1");
	kvlist_set(&nw->parameters, "work_mem", "8MB");
	reload_plan(old, &in, nw, &in, false, &p);
	assert_int_equal(p.unapplied.n, 1);
	assert_string_equal(p.unapplied.items[0], "bootstrap.initdb.encoding");
	reload_plan_free(&p);
	spec_free(old);
	spec_free(nw);
}

/* ---- tasks ---- */

static int
task_returns_7(void *arg)
{
	(void) arg;
	return 7;
}

static int
task_waits(void *arg)
{
	int *go = arg;

	while (!__atomic_load_n(go, __ATOMIC_ACQUIRE))
		usleep(1000);
	return 1;
}

/* One task at a time; its end is signalled on the eventfd and collected
 * with its result. */
static void
test_task_runner(void **state)
{
	struct task t;
	struct pollfd pfd;
	enum task_kind kind;
	int result, go = 0;

	(void) state;
	assert_true(task_init(&t));
	assert_false(task_collect(&t, &kind, &result));
	assert_true(task_start(&t, TASK_PROMOTE, task_waits, &go));
	assert_false(task_start(&t, TASK_BOOTSTRAP, task_returns_7, NULL));
	assert_false(task_collect(&t, &kind, &result));
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	pfd = (struct pollfd) { .fd = t.efd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_true(task_collect(&t, &kind, &result));
	assert_int_equal(kind, TASK_PROMOTE);
	assert_int_equal(result, 1);
	assert_int_equal(t.kind, TASK_NONE);
	assert_true(task_start(&t, TASK_BOOTSTRAP, task_returns_7, NULL));
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_true(task_collect(&t, &kind, &result));
	assert_int_equal(kind, TASK_BOOTSTRAP);
	assert_int_equal(result, 7);
	task_close(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_limit),
		cmocka_unit_test(test_restart_window_slides),
		cmocka_unit_test(test_restart_max_zero),
		cmocka_unit_test(test_stop_steps),
		cmocka_unit_test(test_phase_table),
		cmocka_unit_test(test_phase_move),
		cmocka_unit_test(test_reload_plan_passwords),
		cmocka_unit_test(test_reload_plan_promote),
		cmocka_unit_test(test_reload_plan_unapplied),
		cmocka_unit_test(test_task_runner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
