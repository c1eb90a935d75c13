/*
 * validate_managed.c — the checks of what pgpod reconciles on a running
 * primary: CloudNativePG's spec.managed.roles and Database documents, and
 * PGO's spec.users (see validate.h). Names are identifiers of at most 63
 * bytes without control characters; texts have no control characters;
 * the roles pgpod makes itself cannot be taken over or dropped.
 */
#include "validate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "roleopts.h"

#define MANAGED_TEXT_MAX 1024

static bool
has_control(const char *v, bool lines_ok)
{
	for (const unsigned char *p = (const unsigned char *) v; *p; p++)
		if ((*p < 0x20 && !(lines_ok && (*p == '\n' || *p == '\t'))) || *p == 0x7f)
			return true;
	return false;
}

/* A name PostgreSQL takes as an identifier (quoted by pgpod). */
static void
check_sql_name(struct diag *d, const char *path, const char *name)
{
	if (name == NULL)
		return;
	if (*name == '\0' || strlen(name) > 63)
		diag_error(d, path, "must be 1 to 63 bytes long, got \"%s\"", name);
	else if (has_control(name, false))
		diag_error(d, path, "must not contain control characters");
}

void
validate_sql_name(const struct spec_check_ctx *c, const void *m, const char *path,
		  struct diag *d)
{
	(void) c;
	check_sql_name(d, path, *(char *const *) m);
}

void
validate_sql_text(const struct spec_check_ctx *c, const void *m, const char *path,
		  struct diag *d)
{
	const char *v = *(char *const *) m;

	(void) c;
	if (v != NULL && (strlen(v) > MANAGED_TEXT_MAX || has_control(v, false)))
		diag_error(d, path, "must be one line of at most %d bytes without control characters",
			   MANAGED_TEXT_MAX);
}

void
validate_comment(const struct spec_check_ctx *c, const void *m, const char *path, struct diag *d)
{
	const char *v = *(char *const *) m;

	(void) c;
	if (v != NULL && (strlen(v) > MANAGED_TEXT_MAX || has_control(v, true)))
		diag_error(d, path, "must be at most %d bytes without control characters (line "
			   "breaks and tabs allowed)", MANAGED_TEXT_MAX);
}

void
validate_managed_role_name(const struct spec_check_ctx *c, const void *m, const char *path,
			   struct diag *d)
{
	const char *name = *(char *const *) m;

	(void) c;
	validate_check_name(d, path, "role", name);
	if (name != NULL && strncmp(name, "pg_", 3) == 0)
		diag_error(d, path, "role names starting with \"pg_\" are reserved by PostgreSQL, "
			   "got \"%s\"", name);
}

/* The string member m, when given, is a or b. */
static void
check_either(const void *m, const char *a, const char *b, const char *path, struct diag *d)
{
	const char *v = *(char *const *) m;

	if (v != NULL && strcmp(v, a) != 0 && strcmp(v, b) != 0)
		diag_error(d, path, "must be %s or %s, got \"%s\"", a, b, v);
}

void
validate_ensure(const struct spec_check_ctx *c, const void *m, const char *path, struct diag *d)
{
	(void) c;
	check_either(m, "present", "absent", path, d);
}

void
validate_reclaim_policy(const struct spec_check_ctx *c, const void *m, const char *path,
			struct diag *d)
{
	(void) c;
	check_either(m, "retain", "delete", path, d);
}

/* text matches pat, where 'd' is a digit and other characters stand for
 * themselves; *rest: what follows. */
static bool
match_digits(const char *text, const char *pat, const char **rest)
{
	for (; *pat; pat++, text++)
		if (*pat == 'd' ? !isdigit((unsigned char) *text) : *text != *pat)
			return false;
	*rest = text;
	return true;
}

/* A Kubernetes timestamp (RFC 3339: 2053-04-12T15:04:05Z, with an optional
 * fraction and a Z or +hh:mm offset), or infinity. */
void
validate_valid_until(const struct spec_check_ctx *c, const void *m, const char *path,
		     struct diag *d)
{
	const char *v = *(char *const *) m, *r;

	(void) c;
	if (v == NULL || strcmp(v, "infinity") == 0)
		return;
	if (match_digits(v, "dddd-dd-ddTdd:dd:dd", &r)) {
		if (*r == '.')
			for (r++; isdigit((unsigned char) *r); r++)
				;
		if (strcmp(r, "Z") == 0 || ((*r == '+' || *r == '-') && match_digits(r + 1, "dd:dd", &r)
					   && *r == '\0'))
			return;
	}
	diag_error(d, path, "must be a timestamp such as 2053-04-12T15:04:05Z, got \"%s\"", v);
}

/* Each name of the list m, at <path>[i], by the check of one name. */
static void
each_name(const struct spec_check_ctx *c, const void *m, const char *path, struct diag *d,
	  spec_check_fn check)
{
	const struct strlist *l = m;

	for (size_t i = 0; i < l->n; i++) {
		char p[512];

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		check(c, &l->items[i], p, d);
	}
}

void
validate_role_list(const struct spec_check_ctx *c, const void *m, const char *path,
		   struct diag *d)
{
	each_name(c, m, path, d, validate_sql_name);
}

void
validate_pgo_databases(const struct spec_check_ctx *c, const void *m, const char *path,
		       struct diag *d)
{
	each_name(c, m, path, d, validate_database);
}

void
validate_role_options(const struct spec_check_ctx *c, const void *m, const char *path,
		      struct diag *d)
{
	const char *v = *(char *const *) m;
	struct roleopts o;
	char err[256];

