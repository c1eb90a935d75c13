/*
 * strbuf.h — a growable text buffer for rendering configuration files.
 * Out of memory aborts: the texts are small and a half-rendered file must
 * never be written.
 */
#ifndef PGPOD_STRBUF_H
#define PGPOD_STRBUF_H

#include <stddef.h>

struct strbuf {
	char  *data;	/* NUL-terminated once anything was added; NULL before */
	size_t len;
	size_t cap;
};

void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
