/*
 * test_util.c — cmocka tests for the small helpers every part uses: the
 * bounds-checked argv vectors (lib/argv.c), the JSON escaping of log
 * lines (lib/log.c), --listen addresses (lib/netaddr.c) and the careful
 * file reads and names (lib/fileio.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "fileio.h"
#include "log.h"
#include "netaddr.h"

/* ---- argv ---- */

static void
test_argv_add_and_addf(void **state)
{
	struct argv a;

	(void) state;
	argv_init(&a);
	assert_true(argv_add(&a, "initdb"));
	assert_true(argv_addf(&a, "--wal-segsize=%d", 64));
	assert_true(argv_addf(&a, "%s/%s", "/run", "pw"));
	assert_int_equal(a.n, 3);
	assert_string_equal(a.v[0], "initdb");
	assert_string_equal(a.v[1], "--wal-segsize=64");
	assert_string_equal(a.v[2], "/run/pw");
	assert_null(a.v[3]);
	assert_false(a.overflow);
	argv_free(&a);
}

/* Elements are private copies. */
static void
test_argv_copies(void **state)
{
	struct argv a;
	char buf[16] = "original";

	(void) state;
	argv_init(&a);
	assert_true(argv_add(&a, buf));
	snprintf(buf, sizeof(buf), "changed");
	assert_string_equal(a.v[0], "original");
	assert_ptr_not_equal(a.v[0], buf);
	argv_free(&a);
}

/* ARGV_MAX elements fit; the next one fails and the failure is remembered:
 * nothing more is added, the vector stays NULL-terminated. */
static void
test_argv_overflow_remembered(void **state)
{
	struct argv a;

	(void) state;
	argv_init(&a);
	for (int i = 0; i < ARGV_MAX; i++)
		assert_true(argv_addf(&a, "arg%d", i));
	assert_int_equal(a.n, ARGV_MAX);
	assert_false(a.overflow);
	assert_false(argv_add(&a, "one too many"));
	assert_true(a.overflow);
	assert_int_equal(a.n, ARGV_MAX);
	assert_null(a.v[ARGV_MAX]);
	assert_string_equal(a.v[ARGV_MAX - 1], "arg127");
	/* still refused, with either function */
	assert_false(argv_add(&a, "x"));
	assert_false(argv_addf(&a, "%s", "y"));
	assert_true(a.overflow);
	assert_int_equal(a.n, ARGV_MAX);
	argv_free(&a);
	assert_int_equal(a.n, 0);
	assert_false(a.overflow);
	assert_null(a.v[0]);
}

/* argv_free leaves an empty vector ready for reuse. */
static void
test_argv_free_resets(void **state)
{
	struct argv a;

	(void) state;
	argv_init(&a);
	assert_true(argv_add(&a, "a"));
	argv_free(&a);
	assert_int_equal(a.n, 0);
	assert_true(argv_add(&a, "b"));
	assert_int_equal(a.n, 1);
	assert_string_equal(a.v[0], "b");
	argv_free(&a);
}

