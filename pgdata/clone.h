/*
 * clone.h — the methods that copy a live server with pg_basebackup (see
 * method.h): the pg_basebackup bootstrap (a copy promoted on a new
 * timeline and configured), the first instance of a replica cluster (a
 * standby of the source), and a replica joining its primary.
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
#include "log.h"

/* The steps of the three methods. */
extern const struct boot_steps clone_copy_plan;
extern const struct boot_steps clone_standby_plan;
extern const struct boot_steps clone_join_plan;

/* Set up b's upstream and recovery description for each method. */
/* The external cluster name as b's upstream, with where the user sets it
 * (b->up_path); its files written under the run dir. */
bool clone_prepare_external(struct boot *b, const char *name)
	__attribute__((warn_unused_result));

/* Connect to b's upstream (database: its dbname, else postgres);
 * replication: a physical replication session. A failure is explained
 * (clone_explain_connect) and logged at level; NULL then. */
PGconn *clone_source_connect(struct boot *b, bool replication, enum log_level level);

bool clone_prepare_copy(struct boot *b) __attribute__((warn_unused_result));
bool clone_prepare_standby(struct boot *b) __attribute__((warn_unused_result));
bool clone_prepare_join(struct boot *b) __attribute__((warn_unused_result));

/* A replica needs the replication Secret's password (logged when not). */
bool clone_check_join(const struct settings *set, const struct spec *s, const struct inputs *in)
	__attribute__((warn_unused_result));

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
