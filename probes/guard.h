/*
 * guard.h — what keeps slow or idle clients from stalling the probe port.
 * Every connection is tracked from its accept: one that has not sent a
 * whole request head within GUARD_HEAD_MS of its start (or of the end of
 * its previous request) is dropped — the deadline does not restart on
 * every byte, so a client trickling a byte at a time cannot hold a slot —
 * and beyond GUARD_SOFT_CAP connections the oldest waiting one is dropped
 * for each new one, so a new probe always gets in. Bookkeeping under a
 * lock; a connection is dropped by the server's drop function, called with
 * the lock held, so that the server cannot close and reuse the descriptor
 * meanwhile (it tells guard_close first, which waits for the lock).
 */
#ifndef PGPOD_GUARD_H
#define PGPOD_GUARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define GUARD_MAX      1024	/* tracked connections (above the server's limit) */
#define GUARD_SOFT_CAP 512	/* above this many, the oldest waiting one goes */
#define GUARD_HEAD_MS  3000	/* a request head must be complete within this */

struct guard_conn {
	int       fd;
	long long since;	/* accepted, or its previous request answered */
	bool      in_request;	/* its request head arrived; being answered */
	bool      dropped;	/* handed back to be shut down */
};

struct guard {
	pthread_mutex_t   lock;
	void            (*drop)(int fd);	/* shut the connection down */
	struct guard_conn c[GUARD_MAX];
	size_t            n;
	long long         head_ms;	/* GUARD_HEAD_MS, smaller in tests */
	size_t            soft_cap;	/* GUARD_SOFT_CAP, smaller in tests */
};

void guard_init(struct guard *g, long long head_ms, size_t soft_cap, void (*drop)(int fd));

/* A connection was accepted at now; above the soft cap the oldest one
 * waiting for its request is dropped to make room. */
void guard_open(struct guard *g, int fd, long long now);

/* Its request head is complete (it is being answered). */
void guard_request(struct guard *g, int fd);

/* Its answer went out at now: it waits for its next request (keep-alive). */
void guard_answered(struct guard *g, int fd, long long now);

void guard_close(struct guard *g, int fd);

/* Drop the connections whose request head is late at now (each once);
 * returns how many. */
size_t guard_sweep(struct guard *g, long long now);

#endif
