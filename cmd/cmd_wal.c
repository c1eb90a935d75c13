/*
 * cmd_wal.c — `pgpod wal-archive PATH` and `pgpod wal-restore NAME PATH`:
 * the archive_command and restore_command pgpod writes for a Barman Cloud
 * object store (pgdata/barman_wal.h). postgres runs them with PGDATA as the
 * working directory; the store comes from --run-dir, not from the spec.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "exitcodes.h"
#include "log.h"
#include "pgdata/barman_wal.h"

int
cmd_wal_archive(struct settings *set, int argc, char **argv)
{
	if (argc != 1 || *argv[0] == '\0') {
		log_error("usage: pgpod wal-archive [--run-dir DIR] PATH (postgres' %%p)");
		return EXIT_BAD_USAGE;
	}
	return barman_wal_archive(set->run_dir, argv[0]) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

int
cmd_wal_restore(struct settings *set, int argc, char **argv)
{
	if (argc != 2 || *argv[0] == '\0' || *argv[1] == '\0' || strchr(argv[0], '/') != NULL) {
		log_error("usage: pgpod wal-restore [--run-dir DIR] NAME PATH (postgres' %%f %%p)");
		return EXIT_BAD_USAGE;
	}
	return barman_wal_restore(set->run_dir, argv[0], argv[1]) == 0 ? EXIT_OK
		: EXIT_RUNTIME;
}
