/*
 * pglog.h — postgres' stderr lines as structured log records.
 *
 * pgpod runs postgres with logging_collector off, log_destination stderr
 * and log_line_prefix PGLOG_LINE_PREFIX, and reads its stderr through a
 * pipe. A line
 *
 *   2026-11-23 10:00:00.123 UTC [4242] 28P01 app@appdb FATAL:  password ...
 *
 * becomes {"logger":"postgres","msg":"password ...","pid":4242,"user":"app",
 * "db":"appdb","sqlstate":"28P01","severity":"FATAL",...}. Background
 * processes have no user and database (%q stops the prefix there). Lines
 * that do not match (continuation lines of a multi-line statement start
 * with a TAB) are emitted as they are.
 */
#ifndef PGPOD_PGLOG_H
#define PGPOD_PGLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#define PGLOG_LINE_PREFIX "%m [%p] %e %q%u@%d "

struct pglog_fields {
	char           ts[40];		/* postgres' own timestamp */
	char           pid[16];
	char           sqlstate[6];
	char           user[128];	/* "" for background processes */
	char           db[128];
	char           severity[16];	/* LOG, ERROR, DETAIL, ... */
	const char    *msg;		/* into the parsed line */
	size_t         msg_len;
	enum log_level level;
};

/* Parse one line (without its newline); false when it is not prefixed. */
bool pglog_parse(const char *line, size_t len, struct pglog_fields *f);

/* Emit one line of postgres' stderr under logger: parsed with its fields,
 * or as plain text at fallback level when it does not parse. Returns the
 * level it was logged at. */
enum log_level pglog_emit(const char *logger, const char *line, size_t len, enum log_level fallback);

#endif
