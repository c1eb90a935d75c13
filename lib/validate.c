/*
 * validate.c — spec validation (see validate.h): the single-field checks the
 * field tables of spec.c point at, and the rules relating several fields
 * (the rules[] table), walked in order after every field's own check.
 */
#include "validate.h"

#include "cron.h"
#include "fileio.h"

#include <ctype.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define P(key) spec_path(s, key)

static const char *const managed_parameters[] = {
	"data_directory", "config_file", "hba_file", "ident_file", "external_pid_file",
	"listen_addresses", "port", "unix_socket_directories", "unix_socket_group",
	"unix_socket_permissions", "logging_collector", "log_destination", "log_line_prefix",
};

bool
validate_is_managed_parameter(const char *name)
{
	for (size_t i = 0; i < sizeof(managed_parameters) / sizeof(managed_parameters[0]); i++)
		if (strcasecmp(name, managed_parameters[i]) == 0)
			return true;
	return false;
}

void
validate_instances(const struct spec_check_ctx *c, const void *m, const char *path,
		   struct diag *d)
{
	int n = *(const int *) m;

	(void) c;
	if (n < 1)
		diag_error(d, path, "must be at least 1, got %d", n);
}

/* A role or database name PostgreSQL will accept and pgpod may manage. */
void
validate_check_name(struct diag *d, const char *path, const char *what, const char *name)
{
	if (name == NULL)
		return;
	if (*name == '\0' || strlen(name) > 63)
		diag_error(d, path, "%s name must be 1 to 63 bytes long, got \"%s\"", what, name);
	else if (!file_name_safe(name))
		diag_error(d, path, "%s name \"%s\" cannot be used: no '/', '\\', \"..\" or control "
			   "characters (pgpod names files after it)", what, name);
}

void
validate_role_name(const struct spec_check_ctx *c, const void *m, const char *path,
		   struct diag *d)
{
	(void) c;
	validate_check_name(d, path, "role", *(char *const *) m);
}

void
validate_database(const struct spec_check_ctx *c, const void *m, const char *path,
		  struct diag *d)
{
	const char *db = *(char *const *) m;

	(void) c;
	validate_check_name(d, path, "database", db);
	if (db && (strcmp(db, "template0") == 0 || strcmp(db, "template1") == 0))
		diag_error(d, path, "\"%s\" is a template database; "
			   "choose another name (the default is \"app\")", db);
}

void
validate_owner(const struct spec_check_ctx *c, const void *m, const char *path, struct diag *d)
{
	const char *owner = *(char *const *) m;

	(void) c;
	validate_check_name(d, path, "role", owner);
	if (owner && (strcmp(owner, "postgres") == 0 || strcmp(owner, "streaming_replica") == 0))
		diag_error(d, path, "\"%s\" is reserved for pgpod; the application "
			   "owner must be an unprivileged role", owner);
	if (owner && strncmp(owner, "pg_", 3) == 0)
		diag_error(d, path, "role names starting with \"pg_\" are reserved "
			   "by PostgreSQL, got \"%s\"", owner);
}

/* Server encodings, compared as PostgreSQL does (case and '-'/'_' ignored). */
static bool
encoding_known(const char *name)
{
	static const char *const names[] = {
		"sqlascii", "eucjp", "euccn", "euckr", "euctw", "eucjis2004", "utf8", "unicode",
		"muleinternal", "latin1", "latin2", "latin3", "latin4", "latin5", "latin6",
		"latin7", "latin8", "latin9", "latin10", "win1256", "win1258", "win866",
		"win874", "koi8r", "koi8", "win1251", "win1252", "iso88595", "iso88596",
		"iso88597", "iso88598", "win1250", "win1253", "win1254", "win1255", "win1257",
		"koi8u", "alt", "win", "iso885910", "iso885913", "iso885914", "iso885915",
		"iso885916", "iso88591", "iso88592", "iso88593", "iso88594", "iso88599",
		"tcvn", "tcvn5712", "vscii", "abc", "cp1250", "cp1251", "cp1252", "cp1253",
		"cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "cp866", "cp874",
		"windows1250", "windows1251", "windows1252", "windows1253", "windows1254",
		"windows1255", "windows1256", "windows1257", "windows1258", "windows866",
		"windows874",
	};
	char norm[32];
	size_t n = 0;

	for (const char *p = name; *p && n < sizeof(norm) - 1; p++)
		if (isalnum((unsigned char) *p))
			norm[n++] = (char) tolower((unsigned char) *p);
	norm[n] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(norm, names[i]) == 0)
			return true;
	return false;
}

void
validate_encoding(const struct spec_check_ctx *c, const void *m, const char *path,
		  struct diag *d)
{
	const char *enc = *(char *const *) m;

	(void) c;
	if (enc && !encoding_known(enc))
		diag_error(d, path, "\"%s\" is not a PostgreSQL server "
			   "encoding (for example UTF8, LATIN1, SQL_ASCII)", enc);
}

