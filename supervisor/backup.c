/*
 * backup.c — the pgBackRest worker (see backup.h).
 */
#include "supervisor/backup.h"

#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mono.h"
#include "proc.h"
#include "status.h"
#include "fileio.h"
#include "strbuf.h"
#include "pgdata/barman.h"
#include "pgdata/pgbackrest.h"

/* The three schedules of a repository and pgBackRest's --type for each. */
static const struct {
	size_t      offset;
	const char *type;
} schedule_kinds[] = {
	{ offsetof(struct spec_repo, schedule_full), "full" },
	{ offsetof(struct spec_repo, schedule_diff), "diff" },
	{ offsetof(struct spec_repo, schedule_incr), "incr" },
};

static double
now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
set_stanza_status(const char *what)
{
	struct status *st = status_lock();

	snprintf(st->repo_stanza, sizeof(st->repo_stanza), "%s", what);
	status_unlock();
}

static void
set_tool_status(const struct backups *b)
{
	struct status *st = status_lock();

	snprintf(st->backup_tool, sizeof(st->backup_tool), "%s",
		 !b->enabled ? "" : b->barman ? "barman-cloud" : "pgbackrest");
	status_unlock();
}

bool
backups_init(struct backups *b, const struct settings *set)
{
	memset(b, 0, sizeof(*b));
	b->set = set;
	return task_init(&b->task);
}

/* The next slot of a schedule after now (six-field ones: at their second). */
static bool
slot_next(const struct backup_slot *slot, time_t after, time_t *due)
{
	time_t m;

	if (!cron_next(&slot->cron, after - slot->sec, &m))
		return false;
	*due = m + slot->sec;
	return true;
}

