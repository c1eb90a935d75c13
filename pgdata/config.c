/*
 * config.c — rendering and writing the managed configuration (see config.h).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "pglog.h"

#define INCLUDE_LINE "include '" CONFIG_FILE "'\t# managed by pgpod: do not remove\n"

struct buf {
	char  *data;
	size_t len;
	size_t cap;
};

static void
buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
buf_printf(struct buf *b, const char *fmt, ...)
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
render_setting(struct buf *b, const char *name, const char *value)
{
	char q[4200];

	config_quote(value, q, sizeof(q));
	buf_printf(b, "%s = %s\n", name, q);
}

char *
config_render(const struct settings *set, const struct spec *s)
{
	struct buf b = { 0 };
	char port[16];
	char libs[2048] = "";

	snprintf(port, sizeof(port), "%d", set->pg_port);
	buf_printf(&b, "# Managed by pgpod from %s; changes here are overwritten.\n"
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
	return b.data;
}

char *
config_render_hba(const struct spec *s)
{
	struct buf b = { 0 };

	buf_printf(&b, "# Managed by pgpod; changes here are overwritten.\n"
		   "# TYPE  DATABASE  USER  ADDRESS  METHOD\n"
		   "local all postgres peer map=pgpod\n");
	if (s->pg_hba.n > 0)
		buf_printf(&b, "# spec.postgresql.pg_hba\n");
	for (size_t i = 0; i < s->pg_hba.n; i++)
		buf_printf(&b, "%s\n", s->pg_hba.items[i]);
	buf_printf(&b, "# default: password authentication for everything else\n"
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
	struct buf b = { 0 };

	snprintf(path, sizeof(path), "%s/postgresql.conf", pgdata);
	if (!file_read(path, 64 * 1024 * 1024, &text, &len, &err) && err != ENOENT) {
		log_error("cannot read \"%s\": %s", path, strerror(err));
		return false;
	}
	if (text != NULL && strstr(text, INCLUDE_LINE) != NULL) {
		free(text);
		return true;
	}
	buf_printf(&b, "%s%s%s", text ? text : "", (len && text[len - 1] != '\n') ? "\n" : "",
		   INCLUDE_LINE);
	ok = file_write_atomic(path, b.data, b.len, 0600);
	free(text);
	free(b.data);
	return ok;
}

bool
config_write_all(const struct settings *set, const struct spec *s, char *hash)
{
	char hex[CONFIG_HASH_HEX] = "";
	char *conf = config_render(set, s);
	char *hba = config_render_hba(s);
	char *ident = NULL;
	struct buf full = { 0 };
	bool ok;

	/* the hash covers the settings and the hba rules pgpod manages */
	buf_printf(&full, "%s%s", conf, hba);
	if (!config_hash(full.data, hex)) {
		log_error("cannot compute the configuration hash (OpenSSL)");
		ok = false;
		goto done;
	}
	free(full.data);
	full = (struct buf) { 0 };
	buf_printf(&full, "%s# pgpod-config-hash: %s\n", conf, hex);
	if (asprintf(&ident, "# Managed by pgpod: OS users allowed to connect as postgres.\n"
		     "pgpod %s postgres\npgpod postgres postgres\n", set->os_user) < 0)
		ident = NULL;
	ok = ident != NULL
		&& config_write(set->pgdata, CONFIG_FILE, full.data)
		&& config_write(set->pgdata, "pg_hba.conf", hba)
		&& config_write(set->pgdata, "pg_ident.conf", ident)
		&& config_ensure_include(set->pgdata);
	if (ok && hash != NULL)
		snprintf(hash, CONFIG_HASH_HEX, "%s", hex);
done:
	free(conf);
	free(hba);
	free(ident);
	free(full.data);
	return ok;
}
