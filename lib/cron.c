/*
 * cron.c — Kubernetes CronJob schedules (see cron.h).
 *
 * The text is read in place, without a copy or an allocation; the five
 * fields are described once in cron_fields[] and read by the same code.
 */
#include "cron.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRON_NFIELDS 5
#define CRON_MSG_MAX 512

/* One of the five fields: its name in messages, the values it takes, where
 * '*' and "N/STEP" stop (day of week: at 6, though 7 is taken as Sunday),
 * and the three-letter names standing for lo, lo + 1, ... */
struct cron_field {
	const char        *name;
	int                lo, hi, star_hi;
	const char *const *names;
	int                nnames;
	const char        *names_what;
};

static const char *const cron_months[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
};
static const char *const cron_days[] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT",
};

static const struct cron_field cron_fields[CRON_NFIELDS] = {
	{ "minute", 0, 59, 59, NULL, 0, NULL },
	{ "hour", 0, 23, 23, NULL, 0, NULL },
	{ "day of month", 1, 31, 31, NULL, 0, NULL },
	{ "month", 1, 12, 12, cron_months, 12, "a month name (JAN-DEC)" },
	{ "day of week", 0, 7, 6, cron_days, 7, "a day name (SUN-SAT)" },
};

/* The macros Kubernetes knows, as the fields they stand for. */
static const struct {
	const char *name;
	const char *fields;
} cron_macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

#define CRON_FIELDS_HINT "(minute hour day-of-month month day-of-week)"
#define CRON_MACROS_HINT "@yearly @annually @monthly @weekly @daily @midnight @hourly"

/* What a field error names: the field, and the item being read in it. */
struct cron_ctx {
	const struct cron_field *f;
	int                      no;	/* 1-5 */
	const char              *item;
	int                      itemlen;
	char                    *why;
	size_t                   whylen;
};

static bool __attribute__((format(printf, 3, 4)))
cron_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return false;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return false;
}

/* cron_fail, the message prefixed with the field: "field 2 (hour): ...". */
static bool __attribute__((format(printf, 2, 3)))
cron_field_fail(const struct cron_ctx *x, const char *fmt, ...)
{
	char msg[CRON_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cron_fail(x->why, x->whylen, "field %d (%s): %s", x->no, x->f->name, msg);
}

static bool
cron_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *
cron_skip_blanks(const char *p)
{
	while (cron_blank(*p))
		p++;
	return p;
}

static const char *
cron_token_end(const char *p)
{
	while (*p != '\0' && !cron_blank(*p))
		p++;
	return p;
}

/* ASCII only, whatever the locale. */
static bool
cron_same_letters(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = a[i] >= 'a' && a[i] <= 'z' ? (char) (a[i] - 'a' + 'A') : a[i];
		char d = b[i] >= 'a' && b[i] <= 'z' ? (char) (b[i] - 'a' + 'A') : b[i];

		if (c != d)
			return false;
	}
	return true;
}

/* Digits only. The value stops growing past 100000, so that a long run
 * of digits is reported as out of range instead of wrapping around. */
static bool
cron_number(const char *s, size_t n, int *v)
{
	int r = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (r < 100000)
			r = r * 10 + (s[i] - '0');
	}
	*v = r;
	return true;
}

static bool
cron_name(const struct cron_field *f, const char *s, size_t n, int *v)
{
	if (n != 3)
		return false;
	for (int i = 0; i < f->nnames; i++) {
		if (cron_same_letters(s, f->names[i], 3)) {
			*v = f->lo + i;
			return true;
		}
	}
	return false;
}

/* One value of an item (s, n): a number or a name, within the field. */
static bool
cron_value(const struct cron_ctx *x, const char *s, size_t n, int *v)
{
	const struct cron_field *f = x->f;

	if (n == 0)
		return cron_field_fail(x, "missing value in \"%.*s\"", x->itemlen, x->item);
	if (f->names != NULL && cron_name(f, s, n, v))
		return true;
	if (!cron_number(s, n, v)) {
		if (f->names == NULL)
			return cron_field_fail(x, "\"%.*s\" is not a number", (int) n, s);
		return cron_field_fail(x, "\"%.*s\" is not a number or %s", (int) n, s,
				       f->names_what);
	}
	if (*v < f->lo || *v > f->hi)
		return cron_field_fail(x, "%.*s is out of range %d-%d", (int) n, s, f->lo, f->hi);
	return true;
}

