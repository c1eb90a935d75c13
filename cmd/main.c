/*
 * main.c — pgpod's entry point: block signals before any thread exists,
 * resolve the common options (flag, then environment, then default) and
 * dispatch to the command.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "exitcodes.h"
#include "log.h"

struct option_def {
	const char *name;
	const char *env;
	const char *dflt;
	char       *dest;
	size_t      cap;
};

struct command {
	const char *name;
	int (*run)(struct settings *set, int argc, char **argv);
	int log_fd;	/* commands that print a document log to stderr */
	bool takes_signals; /* takes SIGTERM/SIGINT itself (a stop moves a bootstrap
			     * aside); the others simply die of them */
};

static const struct command commands[] = {
	{ "run", cmd_run, 1, true },
	{ "init", cmd_init, 1, true },
	{ "spec", cmd_spec, 2, false },
	{ "version", cmd_version, 2, false },
	{ "status", cmd_status, 2, false },
	{ "probe", cmd_probe, 2, false },
	{ "clone", cmd_clone, 1, true },
	{ "restore", cmd_restore, 1, true },
	{ "join", cmd_join, 1, true },
	{ "promote", cmd_promote, 1, true },
	{ "backup", cmd_backup, 1, false },
	{ "wal-archive", cmd_wal_archive, 2, false },
	{ "wal-restore", cmd_wal_restore, 2, false },
};

static void usage_options(FILE *out);

void
cmd_usage(FILE *out)
{
	fprintf(out,
		"Usage: pgpod COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  run          bootstrap if PGDATA is empty, then run postgres until SIGTERM\n"
		"  init         initdb bootstrap only, then stop postgres and exit\n"
		"  clone        pg_basebackup bootstrap only (bootstrap.pg_basebackup), then exit\n"
		"  restore      pgBackRest restore bootstrap only (PGO/Percona dataSource, PITR), then exit\n"
		"  join         make this instance a streaming replica of the primary, then exit\n"
		"  promote      promote the local standby (replica cluster) and apply the\n"
		"               application-database rules it deferred\n"
		"  backup [--type full|diff|incr] [--repo N]\n"
		"               a pgBackRest backup of the primary running here (spec.backups.pgbackrest)\n"
		"  wal-archive PATH | wal-restore NAME PATH   Barman Cloud archive/restore_command\n"
		"  spec check   print the normalized spec as JSON; exit 2 listing every error\n"
		"  version      print the version and the libraries pgpod was built with\n"
		"  status       print the instance status JSON (from the running pgpod, else from PGDATA)\n"
		"  probe startup|liveness|readiness\n"
		"               exit 0 when healthy, 1 when not, printing one reason line\n"
		"\n");
	usage_options(out);
}

