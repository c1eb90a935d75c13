/*
 * cmd_init.c — `pgpod init`: the initdb bootstrap alone.
 */
#include "cmd.h"
#include "exitcodes.h"
#include "log.h"
#include "pgdata/initdb.h"

int
cmd_bootstrap_exit(enum initdb_result r)
{
	switch (r) {
	case INITDB_DONE:
	case INITDB_ALREADY:
		return EXIT_OK;
	case INITDB_REFUSED:
		return EXIT_PGDATA_REFUSED;
	case INITDB_FAILED:
		break;
	}
	return EXIT_RUNTIME;
}

int
cmd_init(struct settings *set, int argc, char **argv)
{
	struct spec *s;
	struct inputs in;
	int rc;

	(void) argv;
	if (argc > 0) {
		log_error("init takes no arguments");
		return EXIT_BAD_USAGE;
	}
	rc = cmd_load_spec(set, &s, &in);
	if (rc != EXIT_OK)
		return rc;
	if (s->bootstrap != SPEC_BOOTSTRAP_INITDB) {
		log_error("%s: the spec asks for the %s bootstrap; `pgpod init` only runs initdb",
			  spec_path(s, "bootstrap.method"), spec_bootstrap_name(s->bootstrap));
		rc = EXIT_BAD_USAGE;
	}
	if (rc == EXIT_OK)
		rc = cmd_drop_privileges(set);
	if (rc == EXIT_OK)
		rc = cmd_bootstrap_exit(initdb_bootstrap(set, s, &in));
	inputs_free(&in);
	spec_free(s);
	return rc;
}
