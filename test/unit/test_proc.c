/*
 * test_proc.c — cmocka tests for running children (lib/proc.c): a child
 * started from a thread that then ends keeps running (the parent-death
 * signal is tied to the forking thread, so forks must come from one thread
 * that lives as long as pgpod), exit codes like a shell's, output captured,
 * and children started and reaped from several threads at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "argv.h"
#include "log.h"
#include "proc.h"

/*
 * A child that cannot exec exits 127 or 126. Under valgrind (VALGRIND=1
 * make unit) that child is still valgrind's until the exec and, with the
 * other threads gone, reports their memory as lost at _exit: its exit code
 * is then valgrind's error code, so only "not 0" is checked.
 */
static void
assert_exec_failure(int code, int want)
{
	if (RUNNING_ON_VALGRIND)
		assert_int_not_equal(code, 0);
	else
		assert_int_equal(code, want);
}

/* An environment for the children. */
static void
env_init(struct argv *env)
{
	argv_init(env);
	assert_true(argv_add(env, "PATH=/usr/bin:/bin"));
	assert_true(argv_add(env, "LC_ALL=C"));
}

/* argv for "/bin/sh -c script". */
static void
sh_init(struct argv *args, const char *script)
{
	argv_init(args);
	assert_true(argv_add(args, "/bin/sh"));
	assert_true(argv_add(args, "-c"));
	assert_true(argv_add(args, script));
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- a child outlives the thread that started it ---- */

struct starter {
	bool        new_pgroup;
	bool        filtered;
	struct proc p;
	bool        ok;
};

static bool
drop_line(void *arg, const char *line, size_t len)
{
	(void) arg;
	(void) line;
	(void) len;
	return true;
}

/* A short-lived task thread (bootstrap, promotion, restore) starting a
 * long-lived child and ending. */
static void *
starter_main(void *arg)
{
	struct starter *s = arg;
	struct argv args, env;

	env_init(&env);
	argv_init(&args);
	if (argv_add(&args, "/bin/sleep") && argv_add(&args, "30")) {
		if (s->filtered)
			s->ok = proc_spawn_filtered(&args, &env, "sleep", s->new_pgroup,
						    drop_line, NULL, &s->p);
		else
			s->ok = proc_spawn(&args, &env, "sleep", s->new_pgroup, &s->p);
	}
	argv_free(&args);
	argv_free(&env);
	/* the task goes on a little (the child is past its prctl and exec
	 * by then), then ends */
	sleep_ms(100);
	return NULL;
}

static void
check_outlives_thread(bool new_pgroup, bool filtered)
{
	struct starter s = { .new_pgroup = new_pgroup, .filtered = filtered };
	struct proc_stat st;
	char pidtext[32];
	pthread_t t;
	pid_t pid;
	int code = -1;

	assert_int_equal(pthread_create(&t, NULL, starter_main, &s), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(s.ok);
	pid = s.p.pid;
	assert_true(pid > 0);

	sleep_ms(300);

	/* alive: neither killed (a zombie, or reported by proc_poll) nor gone */
	snprintf(pidtext, sizeof(pidtext), "%d", (int) pid);
	assert_true(proc_stat_of(pidtext, &st));
	assert_int_equal(st.ppid, getpid());
	if (st.state == 'Z' && proc_poll(&s.p, &code))
		print_message("child %d ended with the thread that started it: code %d\n",
			      (int) pid, code);
	assert_int_not_equal(st.state, 'Z');
	if (new_pgroup)
		assert_int_equal(st.pgrp, pid);
	assert_false(proc_poll(&s.p, &code));
	assert_int_equal(s.p.pid, pid);

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_true(proc_wait(&s.p, &code));
	assert_int_equal(code, 128 + SIGKILL);
}

/* postgres: its own process group, SIGQUIT on parent death. */
static void
test_child_outlives_thread_pgroup(void **state)
{
	(void) state;
	check_outlives_thread(true, false);
}

/* a tool: pgpod's process group, SIGTERM on parent death. */
static void
test_child_outlives_thread_filtered(void **state)
{
	(void) state;
	check_outlives_thread(false, true);
}

/* The spawner thread keeps the signals blocked: they go to the thread
 * that takes them synchronously, never to it. */
static void
test_spawner_blocks_signals(void **state)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGPIPE };
	struct argv args, env;
	char path[300], line[256], comm[64];
	unsigned long long blocked = 0;
	bool found = false;
	DIR *d;
	struct dirent *e;
	int code = -1;

	(void) state;
	env_init(&env);
	argv_init(&args);
	assert_true(argv_add(&args, "/bin/true"));
	assert_true(proc_run(&args, &env, "true", &code, NULL, 0));	/* it exists */
	assert_int_equal(code, 0);
	argv_free(&args);
	argv_free(&env);

	d = opendir("/proc/self/task");
	assert_non_null(d);
	while (!found && (e = readdir(d)) != NULL) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		found = fgets(comm, sizeof(comm), f) != NULL
			&& strcmp(comm, PROC_SPAWNER_NAME "\n") == 0;
		fclose(f);
		if (!found)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "SigBlk: %llx", &blocked) == 1)
				break;
		fclose(f);
	}
	closedir(d);
	assert_true(found);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		assert_true(blocked & (1ULL << (sigs[i] - 1)));
}

