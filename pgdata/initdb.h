/*
 * initdb.h — the initdb bootstrap: initdb, pgpod's configuration, a
 * temporary postgres (Unix socket only), the application role and
 * database, the postInit SQL in CloudNativePG's order, then a clean stop.
 */
#ifndef PGPOD_INITDB_H
#define PGPOD_INITDB_H

#include "argv.h"
#include "boot.h"

extern const struct boot_steps initdb_plan;
/* initdb with bootstrap.initdb.import (import.h). */
extern const struct boot_steps import_plan;

/* Run a postInit*SQL stage: the list, then its refs (secrets, then
 * configmaps), in database db; logged. */
bool initdb_run_stage(struct boot *b, const char *db, const char *name,
		      const struct strlist *list, const struct sqlfiles *files)
	__attribute__((warn_unused_result));

/* A primary's configuration; says what is about to happen. */
bool initdb_prepare(struct boot *b) __attribute__((warn_unused_result));
bool initdb_prepare_import(struct boot *b) __attribute__((warn_unused_result));

/* The initdb command line for a spec (exposed for unit tests). */
void initdb_build_args(const struct settings *set, const struct spec *s, const char *pwfile,
		       struct argv *args);

#endif
