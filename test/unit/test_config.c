/*
 * test_config.c — cmocka tests for what pgpod writes into PGDATA and hands
 * to initdb: config_quote, config_render (pgpod.conf), config_render_hba
 * (pg_hba.conf) from pgdata/config.c, and initdb_build_args from
 * pgdata/initdb.c. Specs come from test/fixtures/spec/; the settings are
 * built by hand, so no PostgreSQL is needed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "diag.h"
#include "dialect.h"
#include "pglog.h"
#include "pgdata/config.h"
#include "pgdata/initdb.h"
#include "settings.h"
#include "spec.h"

#define FIX(name) "test/fixtures/spec/" name
#define PG_BIN "/usr/lib/postgresql/15/bin"
#define PGDATA "/var/lib/postgresql/data"

/* ---- helpers ---- */

static void
settings_init(struct settings *set)
{
	memset(set, 0, sizeof(*set));
	snprintf(set->pg_bin, sizeof(set->pg_bin), "%s", PG_BIN);
	snprintf(set->pgdata, sizeof(set->pgdata), "%s", PGDATA);
	snprintf(set->run_dir, sizeof(set->run_dir), "%s", "/run/pgpod");
	snprintf(set->pg_listen, sizeof(set->pg_listen), "%s", "0.0.0.0");
	snprintf(set->user, sizeof(set->user), "%s", "postgres");
	snprintf(set->os_user, sizeof(set->os_user), "%s", "postgres");
	set->pg_port = 5432;
	set->pg_major = 15;
}

/* A fixture read and defaulted, as pgpod does before writing anything. */
static struct spec *
load(const char *path)
{
	struct diag d = { 0 };
	struct spec *s = NULL;
	bool ok = dialect_load(path, &s, &d);

	for (size_t i = 0; i < d.errors.n; i++)
		print_error("error: %s\n", d.errors.items[i]);
	assert_true(ok);
	assert_non_null(s);
	assert_int_equal(d.errors.n, 0);
	diag_free(&d);
	spec_apply_defaults(s);
	return s;
}

static void
assert_quote(const char *value, const char *want)
{
	char buf[256];

	config_quote(value, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* Position of a whole line in text; fails when missing. */
static size_t
line_at(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return (size_t) (p - text);
	print_error("no line \"%s\" in:\n%s\n", line, text);
	fail();
	return 0;
}

static size_t
count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* The lines that are not comments, up to max. */
static size_t
rules(const char *text, char lines[][128], size_t max)
{
	size_t n = 0;

	for (const char *p = text; *p && n < max;) {
		size_t len = strcspn(p, "\n");

		if (len > 0 && *p != '#') {
			assert_true(len < 128);
			memcpy(lines[n], p, len);
			lines[n++][len] = '\0';
		}
		p += len + (p[len] == '\n');
	}
	return n;
}

/* Index of an argument, -1 when absent. */
static int
arg_index(const struct argv *a, const char *want)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], want) == 0)
			return (int) i;
	return -1;
}

static void
assert_arg(const struct argv *a, const char *want)
{
	if (arg_index(a, want) < 0) {
		char line[4096];

		argv_describe(a, line, sizeof(line));
		print_error("no argument \"%s\" in: %s\n", want, line);
	}
	assert_true(arg_index(a, want) >= 0);
}

/* No argument starts with prefix. */
static void
assert_no_arg(const struct argv *a, const char *prefix)
{
	for (size_t i = 0; i < a->n; i++) {
		if (strncmp(a->v[i], prefix, strlen(prefix)) == 0)
			print_error("unexpected argument \"%s\"\n", a->v[i]);
		assert_int_not_equal(strncmp(a->v[i], prefix, strlen(prefix)), 0);
	}
}

static void
build(const char *fixture, const char *pwfile, struct spec **s, struct argv *a)
{
	struct settings set;

	settings_init(&set);
	*s = load(fixture);
	argv_init(a);
	initdb_build_args(&set, *s, pwfile, a);
	assert_false(a->overflow);
	assert_null(a->v[a->n]);
}

/* ---- config_quote ---- */

static void
test_quote_plain(void **state)
{
	(void) state;
	assert_quote("64MB", "'64MB'");
	assert_quote("", "''");
	assert_quote("/run/pgpod", "'/run/pgpod'");
}

static void
test_quote_single_quote_doubled(void **state)
{
	(void) state;
	assert_quote("it's", "'it''s'");
	assert_quote("'", "''''");
	assert_quote("a''b", "'a''''b'");
}

static void
test_quote_backslash_escaped(void **state)
{
	(void) state;
	assert_quote("C:\\dir", "'C:\\\\dir'");
	assert_quote("\\'", "'\\\\'''");
}

/* A value too long for the buffer is cut, never past cap, never in the
 * middle of an escape, and always closed. */
