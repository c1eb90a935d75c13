/*
 * restore.h — the restore bootstrap from a pgBackRest repository (PGO's
 * and Percona's spec.dataSource: postgresCluster with the source cluster's
 * document in the same file, or pgbackrest with the repository described
 * in place), with point-in-time recovery:
 *
 *   check      `pgbackrest info`: the repository answers, the stanza and a
 *              backup exist, of the installed major; --set exists; a time
 *              target is after a backup's end; a target timeline exists.
 *              Each refusal is one message, before anything is written.
 *   restore    `pgbackrest restore --type=none --delta` into the staging
 *              directory (PGDATA/.pgpod-copy): a restore cut off by a stop
 *              stays there and the next run resumes it.
 *   recover    a temporary postgres (no TCP) on the staging directory with
 *              pgpod's recovery settings (restore_command = archive-get,
 *              the target, recovery_target_action = promote), the
 *              hot-standby parameters raised to pg_controldata's, replay
 *              progress logged, a paused replay resumed, no time limit,
 *              until it is promoted; an end before the target is an error
 *              with the last replayed time and LSN.
 *   then       into place, roles and the application database, databases
 *              left out by --db-include dropped, configuration, flush,
 *              and the marker (method restore, backup, target, timeline).
 */
#ifndef PGPOD_RESTORE_H
#define PGPOD_RESTORE_H

#include <stdbool.h>

#include "boot.h"
#include "inputs.h"
#include "settings.h"
#include "spec.h"

/* The spec restores from a pgBackRest repository (PGO, Percona). */
bool restore_asked(const struct spec *s);

/* The checks before anything is written (logged). */
bool restore_check(const struct settings *set, const struct spec *s, const struct inputs *in);

/* The restore's repository and the configuration it ends with. */
bool restore_prepare(struct boot *b);

extern const struct boot_steps restore_plan;

/* A standby fed from this cluster's repository (PGO's spec.standby with a
 * repoName): its first PGDATA is the newest backup restored; then
 * standby.signal, restore_command = archive-get, and primary_conninfo
 * when spec.standby.host is given. */
bool standby_asked(const struct spec *s);
bool standby_check(const struct settings *set, const struct spec *s, const struct inputs *in);
bool standby_prepare(struct boot *b);
extern const struct boot_steps standby_plan;

/* PGO's in-place restore (spec.backups.pgbackrest.restore with the
 * postgres-operator.crunchydata.com/pgbackrest-restore annotation, or
 * Percona's PerconaPGRestore): enabled, and its id is not the one PGDATA
 * last applied (the file RESTORE_ID_FILE). */
#define RESTORE_ID_FILE "pgpod-restore-id"
bool restore_inplace_pending(const struct settings *set, const struct spec *s);

/* The in-place restore, postgres stopped: `pgbackrest restore --delta` into
 * PGDATA from this cluster's repository, the recovery to the target with
 * promotion (as the bootstrap restore's), then pgpod's configuration and
 * the id recorded. A restore cut off is done again by the next run (the
 * id is recorded last; pgBackRest restores pg_control last, so a half
 * restored PGDATA never starts). False: logged. */
bool restore_in_place(const struct settings *set, const struct spec *s, const struct inputs *in);

/* Parse a recovery_target_time the way people write it for PostgreSQL
 * ("2021-06-09 14:15:11-04", "2026-01-02T03:04:05.5Z", no zone: UTC)
 * into Unix time; false when it is not one of those forms. */
bool restore_parse_time(const char *text, double *out);

/* Unix time t as "2026-12-03 10:44:38+00" (what postgres reads back). */
void restore_utc_text(double t, char *buf, size_t cap);

#endif