	(void) c;
	if (v == NULL)
		return;
	if (!roleopts_parse(v, &o, err, sizeof(err)))
		diag_error(d, path, "%s", err);
	roleopts_free(&o);
}

void
validate_password_type(const struct spec_check_ctx *c, const void *m, const char *path,
		       struct diag *d)
{
	(void) c;
	check_either(m, "ASCII", "AlphaNumeric", path, d);
}

void
validate_managed_database(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d)
{
	const char *name = *(char *const *) m;

	(void) c;
	validate_check_name(d, path, "database", name);
	if (name != NULL && (strcmp(name, "postgres") == 0 || strcmp(name, "template0") == 0
			     || strcmp(name, "template1") == 0))
		diag_error(d, path, "the name %s is reserved", name);
}

/* ---- rules over several fields ---- */

static bool
is_absent(const char *ensure)
{
	return ensure != NULL && strcmp(ensure, "absent") == 0;
}

/* Item i of list l (items) has a name no earlier item has; what: "role". */
static void
check_once(const struct spec_list *l, const void *items, size_t i, const char *what,
	   struct diag *d)
{
	const struct spec_field *f = &l->fields[0];	/* every such list starts with its name */
	const char *item = (const char *) items + i * l->size;
	const char *name = *(char *const *) (item + f->offset);
	char p[400];

	snprintf(p, sizeof(p), "%s.%s", *(char *const *) (item + l->origin), f->paths[0]);
	for (size_t k = 0; k < i; k++) {
		const char *other = (const char *) items + k * l->size;

		if (strcmp(*(char *const *) (other + f->offset), name) == 0)
			diag_error(d, p, "%s \"%s\" is declared twice (also %s)", what, name,
				   *(char *const *) (other + l->origin));
	}
}

/* spec.managed.roles: each name once; postgres and streaming_replica are
 * pgpod's; the application owner cannot be dropped. */
static void
rule_managed_roles(const struct spec *s, struct diag *d)
{
	for (size_t i = 0; i < s->n_managed_roles; i++) {
		const struct spec_managed_role *r = &s->managed_roles[i];
		char p[400];

		check_once(&spec_managed_role_list, s->managed_roles, i, "role", d);
		snprintf(p, sizeof(p), "%s.name", r->origin);
		if (strcmp(r->name, "postgres") == 0 || strcmp(r->name, "streaming_replica") == 0)
			diag_error(d, p, "\"%s\" is reserved: pgpod manages it itself", r->name);
		else if (is_absent(r->ensure) && s->app_owner != NULL
			 && strcmp(r->name, s->app_owner) == 0) {
			snprintf(p, sizeof(p), "%s.ensure", r->origin);
			diag_error(d, p, "role \"%s\" owns the application database (%s): pgpod "
				   "manages it and it cannot be declared absent", r->name,
				   spec_path(s, "bootstrap.owner"));
		}
		snprintf(p, sizeof(p), "%s.passwordSecret", r->origin);
		if (r->password_secret != NULL && r->disable_password == 1)
			diag_error(d, p, "and disablePassword cannot both be set");
		snprintf(p, sizeof(p), "%s.inRoles", r->origin);
		if (strlist_has(&r->in_roles, r->name))
			diag_error(d, p, "role \"%s\" cannot be a member of itself", r->name);
	}
}

/* PGO users: each name once; streaming_replica is pgpod's. */
static void
rule_users(const struct spec *s, struct diag *d)
{
	for (size_t i = 0; i < s->n_roles; i++) {
		const struct spec_role *r = &s->roles[i];
		char p[400];

		check_once(&spec_role_list, s->roles, i, "user", d);
		snprintf(p, sizeof(p), "%s.name", r->origin);
		if (strcmp(r->name, "streaming_replica") == 0)
			diag_error(d, p, "\"%s\" is reserved: pgpod manages it itself", r->name);
	}
}

/* A locale field that only goes with one provider (CloudNativePG's rule). */
static void
provider_only(struct diag *d, const struct spec_database *db, const char *field,
	      const char *value, const char *provider)
{
	char p[400];

	if (value == NULL || (db->locale_provider != NULL
			      && strcmp(db->locale_provider, provider) == 0))
		return;
	snprintf(p, sizeof(p), "%s.spec.%s", db->origin, field);
	diag_error(d, p, "is only available when localeProvider is %s", provider);
}

/* Database documents: an owner each, each database once, the application
 * database not absent, locales with their provider. */
static void
rule_databases(const struct spec *s, struct diag *d)
{
	for (size_t i = 0; i < s->n_databases; i++) {
		const struct spec_database *db = &s->databases[i];
		char p[400];

		check_once(&spec_database_list, s->databases, i, "database", d);
		if (is_absent(db->ensure) && s->app_database != NULL
		    && strcmp(db->name, s->app_database) == 0) {
			snprintf(p, sizeof(p), "%s.spec.ensure", db->origin);
			diag_error(d, p, "\"%s\" is the application database (%s): it cannot be "
				   "declared absent", db->name, spec_path(s, "bootstrap.database"));
		}
		snprintf(p, sizeof(p), "%s.spec.owner", db->origin);
		if (db->owner == NULL && !is_absent(db->ensure))
			diag_error(d, p, "is required");
		provider_only(d, db, "icuLocale", db->icu_locale, "icu");
		provider_only(d, db, "icuRules", db->icu_rules, "icu");
		provider_only(d, db, "builtinLocale", db->builtin_locale, "builtin");
	}
}

void
validate_rule_managed(const struct spec *s, int major, struct diag *d)
{
	(void) major;
	rule_managed_roles(s, d);
	rule_users(s, d);
	rule_databases(s, d);
}
