/*
 * cmd_run.c — `pgpod run`, the container entrypoint: read the spec and its
 * Secrets, drop root, then hand over to the supervisor (supervisor/).
 */
#include <openssl/ssl.h>

#include "cmd.h"
#include "exitcodes.h"
#include "log.h"
#include "tls.h"
#include "supervisor/supervisor.h"

/* --tls-cert and --tls-key go together, and the pair must be usable. It is
 * read after root is dropped, as the server and every rotation read it: a
 * key only root can read would pass here and then fail the first time it
 * rotates, so it is refused now (make it readable by --user). */
static int
run_check_tls(const struct settings *set)
{
	SSL_CTX *ctx;
	char err[2600];

	if (!set->tls_cert[0] && !set->tls_key[0])
		return EXIT_OK;
	if (!set->tls_cert[0] || !set->tls_key[0]) {
		log_error("--tls-cert and --tls-key go together: give both for HTTPS, or neither");
		return EXIT_BAD_USAGE;
	}
	if (!tls_server_ctx(set->tls_cert, set->tls_key, &ctx, err, sizeof(err))) {
		if (set->was_root)
			log_error("%s (read as %s, after dropping root)", err, set->os_user);
		else
			log_error("%s", err);
		return EXIT_BAD_USAGE;
	}
	SSL_CTX_free(ctx);
	return EXIT_OK;
}

/* pgpod gives up before the supervisor starts (a spec error, a missing
 * Secret, an unusable --run-dir): the termination log says why, as the
 * supervisor's own giving up does. */
static int
run_refused(const struct settings *set, int rc)
{
	char reason[700];

	snprintf(reason, sizeof(reason), "pgpod run refused to start (exit %d): %s", rc,
		 log_first_error()[0] ? log_first_error() : "see the container's log");
	log_termination(set->termination_log, reason);
	return rc;
}

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
	if ((set->tls_cert[0] != 0) != (set->tls_key[0] != 0))
		return run_refused(set, run_check_tls(set));	/* before anything is read */
	rc = cmd_load_spec(set, &spec, &in);
	if (rc != EXIT_OK)
		return run_refused(set, rc);
	rc = cmd_drop_privileges(set);
	if (rc == EXIT_OK)
		rc = run_check_tls(set);
	if (rc != EXIT_OK) {
		inputs_free(&in);
		spec_free(spec);
		return run_refused(set, rc);
	}
	return supervisor_run(set, spec, &in);
}
