/*
 * monitor.h — the status thread: once a second (or when nudged) it asks
 * the running postgres over the local socket what only SQL can tell
 * (recovery, timeline, LSNs, replay lag, pending restarts, version) and
 * stores it in the shared status; it also applies password changes of
 * rotated Secrets. Every call is bounded by connect and statement timeouts.
 */
#ifndef PGPOD_MONITOR_H
#define PGPOD_MONITOR_H

#include <stdbool.h>

#include "settings.h"

bool monitor_start(const struct settings *set) __attribute__((warn_unused_result));

/* Query now instead of at the next period. */
void monitor_nudge(void);

/* Set role's password (SCRAM-hashed client-side, statement not logged)
 * as soon as a primary answers; a newer request for the role replaces an
 * older one. The password is copied and wiped after use. */
void monitor_set_password(const char *role, const char *password);

void monitor_stop(void);

#endif
