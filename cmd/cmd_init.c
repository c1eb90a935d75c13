/*
 * cmd_init.c — the bootstrap-only commands: `pgpod init` (initdb),
 * `pgpod clone` (pg_basebackup), `pgpod join` (a streaming replica), and
 * `pgpod promote`.
 */
#include <string.h>

#include "cmd.h"
#include "exitcodes.h"
#include "log.h"
#include "pgdata/method.h"
#include "pgdata/promote.h"

/* Load the spec, ask the method table what the command runs, run it. */
static int
bootstrap_only(struct settings *set, int argc, const char *cmd)
{
	const struct method *m;
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
	m = method_for_command(cmd, s);
	if (m == NULL)
		rc = EXIT_BAD_USAGE;
	if (rc == EXIT_OK)
		rc = cmd_drop_privileges(set);
	if (rc == EXIT_OK && m != method_check_existing(set, s, &in, m)) {
		log_error("`pgpod %s` makes no new primary beside an existing cluster; nothing was "
			  "written: run `pgpod join` (or `pgpod run`, which joins it)", cmd);
		rc = EXIT_RUNTIME;
	}
	if (rc == EXIT_OK)
		rc = boot_exit_code(method_bootstrap(set, s, &in, m));
	inputs_free(&in);
	spec_free(s);
	return rc;
}

int
cmd_init(struct settings *set, int argc, char **argv)
{
	(void) argv;
	return bootstrap_only(set, argc, "init");
}

int
cmd_clone(struct settings *set, int argc, char **argv)
{
	(void) argv;
	return bootstrap_only(set, argc, "clone");
}

int
cmd_restore(struct settings *set, int argc, char **argv)
{
	(void) argv;
	return bootstrap_only(set, argc, "restore");
}

int
cmd_join(struct settings *set, int argc, char **argv)
{
	(void) argv;
	return bootstrap_only(set, argc, "join");
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
