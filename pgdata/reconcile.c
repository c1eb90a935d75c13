/*
 * reconcile.c — managed roles, PGO users and Database documents made true
 * on the primary (see reconcile.h). Passes: every role as wanted but for
 * its memberships (so that inRoles may name a role created in the same
 * pass), then the memberships, then the roles declared absent, then the
 * databases with their schemas and extensions.
 */
#include "reconcile.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgconn.h"
#include "roles.h"
#include "scram.h"
#include "strbuf.h"

/* One run over one connection: the object being reconciled is item. */
struct rc {
	PGconn                     *c;
	const struct settings      *set;
	const struct status_managed *prev;
	size_t                      nprev;
	struct status_managed      *item;
	struct managed_quote        q;
	bool                        lost;	/* the connection is unusable now */
};

/* ---- statements ---- */

static char *
rc_ident(void *ctx, const char *s)
{
	char *q = PQescapeIdentifier(ctx, s, strlen(s)), *out = q ? strdup(q) : NULL;

	PQfreemem(q);
	return out;
}

static char *
rc_literal(void *ctx, const char *s)
{
	char *q = PQescapeLiteral(ctx, s, strlen(s)), *out = q ? strdup(q) : NULL;

	PQfreemem(q);
	return out;
}

static void rc_fail(struct rc *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The item failed: the first reason is kept. */
static void
rc_fail(struct rc *r, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(r->item->state, "failed") == 0)
		return;
	snprintf(r->item->state, sizeof(r->item->state), "failed");
	va_start(ap, fmt);
	vsnprintf(r->item->error, sizeof(r->item->error), fmt, ap);
	va_end(ap);
}

/* Run sql within the deadline; the result (caller PQclears), or NULL with
 * the item failed (what: the statement's gist, never a password). */
static PGresult *
rc_query(struct rc *r, const char *sql, const char *what)
{
	bool timed_out = false;
	PGresult *res;
	char msg[PGCONN_ERR_MAX];

	if (r->lost) {
		rc_fail(r, "%s: not run, the connection was lost", what);
		return NULL;
	}
	res = pgconn_query_deadline(r->c, sql, RECONCILE_STATEMENT_MS + 1000, &timed_out);
	if (res != NULL && (PQresultStatus(res) == PGRES_TUPLES_OK
			    || PQresultStatus(res) == PGRES_COMMAND_OK))
		return res;
	if (res == NULL) {
		r->lost = true;
		snprintf(msg, sizeof(msg), "%s", timed_out ? "no answer in time" : PQerrorMessage(r->c));
		msg[strcspn(msg, "\n")] = '\0';
	} else {
		pgconn_error_text(res, r->c, msg, sizeof(msg));
	}
	rc_fail(r, "%s: %s", what, msg);
	PQclear(res);
	return NULL;
}

/* Run a statement that changes something, and say so. */
static bool
rc_exec(struct rc *r, const char *sql)
{
	PGresult *res = rc_query(r, sql, sql);

	if (res == NULL)
		return false;
	log_info("managed %s \"%s\": %s", r->item->kind, r->item->name, sql);
	PQclear(res);
	return true;
}

static bool
rc_exec_all(struct rc *r, const struct strlist *sql)
{
	for (size_t i = 0; i < sql->n; i++)
		if (!rc_exec(r, sql->items[i]))
			return false;
	return true;
}

/* head, value as a quoted literal, tail: run it (see rc_query). */
static PGresult *
rc_select(struct rc *r, const char *head, const char *value, const char *tail, const char *what)
{
	char *lit = rc_literal(r->c, value);
	struct strbuf b = { 0 };
	PGresult *res = NULL;

	if (lit == NULL) {
		rc_fail(r, "%s: cannot quote \"%s\"", what, value);
		return NULL;
	}
	strbuf_printf(&b, "%s%s%s", head, lit, tail);
	res = rc_query(r, b.data, what);
	free(b.data);
	free(lit);
	return res;
}

static char *
value_or_null(PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : strdup(PQgetvalue(res, 0, col));
}