static void
test_quote_truncates_safely(void **state)
{
	char buf[32];

	(void) state;
	memset(buf, 'X', sizeof(buf));
	config_quote("abcdefgh", buf, 6);
	assert_string_equal(buf, "'ab'");
	for (size_t i = 6; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'X');
	memset(buf, 'X', sizeof(buf));
	config_quote("''''", buf, 7);
	assert_string_equal(buf, "''''''");
	for (size_t i = 7; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'X');
	config_quote("abc", buf, 3);
	assert_string_equal(buf, "''");
	config_quote("abc", buf, 2);
	assert_string_equal(buf, "");
}

/* ---- config_render ---- */

static void
test_render_managed_settings(void **state)
{
	struct settings set;
	struct spec *s = load(FIX("cnpg/everything.yaml"));
	char *conf;

	(void) state;
	settings_init(&set);
	conf = config_render(&set, s, NULL);
	assert_non_null(conf);
	(void) line_at(conf, "listen_addresses = '0.0.0.0'");
	(void) line_at(conf, "port = '5432'");
	(void) line_at(conf, "unix_socket_directories = '/run/pgpod'");
	(void) line_at(conf, "password_encryption = 'scram-sha-256'");
	/* postgres' stderr is pgpod's to parse */
	(void) line_at(conf, "logging_collector = 'off'");
	(void) line_at(conf, "log_destination = 'stderr'");
	(void) line_at(conf, "log_line_prefix = '" PGLOG_LINE_PREFIX "'");
	(void) line_at(conf, "shared_preload_libraries = 'pg_stat_statements,auto_explain'");
	/* the spec is named in the header */
	assert_non_null(strstr(conf, FIX("cnpg/everything.yaml")));
	free(conf);
	spec_free(s);
}

/* The user's parameters, quoted, after the managed settings. */
static void
test_render_user_parameters(void **state)
{
	struct settings set;
	struct spec *s = load(FIX("cnpg/everything.yaml"));
	char *conf;
	size_t last_managed;

	(void) state;
	settings_init(&set);
	conf = config_render(&set, s, NULL);
	assert_non_null(conf);
	last_managed = line_at(conf, "password_encryption = 'scram-sha-256'");
	assert_true(line_at(conf, "work_mem = '64MB'") > last_managed);
	assert_true(line_at(conf, "search_path = 'it''s'") > line_at(conf, "work_mem = '64MB'"));
	assert_true(line_at(conf, "max_connections = '200'") > last_managed);
	assert_true(line_at(conf, "jit = 'off'") > line_at(conf, "max_connections = '200'"));
	free(conf);
	spec_free(s);
}

/* Without parameters: only the managed settings. */
static void
test_render_minimal(void **state)
{
	struct settings set;
	struct spec *s = load(FIX("cnpg/minimal.yaml"));
	char lines[16][128];
	char *conf;

	(void) state;
	settings_init(&set);
	set.pg_port = 6543;
	conf = config_render(&set, s, NULL);
	assert_non_null(conf);
	assert_int_equal(rules(conf, lines, 16), 7);
	assert_string_equal(lines[1], "port = '6543'");
	assert_int_equal(count(conf, "shared_preload_libraries"), 0);
	free(conf);
	spec_free(s);
}

/* shared_preload_libraries as a parameter wins over the list. */
static void
test_render_preload_parameter_wins(void **state)
{
	struct settings set;
	struct spec *s = load(FIX("cnpg/preload_in_parameters.yaml"));
	char *conf;

	(void) state;
	settings_init(&set);
	conf = config_render(&set, s, NULL);
	assert_non_null(conf);
	assert_int_equal(count(conf, "shared_preload_libraries ="), 1);
	(void) line_at(conf, "shared_preload_libraries = 'pg_stat_statements,pg_cron'");
	free(conf);
	spec_free(s);
}

/* ---- config_render_hba ---- */

/* postgres by peer first, the user's lines next in order, passwords last. */
static void
test_hba_order(void **state)
{
	struct spec *s = load(FIX("cnpg/everything.yaml"));
	char lines[16][128];
	char *hba = config_render_hba(s);

	(void) state;
	assert_non_null(hba);
	assert_int_equal(rules(hba, lines, 16), 6);
	assert_string_equal(lines[0], "local all postgres peer map=pgpod");
	assert_string_equal(lines[1], "hostssl app app 10.0.0.0/8 scram-sha-256");
	assert_string_equal(lines[2], "host replication streaming_replica all md5");
	assert_string_equal(lines[3], "host replication streaming_replica all scram-sha-256");
	assert_string_equal(lines[4], "local all all scram-sha-256");
	assert_string_equal(lines[5], "host all all all scram-sha-256");
	free(hba);
	spec_free(s);
}