void
validate_wal_segment_size(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d)
{
	int w = *(const int *) m;

	(void) c;
	if (w != -1 && (w < 1 || w > 1024 || (w & (w - 1)) != 0))
		diag_error(d, path, "must be a power of two between "
			   "1 and 1024 (megabytes), got %d", w);
}

void
validate_locale_provider(const struct spec_check_ctx *c, const void *m, const char *path,
			 struct diag *d)
{
	const char *prov = *(char *const *) m;
	bool builtin = prov != NULL && strcmp(prov, "builtin") == 0;

	if (prov == NULL)
		return;
	if (c->major < 15)
		diag_error(d, path, "needs PostgreSQL 15 or newer; this image has PostgreSQL %d",
			   c->major);
	else if (strcmp(prov, "libc") != 0 && strcmp(prov, "icu") != 0 && !builtin)
		diag_error(d, path, "must be libc, icu or builtin, got \"%s\"", prov);
	else if (builtin && c->major < 17)
		diag_error(d, path, "\"builtin\" needs PostgreSQL 17 or newer; this image has "
			   "PostgreSQL %d", c->major);
}

/* The locale fields that only make sense with a given provider and major:
 * what each needs, and the message when it is missing. */
static const struct {
	const char *key;
	size_t      offset;
	const char *provider;
	int         major;
} provider_fields[] = {
	{ "bootstrap.initdb.icuLocale", offsetof(struct spec, icu_locale), "icu", 15 },
	{ "bootstrap.initdb.icuRules", offsetof(struct spec, icu_rules), "icu", 16 },
	{ "bootstrap.initdb.builtinLocale", offsetof(struct spec, builtin_locale), "builtin", 17 },
};

static void
rule_locale_provider(const struct spec *s, int major, struct diag *d)
{
	const char *prov = s->locale_provider;

	for (size_t i = 0; i < sizeof(provider_fields) / sizeof(provider_fields[0]); i++) {
		const char *v = *(char *const *) ((const char *) s + provider_fields[i].offset);

		if (v == NULL)
			continue;
		if (prov == NULL || strcmp(prov, provider_fields[i].provider) != 0)
			diag_error(d, P(provider_fields[i].key), "needs localeProvider: %s",
				   provider_fields[i].provider);
		else if (major < provider_fields[i].major)
			diag_error(d, P(provider_fields[i].key), "needs PostgreSQL %d or newer; "
				   "this image has PostgreSQL %d", provider_fields[i].major, major);
	}
	if (s->icu_locale == NULL && prov != NULL && strcmp(prov, "icu") == 0 && s->locale == NULL)
		diag_error(d, P("bootstrap.initdb.localeProvider"), "icu needs icuLocale (or locale)");
}

/* A locale's codeset as a PostgreSQL encoding name ("" when unknown). */
static const char *
codeset_encoding(const char *codeset)
{
	static const struct {
		const char *codeset;
		const char *encoding;
	} map[] = {
		{ "utf8", "utf8" }, { "iso88591", "latin1" }, { "iso88592", "latin2" },
		{ "iso88593", "latin3" }, { "iso88594", "latin4" }, { "iso88599", "latin5" },
		{ "iso885910", "latin6" }, { "iso885913", "latin7" }, { "iso885914", "latin8" },
		{ "iso885915", "latin9" }, { "iso885916", "latin10" }, { "koi8r", "koi8r" },
		{ "koi8u", "koi8u" }, { "eucjp", "eucjp" }, { "euckr", "euckr" },
		{ "cp1251", "win1251" }, { "iso88595", "iso88595" }, { "iso88597", "iso88597" },
	};
	char norm[32];
	size_t n = 0;

	for (const char *p = codeset; *p && n < sizeof(norm) - 1; p++)
		if (isalnum((unsigned char) *p))
			norm[n++] = (char) tolower((unsigned char) *p);
	norm[n] = '\0';
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(norm, map[i].codeset) == 0)
			return map[i].encoding;
	return "";
}

/* The encoding name normalized as PostgreSQL compares them. */
static void
encoding_norm(const char *name, char *buf, size_t cap)
{
	size_t n = 0;

	for (const char *p = name; *p && n < cap - 1; p++)
		if (isalnum((unsigned char) *p))
			buf[n++] = (char) tolower((unsigned char) *p);
	buf[n] = '\0';
	if (strcmp(buf, "unicode") == 0)
		snprintf(buf, cap, "utf8");
}

/* A locale must exist on this machine and match the encoding (initdb would
 * refuse it only after creating PGDATA). */
