/*
 * guard.c — connection bookkeeping for the probe port (see guard.h).
 */
#include "guard.h"

#include <string.h>

void
guard_init(struct guard *g, long long head_ms, size_t soft_cap, void (*drop)(int fd))
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	g->drop = drop;
	g->head_ms = head_ms;
	g->soft_cap = soft_cap < GUARD_MAX ? soft_cap : GUARD_MAX;
}

/* The entry of fd, or NULL; called with the lock held. */
static struct guard_conn *
guard_find(struct guard *g, int fd)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->c[i].fd == fd)
			return &g->c[i];
	return NULL;
}

/* The oldest connection waiting for its request, not yet dropped. */
static struct guard_conn *
guard_oldest_waiting(struct guard *g)
{
	struct guard_conn *best = NULL;

	for (size_t i = 0; i < g->n; i++) {
		struct guard_conn *c = &g->c[i];

		if (!c->in_request && !c->dropped && (best == NULL || c->since < best->since))
			best = c;
	}
	return best;
}

void
guard_open(struct guard *g, int fd, long long now)
{
	struct guard_conn *victim = NULL;

	pthread_mutex_lock(&g->lock);
	if (g->n >= g->soft_cap)
		victim = guard_oldest_waiting(g);
	if (victim != NULL) {
		victim->dropped = true;
		g->drop(victim->fd);
	}
	if (g->n < GUARD_MAX)
		g->c[g->n++] = (struct guard_conn) { .fd = fd, .since = now };
	pthread_mutex_unlock(&g->lock);
}

void
guard_request(struct guard *g, int fd)
{
	struct guard_conn *c;

	pthread_mutex_lock(&g->lock);
	if ((c = guard_find(g, fd)) != NULL)
		c->in_request = true;
	pthread_mutex_unlock(&g->lock);
}

void
guard_answered(struct guard *g, int fd, long long now)
{
	struct guard_conn *c;

	pthread_mutex_lock(&g->lock);
	if ((c = guard_find(g, fd)) != NULL) {
		c->in_request = false;
		c->since = now;
	}
	pthread_mutex_unlock(&g->lock);
}

void
guard_close(struct guard *g, int fd)
{
	struct guard_conn *c;

	pthread_mutex_lock(&g->lock);
	if ((c = guard_find(g, fd)) != NULL)
		*c = g->c[--g->n];
	pthread_mutex_unlock(&g->lock);
}

size_t
guard_sweep(struct guard *g, long long now)
{
	size_t n = 0;

	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->n; i++) {
		struct guard_conn *c = &g->c[i];

		if (!c->in_request && !c->dropped && now - c->since >= g->head_ms) {
			c->dropped = true;
			g->drop(c->fd);
			n++;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return n;
}
