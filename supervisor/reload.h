/*
 * reload.h — what a reload changes, worked out from the last good spec
 * and Secrets and the new ones: which roles get a new password (the
 * application owner, postgres, streaming_replica), whether the first
 * instance of a replica cluster is to be promoted (spec.replica switched
 * off), and which changed fields only matter at bootstrap (not applied to
 * an existing PGDATA). Pure; the supervisor carries the plan out.
 */
#ifndef PGPOD_RELOAD_H
#define PGPOD_RELOAD_H

#include <stdbool.h>

#include "inputs.h"
#include "spec.h"

#define RELOAD_MAX_PASSWORDS 3

struct reload_plan {
	struct {
		const char *role;
		const char *password;	/* points into the new inputs */
	} passwords[RELOAD_MAX_PASSWORDS];
	size_t         npasswords;
	bool           promote;
	struct strlist unapplied;	/* user paths of changed bootstrap-only fields */
};

/* designated_standby: this instance is the standby a replica cluster
 * promotes (not a joined replica). Free the plan with reload_plan_free. */
void reload_plan(const struct spec *old, const struct inputs *oin, const struct spec *nw,
		 const struct inputs *nin, bool designated_standby, struct reload_plan *p);

void reload_plan_free(struct reload_plan *p);

#endif
