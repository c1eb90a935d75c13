/*
 * cmd_version.c — `pgpod version`: pgpod's version and its libraries.
 */
#include <json-c/json.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <yaml.h>

#include "cmd.h"
#include "exitcodes.h"
#include "pgversion.h"

int
cmd_version(struct settings *set, int argc, char **argv)
{
	int lib = PQlibVersion();
	int major = 0;
	char full[64] = "";

	(void) argc;
	(void) argv;
	printf("pgpod %s\n", PGPOD_VERSION);
	printf("libpq %d.%d\n", lib / 10000, lib % 10000);
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("json-c %s\n", json_c_version());
	printf("libyaml %s\n", yaml_get_version_string());
	printf("libmicrohttpd %s\n", MHD_get_version());
	if ((set->pg_bin[0] || pgversion_find_bindir(set->pg_bin, sizeof(set->pg_bin)))
	    && pgversion_detect(set->pg_bin, &major, full, sizeof(full)))
		printf("postgres %s (%s)\n", full, set->pg_bin);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}
