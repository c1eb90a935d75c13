/*
 * log.h — structured logs: one JSON object per line (ts, level, logger, msg).
 * Thread-safe; each line is written with a single write(2).
 */
#ifndef PGPOD_LOG_H
#define PGPOD_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

/* Send lines to fd (1 or 2) at or above min. */
void log_init(int fd, enum log_level min);
bool log_parse_level(const char *name, enum log_level *out);
void log_msg(enum log_level level, const char *logger, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Emit raw text (one line of a child's output) as msg, unformatted. */
void log_text(enum log_level level, const char *logger, const char *text, size_t len);

/* An extra key of a log line; number: the value is written unquoted
 * (it must then be a JSON number). */
struct log_field {
	const char *key;
	const char *value;
	bool        number;
};

/* Room kept for fields in a line; the message is truncated first. */
#define LOG_FIELDS_ROOM 1024

/* Emit text as msg with extra fields, e.g. postgres' pid, user, db. */
void log_fields(enum log_level level, const char *logger, const struct log_field *fields,
		size_t nfields, const char *text, size_t len);

/* Append s JSON-escaped (without quotes) to buf; returns the new length,
 * never writing past cap (the output is truncated instead). */
size_t log_json_escape(char *buf, size_t len, size_t cap, const char *s, size_t slen);

/* The first error pgpod logged of its own (not a child's line), "" when
 * none: what a command that gives up early says in the termination log. */
const char *log_first_error(void);

/* Write reason to the termination log at path, where `kubectl describe
 * pod` shows why the container ended. Kubernetes' default path,
 * /dev/termination-log, is used only when it exists; another is created. */
void log_termination(const char *path, const char *reason);

#define log_debug(...) log_msg(LOG_DEBUG, "pgpod", __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, "pgpod", __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, "pgpod", __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, "pgpod", __VA_ARGS__)

#endif
