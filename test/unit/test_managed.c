/*
 * test_managed.c — cmocka tests of what pgpod reconciles on a primary:
 * CloudNativePG's spec.managed.roles and Database documents and PGO's
 * users read into the model (lib/dialect.c, lib/spec_fields.c), their
 * validation (lib/validate_managed.c), role options (lib/roleopts.c),
 * SCRAM verifiers (lib/scram.c), the desired state and the statements
 * rendered from a want and a have (pgdata/managed.c). No PostgreSQL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "diag_asserts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "dialect.h"
#include "inputs.h"
#include "roleopts.h"
#include "scram.h"
#include "spec.h"
#include "validate.h"
#include "pgdata/managed.h"

#define FIX(name) "test/fixtures/spec/" name
#define SECRETS FIX("secrets")

/* ---- helpers ---- */

/* Load text as a spec file and validate it (major 16); the caller frees. */
static struct spec *
load_text(const char *text, struct diag *d)
{
	char path[] = "/tmp/pgpod-test-managed.XXXXXX";
	int fd = mkstemp(path);
	struct spec *s = NULL;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	close(fd);
	if (dialect_load(path, &s, d)) {
		spec_apply_defaults(s);
		validate_spec(s, 16, d);
	}
	unlink(path);
	return s;
}

/* Quoting as libpq does it for plain UTF-8: "" and '' doubled. */
static char *
quote(const char *s, char q)
{
	char *out = calloc(strlen(s) * 2 + 3, 1), *o = out;

	*o++ = q;
	for (; *s; s++) {
		if (*s == q)
			*o++ = q;
		*o++ = *s;
	}
	*o = q;
	return out;
}

static char *
test_ident(void *ctx, const char *s)
{
	(void) ctx;
	return quote(s, '"');
}

static char *
test_literal(void *ctx, const char *s)
{
	(void) ctx;
	return quote(s, '\'');
}

static const struct managed_quote Q = { test_ident, test_literal, NULL };

/* The statements, joined by "; ". */
static char *
joined(const struct strlist *l)
{
	size_t len = 1;
	char *out;

	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->items[i]) + 2;
	out = calloc(len, 1);
	for (size_t i = 0; i < l->n; i++) {
		if (i > 0)
			strcat(out, "; ");
		strcat(out, l->items[i]);
	}
	return out;
}

static void
assert_sql(const struct strlist *l, const char *want)
{
	char *got = joined(l);

	if (strcmp(got, want) != 0)
		print_error("got:  %s\nwant: %s\n", got, want);
	assert_string_equal(got, want);
	free(got);
}

/* ---- reading ---- */

/* The roles sample's shape: every field, CloudNativePG's defaults (present,
 * inherit, no connection limit), services accepted silently; Database
 * documents of this cluster only, with their schemas and extensions. */
static void
test_read_roles_and_databases(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;
	const struct spec_managed_role *r;
	const struct spec_database *db;

	(void) state;
	assert_true(dialect_load(FIX("cnpg/managed.yaml"), &s, &d));
	spec_apply_defaults(s);
	validate_spec(s, 16, &d);
	if (d.errors.n || d.warnings.n)
		print_diag(&d);
	assert_int_equal(d.errors.n + d.warnings.n, 0);
	assert_int_equal(s->n_managed_roles, 3);
	r = &s->managed_roles[0];
	assert_string_equal(r->origin, "spec.managed.roles[0]");
	assert_string_equal(r->ensure, "present");
	assert_int_equal(r->login, 1);
	assert_int_equal(r->createdb, 1);
	assert_int_equal(r->inherit, 1);
	assert_int_equal(r->superuser, 0);
	assert_int_equal(r->connection_limit, -1);
	assert_null(r->valid_until);
	r = &s->managed_roles[1];
	assert_string_equal(r->comment, "my database-side comment");
	assert_int_equal(r->inherit, 0);
	assert_int_equal(r->connection_limit, 4);
	assert_string_equal(r->valid_until, "2053-04-12T15:04:05Z");
	assert_int_equal(r->in_roles.n, 2);
	assert_string_equal(r->in_roles.items[1], "pg_signal_backend");
	assert_string_equal(r->password_secret, "dante-secret");
	assert_string_equal(s->managed_roles[2].ensure, "absent");
	assert_int_equal(s->n_databases, 1);
	db = &s->databases[0];
	assert_string_equal(db->origin, "Database db-inferno");
	assert_string_equal(db->name, "inferno");
	assert_string_equal(db->ensure, "present");
	assert_string_equal(db->reclaim_policy, "delete");
	assert_int_equal(db->is_template, 0);
	assert_int_equal(db->allow_connections, -1);
	assert_int_equal(db->connection_limit, -1);
	assert_int_equal(db->n_extensions, 2);
	assert_string_equal(db->extensions[0].origin, "Database db-inferno.spec.extensions[0]");
	assert_string_equal(db->extensions[0].schema, "circles");
	assert_string_equal(db->extensions[1].ensure, "absent");
	assert_int_equal(db->n_schemas, 1);
	assert_string_equal(db->schemas[0].owner, "dante");
	done(s, &d);
}

