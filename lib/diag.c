/*
 * diag.c — collecting spec errors and warnings (see diag.h).
 */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static void __attribute__((format(printf, 3, 0)))
diag_add(struct strlist *l, const char *path, const char *fmt, va_list ap)
{
	char msg[2048];
	char line[2304];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(line, sizeof(line), "%s: %s", path, msg);
	strlist_add(l, line);
}

void
diag_error(struct diag *d, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(&d->errors, path, fmt, ap);
	va_end(ap);
}

void
diag_warn(struct diag *d, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(&d->warnings, path, fmt, ap);
	va_end(ap);
}

void
diag_log(const struct diag *d)
{
	for (size_t i = 0; i < d->warnings.n; i++)
		log_warn("%s", d->warnings.items[i]);
	for (size_t i = 0; i < d->errors.n; i++)
		log_error("%s", d->errors.items[i]);
}

void
diag_free(struct diag *d)
{
	strlist_free(&d->errors);
	strlist_free(&d->warnings);
}
