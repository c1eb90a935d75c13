/*
 * cmd_run.c — `pgpod run`: bootstrap an empty PGDATA, then run postgres as
 * a direct child until SIGTERM/SIGINT (fast shutdown, exit 0). Signals are
 * taken synchronously with sigwaitinfo; every exited child, including
 * re-parented orphans when pgpod is PID 1, is reaped.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "cmd.h"
#include "exitcodes.h"
#include "log.h"
#include "pgdata/config.h"
#include "pgdata/instance.h"
#include "pgdata/pgdata.h"

#define READY_TIMEOUT_MS (3600 * 1000)
#define STOP_STEP_MS     (60 * 1000)

/* Reap every exited child; true when the postmaster was among them. */
static bool
run_reap(struct instance *inst)
{
	bool postmaster = false;

	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			break;
		if (inst->running && pid == inst->proc.pid) {
			inst->running = false;
			inst->exit_code = proc_status_code(status);
			proc_finish(&inst->proc);
			postmaster = true;
		}
	}
	return postmaster;
}

/* Wait for signals until postgres is stopped or dies; the exit code. */
static int
run_supervise(struct instance *inst)
{
	sigset_t set;

	cmd_signal_set(&set);
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&set, &info);

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			log_error("sigwaitinfo failed: %s", strerror(errno));
			return EXIT_RUNTIME;
		}
		switch (sig) {
		case SIGCHLD:
			if (run_reap(inst)) {
				log_error("postgres exited unexpectedly with code %d%s%s", inst->exit_code,
					  inst->proc.last[0] ? ": " : "", inst->proc.last);
				return EXIT_RUNTIME;
			}
			break;
		case SIGHUP:
			log_info("SIGHUP: asking postgres to reload its configuration");
			(void) kill(inst->proc.pid, SIGHUP);
			break;
		default:
			log_info("received %s: fast shutdown", strsignal(sig));
			if (!instance_stop(inst, sig == SIGQUIT ? INSTANCE_STOP_IMMEDIATE : INSTANCE_STOP_FAST,
					   STOP_STEP_MS))
				return EXIT_RUNTIME;
			run_reap(inst);
			return inst->exit_code == 0 ? EXIT_OK : EXIT_RUNTIME;
		}
	}
}

int
cmd_run(struct settings *set, int argc, char **argv)
{
	struct instance inst;
	struct spec *s;
	struct inputs in;
	int rc;

	(void) argv;
	if (argc > 0) {
		log_error("run takes no arguments");
		return EXIT_BAD_USAGE;
	}
	rc = cmd_load_spec(set, &s, &in);
	if (rc != EXIT_OK)
		return rc;
	rc = cmd_drop_privileges(set);
	if (rc == EXIT_OK && pgdata_state(set->pgdata) != PGDATA_BOOTSTRAPPED) {
		if (s->bootstrap != SPEC_BOOTSTRAP_INITDB) {
			log_error("%s: the %s bootstrap is not available in this pgpod version",
				  spec_path(s, "bootstrap.method"), spec_bootstrap_name(s->bootstrap));
			rc = EXIT_BAD_USAGE;
		} else {
			rc = cmd_bootstrap_exit(initdb_bootstrap(set, s, &in));
		}
	} else if (rc == EXIT_OK && !config_write_all(set, s, NULL)) {
		rc = EXIT_RUNTIME;
	}
	inputs_free(&in);
	spec_free(s);
	if (rc != EXIT_OK)
		return rc;
	if (!instance_start(set, NULL, &inst))
		return EXIT_RUNTIME;
	if (instance_wait_ready(&inst, READY_TIMEOUT_MS))
		log_info("postgres is ready on port %d (listen_addresses \"%s\")", set->pg_port,
			 set->pg_listen);
	else if (!inst.running)
		return EXIT_RUNTIME;
	return run_supervise(&inst);
}