/* passwordSecret: read for a role that is to be present, not for one
 * declared absent (its Secret may be gone); watched with the others. */
static void
test_read_password_secrets(void **state)
{
	struct diag d = { 0 };
	struct spec *s = NULL;
	struct inputs in;
	struct strlist names = { 0 };

	(void) state;
	assert_true(dialect_load(FIX("cnpg/managed.yaml"), &s, &d));
	spec_apply_defaults(s);
	assert_true(inputs_load(s, SECRETS, FIX("configmaps"), &in, &d));
	assert_int_equal(in.n_managed, 3);
	assert_null(in.managed_passwords[0]);
	assert_string_equal(in.managed_passwords[1], "dante-pw");
	assert_null(in.managed_passwords[2]);
	inputs_secret_names(s, &names);
	assert_true(strlist_has(&names, "dante-secret"));
	assert_false(strlist_has(&names, "no-such-secret"));
	strlist_free(&names);
	inputs_free(&in);
	done(s, &d);
}

/* A broken spec and the error it must give. */
struct refusal {
	const char *text, *path, *needle;
};

static void
expect_refusals(const struct refusal *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct diag d = { 0 };
		struct spec *s = load_text(cases[i].text, &d);

		assert_error(&d, cases[i].path, cases[i].needle);
		done(s, &d);
	}
}

#define CLUSTER "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: c\n" \
	"spec:\n  instances: 1\n  bootstrap:\n    initdb:\n      owner: app\n"
#define DATABASE(rest) "\n---\napiVersion: postgresql.cnpg.io/v1\nkind: Database\n" \
	"metadata:\n  name: d\nspec:\n  cluster:\n    name: c\n" rest

/* One broken spec per rule: the error names the field. */
static void
test_validation(void **state)
{
	static const struct refusal cases[] = {
		{ CLUSTER "  managed:\n    roles:\n    - name: postgres\n",
		  "spec.managed.roles[0].name", "reserved" },
		{ CLUSTER "  managed:\n    roles:\n    - name: streaming_replica\n      ensure: absent\n",
		  "spec.managed.roles[0].name", "reserved" },
		{ CLUSTER "  managed:\n    roles:\n    - name: app\n      ensure: absent\n",
		  "spec.managed.roles[0].ensure", "cannot be declared absent" },
		{ CLUSTER "  managed:\n    roles:\n    - name: a\n    - name: a\n",
		  "spec.managed.roles[1].name", "declared twice" },
		{ CLUSTER "  managed:\n    roles:\n    - name: a\n      disablePassword: true\n"
		  "      passwordSecret:\n        name: s\n", "spec.managed.roles[0].passwordSecret",
		  "cannot both" },
		{ CLUSTER "  managed:\n    roles:\n    - name: a\n      ensure: maybe\n",
		  "spec.managed.roles[0].ensure", "present or absent" },
		{ CLUSTER "  managed:\n    roles:\n    - name: a\n      validUntil: tomorrow\n",
		  "spec.managed.roles[0].validUntil", "timestamp" },
		{ CLUSTER "  managed:\n    roles:\n    - name: a\n      connectionLimit: -2\n",
		  "spec.managed.roles[0].connectionLimit", "between -1" },
		{ CLUSTER "  managed:\n    roles:\n    - name: a\n      inRoles: [b, a]\n",
		  "spec.managed.roles[0].inRoles", "member of itself" },
		{ CLUSTER "  managed:\n    roles:\n    - name: pg_mine\n",
		  "spec.managed.roles[0].name", "reserved by PostgreSQL" },
		{ CLUSTER "  managed:\n    roles:\n    - name: a\n      comment: \"x\\u0007\"\n",
		  "spec.managed.roles[0].comment", "control characters" },
		{ CLUSTER DATABASE("  name: shop\n"), "Database d.spec.owner", "required" },
		{ CLUSTER DATABASE("  name: shop\n  owner: app\n") DATABASE("  name: shop\n  owner: b\n"),
		  "Database d.spec.name", "declared twice (also Database d)" },
		{ CLUSTER DATABASE("  name: postgres\n  owner: app\n"), "Database d.spec.name", "reserved" },
		{ CLUSTER DATABASE("  name: shop\n  owner: app\n  icuLocale: de\n"),
		  "Database d.spec.icuLocale", "localeProvider is icu" },
		{ CLUSTER DATABASE("  name: app\n  owner: app\n  ensure: absent\n"),
		  "Database d.spec.ensure", "application database" },
		{ CLUSTER DATABASE("  name: shop\n  owner: app\n  databaseReclaimPolicy: keep\n"),
		  "Database d.spec.databaseReclaimPolicy", "retain or delete" },
		{ CLUSTER DATABASE("  name: shop\n  owner: app\n  extensions:\n  - name: x\n"
				   "    ensure: gone\n"), "Database d.spec.extensions[0].ensure",
		  "present or absent" },
	};

	(void) state;
	expect_refusals(cases, sizeof(cases) / sizeof(cases[0]));
}

