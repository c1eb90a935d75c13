/*
 * chart_backups.h — the `backups:` section of the CloudNativePG cluster
 * chart's values (cloudnative-pg/charts, charts/cluster 0.8) rendered as its
 * templates render it, in CloudNativePG's shapes, for the chart dialect to
 * read like a Cluster's spec.backup and ScheduledBackup documents.
 */
#ifndef PGPOD_CHART_BACKUPS_H
#define PGPOD_CHART_BACKUPS_H

#include <json-c/json.h>
#include <stddef.h>

#include "diag.h"

/* What the chart renders from an enabled backups: section. */
struct chart_backups {
	struct json_object *store;	/* a barmanObjectStore; NULL: none (an error) */
	struct json_object *retention;	/* the retentionPolicy value; NULL: none */
	struct json_object *scheduled;	/* one ScheduledBackup document per
					 * scheduledBackups item, null for one left
					 * out (an error); NULL: none */
	const char         *secret_path; /* where the credentials' Secret is named,
					 * relative to the store ("secret.name") */
};

/* The chart's fullname as pgpod takes it: fullnameOverride, else
 * nameOverride (there is no Helm release name to prefix it with), else
 * name, cut to 63 bytes without a trailing '-' as the chart does. An
 * override that is no Kubernetes object name is an error by its path. */
void chart_fullname(struct json_object *values, const char *name, char *buf, size_t cap,
		    struct diag *d);

/* Render an enabled backups: section (at path "backups") of a cluster of
 * that fullname. Every problem the chart's templates would have (a missing
 * bucket or region, an unknown provider, a method pgpod does not run) is an
 * error by the chart's path. */
void chart_backups_render(struct json_object *backups, const char *fullname,
			  struct chart_backups *out, struct diag *d);
void chart_backups_free(struct chart_backups *r);

/* The paths the section may hold, relative to it, and those of one
 * scheduledBackups item: anything else is warned as unknown. */
extern const char *const chart_backups_paths[];
extern const size_t chart_backups_npaths;
extern const char *const chart_scheduled_paths[];
extern const size_t chart_scheduled_npaths;

#endif
