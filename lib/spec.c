/*
 * spec.c — the model's field table, defaults, list helpers and the
 * normalized JSON dump. Dialect readers live in dialect.c, rules in
 * validate.c; all of them walk spec_fields[].
 */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(k, t, m, d, mut) { k, t, offsetof(struct spec, m), d, mut }

/* Every member of the model, in dump order. */
const struct spec_field spec_fields[] = {
	F("name", SPEC_T_STRING, name, NULL, false),
	F("instances", SPEC_T_INT, instances, "1", true),
	F("bootstrap.method", SPEC_T_BOOTSTRAP, bootstrap, "initdb", false),
	F("bootstrap.database", SPEC_T_STRING, app_database, "app", false),
	F("bootstrap.owner", SPEC_T_STRING, app_owner, NULL, false),
	F("bootstrap.secret", SPEC_T_STRING, app_secret, NULL, true),
	F("bootstrap.initdb.dataChecksums", SPEC_T_BOOL, data_checksums, "false", false),
	F("bootstrap.initdb.encoding", SPEC_T_STRING, encoding, "UTF8", false),
	F("bootstrap.initdb.locale", SPEC_T_STRING, locale, NULL, false),
	F("bootstrap.initdb.localeCollate", SPEC_T_STRING, locale_collate, NULL, false),
	F("bootstrap.initdb.localeCType", SPEC_T_STRING, locale_ctype, NULL, false),
	F("bootstrap.initdb.localeProvider", SPEC_T_STRING, locale_provider, NULL, false),
	F("bootstrap.initdb.icuLocale", SPEC_T_STRING, icu_locale, NULL, false),
	F("bootstrap.initdb.icuRules", SPEC_T_STRING, icu_rules, NULL, false),
	F("bootstrap.initdb.builtinLocale", SPEC_T_STRING, builtin_locale, NULL, false),
	F("bootstrap.initdb.walSegmentSize", SPEC_T_INT, wal_segment_size, NULL, false),
	F("bootstrap.initdb.options", SPEC_T_STRLIST, initdb_options, NULL, false),
	F("bootstrap.initdb.postInitSQL", SPEC_T_STRLIST, post_init_sql, NULL, false),
	F("bootstrap.initdb.postInitSQLRefs.secretRefs", SPEC_T_REFLIST, post_init_sql_refs.secrets, NULL, false),
	F("bootstrap.initdb.postInitSQLRefs.configMapRefs", SPEC_T_REFLIST, post_init_sql_refs.configmaps, NULL, false),
	F("bootstrap.initdb.postInitTemplateSQL", SPEC_T_STRLIST, post_init_template_sql, NULL, false),
	F("bootstrap.initdb.postInitTemplateSQLRefs.secretRefs", SPEC_T_REFLIST, post_init_template_sql_refs.secrets, NULL, false),
	F("bootstrap.initdb.postInitTemplateSQLRefs.configMapRefs", SPEC_T_REFLIST, post_init_template_sql_refs.configmaps, NULL, false),
	F("bootstrap.initdb.postInitApplicationSQL", SPEC_T_STRLIST, post_init_application_sql, NULL, false),
	F("bootstrap.initdb.postInitApplicationSQLRefs.secretRefs", SPEC_T_REFLIST, post_init_application_sql_refs.secrets, NULL, false),
	F("bootstrap.initdb.postInitApplicationSQLRefs.configMapRefs", SPEC_T_REFLIST, post_init_application_sql_refs.configmaps, NULL, false),
	F("bootstrap.clone.source", SPEC_T_STRING, clone_source, NULL, false),
	F("bootstrap.restore.source", SPEC_T_STRING, restore_source, NULL, false),
	F("bootstrap.restore.backupID", SPEC_T_STRING, restore_backup_id, NULL, false),
	F("bootstrap.restore.options", SPEC_T_STRLIST, restore_options, NULL, false),
	F("bootstrap.restore.stanza", SPEC_T_STRING, pgbackrest_stanza, NULL, false),
	F("bootstrap.restore.target.time", SPEC_T_STRING, pitr_target_time, NULL, false),
	F("bootstrap.restore.target.xid", SPEC_T_STRING, pitr_target_xid, NULL, false),
	F("bootstrap.restore.target.name", SPEC_T_STRING, pitr_target_name, NULL, false),
	F("bootstrap.restore.target.lsn", SPEC_T_STRING, pitr_target_lsn, NULL, false),
	F("bootstrap.restore.target.timeline", SPEC_T_STRING, pitr_target_tli, NULL, false),
	F("bootstrap.restore.target.immediate", SPEC_T_BOOL, pitr_target_immediate, NULL, false),
	F("bootstrap.restore.target.exclusive", SPEC_T_BOOL, pitr_exclusive, NULL, false),
	F("standby.enabled", SPEC_T_BOOL, standby_enabled, "false", true),
	F("standby.source", SPEC_T_STRING, standby_source, NULL, true),
	F("standby.host", SPEC_T_STRING, standby_host, NULL, true),
	F("standby.port", SPEC_T_INT, standby_port, NULL, true),
	F("standby.minApplyDelay", SPEC_T_STRING, standby_min_apply_delay, NULL, true),
	F("restoreInPlace.enabled", SPEC_T_BOOL, inplace_restore_enabled, "false", true),
	F("restoreInPlace.repo", SPEC_T_STRING, inplace_restore_repo, NULL, true),
	F("restoreInPlace.options", SPEC_T_STRLIST, inplace_restore_options, NULL, true),
	F("bootstrap.restore.pgbackrest.global", SPEC_T_KVLIST, restore_global, NULL, false),
	F("pgbackrest.global", SPEC_T_KVLIST, pgbackrest_global, NULL, true),
	F("postgresql.parameters", SPEC_T_KVLIST, parameters, NULL, true),
	F("postgresql.pg_hba", SPEC_T_STRLIST, pg_hba, NULL, true),
	F("postgresql.shared_preload_libraries", SPEC_T_STRLIST, shared_preload_libraries, NULL, false),
	F("postgresql.version", SPEC_T_INT, postgres_version, NULL, false),
	F("superuser.secret", SPEC_T_STRING, superuser_secret, NULL, true),
	F("superuser.enableAccess", SPEC_T_BOOL, enable_superuser_access, "false", true),
	F("smartShutdownTimeout", SPEC_T_INT, smart_shutdown_timeout, "180", true),
	F("stopDelay", SPEC_T_INT, stop_delay, "1800", true),
	F("startDelay", SPEC_T_INT, start_delay, "3600", true),
	F("probes.readiness.maximumLag", SPEC_T_STRING, max_lag, NULL, true),
};
#undef F

