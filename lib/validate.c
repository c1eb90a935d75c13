/*
 * validate.c — spec validation rules (see validate.h). Every rule is a
 * small function of the table below, walked in order.
 */
#include "validate.h"

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

static void
rule_instances(const struct spec *s, int major, struct diag *d)
{
	(void) major;
	if (s->instances < 1)
		diag_error(d, P("instances"), "must be at least 1, got %d", s->instances);
}

/* A role or database name PostgreSQL will accept and pgpod may manage. */
static void
check_name(struct diag *d, const char *path, const char *what, const char *name)
{
	if (name == NULL)
		return;
	if (*name == '\0' || strlen(name) > 63)
		diag_error(d, path, "%s name must be 1 to 63 bytes long, got \"%s\"", what, name);
}

static void
rule_app(const struct spec *s, int major, struct diag *d)
{
	(void) major;
	check_name(d, P("bootstrap.database"), "database", s->app_database);
	check_name(d, P("bootstrap.owner"), "role", s->app_owner);
	if (s->app_database && (strcmp(s->app_database, "template0") == 0
				|| strcmp(s->app_database, "template1") == 0))
		diag_error(d, P("bootstrap.database"), "\"%s\" is a template database; "
			   "choose another name (the default is \"app\")", s->app_database);
	if (s->app_owner && (strcmp(s->app_owner, "postgres") == 0
			     || strcmp(s->app_owner, "streaming_replica") == 0))
		diag_error(d, P("bootstrap.owner"), "\"%s\" is reserved for pgpod; the application "
			   "owner must be an unprivileged role", s->app_owner);
	if (s->app_owner && strncmp(s->app_owner, "pg_", 3) == 0)
		diag_error(d, P("bootstrap.owner"), "role names starting with \"pg_\" are reserved "
			   "by PostgreSQL, got \"%s\"", s->app_owner);
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

static void
rule_initdb(const struct spec *s, int major, struct diag *d)
{
	const char *prov = s->locale_provider;
	int w = s->wal_segment_size;

	if (s->encoding && !encoding_known(s->encoding))
		diag_error(d, P("bootstrap.initdb.encoding"), "\"%s\" is not a PostgreSQL server "
			   "encoding (for example UTF8, LATIN1, SQL_ASCII)", s->encoding);
	if (w != -1 && (w < 1 || w > 1024 || (w & (w - 1)) != 0))
		diag_error(d, P("bootstrap.initdb.walSegmentSize"), "must be a power of two between "
			   "1 and 1024 (megabytes), got %d", w);
	if (prov != NULL) {
		bool builtin = strcmp(prov, "builtin") == 0;

		if (major < 15)
			diag_error(d, P("bootstrap.initdb.localeProvider"), "needs PostgreSQL 15 or "
				   "newer; this image has PostgreSQL %d", major);
		else if (strcmp(prov, "libc") != 0 && strcmp(prov, "icu") != 0 && !builtin)
			diag_error(d, P("bootstrap.initdb.localeProvider"), "must be libc, icu or "
				   "builtin, got \"%s\"", prov);
		else if (builtin && major < 17)
			diag_error(d, P("bootstrap.initdb.localeProvider"), "\"builtin\" needs "
				   "PostgreSQL 17 or newer; this image has PostgreSQL %d", major);
	}
	if (s->icu_locale != NULL) {
		if (prov == NULL || strcmp(prov, "icu") != 0)
			diag_error(d, P("bootstrap.initdb.icuLocale"), "needs localeProvider: icu");
		else if (major < 15)
			diag_error(d, P("bootstrap.initdb.icuLocale"), "needs PostgreSQL 15 or newer; "
				   "this image has PostgreSQL %d", major);
	} else if (prov != NULL && strcmp(prov, "icu") == 0 && s->locale == NULL) {
		diag_error(d, P("bootstrap.initdb.localeProvider"), "icu needs icuLocale (or locale)");
	}
	if (s->icu_rules != NULL) {
		if (prov == NULL || strcmp(prov, "icu") != 0)
			diag_error(d, P("bootstrap.initdb.icuRules"), "needs localeProvider: icu");
		else if (major < 16)
			diag_error(d, P("bootstrap.initdb.icuRules"), "needs PostgreSQL 16 or newer; "
				   "this image has PostgreSQL %d", major);
	}
	if (s->builtin_locale != NULL) {
		if (prov == NULL || strcmp(prov, "builtin") != 0)
			diag_error(d, P("bootstrap.initdb.builtinLocale"), "needs localeProvider: builtin");
		else if (major < 17)
			diag_error(d, P("bootstrap.initdb.builtinLocale"), "needs PostgreSQL 17 or newer; "
				   "this image has PostgreSQL %d", major);
	}
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

static void
rule_initdb_options(const struct spec *s, int major, struct diag *d)
{
	const struct strlist *o = &s->initdb_options;
	bool is_value = false;

	(void) major;
	for (size_t i = 0; i < o->n; i++) {
		const char *why = NULL;

		if (is_value)
			is_value = false;
		else
			why = initdb_option_refused(o->items[i], &is_value);
		if (why != NULL)
			diag_error(d, P("bootstrap.initdb.options"), "\"%s\" is not allowed: %s "
				   "(initdb.options is deprecated; use the dedicated fields)",
				   o->items[i], why);
	}
	if (o->n > 0)
		diag_warn(d, P("bootstrap.initdb.options"), "deprecated; use the dedicated initdb fields");
}

static void
rule_parameters(const struct spec *s, int major, struct diag *d)
{
	char path[256];

	for (size_t i = 0; i < s->parameters.n; i++) {
		const char *k = s->parameters.items[i].key;
		const char *v = s->parameters.items[i].value;
		bool ok = *k && (isalpha((unsigned char) *k) || *k == '_');

		snprintf(path, sizeof(path), "%s.%s", P("postgresql.parameters"), k);
		for (const char *p = k; *p; p++)
			ok = ok && (isalnum((unsigned char) *p) || *p == '_' || *p == '.');
		if (!ok)
			diag_error(d, path, "is not a valid parameter name");
		else if (validate_is_managed_parameter(k))
			diag_error(d, path, "is managed by pgpod (see --pg-port, --pg-listen, --run-dir, "
				   "--pgdata) and cannot be set here");
		if (strpbrk(v, "\n\r") != NULL)
			diag_error(d, path, "value must be a single line");
	}
	for (size_t i = 0; i < s->pg_hba.n; i++) {
		static const char *const types[] = {
			"local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc",
			"include", "include_if_exists", "include_dir",
		};
		const char *line = s->pg_hba.items[i];
		size_t n = strcspn(line, " \t");
		bool known = false;

		snprintf(path, sizeof(path), "%s[%zu]", P("postgresql.pg_hba"), i);
		for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			known = known || (strlen(types[k]) == n && strncmp(line, types[k], n) == 0);
		if (strpbrk(line, "\n\r") != NULL)
			diag_error(d, path, "must be a single line");
		else if (known && strncmp(line, "include", 7) == 0 && major < 16)
			diag_error(d, path, "\"%.*s\" directives exist in pg_hba.conf from PostgreSQL "
				   "16 on; the installed major is %d", (int) n, line, major);
		else if (!known)
			diag_error(d, path, "\"%.*s\" is not a pg_hba.conf connection type (local, host, "
				   "hostssl, hostnossl, ...)", (int) n, line);
	}
}

static void
rule_sources(const struct spec *s, int major, struct diag *d)
{
	bool pgo = s->dialect == SPEC_DIALECT_PGO || s->dialect == SPEC_DIALECT_PERCONA;

	(void) major;
	for (size_t i = 0; i < s->n_externals; i++) {
		const char *n = s->externals[i].name;
		char path[128];

		snprintf(path, sizeof(path), "%s[%zu].name",
			 s->dialect == SPEC_DIALECT_CHART ? "externalClusters" : "spec.externalClusters", i);
		if (n == NULL)
			continue;
		if (*n == '\0' || strchr(n, '/') || strchr(n, '\\') || strstr(n, ".."))
			diag_error(d, path, "\"%s\" is not a valid name (no '/', '\\' or '..')", n);
		for (size_t k = 0; k < i; k++)
			if (s->externals[k].name && strcmp(s->externals[k].name, n) == 0)
				diag_error(d, path, "\"%s\" is defined twice", n);
		for (size_t k = 0; k < s->externals[i].conn.n; k++) {
			const char *key = s->externals[i].conn.items[k].key;

			if (strcmp(key, "password") == 0 || strcmp(key, "sslpassword") == 0) {
				snprintf(path, sizeof(path), "%s[%zu].connectionParameters.%s",
					 s->dialect == SPEC_DIALECT_CHART ? "externalClusters"
					 : "spec.externalClusters", i, key);
				diag_warn(d, path, "is ignored: pgpod never puts a password in a "
					  "connection string; put it in a Secret and refer to it "
					  "with \"password: {name, key}\"");
			}
		}
	}
	if (pgo)
		return;
	if (s->bootstrap == SPEC_BOOTSTRAP_PG_BASEBACKUP) {
		const struct spec_external *e;

		if (s->clone_source == NULL)
			diag_error(d, P("bootstrap.clone.source"), "is required for pg_basebackup");
		else if ((e = spec_external_find(s, s->clone_source)) == NULL)
			diag_error(d, P("bootstrap.clone.source"), "\"%s\" is not defined in "
				   "externalClusters", s->clone_source);
		else if (e->conn.n == 0)
			diag_error(d, P("bootstrap.clone.source"), "external cluster \"%s\" has no "
				   "connectionParameters, which pg_basebackup needs", s->clone_source);
	}
	if (s->bootstrap == SPEC_BOOTSTRAP_RECOVERY && s->restore_source != NULL
	    && spec_external_find(s, s->restore_source) == NULL)
		diag_error(d, P("bootstrap.restore.source"), "\"%s\" is not defined in externalClusters",
			   s->restore_source);
	if (s->standby_enabled == 1) {
		if (s->standby_source == NULL)
			diag_error(d, P("standby.source"), "is required when the replica cluster is enabled");
		else if (spec_external_find(s, s->standby_source) == NULL)
			diag_error(d, P("standby.source"), "\"%s\" is not defined in externalClusters",
				   s->standby_source);
		else if (spec_external_find(s, s->standby_source)->conn.n == 0)
			diag_error(d, P("standby.source"), "external cluster \"%s\" has no "
				   "connectionParameters: a replica cluster streams from it",
				   s->standby_source);
	}
}

static void
rule_misc(const struct spec *s, int major, struct diag *d)
{
	long long lag;

	if (s->postgres_version > 0 && s->postgres_version != major)
		diag_error(d, P("postgresql.version"), "the spec asks for PostgreSQL %d but this "
			   "image has PostgreSQL %d; use an image of the same major version",
			   s->postgres_version, major);
	if (s->smart_shutdown_timeout > s->stop_delay)
		diag_error(d, P("smartShutdownTimeout"), "(%d s) must not exceed stopDelay (%d s)",
			   s->smart_shutdown_timeout, s->stop_delay);
	if (s->superuser_secret != NULL && s->enable_superuser_access == 0)
		diag_warn(d, P("superuser.secret"), "is ignored because enableSuperuserAccess is false");
	if (s->max_lag != NULL && !spec_parse_size(s->max_lag, &lag))
		diag_error(d, P("probes.readiness.maximumLag"), "\"%s\" is not a size: write a number "
			   "of bytes with an optional unit (16Mi, 1Gi, 16MB)", s->max_lag);
}

static void (*const rules[])(const struct spec *, int, struct diag *) = {
	rule_instances,
	rule_app,
	rule_initdb,
	rule_locales,
	rule_initdb_options,
	rule_parameters,
	rule_sources,
	rule_misc,
};

void
validate_spec(const struct spec *s, int pg_major, struct diag *d)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		rules[i](s, pg_major, d);
}
