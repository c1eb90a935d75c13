/*
 * managed.c — the desired state of managed roles, databases and PGO users,
 * and the statements that bring the catalogs to it (see managed.h).
 */
#include "managed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* ---- the desired state ---- */

/* Copies of n items of list l. */
static void *
copy_items(const struct spec_list *l, const void *items, size_t n)
{
	char *out = n ? spec_xcalloc(n, l->size) : NULL;

	for (size_t i = 0; i < n; i++)
		spec_item_copy(l, out + i * l->size, (const char *) items + i * l->size);
	return out;
}

static void
free_items(const struct spec_list *l, void *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		spec_item_clear(l, (char *) items + i * l->size);
	free(items);
}

struct managed_state *
managed_build(const struct spec *s, const struct inputs *in)
{
	struct managed_state *m;

	if (s->n_managed_roles == 0 && s->n_roles == 0 && s->n_databases == 0)
		return NULL;
	m = spec_xcalloc(1, sizeof(*m));
	m->roles = copy_items(&spec_managed_role_list, s->managed_roles, s->n_managed_roles);
	m->n_roles = s->n_managed_roles;
	m->passwords = spec_xcalloc(m->n_roles ? m->n_roles : 1, sizeof(char *));
	for (size_t i = 0; i < m->n_roles && i < in->n_managed; i++)
		if (in->managed_passwords[i] != NULL)
			m->passwords[i] = spec_xstrdup(in->managed_passwords[i]);
	m->users = copy_items(&spec_role_list, s->roles, s->n_roles);
	m->n_users = s->n_roles;
	m->dbs = copy_items(&spec_database_list, s->databases, s->n_databases);
	m->n_dbs = s->n_databases;
	return m;
}

void
managed_free(struct managed_state *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_roles; i++) {
		if (m->passwords[i] != NULL)
			explicit_bzero(m->passwords[i], strlen(m->passwords[i]));
		free(m->passwords[i]);
	}
	free(m->passwords);
	free_items(&spec_managed_role_list, m->roles, m->n_roles);
	free_items(&spec_role_list, m->users, m->n_users);
	free_items(&spec_database_list, m->dbs, m->n_dbs);
	free(m);
}

/* CloudNativePG states every attribute: what is not written takes its
 * default (the field table's), and so does the role. */
void
managed_want_role(const struct managed_state *m, size_t i, struct managed_want *w)
{
	const struct spec_managed_role *r = &m->roles[i];
	const int attrs[ROLEOPT_NATTR] = {
		[ROLEOPT_SUPERUSER] = r->superuser, [ROLEOPT_CREATEDB] = r->createdb,
		[ROLEOPT_CREATEROLE] = r->createrole, [ROLEOPT_INHERIT] = r->inherit,
		[ROLEOPT_LOGIN] = r->login, [ROLEOPT_REPLICATION] = r->replication,
		[ROLEOPT_BYPASSRLS] = r->bypassrls,
	};

	memset(w, 0, sizeof(*w));
	roleopts_init(&w->opts);
	w->name = r->name;
	w->origin = r->origin;
	w->absent = r->ensure != NULL && strcmp(r->ensure, "absent") == 0;
	memcpy(w->opts.attr, attrs, sizeof(attrs));
	w->opts.has_connlimit = true;
	w->opts.connlimit = r->connection_limit;
	if (r->valid_until != NULL)
		w->opts.valid_until = spec_xstrdup(r->valid_until);
	w->until_infinity = r->valid_until == NULL;
	w->set_comment = true;
	w->comment = r->comment;
	w->set_members = true;
	w->in_roles = &r->in_roles;
	w->pw = r->disable_password == 1 ? MANAGED_PW_NULL
		: m->passwords[i] != NULL ? MANAGED_PW_SET : MANAGED_PW_LEAVE;
	w->password = m->passwords[i];
}

/* PGO says only what its options say; the user logs in unless they say
 * NOLOGIN (CREATE USER), and its password is generated once. */
