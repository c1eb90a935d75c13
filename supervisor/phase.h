/*
 * phase.h — the supervisor's phases (stopped, bootstrapping, starting,
 * running, restarting, stopping, failed: status.h) as a table of allowed
 * transitions, walked by one function that moves the shared status and
 * logs every move with its reason:
 *
 *   phase running -> restarting: postmaster killed by signal 9 (Killed)
 *
 * A move to failed is logged as an error. A move the table does not know
 * is a bug: it is logged and not made.
 */
#ifndef PGPOD_PHASE_H
#define PGPOD_PHASE_H

#include <stdbool.h>

#include "status.h"

/* Whether the table allows from -> to (the same phase is no move). */
bool phase_allowed(enum status_phase from, enum status_phase to);

/* Move the shared status to `to`; why says what happened. Returns false
 * when the move is not allowed (logged). Staying in a phase is no move
 * and logs nothing. */
bool phase_move(enum status_phase to, const char *why, ...) __attribute__((format(printf, 2, 3)));

/* The phase now. */
enum status_phase phase_now(void);

#endif
