/*
 * test_clone.c — cmocka tests for what the copy methods decide without a
 * server: libpq connection strings and their files (lib/conninfo.c), the
 * messages for a source that cannot be used, the layout comparison and
 * pg_basebackup's progress lines (pgdata/clone.c), the standby settings
 * (pgdata/config.c), slot names and the instance role (pgdata/upstream.c,
 * pgdata/boot.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conninfo.h"
#include "pgdata/boot.h"
#include "pgdata/clone.h"
#include "pgdata/config.h"
#include "pgdata/identity.h"
#include "pgdata/method.h"
#include "pgdata/upstream.h"

/* ---- connection strings ---- */

/* libpq quoting: backslash before ' and \, never SQL's doubling. */
static void
test_conninfo_quoting(void **state)
{
	struct conninfo c = { 0 };
	char back[128];

	(void) state;
	conninfo_add(&c, "host", "db.example");
	conninfo_add(&c, "application_name", "it's a \\ test");
	assert_string_equal(c.text, "host='db.example' application_name='it\\'s a \\\\ test'");
	conninfo_get(c.text, "application_name", back, sizeof(back));
	assert_string_equal(back, "it's a \\ test");
	conninfo_get(c.text, "host", back, sizeof(back));
	assert_string_equal(back, "db.example");
	conninfo_get(c.text, "port", back, sizeof(back));
	assert_string_equal(back, "");
	conninfo_free(&c);
}

/* libpq itself reads back what conninfo_add wrote. */
static void
test_conninfo_parsed_by_libpq(void **state)
{
	struct conninfo c = { 0 };
	char *err = NULL;
	PQconninfoOption *opts;
	const char *app = NULL;

	(void) state;
	conninfo_add(&c, "application_name", "a b'c\\d");
	opts = PQconninfoParse(c.text, &err);
	assert_non_null(opts);
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "application_name") == 0)
			app = o->val;
	assert_non_null(app);
	assert_string_equal(app, "a b'c\\d");
	PQconninfoFree(opts);
	conninfo_free(&c);
}

/* Secret and pgpod-managed keys of connectionParameters are not copied. */
static void
test_conninfo_params_skip_secrets(void **state)
{
	struct kvlist l = { 0 };
	struct conninfo c = { 0 };

	(void) state;
	kvlist_set(&l, "host", "h");
	kvlist_set(&l, "password", "nope");
	kvlist_set(&l, "passfile", "/elsewhere");
	kvlist_set(&l, "sslkey", "/elsewhere");
	kvlist_set(&l, "sslmode", "verify-full");
	conninfo_add_params(&c, &l);
	assert_string_equal(c.text, "host='h' sslmode='verify-full'");
	conninfo_free(&c);
	kvlist_free(&l);
}

