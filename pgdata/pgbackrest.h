/*
 * pgbackrest.h — pgBackRest, the real tool behind this cluster's WAL
 * archive and backups (PGO's and Percona's spec.backups.pgbackrest): the one
 * configuration file pgpod writes for it, and every call pgpod makes to it.
 *
 * The file is <run-dir>/pgbackrest.conf, mode 0600, written atomically and
 * again on every reload: a [global] section with the repositories
 * (repos[]: volume → posix at repoN-path, s3, gcs, azure), the spec's
 * `global` settings and the pgBackRest INI files of the projected Secrets
 * and ConfigMaps (`configuration[]`, e.g. s3.conf with repo1-s3-key), then
 * the stanza "db" (PGO's name) describing this instance. Every call gets
 * --config to it, so no key is ever in an argv, an environment or a log
 * line (pgBackRest redacts them in its own output).
 */
#ifndef PGPOD_PGBACKREST_H
#define PGPOD_PGBACKREST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "inputs.h"
#include "proc.h"
#include "settings.h"
#include "spec.h"

#define PGBR_STANZA "db"
#define PGBR_CONF   "pgbackrest.conf"
#define PGBR_SOURCE_CONF "pgbackrest-source.conf"	/* the repository a restore reads */
#define PGBR_LOGGER "pgbackrest"

/* Which configuration a call uses: this cluster's own repositories
 * (stanza "db"), or the one a restore reads from (PGO's dataSource: its
 * own stanza, its repository, its settings). */
struct pgbr_target {
	char conf[PATH_MAX];
	char stanza[64];
	int  repo;		/* repoN of the restore; 0: pgBackRest's choice */
};

/* This cluster's repositories. */
void pgbr_own(const struct settings *set, struct pgbr_target *t);

/* The repository the spec restores from (bootstrap.restore); false
 * (logged) when it names no repository pgpod can use. */
bool pgbr_source(const struct settings *set, const struct spec *s, const struct pgbr_target *own,
		 struct pgbr_target *t) __attribute__((warn_unused_result));

/* This cluster has repositories of its own: it archives WAL and backs up. */
bool pgbr_enabled(const struct spec *s);

/* The configuration text (caller frees); NULL (logged: the file and line
 * at fault) when a configuration file of the spec cannot be used. */
char *pgbr_render(const struct settings *set, const struct spec *s, const struct inputs *in);

/* Render and write <run-dir>/pgbackrest.conf (removed when the spec has
 * no repositories). False: logged. */
bool pgbr_write_conf(const struct settings *set, const struct spec *s, const struct inputs *in)
	__attribute__((warn_unused_result));

/* The configuration of the repository a restore reads (PGO's
 * dataSource.pgbackrest, or the repository of the source cluster's
 * document): written to <run-dir>/pgbackrest-source.conf for pg_path (the
 * directory restored into). False: logged. */
bool pgbr_write_source_conf(const struct settings *set, const struct spec *s,
			    const struct inputs *in, const char *pg_path)
	__attribute__((warn_unused_result));

/* <run-dir>/pgbackrest.conf. */
void pgbr_conf_path(const struct settings *set, char *buf, size_t cap);

/* The archive_command postgres runs (shell text: the paths are quoted for
 * /bin/sh). False when it does not fit. */
bool pgbr_archive_command(const struct settings *set, char *buf, size_t cap)
	__attribute__((warn_unused_result));

/* Run `pgbackrest --config=… --stanza=db --log-level-console=info COMMAND
 * WORDS…`, its output in the log (logger "pgbackrest"); *code is its exit
 * code, last its last error-looking line. False: it could not be started
 * (logged). */
bool pgbr_run(const struct settings *set, const struct pgbr_target *t, const char *command,
	      const char *const *words, size_t nwords, int *code, char *last, size_t lastcap)
	__attribute__((warn_unused_result));

/* pgbr_run that sends pgbackrest SIGTERM once stop() says so (a bootstrap
 * being stopped) and waits for it to end either way; every output line is
 * offered to watch first (NULL: none; it returns false to keep the line
 * in the log). */
bool pgbr_run_until(const struct settings *set, const struct pgbr_target *t, const char *command,
		    const char *const *words, size_t nwords, bool (*stop)(void), proc_filter watch,
		    void *arg, int *code, char *last, size_t lastcap)
	__attribute__((warn_unused_result));

/* The same with the output captured into buf (NUL-terminated). */
bool pgbr_capture(const struct settings *set, const struct pgbr_target *t, const char *command,
		  const char *const *words, size_t nwords, char *buf, size_t cap, int *code)
	__attribute__((warn_unused_result));

/* The restore_command of a recovery from t (shell text): archive-get from
 * its repository, for pg_path. False when it does not fit. */
bool pgbr_restore_command(const struct pgbr_target *t, const char *pg_path, char *buf, size_t cap)
	__attribute__((warn_unused_result));

/* One backup of a repository, as `pgbackrest info` tells it. */
struct pgbr_backup {
	char      label[64];
	char      type[8];		/* full, diff, incr */
	double    start, stop;		/* Unix times */
	long long size;			/* of the cluster restored from it */
	long long repo_size;		/* what it added to the repository */
	char      pg_version[16];	/* the major it was taken of ("15") */
	char      wal_start[32], wal_stop[32];
};

/* What `pgbackrest info --output=json` says of the stanza in one repo. */
struct pgbr_info {
	int                 status;	/* pgBackRest's code: 0 ok, 1 missing stanza path,
					 * 2 no valid backups, 3 missing stanza data, ... */
	char                message[256];
	struct pgbr_backup *backups;	/* oldest first */
	size_t              n;
	char                archive_id[32];	/* the WAL archive of the newest backup's db ("15-1") */
	char                archive_max[32];	/* its newest WAL segment ("" none) */
};

/* pgbackrest info of t's stanza in t's repository (every one when
 * t->repo is 0). False when it could not be asked (why: pgBackRest's own
 * message). */
bool pgbr_info(const struct settings *set, const struct pgbr_target *t, struct pgbr_info *out,
	       char *why, size_t whycap) __attribute__((warn_unused_result));
void pgbr_info_free(struct pgbr_info *info);

/* Whether timeline tli has WAL or a history file in t's archive (info's
 * archive_id); false also when the archive cannot be listed (logged). */
bool pgbr_timeline_exists(const struct settings *set, const struct pgbr_target *t,
			  const char *archive_id, long tli);

/* A backup of this cluster to repo (1..4) of type (full, diff, incr): its
 * progress in the log, then one summary line (label, sizes, duration).
 * pgBackRest expires old backups by repoN-retention-* after it. Returns
 * pgBackRest's exit code (-1: not started); *done the new backup when 0. */
int pgbr_backup(const struct settings *set, const char *type, int repo, struct pgbr_backup *done);

/* stanza-create (idempotent) then check, once the primary is up; each
 * result logged. */
bool pgbr_stanza(const struct settings *set);

#endif
