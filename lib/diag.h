/*
 * diag.h — the errors and warnings found while reading and validating a
 * spec. Each message starts with the field's path ("spec.bootstrap.initdb.
 * encoding: ..."), so that a user can find the line to fix.
 */
#ifndef PGPOD_DIAG_H
#define PGPOD_DIAG_H

#include "spec.h"

struct diag {
	struct strlist errors;
	struct strlist warnings;
};

void diag_error(struct diag *d, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void diag_warn(struct diag *d, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Log every warning and error (as pgpod log lines). */
void diag_log(const struct diag *d);
void diag_free(struct diag *d);

#endif
