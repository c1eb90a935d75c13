/*
 * barman.c — a Barman Cloud object store's directory in the run directory
 * and the start of every barman-cloud call (see barman.h).
 */
#include "barman.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "proc.h"
#include "strbuf.h"

#define STORE_CONF "store.conf"
#define STORE_MAX  (64 * 1024)

/* The credential files: which input, its file, and the environment
 * variable a child finds it by (NULL: read into the variable named
 * secret_env instead, for Azure's tools). */
static const struct {
	size_t      value;		/* offset in struct input_store */
	const char *file;
	const char *path_env;
	const char *secret_env;
} cred_files[] = {
	{ offsetof(struct input_store, endpoint_ca), "endpoint-ca.pem", "AWS_CA_BUNDLE", NULL },
	{ offsetof(struct input_store, google_creds), "google-credentials.json",
	  "GOOGLE_APPLICATION_CREDENTIALS", NULL },
	{ offsetof(struct input_store, azure_conn), "azure-connection-string", NULL,
	  "AZURE_STORAGE_CONNECTION_STRING" },
	{ offsetof(struct input_store, azure_account), "azure-account", NULL, "AZURE_STORAGE_ACCOUNT" },
	{ offsetof(struct input_store, azure_key), "azure-key", NULL, "AZURE_STORAGE_KEY" },
	{ offsetof(struct input_store, azure_sas), "azure-sas-token", NULL, "AZURE_STORAGE_SAS_TOKEN" },
};

const char *
barman_provider(const char *destination)
{
	if (strncmp(destination, "s3://", 5) == 0)
		return "aws-s3";
	if (strncmp(destination, "gs://", 5) == 0)
		return "google-cloud-storage";
	return "azure-blob-storage";
}

static void
kv_lines(struct strbuf *b, const char *key, const struct kvlist *l)
{
	for (size_t i = 0; i < l->n && i < BARMAN_TAGS_MAX; i++)
		strbuf_printf(b, "%s=%s,%s\n", key, l->items[i].key,
			      l->items[i].value ? l->items[i].value : "");
}

static void
arg_lines(struct strbuf *b, const char *key, const struct strlist *l)
{
	for (size_t i = 0; i < l->n && i < SPEC_BARMAN_ARGS_MAX; i++)
		strbuf_printf(b, "%s=%s\n", key, l->items[i]);
}

bool
barman_store_render(const struct spec_objstore *o, const char *server_default, char *buf,
		    size_t cap)
{
	struct strbuf b = { 0 };
	bool ok;

	strbuf_printf(&b, "provider=%s\ndestination=%s\nserver=%s\n",
		      barman_provider(o->destination), o->destination,
		      o->server_name ? o->server_name : server_default);
	if (o->endpoint != NULL)
		strbuf_printf(&b, "endpoint=%s\n", o->endpoint);
	if (o->wal_compression != NULL)
		strbuf_printf(&b, "wal_compression=%s\n", o->wal_compression);
	if (o->wal_encryption != NULL)
		strbuf_printf(&b, "wal_encryption=%s\n", o->wal_encryption);
	strbuf_printf(&b, "max_parallel=%d\n", o->wal_max_parallel > 0 ? o->wal_max_parallel : 1);
	if (o->data_compression != NULL)
		strbuf_printf(&b, "data_compression=%s\n", o->data_compression);
	if (o->data_encryption != NULL)
		strbuf_printf(&b, "data_encryption=%s\n", o->data_encryption);
	strbuf_printf(&b, "jobs=%d\nimmediate_checkpoint=%d\n", o->data_jobs > 0 ? o->data_jobs : 2,
		      o->data_immediate_checkpoint == 1);
	kv_lines(&b, "tag", &o->tags);
	kv_lines(&b, "history_tag", &o->history_tags);
	arg_lines(&b, "archive_arg", &o->archive_args);
	arg_lines(&b, "restore_arg", &o->restore_args);
	arg_lines(&b, "backup_arg", &o->backup_args);
	ok = b.len < cap;
	if (ok)
		memcpy(buf, b.data, b.len + 1);
	free(b.data);
	return ok;
}