static void
test_pgpass_escaping(void **state)
{
	char *line = conninfo_pgpass_line("a:b\\c");

	(void) state;
	assert_string_equal(line, "*:*:*:*:a\\:b\\\\c\n");
	free(line);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* The files are 0600 in a 0700 directory; a key no longer given goes. */
static void
test_conninfo_files(void **state)
{
	char dir[] = "/tmp/pgpod-unit-conn.XXXXXX";
	char sub[256], path[300];
	struct conn_files f = { .password = "pw", .ssl_key = "KEY", .ssl_cert = "CERT" };
	struct conninfo c = { 0 };

	(void) state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/external/src", dir);
	assert_true(conninfo_write_files(sub, &f, &c));
	assert_int_equal(mode_of(sub), 0700);
	snprintf(path, sizeof(path), "%s/pgpass", sub);
	assert_int_equal(mode_of(path), 0600);
	assert_non_null(strstr(c.text, "passfile='"));
	assert_non_null(strstr(c.text, "sslkey='"));
	assert_non_null(strstr(c.text, "sslcert='"));
	assert_null(strstr(c.text, "sslrootcert"));
	assert_null(strstr(c.text, "pw'"));
	conninfo_free(&c);
	/* the password Secret is gone: so is the pgpass file */
	f.password = NULL;
	assert_true(conninfo_write_files(sub, &f, &c));
	assert_int_equal(access(path, F_OK), -1);
	assert_null(strstr(c.text, "passfile"));
	conninfo_free(&c);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/* ---- messages ---- */

static void
explain(const char *msg, char *out, size_t cap)
{
	struct upstream u = { .kind = UPSTREAM_EXTERNAL };

	snprintf(u.name, sizeof(u.name), "src");
	snprintf(u.user, sizeof(u.user), "streaming_replica");
	snprintf(u.auth, sizeof(u.auth), "password");
	clone_explain_connect(&u, "spec.externalClusters[0]", "10.1.2.3", "5433", msg, out, cap);
}

static void
test_explain_connect(void **state)
{
	static const struct {
		const char *libpq;
		const char *says;
	} cases[] = {
		{ "connection to server at \"10.1.2.3\", port 5433 failed: Connection refused\n\tIs the "
		  "server running on that host and accepting TCP/IP connections?\n",
		  "cannot reach the source \"src\" at 10.1.2.3:5433: connection to server" },
		{ "could not translate host name \"nope\" to address: Name or service not known\n",
		  "cannot reach the source \"src\" at 10.1.2.3:5433" },
		{ "connection to server at \"10.1.2.3\", port 5433 failed: FATAL:  password "
		  "authentication failed for user \"streaming_replica\"\n",
		  "authentication to the source \"src\" as \"streaming_replica\" failed (password "
		  "authentication)" },
		{ "connection to server at \"10.1.2.3\", port 5433 failed: FATAL:  no pg_hba.conf entry "
		  "for replication connection from host \"10.0.0.9\", user \"streaming_replica\", no "
		  "encryption\n", "its pg_hba.conf has no entry for this connection" },
		{ "connection to server at \"10.1.2.3\", port 5433 failed: FATAL:  must be superuser or "
		  "replication role to start walsender\n", "(no REPLICATION privilege)" },
		{ "connection to server at \"10.1.2.3\", port 5433 failed: FATAL:  number of requested "
		  "standby connections exceeds max_wal_senders (currently 1)\n",
		  "number of requested standby connections exceeds max_wal_senders (currently 1); "
		  "pg_basebackup needs two" },
	};
	char out[2048];

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		explain(cases[i].libpq, out, sizeof(out));
		if (strstr(out, cases[i].says) == NULL)
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, out, cases[i].says);
		assert_null(strchr(out, '\n'));
	}
}

static void
test_layout(void **state)
{
	char out[512] = "";

	(void) state;
	assert_true(clone_layout_matches("block_size", "8192", out, sizeof(out)));
	assert_true(clone_layout_matches("max_identifier_length", "63", out, sizeof(out)));
	assert_true(clone_layout_matches("unknown_setting", "1", out, sizeof(out)));
	assert_false(clone_layout_matches("block_size", "16384", out, sizeof(out)));
	assert_non_null(strstr(out, "block_size is 16384 on the source and 8192 here"));
}

static void
test_progress_lines(void **state)
{
	long long done, total;
	int pct;
	const char *l1 = "   12345/270000 kB (4%), 0/1 tablespace";
	const char *l2 = "270000/270000 kB (100%), 1/1 tablespace";
	const char *l3 = "pg_basebackup: base backup completed";

	(void) state;
	assert_true(clone_parse_progress(l1, strlen(l1), &done, &total, &pct));
	assert_int_equal(done, 12345);
	assert_int_equal(total, 270000);
	assert_int_equal(pct, 4);
	assert_true(clone_parse_progress(l2, strlen(l2), &done, &total, &pct));
	assert_int_equal(pct, 100);
	assert_false(clone_parse_progress(l3, strlen(l3), &done, &total, &pct));
}

/* ---- standby configuration ---- */