bool
managed_want_user(const struct spec_role *u, struct managed_want *w)
{
	char err[256];

	memset(w, 0, sizeof(*w));
	w->name = u->name;
	w->origin = u->origin;
	if (u->options != NULL && !roleopts_parse(u->options, &w->opts, err, sizeof(err)))
		return false;
	if (u->options == NULL)
		roleopts_init(&w->opts);
	w->login_at_create = true;
	w->pw = MANAGED_PW_GENERATE;
	w->pw_ascii = u->password_type == NULL || strcmp(u->password_type, "AlphaNumeric") != 0;
	w->databases = &u->databases;
	return true;
}

void
managed_want_free(struct managed_want *w)
{
	roleopts_free(&w->opts);
}

void
managed_have_free(struct managed_have *h)
{
	free(h->comment);
	free(h->verifier);
	strlist_free(&h->in_roles);
	memset(h, 0, sizeof(*h));
}

void
managed_db_have_free(struct managed_db_have *h)
{
	free(h->owner);
	free(h->tablespace);
	memset(h, 0, sizeof(*h));
}

void
managed_obj_have_free(struct managed_obj_have *h)
{
	free(h->version);
	free(h->schema);
	free(h->owner);
	memset(h, 0, sizeof(*h));
}

/* ---- rendering ---- */

#define QHELD_MAX 16

/* The quoted texts of one statement, freed together. */
struct qset {
	const struct managed_quote *q;
	char  *held[QHELD_MAX];
	size_t n;
	bool   failed;
};

static const char *
qkeep(struct qset *s, char *v)
{
	if (v == NULL || s->n == QHELD_MAX) {
		free(v);
		s->failed = true;
		return "NULL";
	}
	s->held[s->n++] = v;
	return v;
}

static const char *
qid(struct qset *s, const char *v)
{
	return qkeep(s, s->q->ident(s->q->ctx, v));
}

static const char *
qlit(struct qset *s, const char *v)
{
	return qkeep(s, s->q->literal(s->q->ctx, v));
}

/* Free the quoted texts; false when one could not be made. */
static bool
qdone(struct qset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->held[i]);
	s->n = 0;
	return !s->failed;
}

