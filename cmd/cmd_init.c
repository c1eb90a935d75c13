/*
 * cmd_init.c — the bootstrap-only commands: `pgpod init` (initdb),
 * `pgpod clone` (pg_basebackup), `pgpod join` (a streaming replica), and
 * `pgpod promote`.
 */
#include <string.h>

#include "cmd.h"
#include "exitcodes.h"
#include "log.h"
#include "pgdata/boot.h"
#include "pgdata/promote.h"

int
cmd_bootstrap_exit(enum boot_result r)
{
	switch (r) {
	case BOOT_DONE:
	case BOOT_ALREADY:
		return EXIT_OK;
	case BOOT_REFUSED:
		return EXIT_PGDATA_REFUSED;
	case BOOT_FAILED:
		break;
	}
	return EXIT_RUNTIME;
}

/* Load the spec, check that it fits the command, bootstrap by method. */
static int
bootstrap_only(struct settings *set, int argc, const char *cmd, enum boot_method method)
{
	struct spec *s;
	struct inputs in;
	int rc;

	if (argc > 0) {
		log_error("%s takes no arguments", cmd);
		return EXIT_BAD_USAGE;
	}
	rc = cmd_load_spec(set, &s, &in);
	if (rc != EXIT_OK)
		return rc;
	if (method == BOOT_METHOD_INITDB && s->bootstrap != SPEC_BOOTSTRAP_INITDB) {
		log_error("%s: the spec asks for the %s bootstrap; `pgpod init` only runs initdb",
			  spec_path(s, "bootstrap.method"), spec_bootstrap_name(s->bootstrap));
		rc = EXIT_BAD_USAGE;
	} else if (method == BOOT_METHOD_CLONE && s->standby_enabled == 1) {
		method = BOOT_METHOD_REPLICA_CLUSTER;
	} else if (method == BOOT_METHOD_CLONE && s->bootstrap != SPEC_BOOTSTRAP_PG_BASEBACKUP) {
		log_error("%s: the spec asks for the %s bootstrap; `pgpod clone` needs "
			  "bootstrap.pg_basebackup (with a source in externalClusters)",
			  spec_path(s, "bootstrap.method"), spec_bootstrap_name(s->bootstrap));
		rc = EXIT_BAD_USAGE;
	}
	if (rc == EXIT_OK)
		rc = cmd_drop_privileges(set);
	if (rc == EXIT_OK)
		rc = cmd_bootstrap_exit(boot_bootstrap(set, s, &in, method));
	inputs_free(&in);
	spec_free(s);
	return rc;
}

int
cmd_init(struct settings *set, int argc, char **argv)
{
	(void) argv;
	return bootstrap_only(set, argc, "init", BOOT_METHOD_INITDB);
}

int
cmd_clone(struct settings *set, int argc, char **argv)
{
	(void) argv;
	return bootstrap_only(set, argc, "clone", BOOT_METHOD_CLONE);
}

int
cmd_join(struct settings *set, int argc, char **argv)
{
	(void) argv;
	return bootstrap_only(set, argc, "join", BOOT_METHOD_JOIN);
}

int
cmd_promote(struct settings *set, int argc, char **argv)
{
	struct spec *s;
	struct inputs in;
	int rc;

	(void) argv;
	if (argc > 0) {
		log_error("promote takes no arguments");
		return EXIT_BAD_USAGE;
	}
	rc = cmd_load_spec(set, &s, &in);
	if (rc != EXIT_OK)
		return rc;
	rc = cmd_drop_privileges(set);
	if (rc == EXIT_OK && !promote_instance(set, s, &in))
		rc = EXIT_RUNTIME;
	inputs_free(&in);
	spec_free(s);
	return rc;
}
