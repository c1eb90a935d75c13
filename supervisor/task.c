/*
 * task.c — the background task runner (see task.h).
 */
#include "task.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"

bool
task_init(struct task *t)
{
	memset(t, 0, sizeof(*t));
	t->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->efd < 0) {
		log_error("cannot create the task eventfd: %s", strerror(errno));
		return false;
	}
	return true;
}

const char *
task_name(enum task_kind kind)
{
	static const char *const names[] = {
		[TASK_NONE] = "nothing",
		[TASK_BOOTSTRAP] = "bootstrap",
		[TASK_PROMOTE] = "promotion",
		[TASK_RELOAD] = "reload",
		[TASK_STANZA] = "pgBackRest stanza check",
		[TASK_BACKUP] = "pgBackRest backup",
		[TASK_RESTORE] = "in-place restore",
		[TASK_ARCHIVE_LAG] = "archive lag check",
	};

	return names[kind];
}

static void *
task_main(void *arg)
{
	struct task *t = arg;
	uint64_t one = 1;

	t->result = t->fn(t->arg);
	if (write(t->efd, &one, sizeof(one)) != sizeof(one))
		log_error("cannot wake the supervisor loop: %s", strerror(errno));
	return NULL;
}

bool
task_start(struct task *t, enum task_kind kind, int (*fn)(void *), void *arg)
{
	int rc;

	if (t->kind != TASK_NONE) {
		log_error("cannot start the %s: the %s is still running", task_name(kind),
			  task_name(t->kind));
		return false;
	}
	t->fn = fn;
	t->arg = arg;
	t->kind = kind;
	rc = pthread_create(&t->thread, NULL, task_main, t);
	if (rc != 0) {
		log_error("cannot start the %s thread: %s", task_name(kind), strerror(rc));
		t->kind = TASK_NONE;
		return false;
	}
	return true;
}

bool
task_collect(struct task *t, enum task_kind *kind, int *result)
{
	uint64_t n;

	if (t->kind == TASK_NONE || read(t->efd, &n, sizeof(n)) != sizeof(n))
		return false;
	pthread_join(t->thread, NULL);
	*kind = t->kind;
	*result = t->result;
	t->kind = TASK_NONE;
	return true;
}

void
task_close(struct task *t)
{
	if (t->efd >= 0)
		close(t->efd);
	t->efd = -1;
}
