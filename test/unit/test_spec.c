/*
 * test_spec.c — cmocka tests for the dialect readers (lib/dialect.c), the
 * defaults and the normalized dump (lib/spec.c). Every model is read from a
 * fixture under test/fixtures/spec/ (the runner starts from the repository
 * root): the examples of the CloudNativePG, cnpg-database chart, Crunchy PGO
 * and Percona documentation, plus a few of our own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "diag_asserts.h"

#include <json-c/json.h>
#include <json-c/json_pointer.h>
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

/* Load a fixture that must read without errors. */
static struct spec *
load_ok(const char *path, struct diag *d)
{
	struct spec *s = NULL;
	bool ok = dialect_load(path, &s, d);

	if (!ok || d->errors.n > 0)
		print_diag(d);
	assert_true(ok);
	assert_non_null(s);
	assert_int_equal(d->errors.n, 0);
	return s;
}

/* Load a fixture that must read without errors nor warnings. */
static struct spec *
load_clean(const char *path, struct diag *d)
{
	struct spec *s = load_ok(path, d);

	if (d->warnings.n > 0)
		print_diag(d);
	assert_int_equal(d->warnings.n, 0);
	return s;
}

/* Read an inline JSON document; false when it has errors. */
static bool
load_text(const char *json, struct spec **out, struct diag *d)
{
	struct json_object *doc = json_tokener_parse(json);
	bool ok;

	assert_non_null(doc);
	ok = dialect_read(doc, "inline", out, d) && d->errors.n == 0;
	json_object_put(doc);
	return ok;
}

static void
assert_ref(const struct spec_ref *r, const char *name, const char *key)
{
	assert_non_null(r->name);
	assert_non_null(r->key);
	assert_string_equal(r->name, name);
	assert_string_equal(r->key, key);
}

static void
assert_no_ref(const struct spec_ref *r)
{
	assert_null(r->name);
	assert_null(r->key);
}

static void
assert_kv(const struct kvlist *l, const char *key, const char *value)
{
	const char *v = kvlist_get(l, key);

	if (v == NULL)
		print_error("missing key \"%s\"\n", key);
	assert_non_null(v);
	assert_string_equal(v, value);
}

static void
assert_str(const char *got, const char *want)
{
	if (got == NULL)
		print_error("expected \"%s\", got NULL\n", want);
	assert_non_null(got);
	assert_string_equal(got, want);
}

/* The dumped model, parsed back; the caller puts it. */
static struct json_object *
dump_parsed(const struct spec *s)
{
	char *text = spec_to_json(s);
	struct json_object *o;

	assert_non_null(text);
	o = json_tokener_parse(text);
	if (o == NULL)
		print_error("not JSON:\n%s\n", text);
	free(text);
	assert_non_null(o);
	return o;
}

static struct json_object *
at(struct json_object *root, const char *pointer)
{
	struct json_object *v = NULL;

	if (json_pointer_get(root, pointer, &v) != 0)
		print_error("no %s in the dump\n", pointer);
	assert_non_null(v);
	return v;
}

static void
assert_json_string(struct json_object *root, const char *pointer, const char *want)
{
	struct json_object *v = at(root, pointer);

	assert_true(json_object_is_type(v, json_type_string));
	assert_string_equal(json_object_get_string(v), want);
}

static void
assert_json_int(struct json_object *root, const char *pointer, int want)
{
	struct json_object *v = at(root, pointer);

	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), want);
}

static void
assert_json_bool(struct json_object *root, const char *pointer, bool want)
{
	struct json_object *v = at(root, pointer);

	assert_true(json_object_is_type(v, json_type_boolean));
	assert_int_equal(json_object_get_boolean(v), want);
}

static void
assert_json_absent(struct json_object *root, const char *pointer)
{
	struct json_object *v = NULL;

	assert_int_not_equal(json_pointer_get(root, pointer, &v), 0);
}

/* ---- CloudNativePG Cluster (cnpg-bootstrap.md) ---- */

static void
test_cnpg_initdb_app_secret(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/initdb_app_secret.yaml"), &d);

	(void) state;
	assert_int_equal(s->dialect, SPEC_DIALECT_CNPG);
	assert_str(s->source_file, FIX("cnpg/initdb_app_secret.yaml"));
	assert_str(s->name, "cluster-example-initdb");
	assert_int_equal(s->instances, 3);
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_INITDB);
	assert_str(s->app_database, "app");
	assert_str(s->app_owner, "app");
	assert_str(s->app_secret, "app-secret");
	assert_string_equal(spec_path(s, "bootstrap.secret"), "spec.bootstrap.initdb.secret.name");
	assert_string_equal(spec_path(s, "bootstrap.owner"), "spec.bootstrap.initdb.owner");
	assert_string_equal(spec_path(s, "instances"), "spec.instances");
	/* nothing else was given: unset until the defaults apply */
	assert_int_equal(s->data_checksums, -1);
	assert_null(s->encoding);
	assert_int_equal(s->wal_segment_size, -1);
	assert_int_equal(s->n_externals, 0);
	assert_int_equal(s->post_init_sql.n, 0);
	done(s, &d);
}

static void
test_cnpg_initdb_checksums_latin1(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/initdb_checksums_latin1.yaml"), &d);

	(void) state;
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_INITDB);
	assert_int_equal(s->data_checksums, 1);
	assert_str(s->encoding, "LATIN1");
	assert_string_equal(spec_path(s, "bootstrap.initdb.encoding"), "spec.bootstrap.initdb.encoding");
	assert_null(s->app_secret);
	assert_null(s->locale_collate);
	done(s, &d);
}

static void
test_cnpg_initdb_post_init_sql(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/initdb_post_init_sql.yaml"), &d);

	(void) state;
	assert_int_equal(s->data_checksums, 1);
	assert_str(s->locale_collate, "en_US");
	assert_str(s->locale_ctype, "en_US");
	assert_null(s->locale);
	assert_int_equal(s->post_init_sql.n, 1);
	assert_string_equal(s->post_init_sql.items[0], "CREATE DATABASE angus");
	assert_int_equal(s->post_init_template_sql.n, 0);
	assert_int_equal(s->post_init_application_sql.n, 0);
	done(s, &d);
}

static void
test_cnpg_initdb_app_sql_refs(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/initdb_app_sql_refs.yaml"), &d);
	const struct spec_sqlrefs *r = &s->post_init_application_sql_refs;

	(void) state;
	assert_int_equal(r->secrets.n, 1);
	assert_ref(&r->secrets.items[0], "my-secret", "secret.sql");
	assert_int_equal(r->configmaps.n, 1);
	assert_ref(&r->configmaps.items[0], "my-configmap", "configmap.sql");
	assert_int_equal(s->post_init_sql_refs.secrets.n + s->post_init_sql_refs.configmaps.n, 0);
	assert_int_equal(s->post_init_template_sql_refs.secrets.n
			 + s->post_init_template_sql_refs.configmaps.n, 0);
	assert_string_equal(spec_path(s, "bootstrap.initdb.postInitApplicationSQLRefs.configMapRefs"),
			    "spec.bootstrap.initdb.postInitApplicationSQLRefs.configMapRefs");
	done(s, &d);
}

/* Refs keep their order inside each list, whatever the YAML order of the
 * two lists. */
static void
test_cnpg_sql_refs_order(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/initdb_sql_refs_order.yaml"), &d);
	const struct spec_sqlrefs *r = &s->post_init_sql_refs;

	(void) state;
	assert_int_equal(r->secrets.n, 2);
	assert_ref(&r->secrets.items[0], "sec-a", "a.sql");
	assert_ref(&r->secrets.items[1], "sec-b", "b.sql");
	assert_int_equal(r->configmaps.n, 2);
	assert_ref(&r->configmaps.items[0], "cm-a", "a.sql");
	assert_ref(&r->configmaps.items[1], "cm-b", "b.sql");
	assert_int_equal(s->post_init_template_sql_refs.configmaps.n, 1);
	assert_ref(&s->post_init_template_sql_refs.configmaps.items[0], "my-configmap", "configmap.sql");
	done(s, &d);
}

static void
test_cnpg_basebackup_password(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/basebackup_password.yaml"), &d);
	const struct spec_external *e;

	(void) state;
	assert_str(s->name, "target-db");
	assert_int_equal(s->instances, 3);
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_PG_BASEBACKUP);
	assert_string_equal(spec_path(s, "bootstrap.method"), "spec.bootstrap");
	assert_str(s->clone_source, "source-db");
	assert_string_equal(spec_path(s, "bootstrap.clone.source"), "spec.bootstrap.pg_basebackup.source");
	assert_int_equal(s->n_externals, 1);
	e = &s->externals[0];
	assert_str(e->name, "source-db");
	assert_int_equal(e->conn.n, 2);
	assert_kv(&e->conn, "host", "source-db.foo.com");
	assert_kv(&e->conn, "user", "streaming_replica");
	assert_ref(&e->password, "source-db-replica-user", "password");
	assert_no_ref(&e->ssl_key);
	assert_no_ref(&e->ssl_cert);
	assert_no_ref(&e->ssl_root_cert);
	assert_false(e->has_object_store);
	assert_null(s->app_database);
	done(s, &d);
}

static void
test_cnpg_basebackup_tls(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/basebackup_tls.yaml"), &d);
	const struct spec_external *e;

	(void) state;
	assert_str(s->name, "cluster-clone-tls");
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_PG_BASEBACKUP);
	assert_str(s->clone_source, "cluster-example");
	assert_int_equal(s->n_externals, 1);
	e = &s->externals[0];
	assert_str(e->name, "cluster-example");
	assert_int_equal(e->conn.n, 3);
	assert_kv(&e->conn, "host", "cluster-example-rw.default.svc");
	assert_kv(&e->conn, "user", "streaming_replica");
	assert_kv(&e->conn, "sslmode", "verify-full");
	assert_no_ref(&e->password);
	assert_ref(&e->ssl_key, "cluster-example-replication", "tls.key");
	assert_ref(&e->ssl_cert, "cluster-example-replication", "tls.crt");
	assert_ref(&e->ssl_root_cert, "cluster-example-ca", "ca.crt");
	done(s, &d);
}

/* spec.certificates: four Secret names and the alt names, each with its
 * path; nothing of it is a warning any more. */
static void
test_cnpg_certificates(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/certificates.yaml"), &d);

	(void) state;
	assert_str(s->tls_server_secret, "tls-server");
	assert_str(s->tls_server_ca_secret, "tls-ca");
	assert_str(s->tls_client_ca_secret, "tls-ca");
	assert_str(s->tls_replication_secret, "tls-repl");
	assert_int_equal(s->tls_alt_dns_names.n, 1);
	assert_string_equal(s->tls_alt_dns_names.items[0], "pg-rw");
	assert_string_equal(spec_path(s, "certificates.serverTLSSecret"),
			    "spec.certificates.serverTLSSecret");
	assert_string_equal(spec_path(s, "certificates.replicationTLSSecret"),
			    "spec.certificates.replicationTLSSecret");
	done(s, &d);
}

/* PGO's customTLSSecret is the server's Secret and both CAs' (its
 * ca.crt); customReplicationTLSSecret the replicas' certificate. */
