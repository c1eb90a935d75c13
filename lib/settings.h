/*
 * settings.h — the common options of every command (CONTRACT section 1),
 * resolved from flag, environment and default by cmd/, read by the rest.
 */
#ifndef PGPOD_SETTINGS_H
#define PGPOD_SETTINGS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "log.h"

/* Paths given to pgpod are bounded well below PATH_MAX so that files
 * under them always fit a PATH_MAX buffer. */
#define SETTINGS_PATH_MAX 1024

struct settings {
	char spec[SETTINGS_PATH_MAX];
	char secrets_dir[SETTINGS_PATH_MAX];
	char configmaps_dir[SETTINGS_PATH_MAX];
	char pgdata[SETTINGS_PATH_MAX];
	char pg_bin[SETTINGS_PATH_MAX];
	char run_dir[SETTINGS_PATH_MAX];
	char listen[256];
	char status_listen[256];	/* "" = --listen serves /pg/status and /metrics too */
	char tls_cert[SETTINGS_PATH_MAX];	/* "" = plain HTTP; else HTTPS with tls_key */
	char tls_key[SETTINGS_PATH_MAX];
	int  pg_port;
	char pg_listen[1024];
	char user[64];
	char pod_name[256];
	enum log_level log_level;
	int  restart_max;	/* in-place restarts allowed within restart_window_s */
	int  restart_window_s;
	int  restart_interval_ms; /* at least this long between two starts */
	long long max_lag_bytes; /* readiness limit of a standby's replay lag */
	char termination_log[SETTINGS_PATH_MAX];
	char instance_role[16];	/* auto, primary, replica */
	char primary_host[256];	/* "" = <cluster>-rw */
	int  primary_port;
	int  ordinal_base;	/* the pod ordinal of instance 1 (1 CloudNativePG, 0 StatefulSet) */
	int  keep_failed;	/* failed bootstrap attempts kept beside PGDATA (0: all) */
	char backup_type[8];	/* pgpod backup --type: full, diff, incr */
	char backup_repo[8];	/* pgpod backup --repo: 1-4, "" the spec's first */

	/* derived */
	int  pg_major;
	char pg_version[64];
	bool was_root;		/* started as root and dropped to user */
	char os_user[64];	/* the user postgres runs as */
};

#endif
