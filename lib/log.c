/*
 * log.c — JSON-lines logging to stdout (or stderr for commands whose stdout
 * is a document). A line longer than LOG_LINE_MAX is truncated, never split.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 16384
#define LOG_MSG_MAX  8192

static int log_fd = 1;
static enum log_level log_min = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static char log_first[512];	/* the first error of pgpod's own, under log_lock */

static const char *const log_names[] = { "debug", "info", "warn", "error" };

void
log_init(int fd, enum log_level min)
{
	log_fd = fd;
	log_min = min;
}

bool
log_parse_level(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcasecmp(name, log_names[i]) == 0) {
			*out = (enum log_level) i;
			return true;
		}
	}
	if (strcasecmp(name, "warning") == 0) {
		*out = LOG_WARN;
		return true;
	}
	return false;
}

size_t
log_json_escape(char *buf, size_t len, size_t cap, const char *s, size_t slen)
{
	static const char hex[] = "0123456789abcdef";

	if (cap == 0)
		return len;
	for (size_t i = 0; i < slen; i++) {
		unsigned char c = (unsigned char) s[i];
		char esc[7];
		size_t n = 0;

		if (c == '"' || c == '\\') {
			esc[n++] = '\\';
			esc[n++] = (char) c;
		} else if (c == '\n') {
			esc[n++] = '\\';
			esc[n++] = 'n';
		} else if (c == '\t') {
			esc[n++] = '\\';
			esc[n++] = 't';
		} else if (c == '\r') {
			esc[n++] = '\\';
			esc[n++] = 'r';
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		} else {
			esc[n++] = (char) c;
		}
		if (len + n >= cap)
			break;
		memcpy(buf + len, esc, n);
		len += n;
	}
	buf[len < cap ? len : cap - 1] = '\0';
	return len;
}

/* Build the whole line and write it at once, under the lock. */
static void
log_emit(enum log_level level, const char *logger, const char *text, size_t tlen,
	 const struct log_field *fields, size_t nfields)
{
	char line[LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	size_t len;
	int saved = errno;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	len = strftime(line, sizeof(line), "{\"ts\":\"%Y-%m-%dT%H:%M:%S", &tm);
	len += (size_t) snprintf(line + len, sizeof(line) - len,
				 ".%06ldZ\",\"level\":\"%s\",\"logger\":\"",
				 ts.tv_nsec / 1000, log_names[level]);
	len = log_json_escape(line, len, sizeof(line) - 4, logger, strlen(logger));
	len += (size_t) snprintf(line + len, sizeof(line) - len, "\",\"msg\":\"");
	/* the fields are short: keep room for them, truncate the message */
	len = log_json_escape(line, len, sizeof(line) - 4 - LOG_FIELDS_ROOM, text, tlen);
	line[len++] = '"';
	for (size_t i = 0; i < nfields; i++) {
		size_t klen = strlen(fields[i].key), vlen = strlen(fields[i].value);

		if (len + klen + vlen + 8 > sizeof(line) - 3)
			break;
		line[len++] = ',';
		line[len++] = '"';
		len = log_json_escape(line, len, sizeof(line) - 3, fields[i].key, klen);
		memcpy(line + len, "\":", 2);
		len += 2;
		if (!fields[i].number)
			line[len++] = '"';
		len = log_json_escape(line, len, sizeof(line) - 3, fields[i].value, vlen);
		if (!fields[i].number)
			line[len++] = '"';
	}
	memcpy(line + len, "}\n", 2);
	len += 2;

	pthread_mutex_lock(&log_lock);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(log_fd, line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t) w;
	}
	pthread_mutex_unlock(&log_lock);
	errno = saved;
}

void
log_msg(enum log_level level, const char *logger, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;
	int n;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (level == LOG_ERROR) {
		pthread_mutex_lock(&log_lock);
		if (log_first[0] == '\0') {
			size_t k = (size_t) n < sizeof(log_first) ? (size_t) n : sizeof(log_first) - 1;

			memcpy(log_first, msg, k);
			log_first[k] = '\0';
		}
		pthread_mutex_unlock(&log_lock);
	}
	log_emit(level, logger, msg, (size_t) n < sizeof(msg) ? (size_t) n : sizeof(msg) - 1, NULL, 0);
}

void
log_text(enum log_level level, const char *logger, const char *text, size_t len)
{
	if (level < log_min)
		return;
	log_emit(level, logger, text, len, NULL, 0);
}

void
log_fields(enum log_level level, const char *logger, const struct log_field *fields,
	   size_t nfields, const char *text, size_t len)
{
	if (level < log_min)
		return;
	log_emit(level, logger, text, len, fields, nfields);
}

const char *
log_first_error(void)
{
	return log_first;
}

void
log_termination(const char *path, const char *reason)
{
	bool dflt = strcmp(path, "/dev/termination-log") == 0;
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | (dflt ? 0 : O_CREAT), 0644);
	size_t len = strlen(reason);
	bool ok;

	if (fd < 0) {
		if (!dflt || errno != ENOENT)
			log_warn("cannot open the termination log %s: %s", path, strerror(errno));
		return;
	}
	ok = write(fd, reason, len) == (ssize_t) len && write(fd, "\n", 1) == 1
		&& (fsync(fd) == 0 || errno == EINVAL || errno == EROFS);
	if (!ok)
		log_warn("cannot write the termination log %s: %s", path, strerror(errno));
	if (close(fd) != 0)
		log_warn("cannot close the termination log %s: %s", path, strerror(errno));
}