static void
test_strip_auto_conf(void **state)
{
	const char *text = "# Do not edit this file manually!\n"
		"work_mem = '8MB'\n"
		"primary_conninfo = 'host=old passfile=/x'\n"
		"primary_slot_name = 'old'\n"
		"recovery_target_time = '2026-01-01'\n"
		"recovery_target_timeline = 'latest'\n"
		"restore_command = 'cp /archive/%f %p'\n"
		"recovery_targetish = 'kept'\n";
	char *clean = config_strip_auto(text);

	(void) state;
	assert_non_null(clean);
	assert_string_equal(clean, "# Do not edit this file manually!\nwork_mem = '8MB'\n"
			    "recovery_targetish = 'kept'\n");
	free(clean);
	assert_null(config_strip_auto("work_mem = '8MB'\n"));
}

static void
test_render_standby(void **state)
{
	struct settings set = { .pg_port = 5432 };
	struct spec *s = spec_new();
	struct config_recovery sb = {
		.mode = CONFIG_STANDBY,
		.primary_conninfo = "host='p' passfile='/run/pgpod/replication/pgpass'",
		.primary_slot_name = "pgpod_c_2",
		.min_apply_delay = "5min",
	};
	char *conf;

	(void) state;
	snprintf(set.pg_listen, sizeof(set.pg_listen), "*");
	snprintf(set.run_dir, sizeof(set.run_dir), "/run/pgpod");
	spec_apply_defaults(s);
	conf = config_render(&set, s, &sb);
	assert_non_null(strstr(conf, "primary_conninfo = 'host=''p'' passfile=''/run/pgpod/"
			       "replication/pgpass'''\n"));
	assert_non_null(strstr(conf, "primary_slot_name = 'pgpod_c_2'\n"));
	assert_non_null(strstr(conf, "recovery_target_timeline = 'latest'\n"));
	assert_non_null(strstr(conf, "recovery_min_apply_delay = '5min'\n"));
	free(conf);
	conf = config_render(&set, s, NULL);
	assert_null(strstr(conf, "primary_conninfo"));
	free(conf);
	spec_free(s);
}

static void
test_slot_names(void **state)
{
	char slot[64];

	(void) state;
	identity_slot_name("Cluster-Example-2", slot, sizeof(slot));
	assert_string_equal(slot, "pgpod_cluster_example_2");
	identity_slot_name("a-very-long-pod-name-that-goes-on-and-on-and-on-beyond-what-fits-x",
			   slot, sizeof(slot));
	assert_int_equal(strlen(slot), 63);
}

/* ---- the instance's role ---- */

static bool
replica(const char *pod, int base, const char *role)
{
	struct settings set = { .ordinal_base = base };

	snprintf(set.pod_name, sizeof(set.pod_name), "%s", pod);
	snprintf(set.instance_role, sizeof(set.instance_role), "%s", role);
	return identity_is_replica(&set);
}

static void
test_instance_role(void **state)
{
	(void) state;
	/* CloudNativePG: name-1 is the first instance */
	assert_false(replica("pg-1", 1, "auto"));
	assert_true(replica("pg-2", 1, "auto"));
	assert_true(replica("pg-10", 1, "auto"));
	/* a StatefulSet counts from 0 */
	assert_false(replica("pg-0", 0, "auto"));
	assert_true(replica("pg-1", 0, "auto"));
	/* no ordinal (docker, a VM): the one instance */
	assert_false(replica("db", 1, "auto"));
	assert_false(replica("pg-x1", 1, "auto"));
	assert_false(replica("pg-0", 1, "auto"));
	/* --instance-role wins */
	assert_true(replica("pg-1", 1, "replica"));
	assert_false(replica("pg-3", 1, "primary"));
}

static void
test_pod_instance(void **state)
{
	struct settings one = { .ordinal_base = 1 }, zero = { .ordinal_base = 0 };

	(void) state;
	assert_int_equal(identity_pod_instance(&one, "pg-1"), 1);
	assert_int_equal(identity_pod_instance(&one, "my-pg-12"), 12);
	assert_int_equal(identity_pod_instance(&zero, "pg-0"), 1);
	assert_int_equal(identity_pod_instance(&zero, "pg-4"), 5);
	/* not an ordinal, or below the base */
	assert_int_equal(identity_pod_instance(&one, "pg-0"), 0);
	assert_int_equal(identity_pod_instance(&one, "pg"), 0);
	assert_int_equal(identity_pod_instance(&one, "pg-x"), 0);
	assert_int_equal(identity_pod_instance(&one, "pg-2x"), 0);
	assert_int_equal(identity_pod_instance(&one, "pg-"), 0);
}

