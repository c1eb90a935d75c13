/*
 * stop.c — the shutdown steps (see stop.h).
 */
#include "stop.h"

#include <signal.h>

#define SMART_DEFAULT_S   180
#define DELAY_DEFAULT_S   1800
#define IMMEDIATE_WAIT_MS 10000	/* after an immediate shutdown, before SIGKILL */
#define KILL_WAIT_MS      5000

const struct stop_step stop_steps[STOP_STEPS] = {
	{ INSTANCE_STOP_SMART, "smart", SIGTERM },
	{ INSTANCE_STOP_FAST, "fast", SIGINT },
	{ INSTANCE_STOP_IMMEDIATE, "immediate", SIGQUIT },
	{ INSTANCE_STOP_KILL, "SIGKILL", SIGKILL },
};

long long
stop_step_ms(int step, int smart_timeout_s, int stop_delay_s)
{
	long long smart = (long long) (smart_timeout_s >= 0 ? smart_timeout_s : SMART_DEFAULT_S) * 1000;
	long long delay = (long long) (stop_delay_s >= 0 ? stop_delay_s : DELAY_DEFAULT_S) * 1000;

	switch (stop_steps[step].mode) {
	case INSTANCE_STOP_SMART:
		return smart;
	case INSTANCE_STOP_FAST:
		return delay > smart ? delay - smart : 1000;
	case INSTANCE_STOP_IMMEDIATE:
		return IMMEDIATE_WAIT_MS;
	case INSTANCE_STOP_KILL:
		break;
	}
	return KILL_WAIT_MS;
}

int
stop_next(int step)
{
	return step + 1 < STOP_STEPS ? step + 1 : STOP_STEPS - 1;
}

int
stop_index(enum instance_stop_mode mode)
{
	for (int i = 0; i < STOP_STEPS; i++)
		if (stop_steps[i].mode == mode)
			return i;
	return STOP_STEPS - 1;
}
