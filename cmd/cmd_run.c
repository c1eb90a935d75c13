/*
 * cmd_run.c — `pgpod run`, the container entrypoint: PID 1 and supervisor.
 *
 * One event loop (epoll) takes signals (signalfd), a 100 ms timer and the
 * end of the bootstrap thread. The bootstrap (initdb ...) runs in its own
 * thread so the loop keeps ticking and /healthz stays 200 through it; the
 * loop alone reaps children (waitpid(-1), orphans included) and hands the
 * statuses of pgpod's own children to whoever waits for them (lib/proc.c).
 *
 * postmaster death is seen at once (SIGCHLD): postgres is started again in
 * place, at most --restart-max times within --restart-window, at least
 * --restart-interval apart; beyond that pgpod exits 125 ("do not restart")
 * with the reason in the termination log. SIGTERM/SIGINT run the shutdown
 * sequence smart -> fast -> immediate -> SIGKILL, with CloudNativePG's
 * smartShutdownTimeout and stopDelay; another SIGTERM moves to the next
 * step at once. SIGHUP, or a changed spec file or Secret, reloads.
 *
 * inotify, where it is available, only makes things sooner: a rewritten
 * postmaster.pid ("ready") is looked at at once instead of at the next
 * tick, and a change in the spec's or a Secret's directory (a ConfigMap
 * volume swaps a symlink) hashes them at once instead of within WATCH_MS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "exitcodes.h"
#include "fileio.h"
#include "log.h"
#include "status.h"
#include "pgdata/config.h"
#include "pgdata/identity.h"
#include "pgdata/method.h"
#include "pgdata/instance.h"
#include "pgdata/monitor.h"
#include "pgdata/pgdata.h"
#include "pgdata/promote.h"
#include "pgdata/roles.h"
#include "pgdata/upstream.h"
#include "probes/http.h"

#define TICK_MS            100
#define WATCH_MS           2000	/* spec and Secret files are hashed this often */
#define IMMEDIATE_WAIT_MS  10000	/* after an immediate shutdown, before SIGKILL */
#define KILL_WAIT_MS       5000
#define RESTART_HISTORY    1024

struct sup {
	struct settings *set;
	struct spec     *spec;		/* the last good spec */
	struct inputs    in;

	int              epfd, sfd, tfd, efd;
	int              ifd;		/* inotify, -1 when unavailable */
	int              wd_pgdata;	/* its watch on PGDATA, -1 until postgres runs */
	int              exit_code;
	bool             done;

	/* postgres */
	struct instance  inst;
	long long        last_start_ms;
	bool             restart_pending;
	long long        restart_not_before;
	long long        restarts_at[RESTART_HISTORY];
	int              nrestarts;	/* entries in restarts_at (within the window) */
	int              restarts_total;

	/* shutdown */
	bool             stopping;
	int              stop_step;	/* enum instance_stop_mode once stopping */
	long long        step_deadline;

	/* bootstrap thread */
	pthread_t        boot;
	bool             booting;
	const struct method *boot_method;
	enum boot_result boot_result;
	bool             promote_pending; /* spec.replica switched off: promote once ready */
	bool             promoting;	/* the thread promotes */
	bool             promote_ok;
	bool             reload_after_boot;

	/* reload */
	char             watch_hash[65];
	long long        next_watch_ms;
	long long        nudge_at_ms;	/* ask the monitor again after a reload */
};

static void
sup_phase(enum status_phase phase)
{
	struct status *st = status_lock();

	st->phase = phase;
	status_unlock();
}

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

/* Write why pgpod gives up where `kubectl describe pod` shows it. The
 * default path is used only when Kubernetes made it; a path the user
 * chose is created. */
