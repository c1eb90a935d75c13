/*
 * test_pglog.c — cmocka tests for postgres log line parsing (lib/pglog.c)
 * and the JSON records it produces (lib/log.c's log_fields), read back
 * through a pipe and parsed with json-c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pglog.h"

static bool
parse(const char *line, struct pglog_fields *f)
{
	return pglog_parse(line, strlen(line), f);
}

static void
assert_msg(const struct pglog_fields *f, const char *want)
{
	assert_int_equal(f->msg_len, strlen(want));
	assert_memory_equal(f->msg, want, f->msg_len);
}

static void
test_background_line(void **state)
{
	struct pglog_fields f;

	(void) state;
	assert_true(parse("2026-11-23 10:00:00.123 UTC [4242] 00000 LOG:  database system is ready "
			  "to accept connections", &f));
	assert_string_equal(f.ts, "2026-11-23 10:00:00.123 UTC");
	assert_string_equal(f.pid, "4242");
	assert_string_equal(f.sqlstate, "00000");
	assert_string_equal(f.user, "");
	assert_string_equal(f.db, "");
	assert_string_equal(f.severity, "LOG");
	assert_int_equal(f.level, LOG_INFO);
	assert_msg(&f, "database system is ready to accept connections");
}

static void
test_client_error(void **state)
{
	struct pglog_fields f;

	(void) state;
	assert_true(parse("2026-11-23 10:00:00.123 UTC [77] 42P01 app@appdb ERROR:  relation "
			  "\"nope\" does not exist at character 15", &f));
	assert_string_equal(f.user, "app");
	assert_string_equal(f.db, "appdb");
	assert_string_equal(f.sqlstate, "42P01");
	assert_string_equal(f.severity, "ERROR");
	assert_int_equal(f.level, LOG_ERROR);
	assert_msg(&f, "relation \"nope\" does not exist at character 15");
}

/* Names with spaces and '@': the first severity tag ends the names, the
 * last '@' splits them. */
static void
test_names_with_spaces_and_at(void **state)
{
	struct pglog_fields f;

	(void) state;
	assert_true(parse("2026-11-23 10:00:00.123 UTC [77] 28P01 ann@example.com@my db FATAL:  "
			  "password authentication failed for user \"ann@example.com\"", &f));
	assert_string_equal(f.user, "ann@example.com");
	assert_string_equal(f.db, "my db");
	assert_string_equal(f.severity, "FATAL");
	/* a severity-looking word inside the message stays in the message */
	assert_true(parse("2026-11-23 10:00:00.123 UTC [77] 00000 a@b STATEMENT:  SELECT 'LOG:  x'", &f));
	assert_string_equal(f.severity, "STATEMENT");
	assert_msg(&f, "SELECT 'LOG:  x'");
}

static void
test_levels(void **state)
{
	static const struct {
		const char *sev;
		enum log_level level;
	} cases[] = {
		{ "DEBUG1", LOG_DEBUG }, { "DETAIL", LOG_INFO }, { "HINT", LOG_INFO },
		{ "WARNING", LOG_WARN }, { "PANIC", LOG_ERROR }, { "NOTICE", LOG_INFO },
	};
	char line[256];
	struct pglog_fields f;

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "2026-11-23 10:00:00.123 UTC [1] 00000 %s:  m", cases[i].sev);
		assert_true(parse(line, &f));
		assert_string_equal(f.severity, cases[i].sev);
		assert_int_equal(f.level, cases[i].level);
	}
}

static void
test_not_prefixed(void **state)
{
	static const char *const lines[] = {
		"",
		"\tFROM pg_class WHERE x = 1",		/* continuation of a statement */
		"could not open file: no such file",
		"2026-11-23 10:00:00.123 UTC [x] 00000 LOG:  m",
		"2026-11-23 10:00:00.123 UTC [1] 0000 LOG:  m",
		"2026-11-23 10:00:00.123 UTC [1] 00000 nouser LOG:  m",
		"2026-11-23 10:00:00.123 UTC [1] 00000 a@b no tag here",
		"2026-11-23 10:00:00.123 UTC [12",
	};
	struct pglog_fields f;

	(void) state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_false(parse(lines[i], &f));
}

/* The record pglog_emit writes: one JSON line with the fields. */
static struct json_object *
emit_and_read(const char *line)
{
	int fds[2];
	char buf[65536];
	ssize_t n;
	struct json_object *o;

	assert_int_equal(pipe(fds), 0);
	log_init(fds[1], LOG_DEBUG);
	(void) pglog_emit("postgres", line, strlen(line), LOG_INFO);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	log_init(2, LOG_INFO);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strchr(buf, '\n'));
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);	/* exactly one line */
	o = json_tokener_parse(buf);
	assert_non_null(o);
	return o;
}

static const char *
get(struct json_object *o, const char *key)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_string(v);
}

static void
test_emit_json(void **state)
{
	struct json_object *o, *v;

	(void) state;
	o = emit_and_read("2026-11-23 10:00:00.123 UTC [4242] 28P01 app@app FATAL:  password "
			  "authentication failed for user \"app\"");
	assert_string_equal(get(o, "logger"), "postgres");
	assert_string_equal(get(o, "level"), "error");
	assert_string_equal(get(o, "msg"), "password authentication failed for user \"app\"");
	assert_true(json_object_object_get_ex(o, "pid", &v));
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), 4242);
	assert_string_equal(get(o, "user"), "app");
	assert_string_equal(get(o, "db"), "app");
	assert_string_equal(get(o, "sqlstate"), "28P01");
	assert_string_equal(get(o, "severity"), "FATAL");
	json_object_put(o);
	o = emit_and_read("\tcontinued \"quoted\" \x01 line");
	assert_string_equal(get(o, "msg"), "\tcontinued \"quoted\" \x01 line");
	assert_false(json_object_object_get_ex(o, "pid", &v));
	json_object_put(o);
}

/* A line longer than a log record is truncated, still one valid line. */
static void
test_emit_long_line(void **state)
{
	static char line[40000];
	struct json_object *o;
	size_t n;

	(void) state;
	n = (size_t) snprintf(line, sizeof(line), "2026-11-23 10:00:00.123 UTC [1] 00000 u@d LOG:  ");
	memset(line + n, '"', sizeof(line) - n - 1);
	line[sizeof(line) - 1] = '\0';
	o = emit_and_read(line);
	assert_string_equal(get(o, "user"), "u");
	assert_true(strlen(get(o, "msg")) > 1000);
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_background_line),
		cmocka_unit_test(test_client_error),
		cmocka_unit_test(test_names_with_spaces_and_at),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_not_prefixed),
		cmocka_unit_test(test_emit_json),
		cmocka_unit_test(test_emit_long_line),
	};

	return cmocka_run_group_tests_name("pglog", tests, NULL, NULL);
}
