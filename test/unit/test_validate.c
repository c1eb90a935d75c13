/*
 * test_validate.c — cmocka tests for validate_spec (lib/validate.c) and
 * inputs_load (lib/inputs.c): one test per rule, each asserting that the
 * error names the user's field path. Specs come from test/fixtures/spec/
 * (invalid/ holds one broken spec per rule); Secrets and ConfigMaps from
 * test/fixtures/spec/secrets/ and configmaps/, laid out as Kubernetes
 * mounts them. PostgreSQL is never needed: the major is passed explicitly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "diag_asserts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "dialect.h"
#include "inputs.h"
#include "spec.h"
#include "validate.h"

#define FIX(name) "test/fixtures/spec/" name
#define SECRETS FIX("secrets")
#define CONFIGMAPS FIX("configmaps")

/* ---- helpers ---- */

/* Read a fixture (it must read without errors) and apply the defaults:
 * the flow of pgpod up to validation. */
static struct spec *
load(const char *path, struct diag *d)
{
	struct spec *s = NULL;
	bool ok = dialect_load(path, &s, d);

	if (!ok || d->errors.n > 0)
		print_diag(d);
	assert_true(ok);
	assert_non_null(s);
	assert_int_equal(d->errors.n, 0);
	spec_apply_defaults(s);
	return s;
}

/* Read and validate against the given major; the caller frees. */
static struct spec *
check(const char *path, int major, struct diag *d)
{
	struct spec *s = load(path, d);

	validate_spec(s, major, d);
	return s;
}

/* Exactly one error, at path, mentioning needle. */
static void
assert_only_error(const struct diag *d, const char *path, const char *needle)
{
	assert_error(d, path, needle);
	if (d->errors.n != 1)
		print_diag(d);
	assert_int_equal(d->errors.n, 1);
}

static void
assert_no_errors(const struct diag *d)
{
	if (d->errors.n > 0)
		print_diag(d);
	assert_int_equal(d->errors.n, 0);
}

/* A fixture that must validate cleanly on major. */
static void
assert_valid(const char *path, int major)
{
	struct diag d = { 0 };
	struct spec *s = check(path, major, &d);

	if (d.errors.n > 0)
		print_error("%s on PostgreSQL %d:\n", path, major);
	assert_no_errors(&d);
	done(s, &d);
}

/* A fixture whose only error (on major) is at path, mentioning needle. */
static void
assert_invalid(const char *path, int major, const char *field, const char *needle)
{
	struct diag d = { 0 };
	struct spec *s = check(path, major, &d);

	assert_only_error(&d, field, needle);
	done(s, &d);
}

static bool
all_alnum(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char) *s))
			return false;
	return true;
}

/* ---- the documentation's examples are valid ---- */

static void
test_valid_cnpg_examples(void **state)
{
	static const char *const files[] = {
		FIX("cnpg/initdb_app_secret.yaml"), FIX("cnpg/initdb_checksums_latin1.yaml"),
		FIX("cnpg/initdb_app_sql_refs.yaml"), FIX("cnpg/initdb_sql_refs_order.yaml"),
		FIX("cnpg/basebackup_password.yaml"), FIX("cnpg/basebackup_tls.yaml"),
		FIX("cnpg/basebackup_app_db.yaml"), FIX("cnpg/recovery_pitr.yaml"),
		FIX("cnpg/replica_cluster.yaml"), FIX("cnpg/minimal.yaml"),
		FIX("cnpg/operator_fields.yaml"), FIX("cnpg/everything.yaml"),
		FIX("cnpg/initdb_app_secret.json"), FIX("cnpg/multidoc_secret_then_cluster.yaml"),
		FIX("cnpg/superuser_secret.yaml"), FIX("cnpg/superuser_generated.yaml"),
		FIX("cnpg/backup_object_store.yaml"),
	};

	(void) state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		assert_valid(files[i], 15);
}

static void
test_valid_chart_examples(void **state)
{
	static const char *const files[] = {
		FIX("chart/basebackup_password.yaml"), FIX("chart/basebackup_tls.yaml"),
		FIX("chart/same_namespace_clone.yaml"), FIX("chart/external_server.yaml"),
		FIX("chart/weekly_refresh.yaml"),
	};

	(void) state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		assert_valid(files[i], 15);
}

static void
test_valid_pgo_examples(void **state)
{
	static const char *const files[] = {
		FIX("pgo/clone_postgrescluster.yaml"), FIX("pgo/pitr_postgrescluster.yaml"),
		FIX("pgo/inplace_restore.yaml"), FIX("pgo/restore_db_include.yaml"),
		FIX("pgo/standby_s3.yaml"), FIX("pgo/hippo_s3_backups.yaml"),
		FIX("pgo/clone_s3_datasource.yaml"), FIX("pgo/clone_s3_to_volume.yaml"),
		FIX("pgo/users_instance_sets.yaml"),
	};

	(void) state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		assert_valid(files[i], 15);
}

static void
test_valid_percona_examples(void **state)
{
	(void) state;
	assert_valid(FIX("percona/standby_gcs.yaml"), 15);
	assert_valid(FIX("percona/standby_streaming.yaml"), 15);
}

/* ---- one rule each ---- */