static void
sup_termination_log(const struct sup *s, const char *reason)
{
	bool dflt = strcmp(s->set->termination_log, "/dev/termination-log") == 0;
	int fd = open(s->set->termination_log, O_WRONLY | O_TRUNC | O_CLOEXEC | (dflt ? 0 : O_CREAT),
		      0644);
	size_t len = strlen(reason);

	if (fd < 0)
		return;
	if (write(fd, reason, len) != (ssize_t) len || write(fd, "\n", 1) != 1)
		log_warn("cannot write the termination log %s: %s", s->set->termination_log,
			 strerror(errno));
	close(fd);
}

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
	log_error("%s", reason);
	sup_termination_log(s, reason);
	st = status_lock();
	st->phase = PHASE_FAILED;
	snprintf(st->failure, sizeof(st->failure), "%s", reason);
	status_unlock();
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

/* Watch the directories of what a reload reads (see the file comment):
 * at start and after each reload, whose spec may name other Secrets.
 * Failures only cost latency: the hash every WATCH_MS still sees changes. */
#define SUP_MAX_SECRETS 64

/* The Secrets a reload reads: the app's, the superuser's, those of the
 * external clusters and the replication Secret. */
static size_t
sup_secrets(const struct sup *s, const char **names, char *repl, size_t rcap)
{
	size_t n = 0;

	inputs_replication_secret(s->spec, repl, rcap);
	names[n++] = repl;
	if (s->spec->app_secret != NULL)
		names[n++] = s->spec->app_secret;
	if (s->spec->superuser_secret != NULL)
		names[n++] = s->spec->superuser_secret;
	for (size_t i = 0; i < s->spec->n_externals && n + 4 <= SUP_MAX_SECRETS; i++) {
		const struct spec_external *e = &s->spec->externals[i];
		const struct spec_ref *refs[4] = { &e->password, &e->ssl_key, &e->ssl_cert,
						   &e->ssl_root_cert };

		for (int k = 0; k < 4; k++)
			if (refs[k]->name != NULL)
				names[n++] = refs[k]->name;
	}
	return n;
}

/* Watch the directories of what a reload reads (see the file comment):
 * at start and after each reload, whose spec may name other Secrets.
 * Failures only cost latency: the hash every WATCH_MS still sees changes. */
static void
sup_watch_inputs(struct sup *s)
{
	const uint32_t change = IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | IN_DELETE
		| IN_ATTRIB;
	const char *names[SUP_MAX_SECRETS];
	char dir[PATH_MAX], repl[300];
	size_t n;

	if (s->ifd < 0)
		return;
	file_dirname(s->set->spec, dir, sizeof(dir));
	(void) inotify_add_watch(s->ifd, dir, change);
	n = sup_secrets(s, names, repl, sizeof(repl));
	for (size_t i = 0; i < n; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", s->set->secrets_dir, names[i]);
		(void) inotify_add_watch(s->ifd, dir, change);
	}
}

static bool
sup_start_postgres(struct sup *s)
{
	struct status *st;

	/* postmaster.pid changes are looked at at once; PGDATA exists by now */
	if (s->ifd >= 0 && s->wd_pgdata < 0)
		s->wd_pgdata = inotify_add_watch(s->ifd, s->set->pgdata, IN_MODIFY | IN_CLOSE_WRITE
						 | IN_CREATE | IN_MOVED_TO);
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
	if (st->phase != PHASE_RESTARTING)
		st->phase = PHASE_STARTING;
	status_unlock();
	return true;
}

/* Drop restarts older than the window; true when another is allowed. */
static bool
sup_restart_allowed(struct sup *s, long long now)
{
	long long window = (long long) s->set->restart_window_s * 1000;
	int keep = 0;

	for (int i = 0; i < s->nrestarts; i++)
		if (now - s->restarts_at[i] < window)
			s->restarts_at[keep++] = s->restarts_at[i];
	s->nrestarts = keep;
	return s->nrestarts < s->set->restart_max && s->nrestarts < RESTART_HISTORY;
}

