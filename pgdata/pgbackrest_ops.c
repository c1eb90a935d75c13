/*
 * pgbackrest_ops.c — what pgpod asks of pgBackRest (see pgbackrest.h):
 * info, a backup with its summary, the stanza at the first start.
 */
#include "pgbackrest.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mono.h"
#include "proc.h"

#define INFO_MAX (4u * 1024u * 1024u)	/* a repository of thousands of backups fits */

static struct json_object *
get(struct json_object *o, const char *path)
{
	char key[64];

	while (o != NULL && *path) {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int) n, path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o;
}

static void
get_str(struct json_object *o, const char *path, char *buf, size_t cap)
{
	struct json_object *v = get(o, path);

	snprintf(buf, cap, "%s", v != NULL && json_object_is_type(v, json_type_string)
		 ? json_object_get_string(v) : "");
}

/* The major of the db history entry id (db[].id, "version"). */
static void
info_db_version(struct json_object *stanza, int id, char *buf, size_t cap)
{
	struct json_object *dbs = get(stanza, "db");

	*buf = '\0';
	for (size_t i = 0; dbs != NULL && i < json_object_array_length(dbs); i++) {
		struct json_object *db = json_object_array_get_idx(dbs, i);

		if (json_object_get_int(get(db, "id")) == id)
			get_str(db, "version", buf, cap);
	}
}

static void
info_backup(struct json_object *stanza, struct json_object *b, struct pgbr_backup *out)
{
	memset(out, 0, sizeof(*out));
	get_str(b, "label", out->label, sizeof(out->label));
	get_str(b, "type", out->type, sizeof(out->type));
	out->start = json_object_get_double(get(b, "timestamp.start"));
	out->stop = json_object_get_double(get(b, "timestamp.stop"));
	out->size = json_object_get_int64(get(b, "info.size"));
	out->repo_size = json_object_get_int64(get(b, "info.repository.delta"));
	get_str(b, "archive.start", out->wal_start, sizeof(out->wal_start));
	get_str(b, "archive.stop", out->wal_stop, sizeof(out->wal_stop));
	info_db_version(stanza, json_object_get_int(get(b, "database.id")), out->pg_version,
			sizeof(out->pg_version));
}

/* The archive of the newest backup's database (archive[].database.id). */
static void
info_archive_id(struct json_object *stanza, struct pgbr_info *out)
{
	struct json_object *arch = get(stanza, "archive"), *backups = get(stanza, "backup");
	size_t nb = backups != NULL ? json_object_array_length(backups) : 0;
	int db = nb ? json_object_get_int(get(json_object_array_get_idx(backups, nb - 1),
					       "database.id")) : -1;

	for (size_t i = 0; arch != NULL && i < json_object_array_length(arch); i++) {
		struct json_object *a = json_object_array_get_idx(arch, i);

		if (db >= 0 && json_object_get_int(get(a, "database.id")) != db)
			continue;
		get_str(a, "id", out->archive_id, sizeof(out->archive_id));
		get_str(a, "max", out->archive_max, sizeof(out->archive_max));
	}
}

/* A repository that cannot be read says why in repo[].status ("other" is
 * all the stanza's status says): its message replaces the stanza's. */
static void
info_repo_status(struct json_object *stanza, int repo, struct pgbr_info *out)
{
	struct json_object *repos = get(stanza, "repo");

	for (size_t i = 0; repos != NULL && i < json_object_array_length(repos); i++) {
		struct json_object *r = json_object_array_get_idx(repos, i);

		if ((repo <= 0 || json_object_get_int(get(r, "key")) == repo)
		    && json_object_get_int(get(r, "status.code")) != 0) {
			get_str(r, "status.message", out->message, sizeof(out->message));
			return;
		}
	}
}

/* The stanza "db" of info's output (a list of stanzas) into out. */
static bool
info_parse(const char *text, const char *want, int repo, struct pgbr_info *out, char *why,
	   size_t whycap)
{
	struct json_object *all = json_tokener_parse(text), *stanza = NULL, *backups;

	for (size_t i = 0; all != NULL && json_object_is_type(all, json_type_array)
	     && i < json_object_array_length(all); i++) {
		char name[64];

		get_str(json_object_array_get_idx(all, i), "name", name, sizeof(name));
		if (strcmp(name, want) == 0)
			stanza = json_object_array_get_idx(all, i);
	}
	if (stanza == NULL) {
		snprintf(why, whycap, "pgbackrest info printed no stanza \"%s\"", want);
		json_object_put(all);
		return false;
	}
	out->status = json_object_get_int(get(stanza, "status.code"));
	get_str(stanza, "status.message", out->message, sizeof(out->message));
	if (out->status != 0)
		info_repo_status(stanza, repo, out);
	backups = get(stanza, "backup");
	out->n = backups != NULL ? json_object_array_length(backups) : 0;
	out->backups = out->n ? calloc(out->n, sizeof(*out->backups)) : NULL;
	if (out->n && out->backups == NULL)
		out->n = 0;
	for (size_t i = 0; i < out->n; i++)
		info_backup(stanza, json_object_array_get_idx(backups, i), &out->backups[i]);
	info_archive_id(stanza, out);
	json_object_put(all);
	return true;
}