const size_t spec_nfields = sizeof(spec_fields) / sizeof(spec_fields[0]);

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL) {
		fputs("pgpod: out of memory\n", stderr);
		abort();
	}
	return p;
}

static void *
xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (p == NULL) {
		fputs("pgpod: out of memory\n", stderr);
		abort();
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL) {
		fputs("pgpod: out of memory\n", stderr);
		abort();
	}
	return d;
}

int
spec_field_index(const char *key)
{
	for (size_t i = 0; i < spec_nfields; i++)
		if (strcmp(spec_fields[i].key, key) == 0)
			return (int) i;
	return -1;
}

void
spec_set_origin(struct spec *s, int field, const char *path)
{
	if (field < 0 || (size_t) field >= spec_nfields)
		return;
	free(s->origin[field]);
	s->origin[field] = xstrdup(path);
}

const char *
spec_path(const struct spec *s, const char *key)
{
	int i = spec_field_index(key);

	if (i >= 0 && s->origin[i] != NULL)
		return s->origin[i];
	return key;
}

struct spec *
spec_new(void)
{
	struct spec *s = xcalloc(1, sizeof(*s));

	s->origin = xcalloc(spec_nfields, sizeof(char *));
	s->instances = -1;
	s->data_checksums = -1;
	s->wal_segment_size = -1;
	s->pitr_target_immediate = -1;
	s->pitr_exclusive = -1;
	s->standby_enabled = -1;
	s->standby_port = -1;
	s->inplace_restore_enabled = -1;
	s->enable_superuser_access = -1;
	s->smart_shutdown_timeout = -1;
	s->stop_delay = -1;
	s->start_delay = -1;
	s->postgres_version = -1;
	return s;
}

void
strlist_add(struct strlist *l, const char *v)
{
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(char *));
	l->items[l->n++] = xstrdup(v);
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void
kvlist_set(struct kvlist *l, const char *key, const char *value)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].key, key) == 0) {
			free(l->items[i].value);
			l->items[i].value = xstrdup(value);
			return;
		}
	}
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(struct kv));
	l->items[l->n].key = xstrdup(key);
	l->items[l->n].value = xstrdup(value);
	l->n++;
}

