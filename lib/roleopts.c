/*
 * roleopts.c — SQL role options read against a list (see roleopts.h).
 */
#include "roleopts.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec.h"

const struct roleopt_desc roleopt_attrs[ROLEOPT_NATTR] = {
	[ROLEOPT_SUPERUSER] = { "SUPERUSER", "rolsuper" },
	[ROLEOPT_CREATEDB] = { "CREATEDB", "rolcreatedb" },
	[ROLEOPT_CREATEROLE] = { "CREATEROLE", "rolcreaterole" },
	[ROLEOPT_INHERIT] = { "INHERIT", "rolinherit" },
	[ROLEOPT_LOGIN] = { "LOGIN", "rolcanlogin" },
	[ROLEOPT_REPLICATION] = { "REPLICATION", "rolreplication" },
	[ROLEOPT_BYPASSRLS] = { "BYPASSRLS", "rolbypassrls" },
};

void
roleopts_init(struct roleopts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < ROLEOPT_NATTR; i++)
		o->attr[i] = -1;
	o->connlimit = -1;
}

void
roleopts_free(struct roleopts *o)
{
	free(o->valid_until);
	roleopts_init(o);
}

/* The next word (letters, digits, '-', '_') at *p into w; "" at the end. */
static void
next_word(const char **p, char *w, size_t cap)
{
	size_t n = 0;

	while (isspace((unsigned char) **p))
		(*p)++;
	while (**p && (isalnum((unsigned char) **p) || **p == '-' || **p == '_')) {
		if (n + 1 < cap)
			w[n++] = **p;
		(*p)++;
	}
	w[n] = '\0';
}

/* A single-quoted SQL literal ('' inside is a quote) at *p, unquoted. */
static char *
quoted(const char **p)
{
	const char *s;
	char *out, *o;

	while (isspace((unsigned char) **p))
		(*p)++;
	if (**p != '\'')
		return NULL;
	s = ++(*p);
	o = out = spec_xcalloc(strlen(s) + 1, 1);
	for (; **p; (*p)++) {
		if (**p == '\'' && (*p)[1] == '\'') {
			*o++ = '\'';
			(*p)++;
		} else if (**p == '\'') {
			(*p)++;
			return out;
		} else {
			*o++ = **p;
		}
	}
	free(out);
	return NULL;
}

/* An attribute keyword or its NO form; false when w is neither. */
static bool
attr_word(const char *w, struct roleopts *o)
{
	for (int i = 0; i < ROLEOPT_NATTR; i++) {
		if (strcasecmp(w, roleopt_attrs[i].keyword) == 0) {
			o->attr[i] = 1;
			return true;
		}
		if (strncasecmp(w, "NO", 2) == 0 && strcasecmp(w + 2, roleopt_attrs[i].keyword) == 0) {
			o->attr[i] = 0;
			return true;
		}
	}
	return false;
}

/* CONNECTION LIMIT n, after CONNECTION. */
static bool
connection_limit(const char **p, struct roleopts *o, char *err, size_t cap)
{
	char w[32], *end;
	long n;

	next_word(p, w, sizeof(w));
	if (strcasecmp(w, "LIMIT") != 0) {
		snprintf(err, cap, "CONNECTION must be followed by LIMIT and a number");
		return false;
	}
	next_word(p, w, sizeof(w));
	errno = 0;
	n = strtol(w, &end, 10);
	if (!*w || *end || errno != 0 || n < -1 || n > INT_MAX) {
		snprintf(err, cap, "CONNECTION LIMIT needs a number from -1 up, got \"%s\"", w);
		return false;
	}
	o->has_connlimit = true;
	o->connlimit = (int) n;
	return true;
}

/* VALID UNTIL 'timestamp', after VALID. */
static bool
valid_until(const char **p, struct roleopts *o, char *err, size_t cap)
{
	char w[32];
	char *v;

	next_word(p, w, sizeof(w));
	if (strcasecmp(w, "UNTIL") != 0 || (v = quoted(p)) == NULL) {
		snprintf(err, cap, "VALID must be followed by UNTIL and a quoted timestamp");
		return false;
	}
	for (const unsigned char *c = (const unsigned char *) v; *c; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			snprintf(err, cap, "VALID UNTIL has a control character");
			free(v);
			return false;
		}
	}
	free(o->valid_until);
	o->valid_until = v;
	return true;
}

bool
roleopts_parse(const char *text, struct roleopts *o, char *err, size_t cap)
{
	const char *p = text;
	char w[64];

	roleopts_init(o);
	for (;;) {
		next_word(&p, w, sizeof(w));
		if (w[0] == '\0')
			break;
		if (attr_word(w, o))
			continue;
		if (strcasecmp(w, "CONNECTION") == 0 && connection_limit(&p, o, err, cap))
			continue;
		if (strcasecmp(w, "VALID") == 0 && valid_until(&p, o, err, cap))
			continue;
		if (strcasecmp(w, "CONNECTION") != 0 && strcasecmp(w, "VALID") != 0) {
			if (strcasecmp(w, "PASSWORD") == 0 || strcasecmp(w, "ENCRYPTED") == 0)
				snprintf(err, cap, "PASSWORD is not an option here: pgpod sets the "
					 "password (password.type says which kind it generates)");
			else
				snprintf(err, cap, "\"%s\" is not a role option pgpod knows (SUPERUSER, "
					 "CREATEDB, CREATEROLE, INHERIT, LOGIN, REPLICATION, BYPASSRLS, "
					 "their NO forms, CONNECTION LIMIT n, VALID UNTIL '...')", w);
		}
		roleopts_free(o);
		return false;
	}
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0') {
		snprintf(err, cap, "\"%.20s\" is not a role option pgpod knows", p);
		roleopts_free(o);
		return false;
	}
	return true;
}