/* The step after '/' (s, n). A step larger than the field's maximum is
 * refused: it could only ever match the first value, surely a mistake. */
static bool
cron_step(const struct cron_ctx *x, const char *s, size_t n, int *step)
{
	if (n == 0)
		return cron_field_fail(x, "missing step in \"%.*s\"", x->itemlen, x->item);
	if (!cron_number(s, n, step))
		return cron_field_fail(x, "step \"%.*s\" is not a number", (int) n, s);
	if (*step == 0)
		return cron_field_fail(x, "step 0 in \"%.*s\" (a step is at least 1)",
				       x->itemlen, x->item);
	if (*step > x->f->hi)
		return cron_field_fail(x, "step %.*s is out of range 1-%d", (int) n, s, x->f->hi);
	return true;
}

/* The values of an item without its step: '*', N, or A-B. A lone N with a
 * step runs to the field's maximum (Vixie's and Kubernetes' "N/STEP"). */
static bool
cron_span(const struct cron_ctx *x, size_t n, bool stepped, int *lo, int *hi)
{
	const char *s = x->item;
	const char *dash = memchr(s, '-', n);

	if (n == 1 && s[0] == '*') {
		*lo = x->f->lo;
		*hi = x->f->star_hi;
		return true;
	}
	if (!cron_value(x, s, dash != NULL ? (size_t) (dash - s) : n, lo))
		return false;
	if (dash == NULL) {
		*hi = stepped && *lo < x->f->star_hi ? x->f->star_hi : *lo;
		return true;
	}
	if (!cron_value(x, dash + 1, n - (size_t) (dash - s) - 1, hi))
		return false;
	if (*hi < *lo)
		return cron_field_fail(x, "range %.*s is reversed", (int) n, s);
	return true;
}

/* One item of a field's comma list into bits; *star when it is '*' with
 * no step or step 1 (the field is then not restricted). */
static bool
cron_item(const struct cron_ctx *x, uint64_t *bits, bool *star)
{
	size_t n = (size_t) x->itemlen;
	const char *slash = memchr(x->item, '/', n);
	size_t base = slash != NULL ? (size_t) (slash - x->item) : n;
	int lo, hi, step = 1;

	if (!cron_span(x, base, slash != NULL, &lo, &hi))
		return false;
	if (slash != NULL && !cron_step(x, slash + 1, n - base - 1, &step))
		return false;
	if (base == 1 && x->item[0] == '*' && step == 1)
		*star = true;
	for (int v = lo; v <= hi; v += step)
		*bits |= (uint64_t) 1 << v;
	return true;
}

/* One field (s, n), a comma list of items, into bits. */
static bool
cron_field_parse(struct cron_ctx *x, const char *s, size_t n, uint64_t *bits, bool *star)
{
	const char *end = s + n;
	const char *p = s;

	*bits = 0;
	*star = false;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t) (end - p));
		const char *stop = comma != NULL ? comma : end;

		if (stop == p)
			return cron_field_fail(x, "empty item in \"%.*s\"", (int) n, s);
		x->item = p;
		x->itemlen = (int) (stop - p);
		if (!cron_item(x, bits, star))
			return false;
		if (comma == NULL)
			return true;
		p = comma + 1;
	}
}

/* Split text at runs of blanks into the five fields; false, saying how
 * many there are, when there are not five. */
static bool
cron_split(const char *text, const char **tok, size_t *len, char *why, size_t whylen)
{
	const char *p = cron_skip_blanks(text);
	const char *extra = NULL;
	int extralen = 0, n = 0;

	while (*p != '\0') {
		const char *end = cron_token_end(p);

		if (n < CRON_NFIELDS) {
			tok[n] = p;
			len[n] = (size_t) (end - p);
		} else if (n == CRON_NFIELDS) {
			extra = p;
			extralen = (int) (end - p);
		}
		n++;
		p = cron_skip_blanks(end);
	}
	if (n == 0)
		return cron_fail(why, whylen, "empty schedule");
	if (n > CRON_NFIELDS)
		return cron_fail(why, whylen, "expected 5 fields " CRON_FIELDS_HINT
				 ", found %d: \"%.*s\" is one too many", n, extralen, extra);
	if (n < CRON_NFIELDS)
		return cron_fail(why, whylen, "expected 5 fields " CRON_FIELDS_HINT
				 ", found %d", n);
	return true;
}

