/*
 * barman.h — a Barman Cloud object store as the barman-cloud tools see it
 * (Debian's barman-cli-cloud 3.4): one directory per store in the run
 * directory, <run>/barman/<name>/, written once by the process that read
 * the spec and its Secrets, read by every later call — `pgpod wal-archive`
 * and `pgpod wal-restore` run by postgres read it instead of the spec:
 *
 *   store.conf         what the spec says: provider, destination, server
 *                      name, endpoint, compression, encryption, jobs, tags
 *                      (key=value lines; every value checked when read
 *                      from the spec: no blank, no line break)
 *   aws-credentials    the S3 keys as an AWS shared-credentials file
 *   aws-config         the S3 region
 *   endpoint-ca.pem    the endpoint's CA bundle
 *   google-credentials.json, azure-*   the other providers' credentials
 *
 * All 0600 in a 0700 directory. A child gets the files' paths in its
 * environment (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_CA_BUNDLE,
 * GOOGLE_APPLICATION_CREDENTIALS), never a key in its argv. Azure's tools
 * read keys from the environment only: those go to the environment of the
 * one short-lived barman-cloud child that needs them, read from the files
 * at that moment.
 */
#ifndef PGPOD_BARMAN_H
#define PGPOD_BARMAN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "argv.h"
#include "inputs.h"
#include "settings.h"
#include "spec.h"

#define BARMAN_OWN    "own"	/* this cluster's spec.backup.barmanObjectStore */
#define BARMAN_SOURCE "source"	/* the recovery or replica source's */
#define BARMAN_TAGS_MAX 16

struct barman_store {
	char dir[PATH_MAX];		/* <run>/barman/<name> */
	char provider[24];		/* aws-s3, azure-blob-storage, google-cloud-storage */
	char destination[1040];
	char server[130];
	char endpoint[1040];		/* "" when not given */
	bool ca;			/* endpoint-ca.pem is there */
	char wal_compression[16];	/* "" none */
	char wal_encryption[16];
	int  max_parallel;
	char data_compression[16];
	char data_encryption[16];
	int  jobs;
	bool immediate_checkpoint;
	unsigned long long segment_bytes;	/* the WAL segment size of the archive; 0: 16 MiB */
	char tags[BARMAN_TAGS_MAX][400];	/* "KEY,VALUE" */
	size_t ntags;
	char history_tags[BARMAN_TAGS_MAX][400];
	size_t nhistory_tags;
	struct barman_args {		/* the spec's *AdditionalCommandArgs */
		char   v[SPEC_BARMAN_ARGS_MAX][260];
		size_t n;
	} archive_args, restore_args, backup_args;
};

/* The provider a destination's scheme names. */
const char *barman_provider(const char *destination);

/* store.conf's text for o (server: serverName, else server_default). */
bool barman_store_render(const struct spec_objstore *o, const char *server_default,
			 char *buf, size_t cap);

/* Parse store.conf's text into st (st->dir is left as it is). False, with
 * why, when a line is not one pgpod writes. */
bool barman_store_parse(const char *text, struct barman_store *st, char *why, size_t whycap);

/* Write <run>/barman/<name>/ for o and its credentials; logged failures. A
 * credential with a line break in it is refused (it would be another line
 * of the file). */
bool barman_store_write(const struct settings *set, const char *name,
			const struct spec_objstore *o, const struct input_store *cred,
			const char *server_default) __attribute__((warn_unused_result));

/* Read <run>/barman/<name>/store.conf; logged failures. */
bool barman_store_read(const char *run_dir, const char *name, struct barman_store *st)
	__attribute__((warn_unused_result));

/* The start of a barman-cloud call: args = TOOL --cloud-provider P
 * [--endpoint-url U]; env = PATH, HOME and the credential files. The
 * caller adds the tool's options, then barman_target(). False when the
 * tool is not installed (logged). */
bool barman_command(const struct barman_store *st, const char *tool, struct argv *args,
		    struct argv *env) __attribute__((warn_unused_result));

/* The tool's additional options from the spec (wal-archive, wal-restore,
 * backup: those whose option args does not hold already, as CloudNativePG
 * skips them), then the two positional words every tool takes:
 * destination, server name. */
void barman_target(const struct barman_store *st, struct argv *args);

/* Run TOOL [opts] DESTINATION SERVER [tail]: its output captured into buf
 * (NUL-terminated) when buf is given, else logged as "barman-cloud";
 * *code its exit code, last (may be NULL) its last output line. False when
 * it could not be started (logged). */
bool barman_run(const struct barman_store *st, const char *tool, const char *const *opts,
		size_t nopts, const char *const *tail, size_t ntail, char *buf, size_t cap,
		int *code, char *last, size_t lastcap) __attribute__((warn_unused_result));

/* Add "segment_bytes=N" to the store's store.conf (the archive's WAL
 * segment size, for wal-restore's prefetch). */
bool barman_store_set_segment(const char *run_dir, const char *name, unsigned long long bytes)
	__attribute__((warn_unused_result));

/* CloudNativePG's retentionPolicy ("30d", "4w", "6m") as barman's words
 * ("RECOVERY WINDOW OF 30 DAYS"); false when it is not one. */
bool barman_retention_words(const char *policy, char *buf, size_t cap);

/* `pgpod backup` (barman_backup.c): barman-cloud-backup of the primary
 * running here into this cluster's store, with the store's compression,
 * encryption, jobs, checkpoint and tags; then the retention policy
 * (spec.backup.retentionPolicy; NULL or "": none) applied by
 * barman-cloud-backup-delete. 0, or the tool's exit code (-1:
 * it could not run); the new backup's id into id. Logged. */
int barman_backup(const struct settings *set, const char *retention, char *id, size_t idcap);

/* The spec has an object store of its own (spec.backup.barmanObjectStore). */
bool barman_enabled(const struct spec *s);

/* This cluster's store directory (BARMAN_OWN) from the spec, when it has
 * one; written with the configuration, on every start and reload. */
bool barman_write_own(const struct settings *set, const struct spec *s, const struct inputs *in)
	__attribute__((warn_unused_result));

/* archive_command: '<pgpod>' wal-archive --run-dir '<run>' "%p". */
bool barman_archive_command(const struct settings *set, char *buf, size_t cap);

/* Run `<pgpod> wal-restore --run-dir <run> NAME DEST` (as postgres would)
 * to its end; *code its exit code. */
bool barman_self_restore(const struct settings *set, const char *name, const char *dest,
			 int *code) __attribute__((warn_unused_result));

/* restore_command: '<pgpod>' wal-restore --run-dir '<run>' %f "%p". */
bool barman_restore_command(const struct settings *set, char *buf, size_t cap);

#endif