static void
check_locale(const struct spec *s, const char *key, int mask, const char *name, struct diag *d)
{
	locale_t loc;
	const char *enc;
	char want[32];

	if (name == NULL || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0)
		return;
	loc = newlocale(mask, name, (locale_t) 0);
	if (loc == (locale_t) 0) {
		diag_error(d, P(key), "locale \"%s\" is not available on this system (see `locale "
			   "-a`; build it with localedef or choose another)", name);
		return;
	}
	enc = codeset_encoding(nl_langinfo_l(CODESET, loc));
	encoding_norm(s->encoding ? s->encoding : "UTF8", want, sizeof(want));
	if (*enc && strcmp(want, "sqlascii") != 0 && strcmp(enc, want) != 0)
		diag_error(d, P(key), "locale \"%s\" uses %s, which does not match the encoding "
			   "%s; choose a matching locale or encoding", name,
			   nl_langinfo_l(CODESET, loc), s->encoding ? s->encoding : "UTF8");
	freelocale(loc);
}

static void
rule_locales(const struct spec *s, int major, struct diag *d)
{
	(void) major;
	if (s->bootstrap != SPEC_BOOTSTRAP_INITDB)
		return;
	check_locale(s, "bootstrap.initdb.locale", LC_ALL_MASK, s->locale, d);
	check_locale(s, "bootstrap.initdb.localeCollate", LC_COLLATE_MASK, s->locale_collate, d);
	check_locale(s, "bootstrap.initdb.localeCType", LC_CTYPE_MASK, s->locale_ctype, d);
}

/*
 * The deprecated initdb.options may not take over what pgpod decides. initdb
 * parses its arguments with getopt_long, so the check does too: long options
 * match by any prefix ("--user=bob" is --username), short options bundle
 * ("-kUbob" is -k -U bob), and a bare word that is not an option's value is
 * the data directory.
 */
static const char WHY_AUTH[] = "authentication is configured by pgpod (pg_hba.conf)";
static const char WHY_PGDATA[] = "the data directory is --pgdata";
static const char WHY_PASSWORD[] = "the superuser password comes from spec.superuserSecret";
static const char WHY_USER[] = "the superuser is always postgres";

static const struct {
	const char *name;	/* long form */
	char        letter;	/* short form, or 0 */
	const char *why;
} initdb_refused[] = {
	{ "auth", 'A', WHY_AUTH },
	{ "auth-host", 0, WHY_AUTH },
	{ "auth-local", 0, WHY_AUTH },
	{ "pgdata", 'D', WHY_PGDATA },
	{ "pwfile", 0, WHY_PASSWORD },
	{ "pwprompt", 'W', WHY_PASSWORD },
	{ "username", 'U', WHY_USER },
};

/* initdb's options that take a value (PostgreSQL 15 to 18). */
static const char initdb_short_with_value[] = "AcDELTUX";
static const char *const initdb_long_with_value[] = {
	"auth", "auth-host", "auth-local", "builtin-locale", "encoding", "icu-locale",
	"icu-rules", "lc-collate", "lc-ctype", "lc-messages", "lc-monetary", "lc-numeric",
	"lc-time", "locale", "locale-provider", "pgdata", "pwfile", "set", "sync-method",
	"text-search-config", "username", "waldir", "wal-segsize",
};

/* The reason opt is refused, or NULL; *value_next when the next element is
 * this option's value. */
static const char *
initdb_option_refused(const char *opt, bool *value_next)
{
	*value_next = false;
	if (strncmp(opt, "--", 2) == 0) {
		const char *name = opt + 2;
		size_t n = strcspn(name, "=");

		if (n == 0)
			return *name ? NULL : WHY_PGDATA;	/* "--": what follows is positional */
		for (size_t k = 0; k < sizeof(initdb_refused) / sizeof(initdb_refused[0]); k++)
			if (strncmp(initdb_refused[k].name, name, n) == 0)
				return initdb_refused[k].why;
		for (size_t k = 0; name[n] != '=' && k < sizeof(initdb_long_with_value)
		     / sizeof(initdb_long_with_value[0]); k++)
			if (strncmp(initdb_long_with_value[k], name, n) == 0)
				*value_next = true;
		return NULL;
	}
	if (opt[0] == '-' && opt[1] != '\0') {
		for (const char *c = opt + 1; *c; c++) {
			for (size_t k = 0; k < sizeof(initdb_refused) / sizeof(initdb_refused[0]); k++)
				if (initdb_refused[k].letter == *c)
					return initdb_refused[k].why;
			if (strchr(initdb_short_with_value, *c) != NULL) {
				*value_next = c[1] == '\0';
				break;
			}
		}
		return NULL;
	}
	return WHY_PGDATA;	/* a positional argument is the data directory */
}

void
validate_initdb_options(const struct spec_check_ctx *c, const void *m, const char *path,
			struct diag *d)
{
	const struct strlist *o = m;
	bool is_value = false;

	(void) c;
	for (size_t i = 0; i < o->n; i++) {
		const char *why = NULL;

		if (is_value)
			is_value = false;
		else
			why = initdb_option_refused(o->items[i], &is_value);
		if (why != NULL)
			diag_error(d, path, "\"%s\" is not allowed: %s "
				   "(initdb.options is deprecated; use the dedicated fields)",
				   o->items[i], why);
	}
	if (o->n > 0)
		diag_warn(d, path, "deprecated; use the dedicated initdb fields");
}