/* A locale that does not exist is refused before initdb runs. */
/* Every checked field of an object store, each named with its reason. */
static void
test_objstore_fields_refused(void **state)
{
	struct diag d = { 0 };
	struct spec *s = check(FIX("invalid/objstore_bad_fields.yaml"), 15, &d);
	static const char *const base = "spec.backup.barmanObjectStore";
	char p[200];

	(void) state;
	snprintf(p, sizeof(p), "%s.destinationPath", base);
	assert_error(&d, p, "is not an object store destination");
	snprintf(p, sizeof(p), "%s.endpointURL", base);
	assert_error(&d, p, "is not an endpoint URL");
	snprintf(p, sizeof(p), "%s.serverName", base);
	assert_error(&d, p, "is not a server name");
	snprintf(p, sizeof(p), "%s.wal.compression", base);
	assert_error(&d, p, "gzip, bzip2 or snappy");
	snprintf(p, sizeof(p), "%s.wal.encryption", base);
	assert_error(&d, p, "AES256 or aws:kms");
	snprintf(p, sizeof(p), "%s.wal.maxParallel", base);
	assert_error(&d, p, "out of range");
	snprintf(p, sizeof(p), "%s.tags", base);
	assert_error(&d, p, "without commas");
	assert_error(&d, "spec.backup.retentionPolicy", "is not a retention policy");
	snprintf(p, sizeof(p), "%s.wal.archiveAdditionalCommandArgs", base);
	assert_error(&d, p, "\"s3://other/bucket\" is not a long option");
	snprintf(p, sizeof(p), "%s.data.additionalCommandArgs", base);
	assert_error(&d, p, "\"-n\" is not a long option");
	assert_error(&d, p, "\"--name\": no control characters");
	assert_int_equal(d.errors.n, 11);
	done(s, &d);
}

/* Every checked field of an import, and the rules between them. */
static void
test_import_fields_refused(void **state)
{
	struct diag d = { 0 };
	struct spec *s = check(FIX("invalid/import_bad_fields.yaml"), 15, &d);
	static const char *const base = "spec.bootstrap.initdb.import";
	char p[200];

	(void) state;
	snprintf(p, sizeof(p), "%s.roles", base);
	assert_error(&d, p, "\"*\" stands for all and must be the only element");
	assert_error(&d, p, "roles are imported by a monolith import only");
	snprintf(p, sizeof(p), "%s.databases", base);
	assert_error(&d, p, "a microservice import takes exactly one database");
	snprintf(p, sizeof(p), "%s.source.externalCluster", base);
	assert_error(&d, p, "\"nowhere\" is not defined in externalClusters");
	snprintf(p, sizeof(p), "%s.pgDumpExtraOptions", base);
	assert_error(&d, p, "\"--file=/etc/passwd\": pgpod sets --file of pg_dump itself");
	assert_error(&d, p, "\"-Z9\" is not a long option of pg_dump");
	snprintf(p, sizeof(p), "%s.pgRestoreExtraOptions", base);
	assert_error(&d, p, "\"--role=postgres\": pgpod sets --role of pg_restore itself");
	if (d.errors.n != 7)
		print_diag(&d);
	assert_int_equal(d.errors.n, 7);
	done(s, &d);
}

static void
test_objstore_credentials_of_another_provider(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/objstore_wrong_credentials.yaml"), 15,
		       "spec.backup.barmanObjectStore.destinationPath",
		       "is an S3 destination but the credentials are google ones");
}

static void
test_locale_unavailable(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/locale_unavailable.yaml"), 15, "spec.bootstrap.initdb.localeCollate",
		       "locale \"xx_YY.UTF-8\" is not available");
}

/* A locale whose codeset does not match the encoding is refused. */
static void
test_locale_encoding_mismatch(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/locale_encoding_mismatch.yaml"), 15, "spec.bootstrap.initdb.locale",
		       "does not match the encoding LATIN1");
}

static void
test_one_bootstrap_method(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;

	(void) state;
	/* a model is still returned, with the error */
	assert_true(dialect_load(FIX("invalid/two_bootstrap_methods.yaml"), &s, &d));
	assert_non_null(s);
	assert_only_error(&d, "spec.bootstrap", "only one bootstrap method");
	assert_error(&d, "spec.bootstrap", "pg_basebackup");
	spec_free(s);
	diag_free(&d);
}

static void
test_wal_segment_size_refused(void **state)
{
	static const char *const files[] = {
		FIX("invalid/wal_segment_size_0.yaml"), FIX("invalid/wal_segment_size_3.yaml"),
		FIX("invalid/wal_segment_size_2048.yaml"),
	};
	static const char *const got[] = { "got 0", "got 3", "got 2048" };

	(void) state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		assert_invalid(files[i], 15, "spec.bootstrap.initdb.walSegmentSize", "power of two");
		assert_invalid(files[i], 15, "spec.bootstrap.initdb.walSegmentSize", got[i]);
	}
}

static void
test_wal_segment_size_accepted(void **state)
{
	static const char *const files[] = {
		FIX("valid/wal_segment_size_1.yaml"), FIX("valid/wal_segment_size_64.yaml"),
		FIX("valid/wal_segment_size_1024.yaml"),
	};
	static const int sizes[] = { 1, 64, 1024 };

	(void) state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct diag d = { 0 };
		struct spec *s = check(files[i], 15, &d);

		assert_int_equal(s->wal_segment_size, sizes[i]);
		assert_no_errors(&d);
		done(s, &d);
	}
}

static void
test_locale_provider_unknown(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/locale_provider_unknown.yaml"), 15,
		       "spec.bootstrap.initdb.localeProvider", "\"glibc\"");
}

static void
test_icu_locale_needs_icu_provider(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/icu_locale_without_provider.yaml"), 17,
		       "spec.bootstrap.initdb.icuLocale", "localeProvider: icu");
}

static void
test_icu_rules_need_icu_provider(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/icu_rules_with_libc.yaml"), 17,
		       "spec.bootstrap.initdb.icuRules", "localeProvider: icu");
}

static void
test_builtin_locale_needs_builtin_provider(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/builtin_locale_with_icu.yaml"), 17,
		       "spec.bootstrap.initdb.builtinLocale", "localeProvider: builtin");
}

/* icuRules: refused on 15, accepted on 16 and 17. */
static void
test_icu_rules_need_pg16(void **state)
{
	(void) state;
	assert_invalid(FIX("valid/icu_rules.yaml"), 15, "spec.bootstrap.initdb.icuRules",
		       "PostgreSQL 16");
	assert_valid(FIX("valid/icu_rules.yaml"), 16);
	assert_valid(FIX("valid/icu_rules.yaml"), 17);
}