/* ---- exit codes like a shell's ---- */

static int
run_code(const char *path, const char *script, char *last, size_t lastcap)
{
	struct argv args, env;
	int code = -1;

	env_init(&env);
	if (script != NULL) {
		sh_init(&args, script);
	} else {
		argv_init(&args);
		assert_true(argv_add(&args, path));
	}
	assert_true(proc_run(&args, &env, "test", &code, last, lastcap));
	argv_free(&args);
	argv_free(&env);
	return code;
}

static void
test_run_exit_codes(void **state)
{
	char last[PROC_LAST_MAX];

	(void) state;
	assert_int_equal(run_code("/bin/true", NULL, NULL, 0), 0);
	assert_int_equal(run_code(NULL, "exit 3", NULL, 0), 3);
	assert_exec_failure(run_code("/nonexistent/pgpod-no-such-binary", NULL, last, sizeof(last)),
			    127);
	assert_non_null(strstr(last, "cannot execute /nonexistent/pgpod-no-such-binary"));
	assert_exec_failure(run_code("/dev/null", NULL, NULL, 0), 126);
	assert_int_equal(run_code(NULL, "kill -TERM $$", NULL, 0), 128 + SIGTERM);
}

/* The last error-looking line of the output comes back. */
static void
test_run_last_line(void **state)
{
	char last[PROC_LAST_MAX];

	(void) state;
	assert_int_equal(run_code(NULL, "echo 'error: first'; echo 'FATAL:  second' >&2; "
				  "echo fine; exit 1", last, sizeof(last)), 1);
	assert_string_equal(last, "FATAL:  second");
}

/* The child's signal mask is empty even though the caller's is not. */
static void
test_run_signal_mask_restored(void **state)
{
	sigset_t block, old;
	struct argv args, env;
	char out[256];
	int code = -1;

	(void) state;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
	env_init(&env);
	sh_init(&args, "grep '^SigBlk' /proc/self/status");
	assert_true(proc_capture(&args, &env, out, sizeof(out), &code));
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	assert_int_equal(code, 0);
	assert_string_equal(out, "SigBlk:\t0000000000000000\n");
	argv_free(&args);
	argv_free(&env);
}

/* ---- output captured ---- */

static void
test_capture(void **state)
{
	struct argv args, env;
	char out[64], tiny[4];
	int code = -1;

	(void) state;
	env_init(&env);
	sh_init(&args, "echo out; echo err >&2; exit 5");
	assert_true(proc_capture(&args, &env, out, sizeof(out), &code));
	assert_int_equal(code, 5);
	assert_string_equal(out, "out\nerr\n");

	/* truncated to the buffer, the rest still read so the child ends */
	assert_true(proc_capture(&args, &env, tiny, sizeof(tiny), &code));
	assert_int_equal(code, 5);
	assert_string_equal(tiny, "out");
	argv_free(&args);

	argv_init(&args);
	assert_true(argv_add(&args, "/nonexistent/pgpod-no-such-binary"));
	assert_true(proc_capture(&args, &env, out, sizeof(out), &code));
	assert_exec_failure(code, 127);
	assert_non_null(strstr(out, "cannot execute /nonexistent/pgpod-no-such-binary"));
	argv_free(&args);
	argv_free(&env);
}

/* ---- many threads at once, with and without central reaping ---- */

