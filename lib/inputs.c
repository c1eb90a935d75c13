/*
 * inputs.c — loading Secret and ConfigMap values (see inputs.h). One walker
 * (inputs_walk) decides which references a spec makes pgpod read; loading
 * and the list of Secrets to watch both follow it.
 */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs.h"
#include "fileio.h"

bool
inputs_read_key(const char *dir, const char *name, const char *key, char **value, int *err)
{
	char path[PATH_MAX];
	size_t len;

	*value = NULL;
	if (strchr(name, '/') || strchr(key, '/') || strcmp(name, "..") == 0
	    || strcmp(key, "..") == 0 || !*name || !*key) {
		*err = EINVAL;
		return false;
	}
	if (snprintf(path, sizeof(path), "%s/%s/%s", dir, name, key) >= (int) sizeof(path)) {
		*err = ENAMETOOLONG;
		return false;
	}
	return file_read(path, INPUT_MAX_BYTES, value, &len, err);
}

/* 32 characters drawn uniformly from alphabet (at most 256 long). */
static bool
generate_from(const char *alphabet, char *buf, size_t cap)
{
	size_t len = strlen(alphabet), limit = 256 - 256 % len;
	unsigned char raw[64];
	size_t n = 0;

	if (cap < 33)
		return false;
	while (n < 32) {
		if (RAND_bytes(raw, sizeof(raw)) != 1)
			return false;
		/* rejection sampling keeps the distribution uniform */
		for (size_t i = 0; i < sizeof(raw) && n < 32; i++)
			if (raw[i] < limit)
				buf[n++] = alphabet[raw[i] % len];
	}
	buf[n] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return true;
}

bool
inputs_generate_password(char *buf, size_t cap)
{
	return generate_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", buf,
			     cap);
}

bool
inputs_generate_password_of(char *buf, size_t cap, bool ascii)
{
	/* PGO's class of printable ASCII: no blank, quote, backslash, '#',
	 * '$', '%', '&', '!' or '~', which shells, URLs and YAML would make
	 * the user escape */
	return ascii ? generate_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789()*+,-./:;<=>?@[]^_{|}", buf, cap)
		: inputs_generate_password(buf, cap);
}

static char *
strip_newline(char *v)
{
	size_t n = strlen(v);

	while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
		v[--n] = '\0';
	return v;
}

static void
report_missing_as(void (*say)(struct diag *, const char *, const char *, ...), struct diag *d,
		  const char *path, const char *what, const char *dir, const char *name,
		  const char *key, int err)
{
	char whole[PATH_MAX];
	struct stat st;

	snprintf(whole, sizeof(whole), "%s/%s", dir, name);
	if (err == ENOENT && stat(whole, &st) != 0)
		say(d, path, "%s \"%s\" does not exist (no directory %s); create it or fix the "
		    "reference, and check that it is mounted at %s", what, name, whole, dir);
	else if (err == ENOENT)
		say(d, path, "%s \"%s\" has no key \"%s\" (looked for %s/%s/%s); create it or fix "
		    "the reference", what, name, key, dir, name, key);
	else
		say(d, path, "cannot read %s \"%s\" key \"%s\" from %s/%s/%s: %s", what, name, key,
		    dir, name, key, file_strerror(err));
}

static void
report_missing(struct diag *d, const char *path, const char *what, const char *dir,
	       const char *name, const char *key, int err)
{
	report_missing_as(diag_error, d, path, what, dir, name, key, err);
}

/* ---- what a spec makes pgpod read ---- */

/* What a reference is read for. */
enum input_use {
	INPUT_APP,		/* the application owner's basic-auth Secret */
	INPUT_SUPERUSER,	/* the superuser's basic-auth Secret */
	INPUT_SOURCE,		/* one key of an external cluster's Secret */
	INPUT_REPLICATION,	/* <cluster>-replication, key password (optional) */
	INPUT_SQL,		/* a postInit*SQLRefs entry */
	INPUT_PGBACKREST,	/* pgBackRest INI files of a configuration projection */
	INPUT_STORE,		/* one credential of a Barman Cloud object store */
	INPUT_MANAGED,		/* a managed role's basic-auth passwordSecret */
	INPUT_TLS,		/* one key of a certificates' Secret */
};