static void
test_pgo_custom_tls(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/custom_tls.yaml"), &d);

	(void) state;
	assert_str(s->tls_server_secret, "pgo-tls");
	assert_str(s->tls_server_ca_secret, "pgo-tls");
	assert_str(s->tls_client_ca_secret, "pgo-tls");
	assert_str(s->tls_replication_secret, "pgo-repl");
	assert_string_equal(spec_path(s, "certificates.clientCASecret"), "spec.customTLSSecret.name");
	assert_string_equal(spec_path(s, "certificates.replicationTLSSecret"),
			    "spec.customReplicationTLSSecret.name");
	done(s, &d);
}

/* database/owner/secret under pg_basebackup, with their own paths. */
static void
test_cnpg_basebackup_app_db(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/basebackup_app_db.yaml"), &d);

	(void) state;
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_PG_BASEBACKUP);
	assert_str(s->clone_source, "cluster-example");
	assert_str(s->app_database, "app");
	assert_str(s->app_owner, "app");
	assert_str(s->app_secret, "app-secret");
	assert_string_equal(spec_path(s, "bootstrap.secret"), "spec.bootstrap.pg_basebackup.secret.name");
	assert_string_equal(spec_path(s, "bootstrap.database"), "spec.bootstrap.pg_basebackup.database");
	done(s, &d);
}

static void
test_cnpg_recovery_pitr(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/recovery_pitr.yaml"), &d);

	(void) state;
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_RECOVERY);
	assert_str(s->restore.source, "cluster-example");
	assert_int_equal(s->restore.source_kind, SPEC_SOURCE_EXTERNAL);
	assert_int_equal(s->restore.target.kind, SPEC_TARGET_TIME);
	assert_str(s->restore.target.value, "2023-08-11 11:14:21.00000+02");
	assert_int_equal(s->restore.target.exclusive, 0);
	/* neither an immediate nor an xid target */
	assert_int_equal(s->restore.target.given, 1u << SPEC_TARGET_TIME);
	assert_int_equal(s->n_externals, 1);
	assert_true(s->externals[0].has_object_store);
	assert_int_equal(s->externals[0].conn.n, 0);
	/* the object store itself */
	assert_str(s->externals[0].store.destination, "s3://backups/");
	assert_str(s->externals[0].store.s3_key_id.name, "aws-creds");
	assert_str(s->externals[0].store.s3_key_id.key, "ACCESS_KEY_ID");
	assert_str(s->externals[0].store.s3_secret.key, "ACCESS_SECRET_KEY");
	assert_null(s->externals[0].store.server_name);
	assert_int_equal(s->externals[0].store.wal_max_parallel, 1);	/* the default */
	assert_int_equal(s->externals[0].store.data_jobs, 2);
	assert_null(s->backup_store.destination);
	done(s, &d);
}

/* The Barman Cloud Plugin's ObjectStore documents fill the same model. */
static void
test_cnpg_plugin_object_store(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/plugin_object_store.yaml"), &d);

	(void) state;
	assert_str(s->backup_store.destination, "s3://backups/");
	assert_str(s->backup_store.endpoint, "http://minio:9000");
	assert_str(s->backup_store.wal_compression, "gzip");
	assert_str(s->backup_store.s3_secret.key, "ACCESS_SECRET_KEY");
	assert_str(s->backup_retention, "30d");
	assert_int_equal(s->n_externals, 1);
	assert_str(s->externals[0].store.destination, "s3://old/");
	assert_str(s->externals[0].store.server_name, "cluster-old");
	assert_string_equal(s->externals[0].store.origin,
			    "ObjectStore minio-store-old.spec.configuration");
	done(s, &d);
}

static void
test_cnpg_replica_cluster(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/replica_cluster.yaml"), &d);

	(void) state;
	assert_int_equal(s->standby_enabled, 1);
	assert_str(s->standby_source, "cluster-example");
	assert_str(s->standby_min_apply_delay, "5m");
	assert_string_equal(spec_path(s, "standby.source"), "spec.replica.source");
	done(s, &d);
}

/* Most fields at once: lists keep their order, scalars become text. */
static void
test_cnpg_everything(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("cnpg/everything.yaml"), &d);
	const struct spec_external *e;

	(void) state;
	assert_int_equal(d.warnings.n, 0);
	assert_int_equal(s->instances, 2);
	assert_str(s->app_database, "shop");
	assert_str(s->app_owner, "shopper");
	assert_str(s->app_secret, "shop-secret");
	assert_str(s->superuser_secret, "superuser-secret");
	assert_int_equal(s->enable_superuser_access, 1);
	assert_int_equal(s->smart_shutdown_timeout, 60);
	assert_int_equal(s->stop_delay, 120);
	assert_int_equal(s->start_delay, 300);
	assert_str(s->encoding, "LATIN1");
	assert_int_equal(s->data_checksums, 1);
	assert_str(s->locale_provider, "icu");
	assert_str(s->icu_locale, "en-US");
	assert_int_equal(s->wal_segment_size, 64);
	assert_int_equal(s->initdb_options.n, 1);
	assert_string_equal(s->initdb_options.items[0], "--no-instructions");
	assert_int_equal(s->post_init_sql.n, 2);
	assert_string_equal(s->post_init_sql.items[0], "CREATE EXTENSION pg_stat_statements");
	assert_string_equal(s->post_init_sql.items[1], "CREATE ROLE reporting");
	assert_int_equal(s->post_init_template_sql.n, 1);
	assert_string_equal(s->post_init_template_sql.items[0], "CREATE EXTENSION hstore");
	assert_int_equal(s->post_init_application_sql.n, 1);
	assert_string_equal(s->post_init_application_sql.items[0],
			    "CREATE SCHEMA shop AUTHORIZATION shopper");
	/* parameters in document order; numbers and booleans as text */
	assert_int_equal(s->parameters.n, 4);
	assert_string_equal(s->parameters.items[0].key, "work_mem");
	assert_string_equal(s->parameters.items[0].value, "64MB");
	assert_string_equal(s->parameters.items[1].key, "search_path");
	assert_string_equal(s->parameters.items[1].value, "it's");
	assert_string_equal(s->parameters.items[2].key, "max_connections");
	assert_string_equal(s->parameters.items[2].value, "200");
	assert_string_equal(s->parameters.items[3].key, "jit");
	assert_string_equal(s->parameters.items[3].value, "off");
	assert_int_equal(s->pg_hba.n, 2);
	assert_string_equal(s->pg_hba.items[0], "hostssl app app 10.0.0.0/8 scram-sha-256");
	assert_string_equal(s->pg_hba.items[1], "host replication streaming_replica all md5");
	assert_int_equal(s->shared_preload_libraries.n, 2);
	assert_string_equal(s->shared_preload_libraries.items[0], "pg_stat_statements");
	assert_string_equal(s->shared_preload_libraries.items[1], "auto_explain");
	assert_int_equal(s->n_externals, 1);
	e = &s->externals[0];
	assert_kv(&e->conn, "port", "5432");
	assert_kv(&e->conn, "password", "hunter2-inline");
	assert_ref(&e->password, "old-primary-replication", "password");
	/* options are deprecated: read, with a warning from validation only */
	done(s, &d);
}

/* The same Cluster as JSON gives the same model. */
static void
test_cnpg_json_same_as_yaml(void **state)
{
	struct diag dy = { 0 }, dj = { 0 };
	struct spec *y = load_clean(FIX("cnpg/initdb_app_secret.yaml"), &dy);
	struct spec *j = load_clean(FIX("cnpg/initdb_app_secret.json"), &dj);
	struct json_object *oy, *oj;

	(void) state;
	spec_apply_defaults(y);
	spec_apply_defaults(j);
	oy = dump_parsed(y);
	oj = dump_parsed(j);
	/* only the source file name differs */
	assert_json_string(oy, "/source", FIX("cnpg/initdb_app_secret.yaml"));
	assert_json_string(oj, "/source", FIX("cnpg/initdb_app_secret.json"));
	json_object_object_del(oy, "source");
	json_object_object_del(oj, "source");
	if (!json_object_equal(oy, oj))
		print_error("YAML:\n%s\nJSON:\n%s\n", json_object_to_json_string(oy),
			    json_object_to_json_string(oj));
	assert_true(json_object_equal(oy, oj));
	/* and the same error paths */
	for (size_t i = 0; i < spec_nfields; i++)
		assert_string_equal(spec_path(y, spec_fields[i].key), spec_path(j, spec_fields[i].key));
	json_object_put(oy);
	json_object_put(oj);
	done(y, &dy);
	done(j, &dj);
}

/* A Secret, then the Cluster: the Secret is skipped. */
static void
test_cnpg_multidoc_secret_then_cluster(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/multidoc_secret_then_cluster.yaml"), &d);

	(void) state;
	assert_int_equal(s->dialect, SPEC_DIALECT_CNPG);
	assert_str(s->name, "cluster-example-initdb");
	assert_str(s->app_secret, "app-secret");
	assert_int_equal(s->instances, 3);
	done(s, &d);
}

/* A file with only a Secret has no cluster to read. */
static void
test_secret_only_file_refused(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;

	(void) state;
	assert_false(dialect_load(FIX("invalid/secret_only.yaml"), &s, &d));
	assert_null(s);
	assert_int_equal(d.errors.n, 1);
	assert_true(has_msg(&d.errors, "kind", "v1/Secret"));
	diag_free(&d);
}

static void
test_missing_file_refused(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;

	(void) state;
	assert_false(dialect_load(FIX("no-such-file.yaml"), &s, &d));
	assert_null(s);
	assert_int_equal(d.errors.n, 1);
	assert_non_null(strstr(d.errors.items[0], FIX("no-such-file.yaml")));
	diag_free(&d);
}

/* Fields nobody reads are reported with their path, and only those. */
static void
test_cnpg_unknown_fields_warn(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("cnpg/unknown_fields.yaml"), &d);

	(void) state;
	if (d.warnings.n != 3)
		print_diag(&d);
	assert_int_equal(d.warnings.n, 3);
	assert_true(has_msg(&d.warnings, "spec.bootstrap.initdb.dataChecksum", "unknown field"));
	assert_true(has_msg(&d.warnings, "spec.postgresql.parameter", "unknown field"));
	assert_true(has_msg(&d.warnings, "spec.frobnicate", "unknown field"));
	/* the typo is not taken for the real field */
	assert_int_equal(s->data_checksums, -1);
	assert_int_equal(s->parameters.n, 0);
	done(s, &d);
}

/* Operator-level fields (storage, imageName, resources, ...) are accepted
 * silently. */
static void
test_cnpg_operator_fields_silent(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/operator_fields.yaml"), &d);

	(void) state;
	assert_int_equal(s->instances, 2);
	assert_str(s->app_database, "shop");
	assert_int_equal(s->parameters.n, 1);
	assert_kv(&s->parameters, "shared_buffers", "256MB");
	done(s, &d);
}

/* ---- cnpg-database chart values (cnpg-database-chart-pg_basebackup.md) ---- */

