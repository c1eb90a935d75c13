/*
 * validate_import.c — bootstrap.initdb.import (CloudNativePG's logical
 * import): each field where it is read, then the rules between them.
 */
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "spec.h"
#include "validate.h"

#define P(key) spec_path(s, key)

void
validate_import_type(const struct spec_check_ctx *c, const void *m, const char *path,
		     struct diag *d)
{
	const char *v = *(char *const *) m;

	(void) c;
	if (v != NULL && strcmp(v, "microservice") != 0 && strcmp(v, "monolith") != 0)
		diag_error(d, path, "\"%s\" is not an import type: microservice or monolith", v);
}

/* Database and role names: what PostgreSQL takes as an identifier (at most
 * 63 bytes, no control character), or "*" alone. */
void
validate_import_names(const struct spec_check_ctx *c, const void *m, const char *path,
		      struct diag *d)
{
	const struct strlist *l = m;

	(void) c;
	for (size_t i = 0; i < l->n; i++) {
		const char *v = l->items[i];
		size_t n = strlen(v);
		bool control = false;

		for (const char *p = v; *p; p++)
			control |= (unsigned char) *p < 0x20 || *p == 0x7f;
		if (strcmp(v, "*") == 0 && l->n > 1)
			diag_error(d, path, "\"*\" stands for all and must be the only element");
		else if (n == 0 || n > 63 || control)
			diag_error(d, path, "\"%s\" is not a name PostgreSQL takes (1 to 63 bytes, no "
				   "control characters)", v);
	}
}

/* The options pgpod gives itself, by tool: an extra option may not
 * replace them (where the dump goes, what it connects to, the sections). */
static const char *const dump_owned[] = {
	"file", "format", "dbname", "host", "port", "username", "password", "no-password",
	"section", "schema-only", "data-only", "verbose", NULL,
};
static const char *const restore_owned[] = {
	"file", "format", "dbname", "host", "port", "username", "password", "no-password",
	"section", "schema-only", "data-only", "create", "clean", "role", "no-owner",
	"no-privileges", "no-acl", "list", "use-list", "verbose", NULL,
};

/* Each extra option: a long option (validate_long_option), not one of
 * owned. */
static void
check_options(const struct strlist *l, const char *const *owned, const char *tool,
	      const char *path, struct diag *d)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *v = l->items[i];
		size_t name = strcspn(v, "=");

		if (validate_long_option(v) != LONGOPT_OK) {
			diag_error(d, path, "\"%s\" is not a long option of %s (\"--name\" or "
				   "\"--name=value\", one word)", v, tool);
			continue;
		}
		for (size_t k = 0; owned[k] != NULL; k++)
			if (name - 2 == strlen(owned[k]) && strncmp(v + 2, owned[k], name - 2) == 0)
				diag_error(d, path, "\"%s\": pgpod sets --%s of %s itself", v,
					   owned[k], tool);
	}
}

void
validate_dump_options(const struct spec_check_ctx *c, const void *m, const char *path,
		      struct diag *d)
{
	(void) c;
	check_options(m, dump_owned, "pg_dump", path, d);
}

void
validate_restore_options(const struct spec_check_ctx *c, const void *m, const char *path,
			 struct diag *d)
{
	(void) c;
	check_options(m, restore_owned, "pg_restore", path, d);
}

/* The rules between the fields, as CloudNativePG has them. */
void
validate_import_rules(const struct spec *s, struct diag *d)
{
	const struct spec_import *im = &s->import;
	const struct spec_external *e;
	bool micro;

	if (im->type == NULL)
		return;
	micro = strcmp(im->type, "microservice") == 0;
	if (s->bootstrap != SPEC_BOOTSTRAP_INITDB)
		diag_error(d, P("bootstrap.initdb.import.type"), "an import is part of the initdb "
			   "bootstrap only");
	if (im->source == NULL)
		diag_error(d, P("bootstrap.initdb.import.type"), "needs source.externalCluster");
	else if ((e = spec_external_find(s, im->source)) == NULL)
		diag_error(d, P("bootstrap.initdb.import.source"), "\"%s\" is not defined in "
			   "externalClusters", im->source);
	else if (e->conn.n == 0)
		diag_error(d, P("bootstrap.initdb.import.source"), "external cluster \"%s\" has no "
			   "connectionParameters, which pg_dump needs", im->source);
	if (micro && (im->databases.n != 1 || strcmp(im->databases.items[0], "*") == 0))
		diag_error(d, P("bootstrap.initdb.import.databases"), "a microservice import takes "
			   "exactly one database (into the application database)");
	if (!micro && im->databases.n == 0)
		diag_error(d, P("bootstrap.initdb.import.databases"), "a monolith import takes at "
			   "least one database (or \"*\")");
	if (micro && im->roles.n > 0)
		diag_error(d, P("bootstrap.initdb.import.roles"), "roles are imported by a monolith "
			   "import only");
	if (!micro && im->post_import_sql.n > 0)
		diag_error(d, P("bootstrap.initdb.import.postImportApplicationSQL"), "runs after a "
			   "microservice import only (CloudNativePG does not support it for monolith)");
}