/* The options part of the usage. */
static void
usage_options(FILE *out)
{
	fprintf(out,
		"Options (environment variable, default):\n"
		"  --spec FILE            PGPOD_SPEC, /etc/pgpod/cluster.yaml\n"
		"  --secrets-dir DIR      PGPOD_SECRETS_DIR, /etc/pgpod/secrets\n"
		"  --configmaps-dir DIR   PGPOD_CONFIGMAPS_DIR, /etc/pgpod/configmaps\n"
		"  --pgdata DIR           PGDATA, /var/lib/postgresql/data/pgdata\n"
		"  --pg-bin DIR           PGPOD_PG_BIN, the directory of postgres on PATH\n"
		"  --run-dir DIR          PGPOD_RUN_DIR, /run/pgpod\n"
		"  --listen ADDR:PORT     PGPOD_LISTEN, 0.0.0.0:8000\n"
		"  --status-listen ADDR:PORT PGPOD_STATUS_LISTEN, --listen (/pg/status and /metrics\n"
		"                         there instead, e.g. 127.0.0.1:8001: they show paths and LSNs)\n"
		"  --tls-cert FILE        PGPOD_TLS_CERT, unset (with --tls-key: HTTPS on --listen and\n"
		"                         --status-listen; status and probe trust this certificate)\n"
		"  --tls-key FILE         PGPOD_TLS_KEY, unset (PEM, readable by --user)\n"
		"  --pg-port PORT         PGPOD_PG_PORT, 5432\n"
		"  --pg-listen ADDRS      PGPOD_PG_LISTEN, *\n"
		"  --user NAME            PGPOD_USER, postgres (used only when started as root)\n"
		"  --pod-name NAME        POD_NAME, the host name\n"
		"  --log-level LEVEL      PGPOD_LOG_LEVEL, info (debug, info, warn, error)\n"
		"  --restart-max N        PGPOD_RESTART_MAX, 5 (in-place restarts of a dead postmaster\n"
		"                         allowed within --restart-window; then exit 125)\n"
		"  --restart-window SEC   PGPOD_RESTART_WINDOW, 60\n"
		"  --restart-interval SEC PGPOD_RESTART_INTERVAL, 1 (at least this long between starts)\n"
		"  --max-lag BYTES        PGPOD_MAX_LAG, 16MB (a standby is ready within this replay lag;\n"
		"                         units kB, MB, GB or Ki, Mi, Gi; spec.probes.readiness.maximumLag\n"
		"                         wins when the spec sets it)\n"
		"  --termination-log FILE PGPOD_TERMINATION_LOG, /dev/termination-log (why pgpod gave up)\n"
		"  --instance-role ROLE   PGPOD_INSTANCE_ROLE, auto (primary, replica; auto: instance 1\n"
		"                         by the pod name's ordinal bootstraps, the others join)\n"
		"  --ordinal-base N       PGPOD_ORDINAL_BASE, 1 (the ordinal of instance 1: 1 for\n"
		"                         CloudNativePG's name-1..name-N, 0 for a StatefulSet's name-0..)\n"
		"  --primary-host HOST    PGPOD_PRIMARY_HOST, <cluster>-rw (where replicas join and stream)\n"
		"  --primary-port PORT    PGPOD_PRIMARY_PORT, 5432\n"
		"  --keep-failed N        PGPOD_KEEP_FAILED, 3 (failed bootstrap attempts kept beside\n"
		"                         PGDATA as PGDATA.failed-<time>; older ones of pgpod's go; 0: all)\n"
		"  --type TYPE            PGPOD_BACKUP_TYPE, incr (backup: full, diff or incr)\n"
		"  --repo N               PGPOD_BACKUP_REPO, the first of the spec's (backup: 1-4)\n"
		"\n"
		"Exit codes: 0 success; 1 runtime failure; 2 bad usage or invalid spec;\n"
		"3 PGDATA holds data pgpod did not finish bootstrapping (refused, untouched);\n"
		"125 fatal, do not restart.\n");
}

static bool
set_value(struct option_def *o, const char *v)
{
	if (strlen(v) >= o->cap) {
		fprintf(stderr, "pgpod: --%s is too long (at most %zu bytes)\n", o->name, o->cap - 1);
		return false;
	}
	memcpy(o->dest, v, strlen(v) + 1);
	return true;
}

/* The text of the options that are converted once resolved. */
struct option_text {
	char pg_port[16];
	char primary_port[16];
	char ordinal_base[16];
	char log_level[16];
	char restart_max[16];
	char restart_window[16];
	char restart_interval[16];
	char max_lag[32];
	char keep_failed[16];
};

/* An option's resolved text, checked and stored into dest by conv; the
 * message says "--name must be <what>" otherwise. */
struct option_value {
	const char *name;
	const char *text;
	void       *dest;
	bool      (*conv)(const struct option_value *v);
	const char *what;
	long        min, max;		/* conv_int, conv_ms */
	const char *const *choices;	/* conv_choice, NULL-terminated */
};

#define OPTIONS_MAX 32

/* An integer within min..max. */
static bool
conv_int(const struct option_value *v)
{
	char *end;
	long n = strtol(v->text, &end, 10);

	if (*end != '\0' || n < v->min || n > v->max)
		return false;
	*(int *) v->dest = (int) n;
	return true;
}

/* Seconds within min..max, fractions allowed, stored in milliseconds. */
static bool
conv_ms(const struct option_value *v)
{
	char *end;
	double d = strtod(v->text, &end);

	if (*end != '\0' || !(d >= v->min && d <= v->max))
		return false;
	*(int *) v->dest = (int) (d * 1000);
	return true;
}

/* One of choices; dest, when set, gets its index. */
static bool
conv_choice(const struct option_value *v)
{
	for (int i = 0; v->choices[i] != NULL; i++) {
		if (strcmp(v->text, v->choices[i]) == 0) {
			if (v->dest != NULL)
				*(int *) v->dest = i;
			return true;
		}
	}
	return false;
}

/* A size in bytes with a unit. */
static bool
conv_size(const struct option_value *v)
{
	return spec_parse_size(v->text, v->dest);
}

/* A log level name. */
static bool
conv_level(const struct option_value *v)
{
	return log_parse_level(v->text, v->dest);
}

