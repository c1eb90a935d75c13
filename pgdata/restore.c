/*
 * restore.c — the restore bootstrap from a pgBackRest repository (see
 * restore.h): the checks before anything is written.
 */
#include "restore.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pgbackrest.h"

bool
restore_asked(const struct spec *s)
{
	return s->bootstrap == SPEC_BOOTSTRAP_RECOVERY
		&& (s->restore.source_kind == SPEC_SOURCE_DATASOURCE_REPO
		    || s->restore.source_kind == SPEC_SOURCE_CLUSTER
		    || s->restore.source_kind == SPEC_SOURCE_REPO);
}

/* "+HH", "-HH:MM", "+HHMM", "Z" or nothing (UTC): seconds east of UTC. */
static bool
parse_zone(const char *p, long *east)
{
	int h = 0, m = 0, sign;

	*east = 0;
	while (*p == ' ')
		p++;
	if (*p == '\0' || strcmp(p, "Z") == 0 || strcmp(p, "UTC") == 0 || strcmp(p, "+00") == 0)
		return true;
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char) p[0]) || !isdigit((unsigned char) p[1]))
		return false;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	p += 2;
	if (*p == ':')
		p++;
	if (isdigit((unsigned char) p[0]) && isdigit((unsigned char) p[1])) {
		m = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
	}
	if (*p != '\0' || h > 15 || m > 59)
		return false;
	*east = sign * (h * 3600L + m * 60L);
	return true;
}