#define RUNNERS 6
#define RUNS    15

static void *
runner_main(void *arg)
{
	long *failures = arg;
	struct argv args, env;
	char out[64], want[64];

	argv_init(&env);
	(void) argv_add(&env, "PATH=/usr/bin:/bin");
	for (int i = 0; i < RUNS; i++) {
		int code = -1;
		int exit_with = i % 4;

		argv_init(&args);
		(void) argv_add(&args, "/bin/sh");
		(void) argv_add(&args, "-c");
		(void) argv_addf(&args, "echo run %d; exit %d", i, exit_with);
		snprintf(want, sizeof(want), "run %d\n", i);
		if (i % 2 == 0) {
			if (!proc_capture(&args, &env, out, sizeof(out), &code) || code != exit_with
			    || strcmp(out, want) != 0)
				(*failures)++;
		} else {
			if (!proc_run(&args, &env, "runner", &code, NULL, 0) || code != exit_with)
				(*failures)++;
		}
		argv_free(&args);
	}
	argv_free(&env);
	return NULL;
}

static void
check_concurrent_runs(void)
{
	pthread_t t[RUNNERS];
	long failures[RUNNERS] = { 0 };

	for (int i = 0; i < RUNNERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, runner_main, &failures[i]), 0);
	for (int i = 0; i < RUNNERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(failures[i], 0);
	}
}

static void
test_concurrent_runs(void **state)
{
	(void) state;
	check_concurrent_runs();
}

static atomic_bool reaper_stop;
static size_t reaper_orphans;

static void
count_orphan(pid_t pid, int code)
{
	(void) pid;
	(void) code;
	reaper_orphans++;
}

/* The supervisor's loop: waitpid(-1) all the time. */
static void *
reaper_main(void *arg)
{
	(void) arg;
	while (!atomic_load(&reaper_stop)) {
		(void) proc_reap_all(count_orphan);
		sleep_ms(1);
	}
	return NULL;
}

/* Under central reaping every child is registered before anyone can reap
 * it: no status goes to the orphans, every starter gets its own code. */
static void
test_concurrent_runs_central(void **state)
{
	pthread_t reaper;

	(void) state;
	atomic_store(&reaper_stop, false);
	reaper_orphans = 0;
	proc_reap_central(true);
	assert_int_equal(pthread_create(&reaper, NULL, reaper_main, NULL), 0);
	check_concurrent_runs();
	atomic_store(&reaper_stop, true);
	assert_int_equal(pthread_join(reaper, NULL), 0);
	proc_reap_central(false);
	assert_int_equal(reaper_orphans, 0);
}

/* /proc/<pid>/cmdline, which stat(2) says is empty, read in full: the
 * arguments with their '\0's; cut at the buffer's size; false for no
 * such process. */
static void
test_cmdline_of(void **state)
{
	char pid[32], buf[4096], small[5];
	size_t len = 99;
	bool found = false;

	(void) state;
	snprintf(pid, sizeof(pid), "%d", (int) getpid());
	assert_true(proc_cmdline_of(pid, buf, sizeof(buf), &len));
	assert_true(len > strlen(buf));	/* argv[0] and its '\0' */
	assert_int_equal(buf[len - 1], '\0');
	/* this program, argv[0] (or after valgrind's own arguments) */
	for (const char *a = buf; a < buf + len; a += strlen(a) + 1) {
		const char *base = strrchr(a, '/');

		found = found || strcmp(base != NULL ? base + 1 : a, "test_proc") == 0;
	}
	assert_true(found);
	assert_true(proc_cmdline_of(pid, small, sizeof(small), &len));
	assert_int_equal(len, sizeof(small) - 1);
	assert_int_equal(small[len], '\0');
	assert_false(proc_cmdline_of("999999999", buf, sizeof(buf), &len));
	assert_int_equal(len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_outlives_thread_pgroup),
		cmocka_unit_test(test_child_outlives_thread_filtered),
		cmocka_unit_test(test_spawner_blocks_signals),
		cmocka_unit_test(test_run_exit_codes),
		cmocka_unit_test(test_run_last_line),
		cmocka_unit_test(test_run_signal_mask_restored),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_concurrent_runs),
		cmocka_unit_test(test_concurrent_runs_central),
		cmocka_unit_test(test_cmdline_of),
	};

	log_init(2, LOG_ERROR);
	return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