bool
pgbr_info(const struct settings *set, const struct pgbr_target *t, struct pgbr_info *out,
	  char *why, size_t whycap)
{
	const char *words[2] = { "--output=json" };
	char rw[16];
	char *buf = malloc(INFO_MAX);
	int code = -1;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (buf == NULL) {
		snprintf(why, whycap, "out of memory");
		return false;
	}
	snprintf(rw, sizeof(rw), "--repo=%d", t->repo);
	words[1] = rw;
	ok = pgbr_capture(set, t, "info", words, t->repo > 0 ? 2 : 1, buf, INFO_MAX, &code);
	if (ok && code != 0) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(why, whycap, "%s", *buf ? buf : "pgbackrest info failed");
		ok = false;
	} else if (!ok) {
		snprintf(why, whycap, "pgbackrest could not be started");
	} else {
		ok = info_parse(buf, t->stanza, t->repo, out, why, whycap);
	}
	free(buf);
	return ok;
}

void
pgbr_info_free(struct pgbr_info *info)
{
	free(info->backups);
	info->backups = NULL;
	info->n = 0;
}

bool
pgbr_timeline_exists(const struct settings *set, const struct pgbr_target *t,
		     const char *archive_id, long tli)
{
	char path[160], rw[24], want[16];
	const char *words[2] = { rw, path };
	char *buf = malloc(INFO_MAX);
	int code = -1;
	bool found = false;

	if (buf == NULL)
		return false;
	snprintf(rw, sizeof(rw), "--repo=%d", t->repo > 0 ? t->repo : 1);
	snprintf(path, sizeof(path), "archive/%s/%s", t->stanza, archive_id);
	snprintf(want, sizeof(want), "%08lX", tli);
	if (!pgbr_capture(set, t, "repo-ls", words, 2, buf, INFO_MAX, &code) || code != 0) {
		buf[strcspn(buf, "\n")] = '\0';
		log_error("cannot list the WAL archive %s of repo%d: %s", path, t->repo, buf);
	} else {
		for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l && !found;
		     l = strtok_r(NULL, "\n", &save))
			found = strncmp(l, want, 8) == 0;
	}
	free(buf);
	return found;
}

/* Bytes for people: 25.1 MiB. */
static void
human(long long bytes, char *buf, size_t cap)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double) bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

int
pgbr_backup(const struct settings *set, const char *type, int repo, struct pgbr_backup *done)
{
	char tw[32], rw[16], last[PROC_LAST_MAX] = "", why[256], sz[32], rsz[32];
	const char *words[2] = { tw, rw };
	long long t0 = mono_ms();
	struct pgbr_target own;
	struct pgbr_info info;
	int code = -1;

	memset(done, 0, sizeof(*done));
	pgbr_own(set, &own);
	own.repo = repo;
	snprintf(tw, sizeof(tw), "--type=%s", type);
	snprintf(rw, sizeof(rw), "--repo=%d", repo);
	log_info("pgBackRest %s backup to repo%d begins", type, repo);
	if (!pgbr_run(set, &own, "backup", words, 2, &code, last, sizeof(last)))
		return -1;
	if (code != 0) {
		log_error("the %s backup to repo%d failed (pgbackrest exit code %d)%s%s", type, repo,
			  code, *last ? ": " : "", last);
		return code;
	}
	if (!pgbr_info(set, &own, &info, why, sizeof(why)) || info.n == 0) {
		log_warn("the %s backup to repo%d succeeded in %.1f s; pgbackrest info then failed: %s",
			 type, repo, (double) (mono_ms() - t0) / 1000, info.n ? why : "no backup listed");
		pgbr_info_free(&info);
		return 0;
	}
	*done = info.backups[info.n - 1];
	pgbr_info_free(&info);
	human(done->size, sz, sizeof(sz));
	human(done->repo_size, rsz, sizeof(rsz));
	log_info("backup %s (%s) to repo%d done in %.1f s: %s of data, %s written to the "
		 "repository", done->label, done->type, repo, (double) (mono_ms() - t0) / 1000, sz,
		 rsz);
	return 0;
}

bool
pgbr_stanza(const struct settings *set)
{
	char last[PROC_LAST_MAX] = "";
	struct pgbr_target own;
	int code = -1;

	pgbr_own(set, &own);
	if (!pgbr_run(set, &own, "stanza-create", NULL, 0, &code, last, sizeof(last)))
		return false;
	if (code != 0) {
		log_error("pgbackrest stanza-create failed (exit code %d)%s%s: WAL is not archived "
			  "until it succeeds; pgpod tries again in a minute", code, *last ? ": " : "",
			  last);
		return false;
	}
	if (!pgbr_run(set, &own, "check", NULL, 0, &code, last, sizeof(last)))
		return false;
	if (code != 0) {
		log_error("pgbackrest check failed (exit code %d)%s%s: WAL archiving or the "
			  "repositories do not work; pgpod tries again in a minute", code,
			  *last ? ": " : "", last);
		return false;
	}
	log_info("pgBackRest stanza \"%s\" is ready: created, and check archived a WAL file to "
		 "every repository", PGBR_STANZA);
	return true;
}
