/*
 * task.h — the supervisor's one runner of background work: a bootstrap, a
 * promotion, a reload (and next an in-place restore) runs in a thread of
 * its own so
 * that the loop keeps ticking (/healthz stays 200 through a long initdb).
 * One task at a time; its end wakes the loop through an eventfd. Children
 * a task starts are forked by proc.c's long-lived spawner thread, so they
 * outlive the task's thread.
 */
#ifndef PGPOD_TASK_H
#define PGPOD_TASK_H

#include <pthread.h>
#include <stdbool.h>

enum task_kind {
	TASK_NONE,
	TASK_BOOTSTRAP,
	TASK_PROMOTE,
	TASK_RELOAD,
	TASK_STANZA,		/* pgBackRest stanza-create and check (backup.c) */
	TASK_BACKUP,		/* a pgBackRest backup (backup.c) */
	TASK_RESTORE,		/* an in-place restore (PGO's annotation, Percona's PerconaPGRestore) */
	TASK_ARCHIVE_LAG,	/* a repository standby's distance to the newest archived WAL */
};

struct task {
	enum task_kind kind;		/* what runs now; TASK_NONE when idle */
	int            efd;		/* readable when the task has ended */
	pthread_t      thread;
	int          (*fn)(void *arg);
	void          *arg;
	int            result;		/* fn's return value, once ended */
};

/* The eventfd; false (logged) when it cannot be made. */
bool task_init(struct task *t) __attribute__((warn_unused_result));

/* Run fn(arg) as kind; false (logged) when a task runs or no thread. */
bool task_start(struct task *t, enum task_kind kind, int (*fn)(void *), void *arg)
	__attribute__((warn_unused_result));

/* Without blocking: when the running task has ended (efd readable), join
 * its thread and return true with its kind and result; the runner is
 * idle again. */
bool task_collect(struct task *t, enum task_kind *kind, int *result);

const char *task_name(enum task_kind kind);

void task_close(struct task *t);

#endif