void
validate_parameters(const struct spec_check_ctx *c, const void *m, const char *path,
		    struct diag *d)
{
	const struct kvlist *l = m;
	char p[256];

	(void) c;
	for (size_t i = 0; i < l->n; i++) {
		const char *k = l->items[i].key;
		bool ok = *k && (isalpha((unsigned char) *k) || *k == '_');

		snprintf(p, sizeof(p), "%s.%s", path, k);
		for (const char *q = k; *q; q++)
			ok = ok && (isalnum((unsigned char) *q) || *q == '_' || *q == '.');
		if (!ok)
			diag_error(d, p, "is not a valid parameter name");
		else if (validate_is_managed_parameter(k))
			diag_error(d, p, "is managed by pgpod (see --pg-port, --pg-listen, --run-dir, "
				   "--pgdata) and cannot be set here");
		if (strpbrk(l->items[i].value, "\n\r") != NULL)
			diag_error(d, p, "value must be a single line");
	}
}

void
validate_pg_hba(const struct spec_check_ctx *c, const void *m, const char *path, struct diag *d)
{
	static const char *const types[] = {
		"local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc",
		"include", "include_if_exists", "include_dir",
	};
	const struct strlist *l = m;
	char p[256];

	for (size_t i = 0; i < l->n; i++) {
		const char *line = l->items[i];
		size_t n = strcspn(line, " \t");
		bool known = false;

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			known = known || (strlen(types[k]) == n && strncmp(line, types[k], n) == 0);
		if (strpbrk(line, "\n\r") != NULL)
			diag_error(d, p, "must be a single line");
		else if (known && strncmp(line, "include", 7) == 0 && c->major < 16)
			diag_error(d, p, "\"%.*s\" directives exist in pg_hba.conf from PostgreSQL "
				   "16 on; the installed major is %d", (int) n, line, c->major);
		else if (!known)
			diag_error(d, p, "\"%.*s\" is not a pg_hba.conf connection type (local, host, "
				   "hostssl, hostnossl, ...)", (int) n, line);
	}
}

void
validate_postgres_version(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d)
{
	int v = *(const int *) m;

	if (v > 0 && v != c->major)
		diag_error(d, path, "the spec asks for PostgreSQL %d but this image has PostgreSQL %d; "
			   "use an image of the same major version", v, c->major);
}

void
validate_size(const struct spec_check_ctx *c, const void *m, const char *path, struct diag *d)
{
	const char *v = *(char *const *) m;
	long long bytes;

	(void) c;
	if (v != NULL && !spec_parse_size(v, &bytes))
		diag_error(d, path, "\"%s\" is not a size: write a number of bytes with an optional "
			   "unit (16Mi, 1Gi, 16MB)", v);
}

/* externalClusters names become file names: no '/', '\' or '..', once each. */
void
validate_external_name(const struct spec_check_ctx *c, const void *m, const char *path,
		       struct diag *d)
{
	const char *n = *(char *const *) m;

	if (n == NULL)
		return;
	if (*n == '\0' || strchr(n, '/') || strchr(n, '\\') || strstr(n, "..") || !file_name_safe(n))
		diag_error(d, path, "\"%s\" is not a valid name (no '/', '\\' or '..')", n);
	for (size_t k = 0; k < c->index && k < c->s->n_externals; k++)
		if (c->s->externals[k].name && strcmp(c->s->externals[k].name, n) == 0)
			diag_error(d, path, "\"%s\" is defined twice", n);
}

/* A password in connectionParameters is never used. */
void
validate_conn_params(const struct spec_check_ctx *c, const void *m, const char *path,
		     struct diag *d)
{
	const struct kvlist *l = m;
	char p[512];

	(void) c;
	for (size_t k = 0; k < l->n; k++) {
		const char *key = l->items[k].key;

		if (strcmp(key, "password") != 0 && strcmp(key, "sslpassword") != 0)
			continue;
		snprintf(p, sizeof(p), "%s.%s", path, key);
		diag_warn(d, p, "is ignored: pgpod never puts a password in a connection string; "
			  "put it in a Secret and refer to it with \"password: {name, key}\"");
	}
}

/* ---- sources ---- */

static bool
repo_defined(const struct spec *s, const char *name)
{
	for (size_t i = 0; i < s->n_repos; i++)
		if (s->repos[i].name != NULL && strcmp(s->repos[i].name, name) == 0)
			return true;
	return false;
}

static void
source_external(const struct spec *s, const char *name, const char *path, struct diag *d)
{
	if (spec_external_find(s, name) == NULL)
		diag_error(d, path, "\"%s\" is not defined in externalClusters", name);
}

/* A repository of this cluster: checked when the document declares its
 * repositories at all. */
static void
source_repo(const struct spec *s, const char *name, const char *path, struct diag *d)
{
	if (s->n_repos > 0 && !repo_defined(s, name))
		diag_error(d, path, "\"%s\" is not defined in %s", name, P("repos"));
}

