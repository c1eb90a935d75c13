/*
 * test_cron.c — cmocka tests for the backup schedules (lib/cron.c): every
 * form the parser accepts, as bitsets; every refusal, with its exact
 * reason; and cron_next across minute, hour, day, month and year ends,
 * leap years, the day-of-month/day-of-week rule, a local time zone with
 * DST (which must not matter) and schedules that can never run. A
 * minute-by-minute scan cross-checks cron_next's skipping search.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Bits lo..hi, step 1. */
#define BITS(lo, hi) ((((uint64_t) 1 << ((hi) - (lo) + 1)) - 1) << (lo))

/* ---- helpers ---- */

static struct cron
parsed(const char *text)
{
	struct cron c;
	char why[256] = "";

	if (!cron_parse(text, &c, why, sizeof(why)))
		fail_msg("\"%s\" refused: %s", text, why);
	return c;
}

/* "2024-02-29T00:00" or "...:SS", UTC. */
static time_t
at(const char *iso)
{
	struct tm tm;
	int n;

	memset(&tm, 0, sizeof(tm));
	n = sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
	if (n < 5)
		fail_msg("bad test time \"%s\"", iso);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* t as "2024-02-29T00:00 Thu", with ":SS" when seconds are not 0. */
static void
show(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	strftime(buf, cap, tm.tm_sec ? "%Y-%m-%dT%H:%M:%S %a" : "%Y-%m-%dT%H:%M %a", &tm);
}

/* cron_next of text after `after` is want ("2024-02-29T00:00 Thu"), or
 * there is none when want is NULL. */
static void
check_next(const char *text, const char *after, const char *want)
{
	struct cron c = parsed(text);
	time_t t = 0;
	char got[64];
	bool ok = cron_next(&c, at(after), &t);

	if (!ok && want == NULL)
		return;
	if (!ok)
		fail_msg("\"%s\" after %s: none, want %s", text, after, want);
	show(t, got, sizeof(got));
	if (want == NULL || strcmp(got, want) != 0)
		fail_msg("\"%s\" after %s: got %s, want %s", text, after, got,
			 want ? want : "none");
}

/* Successive cron_next from after. */
static void
check_sequence(const char *text, const char *after, const char *const *want, size_t n)
{
	struct cron c = parsed(text);
	time_t t = at(after);
	char got[64];

	for (size_t i = 0; i < n; i++) {
		if (!cron_next(&c, t, &t))
			fail_msg("\"%s\": none after #%zu, want %s", text, i, want[i]);
		show(t, got, sizeof(got));
		if (strcmp(got, want[i]) != 0)
			fail_msg("\"%s\" #%zu: got %s, want %s", text, i, got, want[i]);
	}
}

static void
assert_same_cron(const struct cron *a, const struct cron *b)
{
	assert_true(a->minute == b->minute);
	assert_int_equal(a->hour, b->hour);
	assert_int_equal(a->dom, b->dom);
	assert_int_equal(a->month, b->month);
	assert_int_equal(a->dow, b->dow);
	assert_int_equal(a->dom_restricted, b->dom_restricted);
	assert_int_equal(a->dow_restricted, b->dow_restricted);
}

/* ---- accepted forms ---- */

static void
test_parse_stars(void **state)
{
	struct cron c = parsed("* * * * *");

	(void) state;
	assert_true(c.minute == BITS(0, 59));
	assert_int_equal(c.hour, BITS(0, 23));
	assert_int_equal(c.dom, BITS(1, 31));
	assert_int_equal(c.month, BITS(1, 12));
	assert_int_equal(c.dow, BITS(0, 6));
	assert_false(c.dom_restricted);
	assert_false(c.dow_restricted);
}

static void
test_parse_numbers_ranges_lists(void **state)
{
	struct cron c = parsed("5 0-3 1,15 6 1-5");

	(void) state;
	assert_true(c.minute == (uint64_t) 1 << 5);
	assert_int_equal(c.hour, BITS(0, 3));
	assert_int_equal(c.dom, 1u << 1 | 1u << 15);
	assert_int_equal(c.month, 1u << 6);
	assert_int_equal(c.dow, BITS(1, 5));
	assert_true(c.dom_restricted);
	assert_true(c.dow_restricted);

	/* leading zeros, bounds of every field, overlapping list items */
	c = parsed("00,059 023 01,31 012,1 0,06");
	assert_true(c.minute == (1 | (uint64_t) 1 << 59));
	assert_int_equal(c.hour, 1u << 23);
	assert_int_equal(c.dom, 1u << 1 | 1u << 31);
	assert_int_equal(c.month, 1u << 1 | 1u << 12);
	assert_int_equal(c.dow, 1u << 0 | 1u << 6);
	c = parsed("1-10,5-15,20 * * * *");
	assert_true(c.minute == (BITS(1, 15) | (uint64_t) 1 << 20));
	/* a one-value range */
	c = parsed("7-7 * * * *");
	assert_true(c.minute == (uint64_t) 1 << 7);
}

static void
test_parse_steps(void **state)
{
	struct cron c;

	(void) state;
	c = parsed("*/15 */6 */10 */4 */2");
	assert_true(c.minute == ((uint64_t) 1 | 1ull << 15 | 1ull << 30 | 1ull << 45));
	assert_int_equal(c.hour, 1u | 1u << 6 | 1u << 12 | 1u << 18);
	assert_int_equal(c.dom, 1u << 1 | 1u << 11 | 1u << 21 | 1u << 31);
	assert_int_equal(c.month, 1u << 1 | 1u << 5 | 1u << 9);
	assert_int_equal(c.dow, 1u | 1u << 2 | 1u << 4 | 1u << 6);

	/* a-b/n stops at b; a/n runs to the field's maximum */
	c = parsed("10-40/10 1-6/2 5/10 3/4 1/2");
	assert_true(c.minute == (1ull << 10 | 1ull << 20 | 1ull << 30 | 1ull << 40));
	assert_int_equal(c.hour, 1u << 1 | 1u << 3 | 1u << 5);
	assert_int_equal(c.dom, 1u << 5 | 1u << 15 | 1u << 25);
	assert_int_equal(c.month, 1u << 3 | 1u << 7 | 1u << 11);
	assert_int_equal(c.dow, 1u << 1 | 1u << 3 | 1u << 5);
	c = parsed("50/5 * * * *");
	assert_true(c.minute == (1ull << 50 | 1ull << 55));
	c = parsed("59/1 * * * *");
	assert_true(c.minute == 1ull << 59);

	/* steps in a list, step 1, the largest steps */
	c = parsed("0,10-20/5,*/30 * * * *");
	assert_true(c.minute == (1ull | 1ull << 10 | 1ull << 15 | 1ull << 20 | 1ull << 30));
	c = parsed("*/1 0-23/1 * * *");
	assert_true(c.minute == BITS(0, 59));
	assert_int_equal(c.hour, BITS(0, 23));
	c = parsed("*/59 */23 */31 */12 */7");
	assert_true(c.minute == (1ull | 1ull << 59));
	assert_int_equal(c.hour, 1u | 1u << 23);
	assert_int_equal(c.dom, 1u << 1);
	assert_int_equal(c.month, 1u << 1);
	assert_int_equal(c.dow, 1u);
}

static void
test_parse_names(void **state)
{
	struct cron c;

	(void) state;
	c = parsed("0 0 * JAN,jun,Dec sun,Mon,sAT");
	assert_int_equal(c.month, 1u << 1 | 1u << 6 | 1u << 12);
	assert_int_equal(c.dow, 1u << 0 | 1u << 1 | 1u << 6);
	c = parsed("0 0 * feb-APR MON-FRI");
	assert_int_equal(c.month, BITS(2, 4));
	assert_int_equal(c.dow, BITS(1, 5));
	c = parsed("0 0 * JAN-DEC/3 SUN-SAT/3");
	assert_int_equal(c.month, 1u << 1 | 1u << 4 | 1u << 7 | 1u << 10);
	assert_int_equal(c.dow, 1u | 1u << 3 | 1u << 6);
	/* names and numbers mix; a name with a step runs to the end */
	c = parsed("0 0 * 2-MAR,NOV/1 1-wed");
	assert_int_equal(c.month, BITS(2, 3) | BITS(11, 12));
	assert_int_equal(c.dow, BITS(1, 3));
	c = parsed("0 0 * * TUE-thu,fri");
	assert_int_equal(c.dow, BITS(2, 5));
}

/* 7 is Sunday too, alone, in ranges, with a step. */
static void
test_parse_sunday_seven(void **state)
{
	(void) state;
	assert_int_equal(parsed("0 0 * * 7").dow, 1u);
	assert_int_equal(parsed("0 0 * * 0,7").dow, 1u);
	assert_int_equal(parsed("0 0 * * 5-7").dow, 1u | 1u << 5 | 1u << 6);
	assert_int_equal(parsed("0 0 * * 0-7").dow, BITS(0, 6));
	assert_int_equal(parsed("0 0 * * 7/3").dow, 1u);
	assert_int_equal(parsed("0 0 * * SAT-7").dow, 1u | 1u << 6);
	assert_true(parsed("0 0 * * 7").dow_restricted);
}

/* '*' or '*' with step 1 leaves a day field unrestricted; anything else
 * restricts it, a stepped star and a range covering everything included. */
static void
test_parse_restricted(void **state)
{
	static const struct {
		const char *text;
		bool        dom, dow;
	} cases[] = {
		{ "* * * * *", false, false },
		{ "0 0 1 * *", true, false },
		{ "0 0 * * MON", false, true },
		{ "0 0 1 * MON", true, true },
		{ "0 0 */1 * */1", false, false },
		{ "0 0 */2 * *", true, false },
		{ "0 0 * * */2", false, true },
		{ "0 0 1-31 * 0-6", true, true },
		{ "0 0 *,5 * 1,*", false, false },
		{ "0 0 1-31/1 * *", true, false },
		{ "0 0 * JAN *", false, false },
	};

	(void) state;
	for (size_t i = 0; i < N(cases); i++) {
		struct cron c = parsed(cases[i].text);

		if (c.dom_restricted != cases[i].dom || c.dow_restricted != cases[i].dow)
			fail_msg("\"%s\": restricted dom %d dow %d, want %d %d", cases[i].text,
				 c.dom_restricted, c.dow_restricted, cases[i].dom, cases[i].dow);
	}
}

static void
test_parse_macros(void **state)
{
	static const struct {
		const char *macro, *fields;
	} cases[] = {
		{ "@yearly", "0 0 1 1 *" },
		{ "@annually", "0 0 1 1 *" },
		{ "@monthly", "0 0 1 * *" },
		{ "@weekly", "0 0 * * 0" },
		{ "@daily", "0 0 * * *" },
		{ "@midnight", "0 0 * * *" },
		{ "@hourly", "0 * * * *" },
		{ "@HOURLY", "0 * * * *" },
		{ "@Weekly", "0 0 * * SUN" },
		{ " \t@daily \t", "0 0 * * *" },
	};

	(void) state;
	for (size_t i = 0; i < N(cases); i++) {
		struct cron a = parsed(cases[i].macro);
		struct cron b = parsed(cases[i].fields);

		assert_same_cron(&a, &b);
	}
}

/* Runs of spaces and tabs between, before and after the fields. */
static void
test_parse_blanks(void **state)
{
	struct cron a = parsed("30 2 * * 1");
	struct cron b = parsed("  30\t\t2 \t *    *\t1 \t ");

	(void) state;
	assert_same_cron(&a, &b);
}

static void
test_parse_utc_prefix(void **state)
{
	static const char *const texts[] = {
		"TZ=UTC 30 2 * * 1",
		"CRON_TZ=UTC 30 2 * * 1",
		"TZ=Etc/UTC 30 2 * * 1",
		"CRON_TZ=Etc/UTC\t\t30 2 * * 1",
		"  TZ=UTC   30 2 * * MON  ",
	};
	struct cron want = parsed("30 2 * * 1");
	struct cron daily = parsed("@daily");

	(void) state;
	for (size_t i = 0; i < N(texts); i++) {
		struct cron c = parsed(texts[i]);

		assert_same_cron(&c, &want);
	}
	want = parsed("CRON_TZ=UTC @daily");
	assert_same_cron(&want, &daily);
}

/* The longest text accepted, padded with blanks. */
static void
test_parse_length_limit(void **state)
{
	char text[CRON_TEXT_MAX + 2];
	struct cron c;
	char why[128];

	(void) state;
	memset(text, ' ', sizeof(text));
	memcpy(text, "0 0 * * *", 9);
	text[CRON_TEXT_MAX] = '\0';
	assert_true(cron_parse(text, &c, why, sizeof(why)));
	text[CRON_TEXT_MAX] = ' ';
	text[CRON_TEXT_MAX + 1] = '\0';
	assert_false(cron_parse(text, &c, why, sizeof(why)));
	assert_string_equal(why, "schedule is longer than 256 bytes");
}

/* ---- refusals ---- */

#define FIELDS "expected 5 fields (minute hour day-of-month month day-of-week), "
#define MACROS "@yearly @annually @monthly @weekly @daily @midnight @hourly"

static const struct {
	const char *text, *why;
} refusals[] = {
	/* the shape of the text */
	{ "", "empty schedule" },
	{ " \t ", "empty schedule" },
	{ "0 0 * *", FIELDS "found 4" },
	{ "0", FIELDS "found 1" },
	{ "0 0 * * * *", FIELDS "found 6: \"*\" is one too many" },
	{ "0 3 * * * /usr/bin/backup --full", FIELDS "found 7: \"/usr/bin/backup\" is one too many" },
	{ "0 0 * * *\n", "control character 0x0a at byte 10" },
	{ "0 0\r * * *", "control character 0x0d at byte 4" },
	/* items */
	{ "1,,2 * * * *", "field 1 (minute): empty item in \"1,,2\"" },
	{ ",1 * * * *", "field 1 (minute): empty item in \",1\"" },
	{ "0 0 * * 1,", "field 5 (day of week): empty item in \"1,\"" },
	{ "0 , * * *", "field 2 (hour): empty item in \",\"" },
	{ "5x * * * *", "field 1 (minute): \"5x\" is not a number" },
	{ "0 0 * * *x", "field 5 (day of week): \"*x\" is not a number or a day name (SUN-SAT)" },
	{ "+5 * * * *", "field 1 (minute): \"+5\" is not a number" },
	{ "0 0 ? * *", "field 3 (day of month): \"?\" is not a number" },
	{ "0 0 L * *", "field 3 (day of month): \"L\" is not a number" },
	{ "-1 * * * *", "field 1 (minute): missing value in \"-1\"" },
	{ "0 1- * * *", "field 2 (hour): missing value in \"1-\"" },
	{ "0 0 1-2-3 * *", "field 3 (day of month): \"2-3\" is not a number" },
	{ "0 0 /5 * *", "field 3 (day of month): missing value in \"/5\"" },
	/* steps */
	{ "*/0 * * * *", "field 1 (minute): step 0 in \"*/0\" (a step is at least 1)" },
	{ "0 1-5/00 * * *", "field 2 (hour): step 0 in \"1-5/00\" (a step is at least 1)" },
	{ "*/ * * * *", "field 1 (minute): missing step in \"*/\"" },
	{ "*/x * * * *", "field 1 (minute): step \"x\" is not a number" },
	{ "1/2/3 * * * *", "field 1 (minute): step \"2/3\" is not a number" },
	{ "*/60 * * * *", "field 1 (minute): step 60 is out of range 1-59" },
	{ "0 0 * */13 *", "field 4 (month): step 13 is out of range 1-12" },
	/* ranges and values */
	{ "0 5-3 * * *", "field 2 (hour): range 5-3 is reversed" },
	{ "0 6-5 * * *", "field 2 (hour): range 6-5 is reversed" },
	{ "0 0 * DEC-JAN *", "field 4 (month): range DEC-JAN is reversed" },
	{ "0 0 * * FRI-MON", "field 5 (day of week): range FRI-MON is reversed" },
	{ "0 0 * * 7-1", "field 5 (day of week): range 7-1 is reversed" },
	{ "60 * * * *", "field 1 (minute): 60 is out of range 0-59" },
	{ "0 25 * * *", "field 2 (hour): 25 is out of range 0-23" },
	{ "0 24 * * *", "field 2 (hour): 24 is out of range 0-23" },
	{ "0 0 0 * *", "field 3 (day of month): 0 is out of range 1-31" },
	{ "0 0 32 * *", "field 3 (day of month): 32 is out of range 1-31" },
	{ "0 0 * 0 *", "field 4 (month): 0 is out of range 1-12" },
	{ "0 0 * 13 *", "field 4 (month): 13 is out of range 1-12" },
	{ "0 0 * * 8", "field 5 (day of week): 8 is out of range 0-7" },
	{ "0 0 1-40 * *", "field 3 (day of month): 40 is out of range 1-31" },
	{ "99999999999999999999 * * * *",
	  "field 1 (minute): 99999999999999999999 is out of range 0-59" },
	/* names belong to their field, three letters */
	{ "0 0 * FOO *", "field 4 (month): \"FOO\" is not a number or a month name (JAN-DEC)" },
	{ "0 0 * January *",
	  "field 4 (month): \"January\" is not a number or a month name (JAN-DEC)" },
	{ "0 0 * * MONDAY",
	  "field 5 (day of week): \"MONDAY\" is not a number or a day name (SUN-SAT)" },
	{ "0 0 * * JAN", "field 5 (day of week): \"JAN\" is not a number or a day name (SUN-SAT)" },
	{ "0 0 * MON *", "field 4 (month): \"MON\" is not a number or a month name (JAN-DEC)" },
	{ "0 0 JAN * *", "field 3 (day of month): \"JAN\" is not a number" },
	/* macros */
	{ "@reboot", "@reboot is not a schedule (it means once, at start-up); give five"
	  " fields or one of " MACROS },
	{ "@REBOOT", "@reboot is not a schedule (it means once, at start-up); give five"
	  " fields or one of " MACROS },
	{ "@every 1h", "@every is not supported; give five fields or one of " MACROS },
	{ "@fortnightly", "unknown macro \"@fortnightly\" (known: " MACROS ")" },
	{ "@", "unknown macro \"@\" (known: " MACROS ")" },
	{ "@daily 0", "unexpected \"0\" after @daily" },
	{ "@daily,@hourly", "unknown macro \"@daily,@hourly\" (known: " MACROS ")" },
	/* time zones */
	{ "TZ=Europe/Berlin 0 3 * * *", "time zone \"Europe/Berlin\" is not supported: pgpod"
	  " evaluates schedules in UTC (name UTC or leave out TZ=)" },
	{ "CRON_TZ=America/New_York @daily", "time zone \"America/New_York\" is not supported:"
	  " pgpod evaluates schedules in UTC (name UTC or leave out CRON_TZ=)" },
	{ "TZ=utc 0 3 * * *", "time zone \"utc\" is not supported: pgpod evaluates schedules"
	  " in UTC (name UTC or leave out TZ=)" },
	{ "TZ= 0 3 * * *", "time zone \"\" is not supported: pgpod evaluates schedules in UTC"
	  " (name UTC or leave out TZ=)" },
	{ "TZ=UTC", "no schedule after \"TZ=UTC\"" },
	{ "CRON_TZ=Etc/UTC \t ", "no schedule after \"CRON_TZ=Etc/UTC\"" },
	{ "TZ=UTC 0 0 * *", FIELDS "found 4" },
};

/* Each refusal gives its reason and leaves *out as it was. */
static void
test_refusals(void **state)
{
	(void) state;
	for (size_t i = 0; i < N(refusals); i++) {
		struct cron c, before;
		char why[512] = "";

		memset(&c, 0xA5, sizeof(c));
		memcpy(&before, &c, sizeof(c));
		if (cron_parse(refusals[i].text, &c, why, sizeof(why)))
			fail_msg("\"%s\" accepted", refusals[i].text);
		if (strcmp(why, refusals[i].why) != 0)
			fail_msg("\"%s\": reason\n  \"%s\", want\n  \"%s\"", refusals[i].text, why,
				 refusals[i].why);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

/* No text; no room for a reason; a reason cut to a small buffer. */
static void
test_refusal_buffers(void **state)
{
	struct cron c;
	char why[16];

	(void) state;
	assert_false(cron_parse(NULL, &c, why, sizeof(why)));
	assert_string_equal(why, "empty schedule");
	assert_false(cron_parse("0 25 * * *", &c, NULL, 0));
	assert_false(cron_parse("0 25 * * *", &c, why, 0));
	memset(why, 'X', sizeof(why));
	assert_false(cron_parse("0 25 * * *", &c, why, 8));
	assert_string_equal(why, "field 2");
	for (size_t i = 8; i < sizeof(why); i++)
		assert_int_equal(why[i], 'X');
}

/* ---- cron_next ---- */

/* Strictly after, seconds dropped. */
static void
test_next_minute(void **state)
{
	(void) state;
	check_next("* * * * *", "2024-01-01T00:00", "2024-01-01T00:01 Mon");
	check_next("* * * * *", "2024-01-01T00:00:01", "2024-01-01T00:01 Mon");
	check_next("* * * * *", "2024-01-01T00:00:59", "2024-01-01T00:01 Mon");
	check_next("* * * * *", "2024-01-01T00:59:30", "2024-01-01T01:00 Mon");
	check_next("30 * * * *", "2024-01-01T10:29:59", "2024-01-01T10:30 Mon");
	check_next("30 * * * *", "2024-01-01T10:30", "2024-01-01T11:30 Mon");
	check_next("30 * * * *", "2024-01-01T23:30", "2024-01-02T00:30 Tue");
}

static void
test_next_every_quarter_hour(void **state)
{
	static const char *const want[] = {
		"2024-12-31T23:15 Tue", "2024-12-31T23:30 Tue", "2024-12-31T23:45 Tue",
		"2025-01-01T00:00 Wed", "2025-01-01T00:15 Wed",
	};

	(void) state;
	check_next("*/15 * * * *", "2024-01-01T10:07", "2024-01-01T10:15 Mon");
	check_next("*/15 * * * *", "2024-01-01T10:15", "2024-01-01T10:30 Mon");
	check_next("*/15 * * * *", "2024-01-01T10:45", "2024-01-01T11:00 Mon");
	check_sequence("*/15 * * * *", "2024-12-31T23:00", want, N(want));
}

static void
test_next_hour_and_day(void **state)
{
	static const char *const work[] = {
		"2024-01-05T17:00 Fri", "2024-01-05T17:30 Fri", "2024-01-08T09:00 Mon",
		"2024-01-08T09:30 Mon", "2024-01-08T13:00 Mon", "2024-01-08T13:30 Mon",
	};

	(void) state;
	check_next("0 3 * * *", "2024-01-01T02:59", "2024-01-01T03:00 Mon");
	check_next("0 3 * * *", "2024-01-01T03:00", "2024-01-02T03:00 Tue");
	check_next("0 0 * * *", "2024-01-31T12:00", "2024-02-01T00:00 Thu");
	check_next("59 23 * * *", "2024-01-01T23:59", "2024-01-02T23:59 Tue");
	check_next("0 22-23 * * *", "2024-01-01T23:00", "2024-01-02T22:00 Tue");
	check_sequence("0,30/30 9-17/4 * * MON-FRI", "2024-01-05T13:30", work, N(work));
	/* the hour matches later in the day, the minute wraps to a later hour */
	check_next("15 6,18 * * *", "2024-01-01T06:20", "2024-01-01T18:15 Mon");
	check_next("5 * * * *", "2024-01-01T06:06", "2024-01-01T07:05 Mon");
}

static void
test_next_month_and_year(void **state)
{
	static const char *const last[] = {
		"2024-01-31T00:00 Wed", "2024-03-31T00:00 Sun", "2024-05-31T00:00 Fri",
		"2024-07-31T00:00 Wed", "2024-08-31T00:00 Sat", "2024-10-31T00:00 Thu",
		"2024-12-31T00:00 Tue", "2025-01-31T00:00 Fri",
	};

	(void) state;
	check_next("0 0 1 * *", "2024-01-15T00:00", "2024-02-01T00:00 Thu");
	check_next("@monthly", "2024-12-01T00:00", "2025-01-01T00:00 Wed");
	check_next("@yearly", "2024-06-01T00:00", "2025-01-01T00:00 Wed");
	check_next("@annually", "2024-12-31T23:59:59", "2025-01-01T00:00 Wed");
	check_next("0 0 31 12 *", "2024-12-31T00:00", "2025-12-31T00:00 Wed");
	check_next("0 12 * FEB *", "2024-03-01T00:00", "2025-02-01T12:00 Sat");
	check_next("0 0 * * *", "2100-02-28T00:00", "2100-03-01T00:00 Mon");
	check_sequence("0 0 31 * *", "2024-01-01T00:00", last, N(last));
}

/* 29 February: four years on, and eight across 2100 (not a leap year). */
static void
test_next_leap_day(void **state)
{
	(void) state;
	check_next("0 0 29 2 *", "2023-03-01T00:00", "2024-02-29T00:00 Thu");
	check_next("0 0 29 2 *", "2024-02-29T00:00", "2028-02-29T00:00 Tue");
	check_next("0 0 29 2 *", "2000-01-01T00:00", "2000-02-29T00:00 Tue");
	check_next("0 0 29 2 *", "2096-03-01T00:00", "2104-02-29T00:00 Fri");
	check_next("0 0 29 2 *", "2100-01-01T00:00", "2104-02-29T00:00 Fri");
	check_next("0 0 * 2 *", "2100-02-28T00:00", "2101-02-01T00:00 Tue");
}

/* Both day fields restricted: either matches. One of them '*': only the
 * other counts. 2024-01-01 is a Monday. */
static void
test_next_dom_dow(void **state)
{
	static const char *const friday_or_13th[] = {
		"2024-01-05T00:00 Fri", "2024-01-12T00:00 Fri", "2024-01-13T00:00 Sat",
		"2024-01-19T00:00 Fri", "2024-01-26T00:00 Fri", "2024-02-02T00:00 Fri",
		"2024-02-09T00:00 Fri", "2024-02-13T00:00 Tue",
	};
	static const char *const stepped[] = {
		"2024-01-08T00:00 Mon", "2024-01-11T00:00 Thu", "2024-01-15T00:00 Mon",
		"2024-01-21T00:00 Sun", "2024-01-22T00:00 Mon", "2024-01-29T00:00 Mon",
		"2024-01-31T00:00 Wed", "2024-02-01T00:00 Thu",
	};

	(void) state;
	check_sequence("0 0 13 * FRI", "2024-01-01T00:00", friday_or_13th, N(friday_or_13th));
	/* a stepped star is restricted, so this is an OR too */
	check_sequence("0 0 */10 * MON", "2024-01-01T00:00", stepped, N(stepped));
	check_next("0 0 * * MON", "2024-01-01T00:00", "2024-01-08T00:00 Mon");
	check_next("0 0 */1 * MON", "2024-01-02T00:00", "2024-01-08T00:00 Mon");
	check_next("0 0 13 * *", "2024-01-01T00:00", "2024-01-13T00:00 Sat");
	check_next("0 0 13 * */1", "2024-01-14T00:00", "2024-02-13T00:00 Tue");
	check_next("@weekly", "2024-01-03T12:00", "2024-01-07T00:00 Sun");
	check_next("@weekly", "2024-01-07T00:00", "2024-01-14T00:00 Sun");
	check_next("0 0 * * 7", "2024-01-01T00:00", "2024-01-07T00:00 Sun");
	/* not "the first Monday": days 1 to 7, and every Monday */
	check_next("0 0 1-7 * MON", "2024-01-02T00:00", "2024-01-03T00:00 Wed");
	/* no 30 February, but Mondays in February */
	check_next("0 0 30 2 MON", "2024-01-01T00:00", "2024-02-05T00:00 Mon");
}

/* Set TZ in the environment to a zone with DST (a POSIX rule, so no
 * tzdata is needed): schedules stay in UTC, every day 24 hours long. */
static void
test_next_ignores_local_dst(void **state)
{
	static const char *const want[] = {
		"2024-03-09T02:30 Sat", "2024-03-10T02:30 Sun", "2024-03-11T02:30 Mon",
		"2024-03-30T02:30 Sat", "2024-03-31T02:30 Sun", "2024-04-01T02:30 Mon",
	};
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	struct cron c;
	time_t t = at("2024-03-08T02:30"), prev = t;

	(void) state;
	setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
	tzset();
	c = parsed("30 2 * * *");
	for (int i = 0; i < 30; i++) {
		assert_true(cron_next(&c, prev, &t));
		assert_int_equal(t - prev, 86400);
		prev = t;
	}
	check_sequence("30 2 8-11,29-31 3 *", "2024-03-08T02:30", want, 3);
	check_sequence("30 2 * 3-4 *", "2024-03-29T02:30", want + 3, 3);
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

static void
test_next_impossible(void **state)
{
	struct cron c;
	time_t t = 12345;

	(void) state;
	check_next("0 0 30 2 *", "2024-01-01T00:00", NULL);
	check_next("0 0 31 2 *", "2024-01-01T00:00", NULL);
	check_next("0 0 31 4,6,9,11 *", "2024-01-01T00:00", NULL);
	check_next("0 0 31 4,6,9,11 *", "2096-03-01T00:00", NULL);
	c = parsed("0 0 30 2 *");
	assert_false(cron_next(&c, at("2024-01-01T00:00"), &t));
	assert_int_equal(t, 12345);
	/* a struct not from cron_parse matches nothing */
	memset(&c, 0, sizeof(c));
	assert_false(cron_next(&c, 0, &t));
}

/* Before 1970, into 1970, and a time gmtime cannot represent. */
static void
test_next_edges_of_time(void **state)
{
	struct cron every = parsed("* * * * *");
	struct cron yearly = parsed("@yearly");
	time_t t;

	(void) state;
	assert_true(cron_next(&every, -1, &t));
	assert_int_equal(t, 0);
	assert_true(cron_next(&every, -61, &t));
	assert_int_equal(t, -60);
	assert_true(cron_next(&yearly, at("1969-06-01T00:00"), &t));
	assert_int_equal(t, 0);
	if (sizeof(time_t) == sizeof(long long)) {
		assert_false(cron_next(&every, (time_t) LLONG_MAX, &t));
		assert_false(cron_next(&every, (time_t) LLONG_MIN, &t));
	}
}

/* ---- cross-check against a minute-by-minute scan ---- */

/* The matching rule of cron.h, written out again. */
static bool
matches(const struct cron *c, time_t t)
{
	struct tm tm;
	bool dom, dow, day;

	assert_non_null(gmtime_r(&t, &tm));
	dom = c->dom >> tm.tm_mday & 1;
	dow = c->dow >> tm.tm_wday & 1;
	day = c->dom_restricted && c->dow_restricted ? dom || dow : dom && dow;
	return (c->minute >> tm.tm_min & 1) && (c->hour >> tm.tm_hour & 1) && day
	       && (c->month >> (tm.tm_mon + 1) & 1);
}

/* Over 80 days across a year end and a 29 February: cron_next from each
 * match (and from a second into it) finds exactly the next match. */
static void
test_next_agrees_with_scan(void **state)
{
	static const char *const texts[] = {
		"*/15 * * * *", "0 0 13 * FRI", "5 4 * * SUN", "0 0 */10 * MON",
		"30 2 1,15 * *", "0 12 * 2 *", "0 0 31 * *", "7 9-17/4 * * MON-FRI",
		"0 0 1-7 * MON", "45 23 29 FEB *",
	};
	const time_t start = at("2023-12-20T00:00"), end = start + 80 * 86400;

	(void) state;
	for (size_t i = 0; i < N(texts); i++) {
		struct cron c = parsed(texts[i]);
		time_t from = start, next;
		int found = 0;

		for (time_t t = start + 60; t < end; t += 60) {
			if (!matches(&c, t))
				continue;
			assert_true(cron_next(&c, from, &next));
			if (next != t)
				fail_msg("\"%s\" after %lld: %lld, scan %lld", texts[i],
					 (long long) from, (long long) next, (long long) t);
			assert_true(cron_next(&c, from + 1, &next));
			assert_int_equal(next, t);
			from = t;
			found++;
		}
		if (found == 0)
			fail_msg("\"%s\" never matches: the window proves nothing", texts[i]);
	}
}

/* CloudNativePG's six fields: the seconds kept apart, the rest as five. */
static void
test_parse6(void **state)
{
	struct cron c;
	char why[256];
	int sec = -1;

	(void) state;
	assert_true(cron_parse6("0 0 0 * * *", &c, &sec, why, sizeof(why)));
	assert_int_equal(sec, 0);
	assert_true(c.minute == 1 && c.hour == 1);
	assert_true(cron_parse6(" 30 */15 2 * * MON", &c, &sec, why, sizeof(why)));
	assert_int_equal(sec, 30);
	assert_true(cron_parse6("@daily", &c, &sec, why, sizeof(why)));
	assert_int_equal(sec, 0);
	assert_false(cron_parse6("*/10 * * * * *", &c, &sec, why, sizeof(why)));
	assert_non_null(strstr(why, "must be one number 0-59"));
	assert_false(cron_parse6("60 0 0 * * *", &c, &sec, why, sizeof(why)));
	/* five fields are one short: the minute is read as seconds */
	assert_false(cron_parse6("0 0 * * *", &c, &sec, why, sizeof(why)));
	assert_false(cron_parse6("0 0 0 * * * *", &c, &sec, why, sizeof(why)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stars),
		cmocka_unit_test(test_parse_numbers_ranges_lists),
		cmocka_unit_test(test_parse_steps),
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_parse_sunday_seven),
		cmocka_unit_test(test_parse_restricted),
		cmocka_unit_test(test_parse_macros),
		cmocka_unit_test(test_parse_blanks),
		cmocka_unit_test(test_parse_utc_prefix),
		cmocka_unit_test(test_parse_length_limit),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_refusal_buffers),
		cmocka_unit_test(test_next_minute),
		cmocka_unit_test(test_next_every_quarter_hour),
		cmocka_unit_test(test_next_hour_and_day),
		cmocka_unit_test(test_next_month_and_year),
		cmocka_unit_test(test_next_leap_day),
		cmocka_unit_test(test_next_dom_dow),
		cmocka_unit_test(test_next_ignores_local_dst),
		cmocka_unit_test(test_next_impossible),
		cmocka_unit_test(test_next_edges_of_time),
		cmocka_unit_test(test_next_agrees_with_scan),
		cmocka_unit_test(test_parse6),
	};

	return cmocka_run_group_tests_name("cron", tests, NULL, NULL);
}