static void
sup_postmaster_exited(struct sup *s)
{
	char how[128];
	long long now = mono_ms();
	struct status *st;

	sup_describe_exit(s->inst.exit_code, how, sizeof(how));
	st = status_lock();
	st->postmaster_alive = false;
	st->postmaster_pid = 0;
	st->pid_status[0] = '\0';
	snprintf(st->last_exit, sizeof(st->last_exit), "%s", how);
	status_unlock();
	if (s->stopping) {
		bool clean = s->inst.exit_code == 0 && s->stop_step <= INSTANCE_STOP_FAST;

		log_info("postgres stopped (%s)%s", how, clean ? "" : " after an unclean shutdown step");
		s->exit_code = clean ? EXIT_OK : EXIT_RUNTIME;
		s->done = true;
		return;
	}
	log_error("postgres (pid %d) died: %s%s%s", (int) s->inst.proc.pid, how,
		  s->inst.proc.last[0] ? "; last message: " : "", s->inst.proc.last);
	/* its backends got SIGKILL (instance_check_exit); the restart waits
	 * until they are reaped: they hold its shared memory */
	if (!sup_restart_allowed(s, now)) {
		sup_give_up(s, EXIT_FATAL_NO_RESTART, "postgres died %d times within %d s (last: %s); "
			    "pgpod stops restarting it and exits %d so that the container is not "
			    "restarted blindly; see the postgres log lines above",
			    s->nrestarts + 1, s->set->restart_window_s, how, EXIT_FATAL_NO_RESTART);
		return;
	}
	s->restarts_at[s->nrestarts++] = now;
	s->restarts_total++;
	s->restart_pending = true;
	s->restart_not_before = s->last_start_ms + s->set->restart_interval_ms;
	st = status_lock();
	st->phase = PHASE_RESTARTING;
	st->restarts = s->restarts_total;
	status_unlock();
	log_info("restarting postgres in place (restart %d of at most %d within %d s)",
		 s->nrestarts, s->set->restart_max, s->set->restart_window_s);
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

/* ---- shutdown ---- */

static const char *const step_names[] = { "smart", "fast", "immediate", "SIGKILL" };

static long long
sup_step_ms(const struct sup *s, int step)
{
	long long smart = (long long) (s->spec->smart_shutdown_timeout >= 0
				       ? s->spec->smart_shutdown_timeout : 180) * 1000;
	long long delay = (long long) (s->spec->stop_delay >= 0 ? s->spec->stop_delay : 1800) * 1000;

	switch (step) {
	case INSTANCE_STOP_SMART:
		return smart;
	case INSTANCE_STOP_FAST:
		return delay > smart ? delay - smart : 1000;
	case INSTANCE_STOP_IMMEDIATE:
		return IMMEDIATE_WAIT_MS;
	default:
		return KILL_WAIT_MS;
	}
}

/* Move to step (never back down) and signal whatever is running. */
static void
sup_stop_step(struct sup *s, int step)
{
	static const int boot_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGKILL };

	if (step > INSTANCE_STOP_KILL)
		step = INSTANCE_STOP_KILL;
	if (s->stopping && step <= s->stop_step)
		return;
	s->stopping = true;
	s->stop_step = step;
	s->step_deadline = mono_ms() + sup_step_ms(s, step);
	sup_phase(PHASE_STOPPING);
	if (s->booting) {
		log_info("stopping the bootstrap: %s step", step_names[step]);
		boot_request_stop();
		proc_signal_all(boot_signals[step]);
	} else if (s->inst.running) {
		if (step < INSTANCE_STOP_KILL)
			log_info("%s shutdown of postgres; next step in %lld s", step_names[step],
				 sup_step_ms(s, step) / 1000);
		instance_signal(&s->inst, (enum instance_stop_mode) step);
	} else {
		log_info("postgres is not running; exiting");
		s->exit_code = EXIT_OK;
		s->done = true;
	}
}

/* ---- reload ---- */

static void
sup_hash_file(EVP_MD_CTX *ctx, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int err;

	EVP_DigestUpdate(ctx, path, strlen(path) + 1);
	if (file_read(path, 16 << 20, &text, &len, &err)) {
		EVP_DigestUpdate(ctx, text, len);
		OPENSSL_cleanse(text, len);
		free(text);
	} else {
		EVP_DigestUpdate(ctx, &err, sizeof(err));
	}
}