/* "MIN HOUR DOM MON DOW" into *out. */
static bool
cron_parse_fields(const char *text, struct cron *out, char *why, size_t whylen)
{
	const char *tok[CRON_NFIELDS];
	size_t len[CRON_NFIELDS];
	uint64_t bits[CRON_NFIELDS];
	bool star[CRON_NFIELDS];

	if (!cron_split(text, tok, len, why, whylen))
		return false;
	for (int i = 0; i < CRON_NFIELDS; i++) {
		struct cron_ctx x = {
			.f = &cron_fields[i], .no = i + 1, .why = why, .whylen = whylen,
		};

		if (!cron_field_parse(&x, tok[i], len[i], &bits[i], &star[i]))
			return false;
	}
	/* 7 is another name for Sunday */
	if (bits[4] & (uint64_t) 1 << 7)
		bits[4] = (bits[4] | 1) & ~((uint64_t) 1 << 7);
	out->minute = bits[0];
	out->hour = (uint32_t) bits[1];
	out->dom = (uint32_t) bits[2];
	out->month = (uint16_t) bits[3];
	out->dow = (uint8_t) bits[4];
	out->dom_restricted = !star[2];
	out->dow_restricted = !star[4];
	return true;
}

/* "@daily" and its kind (text starts with '@'), into *out. */
static bool
cron_parse_macro(const char *text, struct cron *out, char *why, size_t whylen)
{
	const char *end = cron_token_end(text);
	const char *rest = cron_skip_blanks(end);
	size_t n = (size_t) (end - text);

	if (n == 7 && cron_same_letters(text, "@reboot", n))
		return cron_fail(why, whylen, "@reboot is not a schedule (it means once, at"
				 " start-up); give five fields or one of " CRON_MACROS_HINT);
	if (n == 6 && cron_same_letters(text, "@every", n))
		return cron_fail(why, whylen, "@every is not supported; give five fields"
				 " or one of " CRON_MACROS_HINT);
	for (size_t i = 0; i < sizeof(cron_macros) / sizeof(cron_macros[0]); i++) {
		if (strlen(cron_macros[i].name) != n
		    || !cron_same_letters(text, cron_macros[i].name, n))
			continue;
		if (*rest != '\0')
			return cron_fail(why, whylen, "unexpected \"%s\" after %.*s",
					 rest, (int) n, text);
		return cron_parse_fields(cron_macros[i].fields, out, why, whylen);
	}
	return cron_fail(why, whylen, "unknown macro \"%.*s\" (known: " CRON_MACROS_HINT ")",
			 (int) n, text);
}

/* Kubernetes' "TZ=zone " or "CRON_TZ=zone " prefix, if any, skipped into
 * *rest. pgpod computes schedules in UTC, so only UTC may be named. */
static bool
cron_parse_tz(const char *text, const char **rest, char *why, size_t whylen)
{
	const char *zone, *end;
	size_t n;

	*rest = text;
	if (strncmp(text, "TZ=", 3) == 0)
		zone = text + 3;
	else if (strncmp(text, "CRON_TZ=", 8) == 0)
		zone = text + 8;
	else
		return true;
	end = cron_token_end(zone);
	n = (size_t) (end - zone);
	if (!(n == 3 && memcmp(zone, "UTC", 3) == 0) && !(n == 7 && memcmp(zone, "Etc/UTC", 7) == 0))
		return cron_fail(why, whylen, "time zone \"%.*s\" is not supported: pgpod"
				 " evaluates schedules in UTC (name UTC or leave out %.*s)",
				 (int) n, zone, (int) (zone - text), text);
	*rest = cron_skip_blanks(end);
	if (**rest == '\0')
		return cron_fail(why, whylen, "no schedule after \"%.*s\"",
				 (int) (end - text), text);
	return true;
}