const char *
kvlist_get(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].value;
	return NULL;
}

const struct spec_external *
spec_external_find(const struct spec *s, const char *name)
{
	for (size_t i = 0; name != NULL && i < s->n_externals; i++)
		if (s->externals[i].name != NULL && strcmp(s->externals[i].name, name) == 0)
			return &s->externals[i];
	return NULL;
}

bool
spec_key_is_secret(const char *key)
{
	static const char *const words[] = { "pass", "secret", "key", "token", "credential" };
	char low[128];
	size_t n = 0;

	for (; key[n] && n < sizeof(low) - 1; n++)
		low[n] = (char) tolower((unsigned char) key[n]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]) != NULL)
			return true;
	return false;
}

void
kvlist_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void
reflist_add(struct reflist *l, const char *name, const char *key)
{
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(struct spec_ref));
	l->items[l->n].name = name ? xstrdup(name) : NULL;
	l->items[l->n].key = key ? xstrdup(key) : NULL;
	l->n++;
}

void
spec_ref_free(struct spec_ref *r)
{
	free(r->name);
	free(r->key);
	r->name = r->key = NULL;
}

void
reflist_free(struct reflist *l)
{
	for (size_t i = 0; i < l->n; i++)
		spec_ref_free(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* Free one member described by the table. */
static void
spec_free_field(struct spec *s, const struct spec_field *f)
{
	void *m = (char *) s + f->offset;

	switch (f->type) {
	case SPEC_T_STRING:
		free(*(char **) m);
		*(char **) m = NULL;
		break;
	case SPEC_T_STRLIST:
		strlist_free(m);
		break;
	case SPEC_T_KVLIST:
		kvlist_free(m);
		break;
	case SPEC_T_REFLIST:
		reflist_free(m);
		break;
	default:
		break;
	}
}

static void
spec_repo_free(struct spec_repo *r)
{
	free(r->name);
	free(r->kind);
	free(r->bucket);
	free(r->endpoint);
	free(r->region);
	memset(r, 0, sizeof(*r));
}

void
spec_free(struct spec *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < spec_nfields; i++) {
		spec_free_field(s, &spec_fields[i]);
		free(s->origin[i]);
	}
	for (size_t i = 0; i < s->n_externals; i++) {
		struct spec_external *e = &s->externals[i];

		free(e->name);
		kvlist_free(&e->conn);
		spec_ref_free(&e->password);
		spec_ref_free(&e->ssl_key);
		spec_ref_free(&e->ssl_cert);
		spec_ref_free(&e->ssl_root_cert);
	}
	free(s->externals);
	for (size_t i = 0; i < s->n_roles; i++) {
		free(s->roles[i].name);
		strlist_free(&s->roles[i].databases);
		free(s->roles[i].options);
	}
	free(s->roles);
	for (size_t i = 0; i < s->n_repos; i++)
		spec_repo_free(&s->repos[i]);
	free(s->repos);
	spec_repo_free(&s->restore_repo);
	free(s->origin);
	free(s->source_file);
	free(s);
}

static const char *const dialect_names[] = {
	[SPEC_DIALECT_CNPG] = "cloudnative-pg",
	[SPEC_DIALECT_CHART] = "cnpg-database-chart",
	[SPEC_DIALECT_PGO] = "crunchy-pgo",
	[SPEC_DIALECT_PERCONA] = "percona",
};

static const char *const bootstrap_names[] = {
	[SPEC_BOOTSTRAP_INITDB] = "initdb",
	[SPEC_BOOTSTRAP_PG_BASEBACKUP] = "pg_basebackup",
	[SPEC_BOOTSTRAP_RECOVERY] = "recovery",
};

const char *
spec_dialect_name(enum spec_dialect d)
{
	return dialect_names[d];
}

const char *
spec_bootstrap_name(enum spec_bootstrap b)
{
	return bootstrap_names[b];
}

/* Defaults from the table, then the derived ones (owner = database). */
void
spec_apply_defaults(struct spec *s)
{
	/* a superuser secret given without enableSuperuserAccess means "use it" */
	if (s->enable_superuser_access < 0 && s->superuser_secret != NULL)
		s->enable_superuser_access = 1;
	for (size_t i = 0; i < spec_nfields; i++) {
		const struct spec_field *f = &spec_fields[i];
		void *m = (char *) s + f->offset;

		if (f->dflt == NULL)
			continue;
		switch (f->type) {
		case SPEC_T_STRING:
			if (*(char **) m == NULL)
				*(char **) m = xstrdup(f->dflt);
			break;
		case SPEC_T_INT:
			if (*(int *) m < 0)
				*(int *) m = atoi(f->dflt);
			break;
		case SPEC_T_BOOL:
			if (*(int *) m < 0)
				*(int *) m = strcmp(f->dflt, "true") == 0;
			break;
		default:
			break;
		}
	}
	/* LC_COLLATE and LC_CTYPE default to C unless a locale is given */
	if (s->locale == NULL && s->locale_collate == NULL)
		s->locale_collate = xstrdup("C");
	if (s->locale == NULL && s->locale_ctype == NULL)
		s->locale_ctype = xstrdup("C");
	if (s->app_owner == NULL && s->app_database != NULL)
		s->app_owner = xstrdup(s->app_database);
	if (s->name == NULL)
		s->name = xstrdup("pgpod");
}

/* ---- normalized dump ---- */

static struct json_object *
spec_json_at(struct json_object *root, const char *key, char *leaf, size_t cap)
{
	struct json_object *cur = root;
	const char *p = key;
	const char *dot;

	while ((dot = strchr(p, '.')) != NULL) {
		char part[64];
		struct json_object *next;

		snprintf(part, sizeof(part), "%.*s", (int) (dot - p), p);
		if (!json_object_object_get_ex(cur, part, &next)) {
			next = json_object_new_object();
			json_object_object_add(cur, part, next);
		}
		cur = next;
		p = dot + 1;
	}
	snprintf(leaf, cap, "%s", p);
	return cur;
}

static struct json_object *
spec_json_refs(const struct reflist *l)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < l->n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(l->items[i].name ? l->items[i].name : ""));
		json_object_object_add(o, "key", json_object_new_string(l->items[i].key ? l->items[i].key : ""));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *
