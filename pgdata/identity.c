/*
 * identity.c — the instance's place in its cluster (see identity.h).
 */
#include "identity.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long
identity_pod_instance(const struct settings *set, const char *pod)
{
	const char *dash = strrchr(pod, '-');
	char *end;
	long n;

	if (dash == NULL || !isdigit((unsigned char) dash[1]))
		return 0;
	n = strtol(dash + 1, &end, 10);
	if (*end != '\0' || n < set->ordinal_base)
		return 0;
	return n - set->ordinal_base + 1;
}

bool
identity_is_replica(const struct settings *set)
{
	if (strcmp(set->instance_role, "auto") != 0)
		return strcmp(set->instance_role, "replica") == 0;
	return identity_pod_instance(set, set->pod_name) > 1;
}

void
identity_slot_name(const char *pod, char *buf, size_t cap)
{
	size_t n = (size_t) snprintf(buf, cap, "pgpod_");

	for (const char *p = pod; *p && n + 1 < cap && n < 63; p++)
		buf[n++] = isalnum((unsigned char) *p) ? (char) tolower((unsigned char) *p) : '_';
	buf[n] = '\0';
}

bool
identity_pod_prefix(const struct settings *set, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (identity_pod_instance(set, set->pod_name) < 1)
		return false;
	snprintf(buf, cap, "%.*s", (int) (strrchr(set->pod_name, '-') - set->pod_name),
		 set->pod_name);
	return true;
}
