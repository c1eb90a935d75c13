/*
 * diag_asserts.h — cmocka assertions on a struct diag, shared by the unit
 * tests of the dialect readers and of validation. Include after cmocka.h.
 * Functions are static inline so that a test using only some of them
 * compiles without unused-function warnings.
 */
#ifndef PGPOD_TEST_DIAG_ASSERTS_H
#define PGPOD_TEST_DIAG_ASSERTS_H

#include <stdbool.h>
#include <string.h>

#include "diag.h"
#include "spec.h"

static inline void
print_diag(const struct diag *d)
{
	for (size_t i = 0; i < d->errors.n; i++)
		print_error("error: %s\n", d->errors.items[i]);
	for (size_t i = 0; i < d->warnings.n; i++)
		print_error("warning: %s\n", d->warnings.items[i]);
}

/* Does some message of l start with "path: " and contain needle? */
static inline bool
has_msg(const struct strlist *l, const char *path, const char *needle)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < l->n; i++)
		if (strncmp(l->items[i], path, n) == 0 && strncmp(l->items[i] + n, ": ", 2) == 0
		    && strstr(l->items[i] + n, needle) != NULL)
			return true;
	return false;
}

static inline void
assert_error(const struct diag *d, const char *path, const char *needle)
{
	if (!has_msg(&d->errors, path, needle)) {
		print_error("no error \"%s: ...%s...\" among:\n", path, needle);
		print_diag(d);
	}
	assert_true(has_msg(&d->errors, path, needle));
}

static inline void
assert_warning(const struct diag *d, const char *path, const char *needle)
{
	if (!has_msg(&d->warnings, path, needle)) {
		print_error("no warning \"%s: ...%s...\" among:\n", path, needle);
		print_diag(d);
	}
	assert_true(has_msg(&d->warnings, path, needle));
}

static inline void
done(struct spec *s, struct diag *d)
{
	spec_free(s);
	diag_free(d);
}

#endif