static void
test_chart_basebackup_password(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("chart/basebackup_password.yaml"), &d);
	const struct spec_external *e;

	(void) state;
	assert_int_equal(s->dialect, SPEC_DIALECT_CHART);
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_PG_BASEBACKUP);
	assert_string_equal(spec_path(s, "bootstrap.method"), "bootstrapDB");
	assert_str(s->clone_source, "source-cluster");
	assert_string_equal(spec_path(s, "bootstrap.clone.source"), "bootstrapDB.pg_basebackup.source");
	assert_str(s->app_database, "app");
	assert_str(s->app_owner, "app");
	assert_str(s->app_secret, "app-secret");
	assert_string_equal(spec_path(s, "bootstrap.secret"), "bootstrapDB.pg_basebackup.secret.name");
	assert_int_equal(s->n_externals, 1);
	e = &s->externals[0];
	assert_str(e->name, "source-cluster");
	assert_int_equal(e->conn.n, 3);
	assert_kv(&e->conn, "host", "source-cluster-rw.default.svc.cluster.local");
	assert_kv(&e->conn, "user", "streaming_replica");
	assert_kv(&e->conn, "dbname", "postgres");
	assert_ref(&e->password, "source-cluster-replica-user", "password");
	assert_no_ref(&e->ssl_key);
	done(s, &d);
}

static void
test_chart_basebackup_tls(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("chart/basebackup_tls.yaml"), &d);
	const struct spec_external *e;

	(void) state;
	assert_int_equal(s->dialect, SPEC_DIALECT_CHART);
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_PG_BASEBACKUP);
	assert_str(s->clone_source, "source-cluster");
	assert_null(s->app_secret);
	assert_int_equal(s->n_externals, 1);
	e = &s->externals[0];
	assert_kv(&e->conn, "sslmode", "verify-full");
	assert_no_ref(&e->password);
	assert_ref(&e->ssl_key, "source-cluster-replication", "tls.key");
	assert_ref(&e->ssl_cert, "source-cluster-replication", "tls.crt");
	assert_ref(&e->ssl_root_cert, "source-cluster-ca", "ca.crt");
	done(s, &d);
}

/* Example 1: top-level instances, imageName and storage. */
static void
test_chart_same_namespace_clone(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("chart/same_namespace_clone.yaml"), &d);

	(void) state;
	assert_int_equal(s->dialect, SPEC_DIALECT_CHART);
	assert_int_equal(s->instances, 3);
	assert_string_equal(spec_path(s, "instances"), "instances");
	assert_str(s->clone_source, "production-db");
	assert_str(s->app_secret, "app-secret");
	assert_int_equal(s->n_externals, 1);
	assert_str(s->externals[0].name, "production-db");
	assert_kv(&s->externals[0].conn, "host", "cluster-production-db-rw.default.svc.cluster.local");
	assert_ref(&s->externals[0].ssl_root_cert, "production-db-ca", "ca.crt");
	done(s, &d);
}

/* Example 2: a plain PostgreSQL server with a password. */
static void
test_chart_external_server(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("chart/external_server.yaml"), &d);

	(void) state;
	assert_int_equal(s->instances, 1);
	assert_str(s->app_database, "myapp");
	assert_str(s->app_owner, "myapp");
	assert_null(s->app_secret);
	assert_str(s->clone_source, "external-postgres");
	assert_kv(&s->externals[0].conn, "port", "5432");
	assert_kv(&s->externals[0].conn, "host", "postgres.example.com");
	assert_ref(&s->externals[0].password, "external-postgres-replication", "password");
	done(s, &d);
}

/* Example 3: `backup: enabled: false` is the chart's business. */
static void
test_chart_weekly_refresh(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("chart/weekly_refresh.yaml"), &d);

	(void) state;
	assert_str(s->app_secret, "test-db-secret");
	assert_str(s->clone_source, "production-db");
	assert_kv(&s->externals[0].conn, "host", "cluster-production-db-rw.production.svc.cluster.local");
	done(s, &d);
}

/* Chart paths are reported as written in the values file. */
static void
test_chart_unknown_fields_warn(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("chart/unknown_fields.yaml"), &d);

	(void) state;
	if (d.warnings.n != 2)
		print_diag(&d);
	assert_int_equal(d.warnings.n, 2);
	assert_true(has_msg(&d.warnings, "storag", "unknown field"));
	assert_true(has_msg(&d.warnings, "bootstrapDB.initdb.dataChecksum", "unknown field"));
	assert_int_equal(s->dialect, SPEC_DIALECT_CHART);
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_INITDB);
	assert_str(s->app_database, "app");
	assert_int_equal(s->data_checksums, -1);
	done(s, &d);
}

/* ---- the chart's backup sections ---- */

/* Read inline values that may have errors; the model is returned. */
static struct spec *
load_values(const char *json, struct diag *d)
{
	struct json_object *doc = json_tokener_parse(json);
	struct spec *s = NULL;

	assert_non_null(doc);
	assert_true(dialect_read(doc, "inline", &s, d));
	json_object_put(doc);
	assert_non_null(s);
	return s;
}

/* The cluster chart's backups: with only what it requires: its defaults. */
static void
test_chart_backups_s3_defaults(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("chart/backups_s3.yaml"), &d);
	const struct spec_objstore *o = &s->backup_store;
	struct inputs in;

	(void) state;
	assert_str(o->origin, "backups");
	assert_str(o->destination, "s3://shop-backups/");
	assert_str(o->endpoint, "https://s3.eu-west-1.amazonaws.com");
	assert_null(o->server_name);
	assert_ref(&o->s3_key_id, "shop-backup-s3-creds", "ACCESS_KEY_ID");
	assert_ref(&o->s3_secret, "shop-backup-s3-creds", "ACCESS_SECRET_KEY");
	assert_no_ref(&o->s3_region);
	assert_int_equal(o->s3_iam, -1);
	assert_str(o->wal_compression, "gzip");
	assert_str(o->wal_encryption, "AES256");
	assert_int_equal(o->wal_max_parallel, 1);
	assert_str(o->data_compression, "gzip");
	assert_str(o->data_encryption, "AES256");
	assert_int_equal(o->data_jobs, 2);
	assert_str(s->backup_retention, "30d");
	assert_string_equal(spec_path(s, "backup.retentionPolicy"), "backups.retentionPolicy");
	assert_int_equal(s->n_scheduled, 1);
	assert_str(s->scheduled[0].name, "shop-daily-backup");
	assert_str(s->scheduled[0].schedule, "0 0 0 * * *");
	assert_int_equal(s->scheduled[0].immediate, 1);
	assert_str(s->scheduled[0].method, "barmanObjectStore");
	assert_str(s->scheduled[0].origin, "backups.scheduledBackups[0]");
	spec_apply_defaults(s);
	validate_spec(s, 16, &d);
	if (d.errors.n > 0)
		print_diag(&d);
	assert_int_equal(d.errors.n, 0);
	spec_apply_defaults(s);
	assert_true(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_str(in.backup_store.s3_key_id, "AKIASHOP");
	assert_str(in.backup_store.s3_secret, "shop-secret-key");
	inputs_free(&in);
	done(s, &d);
}

/* secret.name, an endpoint of one's own (no region then), a path, and
 * values emptied: "" or null is none, as the templates render them. */
