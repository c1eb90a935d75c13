/*
 * instance.h — one postgres postmaster run directly as pgpod's child (not
 * through pg_ctl), in its own process group, output captured into the log.
 * Stopping escalates smart -> fast -> immediate -> SIGKILL and never steps
 * back down; once the postmaster is gone, its leftover children get SIGKILL.
 */
#ifndef PGPOD_INSTANCE_H
#define PGPOD_INSTANCE_H

#include <stdbool.h>

#include "argv.h"
#include "proc.h"
#include "settings.h"

enum instance_stop_mode {
	INSTANCE_STOP_SMART,		/* SIGTERM */
	INSTANCE_STOP_FAST,		/* SIGINT */
	INSTANCE_STOP_IMMEDIATE,	/* SIGQUIT */
	INSTANCE_STOP_KILL,		/* SIGKILL, then to its leftover children */
};

struct instance {
	struct proc proc;
	bool        running;
	int         exit_code;	/* once stopped */
	char        pgdata[PATH_MAX];
};

/* Start postgres on set->pgdata with extra "-c name=value" settings
 * (temporary instances use them: no TCP, socket in the run dir). */
bool instance_start(const struct settings *set, const struct argv *extra,
		    struct instance *inst) __attribute__((warn_unused_result));

/* Read postmaster.pid: the pid (line 1) and status (line 8, "" when not
 * yet written). False when there is no such file. */
bool instance_pidfile(const char *pgdata, pid_t *pid, char *status, size_t cap);

/* Before a start: a postmaster.pid whose pid is not a live postgres of this
 * data directory is stale and removed; a live one is refused (false). */
bool instance_check_lock(const char *pgdata) __attribute__((warn_unused_result));

/* Wait until postmaster.pid says "ready" (or the child dies). */
bool instance_wait_ready(struct instance *inst, int timeout_ms)
	__attribute__((warn_unused_result));

/* Send the signal of mode (never a weaker one than already sent). */
void instance_signal(struct instance *inst, enum instance_stop_mode mode);

/* Wait up to timeout_ms for the postmaster to exit (reaping it). */
bool instance_wait_exit(struct instance *inst, int timeout_ms);

/* Stop with mode, escalating after each timeout_ms; true once exited. */
bool instance_stop(struct instance *inst, enum instance_stop_mode mode, int timeout_ms);

/* Reap if exited; true when it has. */
bool instance_check_exit(struct instance *inst);

/* SIGKILL to what is left of a dead postmaster: the postgres processes of
 * its data directory that were re-parented to pgpod (they hold its shared
 * memory); other orphans (a job `kubectl exec` left behind) are not
 * touched. Returns how many are left, zombies included. */
size_t instance_kill_leftovers(const struct instance *inst);

/* The environment pgpod gives every PostgreSQL tool. */
void instance_tool_env(const struct settings *set, struct argv *env);

#endif
