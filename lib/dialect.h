/*
 * dialect.h — read a spec document in any of the four dialects into the
 * model: CloudNativePG Cluster, cnpg-database chart values, Crunchy PGO
 * PostgresCluster, Percona PerconaPGCluster.
 */
#ifndef PGPOD_DIALECT_H
#define PGPOD_DIALECT_H

#include <json-c/json.h>
#include <stdbool.h>

#include "diag.h"
#include "spec.h"

/* Parse the file (YAML or JSON), pick the cluster document, read it.
 * Returns false (with errors in d) when no model could be built; a model
 * with errors in d is still returned for reporting. */
bool dialect_load(const char *path, struct spec **out, struct diag *d)
	__attribute__((warn_unused_result));

/* Read one parsed document; source names it in the dump. */
bool dialect_read(struct json_object *doc, const char *source,
		  struct spec **out, struct diag *d)
	__attribute__((warn_unused_result));

/* Every ignored path of the dialect tables (and of the item tables) that
 * is, or is an ancestor of, a path pgpod reads: each one a line appended
 * to problems. None should be: a typo beside a read field must be warned. */
void dialect_check_tables(struct strlist *problems);

#endif