static void
test_chart_backups_secret_name(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_values("{\"bootstrapDB\": {\"initdb\": {}}, \"backups\": {"
		"\"enabled\": true, \"endpointURL\": \"http://127.0.0.1:9000\", "
		"\"destinationPath\": \"\", \"s3\": {\"bucket\": \"b\", \"path\": \"/pg/x\"}, "
		"\"secret\": {\"name\": \"my-s3\"}, \"wal\": {\"encryption\": \"\", \"maxParallel\": 4}, "
		"\"data\": {\"compression\": null}, \"retentionPolicy\": \"\", "
		"\"scheduledBackups\": []}}", &d);
	const struct spec_objstore *o = &s->backup_store;
	struct inputs in;

	(void) state;
	assert_int_equal(d.errors.n, 0);
	assert_int_equal(d.warnings.n, 0);
	assert_str(o->destination, "s3://b/pg/x");
	assert_str(o->endpoint, "http://127.0.0.1:9000");
	assert_ref(&o->s3_key_id, "my-s3", "ACCESS_KEY_ID");
	assert_ref(&o->s3_secret, "my-s3", "ACCESS_SECRET_KEY");
	assert_str(o->wal_compression, "gzip");
	assert_null(o->wal_encryption);
	assert_int_equal(o->wal_max_parallel, 4);
	assert_null(o->data_compression);
	assert_str(o->data_encryption, "AES256");
	assert_null(s->backup_retention);
	assert_int_equal(s->n_scheduled, 0);
	/* a missing Secret is named where the values name it */
	spec_apply_defaults(s);
	assert_true(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_warning(&d, "backups.secret.name", "\"my-s3\" does not exist");
	inputs_free(&in);
	done(s, &d);
}

/* inheritFromIAMRole: no Secret at all. */
static void
test_chart_backups_iam_role(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;

	(void) state;
	assert_true(load_text("{\"backups\": {\"enabled\": true, \"s3\": {\"region\": \"us-east-1\", "
			      "\"bucket\": \"b\", \"inheritFromIAMRole\": true}}}", &s, &d));
	assert_int_equal(s->backup_store.s3_iam, 1);
	assert_no_ref(&s->backup_store.s3_key_id);
	assert_no_ref(&s->backup_store.s3_secret);
	spec_apply_defaults(s);
	validate_spec(s, 16, &d);
	if (d.errors.n > 0)
		print_diag(&d);
	assert_int_equal(d.errors.n, 0);
	done(s, &d);
}

/* Azure (a connection string, or an account with a key or a SAS token)
 * and Google (application credentials, or GKE's identity). */
static void
test_chart_backups_azure_google(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;

	(void) state;
	assert_true(load_text("{\"backups\": {\"enabled\": true, \"provider\": \"azure\", "
			      "\"azure\": {\"storageAccount\": \"acct\", \"containerName\": \"pg\", "
			      "\"connectionString\": \"x\"}}}", &s, &d));
	assert_str(s->backup_store.destination, "https://acct.blob.core.windows.net/pg/");
	assert_null(s->backup_store.endpoint);
	assert_ref(&s->backup_store.azure_conn, "pgpod-backup-azure-creds", "AZURE_CONNECTION_STRING");
	assert_no_ref(&s->backup_store.azure_account);
	done(s, &d);
	s = NULL;
	assert_true(load_text("{\"backups\": {\"enabled\": true, \"provider\": \"azure\", "
			      "\"azure\": {\"storageAccount\": \"acct\", \"containerName\": \"pg\", "
			      "\"serviceName\": \"dfs\", \"path\": \"\"}}}", &s, &d));
	assert_str(s->backup_store.destination, "https://acct.dfs.core.windows.net/pg");
	assert_ref(&s->backup_store.azure_account, "pgpod-backup-azure-creds", "AZURE_STORAGE_ACCOUNT");
	assert_ref(&s->backup_store.azure_sas, "pgpod-backup-azure-creds", "AZURE_STORAGE_SAS_TOKEN");
	assert_no_ref(&s->backup_store.azure_key);
	done(s, &d);
	s = NULL;
	assert_true(load_text("{\"name\": \"gdb\", \"backups\": {\"enabled\": true, "
			      "\"provider\": \"google\", \"google\": {\"bucket\": \"gb\"}}}", &s, &d));
	assert_str(s->backup_store.destination, "gs://gb/");
	assert_null(s->backup_store.endpoint);
	assert_ref(&s->backup_store.google_creds, "gdb-backup-google-creds", "APPLICATION_CREDENTIALS");
	spec_apply_defaults(s);
	validate_spec(s, 16, &d);
	if (d.errors.n > 0)
		print_diag(&d);
	assert_int_equal(d.errors.n, 0);
	done(s, &d);
	s = NULL;
	assert_true(load_text("{\"backups\": {\"enabled\": true, \"provider\": \"google\", "
			      "\"google\": {\"bucket\": \"gb\", \"gkeEnvironment\": true}}}", &s, &d));
	assert_int_equal(s->backup_store.google_gke, 1);
	assert_no_ref(&s->backup_store.google_creds);
	done(s, &d);
}

/* Disabled (false or absent): nothing is read, not even what is wrong. */
static void
test_chart_backups_disabled(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;

	(void) state;
	assert_true(load_text("{\"backups\": {\"enabled\": false, \"provider\": \"minio\", "
			      "\"scheduledBackups\": [{\"name\": \"x\"}]}, "
			      "\"backup\": {\"enabled\": false}}", &s, &d));
	assert_int_equal(d.warnings.n, 0);
	assert_null(s->backup_store.destination);
	assert_null(s->backup_retention);
	assert_int_equal(s->n_scheduled, 0);
	done(s, &d);
	s = NULL;
	assert_true(load_text("{\"backups\": {\"provider\": \"s3\", \"s3\": {\"bucket\": \"b\"}}}",
			      &s, &d));
	assert_null(s->backup_store.destination);
	assert_int_equal(s->n_scheduled, 0);
	done(s, &d);
}

/* scheduledBackups[]: ScheduledBackup <fullname>-<name>, immediate; the
 * Barman Cloud Plugin's method is the same backup. fullnameOverride is the
 * chart's cluster, so the server name in the bucket too. */
static void
test_chart_backups_scheduled(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;

	(void) state;
	assert_true(load_text("{\"fullnameOverride\": \"prod-db\", \"nameOverride\": \"x\", "
		"\"backups\": {\"enabled\": true, \"s3\": {\"region\": \"r\", \"bucket\": \"b\"}, "
		"\"scheduledBackups\": [{\"name\": \"nightly\", \"schedule\": \"0 30 2 * * *\", "
		"\"backupOwnerReference\": \"self\", \"method\": \"plugin\", \"pluginConfiguration\": "
		"{\"name\": \"barman-cloud.cloudnative-pg.io\"}}, {\"name\": \"weekly\", "
		"\"schedule\": \"0 0 3 * * 0\"}]}}", &s, &d));
	assert_int_equal(d.warnings.n, 0);
	assert_int_equal(s->n_scheduled, 2);
	assert_str(s->scheduled[0].name, "prod-db-nightly");
	assert_str(s->scheduled[0].schedule, "0 30 2 * * *");
	assert_str(s->scheduled[0].method, "barmanObjectStore");
	assert_int_equal(s->scheduled[0].immediate, 1);
	assert_str(s->scheduled[1].name, "prod-db-weekly");
	assert_str(s->scheduled[1].origin, "backups.scheduledBackups[1]");
	assert_str(s->backup_store.server_name, "prod-db");
	assert_ref(&s->backup_store.s3_key_id, "prod-db-backup-s3-creds", "ACCESS_KEY_ID");
	spec_apply_defaults(s);
	validate_spec(s, 16, &d);
	if (d.errors.n > 0)
		print_diag(&d);
	assert_int_equal(d.errors.n, 0);
	done(s, &d);
	/* nameOverride alone; the chart cuts a fullname at 63 and one '-' */
	s = NULL;
	assert_true(load_text("{\"nameOverride\": \"abcdefghij-abcdefghij-abcdefghij-abcdefghij-"
			      "abcdefghij-abcdefg-xyz\", \"backups\": {\"enabled\": true, "
			      "\"s3\": {\"region\": \"r\", \"bucket\": \"b\"}}}", &s, &d));
	assert_str(s->scheduled[0].name, "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-"
		   "abcdefg-daily-backup");
	done(s, &d);
}

/* Every problem by the chart's path; a method pgpod does not run too. */
static void
test_chart_backups_errors(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_values("{\"backups\": {\"enabled\": true, \"provider\": \"minio\", "
		"\"wal\": {\"compresion\": \"gzip\"}, \"scheduledBackups\": [{\"name\": \"snap\", "
		"\"schedule\": \"0 0 * * *\", \"method\": \"volumeSnapshot\", \"immediate\": false}, "
		"{\"schedule\": \"0 0 0 * * *\", \"method\": \"plugin\"}]}}", &d);

	(void) state;
	assert_error(&d, "backups.provider", "\"minio\" is not a provider");
	assert_null(s->backup_store.destination);
	assert_error(&d, "backups.scheduledBackups[0].schedule", "is not a schedule");
	assert_error(&d, "backups.scheduledBackups[0].method", "\"volumeSnapshot\" is not a method");
	assert_error(&d, "backups.scheduledBackups[1].name", "is required");
	assert_error(&d, "backups.scheduledBackups[1].pluginConfiguration.name", "Barman Cloud");
	assert_warning(&d, "backups.wal.compresion", "unknown field");
	assert_warning(&d, "backups.scheduledBackups[0].immediate", "unknown field");
	assert_int_equal(s->n_scheduled, 0);
	done(s, &d);
	s = load_values("{\"backups\": {\"enabled\": true, \"s3\": {\"bucket\": \"my bucket\", "
			"\"path\": \"pg\"}, \"secret\": {\"name\": \"S3_Creds\"}, \"method\": \"x\"}}", &d);
	assert_error(&d, "backups.method", "\"x\" is not a method");
	done(s, &d);
	s = load_values("{\"backups\": {\"enabled\": true, \"s3\": {\"bucket\": \"my bucket\", "
			"\"path\": \"pg\"}, \"secret\": {\"name\": \"S3_Creds\"}}}", &d);
	assert_error(&d, "backups.s3.region", "is required when backups.endpointURL is empty");
	assert_error(&d, "backups.s3.bucket", "\"my bucket\" is not a name");
	assert_error(&d, "backups.secret.name", "not a Kubernetes object name");
	assert_warning(&d, "backups.s3.path", "does not start with '/'");
	done(s, &d);
	/* what the store's own checks find is named by the chart's paths too */
	s = load_values("{\"backups\": {\"enabled\": \"yes\"}}", &d);
	assert_error(&d, "backups.enabled", "expected true or false");
	done(s, &d);
	s = load_values("{\"backups\": {\"enabled\": true, \"endpointURL\": \"http://m:9000\", "
			"\"s3\": {\"bucket\": \"b\"}, \"wal\": {\"compression\": \"lz4\", "
			"\"maxParallel\": 0}, \"retentionPolicy\": \"30 days\"}}", &d);
	assert_int_equal(d.errors.n, 0);
	validate_spec(s, 16, &d);
	assert_error(&d, "backups.wal.compression", "\"lz4\" is not a compression");
	assert_error(&d, "backups.wal.maxParallel", "out of range");
	assert_error(&d, "backups.retentionPolicy", "is not a retention policy");
	done(s, &d);
}

/* The cnpg-database chart's backup: CloudNativePG's spec.backup under it,
 * only when enabled; with the cluster chart's backups: too, an error. */
static void
test_chart_backup_enabled(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("chart/backup_enabled.yaml"), &d);

	(void) state;
	assert_str(s->backup_store.origin, "backup.barmanObjectStore");
	assert_str(s->backup_store.destination, "s3://db-backups/app");
	assert_str(s->backup_store.endpoint, "http://minio.minio.svc:9000");
	assert_ref(&s->backup_store.s3_key_id, "minio-creds", "ACCESS_KEY_ID");
	assert_str(s->backup_store.wal_compression, "gzip");
	assert_null(s->backup_store.wal_encryption);
	assert_int_equal(s->backup_store.wal_max_parallel, 2);
	assert_str(s->backup_retention, "14d");
	assert_string_equal(spec_path(s, "backup.retentionPolicy"), "backup.retentionPolicy");
	assert_int_equal(s->n_scheduled, 0);
	done(s, &d);
	s = load_values("{\"backup\": {\"enabeld\": true, \"barmanObjectStore\": "
			"{\"destinationPath\": \"s3://b/\"}}}", &d);
	assert_null(s->backup_store.destination);
	assert_warning(&d, "backup.enabeld", "unknown field");
	assert_warning(&d, "backup.barmanObjectStore", "backup.enabled is not true");
	done(s, &d);
	s = load_values("{\"backup\": {\"enabled\": true, \"barmanObjectStore\": "
			"{\"destinationPath\": \"s3://b/\", \"wal\": {\"compresion\": \"gzip\"}}}, "
			"\"backups\": {\"enabled\": true}}", &d);
	assert_error(&d, "backup.enabled", "backups.enabled are both true");
	assert_null(s->backup_store.destination);
	done(s, &d);
}

/* ---- Crunchy PGO PostgresCluster (pgo-disaster-recovery-and-cloning.md) ---- */

static void
test_pgo_clone_postgrescluster(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/clone_postgrescluster.yaml"), &d);

	(void) state;
	assert_int_equal(s->dialect, SPEC_DIALECT_PGO);
	assert_str(s->name, "elephant");
	assert_int_equal(s->postgres_version, 15);
	assert_int_equal(s->instances, 1);
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_RECOVERY);
	assert_str(s->clone_source, "hippo");
	assert_str(s->restore.source, "repo1");
	assert_string_equal(spec_path(s, "bootstrap.restore.source"), "spec.dataSource.postgresCluster.repoName");
	assert_int_equal(s->restore.options.n, 0);
	assert_int_equal(s->n_repos, 1);
	assert_str(s->repos[0].name, "repo1");
	assert_str(s->repos[0].kind, "volume");
	/* PGO's default user and database are named after the cluster */
	assert_str(s->app_owner, "elephant");
	assert_str(s->app_database, "elephant");
	assert_int_equal(s->standby_enabled, -1);
	done(s, &d);
}

static void
test_pgo_pitr_options(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/pitr_postgrescluster.yaml"), &d);

	(void) state;
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_RECOVERY);
	assert_str(s->clone_source, "hippo");
	assert_str(s->restore.source, "repo1");
	assert_int_equal(s->restore.options.n, 2);
	assert_string_equal(s->restore.options.items[0], "--type=time");
	assert_string_equal(s->restore.options.items[1], "--target=\"2021-06-09 14:15:11-04\"");
	assert_string_equal(spec_path(s, "bootstrap.restore.options"), "spec.dataSource.postgresCluster.options");
	done(s, &d);
}

static void
test_pgo_inplace_restore(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/inplace_restore.yaml"), &d);

	(void) state;
	assert_str(s->name, "hippo");
	/* an in-place restore is not a bootstrap method */
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_INITDB);
	assert_int_equal(s->inplace_restore_enabled, 1);
	assert_str(s->inplace.source, "repo1");
	assert_int_equal(s->inplace.options.n, 2);
	assert_string_equal(s->inplace.options.items[0], "--type=time");
	assert_string_equal(s->inplace.options.items[1], "--target=\"2021-06-09 14:15:11-04\"");
	assert_int_equal(s->restore.options.n, 0);
	done(s, &d);
}

