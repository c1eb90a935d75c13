/*
 * cmd_version.c — `pgpod version`: pgpod's version, how it was linked, the
 * version of every library in it and the PostgreSQL it would run.
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

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#ifdef PGPOD_STATIC
#define VERSION_LINKING "static"
#else
#define VERSION_LINKING "dynamic"
#endif

/* The C library and how pgpod was linked: `make` against the system's shared
 * libraries, `make static` into one static executable with musl. */
static void
version_print_libc(void)
{
#if defined(__GLIBC__)
	printf("glibc %s (%s)\n", gnu_get_libc_version(), VERSION_LINKING);
#elif defined(PGPOD_LIBC)
	/* musl has no version function nor macro: the build passes it */
	printf("%s (%s)\n", PGPOD_LIBC, VERSION_LINKING);
#else
	printf("libc unknown (%s)\n", VERSION_LINKING);
#endif
}

int
cmd_version(struct settings *set, int argc, char **argv)
{
	int lib = PQlibVersion();
	int major = 0;
	char full[64] = "";

	(void) argc;
	(void) argv;
	printf("pgpod %s\n", PGPOD_VERSION);
	version_print_libc();
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
