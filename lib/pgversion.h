/*
 * pgversion.h — which PostgreSQL is installed: find the binaries and read
 * the major version from `postgres -V`.
 */
#ifndef PGPOD_PGVERSION_H
#define PGPOD_PGVERSION_H

#include <stdbool.h>
#include <stddef.h>

/* The directory holding postgres: PATH first, then `pg_config --bindir`
 * locations, then the newest /usr/lib/postgresql/<N>/bin. */
bool pgversion_find_bindir(char *buf, size_t cap) __attribute__((warn_unused_result));

/* Major (15, 16, ...) and the full version text of <bindir>/postgres. */
bool pgversion_detect(const char *bindir, int *major, char *full, size_t cap)
	__attribute__((warn_unused_result));

#endif