/* What a source of each kind must name; NULL: nothing this document can
 * check (another cluster's repository, or the one described with it). A
 * source of no stated kind (a model built by hand) is CloudNativePG's: an
 * externalClusters entry. */
static void (*const source_checks[])(const struct spec *, const char *, const char *,
				     struct diag *) = {
	[SPEC_SOURCE_NONE] = source_external,
	[SPEC_SOURCE_EXTERNAL] = source_external,
	[SPEC_SOURCE_REPO] = source_repo,
	[SPEC_SOURCE_DATASOURCE_REPO] = NULL,
	[SPEC_SOURCE_CLUSTER] = NULL,
};

/* pg_basebackup clones an externalClusters entry it can connect to. */
static void
rule_clone(const struct spec *s, int major, struct diag *d)
{
	const struct spec_external *e;

	(void) major;
	if (s->bootstrap != SPEC_BOOTSTRAP_PG_BASEBACKUP)
		return;
	if (s->clone_source == NULL)
		diag_error(d, P("bootstrap.clone.source"), "is required for pg_basebackup");
	else if ((e = spec_external_find(s, s->clone_source)) == NULL)
		diag_error(d, P("bootstrap.clone.source"), "\"%s\" is not defined in "
			   "externalClusters", s->clone_source);
	else if (e->conn.n == 0)
		diag_error(d, P("bootstrap.clone.source"), "external cluster \"%s\" has no "
			   "connectionParameters, which pg_basebackup needs", s->clone_source);
}

/* An enabled replica cluster follows an external cluster it can stream
 * from (CloudNativePG) or a repository of this cluster (PGO). */
static void
rule_standby(const struct spec *s, int major, struct diag *d)
{
	const struct spec_external *e;

	(void) major;
	if (s->standby_enabled != 1)
		return;
	if (s->standby_source_kind == SPEC_SOURCE_REPO && s->standby_source != NULL)
		source_repo(s, s->standby_source, P("standby.source"), d);
	/* an external cluster: CloudNativePG's, or a source of no stated kind */
	if (s->standby_source_kind != SPEC_SOURCE_EXTERNAL
	    && (s->standby_source_kind != SPEC_SOURCE_NONE || s->standby_source == NULL))
		return;
	if (s->standby_source == NULL)
		diag_error(d, P("standby.source"), "is required when the replica cluster is enabled");
	else if ((e = spec_external_find(s, s->standby_source)) == NULL)
		diag_error(d, P("standby.source"), "\"%s\" is not defined in externalClusters",
			   s->standby_source);
	else if (e->conn.n == 0 && !e->has_object_store)
		diag_error(d, P("standby.source"), "external cluster \"%s\" has neither "
			   "connectionParameters nor barmanObjectStore: a replica cluster streams "
			   "from it or follows its WAL archive",
			   s->standby_source);
}

/* ---- restores ---- */

/* What each kind of recovery target takes. */
static const struct {
	bool value;		/* needs a value (and nothing else has one) */
	bool exclusive;		/* may stop just before it */
	bool own_key;		/* has its own key (<prefix>.target.<name>) */
} target_rules[] = {
	[SPEC_TARGET_NONE] = { false, false, false },
	[SPEC_TARGET_TIME] = { true, true, true },
	[SPEC_TARGET_XID] = { true, true, true },
	[SPEC_TARGET_NAME] = { true, false, true },
	[SPEC_TARGET_LSN] = { true, true, true },
	[SPEC_TARGET_IMMEDIATE] = { false, false, true },
	[SPEC_TARGET_DEFAULT] = { false, false, false },
	[SPEC_TARGET_STANDBY] = { false, false, false },
	[SPEC_TARGET_PRESERVE] = { false, false, false },
};

/* The user path of a restore's member "<prefix>.<rest>", into buf. */
static const char *
restore_path(const struct spec *s, const char *prefix, const char *rest, char *buf, size_t cap)
{
	char key[128];

	snprintf(key, sizeof(key), "%s.%s", prefix, rest);
	snprintf(buf, cap, "%s", spec_path(s, key));
	return buf;
}

/* The user path of the target's kind: its own key or target.type. */
static const char *
target_path(const struct spec *s, const char *prefix, enum spec_target_kind k, char *buf,
	    size_t cap)
{
	char rest[64];

	snprintf(rest, sizeof(rest), "target.%s", target_rules[k].own_key
		 ? spec_target_name(k) : "type");
	return restore_path(s, prefix, rest, buf, cap);
}

/* One target at most; a value exactly where the kind takes one; exclusive
 * only where it means something. */
static void
check_target(const struct spec *s, const char *prefix, const struct spec_target *t,
	     struct diag *d)
{
	char path[256], xpath[256];
	const char *name = spec_target_name(t->kind);
	char found[128] = "";

