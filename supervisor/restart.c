/*
 * restart.c — the restart limiter (see restart.h).
 */
#include "restart.h"

bool
restart_allow(struct restart_limiter *l, long long now, int max, long long window_ms)
{
	int keep = 0;

	for (int i = 0; i < l->n; i++)
		if (now - l->at[i] < window_ms)
			l->at[keep++] = l->at[i];
	l->n = keep;
	if (l->n >= max || l->n >= RESTART_HISTORY)
		return false;
	l->at[l->n++] = now;
	l->total++;
	return true;
}
