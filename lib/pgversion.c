/*
 * pgversion.c — locating the PostgreSQL binaries and their version.
 */
#include "pgversion.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "log.h"
#include "proc.h"

static bool
has_postgres(const char *dir)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/postgres", dir);
	return access(path, X_OK) == 0;
}

bool
pgversion_find_bindir(char *buf, size_t cap)
{
	const char *path = getenv("PATH");
	int best = -1;
	DIR *d;
	struct dirent *de;

	if (path != NULL) {
		char copy[4096];
		char *save = NULL;

		snprintf(copy, sizeof(copy), "%s", path);
		for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
			char link[PATH_MAX + 16];
			char real[PATH_MAX];

			if (!*p || !has_postgres(p))
				continue;
			/* follow symlinks: the other tools live beside the real binary */
			snprintf(link, sizeof(link), "%s/postgres", p);
			if (realpath(link, real) != NULL && strrchr(real, '/') != NULL)
				*strrchr(real, '/') = '\0';
			else
				snprintf(real, sizeof(real), "%s", p);
			snprintf(buf, cap, "%s", real);
			return true;
		}
	}
	/* Debian and Ubuntu keep each major in /usr/lib/postgresql/<N>/bin */
	d = opendir("/usr/lib/postgresql");
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			char dir[PATH_MAX];
			int n = atoi(de->d_name);

			snprintf(dir, sizeof(dir), "/usr/lib/postgresql/%s/bin", de->d_name);
			if (n > best && has_postgres(dir))
				best = n;
		}
		closedir(d);
	}
	if (best > 0) {
		snprintf(buf, cap, "/usr/lib/postgresql/%d/bin", best);
		return true;
	}
	/* Red Hat style */
	for (int n = 30; n >= 10; n--) {
		char dir[64];

		snprintf(dir, sizeof(dir), "/usr/pgsql-%d/bin", n);
		if (has_postgres(dir)) {
			snprintf(buf, cap, "%s", dir);
			return true;
		}
	}
	return false;
}

bool
pgversion_detect(const char *bindir, int *major, char *full, size_t cap)
{
	struct argv args, env;
	char out[512];
	const char *v;
	int code = -1;
	bool ok;

	argv_init(&args);
	argv_init(&env);
	argv_addf(&args, "%s/postgres", bindir);
	argv_add(&args, "-V");
	argv_add(&env, "PATH=/usr/bin:/bin");
	ok = proc_capture(&args, &env, out, sizeof(out), &code);
	argv_free(&args);
	argv_free(&env);
	if (!ok || code != 0) {
		log_error("cannot run %s/postgres -V (exit %d): %s", bindir, code, out);
		return false;
	}
	/* "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" */
	v = strstr(out, ") ");
	v = v ? v + 2 : out;
	*major = atoi(v);
	if (*major < 10) {
		log_error("unsupported PostgreSQL version \"%s\" (10 or newer is needed)", v);
		return false;
	}
	snprintf(full, cap, "%.*s", (int) strcspn(v, " \n"), v);
	return true;
}
