/*
 * validate.h — the rules a spec must follow before pgpod writes anything.
 * Each violation is one diag error naming the user's field path.
 */
#ifndef PGPOD_VALIDATE_H
#define PGPOD_VALIDATE_H

#include "diag.h"
#include "spec.h"

/* pg_major: the installed PostgreSQL major (15, 16, ...). */
void validate_spec(const struct spec *s, int pg_major, struct diag *d);

/* Settings pgpod owns; users may not set them in postgresql.parameters. */
bool validate_is_managed_parameter(const char *name);

#endif
