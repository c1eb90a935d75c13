/*
 * inputs.c — loading Secret and ConfigMap values (see inputs.h).
 */
#include "inputs.h"

#include <errno.h>
#include <sys/stat.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool
inputs_generate_password(char *buf, size_t cap)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char raw[64];
	size_t n = 0;

	if (cap < 33)
		return false;
	while (n < 32) {
		if (RAND_bytes(raw, sizeof(raw)) != 1)
			return false;
		/* rejection sampling keeps the distribution uniform */
		for (size_t i = 0; i < sizeof(raw) && n < 32; i++)
			if (raw[i] < 248)
				buf[n++] = alphabet[raw[i] % 62];
	}
	buf[n] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return true;
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
report_missing(struct diag *d, const char *path, const char *what, const char *dir,
	       const char *name, const char *key, int err)
{
	char whole[PATH_MAX];
	struct stat st;

	snprintf(whole, sizeof(whole), "%s/%s", dir, name);
	if (err == ENOENT && stat(whole, &st) != 0)
		diag_error(d, path, "%s \"%s\" does not exist (no directory %s); create it or "
			   "fix the reference, and check that it is mounted at %s", what, name,
			   whole, dir);
	else if (err == ENOENT)
		diag_error(d, path, "%s \"%s\" has no key \"%s\" (looked for %s/%s/%s); "
			   "create it or fix the reference", what, name, key, dir, name, key);
	else
		diag_error(d, path, "cannot read %s \"%s\" key \"%s\" from %s/%s/%s: %s",
			   what, name, key, dir, name, key, strerror(err));
}

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

static void
load_refs(const struct reflist *l, const char *dir, const char *what, const char *label,
	  const char *path, struct sqlfiles *out, struct diag *d)
{
	for (size_t i = 0; i < l->n; i++) {
		struct sqlfile *f;
		char lbl[256];
		char org[512];
		char fpath[320];
		char *sql;
		int err;

		snprintf(lbl, sizeof(lbl), "%s[%zu]", label, i);
		if (l->single)
			snprintf(fpath, sizeof(fpath), "%s", path);
		else
			snprintf(fpath, sizeof(fpath), "%s[%zu]", path, i);
		if (!inputs_read_key(dir, l->items[i].name, l->items[i].key, &sql, &err)) {
			report_missing(d, fpath, what, dir, l->items[i].name, l->items[i].key, err);
			continue;
		}
		out->items = realloc(out->items, (out->n + 1) * sizeof(*out->items));
		if (out->items == NULL)
			abort();
		f = &out->items[out->n++];
		snprintf(org, sizeof(org), "%s %s key %s", what, l->items[i].name, l->items[i].key);
		f->label = strdup(lbl);
		f->origin = strdup(org);
		f->sql = sql;
	}
}

/* Secrets before ConfigMaps, as CloudNativePG runs them. */
static void
load_sqlrefs(const struct spec *s, const struct spec_sqlrefs *refs, const char *name,
	     const char *secrets_dir, const char *configmaps_dir, struct sqlfiles *out,
	     struct diag *d)
{
	char key[160];
	char label[160];

	snprintf(key, sizeof(key), "bootstrap.initdb.%s.secretRefs", name);
	snprintf(label, sizeof(label), "%s.secretRefs", name);
	load_refs(&refs->secrets, secrets_dir, "secret", label, spec_path(s, key), out, d);
	snprintf(key, sizeof(key), "bootstrap.initdb.%s.configMapRefs", name);
	snprintf(label, sizeof(label), "%s.configMapRefs", name);
	load_refs(&refs->configmaps, configmaps_dir, "configmap", label, spec_path(s, key), out, d);
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

/* One Secret key of an externalClusters entry; a password loses its
 * trailing newline, PEM texts are kept verbatim. */
static void
load_source_ref(const struct spec_ref *r, const char *dir, const char *path, bool strip,
		char **out, struct diag *d)
{
	int err;

	if (r->name == NULL)
		return;
	if (!inputs_read_key(dir, r->name, r->key, out, &err)) {
		report_missing(d, path, "secret", dir, r->name, r->key, err);
		return;
	}
	if (strip)
		strip_newline(*out);
}

/* Only the sources the spec uses now have their Secrets read: the clone
 * source, the replica cluster's source. */
static bool
source_used(const struct spec *s, const char *name)
{
	if (name == NULL)
		return false;
	if (s->bootstrap == SPEC_BOOTSTRAP_PG_BASEBACKUP && s->clone_source != NULL
	    && strcmp(s->clone_source, name) == 0)
		return true;
	return s->standby_enabled == 1 && s->standby_source != NULL
		&& strcmp(s->standby_source, name) == 0;
}

static void
load_sources(const struct spec *s, const char *dir, struct inputs *in, struct diag *d)
{
	const char *base = s->dialect == SPEC_DIALECT_CHART ? "externalClusters" : "spec.externalClusters";

	if (s->n_externals == 0)
		return;
	in->sources = calloc(s->n_externals, sizeof(*in->sources));
	if (in->sources == NULL)
		abort();
	in->n_sources = s->n_externals;
	for (size_t i = 0; i < s->n_externals; i++) {
		const struct spec_external *e = &s->externals[i];
		struct input_source *src = &in->sources[i];
		char path[256];

		src->name = e->name;
		if (!source_used(s, e->name))
			continue;
		snprintf(path, sizeof(path), "%s[%zu].password", base, i);
		load_source_ref(&e->password, dir, path, true, &src->password, d);
		snprintf(path, sizeof(path), "%s[%zu].sslKey", base, i);
		load_source_ref(&e->ssl_key, dir, path, false, &src->ssl_key, d);
		snprintf(path, sizeof(path), "%s[%zu].sslCert", base, i);
		load_source_ref(&e->ssl_cert, dir, path, false, &src->ssl_cert, d);
		snprintf(path, sizeof(path), "%s[%zu].sslRootCert", base, i);
		load_source_ref(&e->ssl_root_cert, dir, path, false, &src->ssl_root_cert, d);
	}
}

/* streaming_replica's password, when the Secret is mounted (optional: a
 * single instance needs none; `join` says so when it is missing). */
static void
load_replication(const struct spec *s, const char *dir, struct inputs *in, struct diag *d)
{
	char name[300];
	int err;

	inputs_replication_secret(s, name, sizeof(name));
	if (!inputs_read_key(dir, name, "password", &in->replication_password, &err)) {
		if (err != ENOENT)
			report_missing(d, "replication secret", "secret", dir, name, "password", err);
		return;
	}
	strip_newline(in->replication_password);
}

bool
inputs_load(const struct spec *s, const char *secrets_dir, const char *configmaps_dir,
	    struct inputs *in, struct diag *d)
{
	size_t before = d->errors.n;
	char path[256];
	char gen[64];

