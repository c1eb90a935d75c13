/*
 * barman_wal.h — `pgpod wal-archive` and `pgpod wal-restore`: postgres'
 * archive_command and restore_command for a Barman Cloud object store, as
 * CloudNativePG's instance manager has them. Both read the store from its
 * directory in the run directory (barman.h), never the spec.
 *
 * wal-archive PATH (cwd: PGDATA, as postgres runs it)
 *   - a segment already archived ahead (a name in the store's spool/) is
 *     done: the spool entry goes, exit 0;
 *   - the first archive of a new cluster (PGDATA holds EMPTY_CHECK_FILE,
 *     left by the bootstrap) checks that the destination holds no WAL of
 *     this server name (barman-cloud-check-wal-archive), with
 *     CloudNativePG's message and escape hatch (the annotation
 *     cnpg.io/skipEmptyWalArchiveCheck: enabled);
 *   - with wal.maxParallel N > 1, the next N-1 segments postgres marked
 *     ready (the .ready files of pg_wal/archive_status) are archived at the same time,
 *     each by its own barman-cloud-wal-archive, and those that succeed go
 *     to spool/ so that postgres' own call for them returns at once.
 *
 * wal-restore NAME PATH
 *   - a segment fetched ahead (in the store's prefetch/) is moved to PATH;
 *   - one being fetched ahead (its NAME.claim names a live fetcher) is
 *     waited for, at most 2 minutes;
 *   - otherwise barman-cloud-wal-restore fetches it; once it is there, with
 *     maxParallel N > 1, a detached fetcher (postgres does not wait for it)
 *     fetches the next N-1 segments of the same timeline into prefetch/,
 *     at the same time, while postgres replays this one: NAME.partial
 *     renamed to NAME once complete (a cut-off download never passes for a
 *     segment). Exit 1 when the archive does not have NAME (postgres asks
 *     again later, or ends the recovery) — and then nothing is fetched
 *     ahead, so a standby waiting at the end of the archive costs one call.
 */
#ifndef PGPOD_BARMAN_WAL_H
#define PGPOD_BARMAN_WAL_H

#include <stdbool.h>
#include <stddef.h>

/* In PGDATA: the next archive must first find the destination empty. */
#define EMPTY_CHECK_FILE ".pgpod-check-empty-wal-archive"

#define BARMAN_WAL_MAX_PARALLEL 64

/* A 24-hex-digit WAL segment name. */
bool barman_wal_is_segment(const char *name);

/* The segment after name (same timeline), segment_bytes per segment;
 * false when name is not a segment. */
bool barman_wal_next(const char *name, unsigned long long segment_bytes, char *out, size_t cap);

/* The ready segments after name, oldest first, at most max, from the
 * names of archive_status (".ready" files); the count. */
size_t barman_wal_ready_after(const char *const *status_names, size_t n, const char *name,
			      char out[][32], size_t max);

/* A standby fed from the source's store: the bytes from replay_lsn to the
 * archive's end as wal-restore last saw it (after the newest segment it
 * found, or at the first it found missing); -1 when it has not looked.
 * During a long catch-up the newest segment seen is at most wal.maxParallel
 * ahead of the replay: the lag is a lower bound then. */
long long barman_wal_archive_lag(const char *run_dir, const char *replay_lsn,
				 unsigned long long segment_bytes);

/* The commands: an exit code for postgres (0 done, 1 not done). */
int barman_wal_archive(const char *run_dir, const char *path);
int barman_wal_restore(const char *run_dir, const char *name, const char *path);

#endif
