/*
 * instance.c — starting, watching and stopping a postmaster (see instance.h).
 */
#include "instance.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "mono.h"

static const int stop_signals[] = {
	[INSTANCE_STOP_SMART] = SIGTERM,
	[INSTANCE_STOP_FAST] = SIGINT,
	[INSTANCE_STOP_IMMEDIATE] = SIGQUIT,
	[INSTANCE_STOP_KILL] = SIGKILL,
};

static const char *const stop_names[] = {
	[INSTANCE_STOP_SMART] = "smart",
	[INSTANCE_STOP_FAST] = "fast",
	[INSTANCE_STOP_IMMEDIATE] = "immediate",
	[INSTANCE_STOP_KILL] = "kill",
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
instance_tool_env(const struct settings *set, struct argv *env)
{
	const char *tz = getenv("TZ");
	const char *home = getenv("HOME");

	argv_addf(env, "PATH=%s:/usr/local/bin:/usr/bin:/bin", set->pg_bin);
	argv_addf(env, "HOME=%s", home ? home : "/var/lib/postgresql");
	argv_addf(env, "USER=%s", set->os_user);
	if (tz != NULL)
		argv_addf(env, "TZ=%s", tz);
}

bool
instance_start(const struct settings *set, const struct argv *extra, struct instance *inst)
{
	struct argv args, env;
	bool ok;

	memset(inst, 0, sizeof(*inst));
	snprintf(inst->pgdata, sizeof(inst->pgdata), "%s", set->pgdata);
	if (!instance_check_lock(set->pgdata))
		return false;
	argv_init(&args);
	argv_init(&env);
	argv_addf(&args, "%s/postgres", set->pg_bin);
	argv_add(&args, "-D");
	argv_add(&args, set->pgdata);
	for (size_t i = 0; extra && i < extra->n; i++)
		argv_add(&args, extra->v[i]);
	instance_tool_env(set, &env);
	ok = proc_spawn(&args, &env, "postgres", true, &inst->proc);
	argv_free(&args);
	argv_free(&env);
	if (!ok)
		return false;	/* errors have already been logged */
	inst->running = true;
	log_info("started postgres (pid %d) on \"%s\"", (int) inst->proc.pid, set->pgdata);
	return true;
}

bool
instance_check_exit(struct instance *inst)
{
	pid_t pid = inst->proc.pid;
	int code;

	if (!inst->running)
		return true;
	if (!proc_poll(&inst->proc, &code))
		return false;
	/* Backends of a postmaster that died (kill -9) may live on, holding the
	 * output pipe open and the shared memory attached: end them now. Each
	 * sits in a session of its own, so no group kill reaches them; with
	 * pgpod a subreaper they are its children now. After a clean stop
	 * there are none. */
	(void) instance_kill_leftovers(inst);
	inst->proc.pid = pid;	/* kept for messages; it is no longer running */
	inst->running = false;
	inst->exit_code = code;
	proc_finish(&inst->proc);
	return true;
}

/* postmaster.pid: line 1 the postmaster's pid, line 8 its status
 * ("starting", "ready", "standby", "stopping"; empty before sockets). */
bool
instance_pidfile(const char *pgdata, pid_t *pid, char *status, size_t cap)
{
	char path[PATH_MAX + 20];
	char *text = NULL;
	size_t len;
	int err, line = 1;

	*pid = 0;
	if (cap > 0)
		status[0] = '\0';
	snprintf(path, sizeof(path), "%s/postmaster.pid", pgdata);
	if (!file_read(path, 65536, &text, &len, &err))
		return false;
	*pid = (pid_t) strtol(text, NULL, 10);
	for (char *p = text; *p; p++) {
		if (*p == '\n' && ++line == 8) {
			size_t n = strcspn(p + 1, " \n");

			snprintf(status, cap, "%.*s", (int) n, p + 1);
			break;
		}
	}
	free(text);
	return true;
}

static bool
instance_pidfile_ready(const char *pgdata)
{
	char status[16];
	pid_t pid;

	return instance_pidfile(pgdata, &pid, status, sizeof(status))
		&& (strcmp(status, "ready") == 0 || strcmp(status, "standby") == 0);
}

/* Is pid a running postgres whose data directory is pgdata? postgres
 * works in its data directory, so /proc/pid/cwd tells. */
static bool
instance_pid_is_postgres_of(pid_t pid, const char *pgdata)
{
	char link[64], cwd[PATH_MAX], real[PATH_MAX], comm[64] = "";
	FILE *f;
	ssize_t n;

	if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH))
		return false;
	/* /proc files report size 0: read with stdio, not by size */
	snprintf(link, sizeof(link), "/proc/%d/comm", (int) pid);
	f = fopen(link, "re");
	if (f == NULL)
		return true;	/* cannot tell: assume it is, refuse */
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	if (strncmp(comm, "postgres", 8) != 0 && strncmp(comm, "postmaster", 10) != 0)
		return false;
	snprintf(link, sizeof(link), "/proc/%d/cwd", (int) pid);
	n = readlink(link, cwd, sizeof(cwd) - 1);
	if (n < 0)
		return true;	/* another user's process we cannot inspect: refuse */
	cwd[n] = '\0';
	if (realpath(pgdata, real) == NULL)
		snprintf(real, sizeof(real), "%s", pgdata);
	return strcmp(cwd, real) == 0;
}

