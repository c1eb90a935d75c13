/*
 * initdb.h — the initdb bootstrap: initdb, pgpod's configuration, a
 * temporary postgres (Unix socket only), the application role and
 * database, the postInit SQL in CloudNativePG's order, then a clean stop.
 * A failure moves the attempt aside as PGDATA.failed-<timestamp>.
 */
#ifndef PGPOD_INITDB_H
#define PGPOD_INITDB_H

#include "argv.h"
#include "inputs.h"
#include "settings.h"
#include "spec.h"

enum initdb_result {
	INITDB_DONE,		/* bootstrapped now */
	INITDB_ALREADY,		/* PGDATA was bootstrapped before: nothing done */
	INITDB_REFUSED,		/* PGDATA holds something pgpod did not finish */
	INITDB_FAILED,		/* a step failed; the attempt was moved aside */
};

enum initdb_result initdb_bootstrap(const struct settings *set, const struct spec *s,
				    const struct inputs *in);

/* Ask a running bootstrap (another thread) to stop before its next step;
 * the supervisor also stops the step's child processes. */
void initdb_request_stop(void);

/* The initdb command line for a spec (exposed for unit tests). */
void initdb_build_args(const struct settings *set, const struct spec *s, const char *pwfile,
		       struct argv *args);

#endif
