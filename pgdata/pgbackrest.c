/*
 * pgbackrest.c — pgBackRest's configuration and calls (see pgbackrest.h).
 */
#include "pgbackrest.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "fileio.h"
#include "instance.h"
#include "log.h"
#include "proc.h"
#include "strbuf.h"
#include "validate.h"

/* Where pgbackrest is looked for (the PATH its children get, too). */

/* One INI section being assembled: its name and settings, later wins. */
struct section {
	char          name[64];
	struct kvlist kv;
};

struct ini {
	struct section items[16];
	size_t         n;
};

bool
pgbr_enabled(const struct spec *s)
{
	return s->n_repos > 0;
}

void
pgbr_conf_path(const struct settings *set, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", set->run_dir, PGBR_CONF);
}

static bool
pgbr_binary(char *buf, size_t cap)
{
	if (proc_find_tool("pgbackrest", buf, cap))
		return true;
	log_error("pgbackrest is not installed (looked in /usr/local/bin, /usr/bin and /bin): the "
		  "spec has pgBackRest repositories (spec.backups.pgbackrest); install it (Debian: "
		  "apt-get install pgbackrest) in the image");
	return false;
}

static struct section *
ini_section(struct ini *ini, const char *name)
{
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->items[i].name, name) == 0)
			return &ini->items[i];
	if (ini->n == sizeof(ini->items) / sizeof(ini->items[0]))
		return NULL;
	snprintf(ini->items[ini->n].name, sizeof(ini->items[0].name), "%s", name);
	return &ini->items[ini->n++];
}

static void
ini_free(struct ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		for (size_t k = 0; k < ini->items[i].kv.n; k++)
			OPENSSL_cleanse(ini->items[i].kv.items[k].value,
					strlen(ini->items[i].kv.items[k].value));
		kvlist_free(&ini->items[i].kv);
	}
	ini->n = 0;
}

/* A section header "[name]": pgBackRest's names (global, global:command,
 * a stanza, stanza:command). */