static void
test_method_for(void **state)
{
	struct settings set = { .ordinal_base = 1 };
	struct spec *s = spec_new();

	(void) state;
	spec_apply_defaults(s);
	snprintf(set.instance_role, sizeof(set.instance_role), "auto");
	snprintf(set.pod_name, sizeof(set.pod_name), "pg-1");
	assert_string_equal(method_for(&set, s)->name, "initdb");
	s->bootstrap = SPEC_BOOTSTRAP_PG_BASEBACKUP;
	assert_string_equal(method_for(&set, s)->name, "pg_basebackup");
	s->standby_enabled = 1;
	assert_string_equal(method_for(&set, s)->name, "replica cluster");
	snprintf(set.pod_name, sizeof(set.pod_name), "pg-2");
	assert_string_equal(method_for(&set, s)->name, "join");
	s->standby_enabled = 0;
	s->bootstrap = SPEC_BOOTSTRAP_RECOVERY;
	assert_string_equal(method_for(&set, s)->name, "join");
	snprintf(set.pod_name, sizeof(set.pod_name), "pg-1");
	assert_string_equal(method_for(&set, s)->name, "recovery");
	assert_true(method_available(method_for(&set, s), s));
	s->restore.source_kind = SPEC_SOURCE_EXTERNAL;
	assert_string_equal(method_for(&set, s)->marker, "recovery");
	spec_free(s);
}

/* The one-shot commands ask the same table. */
static void
test_method_for_command(void **state)
{
	struct spec *s = spec_new();

	(void) state;
	spec_apply_defaults(s);
	assert_string_equal(method_for_command("init", s)->name, "initdb");
	assert_null(method_for_command("clone", s));
	assert_string_equal(method_for_command("join", s)->name, "join");
	s->bootstrap = SPEC_BOOTSTRAP_PG_BASEBACKUP;
	assert_null(method_for_command("init", s));
	assert_string_equal(method_for_command("clone", s)->name, "pg_basebackup");
	s->standby_enabled = 1;
	assert_string_equal(method_for_command("clone", s)->name, "replica cluster");
	assert_string_equal(method_for_command("clone", s)->marker, "pg_basebackup");
	assert_null(method_for_command("restore", s));
	s->standby_enabled = 0;
	s->bootstrap = SPEC_BOOTSTRAP_RECOVERY;
	s->restore.source_kind = SPEC_SOURCE_EXTERNAL;
	assert_string_equal(method_for_command("restore", s)->name, "recovery");
	spec_free(s);
}

/* Every method names what selects it, and the default (initdb) comes
 * last. */
static void
test_method_table(void **state)
{
	(void) state;
	assert_true(method_count >= 5);
	assert_string_equal(method_table[method_count - 1].name, "initdb");
	for (size_t i = 0; i < method_count; i++) {
		const struct method *m = &method_table[i];

		assert_non_null(m->selected_by);
		assert_non_null(m->marker);
		if (m->steps != NULL) {
			assert_non_null(m->prepare);
			assert_true(m->steps->n > 0);
		}
	}
}

/* A targeted recovery: restore_command, the target, inclusive off,
 * the timeline and the action, in one block. */