#define PGO "apiVersion: postgres-operator.crunchydata.com/v1beta1\nkind: PostgresCluster\n" \
	"metadata:\n  name: hippo\nspec:\n  users:\n"

/* PGO users: options from the list only, a password type, names once. */
static void
test_validation_pgo_users(void **state)
{
	static const struct refusal cases[] = {
		{ PGO "  - name: a\n    options: \"SUPERUSER; DROP TABLE x\"\n",
		  "spec.users[0].options", "not a role option" },
		{ PGO "  - name: a\n    options: \"LOGIN PASSWORD 'x'\"\n",
		  "spec.users[0].options", "PASSWORD is not an option" },
		{ PGO "  - name: a\n    options: \"CONNECTION LIMIT lots\"\n",
		  "spec.users[0].options", "CONNECTION LIMIT needs a number" },
		{ PGO "  - name: a\n    password:\n      type: Emoji\n",
		  "spec.users[0].password.type", "ASCII or AlphaNumeric" },
		{ PGO "  - name: streaming_replica\n", "spec.users[0].name", "reserved" },
		{ PGO "  - name: a\n  - name: a\n", "spec.users[1].name", "declared twice" },
		{ PGO "  - name: a\n    databases: [template1]\n", "spec.users[0].databases[0]",
		  "template" },
	};

	(void) state;
	expect_refusals(cases, sizeof(cases) / sizeof(cases[0]));
}

/* ---- role options and verifiers ---- */

static void
test_roleopts(void **state)
{
	struct roleopts o;
	char err[256];

	(void) state;
	assert_true(roleopts_parse("createdb NOLOGIN  Connection Limit 5 VALID UNTIL 'it''s'", &o,
				   err, sizeof(err)));
	assert_int_equal(o.attr[ROLEOPT_CREATEDB], 1);
	assert_int_equal(o.attr[ROLEOPT_LOGIN], 0);
	assert_int_equal(o.attr[ROLEOPT_SUPERUSER], -1);
	assert_true(o.has_connlimit);
	assert_int_equal(o.connlimit, 5);
	assert_string_equal(o.valid_until, "it's");
	roleopts_free(&o);
	assert_true(roleopts_parse("", &o, err, sizeof(err)));
	assert_false(o.has_connlimit);
	roleopts_free(&o);
	assert_false(roleopts_parse("CONNECTION LIMIT -2", &o, err, sizeof(err)));
	assert_false(roleopts_parse("SUPERUSER;", &o, err, sizeof(err)));
	assert_false(roleopts_parse("VALID UNTIL 'open", &o, err, sizeof(err)));
	assert_false(roleopts_parse("NOSUCH", &o, err, sizeof(err)));
	assert_non_null(strstr(err, "\"NOSUCH\""));
}