/* builtinLocale (and the builtin provider): refused on 15 and 16,
 * accepted on 17. */
static void
test_builtin_locale_needs_pg17(void **state)
{
	static const int majors[] = { 15, 16 };

	(void) state;
	for (size_t i = 0; i < 2; i++) {
		struct diag d = { 0 };
		struct spec *s = check(FIX("valid/builtin_locale.yaml"), majors[i], &d);

		assert_error(&d, "spec.bootstrap.initdb.builtinLocale", "PostgreSQL 17");
		assert_error(&d, "spec.bootstrap.initdb.localeProvider", "PostgreSQL 17");
		assert_int_equal(d.errors.n, 2);
		done(s, &d);
	}
	assert_valid(FIX("valid/builtin_locale.yaml"), 17);
}

/* initdb.options that take over authentication, the data directory, the
 * password file or the superuser's name are refused, each by name. */
static void
test_initdb_options_refused(void **state)
{
	static const char *const refused[] = {
		"\"--auth=trust\"", "\"--auth-local=trust\"", "\"-A trust\"", "\"-D /x\"",
		"\"--pgdata=/x\"", "\"--pwfile=/x\"", "\"-U bob\"", "\"--username=bob\"",
	};
	struct diag d = { 0 };
	struct spec *s = check(FIX("invalid/initdb_options_refused.yaml"), 15, &d);

	(void) state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_error(&d, "spec.bootstrap.initdb.options", refused[i]);
	assert_int_equal(d.errors.n, sizeof(refused) / sizeof(refused[0]));
	done(s, &d);
}

static void
test_initdb_options_accepted(void **state)
{
	struct diag d = { 0 };
	struct spec *s = check(FIX("valid/initdb_options_accepted.yaml"), 15, &d);

	(void) state;
	assert_no_errors(&d);
	assert_int_equal(s->initdb_options.n, 4);
	/* accepted, but deprecated */
	assert_int_equal(d.warnings.n, 1);
	assert_true(has_msg(&d.warnings, "spec.bootstrap.initdb.options", "deprecated"));
	done(s, &d);
}

static void
test_bad_encoding(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/bad_encoding.yaml"), 15, "spec.bootstrap.initdb.encoding",
		       "\"KLINGON8\"");
}

static void
test_instances_zero(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/instances_zero.yaml"), 15, "spec.instances", "at least 1");
}

static void
test_managed_parameter(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/managed_parameter.yaml"), 15, "spec.postgresql.parameters.port",
		       "managed by pgpod");
	assert_true(validate_is_managed_parameter("port"));
	assert_true(validate_is_managed_parameter("Listen_Addresses"));
	assert_true(validate_is_managed_parameter("data_directory"));
	assert_false(validate_is_managed_parameter("work_mem"));
	assert_false(validate_is_managed_parameter("portx"));
}

static void
test_pg_hba_bad_type(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/pg_hba_bad_type.yaml"), 15, "spec.postgresql.pg_hba[1]",
		       "\"hots\" is not a pg_hba.conf connection type");
}

static void
test_basebackup_source_not_defined(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/basebackup_unknown_source.yaml"), 15,
		       "spec.bootstrap.pg_basebackup.source", "\"source-db\" is not defined in externalClusters");
}

/* externalClusters names become file names: no '/' and no '..'. */
static void
test_external_cluster_names(void **state)
{
	struct diag d = { 0 };
	struct spec *s = check(FIX("invalid/external_cluster_names.yaml"), 15, &d);

	(void) state;
	assert_error(&d, "spec.externalClusters[1].name", "\"team/db\"");
	assert_error(&d, "spec.externalClusters[2].name", "\"..\"");
	assert_false(has_msg(&d.errors, "spec.externalClusters[0].name", ""));
	assert_int_equal(d.errors.n, 2);
	done(s, &d);
}

/* The PGO spec asks for 16; the image has 15. */
static void
test_pgo_postgres_version_mismatch(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/pgo_postgres_version.yaml"), 15, "spec.postgresVersion",
		       "PostgreSQL 16");
	assert_valid(FIX("invalid/pgo_postgres_version.yaml"), 16);
}

static void
test_smart_shutdown_exceeds_stop_delay(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/smart_shutdown_exceeds_stop_delay.yaml"), 15,
		       "spec.smartShutdownTimeout", "stopDelay (300 s)");
}

static void
test_maximum_lag_not_a_size(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/maximum_lag_not_a_size.yaml"), 15,
		       "spec.probes.readiness.maximumLag", "\"sixteen megs\" is not a size");
	assert_valid(FIX("cnpg/maximum_lag.yaml"), 15);
}

/* Sizes in PostgreSQL's units and as Kubernetes quantities. */
static void
test_parse_size(void **state)
{
	static const struct {
		const char *text;
		long long   bytes;
	} good[] = {
		{ "0", 0 }, { "1048576", 1048576 }, { "512B", 512 }, { "16kB", 16384 },
		{ "16MB", 16777216 }, { "1GB", 1073741824 }, { "2TB", 2199023255552LL },
		{ "16Mi", 16777216 }, { "1Gi", 1073741824 }, { "4Ki", 4096 },
		{ "16M", 16000000 }, { "1G", 1000000000 }, { "3k", 3000 },
	};
	static const char *const bad[] = {
		"", "-1", "MB", "16 MB", "16mb", "16Mib", "1.5Gi", "99999999999999999999",
		"9223372036854775807Ki", " 16",
	};
	long long n;

	(void) state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = -1;
		assert_true(spec_parse_size(good[i].text, &n));
		assert_int_equal(n, good[i].bytes);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(spec_parse_size(bad[i], &n));
	assert_false(spec_parse_size(NULL, &n));
}