static void
test_render_recovery(void **state)
{
	struct settings set = { .pg_port = 5432 };
	struct spec *s = spec_new();
	struct config_recovery rec = {
		.mode = CONFIG_RECOVERY, .restore_command = "cp /archive/%f \"%p\"",
		.target = CONFIG_TARGET_TIME, .target_value = "2026-12-01 10:00:00+00",
		.target_exclusive = true, .target_timeline = "2", .target_action = "promote",
	};
	char *conf;

	(void) state;
	snprintf(set.pg_listen, sizeof(set.pg_listen), "*");
	snprintf(set.run_dir, sizeof(set.run_dir), "/run/pgpod");
	spec_apply_defaults(s);
	conf = config_render(&set, s, &rec);
	assert_non_null(strstr(conf, "restore_command = 'cp /archive/%f \"%p\"'\n"));
	assert_non_null(strstr(conf, "recovery_target_time = '2026-12-01 10:00:00+00'\n"));
	assert_non_null(strstr(conf, "recovery_target_inclusive = 'off'\n"));
	assert_non_null(strstr(conf, "recovery_target_timeline = '2'\n"));
	assert_non_null(strstr(conf, "recovery_target_action = 'promote'\n"));
	assert_null(strstr(conf, "primary_conninfo"));
	free(conf);
	rec = (struct config_recovery) { .mode = CONFIG_RECOVERY, .target = CONFIG_TARGET_IMMEDIATE };
	conf = config_render(&set, s, &rec);
	assert_non_null(strstr(conf, "recovery_target = 'immediate'\n"));
	assert_null(strstr(conf, "recovery_target_inclusive"));
	free(conf);
	/* a standby that follows nothing (replica mode off) has no settings */
	rec = (struct config_recovery) { .mode = CONFIG_STANDBY };
	conf = config_render(&set, s, &rec);
	assert_null(strstr(conf, "recovery_target_timeline"));
	free(conf);
	spec_free(s);
}

static bool
has_file(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* config_write_all makes the signal file of the description's mode and
 * removes the other; a primary's description touches neither. */
static void
test_signal_files(void **state)
{
	char dir[] = "/tmp/pgpod-unit-signals.XXXXXX";
	struct settings set = { .pg_port = 5432 };
	struct spec *s = spec_new();
	struct config_recovery standby = { .mode = CONFIG_STANDBY, .primary_conninfo = "host=p" };
	struct config_recovery recovery = { .mode = CONFIG_RECOVERY, .restore_command = "false" };
	struct config_recovery primary = { .mode = CONFIG_PRIMARY };
	char cmd[600];

	(void) state;
	assert_non_null(mkdtemp(dir));
	snprintf(set.pgdata, sizeof(set.pgdata), "%s", dir);
	snprintf(set.pg_listen, sizeof(set.pg_listen), "*");
	snprintf(set.run_dir, sizeof(set.run_dir), "%s", dir);
	snprintf(set.os_user, sizeof(set.os_user), "postgres");
	spec_apply_defaults(s);
	assert_true(config_write_all(&set, s, &standby, NULL));
	assert_true(has_file(dir, "standby.signal"));
	assert_false(has_file(dir, "recovery.signal"));
	assert_true(config_write_all(&set, s, &recovery, NULL));
	assert_true(has_file(dir, "recovery.signal"));
	assert_false(has_file(dir, "standby.signal"));
	assert_true(config_write_all(&set, s, &primary, NULL));
	assert_true(has_file(dir, "recovery.signal"));
	assert_true(has_file(dir, "pgpod.conf"));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	spec_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conninfo_quoting),
		cmocka_unit_test(test_conninfo_parsed_by_libpq),
		cmocka_unit_test(test_conninfo_params_skip_secrets),
		cmocka_unit_test(test_pgpass_escaping),
		cmocka_unit_test(test_conninfo_files),
		cmocka_unit_test(test_explain_connect),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_progress_lines),
		cmocka_unit_test(test_strip_auto_conf),
		cmocka_unit_test(test_render_standby),
		cmocka_unit_test(test_slot_names),
		cmocka_unit_test(test_instance_role),
		cmocka_unit_test(test_pod_instance),
		cmocka_unit_test(test_method_for),
		cmocka_unit_test(test_method_for_command),
		cmocka_unit_test(test_method_table),
		cmocka_unit_test(test_render_recovery),
		cmocka_unit_test(test_signal_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