static void
test_pgo_restore_db_include(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/restore_db_include.yaml"), &d);

	(void) state;
	assert_int_equal(s->instances, 1);
	assert_int_equal(s->inplace_restore_enabled, 1);
	assert_int_equal(s->inplace.options.n, 1);
	assert_string_equal(s->inplace.options.items[0], "--db-include=hippo");
	done(s, &d);
}

static void
test_pgo_standby_s3(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/standby_s3.yaml"), &d);

	(void) state;
	assert_str(s->name, "hippo-standby");
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_INITDB);
	assert_int_equal(s->standby_enabled, 1);
	assert_str(s->standby_source, "repo1");
	assert_string_equal(spec_path(s, "standby.source"), "spec.standby.repoName");
	assert_null(s->standby_host);
	assert_int_equal(s->standby_port, -1);
	assert_int_equal(s->n_repos, 1);
	assert_str(s->repos[0].name, "repo1");
	assert_str(s->repos[0].kind, "s3");
	assert_str(s->repos[0].bucket, "my-bucket");
	assert_str(s->repos[0].endpoint, "s3.ca-central-1.amazonaws.com");
	assert_str(s->repos[0].region, "ca-central-1");
	done(s, &d);
}

/* The source cluster of the S3 clone: backups.pgbackrest.global. */
static void
test_pgo_s3_backups_global(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/hippo_s3_backups.yaml"), &d);

	(void) state;
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_INITDB);
	assert_int_equal(s->pgbackrest_global.n, 1);
	assert_kv(&s->pgbackrest_global, "repo1-path", "/pgbackrest/postgres-operator/hippo/repo1");
	assert_string_equal(spec_path(s, "pgbackrest.global"), "spec.backups.pgbackrest.global");
	assert_str(s->repos[0].kind, "s3");
	done(s, &d);
}

/* A clone from an S3 repository (dataSource.pgbackrest). */
static void
test_pgo_clone_s3_datasource(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/clone_s3_datasource.yaml"), &d);

	(void) state;
	assert_str(s->name, "elephant");
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_RECOVERY);
	assert_str(s->pgbackrest_stanza, "db");
	assert_str(s->restore.source, "repo1");
	assert_string_equal(spec_path(s, "bootstrap.restore.source"), "spec.dataSource.pgbackrest.repo.name");
	assert_null(s->clone_source);
	assert_int_equal(s->n_repos, 1);
	assert_str(s->repos[0].bucket, "my-bucket");
	done(s, &d);
}

/* The rhino manifest: restore from S3, back up to a volume. */
static void
test_pgo_clone_s3_to_volume(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/clone_s3_to_volume.yaml"), &d);

	(void) state;
	assert_str(s->name, "rhino");
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_RECOVERY);
	assert_str(s->pgbackrest_stanza, "db");
	assert_str(s->restore.source, "repo1");
	assert_kv(&s->restore_global, "repo1-path", "/pgbackrest/postgres-operator/hippo/repo1");
	assert_int_equal(s->pgbackrest_global.n, 0);
	assert_int_equal(s->n_repos, 1);
	assert_str(s->repos[0].kind, "volume");
	assert_str(s->app_owner, "rhino");
	assert_str(s->app_database, "rhino");
	done(s, &d);
}

/* Instances summed over instance sets (replicas default to 1); users,
 * databaseInitSQL and Patroni parameters; an unknown field warned about. */
static void
test_pgo_users_instance_sets(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("pgo/users_instance_sets.yaml"), &d);

	(void) state;
	assert_int_equal(s->instances, 3);
	assert_int_equal(s->n_roles, 2);
	assert_str(s->roles[0].name, "keeper");
	assert_str(s->roles[0].options, "SUPERUSER");
	assert_int_equal(s->roles[0].databases.n, 0);
	assert_str(s->roles[1].name, "rhino");
	assert_null(s->roles[1].options);
	assert_int_equal(s->roles[1].databases.n, 2);
	assert_string_equal(s->roles[1].databases.items[0], "animals");
	assert_string_equal(s->roles[1].databases.items[1], "feeding");
	/* the first user with a database owns the application database */
	assert_str(s->app_owner, "rhino");
	assert_str(s->app_database, "animals");
	assert_string_equal(spec_path(s, "bootstrap.owner"), "spec.users[1].name");
	assert_string_equal(spec_path(s, "bootstrap.database"), "spec.users[1].databases[0]");
	assert_int_equal(s->post_init_sql_refs.configmaps.n, 1);
	assert_ref(&s->post_init_sql_refs.configmaps.items[0], "zoo-init-sql", "init.sql");
	assert_string_equal(spec_path(s, "bootstrap.initdb.postInitSQLRefs.configMapRefs"),
			    "spec.databaseInitSQL");
	assert_kv(&s->parameters, "max_parallel_workers", "2");
	assert_kv(&s->parameters, "shared_buffers", "1GB");
	assert_int_equal(s->pg_hba.n, 1);
	assert_string_equal(s->pg_hba.items[0], "hostssl all all all scram-sha-256");
	if (d.warnings.n != 1)
		print_diag(&d);
	assert_int_equal(d.warnings.n, 1);
	assert_true(has_msg(&d.warnings, "spec.frobnicate", "unknown field"));
	done(s, &d);
}

/* ---- Percona PerconaPGCluster (percona-pg-v2-migrate-using-standby.md) ---- */

static void
test_percona_standby_repo(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("percona/standby_gcs.yaml"), &d);

	(void) state;
	assert_int_equal(s->dialect, SPEC_DIALECT_PERCONA);
	assert_str(s->name, "cluster1");
	assert_int_equal(s->postgres_version, 15);
	assert_int_equal(s->instances, 3);
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_INITDB);
	assert_int_equal(s->standby_enabled, 1);
	assert_str(s->standby_source, "repo1");
	assert_null(s->standby_host);
	assert_int_equal(s->n_repos, 1);
	assert_str(s->repos[0].name, "repo1");
	assert_str(s->repos[0].kind, "gcs");
	assert_str(s->repos[0].bucket, "MY-BUCKET");
	assert_str(s->repos[0].region, "us-central1");
	assert_kv(&s->pgbackrest_global, "repo1", "/backrestrepo/cluster1-backrest-shared-repo");
	assert_str(s->app_owner, "cluster1");
	assert_str(s->app_database, "cluster1");
	done(s, &d);
}

static void
test_percona_standby_streaming(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("percona/standby_streaming.yaml"), &d);

	(void) state;
	assert_int_equal(s->dialect, SPEC_DIALECT_PERCONA);
	assert_int_equal(s->instances, 3);
	assert_int_equal(s->standby_enabled, 1);
	assert_str(s->standby_host, "cluster1-primary.pgo.svc");
	assert_int_equal(s->standby_port, 5432);
	assert_str(s->standby_source, "repo1");
	assert_string_equal(spec_path(s, "standby.port"), "spec.standby.port");
	assert_str(s->repos[0].kind, "s3");
	assert_str(s->repos[0].endpoint, "s3.eu-west-1.amazonaws.com");
	done(s, &d);
}

/* ---- defaults ---- */

static void
test_defaults_minimal(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/minimal.yaml"), &d);

	(void) state;
	spec_apply_defaults(s);
	assert_int_equal(s->bootstrap, SPEC_BOOTSTRAP_INITDB);
	assert_int_equal(s->instances, 1);
	assert_str(s->app_database, "app");
	assert_str(s->app_owner, "app");
	assert_null(s->app_secret);
	assert_str(s->encoding, "UTF8");
	assert_str(s->locale_collate, "C");
	assert_str(s->locale_ctype, "C");
	assert_null(s->locale);
	assert_int_equal(s->data_checksums, 0);
	assert_int_equal(s->wal_segment_size, -1);
	assert_int_equal(s->smart_shutdown_timeout, 180);
	assert_int_equal(s->stop_delay, 1800);
	assert_int_equal(s->start_delay, 3600);
	assert_int_equal(s->enable_superuser_access, 0);
	assert_int_equal(s->standby_enabled, 0);
	assert_int_equal(s->inplace_restore_enabled, 0);
	done(s, &d);
}

/* The owner defaults to the database; a locale stops the C default. */
static void
test_defaults_owner_and_locale(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/locale_given.yaml"), &d);

	(void) state;
	spec_apply_defaults(s);
	assert_str(s->app_database, "shop");
	assert_str(s->app_owner, "shop");
	assert_str(s->locale, "C.UTF-8");
	assert_null(s->locale_collate);
	assert_null(s->locale_ctype);
	done(s, &d);
}

/* Given values are kept. */
static void
test_defaults_keep_given(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/everything.yaml"), &d);

	(void) state;
	spec_apply_defaults(s);
	assert_str(s->encoding, "LATIN1");
	assert_int_equal(s->data_checksums, 1);
	assert_int_equal(s->instances, 2);
	assert_str(s->app_owner, "shopper");
	assert_int_equal(s->smart_shutdown_timeout, 60);
	assert_int_equal(s->stop_delay, 120);
	assert_int_equal(s->wal_segment_size, 64);
	done(s, &d);
}

static void
test_defaults_superuser_secret_enables_access(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/superuser_secret.yaml"), &d);

	(void) state;
	assert_int_equal(s->enable_superuser_access, -1);
	spec_apply_defaults(s);
	assert_int_equal(s->enable_superuser_access, 1);
	done(s, &d);
}

static void
test_defaults_superuser_disabled_kept(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/superuser_disabled.yaml"), &d);

	(void) state;
	spec_apply_defaults(s);
	assert_int_equal(s->enable_superuser_access, 0);
	assert_str(s->superuser_secret, "superuser-secret");
	done(s, &d);
}

/* PGO's owner and database (the cluster's name) are not replaced by app. */
static void
test_defaults_pgo_keeps_cluster_name(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/standby_s3.yaml"), &d);

	(void) state;
	spec_apply_defaults(s);
	assert_str(s->app_database, "hippo-standby");
	assert_str(s->app_owner, "hippo-standby");
	done(s, &d);
}

static void
test_defaults_empty_model(void **state)
{
	struct spec *s = spec_new();

	(void) state;
	spec_apply_defaults(s);
	assert_str(s->name, "pgpod");
	assert_str(s->app_database, "app");
	assert_str(s->app_owner, "app");
	assert_int_equal(s->instances, 1);
	spec_free(s);
}

/* ---- spec_to_json ---- */

