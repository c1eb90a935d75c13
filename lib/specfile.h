/*
 * specfile.h — reading the mounted spec the whole way: parse (YAML or
 * JSON, any dialect), defaults, validation against the installed major,
 * then its Secrets and ConfigMaps. Every finding is logged, with its field
 * path. Used at start (cmd/) and on every reload (the supervisor).
 */
#ifndef PGPOD_SPECFILE_H
#define PGPOD_SPECFILE_H

#include "inputs.h"
#include "settings.h"
#include "spec.h"

/* Read set->spec with the Secrets and ConfigMaps under set's directories.
 * Returns EXIT_OK with *out and *in filled, or EXIT_BAD_USAGE (logged:
 * every error, and that nothing was changed) with *out NULL. */
int specfile_load(const struct settings *set, int pg_major, struct spec **out, struct inputs *in)
	__attribute__((warn_unused_result));

#endif
