/*
 * conninfo.c — connection strings and their files (see conninfo.h).
 */
#include "conninfo.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

static void
conninfo_put(struct conninfo *c, const char *s, size_t n)
{
	if (c->len + n + 1 > c->cap) {
		size_t cap = (c->cap ? c->cap * 2 : 256) + n;

		c->text = realloc(c->text, cap);
		if (c->text == NULL)
			abort();
		c->cap = cap;
	}
	memcpy(c->text + c->len, s, n);
	c->len += n;
	c->text[c->len] = '\0';
}

void
conninfo_add(struct conninfo *c, const char *key, const char *value)
{
	if (c->len > 0)
		conninfo_put(c, " ", 1);
	conninfo_put(c, key, strlen(key));
	conninfo_put(c, "='", 2);
	for (const char *p = value; *p; p++) {
		if (*p == '\'' || *p == '\\')
			conninfo_put(c, "\\", 1);
		conninfo_put(c, p, 1);
	}
	conninfo_put(c, "'", 1);
}

static bool
managed_key(const char *key)
{
	static const char *const keys[] = { "passfile", "sslkey", "sslcert", "sslrootcert" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return spec_key_is_secret(key);
}

void
conninfo_add_params(struct conninfo *c, const struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!managed_key(l->items[i].key))
			conninfo_add(c, l->items[i].key, l->items[i].value);
}

void
conninfo_put_text(struct conninfo *c, const char *text)
{
	if (text == NULL || *text == '\0')
		return;
	if (c->len > 0)
		conninfo_put(c, " ", 1);
	conninfo_put(c, text, strlen(text));
}

void
conninfo_free(struct conninfo *c)
{
	free(c->text);
	*c = (struct conninfo) { 0 };
}

char *
conninfo_pgpass_line(const char *password)
{
	size_t n = strlen(password);
	char *line = malloc(2 * n + 16);
	size_t k;

	if (line == NULL)
		abort();
	k = (size_t) snprintf(line, 16, "*:*:*:*:");
	for (const char *p = password; *p; p++) {
		if (*p == ':' || *p == '\\')
			line[k++] = '\\';
		line[k++] = *p;
	}
	line[k++] = '\n';
	line[k] = '\0';
	return line;
}

/* Write (or, text NULL, remove) dir/name; on success with a text, add
 * key=path to c. */
static bool
put_file(const char *dir, const char *name, const char *text, const char *key,
	 struct conninfo *c)
{
	char path[PATH_MAX];

	if (!file_put_in(dir, name, text))
		return false;	/* errors have already been logged */
	if (text != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		conninfo_add(c, key, path);
	}
	return true;
}

bool
conninfo_write_files(const char *dir, const struct conn_files *f, struct conninfo *c)
{
	char created[PATH_MAX];
	char *pgpass = f->password ? conninfo_pgpass_line(f->password) : NULL;
	bool ok;

	if (!file_mkdir_p(dir, 0700, created, sizeof(created))) {
		free(pgpass);
		return false;	/* errors have already been logged */
	}
	ok = put_file(dir, "pgpass", pgpass, "passfile", c)
		&& put_file(dir, "tls.key", f->ssl_key, "sslkey", c)
		&& put_file(dir, "tls.crt", f->ssl_cert, "sslcert", c)
		&& put_file(dir, "ca.crt", f->ssl_root_cert, "sslrootcert", c);
	if (pgpass != NULL) {
		explicit_bzero(pgpass, strlen(pgpass));
		free(pgpass);
	}
	return ok;
}

void
conninfo_get(const char *text, const char *key, char *buf, size_t cap)
{
	size_t klen = strlen(key);
	const char *p = text;

	buf[0] = '\0';
	while (p != NULL && *p) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == '=' && p[klen + 1] == '\'') {
			size_t n = 0;

			for (p += klen + 2; *p && *p != '\''; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (n + 1 < cap)
					buf[n++] = *p;
			}
			buf[n] = '\0';
			return;
		}
		/* skip this pair: key='...' with escapes */
		p = strchr(p, '\'');
		if (p == NULL)
			return;
		for (p++; *p && *p != '\''; p++)
			if (*p == '\\' && p[1])
				p++;
		if (*p)
			p++;
	}
}