/* Check and store the options that are not plain strings, in this order;
 * the first bad one is reported. */
static int
convert_options(struct settings *set, const struct option_text *t)
{
	static const char *const ordinal_bases[] = { "0", "1", NULL };
	static const char *const roles[] = { "auto", "primary", "replica", NULL };
	const struct option_value values[] = {
		{ "pg-port", t->pg_port, &set->pg_port, conv_int,
		  "a port number (1-65535)", 1, 65535, NULL },
		{ "primary-port", t->primary_port, &set->primary_port, conv_int,
		  "a port number (1-65535)", 1, 65535, NULL },
		{ "ordinal-base", t->ordinal_base, &set->ordinal_base, conv_choice,
		  "0 or 1", 0, 0, ordinal_bases },
		{ "instance-role", set->instance_role, NULL, conv_choice,
		  "auto, primary or replica", 0, 0, roles },
		{ "restart-max", t->restart_max, &set->restart_max, conv_int,
		  "0..1000", 0, 1000, NULL },
		{ "restart-window", t->restart_window, &set->restart_window_s, conv_int,
		  "1..86400 seconds", 1, 86400, NULL },
		{ "restart-interval", t->restart_interval, &set->restart_interval_ms, conv_ms,
		  "0..3600 seconds", 0, 3600, NULL },
		{ "max-lag", t->max_lag, &set->max_lag_bytes, conv_size,
		  "a size in bytes (units kB, MB, GB or Ki, Mi, Gi)", 0, 0, NULL },
		{ "log-level", t->log_level, &set->log_level, conv_level,
		  "debug, info, warn or error", 0, 0, NULL },
		{ "keep-failed", t->keep_failed, &set->keep_failed, conv_int,
		  "0..1000 (0: keep every failed attempt)", 0, 1000, NULL },
	};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		const struct option_value *v = &values[i];

		if (!v->conv(v)) {
			fprintf(stderr, "pgpod: --%s must be %s, got \"%s\"\n", v->name, v->what, v->text);
			return EXIT_BAD_USAGE;
		}
	}
	return EXIT_OK;
}

/* Resolve every option: the flag, else its environment variable when set
 * and not empty, else the default. --help prints the usage and exits. */
static int
resolve_options(struct option_def *defs, int ndefs, int argc, char **argv)
{
	struct option longopts[OPTIONS_MAX + 2];
	bool given[OPTIONS_MAX] = { false };
	int c;

	for (int i = 0; i < ndefs; i++)
		longopts[i] = (struct option) { defs[i].name, required_argument, NULL, i };
	longopts[ndefs] = (struct option) { "help", no_argument, NULL, 'h' };
	longopts[ndefs + 1] = (struct option) { 0 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			cmd_usage(stdout);
			exit(EXIT_OK);
		}
		if (c < 0 || c >= ndefs) {
			cmd_usage(stderr);
			return EXIT_BAD_USAGE;
		}
		if (!set_value(&defs[c], optarg))
			return EXIT_BAD_USAGE;
		given[c] = true;
	}
	for (int i = 0; i < ndefs; i++) {
		const char *env = getenv(defs[i].env);

		if (!given[i] && !set_value(&defs[i], (env && *env) ? env : defs[i].dflt))
			return EXIT_BAD_USAGE;
	}
	return EXIT_OK;
}