/* One Secret (or ConfigMap) key, or basic-auth Secret, to read. */
struct input_ref {
	enum input_use use;
	bool        configmap;	/* a ConfigMap's key, not a Secret's */
	const char *name;
	const char *key;	/* NULL for a basic-auth Secret */
	const char *path;	/* the field that names it */
	const char *label;	/* INPUT_SQL: "postInitSQLRefs.secretRefs[0]" */
	size_t      index;	/* INPUT_SOURCE: the entry; INPUT_SQL: the script list;
				 * INPUT_PGBACKREST: the configuration list;
				 * INPUT_STORE: 0 this cluster's, i + 1 externalClusters[i]'s;
				 * INPUT_MANAGED: the role in spec.managed.roles */
	size_t      slot;	/* INPUT_SOURCE, INPUT_STORE: which of the keys */
};

typedef void (*input_visit)(const struct input_ref *r, void *ctx);

/* The Secret keys of an externalClusters entry: where the reference is,
 * where its value goes, whether a trailing newline is dropped (passwords;
 * PEM texts are kept verbatim). */
static const struct {
	const char *field;
	size_t      ref;
	size_t      value;
	bool        strip;
} source_keys[] = {
	{ "password", offsetof(struct spec_external, password), offsetof(struct input_source, password), true },
	{ "sslKey", offsetof(struct spec_external, ssl_key), offsetof(struct input_source, ssl_key), false },
	{ "sslCert", offsetof(struct spec_external, ssl_cert), offsetof(struct input_source, ssl_cert), false },
	{ "sslRootCert", offsetof(struct spec_external, ssl_root_cert),
	  offsetof(struct input_source, ssl_root_cert), false },
};

/* The Secret keys of an object store, likewise. */
#define STORE_KEY(f, m, strip) { f, offsetof(struct spec_objstore, m), \
	offsetof(struct input_store, m), strip }
static const struct {
	const char *field;
	size_t      ref;
	size_t      value;
	bool        strip;
} store_keys[] = {
	STORE_KEY("endpointCA", endpoint_ca, false),
	STORE_KEY("s3Credentials.accessKeyId", s3_key_id, true),
	STORE_KEY("s3Credentials.secretAccessKey", s3_secret, true),
	STORE_KEY("s3Credentials.sessionToken", s3_session, true),
	STORE_KEY("s3Credentials.region", s3_region, true),
	STORE_KEY("azureCredentials.connectionString", azure_conn, true),
	STORE_KEY("azureCredentials.storageAccount", azure_account, true),
	STORE_KEY("azureCredentials.storageKey", azure_key, true),
	STORE_KEY("azureCredentials.storageSasToken", azure_sas, true),
	STORE_KEY("googleCredentials.applicationCredentials", google_creds, false),
};
#undef STORE_KEY

/* The keys of the certificates' Secrets: the field naming the Secret, the
 * key (Kubernetes' fixed names), where the PEM text goes. */
#define TLS_KEY(f, m, k, v) { f, offsetof(struct spec, m), k, offsetof(struct input_tls, v) }
static const struct {
	const char *field;
	size_t      secret;
	const char *key;
	size_t      value;
} tls_keys[] = {
	TLS_KEY("certificates.serverTLSSecret", tls_server_secret, "tls.crt", server_cert),
	TLS_KEY("certificates.serverTLSSecret", tls_server_secret, "tls.key", server_key),
	TLS_KEY("certificates.serverCASecret", tls_server_ca_secret, "ca.crt", server_ca),
	TLS_KEY("certificates.clientCASecret", tls_client_ca_secret, "ca.crt", client_ca),
	TLS_KEY("certificates.replicationTLSSecret", tls_replication_secret, "tls.crt", repl_cert),
	TLS_KEY("certificates.replicationTLSSecret", tls_replication_secret, "tls.key", repl_key),
};
#undef TLS_KEY

/* postInit*SQLRefs: the refs and the scripts they become. */
static const struct {
	const char *name;
	size_t      refs;
	size_t      files;
} sql_refs[] = {
	{ "postInitSQLRefs", offsetof(struct spec, post_init_sql_refs), offsetof(struct inputs, post_init) },
	{ "postInitTemplateSQLRefs", offsetof(struct spec, post_init_template_sql_refs),
	  offsetof(struct inputs, post_init_template) },
	{ "postInitApplicationSQLRefs", offsetof(struct spec, post_init_application_sql_refs),
	  offsetof(struct inputs, post_init_application) },
};

/* Only the sources the spec uses now have their Secrets read: the clone
 * source, the import's source, the replica cluster's source. */
