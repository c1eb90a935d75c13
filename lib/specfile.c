/*
 * specfile.c — reading, defaulting and validating the spec (see
 * specfile.h).
 */
#include "specfile.h"

#include <string.h>

#include "dialect.h"
#include "exitcodes.h"
#include "log.h"
#include "validate.h"

int
specfile_load(const struct settings *set, int pg_major, struct spec **out, struct inputs *in)
{
	struct diag d = { 0 };
	struct spec *s = NULL;
	int rc = EXIT_OK;

	memset(in, 0, sizeof(*in));
	*out = NULL;
	if (!dialect_load(set->spec, &s, &d)) {
		diag_log(&d);
		diag_free(&d);
		spec_free(s);
		return EXIT_BAD_USAGE;
	}
	spec_apply_defaults(s);
	validate_spec(s, pg_major, &d);
	if (!inputs_load(s, set->secrets_dir, set->configmaps_dir, in, &d) || d.errors.n > 0)
		rc = EXIT_BAD_USAGE;
	diag_log(&d);
	if (rc != EXIT_OK) {
		log_error("the spec %s is invalid (%zu error%s); nothing was changed", set->spec,
			  d.errors.n, d.errors.n == 1 ? "" : "s");
		inputs_free(in);
		spec_free(s);
		s = NULL;
	}
	diag_free(&d);
	*out = s;
	return rc;
}