	target_path(s, prefix, t->kind, path, sizeof(path));
	for (int k = SPEC_TARGET_TIME; k <= SPEC_TARGET_PRESERVE; k++)
		if (t->given & (1u << k))
			snprintf(found + strlen(found), sizeof(found) - strlen(found), "%s%s",
				 *found ? ", " : "", spec_target_name(k));
	if (strchr(found, ',') != NULL)
		diag_error(d, path, "only one recovery target may be given, found %s", found);
	if (target_rules[t->kind].value && (t->value == NULL || *t->value == '\0'))
		diag_error(d, path, "a %s recovery target needs a value", name);
	else if (!target_rules[t->kind].value && t->value != NULL && name == NULL)
		diag_error(d, path, "a recovery target value (\"%s\") needs a target type: time, "
			   "xid, name or lsn", t->value);
	else if (!target_rules[t->kind].value && t->value != NULL)
		diag_error(d, path, "a%s %s recovery target takes no value, got \"%s\"",
			   t->kind == SPEC_TARGET_IMMEDIATE ? "n" : "", name, t->value);
	if (t->exclusive == 1 && !target_rules[t->kind].exclusive)
		diag_error(d, restore_path(s, prefix, "target.exclusive", xpath, sizeof(xpath)),
			   "applies only to a time, "
			   "xid or lsn recovery target");
}

/* pgBackRest options pgpod sets itself. */
static const struct {
	const char *name;
	const char *why;
} restore_refused[] = {
	{ "repo", "pgpod restores from the repository the spec names" },
	{ "stanza", "pgpod sets the stanza itself" },
	{ "pg1-path", "pgpod restores into its own data directory (--pgdata)" },
	{ "link-map", "pgpod keeps every file of the cluster in its data directory" },
};

/* Options pgpod sets itself are refused where they were written. */
static void
check_restore_options(const struct spec *s, const char *prefix, const struct spec_restore *r,
		      struct diag *d)
{
	char path[256];

	restore_path(s, prefix, "options", path, sizeof(path));
	for (size_t i = 0; i < r->passthrough.n; i++) {
		const char *w = r->passthrough.items[i];
		const char *name = strncmp(w, "--", 2) == 0 ? w + 2 : "";
		size_t n = strcspn(name, "=");

		if (*name == '\0') {
			diag_error(d, path, "\"%s\" is not an option (options start with --); a value "
				   "with spaces is quoted as in a shell: --target=\"2021-06-09 "
				   "14:15:11-04\"", w);
			continue;
		}

		for (size_t k = 0; k < sizeof(restore_refused) / sizeof(restore_refused[0]); k++)
			if (n == strlen(restore_refused[k].name)
			    && strncmp(name, restore_refused[k].name, n) == 0)
				diag_error(d, path, "\"%s\" is not allowed: %s", w,
					   restore_refused[k].why);
	}
	if (r->target_action != NULL)
		diag_error(d, restore_path(s, prefix, "target.action", path, sizeof(path)),
			   "\"--target-action=%s\" is not allowed: pgpod decides what happens at the "
			   "target (the restored cluster is promoted)", r->target_action);
}

/* The two restores of the model, each checked the same way; its source only
 * while it is in use. */
static bool
restore_bootstrap_used(const struct spec *s)
{
	return s->bootstrap == SPEC_BOOTSTRAP_RECOVERY;
}

static bool
restore_inplace_used(const struct spec *s)
{
	return s->inplace_restore_enabled == 1;
}

static const struct {
	const char *prefix;
	const char *source_key;
	size_t      offset;
	bool      (*used)(const struct spec *s);
} restores[] = {
	{ "bootstrap.restore", "bootstrap.restore.source", offsetof(struct spec, restore),
	  restore_bootstrap_used },
	{ "restoreInPlace", "restoreInPlace.repo", offsetof(struct spec, inplace),
	  restore_inplace_used },
};

/* Both restores: their targets and options always, their sources while in use. */
static void
rule_restores(const struct spec *s, int major, struct diag *d)
{
	(void) major;
	for (size_t i = 0; i < sizeof(restores) / sizeof(restores[0]); i++) {
		const struct spec_restore *r = (const void *) ((const char *) s + restores[i].offset);

		check_target(s, restores[i].prefix, &r->target, d);
		check_restore_options(s, restores[i].prefix, r, d);
		if (restores[i].used(s) && r->source != NULL && source_checks[r->source_kind] != NULL)
			source_checks[r->source_kind](s, r->source, P(restores[i].source_key), d);
	}
}

/* ---- pgBackRest ---- */

void
validate_schedule(const struct spec_check_ctx *c, const void *m, const char *path, struct diag *d)
{
	const char *text = *(char *const *) m;
	struct cron cr;
	char why[200];

	(void) c;
	if (text != NULL && !cron_parse(text, &cr, why, sizeof(why)))
		diag_error(d, path, "\"%s\" is not a schedule: %s (five fields, as a Kubernetes "
			   "CronJob: minute hour day-of-month month day-of-week, in UTC)", text, why);
}