static void
test_argv_describe(void **state)
{
	struct argv a;
	char buf[64];

	(void) state;
	argv_init(&a);
	argv_describe(&a, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_true(argv_add(&a, "initdb"));
	assert_true(argv_add(&a, "--pgdata"));
	assert_true(argv_add(&a, "/data"));
	argv_describe(&a, buf, sizeof(buf));
	assert_string_equal(buf, "initdb --pgdata /data");
	/* cut to the buffer, never past it */
	memset(buf, 'X', sizeof(buf));
	argv_describe(&a, buf, 8);
	assert_string_equal(buf, "initdb ");
	for (size_t i = 8; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'X');
	argv_free(&a);
}

/* ---- log_json_escape ---- */

static size_t
escape(char *buf, size_t cap, const char *s, size_t slen)
{
	return log_json_escape(buf, 0, cap, s, slen);
}

static void
test_escape_plain(void **state)
{
	char buf[64];

	(void) state;
	assert_int_equal(escape(buf, sizeof(buf), "hello world", 11), 11);
	assert_string_equal(buf, "hello world");
	assert_int_equal(escape(buf, sizeof(buf), "", 0), 0);
	assert_string_equal(buf, "");
}

static void
test_escape_quotes_and_backslashes(void **state)
{
	char buf[64];
	const char *in = "say \"hi\" to C:\\dir";
	size_t n;

	(void) state;
	n = escape(buf, sizeof(buf), in, strlen(in));
	assert_string_equal(buf, "say \\\"hi\\\" to C:\\\\dir");
	assert_int_equal(n, strlen(buf));
}

static void
test_escape_control_characters(void **state)
{
	char buf[128];
	const char in[] = "a\nb\tc\rd\x01" "e\x1f" "f\x7f" "g\x08";
	size_t n;

	(void) state;
	n = escape(buf, sizeof(buf), in, sizeof(in) - 1);
	assert_string_equal(buf, "a\\nb\\tc\\rd\\u0001e\\u001ff\\u007fg\\u0008");
	assert_int_equal(n, strlen(buf));
}

/* A NUL inside the text (slen counts it) is escaped, not a terminator. */
static void
test_escape_embedded_nul(void **state)
{
	char buf[64];
	const char in[] = { 'a', '\0', 'b' };

	(void) state;
	assert_int_equal(escape(buf, sizeof(buf), in, sizeof(in)), 8);
	assert_string_equal(buf, "a\\u0000b");
}

/* UTF-8 passes through untouched. */
static void
test_escape_utf8_passthrough(void **state)
{
	char buf[64];
	const char *in = "caf\xc3\xa9 \xe2\x82\xac";

	(void) state;
	assert_int_equal(escape(buf, sizeof(buf), in, strlen(in)), strlen(in));
	assert_string_equal(buf, in);
}

/* Appending at len keeps what is already there. */
static void
test_escape_appends(void **state)
{
	char buf[64] = "{\"msg\":\"";
	size_t n;

	(void) state;
	n = log_json_escape(buf, strlen(buf), sizeof(buf), "x\"y", 3);
	assert_string_equal(buf, "{\"msg\":\"x\\\"y");
	assert_int_equal(n, strlen(buf));
}

/* Truncation: never past cap, always NUL-terminated, never half an
 * escape sequence. */
static void
test_escape_truncates_safely(void **state)
{
	char buf[32];
	size_t n;

	(void) state;
	memset(buf, 'X', sizeof(buf));
	n = escape(buf, 8, "abcdef\"g", 8);
	assert_int_equal(n, 6);
	assert_string_equal(buf, "abcdef");
	for (size_t i = 8; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'X');

	memset(buf, 'X', sizeof(buf));
	n = escape(buf, 8, "abcde\"fg", 8);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "abcde\\\"");

	memset(buf, 'X', sizeof(buf));
	n = escape(buf, 6, "\x01", 1);
	assert_int_equal(n, 0);
	assert_string_equal(buf, "");
	assert_int_equal(buf[1], 'X');

	memset(buf, 'X', sizeof(buf));
	n = escape(buf, 5, "abcdefghij", 10);
	assert_int_equal(n, 4);
	assert_string_equal(buf, "abcd");
	for (size_t i = 5; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'X');
}

/* Every byte 1..127, escaped and quoted, parses back to itself. */
static void
test_escape_round_trips_through_json(void **state)
{
	char in[128];
	char buf[1024];
	size_t n;
	struct json_object *o;

	(void) state;
	for (int i = 1; i < 128; i++)
		in[i - 1] = (char) i;
	buf[0] = '"';
	n = log_json_escape(buf, 1, sizeof(buf) - 2, in, 127);
	buf[n] = '"';
	buf[n + 1] = '\0';
	o = json_tokener_parse(buf);
	if (o == NULL)
		print_error("not JSON: %s\n", buf);
	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_string));
	assert_int_equal(json_object_get_string_len(o), 127);
	assert_memory_equal(json_object_get_string(o), in, 127);
	json_object_put(o);
}

static void
test_log_parse_level(void **state)
{
	enum log_level l = LOG_DEBUG;

	(void) state;
	assert_true(log_parse_level("error", &l));
	assert_int_equal(l, LOG_ERROR);
	assert_true(log_parse_level("WARNING", &l));
	assert_int_equal(l, LOG_WARN);
	assert_true(log_parse_level("Info", &l));
	assert_int_equal(l, LOG_INFO);
	assert_false(log_parse_level("loud", &l));
	assert_int_equal(l, LOG_INFO);
}

/* ---- netaddr ---- */

/* text parsed with to_loopback, printed back as "ADDR PORT". */
static const char *
addr_text(const char *text, bool to_loopback, char *buf, size_t cap)
{
	struct sockaddr_storage sa;
	socklen_t len = 0;
	char host[64];

	if (!netaddr_parse(text, to_loopback, &sa, &len))
		return "invalid";
	if (sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) &sa;

		assert_int_equal(len, sizeof(*a));
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, cap, "[%s] %d", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *) &sa;

		assert_int_equal(len, sizeof(*a));
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, cap, "%s %d", host, ntohs(a->sin_port));
	}
	return buf;
}