static bool
source_used(const struct spec *s, const char *name)
{
	if (name == NULL)
		return false;
	if (s->bootstrap == SPEC_BOOTSTRAP_PG_BASEBACKUP && s->clone_source != NULL
	    && strcmp(s->clone_source, name) == 0)
		return true;
	if (s->bootstrap == SPEC_BOOTSTRAP_INITDB && s->import.source != NULL
	    && strcmp(s->import.source, name) == 0)
		return true;
	return s->standby_enabled == 1 && s->standby_source != NULL
		&& strcmp(s->standby_source, name) == 0;
}

/* The basic-auth Secrets: the application owner's, the superuser's when
 * superuser access is on. */
static void
walk_auth(const struct spec *s, input_visit visit, void *ctx)
{
	struct input_ref r = { .use = INPUT_APP };

	if (s->app_secret != NULL) {
		r.name = s->app_secret;
		r.path = spec_path(s, "bootstrap.secret");
		visit(&r, ctx);
	}
	if (s->superuser_secret != NULL && s->enable_superuser_access != 0) {
		r.use = INPUT_SUPERUSER;
		r.name = s->superuser_secret;
		r.path = spec_path(s, "superuser.secret");
		visit(&r, ctx);
	}
}

/* The passwordSecret of every managed role that is to be present. */
static void
walk_managed(const struct spec *s, input_visit visit, void *ctx)
{
	for (size_t i = 0; i < s->n_managed_roles; i++) {
		const struct spec_managed_role *m = &s->managed_roles[i];
		char path[300];
		struct input_ref r = { .use = INPUT_MANAGED, .name = m->password_secret,
				       .path = path, .index = i };

		if (m->password_secret == NULL || (m->ensure && strcmp(m->ensure, "absent") == 0))
			continue;
		snprintf(path, sizeof(path), "%s.passwordSecret", m->origin);
		visit(&r, ctx);
	}
}

/* The Secret keys of the external clusters in use, by their item paths. */
static void
walk_sources(const struct spec *s, input_visit visit, void *ctx)
{
	for (size_t i = 0; i < s->n_externals; i++) {
		const struct spec_external *e = &s->externals[i];
		char base[256];

		if (!source_used(s, e->name))
			continue;
		if (e->origin != NULL)
			snprintf(base, sizeof(base), "%s", e->origin);
		else
			snprintf(base, sizeof(base), "%s[%zu]", spec_path(s, "externalClusters"), i);
		for (size_t k = 0; k < sizeof(source_keys) / sizeof(source_keys[0]); k++) {
			const struct spec_ref *ref = (const void *) ((const char *) e + source_keys[k].ref);
			char path[300];
			struct input_ref r = { .use = INPUT_SOURCE, .name = ref->name, .key = ref->key,
					       .path = path, .index = i, .slot = k };

			if (ref->name == NULL)
				continue;
			snprintf(path, sizeof(path), "%s.%s", base, source_keys[k].field);
			visit(&r, ctx);
		}
	}
}

/* The Secret keys of one object store (index: see struct input_ref). */
static void
walk_store(const struct spec_objstore *o, size_t index, input_visit visit, void *ctx)
{
	for (size_t k = 0; o->destination != NULL && k < sizeof(store_keys) / sizeof(store_keys[0]);
	     k++) {
		const struct spec_ref *ref = (const void *) ((const char *) o + store_keys[k].ref);
		char path[400];
		struct input_ref r = { .use = INPUT_STORE, .name = ref->name, .key = ref->key,
				       .path = path, .index = index, .slot = k };

		if (ref->name == NULL)
			continue;
		snprintf(path, sizeof(path), "%s.%s", o->origin ? o->origin : "barmanObjectStore",
			 o->secret_path != NULL && store_keys[k].ref != offsetof(struct spec_objstore,
			 endpoint_ca) ? o->secret_path : store_keys[k].field);
		visit(&r, ctx);
	}
}

/* An external cluster whose object store is read: the recovery's source
 * or the replica cluster's (a pg_basebackup clone needs none). */
static bool
store_used(const struct spec *s, const char *name)
{
	if (name == NULL)
		return false;
	if (s->bootstrap == SPEC_BOOTSTRAP_RECOVERY && s->restore.source_kind == SPEC_SOURCE_EXTERNAL
	    && s->restore.source != NULL && strcmp(s->restore.source, name) == 0)
		return true;
	return s->standby_enabled == 1 && s->standby_source != NULL
		&& strcmp(s->standby_source, name) == 0;
}