/* With a replication certificate and a client CA: streaming_replica by
 * certificate, before the user's lines and every password line. */
static void
test_hba_replication_by_certificate(void **state)
{
	struct spec *s = load(FIX("cnpg/certificates.yaml"));
	char lines[16][128];
	char *hba = config_render_hba(s);

	(void) state;
	assert_int_equal(rules(hba, lines, 16), 6);
	assert_string_equal(lines[0], "local all postgres peer map=pgpod");
	assert_string_equal(lines[1], "hostssl replication streaming_replica all cert");
	assert_string_equal(lines[2], "hostssl all streaming_replica all cert");
	assert_string_equal(lines[3], "host replication streaming_replica all scram-sha-256");
	free(hba);
	spec_free(s);
	/* without certificates, no hostssl line at all */
	s = load(FIX("cnpg/minimal.yaml"));
	hba = config_render_hba(s);
	assert_int_equal(count(hba, "hostssl"), 0);
	free(hba);
	spec_free(s);
}

/* ssl on with the copies in the run dir, the client CA when given. */
static void
test_render_ssl(void **state)
{
	struct settings set;
	struct spec *s = load(FIX("cnpg/certificates.yaml"));
	char *conf;

	(void) state;
	settings_init(&set);
	conf = config_render(&set, s, NULL);
	(void) line_at(conf, "ssl = 'on'");
	(void) line_at(conf, "ssl_cert_file = '/run/pgpod/tls/server.crt'");
	(void) line_at(conf, "ssl_key_file = '/run/pgpod/tls/server.key'");
	(void) line_at(conf, "ssl_ca_file = '/run/pgpod/tls/client-ca.crt'");
	free(conf);
	free(s->tls_client_ca_secret);
	s->tls_client_ca_secret = NULL;
	conf = config_render(&set, s, NULL);
	assert_int_equal(count(conf, "ssl_ca_file"), 0);
	free(conf);
	spec_free(s);
	s = load(FIX("cnpg/minimal.yaml"));
	conf = config_render(&set, s, NULL);
	assert_int_equal(count(conf, "ssl"), 0);
	free(conf);
	spec_free(s);
}

static void
test_hba_defaults_only(void **state)
{
	struct spec *s = load(FIX("cnpg/minimal.yaml"));
	char lines[16][128];
	char *hba = config_render_hba(s);

	(void) state;
	assert_non_null(hba);
	assert_int_equal(rules(hba, lines, 16), 4);
	assert_string_equal(lines[0], "local all postgres peer map=pgpod");
	assert_string_equal(lines[1], "host replication streaming_replica all scram-sha-256");
	assert_string_equal(lines[2], "local all all scram-sha-256");
	assert_string_equal(lines[3], "host all all all scram-sha-256");
	free(hba);
	spec_free(s);
}

/* ---- initdb_build_args ---- */

/* The flags pgpod always passes, and none of the optional ones. */
static void
test_initdb_args_defaults(void **state)
{
	struct spec *s;
	struct argv a;
	int pgdata;

	(void) state;
	build(FIX("cnpg/minimal.yaml"), NULL, &s, &a);
	assert_string_equal(a.v[0], PG_BIN "/initdb");
	pgdata = arg_index(&a, "--pgdata");
	assert_true(pgdata > 0);
	/* initdb writes into the staging directory, moved into place after */
	assert_string_equal(a.v[pgdata + 1], PGDATA "/.pgpod-copy");
	assert_arg(&a, "--username=postgres");
	assert_arg(&a, "--auth-local=peer");
	assert_arg(&a, "--auth-host=scram-sha-256");
	assert_arg(&a, "--encoding=UTF8");
	assert_arg(&a, "--lc-collate=C");
	assert_arg(&a, "--lc-ctype=C");
	assert_no_arg(&a, "--pwfile");
	assert_no_arg(&a, "--data-checksums");
	assert_no_arg(&a, "-k");
	assert_no_arg(&a, "--wal-segsize");
	assert_no_arg(&a, "--locale");
	assert_no_arg(&a, "--icu-");
	assert_no_arg(&a, "--builtin-locale");
	assert_no_arg(&a, "--auth=");
	argv_free(&a);
	spec_free(s);
}

static void
test_initdb_args_checksums_encoding(void **state)
{
	struct spec *s;
	struct argv a;

	(void) state;
	build(FIX("cnpg/initdb_checksums_latin1.yaml"), NULL, &s, &a);
	assert_arg(&a, "--data-checksums");
	assert_arg(&a, "--encoding=LATIN1");
	assert_no_arg(&a, "--encoding=UTF8");
	argv_free(&a);
	spec_free(s);
}