static bool
is_true(PGresult *res, int col)
{
	return strcmp(PQgetvalue(res, 0, col), "t") == 0;
}

/* ---- roles ---- */

/* How rolvaliduntil is compared with what is wanted, as an SQL expression. */
static char *
until_expr(struct rc *r, const struct managed_want *w)
{
	char *lit, *e = NULL;

	if (w->opts.valid_until == NULL)
		return strdup(w->until_infinity ? "(a.rolvaliduntil IS NULL OR a.rolvaliduntil = "
			      "'infinity')" : "true");
	if ((lit = rc_literal(r->c, w->opts.valid_until)) == NULL
	    || asprintf(&e, "(a.rolvaliduntil IS NOT DISTINCT FROM %s::timestamptz)", lit) < 0)
		e = NULL;
	free(lit);
	return e;
}

static bool
rc_read_members(struct rc *r, const char *name, struct managed_have *h)
{
	PGresult *res = rc_select(r, "SELECT g.rolname FROM pg_catalog.pg_auth_members m"
				  " JOIN pg_catalog.pg_roles g ON g.oid = m.roleid"
				  " JOIN pg_catalog.pg_roles u ON u.oid = m.member WHERE u.rolname = ",
				  name, " ORDER BY 1", "reading the role's memberships");

	if (res == NULL)
		return false;
	strlist_free(&h->in_roles);
	for (int i = 0; i < PQntuples(res); i++)
		strlist_add(&h->in_roles, PQgetvalue(res, i, 0));
	PQclear(res);
	return true;
}

/* The role as pg_authid has it (h->exists false when there is none). */
static bool
rc_read_role(struct rc *r, const struct managed_want *w, struct managed_have *h)
{
	char *until = until_expr(r, w);
	struct strbuf head = { 0 };
	PGresult *res = NULL;

	memset(h, 0, sizeof(*h));
	if (until == NULL) {
		rc_fail(r, "reading the role: cannot quote validUntil");
		return false;
	}
	strbuf_printf(&head, "SELECT");
	for (int i = 0; i < ROLEOPT_NATTR; i++)
		strbuf_printf(&head, " a.%s,", roleopt_attrs[i].column);
	strbuf_printf(&head, " a.rolconnlimit, %s, pg_catalog.shobj_description(a.oid, 'pg_authid'),"
		      " a.rolpassword FROM pg_catalog.pg_authid a WHERE a.rolname = ", until);
	res = rc_select(r, head.data, w->name, "", "reading the role");
	free(until);
	free(head.data);
	if (res == NULL)
		return false;
	if ((h->exists = PQntuples(res) == 1)) {
		for (int i = 0; i < ROLEOPT_NATTR; i++)
			h->attr[i] = is_true(res, i);
		h->connlimit = atoi(PQgetvalue(res, 0, ROLEOPT_NATTR));
		h->until_ok = is_true(res, ROLEOPT_NATTR + 1);
		h->comment = value_or_null(res, ROLEOPT_NATTR + 2);
		h->verifier = value_or_null(res, ROLEOPT_NATTR + 3);
	}
	PQclear(res);
	return !h->exists || rc_read_members(r, w->name, h);
}

/* ALTER ROLE ... PASSWORD with the verifier (or NULL), kept out of the
 * server's log as pgconn_set_password does. */
static bool
rc_set_verifier(struct rc *r, const char *name, const char *verifier)
{
	char *id = rc_ident(r->c, name), *lit = verifier ? rc_literal(r->c, verifier) : NULL;
	struct strbuf b = { 0 };
	PGresult *res = NULL;
	char what[160];

	snprintf(what, sizeof(what), "setting the password of role \"%s\"", name);
	if (id == NULL || (verifier != NULL && lit == NULL)) {
		rc_fail(r, "%s: cannot quote it", what);
	} else {
		strbuf_printf(&b, "ALTER ROLE %s PASSWORD %s", id, lit ? lit : "NULL");
		PQclear(rc_query(r, "SET log_statement = 'none'; SET log_min_duration_statement = -1;"
				 " SET log_min_error_statement = 'panic'", what));
		res = rc_query(r, b.data, what);
		PQclear(rc_query(r, "RESET log_statement; RESET log_min_duration_statement;"
				 " RESET log_min_error_statement", what));
	}
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.len);
	free(b.data);
	free(id);
	free(lit);
	PQclear(res);
	return res != NULL && strcmp(r->item->state, "failed") != 0;
}

