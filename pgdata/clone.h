/*
 * clone.h — the methods that copy a live server with pg_basebackup (see
 * boot.h): the pg_basebackup bootstrap, the first instance of a replica
 * cluster, and a replica joining its primary.
 *
 * Before anything is copied the source is checked over a replication
 * connection and, where pg_hba.conf allows, a normal one: reachable,
 * login accepted, REPLICATION privilege, two free WAL senders, the same
 * major version and block layout, tablespaces this machine can hold.
 */
#ifndef PGPOD_CLONE_H
#define PGPOD_CLONE_H

#include <stddef.h>

#include "boot.h"

enum boot_result clone_bootstrap(struct boot *b);

/* A copy that was cut off (pgpod was killed) may have left pg_basebackup's
 * WAL streamer running, holding WAL senders of the source and writing into
 * the copy: kill the process group recorded in PGDATA/.pgpod-copy.pid —
 * only processes of pg_basebackup for this PGDATA — and wait until it is
 * gone (bounded). */
void clone_kill_leftover(const char *pgdata);

/* What went wrong connecting to a source, for people: libpq's message
 * sorted into unreachable / authentication / privilege / WAL senders,
 * with what to do (exposed for unit tests). */
void clone_explain_connect(const struct upstream *u, const char *where, const char *host,
			   const char *port, const char *libpq_msg, char *out, size_t cap);

/* Compare the source's layout settings (SHOW block_size ...) with this
 * build's; false with the first difference in out (exposed for tests). */
bool clone_layout_matches(const char *name, const char *source_value, char *out, size_t cap);

/* Parse one line of pg_basebackup -P ("1234/5678 kB (21%), 0/1 tablespace");
 * false when it is not one. */
bool clone_parse_progress(const char *line, size_t len, long long *done_kb, long long *total_kb,
			  int *pct);

#endif
