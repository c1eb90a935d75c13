/*
 * stop.h — the shutdown steps as a table: smart (SIGTERM), fast (SIGINT),
 * immediate (SIGQUIT), SIGKILL, each with how long it may take before the
 * next one: CloudNativePG's smartShutdownTimeout for smart, the rest of
 * stopDelay for fast, fixed times for the last two. Never a step back.
 */
#ifndef PGPOD_STOP_H
#define PGPOD_STOP_H

#include "pgdata/instance.h"

struct stop_step {
	enum instance_stop_mode mode;
	const char *name;
	int         task_signal;	/* what a bootstrap's children get */
};

#define STOP_STEPS 4

extern const struct stop_step stop_steps[STOP_STEPS];

/* How long step may take (ms) with the spec's smartShutdownTimeout and
 * stopDelay in seconds (< 0: CloudNativePG's defaults, 180 and 1800). */
long long stop_step_ms(int step, int smart_timeout_s, int stop_delay_s);

/* The step after step (the last one stays). */
int stop_next(int step);

/* The step that sends mode. */
int stop_index(enum instance_stop_mode mode);

#endif
