/*
 * restart.h — the restart limiter: a dead postmaster is started again in
 * place at most R times within T seconds; one more death means something
 * is wrong that a restart does not mend, and pgpod gives up (exit 125).
 * Pure: the caller passes the time.
 */
#ifndef PGPOD_RESTART_H
#define PGPOD_RESTART_H

#include <stdbool.h>

#define RESTART_HISTORY 1024

struct restart_limiter {
	long long at[RESTART_HISTORY];	/* the restarts within the window, oldest first */
	int       n;
	int       total;		/* every restart since pgpod started */
};

/* A death at now (ms): forget the restarts older than window_ms; true,
 * and the restart counted, when fewer than max remain. */
bool restart_allow(struct restart_limiter *l, long long now, int max, long long window_ms);

#endif
