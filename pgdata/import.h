/*
 * import.h — bootstrap.initdb.import: CloudNativePG's logical import of
 * databases (and, monolith, roles) from an external cluster of the same or
 * an older major, into the new initdb, with the field's own tools:
 *
 *   microservice  the one database of import.databases into the
 *                 application database, owned by the owner (pg_restore
 *                 --no-owner --no-privileges --role=<owner>), then
 *                 postImportApplicationSQL in it;
 *   monolith      the roles of import.roles first (attributes, comment, the
 *                 password hash when the source lets it be read, never
 *                 SUPERUSER; then the memberships between them), then each
 *                 database of import.databases as it is in the source
 *                 (pg_restore --create), owners and privileges kept.
 *
 * Each database: pg_dump -Fd -j N into a dump directory, pg_restore -j N
 * by section (pre-data, data, post-data: the section's options over
 * pgRestoreExtraOptions), the directory removed; ANALYZE at the end. The
 * dump directory is <run-dir>/import when the run directory's file system
 * has room for the database (its size on the source), else
 * PGDATA/pgpod-import when PGDATA's has room for it twice (the dump and
 * the restored data); with room for neither the dump streams through a
 * FIFO in the run directory (pg_dump -Fc | pg_restore, one job, one pass).
 * The temporary postgres runs without WAL for it (wal_level minimal,
 * full_page_writes off, fsync off; the bootstrap is flushed once at the
 * end). Progress (database, phase, tables, bytes) is logged every few
 * seconds; a failure names the database, the phase and the tool's message.
 */
#ifndef PGPOD_IMPORT_H
#define PGPOD_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "boot.h"

/* The spec asks for an initdb with an import. */
bool import_asked(const struct spec *s);

/* Before anything is written: the source answers, is not of a newer major
 * than the installed pg_dump, and has the databases and roles named. */
bool import_check(const struct settings *set, const struct spec *s, const struct inputs *in)
	__attribute__((warn_unused_result));

/* The survey of the source, logged (initdb.c's prepare calls it). */
bool import_prepare(struct boot *b) __attribute__((warn_unused_result));

/* Whether the initdb makes the application database and owner: always
 * for microservice (the import goes there), for monolith only when the
 * spec names them (the source's databases keep their owners). */
bool import_wants_app_db(const struct spec *s);

/* The temporary postgres' settings for the import (after boot's own). */
void import_start_args(struct argv *extra);

/* The import's steps (initdb.c's import plan walks them between
 * postInitApplicationSQL and the superuser's password). */
bool import_step_roles(struct boot *b) __attribute__((warn_unused_result));
bool import_step_databases(struct boot *b) __attribute__((warn_unused_result));
bool import_step_analyze(struct boot *b) __attribute__((warn_unused_result));

/* Whether the dump of a database of size bytes goes to the run directory
 * (free_run bytes free there), to PGDATA's file system (free_data), or
 * streams. */
enum import_place { IMPORT_IN_RUN_DIR, IMPORT_IN_PGDATA, IMPORT_STREAM };
enum import_place import_place_for(unsigned long long bytes, unsigned long long free_run,
				   unsigned long long free_data);

#endif