/* This cluster's object store, and those of the external clusters in use. */
static void
walk_stores(const struct spec *s, input_visit visit, void *ctx)
{
	walk_store(&s->backup_store, 0, visit, ctx);
	for (size_t i = 0; i < s->n_externals; i++)
		if (store_used(s, s->externals[i].name))
			walk_store(&s->externals[i].store, i + 1, visit, ctx);
}

/* The keys of the certificates' Secrets that the spec names. */
static void
walk_tls(const struct spec *s, input_visit visit, void *ctx)
{
	for (size_t k = 0; k < sizeof(tls_keys) / sizeof(tls_keys[0]); k++) {
		struct input_ref r = { .use = INPUT_TLS, .key = tls_keys[k].key,
				       .path = spec_path(s, tls_keys[k].field), .slot = k };

		r.name = *(char *const *) ((const char *) s + tls_keys[k].secret);
		if (r.name != NULL)
			visit(&r, ctx);
	}
}

/* One list of refs (Secrets or ConfigMaps) of a postInit*SQLRefs. */
static void
walk_sql_list(const struct spec *s, size_t group, bool configmap, input_visit visit, void *ctx)
{
	const struct spec_sqlrefs *refs = (const void *) ((const char *) s + sql_refs[group].refs);
	const struct reflist *l = configmap ? &refs->configmaps : &refs->secrets;
	const char *kind = configmap ? "configMapRefs" : "secretRefs";
	char key[160];
	char base[256];

	snprintf(key, sizeof(key), "bootstrap.initdb.%s.%s", sql_refs[group].name, kind);
	snprintf(base, sizeof(base), "%s", spec_path(s, key));
	for (size_t i = 0; i < l->n; i++) {
		char label[256];
		char path[300];
		struct input_ref r = { .use = INPUT_SQL, .configmap = configmap,
				       .name = l->items[i].name, .key = l->items[i].key,
				       .path = path, .label = label, .index = group };

		snprintf(label, sizeof(label), "%s.%s[%zu]", sql_refs[group].name, kind, i);
		if (l->single)
			snprintf(path, sizeof(path), "%s", base);
		else
			snprintf(path, sizeof(path), "%s[%zu]", base, i);
		visit(&r, ctx);
	}
}

/* pgBackRest configuration lists: where they are in the spec, where their
 * files go, and when they are read. */
static bool
pgbackrest_own_used(const struct spec *s)
{
	return s->n_repos > 0;
}

static bool
pgbackrest_restore_used(const struct spec *s)
{
	return s->bootstrap == SPEC_BOOTSTRAP_RECOVERY
		&& s->restore.source_kind == SPEC_SOURCE_DATASOURCE_REPO;
}

static const struct {
	const char *key;
	size_t      list;
	size_t      count;
	size_t      texts;
	bool      (*used)(const struct spec *s);
} ini_lists[] = {
	{ "pgbackrest.configuration", offsetof(struct spec, pgbackrest_config),
	  offsetof(struct spec, n_pgbackrest_config), offsetof(struct inputs, pgbackrest_ini),
	  pgbackrest_own_used },
	{ "bootstrap.restore.pgbackrest.configuration", offsetof(struct spec, restore_config),
	  offsetof(struct spec, n_restore_config), offsetof(struct inputs, restore_ini),
	  pgbackrest_restore_used },
};

/* Every projection of the configuration lists in use: one reference per
 * listed key, or one with no key (every *.conf key of it). */
static void
walk_pgbackrest(const struct spec *s, input_visit visit, void *ctx)
{
	for (size_t g = 0; g < sizeof(ini_lists) / sizeof(ini_lists[0]); g++) {
		const struct spec_projection *l = *(struct spec_projection *const *)
			((const char *) s + ini_lists[g].list);
		size_t n = *(const size_t *) ((const char *) s + ini_lists[g].count);

		for (size_t i = 0; ini_lists[g].used(s) && i < n; i++) {
			char path[300];
			struct input_ref r = { .use = INPUT_PGBACKREST, .path = path, .index = g,
					       .configmap = l[i].secret == NULL };

			r.name = l[i].secret != NULL ? l[i].secret : l[i].configmap;
			if (l[i].origin != NULL)
				snprintf(path, sizeof(path), "%s", l[i].origin);
			else
				snprintf(path, sizeof(path), "%s[%zu]", spec_path(s, ini_lists[g].key), i);
			for (size_t k = 0; k < l[i].keys.n; k++) {
				r.key = l[i].keys.items[k];
				visit(&r, ctx);
			}
			if (l[i].keys.n == 0)
				visit(&r, ctx);
		}
	}
}

