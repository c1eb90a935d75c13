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

/* What a standby streams from (pgdata/upstream.c builds it). */
struct config_standby {
	const char *conninfo;		/* primary_conninfo */
	const char *slot;		/* primary_slot_name, NULL for none */
	const char *min_apply_delay;	/* recovery_min_apply_delay, NULL for none */
};

/* Write pgpod.conf, pg_hba.conf, pg_ident.conf and the include line, and
 * drop the settings pgpod manages for standbys from postgresql.auto.conf
 * (a copy brings the source's). standby: NULL for a primary. hash (may
 * be NULL) receives the hex SHA-256 of the managed settings. */
bool config_write_all(const struct settings *set, const struct spec *s,
		      const struct config_standby *standby, char *hash)
	__attribute__((warn_unused_result));

/* The managed settings as postgresql.conf text (caller frees). */
char *config_render(const struct settings *set, const struct spec *s,
		    const struct config_standby *standby);

/* postgresql.auto.conf text without the standby settings pgpod manages
 * (primary_conninfo, primary_slot_name, restore_command, recovery_*);
 * NULL when nothing is to be dropped (caller frees). */
char *config_strip_auto(const char *text);

/* pg_hba.conf text (caller frees). */
char *config_render_hba(const struct spec *s);

/* A postgresql.conf string literal: 'it''s'. */
void config_quote(const char *value, char *buf, size_t cap);

#endif
