/*
 * restore_steps.c — the steps of the restore bootstrap (see restore.h):
 * pgBackRest's restore into the staging directory, the recovery there, then
 * what every bootstrap ends with.
 */
#include "restore.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "mono.h"
#include "pgconn.h"
#include "proc.h"
#include "recovery.h"
#include "roles.h"

#define STOP_WAIT_MS  (60 * 1000)

/* archive-get from the restore's repository, for the directory recovered. */
static bool
pgbr_restore_command_of(const struct boot *b, const char *pgdata, char *buf, size_t cap)
{
	return pgbr_restore_command(&b->source, pgdata, buf, cap);
}

bool
restore_prepare(struct boot *b)
{
	struct pgbr_target own;

	pgbr_own(b->set, &own);
	if (!pgbr_source(b->set, b->s, &own, &b->source))
		return false;
	b->resumable = true;
	b->restore = &b->s->restore;
	b->restore_command = pgbr_restore_command_of;
	b->rec = (struct config_recovery) { .mode = CONFIG_PRIMARY };
	log_info("restoring \"%s\" from pgBackRest repo%d (stanza \"%s\")", b->set->pgdata,
		 b->source.repo, b->source.stanza);
	return true;
}

/* "restore backup set 20261203-073341F, ...": the label, kept in b. */
static bool
watch_label(void *arg, const char *line, size_t len)
{
	static const char tag[] = "restore backup set ";
	struct boot *b = arg;
	const char *p = memmem(line, len, tag, sizeof(tag) - 1);

	if (p != NULL) {
		p += sizeof(tag) - 1;
		snprintf(b->label, sizeof(b->label), "%.*s", (int) strcspn(p, ", \n"), p);
	}
	return false;	/* logged as usual */
}

static bool
has_option(const struct strlist *words, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < words->n; i++)
		if (strncmp(words->items[i], name, n) == 0
		    && (words->items[i][n] == '\0' || words->items[i][n] == '='))
			return true;
	return false;
}

/* The words of `pgbackrest restore` after pgpod's own options. */
static void
restore_words(const struct boot *b, const char *staging, bool resume, struct argv *w)
{
	const struct spec_restore *r = b->restore;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	argv_init(w);
	argv_addf(w, "--pg1-path=%s", staging);
	argv_addf(w, "--repo=%d", b->source.repo);
	argv_add(w, "--type=none");	/* pgpod writes the recovery settings */
	if (resume)
		argv_add(w, "--delta");
	if (b->rec.mode == CONFIG_STANDBY) {	/* a standby: the newest backup, whole */
		argv_addf(w, "--process-max=%ld", cpus > 0 ? cpus : 1);
		return;
	}
	if (r->backup_id != NULL)
		argv_addf(w, "--set=%s", r->backup_id);
	for (size_t i = 0; i < r->db_include.n; i++)
		argv_addf(w, "--db-include=%s", r->db_include.items[i]);
	if (!has_option(&r->passthrough, "--process-max"))
		argv_addf(w, "--process-max=%ld", cpus > 0 ? cpus : 1);
	for (size_t i = 0; i < r->passthrough.n; i++)
		argv_add(w, r->passthrough.items[i]);
}

static bool
step_restore(struct boot *b)
{
	char staging[PATH_MAX], created[PATH_MAX], last[PROC_LAST_MAX] = "";
	struct argv w;
	int code = -1;
	bool ok, resume;

	snprintf(staging, sizeof(staging), "%s/%s", b->set->pgdata, BOOT_STAGING);
	resume = file_dir_state(staging) == FILE_DIR_NOT_EMPTY;
	if (!file_mkdir_p(staging, 0700, created, sizeof(created)))
		return false;	/* errors have already been logged */
	if (resume)
		log_info("\"%s\" holds a restore that was cut off: resuming it (--delta)", staging);
	restore_words(b, staging, resume, &w);
	ok = pgbr_run_until(b->set, &b->source, "restore", (const char *const *) w.v, w.n,
			    boot_interrupted, watch_label, b, &code, last, sizeof(last));
	argv_free(&w);
	if (ok && code != 0)
		log_error("pgbackrest restore from repo%d failed (exit code %d)%s%s",
			  b->source.repo, code, *last ? ": " : "", last);
	return ok && code == 0;
}

