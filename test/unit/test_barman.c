/*
 * test_barman.c — cmocka tests for a Barman Cloud object store's directory
 * (pgdata/barman.c): store.conf rendered from the spec and read back, the
 * credential files (modes, the AWS file format, a key with a line break
 * refused), and the start of a barman-cloud command line with its
 * environment — file paths there, never a key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "inputs.h"
#include "log.h"
#include "settings.h"
#include "spec.h"
#include "pgdata/barman.h"
#include "pgdata/barman_restore.h"
#include "pgdata/barman_wal.h"

static struct spec_objstore
store_of(const char *dest)
{
	static struct kv tag = { "env", "test" };
	struct spec_objstore o;

	memset(&o, 0, sizeof(o));
	o.origin = "spec.backup.barmanObjectStore";
	o.destination = (char *) dest;
	o.endpoint = "https://127.0.0.1:9000";
	o.wal_compression = "gzip";
	o.wal_max_parallel = 4;
	o.data_jobs = 3;
	o.data_immediate_checkpoint = 1;
	o.tags.items = &tag;
	o.tags.n = 1;
	o.s3_iam = -1;
	o.azure_inherit = -1;
	o.google_gke = -1;
	return o;
}

static void
test_provider_by_scheme(void **state)
{
	(void) state;
	assert_string_equal(barman_provider("s3://b/p"), "aws-s3");
	assert_string_equal(barman_provider("gs://b/p"), "google-cloud-storage");
	assert_string_equal(barman_provider("https://acct.blob.core.windows.net/c"),
			    "azure-blob-storage");
}

static void
test_render_parse_round_trip(void **state)
{
	struct spec_objstore o = store_of("s3://bucket/path");
	struct barman_store st = { .dir = "/x" };
	char text[4096], why[200];

	(void) state;
	assert_true(barman_store_render(&o, "cluster-a", text, sizeof(text)));
	assert_non_null(strstr(text, "provider=aws-s3\ndestination=s3://bucket/path\nserver=cluster-a\n"));
	assert_true(barman_store_parse(text, &st, why, sizeof(why)));
	assert_string_equal(st.dir, "/x");	/* kept */
	assert_string_equal(st.provider, "aws-s3");
	assert_string_equal(st.server, "cluster-a");
	assert_string_equal(st.endpoint, "https://127.0.0.1:9000");
	assert_string_equal(st.wal_compression, "gzip");
	assert_int_equal(st.max_parallel, 4);
	assert_int_equal(st.jobs, 3);
	assert_true(st.immediate_checkpoint);
	assert_int_equal(st.ntags, 1);
	assert_string_equal(st.tags[0], "env,test");
	/* serverName wins over the default */
	o.server_name = "pg-main";
	assert_true(barman_store_render(&o, "cluster-a", text, sizeof(text)));
	assert_non_null(strstr(text, "server=pg-main\n"));
	/* too small a buffer is refused, not cut */
	assert_false(barman_store_render(&o, "cluster-a", text, 40));
}

static void
test_parse_refuses_foreign_lines(void **state)
{
	struct barman_store st;
	char why[200];

	(void) state;
	memset(&st, 0, sizeof(st));
	assert_false(barman_store_parse("provider=aws-s3\nshell=rm -rf /\n", &st, why, sizeof(why)));
	assert_string_equal(why, "line 2 is not a setting pgpod writes");
	assert_false(barman_store_parse("provider=aws-s3\n", &st, why, sizeof(why)));
	assert_string_equal(why, "provider, destination or server is missing");
	assert_false(barman_store_parse("max_parallel=0\n", &st, why, sizeof(why)));
}

/* A run directory of our own under /tmp. */
static void
run_dir(struct settings *set)
{
	char tmpl[] = "/tmp/pgpod-test-barman-XXXXXX";

	memset(set, 0, sizeof(*set));
	assert_non_null(mkdtemp(tmpl));
	snprintf(set->run_dir, sizeof(set->run_dir), "%s", tmpl);
}

