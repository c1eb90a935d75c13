/*
 * promote.h — promoting the local standby (the first instance of a
 * replica cluster): pg_promote(wait => true), then what a standby could
 * not do: streaming_replica, the superuser's password and the application
 * database rules (roles.h), and the managed configuration of a primary.
 */
#ifndef PGPOD_PROMOTE_H
#define PGPOD_PROMOTE_H

#include <stdbool.h>

#include "inputs.h"
#include "settings.h"
#include "spec.h"

/* Promote the instance running on set's socket; true once it is a
 * primary with the rules applied (also when it was one already). */
bool promote_instance(const struct settings *set, const struct spec *s, const struct inputs *in)
	__attribute__((warn_unused_result));

#endif