	memset(in, 0, sizeof(*in));
	if (s->app_secret != NULL) {
		snprintf(path, sizeof(path), "%s", spec_path(s, "bootstrap.secret"));
		if (load_basic_auth(secrets_dir, s->app_secret, path, &in->app_username,
				    &in->app_password, d)
		    && s->app_owner != NULL && strcmp(in->app_username, s->app_owner) != 0
		    && s->bootstrap == SPEC_BOOTSTRAP_INITDB)
			diag_error(d, path, "secret \"%s\" has username \"%s\" but the owner is \"%s\"; "
				   "the username must match the owner", s->app_secret,
				   in->app_username, s->app_owner);
	} else {
		if (!inputs_generate_password(gen, sizeof(gen)))
			diag_error(d, "bootstrap.secret", "cannot generate a random password (OpenSSL)");
		else
			in->app_password = strdup(gen);
		in->app_generated = true;
	}
	if (s->superuser_secret != NULL && s->enable_superuser_access != 0) {
		char *user = NULL;

		snprintf(path, sizeof(path), "%s", spec_path(s, "superuser.secret"));
		if (load_basic_auth(secrets_dir, s->superuser_secret, path, &user, &in->su_password, d)
		    && strcmp(user, "postgres") != 0)
			diag_error(d, path, "secret \"%s\" has username \"%s\"; the superuser secret's "
				   "username must be \"postgres\"", s->superuser_secret, user);
		free(user);
	} else if (s->enable_superuser_access == 1) {
		if (!inputs_generate_password(gen, sizeof(gen)))
			diag_error(d, "superuser.secret", "cannot generate a random password (OpenSSL)");
		else
			in->su_password = strdup(gen);
		in->su_generated = true;
	}
	OPENSSL_cleanse(gen, sizeof(gen));
	load_sources(s, secrets_dir, in, d);
	load_replication(s, secrets_dir, in, d);
	if (s->bootstrap == SPEC_BOOTSTRAP_INITDB) {
		load_sqlrefs(s, &s->post_init_sql_refs, "postInitSQLRefs", secrets_dir,
			     configmaps_dir, &in->post_init, d);
		load_sqlrefs(s, &s->post_init_template_sql_refs, "postInitTemplateSQLRefs",
			     secrets_dir, configmaps_dir, &in->post_init_template, d);
		load_sqlrefs(s, &s->post_init_application_sql_refs, "postInitApplicationSQLRefs",
			     secrets_dir, configmaps_dir, &in->post_init_application, d);
	}
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

void
inputs_free(struct inputs *in)
{
	free(in->app_username);
	free_secret(&in->app_password);
	free_secret(&in->su_password);
	sqlfiles_free(&in->post_init);
	sqlfiles_free(&in->post_init_template);
	sqlfiles_free(&in->post_init_application);
	for (size_t i = 0; i < in->n_sources; i++) {
		free_secret(&in->sources[i].password);
		free_secret(&in->sources[i].ssl_key);
		free(in->sources[i].ssl_cert);
		free(in->sources[i].ssl_root_cert);
	}
	free(in->sources);
	in->sources = NULL;
	in->n_sources = 0;
	free_secret(&in->replication_password);
	in->app_username = NULL;
}

/* PROVISIONAL (replaced by the spec-model work): the Secrets inputs_load reads. */
static void
names_add(struct strlist *l, const char *name)
{
	if (name == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], name) == 0)
			return;
	strlist_add(l, name);
}

void
inputs_secret_names(const struct spec *s, struct strlist *names)
{
	char repl[300];

	inputs_replication_secret(s, repl, sizeof(repl));
	names_add(names, repl);
	names_add(names, s->app_secret);
	if (s->enable_superuser_access != 0)
		names_add(names, s->superuser_secret);
	for (size_t i = 0; i < s->n_externals; i++) {
		const struct spec_external *e = &s->externals[i];

		if (!source_used(s, e->name))
			continue;
		names_add(names, e->password.name);
		names_add(names, e->ssl_key.name);
		names_add(names, e->ssl_cert.name);
		names_add(names, e->ssl_root_cert.name);
	}
}