spec_json_field(const struct spec *s, const struct spec_field *f)
{
	const void *m = (const char *) s + f->offset;

	switch (f->type) {
	case SPEC_T_STRING: {
		const char *v = *(char *const *) m;

		return v ? json_object_new_string(v) : NULL;
	}
	case SPEC_T_INT:
		return *(const int *) m >= 0 ? json_object_new_int(*(const int *) m) : NULL;
	case SPEC_T_BOOL:
		return *(const int *) m >= 0 ? json_object_new_boolean(*(const int *) m) : NULL;
	case SPEC_T_BOOTSTRAP:
		return json_object_new_string(spec_bootstrap_name(*(const enum spec_bootstrap *) m));
	case SPEC_T_STRLIST: {
		const struct strlist *l = m;
		struct json_object *a;

		if (l->n == 0)
			return NULL;
		a = json_object_new_array();
		for (size_t i = 0; i < l->n; i++)
			json_object_array_add(a, json_object_new_string(l->items[i]));
		return a;
	}
	case SPEC_T_KVLIST: {
		const struct kvlist *l = m;
		struct json_object *o;

		if (l->n == 0)
			return NULL;
		o = json_object_new_object();
		for (size_t i = 0; i < l->n; i++) {
			/* parameters are not secrets; pgBackRest options may be */
			bool hide = m != (const void *) &s->parameters
				&& spec_key_is_secret(l->items[i].key);

			json_object_object_add(o, l->items[i].key,
				json_object_new_string(hide ? "[redacted]" : l->items[i].value));
		}
		return o;
	}
	case SPEC_T_REFLIST:
		return ((const struct reflist *) m)->n ? spec_json_refs(m) : NULL;
	}
	return NULL;
}

static struct json_object *
spec_json_ref(const struct spec_ref *r)
{
	struct json_object *o;

	if (r->name == NULL)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "key", json_object_new_string(r->key ? r->key : ""));
	return o;
}

static void
spec_json_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (v != NULL)
		json_object_object_add(o, key, v);
}

