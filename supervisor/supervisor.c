/*
 * supervisor.c — the PID-1 loop (see supervisor.h).
 */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "proc.h"
#include "specfile.h"
#include "status.h"
#include "pgdata/identity.h"
#include "pgdata/instance.h"
#include "pgdata/method.h"
#include "pgdata/monitor.h"
#include "pgdata/pgdata.h"
#include "pgdata/promote.h"
#include "pgdata/restore.h"
#include "pgdata/upstream.h"
#include "probes/http.h"
#include "supervisor/backup.h"
#include "supervisor/phase.h"
#include "supervisor/reload.h"
#include "supervisor/restart.h"
#include "supervisor/stop.h"
#include "supervisor/task.h"
#include "supervisor/watch.h"

#define TICK_MS        100
#define FINAL_WAIT_MS  60000	/* a task that outlives the loop gets this long */
#define LAST_KILL_MS   5000
#define LEFTOVER_WAIT_MS 10000	/* a dead postmaster's processes get this long to go */

struct sup {
	struct settings *set;
	struct spec     *spec;		/* the last good spec */
	struct inputs    in;
	const struct method *method;	/* what bootstraps an empty PGDATA */

	int              epfd, sfd, tfd;
	struct watch     watch;
	struct task      task;
	struct backups   backups;		/* pgBackRest: stanza, scheduled backups */
	int              exit_code;
	bool             done;

	/* postgres */
	struct instance  inst;
	long long        last_start_ms;
	bool             restart_pending;
	long long        restart_died_ms;
	long long        restart_not_before;
	struct restart_limiter restarts;

	/* shutdown */
	bool             stopping;
	int              stop_step;	/* index into stop_steps once stopping */
	long long        step_deadline;

	bool             abandon_task;	/* the stop budget is spent: do not wait for it */
	bool             promote_pending; /* spec.replica switched off: promote once ready */
	long long        inplace_fast_ms; /* an in-place restore waits for postgres to stop:
					   * fast shutdown from then on; 0 none */
	bool             reload_after_task;
	struct spec     *new_spec;	/* what the reload task read, to adopt */
	struct inputs    new_in;
	char             new_hash[CONFIG_HASH_HEX];
	long long        nudge_at_ms;	/* ask the monitor again after a reload */
};

/* The replay lag a standby may have and still be ready: the spec's
 * probes.readiness.maximumLag when it sets one (validated), else --max-lag. */
static long long
sup_max_lag(const struct sup *s)
{
	long long lag;

	if (s->spec->max_lag != NULL && spec_parse_size(s->spec->max_lag, &lag))
		return lag;
	return s->set->max_lag_bytes;
}

/* ---- giving up ---- */