/*
 * Every Secret and ConfigMap key the spec makes pgpod read, in the order
 * they are read: the app Secret, the superuser Secret (when superuser access
 * is on), the Secrets of the external clusters in use, the replication
 * Secret, the certificates' Secrets, the pgBackRest configuration files,
 * then (initdb only) the postInit*SQLRefs, Secrets before ConfigMaps as
 * CloudNativePG runs them. The one place that decides what is read.
 */
static void
inputs_walk(const struct spec *s, input_visit visit, void *ctx)
{
	char repl[300];
	struct input_ref r = { .use = INPUT_REPLICATION, .name = repl, .key = "password",
			       .path = "replication secret" };

	walk_auth(s, visit, ctx);
	walk_managed(s, visit, ctx);
	walk_sources(s, visit, ctx);
	inputs_replication_secret(s, repl, sizeof(repl));
	visit(&r, ctx);
	walk_tls(s, visit, ctx);
	walk_pgbackrest(s, visit, ctx);
	walk_stores(s, visit, ctx);
	if (s->bootstrap != SPEC_BOOTSTRAP_INITDB)
		return;
	for (size_t g = 0; g < sizeof(sql_refs) / sizeof(sql_refs[0]); g++) {
		walk_sql_list(s, g, false, visit, ctx);
		walk_sql_list(s, g, true, visit, ctx);
	}
}

/* inputs_secret_names' visitor: each Secret once. */
static void
add_secret_name(const struct input_ref *r, void *ctx)
{
	struct strlist *names = ctx;

	if (!r->configmap && r->name != NULL && !strlist_has(names, r->name))
		strlist_add(names, r->name);
}

void
inputs_secret_names(const struct spec *s, struct strlist *names)
{
	inputs_walk(s, add_secret_name, names);
}

/* ---- loading ---- */

struct load_ctx {
	const struct spec *s;
	const char        *secrets_dir;
	const char        *configmaps_dir;
	struct inputs     *in;
	struct diag       *d;
};

/* Read a basic-auth Secret: username (or PGO's "user") and password. */
static bool
load_basic_auth(const char *dir, const char *secret, const char *path, char **user,
		char **password, struct diag *d)
{
	int err;

	if (!inputs_read_key(dir, secret, "password", password, &err)) {
		report_missing(d, path, "secret", dir, secret, "password", err);
		return false;
	}
	strip_newline(*password);
	if (**password == '\0') {
		diag_error(d, path, "secret \"%s\" key \"password\" is empty", secret);
		return false;
	}
	if (!inputs_read_key(dir, secret, "username", user, &err)
	    && !inputs_read_key(dir, secret, "user", user, &err)) {
		report_missing(d, path, "secret", dir, secret, "username", err);
		return false;
	}
	strip_newline(*user);
	return true;
}

/* The application owner's Secret; its username must be the owner (initdb). */
static void
load_app(const struct input_ref *r, struct load_ctx *c)
{
	const struct spec *s = c->s;
	struct inputs *in = c->in;

	if (load_basic_auth(c->secrets_dir, r->name, r->path, &in->app_username,
			    &in->app_password, c->d)
	    && s->app_owner != NULL && strcmp(in->app_username, s->app_owner) != 0
	    && s->bootstrap == SPEC_BOOTSTRAP_INITDB)
		diag_error(c->d, r->path, "secret \"%s\" has username \"%s\" but the owner is \"%s\"; "
			   "the username must match the owner", r->name, in->app_username,
			   s->app_owner);
}

/* The superuser's Secret; its username must be postgres. */
static void
load_superuser(const struct input_ref *r, struct load_ctx *c)
{
	char *user = NULL;

	if (load_basic_auth(c->secrets_dir, r->name, r->path, &user, &c->in->su_password, c->d)
	    && strcmp(user, "postgres") != 0)
		diag_error(c->d, r->path, "secret \"%s\" has username \"%s\"; the superuser secret's "
			   "username must be \"postgres\"", r->name, user);
	free(user);
}

/* A managed role's Secret: CloudNativePG requires its username to be the role. */
static void
load_managed(const struct input_ref *r, struct load_ctx *c)
{
	const char *role = c->s->managed_roles[r->index].name;
	char *user = NULL;

	if (load_basic_auth(c->secrets_dir, r->name, r->path, &user,
			    &c->in->managed_passwords[r->index], c->d)
	    && strcmp(user, role) != 0)
		diag_error(c->d, r->path, "secret \"%s\" has username \"%s\" but the role is \"%s\"; "
			   "the username must be the role's name", r->name, user, role);
	free(user);
}