/* A verifier made by Python's hashlib for "dante", salt "0123456789abcdef". */
#define DANTE_VERIFIER "SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$" \
	"gBmgA1epYVsaIBN+5x1pOmjp280J7YQAL6FijdfAmZg=:lubqTBjzd5+cseGKLdsIC/wtX+uWeHcpfu0pclRxkMY="

static void
test_scram(void **state)
{
	(void) state;
	assert_true(scram_verify("dante", DANTE_VERIFIER));
	assert_false(scram_verify("Dante", DANTE_VERIFIER));
	assert_false(scram_verify("dante", "md5c3b4c9cc3fa9a3f5bc5ae3f8e2f4cfe6"));
	assert_false(scram_verify("dante", "SCRAM-SHA-256$4096:MDEy$x:y"));
	assert_false(scram_verify("dante", "SCRAM-SHA-256$0:MDEyMzQ1Njc4OWFiY2RlZg==$"
				  "gBmgA1epYVsaIBN+5x1pOmjp280J7YQAL6FijdfAmZg=:x"));
	assert_true(scram_is_verifier(DANTE_VERIFIER));
	assert_true(scram_is_verifier("md5c3b4c9cc3fa9a3f5bc5ae3f8e2f4cfe6"));
	assert_false(scram_is_verifier("md5c3b4c9cc3fa9a3f5bc5ae3f8e2f4cfeZ"));
	assert_false(scram_is_verifier("dante"));
}

/* PGO's password types: ASCII of its class, AlphaNumeric of letters and
 * digits; 32 characters each. */
