/*
 * backup.h — the supervisor's pgBackRest worker: on a primary with
 * repositories, the stanza once postgres first runs (stanza-create, check),
 * then the backups of repos[].schedules (full, differential, incremental;
 * cron, UTC) — no CronJob, one pgBackRest job at a time in a thread of its
 * own (a backup takes minutes; reloads and promotions must not wait for
 * it). With a Barman Cloud object store (CloudNativePG), the mounted
 * ScheduledBackup documents instead: six-field schedules, `immediate` (a
 * backup at once, the first time pgpod sees the document: its name is
 * kept in PGDATA) and `suspend`; the retention policy after each backup. A slot that comes while a job runs, or while this instance is not
 * the primary, is logged as missed, never run twice or late.
 */
#ifndef PGPOD_BACKUP_H
#define PGPOD_BACKUP_H

#include <stdbool.h>
#include <time.h>

#include "cron.h"
#include "settings.h"
#include "spec.h"
#include "supervisor/task.h"

#define BACKUP_SLOTS_MAX 16	/* 4 repositories x 3 types, or ScheduledBackups */
#define BACKUP_IMMEDIATE_FILE "pgpod-scheduled-backups"	/* in PGDATA: immediate ones taken */
#define BACKUP_RETRY_MS  60000	/* a failed stanza-create/check is tried again after this */
#define BACKUP_LAG_MS    15000	/* a repository standby measures its archive lag this often */

struct backup_slot {
	int         repo;		/* 1..4; 0: Barman Cloud (a ScheduledBackup) */
	const char *type;		/* full, diff, incr */
	struct cron cron;
	int         sec;		/* six-field schedules: the second of the minute */
	char        name[64];	/* the ScheduledBackup's */
	bool        immediate;	/* its first backup is still to be taken, at once */
	time_t      due;		/* the next slot (Unix time) */
};

struct backup_job {
	enum task_kind kind;		/* TASK_STANZA, TASK_BACKUP or TASK_ARCHIVE_LAG */
	int         repo;
	const char *type;
	double      started;		/* Unix time */
};

struct backups {
	struct task            task;
	const struct settings *set;
	bool                   enabled;		/* the spec has repositories or an object store */
	bool                   barman;		/* Barman Cloud (CloudNativePG), not pgBackRest */
	char                   retention[16];	/* spec.backup.retentionPolicy */
	bool                   stanza_ok;	/* since pgpod started */
	long long              stanza_retry_ms;	/* CLOCK_MONOTONIC; 0: now */
	int                    standby_repo;	/* a standby fed from repoN (spec.standby); 0 none */
	long long              lag_next_ms;	/* its next archive lag check */
	struct backup_slot     slots[BACKUP_SLOTS_MAX];
	size_t                 nslots;
	struct backup_job      job;		/* the running one */
};

bool backups_init(struct backups *b, const struct settings *set) __attribute__((warn_unused_result));

/* Take the spec's repositories and schedules (at start and every reload);
 * the next slot of each schedule is the first after now. */
void backups_plan(struct backups *b, const struct spec *s, time_t now);

/* One supervisor tick: start what is due. primary: postgres runs and is
 * the primary (not in recovery). */
void backups_tick(struct backups *b, bool primary, time_t now, long long mono);

/* The job's thread ended (task efd readable): log and report it. */
void backups_done(struct backups *b);

/* A stop begins: a running backup is stopped (SIGTERM to pgbackrest) so
 * that postgres' smart shutdown does not wait for its session. */
void backups_stop(struct backups *b);

/* Wait (bounded) for the job's thread to end, then close. */
void backups_close(struct backups *b, long long deadline_ms);

#endif
