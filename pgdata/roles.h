/*
 * roles.h — the roles and database a bootstrapped primary must have, for
 * the methods that start from someone else's data (pg_basebackup, and a
 * replica cluster once promoted): streaming_replica, the superuser's
 * password, and the application database by CloudNativePG's four rules:
 *
 *   1. the database is created if it does not exist;
 *   2. the owner role is created if it does not exist;
 *   3. the database is given to the owner if someone else owns it;
 *   4. the owner's password is set from the Secret when the Secret's
 *      username is the owner.
 *
 * Every step is idempotent: running them twice changes nothing more. A
 * failure is logged where it happens; the functions return false.
 */
#ifndef PGPOD_ROLES_H
#define PGPOD_ROLES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "inputs.h"
#include "settings.h"
#include "spec.h"

#define ROLES_REPLICATION_USER "streaming_replica"

/* streaming_replica with REPLICATION LOGIN (created or altered); its
 * password from the replication Secret when there is one. */
bool roles_streaming_replica(PGconn *c, const char *password)
	__attribute__((warn_unused_result));

/* The four rules above. A role created without a Secret password gets a
 * generated one, saved under <run-dir>/passwords/<role>. */
bool roles_app_database(PGconn *c, const struct settings *set, const struct spec *s,
			const struct inputs *in)
	__attribute__((warn_unused_result));

/* Rules 1 and 3: db exists, owned by owner (created or given to it). */
bool roles_database_owned(PGconn *c, const char *db, const char *owner)
	__attribute__((warn_unused_result));

/* The superuser's password, when a superuser Secret is given (or
 * enableSuperuserAccess asks for a generated one). */
bool roles_superuser(PGconn *c, const struct settings *set, const struct inputs *in)
	__attribute__((warn_unused_result));

/* All of the above, in that order (a clone, a promotion). */
bool roles_apply_all(PGconn *c, const struct settings *set, const struct spec *s,
		     const struct inputs *in)
	__attribute__((warn_unused_result));

/* Save a generated password under <run-dir>/passwords/<role> (0600). */
bool roles_save_generated(const struct settings *set, const char *role, const char *password)
	__attribute__((warn_unused_result));

#endif