/* password hashed here (SCRAM-SHA-256), unless it is a verifier already. */
static bool
rc_set_password(struct rc *r, const char *name, const char *password)
{
	char *hash;
	bool ok;

	if (scram_is_verifier(password))
		return rc_set_verifier(r, name, password);
	if ((hash = PQencryptPasswordConn(r->c, password, name, "scram-sha-256")) == NULL) {
		rc_fail(r, "cannot hash the password of role \"%s\"", name);
		return false;
	}
	ok = rc_set_verifier(r, name, hash);
	OPENSSL_cleanse(hash, strlen(hash));
	PQfreemem(hash);
	return ok;
}

/* A new PGO user's password: generated, kept under <run-dir>/passwords. */
static bool
rc_generate_password(struct rc *r, const struct managed_want *w)
{
	char pw[64];
	bool ok;

	if (!inputs_generate_password_of(pw, sizeof(pw), w->pw_ascii)) {
		rc_fail(r, "cannot generate a password (OpenSSL)");
		return false;
	}
	ok = roles_save_generated(r->set, w->name, pw);
	if (!ok)
		rc_fail(r, "cannot save its generated password (see the log)");
	ok = ok && rc_set_password(r, w->name, pw);
	OPENSSL_cleanse(pw, sizeof(pw));
	return ok;
}

/* The password as wanted, written only when it differs. */
static bool
rc_role_password(struct rc *r, const struct managed_want *w, const struct managed_have *h)
{
	bool same;

	switch (w->pw) {
	case MANAGED_PW_NULL:
		return h->verifier == NULL || rc_set_verifier(r, w->name, NULL);
	case MANAGED_PW_SET:
		same = h->verifier != NULL && (scram_is_verifier(w->password)
			? strcmp(h->verifier, w->password) == 0 : scram_verify(w->password, h->verifier));
		if (same)
			return true;
		if (!rc_set_password(r, w->name, w->password))
			return false;
		log_info("managed role \"%s\": password set from its Secret", w->name);
		return true;
	case MANAGED_PW_GENERATE:
		return h->exists || rc_generate_password(r, w);
	default:
		return true;
	}
}

/* ensure: absent. A role that owns something is left, with one clear
 * reason: pgpod never runs DROP OWNED or REASSIGN OWNED. */
static void
rc_drop_role(struct rc *r, const struct managed_want *w)
{
	PGresult *res = rc_select(r, "SELECT COALESCE((SELECT pg_catalog.string_agg(d.datname, ', '"
		" ORDER BY d.datname) FROM pg_catalog.pg_database d WHERE d.datdba = a.oid), ''),"
		" (SELECT count(*) FROM pg_catalog.pg_shdepend s WHERE s.refclassid ="
		" 'pg_catalog.pg_authid'::regclass AND s.refobjid = a.oid AND s.deptype = 'o' AND"
		" s.classid <> 'pg_catalog.pg_database'::regclass),"
		" COALESCE((SELECT pg_catalog.string_agg(DISTINCT COALESCE(d.datname, '(shared)'), ', ')"
		" FROM pg_catalog.pg_shdepend s LEFT JOIN pg_catalog.pg_database d ON d.oid = s.dbid"
		" WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND s.refobjid = a.oid AND"
		" s.deptype = 'o' AND s.classid <> 'pg_catalog.pg_database'::regclass), '')"
		" FROM pg_catalog.pg_authid a WHERE a.rolname = ", w->name, "", "looking at what it owns");
	struct strbuf b = { 0 };
	char *id;

	if (res == NULL || PQntuples(res) == 0) {
		PQclear(res);
		return;		/* gone already (or the failure is said) */
	}
	if (*PQgetvalue(res, 0, 0))
		strbuf_printf(&b, "the database(s) %s", PQgetvalue(res, 0, 0));
	if (strcmp(PQgetvalue(res, 0, 1), "0") != 0)
		strbuf_printf(&b, "%s%s object(s) in %s", b.data ? " and " : "", PQgetvalue(res, 0, 1),
			      PQgetvalue(res, 0, 2));
	if (b.data != NULL) {
		rc_fail(r, "declared absent (%s.ensure) but not dropped: it owns %s; reassign or "
			"drop them (pgpod never runs DROP OWNED or REASSIGN OWNED)", w->origin, b.data);
		free(b.data);
		PQclear(res);
		return;
	}
	PQclear(res);
	if ((id = rc_ident(r->c, w->name)) == NULL) {
		rc_fail(r, "cannot quote the role's name");
		return;
	}
	strbuf_printf(&b, "DROP ROLE %s", id);
	(void) rc_exec(r, b.data);
	free(b.data);
	free(id);
}