static void
test_netaddr(void **state)
{
	static const struct {
		const char *text;
		const char *bind;	/* as the server binds it */
		const char *connect;	/* as status/probe connect to it */
	} cases[] = {
		{ "127.0.0.1:8000", "127.0.0.1 8000", "127.0.0.1 8000" },
		{ "0.0.0.0:8000", "0.0.0.0 8000", "127.0.0.1 8000" },
		{ "*:8000", "0.0.0.0 8000", "127.0.0.1 8000" },
		{ ":8000", "0.0.0.0 8000", "127.0.0.1 8000" },
		{ "10.1.2.3:65535", "10.1.2.3 65535", "10.1.2.3 65535" },
		{ "[::1]:8000", "[::1] 8000", "[::1] 8000" },
		{ "[::]:8000", "[::] 8000", "[::1] 8000" },
		{ "8000", "invalid", "invalid" },
		{ "127.0.0.1:", "invalid", "invalid" },
		{ "127.0.0.1:0", "invalid", "invalid" },
		{ "127.0.0.1:65536", "invalid", "invalid" },
		{ "127.0.0.1:80x", "invalid", "invalid" },
		{ "localhost:8000", "invalid", "invalid" },
		{ "[::1:8000", "invalid", "invalid" },
		{ "[]:8000", "invalid", "invalid" },
		{ "::1:8000", "invalid", "invalid" },
	};
	char buf[96];

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(addr_text(cases[i].text, false, buf, sizeof(buf)), cases[i].bind);
		assert_string_equal(addr_text(cases[i].text, true, buf, sizeof(buf)), cases[i].connect);
	}
}

/* ---- fileio ---- */

/* Only regular files are read; a FIFO with no writer and an endless
 * device are refused at once, not waited on. */
static void
test_file_read_regular_only(void **state)
{
	char dir[] = "/tmp/pgpod-unit-read.XXXXXX";
	char path[64];
	char *text = NULL;
	size_t len;
	int err = 0;

	(void) state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_false(file_read(path, 1024, &text, &len, &err));
	assert_int_equal(err, FILE_NOT_REGULAR);
	assert_non_null(strstr(file_strerror(err), "not a regular file"));
	assert_false(file_read("/dev/zero", 1024, &text, &len, &err));
	assert_int_equal(err, FILE_NOT_REGULAR);
	assert_false(file_read(dir, 1024, &text, &len, &err));
	assert_int_equal(err, EISDIR);
	assert_int_equal(unlink(path), 0);
	assert_true(file_write_atomic(path, "secret\n", 7, 0600));
	assert_true(file_read(path, 1024, &text, &len, &err));
	assert_int_equal(len, 7);
	free(text);
	assert_false(file_read(path, 3, &text, &len, &err));
	assert_int_equal(err, EFBIG);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* What may become one component of a path pgpod builds from spec text. */
static void
test_file_name_safe(void **state)
{
	(void) state;
	assert_true(file_name_safe("app"));
	assert_true(file_name_safe("my-db_1.x"));
	assert_false(file_name_safe(""));
	assert_false(file_name_safe("."));
	assert_false(file_name_safe(".."));
	assert_false(file_name_safe("../../data/PG_VERSION"));
	assert_false(file_name_safe("a/b"));
	assert_false(file_name_safe("a\\b"));
	assert_false(file_name_safe("a..b"));
	assert_false(file_name_safe("tab\there"));
	assert_false(file_name_safe("nl\n"));
}

/* The first error pgpod logs is kept (for the termination log); later
 * ones and warnings do not replace it. The termination log is created at a
 * path of the user's, holds the reason and a newline, and Kubernetes'
 * default path is never created where it does not exist. */
static void
test_log_first_error_and_termination(void **state)
{
	char dir[] = "/tmp/pgpod-unit-term.XXXXXX", path[64], buf[128];
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	FILE *f;
	size_t n;

	(void) state;
	assert_true(devnull >= 0);
	log_init(devnull, LOG_INFO);
	assert_string_equal(log_first_error(), "");
	log_warn("a warning is not an error");
	assert_string_equal(log_first_error(), "");
	log_error("secret \"%s\" does not exist", "app");
	log_error("the spec is invalid (1 error)");
	assert_string_equal(log_first_error(), "secret \"app\" does not exist");

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/term", dir);
	log_termination(path, log_first_error());
	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, "secret \"app\" does not exist\n");
	log_termination(path, "shorter");	/* truncated, not appended */
	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, "shorter\n");
	unlink(path);
	rmdir(dir);
	if (access("/dev/termination-log", F_OK) != 0) {
		log_termination("/dev/termination-log", "never created");
		assert_int_not_equal(access("/dev/termination-log", F_OK), 0);
	}
	log_init(1, LOG_INFO);
	close(devnull);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_add_and_addf),
		cmocka_unit_test(test_argv_copies),
		cmocka_unit_test(test_argv_overflow_remembered),
		cmocka_unit_test(test_argv_free_resets),
		cmocka_unit_test(test_argv_describe),
		cmocka_unit_test(test_escape_plain),
		cmocka_unit_test(test_escape_quotes_and_backslashes),
		cmocka_unit_test(test_escape_control_characters),
		cmocka_unit_test(test_escape_embedded_nul),
		cmocka_unit_test(test_escape_utf8_passthrough),
		cmocka_unit_test(test_escape_appends),
		cmocka_unit_test(test_escape_truncates_safely),
		cmocka_unit_test(test_escape_round_trips_through_json),
		cmocka_unit_test(test_log_parse_level),
		cmocka_unit_test(test_netaddr),
		cmocka_unit_test(test_file_read_regular_only),
		cmocka_unit_test(test_file_name_safe),
		cmocka_unit_test(test_log_first_error_and_termination),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