static struct json_object *
spec_json_externals(const struct spec *s)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->n_externals; i++) {
		const struct spec_external *e = &s->externals[i];
		struct json_object *o = json_object_new_object();
		struct json_object *c = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(e->name ? e->name : ""));
		for (size_t k = 0; k < e->conn.n; k++) {
			bool hide = spec_key_is_secret(e->conn.items[k].key);

			json_object_object_add(c, e->conn.items[k].key,
				json_object_new_string(hide ? "[redacted]" : e->conn.items[k].value));
		}
		json_object_object_add(o, "connectionParameters", c);
		spec_json_add(o, "password", spec_json_ref(&e->password));
		spec_json_add(o, "sslKey", spec_json_ref(&e->ssl_key));
		spec_json_add(o, "sslCert", spec_json_ref(&e->ssl_cert));
		spec_json_add(o, "sslRootCert", spec_json_ref(&e->ssl_root_cert));
		json_object_object_add(o, "objectStore", json_object_new_boolean(e->has_object_store));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *
spec_json_repo(const struct spec_repo *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(r->name ? r->name : ""));
	spec_json_add(o, "type", r->kind ? json_object_new_string(r->kind) : NULL);
	spec_json_add(o, "bucket", r->bucket ? json_object_new_string(r->bucket) : NULL);
	spec_json_add(o, "endpoint", r->endpoint ? json_object_new_string(r->endpoint) : NULL);
	spec_json_add(o, "region", r->region ? json_object_new_string(r->region) : NULL);
	return o;
}

static struct json_object *
spec_json_roles_repos(const struct spec *s, bool roles)
{
	struct json_object *a = json_object_new_array();
	size_t n = roles ? s->n_roles : s->n_repos;

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		if (roles) {
			const struct spec_role *r = &s->roles[i];
			struct json_object *dbs = json_object_new_array();

			json_object_object_add(o, "name", json_object_new_string(r->name));
			for (size_t k = 0; k < r->databases.n; k++)
				json_object_array_add(dbs, json_object_new_string(r->databases.items[k]));
			json_object_object_add(o, "databases", dbs);
			if (r->options)
				json_object_object_add(o, "options", json_object_new_string(r->options));
			json_object_array_add(a, o);
		} else {
			json_object_put(o);
			json_object_array_add(a, spec_json_repo(&s->repos[i]));
		}
	}
	return a;
}

char *
spec_to_json(const struct spec *s)
{
	struct json_object *root = json_object_new_object();
	char *out;

	json_object_object_add(root, "dialect", json_object_new_string(spec_dialect_name(s->dialect)));
	if (s->source_file)
		json_object_object_add(root, "source", json_object_new_string(s->source_file));
	for (size_t i = 0; i < spec_nfields; i++) {
		char leaf[64];
		struct json_object *v = spec_json_field(s, &spec_fields[i]);
		struct json_object *parent;

		if (v == NULL)
			continue;
		parent = spec_json_at(root, spec_fields[i].key, leaf, sizeof(leaf));
		json_object_object_add(parent, leaf, v);
	}
	json_object_object_add(root, "externalClusters", spec_json_externals(s));
	json_object_object_add(root, "roles", spec_json_roles_repos(s, true));
	json_object_object_add(root, "repos", spec_json_roles_repos(s, false));
	if (s->restore_repo.name != NULL || s->restore_repo.kind != NULL) {
		struct json_object *parent = spec_json_at(root, "bootstrap.restore.repo", NULL, 0);

		json_object_object_add(parent, "repo", spec_json_repo(&s->restore_repo));
	}
	out = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return out;
}

bool
spec_parse_size(const char *text, long long *bytes)
{
	static const struct {
		const char *unit;
		long long   mult;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "kB", 1LL << 10 }, { "MB", 1LL << 20 }, { "GB", 1LL << 30 }, { "TB", 1LL << 40 },
		{ "Ki", 1LL << 10 }, { "Mi", 1LL << 20 }, { "Gi", 1LL << 30 }, { "Ti", 1LL << 40 },
		{ "k", 1000LL }, { "M", 1000000LL }, { "G", 1000000000LL }, { "T", 1000000000000LL },
	};
	char *end;
	long long n;

	if (text == NULL || !isdigit((unsigned char) text[0]))
		return false;
	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno != 0)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0 && n <= LLONG_MAX / units[i].mult) {
			*bytes = n * units[i].mult;
			return true;
		}
	}
	return false;
}