/* One Secret key of an externalClusters entry. */
static void
load_source(const struct input_ref *r, struct load_ctx *c)
{
	char **out = (char **) ((char *) &c->in->sources[r->index] + source_keys[r->slot].value);
	int err;

	if (!inputs_read_key(c->secrets_dir, r->name, r->key, out, &err)) {
		report_missing(c->d, r->path, "secret", c->secrets_dir, r->name, r->key, err);
		return;
	}
	if (source_keys[r->slot].strip)
		strip_newline(*out);
}

/* One credential of an object store. */
static void
load_store(const struct input_ref *r, struct load_ctx *c)
{
	struct input_store *st = r->index == 0 ? &c->in->backup_store
		: &c->in->sources[r->index - 1].store;
	char **out = (char **) ((char *) st + store_keys[r->slot].value);
	int err;

	if (!inputs_read_key(c->secrets_dir, r->name, r->key, out, &err)) {
		/* this cluster's own archive is not needed to run postgres: its
		 * archiving fails, and says so, until the Secret is there */
		report_missing_as(r->index == 0 ? diag_warn : diag_error, c->d, r->path, "secret",
				  c->secrets_dir, r->name, r->key, err);
		return;
	}
	if (store_keys[r->slot].strip)
		strip_newline(*out);
}

/* streaming_replica's password, when the Secret is mounted (optional: a
 * single instance needs none; `join` says so when it is missing). */
static void
load_replication(const struct input_ref *r, struct load_ctx *c)
{
	int err;

	if (!inputs_read_key(c->secrets_dir, r->name, r->key, &c->in->replication_password, &err)) {
		if (err != ENOENT)
			report_missing(c->d, r->path, "secret", c->secrets_dir, r->name, r->key, err);
		return;
	}
	strip_newline(c->in->replication_password);
}

/* One key of a certificates' Secret: a PEM text, kept verbatim. */
static void
load_tls(const struct input_ref *r, struct load_ctx *c)
{
	char **out = (char **) ((char *) &c->in->tls + tls_keys[r->slot].value);
	int err;

	if (!inputs_read_key(c->secrets_dir, r->name, r->key, out, &err))
		report_missing(c->d, r->path, "secret", c->secrets_dir, r->name, r->key, err);
}

/* One postInit*SQLRefs script, appended to its list. */
static void
load_sql(const struct input_ref *r, struct load_ctx *c)
{
	struct sqlfiles *out = (void *) ((char *) c->in + sql_refs[r->index].files);
	const char *what = r->configmap ? "configmap" : "secret";
	const char *dir = r->configmap ? c->configmaps_dir : c->secrets_dir;
	struct sqlfile *f;
	char org[512];
	char *sql;
	int err;

	if (!inputs_read_key(dir, r->name, r->key, &sql, &err)) {
		report_missing(c->d, r->path, what, dir, r->name, r->key, err);
		return;
	}
	out->items = spec_xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
	f = &out->items[out->n++];
	snprintf(org, sizeof(org), "%s %s key %s", what, r->name, r->key);
	f->label = spec_xstrdup(r->label);
	f->origin = spec_xstrdup(org);
	f->sql = sql;
	f->secret = !r->configmap;
}

static void
texts_add(struct input_texts *out, const char *origin, char *text, bool secret)
{
	out->items = spec_xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
	out->items[out->n].origin = spec_xstrdup(origin);
	out->items[out->n].text = text;
	out->items[out->n].secret = secret;
	out->n++;
}

static int
key_order(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The keys of a mounted Secret or ConfigMap that end in ".conf", sorted
 * (as pgBackRest reads a conf.d directory); Kubernetes' "..data" entries
 * and other dot files are not keys. */
static bool
list_conf_keys(const char *dir, const char *name, struct strlist *keys, int *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((d = opendir(path)) == NULL) {
		*err = errno;
		return false;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0)
			strlist_add(keys, de->d_name);
	}
	closedir(d);
	if (keys->n > 1)
		qsort(keys->items, keys->n, sizeof(keys->items[0]), key_order);
	return true;
}

