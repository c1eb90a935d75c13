/*
 * barman_restore.c — CloudNativePG's bootstrap.recovery from a Barman Cloud
 * object store (see barman_restore.h).
 */
#include "barman_restore.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "barman.h"
#include "fileio.h"
#include "log.h"
#include "recovery.h"
#include "restore.h"
#include "upstream.h"

#define LIST_MAX (4u * 1024u * 1024u)	/* thousands of backups fit */

/* ---- the backup list ---- */

/* barman prints "Thu Dec  3 10:44:38 2026" (the pod's time zone: UTC). */
static double
parse_ctime(const char *t)
{
	struct tm tm = { 0 };
	const char *end = t != NULL ? strptime(t, "%a %b %d %H:%M:%S %Y", &tm) : NULL;

	return end != NULL && *end == '\0' ? (double) timegm(&tm) : -1;
}

static bool
lsn_parse(const char *text, unsigned long long *out)
{
	unsigned hi, lo;
	int n = 0;

	if (text == NULL || sscanf(text, "%X/%X%n", &hi, &lo, &n) != 2 || text[n] != '\0')
		return false;
	*out = ((unsigned long long) hi << 32) | lo;
	return true;
}

static const char *
json_str(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		? json_object_get_string(v) : NULL;
}

static long long
json_num(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static void
backup_of(struct json_object *o, struct barman_backup *b)
{
	const char *v;

	memset(b, 0, sizeof(*b));
	snprintf(b->id, sizeof(b->id), "%s", (v = json_str(o, "backup_id")) ? v : "");
	b->begin = parse_ctime(json_str(o, "begin_time"));
	b->end = parse_ctime(json_str(o, "end_time"));
	snprintf(b->begin_wal, sizeof(b->begin_wal), "%s", (v = json_str(o, "begin_wal")) ? v : "");
	snprintf(b->end_lsn, sizeof(b->end_lsn), "%s", (v = json_str(o, "end_xlog")) ? v : "");
	(void) lsn_parse(b->end_lsn, &b->end_lsn_num);
	b->timeline = (int) json_num(o, "timeline");
	b->version = (int) json_num(o, "version");
	b->segment_bytes = (unsigned long long) json_num(o, "xlog_segment_size");
	b->done = (v = json_str(o, "status")) != NULL && strcmp(v, "DONE") == 0;
}

bool
barman_backups_parse(const char *text, struct barman_backups *l, char *why, size_t whycap)
{
	const char *start = strchr(text, '{');
	struct json_object *all = start ? json_tokener_parse(start) : NULL, *list = NULL;
	size_t n;

	memset(l, 0, sizeof(*l));
	if (all == NULL || !json_object_object_get_ex(all, "backups_list", &list)
	    || !json_object_is_type(list, json_type_array)) {
		snprintf(why, whycap, "barman-cloud-backup-list printed no backup list");
		json_object_put(all);
		return false;
	}
	n = json_object_array_length(list);
	l->v = n ? calloc(n, sizeof(*l->v)) : NULL;
	for (size_t i = 0; l->v != NULL && i < n; i++)
		backup_of(json_object_array_get_idx(list, i), &l->v[l->n++]);
	json_object_put(all);
	return true;
}

/* Whether b may start a recovery to r's target (CloudNativePG's rules). */
static bool
backup_fits(const struct barman_backup *b, const struct spec_target *t, double when,
	    unsigned long long lsn, long tli)
{
	if (!b->done)
		return false;
	if (t->kind == SPEC_TARGET_TIME)
		return b->end <= when && (tli <= 0 || b->timeline == tli);
	if (t->kind == SPEC_TARGET_LSN)
		return b->end_lsn_num < lsn;
	return true;
}

/* The newest completed backup that fits, and the earliest completed one. */
static const struct barman_backup *
backup_newest(const struct barman_backups *l, const struct spec_target *t, double when,
	      unsigned long long lsn, long tli, const struct barman_backup **earliest)
{
	const struct barman_backup *best = NULL;

	*earliest = NULL;
	for (size_t i = 0; i < l->n; i++) {
		const struct barman_backup *b = &l->v[i];

		if (b->done && (*earliest == NULL || b->end < (*earliest)->end))
			*earliest = b;
		if (backup_fits(b, t, when, lsn, tli) && (best == NULL || b->end > best->end))
			best = b;
	}
	return best;
}

const struct barman_backup *
barman_backup_choose(const struct barman_backups *l, const struct spec_restore *r, char *why,
		     size_t whycap)
{
	const struct spec_target *t = &r->target;
	const struct barman_backup *best, *earliest;
	unsigned long long lsn = 0;
	double when = 0;
	long tli = t->timeline != NULL ? strtol(t->timeline, NULL, 10) : 0;
	char end[40];

	if (r->backup_id != NULL) {
		for (size_t i = 0; i < l->n; i++)
			if (l->v[i].done && strcmp(l->v[i].id, r->backup_id) == 0)
				return &l->v[i];
		snprintf(why, whycap, "has no completed backup \"%s\"", r->backup_id);
		return NULL;
	}
	if ((t->kind == SPEC_TARGET_TIME && !restore_parse_time(t->value, &when))
	    || (t->kind == SPEC_TARGET_LSN && !lsn_parse(t->value, &lsn))) {
		snprintf(why, whycap, "cannot read the target \"%s\"", t->value ? t->value : "");
		return NULL;
	}
	best = backup_newest(l, t, when, lsn, tli, &earliest);
	if (best != NULL)
		return best;
	if (earliest == NULL) {
		snprintf(why, whycap, "holds no completed backup");
		return NULL;
	}
	restore_utc_text(earliest->end, end, sizeof(end));
	snprintf(why, whycap, "has no backup that ends before the target %s%s%s (the earliest, %s, "
		 "ends at %s, LSN %s): pick a later target", t->value ? t->value : "",
		 tli > 0 && t->kind == SPEC_TARGET_TIME ? " on timeline " : "",
		 tli > 0 && t->kind == SPEC_TARGET_TIME ? t->timeline : "", earliest->id, end,
		 earliest->end_lsn);
	return NULL;
}

/* ---- the method ---- */

bool
barman_recovery_asked(const struct spec *s)
{
	/* every recovery that is not pgBackRest's: its check names what is missing */
	return s->bootstrap == SPEC_BOOTSTRAP_RECOVERY && !restore_asked(s);
}

/* The source's object store directory written; false (logged) when the
 * external cluster named at key has no object store. */
static bool
source_store(const struct settings *set, const struct spec *s, const struct inputs *in,
	     const char *key, const char *name)
{
	const struct spec_external *e = name != NULL ? spec_external_find(s, name) : NULL;
	const struct input_source *src;
	const char *path = spec_path(s, key);

	if (e == NULL && name == NULL && s->restore.backup_object != NULL) {
		log_error("%s: the Backup \"%s\" is not in the spec file: put the Backup document "
			  "there as another document, with the status the operator gave it (kubectl "
			  "get backup %s -o yaml), or recover from an object store in externalClusters "
			  "(bootstrap.recovery.source)", spec_path(s, "bootstrap.restore.backupObject"),
			  s->restore.backup_object, s->restore.backup_object);
		return false;
	}
	if (e == NULL) {
		log_error("%s: no externalClusters entry is named \"%s\"", path, name ? name : "");
		return false;
	}
	if (e->store.destination == NULL) {
		log_error("%s: externalClusters \"%s\" has no barmanObjectStore: a recovery restores a "
			  "backup from an object store (%s)", path, e->name, e->has_object_store
			  ? "its plugin names no ObjectStore document of the spec file"
			  : "a live cluster is copied with bootstrap.pg_basebackup");
		return false;
	}
	src = inputs_source(in, e->name);
	return barman_store_write(set, BARMAN_SOURCE, &e->store, src ? &src->store
				  : &(struct input_store) { 0 }, e->name);
}

bool
barman_recovery_check(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	return source_store(set, s, in, "bootstrap.restore.source", s->restore.source);
}

/* The object store's backups, or its own words on why not. */
static bool
list_backups(const struct barman_store *st, const char *path, struct barman_backups *l)
{
	static const char *const opts[] = { "--format", "json" };
	char *buf = malloc(LIST_MAX), last[512] = "", why[200];
	int code = -1;
	bool ok;

	if (buf == NULL)
		return false;
	ok = barman_run(st, "barman-cloud-backup-list", opts, 2, NULL, 0, buf, LIST_MAX, &code,
			last, sizeof(last));
	if (ok && code != 0) {
		log_error("%s: the object store \"%s\" (server \"%s\") cannot be read: %s; check "
			  "its endpointURL, endpointCA and credentials", path, st->destination,
			  st->server, *last ? last : "barman-cloud-backup-list failed");
		ok = false;
	} else if (ok && !barman_backups_parse(buf, l, why, sizeof(why))) {
		log_error("%s: %s", path, why);
		ok = false;
	}
	free(buf);
	return ok;
}

/* Fetch one archived file into the store's directory and drop it: the
 * archive answers for it. */
static bool
fetch_probe(const struct barman_store *st, const char *name)
{
	char dest[PATH_MAX + 64], last[512] = "";
	const char *tail[2] = { name, dest };
	int code = -1;

	snprintf(dest, sizeof(dest), "%s/probe-%s", st->dir, name);
	if (!barman_run(st, "barman-cloud-wal-restore", NULL, 0, tail, 2, NULL, 0, &code, last,
			sizeof(last)))
		return false;
	(void) unlink(dest);
	return code == 0;
}

/* The backup's first WAL segment, fetched now by `pgpod wal-restore` into
 * the prefetch directory: the archive answers for it, the recovery finds
 * it there, and the segments after it are fetched ahead (wal.maxParallel)
 * while the data is restored. */
static bool
first_segment(const struct settings *set, const struct barman_store *st, const char *name)
{
	char part[PATH_MAX + 64], done[PATH_MAX + 64], created[PATH_MAX];
	int code = -1;

	snprintf(done, sizeof(done), "%s/prefetch", st->dir);
	if (!file_mkdir_p(done, 0700, created, sizeof(created)))
		return false;
	snprintf(part, sizeof(part), "%s/prefetch/%s.partial", st->dir, name);
	snprintf(done, sizeof(done), "%s/prefetch/%s", st->dir, name);
	if (!barman_self_restore(set, name, part, &code) || code != 0 || rename(part, done) != 0) {
		(void) unlink(part);
		return false;
	}
	return true;
}

/* The chosen backup: of this major, its timeline's history there, its
 * first WAL segment fetched. */
static bool
backup_usable(const struct settings *set, const struct spec *s, const struct barman_store *st,
	      const struct barman_backup *b)
{
	const char *tl = s->restore.target.timeline;
	long tli = tl != NULL ? strtol(tl, NULL, 10) : 0;
	char hist[32];

	if (b->version / 10000 != set->pg_major) {
		log_error("%s: backup %s is of PostgreSQL %d and this pod runs PostgreSQL %d: recover "
			  "it with a PostgreSQL %d image, then upgrade", spec_path(s,
			  "bootstrap.restore.source"), b->id, b->version / 10000, set->pg_major,
			  b->version / 10000);
		return false;
	}
	snprintf(hist, sizeof(hist), "%08lX.history", tli);
	if (tli > b->timeline && !fetch_probe(st, hist)) {
		log_error("%s: timeline %ld is not in the history of the WAL archive (%s has no %s)",
			  spec_path(s, "bootstrap.restore.target.timeline"), tli, st->destination, hist);
		return false;
	}
	if (!barman_store_set_segment(set->run_dir, BARMAN_SOURCE, b->segment_bytes
				      ? b->segment_bytes : 16ULL << 20))
		return false;
	if (!first_segment(set, st, b->begin_wal)) {
		log_error("%s: the first WAL segment of backup %s, %s, cannot be fetched from \"%s\" "
			  "(see above): the archive is incomplete, so the recovery could not even "
			  "start", spec_path(s, "bootstrap.restore.source"), b->id, b->begin_wal,
			  st->destination);
		return false;
	}
	return true;
}

/* wal-restore from the source store, for any directory recovered. */
static bool
barman_restore_command_of(const struct boot *b, const char *pgdata, char *buf, size_t cap)
{
	(void) pgdata;
	return barman_restore_command(b->set, buf, cap);
}

/* The backup to restore (its id into b->label), checked usable. */
static bool
prepare_backup(struct boot *b, const char *path)
{
	const struct spec *s = b->s;
	const struct barman_backup *chosen;
	struct barman_backups l;
	struct barman_store st;
	char why[600], end[40];
	bool ok;

	if (!barman_store_read(b->set->run_dir, BARMAN_SOURCE, &st) || !list_backups(&st, path, &l))
		return false;
	chosen = barman_backup_choose(&l, &s->restore, why, sizeof(why));
	if (chosen == NULL)
		log_error("%s: the object store \"%s\" (server \"%s\") %s", s->restore.backup_id
			  ? spec_path(s, "bootstrap.restore.backupID") : path, st.destination,
			  st.server, why);
	ok = chosen != NULL && backup_usable(b->set, s, &st, chosen);
	if (ok) {
		restore_utc_text(chosen->end, end, sizeof(end));
		snprintf(b->label, sizeof(b->label), "%s", chosen->id);
		log_info("recovering \"%s\" from backup %s of server \"%s\" in \"%s\" (ended %s, "
			 "PostgreSQL %d; %zu backup%s there)", b->set->pgdata, chosen->id, st.server,
			 st.destination, end, chosen->version / 10000, l.n, l.n == 1 ? "" : "s");
	}
	free(l.v);
	return ok;
}

bool
barman_recovery_prepare(struct boot *b)
{
	b->restore = &b->s->restore;
	b->restore_command = barman_restore_command_of;
	b->rec = (struct config_recovery) { .mode = CONFIG_PRIMARY };
	return prepare_backup(b, spec_path(b->s, "bootstrap.restore.source"));
}

/* barman-cloud-restore of the chosen backup into the staging directory. */
static bool
step_fetch(struct boot *b)
{
	char staging[PATH_MAX], created[PATH_MAX], last[PROC_LAST_MAX] = "";
	const char *tail[2] = { b->label, staging };
	struct barman_store st;
	int code = -1;

	snprintf(staging, sizeof(staging), "%s/%s", b->set->pgdata, BOOT_STAGING);
	if (!barman_store_read(b->set->run_dir, BARMAN_SOURCE, &st)
	    || !file_mkdir_p(staging, 0700, created, sizeof(created))
	    || !barman_run(&st, "barman-cloud-restore", NULL, 0, tail, 2, NULL, 0, &code, last,
			   sizeof(last)))
		return false;	/* errors have already been logged */
	if (code != 0)
		log_error("barman-cloud-restore of backup %s from \"%s\" failed (exit code %d)%s%s",
			  b->label, st.destination, code, *last ? ": " : "", last);
	return code == 0;
}

static const struct boot_step barman_steps[] = {
	{ "restore with barman-cloud-restore", step_fetch },
	{ "recover to the target", recovery_step_recover },
	{ "roles and application database", recovery_step_roles },
	{ "stop temporary postgres", boot_stop_temp },
	{ "move the restore into place", recovery_step_place },
	{ "configure", boot_step_configure },
	{ "flush to disk", boot_step_sync },
};

const struct boot_steps barman_recovery_plan = BOOT_STEPS(barman_steps);

/* ---- a replica cluster fed from an object store ---- */

bool
barman_standby_asked(const struct spec *s)
{
	const struct spec_external *e;

	if (s->standby_enabled != 1 || s->standby_source_kind == SPEC_SOURCE_REPO
	    || (e = spec_external_find(s, s->standby_source)) == NULL || e->store.destination == NULL)
		return false;
	/* a live source as well: copied with pg_basebackup unless the spec
	 * bootstraps by recovery, as CloudNativePG's samples do */
	return e->conn.n == 0 || s->bootstrap == SPEC_BOOTSTRAP_RECOVERY;
}

bool
barman_standby_check(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	return source_store(set, s, in, "standby.source", s->standby_source);
}

bool
barman_standby_prepare(struct boot *b)
{
	b->restore = &b->s->restore;
	b->restore_command = barman_restore_command_of;
	return upstream_recovery(b->set, b->s, b->in, true, &b->up, &b->rec)
		&& prepare_backup(b, spec_path(b->s, "standby.source"));
}

static const struct boot_step standby_steps[] = {
	{ "restore with barman-cloud-restore", step_fetch },
	{ "move the restore into place", recovery_step_place_standby },
	{ "configure", boot_step_configure },
	{ "flush to disk", boot_step_sync },
};

const struct boot_steps barman_standby_plan = BOOT_STEPS(standby_steps);