/* A PGO user's databases: each created if missing, granted unless the
 * user has every privilege on it already. */
static void
rc_user_databases(struct rc *r, const struct managed_want *w)
{
	char *user = rc_literal(r->c, w->name);
	struct strbuf head = { 0 };

	if (user == NULL) {
		rc_fail(r, "cannot quote the role's name");
		return;
	}
	strbuf_printf(&head, "SELECT d.oid IS NOT NULL, COALESCE(pg_catalog.has_database_privilege("
		      "%s, d.oid, 'CREATE') AND pg_catalog.has_database_privilege(%s, d.oid, 'CONNECT')"
		      " AND pg_catalog.has_database_privilege(%s, d.oid, 'TEMPORARY'), false)"
		      " FROM (SELECT 1) x LEFT JOIN pg_catalog.pg_database d ON d.datname = ", user,
		      user, user);
	for (size_t i = 0; w->databases != NULL && i < w->databases->n; i++) {
		const char *db = w->databases->items[i];
		PGresult *res = rc_select(r, head.data, db, "", "looking at the user's database");
		struct strlist sql = { 0 };
		bool ok = res != NULL
			&& managed_user_db_sql(w->name, db, is_true(res, 0), is_true(res, 1), &r->q, &sql);

		PQclear(res);
		ok = ok && rc_exec_all(r, &sql);
		strlist_free(&sql);
		if (!ok)
			break;
	}
	free(head.data);
	free(user);
}

/* ---- databases ---- */

static bool
rc_read_database(struct rc *r, const char *name, struct managed_db_have *h)
{
	PGresult *res = rc_select(r, "SELECT pg_catalog.pg_get_userbyid(d.datdba), d.datistemplate,"
		" d.datallowconn, d.datconnlimit, t.spcname FROM pg_catalog.pg_database d"
		" JOIN pg_catalog.pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = ",
		name, "", "reading the database");

	memset(h, 0, sizeof(*h));
	if (res == NULL)
		return false;
	if ((h->exists = PQntuples(res) == 1)) {
		h->owner = value_or_null(res, 0);
		h->is_template = is_true(res, 1);
		h->allow_connections = is_true(res, 2);
		h->connlimit = atoi(PQgetvalue(res, 0, 3));
		h->tablespace = value_or_null(res, 4);
	}
	PQclear(res);
	return true;
}

/* One schema or extension in the database's own connection. */
static bool
rc_db_object(struct rc *r, PGconn *dc, bool schema, const void *obj)
{
	const char *name = schema ? ((const struct spec_db_schema *) obj)->name
		: ((const struct spec_db_extension *) obj)->name;
	PGconn *main = r->c;
	struct managed_obj_have h = { 0 };
	struct strlist sql = { 0 };
	PGresult *res;
	bool ok;

	r->c = dc;
	res = schema ? rc_select(r, "SELECT pg_catalog.pg_get_userbyid(nspowner) FROM"
				 " pg_catalog.pg_namespace WHERE nspname = ", name, "",
				 "reading a schema")
		: rc_select(r, "SELECT e.extversion, n.nspname FROM pg_catalog.pg_extension e JOIN"
			    " pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ",
			    name, "", "reading an extension");
	if ((ok = res != NULL) && (h.exists = PQntuples(res) == 1)) {
		if (schema) {
			h.owner = value_or_null(res, 0);
		} else {
			h.version = value_or_null(res, 0);
			h.schema = value_or_null(res, 1);
		}
	}
	PQclear(res);
	ok = ok && (schema ? managed_schema_sql(obj, &h, &r->q, &sql)
		    : managed_extension_sql(obj, &h, &r->q, &sql)) && rc_exec_all(r, &sql);
	strlist_free(&sql);
	managed_obj_have_free(&h);
	r->c = main;
	return ok;
}