/* One projection's pgBackRest INI files: its listed key, or each *.conf. */
static void
load_pgbackrest(const struct input_ref *r, struct load_ctx *c)
{
	struct input_texts *out = (void *) ((char *) c->in + ini_lists[r->index].texts);
	const char *what = r->configmap ? "configmap" : "secret";
	const char *dir = r->configmap ? c->configmaps_dir : c->secrets_dir;
	struct strlist keys = { 0 };
	char org[512];
	int err;

	if (r->key != NULL)
		strlist_add(&keys, r->key);
	else if (!list_conf_keys(dir, r->name, &keys, &err))
		report_missing(c->d, r->path, what, dir, r->name, "*.conf", err);
	else if (keys.n == 0)
		diag_error(c->d, r->path, "%s \"%s\" has no key ending in .conf (pgBackRest "
			   "reads *.conf files); list the keys under items, or rename them", what,
			   r->name);
	for (size_t i = 0; i < keys.n; i++) {
		char *text;

		if (!inputs_read_key(dir, r->name, keys.items[i], &text, &err)) {
			report_missing(c->d, r->path, what, dir, r->name, keys.items[i], err);
			continue;
		}
		snprintf(org, sizeof(org), "%s %s key %s", what, r->name, keys.items[i]);
		texts_add(out, org, text, !r->configmap);
	}
	strlist_free(&keys);
}

static void (*const loaders[])(const struct input_ref *r, struct load_ctx *c) = {
	[INPUT_APP] = load_app,
	[INPUT_SUPERUSER] = load_superuser,
	[INPUT_SOURCE] = load_source,
	[INPUT_REPLICATION] = load_replication,
	[INPUT_SQL] = load_sql,
	[INPUT_PGBACKREST] = load_pgbackrest,
	[INPUT_STORE] = load_store,
	[INPUT_MANAGED] = load_managed,
	[INPUT_TLS] = load_tls,
};

/* inputs_load's visitor: the loader of the reference's use. */
static void
load_one(const struct input_ref *r, void *ctx)
{
	loaders[r->use](r, ctx);
}

/* A certificate and its key from secret (named at path), checked; a fault
 * names the Secret and the key it is in. */
static bool
check_pair(const char *path, const char *secret, const char *cert, const char *key,
	   struct diag *d)
{
	char why[300];
	enum certs_fault f;

	if (cert == NULL || key == NULL)
		return false;	/* missing: reported when loaded */
	f = certs_check_pair(cert, key, why, sizeof(why));
	if (f != CERTS_OK)
		diag_error(d, path, "secret \"%s\" key \"%s\": %s", secret,
			   f == CERTS_CERT ? "tls.crt" : "tls.key", why);
	return f == CERTS_OK;
}

/* A CA bundle (key ca.crt) from secret, likewise. */
static void
check_ca(const char *path, const char *secret, const char *pem, struct diag *d)
{
	char why[300];

	if (pem != NULL && !certs_check_ca(pem, why, sizeof(why)))
		diag_error(d, path, "secret \"%s\" key \"ca.crt\": %s", secret, why);
}

/* What postgres and libpq would refuse later, refused now: a certificate
 * that is not PEM, expired or not yet valid, a key that does not fit it, a
 * CA bundle without a valid certificate; a replication certificate for
 * another user than streaming_replica (cert authentication maps the CN). */
static void
inputs_check_tls(const struct spec *s, const struct inputs *in, struct diag *d)
{
	const struct input_tls *t = &in->tls;
	char cn[256];

	(void) check_pair(spec_path(s, "certificates.serverTLSSecret"), s->tls_server_secret,
			  t->server_cert, t->server_key, d);
	check_ca(spec_path(s, "certificates.serverCASecret"), s->tls_server_ca_secret, t->server_ca, d);
	check_ca(spec_path(s, "certificates.clientCASecret"), s->tls_client_ca_secret, t->client_ca, d);
	if (check_pair(spec_path(s, "certificates.replicationTLSSecret"), s->tls_replication_secret,
		       t->repl_cert, t->repl_key, d)) {
		certs_common_name(t->repl_cert, cn, sizeof(cn));
		if (strcmp(cn, "streaming_replica") != 0)
			diag_error(d, spec_path(s, "certificates.replicationTLSSecret"), "secret \"%s\" "
				   "key \"tls.crt\": the certificate is for CN \"%s\"; replicas log in as "
				   "streaming_replica, which must be its CN", s->tls_replication_secret, cn);
	}
	for (size_t i = 0; t->server_cert != NULL && i < s->tls_alt_dns_names.n; i++)
		if (!certs_names_host(t->server_cert, s->tls_alt_dns_names.items[i]))
			diag_warn(d, spec_path(s, "certificates.serverAltDNSNames"), "\"%s\" is not "
				  "a name of the certificate in secret \"%s\" key \"tls.crt\"; clients "
				  "that connect by it with sslmode=verify-full are refused",
				  s->tls_alt_dns_names.items[i], s->tls_server_secret);
}

