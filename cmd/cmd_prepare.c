/*
 * cmd_prepare.c — what init and run do before touching anything: find
 * PostgreSQL, read and validate the spec, load its Secrets and ConfigMaps
 * (all as the starting user), then create the directories and drop root.
 */
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "exitcodes.h"
#include "fileio.h"
#include "log.h"
#include "pgversion.h"
#include "privs.h"
#include "proc.h"
#include "specfile.h"
#include "pgdata/pgbackrest.h"

/* Fill set->pg_bin (when not given) and the installed version. */
static bool
cmd_find_postgres(struct settings *set)
{
	if (set->pg_bin[0] == '\0' && !pgversion_find_bindir(set->pg_bin, sizeof(set->pg_bin))) {
		log_error("cannot find the postgres binary on PATH nor in /usr/lib/postgresql/*/bin; "
			  "install PostgreSQL or pass --pg-bin");
		return false;
	}
	return pgversion_detect(set->pg_bin, &set->pg_major, set->pg_version,
				sizeof(set->pg_version));
}

/* The pgBackRest configuration files of the spec's Secrets are usable:
 * checked before anything is written (their settings, not only their
 * presence). */
static int
cmd_check_pgbackrest(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	char *text;

	if (!pgbr_enabled(s))
		return EXIT_OK;
	if ((text = pgbr_render(set, s, in)) == NULL) {
		log_error("the spec %s is refused: a pgBackRest configuration file of "
			  "spec.backups.pgbackrest.configuration is unusable (see above); nothing was "
			  "changed", set->spec);
		return EXIT_BAD_USAGE;
	}
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return EXIT_OK;
}

int
cmd_load_spec(struct settings *set, struct spec **spec, struct inputs *in)
{
	int rc;

	*spec = NULL;
	if (!cmd_find_postgres(set))
		return EXIT_RUNTIME;
	proc_protect_secrets();
	rc = specfile_load(set, set->pg_major, spec, in);
	if (rc == EXIT_OK && (rc = cmd_check_pgbackrest(set, *spec, in)) != EXIT_OK) {
		inputs_free(in);
		spec_free(*spec);
		*spec = NULL;
	}
	return rc;
}

/* For spec check: a machine without PostgreSQL can still check a spec. */
int
cmd_check_spec(struct settings *set, struct spec **spec, struct inputs *in)
{
	int major = INT_MAX;

	if (cmd_find_postgres(set))
		major = set->pg_major;
	else
		log_warn("PostgreSQL not found: checks that depend on its version are skipped");
	proc_protect_secrets();
	return specfile_load(set, major, spec, in);
}

int
cmd_drop_privileges(struct settings *set)
{
	char parent[PATH_MAX];
	const char *dirs[3];
	int n = 0;
	file_dirname(set->pgdata, parent, sizeof(parent));
	dirs[n++] = set->run_dir;
	/* a missing or empty PGDATA is created for / handed to the user (as a
	 * container entrypoint does); one with files in it is left as it is */
	dirs[n++] = file_dir_state(set->pgdata) == FILE_DIR_NOT_EMPTY ? parent : set->pgdata;
	if (!privs_prepare(set->user, dirs, n, &set->was_root, set->os_user, sizeof(set->os_user)))
		return EXIT_RUNTIME;
	/* passwords, pgpass and TLS files and the socket live there */
	if (!file_private_dir(set->run_dir)) {
		log_error("--run-dir \"%s\" is refused (see above); nothing was written", set->run_dir);
		return EXIT_BAD_USAGE;
	}
	return EXIT_OK;
}
