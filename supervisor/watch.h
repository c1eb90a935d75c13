/*
 * watch.h — what a reload reads, watched: the spec file and the Secrets
 * it loads (the same rule that loads them: inputs_secret_names), and
 * PGDATA's postmaster.pid. Their content is hashed every WATCH_MS; inotify
 * on their directories (a ConfigMap volume swaps a symlink) only makes a
 * change seen sooner, and a rewritten postmaster.pid looked at at once.
 */
#ifndef PGPOD_WATCH_H
#define PGPOD_WATCH_H

#include <stdbool.h>

#include "settings.h"
#include "spec.h"

#define WATCH_MS 2000	/* the spec and Secrets are hashed this often */

struct watch {
	int       ifd;		/* inotify, -1 when unavailable */
	int       wd_pgdata;	/* its watch on PGDATA, -1 until postgres runs */
	char      hash[65];	/* of what a reload reads; "" before the first */
	long long next_ms;	/* the next hash */
};

/* inotify where available (its absence only costs latency). */
void watch_init(struct watch *w);

/* Watch the spec's directory and the directories of the Secrets s loads
 * (at start and after each reload: a new spec may name other Secrets). */
void watch_inputs(struct watch *w, const struct settings *set, const struct spec *s);

/* Watch PGDATA for postmaster.pid (once it exists). */
void watch_pgdata(struct watch *w, const char *pgdata);

/* Drain the inotify queue: *pidfile when postmaster.pid changed; an
 * input's directory changed makes the next watch_changed hash at once. */
void watch_drain(struct watch *w, bool *pidfile);

/* When due (every WATCH_MS, or at once after an event): hash the spec and
 * its Secrets; true when that differs from the last hash (the first hash
 * only records). */
/* What the loaded spec and Secrets hash to, taken when they are loaded: a
 * change made before the first watch_changed (during a long bootstrap,
 * say) is then a change, not the baseline. */
void watch_baseline(struct watch *w, const struct settings *set, const struct spec *s);

bool watch_changed(struct watch *w, const struct settings *set, const struct spec *s,
		   long long now);

void watch_close(struct watch *w);

#endif
