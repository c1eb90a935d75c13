/*
 * managed.h — what the running primary is made to hold beyond the bootstrap:
 * CloudNativePG's spec.managed.roles and Database documents, and every PGO /
 * Percona user with its databases. The desired state is an immutable copy
 * built from the spec and its Secrets (managed_build), handed to the status
 * thread, which compares it with the catalogs and carries out only the
 * differences (pgdata/reconcile.c). The statements are rendered here by
 * pure functions from a "want" and a "have", every identifier and literal
 * quoted by the caller's quoting functions (libpq's, in production).
 */
#ifndef PGPOD_MANAGED_H
#define PGPOD_MANAGED_H

#include <stdbool.h>
#include <stddef.h>

#include "inputs.h"
#include "roleopts.h"
#include "spec.h"

/* The desired state; every string owned. */
struct managed_state {
	struct spec_managed_role *roles;	/* spec.managed.roles */
	char         **passwords;		/* per role: its Secret's password, or NULL */
	size_t         n_roles;
	struct spec_role *users;		/* PGO spec.users */
	size_t         n_users;
	struct spec_database *dbs;		/* Database documents */
	size_t         n_dbs;
};

/* The desired state of a spec; NULL when it manages nothing. */
struct managed_state *managed_build(const struct spec *s, const struct inputs *in);
void managed_free(struct managed_state *m);

/* What a role's password is made. */
enum managed_pw {
	MANAGED_PW_LEAVE,	/* not touched (no passwordSecret) */
	MANAGED_PW_NULL,	/* disablePassword: PASSWORD NULL */
	MANAGED_PW_SET,		/* from a Secret: a cleartext password or a verifier */
	MANAGED_PW_GENERATE,	/* PGO: generated when the role is created, else left */
};

/* One role as it should be, from a managed role or a PGO user. */
struct managed_want {
	const char    *name;
	const char    *origin;		/* the spec path, for messages */
	bool           absent;
	struct roleopts opts;		/* attributes; -1: left as they are */
	bool           login_at_create;	/* a new role logs in unless opts say NOLOGIN
					 * (PGO's CREATE USER) */
	bool           until_infinity;	/* no validUntil: an expiring role stops expiring */
	bool           set_comment;
	const char    *comment;		/* NULL: none */
	bool           set_members;	/* inRoles is the whole list of memberships */
	const struct strlist *in_roles;
	enum managed_pw pw;
	const char    *password;	/* MANAGED_PW_SET */
	bool           pw_ascii;	/* MANAGED_PW_GENERATE: ASCII, else AlphaNumeric */
	const struct strlist *databases; /* PGO: created if missing, ALL PRIVILEGES granted */
};

/* The want of managed role i, or of PGO user u (false: its options do
 * not read, which validation has refused already). Free with
 * managed_want_free. */
void managed_want_role(const struct managed_state *m, size_t i, struct managed_want *w);
bool managed_want_user(const struct spec_role *u, struct managed_want *w);
void managed_want_free(struct managed_want *w);

/* A role as the catalog has it. */
struct managed_have {
	bool           exists;
	int            attr[ROLEOPT_NATTR];
	int            connlimit;
	bool           until_ok;	/* rolvaliduntil is as wanted (decided in SQL) */
	char          *comment;		/* NULL: none */
	struct strlist in_roles;	/* the roles it is a member of */
	char          *verifier;	/* rolpassword; NULL: none */
};
void managed_have_free(struct managed_have *h);

/* Quoting: each returns a new string (free()), NULL out of memory. */
struct managed_quote {
	char *(*ident)(void *ctx, const char *s);
	char *(*literal)(void *ctx, const char *s);
	void  *ctx;
};

/* The statements that make the role h as w says, appended to out in
 * order: CREATE or ALTER ROLE (only what differs), COMMENT. Passwords,
 * memberships and drops are not among them. False when quoting failed. */
bool managed_role_sql(const struct managed_want *w, const struct managed_have *h,
		      const struct managed_quote *q, struct strlist *out)
	__attribute__((warn_unused_result));

/* GRANT the roles of inRoles the role is not a member of, REVOKE those it
 * is a member of and inRoles leaves out (after every role exists). */
bool managed_members_sql(const struct managed_want *w, const struct managed_have *h,
			 const struct managed_quote *q, struct strlist *out)
	__attribute__((warn_unused_result));

/* A database as the catalog has it. */
struct managed_db_have {
	bool  exists;
	char *owner;
	bool  is_template;
	bool  allow_connections;
	int   connlimit;
	char *tablespace;
};
void managed_db_have_free(struct managed_db_have *h);

/* CREATE DATABASE with every option, or the ALTER DATABASEs of what
 * differs (owner, allowConnections, isTemplate, connectionLimit,
 * tablespace), or DROP DATABASE for ensure: absent. */
bool managed_database_sql(const struct spec_database *want, const struct managed_db_have *h,
			  const struct managed_quote *q, struct strlist *out)
	__attribute__((warn_unused_result));

/* An extension or a schema as the database has it. */
struct managed_obj_have {
	bool  exists;
	char *version;		/* extensions */
	char *schema;		/* extensions */
	char *owner;		/* schemas */
};
void managed_obj_have_free(struct managed_obj_have *h);

bool managed_extension_sql(const struct spec_db_extension *e, const struct managed_obj_have *h,
			   const struct managed_quote *q, struct strlist *out)
	__attribute__((warn_unused_result));
bool managed_schema_sql(const struct spec_db_schema *sc, const struct managed_obj_have *h,
			const struct managed_quote *q, struct strlist *out)
	__attribute__((warn_unused_result));

/* A PGO user's database: created when missing (owned by the superuser, as
 * PGO does), ALL PRIVILEGES granted to the user unless it has them all. */
bool managed_user_db_sql(const char *user, const char *db, bool exists, bool granted,
			 const struct managed_quote *q, struct strlist *out)
	__attribute__((warn_unused_result));

#endif
