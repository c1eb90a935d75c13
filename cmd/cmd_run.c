/*
 * cmd_run.c — `pgpod run`, the container entrypoint: read the spec and its
 * Secrets, drop root, then hand over to the supervisor (supervisor/).
 */
#include "cmd.h"
#include "exitcodes.h"
#include "log.h"
#include "supervisor/supervisor.h"

int
cmd_run(struct settings *set, int argc, char **argv)
{
	struct spec *spec;
	struct inputs in;
	int rc;

	(void) argv;
	if (argc > 0) {
		log_error("run takes no arguments");
		return EXIT_BAD_USAGE;
	}
	rc = cmd_load_spec(set, &spec, &in);
	if (rc != EXIT_OK)
		return rc;
	rc = cmd_drop_privileges(set);
	if (rc != EXIT_OK) {
		inputs_free(&in);
		spec_free(spec);
		return rc;
	}
	return supervisor_run(set, spec, &in);
}
