/*
 * config.c — rendering and writing the managed configuration (see config.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "barman.h"
#include "pgbackrest.h"
#include "pglog.h"
#include "strbuf.h"
#include "tls.h"
#include "validate.h"

#define INCLUDE_LINE "include '" CONFIG_FILE "'\t# managed by pgpod: do not remove\n"

void
config_quote(const char *value, char *buf, size_t cap)
{
	size_t n = 0;

	if (cap < 3) {
		buf[0] = '\0';
		return;
	}
	buf[n++] = '\'';
	for (const char *p = value; *p && n + 3 < cap; p++) {
		if (*p == '\'' || *p == '\\')
			buf[n++] = *p == '\'' ? '\'' : '\\';
		buf[n++] = *p;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
}

static void
render_setting(struct strbuf *b, const char *name, const char *value)
{
	char q[4200];

	config_quote(value, q, sizeof(q));
	strbuf_printf(b, "%s = %s\n", name, q);
}

/* The recovery settings of rec, when it recovers from something (a
 * source to stream from, an archive, a target). A standby whose replica
 * mode was switched off follows nothing: it has standby.signal only. */
static void
render_recovery(struct strbuf *b, const struct config_recovery *rec)
{
	static const char *const target_keys[] = {
		[CONFIG_TARGET_NONE] = NULL,
		[CONFIG_TARGET_IMMEDIATE] = "recovery_target",
		[CONFIG_TARGET_TIME] = "recovery_target_time",
		[CONFIG_TARGET_XID] = "recovery_target_xid",
		[CONFIG_TARGET_NAME] = "recovery_target_name",
		[CONFIG_TARGET_LSN] = "recovery_target_lsn",
	};

	if (rec == NULL || rec->mode == CONFIG_PRIMARY
	    || (rec->primary_conninfo == NULL && rec->restore_command == NULL
		&& rec->target == CONFIG_TARGET_NONE))
		return;
	if (rec->mode == CONFIG_STANDBY)
		strbuf_printf(b, "# standby: streams from its upstream, follows its timeline changes\n");
	else if (rec->target == CONFIG_TARGET_NONE)
		strbuf_printf(b, "# recovery: replays the WAL there is, then starts a new timeline\n");
	else
		strbuf_printf(b, "# recovery: replays up to its target, then %s\n",
			   rec->target_action ? rec->target_action : "pauses (postgres' default)");
	if (rec->primary_conninfo != NULL) {
		render_setting(b, "primary_conninfo", rec->primary_conninfo);
		render_setting(b, "primary_slot_name", rec->primary_slot_name ? rec->primary_slot_name : "");
	}
	if (rec->restore_command != NULL)
		render_setting(b, "restore_command", rec->restore_command);
	if (rec->target != CONFIG_TARGET_NONE) {
		render_setting(b, target_keys[rec->target], rec->target == CONFIG_TARGET_IMMEDIATE
			       ? "immediate" : rec->target_value ? rec->target_value : "");
		if (rec->target_exclusive)
			render_setting(b, "recovery_target_inclusive", "off");
	}
	render_setting(b, "recovery_target_timeline", rec->target_timeline ? rec->target_timeline
		       : "latest");
	if (rec->target_action != NULL)
		render_setting(b, "recovery_target_action", rec->target_action);
	if (rec->min_apply_delay != NULL)
		render_setting(b, "recovery_min_apply_delay", rec->min_apply_delay);
}

/* WAL goes to this cluster's pgBackRest repositories when it has any
 * (after the user's parameters: these win). */