bool
inputs_replication_by_cert(const struct inputs *in)
{
	return in->tls.repl_cert != NULL && in->tls.repl_key != NULL && in->tls.server_ca != NULL;
}

void
inputs_replication_secret(const struct spec *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s-replication", s->name ? s->name : "pgpod");
}

const struct input_source *
inputs_source(const struct inputs *in, const char *name)
{
	for (size_t i = 0; name != NULL && i < in->n_sources; i++)
		if (in->sources[i].name != NULL && strcmp(in->sources[i].name, name) == 0)
			return &in->sources[i];
	return NULL;
}

/* A random password where no Secret gives one: the owner's always, the
 * superuser's when access is asked for without a Secret. */
static void
inputs_generate(const struct spec *s, struct inputs *in, struct diag *d)
{
	char gen[64];

	if (s->app_secret == NULL) {
		if (!inputs_generate_password(gen, sizeof(gen)))
			diag_error(d, "bootstrap.secret", "cannot generate a random password (OpenSSL)");
		else
			in->app_password = spec_xstrdup(gen);
		in->app_generated = true;
	}
	if (s->superuser_secret == NULL && s->enable_superuser_access == 1) {
		if (!inputs_generate_password(gen, sizeof(gen)))
			diag_error(d, "superuser.secret", "cannot generate a random password (OpenSSL)");
		else
			in->su_password = spec_xstrdup(gen);
		in->su_generated = true;
	}
	OPENSSL_cleanse(gen, sizeof(gen));
}

bool
inputs_load(const struct spec *s, const char *secrets_dir, const char *configmaps_dir,
	    struct inputs *in, struct diag *d)
{
	struct load_ctx c = { s, secrets_dir, configmaps_dir, in, d };
	size_t before = d->errors.n;

	memset(in, 0, sizeof(*in));
	inputs_generate(s, in, d);
	if (s->n_externals > 0) {
		in->sources = spec_xcalloc(s->n_externals, sizeof(*in->sources));
		in->n_sources = s->n_externals;
		for (size_t i = 0; i < s->n_externals; i++)
			in->sources[i].name = s->externals[i].name;
	}
	in->n_managed = s->n_managed_roles;
	if (in->n_managed > 0)
		in->managed_passwords = spec_xcalloc(in->n_managed, sizeof(char *));
	inputs_walk(s, load_one, &c);
	inputs_check_tls(s, in, d);
	return d->errors.n == before;
}

static void
free_secret(char **p)
{
	if (*p != NULL) {
		OPENSSL_cleanse(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static void
sqlfiles_free(struct sqlfiles *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].label);
		free(l->items[i].origin);
		free_secret(&l->items[i].sql);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static void
texts_free(struct input_texts *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].origin);
		free_secret(&l->items[i].text);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static void
store_free(struct input_store *st)
{
	for (size_t k = 0; k < sizeof(store_keys) / sizeof(store_keys[0]); k++)
		free_secret((char **) ((char *) st + store_keys[k].value));
}

void
inputs_free(struct inputs *in)
{
	free(in->app_username);
	free_secret(&in->app_password);
	free_secret(&in->su_password);
	sqlfiles_free(&in->post_init);
	sqlfiles_free(&in->post_init_template);
	sqlfiles_free(&in->post_init_application);
	store_free(&in->backup_store);
	for (size_t i = 0; i < in->n_sources; i++) {
		store_free(&in->sources[i].store);
		free_secret(&in->sources[i].password);
		free_secret(&in->sources[i].ssl_key);
		free(in->sources[i].ssl_cert);
		free(in->sources[i].ssl_root_cert);
	}
	free(in->sources);
	in->sources = NULL;
	for (size_t i = 0; i < in->n_managed; i++)
		free_secret(&in->managed_passwords[i]);
	free(in->managed_passwords);
	in->managed_passwords = NULL;
	in->n_managed = 0;
	in->n_sources = 0;
	free_secret(&in->replication_password);
	free(in->tls.server_cert);
	free_secret(&in->tls.server_key);
	free(in->tls.server_ca);
	free(in->tls.client_ca);
	free(in->tls.repl_cert);
	free_secret(&in->tls.repl_key);
	texts_free(&in->pgbackrest_ini);
	texts_free(&in->restore_ini);
	in->app_username = NULL;
}