static void
remove_tree(const char *dir)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static char *
slurp(const char *path)
{
	char *text = NULL;
	size_t len;
	int err;

	assert_true(file_read(path, 65536, &text, &len, &err));
	return text;
}

static void
test_write_files_and_command(void **state)
{
	struct spec_objstore o = store_of("s3://bucket/path");
	struct input_store cred = { .s3_key_id = "AKIDEXAMPLE", .s3_secret = "wJalr/SECRET",
				    .s3_region = "eu-west-1", .endpoint_ca = "-----BEGIN CERT-----\n" };
	struct settings set;
	struct barman_store st;
	struct argv args, env;
	struct stat sb;
	char path[PATH_MAX + 40], *text;
	bool has_cred_env = false, has_ca_env = false;

	(void) state;
	run_dir(&set);
	assert_true(barman_store_write(&set, BARMAN_OWN, &o, &cred, "cluster-a"));
	snprintf(path, sizeof(path), "%s/barman/own", set.run_dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/barman/own/aws-credentials", set.run_dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	text = slurp(path);
	assert_string_equal(text, "[default]\naws_access_key_id = AKIDEXAMPLE\n"
			    "aws_secret_access_key = wJalr/SECRET\n");
	free(text);
	snprintf(path, sizeof(path), "%s/barman/own/aws-config", set.run_dir);
	text = slurp(path);
	assert_string_equal(text, "[default]\nregion = eu-west-1\n");
	free(text);

	assert_true(barman_store_read(set.run_dir, BARMAN_OWN, &st));
	assert_true(st.ca);
	/* scripts/deps.sh installs barman-cli-cloud */
	assert_true(barman_command(&st, "barman-cloud-wal-archive", &args, &env));
	{
		barman_target(&st, &args);
		assert_string_equal(args.v[1], "--cloud-provider");
		assert_string_equal(args.v[2], "aws-s3");
		assert_string_equal(args.v[3], "--endpoint-url");
		assert_string_equal(args.v[5], "--");	/* ends the options */
		assert_string_equal(args.v[6], "s3://bucket/path");
		assert_string_equal(args.v[7], "cluster-a");
		for (size_t i = 0; i < args.n; i++)
			assert_null(strstr(args.v[i], "SECRET"));
		for (size_t i = 0; i < env.n; i++) {
			assert_null(strstr(env.v[i], "SECRET"));
			assert_null(strstr(env.v[i], "AKIDEXAMPLE"));
			has_cred_env |= strncmp(env.v[i], "AWS_SHARED_CREDENTIALS_FILE=", 28) == 0;
			has_ca_env |= strncmp(env.v[i], "AWS_CA_BUNDLE=", 14) == 0;
		}
		assert_true(has_cred_env);
		assert_true(has_ca_env);
		argv_free(&args);
		argv_free(&env);
	}
	remove_tree(set.run_dir);
}

/* *AdditionalCommandArgs: to their own tool only, after pgpod's options,
 * one pgpod gives already skipped, before "--" and the positional words. */
static void
test_additional_args(void **state)
{
	static char *archive[] = { "--read-timeout=60", "--endpoint-url=https://elsewhere" };
	static char *backup[] = { "--name=nightly" };
	struct spec_objstore o = store_of("s3://bucket/path");
	struct barman_store st = { .dir = "/x" };
	struct argv args, env;
	char text[4096], why[200];

	(void) state;
	o.archive_args = (struct strlist) { archive, 2 };
	o.backup_args = (struct strlist) { backup, 1 };
	assert_true(barman_store_render(&o, "cluster-a", text, sizeof(text)));
	assert_non_null(strstr(text, "archive_arg=--read-timeout=60\n"));
	assert_true(barman_store_parse(text, &st, why, sizeof(why)));
	assert_int_equal(st.archive_args.n, 2);
	assert_int_equal(st.restore_args.n, 0);
	assert_string_equal(st.backup_args.v[0], "--name=nightly");

	assert_true(barman_command(&st, "barman-cloud-wal-archive", &args, &env));
	argv_add(&args, "--gzip");
	barman_target(&st, &args);
	assert_int_equal(args.n, 10);
	assert_string_equal(args.v[5], "--gzip");
	assert_string_equal(args.v[6], "--read-timeout=60");	/* the endpoint one skipped */
	assert_string_equal(args.v[7], "--");
	assert_string_equal(args.v[8], "s3://bucket/path");
	argv_free(&args);
	argv_free(&env);

	assert_true(barman_command(&st, "barman-cloud-wal-restore", &args, &env));
	barman_target(&st, &args);
	assert_string_equal(args.v[5], "--");	/* none for wal-restore */
	argv_free(&args);
	argv_free(&env);
}

/* The lag against the archive's end as wal-restore last saw it. */
static void
test_archive_lag_from_head(void **state)
{
	struct settings set;
	char path[PATH_MAX + 40];

	(void) state;
	run_dir(&set);
	assert_int_equal(barman_wal_archive_lag(set.run_dir, "0/5000100", 16777216), -1);
	snprintf(path, sizeof(path), "%s/barman/source", set.run_dir);
	snprintf(path, sizeof(path), "%s/barman", set.run_dir);
	(void) mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/barman/source", set.run_dir);
	(void) mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/barman/source/archive-head", set.run_dir);
	/* segment 5 archived: its end is 0/6000000 */
	assert_true(file_write_atomic(path, "000000010000000000000005 1\n", 27, 0600));
	assert_int_equal(barman_wal_archive_lag(set.run_dir, "0/5000100", 16777216),
			 0x6000000 - 0x5000100);
	/* segment 6 missing: the archive ends where it would start */
	assert_true(file_write_atomic(path, "000000010000000000000006 0\n", 27, 0600));
	assert_int_equal(barman_wal_archive_lag(set.run_dir, "0/5000100", 16777216),
			 0x6000000 - 0x5000100);
	assert_int_equal(barman_wal_archive_lag(set.run_dir, "0/6000000", 16777216), 0);
	/* past the first log id, with 64 MiB segments */
	assert_true(file_write_atomic(path, "000000020000000100000003 1\n", 27, 0600));
	assert_int_equal(barman_wal_archive_lag(set.run_dir, "1/0", 67108864), 4LL * 67108864);
	assert_int_equal(barman_wal_archive_lag(set.run_dir, "not an lsn", 67108864), -1);
	remove_tree(set.run_dir);
}

/* A key with a line break would be a second line of the INI file. */
static void
test_line_break_in_key_refused(void **state)
{
	struct spec_objstore o = store_of("s3://bucket/path");
	struct input_store cred = { .s3_key_id = "AKID\n[other]", .s3_secret = "x" };
	struct settings set;
	char path[PATH_MAX + 40];

	(void) state;
	run_dir(&set);
	assert_false(barman_store_write(&set, BARMAN_OWN, &o, &cred, "cluster-a"));
	snprintf(path, sizeof(path), "%s/barman/own/store.conf", set.run_dir);
	assert_int_not_equal(access(path, F_OK), 0);
	remove_tree(set.run_dir);
}

static void
test_wal_names(void **state)
{
	char next[32];

	(void) state;
	assert_true(barman_wal_is_segment("00000001000000000000000A"));
	assert_false(barman_wal_is_segment("00000001000000000000000a"));
	assert_false(barman_wal_is_segment("00000002.history"));
	assert_false(barman_wal_is_segment("000000010000000000000001.partial"));
	assert_true(barman_wal_next("0000000100000000000000FE", 16ULL << 20, next, sizeof(next)));
	assert_string_equal(next, "0000000100000000000000FF");
	/* 256 segments of 16 MiB to a log: FF wraps to the next */
	assert_true(barman_wal_next("0000000100000000000000FF", 16ULL << 20, next, sizeof(next)));
	assert_string_equal(next, "000000010000000100000000");
	/* 1 GiB segments: 4 to a log */
	assert_true(barman_wal_next("000000030000000500000003", 1ULL << 30, next, sizeof(next)));
	assert_string_equal(next, "000000030000000600000000");
	assert_false(barman_wal_next("00000002.history", 16ULL << 20, next, sizeof(next)));
}

static void
test_ready_after(void **state)
{
	const char *const status[] = {
		"000000010000000000000009.ready", "00000001000000000000000C.ready",
		"00000001000000000000000B.done", "00000001000000000000000D.ready",
		"00000001000000000000000A.ready", "00000002.history.ready",
		"00000001000000000000000E.ready", "00000001000000000000000F.ready",
	};
	char out[8][32];
	size_t n;

	(void) state;
	/* after 0A: 0C, 0D, 0E, 0F are ready; the oldest two, in order */
	n = barman_wal_ready_after(status, 8, "00000001000000000000000A", out, 2);
	assert_int_equal(n, 2);
	assert_string_equal(out[0], "00000001000000000000000C");
	assert_string_equal(out[1], "00000001000000000000000D");
	n = barman_wal_ready_after(status, 8, "00000001000000000000000A", out, 8);
	assert_int_equal(n, 4);
	assert_string_equal(out[3], "00000001000000000000000F");
	assert_int_equal(barman_wal_ready_after(status, 8, "00000001000000000000000F", out, 8), 0);
	assert_int_equal(barman_wal_ready_after(status, 8, "00000001000000000000000A", out, 0), 0);
}

/* Three backups as barman-cloud-backup-list prints them (one failed). */
static const char backup_list[] =
	"{\"backups_list\": ["
	"{\"backup_id\": \"20261201T100000\", \"begin_time\": \"Tue Dec  1 10:00:00 2026\", "
	"\"end_time\": \"Tue Dec  1 10:00:30 2026\", \"begin_wal\": \"000000010000000000000003\", "
	"\"end_xlog\": \"0/3000100\", \"timeline\": 1, \"version\": 150018, "
	"\"xlog_segment_size\": 16777216, \"status\": \"DONE\"},"
	"{\"backup_id\": \"20261202T100000\", \"begin_time\": \"Wed Dec  2 10:00:00 2026\", "
	"\"end_time\": \"Wed Dec  2 10:00:30 2026\", \"begin_wal\": \"000000020000000000000009\", "
	"\"end_xlog\": \"0/9000100\", \"timeline\": 2, \"version\": 150018, "
	"\"xlog_segment_size\": 16777216, \"status\": \"DONE\"},"
	"{\"backup_id\": \"20261203T100000\", \"begin_time\": \"Thu Dec  3 10:00:00 2026\", "
	"\"end_time\": \"Thu Dec  3 10:00:30 2026\", \"begin_wal\": \"00000002000000000000000C\", "
	"\"end_xlog\": \"0/C000100\", \"timeline\": 2, \"version\": 150018, "
	"\"status\": \"FAILED\"}]}";

static const char *
chosen(const struct barman_backups *l, const char *id, enum spec_target_kind kind,
       const char *value, const char *tli)
{
	static char why[400];
	struct spec_restore r;
	const struct barman_backup *b;

	memset(&r, 0, sizeof(r));
	r.backup_id = (char *) id;
	r.target.kind = kind;
	r.target.value = (char *) value;
	r.target.timeline = (char *) tli;
	b = barman_backup_choose(l, &r, why, sizeof(why));
	return b != NULL ? b->id : why;
}

static void
test_backup_list_and_choice(void **state)
{
	struct barman_backups l;
	char why[200];

	(void) state;
	assert_true(barman_backups_parse(backup_list, &l, why, sizeof(why)));
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].begin_wal, "000000010000000000000003");
	assert_int_equal((long long) l.v[0].end, 1796119230LL);	/* 2026-12-01T10:00:30Z */
	assert_int_equal(l.v[1].timeline, 2);
	assert_int_equal(l.v[1].version, 150018);
	assert_true(l.v[1].done);
	assert_false(l.v[2].done);
	/* none: the newest completed */
	assert_string_equal(chosen(&l, NULL, SPEC_TARGET_NONE, NULL, NULL), "20261202T100000");
	/* backupID exactly; a failed one is not there */
	assert_string_equal(chosen(&l, "20261201T100000", SPEC_TARGET_NONE, NULL, NULL),
			    "20261201T100000");
	assert_string_equal(chosen(&l, "20261203T100000", SPEC_TARGET_NONE, NULL, NULL),
			    "has no completed backup \"20261203T100000\"");
	/* a time: the newest ending at or before it */
	assert_string_equal(chosen(&l, NULL, SPEC_TARGET_TIME, "2026-12-02 10:00:30+00", NULL),
			    "20261202T100000");
	assert_string_equal(chosen(&l, NULL, SPEC_TARGET_TIME, "2026-12-02T12:00:29+02:00", NULL),
			    "20261201T100000");
	/* ... on targetTLI when it is a number */
	assert_string_equal(chosen(&l, NULL, SPEC_TARGET_TIME, "2026-12-05 00:00:00Z", "1"),
			    "20261201T100000");
	/* an LSN: the newest ending before it */
	assert_string_equal(chosen(&l, NULL, SPEC_TARGET_LSN, "0/9000100", NULL), "20261201T100000");
	assert_string_equal(chosen(&l, NULL, SPEC_TARGET_LSN, "0/9000101", NULL), "20261202T100000");
	/* before every backup: the earliest is named */
	assert_non_null(strstr(chosen(&l, NULL, SPEC_TARGET_TIME, "2026-11-30 00:00:00Z", NULL),
			       "the earliest, 20261201T100000, ends at 2026-12-01 10:00:30+00"));
	free(l.v);
	/* no list at all */
	assert_false(barman_backups_parse("ERROR: Can't connect", &l, why, sizeof(why)));
	assert_true(barman_backups_parse("{\"backups_list\": []}", &l, why, sizeof(why)));
	assert_string_equal(chosen(&l, NULL, SPEC_TARGET_NONE, NULL, NULL),
			    "holds no completed backup");
	free(l.v);
}