static void
test_dump_is_json_with_expected_keys(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("cnpg/everything.yaml"), &d);
	struct json_object *o;

	(void) state;
	spec_apply_defaults(s);
	o = dump_parsed(s);
	assert_json_string(o, "/dialect", "cloudnative-pg");
	assert_json_string(o, "/source", FIX("cnpg/everything.yaml"));
	assert_json_string(o, "/name", "everything");
	assert_json_int(o, "/instances", 2);
	assert_json_string(o, "/bootstrap/method", "initdb");
	assert_json_string(o, "/bootstrap/database", "shop");
	assert_json_string(o, "/bootstrap/owner", "shopper");
	assert_json_string(o, "/bootstrap/secret", "shop-secret");
	assert_json_string(o, "/bootstrap/initdb/encoding", "LATIN1");
	assert_json_bool(o, "/bootstrap/initdb/dataChecksums", true);
	assert_json_int(o, "/bootstrap/initdb/walSegmentSize", 64);
	assert_json_string(o, "/bootstrap/initdb/localeProvider", "icu");
	assert_json_string(o, "/bootstrap/initdb/postInitSQL/1", "CREATE ROLE reporting");
	assert_json_string(o, "/postgresql/parameters/work_mem", "64MB");
	assert_json_string(o, "/postgresql/parameters/search_path", "it's");
	assert_json_string(o, "/postgresql/pg_hba/0", "hostssl app app 10.0.0.0/8 scram-sha-256");
	assert_json_string(o, "/postgresql/shared_preload_libraries/1", "auto_explain");
	assert_json_string(o, "/superuser/secret", "superuser-secret");
	assert_json_bool(o, "/superuser/enableAccess", true);
	assert_json_int(o, "/smartShutdownTimeout", 60);
	assert_json_int(o, "/stopDelay", 120);
	assert_json_string(o, "/externalClusters/0/name", "old-primary");
	assert_json_string(o, "/externalClusters/0/connectionParameters/host", "old.example.com");
	assert_json_string(o, "/externalClusters/0/password/name", "old-primary-replication");
	assert_json_string(o, "/externalClusters/0/password/key", "password");
	assert_true(json_object_is_type(at(o, "/roles"), json_type_array));
	assert_true(json_object_is_type(at(o, "/repos"), json_type_array));
	/* unset members are left out */
	assert_json_absent(o, "/bootstrap/clone");
	assert_json_absent(o, "/standby/source");
	json_object_put(o);
	done(s, &d);
}

/* The defaults show in the dump. */
static void
test_dump_shows_defaults(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/minimal.yaml"), &d);
	struct json_object *o;

	(void) state;
	spec_apply_defaults(s);
	o = dump_parsed(s);
	assert_json_string(o, "/bootstrap/database", "app");
	assert_json_string(o, "/bootstrap/owner", "app");
	assert_json_string(o, "/bootstrap/initdb/encoding", "UTF8");
	assert_json_string(o, "/bootstrap/initdb/localeCollate", "C");
	assert_json_string(o, "/bootstrap/initdb/localeCType", "C");
	assert_json_bool(o, "/bootstrap/initdb/dataChecksums", false);
	assert_json_int(o, "/smartShutdownTimeout", 180);
	assert_json_int(o, "/stopDelay", 1800);
	assert_json_absent(o, "/bootstrap/initdb/walSegmentSize");
	json_object_put(o);
	done(s, &d);
}

/* A password in connectionParameters is redacted. */
static void
test_dump_redacts_connection_password(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("cnpg/everything.yaml"), &d);
	char *text;
	struct json_object *o;

	(void) state;
	text = spec_to_json(s);
	assert_non_null(text);
	assert_null(strstr(text, "hunter2-inline"));
	free(text);
	o = dump_parsed(s);
	assert_json_string(o, "/externalClusters/0/connectionParameters/password", "[redacted]");
	assert_json_string(o, "/externalClusters/0/connectionParameters/user", "streaming_replica");
	json_object_put(o);
	done(s, &d);
}

/* Secret values loaded by inputs_load never reach the dump. */
static void
test_dump_has_no_secret_values(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("cnpg/superuser_secret.yaml"), &d);
	struct inputs in;
	char *text;

	(void) state;
	spec_apply_defaults(s);
	assert_true(inputs_load(s, SECRETS, CONFIGMAPS, &in, &d));
	assert_str(in.app_password, "s3cr3t-app");
	assert_str(in.su_password, "su-pass-91c2");
	text = spec_to_json(s);
	assert_non_null(text);
	assert_null(strstr(text, in.app_password));
	assert_null(strstr(text, in.su_password));
	/* the Secrets' names are there */
	assert_non_null(strstr(text, "\"superuser-secret\""));
	assert_non_null(strstr(text, "\"app-secret\""));
	free(text);
	inputs_free(&in);
	done(s, &d);
}

/* PGO dumps: roles, repositories, restore options. */
static void
test_dump_pgo(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("pgo/users_instance_sets.yaml"), &d);
	struct json_object *o;

	(void) state;
	spec_apply_defaults(s);
	o = dump_parsed(s);
	assert_json_string(o, "/dialect", "crunchy-pgo");
	assert_json_int(o, "/instances", 3);
	assert_json_int(o, "/postgresql/version", 15);
	assert_json_string(o, "/roles/0/name", "keeper");
	assert_json_string(o, "/roles/0/options", "SUPERUSER");
	assert_json_string(o, "/roles/1/databases/1", "feeding");
	assert_json_string(o, "/repos/0/name", "repo1");
	assert_json_string(o, "/repos/0/type", "volume");
	assert_json_string(o, "/bootstrap/initdb/postInitSQLRefs/configMapRefs/0/name", "zoo-init-sql");
	json_object_put(o);
	done(s, &d);
}

/* A clone from S3 restores from dataSource.pgbackrest.global's repo1-path
 * (hippo's backups); backups.pgbackrest.global is where the new cluster
 * backs up. Each has its own place in the model. */
static void
test_pgo_datasource_global_kept_apart(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/clone_s3_datasource.yaml"), &d);

	(void) state;
	assert_kv(&s->restore_global, "repo1-path", "/pgbackrest/postgres-operator/hippo/repo1");
	assert_kv(&s->pgbackrest_global, "repo1-path", "/pgbackrest/postgres-operator/elephant/repo1");
	assert_string_equal(spec_path(s, "bootstrap.restore.pgbackrest.global"),
			    "spec.dataSource.pgbackrest.global");
	done(s, &d);
}

/* rhino restores from dataSource.pgbackrest.repo (S3) and backs up to a
 * volume repository of the same name. */
static void
test_pgo_datasource_repo_modelled(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("pgo/clone_s3_to_volume.yaml"), &d);

	(void) state;
	assert_str(s->restore_repo.name, "repo1");
	assert_str(s->restore_repo.kind, "s3");
	assert_str(s->restore_repo.bucket, "my-bucket");
	assert_str(s->restore_repo.region, "ca-central-1");
	assert_int_equal(s->n_repos, 1);
	assert_str(s->repos[0].kind, "volume");
	done(s, &d);
}

/* libpq's sslpassword and pgBackRest's keys are secrets too. */
static void
test_dump_redacts_all_secret_keys(void **state)
{
	struct spec *s = spec_new();
	char *text;

	(void) state;
	s->externals = calloc(1, sizeof(*s->externals));
	s->n_externals = 1;
	s->externals[0].name = strdup("src");
	kvlist_set(&s->externals[0].conn, "sslpassword", "key-passphrase-123");
	kvlist_set(&s->externals[0].conn, "host", "db.example.com");
	kvlist_set(&s->pgbackrest_global, "repo1-s3-key-secret", "s3-secret-456");
	kvlist_set(&s->pgbackrest_global, "repo1-cipher-pass", "cipher-789");
	kvlist_set(&s->pgbackrest_global, "repo1-path", "/repo1");
	kvlist_set(&s->parameters, "ssl_key_file", "server.key");
	text = spec_to_json(s);
	assert_null(strstr(text, "key-passphrase-123"));
	assert_null(strstr(text, "s3-secret-456"));
	assert_null(strstr(text, "cipher-789"));
	assert_non_null(strstr(text, "db.example.com"));
	assert_non_null(strstr(text, "/repo1"));
	assert_non_null(strstr(text, "server.key"));
	free(text);
	spec_free(s);
}

/* A repository is one kind; two kinds are refused by name. */
static void
test_pgo_repo_two_kinds_refused(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;

	(void) state;
	assert_false(load_text("{\"apiVersion\":\"postgres-operator.crunchydata.com/v1beta1\","
			       "\"kind\":\"PostgresCluster\",\"metadata\":{\"name\":\"x\"},"
			       "\"spec\":{\"postgresVersion\":15,\"backups\":{\"pgbackrest\":"
			       "{\"repos\":[{\"name\":\"repo1\",\"volume\":{},\"s3\":"
			       "{\"bucket\":\"b\"}}]}}}}", &s, &d));
	assert_error(&d, "spec.backups.pgbackrest.repos[0]", "both");
	done(s, &d);
}

/* initdb.import and spec.managed are read, nothing warned about them. */
static void
test_cnpg_import_and_managed_read(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;

	(void) state;
	assert_true(load_text("{\"apiVersion\":\"postgresql.cnpg.io/v1\",\"kind\":\"Cluster\","
			      "\"metadata\":{\"name\":\"x\"},\"spec\":{\"instances\":1,"
			      "\"managed\":{\"roles\":[{\"name\":\"r\"}]},"
			      "\"bootstrap\":{\"initdb\":{\"import\":{\"type\":\"microservice\"}}}}}",
			      &s, &d));
	assert_str(s->import.type, "microservice");
	/* declarative roles are applied now: nothing is said about them */
	for (size_t i = 0; i < d.warnings.n; i++)
		assert_null(strstr(d.warnings.items[i], "spec.managed"));
	done(s, &d);
}

/* ---- lists of objects ---- */

/* Each item records where it was read; an unknown field inside an item is
 * warned with its full path; barmanObjectStore's content is not pgpod's. */
static void
test_cnpg_item_origin_and_unknown_fields(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;
	char buf[128];

	(void) state;
	assert_true(load_text("{\"apiVersion\":\"postgresql.cnpg.io/v1\",\"kind\":\"Cluster\","
			      "\"metadata\":{\"name\":\"x\"},\"spec\":{\"instances\":1,"
			      "\"externalClusters\":[{\"name\":\"a\",\"connectionParameters\":"
			      "{\"host\":\"a.example.com\"}},{\"name\":\"src\",\"conectionParameters\":"
			      "{\"host\":\"b\"},\"password\":{\"name\":\"p\",\"key\":\"k\"},"
			      "\"barmanObjectStore\":{\"destinationPath\":\"s3://b/\",\"wal\":"
			      "{\"compression\":\"gzip\"}}}]}}", &s, &d));
	if (d.warnings.n != 1)
		print_diag(&d);
	assert_int_equal(d.warnings.n, 1);
	assert_warning(&d, "spec.externalClusters[1].conectionParameters", "unknown field, ignored");
	assert_int_equal(s->n_externals, 2);
	assert_str(s->externals[0].origin, "spec.externalClusters[0]");
	assert_str(s->externals[1].origin, "spec.externalClusters[1]");
	assert_int_equal(s->externals[1].conn.n, 0);
	assert_ref(&s->externals[1].password, "p", "k");
	assert_true(s->externals[1].has_object_store);
	assert_string_equal(spec_external_path(s, "src", buf, sizeof(buf)),
			    "spec.externalClusters[1] (\"src\")");
	assert_string_equal(spec_external_path(s, "nowhere", buf, sizeof(buf)), "spec.externalClusters");
	done(s, &d);
}

/* The chart's lists are at the top: so are their items' paths. */
static void
test_chart_item_origin(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("chart/basebackup_password.yaml"), &d);
	char buf[128];

	(void) state;
	assert_str(s->externals[0].origin, "externalClusters[0]");
	assert_string_equal(spec_external_path(s, "source-cluster", buf, sizeof(buf)),
			    "externalClusters[0] (\"source-cluster\")");
	assert_string_equal(spec_external_path(s, NULL, buf, sizeof(buf)), "externalClusters");
	done(s, &d);
}