static int
sup_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every key of a mounted Secret, in name order (Kubernetes' "..data"
 * bookkeeping entries are skipped; the keys are symlinks into it). */
static void
sup_hash_dir(EVP_MD_CTX *ctx, const char *dir)
{
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	EVP_DigestUpdate(ctx, dir, strlen(dir) + 1);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && n < sizeof(names) / sizeof(names[0]))
		if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name)) != NULL)
			n++;
	closedir(d);
	qsort(names, n, sizeof(names[0]), sup_cmp_names);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 256];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		sup_hash_file(ctx, path);
		free(names[i]);
	}
}

/* The hash of what a reload reads: the spec and its Secrets. */
static void
sup_watch_hash(const struct sup *s, char hex[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	const char *names[SUP_MAX_SECRETS];
	char repl[300];
	size_t nsecrets;

	hex[0] = '\0';
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return;
	}
	sup_hash_file(ctx, s->set->spec);
	nsecrets = sup_secrets(s, names, repl, sizeof(repl));
	for (size_t i = 0; i < nsecrets; i++) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/%s", s->set->secrets_dir, names[i]);
		sup_hash_dir(ctx, dir);
	}
	if (EVP_DigestFinal_ex(ctx, md, &n) == 1)
		for (unsigned int i = 0; i < n && i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
}

static bool
password_changed(const char *old, const char *now)
{
	return now != NULL && (old == NULL || strcmp(old, now) != 0);
}

static void *sup_boot_main(void *arg);

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

/* Promote in the task thread once postgres runs and answers (a standby
 * answers once consistent: "standby" in postmaster.pid). */
static void
sup_maybe_promote(struct sup *s)
{
	struct status *st;
	bool up;

	if (!s->promote_pending || s->booting || s->stopping || !s->inst.running)
		return;
	st = status_lock();
	up = st->phase == PHASE_RUNNING;
	status_unlock();
	if (!up)
		return;
	s->promote_pending = false;
	s->promoting = true;
	s->booting = pthread_create(&s->boot, NULL, sup_boot_main, s) == 0;
	if (!s->booting) {
		s->promoting = false;
		log_error("cannot start the promotion thread; run `pgpod promote`");
	}
}

static void
sup_reload(struct sup *s, const char *why)
{
	struct spec *ns = NULL;
	struct inputs nin;
	char hash[CONFIG_HASH_HEX];
	struct status *st;
	bool promote;

	if (s->booting) {
		log_info("%s: the reload waits until the %s is done", why,
			 s->promoting ? "promotion" : "bootstrap");
		s->reload_after_boot = true;
		return;
	}
	log_info("%s: reloading the spec %s", why, s->set->spec);
	if (cmd_load_spec(s->set, &ns, &nin) != EXIT_OK) {
		log_error("the changed spec is not applied; pgpod keeps running with the last good one");
		return;
	}
	if (!upstream_configure(s->set, ns, &nin, hash)) {
		log_error("cannot write the managed configuration; the last good one stays in place");
		inputs_free(&nin);
		spec_free(ns);
		return;
	}
	if (ns->app_secret != NULL && ns->app_owner != NULL
	    && password_changed(s->in.app_password, nin.app_password))
		monitor_set_password(ns->app_owner, nin.app_password);
	if (ns->superuser_secret != NULL && ns->enable_superuser_access != 0
	    && password_changed(s->in.su_password, nin.su_password))
		monitor_set_password("postgres", nin.su_password);
	/* the primary takes a rotated replication Secret; replicas read it
	 * from their rewritten pgpass at their next connection */
	if (password_changed(s->in.replication_password, nin.replication_password))
		monitor_set_password(ROLES_REPLICATION_USER, nin.replication_password);
	promote = s->spec->standby_enabled == 1 && ns->standby_enabled != 1
		&& sup_designated_standby(s);
	inputs_free(&s->in);
	spec_free(s->spec);
	s->spec = ns;
	s->in = nin;
	monitor_set_instances(s->spec->instances);
	st = status_lock();
	snprintf(st->config_hash, sizeof(st->config_hash), "%s", hash);
	st->max_lag_bytes = sup_max_lag(s);
	status_unlock();
	sup_watch_inputs(s);
	if (s->inst.running) {
		(void) kill(s->inst.proc.pid, SIGHUP);
		s->nudge_at_ms = mono_ms() + 500;
	}
	log_info("configuration reloaded (config hash %s)", hash);
	if (promote) {
		log_info("spec.replica.enabled is off now: promoting this instance");
		s->promote_pending = true;
		sup_maybe_promote(s);
	}
}