/* Control characters are refused up front, so that no reason quotes one. */
static bool
cron_check_bytes(const char *text, char *why, size_t whylen)
{
	for (const char *p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char) *p;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return cron_fail(why, whylen, "control character 0x%02x at byte %d",
					 (unsigned) c, (int) (p - text) + 1);
	}
	return true;
}

bool
cron_parse(const char *text, struct cron *out, char *why, size_t whylen)
{
	struct cron c;
	const char *p;

	if (text == NULL)
		return cron_fail(why, whylen, "empty schedule");
	if (strnlen(text, CRON_TEXT_MAX + 1) > CRON_TEXT_MAX)
		return cron_fail(why, whylen, "schedule is longer than %d bytes", CRON_TEXT_MAX);
	if (!cron_check_bytes(text, why, whylen))
		return false;
	if (!cron_parse_tz(cron_skip_blanks(text), &p, why, whylen))
		return false;
	if (*p == '@' ? !cron_parse_macro(p, &c, why, whylen)
		      : !cron_parse_fields(p, &c, why, whylen))
		return false;
	*out = c;
	return true;
}

/* The first value from `from` to `hi` whose bit is set, or -1. */
static int
cron_next_bit(uint64_t bits, int from, int hi)
{
	for (int v = from; v <= hi; v++)
		if (bits >> v & 1)
			return v;
	return -1;
}

static bool
cron_day_matches(const struct cron *c, const struct tm *tm)
{
	bool dom = c->dom >> tm->tm_mday & 1;
	bool dow = c->dow >> tm->tm_wday & 1;

	if (c->dom_restricted && c->dow_restricted)
		return dom || dow;
	return dom && dow;
}

/* Bring tm back into range after a field was stepped past its end (the
 * 32nd of a month, hour 24) and recompute the weekday. In UTC every day
 * has 24 hours of 60 minutes. tm_sec is 0, so -1 can only be an error. */
static bool
cron_normalize(struct tm *tm)
{
	time_t t = timegm(tm);

	if (t == (time_t) -1)
		return false;
	return gmtime_r(&t, tm) != NULL;
}

/* Month by month, day by day, then straight to the hour and the minute:
 * a few hundred steps even when nothing matches. */
bool
cron_next(const struct cron *c, time_t after, time_t *next)
{
	struct tm tm;
	int last_year, h, m;

	if (c->minute == 0 || c->hour == 0 || c->dom == 0 || c->month == 0 || c->dow == 0)
		return false;	/* not from cron_parse: matches nothing */
	if (gmtime_r(&after, &tm) == NULL)
		return false;
	tm.tm_sec = 0;
	tm.tm_min++;
	if (!cron_normalize(&tm))
		return false;
	last_year = tm.tm_year + CRON_SEARCH_YEARS;
	while (tm.tm_year <= last_year) {
		if (!(c->month >> (tm.tm_mon + 1) & 1)) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = tm.tm_min = 0;
		} else if (!cron_day_matches(c, &tm)
			   || (h = cron_next_bit(c->hour, tm.tm_hour, 23)) < 0) {
			tm.tm_mday++;
			tm.tm_hour = tm.tm_min = 0;
		} else {
			if (h != tm.tm_hour) {
				tm.tm_hour = h;
				tm.tm_min = 0;
			}
			m = cron_next_bit(c->minute, tm.tm_min, 59);
			if (m >= 0) {
				tm.tm_min = m;
				*next = timegm(&tm);
				return *next != (time_t) -1;
			}
			tm.tm_hour++;
			tm.tm_min = 0;
		}
		if (!cron_normalize(&tm))
			return false;
	}
	return false;
}

bool
cron_parse6(const char *text, struct cron *out, int *sec, char *why, size_t whylen)
{
	const char *p = text, *rest;
	char *end;
	long v;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '@') {
		*sec = 0;
		return cron_parse(p, out, why, whylen);
	}
	rest = p + strcspn(p, " \t");
	v = strtol(p, &end, 10);
	if (end != rest || end == p || v < 0 || v > 59) {
		if (why != NULL)
			snprintf(why, whylen, "the first of six fields (seconds) must be one number "
				 "0-59, got \"%.*s\"", (int) (rest - p > 20 ? 20 : rest - p), p);
		return false;
	}
	if (!cron_parse(rest, out, why, whylen))
		return false;
	*sec = (int) v;
	return true;
}
