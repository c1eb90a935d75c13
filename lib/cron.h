/*
 * cron.h — the five-field schedules of Kubernetes CronJobs, as PGO and
 * Percona put them in spec.backups.pgbackrest.repos[].schedules (full,
 * differential, incremental): parsed into bitsets, and the next matching
 * minute computed in UTC, so pgpod can say when a backup is due.
 *
 * The syntax is the one Kubernetes accepts (robfig/cron's standard parser),
 * minus what has no place here ('?', @every, time zones other than UTC, a
 * step larger than the field's maximum), plus 7 for Sunday as in Vixie cron.
 */
#ifndef PGPOD_CRON_H
#define PGPOD_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Longer schedule texts are refused rather than parsed. */
#define CRON_TEXT_MAX 256

/* How far cron_next looks: 8 years is the longest gap between two
 * 29 Februaries (2096 to 2104), the rarest day a schedule can ask for. */
#define CRON_SEARCH_YEARS 8

/*
 * Bit n set: value n matches. A field is "restricted" unless it was '*' or
 * '*' with step 1 (one such item is enough); a star with a larger step
 * (every other day) is restricted, as in Kubernetes. Day of month and day
 * of week combine the Vixie way: both restricted, either one matching is
 * enough; otherwise both must match (the '*' one always does).
 */
struct cron {
	uint64_t minute;		/* bits 0-59 */
	uint32_t hour;			/* bits 0-23 */
	uint32_t dom;			/* bits 1-31 */
	uint16_t month;			/* bits 1-12 */
	uint8_t  dow;			/* bits 0-6, 0 is Sunday (7 is read as 0) */
	bool     dom_restricted;
	bool     dow_restricted;
};

/*
 * Parse "MIN HOUR DOM MON DOW" (blanks are runs of spaces and tabs), each
 * field a comma list of '*', N, A-B, with an optional /STEP ("N/STEP" runs
 * from N to the field's maximum); JAN-DEC and SUN-SAT in any case; or one
 * of @yearly @annually @monthly @weekly @daily @midnight @hourly. A leading
 * "TZ=" or "CRON_TZ=" may only name UTC or Etc/UTC. False with the reason
 * in why (naming the field and the text at fault), *out untouched; why may
 * be NULL.
 */
bool cron_parse(const char *text, struct cron *out, char *why, size_t whylen)
	__attribute__((warn_unused_result));

/*
 * CloudNativePG's six fields ("SEC MIN HOUR DOM MON DOW", ScheduledBackup):
 * the seconds field must be one number 0-59 (a backup is not a
 * per-second job), into *sec; the other five as cron_parse. Also the @
 * forms (seconds 0).
 */
bool cron_parse6(const char *text, struct cron *out, int *sec, char *why, size_t whylen)
	__attribute__((warn_unused_result));

/*
 * The first minute strictly after `after` (UTC, seconds dropped) that c
 * matches, into *next. False when nothing matches within CRON_SEARCH_YEARS
 * ("0 0 30 2 *") or the time cannot be represented.
 */
bool cron_next(const struct cron *c, time_t after, time_t *next)
	__attribute__((warn_unused_result));

#endif
