/*
 * roleopts.h — SQL role options, as PGO's spec.users[].options writes them
 * ("CREATEDB NOLOGIN CONNECTION LIMIT 5 VALID UNTIL '2030-01-01'"), read
 * into values against a fixed list and rendered again by pgpod: the text
 * itself never reaches SQL. The attribute table is shared with
 * CloudNativePG's managed roles (pgdata/managed.c).
 */
#ifndef PGPOD_ROLEOPTS_H
#define PGPOD_ROLEOPTS_H

#include <stdbool.h>
#include <stddef.h>

/* The role attributes, in the order pgpod renders them. */
enum roleopt_attr {
	ROLEOPT_SUPERUSER,
	ROLEOPT_CREATEDB,
	ROLEOPT_CREATEROLE,
	ROLEOPT_INHERIT,
	ROLEOPT_LOGIN,
	ROLEOPT_REPLICATION,
	ROLEOPT_BYPASSRLS,
	ROLEOPT_NATTR
};

/* Each attribute's keyword (NO<keyword> turns it off) and its pg_authid column. */
struct roleopt_desc {
	const char *keyword;
	const char *column;
};
extern const struct roleopt_desc roleopt_attrs[ROLEOPT_NATTR];

/* Options as said: attr -1 when not said. */
struct roleopts {
	int   attr[ROLEOPT_NATTR];
	bool  has_connlimit;
	int   connlimit;		/* -1: no limit */
	char *valid_until;		/* NULL: not said */
};

void roleopts_init(struct roleopts *o);
void roleopts_free(struct roleopts *o);

/* Read text (keywords in any case, blanks between them). False with a
 * reason in err (what was not understood) when it is not a list of the
 * options above; PASSWORD is refused (pgpod sets passwords). */
bool roleopts_parse(const char *text, struct roleopts *o, char *err, size_t cap)
	__attribute__((warn_unused_result));

#endif