static void
test_initdb_args_lc_collate_ctype(void **state)
{
	struct spec *s;
	struct argv a;

	(void) state;
	build(FIX("cnpg/initdb_post_init_sql.yaml"), NULL, &s, &a);
	assert_arg(&a, "--lc-collate=en_US");
	assert_arg(&a, "--lc-ctype=en_US");
	assert_no_arg(&a, "--locale");
	argv_free(&a);
	spec_free(s);
}

/* locale given: --locale, and no C default for collate/ctype. */
static void
test_initdb_args_locale(void **state)
{
	struct spec *s;
	struct argv a;

	(void) state;
	build(FIX("cnpg/locale_given.yaml"), NULL, &s, &a);
	assert_arg(&a, "--locale=C.UTF-8");
	assert_no_arg(&a, "--lc-collate");
	assert_no_arg(&a, "--lc-ctype");
	argv_free(&a);
	spec_free(s);
}

static void
test_initdb_args_icu_and_wal_segsize(void **state)
{
	struct spec *s;
	struct argv a;

	(void) state;
	build(FIX("cnpg/everything.yaml"), NULL, &s, &a);
	assert_arg(&a, "--locale-provider=icu");
	assert_arg(&a, "--icu-locale=en-US");
	assert_arg(&a, "--wal-segsize=64");
	assert_arg(&a, "--encoding=LATIN1");
	assert_arg(&a, "--data-checksums");
	argv_free(&a);
	spec_free(s);
}

static void
test_initdb_args_icu_rules(void **state)
{
	struct spec *s;
	struct argv a;

	(void) state;
	build(FIX("valid/icu_rules.yaml"), NULL, &s, &a);
	assert_arg(&a, "--locale-provider=icu");
	assert_arg(&a, "--icu-rules=&V << w <<< W");
	argv_free(&a);
	spec_free(s);
}

static void
test_initdb_args_builtin_locale(void **state)
{
	struct spec *s;
	struct argv a;

	(void) state;
	build(FIX("valid/builtin_locale.yaml"), NULL, &s, &a);
	assert_arg(&a, "--locale-provider=builtin");
	assert_arg(&a, "--builtin-locale=C.UTF-8");
	argv_free(&a);
	spec_free(s);
}

/* --pwfile only when a password file is given. */
static void
test_initdb_args_pwfile(void **state)
{
	struct spec *s;
	struct argv a;

	(void) state;
	build(FIX("cnpg/superuser_secret.yaml"), "/run/pgpod/initdb-pwfile.42", &s, &a);
	assert_arg(&a, "--pwfile=/run/pgpod/initdb-pwfile.42");
	assert_int_equal(count(a.v[arg_index(&a, "--pwfile=/run/pgpod/initdb-pwfile.42")], "--pwfile"), 1);
	argv_free(&a);
	spec_free(s);
}

/* The deprecated options come last, in order, after pgpod's own flags. */
static void
test_initdb_args_options_last(void **state)
{
	static const char *const opts[] = { "--no-instructions", "-k", "--data-checksums", "--debug" };
	struct spec *s;
	struct argv a;

	(void) state;
	build(FIX("valid/initdb_options_accepted.yaml"), "/run/pgpod/pw", &s, &a);
	assert_true(a.n > 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(a.v[a.n - 4 + i], opts[i]);
	assert_true(arg_index(&a, "--auth-local=peer") < (int) (a.n - 4));
	assert_true(arg_index(&a, "--pwfile=/run/pgpod/pw") < (int) (a.n - 4));
	assert_true(arg_index(&a, "--encoding=UTF8") < (int) (a.n - 4));
	argv_free(&a);
	spec_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_plain),
		cmocka_unit_test(test_quote_single_quote_doubled),
		cmocka_unit_test(test_quote_backslash_escaped),
		cmocka_unit_test(test_quote_truncates_safely),
		cmocka_unit_test(test_render_managed_settings),
		cmocka_unit_test(test_render_user_parameters),
		cmocka_unit_test(test_render_minimal),
		cmocka_unit_test(test_render_preload_parameter_wins),
		cmocka_unit_test(test_hba_order),
		cmocka_unit_test(test_hba_defaults_only),
		cmocka_unit_test(test_hba_replication_by_certificate),
		cmocka_unit_test(test_render_ssl),
		cmocka_unit_test(test_initdb_args_defaults),
		cmocka_unit_test(test_initdb_args_checksums_encoding),
		cmocka_unit_test(test_initdb_args_lc_collate_ctype),
		cmocka_unit_test(test_initdb_args_locale),
		cmocka_unit_test(test_initdb_args_icu_and_wal_segsize),
		cmocka_unit_test(test_initdb_args_icu_rules),
		cmocka_unit_test(test_initdb_args_builtin_locale),
		cmocka_unit_test(test_initdb_args_pwfile),
		cmocka_unit_test(test_initdb_args_options_last),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