static void
test_generated_passwords(void **state)
{
	static const char ascii[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789()*+,-./:;<=>?@[]^_{|}";
	char pw[64];
	bool other = false;

	(void) state;
	for (int i = 0; i < 200; i++) {
		assert_true(inputs_generate_password_of(pw, sizeof(pw), true));
		assert_int_equal(strlen(pw), 32);
		assert_int_equal(strspn(pw, ascii), 32);
		other = other || strcspn(pw, ascii + 62) < 32;
		assert_true(inputs_generate_password_of(pw, sizeof(pw), false));
		assert_int_equal(strspn(pw, ascii), 32);
		assert_int_equal(strcspn(pw, ascii + 62), 32);
	}
	assert_true(other);	/* the punctuation is drawn too */
}

/* ---- statements ---- */

/* The desired state of the fixture with its Secrets. */
static struct managed_state *
fixture_state(struct spec **s, struct inputs *in)
{
	struct diag d = { 0 };
	struct managed_state *m;

	assert_true(dialect_load(FIX("cnpg/managed.yaml"), s, &d));
	spec_apply_defaults(*s);
	assert_true(inputs_load(*s, SECRETS, FIX("configmaps"), in, &d));
	diag_free(&d);
	m = managed_build(*s, in);
	assert_non_null(m);
	return m;
}

static void
have_as_wanted(const struct managed_want *w, struct managed_have *h)
{
	memset(h, 0, sizeof(*h));
	h->exists = true;
	memcpy(h->attr, w->opts.attr, sizeof(h->attr));
	h->connlimit = w->opts.connlimit;
	h->until_ok = true;
	h->comment = w->comment ? strdup(w->comment) : NULL;
	for (size_t i = 0; i < w->in_roles->n; i++)
		strlist_add(&h->in_roles, w->in_roles->items[i]);
}

/* A new managed role: every attribute said; its memberships granted. */
static void
test_role_created(void **state)
{
	struct spec *s;
	struct inputs in;
	struct managed_state *m = fixture_state(&s, &in);
	struct managed_want w;
	struct managed_have h = { 0 };
	struct strlist sql = { 0 };

	(void) state;
	managed_want_role(m, 1, &w);
	assert_int_equal(w.pw, MANAGED_PW_SET);
	assert_string_equal(w.password, "dante-pw");
	assert_true(managed_role_sql(&w, &h, &Q, &sql));
	assert_true(managed_members_sql(&w, &h, &Q, &sql));
	assert_sql(&sql, "CREATE ROLE \"dante\" NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT LOGIN "
		   "NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 4 VALID UNTIL '2053-04-12T15:04:05Z'; "
		   "COMMENT ON ROLE \"dante\" IS 'my database-side comment'; "
		   "GRANT \"pg_monitor\" TO \"dante\"; GRANT \"pg_signal_backend\" TO \"dante\"");
	strlist_free(&sql);
	managed_want_free(&w);
	managed_want_role(m, 2, &w);
	assert_true(w.absent);
	assert_int_equal(w.pw, MANAGED_PW_LEAVE);
	managed_want_free(&w);
	managed_free(m);
	inputs_free(&in);
	spec_free(s);
}

/* An existing role: nothing when it is as wanted; else only what differs,
 * memberships granted and revoked; no validUntil ends an expiry. */
static void
test_role_altered(void **state)
{
	struct spec *s;
	struct inputs in;
	struct managed_state *m = fixture_state(&s, &in);
	struct managed_want w;
	struct managed_have h;
	struct strlist sql = { 0 };

	(void) state;
	managed_want_role(m, 1, &w);
	have_as_wanted(&w, &h);
	assert_true(managed_role_sql(&w, &h, &Q, &sql));
	assert_true(managed_members_sql(&w, &h, &Q, &sql));
	assert_int_equal(sql.n, 0);
	h.attr[ROLEOPT_CREATEDB] = 1;
	h.connlimit = -1;
	h.until_ok = false;
	free(h.comment);
	h.comment = NULL;
	strlist_free(&h.in_roles);
	strlist_add(&h.in_roles, "pg_monitor");
	strlist_add(&h.in_roles, "pg_read_all_data");
	assert_true(managed_role_sql(&w, &h, &Q, &sql));
	assert_true(managed_members_sql(&w, &h, &Q, &sql));
	assert_sql(&sql, "ALTER ROLE \"dante\" NOCREATEDB CONNECTION LIMIT 4 VALID UNTIL "
		   "'2053-04-12T15:04:05Z'; COMMENT ON ROLE \"dante\" IS 'my database-side comment'; "
		   "GRANT \"pg_signal_backend\" TO \"dante\"; REVOKE \"pg_read_all_data\" FROM \"dante\"");
	strlist_free(&sql);
	managed_have_free(&h);
	managed_want_free(&w);
	managed_want_role(m, 0, &w);
	have_as_wanted(&w, &h);
	h.until_ok = false;
	h.comment = strdup("set by hand");
	assert_true(managed_role_sql(&w, &h, &Q, &sql));
	assert_sql(&sql, "ALTER ROLE \"app\" VALID UNTIL 'infinity'; COMMENT ON ROLE \"app\" IS NULL");
	strlist_free(&sql);
	managed_have_free(&h);
	managed_want_free(&w);
	managed_free(m);
	inputs_free(&in);
	spec_free(s);
}

/* PGO users: only what the options say (LOGIN at creation, as CREATE
 * USER); names quoted; databases created and granted when needed. */
static void
test_user_statements(void **state)
{
	struct spec_role u = { .name = "we\"ird", .options = "CREATEDB CONNECTION LIMIT 7",
			       .password_type = "AlphaNumeric" };
	struct managed_want w;
	struct managed_have h = { 0 };
	struct strlist sql = { 0 };

	(void) state;
	assert_true(managed_want_user(&u, &w));
	assert_int_equal(w.pw, MANAGED_PW_GENERATE);
	assert_false(w.pw_ascii);
	assert_true(managed_role_sql(&w, &h, &Q, &sql));
	assert_sql(&sql, "CREATE ROLE \"we\"\"ird\" CREATEDB LOGIN CONNECTION LIMIT 7");
	strlist_free(&sql);
	h.exists = true;
	h.attr[ROLEOPT_CREATEDB] = 1;
	h.connlimit = 7;
	assert_true(managed_role_sql(&w, &h, &Q, &sql));
	assert_int_equal(sql.n, 0);
	managed_want_free(&w);
	u.options = "NOLOGIN";
	h.exists = false;
	assert_true(managed_want_user(&u, &w));
	assert_true(managed_role_sql(&w, &h, &Q, &sql));
	assert_sql(&sql, "CREATE ROLE \"we\"\"ird\" NOLOGIN");
	strlist_free(&sql);
	managed_want_free(&w);
	u.options = "SUPERUSER;";
	assert_false(managed_want_user(&u, &w));
	assert_true(managed_user_db_sql("u", "zoo", false, false, &Q, &sql));
	assert_sql(&sql, "CREATE DATABASE \"zoo\"; GRANT ALL PRIVILEGES ON DATABASE \"zoo\" TO \"u\"");
	strlist_free(&sql);
	assert_true(managed_user_db_sql("u", "zoo", true, true, &Q, &sql));
	assert_int_equal(sql.n, 0);
	assert_true(managed_user_db_sql("u", "zoo", true, false, &Q, &sql));
	assert_sql(&sql, "GRANT ALL PRIVILEGES ON DATABASE \"zoo\" TO \"u\"");
	strlist_free(&sql);
}

/* A Database document: CREATE with its options; on an existing database
 * only what may change and differs; DROP when absent; schemas first. */
static void
test_database_statements(void **state)
{
	struct spec *s;
	struct inputs in;
	struct managed_state *m = fixture_state(&s, &in);
	struct spec_database *db = &m->dbs[0];
	struct managed_db_have h = { 0 };
	struct managed_obj_have o = { 0 };
	struct strlist sql = { 0 };

	(void) state;
	assert_true(managed_database_sql(db, &h, &Q, &sql));
	assert_sql(&sql, "CREATE DATABASE \"inferno\" OWNER \"dante\" TEMPLATE \"template0\" "
		   "LOCALE_PROVIDER 'icu' ICU_LOCALE 'it-IT' IS_TEMPLATE false");
	strlist_free(&sql);
	h = (struct managed_db_have) { .exists = true, .owner = strdup("dante"),
				       .connlimit = -1, .tablespace = strdup("pg_default") };
	assert_true(managed_database_sql(db, &h, &Q, &sql));
	assert_int_equal(sql.n, 0);
	free(h.owner);
	h.owner = strdup("postgres");
	h.is_template = true;
	h.connlimit = 3;
	assert_true(managed_database_sql(db, &h, &Q, &sql));
	assert_sql(&sql, "ALTER DATABASE \"inferno\" OWNER TO \"dante\"; ALTER DATABASE \"inferno\" "
		   "WITH IS_TEMPLATE false; ALTER DATABASE \"inferno\" WITH CONNECTION LIMIT -1");
	strlist_free(&sql);
	free(db->ensure);
	db->ensure = strdup("absent");
	assert_true(managed_database_sql(db, &h, &Q, &sql));
	assert_sql(&sql, "DROP DATABASE \"inferno\"");
	strlist_free(&sql);
	managed_db_have_free(&h);
	assert_true(managed_database_sql(db, &h, &Q, &sql));
	assert_int_equal(sql.n, 0);

	assert_true(managed_extension_sql(&db->extensions[0], &o, &Q, &sql));
	assert_sql(&sql, "CREATE EXTENSION \"citext\" VERSION '1.6' SCHEMA \"circles\"");
	strlist_free(&sql);
	o = (struct managed_obj_have) { .exists = true, .version = strdup("1.5"),
					.schema = strdup("public") };
	assert_true(managed_extension_sql(&db->extensions[0], &o, &Q, &sql));
	assert_sql(&sql, "ALTER EXTENSION \"citext\" SET SCHEMA \"circles\"; "
		   "ALTER EXTENSION \"citext\" UPDATE TO '1.6'");
	strlist_free(&sql);
	assert_true(managed_extension_sql(&db->extensions[1], &o, &Q, &sql));
	assert_sql(&sql, "DROP EXTENSION \"hstore\"");
	strlist_free(&sql);
	managed_obj_have_free(&o);
	assert_true(managed_extension_sql(&db->extensions[1], &o, &Q, &sql));
	assert_true(managed_schema_sql(&db->schemas[0], &o, &Q, &sql));
	assert_sql(&sql, "CREATE SCHEMA \"circles\" AUTHORIZATION \"dante\"");
	strlist_free(&sql);
	o.exists = true;
	o.owner = strdup("postgres");
	assert_true(managed_schema_sql(&db->schemas[0], &o, &Q, &sql));
	assert_sql(&sql, "ALTER SCHEMA \"circles\" OWNER TO \"dante\"");
	strlist_free(&sql);
	managed_obj_have_free(&o);
	managed_free(m);
	inputs_free(&in);
	spec_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_roles_and_databases),
		cmocka_unit_test(test_read_password_secrets),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_validation_pgo_users),
		cmocka_unit_test(test_roleopts),
		cmocka_unit_test(test_scram),
		cmocka_unit_test(test_generated_passwords),
		cmocka_unit_test(test_role_created),
		cmocka_unit_test(test_role_altered),
		cmocka_unit_test(test_user_statements),
		cmocka_unit_test(test_database_statements),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
