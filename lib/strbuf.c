/*
 * strbuf.c — a growable text buffer (see strbuf.h).
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void
strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if (b->data && (size_t) n < room) {
			b->len += (size_t) n;
			return;
		}
		b->cap = (b->cap ? b->cap * 2 : 1024) + (size_t) n;
		b->data = realloc(b->data, b->cap);
		if (b->data == NULL)
			abort();
	}
}