/* Parse the common options; on return optind points past them. */
static int
parse_options(struct settings *set, int argc, char **argv)
{
	struct option_text t;
	struct option_def defs[] = {
		{ "spec", "PGPOD_SPEC", "/etc/pgpod/cluster.yaml", set->spec, sizeof(set->spec) },
		{ "secrets-dir", "PGPOD_SECRETS_DIR", "/etc/pgpod/secrets", set->secrets_dir, sizeof(set->secrets_dir) },
		{ "configmaps-dir", "PGPOD_CONFIGMAPS_DIR", "/etc/pgpod/configmaps", set->configmaps_dir, sizeof(set->configmaps_dir) },
		{ "pgdata", "PGDATA", "/var/lib/postgresql/data/pgdata", set->pgdata, sizeof(set->pgdata) },
		{ "pg-bin", "PGPOD_PG_BIN", "", set->pg_bin, sizeof(set->pg_bin) },
		{ "run-dir", "PGPOD_RUN_DIR", "/run/pgpod", set->run_dir, sizeof(set->run_dir) },
		{ "listen", "PGPOD_LISTEN", "0.0.0.0:8000", set->listen, sizeof(set->listen) },
		{ "status-listen", "PGPOD_STATUS_LISTEN", "", set->status_listen,
		  sizeof(set->status_listen) },
		{ "tls-cert", "PGPOD_TLS_CERT", "", set->tls_cert, sizeof(set->tls_cert) },
		{ "tls-key", "PGPOD_TLS_KEY", "", set->tls_key, sizeof(set->tls_key) },
		{ "type", "PGPOD_BACKUP_TYPE", "incr", set->backup_type, sizeof(set->backup_type) },
		{ "repo", "PGPOD_BACKUP_REPO", "", set->backup_repo, sizeof(set->backup_repo) },
		{ "pg-port", "PGPOD_PG_PORT", "5432", t.pg_port, sizeof(t.pg_port) },
		{ "pg-listen", "PGPOD_PG_LISTEN", "*", set->pg_listen, sizeof(set->pg_listen) },
		{ "user", "PGPOD_USER", "postgres", set->user, sizeof(set->user) },
		{ "pod-name", "POD_NAME", "", set->pod_name, sizeof(set->pod_name) },
		{ "log-level", "PGPOD_LOG_LEVEL", "info", t.log_level, sizeof(t.log_level) },
		{ "restart-max", "PGPOD_RESTART_MAX", "5", t.restart_max, sizeof(t.restart_max) },
		{ "restart-window", "PGPOD_RESTART_WINDOW", "60", t.restart_window, sizeof(t.restart_window) },
		{ "restart-interval", "PGPOD_RESTART_INTERVAL", "1", t.restart_interval,
		  sizeof(t.restart_interval) },
		{ "max-lag", "PGPOD_MAX_LAG", "16MB", t.max_lag, sizeof(t.max_lag) },
		{ "termination-log", "PGPOD_TERMINATION_LOG", "/dev/termination-log",
		  set->termination_log, sizeof(set->termination_log) },
		{ "instance-role", "PGPOD_INSTANCE_ROLE", "auto", set->instance_role,
		  sizeof(set->instance_role) },
		{ "primary-host", "PGPOD_PRIMARY_HOST", "", set->primary_host, sizeof(set->primary_host) },
		{ "primary-port", "PGPOD_PRIMARY_PORT", "5432", t.primary_port, sizeof(t.primary_port) },
		{ "ordinal-base", "PGPOD_ORDINAL_BASE", "1", t.ordinal_base, sizeof(t.ordinal_base) },
		{ "keep-failed", "PGPOD_KEEP_FAILED", "3", t.keep_failed, sizeof(t.keep_failed) },
	};
	int rc;

	memset(&t, 0, sizeof(t));
	_Static_assert(sizeof(defs) / sizeof(defs[0]) <= OPTIONS_MAX, "OPTIONS_MAX is too small");
	rc = resolve_options(defs, (int) (sizeof(defs) / sizeof(defs[0])), argc, argv);
	if (rc == EXIT_OK)
		rc = convert_options(set, &t);
	if (rc != EXIT_OK)
		return rc;
	if (set->pod_name[0] == '\0' && gethostname(set->pod_name, sizeof(set->pod_name) - 1) != 0)
		snprintf(set->pod_name, sizeof(set->pod_name), "pgpod");
	return EXIT_OK;
}

void
cmd_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGCHLD);
}

/* Signals are taken synchronously (sigwaitinfo/sigpending): block them
 * here, before any thread is created, so every thread inherits the mask. */
static void
block_signals(void)
{
	sigset_t set;

	cmd_signal_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A command that does not take signals itself dies of them, as any
 * command-line tool does (it holds nothing that must be cleaned up). */
static void
unblock_signals(void)
{
	sigset_t set;

	cmd_signal_set(&set);
	sigdelset(&set, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int
main(int argc, char **argv)
{
	static struct settings set;
	const char *name;
	int rc;

	block_signals();
	umask(077);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
	    || strcmp(argv[1], "help") == 0) {
		cmd_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_BAD_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		argv[1] = "version";
	name = argv[1];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) != 0)
			continue;
		rc = parse_options(&set, argc - 1, argv + 1);
		if (rc != EXIT_OK)
			exit(rc);
		log_init(commands[i].log_fd, set.log_level);
		if (!commands[i].takes_signals)
			unblock_signals();
		exit(commands[i].run(&set, argc - 1 - optind, argv + 1 + optind));
	}
	fprintf(stderr, "pgpod: unknown command \"%s\"\n\n", name);
	cmd_usage(stderr);
	exit(EXIT_BAD_USAGE);
}