static bool
parse_arg(struct barman_args *a, const char *v)
{
	return a->n < SPEC_BARMAN_ARGS_MAX
		&& (size_t) snprintf(a->v[a->n++], sizeof(a->v[0]), "%s", v) < sizeof(a->v[0]);
}

/* One key=value line of store.conf into st. */
static bool
parse_line(struct barman_store *st, const char *key, const char *v)
{
	static const struct {
		const char *key;
		size_t      off;
		size_t      cap;
	} strs[] = {
#define S(k, m) { k, offsetof(struct barman_store, m), sizeof(((struct barman_store *) 0)->m) }
		S("provider", provider), S("destination", destination), S("server", server),
		S("endpoint", endpoint), S("wal_compression", wal_compression),
		S("wal_encryption", wal_encryption), S("data_compression", data_compression),
		S("data_encryption", data_encryption),
#undef S
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(key, strs[i].key) == 0)
			return (size_t) snprintf((char *) st + strs[i].off, strs[i].cap, "%s", v)
				< strs[i].cap;
	if (strcmp(key, "max_parallel") == 0)
		return (st->max_parallel = atoi(v)) > 0;
	if (strcmp(key, "jobs") == 0)
		return (st->jobs = atoi(v)) > 0;
	if (strcmp(key, "immediate_checkpoint") == 0)
		return (st->immediate_checkpoint = strcmp(v, "1") == 0) || strcmp(v, "0") == 0;
	if (strcmp(key, "segment_bytes") == 0)
		return (st->segment_bytes = strtoull(v, NULL, 10)) > 0;
	if (strcmp(key, "ca") == 0)
		return (st->ca = strcmp(v, "1") == 0);
	if (strcmp(key, "archive_arg") == 0)
		return parse_arg(&st->archive_args, v);
	if (strcmp(key, "restore_arg") == 0)
		return parse_arg(&st->restore_args, v);
	if (strcmp(key, "backup_arg") == 0)
		return parse_arg(&st->backup_args, v);
	if (strcmp(key, "tag") == 0 && st->ntags < BARMAN_TAGS_MAX)
		return (size_t) snprintf(st->tags[st->ntags++], sizeof(st->tags[0]), "%s", v)
			< sizeof(st->tags[0]);
	if (strcmp(key, "history_tag") == 0 && st->nhistory_tags < BARMAN_TAGS_MAX)
		return (size_t) snprintf(st->history_tags[st->nhistory_tags++],
					 sizeof(st->history_tags[0]), "%s", v)
			< sizeof(st->history_tags[0]);
	return false;
}

bool
barman_store_parse(const char *text, struct barman_store *st, char *why, size_t whycap)
{
	char dir[PATH_MAX];
	int lineno = 0;

	memcpy(dir, st->dir, sizeof(dir));
	memset(st, 0, sizeof(*st));
	memcpy(st->dir, dir, sizeof(dir));
	st->max_parallel = 1;
	st->jobs = 2;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		char line[1200], *eq;

		lineno++;
		if (n >= sizeof(line)) {
			snprintf(why, whycap, "line %d is too long", lineno);
			return false;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (p[n] == '\n');
		if (n == 0)
			continue;
		eq = strchr(line, '=');
		if (eq == NULL || (*eq = '\0', !parse_line(st, line, eq + 1))) {
			snprintf(why, whycap, "line %d is not a setting pgpod writes", lineno);
			return false;
		}
	}
	if (!*st->provider || !*st->destination || !*st->server) {
		snprintf(why, whycap, "provider, destination or server is missing");
		return false;
	}
	return true;
}

/* One credential into dir/file (0600); a line break inside it is refused:
 * in an INI file it would be a line of its own. */