bool
restore_parse_time(const char *text, double *out)
{
	struct tm tm = { 0 };
	double frac = 0;
	const char *p;
	long east;
	int n = 0;

	if (sscanf(text, "%4d-%2d-%2d%*1[ T]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return false;
	p = text + n;
	if (*p == '.') {
		char *end;

		frac = strtod(p, &end);
		p = end;
	}
	if (!parse_zone(p, &east) || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1
	    || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = (double) timegm(&tm) - (double) east + frac;
	return true;
}

void
restore_utc_text(double t, char *buf, size_t cap)
{
	time_t secs = (time_t) t;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M:%S+00", &tm);
}

/* The repository answers and holds a backup of the stanza: one message
 * for each way it does not (pgBackRest's own words kept). */
static bool
check_info(const char *path, const struct pgbr_target *t, const struct pgbr_info *info)
{
	if (info->status == 1 || info->status == 3) {
		log_error("%s: repo%d has no stanza \"%s\" (pgBackRest: %s): check the stanza name and "
			  "the repository's path (repo%d-path)", path, t->repo, t->stanza, info->message,
			  t->repo);
		return false;
	}
	if (info->status != 0 && info->status != 2) {
		log_error("%s: repo%d cannot be read (pgBackRest: %s): check its settings and "
			  "credentials", path, t->repo, info->message);
		return false;
	}
	if (info->n == 0) {
		log_error("%s: repo%d holds no backup of stanza \"%s\": take one on the source first "
			  "(pgpod backup, or PGO's manual backup)", path, t->repo, t->stanza);
		return false;
	}
	return true;
}

/* The backup restored: --set's, else the newest; of the installed major. */
static const struct pgbr_backup *
check_backup(const struct settings *set, const struct spec *s, const char *backup_id,
	     const struct pgbr_target *t, const struct pgbr_info *info)
{
	const struct pgbr_backup *b = &info->backups[info->n - 1];

	if (backup_id != NULL) {
		b = NULL;
		for (size_t i = 0; i < info->n && b == NULL; i++)
			if (strcmp(info->backups[i].label, backup_id) == 0)
				b = &info->backups[i];
		if (b == NULL) {
			log_error("%s: repo%d has no backup \"%s\"; its backups are %s .. %s (%zu)",
				  spec_path(s, "bootstrap.restore.backupID"), t->repo,
				  backup_id, info->backups[0].label,
				  info->backups[info->n - 1].label, info->n);
			return NULL;
		}
	}
	if (atoi(b->pg_version) != set->pg_major) {
		log_error("backup %s in repo%d is of PostgreSQL %s and this pod runs PostgreSQL "
			  "%d: restore it with a PostgreSQL %s image, then upgrade", b->label, t->repo,
			  b->pg_version, set->pg_major, b->pg_version);
		return NULL;
	}
	return b;
}

/* A time target after the end of a backup it can start from. pgBackRest
 * 2.45 picks the newest backup that ended before the target, comparing
 * whole seconds, strictly. */
static bool
check_time(const struct spec *s, const struct pgbr_info *info, const struct pgbr_backup *chosen)
{
	const struct pgbr_backup *first = s->restore.backup_id ? chosen : &info->backups[0];
	char path[200], stop[40];
	double t;

	if (s->restore.target.kind != SPEC_TARGET_TIME || s->restore.target.value == NULL
	    || !restore_parse_time(s->restore.target.value, &t))
		return true;	/* postgres checks the form itself */
	if ((long long) t > (long long) first->stop)
		return true;
	snprintf(path, sizeof(path), "%s", spec_path(s, "bootstrap.restore.target.time"));
	restore_utc_text(first->stop, stop, sizeof(stop));
	log_error("%s: the target time \"%s\" is not after the end of %s (%s ended at %s): "
		  "pgBackRest 2.45 needs a target later than the backup's end, in whole seconds, "
		  "strictly; pick a later time%s", path, s->restore.target.value,
		  s->restore.backup_id ? "the backup asked for" : "every backup in the repository",
		  first->label, stop, s->restore.backup_id ? " or an older backup" : "");
	return false;
}

/* A numbered target timeline has WAL or a history file in the archive. */
static bool
check_timeline(const struct settings *set, const struct spec *s, const struct pgbr_target *t,
	       const struct pgbr_info *info)
{
	const char *tl = s->restore.target.timeline;
	char *end;
	long n;

	if (tl == NULL || strcmp(tl, "latest") == 0 || strcmp(tl, "current") == 0)
		return true;
	n = strtol(tl, &end, 0);
	if (*end != '\0' || n < 1) {
		log_error("%s: \"%s\" is not a timeline: write latest, current or a number",
			  spec_path(s, "bootstrap.restore.target.timeline"), tl);
		return false;
	}
	if (n == 1 || pgbr_timeline_exists(set, t, info->archive_id, n))
		return true;
	log_error("%s: timeline %ld does not exist in the WAL archive of repo%d (%s)",
		  spec_path(s, "bootstrap.restore.target.timeline"), n, t->repo, info->archive_id);
	return false;
}

/* Targets a bootstrap restore cannot have. */
static bool
check_target_kind(const struct spec *s)
{
	enum spec_target_kind k = s->restore.target.kind;

	if (k != SPEC_TARGET_STANDBY && k != SPEC_TARGET_PRESERVE)
		return true;
	log_error("%s: --type=%s is not a bootstrap restore: %s", spec_path(s,
		  "bootstrap.restore.target.type"), spec_target_name(k), k == SPEC_TARGET_STANDBY
		  ? "a standby fed from a repository is spec.standby {enabled, repoName}"
		  : "pgpod writes the recovery settings of the restored cluster itself");
	return false;
}

/* The repository's configuration file, then what it holds. */
static bool
restore_target(const struct settings *set, const struct spec *s, const struct inputs *in,
	       struct pgbr_target *t)
{
	struct pgbr_target own;
	char staging[PATH_MAX];

	pgbr_own(set, &own);
	if (!pgbr_source(set, s, &own, t))
		return false;
	if (s->restore.source_kind == SPEC_SOURCE_CLUSTER && s->restore_repo.name == NULL) {
		log_error("%s: the repository of cluster \"%s\" is unknown: put the PostgresCluster "
			  "manifest of \"%s\" in the spec file as another document, with %s in its "
			  "spec.backups.pgbackrest.repos", spec_path(s, "bootstrap.clone.source"),
			  s->clone_source ? s->clone_source : "", s->clone_source ? s->clone_source : "",
			  s->restore.source ? s->restore.source : "the repository");
		return false;
	}
	snprintf(staging, sizeof(staging), "%s/%s", set->pgdata, BOOT_STAGING);
	if (strcmp(t->conf, own.conf) == 0)
		return pgbr_write_conf(set, s, in);
	return pgbr_write_source_conf(set, s, in, staging);
}

/* What the repository holds, for a restore (targets) or a standby. */
static bool
repo_check(const struct settings *set, const struct spec *s, const struct pgbr_target *t,
	   const char *path, bool restore)
{
	const char *backup_id = restore ? s->restore.backup_id : NULL;
	const struct pgbr_backup *chosen;
	struct pgbr_info info;
	char why[512];
	bool ok;

	if (!pgbr_info(set, t, &info, why, sizeof(why))) {
		log_error("%s: repo%d of stanza \"%s\" cannot be read: %s; check the repository's "
			  "settings and credentials", path, t->repo, t->stanza, why);
		return false;
	}
	ok = check_info(path, t, &info) && (chosen = check_backup(set, s, backup_id, t, &info))
		&& (!restore || (check_time(s, &info, chosen) && check_timeline(set, s, t, &info)));
	if (ok)
		log_info("repo%d of stanza \"%s\" holds %zu backup%s; restoring %s%s (PostgreSQL %s)",
			 t->repo, t->stanza, info.n, info.n == 1 ? "" : "s", backup_id
			 ? "backup " : "from the newest fitting backup, now ", chosen->label,
			 chosen->pg_version);
	pgbr_info_free(&info);
	return ok;
}

bool
restore_check(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	struct pgbr_target t;

	return check_target_kind(s) && restore_target(set, s, in, &t)
		&& repo_check(set, s, &t, spec_path(s, "bootstrap.restore.source"), true);
}

bool
standby_asked(const struct spec *s)
{
	return s->standby_enabled == 1 && s->standby_source_kind == SPEC_SOURCE_REPO;
}

/* This cluster's repository standby.repoName, its configuration written. */
static bool
standby_target(const struct settings *set, const struct spec *s, const struct inputs *in,
	       struct pgbr_target *t)
{
	const char *name = s->standby_source;

	pgbr_own(set, t);
	if (name == NULL || strlen(name) != 5 || strncmp(name, "repo", 4) != 0 || name[4] < '1'
	    || name[4] > '4') {
		log_error("%s: \"%s\" is not a pgBackRest repository name (repo1 to repo4)",
			  spec_path(s, "standby.source"), name ? name : "");
		return false;
	}
	t->repo = name[4] - '0';
	return pgbr_write_conf(set, s, in);
}

bool
standby_check(const struct settings *set, const struct spec *s, const struct inputs *in)
{
	struct pgbr_target t;

	return standby_target(set, s, in, &t)
		&& repo_check(set, s, &t, spec_path(s, "standby.source"), false);
}

bool
standby_prepare(struct boot *b)
{
	if (!standby_target(b->set, b->s, b->in, &b->source)
	    || !upstream_recovery(b->set, b->s, b->in, true, &b->up, &b->rec))
		return false;
	b->resumable = true;
	b->restore = &b->s->restore;
	log_info("making \"%s\" a standby fed from pgBackRest repo%d (stanza \"%s\")%s%s",
		 b->set->pgdata, b->source.repo, b->source.stanza, b->s->standby_host
		 ? " and streaming from " : "", b->s->standby_host ? b->s->standby_host : "");
	return true;
}
