/*
 * identity.h — who this instance is within its cluster: its instance
 * number from the pod name's trailing ordinal (--ordinal-base), whether it
 * is the first instance (it bootstraps by the spec's method and is the
 * primary) or a replica (it joins the primary), and the name of its
 * physical replication slot on the primary. Pure functions of the
 * settings; every other module may use them.
 */
#ifndef PGPOD_IDENTITY_H
#define PGPOD_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

/* The instance number of a pod name from its trailing "-<ordinal>" and
 * --ordinal-base (instance 1 is the first ordinal); 0 when it has none. */
long identity_pod_instance(const struct settings *set, const char *pod);

/* Whether this instance is a replica of its cluster's primary (not
 * instance 1); the pod name's ordinal decides unless --instance-role. */
bool identity_is_replica(const struct settings *set);

/* The physical slot name of a pod: pgpod_<pod name>, lower case, other
 * characters as '_' (at most 63 bytes). */
void identity_slot_name(const char *pod, char *buf, size_t cap);

/* This pod's name without its "-<ordinal>" into buf; false (and buf "")
 * when the name carries no ordinal. */
bool identity_pod_prefix(const struct settings *set, char *buf, size_t cap);

#endif
