/*
 * monitor.h — the status thread: once a second (or when nudged) it asks
 * the running postgres over the local socket what only SQL can tell
 * (recovery, timeline, LSNs, replay lag, pending restarts, version) and
 * stores it in the shared status; it also applies password changes of
 * rotated Secrets and looks after replicas' replication slots. Every call is bounded by connect and statement timeouts.
 */
#ifndef PGPOD_MONITOR_H
#define PGPOD_MONITOR_H

#include <stdbool.h>

#include "managed.h"
#include "settings.h"

bool monitor_start(const struct settings *set) __attribute__((warn_unused_result));

/* Query now instead of at the next period. */
void monitor_nudge(void);

/* Set role's password (SCRAM-hashed client-side, statement not logged)
 * as soon as a primary answers; a newer request for the role replaces an
 * older one. The password is copied and wiped after use. */
void monitor_set_password(const char *role, const char *password);

/* spec.instances (< 1: not given). A primary drops the physical slots
 * pgpod made for replicas outside 1..instances once they have been
 * unused for 30 s; a standby that does not stream re-creates its own slot
 * on the primary when it is missing. */
void monitor_set_instances(int instances);

/* The desired managed roles and databases (pgdata/managed.h; NULL:
 * none), owned by the status thread from now on. A primary is reconciled
 * at once, after every start and promotion, and every minute; a standby
 * never (its items stay pending). */
void monitor_set_managed(struct managed_state *m);

/* A stop began: close pgpod's own session at once and open none again
 * (a smart shutdown waits for every session, pgpod's too). */
void monitor_release(void);

void monitor_stop(void);

#endif