/* Move the statement in b to out. */
static void
emit(struct strbuf *b, struct strlist *out)
{
	strlist_add(out, b->data);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static bool
same_text(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The attributes, connection limit and expiry of CREATE/ALTER ROLE that
 * differ from h (all that are wanted, for a new role). */
static void
role_options(const struct managed_want *w, const struct managed_have *h, struct qset *qs,
	     struct strbuf *b)
{
	for (int i = 0; i < ROLEOPT_NATTR; i++) {
		int want = w->opts.attr[i];

		if (i == ROLEOPT_LOGIN && want < 0 && !h->exists && w->login_at_create)
			want = 1;
		if (want >= 0 && (!h->exists || h->attr[i] != want))
			strbuf_printf(b, " %s%s", want ? "" : "NO", roleopt_attrs[i].keyword);
	}
	if (w->opts.has_connlimit && (h->exists ? h->connlimit != w->opts.connlimit
				      : w->opts.connlimit != -1))
		strbuf_printf(b, " CONNECTION LIMIT %d", w->opts.connlimit);
	if (w->opts.valid_until != NULL && (!h->exists || !h->until_ok))
		strbuf_printf(b, " VALID UNTIL %s", qlit(qs, w->opts.valid_until));
	else if (w->until_infinity && h->exists && !h->until_ok)
		strbuf_printf(b, " VALID UNTIL 'infinity'");
}

bool
managed_members_sql(const struct managed_want *w, const struct managed_have *h,
		    const struct managed_quote *q, struct strlist *out)
{
	struct qset qs_ = { .q = q }, *qs = &qs_;
	const char *name = qid(qs, w->name);
	struct strbuf b = { 0 };

	for (size_t i = 0; w->set_members && i < w->in_roles->n; i++) {
		if (strlist_has(&h->in_roles, w->in_roles->items[i]))
			continue;
		strbuf_printf(&b, "GRANT %s TO %s", qid(qs, w->in_roles->items[i]), name);
		emit(&b, out);
	}
	for (size_t i = 0; w->set_members && i < h->in_roles.n; i++) {
		if (strlist_has(w->in_roles, h->in_roles.items[i]))
			continue;
		strbuf_printf(&b, "REVOKE %s FROM %s", qid(qs, h->in_roles.items[i]), name);
		emit(&b, out);
	}
	return qdone(qs);
}

bool
managed_role_sql(const struct managed_want *w, const struct managed_have *h,
		 const struct managed_quote *q, struct strlist *out)
{
	struct qset qs = { .q = q };
	const char *name = qid(&qs, w->name);
	struct strbuf b = { 0 };
	size_t head;

	strbuf_printf(&b, "%s ROLE %s", h->exists ? "ALTER" : "CREATE", name);
	head = b.len;
	role_options(w, h, &qs, &b);
	if (!h->exists || b.len > head)
		emit(&b, out);
	free(b.data);
	memset(&b, 0, sizeof(b));
	if (w->set_comment && !same_text(w->comment, h->comment)) {
		strbuf_printf(&b, "COMMENT ON ROLE %s IS %s", name,
			      w->comment && *w->comment ? qlit(&qs, w->comment) : "NULL");
		emit(&b, out);
	}
	return qdone(&qs);
}

/* CREATE DATABASE's options that take a name or a text, in its order. */
static const struct {
	const char *keyword;
	size_t      offset;
	bool        ident;
} db_create_opts[] = {
	{ "TEMPLATE", offsetof(struct spec_database, template_), true },
	{ "TABLESPACE", offsetof(struct spec_database, tablespace), true },
	{ "ENCODING", offsetof(struct spec_database, encoding), false },
	{ "LOCALE", offsetof(struct spec_database, locale), false },
	{ "LOCALE_PROVIDER", offsetof(struct spec_database, locale_provider), false },
	{ "LC_COLLATE", offsetof(struct spec_database, lc_collate), false },
	{ "LC_CTYPE", offsetof(struct spec_database, lc_ctype), false },
	{ "ICU_LOCALE", offsetof(struct spec_database, icu_locale), false },
	{ "ICU_RULES", offsetof(struct spec_database, icu_rules), false },
	{ "BUILTIN_LOCALE", offsetof(struct spec_database, builtin_locale), false },
};

static void
database_create(const struct spec_database *d, struct qset *qs, const char *name,
		struct strbuf *b)
{
	strbuf_printf(b, "CREATE DATABASE %s OWNER %s", name, qid(qs, d->owner));
	for (size_t i = 0; i < sizeof(db_create_opts) / sizeof(db_create_opts[0]); i++) {
		const char *v = *(char *const *) ((const char *) d + db_create_opts[i].offset);

		if (v != NULL)
			strbuf_printf(b, " %s %s", db_create_opts[i].keyword,
				      db_create_opts[i].ident ? qid(qs, v) : qlit(qs, v));
	}
	if (d->allow_connections >= 0)
		strbuf_printf(b, " ALLOW_CONNECTIONS %s", d->allow_connections ? "true" : "false");
	if (d->connection_limit != -1)
		strbuf_printf(b, " CONNECTION LIMIT %d", d->connection_limit);
	if (d->is_template >= 0)
		strbuf_printf(b, " IS_TEMPLATE %s", d->is_template ? "true" : "false");
}

/* The ALTER DATABASEs of what may change and differs. */
static void
database_alter(const struct spec_database *d, const struct managed_db_have *h, struct qset *qs,
	       const char *name, struct strlist *out)
{
	struct strbuf b = { 0 };

	if (d->owner != NULL && !same_text(d->owner, h->owner)) {
		strbuf_printf(&b, "ALTER DATABASE %s OWNER TO %s", name, qid(qs, d->owner));
		emit(&b, out);
	}
	if (d->allow_connections >= 0 && d->allow_connections != h->allow_connections) {
		strbuf_printf(&b, "ALTER DATABASE %s WITH ALLOW_CONNECTIONS %s", name,
			      d->allow_connections ? "true" : "false");
		emit(&b, out);
	}
	if (d->is_template >= 0 && d->is_template != h->is_template) {
		strbuf_printf(&b, "ALTER DATABASE %s WITH IS_TEMPLATE %s", name,
			      d->is_template ? "true" : "false");
		emit(&b, out);
	}
	if (d->connection_limit != h->connlimit) {
		strbuf_printf(&b, "ALTER DATABASE %s WITH CONNECTION LIMIT %d", name,
			      d->connection_limit);
		emit(&b, out);
	}
	if (d->tablespace != NULL && !same_text(d->tablespace, h->tablespace)) {
		strbuf_printf(&b, "ALTER DATABASE %s SET TABLESPACE %s", name, qid(qs, d->tablespace));
		emit(&b, out);
	}
}

static bool
is_absent(const char *ensure)
{
	return ensure != NULL && strcmp(ensure, "absent") == 0;
}

bool
managed_database_sql(const struct spec_database *want, const struct managed_db_have *h,
		     const struct managed_quote *q, struct strlist *out)
{
	struct qset qs = { .q = q };
	const char *name = qid(&qs, want->name);
	struct strbuf b = { 0 };

	if (is_absent(want->ensure)) {
		if (h->exists) {
			strbuf_printf(&b, "DROP DATABASE %s", name);
			emit(&b, out);
		}
	} else if (!h->exists) {
		database_create(want, &qs, name, &b);
		emit(&b, out);
	} else {
		database_alter(want, h, &qs, name, out);
	}
	return qdone(&qs);
}

bool
managed_extension_sql(const struct spec_db_extension *e, const struct managed_obj_have *h,
		      const struct managed_quote *q, struct strlist *out)
{
	struct qset qs = { .q = q };
	const char *name = qid(&qs, e->name);
	struct strbuf b = { 0 };

	if (is_absent(e->ensure)) {
		if (h->exists) {
			strbuf_printf(&b, "DROP EXTENSION %s", name);
			emit(&b, out);
		}
		return qdone(&qs);
	}
	if (!h->exists) {
		strbuf_printf(&b, "CREATE EXTENSION %s", name);
		if (e->version != NULL)
			strbuf_printf(&b, " VERSION %s", qlit(&qs, e->version));
		if (e->schema != NULL)
			strbuf_printf(&b, " SCHEMA %s", qid(&qs, e->schema));
		emit(&b, out);
		return qdone(&qs);
	}
	if (e->schema != NULL && !same_text(e->schema, h->schema)) {
		strbuf_printf(&b, "ALTER EXTENSION %s SET SCHEMA %s", name, qid(&qs, e->schema));
		emit(&b, out);
	}
	if (e->version != NULL && !same_text(e->version, h->version)) {
		strbuf_printf(&b, "ALTER EXTENSION %s UPDATE TO %s", name, qlit(&qs, e->version));
		emit(&b, out);
	}
	return qdone(&qs);
}

bool
managed_schema_sql(const struct spec_db_schema *sc, const struct managed_obj_have *h,
		   const struct managed_quote *q, struct strlist *out)
{
	struct qset qs = { .q = q };
	const char *name = qid(&qs, sc->name);
	struct strbuf b = { 0 };

	if (is_absent(sc->ensure) && h->exists)
		strbuf_printf(&b, "DROP SCHEMA %s", name);
	else if (!is_absent(sc->ensure) && !h->exists)
		strbuf_printf(&b, "CREATE SCHEMA %s%s%s", name, sc->owner ? " AUTHORIZATION " : "",
			      sc->owner ? qid(&qs, sc->owner) : "");
	else if (!is_absent(sc->ensure) && sc->owner != NULL && !same_text(sc->owner, h->owner))
		strbuf_printf(&b, "ALTER SCHEMA %s OWNER TO %s", name, qid(&qs, sc->owner));
	if (b.data != NULL)
		emit(&b, out);
	return qdone(&qs);
}

bool
managed_user_db_sql(const char *user, const char *db, bool exists, bool granted,
		    const struct managed_quote *q, struct strlist *out)
{
	struct qset qs = { .q = q };
	const char *dq = qid(&qs, db);
	struct strbuf b = { 0 };

	if (!exists) {
		strbuf_printf(&b, "CREATE DATABASE %s", dq);
		emit(&b, out);
	}
	if (!exists || !granted) {
		strbuf_printf(&b, "GRANT ALL PRIVILEGES ON DATABASE %s TO %s", dq, qid(&qs, user));
		emit(&b, out);
	}
	return qdone(&qs);
}