static bool
write_cred(const char *dir, const char *file, const char *value, bool one_line,
	   const char *what)
{
	char path[PATH_MAX];

	if (one_line && strpbrk(value, "\r\n") != NULL) {
		log_error("%s holds a line break; a key or token is one line", what);
		return false;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return file_write_atomic(path, value, strlen(value), 0600);
}

/* The S3 keys and region as the AWS SDK's shared files. */
static bool
write_aws(const char *dir, const struct spec_objstore *o, const struct input_store *c)
{
	struct strbuf b = { 0 };
	bool ok = true;

	if (c->s3_key_id == NULL || c->s3_secret == NULL)
		return true;	/* inheritFromIAMRole: the SDK's own chain */
	for (const char *const *v = (const char *const[]) { c->s3_key_id, c->s3_secret,
		     c->s3_session ? c->s3_session : "", c->s3_region ? c->s3_region : "", NULL };
	     *v; v++)
		if (strpbrk(*v, "\r\n") != NULL) {
			log_error("%s.s3Credentials: a key, token or region holds a line break",
				  o->origin ? o->origin : "barmanObjectStore");
			return false;
		}
	strbuf_printf(&b, "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		      c->s3_key_id, c->s3_secret);
	if (c->s3_session != NULL)
		strbuf_printf(&b, "aws_session_token = %s\n", c->s3_session);
	ok = write_cred(dir, "aws-credentials", b.data, false, "");
	free(b.data);
	memset(&b, 0, sizeof(b));
	strbuf_printf(&b, "[default]\n");
	if (c->s3_region != NULL)
		strbuf_printf(&b, "region = %s\n", c->s3_region);
	ok = ok && write_cred(dir, "aws-config", b.data, false, "");
	free(b.data);
	return ok;
}

/* Segments fetched ahead belong to the store as it was: a new one (another
 * source, another restore) starts with none. */
static void
clear_prefetch(const char *dir)
{
	char path[PATH_MAX + 16];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/prefetch", dir);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && unlinkat(dirfd(d), e->d_name, 0) != 0)
			log_warn("cannot remove \"%s/%s\": %s", path, e->d_name, strerror(errno));
	closedir(d);
}

bool
barman_store_write(const struct settings *set, const char *name, const struct spec_objstore *o,
		   const struct input_store *cred, const char *server_default)
{
	char dir[PATH_MAX], created[PATH_MAX], path[PATH_MAX + 16];
	char text[STORE_MAX];
	size_t len;
	bool ok = true;

	snprintf(dir, sizeof(dir), "%s/barman/%s", set->run_dir, name);
	if (!barman_store_render(o, server_default, text, sizeof(text) - 8)) {
		log_error("%s: the object store's settings are too long", o->origin);
		return false;
	}
	if (!file_mkdir_p(dir, 0700, created, sizeof(created)) || !file_private_dir(dir))
		return false;	/* errors have already been logged */
	clear_prefetch(dir);
	ok = write_aws(dir, o, cred);
	for (size_t i = 0; ok && i < sizeof(cred_files) / sizeof(cred_files[0]); i++) {
		const char *v = *(char *const *) ((const char *) cred + cred_files[i].value);
		char what[400];

		snprintf(what, sizeof(what), "the Secret key of %s (%s)", o->origin, cred_files[i].file);
		if (v != NULL)
			ok = write_cred(dir, cred_files[i].file, v, cred_files[i].secret_env != NULL,
					what);
	}
	len = strlen(text);
	if (cred->endpoint_ca != NULL)
		len += (size_t) snprintf(text + len, sizeof(text) - len, "ca=1\n");
	snprintf(path, sizeof(path), "%s/" STORE_CONF, dir);
	return ok && file_write_atomic(path, text, len, 0600);
}

bool
barman_store_read(const char *run_dir, const char *name, struct barman_store *st)
{
	char path[PATH_MAX + 16], why[200];
	char *text = NULL;
	size_t len;
	int err;
	bool ok;

	snprintf(st->dir, sizeof(st->dir), "%s/barman/%s", run_dir, name);
	snprintf(path, sizeof(path), "%s/" STORE_CONF, st->dir);
	if (!file_read(path, STORE_MAX, &text, &len, &err)) {
		log_error("cannot read \"%s\": %s (pgpod run writes it from the spec's object store)",
			  path, strerror(err));
		return false;
	}
	ok = barman_store_parse(text, st, why, sizeof(why));
	if (!ok)
		log_error("\"%s\": %s", path, why);
	free(text);
	return ok;
}

/* A credential file's path into env as name=path, when the file is there. */
static void
env_file(struct argv *env, const char *dir, const char *file, const char *name)
{
	char path[PATH_MAX];

	if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, file) < sizeof(path)
	    && access(path, R_OK) == 0)
		argv_addf(env, "%s=%s", name, path);
}

