/*
 * phase.c — the phase transition table (see phase.h).
 */
#include "phase.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static const struct {
	enum status_phase from;
	enum status_phase to;
} transitions[] = {
	{ PHASE_STOPPED, PHASE_BOOTSTRAPPING },		/* an empty PGDATA */
	{ PHASE_STOPPED, PHASE_STARTING },		/* a bootstrapped one */
	{ PHASE_STOPPED, PHASE_STOPPING },		/* SIGTERM before anything ran */
	{ PHASE_BOOTSTRAPPING, PHASE_STARTING },	/* the bootstrap is done */
	{ PHASE_BOOTSTRAPPING, PHASE_STOPPING },	/* SIGTERM during the bootstrap */
	{ PHASE_STARTING, PHASE_RUNNING },		/* postmaster.pid says ready or standby */
	{ PHASE_STARTING, PHASE_RESTARTING },		/* it died while starting */
	{ PHASE_STARTING, PHASE_STOPPING },
	{ PHASE_RUNNING, PHASE_RESTARTING },		/* the postmaster died */
	{ PHASE_RUNNING, PHASE_STOPPING },
	{ PHASE_RESTARTING, PHASE_RUNNING },		/* ready again */
	{ PHASE_RESTARTING, PHASE_STOPPING },
	{ PHASE_STOPPED, PHASE_RESTORING },		/* an in-place restore before the first start */
	{ PHASE_STARTING, PHASE_RESTORING },		/* ... asked for by a reload */
	{ PHASE_RUNNING, PHASE_RESTORING },
	{ PHASE_RESTARTING, PHASE_RESTORING },
	{ PHASE_RESTORING, PHASE_STARTING },		/* restored: postgres starts */
	{ PHASE_RESTORING, PHASE_STOPPING },
};

bool
phase_allowed(enum status_phase from, enum status_phase to)
{
	if (to == PHASE_FAILED)
		return from != PHASE_FAILED;	/* giving up is always possible */
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (transitions[i].from == from && transitions[i].to == to)
			return true;
	return false;
}

enum status_phase
phase_now(void)
{
	struct status *st = status_lock();
	enum status_phase p = st->phase;

	status_unlock();
	return p;
}

bool
phase_move(enum status_phase to, const char *why, ...)
{
	struct status *st;
	enum status_phase from;
	char reason[512];
	va_list ap;
	bool ok;

	va_start(ap, why);
	vsnprintf(reason, sizeof(reason), why, ap);
	va_end(ap);
	st = status_lock();
	from = st->phase;
	ok = from != to && phase_allowed(from, to);
	if (ok)
		st->phase = to;
	status_unlock();
	if (ok)	/* giving up is an error, with its reason */
		log_msg(to == PHASE_FAILED ? LOG_ERROR : LOG_INFO, "pgpod", "phase %s -> %s: %s",
			status_phase_name(from), status_phase_name(to), reason);
	else if (from != to)
		log_error("phase %s -> %s is not a transition pgpod makes (%s); staying %s",
			  status_phase_name(from), status_phase_name(to), reason,
			  status_phase_name(from));
	return ok || from == to;
}
