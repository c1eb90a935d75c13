/*
 * cmd_spec.c — `pgpod spec check`: the normalized model as JSON on stdout,
 * or every error (with its field path) and exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exitcodes.h"
#include "log.h"

int
cmd_spec(struct settings *set, int argc, char **argv)
{
	struct spec *s;
	struct inputs in;
	char *json;
	int rc;

	if (argc != 1 || strcmp(argv[0], "check") != 0) {
		fprintf(stderr, "usage: pgpod spec check [--spec FILE] [--secrets-dir DIR] "
			"[--configmaps-dir DIR]\n");
		return EXIT_BAD_USAGE;
	}
	rc = cmd_check_spec(set, &s, &in);
	if (rc != EXIT_OK)
		return rc;
	json = spec_to_json(s);
	printf("%s\n", json);
	free(json);
	inputs_free(&in);
	spec_free(s);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}