static void
render_archive(struct strbuf *b, const struct settings *set, const struct spec *s)
{
	char cmd[PATH_MAX * 10];

	if (!pgbr_enabled(s) && barman_enabled(s)) {
		if (!barman_archive_command(set, cmd, sizeof(cmd)))
			return;	/* logged; postgres keeps archive_mode off */
		strbuf_printf(b, "# WAL archive: Barman Cloud, %s (%s)\n", s->backup_store.destination,
			      s->backup_store.origin ? s->backup_store.origin
			      : "spec.backup.barmanObjectStore");
		render_setting(b, "archive_mode", "on");
		render_setting(b, "archive_command", cmd);
		return;
	}
	if (!pgbr_enabled(s))
		return;
	if (!pgbr_archive_command(set, cmd, sizeof(cmd)))
		return;	/* logged; postgres keeps archive_mode off */
	strbuf_printf(b, "# WAL archive: pgBackRest, stanza %s (spec.backups.pgbackrest)\n",
		      PGBR_STANZA);
	render_setting(b, "archive_mode", "on");
	render_setting(b, "archive_command", cmd);
}

/* TLS from the certificates' copies in the run dir (after the user's
 * parameters: validation refuses ssl settings there anyway). */
static void
render_ssl(struct strbuf *b, const struct settings *set, const struct spec *s)
{
	char path[PATH_MAX];

	if (s->tls_server_secret == NULL)
		return;
	strbuf_printf(b, "# TLS: %s, copied into %s/" TLS_DIR "\n",
		      spec_path(s, "certificates.serverTLSSecret"), set->run_dir);
	render_setting(b, "ssl", "on");
	tls_path(set, TLS_SERVER_CERT, path, sizeof(path));
	render_setting(b, "ssl_cert_file", path);
	tls_path(set, TLS_SERVER_KEY, path, sizeof(path));
	render_setting(b, "ssl_key_file", path);
	if (s->tls_client_ca_secret == NULL)
		return;
	tls_path(set, TLS_CLIENT_CA, path, sizeof(path));
	render_setting(b, "ssl_ca_file", path);
}

char *
config_render(const struct settings *set, const struct spec *s, const struct config_recovery *rec)
{
	struct strbuf b = { 0 };
	char port[16];
	char libs[2048] = "";

	snprintf(port, sizeof(port), "%d", set->pg_port);
	strbuf_printf(&b, "# Managed by pgpod from %s; changes here are overwritten.\n"
		   "# Put your own settings in postgresql.conf or spec.postgresql.parameters.\n",
		   s->source_file ? s->source_file : "the spec");
	render_setting(&b, "listen_addresses", set->pg_listen);
	render_setting(&b, "port", port);
	render_setting(&b, "unix_socket_directories", set->run_dir);
	render_setting(&b, "password_encryption", "scram-sha-256");
	/* pgpod reads postgres' stderr and re-emits it as JSON lines */
	render_setting(&b, "logging_collector", "off");
	render_setting(&b, "log_destination", "stderr");
	render_setting(&b, "log_line_prefix", PGLOG_LINE_PREFIX);
	for (size_t i = 0; i < s->shared_preload_libraries.n; i++) {
		size_t len = strlen(libs);

		snprintf(libs + len, sizeof(libs) - len, "%s%s", len ? "," : "",
			 s->shared_preload_libraries.items[i]);
	}
	if (*libs && kvlist_get(&s->parameters, "shared_preload_libraries") == NULL)
		render_setting(&b, "shared_preload_libraries", libs);
	for (size_t i = 0; i < s->parameters.n; i++)
		render_setting(&b, s->parameters.items[i].key, s->parameters.items[i].value);
	render_ssl(&b, set, s);
	render_archive(&b, set, s);
	render_recovery(&b, rec);
	return b.data;
}

