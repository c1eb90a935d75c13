/*
 * argv.h — bounds-checked argument and environment vectors for execve().
 * Every element is a private copy; an overflow is remembered and makes the
 * vector unusable (proc_spawn refuses it) instead of silently truncating.
 */
#ifndef PGPOD_ARGV_H
#define PGPOD_ARGV_H

#include <stdbool.h>
#include <stddef.h>

#define ARGV_MAX 128

struct argv {
	char  *v[ARGV_MAX + 1];	/* NULL-terminated */
	size_t n;
	bool   overflow;
};

void argv_init(struct argv *a);
bool argv_add(struct argv *a, const char *s);
bool argv_addf(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void argv_free(struct argv *a);
/* The vector as one line for logs (arguments are never secrets). */
void argv_describe(const struct argv *a, char *buf, size_t cap);

/* s as one word of a /bin/sh command line: in single quotes, each ' as
 * '\''; false when buf is too small. */
bool argv_sh_quote(const char *s, char *buf, size_t cap);

#endif
