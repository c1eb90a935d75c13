/*
 * test_pgdata.c — cmocka tests for what pgpod reads off a data directory
 * and the marks it leaves there (pgdata/pgdata.c): the state of PGDATA,
 * moving failed attempts aside and keeping only the newest of pgpod's own,
 * and a failed attempt left in place.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "pgdata/import.h"
#include "pgdata/pgdata.h"

#define SHORT 256	/* the test's directories */
#define LONG  1024	/* a file in one of them */

static char root[] = "/tmp/pgpod-unit-pgdata.XXXXXX";

static int
setup(void **state)
{
	(void) state;
	return mkdtemp(root) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void) state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
touch(const char *dir, const char *name)
{
	char path[LONG];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static void
make_dir(const char *path)
{
	assert_int_equal(mkdir(path, 0700), 0);
}

static bool
exists(const char *dir, const char *name)
{
	char path[LONG];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* The completion marker wins over a stray leftover of a copy. */
static void
test_state_marker_wins(void **state)
{
	char pgdata[SHORT];

	(void) state;
	snprintf(pgdata, sizeof(pgdata), "%s/marker", root);
	assert_int_equal(pgdata_state(pgdata), PGDATA_EMPTY);
	make_dir(pgdata);
	assert_int_equal(pgdata_state(pgdata), PGDATA_EMPTY);
	touch(pgdata, ".pgpod-copy.pid");
	assert_int_equal(pgdata_state(pgdata), PGDATA_PARTIAL);
	touch(pgdata, PGDATA_MARKER);
	assert_int_equal(pgdata_state(pgdata), PGDATA_BOOTSTRAPPED);
}

static void
test_state_foreign_and_unknown(void **state)
{
	char pgdata[SHORT], global[SHORT * 2];

	(void) state;
	snprintf(pgdata, sizeof(pgdata), "%s/foreign", root);
	make_dir(pgdata);
	touch(pgdata, "notes.txt");
	assert_int_equal(pgdata_state(pgdata), PGDATA_UNKNOWN);
	touch(pgdata, "PG_VERSION");
	snprintf(global, sizeof(global), "%s/global", pgdata);
	make_dir(global);
	touch(global, "pg_control");
	assert_int_equal(pgdata_state(pgdata), PGDATA_FOREIGN);
	/* pgpod's failed-attempt mark in a directory with data pgpod did not
	 * make does not count: only pgpod writes it, into its own attempts */
	touch(pgdata, PGDATA_FAILED_MARK);
	assert_int_equal(pgdata_state(pgdata), PGDATA_FAILED);
}

/* Failed attempts are moved aside with a mark; only the newest keep of
 * pgpod's own marked attempts stay; nothing else is touched. */
static void
test_move_aside_keeps_newest(void **state)
{
	char base[SHORT], pgdata[SHORT * 2], out[SHORT * 3], path[LONG * 2];
	char first[SHORT * 3] = "";
	int n = 0;

	(void) state;
	snprintf(base, sizeof(base), "%s/keep", root);
	make_dir(base);
	snprintf(pgdata, sizeof(pgdata), "%s/pgdata", base);
	/* not pgpod's: a look-alike without the mark, and another name */
	snprintf(path, sizeof(path), "%s/pgdata.failed-19990101T000000Z", base);
	make_dir(path);
	snprintf(path, sizeof(path), "%s/pgdata.backup", base);
	make_dir(path);
	for (int i = 0; i < 4; i++) {
		make_dir(pgdata);
		touch(pgdata, "PG_VERSION");
		assert_true(pgdata_move_aside(pgdata, 2, out, sizeof(out)));
		assert_true(exists(out, PGDATA_FAILED_MARK));
		assert_true(exists(out, "PG_VERSION"));
		if (i == 0)
			snprintf(first, sizeof(first), "%s", out);
	}
	assert_int_equal(access(first, F_OK), -1);	/* the oldest of pgpod's went */
	assert_true(exists(base, "pgdata.failed-19990101T000000Z"));
	assert_true(exists(base, "pgdata.backup"));
	snprintf(path, sizeof(path), "ls -d '%s'/pgdata.failed-2* | wc -l > '%s/count'", base, root);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/count", root);
	{
		FILE *f = fopen(path, "r");

		assert_non_null(f);
		assert_int_equal(fscanf(f, "%d", &n), 1);
		fclose(f);
	}
	assert_int_equal(n, 2);
}

/* A failed attempt left in place (the parent would not take it) is
 * emptied by the next bootstrap, the directory kept. */
static void
test_clear_failed_in_place(void **state)
{
	char pgdata[SHORT], sub[SHORT * 2];

	(void) state;
	snprintf(pgdata, sizeof(pgdata), "%s/inplace", root);
	make_dir(pgdata);
	touch(pgdata, "PG_VERSION");
	snprintf(sub, sizeof(sub), "%s/base", pgdata);
	make_dir(sub);
	touch(sub, "1");
	touch(pgdata, PGDATA_FAILED_MARK);
	assert_int_equal(pgdata_state(pgdata), PGDATA_FAILED);
	assert_true(pgdata_clear_failed(pgdata));
	assert_int_equal(file_dir_state(pgdata), FILE_DIR_EMPTY);
	assert_int_equal(pgdata_state(pgdata), PGDATA_EMPTY);
}

/* Where an import's dump goes: the run directory when it has room for the
 * database and a tenth, PGDATA's file system when it has room for that
 * twice, else a stream. */
static void
test_import_place(void **state)
{
	(void) state;
	assert_int_equal(import_place_for(1000, 1100, 0), IMPORT_IN_RUN_DIR);
	assert_int_equal(import_place_for(1000, 1099, 2200), IMPORT_IN_PGDATA);
	assert_int_equal(import_place_for(1000, 1099, 2199), IMPORT_STREAM);
	assert_int_equal(import_place_for(0, 0, 0), IMPORT_IN_RUN_DIR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_place),
		cmocka_unit_test(test_state_marker_wins),
		cmocka_unit_test(test_state_foreign_and_unknown),
		cmocka_unit_test(test_move_aside_keeps_newest),
		cmocka_unit_test(test_clear_failed_in_place),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