/* A Kubernetes object name (a DNS subdomain): it is a directory name under
 * --secrets-dir or --configmaps-dir. */
void
validate_object_name(const struct spec_check_ctx *c, const void *m, const char *path,
		     struct diag *d)
{
	const char *n = *(char *const *) m;
	size_t len = n != NULL ? strlen(n) : 0;

	(void) c;
	if (n == NULL)
		return;
	if (len == 0 || len > 253 || strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-.") != len
	    || !isalnum((unsigned char) n[0]) || !isalnum((unsigned char) n[len - 1])
	    || strstr(n, "..") != NULL)
		diag_error(d, path, "\"%s\" is not a Kubernetes object name (lower-case letters, "
			   "digits, '-' and '.', starting and ending with a letter or digit)", n);
}

/* pgBackRest options pgpod writes itself, by prefix. */
static const struct {
	const char *prefix;
	const char *why;
} pgbackrest_owned[] = {
	{ "pg", "pgpod describes this cluster (pg1-path, pg1-port, pg1-socket-path) itself" },
	{ "config", "pgpod gives pgBackRest one configuration file of its own" },
	{ "stanza", "pgpod names the stanza \"db\", as PGO does" },
	{ "lock-path", "pgpod keeps pgBackRest's locks in its run directory" },
};

const char *
validate_pgbackrest_owned(const char *key)
{
	for (size_t j = 0; j < sizeof(pgbackrest_owned) / sizeof(pgbackrest_owned[0]); j++) {
		size_t n = strlen(pgbackrest_owned[j].prefix);

		if (strncmp(key, pgbackrest_owned[j].prefix, n) == 0
		    && (key[n] == '\0' || key[n] == '-' || isdigit((unsigned char) key[n])))
			return pgbackrest_owned[j].why;
	}
	return NULL;
}

bool
validate_pgbackrest_option(const char *key)
{
	size_t len = strlen(key);

	return len > 0 && len <= 64 && strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-") == len
		&& islower((unsigned char) key[0]);
}

/* Settings of a pgBackRest global section: option names, one-line values,
 * none that pgpod sets itself. */
void
validate_pgbackrest_global(const struct spec_check_ctx *c, const void *m, const char *path,
			   struct diag *d)
{
	const struct kvlist *kv = m;
	char p[300];

	(void) c;
	for (size_t i = 0; i < kv->n; i++) {
		const char *k = kv->items[i].key, *v = kv->items[i].value;
		const char *why;

		snprintf(p, sizeof(p), "%s.%s", path, k);
		if (strlen(k) == 5 && strncmp(k, "repo", 4) == 0 && k[4] >= '1' && k[4] <= '4')
			diag_warn(d, p, "is not a pgBackRest option: pgpod takes it as %s-path, as "
				  "Percona's migration guide writes it; write %s-path", k, k);
		else if (!validate_pgbackrest_option(k))
			diag_error(d, p, "is not a pgBackRest option name (lower-case letters, digits "
				   "and '-', e.g. repo1-retention-full)");
		else if (v != NULL && v[strcspn(v, "\r\n")] != '\0')
			diag_error(d, p, "must be one line: a pgBackRest setting has no line breaks");
		else if ((why = validate_pgbackrest_owned(k)) != NULL)
			diag_error(d, p, "cannot be set here: %s", why);
	}
}

/* Repositories are repo1..repo4, each once (pgBackRest's indexes). */
static void
rule_repos(const struct spec *s, int major, struct diag *d)
{
	(void) major;
	for (size_t i = 0; i < s->n_repos; i++) {
		const char *n = s->repos[i].name;
		char p[300];

		if (n == NULL)
			continue;
		snprintf(p, sizeof(p), "%s.name", s->repos[i].origin ? s->repos[i].origin : "repos");
		if (strlen(n) != 5 || strncmp(n, "repo", 4) != 0 || n[4] < '1' || n[4] > '4')
			diag_error(d, p, "\"%s\" is not a repository name: repo1, repo2, repo3 or "
				   "repo4", n);
		for (size_t k = 0; k < i; k++)
			if (s->repos[k].name != NULL && strcmp(s->repos[k].name, n) == 0)
				diag_error(d, p, "\"%s\" is defined twice", n);
		if (s->repos[i].kind == NULL)
			diag_error(d, s->repos[i].origin ? s->repos[i].origin : "repos",
				   "needs one of volume, s3, gcs or azure");
	}
	for (size_t i = 0; s->n_repos > 0 && i < s->parameters.n; i++) {
		const char *k = s->parameters.items[i].key;
		char p[300];

		if (strcasecmp(k, "archive_mode") != 0 && strcasecmp(k, "archive_command") != 0)
			continue;
		snprintf(p, sizeof(p), "%s.%s", P("postgresql.parameters"), k);
		diag_warn(d, p, "is ignored: pgpod archives WAL to the pgBackRest repositories of %s",
			  P("repos"));
	}
}