static const struct boot_step restore_steps[] = {
	{ "restore with pgBackRest", step_restore },
	{ "recover to the target", recovery_step_recover },
	{ "roles and application database", recovery_step_roles },
	{ "stop temporary postgres", boot_stop_temp },
	{ "move the restore into place", recovery_step_place },
	{ "configure", boot_step_configure },
	{ "flush to disk", boot_step_sync },
};

const struct boot_steps restore_plan = BOOT_STEPS(restore_steps);

static const struct boot_step standby_steps[] = {
	{ "restore with pgBackRest", step_restore },
	{ "move the restore into place", recovery_step_place_standby },
	{ "configure", boot_step_configure },
	{ "flush to disk", boot_step_sync },
};

const struct boot_steps standby_plan = BOOT_STEPS(standby_steps);

/* ---- PGO's in-place restore ---- */

bool
restore_inplace_pending(const struct settings *set, const struct spec *s)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	int err;
	bool pending;

	if (s->inplace_restore_enabled != 1 || s->inplace_id == NULL)
		return false;
	snprintf(path, sizeof(path), "%s/%s", set->pgdata, RESTORE_ID_FILE);
	if (!file_read(path, 4096, &text, &len, &err))
		return true;
	pending = strcmp(text, s->inplace_id) != 0;
	free(text);
	return pending;
}

/* The repository of the in-place restore: restoreInPlace.repo of this
 * cluster's repositories. */
static bool
inplace_source(const struct settings *set, const struct spec *s, struct pgbr_target *t)
{
	const char *name = s->inplace.source;

	pgbr_own(set, t);
	if (name == NULL || strlen(name) != 5 || strncmp(name, "repo", 4) != 0 || name[4] < '1'
	    || name[4] > '4') {
		log_error("%s: \"%s\" is not a pgBackRest repository name (repo1 to repo4)",
			  spec_path(s, "restoreInPlace.repo"), name ? name : "");
		return false;
	}
	t->repo = name[4] - '0';
	return true;
}

static bool
inplace_restore_files(struct boot *b)
{
	char last[PROC_LAST_MAX] = "";
	struct argv w;
	int code = -1;
	bool ok;

	restore_words(b, b->set->pgdata, true, &w);
	ok = pgbr_run_until(b->set, &b->source, "restore", (const char *const *) w.v, w.n,
			    boot_interrupted, watch_label, b, &code, last, sizeof(last));
	argv_free(&w);
	if (ok && code != 0)
		log_error("pgbackrest restore --delta from repo%d failed (exit code %d)%s%s",
			  b->source.repo, code, *last ? ": " : "", last);
	return ok && code == 0;
}

bool
restore_in_place(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	struct boot b = { .set = set, .s = s, .in = in, .marker = "restore",
			  .restore = &s->inplace, .sync_fd = -1,
			  .restore_command = pgbr_restore_command_of };
	char path[PATH_MAX], target[300];
	long long t0 = mono_ms();
	bool ok;

	if (!inplace_source(set, s, &b.source) || !pgbr_write_conf(set, s, in))
		return false;
	log_info("in-place restore \"%s\" of \"%s\" from pgBackRest repo%d, to %s", s->inplace_id,
		 set->pgdata, b.source.repo, recovery_target_text(&s->inplace.target, target,
								  sizeof(target)));
	ok = inplace_restore_files(&b) && recovery_configure(&b, set, false)
		&& recovery_run(&b, set) && boot_stop_temp(&b);
	if (!ok) {
		if (b.conn != NULL)
			PQfinish(b.conn);
		if (b.inst.running)
			(void) instance_stop(&b.inst, INSTANCE_STOP_FAST, STOP_WAIT_MS);
		return false;
	}
	snprintf(path, sizeof(path), "%s/%s", set->pgdata, RESTORE_ID_FILE);
	if (!config_write_all(set, s, NULL, NULL)
	    || !file_write_atomic(path, s->inplace_id, strlen(s->inplace_id), 0600)
	    || !pgdata_sync(set->pgdata, -1))
		return false;
	log_info("in-place restore \"%s\" done in %.1f s (backup %s): postgres starts on the "
		 "restored data", s->inplace_id, (double) (mono_ms() - t0) / 1000,
		 b.label[0] ? b.label : "?");
	return true;
}