static bool
ini_header(const char *line, size_t len, char *name, size_t cap)
{
	size_t n;

	if (len < 3 || line[0] != '[' || line[len - 1] != ']')
		return false;
	n = len - 2;
	if (n >= cap || strspn(line + 1, "abcdefghijklmnopqrstuvwxyz"
			       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:.") < n)
		return false;
	memcpy(name, line + 1, n);
	name[n] = '\0';
	return true;
}

/* name is section or one of its command sections (global:archive-push). */
static bool
section_is(const char *name, const char *section)
{
	size_t n = strlen(section);

	return strncmp(name, section, n) == 0 && (name[n] == '\0' || name[n] == ':');
}

/* One "key=value" line of a configuration file into sec; false with why. */
static bool
ini_setting(struct section *sec, char *line, const char **why)
{
	char *eq = strchr(line, '=');
	char *key = line, *value, *end;

	if (eq == NULL) {
		*why = "is neither a [section], a comment nor key=value";
		return false;
	}
	*eq = '\0';
	value = eq + 1;
	for (end = eq; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
		end[-1] = '\0';
	value += strspn(value, " \t");
	if (!validate_pgbackrest_option(key)) {
		*why = "does not name a pgBackRest option";
		return false;
	}
	if ((section_is(sec->name, "global") || section_is(sec->name, PGBR_STANZA))
	    && (*why = validate_pgbackrest_owned(key)) != NULL)
		return false;
	kvlist_set(&sec->kv, key, value);
	return true;
}

/* Merge one pgBackRest INI text into ini; false (logged with the origin
 * and the line, never the line's text: it may hold a key) when unusable. */
static bool
ini_merge(struct ini *ini, const struct input_text *t)
{
	struct section *sec = NULL;
	size_t size = strlen(t->text) + 1;
	char *copy = malloc(size), *next;
	bool ok = copy != NULL;
	size_t lineno = 0;

	if (copy != NULL)
		memcpy(copy, t->text, size);
	for (char *line = copy; ok && line != NULL; line = next) {
		char name[64];
		const char *why = "";
		size_t len;

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		len = strcspn(line, "\r");
		line[len] = '\0';
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (ini_header(line, strlen(line), name, sizeof(name)))
			ok = (sec = ini_section(ini, name)) != NULL;
		else if (sec == NULL)
			why = "comes before any [section]";
		else if (ini_setting(sec, line, &why))
			continue;
		if (ok && *why == '\0')
			continue;
		log_error("%s, line %zu: %s; fix the pgBackRest configuration file", t->origin,
			  lineno, ok ? why : "too many sections");
		ok = false;
	}
	if (copy != NULL)
		OPENSSL_cleanse(copy, size);
	free(copy);
	return ok;
}

/* What one configuration file is made of. */
struct pgbr_parts {
	const struct spec_repo   *repos;
	size_t                    nrepos;
	const struct kvlist      *global;
	const struct input_texts *ini;
	const char               *stanza;
	const char               *pg_path;
};

/* The repositories: type and where, as PGO writes them (a volume is a
 * posix repository at /pgbackrest/repoN unless global says otherwise). */
static void
pgbr_repos(const struct pgbr_parts *p, struct section *g)
{
	for (size_t i = 0; i < p->nrepos; i++) {
		const struct spec_repo *r = &p->repos[i];
		char key[64];
		char value[256];

		if (r->name == NULL || r->kind == NULL)
			continue;
		snprintf(key, sizeof(key), "%s-type", r->name);
		kvlist_set(&g->kv, key, strcmp(r->kind, "volume") == 0 ? "posix" : r->kind);
		snprintf(key, sizeof(key), "%s-path", r->name);
		snprintf(value, sizeof(value), "/pgbackrest/%s", r->name);
		kvlist_set(&g->kv, key, value);
		if (r->bucket != NULL) {
			snprintf(key, sizeof(key), "%s-%s", r->name, strcmp(r->kind, "azure") == 0
				 ? "azure-container" : strcmp(r->kind, "gcs") == 0 ? "gcs-bucket"
				 : "s3-bucket");
			kvlist_set(&g->kv, key, r->bucket);
		}
		if (r->endpoint != NULL) {
			snprintf(key, sizeof(key), "%s-%s-endpoint", r->name, r->kind);
			kvlist_set(&g->kv, key, r->endpoint);
		}
		if (r->region != NULL && strcmp(r->kind, "s3") == 0) {
			snprintf(key, sizeof(key), "%s-s3-region", r->name);
			kvlist_set(&g->kv, key, r->region);
		}
	}
}

/* [global]: pgpod's own settings, the repositories, the spec's global,
 * the configuration files; [stanza]: this instance. */
static bool
pgbr_assemble(const struct settings *set, const struct pgbr_parts *p, struct ini *ini)
{
	struct section *g = ini_section(ini, "global");
	struct section *db = ini_section(ini, p->stanza);
	char value[SETTINGS_PATH_MAX + 32];

	snprintf(value, sizeof(value), "%s/pgbackrest", set->run_dir);
	kvlist_set(&g->kv, "lock-path", value);
	kvlist_set(&g->kv, "log-path", value);
	kvlist_set(&g->kv, "spool-path", value);
	kvlist_set(&g->kv, "log-level-file", "off");
	pgbr_repos(p, g);
	for (size_t i = 0; i < p->global->n; i++) {
		const char *k = p->global->items[i].key;
		char key[16];

		/* "repo1: PATH" (Percona's migration guide) is repo1-path */
		if (strlen(k) == 5 && strncmp(k, "repo", 4) == 0 && k[4] >= '1' && k[4] <= '4') {
			snprintf(key, sizeof(key), "%s-path", k);
			k = key;
		}
		kvlist_set(&g->kv, k, p->global->items[i].value);
	}
	for (size_t i = 0; i < p->ini->n; i++)
		if (!ini_merge(ini, &p->ini->items[i]))
			return false;
	kvlist_set(&db->kv, "pg1-path", p->pg_path);
	snprintf(value, sizeof(value), "%d", set->pg_port);
	kvlist_set(&db->kv, "pg1-port", value);
	kvlist_set(&db->kv, "pg1-socket-path", set->run_dir);
	kvlist_set(&db->kv, "pg1-user", "postgres");
	return true;
}

static char *
pgbr_render_parts(const struct settings *set, const struct spec *s, const struct pgbr_parts *p)
{
	struct ini ini = { .n = 0 };
	struct strbuf b = { 0 };

	if (!pgbr_assemble(set, p, &ini)) {
		ini_free(&ini);
		return NULL;
	}
	strbuf_printf(&b, "# Managed by pgpod from %s; rewritten on every start and reload.\n",
		      s->source_file ? s->source_file : "the spec");
	for (size_t i = 0; i < ini.n; i++) {
		strbuf_printf(&b, "%s[%s]\n", i ? "\n" : "", ini.items[i].name);
		for (size_t k = 0; k < ini.items[i].kv.n; k++)
			strbuf_printf(&b, "%s=%s\n", ini.items[i].kv.items[k].key,
				      ini.items[i].kv.items[k].value);
	}
	ini_free(&ini);
	return b.data;
}

char *
pgbr_render(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	const struct pgbr_parts p = {
		.repos = s->repos, .nrepos = s->n_repos, .global = &s->pgbackrest_global,
		.ini = &in->pgbackrest_ini, .stanza = PGBR_STANZA, .pg_path = set->pgdata,
	};

	return pgbr_render_parts(set, s, &p);
}

/* Write text to <run-dir>/name, 0600, then forget it. */
static bool
pgbr_write_file(const struct settings *set, const char *name, char *text)
{
	char path[PATH_MAX], dir[PATH_MAX];
	bool ok;

	snprintf(dir, sizeof(dir), "%s/pgbackrest", set->run_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_error("cannot create \"%s\" (pgBackRest's locks and spool): %s", dir,
			  strerror(errno));
		ok = false;
	} else {
		snprintf(path, sizeof(path), "%s/%s", set->run_dir, name);
		ok = file_write_atomic(path, text, strlen(text), 0600);
	}
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return ok;
}

bool
pgbr_write_conf(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	char path[PATH_MAX];
	char *text;

	pgbr_conf_path(set, path, sizeof(path));
	if (!pgbr_enabled(s)) {
		(void) unlink(path);	/* the repositories were removed from the spec */
		return true;
	}
	if ((text = pgbr_render(set, s, in)) == NULL)
		return false;
	return pgbr_write_file(set, PGBR_CONF, text);
}

/* The stanza a restore reads: dataSource.pgbackrest.stanza, else PGO's "db". */
static const char *
pgbr_source_stanza(const struct spec *s)
{
	return s->restore.source_kind == SPEC_SOURCE_DATASOURCE_REPO && s->pgbackrest_stanza != NULL
		? s->pgbackrest_stanza : PGBR_STANZA;
}

bool
pgbr_write_source_conf(const struct settings *set, const struct spec *s,
		       const struct inputs *in, const char *pg_path)
{
	const struct pgbr_parts p = {
		.repos = &s->restore_repo, .nrepos = 1, .global = &s->restore_global,
		.ini = &in->restore_ini, .stanza = pgbr_source_stanza(s), .pg_path = pg_path,
	};
	char *text = pgbr_render_parts(set, s, &p);

	return text != NULL && pgbr_write_file(set, PGBR_SOURCE_CONF, text);
}

void
pgbr_own(const struct settings *set, struct pgbr_target *t)
{
	pgbr_conf_path(set, t->conf, sizeof(t->conf));
	snprintf(t->stanza, sizeof(t->stanza), "%s", PGBR_STANZA);
	t->repo = 0;
}

bool
pgbr_source(const struct settings *set, const struct spec *s, const struct pgbr_target *own,
	    struct pgbr_target *t)
{
	const char *name = s->restore.source;
	bool theirs = s->restore.source_kind == SPEC_SOURCE_DATASOURCE_REPO
		|| s->restore.source_kind == SPEC_SOURCE_CLUSTER;

	if (name == NULL || strlen(name) != 5 || strncmp(name, "repo", 4) != 0 || name[4] < '1'
	    || name[4] > '4') {
		log_error("%s: \"%s\" is not a pgBackRest repository name (repo1 to repo4)",
			  spec_path(s, "bootstrap.restore.source"), name ? name : "");
		return false;
	}
	if (theirs) {
		snprintf(t->conf, sizeof(t->conf), "%s/%s", set->run_dir, PGBR_SOURCE_CONF);
		snprintf(t->stanza, sizeof(t->stanza), "%s", pgbr_source_stanza(s));
	} else {
		*t = *own;
	}
	t->repo = name[4] - '0';
	return true;
}


/* "pgbackrest --config=… --stanza=…" for a postgres command, quoted. */
static bool
pgbr_shell_prefix(const char *conf, const char *stanza, char *buf, size_t cap)
{
	char bin[PATH_MAX], qbin[PATH_MAX * 2], qconf[PATH_MAX * 2], qst[160];

	return pgbr_binary(bin, sizeof(bin)) && argv_sh_quote(bin, qbin, sizeof(qbin))
		&& argv_sh_quote(conf, qconf, sizeof(qconf)) && argv_sh_quote(stanza, qst, sizeof(qst))
		&& snprintf(buf, cap, "%s --config=%s --stanza=%s", qbin, qconf, qst) < (int) cap;
}

bool
pgbr_archive_command(const struct settings *set, char *buf, size_t cap)
{
	char conf[PATH_MAX], prefix[PATH_MAX * 5];

	pgbr_conf_path(set, conf, sizeof(conf));
	return pgbr_shell_prefix(conf, PGBR_STANZA, prefix, sizeof(prefix))
		&& snprintf(buf, cap, "%s archive-push \"%%p\"", prefix) < (int) cap;
}

bool
pgbr_restore_command(const struct pgbr_target *t, const char *pg_path, char *buf, size_t cap)
{
	char prefix[PATH_MAX * 5], qpath[PATH_MAX * 2];

	return pgbr_shell_prefix(t->conf, t->stanza, prefix, sizeof(prefix))
		&& argv_sh_quote(pg_path, qpath, sizeof(qpath))
		&& snprintf(buf, cap, "%s --repo=%d --pg1-path=%s archive-get %%f \"%%p\"", prefix,
			    t->repo > 0 ? t->repo : 1, qpath) < (int) cap;
}

/* pgbackrest --config=… --stanza=… --log-level-console=info COMMAND WORDS…
 * (quiet: only errors, on stderr, so that stdout is the command's output). */
static bool
pgbr_args(const struct settings *set, const struct pgbr_target *t, const char *command,
	  const char *const *words, size_t nwords, bool quiet, struct argv *args, struct argv *env)
{
	char bin[PATH_MAX];

	if (!pgbr_binary(bin, sizeof(bin)))
		return false;
	argv_init(args);
	argv_init(env);
	argv_add(args, bin);
	argv_addf(args, "--config=%s", t->conf);
	argv_addf(args, "--stanza=%s", t->stanza);
	argv_add(args, quiet ? "--log-level-console=off" : "--log-level-console=info");
	argv_add(args, quiet ? "--log-level-stderr=error" : "--log-level-stderr=off");
	argv_add(args, command);	/* then its options and arguments (repo-ls PATH) */
	for (size_t i = 0; i < nwords; i++)
		argv_add(args, words[i]);
	instance_tool_env(set, env);
	return true;
}

bool
pgbr_run(const struct settings *set, const struct pgbr_target *t, const char *command,
	 const char *const *words, size_t nwords, int *code, char *last, size_t lastcap)
{
	struct argv args, env;
	bool ok;

	if (!pgbr_args(set, t, command, words, nwords, false, &args, &env))
		return false;
	ok = proc_run(&args, &env, PGBR_LOGGER, code, last, lastcap);
	argv_free(&args);
	argv_free(&env);
	return ok;
}

bool
pgbr_run_until(const struct settings *set, const struct pgbr_target *t, const char *command,
	       const char *const *words, size_t nwords, bool (*stop)(void), proc_filter watch,
	       void *arg, int *code, char *last, size_t lastcap)
{
	struct argv args, env;
	struct proc p;
	bool ok, signalled = false;

	if (!pgbr_args(set, t, command, words, nwords, false, &args, &env))
		return false;
	ok = proc_spawn_filtered(&args, &env, PGBR_LOGGER, false, watch, arg, &p);
	argv_free(&args);
	argv_free(&env);
	if (!ok)
		return false;
	while (!proc_poll(&p, code)) {
		struct timespec nap = { 0, 50 * 1000000L };

		if (!signalled && stop()) {
			log_info("stopping pgbackrest %s (pid %d)", command, (int) p.pid);
			(void) kill(p.pid, SIGTERM);	/* pgBackRest ends cleanly on it */
			signalled = true;
		}
		nanosleep(&nap, NULL);
	}
	proc_finish(&p);
	snprintf(last, lastcap, "%s", p.last);
	return true;
}

bool
pgbr_capture(const struct settings *set, const struct pgbr_target *t, const char *command,
	     const char *const *words, size_t nwords, char *buf, size_t cap, int *code)
{
	struct argv args, env;
	bool ok;

	if (!pgbr_args(set, t, command, words, nwords, true, &args, &env))
		return false;
	ok = proc_capture(&args, &env, buf, cap, code);
	argv_free(&args);
	argv_free(&env);
	return ok;
}
