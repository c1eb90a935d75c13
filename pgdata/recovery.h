/*
 * recovery.h — a temporary postgres replaying archived WAL until it is
 * promoted: what every restore from a backup repository ends with, whoever
 * made the files (pgBackRest today). The caller has written the recovery
 * settings (restore_command, the target, promote at it) into the data
 * directory; this starts postgres there with no TCP and hot standby on
 * (its progress can be asked), logs the replay every few seconds, resumes a
 * paused replay, and waits — with no time limit: a recovery takes as long
 * as the WAL — until it is promoted or postgres ends.
 *
 * The hot-standby parameters (max_connections, max_worker_processes,
 * max_wal_senders, max_prepared_transactions, max_locks_per_transaction)
 * must be at least the primary's: they start at pg_controldata's values.
 * When the replay reaches a record of the primary raising one of them
 * after the backup, postgres pauses (PostgreSQL 14 and later) or exits (13
 * and earlier); either way pg_controldata then holds the higher value, and
 * the recovery is started again with it. A start with nothing higher than
 * the last one is no progress: an error, not a loop.
 */
#ifndef PGPOD_RECOVERY_H
#define PGPOD_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>

#include "boot.h"
#include "config.h"
#include "settings.h"
#include "spec.h"

#define RECOVERY_HOT_N 5

/* The hot-standby parameters, in the order of recovery_hot_names. */
struct recovery_hot {
	long v[RECOVERY_HOT_N];
	bool known;		/* pg_controldata was read */
};

extern const char *const recovery_hot_names[RECOVERY_HOT_N];

/* pg_controldata's output into h (values it lacks stay 0); false when it
 * names none of them. */
bool recovery_hot_parse(const char *controldata, struct recovery_hot *h);

/* The parameters now higher than before, "max_connections 100 -> 150, ..."
 * into buf; false when none is. */
bool recovery_hot_raised(const struct recovery_hot *before, const struct recovery_hot *now,
			 char *buf, size_t cap);

/* What postgres calls the spec's target kind. */
enum config_target recovery_target_of(enum spec_target_kind k);

/* "time 2026-01-01 ...", or "the end of the archived WAL", for the log. */
const char *recovery_target_text(const struct spec_target *t, char *buf, size_t cap);

/* Run the recovery of st->pgdata (configured) towards b->restore's target
 * until promoted; b->inst is left running and b->conn connected. False:
 * logged, with the last replayed LSN and time. */
bool recovery_run(struct boot *b, const struct settings *st);

/* A target time in any form restore_parse_time reads (RFC 3339 with Z or
 * an offset, PostgreSQL's "2021-06-09 14:15:11-04", no zone: UTC) as the
 * recovery_target_time pgpod writes: "2021-06-09 18:15:11.000000+00". */
bool recovery_time_text(const char *value, char *buf, size_t cap);

/* The settings of the staging directory (PGDATA/.pgpod-copy) into st. */
bool recovery_staging(const struct boot *b, struct settings *st);

/* pgpod's recovery settings in st->pgdata: b->restore_command, the target,
 * promotion at it; copy: the source's completion marker goes too. */
bool recovery_configure(struct boot *b, const struct settings *st, bool copy);

/* Steps a restore method ends with, after its files are in the staging
 * directory: the recovery to the target with promotion; on that postgres,
 * the databases --db-include left out dropped, roles, the application
 * database and the marker's members (backup, target, timeline, repo);
 * then, postgres stopped, the staging directory into place. */
bool recovery_step_recover(struct boot *b);
bool recovery_step_roles(struct boot *b);
bool recovery_step_place(struct boot *b);

/* A standby's first PGDATA (no recovery run here: postgres starts as a
 * standby and follows the archive, and its source when it streams): the
 * restored files into place, the source's marker and signals gone. */
bool recovery_step_place_standby(struct boot *b);

#endif