static void
test_retention_words(void **state)
{
	char w[80];

	(void) state;
	assert_true(barman_retention_words("30d", w, sizeof(w)));
	assert_string_equal(w, "RECOVERY WINDOW OF 30 DAYS");
	assert_true(barman_retention_words("4w", w, sizeof(w)));
	assert_string_equal(w, "RECOVERY WINDOW OF 4 WEEKS");
	assert_true(barman_retention_words("6m", w, sizeof(w)));
	assert_string_equal(w, "RECOVERY WINDOW OF 6 MONTHS");
	assert_false(barman_retention_words("6y", w, sizeof(w)));
	assert_false(barman_retention_words("d", w, sizeof(w)));
	assert_false(barman_retention_words(NULL, w, sizeof(w)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provider_by_scheme),
		cmocka_unit_test(test_render_parse_round_trip),
		cmocka_unit_test(test_parse_refuses_foreign_lines),
		cmocka_unit_test(test_write_files_and_command),
		cmocka_unit_test(test_line_break_in_key_refused),
		cmocka_unit_test(test_additional_args),
		cmocka_unit_test(test_archive_lag_from_head),
		cmocka_unit_test(test_wal_names),
		cmocka_unit_test(test_ready_after),
		cmocka_unit_test(test_backup_list_and_choice),
		cmocka_unit_test(test_retention_words),
	};

	log_init(2, LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
