/*
 * privs.h — started as root, become the postgres user (as gosu does)
 * before PGDATA is created or touched. Directories root had to create for
 * it are handed over first.
 */
#ifndef PGPOD_PRIVS_H
#define PGPOD_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/* When root: create each of dirs (mkdir -p, 0700 for the leaf), chown what
 * was created (and the leaf) to user, then drop to user for good. When not
 * root: create the dirs as ourselves. os_user receives the effective user. */
bool privs_prepare(const char *user, const char *const *dirs, int ndirs, bool *dropped,
		   char *os_user, size_t cap) __attribute__((warn_unused_result));

#endif
