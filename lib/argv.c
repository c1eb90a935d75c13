/*
 * argv.c — bounds-checked argv/envp vectors (see argv.h).
 */
#include "argv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void
argv_init(struct argv *a)
{
	memset(a, 0, sizeof(*a));
}

/* Append copy (taken over); out of memory (copy NULL) or a full vector
 * makes the vector unusable. */
static bool
argv_take(struct argv *a, char *copy)
{
	if (copy == NULL)
		log_error("cannot build a command line: out of memory");
	if (copy == NULL || a->n >= ARGV_MAX) {
		free(copy);
		a->overflow = true;
		return false;
	}
	a->v[a->n++] = copy;
	a->v[a->n] = NULL;
	return true;
}

bool
argv_add(struct argv *a, const char *s)
{
	if (a->overflow)
		return false;
	return argv_take(a, strdup(s));
}

bool
argv_addf(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	if (a->overflow)
		return false;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return argv_take(a, n < 0 ? NULL : s);
}

void
argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	argv_init(a);
}

void
argv_describe(const struct argv *a, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < a->n && len + 1 < cap; i++) {
		int n = snprintf(buf + len, cap - len, i ? " %s" : "%s", a->v[i]);

		if (n < 0)
			break;
		len += (size_t) n;
	}
}

bool
argv_sh_quote(const char *s, char *buf, size_t cap)
{
	size_t n = 0;

	if (cap < 3)
		return false;
	buf[n++] = '\'';
	for (; *s; s++) {
		const char *piece = *s == '\'' ? "'\\''" : NULL;
		size_t len = piece ? 4 : 1;

		if (n + len + 2 > cap)
			return false;
		if (piece)
			memcpy(buf + n, piece, len);
		else
			buf[n] = *s;
		n += len;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return true;
}