static void
rule_misc(const struct spec *s, int major, struct diag *d)
{
	(void) major;
	if (s->smart_shutdown_timeout > s->stop_delay)
		diag_error(d, P("smartShutdownTimeout"), "(%d s) must not exceed stopDelay (%d s)",
			   s->smart_shutdown_timeout, s->stop_delay);
	if (s->superuser_secret != NULL && s->enable_superuser_access == 0)
		diag_warn(d, P("superuser.secret"), "is ignored because enableSuperuserAccess is false");
}

/* pgpod makes no certificate (CloudNativePG's operator does when a
 * Secret is not given): every TLS field needs the server's own, and a
 * replica's client certificate needs the CA the primary checks it with and
 * the one the replica checks the primary with. */
static void
rule_tls(const struct spec *s, int major, struct diag *d)
{
	const struct {
		const char *key;
		bool        given;
	} others[] = {
		{ "certificates.serverCASecret", s->tls_server_ca_secret != NULL },
		{ "certificates.clientCASecret", s->tls_client_ca_secret != NULL },
		{ "certificates.replicationTLSSecret", s->tls_replication_secret != NULL },
		{ "certificates.serverAltDNSNames", s->tls_alt_dns_names.n > 0 },
	};
	static const char *const ssl_params[] = {
		"ssl", "ssl_cert_file", "ssl_key_file", "ssl_ca_file",
	};

	(void) major;
	for (size_t i = 0; s->tls_server_secret == NULL && i < sizeof(others) / sizeof(others[0]); i++)
		if (others[i].given)
			diag_error(d, P(others[i].key), "needs certificates.serverTLSSecret: pgpod makes "
				   "no certificate, the server's must be given");
	if (s->tls_replication_secret != NULL && s->tls_client_ca_secret == NULL)
		diag_error(d, P("certificates.replicationTLSSecret"), "needs clientCASecret: the "
			   "primary checks the replicas' certificate with that CA");
	if (s->tls_replication_secret != NULL && s->tls_server_ca_secret == NULL)
		diag_error(d, P("certificates.replicationTLSSecret"), "needs serverCASecret: replicas "
			   "check the primary's certificate with that CA");
	for (size_t i = 0; s->tls_server_secret != NULL && i < sizeof(ssl_params) / sizeof(ssl_params[0]);
	     i++)
		if (kvlist_get(&s->parameters, ssl_params[i]) != NULL)
			diag_error(d, P("postgresql.parameters"), "sets %s, which pgpod sets from %s",
				   ssl_params[i], P("certificates.serverTLSSecret"));
}

static void
rule_import(const struct spec *s, int major, struct diag *d)
{
	(void) major;
	validate_import_rules(s, d);
}

/* The rules that relate several fields, after every field's own check. */
static void (*const rules[])(const struct spec *, int, struct diag *) = {
	rule_locale_provider,
	rule_locales,
	rule_clone,
	rule_import,
	rule_restores,
	rule_standby,
	rule_repos,
	rule_misc,
	rule_tls,
	validate_rule_managed,
};

static void validate_field(const struct spec_check_ctx *c, const struct spec_field *f,
			   const void *base, const char *path, struct diag *d);

/* Every field of every item of a list (or of one object). */
static void
validate_items(const struct spec_check_ctx *outer, const struct spec_field *f, const void *base,
	       const char *lpath, struct diag *d)
{
	const struct spec_list *l = f->list;
	const char *m = (const char *) base + f->offset;
	const char *items = f->type == SPEC_T_OBJECT ? m : *(char *const *) m;
	size_t n = f->type == SPEC_T_OBJECT ? 1 : *(const size_t *) ((const char *) base + l->count);

	for (size_t i = 0; i < n; i++) {
		struct spec_check_ctx c = *outer;
		const char *item = items + i * l->size;

		c.item = item;
		c.index = i;
		for (size_t k = 0; k < l->nfields; k++) {
			char path[512];

			spec_item_path(l, item, &l->fields[k], lpath, i, path, sizeof(path));
			validate_field(&c, &l->fields[k], item, path, d);
		}
	}
}

/* A field's own check, then the fields of its items (lists of objects). */
static void
validate_field(const struct spec_check_ctx *c, const struct spec_field *f, const void *base,
	       const char *path, struct diag *d)
{
	if (f->check != NULL)
		f->check(c, (const char *) base + f->offset, path, d);
	if (f->type == SPEC_T_OBJECT || f->type == SPEC_T_OBJLIST)
		validate_items(c, f, base, path, d);
}

void
validate_spec(const struct spec *s, int pg_major, struct diag *d)
{
	struct spec_check_ctx c = { .s = s, .item = NULL, .index = 0, .major = pg_major };

	for (size_t i = 0; i < spec_nfields; i++)
		validate_field(&c, &spec_fields[i], s, spec_path(s, spec_fields[i].key), d);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		rules[i](s, pg_major, d);
}
