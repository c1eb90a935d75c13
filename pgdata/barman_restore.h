/*
 * barman_restore.h — CloudNativePG's bootstrap.recovery from a Barman Cloud
 * object store (the source externalClusters entry's barmanObjectStore):
 *
 *   check      the source exists and has an object store; its directory
 *              (barman.h, "source") is written.
 *   prepare    barman-cloud-backup-list: the repository answers (its own
 *              message kept), holds a completed backup; the backup chosen
 *              as CloudNativePG chooses it (backupID exactly; targetTime:
 *              the newest ending at or before it, on targetTLI when that is
 *              a number; targetLSN: the newest ending before it; else the
 *              newest), of the installed major; a numbered targetTLI has its
 *              history file in the archive; the backup's first WAL segment
 *              is fetched — a broken archive is found in seconds, before
 *              the copy. Nothing is written to PGDATA before all of it.
 *   restore    barman-cloud-restore into PGDATA/.pgpod-copy.
 *   then       the recovery every restore ends with (recovery.h), with
 *              restore_command = pgpod wal-restore; the marker's method is
 *              "recovery".
 */
#ifndef PGPOD_BARMAN_RESTORE_H
#define PGPOD_BARMAN_RESTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "boot.h"
#include "inputs.h"
#include "settings.h"
#include "spec.h"

/* One completed or failed backup of barman-cloud-backup-list. */
struct barman_backup {
	char   id[64];
	double begin;			/* Unix time (barman prints UTC, as the pod runs) */
	double end;
	char   begin_wal[32];
	char   end_lsn[32];
	unsigned long long end_lsn_num;
	int    timeline;
	int    version;			/* server_version_num */
	unsigned long long segment_bytes;
	bool   done;			/* status DONE */
};

struct barman_backups {
	struct barman_backup *v;
	size_t n;
};

/* barman-cloud-backup-list --format json's text into l (free with free(l->v)). */
bool barman_backups_parse(const char *text, struct barman_backups *l, char *why, size_t whycap);

/* The backup a recovery starts from (see above); NULL with why. */
const struct barman_backup *barman_backup_choose(const struct barman_backups *l,
						 const struct spec_restore *r, char *why,
						 size_t whycap);

bool barman_recovery_asked(const struct spec *s);
bool barman_recovery_check(const struct settings *set, const struct spec *s,
			   const struct inputs *in);
bool barman_recovery_prepare(struct boot *b);
extern const struct boot_steps barman_recovery_plan;

/* A replica cluster (spec.replica) whose source has an object store and no
 * connectionParameters, or whose bootstrap is a recovery: its first PGDATA
 * is the chosen backup, restored and placed as a standby — restore_command
 * = pgpod wal-restore, and primary_conninfo too when the source has
 * connectionParameters. */
bool barman_standby_asked(const struct spec *s);
bool barman_standby_check(const struct settings *set, const struct spec *s,
			  const struct inputs *in);
bool barman_standby_prepare(struct boot *b);
extern const struct boot_steps barman_standby_plan;

#endif