static void
sup_give_up(struct sup *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
sup_give_up(struct sup *s, int code, const char *fmt, ...)
{
	char reason[512];
	va_list ap;
	struct status *st;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	log_termination(s->set->termination_log, reason);
	st = status_lock();
	snprintf(st->failure, sizeof(st->failure), "%s", reason);
	status_unlock();
	(void) phase_move(PHASE_FAILED, "%s", reason);
	s->exit_code = code;
	s->done = true;
}

/* ---- postgres ---- */

static void
sup_describe_exit(int code, char *buf, size_t cap)
{
	if (code > 128 && code < 128 + NSIG)
		snprintf(buf, cap, "killed by signal %d (%s)", code - 128, strsignal(code - 128));
	else
		snprintf(buf, cap, "exit code %d", code);
}

static bool
sup_start_postgres(struct sup *s)
{
	struct status *st;

	/* postmaster.pid changes are looked at at once; PGDATA exists by now */
	watch_pgdata(&s->watch, s->set->pgdata);
	if (!instance_start(s->set, NULL, &s->inst)) {
		sup_give_up(s, EXIT_RUNTIME, "cannot start postgres on \"%s\" (see the log above)",
			    s->set->pgdata);
		return false;
	}
	s->last_start_ms = mono_ms();
	st = status_lock();
	st->postmaster_pid = s->inst.proc.pid;
	st->postmaster_alive = true;
	st->postmaster_start_time = (double) time(NULL);
	st->pid_status[0] = '\0';
	status_unlock();
	if (phase_now() != PHASE_RESTARTING)
		(void) phase_move(PHASE_STARTING, "postgres started (pid %d)", (int) s->inst.proc.pid);
	return true;
}

/* A death while running: start again in place, within the limiter. */
static void
sup_plan_restart(struct sup *s, const char *how)
{
	long long now = mono_ms();
	int code = s->inst.exit_code;
	struct status *st;

	/* its backends got SIGKILL (instance_check_exit); the restart waits
	 * until they are reaped: they hold its shared memory */
	if (!restart_allow(&s->restarts, now, s->set->restart_max,
			   (long long) s->set->restart_window_s * 1000)) {
		sup_give_up(s, EXIT_FATAL_NO_RESTART, "postgres died %d times within %d s (last: %s); "
			    "pgpod stops restarting it and exits %d so that the container is not "
			    "restarted blindly; see the postgres log lines above",
			    s->restarts.n + 1, s->set->restart_window_s, how, EXIT_FATAL_NO_RESTART);
		return;
	}
	s->restart_pending = true;
	s->restart_died_ms = now;
	s->restart_not_before = s->last_start_ms + s->set->restart_interval_ms;
	st = status_lock();
	st->restarts = s->restarts.total;
	status_unlock();
	if (code > 128 && code < 128 + NSIG)
		(void) phase_move(PHASE_RESTARTING, "postmaster %s", how);
	else
		(void) phase_move(PHASE_RESTARTING, "postmaster exited with code %d", code);
	log_info("restarting postgres in place (restart %d of at most %d within %d s)",
		 s->restarts.n, s->set->restart_max, s->set->restart_window_s);
}

/* ---- PGO's in-place restore: postgres stops, the restore runs in a task ---- */

static bool sup_configure(struct sup *s);

static int
sup_task_inplace(void *arg)
{
	struct sup *s = arg;

	return restore_in_place(s->set, s->spec, &s->in);
}

static void
sup_inplace_start(struct sup *s)
{
	s->inplace_fast_ms = 0;
	if (!task_start(&s->task, TASK_RESTORE, sup_task_inplace, s))
		sup_give_up(s, EXIT_RUNTIME, "cannot start the in-place restore (see above)");
}

/* The spec asks for an in-place restore not applied yet: /readyz says 503
 * from now on; postgres stops (smart, fast after smartShutdownTimeout). */
static bool
sup_inplace_begin(struct sup *s)
{
	if (!restore_inplace_pending(s->set, s->spec) || s->task.kind != TASK_NONE)
		return false;
	(void) phase_move(PHASE_RESTORING, "in-place restore \"%s\" asked for (%s)",
			  s->spec->inplace_id, spec_path(s->spec, "restoreInPlace.id"));
	if (!s->inst.running) {
		sup_inplace_start(s);
		return true;
	}
	log_info("stopping postgres (pid %d) for the in-place restore: smart shutdown, fast after "
		 "%d s", (int) s->inst.proc.pid, s->spec->smart_shutdown_timeout);
	instance_signal(&s->inst, INSTANCE_STOP_SMART);
	s->inplace_fast_ms = mono_ms() + (long long) s->spec->smart_shutdown_timeout * 1000;
	return true;
}

static void
sup_inplace_done(struct sup *s, bool ok)
{
	if (s->stopping) {
		s->exit_code = EXIT_RUNTIME;
		s->done = true;
		return;
	}
	if (!ok) {
		sup_give_up(s, EXIT_RUNTIME, "the in-place restore \"%s\" failed (see above): postgres "
			    "is not started on a half-restored PGDATA; the next run of pgpod tries the "
			    "restore again (fix the cause, or switch the restore off)",
			    s->spec->inplace_id);
		return;
	}
	if (sup_configure(s))
		(void) sup_start_postgres(s);
}

static void
sup_postmaster_exited(struct sup *s)
{
	char how[128];
	struct status *st;

	sup_describe_exit(s->inst.exit_code, how, sizeof(how));
	st = status_lock();
	st->postmaster_alive = false;
	st->postmaster_pid = 0;
	st->pid_status[0] = '\0';
	snprintf(st->last_exit, sizeof(st->last_exit), "%s", how);
	status_unlock();
	if (s->stopping) {
		bool clean = s->inst.exit_code == 0
			&& stop_steps[s->stop_step].mode <= INSTANCE_STOP_FAST;

		log_info("postgres stopped (%s)%s", how, clean ? "" : " after an unclean shutdown step");
		s->exit_code = clean ? EXIT_OK : EXIT_RUNTIME;
		s->done = true;
		return;
	}
	if (phase_now() == PHASE_RESTORING) {
		log_info("postgres stopped (%s) for the in-place restore", how);
		sup_inplace_start(s);
		return;
	}
	log_error("postgres (pid %d) died: %s%s%s", (int) s->inst.proc.pid, how,
		  s->inst.proc.last[0] ? "; last message: " : "", s->inst.proc.last);
	sup_plan_restart(s, how);
}

static void
sup_orphan(pid_t pid, int code)
{
	log_debug("reaped orphaned process %d (exit %d)", (int) pid, code);
}

static void
sup_reap(struct sup *s)
{
	proc_reap_all(sup_orphan);
	if (s->inst.running && instance_check_exit(&s->inst))
		sup_postmaster_exited(s);
}

static void sup_maybe_promote(struct sup *s);

/* What postmaster.pid says now: the phase moves to running once postgres
 * is ready (or a hot standby). */
static void
sup_check_postmaster(struct sup *s, long long now)
{
	struct status *st;
	char pst[16];
	pid_t pid;
	bool ready, standby;
	enum status_phase phase;

	if (!s->inst.running)
		return;
	if (!instance_pidfile(s->set->pgdata, &pid, pst, sizeof(pst)) || pid != s->inst.proc.pid)
		pst[0] = '\0';
	standby = pgdata_has(s->set->pgdata, "standby.signal");
	st = status_lock();
	snprintf(st->pid_status, sizeof(st->pid_status), "%s", pst);
	st->standby_signal = standby;
	phase = st->phase;
	status_unlock();
	ready = strcmp(pst, "ready") == 0 || strcmp(pst, "standby") == 0;
	if (!ready || (phase != PHASE_STARTING && phase != PHASE_RESTARTING))
		return;
	(void) phase_move(PHASE_RUNNING, "postgres is ready (%s) on port %d, %lld ms after its start",
			  pst, s->set->pg_port, now - s->last_start_ms);
	monitor_nudge();
	sup_maybe_promote(s);
}

/* Start postgres again once the dead one's processes are gone (they are
 * re-parented to pgpod and reaped as they go) and the restart interval has
 * passed. */
static void
sup_maybe_restart(struct sup *s, long long now)
{
	size_t left;

	if (!s->restart_pending || s->stopping || s->done || now < s->restart_not_before)
		return;
	left = instance_kill_leftovers(&s->inst);
	if (left > 0 && now < s->restart_died_ms + LEFTOVER_WAIT_MS)
		return;		/* still leaving: the next SIGCHLD or tick looks again */
	if (left > 0)
		log_warn("%zu process%s of the dead postmaster did not go within %d s (stuck in the "
			 "kernel?); starting postgres anyway", left, left == 1 ? "" : "es",
			 LEFTOVER_WAIT_MS / 1000);
	s->restart_pending = false;
	if (sup_start_postgres(s))
		sup_check_postmaster(s, now);
}

static bool
sup_configure(struct sup *s)
{
	char hash[CONFIG_HASH_HEX];
	struct status *st;

	if (!upstream_configure(s->set, s->spec, &s->in, hash)) {
		sup_give_up(s, EXIT_RUNTIME, "cannot write the managed configuration into \"%s\"",
			    s->set->pgdata);
		return false;
	}
	st = status_lock();
	snprintf(st->config_hash, sizeof(st->config_hash), "%s", hash);
	status_unlock();
	return true;
}

/* ---- shutdown ---- */

/* Move to step (never back down) and signal whatever is running. */
static void
sup_stop_step(struct sup *s, int step, const char *why)
{
	const struct stop_step *st = &stop_steps[step];
	long long ms = stop_step_ms(step, s->spec->smart_shutdown_timeout, s->spec->stop_delay);

	if (s->stopping && step <= s->stop_step)
		return;
	if (!s->stopping) {
		monitor_release();
		backups_stop(&s->backups);
	}
	s->stopping = true;
	s->stop_step = step;
	s->step_deadline = mono_ms() + ms;
	(void) phase_move(PHASE_STOPPING, "%s", why);
	if (s->task.kind == TASK_BOOTSTRAP || s->task.kind == TASK_RESTORE) {
		log_info("stopping the %s: %s step", task_name(s->task.kind), st->name);
		boot_request_stop();
		proc_signal_all(st->task_signal);
	} else if (s->inst.running) {
		if (st->mode < INSTANCE_STOP_KILL)
			log_info("%s shutdown of postgres; next step in %lld s", st->name, ms / 1000);
		instance_signal(&s->inst, st->mode);
	} else {
		log_info("postgres is not running; exiting");
		s->exit_code = EXIT_OK;
		s->done = true;
	}
}

/* The current stop step's time is up: the next one, or, after SIGKILL,
 * the stop budget is spent and pgpod exits whatever is left. */
static void
sup_stop_overdue(struct sup *s)
{
	if (stop_steps[s->stop_step].mode < INSTANCE_STOP_KILL) {
		sup_stop_step(s, stop_next(s->stop_step), "the step's time is up");
		return;
	}
	if (s->task.kind != TASK_NONE) {
		s->abandon_task = true;
		sup_give_up(s, EXIT_RUNTIME, "the %s did not stop within the stop budget (spec.stopDelay); "
			    "pgpod exits without waiting for it", task_name(s->task.kind));
	} else {
		sup_give_up(s, EXIT_RUNTIME, "postgres (pid %d) did not exit even after SIGKILL",
			    (int) s->inst.proc.pid);
	}
}

/* ---- background tasks: the bootstrap, a promotion ---- */

static int
sup_task_bootstrap(void *arg)
{
	struct sup *s = arg;
	const struct method *m = method_check_existing(s->set, s->spec, &s->in, s->method);

	if (m == NULL)
		return (int) BOOT_FAILED;
	return (int) method_bootstrap(s->set, s->spec, &s->in, m);
}

static int
sup_task_promote(void *arg)
{
	struct sup *s = arg;

	return promote_instance(s->set, s->spec, &s->in);
}

/* The first instance of a replica cluster while it is a standby: only it
 * is promoted when spec.replica is switched off (a replica that joined,
 * marker "join", never is). */
static bool
sup_designated_standby(const struct sup *s)
{
	struct pgdata_marker m;

	return !identity_is_replica(s->set) && pgdata_has(s->set->pgdata, "standby.signal")
		&& pgdata_read_marker(s->set->pgdata, &m) && strcmp(m.method, "join") != 0;
}

/* Promote in a task once postgres runs and answers (a standby answers
 * once consistent: "standby" in postmaster.pid). */
static void
sup_maybe_promote(struct sup *s)
{
	if (!s->promote_pending || s->task.kind != TASK_NONE || s->stopping || !s->inst.running
	    || phase_now() != PHASE_RUNNING)
		return;
	s->promote_pending = false;
	if (!task_start(&s->task, TASK_PROMOTE, sup_task_promote, s))
		log_error("the promotion asked for by the spec cannot start (see above); run "
			  "`pgpod promote`");
}

static void sup_reload(struct sup *s, const char *why);
static void sup_reload_done(struct sup *s, bool ok);

static void
sup_bootstrap_done(struct sup *s, enum boot_result r)
{
	if (s->stopping) {
		log_info("the bootstrap was stopped on request");
		s->exit_code = r == BOOT_DONE ? EXIT_OK : EXIT_RUNTIME;
		s->done = true;
		return;
	}
	if (r != BOOT_DONE && r != BOOT_ALREADY) {
		sup_give_up(s, boot_exit_code(r), "the bootstrap of \"%s\" failed; see the log above",
			    s->set->pgdata);
		return;
	}
	pgdata_marker_status(s->set->pgdata);
	if (sup_configure(s))
		(void) sup_start_postgres(s);
}

static void
sup_task_done(struct sup *s)
{
	enum task_kind kind;
	int result;

	if (!task_collect(&s->task, &kind, &result))
		return;
	if (kind == TASK_PROMOTE) {
		if (!result)
			log_error("the promotion asked for by the spec failed (see above); run "
				  "`pgpod promote` to try again");
		monitor_nudge();
	} else if (kind == TASK_RELOAD) {
		sup_reload_done(s, result);
	} else if (kind == TASK_RESTORE) {
		sup_inplace_done(s, result);
	} else {
		sup_bootstrap_done(s, (enum boot_result) result);
	}
	if (s->reload_after_task && !s->done && s->task.kind == TASK_NONE) {
		char why[64];

		snprintf(why, sizeof(why), "a change during the %s", task_name(kind));
		s->reload_after_task = false;
		sup_reload(s, why);
	}
}

/* ---- reload ---- */

/* Carry out what changed beyond the configuration files. */
static void
sup_apply_plan(const struct reload_plan *plan)
{
	for (size_t i = 0; i < plan->npasswords; i++)
		monitor_set_password(plan->passwords[i].role, plan->passwords[i].password);
	for (size_t i = 0; i < plan->unapplied.n; i++)
		log_warn("%s changed: it only matters at bootstrap and is not applied to the "
			 "existing PGDATA", plan->unapplied.items[i]);
}

/* The new spec and Secrets become the last good ones. */
static void
sup_adopt(struct sup *s, struct spec *ns, struct inputs *nin, const char *hash)
{
	struct status *st;

	inputs_free(&s->in);
	spec_free(s->spec);
	s->spec = ns;
	s->in = *nin;
	monitor_set_instances(s->spec->instances);
	monitor_set_managed(managed_build(s->spec, &s->in));
	st = status_lock();
	snprintf(st->config_hash, sizeof(st->config_hash), "%s", hash);
	st->max_lag_bytes = sup_max_lag(s);
	status_unlock();
	watch_inputs(&s->watch, s->set, s->spec);
	backups_plan(&s->backups, s->spec, time(NULL));
}

/* The reload's reading and writing, in a task: a big spec (or a slow
 * volume) never holds the loop. */
static int
sup_task_reload(void *arg)
{
	struct sup *s = arg;

	s->new_spec = NULL;
	if (specfile_load(s->set, s->set->pg_major, &s->new_spec, &s->new_in) != EXIT_OK) {
		log_error("the changed spec is not applied; pgpod keeps running with the last good one");
		return false;
	}
	if (!upstream_configure(s->set, s->new_spec, &s->new_in, s->new_hash)) {
		log_error("cannot write the managed configuration; the last good one stays in place");
		inputs_free(&s->new_in);
		spec_free(s->new_spec);
		s->new_spec = NULL;
		return false;
	}
	return true;
}

/* The reload task read and wrote the new configuration: adopt it. */
static void
sup_reload_done(struct sup *s, bool ok)
{
	struct reload_plan plan;

	if (!ok || s->new_spec == NULL)
		return;
	reload_plan(s->spec, &s->in, s->new_spec, &s->new_in, sup_designated_standby(s), &plan);
	sup_apply_plan(&plan);
	sup_adopt(s, s->new_spec, &s->new_in, s->new_hash);
	s->new_spec = NULL;
	if (s->inst.running) {
		(void) kill(s->inst.proc.pid, SIGHUP);
		s->nudge_at_ms = mono_ms() + 500;
	}
	log_info("configuration reloaded (config hash %s)", s->new_hash);
	if (sup_inplace_begin(s)) {
		reload_plan_free(&plan);
		return;
	}
	if (plan.promote) {
		log_info("spec.replica.enabled is off now: promoting this instance");
		s->promote_pending = true;
		sup_maybe_promote(s);
	}
	reload_plan_free(&plan);
}

static void
sup_reload(struct sup *s, const char *why)
{
	if (s->task.kind != TASK_NONE) {
		log_info("%s: the reload waits until the %s is done", why, task_name(s->task.kind));
		s->reload_after_task = true;
		return;
	}
	log_info("%s: reloading the spec %s", why, s->set->spec);
	if (!task_start(&s->task, TASK_RELOAD, sup_task_reload, s))
		log_error("the reload cannot start (see above); send SIGHUP to try again");
}

/* ---- the loop ---- */

/* postgres runs, answers, and is the primary: what backups need. */
static bool
sup_is_primary(const struct sup *s)
{
	struct status st;

	if (!s->inst.running || phase_now() != PHASE_RUNNING)
		return false;
	status_get(&st);
	return st.sql_ok && !st.in_recovery;
}

static void
sup_tick(struct sup *s)
{
	long long now = mono_ms();
	struct status *st;

	sup_check_postmaster(s, now);
	st = status_lock();
	st->last_tick_ms = now;
	status_unlock();
	if (s->nudge_at_ms != 0 && now >= s->nudge_at_ms) {
		s->nudge_at_ms = 0;
		monitor_nudge();
	}
	sup_maybe_restart(s, now);
	if (s->stopping && now >= s->step_deadline)
		sup_stop_overdue(s);
	if (s->task.kind == TASK_NONE && !s->stopping
	    && watch_changed(&s->watch, s->set, s->spec, now))
		sup_reload(s, "the spec or a Secret changed");
	if (!s->stopping && s->backups.enabled)	/* no status copy per tick without repositories */
		backups_tick(&s->backups, sup_is_primary(s), time(NULL), now);
	if (s->inplace_fast_ms != 0 && now >= s->inplace_fast_ms && s->inst.running) {
		log_info("postgres did not stop within smartShutdownTimeout: fast shutdown");
		instance_signal(&s->inst, INSTANCE_STOP_FAST);
		s->inplace_fast_ms = 0;
	}
}

static void
sup_signal(struct sup *s, int sig)
{
	char why[64];

	switch (sig) {
	case SIGCHLD:
		sup_reap(s);
		sup_maybe_restart(s, mono_ms());
		break;
	case SIGHUP:
		sup_reload(s, "SIGHUP");
		break;
	case SIGQUIT:
		log_info("SIGQUIT: immediate shutdown");
		sup_stop_step(s, stop_index(INSTANCE_STOP_IMMEDIATE), "SIGQUIT");
		break;
	default:
		snprintf(why, sizeof(why), "%s", strsignal(sig));
		if (s->stopping) {
			log_info("%s again: moving to the next shutdown step", why);
			sup_stop_step(s, stop_next(s->stop_step), why);
		} else {
			log_info("%s: shutting down", why);
			sup_stop_step(s, stop_index(INSTANCE_STOP_SMART), why);
		}
		break;
	}
}

static bool
sup_add_fd(struct sup *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return fd >= 0 && epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

static bool
sup_setup(struct sup *s)
{
	sigset_t set;
	struct itimerspec every = {
		.it_interval = { 0, TICK_MS * 1000000L },
		.it_value = { 0, TICK_MS * 1000000L },
	};

	if (!task_init(&s->task) || !backups_init(&s->backups, s->set))
		return false;	/* errors have already been logged */
	/* main() blocked the signals pgpod takes, before any thread existed */
	(void) pthread_sigmask(SIG_BLOCK, NULL, &set);
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->sfd < 0 || s->tfd < 0 || s->epfd < 0
	    || timerfd_settime(s->tfd, 0, &every, NULL) != 0
	    || !sup_add_fd(s, s->sfd) || !sup_add_fd(s, s->tfd) || !sup_add_fd(s, s->task.efd)
	    || !sup_add_fd(s, s->backups.task.efd)) {
		log_error("cannot set up the supervisor loop: %s", strerror(errno));
		return false;
	}
	watch_init(&s->watch);
	if (s->watch.ifd >= 0 && !sup_add_fd(s, s->watch.ifd))
		watch_close(&s->watch);
	watch_inputs(&s->watch, s->set, s->spec);
	watch_baseline(&s->watch, s->set, s->spec);
	backups_plan(&s->backups, s->spec, time(NULL));
	return true;
}

static void
sup_event(struct sup *s, int fd)
{
	if (fd == s->sfd) {
		struct signalfd_siginfo si;

		while (!s->done && read(s->sfd, &si, sizeof(si)) == sizeof(si))
			sup_signal(s, (int) si.ssi_signo);
	} else if (fd == s->tfd) {
		uint64_t ticks;

		if (read(s->tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
			sup_tick(s);
	} else if (fd == s->task.efd) {
		sup_task_done(s);
	} else if (fd == s->backups.task.efd) {
		backups_done(&s->backups);
	} else if (fd == s->watch.ifd) {
		bool pidfile;

		watch_drain(&s->watch, &pidfile);
		if (pidfile)
			sup_check_postmaster(s, mono_ms());
	}
}

static void
sup_loop(struct sup *s)
{
	while (!s->done) {
		struct epoll_event ev[5];
		int n = epoll_wait(s->epfd, ev, 5, 1000);

		if (n < 0 && errno != EINTR) {
			sup_give_up(s, EXIT_RUNTIME, "epoll_wait failed: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n && !s->done; i++)
			sup_event(s, ev[i].data.fd);
	}
}

/* Gave up or stopped while a task runs: stop it and wait for it, within
 * FINAL_WAIT_MS. */
static void
sup_finish_task(struct sup *s)
{
	long long deadline = mono_ms() + (s->abandon_task ? 0 : FINAL_WAIT_MS);
	enum task_kind kind;
	int result;

	while (s->task.kind != TASK_NONE && mono_ms() < deadline) {
		struct timespec nap = { 0, 50 * 1000000L };

		boot_request_stop();
		proc_signal_all(SIGQUIT);
		sup_reap(s);
		if (!task_collect(&s->task, &kind, &result))
			nanosleep(&nap, NULL);
	}
	if (s->task.kind != TASK_NONE)
		log_error("the %s did not stop within %d s; exiting without it",
			  task_name(s->task.kind), FINAL_WAIT_MS / 1000);
}

static void
sup_close(struct sup *s)
{
	int fds[] = { s->epfd, s->sfd, s->tfd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	task_close(&s->task);
	backups_close(&s->backups, mono_ms() + (s->abandon_task ? 0 : FINAL_WAIT_MS));
	watch_close(&s->watch);
	inputs_free(&s->in);
	spec_free(s->spec);
	if (s->new_spec != NULL) {	/* read by a reload that was never adopted */
		inputs_free(&s->new_in);
		spec_free(s->new_spec);
	}
}

/* Whether PGDATA can be run (or bootstrapped) at all: a method this
 * version has, a PGDATA pgpod made or an empty one. */
static int
sup_admit(struct sup *s, enum pgdata_state state)
{
	s->method = method_for(s->set, s->spec);
	if (state != PGDATA_BOOTSTRAPPED && !method_available(s->method, s->spec))
		return EXIT_BAD_USAGE;
	return boot_exit_code(boot_admit(s->set, state));
}

/* Bootstrap an empty PGDATA in a task, or configure and start postgres. */
static void
sup_begin(struct sup *s, enum pgdata_state state)
{
	if (state == PGDATA_EMPTY || state == PGDATA_PARTIAL || state == PGDATA_FAILED) {
		(void) phase_move(PHASE_BOOTSTRAPPING, "PGDATA \"%s\" is %s: bootstrapping this instance "
				  "(%s)", s->set->pgdata, pgdata_state_name(state), s->method->name);
		if (!task_start(&s->task, TASK_BOOTSTRAP, sup_task_bootstrap, s))
			sup_give_up(s, EXIT_RUNTIME, "cannot start the bootstrap thread");
		return;
	}
	pgdata_marker_status(s->set->pgdata);
	if (sup_inplace_begin(s))
		return;
	s->promote_pending = s->spec->standby_enabled != 1 && sup_designated_standby(s);
	if (s->promote_pending)
		log_info("PGDATA is a standby but spec.replica is not enabled: promoting it once "
			 "postgres is up");
	if (sup_configure(s))
		(void) sup_start_postgres(s);
}

/* The loop with the HTTP server and the status thread around it. */
/* The probes on --listen; the documents there too, or on --status-listen
 * when it is set to another address. */
static bool
sup_http(const struct settings *set, struct http_server **probes, struct http_server **docs)
{
	bool apart = set->status_listen[0] && strcmp(set->status_listen, set->listen) != 0;
	const char *cert = set->tls_cert[0] ? set->tls_cert : NULL;
	const char *key = set->tls_cert[0] ? set->tls_key : NULL;

	*docs = NULL;
	if (!http_start(set->listen, apart ? HTTP_PROBES : HTTP_PROBES | HTTP_DOCS, cert, key, probes))
		return false;	/* errors have already been logged */
	if (apart && !http_start(set->status_listen, HTTP_DOCS, cert, key, docs)) {
		http_stop(*probes);
		*probes = NULL;
		return false;
	}
	return true;
}

static int
sup_serve(struct sup *s, enum pgdata_state state)
{
	struct http_server *http = NULL, *docs = NULL;

	proc_reap_central(true);
	if (!sup_http(s->set, &http, &docs)) {
		proc_reap_central(false);
		return EXIT_RUNTIME;
	}
	monitor_set_instances(s->spec->instances);
	monitor_set_managed(managed_build(s->spec, &s->in));
	if (!monitor_start(s->set)) {
		http_stop(docs);
		http_stop(http);
		proc_reap_central(false);
		return EXIT_RUNTIME;
	}
	s->exit_code = EXIT_OK;
	sup_begin(s, state);
	sup_loop(s);
	sup_finish_task(s);
	proc_reap_central(false);
	if (s->inst.running)
		(void) instance_stop(&s->inst, INSTANCE_STOP_IMMEDIATE, LAST_KILL_MS);
	monitor_stop();
	http_stop(docs);
	http_stop(http);
	return s->exit_code;
}

int
supervisor_run(struct settings *set, struct spec *spec, struct inputs *in)
{
	struct sup s = { .set = set, .spec = spec, .in = *in, .epfd = -1, .sfd = -1, .tfd = -1,
			 .task = { .efd = -1 }, .backups = { .task = { .efd = -1 } },
			 .watch = { .ifd = -1 } };
	enum pgdata_state state = pgdata_state(set->pgdata);
	int rc;

	/* orphans of postgres come to us even when we are not PID 1 */
	(void) prctl(PR_SET_CHILD_SUBREAPER, 1);
	rc = sup_admit(&s, state);
	if (rc == EXIT_OK) {
		status_init(set->pod_name, set->pgdata, sup_max_lag(&s));
		rc = sup_setup(&s) ? sup_serve(&s, state) : EXIT_RUNTIME;
	}
	sup_close(&s);
	return rc;
}
