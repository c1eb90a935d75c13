/*
 * pglog.c — see pglog.h.
 */
#include "pglog.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char    *name;
	enum log_level level;
} severities[] = {
	{ "DEBUG5", LOG_DEBUG }, { "DEBUG4", LOG_DEBUG }, { "DEBUG3", LOG_DEBUG },
	{ "DEBUG2", LOG_DEBUG }, { "DEBUG1", LOG_DEBUG }, { "DEBUG", LOG_DEBUG },
	{ "LOG", LOG_INFO }, { "INFO", LOG_INFO }, { "NOTICE", LOG_INFO },
	{ "DETAIL", LOG_INFO }, { "HINT", LOG_INFO }, { "STATEMENT", LOG_INFO },
	{ "CONTEXT", LOG_INFO }, { "QUERY", LOG_INFO }, { "LOCATION", LOG_INFO },
	{ "WARNING", LOG_WARN }, { "ERROR", LOG_ERROR }, { "FATAL", LOG_ERROR },
	{ "PANIC", LOG_ERROR },
};

/* The severity tag "NAME:  " at s (n bytes left); its index or -1. */
static int
severity_at(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(severities) / sizeof(severities[0]); i++) {
		size_t k = strlen(severities[i].name);

		if (n >= k + 3 && memcmp(s, severities[i].name, k) == 0 && memcmp(s + k, ":  ", 3) == 0)
			return (int) i;
	}
	return -1;
}

static void
copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

bool
pglog_parse(const char *line, size_t len, struct pglog_fields *f)
{
	const char *p, *end = line + len, *pid, *rest;
	int sev = -1;
	size_t at = 0;

	memset(f, 0, sizeof(*f));
	/* %m: "YYYY-MM-DD HH:MM:SS.mmm ZONE" then " [" */
	if (len < 24 || line[4] != '-' || line[7] != '-' || line[10] != ' ' || line[13] != ':')
		return false;
	p = memmem(line + 19, len - 19, " [", 2);
	if (p == NULL || p - line >= (ptrdiff_t) sizeof(f->ts))
		return false;
	copy(f->ts, sizeof(f->ts), line, (size_t) (p - line));
	/* %p */
	pid = p += 2;
	while (p < end && isdigit((unsigned char) *p))
		p++;
	if (p == pid || p + 2 > end || p[0] != ']' || p[1] != ' ')
		return false;
	copy(f->pid, sizeof(f->pid), pid, (size_t) (p - pid));
	p += 2;
	/* %e: five characters of [0-9A-Z] */
	if (end - p < 6 || p[5] != ' ')
		return false;
	for (int i = 0; i < 5; i++)
		if (!isdigit((unsigned char) p[i]) && !isupper((unsigned char) p[i]))
			return false;
	copy(f->sqlstate, sizeof(f->sqlstate), p, 5);
	rest = p += 6;
	/* %q%u@%d: absent for background processes; else up to the first
	 * " SEVERITY:  " (names may hold spaces; the last '@' splits them) */
	sev = severity_at(p, (size_t) (end - p));
	if (sev < 0) {
		for (p = rest; p < end && sev < 0; p++)
			if (*p == ' ')
				sev = severity_at(p + 1, (size_t) (end - p - 1));
		if (sev < 0)
			return false;
		p--;	/* at the space before the tag */
		for (const char *q = rest; q < p; q++)
			if (*q == '@')
				at = (size_t) (q - rest) + 1;
		if (at == 0)
			return false;
		copy(f->user, sizeof(f->user), rest, at - 1);
		copy(f->db, sizeof(f->db), rest + at, (size_t) (p - rest) - at);
		p++;
	}
	copy(f->severity, sizeof(f->severity), severities[sev].name, strlen(severities[sev].name));
	f->level = severities[sev].level;
	f->msg = p + strlen(severities[sev].name) + 3;
	f->msg_len = (size_t) (end - f->msg);
	return true;
}

enum log_level
pglog_emit(const char *logger, const char *line, size_t len, enum log_level fallback)
{
	struct pglog_fields f;
	struct log_field fields[6];
	size_t n = 0;

	if (!pglog_parse(line, len, &f)) {
		log_text(fallback, logger, line, len);
		return fallback;
	}
	fields[n++] = (struct log_field) { "pid", f.pid, true };
	if (f.user[0] || f.db[0]) {
		fields[n++] = (struct log_field) { "user", f.user, false };
		fields[n++] = (struct log_field) { "db", f.db, false };
	}
	fields[n++] = (struct log_field) { "sqlstate", f.sqlstate, false };
	fields[n++] = (struct log_field) { "severity", f.severity, false };
	fields[n++] = (struct log_field) { "pgts", f.ts, false };
	log_fields(f.level, logger, fields, n, f.msg, f.msg_len);
	return f.level;
}