/* A superuser Secret with enableSuperuserAccess: false is a warning. */
static void
test_superuser_secret_ignored_warns(void **state)
{
	struct diag d = { 0 };
	struct spec *s = check(FIX("cnpg/superuser_disabled.yaml"), 15, &d);

	(void) state;
	assert_no_errors(&d);
	assert_true(has_msg(&d.warnings, "spec.superuserSecret.name", "enableSuperuserAccess is false"));
	done(s, &d);
}

/* ---- inputs_load ---- */

static void
test_inputs_app_secret(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("cnpg/initdb_app_secret.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_true(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_no_errors(&d);
	assert_non_null(in.app_username);
	assert_string_equal(in.app_username, "app");
	/* the trailing newline of the file is not part of the password */
	assert_non_null(in.app_password);
	assert_string_equal(in.app_password, "s3cr3t-app");
	assert_false(in.app_generated);
	/* no superuser access asked for: no superuser password */
	assert_null(in.su_password);
	assert_false(in.su_generated);
	assert_int_equal(in.post_init.n + in.post_init_template.n + in.post_init_application.n, 0);
	inputs_free(&in);
	done(s, &d);
}

static void
test_inputs_superuser_secret(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("cnpg/everything.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_true(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_no_errors(&d);
	assert_string_equal(in.app_username, "shopper");
	assert_string_equal(in.app_password, "shop-pass-7f3a");
	/* "\r\n" is stripped too */
	assert_non_null(in.su_password);
	assert_string_equal(in.su_password, "su-pass-91c2");
	assert_false(in.su_generated);
	inputs_free(&in);
	done(s, &d);
}

static void
test_inputs_secret_username_must_be_owner(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("invalid/secret_username_mismatch.yaml"), &d);
	struct inputs in;

	(void) state;
	validate_spec(s, 15, &d);
	assert_no_errors(&d);
	assert_false(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_only_error(&d, "spec.bootstrap.initdb.secret.name", "username \"bob\"");
	assert_error(&d, "spec.bootstrap.initdb.secret.name", "owner is \"app\"");
	inputs_free(&in);
	done(s, &d);
}

static void
test_inputs_superuser_username_must_be_postgres(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("invalid/superuser_username.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_false(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_only_error(&d, "spec.superuserSecret.name", "username \"admin\"");
	assert_error(&d, "spec.superuserSecret.name", "must be \"postgres\"");
	inputs_free(&in);
	done(s, &d);
}

static void
test_inputs_missing_secret(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("invalid/missing_secret.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_false(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_only_error(&d, "spec.bootstrap.initdb.secret.name", "\"no-such-secret\"");
	inputs_free(&in);
	done(s, &d);
}

static void
test_inputs_missing_password_key(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("invalid/missing_password_key.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_false(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_only_error(&d, "spec.bootstrap.initdb.secret.name", "no key \"password\"");
	inputs_free(&in);
	done(s, &d);
}

/* The second ref names a key the Secret does not have. */
static void
test_inputs_missing_secret_key(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("invalid/missing_secret_key.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_false(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_only_error(&d, "spec.bootstrap.initdb.postInitSQLRefs.secretRefs[1]",
			  "no key \"no-such-key.sql\"");
	assert_int_equal(in.post_init.n, 1);
	inputs_free(&in);
	done(s, &d);
}

static void
test_inputs_missing_configmap(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("invalid/missing_configmap.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_false(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_only_error(&d, "spec.bootstrap.initdb.postInitApplicationSQLRefs.configMapRefs[0]",
			  "configmap \"no-such-configmap\"");
	inputs_free(&in);
	done(s, &d);
}

/* The PGO databaseInitSQL ConfigMap is looked for too. */
static void
test_inputs_pgo_database_init_sql_missing(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("pgo/users_instance_sets.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_false(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_int_equal(d.errors.n, 1);
	assert_int_equal(strncmp(d.errors.items[0], "spec.databaseInitSQL", 20), 0);
	assert_non_null(strstr(d.errors.items[0], "\"zoo-init-sql\""));
	inputs_free(&in);
	done(s, &d);
}

static void
test_inputs_refs_loaded(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("cnpg/initdb_app_sql_refs.yaml"), &d);
	struct inputs in;
	const struct sqlfiles *f = &in.post_init_application;

	(void) state;
	assert_true(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_no_errors(&d);
	assert_int_equal(f->n, 2);
	assert_string_equal(f->items[0].label, "postInitApplicationSQLRefs.secretRefs[0]");
	assert_string_equal(f->items[0].origin, "secret my-secret key secret.sql");
	assert_string_equal(f->items[0].sql, "CREATE TABLE from_secret (id int);\n");
	assert_string_equal(f->items[1].label, "postInitApplicationSQLRefs.configMapRefs[0]");
	assert_string_equal(f->items[1].origin, "configmap my-configmap key configmap.sql");
	assert_string_equal(f->items[1].sql, "CREATE TABLE from_configmap (id int);\n");
	assert_int_equal(in.post_init.n + in.post_init_template.n, 0);
	inputs_free(&in);
	done(s, &d);
}

/* Secrets before ConfigMaps even when the YAML lists ConfigMaps first. */
static void
test_inputs_secrets_before_configmaps(void **state)
{
	static const char *const labels[] = {
		"postInitSQLRefs.secretRefs[0]", "postInitSQLRefs.secretRefs[1]",
		"postInitSQLRefs.configMapRefs[0]", "postInitSQLRefs.configMapRefs[1]",
	};
	static const char *const sql[] = {
		"SELECT 'sec-a';\n", "SELECT 'sec-b';\n", "SELECT 'cm-a';\n", "SELECT 'cm-b';\n",
	};
	struct diag d = { 0 };
	struct spec *s = load(FIX("cnpg/initdb_sql_refs_order.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_true(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_no_errors(&d);
	assert_int_equal(in.post_init.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(in.post_init.items[i].label, labels[i]);
		assert_string_equal(in.post_init.items[i].sql, sql[i]);
	}
	assert_int_equal(in.post_init_template.n, 1);
	assert_string_equal(in.post_init_template.items[0].label,
			    "postInitTemplateSQLRefs.configMapRefs[0]");
	inputs_free(&in);
	done(s, &d);
}

/* No app Secret: a random password of 32 [A-Za-z0-9], new each time. */
static void
test_inputs_generated_password(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("cnpg/minimal.yaml"), &d);
	struct inputs a, b;

	(void) state;
	assert_true(inputs_load(s, SECRETS, CONFIGMAPS, &a, &d));
	assert_true(inputs_load(s, SECRETS, CONFIGMAPS, &b, &d));
	assert_no_errors(&d);
	assert_true(a.app_generated);
	assert_null(a.app_username);
	assert_non_null(a.app_password);
	assert_int_equal(strlen(a.app_password), 32);
	assert_true(all_alnum(a.app_password));
	assert_int_equal(strlen(b.app_password), 32);
	assert_string_not_equal(a.app_password, b.app_password);
	/* superuser access is off by default */
	assert_null(a.su_password);
	inputs_free(&a);
	inputs_free(&b);
	done(s, &d);
}

static void
test_inputs_generated_superuser_password(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("cnpg/superuser_generated.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_true(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_true(in.su_generated);
	assert_non_null(in.su_password);
	assert_int_equal(strlen(in.su_password), 32);
	assert_true(all_alnum(in.su_password));
	assert_string_not_equal(in.su_password, in.app_password);
	inputs_free(&in);
	done(s, &d);
}

static void
test_generate_password_buffer(void **state)
{
	char small[32];
	char buf[33];

	(void) state;
	assert_false(inputs_generate_password(small, sizeof(small)));
	assert_true(inputs_generate_password(buf, sizeof(buf)));
	assert_int_equal(strlen(buf), 32);
	assert_true(all_alnum(buf));
}

/* inputs_read_key keeps the value verbatim and refuses path tricks. */
static void
test_read_key(void **state)
{
	char *v = NULL;
	int err = 0;

	(void) state;
	assert_true(inputs_read_key(SECRETS, "app-secret", "password", &v, &err));
	assert_string_equal(v, "s3cr3t-app\n");
	free(v);
	assert_false(inputs_read_key(SECRETS, "app-secret", "nope", &v, &err));
	assert_int_equal(err, ENOENT);
	assert_null(v);
	assert_false(inputs_read_key(SECRETS, "..", "secrets", &v, &err));
	assert_int_equal(err, EINVAL);
	assert_false(inputs_read_key(SECRETS, "app-secret/..", "app-secret", &v, &err));
	assert_int_equal(err, EINVAL);
	assert_false(inputs_read_key(SECRETS, "app-secret", "../app-secret", &v, &err));
	assert_int_equal(err, EINVAL);
	assert_false(inputs_read_key(SECRETS, "", "password", &v, &err));
	assert_int_equal(err, EINVAL);
	assert_null(v);
}


/* initdb accepts unambiguous abbreviations of long options and bundled
 * short options: these take over the superuser, data directory, password
 * file and authentication just like the refused spellings. */
static void
test_initdb_options_abbreviations(void **state)
{
	static const char *const sneaky[] = {
		"--user=bob", "--pgd=/x", "--pwf=/x", "-kAtrust", "-kUbob", "-kD/x",
	};
	struct spec *s = spec_new();
	struct diag d = { 0 };

	(void) state;
	for (size_t i = 0; i < sizeof(sneaky) / sizeof(sneaky[0]); i++)
		strlist_add(&s->initdb_options, sneaky[i]);
	spec_apply_defaults(s);
	validate_spec(s, 15, &d);
	for (size_t i = 0; i < sizeof(sneaky) / sizeof(sneaky[0]); i++)
		assert_error(&d, "bootstrap.initdb.options", sneaky[i]);
	done(s, &d);
}

/* pg_hba.conf include directives exist from PostgreSQL 16 on. */
static void
test_pg_hba_include_on_15(void **state)
{
	struct spec *s = spec_new();
	struct diag d = { 0 };

	(void) state;
	strlist_add(&s->pg_hba, "include_dir hba.d");
	spec_apply_defaults(s);
	validate_spec(s, 15, &d);
	assert_error(&d, "postgresql.pg_hba[0]", "include_dir");
	done(s, &d);
}

/* databaseInitSQL is one {name, key}, not a list: no "[0]" in its path. */
static void
test_pgo_database_init_sql_path(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("pgo/users_instance_sets.yaml"), &d);
	struct inputs in;

	(void) state;
	assert_false(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_error(&d, "spec.databaseInitSQL", "zoo-init-sql");
	inputs_free(&in);
	done(s, &d);
}

/* A value given as the next element is not the data directory; a bare
 * word that is nobody's value is; -kE is -k -E with a value. */
static void
test_initdb_options_values_and_positional(void **state)
{
	struct spec *s = spec_new();
	struct diag d = { 0 };

	(void) state;
	strlist_add(&s->initdb_options, "--encoding");
	strlist_add(&s->initdb_options, "UTF8");
	strlist_add(&s->initdb_options, "-kE");
	strlist_add(&s->initdb_options, "-U");		/* the value of -E: not -U */
	strlist_add(&s->initdb_options, "--allow-group-access");
	strlist_add(&s->initdb_options, "--no-locale");
	spec_apply_defaults(s);
	validate_spec(s, 15, &d);
	assert_int_equal(d.errors.n, 0);
	strlist_add(&s->initdb_options, "/somewhere/else");
	validate_spec(s, 15, &d);
	assert_error(&d, "bootstrap.initdb.options", "/somewhere/else");
	done(s, &d);
}

/* A Secret that is not mounted at all is named as missing, not its key. */
static void
test_inputs_whole_secret_missing(void **state)
{
	struct spec *s = spec_new();
	struct diag d = { 0 };
	struct inputs in;

	(void) state;
	s->app_secret = strdup("no-such-secret");
	spec_apply_defaults(s);
	assert_false(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_error(&d, "bootstrap.secret", "does not exist");
	inputs_free(&in);
	done(s, &d);
}

/* ---- the restore shape, checked the same way for every dialect ---- */

/* A restore stops at one target. */
static void
test_restore_one_target(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/restore_two_targets.yaml"), 15,
		       "spec.bootstrap.recovery.recoveryTarget.targetXID",
		       "only one recovery target may be given, found time, xid");
}

/* exclusive: only with a time, xid or lsn target. */
static void
test_restore_exclusive_needs_time_xid_lsn(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/restore_exclusive_name.yaml"), 15,
		       "spec.bootstrap.recovery.recoveryTarget.exclusive", "time, xid or lsn");
}

/* PGO's --type=time without --target: the error names the options. */
static void
test_pgo_type_time_needs_target(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/pgo_type_time_without_target.yaml"), 15,
		       "spec.dataSource.postgresCluster.options", "a time recovery target needs a value");
}

/* An immediate target takes no value; a value needs a type. */
static void
test_pgo_target_value_rules(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/pgo_immediate_with_target.yaml"), 15,
		       "spec.backups.pgbackrest.restore.options", "immediate recovery target takes no value");
	assert_invalid(FIX("invalid/pgo_target_without_type.yaml"), 15,
		       "spec.dataSource.postgresCluster.options", "needs a target type");
}

/* Options pgpod sets itself are refused by name, wherever they are in the
 * list; other options pass. */
static void
test_pgo_refused_options(void **state)
{
	static const char *const refused[] = {
		"\"--repo=2\"", "\"--stanza=db\"", "\"--pg1-path=/elsewhere\"",
		"\"--link-map=pg_wal=/wal\"", "\"--target-action=pause\"",
	};
	struct diag d = { 0 };
	struct spec *s = check(FIX("invalid/pgo_refused_options.yaml"), 15, &d);

	(void) state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_error(&d, "spec.dataSource.postgresCluster.options", refused[i]);
	if (d.errors.n != sizeof(refused) / sizeof(refused[0]))
		print_diag(&d);
	assert_int_equal(d.errors.n, sizeof(refused) / sizeof(refused[0]));
	assert_false(has_msg(&d.errors, "spec.dataSource.postgresCluster.options", "--delta"));
	done(s, &d);
}

/* A repository of this cluster must be among its repos: the in-place
 * restore's and the standby's. */
static void
test_pgo_own_repo_must_exist(void **state)
{
	(void) state;
	assert_invalid(FIX("invalid/pgo_inplace_unknown_repo.yaml"), 15,
		       "spec.backups.pgbackrest.restore.repoName",
		       "\"repo2\" is not defined in spec.backups.pgbackrest.repos");
	assert_invalid(FIX("invalid/pgo_standby_unknown_repo.yaml"), 15, "spec.standby.repoName",
		       "\"repo4\" is not defined in spec.backups.pgbackrest.repos");
}

/* dataSource.postgresCluster's repository belongs to the source cluster's
 * document: not checked here. A standby streaming from a host needs no
 * repository. */
static void
test_pgo_other_cluster_repo_accepted(void **state)
{
	struct diag d = { 0 };
	struct spec *s = check(FIX("valid/pgo_clone_other_cluster_repo.yaml"), 15, &d);

	(void) state;
	assert_no_errors(&d);
	assert_int_equal(s->restore.target.kind, SPEC_TARGET_XID);
	assert_string_equal(s->restore.target.value, "1234567");
	assert_int_equal(s->restore.target.exclusive, 1);
	assert_string_equal(s->restore.backup_id, "20210609-141511F");
	assert_int_equal(s->restore.passthrough.n, 2);
	done(s, &d);
	assert_valid(FIX("valid/pgo_standby_host_only.yaml"), 15);
}

/* The same rules on a model built by hand: no dialect involved. */
static void
test_restore_rules_any_dialect(void **state)
{
	struct spec *s = spec_new();
	struct diag d = { 0 };

	(void) state;
	s->inplace.target.kind = SPEC_TARGET_LSN;
	s->inplace.target.given = 1u << SPEC_TARGET_LSN;
	strlist_add(&s->inplace.passthrough, "--stanza=x");
	spec_apply_defaults(s);
	validate_spec(s, 15, &d);
	assert_error(&d, "restoreInPlace.target.lsn", "a lsn recovery target needs a value");
	assert_error(&d, "restoreInPlace.options", "\"--stanza=x\" is not allowed");
	assert_int_equal(d.errors.n, 2);
	done(s, &d);
	/* a source of no stated kind is an externalClusters entry */
	s = spec_new();
	memset(&d, 0, sizeof(d));
	s->bootstrap = SPEC_BOOTSTRAP_RECOVERY;
	s->restore.source = strdup("nowhere");
	s->standby_enabled = 1;
	s->standby_source = strdup("elsewhere");
	spec_apply_defaults(s);
	validate_spec(s, 15, &d);
	assert_error(&d, "bootstrap.restore.source", "\"nowhere\" is not defined in externalClusters");
	assert_error(&d, "standby.source", "\"elsewhere\" is not defined in externalClusters");
	assert_int_equal(d.errors.n, 2);
	done(s, &d);
}

/* Single-field rules hang off the field tables. */
static void
test_checks_on_the_table(void **state)
{
	static const char *const checked[] = {
		"instances", "bootstrap.database", "bootstrap.owner", "bootstrap.initdb.encoding",
		"bootstrap.initdb.walSegmentSize", "probes.readiness.maximumLag",
		"postgresql.parameters", "postgresql.pg_hba",
	};
	const struct spec_field *ext;

	(void) state;
	for (size_t i = 0; i < sizeof(checked) / sizeof(checked[0]); i++)
		assert_non_null(spec_fields[spec_field_index(checked[i])].check);
	ext = &spec_fields[spec_field_index("externalClusters")];
	assert_non_null(ext->list);
	assert_string_equal(ext->list->fields[0].key, "name");
	assert_true(ext->list->fields[0].check == validate_external_name);
}

/* ---- which Secrets a spec reads ---- */

static void
assert_secret_names(const char *fixture, const char *const *want, size_t n)
{
	struct diag d = { 0 };
	struct spec *s = load(fixture, &d);
	struct strlist names = { 0 };

	inputs_secret_names(s, &names);
	if (names.n != n)
		for (size_t i = 0; i < names.n; i++)
			print_error("%s: %s\n", fixture, names.items[i]);
	assert_int_equal(names.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(names.items[i], want[i]);
	strlist_free(&names);
	done(s, &d);
}

/* The app and superuser Secrets, the replication Secret, the Secrets of
 * the external clusters in use (once each), initdb's secretRefs (not the
 * ConfigMaps); an external cluster nobody uses is not read. */
static void
test_inputs_secret_names(void **state)
{
	static const char *const everything[] = {
		"shop-secret", "superuser-secret", "everything-replication",
	};
	static const char *const tls[] = {
		"cluster-example-replication", "cluster-example-ca", "cluster-clone-tls-replication",
	};
	static const char *const refs[] = { "refs-order-replication", "sec-a", "sec-b" };
	struct diag d = { 0 };
	struct spec *s = load(FIX("cnpg/initdb_sql_refs_order.yaml"), &d);
	char repl[300];

	(void) state;
	assert_secret_names(FIX("cnpg/everything.yaml"), everything, 3);
	assert_secret_names(FIX("cnpg/basebackup_tls.yaml"), tls, 3);
	inputs_replication_secret(s, repl, sizeof(repl));
	assert_string_equal(repl, refs[0]);
	assert_secret_names(FIX("cnpg/initdb_sql_refs_order.yaml"), refs, 3);
	done(s, &d);
}

/* ---- certificates ----
 *
 * The tls-*, pgo-tls and pgo-repl Secrets of the fixtures were made once
 * with openssl (EC P-256, 100 years, one CA: tls-ca/ca.crt): tls-server
 * for CN localhost with SAN DNS:localhost, DNS:pg-rw, IP:127.0.0.1;
 * tls-repl for CN streaming_replica, tls-repl-app for CN app; tls-expired
 * valid from 2020-01-01 to 2020-01-02 (openssl ca -startdate/-enddate);
 * tls-mismatch the server's certificate with another key; tls-not-pem no
 * certificate at all. */

/* Read, validate and load a TLS fixture: its errors in d. */
static bool
tls_load(const char *path, struct spec **s, struct inputs *in, struct diag *d)
{
	*s = load(path, d);
	validate_spec(*s, 15, d);
	return inputs_load(*s, SECRETS, CONFIGMAPS, in, d) && d->errors.n == 0;
}

/* Every certificate fits: the PEM texts are loaded, replicas log in with
 * their certificate, and the certificates' Secrets are watched. */
static void
test_tls_loaded(void **state)
{
	static const char *const names[] = { "tls-replication", "tls-server", "tls-ca", "tls-repl" };
	struct diag d = { 0 };
	struct spec *s;
	struct inputs in;

	(void) state;
	assert_true(tls_load(FIX("cnpg/certificates.yaml"), &s, &in, &d));
	assert_no_errors(&d);
	assert_int_equal(d.warnings.n, 0);
	assert_non_null(strstr(in.tls.server_cert, "BEGIN CERTIFICATE"));
	assert_non_null(strstr(in.tls.server_key, "PRIVATE KEY"));
	assert_non_null(in.tls.server_ca);
	assert_non_null(in.tls.client_ca);
	assert_non_null(in.tls.repl_key);
	assert_true(inputs_replication_by_cert(&in));
	assert_secret_names(FIX("cnpg/certificates.yaml"), names, 4);
	inputs_free(&in);
	done(s, &d);
}

/* PGO's one Secret gives the server's pair and both CAs. */
static void
test_tls_pgo_loaded(void **state)
{
	struct diag d = { 0 };
	struct spec *s;
	struct inputs in;

	(void) state;
	assert_true(tls_load(FIX("pgo/custom_tls.yaml"), &s, &in, &d));
	assert_non_null(in.tls.server_cert);
	assert_non_null(in.tls.server_ca);
	assert_non_null(in.tls.client_ca);
	assert_true(inputs_replication_by_cert(&in));
	inputs_free(&in);
	done(s, &d);
}

/* What postgres would refuse is an error naming the Secret and the key. */
static void
test_tls_bad_files(void **state)
{
	static const struct {
		const char *fixture;
		const char *needle;
	} bad[] = {
		{ "invalid/tls_expired.yaml", "secret \"tls-expired\" key \"tls.crt\": the certificate "
		  "expired on Jan  2 00:00:00 2020 GMT" },
		{ "invalid/tls_key_mismatch.yaml", "secret \"tls-mismatch\" key \"tls.key\": is not the "
		  "key of the certificate" },
		{ "invalid/tls_not_pem.yaml", "secret \"tls-not-pem\" key \"tls.crt\": is not a PEM "
		  "certificate" },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag d = { 0 };
		char path[256];
		struct spec *s;
		struct inputs in;

		snprintf(path, sizeof(path), FIX("%s"), bad[i].fixture);
		assert_false(tls_load(path, &s, &in, &d));
		assert_only_error(&d, "spec.certificates.serverTLSSecret", bad[i].needle);
		inputs_free(&in);
		done(s, &d);
	}
}

/* A replication certificate for another CN, a missing alt name. */
static void
test_tls_replication_cn_and_alt_names(void **state)
{
	struct diag d = { 0 };
	struct spec *s;
	struct inputs in;

	(void) state;
	assert_false(tls_load(FIX("invalid/tls_replication_wrong_cn.yaml"), &s, &in, &d));
	assert_only_error(&d, "spec.certificates.replicationTLSSecret", "for CN \"app\"");
	assert_warning(&d, "spec.certificates.serverAltDNSNames", "\"pg-ro\" is not a name");
	assert_int_equal(d.warnings.n, 1);
	inputs_free(&in);
	done(s, &d);
}

/* pgpod makes no certificate: the fields that need others say which. */
static void
test_tls_rules(void **state)
{
	struct diag d = { 0 };
	struct spec *s = check(FIX("invalid/tls_without_server.yaml"), 15, &d);

	(void) state;
	assert_error(&d, "spec.certificates.clientCASecret", "needs certificates.serverTLSSecret");
	assert_error(&d, "spec.certificates.replicationTLSSecret", "needs certificates.serverTLSSecret");
	done(s, &d);
	s = check(FIX("invalid/tls_replication_without_cas.yaml"), 15, &d);
	assert_error(&d, "spec.certificates.replicationTLSSecret", "needs clientCASecret");
	assert_error(&d, "spec.certificates.replicationTLSSecret", "needs serverCASecret");
	assert_int_equal(d.errors.n, 2);
	done(s, &d);
}

/* The Secrets listed are the ones inputs_load reads: a replica cluster's
 * source is read and listed; without the replica it is neither. */
static void
test_inputs_secret_names_follow_use(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load(FIX("cnpg/everything.yaml"), &d);
	struct strlist names = { 0 };
	struct inputs in;

	(void) state;
	s->standby_enabled = 1;
	s->standby_source = strdup("old-primary");
	inputs_secret_names(s, &names);
	assert_true(strlist_has(&names, "old-primary-replication"));
	/* and inputs_load looks for it: it is not mounted in the fixtures */
	assert_false(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_error(&d, "spec.externalClusters[0].password", "\"old-primary-replication\"");
	inputs_free(&in);
	strlist_free(&names);
	done(s, &d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_cnpg_examples),
		cmocka_unit_test(test_valid_chart_examples),
		cmocka_unit_test(test_valid_pgo_examples),
		cmocka_unit_test(test_valid_percona_examples),
		cmocka_unit_test(test_objstore_fields_refused),
		cmocka_unit_test(test_import_fields_refused),
		cmocka_unit_test(test_objstore_credentials_of_another_provider),
		cmocka_unit_test(test_locale_unavailable),
		cmocka_unit_test(test_locale_encoding_mismatch),
		cmocka_unit_test(test_one_bootstrap_method),
		cmocka_unit_test(test_wal_segment_size_refused),
		cmocka_unit_test(test_wal_segment_size_accepted),
		cmocka_unit_test(test_locale_provider_unknown),
		cmocka_unit_test(test_icu_locale_needs_icu_provider),
		cmocka_unit_test(test_icu_rules_need_icu_provider),
		cmocka_unit_test(test_builtin_locale_needs_builtin_provider),
		cmocka_unit_test(test_icu_rules_need_pg16),
		cmocka_unit_test(test_builtin_locale_needs_pg17),
		cmocka_unit_test(test_initdb_options_refused),
		cmocka_unit_test(test_initdb_options_accepted),
		cmocka_unit_test(test_bad_encoding),
		cmocka_unit_test(test_instances_zero),
		cmocka_unit_test(test_managed_parameter),
		cmocka_unit_test(test_pg_hba_bad_type),
		cmocka_unit_test(test_basebackup_source_not_defined),
		cmocka_unit_test(test_external_cluster_names),
		cmocka_unit_test(test_pgo_postgres_version_mismatch),
		cmocka_unit_test(test_smart_shutdown_exceeds_stop_delay),
		cmocka_unit_test(test_superuser_secret_ignored_warns),
		cmocka_unit_test(test_maximum_lag_not_a_size),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_inputs_app_secret),
		cmocka_unit_test(test_inputs_superuser_secret),
		cmocka_unit_test(test_inputs_secret_username_must_be_owner),
		cmocka_unit_test(test_inputs_superuser_username_must_be_postgres),
		cmocka_unit_test(test_inputs_missing_secret),
		cmocka_unit_test(test_inputs_missing_password_key),
		cmocka_unit_test(test_inputs_missing_secret_key),
		cmocka_unit_test(test_inputs_missing_configmap),
		cmocka_unit_test(test_inputs_pgo_database_init_sql_missing),
		cmocka_unit_test(test_inputs_refs_loaded),
		cmocka_unit_test(test_inputs_secrets_before_configmaps),
		cmocka_unit_test(test_inputs_generated_password),
		cmocka_unit_test(test_inputs_generated_superuser_password),
		cmocka_unit_test(test_generate_password_buffer),
		cmocka_unit_test(test_read_key),
		cmocka_unit_test(test_initdb_options_abbreviations),
		cmocka_unit_test(test_initdb_options_values_and_positional),
		cmocka_unit_test(test_pg_hba_include_on_15),
		cmocka_unit_test(test_pgo_database_init_sql_path),
		cmocka_unit_test(test_inputs_whole_secret_missing),
		cmocka_unit_test(test_restore_one_target),
		cmocka_unit_test(test_restore_exclusive_needs_time_xid_lsn),
		cmocka_unit_test(test_pgo_type_time_needs_target),
		cmocka_unit_test(test_pgo_target_value_rules),
		cmocka_unit_test(test_pgo_refused_options),
		cmocka_unit_test(test_pgo_own_repo_must_exist),
		cmocka_unit_test(test_pgo_other_cluster_repo_accepted),
		cmocka_unit_test(test_restore_rules_any_dialect),
		cmocka_unit_test(test_checks_on_the_table),
		cmocka_unit_test(test_inputs_secret_names),
		cmocka_unit_test(test_inputs_secret_names_follow_use),
		cmocka_unit_test(test_tls_loaded),
		cmocka_unit_test(test_tls_pgo_loaded),
		cmocka_unit_test(test_tls_bad_files),
		cmocka_unit_test(test_tls_replication_cn_and_alt_names),
		cmocka_unit_test(test_tls_rules),
	};
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