/* The database's schemas, then its extensions (which may go into them). */
static void
rc_db_objects(struct rc *r, const struct spec_database *db)
{
	PGconn *dc = NULL;
	char msg[PGCONN_ERR_MAX];
	bool ok = true;

	if (db->n_schemas == 0 && db->n_extensions == 0)
		return;
	if (!pgconn_local_timeout(r->set->run_dir, r->set->pg_port, db->name, 5,
				  RECONCILE_STATEMENT_MS, LOG_DEBUG, &dc)) {
		snprintf(msg, sizeof(msg), "cannot connect to database \"%s\" for its schemas and "
			 "extensions", db->name);
		rc_fail(r, "%s", msg);
		return;
	}
	for (size_t i = 0; ok && i < db->n_schemas; i++)
		ok = rc_db_object(r, dc, true, &db->schemas[i]);
	for (size_t i = 0; ok && i < db->n_extensions; i++)
		ok = rc_db_object(r, dc, false, &db->extensions[i]);
	PQfinish(dc);
}

static void
rc_database(struct rc *r, const struct spec_database *db)
{
	struct managed_db_have h;
	struct strlist sql = { 0 };
	bool ok = rc_read_database(r, db->name, &h)
		&& managed_database_sql(db, &h, &r->q, &sql) && rc_exec_all(r, &sql);

	strlist_free(&sql);
	managed_db_have_free(&h);
	if (!ok && strcmp(r->item->state, "failed") != 0)
		rc_fail(r, "cannot quote the database's names");
	if (ok && (db->ensure == NULL || strcmp(db->ensure, "absent") != 0))
		rc_db_objects(r, db);
}

/* ---- the run ---- */

static void
item_set(struct status_managed *it, const char *kind, const char *name)
{
	memset(it, 0, sizeof(*it));
	snprintf(it->kind, sizeof(it->kind), "%s", kind);
	snprintf(it->name, sizeof(it->name), "%s", name);
	snprintf(it->state, sizeof(it->state), "pending");
}

size_t
reconcile_items(const struct managed_state *m, struct status_managed *items, size_t cap)
{
	size_t n = 0, total = m ? m->n_roles + m->n_users + m->n_dbs : 0;

	for (size_t i = 0; i < total && n < cap; i++, n++) {
		if (i < m->n_roles)
			item_set(&items[n], "role", m->roles[i].name);
		else if (i < m->n_roles + m->n_users)
			item_set(&items[n], "role", m->users[i - m->n_roles].name);
		else
			item_set(&items[n], "database", m->dbs[i - m->n_roles - m->n_users].name);
	}
	return n;
}

/* The want of role i of the run (managed roles, then PGO users). */
static bool
want_of(const struct managed_state *m, size_t i, struct managed_want *w)
{
	if (i < m->n_roles) {
		managed_want_role(m, i, w);
		return true;
	}
	return managed_want_user(&m->users[i - m->n_roles], w);
}

/* A PGO user named postgres is the superuser itself: PGO makes it LOGIN
 * SUPERUSER with the database postgres, as it already is. */
static bool
skipped_user(const struct managed_state *m, size_t i)
{
	return i >= m->n_roles && strcmp(m->users[i - m->n_roles].name, "postgres") == 0;
}