/* A ScheduledBackup's immediate backup was taken (its name in PGDATA). */
static bool
immediate_taken(const struct settings *set, const char *name, bool record)
{
	char path[PATH_MAX + 32], *text = NULL, line[80];
	size_t len;
	int err;
	bool found;

	snprintf(path, sizeof(path), "%s/" BACKUP_IMMEDIATE_FILE, set->pgdata);
	snprintf(line, sizeof(line), "%s\n", name);
	if (!file_read(path, 1 << 20, &text, &len, &err))
		text = NULL;
	found = false;
	for (const char *p = text; p != NULL && *p && !found; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		found = strncmp(p, line, strlen(line)) == 0;
	if (!found && record) {
		struct strbuf out = { 0 };

		strbuf_printf(&out, "%s%s", text ? text : "", line);
		if (!file_write_atomic(path, out.data, out.len, 0600))
			log_warn("cannot record the immediate backup of \"%s\"", name);
		free(out.data);
	}
	free(text);
	return found;
}

/* CloudNativePG's ScheduledBackup documents as slots. */
static void
plan_scheduled(struct backups *b, const struct spec *s, time_t now)
{
	for (size_t i = 0; i < s->n_scheduled && b->nslots < BACKUP_SLOTS_MAX; i++) {
		const struct spec_scheduled *sb = &s->scheduled[i];
		struct backup_slot *slot = &b->slots[b->nslots];
		char why[200];

		if (sb->suspend == 1 || sb->schedule == NULL || sb->name == NULL)
			continue;
		if (!cron_parse6(sb->schedule, &slot->cron, &slot->sec, why, sizeof(why))
		    || !slot_next(slot, now, &slot->due)) {
			log_error("%s: schedule \"%s\" not used: %s", sb->origin, sb->schedule, why);
			continue;
		}
		slot->repo = 0;
		slot->type = "full";
		snprintf(slot->name, sizeof(slot->name), "%s", sb->name);
		slot->immediate = sb->immediate == 1 && !immediate_taken(b->set, sb->name, false);
		b->nslots++;
	}
}

void
backups_plan(struct backups *b, const struct spec *s, time_t now)
{
	b->enabled = pgbr_enabled(s) || barman_enabled(s);
	b->barman = !pgbr_enabled(s) && barman_enabled(s);
	snprintf(b->retention, sizeof(b->retention), "%s",
		 s->backup_retention ? s->backup_retention : "");
	b->nslots = 0;
	b->standby_repo = s->standby_enabled == 1 && s->standby_source_kind == SPEC_SOURCE_REPO
		&& s->standby_source != NULL && strlen(s->standby_source) == 5
		? s->standby_source[4] - '0' : 0;
	set_stanza_status(!b->enabled || b->barman ? "" : b->stanza_ok ? "ok" : "pending");
	set_tool_status(b);
	if (b->barman)
		plan_scheduled(b, s, now);
	for (size_t i = 0; i < s->n_repos; i++) {
		const struct spec_repo *r = &s->repos[i];

		for (size_t k = 0; k < sizeof(schedule_kinds) / sizeof(schedule_kinds[0]); k++) {
			const char *text = *(char *const *) ((const char *) r + schedule_kinds[k].offset);
			struct backup_slot *slot = &b->slots[b->nslots];
			char why[160];

			if (text == NULL || r->name == NULL || b->nslots == BACKUP_SLOTS_MAX)
				continue;
			/* validated with the spec; a failure here is a bug, said once */
			if (!cron_parse(text, &slot->cron, why, sizeof(why))
			    || !cron_next(&slot->cron, now, &slot->due)) {
				log_error("%s: schedule \"%s\" not used: %s", r->origin ? r->origin : r->name,
					  text, why);
				continue;
			}
			slot->repo = r->name[4] - '0';
			slot->type = schedule_kinds[k].type;
			slot->sec = 0;
			slot->name[0] = '\0';
			slot->immediate = false;
			b->nslots++;
		}
	}
}

/* "X/Y" as a number; false when it is not an LSN. */
static bool
lsn_parse(const char *text, unsigned long long *out)
{
	unsigned hi, lo;

	if (sscanf(text, "%X/%X", &hi, &lo) != 2)
		return false;
	*out = ((unsigned long long) hi << 32) | lo;
	return true;
}

/* How far the replay is from the end of the newest archived segment
 * (a repository standby's readiness); -1 when it cannot be told. */
static int
archive_lag_job(struct backups *b)
{
	struct pgbr_target t;
	struct pgbr_info info;
	struct status now, *st;
	unsigned long long replay, segno;
	unsigned tli, hi, lo;
	long long lag = -1;
	char why[256];

	pgbr_own(b->set, &t);
	t.repo = b->standby_repo;
	status_get(&now);
	if (pgbr_info(b->set, &t, &info, why, sizeof(why)) && now.wal_segment_bytes > 0
	    && sscanf(info.archive_max, "%8X%8X%8X", &tli, &hi, &lo) == 3
	    && lsn_parse(now.replay_lsn, &replay)) {
		segno = (unsigned long long) hi * (0x100000000ULL / (unsigned long long)
			now.wal_segment_bytes) + lo;
		lag = (long long) ((segno + 1) * (unsigned long long) now.wal_segment_bytes > replay
			? (segno + 1) * (unsigned long long) now.wal_segment_bytes - replay : 0);
	}
	pgbr_info_free(&info);
	st = status_lock();
	st->archive_lag_bytes = lag;
	status_unlock();
	return 0;
}

static int
backups_job(void *arg)
{
	struct backups *b = arg;
	struct pgbr_backup done;
	struct status *st;
	int code;

	if (b->job.kind == TASK_ARCHIVE_LAG)
		return archive_lag_job(b);
	if (b->job.kind == TASK_STANZA)
		return pgbr_stanza(b->set) ? 0 : 1;
	if (b->job.repo == 0)
		code = barman_backup(b->set, b->retention, done.label, sizeof(done.label));
	else
		code = pgbr_backup(b->set, b->job.type, b->job.repo, &done);
	st = status_lock();
	snprintf(st->last_backup_label, sizeof(st->last_backup_label), "%s", done.label);
	snprintf(st->last_backup_type, sizeof(st->last_backup_type), "%s", b->job.type);
	st->last_backup_ok = code == 0;
	st->last_backup_end = now_unix();
	st->last_backup_duration_s = st->last_backup_end - b->job.started;
	if (code == 0)
		st->last_backup_success = st->last_backup_end;
	status_unlock();
	return code;
}

static void
backups_start(struct backups *b, enum task_kind kind, int repo, const char *type)
{
	struct status *st;

	b->job = (struct backup_job) { .kind = kind, .repo = repo, .type = type,
				       .started = now_unix() };
	if (!task_start(&b->task, kind, backups_job, b) || kind != TASK_BACKUP)
		return;	/* a failure is logged */
	st = status_lock();
	snprintf(st->backup_running, sizeof(st->backup_running), "%s", type);
	status_unlock();
}

/* A slot whose time has come: run it, or say why it is missed. */
static void
backups_slot(struct backups *b, struct backup_slot *slot, bool primary, time_t now)
{
	char when[32];
	struct tm tm;

	gmtime_r(&slot->due, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!primary)
		log_info("the %s backup of repo%d scheduled at %s is skipped: this instance is not "
			 "the running primary", slot->type, slot->repo, when);
	else if (b->task.kind != TASK_NONE)
		log_warn("the %s backup of repo%d scheduled at %s is missed: the %s is still "
			 "running (one pgBackRest job at a time)", slot->type, slot->repo, when,
			 task_name(b->task.kind));
	else if (!b->stanza_ok && slot->repo > 0)
		log_warn("the %s backup of repo%d scheduled at %s is missed: the stanza is not "
			 "ready yet (see the stanza-create and check errors above)", slot->type,
			 slot->repo, when);
	else
		backups_start(b, TASK_BACKUP, slot->repo, slot->type);
	/* the next slot after now: slots missed meanwhile are not made up */
	if (!slot_next(slot, now > slot->due ? now : slot->due, &slot->due))
		slot->due = (time_t) -1;
}

void
backups_tick(struct backups *b, bool primary, time_t now, long long mono)
{
	if (!b->enabled)
		return;
	if (primary && !b->barman && !b->stanza_ok && b->task.kind == TASK_NONE
	    && mono >= b->stanza_retry_ms)
		backups_start(b, TASK_STANZA, 0, NULL);
	if (!primary && b->standby_repo > 0 && b->task.kind == TASK_NONE && mono >= b->lag_next_ms) {
		b->lag_next_ms = mono + BACKUP_LAG_MS;
		backups_start(b, TASK_ARCHIVE_LAG, b->standby_repo, NULL);
	}
	for (size_t i = 0; i < b->nslots; i++) {
		struct backup_slot *slot = &b->slots[i];

		/* a ScheduledBackup's immediate backup: once the primary is up */
		if (slot->immediate && primary && b->task.kind == TASK_NONE) {
			slot->immediate = false;
			log_info("the immediate backup of ScheduledBackup \"%s\" begins", slot->name);
			backups_start(b, TASK_BACKUP, 0, slot->type);
			if (b->task.kind == TASK_BACKUP)
				(void) immediate_taken(b->set, slot->name, true);
			continue;
		}
		if (slot->due != (time_t) -1 && now >= slot->due)
			backups_slot(b, slot, primary, now);
	}
}

void
backups_done(struct backups *b)
{
	enum task_kind kind;
	struct status *st;
	int result;

	if (!task_collect(&b->task, &kind, &result))
		return;
	st = status_lock();
	st->backup_running[0] = '\0';
	status_unlock();
	if (kind == TASK_STANZA) {
		b->stanza_ok = result == 0;
		b->stanza_retry_ms = mono_ms() + BACKUP_RETRY_MS;
		set_stanza_status(b->stanza_ok ? "ok" : "failed");
	}
}

void
backups_stop(struct backups *b)
{
	if (b->task.kind != TASK_NONE && proc_signal_logger(PGBR_LOGGER, SIGTERM) > 0)
		log_info("stopping the running %s (SIGTERM to pgbackrest): pgpod is shutting down",
			 task_name(b->task.kind));
}

void
backups_close(struct backups *b, long long deadline_ms)
{
	enum task_kind kind;
	int result;

	while (b->task.kind != TASK_NONE && mono_ms() < deadline_ms) {
		struct timespec nap = { 0, 50 * 1000000L };

		(void) proc_signal_logger(PGBR_LOGGER, SIGTERM);
		if (!task_collect(&b->task, &kind, &result))
			nanosleep(&nap, NULL);
	}
	if (b->task.kind != TASK_NONE)
		log_error("the %s did not stop in time; exiting without it", task_name(b->task.kind));
	else
		task_close(&b->task);
}
