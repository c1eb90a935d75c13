/*
 * pgdata.c — data directory state and marks (see pgdata.h).
 */
#include "pgdata.h"

#include <json-c/json.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "status.h"

bool
pgdata_has(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

enum pgdata_state
pgdata_state(const char *pgdata)
{
	switch (file_dir_state(pgdata)) {
	case FILE_DIR_MISSING:
	case FILE_DIR_EMPTY:
		return PGDATA_EMPTY;
	case FILE_DIR_NOT_A_DIR:
		return PGDATA_UNREADABLE;
	case FILE_DIR_NOT_EMPTY:
		break;
	}
	if (pgdata_has(pgdata, ".pgpod-copy") || pgdata_has(pgdata, ".pgpod-copy.pid"))
		return PGDATA_PARTIAL;
	if (pgdata_has(pgdata, PGDATA_MARKER))
		return PGDATA_BOOTSTRAPPED;
	if (pgdata_has(pgdata, "PG_VERSION") && pgdata_has(pgdata, "global/pg_control"))
		return PGDATA_FOREIGN;
	return PGDATA_UNKNOWN;
}

const char *
pgdata_state_name(enum pgdata_state st)
{
	static const char *const names[] = {
		[PGDATA_EMPTY] = "empty",
		[PGDATA_BOOTSTRAPPED] = "bootstrapped by pgpod",
		[PGDATA_PARTIAL] = "a copy that was cut off",
		[PGDATA_FOREIGN] = "a PostgreSQL data directory not bootstrapped by pgpod",
		[PGDATA_UNKNOWN] = "not empty and not a PostgreSQL data directory",
		[PGDATA_UNREADABLE] = "not a readable directory",
	};

	return names[st];
}

/* UTC now, compact (20261122T235900Z) or RFC 3339. */
static void
utc_stamp(char *buf, size_t cap, bool compact)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (compact)
		strftime(buf, cap, "%Y%m%dT%H%M%SZ", &tm);
	else
		strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool
pgdata_write_marker(const char *pgdata, const char *method, double seconds)
{
	char path[PATH_MAX];
	char when[32];
	char text[512];
	int n;

	utc_stamp(when, sizeof(when), false);
	n = snprintf(text, sizeof(text),
		     "{\"method\": \"%s\", \"finishedAt\": \"%s\", \"durationSeconds\": %.3f, "
		     "\"pgpodVersion\": \"%s\"}\n", method, when, seconds, PGPOD_VERSION);
	snprintf(path, sizeof(path), "%s/%s", pgdata, PGDATA_MARKER);
	return file_write_atomic(path, text, (size_t) n, 0600);
}

bool
pgdata_read_marker(const char *pgdata, struct pgdata_marker *m)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	int err;
	struct json_object *o, *v;

	memset(m, 0, sizeof(*m));
	m->duration_s = -1;
	snprintf(path, sizeof(path), "%s/%s", pgdata, PGDATA_MARKER);
	if (!file_read(path, 4096, &text, &len, &err))
		return false;
	o = json_tokener_parse(text);
	free(text);
	if (o == NULL)
		return false;
	if (json_object_object_get_ex(o, "method", &v))
		snprintf(m->method, sizeof(m->method), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "finishedAt", &v))
		snprintf(m->finished_at, sizeof(m->finished_at), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "durationSeconds", &v))
		m->duration_s = json_object_get_double(v);
	json_object_put(o);
	return true;
}

void
pgdata_marker_status(const char *pgdata)
{
	struct pgdata_marker m;
	struct status *st;

	if (!pgdata_read_marker(pgdata, &m))
		return;
	st = status_lock();
	snprintf(st->boot_method, sizeof(st->boot_method), "%s", m.method);
	snprintf(st->boot_finished_at, sizeof(st->boot_finished_at), "%s", m.finished_at);
	st->boot_duration_s = m.duration_s;
	status_unlock();
}

bool
pgdata_move_aside(const char *pgdata, char *out, size_t cap)
{
	char stamp[32];
	char parent[PATH_MAX];

	utc_stamp(stamp, sizeof(stamp), true);
	snprintf(out, cap, "%s.failed-%s", pgdata, stamp);
	for (int i = 1; access(out, F_OK) == 0 && i < 100; i++)
		snprintf(out, cap, "%s.failed-%s-%d", pgdata, stamp, i);
	if (rename(pgdata, out) != 0) {
		log_error("cannot move the failed attempt \"%s\" aside to \"%s\": %s; it is left "
			  "in place, move it away by hand before retrying", pgdata, out, strerror(errno));
		return false;
	}
	file_dirname(pgdata, parent, sizeof(parent));
	if (!file_fsync_dir(parent))
		log_warn("the move to \"%s\" may not be durable yet", out);
	return true;
}

bool
pgdata_sync(const char *pgdata)
{
	int fd = open(pgdata, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || syncfs(fd) != 0) {
		log_error("cannot flush \"%s\" to disk: %s", pgdata, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}