/* Pass 1: each present role as wanted, its password, a PGO user's databases. */
static void
rc_role(struct rc *r, const struct managed_want *w, struct managed_have *h)
{
	struct strlist sql = { 0 };

	if (!rc_read_role(r, w, h) || w->absent)
		return;
	if (!managed_role_sql(w, h, &r->q, &sql))
		rc_fail(r, "cannot quote the role's names");
	else if (rc_exec_all(r, &sql) && rc_role_password(r, w, h))
		rc_user_databases(r, w);
	strlist_free(&sql);
}

/* A failure is logged when it is new: the same error every minute is said once. */
static void
rc_finish(struct rc *r)
{
	struct status_managed *it = r->item;

	if (strcmp(it->state, "failed") != 0) {
		snprintf(it->state, sizeof(it->state), "reconciled");
		return;
	}
	for (size_t i = 0; i < r->nprev; i++)
		if (strcmp(r->prev[i].kind, it->kind) == 0 && strcmp(r->prev[i].name, it->name) == 0
		    && strcmp(r->prev[i].error, it->error) == 0)
			return;
	log_error("managed %s \"%s\" is not reconciled: %s", it->kind, it->name, it->error);
}

/* Roles in three passes (see the top of the file). */
static void
rc_roles(struct rc *r, const struct managed_state *m, struct status_managed *items, size_t n)
{
	size_t nroles = m->n_roles + m->n_users;
	struct managed_want *w = spec_xcalloc(nroles ? nroles : 1, sizeof(*w));
	struct managed_have *h = spec_xcalloc(nroles ? nroles : 1, sizeof(*h));
	bool *ok = spec_xcalloc(nroles ? nroles : 1, sizeof(*ok));

	for (size_t i = 0; i < nroles && i < n; i++) {
		r->item = &items[i];
		if (skipped_user(m, i))
			continue;
		if ((ok[i] = want_of(m, i, &w[i])))
			rc_role(r, &w[i], &h[i]);
		else
			rc_fail(r, "its options are not role options pgpod knows");
	}
	for (size_t i = 0; i < nroles && i < n; i++) {
		struct strlist sql = { 0 };

		r->item = &items[i];
		if (ok[i] && !w[i].absent && strcmp(items[i].state, "failed") != 0
		    && (!managed_members_sql(&w[i], &h[i], &r->q, &sql) || !rc_exec_all(r, &sql)))
			rc_fail(r, "memberships: see above");
		strlist_free(&sql);
		if (ok[i] && w[i].absent && strcmp(items[i].state, "failed") != 0)
			rc_drop_role(r, &w[i]);
		if (ok[i])
			managed_want_free(&w[i]);
		managed_have_free(&h[i]);
		rc_finish(r);
	}
	free(w);
	free(h);
	free(ok);
}

/* A session setting of the run; its failure shows in the statements after it. */
static void
rc_session(struct rc *r, const char *sql)
{
	bool timed_out;
	PGresult *res = pgconn_query_deadline(r->c, sql, 2000, &timed_out);

	r->lost = r->lost || res == NULL;
	PQclear(res);
}

size_t
reconcile_run(PGconn *c, const struct settings *set, const struct managed_state *m,
	      const struct status_managed *prev, size_t nprev,
	      struct status_managed *items, size_t cap, bool *lost)
{
	struct rc r = { .c = c, .set = set, .prev = prev, .nprev = nprev,
			.q = { rc_ident, rc_literal, c } };
	size_t nroles = m->n_roles + m->n_users, total = nroles + m->n_dbs;
	struct status_managed *all = spec_xcalloc(total ? total : 1, sizeof(*all));
	size_t n = reconcile_items(m, all, total);
	char setting[64];

	snprintf(setting, sizeof(setting), "SET statement_timeout = %d", RECONCILE_STATEMENT_MS);
	rc_session(&r, setting);
	rc_roles(&r, m, all, n);
	for (size_t i = nroles; i < n; i++) {
		r.item = &all[i];
		rc_database(&r, &m->dbs[i - nroles]);
		rc_finish(&r);
	}
	if (!r.lost)
		rc_session(&r, "RESET statement_timeout");
	*lost = r.lost;
	n = n < cap ? n : cap;
	memcpy(items, all, n * sizeof(*all));
	free(all);
	return n;
}
