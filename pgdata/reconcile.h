/*
 * reconcile.h — the desired state of pgdata/managed.h carried out on the
 * primary over the status thread's connection: each role, PGO user and
 * Database document compared with the catalogs, and only what differs
 * written (a reconcile that changes nothing writes nothing). Every
 * statement has a deadline; the outcome of each object becomes an item of
 * /pg/status. Never called on a standby.
 */
#ifndef PGPOD_RECONCILE_H
#define PGPOD_RECONCILE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "managed.h"
#include "settings.h"
#include "status.h"

/* A statement waits at most this long (client side and statement_timeout). */
#define RECONCILE_STATEMENT_MS 30000

/* The items of m, all "pending", in reconcile order: managed roles, PGO
 * users, Database documents; at most cap. Returns how many were written. */
size_t reconcile_items(const struct managed_state *m, struct status_managed *items, size_t cap);

/* Make the primary on c hold m: every object, whatever cap is. items (cap)
 * get the outcome of the first cap objects, in the order of reconcile_items; a failure is logged when its text is new
 * against prev (the items of the last run, nprev). Returns the count;
 * *lost: c is unusable now (a statement got no answer), PQfinish it. */
size_t reconcile_run(PGconn *c, const struct settings *set, const struct managed_state *m,
		     const struct status_managed *prev, size_t nprev,
		     struct status_managed *items, size_t cap, bool *lost);

#endif