/* Azure's keys into the child's environment, read from their files now. */
static void
env_secret(struct argv *env, const char *dir, const char *file, const char *name)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	int err;

	if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)
	    || !file_read(path, 64 * 1024, &text, &len, &err))
		return;
	argv_addf(env, "%s=%s", name, text);
	memset(text, 0, len);
	free(text);
}

bool
barman_command(const struct barman_store *st, const char *tool, struct argv *args,
	       struct argv *env)
{
	char bin[PATH_MAX];
	const char *home = getenv("HOME");

	argv_init(args);
	argv_init(env);
	if (!proc_find_tool(tool, bin, sizeof(bin))) {
		log_error("%s is not installed (looked in /usr/local/bin, /usr/bin and /bin): the spec "
			  "has a Barman Cloud object store; install it (Debian: apt-get install "
			  "barman-cli-cloud) in the image", tool);
		return false;
	}
	argv_add(args, bin);
	argv_add(args, "--cloud-provider");
	argv_add(args, st->provider);
	if (*st->endpoint && strcmp(st->provider, "aws-s3") == 0) {
		argv_add(args, "--endpoint-url");
		argv_add(args, st->endpoint);
	}
	argv_add(env, "PATH=/usr/local/bin:/usr/bin:/bin");
	argv_addf(env, "HOME=%s", home ? home : "/var/lib/postgresql");
	argv_add(env, "LANG=C.UTF-8");
	env_file(env, st->dir, "aws-credentials", "AWS_SHARED_CREDENTIALS_FILE");
	env_file(env, st->dir, "aws-config", "AWS_CONFIG_FILE");
	for (size_t i = 0; i < sizeof(cred_files) / sizeof(cred_files[0]); i++) {
		if (cred_files[i].path_env != NULL)
			env_file(env, st->dir, cred_files[i].file, cred_files[i].path_env);
		else
			env_secret(env, st->dir, cred_files[i].file, cred_files[i].secret_env);
	}
	return true;
}

/* The additional options of the tool args starts with. */
static const struct barman_args *
tool_args(const struct barman_store *st, const struct argv *args)
{
	const char *tool = args->n > 0 ? strrchr(args->v[0], '/') : NULL;

	tool = tool != NULL ? tool + 1 : args->n > 0 ? args->v[0] : "";
	if (strcmp(tool, "barman-cloud-wal-archive") == 0)
		return &st->archive_args;
	if (strcmp(tool, "barman-cloud-wal-restore") == 0)
		return &st->restore_args;
	if (strcmp(tool, "barman-cloud-backup") == 0)
		return &st->backup_args;
	return NULL;
}

/* args already gives the option opt ("--name" or "--name=value") names. */
static bool
has_option(const struct argv *args, const char *opt)
{
	size_t name = strcspn(opt, "=");

	for (size_t i = 1; i < args->n; i++)
		if (strncmp(args->v[i], opt, name) == 0
		    && (args->v[i][name] == '\0' || args->v[i][name] == '='))
			return true;
	return false;
}

void
barman_target(const struct barman_store *st, struct argv *args)
{
	const struct barman_args *extra = tool_args(st, args);

	for (size_t i = 0; extra != NULL && i < extra->n; i++)
		if (!has_option(args, extra->v[i]))
			argv_add(args, extra->v[i]);
	argv_add(args, "--");	/* ends a --tags list, which would take the words after it */
	argv_add(args, st->destination);
	argv_add(args, st->server);
}

bool
barman_enabled(const struct spec *s)
{
	return s->backup_store.destination != NULL;
}

bool
barman_write_own(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	if (!barman_enabled(s))
		return true;
	return barman_store_write(set, BARMAN_OWN, &s->backup_store, &in->backup_store,
				  s->name ? s->name : "pgpod");
}

