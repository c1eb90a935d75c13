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

/*
 * What the instance is, as far as recovery goes: the one description from
 * which every recovery setting pgpod manages is written (config_write_all):
 * primary_conninfo, primary_slot_name, restore_command, recovery_target*,
 * recovery_target_action, recovery_min_apply_delay, and the signal file.
 */
enum config_mode {
	CONFIG_PRIMARY,		/* no recovery settings; signal files left alone */
	CONFIG_STANDBY,		/* standby.signal: replays what it streams or restores,
				 * follows new timelines, until promoted */
	CONFIG_RECOVERY,	/* recovery.signal: archive recovery up to a target,
				 * then the target action */
};

enum config_target {
	CONFIG_TARGET_NONE,		/* the end of the WAL there is */
	CONFIG_TARGET_IMMEDIATE,	/* the end of the base backup */
	CONFIG_TARGET_TIME,
	CONFIG_TARGET_XID,
	CONFIG_TARGET_NAME,
	CONFIG_TARGET_LSN,
};

struct config_recovery {
	enum config_mode   mode;
	const char        *primary_conninfo;	/* NULL: none */
	const char        *primary_slot_name;	/* NULL: none */
	const char        *restore_command;	/* NULL: none */
	enum config_target target;
	const char        *target_value;	/* time, xid, name or lsn */
	bool               target_exclusive;	/* stop just before the target */
	const char        *target_timeline;	/* NULL: "latest" */
	const char        *target_action;	/* pause, promote, shutdown; NULL: postgres' */
	const char        *min_apply_delay;	/* NULL: none */
};

/* Write pgpod.conf (with the recovery settings of rec), pg_hba.conf,
 * pg_ident.conf and the include line; make the signal file of rec's mode
 * (standby.signal or recovery.signal) and remove the other one. rec NULL:
 * a primary. hash (may be NULL) receives the hex SHA-256 of the managed
 * settings. postgresql.auto.conf is the user's (ALTER SYSTEM) and is not
 * edited; a setting there that overrides one pgpod manages is warned. */
bool config_write_all(const struct settings *set, const struct spec *s,
		      const struct config_recovery *rec, char *hash)
	__attribute__((warn_unused_result));

/* The managed settings as postgresql.conf text (caller frees). */
char *config_render(const struct settings *set, const struct spec *s,
		    const struct config_recovery *rec);

/* Right after a copy: drop the source's recovery settings from the
 * copy's postgresql.auto.conf (primary_conninfo, restore_command, ...),
 * once; afterwards the file is left alone. */
bool config_drop_copied_recovery(const char *pgdata) __attribute__((warn_unused_result));

/* postgresql.auto.conf text without the standby settings pgpod manages
 * (primary_conninfo, primary_slot_name, restore_command, recovery_*);
 * NULL when nothing is to be dropped (caller frees). */
char *config_strip_auto(const char *text);

/* pg_hba.conf text (caller frees). */
char *config_render_hba(const struct spec *s);

/* A postgresql.conf string literal: 'it''s'. */
void config_quote(const char *value, char *buf, size_t cap);

#endif