static bool
instance_stray_is_postgres(pid_t pid, void *pgdata)
{
	return instance_pid_is_postgres_of(pid, pgdata);
}

size_t
instance_kill_leftovers(const struct instance *inst)
{
	return proc_kill_strays(SIGKILL, instance_stray_is_postgres, (void *) inst->pgdata);
}

bool
instance_check_lock(const char *pgdata)
{
	char path[PATH_MAX + 20];
	char status[16];
	pid_t pid;

	if (!instance_pidfile(pgdata, &pid, status, sizeof(status)))
		return true;
	if (instance_pid_is_postgres_of(pid, pgdata)) {
		log_error("another postgres (pid %d) is running on \"%s\"; pgpod does not adopt "
			  "it: stop it first (pg_ctl -D \"%s\" stop)", (int) pid, pgdata, pgdata);
		return false;
	}
	snprintf(path, sizeof(path), "%s/postmaster.pid", pgdata);
	if (unlink(path) != 0 && errno != ENOENT) {
		log_error("cannot remove the stale \"%s\": %s", path, strerror(errno));
		return false;
	}
	log_info("removed a stale postmaster.pid (pid %d is not a postgres of this data "
		 "directory)", (int) pid);
	return true;
}

bool
instance_wait_ready(struct instance *inst, int timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;
	long nap = 1;

	while (mono_ms() < deadline) {
		if (instance_check_exit(inst)) {
			log_error("postgres exited during start-up with code %d%s%s", inst->exit_code,
				  inst->proc.last[0] ? ": " : "", inst->proc.last);
			return false;
		}
		if (instance_pidfile_ready(inst->pgdata))
			return true;
		sleep_ms(nap);
		if (nap < 20)
			nap *= 2;
	}
	log_error("postgres did not become ready within %d ms", timeout_ms);
	return false;
}

void
instance_signal(struct instance *inst, enum instance_stop_mode mode)
{
	if (!inst->running)
		return;
	log_info("stopping postgres (pid %d): %s shutdown", (int) inst->proc.pid, stop_names[mode]);
	/* SIGKILL too goes to the postmaster alone: its children have sessions
	 * of their own and are killed once they are re-parented to pgpod
	 * (instance_check_exit) */
	(void) kill(inst->proc.pid, stop_signals[mode]);
}

bool
instance_wait_exit(struct instance *inst, int timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;
	long nap = 1;

	while (!instance_check_exit(inst)) {
		if (mono_ms() >= deadline)
			return false;
		sleep_ms(nap);
		if (nap < 20)
			nap *= 2;
	}
	return true;
}

bool
instance_stop(struct instance *inst, enum instance_stop_mode mode, int timeout_ms)
{
	for (int m = (int) mode; m <= INSTANCE_STOP_KILL; m++) {
		if (instance_check_exit(inst))
			break;
		instance_signal(inst, (enum instance_stop_mode) m);
		if (instance_wait_exit(inst, timeout_ms))
			break;
	}
	if (inst->running) {
		log_error("postgres (pid %d) did not exit even after SIGKILL", (int) inst->proc.pid);
		return false;
	}
	log_info("postgres exited with code %d", inst->exit_code);
	return true;
}