char *
config_render_hba(const struct spec *s)
{
	struct strbuf b = { 0 };

	strbuf_printf(&b, "# Managed by pgpod; changes here are overwritten.\n"
		   "# TYPE  DATABASE  USER  ADDRESS  METHOD\n"
		   "local all postgres peer map=pgpod\n");
	/* as CloudNativePG: before the user's lines, so that a replica's
	 * certificate is never asked for a password instead */
	if (s->tls_replication_secret != NULL && s->tls_client_ca_secret != NULL)
		strbuf_printf(&b, "# replicas log in with a client certificate (CN streaming_replica)\n"
			      "hostssl replication streaming_replica all cert\n"
			      "hostssl all streaming_replica all cert\n");
	if (s->pg_hba.n > 0)
		strbuf_printf(&b, "# spec.postgresql.pg_hba\n");
	for (size_t i = 0; i < s->pg_hba.n; i++)
		strbuf_printf(&b, "%s\n", s->pg_hba.items[i]);
	strbuf_printf(&b, "# default: replicas stream as streaming_replica; password authentication\n"
		   "# for everything else\n"
		   "host replication streaming_replica all scram-sha-256\n"
		   "local all all scram-sha-256\n"
		   "host all all all scram-sha-256\n");
	return b.data;
}

static bool
config_hash(const char *text, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL) != 1)
		return false;
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return true;
}

static bool
config_write(const char *pgdata, const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pgdata, name);
	return file_write_atomic(path, text, strlen(text), 0600);
}

/* Append the include line to postgresql.conf once. */
static bool
config_ensure_include(const char *pgdata)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int err = 0;
	bool ok;
	struct strbuf b = { 0 };

	snprintf(path, sizeof(path), "%s/postgresql.conf", pgdata);
	if (!file_read(path, 64 * 1024 * 1024, &text, &len, &err) && err != ENOENT) {
		log_error("cannot read \"%s\": %s", path, file_strerror(err));
		return false;
	}
	if (text != NULL && strstr(text, INCLUDE_LINE) != NULL) {
		free(text);
		return true;
	}
	strbuf_printf(&b, "%s%s%s", text ? text : "", (len && text[len - 1] != '\n') ? "\n" : "",
		   INCLUDE_LINE);
	ok = file_write_atomic(path, b.data, b.len, 0600);
	free(text);
	free(b.data);
	return ok;
}

/* The recovery settings pgpod manages: their name at the start of a
 * postgresql.auto.conf line into key. */
static bool
auto_recovery_key(const char *line, char *key, size_t cap)
{
	static const char *const keys[] = {
		"primary_conninfo", "primary_slot_name", "restore_command", "recovery_target",
		"recovery_min_apply_delay", "promote_trigger_file",
	};
	size_t n;

	while (*line == ' ' || *line == '\t')
		line++;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		n = strlen(keys[i]);
		/* recovery_target also covers recovery_target_time, _lsn, ... */
		if (strncmp(line, keys[i], n) == 0
		    && (line[n] == ' ' || line[n] == '=' || line[n] == '\t'
			|| (i == 3 && line[n] == '_'))) {
			n = strcspn(line, " \t=");
			snprintf(key, cap, "%.*s", (int) n, line);
			return true;
		}
	}
	return false;
}

char *
config_strip_auto(const char *text)
{
	struct strbuf b = { 0 };
	bool dropped = false;
	char key[64];

	strbuf_printf(&b, "%s", "");
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t) (nl - p) + 1 : strlen(p);

		if (auto_recovery_key(p, key, sizeof(key)))
			dropped = true;
		else
			strbuf_printf(&b, "%.*s", (int) len, p);
		p += len;
	}
	if (!dropped) {
		free(b.data);
		return NULL;
	}
	return b.data;
}

static char *
config_read_auto(const char *pgdata, bool *ok)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int err = 0;

	snprintf(path, sizeof(path), "%s/postgresql.auto.conf", pgdata);
	*ok = file_read(path, 64 * 1024 * 1024, &text, &len, &err) || err == ENOENT;
	if (!*ok)
		log_error("cannot read \"%s\": %s", path, file_strerror(err));
	return text;
}

bool
config_drop_copied_recovery(const char *pgdata)
{
	char path[PATH_MAX];
	char *text, *clean = NULL;
	bool ok;

	text = config_read_auto(pgdata, &ok);
	if (text != NULL)
		clean = config_strip_auto(text);
	if (clean != NULL) {
		log_info("dropped the source's standby settings from postgresql.auto.conf");
		snprintf(path, sizeof(path), "%s/postgresql.auto.conf", pgdata);
		ok = file_write_atomic(path, clean, strlen(clean), 0600);
	}
	free(clean);
	free(text);
	return ok;
}