/* A CloudNativePG spec without externalClusters still knows where they go. */
static void
test_external_path_without_list(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/minimal.yaml"), &d);
	struct spec *bare = spec_new();
	char buf[128];

	(void) state;
	assert_string_equal(spec_external_path(s, "src", buf, sizeof(buf)), "spec.externalClusters");
	assert_string_equal(spec_external_path(bare, "src", buf, sizeof(buf)), "externalClusters");
	spec_free(bare);
	done(s, &d);
}

/* PGO items record their paths too: users, repositories, instance sets and
 * the repository of dataSource.pgbackrest. */
static void
test_pgo_item_origins(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("pgo/users_instance_sets.yaml"), &d);
	struct spec *r = NULL;
	struct diag dr = { 0 };

	(void) state;
	assert_str(s->roles[0].origin, "spec.users[0]");
	assert_str(s->roles[1].origin, "spec.users[1]");
	assert_str(s->repos[0].origin, "spec.backups.pgbackrest.repos[0]");
	assert_int_equal(s->n_instance_sets, 2);
	assert_str(s->instance_sets[0].origin, "spec.instances[0]");
	assert_str(s->instance_sets[0].name, "big");
	assert_int_equal(s->instance_sets[0].replicas, 2);
	/* replicas default to 1 */
	assert_int_equal(s->instance_sets[1].replicas, 1);
	r = load_clean(FIX("pgo/clone_s3_to_volume.yaml"), &dr);
	assert_str(r->restore_repo.origin, "spec.dataSource.pgbackrest.repo");
	assert_int_equal(r->restore.source_kind, SPEC_SOURCE_DATASOURCE_REPO);
	done(s, &d);
	done(r, &dr);
}

/* bootstrap.initdb.import read whole (monolith, per-section options). */
static void
test_cnpg_import_monolith(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/import_monolith.yaml"), &d);
	const struct spec_import *im = &s->import;

	(void) state;
	assert_str(im->type, "monolith");
	assert_int_equal(im->databases.n, 2);
	assert_string_equal(im->databases.items[1], "banking");
	assert_int_equal(im->roles.n, 2);
	assert_str(im->source, "cluster-pg96");
	assert_int_equal(im->schema_only, 0);
	assert_string_equal(im->dump_options.items[0], "--jobs=2");
	assert_string_equal(im->data_options.items[0], "--jobs=4");
	assert_string_equal(im->postdata_options.items[0], "--jobs=2");
	assert_string_equal(spec_path(s, "bootstrap.initdb.import.source"),
			    "spec.bootstrap.initdb.import.source.externalCluster");
	done(s, &d);
}

/* recovery.backup.name: the Backup document's status becomes the source
 * (its store, server name and backup id); one not completed is refused. */
static void
test_cnpg_recovery_from_backup_object(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("cnpg/recovery_backup_object.yaml"), &d);
	const struct spec_external *e;

	(void) state;
	assert_int_equal(d.warnings.n, 0);
	assert_str(s->restore.backup_object, "backup-example");
	assert_str(s->restore.source, "backup-example");
	assert_int_equal(s->restore.source_kind, SPEC_SOURCE_EXTERNAL);
	assert_str(s->restore.backup_id, "20260101T000000");
	assert_non_null(e = spec_external_find(s, "backup-example"));
	assert_str(e->store.destination, "s3://backups/");
	assert_str(e->store.server_name, "cluster-example");
	assert_str(e->store.endpoint, "https://s3.example.com");
	assert_str(e->store.s3_secret.name, "aws-creds");
	/* the recovery's endpointCA over the Backup's */
	assert_str(e->store.endpoint_ca.name, "recovery-ca");
	assert_string_equal(e->origin, "Backup backup-example.status");
	done(s, &d);

	memset(&d, 0, sizeof(d));
	s = NULL;
	assert_true(dialect_load(FIX("invalid/recovery_backup_running.yaml"), &s, &d));
	assert_error(&d, "spec.bootstrap.recovery.backup.name",
		     "the Backup \"backup-example\" cannot be recovered from: its status.phase is "
		     "not \"completed\"");
	spec_free(s);
	diag_free(&d);
}

/* Typos inside sections pgpod reads are warned with their full path, the
 * operator's fields beside them are not (CloudNativePG). */
static void
test_cnpg_typos_in_read_sections(void **state)
{
	static const char *const warned[] = {
		"spec.superuserSecret.nmae", "spec.probes.readiness.maximumLagg",
		"spec.bootstrap.recovery.secret.nmae", "spec.externalClusters[0].conectionParameters",
	};
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("cnpg/typos_in_read_sections.yaml"), &d);

	(void) state;
	for (size_t i = 0; i < sizeof(warned) / sizeof(warned[0]); i++)
		assert_warning(&d, warned[i], "unknown field, ignored");
	/* and the Backup object named, not in the file */
	assert_warning(&d, "spec.bootstrap.recovery.backup.name", "is not in the spec file");
	if (d.warnings.n != sizeof(warned) / sizeof(warned[0]) + 1)
		print_diag(&d);
	assert_int_equal(d.warnings.n, sizeof(warned) / sizeof(warned[0]) + 1);
	/* the fields beside the typos are still read */
	assert_str(s->superuser_secret, "superuser-secret");
	assert_str(s->max_lag, "16Mi");
	assert_str(s->app_secret, "app-secret");
	assert_str(s->restore.backup_object, "backup-1");
	done(s, &d);
}

/* The same for PGO: standby, users, repositories, instance sets, config
 * and Patroni's dynamic configuration. */
static void
test_pgo_typos_in_read_sections(void **state)
{
	static const char *const warned[] = {
		"spec.standby.reponame", "spec.users[0].databse", "spec.instances[0].replica",
		"spec.backups.pgbackrest.repos[0].s3.bukket", "spec.config.parameterz",
		"spec.patroni.dynamicConfiguration.postgresql.parametres",
	};
	struct diag d = { 0 };
	struct spec *s = load_ok(FIX("pgo/typos_in_read_sections.yaml"), &d);

	(void) state;
	for (size_t i = 0; i < sizeof(warned) / sizeof(warned[0]); i++)
		assert_warning(&d, warned[i], "unknown field, ignored");
	if (d.warnings.n != sizeof(warned) / sizeof(warned[0]))
		print_diag(&d);
	assert_int_equal(d.warnings.n, sizeof(warned) / sizeof(warned[0]));
	assert_int_equal(s->standby_enabled, 1);
	assert_str(s->standby_source, "repo1");
	assert_int_equal(s->instances, 2);
	assert_str(s->repos[0].bucket, "my-bucket");
	assert_kv(&s->parameters, "shared_buffers", "1GB");
	done(s, &d);
}

/* No ignored path hides a path a map (or an item table) reads: a typo
 * next to a field pgpod reads is always warned about. */
static void
test_ignored_paths_hide_nothing_read(void **state)
{
	struct strlist problems = { 0 };

	(void) state;
	dialect_check_tables(&problems);
	for (size_t i = 0; i < problems.n; i++)
		print_error("%s\n", problems.items[i]);
	assert_int_equal(problems.n, 0);
	strlist_free(&problems);
}

/* ---- the restore shape ---- */