/* '<this executable>' COMMAND --run-dir '<run>' (sh-quoted). */
static bool
self_command(const struct settings *set, const char *command, char *buf, size_t cap)
{
	char exe[PATH_MAX], qexe[PATH_MAX * 4 + 3], qrun[PATH_MAX * 4 + 3];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0) {
		log_error("cannot find this executable (/proc/self/exe): %s", strerror(errno));
		return false;
	}
	exe[n] = '\0';
	return argv_sh_quote(exe, qexe, sizeof(qexe)) && argv_sh_quote(set->run_dir, qrun, sizeof(qrun))
		&& (size_t) snprintf(buf, cap, "%s %s --run-dir %s", qexe, command, qrun) < cap;
}

bool
barman_archive_command(const struct settings *set, char *buf, size_t cap)
{
	char prefix[PATH_MAX * 9 + 64];

	return self_command(set, "wal-archive", prefix, sizeof(prefix))
		&& (size_t) snprintf(buf, cap, "%s \"%%p\"", prefix) < cap;
}

bool
barman_restore_command(const struct settings *set, char *buf, size_t cap)
{
	char prefix[PATH_MAX * 9 + 64];

	return self_command(set, "wal-restore", prefix, sizeof(prefix))
		&& (size_t) snprintf(buf, cap, "%s %%f \"%%p\"", prefix) < cap;
}

bool
barman_run(const struct barman_store *st, const char *tool, const char *const *opts, size_t nopts,
	   const char *const *tail, size_t ntail, char *buf, size_t cap, int *code, char *last,
	   size_t lastcap)
{
	struct argv args, env;
	bool ok;

	if (!barman_command(st, tool, &args, &env))
		return false;
	for (size_t i = 0; i < nopts; i++)
		argv_add(&args, opts[i]);
	barman_target(st, &args);
	for (size_t i = 0; i < ntail; i++)
		argv_add(&args, tail[i]);
	if (buf != NULL) {
		ok = proc_capture(&args, &env, buf, cap, code);
		if (ok && last != NULL && lastcap > 0) {
			size_t n = strlen(buf);

			while (n > 0 && buf[n - 1] == '\n')
				n--;
			for (size_t i = n; ; i--) {
				if (i == 0 || buf[i - 1] == '\n') {
					snprintf(last, lastcap, "%.*s", (int) (n - i), buf + i);
					break;
				}
			}
		}
	} else {
		ok = proc_run(&args, &env, "barman-cloud", code, last, lastcap);
	}
	argv_free(&args);
	argv_free(&env);
	return ok;
}

bool
barman_store_set_segment(const char *run_dir, const char *name, unsigned long long bytes)
{
	char path[PATH_MAX + 32], *text = NULL, *out;
	size_t len;
	int err;
	bool ok;

	snprintf(path, sizeof(path), "%s/barman/%s/" STORE_CONF, run_dir, name);
	if (!file_read(path, STORE_MAX, &text, &len, &err)) {
		log_error("cannot read \"%s\": %s", path, strerror(err));
		return false;
	}
	out = malloc(len + 64);
	if (out == NULL) {
		free(text);
		return false;
	}
	len = (size_t) snprintf(out, len + 64, "%ssegment_bytes=%llu\n", text, bytes);
	ok = file_write_atomic(path, out, len, 0600);
	free(text);
	free(out);
	return ok;
}

bool
barman_self_restore(const struct settings *set, const char *name, const char *dest, int *code)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct argv args, env;
	const char *home = getenv("HOME");
	bool ok;

	if (n <= 0) {
		log_error("cannot find this executable (/proc/self/exe): %s", strerror(errno));
		return false;
	}
	exe[n] = '\0';
	argv_init(&args);
	argv_init(&env);
	argv_add(&args, exe);
	argv_add(&args, "wal-restore");
	argv_add(&args, "--run-dir");
	argv_add(&args, set->run_dir);
	argv_add(&args, name);
	argv_add(&args, dest);
	argv_add(&env, "PATH=/usr/local/bin:/usr/bin:/bin");
	argv_addf(&env, "HOME=%s", home ? home : "/var/lib/postgresql");
	ok = proc_run(&args, &env, "wal-restore", code, NULL, 0);
	argv_free(&args);
	argv_free(&env);
	return ok;
}
