/*
 * config.h — the configuration pgpod manages inside PGDATA: its own
 * included file (pgpod.conf) with spec.postgresql.parameters and a hash of
 * the managed settings, pg_hba.conf and pg_ident.conf. The user's lines in
 * postgresql.conf are never edited; one include line is appended once.
 */
#ifndef PGPOD_CONFIG_H
#define PGPOD_CONFIG_H

#include <stdbool.h>

#include "settings.h"
#include "spec.h"

#define CONFIG_FILE "pgpod.conf"
#define CONFIG_HASH_HEX 65

/* Write pgpod.conf, pg_hba.conf, pg_ident.conf and the include line.
 * hash (may be NULL) receives the hex SHA-256 of the managed settings. */
bool config_write_all(const struct settings *set, const struct spec *s, char *hash)
	__attribute__((warn_unused_result));

/* The managed settings as postgresql.conf text (caller frees). */
char *config_render(const struct settings *set, const struct spec *s);

/* pg_hba.conf text (caller frees). */
char *config_render_hba(const struct spec *s);

/* A postgresql.conf string literal: 'it''s'. */
void config_quote(const char *value, char *buf, size_t cap);

#endif