/* ---- bootstrap ---- */

static void *
sup_boot_main(void *arg)
{
	struct sup *s = arg;
	uint64_t one = 1;

	if (s->promoting)
		s->promote_ok = promote_instance(s->set, s->spec, &s->in);
	else
		s->boot_result = method_bootstrap(s->set, s->spec, &s->in, s->boot_method);
	if (write(s->efd, &one, sizeof(one)) != sizeof(one))
		log_error("cannot wake the supervisor loop: %s", strerror(errno));
	return NULL;
}

static void
sup_marker_status(const struct sup *s)
{
	struct pgdata_marker m;
	struct status *st;

	if (!pgdata_read_marker(s->set->pgdata, &m))
		return;
	st = status_lock();
	snprintf(st->boot_method, sizeof(st->boot_method), "%s", m.method);
	snprintf(st->boot_finished_at, sizeof(st->boot_finished_at), "%s", m.finished_at);
	st->boot_duration_s = m.duration_s;
	status_unlock();
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

static void
sup_boot_done(struct sup *s)
{
	uint64_t n;

	if (read(s->efd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_join(s->boot, NULL);
	s->booting = false;
	if (s->promoting) {
		s->promoting = false;
		if (!s->promote_ok)
			log_error("the promotion asked for by the spec failed (see above); run "
				  "`pgpod promote` to try again");
		monitor_nudge();
		if (s->reload_after_boot) {
			s->reload_after_boot = false;
			sup_reload(s, "a change during the promotion");
		}
		return;
	}
	if (s->stopping) {
		log_info("the bootstrap was stopped on request");
		s->exit_code = s->boot_result == BOOT_DONE ? EXIT_OK : EXIT_RUNTIME;
		s->done = true;
		return;
	}
	if (s->boot_result != BOOT_DONE && s->boot_result != BOOT_ALREADY) {
		sup_give_up(s, cmd_bootstrap_exit(s->boot_result),
			    "the bootstrap of \"%s\" failed; see the log above", s->set->pgdata);
		return;
	}
	sup_marker_status(s);
	if (sup_configure(s) && sup_start_postgres(s) && s->reload_after_boot) {
		s->reload_after_boot = false;
		sup_reload(s, "a change during the bootstrap");
	}
}

/* ---- the loop ---- */

/* What postmaster.pid says now: the phase moves to running once postgres
 * is ready (or a hot standby). */
static void
sup_check_postmaster(struct sup *s, long long now)
{
	struct status *st;
	char pst[16];
	pid_t pid;
	bool became_ready = false, standby;

	if (!s->inst.running)
		return;
	if (!instance_pidfile(s->set->pgdata, &pid, pst, sizeof(pst)) || pid != s->inst.proc.pid)
		pst[0] = '\0';
	standby = pgdata_has(s->set->pgdata, "standby.signal");
	st = status_lock();
	snprintf(st->pid_status, sizeof(st->pid_status), "%s", pst);
	st->standby_signal = standby;
	if ((st->phase == PHASE_STARTING || st->phase == PHASE_RESTARTING)
	    && (strcmp(pst, "ready") == 0 || strcmp(pst, "standby") == 0)) {
		st->phase = PHASE_RUNNING;
		became_ready = true;
	}
	status_unlock();
	if (became_ready) {
		log_info("postgres is ready (%s) on port %d, %lld ms after its start", pst,
			 s->set->pg_port, now - s->last_start_ms);
		monitor_nudge();
		sup_maybe_promote(s);
	}
}

/* Start postgres again once the dead one's processes are gone (they are
 * re-parented to pgpod and reaped as they go) and the restart interval has
 * passed. */
static void
sup_maybe_restart(struct sup *s, long long now)
{
	if (!s->restart_pending || s->stopping || s->done || now < s->restart_not_before)
		return;
	if (proc_kill_strays(SIGKILL) > 0)
		return;		/* still leaving: the next SIGCHLD or tick looks again */
	s->restart_pending = false;
	if (sup_start_postgres(s))
		sup_check_postmaster(s, now);
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
	if (s->stopping && now >= s->step_deadline) {
		if (s->stop_step >= INSTANCE_STOP_KILL)
			sup_give_up(s, EXIT_RUNTIME, "postgres (pid %d) did not exit even after SIGKILL",
				    (int) s->inst.proc.pid);
		else
			sup_stop_step(s, s->stop_step + 1);
	}
	if (!s->booting && !s->stopping && now >= s->next_watch_ms) {
		char hash[65];

		s->next_watch_ms = now + WATCH_MS;
		sup_watch_hash(s, hash);
		if (hash[0] && strcmp(hash, s->watch_hash) != 0) {
			bool first = s->watch_hash[0] == '\0';

			memcpy(s->watch_hash, hash, sizeof(hash));
			if (!first)
				sup_reload(s, "the spec or a Secret changed");
		}
	}
}

static void
sup_signal(struct sup *s, int sig)
{
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
		sup_stop_step(s, INSTANCE_STOP_IMMEDIATE);
		break;
	default:
		if (s->stopping) {
			log_info("%s again: moving to the next shutdown step", strsignal(sig));
			sup_stop_step(s, s->stop_step + 1);
		} else {
			log_info("%s: shutting down", strsignal(sig));
			sup_stop_step(s, INSTANCE_STOP_SMART);
		}
		break;
	}
}

/* Drain the inotify queue: PGDATA's events look at postmaster.pid now,
 * any other (the spec's or a Secret's directory) hashes them now. */
static void
sup_inotify(struct sup *s)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool pidfile = false, inputs = false;
	ssize_t n;

	while ((n = read(s->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *) p;

			if (ev->wd == s->wd_pgdata)
				pidfile = pidfile || (ev->len > 0 && strcmp(ev->name, "postmaster.pid") == 0);
			else
				inputs = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (pidfile)
		sup_check_postmaster(s, mono_ms());
	if (inputs)
		s->next_watch_ms = 0;
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

	cmd_signal_set(&set);
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->sfd < 0 || s->tfd < 0 || s->efd < 0 || s->epfd < 0
	    || timerfd_settime(s->tfd, 0, &every, NULL) != 0
	    || !sup_add_fd(s, s->sfd) || !sup_add_fd(s, s->tfd) || !sup_add_fd(s, s->efd)) {
		log_error("cannot set up the supervisor loop: %s", strerror(errno));
		return false;
	}
	s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->ifd >= 0 && !sup_add_fd(s, s->ifd)) {
		close(s->ifd);
		s->ifd = -1;
	}
	if (s->ifd < 0)
		log_debug("no inotify (%s): changes are seen by polling", strerror(errno));
	sup_watch_inputs(s);
	return true;
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
		for (int i = 0; i < n && !s->done; i++) {
			if (ev[i].data.fd == s->sfd) {
				struct signalfd_siginfo si;

				while (!s->done && read(s->sfd, &si, sizeof(si)) == sizeof(si))
					sup_signal(s, (int) si.ssi_signo);
			} else if (ev[i].data.fd == s->tfd) {
				uint64_t ticks;

				if (read(s->tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
					sup_tick(s);
			} else if (ev[i].data.fd == s->efd) {
				sup_boot_done(s);
			} else if (ev[i].data.fd == s->ifd) {
				sup_inotify(s);
			}
		}
	}
}

static void
sup_close(struct sup *s)
{
	int fds[] = { s->epfd, s->sfd, s->tfd, s->efd, s->ifd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int
cmd_run(struct settings *set, int argc, char **argv)
{
	struct sup s = { .set = set, .epfd = -1, .sfd = -1, .tfd = -1, .efd = -1, .ifd = -1,
			 .wd_pgdata = -1 };
	struct http_server *http = NULL;
	enum pgdata_state state;
	int rc;

	(void) argv;
	if (argc > 0) {
		log_error("run takes no arguments");
		return EXIT_BAD_USAGE;
	}
	/* orphans of postgres come to us even when we are not PID 1 */
	(void) prctl(PR_SET_CHILD_SUBREAPER, 1);
	rc = cmd_load_spec(set, &s.spec, &s.in);
	if (rc != EXIT_OK)
		return rc;
	rc = cmd_drop_privileges(set);
	state = pgdata_state(set->pgdata);
	s.boot_method = method_for(set, s.spec);
	if (rc == EXIT_OK && state != PGDATA_BOOTSTRAPPED && !method_available(s.boot_method, s.spec))
		rc = EXIT_BAD_USAGE;
	if (rc == EXIT_OK)	/* refuses a PGDATA pgpod did not make, says why */
		rc = cmd_bootstrap_exit(boot_admit(set, state));
	if (rc != EXIT_OK)
		goto out;
	status_init(set->pod_name, set->pgdata, sup_max_lag(&s));
	rc = EXIT_RUNTIME;
	if (!sup_setup(&s))
		goto out;
	proc_reap_central(true);
	if (!http_start(set->listen, &http))
		goto out_central;
	monitor_set_instances(s.spec->instances);
	if (!monitor_start(set))
		goto out_http;
	s.exit_code = EXIT_OK;
	s.next_watch_ms = 0;
	if (state == PGDATA_EMPTY || state == PGDATA_PARTIAL) {
		log_info("PGDATA \"%s\" is %s: bootstrapping this instance (%s)", set->pgdata,
			 pgdata_state_name(state), s.boot_method->name);
		sup_phase(PHASE_BOOTSTRAPPING);
		s.booting = pthread_create(&s.boot, NULL, sup_boot_main, &s) == 0;
		if (!s.booting)
			sup_give_up(&s, EXIT_RUNTIME, "cannot start the bootstrap thread");
	} else {
		sup_marker_status(&s);
		s.promote_pending = s.spec->standby_enabled != 1 && sup_designated_standby(&s);
		if (s.promote_pending)
			log_info("PGDATA is a standby but spec.replica is not enabled: promoting it "
				 "once postgres is up");
		if (sup_configure(&s))
			sup_start_postgres(&s);
	}
	sup_loop(&s);
	while (s.booting) {
		/* gave up during the bootstrap: stop it and wait for it */
		struct timespec nap = { 0, 50 * 1000000L };
		uint64_t n;

		boot_request_stop();
		proc_signal_all(SIGQUIT);
		sup_reap(&s);
		if (read(s.efd, &n, sizeof(n)) == sizeof(n)) {
			pthread_join(s.boot, NULL);
			s.booting = false;
		} else {
			nanosleep(&nap, NULL);
		}
	}
	proc_reap_central(false);
	if (s.inst.running)
		(void) instance_stop(&s.inst, INSTANCE_STOP_IMMEDIATE, KILL_WAIT_MS);
	rc = s.exit_code;
	monitor_stop();
out_http:
	http_stop(http);
out_central:
	proc_reap_central(false);
	sup_close(&s);
out:
	inputs_free(&s.in);
	spec_free(s.spec);
	return rc;
}