static void
assert_words(const char *text, const char *const *want, size_t n)
{
	struct strlist w = { 0 };
	const char *why = NULL;

	assert_true(spec_split_words(text, &w, &why));
	if (w.n != n)
		print_error("\"%s\": %zu words, want %zu\n", text, w.n, n);
	assert_int_equal(w.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(w.items[i], want[i]);
	strlist_free(&w);
}

/* Options are split as a shell would: blanks, quotes, backslashes; no
 * expansion. */
static void
test_split_words(void **state)
{
	static const char *const one[] = { "--type=time" };
	static const char *const quoted[] = { "--target=2021-06-09 14:15:11-04" };
	static const char *const several[] = { "--type=time", "--target=2021-06-09 14:15:11-04",
					       "--set=x" };
	static const char *const escapes[] = { "a b", "c\"d", "e\\f", "$HOME", "", "g'h" };
	static const char *const bad[] = { "--target=\"2021", "'open", "x\\", "a \"b\\\"" };
	static const char *const why_bad[] = { "double quote", "single quote", "backslash",
					       "double quote" };
	struct strlist w = { 0 };

	(void) state;
	assert_words("--type=time", one, 1);
	assert_words("--target=\"2021-06-09 14:15:11-04\"", quoted, 1);
	assert_words("--target='2021-06-09 14:15:11-04'", quoted, 1);
	assert_words("  --type=time\t--target=\"2021-06-09 14:15:11-04\"\n --set=x ", several, 3);
	assert_words("a\\ b \"c\\\"d\" 'e\\f' '$HOME' \"\" \"g'h\"", escapes, 6);
	assert_words("   ", NULL, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		assert_false(spec_split_words(bad[i], &w, &why));
		assert_non_null(why);
		assert_non_null(strstr(why, why_bad[i]));
		strlist_free(&w);
	}
}

/* PGO's options become the restore shape: the target, the backup set,
 * --target-exclusive, --db-include (repeatable, also as two words), and
 * the rest passed through in order; the list as written is kept. */
static void
test_pgo_restore_options_parsed(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;
	const struct spec_restore *r;

	(void) state;
	assert_true(load_text("{\"apiVersion\":\"postgres-operator.crunchydata.com/v1beta1\","
			      "\"kind\":\"PostgresCluster\",\"metadata\":{\"name\":\"x\"},\"spec\":"
			      "{\"postgresVersion\":15,\"dataSource\":{\"postgresCluster\":{"
			      "\"clusterName\":\"hippo\",\"repoName\":\"repo1\",\"options\":["
			      "\"--type=time --target=\\\"2021-06-09 14:15:11-04\\\"\","
			      "\"--set=20210609-141511F\",\"--target-exclusive\",\"--db-include=a\","
			      "\"--db-include\",\"b\",\"--delta\",\"--process-max=4\","
			      "\"--target-timeline=current\"]}}}}", &s, &d));
	r = &s->restore;
	assert_int_equal(r->target.kind, SPEC_TARGET_TIME);
	assert_str(r->target.value, "2021-06-09 14:15:11-04");
	assert_int_equal(r->target.exclusive, 1);
	assert_str(r->target.timeline, "current");
	assert_str(r->backup_id, "20210609-141511F");
	assert_int_equal(r->db_include.n, 2);
	assert_string_equal(r->db_include.items[0], "a");
	assert_string_equal(r->db_include.items[1], "b");
	assert_int_equal(r->passthrough.n, 2);
	assert_string_equal(r->passthrough.items[0], "--delta");
	assert_string_equal(r->passthrough.items[1], "--process-max=4");
	assert_null(r->target_action);
	assert_int_equal(r->options.n, 9);
	assert_string_equal(r->options.items[0], "--type=time --target=\"2021-06-09 14:15:11-04\"");
	assert_int_equal(r->source_kind, SPEC_SOURCE_CLUSTER);
	/* what the options set is found at the options */
	assert_string_equal(spec_path(s, "bootstrap.restore.target.time"),
			    "spec.dataSource.postgresCluster.options");
	assert_string_equal(spec_path(s, "bootstrap.restore.backupID"),
			    "spec.dataSource.postgresCluster.options");
	assert_string_equal(spec_path(s, "bootstrap.restore.source"),
			    "spec.dataSource.postgresCluster.repoName");
	done(s, &d);
}

/* The documentation's PITR: the same target for the bootstrap and the
 * in-place restore, in the model and in the dump. */
static void
test_pgo_pitr_target(void **state)
{
	struct diag d = { 0 }, di = { 0 };
	struct spec *s = load_clean(FIX("pgo/pitr_postgrescluster.yaml"), &d);
	struct spec *in = load_clean(FIX("pgo/inplace_restore.yaml"), &di);
	struct json_object *o;

	(void) state;
	assert_int_equal(s->restore.target.kind, SPEC_TARGET_TIME);
	assert_str(s->restore.target.value, "2021-06-09 14:15:11-04");
	assert_int_equal(s->restore.passthrough.n, 0);
	assert_int_equal(in->inplace.target.kind, SPEC_TARGET_TIME);
	assert_str(in->inplace.target.value, "2021-06-09 14:15:11-04");
	assert_int_equal(in->inplace.source_kind, SPEC_SOURCE_REPO);
	assert_int_equal(in->restore.target.kind, SPEC_TARGET_NONE);
	o = dump_parsed(s);
	assert_json_string(o, "/bootstrap/restore/target/time", "2021-06-09 14:15:11-04");
	assert_json_string(o, "/bootstrap/restore/target/type", "time");
	assert_json_string(o, "/bootstrap/restore/options/0", "--type=time");
	assert_json_string(o, "/bootstrap/restore/source", "repo1");
	json_object_put(o);
	o = dump_parsed(in);
	assert_json_string(o, "/restoreInPlace/target/time", "2021-06-09 14:15:11-04");
	assert_json_string(o, "/restoreInPlace/repo", "repo1");
	assert_json_string(o, "/restoreInPlace/options/1", "--target=\"2021-06-09 14:15:11-04\"");
	json_object_put(o);
	done(s, &d);
	done(in, &di);
}

/* CloudNativePG's recoveryTarget keeps its dump keys. */
static void
test_cnpg_recovery_dump(void **state)
{
	struct diag d = { 0 };
	struct spec *s = load_clean(FIX("cnpg/recovery_pitr.yaml"), &d);
	struct json_object *o;

	(void) state;
	o = dump_parsed(s);
	assert_json_string(o, "/bootstrap/restore/source", "cluster-example");
	assert_json_string(o, "/bootstrap/restore/target/time", "2023-08-11 11:14:21.00000+02");
	assert_json_bool(o, "/bootstrap/restore/target/exclusive", false);
	assert_json_absent(o, "/bootstrap/restore/target/xid");
	assert_json_absent(o, "/bootstrap/restore/target/immediate");
	assert_json_bool(o, "/externalClusters/0/objectStore", true);
	json_object_put(o);
	done(s, &d);
}

/* An option that is not closed is a reading error naming the field. */
static void
test_pgo_options_unterminated_quote(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;

	(void) state;
	assert_true(dialect_load(FIX("invalid/pgo_options_unterminated.yaml"), &s, &d));
	assert_int_equal(d.errors.n, 1);
	assert_error(&d, "spec.dataSource.postgresCluster.options", "double quote is not closed");
	assert_error(&d, "spec.dataSource.postgresCluster.options", "item 1");
	done(s, &d);
}

/* ---- reload ---- */

/* What changed and only matters at bootstrap: scalars, lists and the items
 * of immutable lists, by their user paths; mutable fields are not listed. */
static void
test_changed_immutable(void **state)
{
	struct diag d = { 0 }, d2 = { 0 };
	struct spec *a = load_ok(FIX("cnpg/everything.yaml"), &d);
	struct spec *b = load_ok(FIX("cnpg/everything.yaml"), &d2);
	struct strlist paths = { 0 };

	(void) state;
	spec_changed_immutable(a, b, &paths);
	assert_int_equal(paths.n, 0);
	free(b->encoding);
	b->encoding = strdup("UTF8");
	kvlist_set(&b->parameters, "work_mem", "128MB");
	b->instances = 5;
	kvlist_set(&b->externals[0].conn, "host", "new.example.com");
	strlist_add(&b->post_init_sql, "SELECT 1");
	spec_changed_immutable(a, b, &paths);
	if (paths.n != 2)
		for (size_t i = 0; i < paths.n; i++)
			print_error("changed: %s\n", paths.items[i]);
	assert_int_equal(paths.n, 2);
	assert_string_equal(paths.items[0], "spec.bootstrap.initdb.encoding");
	assert_string_equal(paths.items[1], "spec.bootstrap.initdb.postInitSQL");
	strlist_free(&paths);
	done(a, &d);
	done(b, &d2);
}

/* PGO users are reconciled on the running primary: a changed or added
 * user is no bootstrap-only change; the restore target of a bootstrap is. */
static void
test_changed_immutable_items(void **state)
{
	struct diag d = { 0 }, d2 = { 0 };
	struct spec *a = load_ok(FIX("pgo/users_instance_sets.yaml"), &d);
	struct spec *b = load_ok(FIX("pgo/users_instance_sets.yaml"), &d2);
	struct strlist paths = { 0 };

	(void) state;
	free(b->roles[0].options);
	b->roles[0].options = strdup("CREATEDB");
	b->instance_sets[0].replicas = 7;
	b->restore.target.kind = SPEC_TARGET_IMMEDIATE;
	spec_changed_immutable(a, b, &paths);
	if (paths.n != 2)
		for (size_t i = 0; i < paths.n; i++)
			print_error("changed: %s\n", paths.items[i]);
	assert_int_equal(paths.n, 2);
	assert_false(strlist_has(&paths, "spec.users[0].options"));
	assert_true(strlist_has(&paths, "bootstrap.restore.target.type"));
	assert_true(strlist_has(&paths, "bootstrap.restore.target.immediate"));
	strlist_free(&paths);
	/* a user only the new spec has */
	b->roles = realloc(b->roles, (b->n_roles + 1) * sizeof(*b->roles));
	memset(&b->roles[b->n_roles], 0, sizeof(*b->roles));
	b->roles[b->n_roles].origin = strdup("spec.users[2]");
	b->roles[b->n_roles++].name = strdup("giraffe");
	b->restore.target.kind = SPEC_TARGET_NONE;
	spec_changed_immutable(a, b, &paths);
	assert_int_equal(paths.n, 0);
	strlist_free(&paths);
	done(a, &d);
	done(b, &d2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cnpg_initdb_app_secret),
		cmocka_unit_test(test_cnpg_initdb_checksums_latin1),
		cmocka_unit_test(test_cnpg_initdb_post_init_sql),
		cmocka_unit_test(test_cnpg_initdb_app_sql_refs),
		cmocka_unit_test(test_cnpg_sql_refs_order),
		cmocka_unit_test(test_cnpg_basebackup_password),
		cmocka_unit_test(test_cnpg_basebackup_tls),
		cmocka_unit_test(test_cnpg_basebackup_app_db),
		cmocka_unit_test(test_cnpg_recovery_pitr),
		cmocka_unit_test(test_cnpg_plugin_object_store),
		cmocka_unit_test(test_cnpg_replica_cluster),
		cmocka_unit_test(test_cnpg_everything),
		cmocka_unit_test(test_cnpg_json_same_as_yaml),
		cmocka_unit_test(test_cnpg_multidoc_secret_then_cluster),
		cmocka_unit_test(test_secret_only_file_refused),
		cmocka_unit_test(test_missing_file_refused),
		cmocka_unit_test(test_cnpg_unknown_fields_warn),
		cmocka_unit_test(test_cnpg_operator_fields_silent),
		cmocka_unit_test(test_chart_basebackup_password),
		cmocka_unit_test(test_chart_basebackup_tls),
		cmocka_unit_test(test_chart_same_namespace_clone),
		cmocka_unit_test(test_chart_external_server),
		cmocka_unit_test(test_chart_weekly_refresh),
		cmocka_unit_test(test_chart_unknown_fields_warn),
		cmocka_unit_test(test_chart_backups_s3_defaults),
		cmocka_unit_test(test_chart_backups_secret_name),
		cmocka_unit_test(test_chart_backups_iam_role),
		cmocka_unit_test(test_chart_backups_azure_google),
		cmocka_unit_test(test_chart_backups_disabled),
		cmocka_unit_test(test_chart_backups_scheduled),
		cmocka_unit_test(test_chart_backups_errors),
		cmocka_unit_test(test_chart_backup_enabled),
		cmocka_unit_test(test_pgo_clone_postgrescluster),
		cmocka_unit_test(test_pgo_pitr_options),
		cmocka_unit_test(test_pgo_inplace_restore),
		cmocka_unit_test(test_pgo_restore_db_include),
		cmocka_unit_test(test_pgo_standby_s3),
		cmocka_unit_test(test_pgo_s3_backups_global),
		cmocka_unit_test(test_pgo_clone_s3_datasource),
		cmocka_unit_test(test_pgo_clone_s3_to_volume),
		cmocka_unit_test(test_pgo_users_instance_sets),
		cmocka_unit_test(test_percona_standby_repo),
		cmocka_unit_test(test_percona_standby_streaming),
		cmocka_unit_test(test_defaults_minimal),
		cmocka_unit_test(test_defaults_owner_and_locale),
		cmocka_unit_test(test_defaults_keep_given),
		cmocka_unit_test(test_defaults_superuser_secret_enables_access),
		cmocka_unit_test(test_defaults_superuser_disabled_kept),
		cmocka_unit_test(test_defaults_pgo_keeps_cluster_name),
		cmocka_unit_test(test_defaults_empty_model),
		cmocka_unit_test(test_dump_is_json_with_expected_keys),
		cmocka_unit_test(test_dump_shows_defaults),
		cmocka_unit_test(test_dump_redacts_connection_password),
		cmocka_unit_test(test_dump_has_no_secret_values),
		cmocka_unit_test(test_dump_pgo),
		cmocka_unit_test(test_pgo_datasource_global_kept_apart),
		cmocka_unit_test(test_pgo_datasource_repo_modelled),
		cmocka_unit_test(test_dump_redacts_all_secret_keys),
		cmocka_unit_test(test_pgo_repo_two_kinds_refused),
		cmocka_unit_test(test_cnpg_import_and_managed_read),
		cmocka_unit_test(test_cnpg_item_origin_and_unknown_fields),
		cmocka_unit_test(test_chart_item_origin),
		cmocka_unit_test(test_external_path_without_list),
		cmocka_unit_test(test_pgo_item_origins),
		cmocka_unit_test(test_cnpg_typos_in_read_sections),
		cmocka_unit_test(test_cnpg_recovery_from_backup_object),
		cmocka_unit_test(test_cnpg_import_monolith),
		cmocka_unit_test(test_pgo_typos_in_read_sections),
		cmocka_unit_test(test_ignored_paths_hide_nothing_read),
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_pgo_restore_options_parsed),
		cmocka_unit_test(test_pgo_pitr_target),
		cmocka_unit_test(test_cnpg_recovery_dump),
		cmocka_unit_test(test_pgo_options_unterminated_quote),
		cmocka_unit_test(test_cnpg_certificates),
		cmocka_unit_test(test_pgo_custom_tls),
		cmocka_unit_test(test_changed_immutable),
		cmocka_unit_test(test_changed_immutable_items),
	};
	return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}
