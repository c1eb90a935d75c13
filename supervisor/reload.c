/*
 * reload.c — what a reload changes (see reload.h).
 */
#include "reload.h"

#include <string.h>

#include "pgdata/roles.h"

static bool
password_changed(const char *old, const char *now)
{
	return now != NULL && (old == NULL || strcmp(old, now) != 0);
}

static void
plan_password(struct reload_plan *p, const char *role, const char *old, const char *now)
{
	if (!password_changed(old, now) || p->npasswords == RELOAD_MAX_PASSWORDS)
		return;
	p->passwords[p->npasswords].role = role;
	p->passwords[p->npasswords].password = now;
	p->npasswords++;
}

void
reload_plan(const struct spec *old, const struct inputs *oin, const struct spec *nw,
	    const struct inputs *nin, bool designated_standby, struct reload_plan *p)
{
	memset(p, 0, sizeof(*p));
	if (nw->app_secret != NULL && nw->app_owner != NULL)
		plan_password(p, nw->app_owner, oin->app_password, nin->app_password);
	if (nw->superuser_secret != NULL && nw->enable_superuser_access != 0)
		plan_password(p, "postgres", oin->su_password, nin->su_password);
	/* the primary takes a rotated replication Secret; replicas read it
	 * from their rewritten pgpass at their next connection */
	plan_password(p, ROLES_REPLICATION_USER, oin->replication_password,
		      nin->replication_password);
	p->promote = designated_standby && old->standby_enabled == 1 && nw->standby_enabled != 1;
	spec_changed_immutable(old, nw, &p->unapplied);
}

void
reload_plan_free(struct reload_plan *p)
{
	strlist_free(&p->unapplied);
}
