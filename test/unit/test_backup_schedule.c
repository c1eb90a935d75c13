/*
 * test_backup_schedule.c — cmocka tests for the pgBackRest worker's
 * schedules (supervisor/backup.c), without running pgBackRest: the first
 * slot after the plan, nothing before it, and each way a slot is not run —
 * another job still running, this instance not the primary, the stanza not
 * ready — logged once however many slots passed meanwhile, and never made
 * up later: the next slot is the first after now.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "settings.h"
#include "spec.h"
#include "supervisor/backup.h"

/* 2026-12-03T10:00:30Z */
#define T0 ((time_t) 1796292030)
#define MIN 60

static FILE *log_file;

static int
setup(void **state)
{
	(void) state;
	log_file = tmpfile();
	if (log_file == NULL)
		return -1;
	log_init(fileno(log_file), LOG_DEBUG);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	log_init(2, LOG_ERROR);
	fclose(log_file);
	return 0;
}

/* The log written since the last call, and how many lines hold needle. */
static int
logged(const char *needle)
{
	static off_t seen;
	char buf[16384];
	ssize_t n = pread(fileno(log_file), buf, sizeof(buf) - 1, seen);
	int count = 0;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	seen += n;
	for (const char *p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		count++;
	return count;
}

/* A worker planned at T0 for repo1 with a full backup every 5 minutes;
 * the stanza ready, no job running, no stanza job due. */
static void
planned(struct backups *b, struct settings *set, struct spec *s, struct spec_repo *r)
{
	memset(set, 0, sizeof(*set));
	memset(s, 0, sizeof(*s));
	memset(r, 0, sizeof(*r));
	r->name = "repo1";
	r->schedule_full = "*/5 * * * *";
	s->repos = r;
	s->n_repos = 1;
	assert_true(backups_init(b, set));
	backups_plan(b, s, T0);
	b->stanza_ok = true;
	b->stanza_retry_ms = 1LL << 62;
	(void) logged("");
}

static void
test_first_slot_after_plan(void **state)
{
	struct backups b;
	struct settings set;
	struct spec s;
	struct spec_repo r;

	(void) state;
	planned(&b, &set, &s, &r);
	assert_int_equal(b.nslots, 1);
	assert_int_equal(b.slots[0].repo, 1);
	assert_string_equal(b.slots[0].type, "full");
	assert_int_equal(b.slots[0].due, T0 + 4 * MIN + 30);	/* 10:05:00 */
	/* a second before it: nothing happens */
	b.task.kind = TASK_BACKUP;	/* a job "runs": nothing may be started either way */
	backups_tick(&b, true, T0 + 4 * MIN + 29, 0);
	assert_int_equal(b.slots[0].due, T0 + 4 * MIN + 30);
	assert_int_equal(logged("backup of repo1"), 0);
	b.task.kind = TASK_NONE;
	task_close(&b.task);
}

static void
test_missed_while_a_job_runs(void **state)
{
	struct backups b;
	struct settings set;
	struct spec s;
	struct spec_repo r;

	(void) state;
	planned(&b, &set, &s, &r);
	b.task.kind = TASK_BACKUP;
	/* 10:17:00: the slots of 10:05, 10:10 and 10:15 all passed during
	 * the job; one line, and the next slot is 10:20, not 10:10 */
	backups_tick(&b, true, T0 + 16 * MIN + 30, 0);
	assert_int_equal(logged("is missed: the pgBackRest backup is still running"), 1);
	assert_int_equal(logged(""), 0);
	assert_int_equal(b.slots[0].due, T0 + 19 * MIN + 30);
	/* nothing more until then */
	backups_tick(&b, true, T0 + 19 * MIN + 29, 0);
	assert_int_equal(logged("backup of repo1"), 0);
	b.task.kind = TASK_NONE;
	task_close(&b.task);
}

static void
test_skipped_when_not_primary(void **state)
{
	struct backups b;
	struct settings set;
	struct spec s;
	struct spec_repo r;

	(void) state;
	planned(&b, &set, &s, &r);
	backups_tick(&b, false, T0 + 4 * MIN + 30, 0);
	assert_int_equal(logged("scheduled at 2026-12-03T10:05:00Z is skipped: this instance is "
				"not the running primary"), 1);
	assert_int_equal(b.task.kind, TASK_NONE);
	assert_int_equal(b.slots[0].due, T0 + 9 * MIN + 30);
	task_close(&b.task);
}

static void
test_missed_before_the_stanza(void **state)
{
	struct backups b;
	struct settings set;
	struct spec s;
	struct spec_repo r;

	(void) state;
	planned(&b, &set, &s, &r);
	b.stanza_ok = false;	/* stanza-create failed; its retry is not due */
	backups_tick(&b, true, T0 + 4 * MIN + 30, 0);
	assert_int_equal(logged("is missed: the stanza is not ready yet"), 1);
	assert_int_equal(b.task.kind, TASK_NONE);
	assert_int_equal(b.slots[0].due, T0 + 9 * MIN + 30);
	task_close(&b.task);
}

static void
test_replan_keeps_one_slot_per_schedule(void **state)
{
	struct backups b;
	struct settings set;
	struct spec s;
	struct spec_repo r;

	(void) state;
	planned(&b, &set, &s, &r);
	r.schedule_incr = "0 * * * *";
	backups_plan(&b, &s, T0 + 30 * MIN);	/* a reload at 10:30:30 */
	assert_int_equal(b.nslots, 2);
	assert_string_equal(b.slots[1].type, "incr");
	assert_int_equal(b.slots[0].due, T0 + 34 * MIN + 30);	/* 10:35 */
	assert_int_equal(b.slots[1].due, T0 + 59 * MIN + 30);	/* 11:00 */
	s.n_repos = 0;
	backups_plan(&b, &s, T0 + 31 * MIN);
	assert_false(b.enabled);
	assert_int_equal(b.nslots, 0);
	backups_tick(&b, true, T0 + 120 * MIN, 0);	/* disabled: nothing */
	assert_int_equal(logged("backup of repo1"), 0);
	task_close(&b.task);
}

/* CloudNativePG's ScheduledBackups: six fields (the second kept), a
 * suspended one left out, immediate once (remembered in PGDATA). */
static void
test_scheduled_backups(void **state)
{
	struct backups b;
	struct settings set;
	struct spec s;
	struct spec_objstore st;
	struct spec_scheduled sb[3];
	char tmpl[] = "/tmp/pgpod-test-sched-XXXXXX", path[PATH_MAX];
	FILE *f;

	(void) state;
	memset(&set, 0, sizeof(set));
	memset(&s, 0, sizeof(s));
	memset(&st, 0, sizeof(st));
	memset(sb, 0, sizeof(sb));
	assert_non_null(mkdtemp(tmpl));
	snprintf(set.pgdata, sizeof(set.pgdata), "%s", tmpl);
	st.destination = "s3://bucket/";
	s.backup_store = st;
	sb[0] = (struct spec_scheduled) { .origin = "ScheduledBackup a", .name = "a",
					  .schedule = "30 */5 * * * *", .immediate = 1, .suspend = -1 };
	sb[1] = (struct spec_scheduled) { .origin = "ScheduledBackup b", .name = "b",
					  .schedule = "0 0 0 * * *", .immediate = 1, .suspend = 1 };
	sb[2] = (struct spec_scheduled) { .origin = "ScheduledBackup c", .name = "c",
					  .schedule = "0 0 * * * *", .immediate = 1, .suspend = 0 };
	s.scheduled = sb;
	s.n_scheduled = 3;
	/* c's immediate backup was taken before */
	snprintf(path, sizeof(path), "%s/pgpod-scheduled-backups", tmpl);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("c\n", f);
	fclose(f);
	assert_true(backups_init(&b, &set));
	backups_plan(&b, &s, T0);
	assert_true(b.enabled);
	assert_true(b.barman);
	assert_int_equal(b.nslots, 2);	/* b is suspended */
	assert_string_equal(b.slots[0].name, "a");
	assert_int_equal(b.slots[0].repo, 0);
	assert_int_equal(b.slots[0].due, T0 + 4 * MIN + 30 + 30);	/* 10:05:30 */
	assert_true(b.slots[0].immediate);
	assert_string_equal(b.slots[1].name, "c");
	assert_int_equal(b.slots[1].due, T0 + 59 * MIN + 30);	/* 11:00:00 */
	assert_false(b.slots[1].immediate);
	/* not the primary: the immediate backup waits, no slot is due yet */
	(void) logged("");
	backups_tick(&b, false, T0 + 1, 0);
	assert_true(b.slots[0].immediate);
	assert_int_equal(b.task.kind, TASK_NONE);
	assert_int_equal(logged("backup"), 0);
	task_close(&b.task);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmpl), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_slot_after_plan),
		cmocka_unit_test(test_missed_while_a_job_runs),
		cmocka_unit_test(test_skipped_when_not_primary),
		cmocka_unit_test(test_missed_before_the_stanza),
		cmocka_unit_test(test_replan_keeps_one_slot_per_schedule),
		cmocka_unit_test(test_scheduled_backups),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