/* postgres reads postgresql.auto.conf last: an ALTER SYSTEM setting of
 * something pgpod manages overrides pgpod.conf. pgpod leaves the file
 * alone (it is the user's, and postgres may be writing it) and says so. */
static void
config_warn_auto(const char *pgdata)
{
	char *text;
	char key[64];
	bool ok;

	text = config_read_auto(pgdata, &ok);
	for (const char *p = text; p != NULL && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = strcspn(p, " \t=");

		snprintf(key, sizeof(key), "%.*s", (int) (n < sizeof(key) ? n : sizeof(key) - 1), p);
		if (auto_recovery_key(p, key, sizeof(key)) || validate_is_managed_parameter(key))
			log_warn("postgresql.auto.conf sets %s (ALTER SYSTEM), which overrides what "
				 "pgpod manages in %s; pgpod does not edit that file: run ALTER SYSTEM "
				 "RESET %s to give it back to pgpod", key, CONFIG_FILE, key);
		p = nl ? nl + 1 : p + strlen(p);
	}
	free(text);
}

/* The signal file of rec's mode exists, the other one does not; a
 * primary's description touches neither (postgres removes them itself
 * when it is promoted or its recovery ends). */
static bool
config_signals(const char *pgdata, const struct config_recovery *rec)
{
	static const char *const files[] = {
		[CONFIG_STANDBY] = "standby.signal",
		[CONFIG_RECOVERY] = "recovery.signal",
	};
	char path[PATH_MAX];

	if (rec == NULL || rec->mode == CONFIG_PRIMARY)
		return true;
	snprintf(path, sizeof(path), "%s/%s", pgdata,
		 files[rec->mode == CONFIG_STANDBY ? CONFIG_RECOVERY : CONFIG_STANDBY]);
	if (unlink(path) != 0 && errno != ENOENT) {
		log_error("cannot remove \"%s\": %s", path, strerror(errno));
		return false;
	}
	snprintf(path, sizeof(path), "%s/%s", pgdata, files[rec->mode]);
	if (access(path, F_OK) == 0)
		return true;
	return file_write_atomic(path, "", 0, 0600);
}

bool
config_write_all(const struct settings *set, const struct spec *s,
		 const struct config_recovery *rec, char *hash)
{
	char hex[CONFIG_HASH_HEX] = "";
	char *conf = config_render(set, s, rec);
	char *hba = config_render_hba(s);
	char *ident = NULL;
	struct strbuf full = { 0 };
	bool ok;

	/* the hash covers the settings and the hba rules pgpod manages */
	strbuf_printf(&full, "%s%s", conf, hba);
	if (!config_hash(full.data, hex)) {
		log_error("cannot compute the configuration hash (OpenSSL)");
		ok = false;
		goto done;
	}
	free(full.data);
	full = (struct strbuf) { 0 };
	strbuf_printf(&full, "%s# pgpod-config-hash: %s\n", conf, hex);
	if (asprintf(&ident, "# Managed by pgpod: OS users allowed to connect as postgres.\n"
		     "pgpod %s postgres\npgpod postgres postgres\n", set->os_user) < 0)
		ident = NULL;
	ok = ident != NULL
		&& config_write(set->pgdata, CONFIG_FILE, full.data)
		&& config_write(set->pgdata, "pg_hba.conf", hba)
		&& config_write(set->pgdata, "pg_ident.conf", ident)
		&& config_ensure_include(set->pgdata)
		&& config_signals(set->pgdata, rec);
	if (ok)
		config_warn_auto(set->pgdata);
	if (ok && hash != NULL)
		snprintf(hash, CONFIG_HASH_HEX, "%s", hex);
done:
	free(conf);
	free(hba);
	free(ident);
	free(full.data);
	return ok;
}
