/*
 * dialect.c — the four dialect readers. Each dialect is a table that maps a
 * document path to a model key of spec_fields[]; one walker reads every
 * table, converts values by the model's type (lists of objects by their
 * item tables), records where each value came from (for error messages)
 * and warns about fields nobody reads, inside items too. PGO's pgBackRest
 * restore options are split and interpreted into the restore shape here.
 */
#include "dialect.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_backups.h"
#include "yamljson.h"

struct dialect_map {
	const char *path;	/* document path, "." separated */
	const char *key;	/* model key in spec_fields[] */
	int         arg;	/* ENUM: the value it takes when path is there */
};

/* CloudNativePG Cluster. The chart dialect reuses it with paths rewritten
 * (spec.bootstrap.X -> bootstrapDB.X, spec.X -> X). */
static const struct dialect_map cnpg_map[] = {
	{ "metadata.name", "name", 0 },
	{ "spec.instances", "instances", 0 },
	{ "spec.bootstrap.initdb.database", "bootstrap.database", 0 },
	{ "spec.bootstrap.initdb.owner", "bootstrap.owner", 0 },
	{ "spec.bootstrap.initdb.secret.name", "bootstrap.secret", 0 },
	{ "spec.bootstrap.initdb.dataChecksums", "bootstrap.initdb.dataChecksums", 0 },
	{ "spec.bootstrap.initdb.encoding", "bootstrap.initdb.encoding", 0 },
	{ "spec.bootstrap.initdb.locale", "bootstrap.initdb.locale", 0 },
	{ "spec.bootstrap.initdb.localeCollate", "bootstrap.initdb.localeCollate", 0 },
	{ "spec.bootstrap.initdb.localeCType", "bootstrap.initdb.localeCType", 0 },
	{ "spec.bootstrap.initdb.localeProvider", "bootstrap.initdb.localeProvider", 0 },
	{ "spec.bootstrap.initdb.icuLocale", "bootstrap.initdb.icuLocale", 0 },
	{ "spec.bootstrap.initdb.icuRules", "bootstrap.initdb.icuRules", 0 },
	{ "spec.bootstrap.initdb.builtinLocale", "bootstrap.initdb.builtinLocale", 0 },
	{ "spec.bootstrap.initdb.walSegmentSize", "bootstrap.initdb.walSegmentSize", 0 },
	{ "spec.bootstrap.initdb.options", "bootstrap.initdb.options", 0 },
	{ "spec.bootstrap.initdb.postInitSQL", "bootstrap.initdb.postInitSQL", 0 },
	{ "spec.bootstrap.initdb.postInitSQLRefs.secretRefs", "bootstrap.initdb.postInitSQLRefs.secretRefs", 0 },
	{ "spec.bootstrap.initdb.postInitSQLRefs.configMapRefs", "bootstrap.initdb.postInitSQLRefs.configMapRefs", 0 },
	{ "spec.bootstrap.initdb.postInitTemplateSQL", "bootstrap.initdb.postInitTemplateSQL", 0 },
	{ "spec.bootstrap.initdb.postInitTemplateSQLRefs.secretRefs", "bootstrap.initdb.postInitTemplateSQLRefs.secretRefs", 0 },
	{ "spec.bootstrap.initdb.postInitTemplateSQLRefs.configMapRefs", "bootstrap.initdb.postInitTemplateSQLRefs.configMapRefs", 0 },
	{ "spec.bootstrap.initdb.postInitApplicationSQL", "bootstrap.initdb.postInitApplicationSQL", 0 },
	{ "spec.bootstrap.initdb.postInitApplicationSQLRefs.secretRefs", "bootstrap.initdb.postInitApplicationSQLRefs.secretRefs", 0 },
	{ "spec.bootstrap.initdb.postInitApplicationSQLRefs.configMapRefs", "bootstrap.initdb.postInitApplicationSQLRefs.configMapRefs", 0 },
	{ "spec.bootstrap.initdb.import.type", "bootstrap.initdb.import.type", 0 },
	{ "spec.bootstrap.initdb.import.databases", "bootstrap.initdb.import.databases", 0 },
	{ "spec.bootstrap.initdb.import.roles", "bootstrap.initdb.import.roles", 0 },
	{ "spec.bootstrap.initdb.import.source.externalCluster", "bootstrap.initdb.import.source", 0 },
	{ "spec.bootstrap.initdb.import.schemaOnly", "bootstrap.initdb.import.schemaOnly", 0 },
	{ "spec.bootstrap.initdb.import.postImportApplicationSQL", "bootstrap.initdb.import.postImportApplicationSQL", 0 },
	{ "spec.bootstrap.initdb.import.pgDumpExtraOptions", "bootstrap.initdb.import.pgDumpExtraOptions", 0 },
	{ "spec.bootstrap.initdb.import.pgRestoreExtraOptions", "bootstrap.initdb.import.pgRestoreExtraOptions", 0 },
	{ "spec.bootstrap.initdb.import.pgRestorePredataOptions", "bootstrap.initdb.import.pgRestorePredataOptions", 0 },
	{ "spec.bootstrap.initdb.import.pgRestoreDataOptions", "bootstrap.initdb.import.pgRestoreDataOptions", 0 },
	{ "spec.bootstrap.initdb.import.pgRestorePostdataOptions", "bootstrap.initdb.import.pgRestorePostdataOptions", 0 },
	{ "spec.bootstrap.pg_basebackup.source", "bootstrap.clone.source", 0 },
	{ "spec.bootstrap.pg_basebackup.database", "bootstrap.database", 0 },
	{ "spec.bootstrap.pg_basebackup.owner", "bootstrap.owner", 0 },
	{ "spec.bootstrap.pg_basebackup.secret.name", "bootstrap.secret", 0 },
	{ "spec.bootstrap.recovery.source", "bootstrap.restore.source", 0 },
	{ "spec.bootstrap.recovery.source", "bootstrap.restore.sourceKind", SPEC_SOURCE_EXTERNAL },
	{ "spec.bootstrap.recovery.database", "bootstrap.database", 0 },
	{ "spec.bootstrap.recovery.owner", "bootstrap.owner", 0 },
	{ "spec.bootstrap.recovery.secret.name", "bootstrap.secret", 0 },
	{ "spec.bootstrap.recovery.backup.name", "bootstrap.restore.backupObject", 0 },
	{ "spec.bootstrap.recovery.recoveryTarget.backupID", "bootstrap.restore.backupID", 0 },
	{ "spec.bootstrap.recovery.recoveryTarget.targetTime", "bootstrap.restore.target.time", 0 },
	{ "spec.bootstrap.recovery.recoveryTarget.targetXID", "bootstrap.restore.target.xid", 0 },
	{ "spec.bootstrap.recovery.recoveryTarget.targetName", "bootstrap.restore.target.name", 0 },
	{ "spec.bootstrap.recovery.recoveryTarget.targetLSN", "bootstrap.restore.target.lsn", 0 },
	{ "spec.bootstrap.recovery.recoveryTarget.targetTLI", "bootstrap.restore.target.timeline", 0 },
	{ "spec.bootstrap.recovery.recoveryTarget.targetImmediate", "bootstrap.restore.target.immediate", 0 },
	{ "spec.bootstrap.recovery.recoveryTarget.exclusive", "bootstrap.restore.target.exclusive", 0 },
	{ "spec.replica.enabled", "standby.enabled", 0 },
	{ "spec.replica.enabled", "standby.sourceKind", SPEC_SOURCE_EXTERNAL },
	{ "spec.replica.source", "standby.source", 0 },
	{ "spec.replica.source", "standby.sourceKind", SPEC_SOURCE_EXTERNAL },
	{ "spec.replica.minApplyDelay", "standby.minApplyDelay", 0 },
	{ "spec.postgresql.parameters", "postgresql.parameters", 0 },
	{ "spec.postgresql.pg_hba", "postgresql.pg_hba", 0 },
	{ "spec.postgresql.shared_preload_libraries", "postgresql.shared_preload_libraries", 0 },
	{ "spec.superuserSecret.name", "superuser.secret", 0 },
	{ "spec.certificates.serverTLSSecret", "certificates.serverTLSSecret", 0 },
	{ "spec.certificates.serverCASecret", "certificates.serverCASecret", 0 },
	{ "spec.certificates.clientCASecret", "certificates.clientCASecret", 0 },
	{ "spec.certificates.replicationTLSSecret", "certificates.replicationTLSSecret", 0 },
	{ "spec.certificates.serverAltDNSNames", "certificates.serverAltDNSNames", 0 },
	{ "spec.enableSuperuserAccess", "superuser.enableAccess", 0 },
	{ "spec.smartShutdownTimeout", "smartShutdownTimeout", 0 },
	{ "spec.stopDelay", "stopDelay", 0 },
	{ "spec.startDelay", "startDelay", 0 },
	{ "spec.probes.readiness.maximumLag", "probes.readiness.maximumLag", 0 },
	{ "spec.externalClusters", "externalClusters", 0 },
	{ "spec.backup.barmanObjectStore", "backup.objectStore", 0 },
	{ "spec.backup.retentionPolicy", "backup.retentionPolicy", 0 },
	{ "spec.managed.roles", "managed.roles", 0 },
};

/* Crunchy PGO and Percona (a PGO v5 fork) share one reader. */
static const struct dialect_map pgo_map[] = {
	{ "metadata.name", "name", 0 },
	{ "spec.postgresVersion", "postgresql.version", 0 },
	{ "spec.patroni.dynamicConfiguration.postgresql.parameters", "postgresql.parameters", 0 },
	{ "spec.patroni.dynamicConfiguration.postgresql.pg_hba", "postgresql.pg_hba", 0 },
	{ "spec.config.parameters", "postgresql.parameters", 0 },
	{ "spec.databaseInitSQL", "bootstrap.initdb.postInitSQLRefs.configMapRefs", 0 },
	{ "spec.dataSource.postgresCluster.clusterName", "bootstrap.clone.source", 0 },
	{ "spec.dataSource.postgresCluster.repoName", "bootstrap.restore.source", 0 },
	{ "spec.dataSource.postgresCluster.repoName", "bootstrap.restore.sourceKind", SPEC_SOURCE_CLUSTER },
	{ "spec.dataSource.postgresCluster.options", "bootstrap.restore.options", 0 },
	{ "spec.dataSource.pgbackrest.stanza", "bootstrap.restore.stanza", 0 },
	{ "spec.dataSource.pgbackrest.repo.name", "bootstrap.restore.source", 0 },
	{ "spec.dataSource.pgbackrest.repo.name", "bootstrap.restore.sourceKind", SPEC_SOURCE_DATASOURCE_REPO },
	{ "spec.dataSource.pgbackrest.global", "bootstrap.restore.pgbackrest.global", 0 },
	{ "spec.dataSource.pgbackrest.options", "bootstrap.restore.options", 0 },
	{ "spec.backups.pgbackrest.global", "pgbackrest.global", 0 },
	{ "spec.backups.pgbackrest.configuration", "pgbackrest.configuration", 0 },
	{ "spec.dataSource.pgbackrest.configuration", "bootstrap.restore.pgbackrest.configuration", 0 },
	{ "spec.backups.pgbackrest.restore.enabled", "restoreInPlace.enabled", 0 },
	{ "spec.backups.pgbackrest.restore.repoName", "restoreInPlace.repo", 0 },
	{ "spec.backups.pgbackrest.restore.repoName", "restoreInPlace.sourceKind", SPEC_SOURCE_REPO },
	{ "spec.backups.pgbackrest.restore.options", "restoreInPlace.options", 0 },
	{ "spec.standby.enabled", "standby.enabled", 0 },
	{ "spec.standby.repoName", "standby.source", 0 },
	{ "spec.standby.repoName", "standby.sourceKind", SPEC_SOURCE_REPO },
	{ "spec.standby.host", "standby.host", 0 },
	{ "spec.standby.port", "standby.port", 0 },
	{ "spec.instances", "instanceSets", 0 },
	{ "spec.backups.pgbackrest.repos", "repos", 0 },
	{ "spec.dataSource.pgbackrest.repo", "bootstrap.restore.repo", 0 },
	{ "spec.users", "roles", 0 },
	/* one Secret with the server's certificate, its key and the CA that
	 * signed it, which also signs the clients' (PGO's rule) */
	{ "spec.customTLSSecret.name", "certificates.serverTLSSecret", 0 },
	{ "spec.customTLSSecret.name", "certificates.serverCASecret", 0 },
	{ "spec.customTLSSecret.name", "certificates.clientCASecret", 0 },
	{ "spec.customReplicationTLSSecret.name", "certificates.replicationTLSSecret", 0 },
};

/* Fields of the document that belong to the operator (scheduling, storage,
 * images, ...): known, accepted, and not pgpod's business. None may be (an
 * ancestor of) a path a map reads: a typo beside a field pgpod reads is
 * warned about (dialect_check_tables). */
static const char *const meta_ignored[] = {
	"apiVersion", "kind", "status", "metadata.namespace", "metadata.labels",
	"metadata.annotations", "metadata.uid", "metadata.resourceVersion", "metadata.generation",
	"metadata.creationTimestamp", "metadata.deletionTimestamp",
	"metadata.deletionGracePeriodSeconds", "metadata.ownerReferences", "metadata.finalizers",
	"metadata.managedFields", "metadata.generateName", "metadata.selfLink",
};

static const char *const cnpg_ignored[] = {
	"spec.imageName",
	"spec.imageCatalogRef", "spec.imagePullPolicy", "spec.imagePullSecrets",
	"spec.storage", "spec.walStorage", "spec.tablespaces", "spec.resources",
	"spec.affinity", "spec.topologySpreadConstraints", "spec.monitoring",
	"spec.backup.target", "spec.backup.volumeSnapshot", "spec.env",
	"spec.envFrom", "spec.description", "spec.inheritedMetadata",
	"spec.logLevel", "spec.nodeMaintenanceWindow", "spec.primaryUpdateStrategy",
	"spec.primaryUpdateMethod", "spec.priorityClassName",
	"spec.projectedVolumeTemplate", "spec.schedulerName", "spec.seccompProfile",
	"spec.serviceAccountTemplate", "spec.switchoverDelay", "spec.failoverDelay",
	"spec.livenessProbeTimeout", "spec.maxSyncReplicas", "spec.minSyncReplicas",
	"spec.postgresGID", "spec.postgresUID", "spec.plugins",
	"spec.probes.startup", "spec.probes.liveness", "spec.probes.readiness.initialDelaySeconds",
	"spec.probes.readiness.timeoutSeconds", "spec.probes.readiness.periodSeconds",
	"spec.probes.readiness.successThreshold", "spec.probes.readiness.failureThreshold",
	"spec.probes.readiness.terminationGracePeriodSeconds", "spec.probes.readiness.type",
	"spec.enablePDB", "spec.ephemeralVolumeSource", "spec.ephemeralVolumesSizeLimit",
	"spec.podSecurityContext", "spec.securityContext", "spec.postgresql.synchronous",
	"spec.postgresql.ldap", "spec.postgresql.promotionTimeout",
	"spec.postgresql.syncReplicaElectionConstraint", "spec.postgresql.enableAlterSystem",
	"spec.postgresql.extensions", "spec.replicationSlots", "spec.replica.primary",
	"spec.replica.promotionToken", "spec.replica.self", "spec.topologySpreadConstraints",
	"spec.managed.services", "spec.bootstrap.recovery.volumeSnapshots",
	"spec.bootstrap.recovery.backup.endpointCA",
	/* chart values */
	"type", "mode", "version", "cluster", "backups", "pooler", "poolers",
	"imageName", "imageCatalog", "storage", "walStorage", "backup", "resources",
	"affinity", "monitoring", "nameOverride", "fullnameOverride", "namespaceOverride",
	"bootstrapDB.recovery.backup.endpointCA",
};

static const char *const pgo_ignored[] = {
	"spec.image", "spec.imagePullPolicy",
	"spec.imagePullSecrets", "spec.backups.pgbackrest.image",
	"spec.backups.pgbackrest.manual", "spec.backups.pgbackrest.jobs",
	"spec.backups.pgbackrest.repoHost", "spec.backups.pgbackrest.sidecars",
	"spec.backups.pgbackrest.metadata", "spec.backups.pgbackrest.restore.resources",
	"spec.backups.pgbackrest.restore.affinity", "spec.backups.pgbackrest.restore.tolerations",
	"spec.backups.snapshots", "spec.backups.trackLatestRestorableTime",
	"spec.dataSource.postgresCluster.clusterNamespace", "spec.dataSource.postgresCluster.resources",
	"spec.dataSource.postgresCluster.affinity", "spec.dataSource.postgresCluster.tolerations",
	"spec.dataSource.postgresCluster.priorityClassName",
	"spec.dataSource.pgbackrest.resources", "spec.dataSource.pgbackrest.affinity",
	"spec.dataSource.pgbackrest.tolerations", "spec.dataSource.volumes",
	"spec.port", "spec.service", "spec.replicaService", "spec.proxy",
	"spec.monitoring", "spec.pmm", "spec.shutdown", "spec.paused",
	"spec.openshift",
	"spec.crVersion", "spec.userInterface", "spec.extensions", "spec.expose",
	"spec.exposeReplicas", "spec.autoCreateUserSchema", "spec.secrets",
	"spec.disableDefaultPodScheduling", "spec.postGISVersion",
	"spec.instanceSets", "spec.config.files", "spec.tlsOnly", "spec.authentication",
	"spec.supplementalGroups", "spec.standby.maxAcceptableLag",
	/* Patroni: the operator's settings, and the dynamic configuration beside
	 * the parameters and pg_hba pgpod reads */
	"spec.patroni.leaderLeaseDurationSeconds", "spec.patroni.port",
	"spec.patroni.syncPeriodSeconds", "spec.patroni.switchover", "spec.patroni.logging",
	"spec.patroni.createReplicaMethods", "spec.patroni.removeDataDirectoryOnDivergedTimelines",
	"spec.patroni.dynamicConfiguration.loop_wait", "spec.patroni.dynamicConfiguration.ttl",
	"spec.patroni.dynamicConfiguration.retry_timeout",
	"spec.patroni.dynamicConfiguration.maximum_lag_on_failover",
	"spec.patroni.dynamicConfiguration.maximum_lag_on_syncnode",
	"spec.patroni.dynamicConfiguration.max_timelines_history",
	"spec.patroni.dynamicConfiguration.primary_start_timeout",
	"spec.patroni.dynamicConfiguration.primary_stop_timeout",
	"spec.patroni.dynamicConfiguration.master_start_timeout",
	"spec.patroni.dynamicConfiguration.master_stop_timeout",
	"spec.patroni.dynamicConfiguration.synchronous_mode",
	"spec.patroni.dynamicConfiguration.synchronous_mode_strict",
	"spec.patroni.dynamicConfiguration.synchronous_node_count",
	"spec.patroni.dynamicConfiguration.failsafe_mode",
	"spec.patroni.dynamicConfiguration.check_timeline",
	"spec.patroni.dynamicConfiguration.member_slots_ttl",
	"spec.patroni.dynamicConfiguration.primary_race_backoff",
	"spec.patroni.dynamicConfiguration.standby_cluster",
	"spec.patroni.dynamicConfiguration.slots", "spec.patroni.dynamicConfiguration.ignore_slots",
	"spec.patroni.dynamicConfiguration.postgresql.use_pg_rewind",
	"spec.patroni.dynamicConfiguration.postgresql.use_slots",
	"spec.patroni.dynamicConfiguration.postgresql.recovery_conf",
	"spec.patroni.dynamicConfiguration.postgresql.pg_ident",
	"spec.patroni.dynamicConfiguration.postgresql.remove_data_directory_on_rewind_failure",
	"spec.patroni.dynamicConfiguration.postgresql.remove_data_directory_on_diverged_timelines",
};

enum dialect_kind {
	DK_CNPG,
	DK_CHART,
	DK_PGO,
};

#define COUNT(a) (sizeof(a) / sizeof(a[0]))

/* One dialect: its map and the operator's fields it accepts silently. */
static const struct dialect_desc {
	const char *name;
	const struct dialect_map *map;
	size_t      nmap;
	const char *const *ignored;
	size_t      nignored;
} dialects[] = {
	[DK_CNPG] = { "cloudnative-pg", cnpg_map, COUNT(cnpg_map), cnpg_ignored, COUNT(cnpg_ignored) },
	[DK_CHART] = { "chart", cnpg_map, COUNT(cnpg_map), cnpg_ignored, COUNT(cnpg_ignored) },
	[DK_PGO] = { "pgo", pgo_map, COUNT(pgo_map), pgo_ignored, COUNT(pgo_ignored) },
};

/* ---- document access ---- */

static struct json_object *
doc_get(struct json_object *root, const char *path)
{
	struct json_object *cur = root;
	const char *p = path;

	while (cur != NULL && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t) (dot - p) : strlen(p);
		char part[128];
		struct json_object *next;

		if (!json_object_is_type(cur, json_type_object) || n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		if (!json_object_object_get_ex(cur, part, &next))
			return NULL;
		cur = next;
		p = dot ? dot + 1 : p + n;
	}
	return cur;
}

static const char *
doc_string(struct json_object *root, const char *path)
{
	struct json_object *v = doc_get(root, path);

	return (v && json_object_is_type(v, json_type_string)) ? json_object_get_string(v) : NULL;
}

/* Rewrite a CNPG path for the chart values dialect; false when the chart
 * has no such path (its "backup" and "backups" sections are read by
 * chart_backup_sections, only when enabled). */
static bool
dialect_path(enum dialect_kind kind, const char *path, char *buf, size_t cap)
{
	if (kind == DK_CHART && strncmp(path, "spec.backup.", 12) == 0)
		return false;
	if (kind != DK_CHART)
		snprintf(buf, cap, "%s", path);
	else if (strncmp(path, "spec.bootstrap.", 15) == 0)
		snprintf(buf, cap, "bootstrapDB.%s", path + 15);
	else if (strncmp(path, "spec.", 5) == 0)
		snprintf(buf, cap, "%s", path + 5);
	else if (strcmp(path, "metadata.name") == 0)
		snprintf(buf, cap, "name");
	else
		snprintf(buf, cap, "%s", path);
	return true;
}

/* A scalar as parameter text: booleans as on/off, numbers as written. */
static bool
scalar_text(struct json_object *v, char *buf, size_t cap)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		snprintf(buf, cap, "%s", json_object_get_string(v));
		return true;
	case json_type_boolean:
		snprintf(buf, cap, "%s", json_object_get_boolean(v) ? "on" : "off");
		return true;
	case json_type_int:
		snprintf(buf, cap, "%lld", (long long) json_object_get_int64(v));
		return true;
	case json_type_double:
		snprintf(buf, cap, "%s", json_object_to_json_string(v));
		return true;
	default:
		return false;
	}
}

/* ---- values, by the model's type ---- */

/* Where a value is: its path; inside an item also the item's path and the
 * value's path relative to it (some messages name the item). */
struct rd {
	const char *path;
	const char *base;
	const char *rel;
	int         arg;	/* the map entry's arg */
};

/* Store v into member m; false when nothing was stored (a type error). */
typedef bool (*read_fn)(const struct spec_field *f, void *m, struct json_object *v,
			const struct rd *r, struct diag *d);

static bool
read_string(const struct spec_field *f, void *m, struct json_object *v, const struct rd *r,
	    struct diag *d)
{
	(void) f;
	if (!json_object_is_type(v, json_type_string)) {
		diag_error(d, r->path, "expected a string, got %s", yamljson_type_label(v));
		return false;
	}
	free(*(char **) m);
	*(char **) m = spec_xstrdup(json_object_get_string(v));
	return true;
}

static bool
read_int(const struct spec_field *f, void *m, struct json_object *v, const struct rd *r,
	 struct diag *d)
{
	int64_t n;
	int low = f->arg < 0 ? f->arg : 0;

	if (!json_object_is_type(v, json_type_int)) {
		diag_error(d, r->path, "expected an integer, got %s", yamljson_type_label(v));
		return false;
	}
	n = json_object_get_int64(v);
	if (n < low || n > INT_MAX) {
		diag_error(d, r->path, "must be between %d and %d, got %lld", low, INT_MAX,
			   (long long) n);
		return false;
	}
	*(int *) m = (int) n;
	return true;
}

static bool
read_bool(const struct spec_field *f, void *m, struct json_object *v, const struct rd *r,
	  struct diag *d)
{
	(void) f;
	if (!json_object_is_type(v, json_type_boolean)) {
		diag_error(d, r->path, "expected true or false, got %s", yamljson_type_label(v));
		return false;
	}
	*(int *) m = json_object_get_boolean(v);
	return true;
}

static bool
read_strlist(const struct spec_field *f, void *m, struct json_object *v, const struct rd *r,
	     struct diag *d)
{
	(void) f;
	if (!json_object_is_type(v, json_type_array)) {
		diag_error(d, r->path, "expected a list of strings, got %s", yamljson_type_label(v));
		return false;
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string)) {
			diag_error(d, r->path, "item %zu: expected a string, got %s", i, yamljson_type_label(e));
			continue;
		}
		strlist_add(m, json_object_get_string(e));
	}
	return true;
}

static bool
read_kvlist(const struct spec_field *f, void *m, struct json_object *v, const struct rd *r,
	    struct diag *d)
{
	(void) f;
	if (!json_object_is_type(v, json_type_object)) {
		diag_error(d, r->path, "expected a mapping, got %s", yamljson_type_label(v));
		return false;
	}
	json_object_object_foreach(v, key, val) {
		char text[4096];

		if (json_object_is_type(val, json_type_string)
		    && (size_t) json_object_get_string_len(val) >= sizeof(text)) {
			diag_error(d, r->path, "\"%s\": the value is %d bytes long, more than the %zu "
				   "pgpod passes on; it is refused rather than cut", key,
				   json_object_get_string_len(val), sizeof(text) - 1);
			continue;
		}
		if (!scalar_text(val, text, sizeof(text))) {
			diag_error(d, r->path, "\"%s\": expected a string, number or boolean, got %s",
				   key, yamljson_type_label(val));
			continue;
		}
		kvlist_set(m, key, text);
	}
	return true;
}

/* A list of {name, key}; PGO's databaseInitSQL is a single one. */
static bool
read_reflist(const struct spec_field *f, void *m, struct json_object *v, const struct rd *r,
	     struct diag *d)
{
	struct reflist *l = m;

	(void) f;
	if (json_object_is_type(v, json_type_object)) {
		if (doc_string(v, "name") == NULL || doc_string(v, "key") == NULL) {
			diag_error(d, r->path, "needs both \"name\" and \"key\" as strings");
			return false;
		}
		reflist_add(l, doc_string(v, "name"), doc_string(v, "key"));
		l->single = true;
		return true;
	}
	if (!json_object_is_type(v, json_type_array)) {
		diag_error(d, r->path, "expected a list of {name, key}, got %s", yamljson_type_label(v));
		return false;
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *name = doc_string(e, "name");
		const char *key = doc_string(e, "key");

		if (!json_object_is_type(e, json_type_object) || name == NULL || key == NULL) {
			diag_error(d, r->path, "item %zu needs both \"name\" and \"key\" as strings", i);
			continue;
		}
		reflist_add(l, name, key);
	}
	return true;
}

/* One {name, key} (inside an item the message names the item). */
static bool
read_ref(const struct spec_field *f, void *m, struct json_object *v, const struct rd *r,
	 struct diag *d)
{
	struct spec_ref *ref = m;

	(void) f;
	if (doc_string(v, "name") == NULL || doc_string(v, "key") == NULL) {
		if (r->rel != NULL)
			diag_error(d, r->base, "%s needs both \"name\" and \"key\"", r->rel);
		else
			diag_error(d, r->path, "needs both \"name\" and \"key\"");
		return false;
	}
	spec_ref_free(ref);
	ref->name = spec_xstrdup(doc_string(v, "name"));
	ref->key = spec_xstrdup(doc_string(v, "key"));
	return true;
}

static bool
read_present(const struct spec_field *f, void *m, struct json_object *v, const struct rd *r,
	     struct diag *d)
{
	(void) f;
	(void) v;
	(void) r;
	(void) d;
	*(bool *) m = true;
	return true;
}

/* An enum: the map entry's value when it has one, else named in the document. */
static bool
read_enum(const struct spec_field *f, void *m, struct json_object *v, const struct rd *r,
	  struct diag *d)
{
	const char *name = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

	if (r->arg != 0) {
		*(int *) m = r->arg;
		return true;
	}
	for (int i = 0; f->names[i] != NULL; i++) {
		if (*f->names[i] && strcmp(f->names[i], name) == 0) {
			*(int *) m = i;
			return true;
		}
	}
	diag_error(d, r->path, "\"%s\" is not one of the known values", name);
	return false;
}

/* A recovery target: the key's kind, with its value (immediate: true). */
static bool
read_target(const struct spec_field *f, void *m, struct json_object *v, const struct rd *r,
	    struct diag *d)
{
	struct spec_target *t = m;

	if (f->arg == SPEC_TARGET_IMMEDIATE) {
		if (!read_bool(f, &(int) { 0 }, v, r, d))
			return false;
		if (!json_object_get_boolean(v))
			return true;
	} else {
		if (!json_object_is_type(v, json_type_string)) {
			diag_error(d, r->path, "expected a string, got %s", yamljson_type_label(v));
			return false;
		}
		free(t->value);
		t->value = spec_xstrdup(json_object_get_string(v));
	}
	t->kind = (enum spec_target_kind) f->arg;
	t->given |= 1u << f->arg;
	return true;
}

static const read_fn readers[] = {
	[SPEC_T_STRING] = read_string,
	[SPEC_T_INT] = read_int,
	[SPEC_T_BOOL] = read_bool,
	[SPEC_T_STRLIST] = read_strlist,
	[SPEC_T_KVLIST] = read_kvlist,
	[SPEC_T_REFLIST] = read_reflist,
	[SPEC_T_REF] = read_ref,
	[SPEC_T_PRESENT] = read_present,
	[SPEC_T_ENUM] = read_enum,
	[SPEC_T_TARGET] = read_target,
};

/* ---- unknown fields ---- */

static bool
path_has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

/* Compare path with a read or ignored path p: under it, the field is
 * known; above it, the field is a section to look into. */
static void
path_match(const char *path, const char *p, bool *known, bool *descend)
{
	if (path_has_prefix(path, p))
		*known = true;
	else if (path_has_prefix(p, path))
		*descend = true;
}

/* Is path known? *descend: look at its members one by one. */
typedef bool (*known_fn)(const void *ctx, const char *path, bool *descend);

struct dialect_ctx {
	enum dialect_kind kind;
};

/* A document path: read by the dialect's map, or the operator's. */
static bool
dialect_known(const void *ctx, const char *path, bool *descend)
{
	enum dialect_kind kind = ((const struct dialect_ctx *) ctx)->kind;
	const struct dialect_desc *dd = &dialects[kind];
	bool known = false;

	*descend = false;
	for (size_t i = 0; i < COUNT(meta_ignored); i++)
		path_match(path, meta_ignored[i], &known, descend);
	for (size_t i = 0; i < dd->nignored; i++)
		path_match(path, dd->ignored[i], &known, descend);
	for (size_t i = 0; i < dd->nmap; i++) {
		char mp[256];

		if (dialect_path(kind, dd->map[i].path, mp, sizeof(mp)))
			path_match(path, mp, &known, descend);
	}
	if (known)
		*descend = false;
	return known || *descend;
}

/* A path inside an item: read by the item table, or the operator's. */
static bool
item_known(const void *ctx, const char *path, bool *descend)
{
	const struct spec_list *l = ctx;
	bool known = false;

	*descend = false;
	for (size_t i = 0; i < l->nignored; i++)
		path_match(path, l->ignored[i], &known, descend);
	for (size_t i = 0; i < l->nfields; i++)
		for (size_t k = 0; k < COUNT(l->fields[i].paths) && l->fields[i].paths[k]; k++)
			path_match(path, l->fields[i].paths[k], &known, descend);
	if (known)
		*descend = false;
	return known || *descend;
}

/* Warn about every member of o nobody reads, by its full path (base: the
 * path of the document or item o belongs to; rel: o's path inside it). */
static void
warn_unknown(struct json_object *o, const char *base, const char *rel, known_fn known,
	     const void *ctx, struct diag *d)
{
	json_object_object_foreach(o, key, val) {
		char r[256];
		char full[512];
		bool descend;

		snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "." : "", key);
		snprintf(full, sizeof(full), "%s%s%s", base, *base ? "." : "", r);
		if (!known(ctx, r, &descend)) {
			diag_warn(d, full, "unknown field, ignored");
			continue;
		}
		if (descend && json_object_is_type(val, json_type_object))
			warn_unknown(val, base, r, known, ctx, d);
	}
}

/* ---- lists of objects ---- */

static bool read_value(struct spec *s, const struct spec_field *f, void *base,
		       struct json_object *v, const struct rd *r, struct diag *d);

/* An item's field left unset takes its default. */
static void
item_default(const struct spec_field *f, void *item)
{
	void *m = (char *) item + f->offset;

	if (f->dflt == NULL)
		return;
	if (f->type == SPEC_T_STRING && *(char **) m == NULL)
		*(char **) m = spec_xstrdup(f->dflt);
	else if ((f->type == SPEC_T_INT || f->type == SPEC_T_BOOL) && *(int *) m < 0)
		*(int *) m = f->type == SPEC_T_INT ? atoi(f->dflt) : strcmp(f->dflt, "true") == 0;
}

/* Every field of an item, from the first of its paths the item has. False
 * when a required one is missing and the list leaves such items out. */
static bool
read_item_fields(struct spec *s, const struct spec_list *l, void *item, struct json_object *o,
		 const char *path, struct diag *d)
{
	for (size_t i = 0; i < l->nfields; i++) {
		const struct spec_field *f = &l->fields[i];

		for (size_t k = 0; k < COUNT(f->paths) && f->paths[k] != NULL; k++) {
			struct json_object *v = doc_get(o, f->paths[k]);
			char vpath[512];
			struct rd r = { vpath, path, f->paths[k], 0 };

			if (v == NULL)
				continue;
			snprintf(vpath, sizeof(vpath), "%s.%s", path, f->paths[k]);
			(void) read_value(s, f, item, v, &r, d);
			break;
		}
		if (f->required && f->type == SPEC_T_STRING
		    && *(char **) ((char *) item + f->offset) == NULL) {
			diag_error(d, path, "%s", l->missing);
			if (l->drop_incomplete)
				return false;
		}
		item_default(f, item);
	}
	return true;
}

/* One item at path; false when it is left out (then it is cleared). */
static bool
read_item(struct spec *s, const struct spec_list *l, void *item, struct json_object *o,
	  const char *path, struct diag *d)
{
	spec_item_init(l, item);
	*(char **) ((char *) item + l->origin) = spec_xstrdup(path);
	if (!json_object_is_type(o, json_type_object)) {
		diag_error(d, path, "expected a mapping, got %s", yamljson_type_label(o));
		if (l->drop_incomplete)
			spec_item_clear(l, item);
		return !l->drop_incomplete;
	}
	if (!read_item_fields(s, l, item, o, path, d)
	    || (l->after_item != NULL && !l->after_item(s, item, o, path, d))) {
		spec_item_clear(l, item);
		return false;
	}
	warn_unknown(o, path, "", item_known, l, d);
	return true;
}

/* A list of objects: each item read by the list's table, incomplete ones
 * left out or kept as the list says, then the list's hook. */
static bool
read_list(struct spec *s, const struct spec_field *f, void *base, struct json_object *v,
	  const char *path, struct diag *d)
{
	const struct spec_list *l = f->list;
	char **items = (char **) ((char *) base + f->offset);
	size_t *n = (size_t *) ((char *) base + l->count);
	size_t len;

	if (!json_object_is_type(v, json_type_array)) {
		diag_error(d, path, "expected %s, got %s", l->expect, yamljson_type_label(v));
		return false;
	}
	/* a list read twice keeps the last one */
	for (size_t i = 0; i < *n; i++)
		spec_item_clear(l, *items + i * l->size);
	free(*items);
	*n = 0;
	len = json_object_array_length(v);
	*items = spec_xcalloc(len, l->size);
	for (size_t i = 0; i < len; i++) {
		char ipath[300];

		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (read_item(s, l, *items + *n * l->size, json_object_array_get_idx(v, i), ipath, d))
			(*n)++;
	}
	if (l->after_list != NULL)
		l->after_list(s, path);
	return true;
}

/* Store v into the member f describes inside base (the spec or an item). */
static bool
read_value(struct spec *s, const struct spec_field *f, void *base, struct json_object *v,
	   const struct rd *r, struct diag *d)
{
	void *m = (char *) base + f->offset;

	if (json_object_is_type(v, json_type_null))
		return false;
	if (f->type == SPEC_T_OBJLIST)
		return read_list(s, f, base, v, r->path, d);
	if (f->type == SPEC_T_OBJECT) {
		(void) read_item(s, f->list, m, v, r->path, d);
		return true;
	}
	return readers[f->type](f, m, v, r, d);
}

/* Store a document value into field fi of the spec and note where it was. */
static void
dialect_set(struct spec *s, int fi, struct json_object *v, const char *path, int arg,
	    struct diag *d)
{
	const struct spec_field *f = &spec_fields[fi];
	struct rd r = { path, path, NULL, arg };

	if (read_value(s, f, s, v, &r, d) || f->type == SPEC_T_OBJLIST)
		spec_set_origin(s, fi, path);
}

/* Read every path of the dialect's map. A list absent from the document
 * still gets its path, for messages about what it lacks. */
static void
dialect_walk_map(struct spec *s, struct json_object *doc, enum dialect_kind kind, struct diag *d)
{
	const struct dialect_desc *dd = &dialects[kind];

	for (size_t i = 0; i < dd->nmap; i++) {
		char path[256];
		struct json_object *v;
		int fi = spec_field_index(dd->map[i].key);

		if (fi < 0 || !dialect_path(kind, dd->map[i].path, path, sizeof(path)))
			continue;
		v = doc_get(doc, path);
		if (v != NULL)
			dialect_set(s, fi, v, path, dd->map[i].arg, d);
		else if (spec_fields[fi].type == SPEC_T_OBJLIST)
			spec_set_origin(s, fi, path);
	}
}

/* ---- pgBackRest restore options (PGO) ---- */

/* The handlers of the restore options pgpod interprets (restore_options[]). */

/* --type: the kind of target, pgBackRest's names. */
static void
ropt_type(struct spec_restore *r, const char *v, const char *path, struct diag *d)
{
	for (int k = SPEC_TARGET_TIME; spec_target_names[k] != NULL; k++) {
		if (strcmp(spec_target_names[k], v) == 0) {
			r->target.kind = (enum spec_target_kind) k;
			r->target.given |= 1u << k;
			return;
		}
	}
	diag_error(d, path, "\"--type=%s\": the restore type is one of default, immediate, lsn, "
		   "name, preserve, standby, time or xid", v);
}

static void
ropt_target(struct spec_restore *r, const char *v, const char *path, struct diag *d)
{
	(void) path;
	(void) d;
	free(r->target.value);
	r->target.value = spec_xstrdup(v);
}

static void
ropt_set(struct spec_restore *r, const char *v, const char *path, struct diag *d)
{
	(void) path;
	(void) d;
	free(r->backup_id);
	r->backup_id = spec_xstrdup(v);
}

/* --target-exclusive, optionally =y or =n as pgBackRest writes booleans. */
static void
ropt_exclusive(struct spec_restore *r, const char *v, const char *path, struct diag *d)
{
	if (v == NULL || strcmp(v, "y") == 0)
		r->target.exclusive = 1;
	else if (strcmp(v, "n") == 0)
		r->target.exclusive = 0;
	else
		diag_error(d, path, "\"--target-exclusive=%s\": write y or n", v);
}

static void
ropt_not_exclusive(struct spec_restore *r, const char *v, const char *path, struct diag *d)
{
	(void) v;
	(void) path;
	(void) d;
	r->target.exclusive = 0;
}

static void
ropt_timeline(struct spec_restore *r, const char *v, const char *path, struct diag *d)
{
	(void) path;
	(void) d;
	free(r->target.timeline);
	r->target.timeline = spec_xstrdup(v);
}

static void
ropt_action(struct spec_restore *r, const char *v, const char *path, struct diag *d)
{
	(void) path;
	(void) d;
	free(r->target_action);
	r->target_action = spec_xstrdup(v);
}

static void
ropt_db_include(struct spec_restore *r, const char *v, const char *path, struct diag *d)
{
	(void) path;
	(void) d;
	strlist_add(&r->db_include, v);
}

/* The options that say what to restore and where to stop; every other one
 * is passed through. value: takes a value (--name=v or --name v), else an
 * optional =v. */
static const struct {
	const char *name;
	bool        value;
	void      (*set)(struct spec_restore *r, const char *v, const char *path, struct diag *d);
} restore_options[] = {
	{ "type", true, ropt_type },
	{ "target", true, ropt_target },
	{ "set", true, ropt_set },
	{ "target-exclusive", false, ropt_exclusive },
	{ "no-target-exclusive", false, ropt_not_exclusive },
	{ "target-timeline", true, ropt_timeline },
	{ "target-action", true, ropt_action },
	{ "db-include", true, ropt_db_include },
};

/* Interpret words[i]; returns how many more words it took (its value). */
static size_t
read_restore_option(struct spec_restore *r, const struct strlist *words, size_t i,
		    const char *path, struct diag *d)
{
	const char *w = words->items[i];
	bool option = strncmp(w, "--", 2) == 0;
	const char *name = option ? w + 2 : "";
	size_t n = strcspn(name, "=");
	const char *v = name[n] == '=' ? name + n + 1 : NULL;

	for (size_t k = 0; option && k < COUNT(restore_options); k++) {
		if (strlen(restore_options[k].name) != n || strncmp(name, restore_options[k].name, n) != 0)
			continue;
		if (restore_options[k].value && v == NULL && i + 1 >= words->n) {
			diag_error(d, path, "\"%s\" needs a value", w);
			return 0;
		}
		if (restore_options[k].value && v == NULL) {
			restore_options[k].set(r, words->items[i + 1], path, d);
			return 1;
		}
		restore_options[k].set(r, v, path, d);
		return 0;
	}
	strlist_add(&r->passthrough, w);
	return 0;
}

/* The members the options fill (relative to the restore's prefix): their
 * user path is the options'. */
static const char *const restore_option_keys[] = {
	"backupID", "target.time", "target.xid", "target.name", "target.lsn", "target.timeline",
	"target.immediate", "target.exclusive", "target.type", "target.action", "dbInclude",
	"passthroughOptions",
};

static const struct {
	const char *prefix;
	size_t      offset;
} restore_shapes[] = {
	{ "bootstrap.restore", offsetof(struct spec, restore) },
	{ "restoreInPlace", offsetof(struct spec, inplace) },
};

/* Split the options as a shell would, then interpret them. */
static void
read_restore_options(struct spec *s, const char *prefix, struct spec_restore *r, struct diag *d)
{
	struct strlist words = { 0 };
	char key[128];
	char path[256];

	snprintf(key, sizeof(key), "%s.options", prefix);
	snprintf(path, sizeof(path), "%s", spec_path(s, key));
	for (size_t i = 0; i < r->options.n; i++) {
		const char *why = NULL;

		if (!spec_split_words(r->options.items[i], &words, &why)) {
			diag_error(d, path, "item %zu (%s): %s", i, r->options.items[i], why);
			strlist_free(&words);
			return;
		}
	}
	for (size_t i = 0; i < words.n; i++)
		i += read_restore_option(r, &words, i, path, d);
	strlist_free(&words);
	for (size_t i = 0; i < COUNT(restore_option_keys); i++) {
		int fi;

		snprintf(key, sizeof(key), "%s.%s", prefix, restore_option_keys[i]);
		fi = spec_field_index(key);
		if (fi >= 0 && s->origin[fi] == NULL)
			spec_set_origin(s, fi, path);
	}
}

/* Both restores of the model: their options, when written, into the shape. */
static void
dialect_restore_options(struct spec *s, struct diag *d)
{
	for (size_t i = 0; i < COUNT(restore_shapes); i++) {
		struct spec_restore *r = (void *) ((char *) s + restore_shapes[i].offset);

		if (r->options.n > 0)
			read_restore_options(s, restore_shapes[i].prefix, r, d);
	}
}

/* ---- bootstrap method ---- */

static void
dialect_bootstrap(struct spec *s, struct json_object *doc, enum dialect_kind kind, struct diag *d)
{
	static const char *const methods[] = { "initdb", "pg_basebackup", "recovery" };
	char base[64];
	int found = 0;

	if (kind == DK_PGO) {
		bool pc = doc_get(doc, "spec.dataSource.postgresCluster") != NULL;
		bool br = doc_get(doc, "spec.dataSource.pgbackrest") != NULL;

		if (pc && br)
			diag_warn(d, "spec.dataSource", "both postgresCluster and pgbackrest are given; "
				  "postgresCluster takes precedence, as PGO documents");
		s->bootstrap = (pc || br) ? SPEC_BOOTSTRAP_RECOVERY : SPEC_BOOTSTRAP_INITDB;
		return;
	}
	snprintf(base, sizeof(base), "%s", kind == DK_CHART ? "bootstrapDB" : "spec.bootstrap");
	for (int i = 0; i < 3; i++) {
		char path[96];
		struct json_object *v;

		snprintf(path, sizeof(path), "%s.%s", base, methods[i]);
		v = doc_get(doc, path);
		if (v == NULL)
			continue;
		if (!json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_null)) {
			diag_error(d, path, "expected a mapping, got %s", yamljson_type_label(v));
			continue;
		}
		if (found++ > 0) {
			diag_error(d, base, "only one bootstrap method may be given (found %s and %s)",
				   spec_bootstrap_name(s->bootstrap), methods[i]);
			continue;
		}
		s->bootstrap = (enum spec_bootstrap) i;
	}
	spec_set_origin(s, spec_field_index("bootstrap.method"), base);
}

/* ---- what each dialect adds ---- */

#define CNPG_SKIP_EMPTY_WAL_CHECK "cnpg.io/skipEmptyWalArchiveCheck"

/* CloudNativePG's annotation that skips the empty-archive check. */
static void
cnpg_annotations(struct spec *s, struct json_object *doc)
{
	struct json_object *ann = doc_get(doc, "metadata.annotations"), *v = NULL;

	if (ann != NULL && json_object_object_get_ex(ann, CNPG_SKIP_EMPTY_WAL_CHECK, &v)
	    && json_object_is_type(v, json_type_string)) {
		s->skip_empty_wal_check = strcmp(json_object_get_string(v), "enabled") == 0;
		spec_set_origin(s, spec_field_index("backup.skipEmptyWalArchiveCheck"),
				"metadata.annotations[" CNPG_SKIP_EMPTY_WAL_CHECK "]");
	}
}

static void
dialect_finish_cnpg(struct spec *s, struct json_object *doc, enum dialect_kind kind,
		    struct diag *d)
{
	(void) s;
	if (kind == DK_CNPG && doc_get(doc, "spec") == NULL)
		diag_error(d, "spec", "is required");
	cnpg_annotations(s, doc);
}

/* ---- the chart's backup sections ---- */

/* backups.enabled, backup.enabled: absent is false, as in the charts. */
static bool
chart_enabled(struct json_object *sec, const char *path, struct diag *d)
{
	struct json_object *v = NULL;
	char p[64];

	if (sec == NULL)
		return false;
	if (!json_object_is_type(sec, json_type_object)) {
		diag_error(d, path, "expected a mapping, got %s", yamljson_type_label(sec));
		return false;
	}
	if (!json_object_object_get_ex(sec, "enabled", &v) || v == NULL)
		return false;
	snprintf(p, sizeof(p), "%s.enabled", path);
	if (!json_object_is_type(v, json_type_boolean)) {
		diag_error(d, p, "expected true or false, got %s", yamljson_type_label(v));
		return false;
	}
	return json_object_get_boolean(v);
}

/* The rendered ScheduledBackup documents, each read at its item's path
 * (null: an item left out, already an error); the items' unknown keys
 * are warned. */
static void
chart_scheduled(struct spec *s, struct json_object *items, struct json_object *docs,
		struct diag *d)
{
	const struct spec_list known = { .ignored = chart_scheduled_paths,
					 .nignored = chart_scheduled_npaths };
	size_t n = docs != NULL ? json_object_array_length(docs) : 0;

	s->scheduled = spec_xrealloc(s->scheduled, (s->n_scheduled + n + 1) * sizeof(*s->scheduled));
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(docs, i);
		struct json_object *it = items != NULL && json_object_is_type(items, json_type_array)
			? json_object_array_get_idx(items, i) : NULL;
		char path[300];

		snprintf(path, sizeof(path), "backups.scheduledBackups[%zu]", i);
		if (it != NULL && json_object_is_type(it, json_type_object))
			warn_unknown(it, path, "", item_known, &known, d);
		if (o != NULL && read_item(s, &spec_scheduled_list, &s->scheduled[s->n_scheduled], o,
					   path, d))
			s->n_scheduled++;
	}
	spec_set_origin(s, spec_field_index("scheduledBackups"), "backups.scheduledBackups");
}

/* The cluster chart's backups: rendered as its templates do, then read as
 * a Cluster's spec.backup is, at the chart's paths. The chart's cluster is
 * called by its fullname: when that is not the spec's name, the store's
 * server name (the folder in the bucket) is the fullname, as it would be. */
static void
chart_backups(struct spec *s, struct json_object *doc, struct json_object *bks, struct diag *d)
{
	const char *name = s->name != NULL ? s->name : SPEC_DEFAULT_NAME;
	struct chart_backups r;
	char fullname[256];

	chart_fullname(doc, name, fullname, sizeof(fullname), d);
	chart_backups_render(bks, fullname, &r, d);
	if (r.store != NULL) {
		if (strcmp(fullname, name) != 0)
			json_object_object_add(r.store, "serverName", json_object_new_string(fullname));
		dialect_set(s, spec_field_index("backup.objectStore"), r.store, "backups", 0, d);
		s->backup_store.secret_path = r.secret_path;
	}
	if (r.retention != NULL)
		dialect_set(s, spec_field_index("backup.retentionPolicy"), r.retention,
			    "backups.retentionPolicy", 0, d);
	chart_scheduled(s, doc_get(bks, "scheduledBackups"), r.scheduled, d);
	chart_backups_free(&r);
}

/* The cnpg-database chart's backup: CloudNativePG's spec.backup under it. */
static void
chart_backup(struct spec *s, struct json_object *bk, struct diag *d)
{
	struct json_object *st = doc_get(bk, "barmanObjectStore");
	struct json_object *ret = doc_get(bk, "retentionPolicy");

	if (st == NULL)
		diag_warn(d, "backup.enabled", "is true but there is no backup.barmanObjectStore: "
			  "pgpod takes no backups");
	else
		dialect_set(s, spec_field_index("backup.objectStore"), st, "backup.barmanObjectStore",
			    0, d);
	if (ret != NULL)
		dialect_set(s, spec_field_index("backup.retentionPolicy"), ret,
			    "backup.retentionPolicy", 0, d);
}

/* What backup: may hold besides enabled: CloudNativePG's spec.backup. */
static const char *const chart_backup_paths[] = {
	"enabled", "barmanObjectStore", "retentionPolicy", "target", "volumeSnapshot",
};

/* The chart's object store: the cluster chart's backups: or the
 * cnpg-database chart's backup:, whichever is enabled. Unknown keys are
 * warned in both, enabled or not (a misspelt "enabled" among them). */
static void
chart_backup_sections(struct spec *s, struct json_object *doc, struct diag *d)
{
	struct json_object *bks = doc_get(doc, "backups"), *bk = doc_get(doc, "backup");
	const struct spec_list known_bks = { .ignored = chart_backups_paths,
					     .nignored = chart_backups_npaths };
	const struct spec_list known_bk = { .ignored = chart_backup_paths,
					    .nignored = COUNT(chart_backup_paths) };
	bool on_bks = chart_enabled(bks, "backups", d), on_bk = chart_enabled(bk, "backup", d);

	if (bks != NULL && json_object_is_type(bks, json_type_object))
		warn_unknown(bks, "backups", "", item_known, &known_bks, d);
	if (bk != NULL && json_object_is_type(bk, json_type_object))
		warn_unknown(bk, "backup", "", item_known, &known_bk, d);
	if (on_bks && on_bk)
		diag_error(d, "backup.enabled", "and backups.enabled are both true: give one object "
			   "store, in backups (the cluster chart's) or in backup");
	else if (on_bks)
		chart_backups(s, doc, bks, d);
	else if (on_bk)
		chart_backup(s, bk, d);
	else if (doc_get(bk, "barmanObjectStore") != NULL)
		diag_warn(d, "backup.barmanObjectStore", "is not read: backup.enabled is not true");
}

static void
dialect_finish_chart(struct spec *s, struct json_object *doc, enum dialect_kind kind,
		     struct diag *d)
{
	dialect_finish_cnpg(s, doc, kind, d);
	chart_backup_sections(s, doc, d);
}

#define PGO_RESTORE_ANNOTATION "postgres-operator.crunchydata.com/pgbackrest-restore"

/* PGO's default user and database are named after the cluster; its
 * in-place restore is triggered by an annotation's new value. */
static void
dialect_finish_pgo(struct spec *s, struct json_object *doc, enum dialect_kind kind,
		   struct diag *d)
{
	struct json_object *ann = doc_get(doc, "metadata.annotations"), *v = NULL;

	(void) kind;
	(void) d;
	if (ann != NULL && json_object_object_get_ex(ann, PGO_RESTORE_ANNOTATION, &v)
	    && json_object_is_type(v, json_type_string) && *json_object_get_string(v)) {
		free(s->inplace_id);
		s->inplace_id = spec_xstrdup(json_object_get_string(v));
		spec_set_origin(s, spec_field_index("restoreInPlace.id"),
				"metadata.annotations[" PGO_RESTORE_ANNOTATION "]");
	}
	if (s->app_owner == NULL && s->name != NULL) {
		free(s->app_database);
		s->app_owner = spec_xstrdup(s->name);
		s->app_database = spec_xstrdup(s->name);
	}
}

static void (*const dialect_finish[])(struct spec *, struct json_object *, enum dialect_kind,
				      struct diag *) = {
	[DK_CNPG] = dialect_finish_cnpg,
	[DK_CHART] = dialect_finish_chart,
	[DK_PGO] = dialect_finish_pgo,
};

/* ---- entry points ---- */

static bool
dialect_detect(struct json_object *doc, enum spec_dialect *dialect, enum dialect_kind *kind,
	       struct diag *d, bool report)
{
	const char *api = doc_string(doc, "apiVersion");
	const char *k = doc_string(doc, "kind");
	static const struct {
		const char *group;
		const char *kind;
		enum spec_dialect dialect;
		enum dialect_kind dk;
	} known[] = {
		{ "postgresql.cnpg.io/", "Cluster", SPEC_DIALECT_CNPG, DK_CNPG },
		{ "postgres-operator.crunchydata.com/", "PostgresCluster", SPEC_DIALECT_PGO, DK_PGO },
		{ "pgv2.percona.com/", "PerconaPGCluster", SPEC_DIALECT_PERCONA, DK_PGO },
	};

	if (!json_object_is_type(doc, json_type_object))
		return false;
	if (api == NULL && k == NULL) {
		*dialect = SPEC_DIALECT_CHART;
		*kind = DK_CHART;
		return true;
	}
	for (size_t i = 0; i < COUNT(known); i++) {
		if (api && k && strncmp(api, known[i].group, strlen(known[i].group)) == 0
		    && strcmp(k, known[i].kind) == 0) {
			*dialect = known[i].dialect;
			*kind = known[i].dk;
			return true;
		}
	}
	if (report)
		diag_error(d, "kind", "unsupported document %s/%s: pgpod reads a CloudNativePG Cluster "
			   "(postgresql.cnpg.io/v1), a Crunchy PostgresCluster "
			   "(postgres-operator.crunchydata.com/v1beta1), a PerconaPGCluster "
			   "(pgv2.percona.com/v2) or cnpg-database chart values (bootstrapDB:)",
			   api ? api : "(no apiVersion)", k ? k : "(no kind)");
	return false;
}

/* A NUL byte in a key or a string (YAML "\0", JSON "\u0000") would cut
 * the value short where pgpod passes it on as C text: refused, by path. */
static void
dialect_check_nul(struct json_object *o, const char *path, struct diag *d)
{
	char sub[512];

	if (json_object_is_type(o, json_type_string)) {
		if (strlen(json_object_get_string(o)) != (size_t) json_object_get_string_len(o))
			diag_error(d, path, "holds a NUL byte (\\0): pgpod cannot pass such a value on; "
				   "remove it");
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			dialect_check_nul(json_object_array_get_idx(o, i), sub, d);
		}
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
			dialect_check_nul(val, sub, d);
		}
	}
}

bool
dialect_read(struct json_object *doc, const char *source, struct spec **out, struct diag *d)
{
	enum spec_dialect dialect;
	enum dialect_kind kind;
	struct dialect_ctx ctx;
	struct spec *s;

	*out = NULL;
	if (!json_object_is_type(doc, json_type_object)) {
		diag_error(d, source, "the spec must be a mapping, got %s", yamljson_type_label(doc));
		return false;
	}
	if (!dialect_detect(doc, &dialect, &kind, d, true))
		return false;
	dialect_check_nul(doc, "", d);
	s = spec_new();
	s->dialect = dialect;
	s->source_file = spec_xstrdup(source);
	dialect_bootstrap(s, doc, kind, d);
	dialect_walk_map(s, doc, kind, d);
	dialect_restore_options(s, d);
	dialect_finish[kind](s, doc, kind, d);
	ctx.kind = kind;
	warn_unknown(doc, "", "", dialect_known, &ctx, d);
	*out = s;
	return true;
}

/* The cluster documents of a file (Secrets and ConfigMaps may travel with
 * them): their indexes into cl, how many. */
static size_t
cluster_docs(struct json_object **docs, size_t ndocs, size_t *cl, struct diag *d)
{
	size_t n = 0;

	for (size_t i = 0; i < ndocs; i++) {
		enum spec_dialect dialect;
		enum dialect_kind kind;
		const char *k = doc_string(docs[i], "kind");

		if (k && (strcmp(k, "Secret") == 0 || strcmp(k, "ConfigMap") == 0) && ndocs > 1)
			continue;
		if (ndocs > 1 && !dialect_detect(docs[i], &dialect, &kind, d, false))
			continue;
		cl[n++] = i;
	}
	return n;
}

/* The document called name (metadata.name) among the cluster documents. */
static struct json_object *
named_doc(struct json_object **docs, const size_t *cl, size_t n, const char *name)
{
	for (size_t i = 0; name != NULL && i < n; i++) {
		const char *m = doc_string(docs[cl[i]], "metadata.name");

		if (m != NULL && strcmp(m, name) == 0)
			return docs[cl[i]];
	}
	return NULL;
}

/* With several cluster documents (PGO users keep the source cluster's
 * manifest beside the one that restores from it), this cluster is the one
 * whose dataSource.postgresCluster names another; else the first. */
static struct json_object *
this_doc(struct json_object **docs, const size_t *cl, size_t n)
{
	for (size_t i = 0; n > 1 && i < n; i++) {
		const char *src = doc_string(docs[cl[i]], "spec.dataSource.postgresCluster.clusterName");
		struct json_object *o = named_doc(docs, cl, n, src);

		if (o != NULL && o != docs[cl[i]])
			return docs[cl[i]];
	}
	return n > 0 ? docs[cl[0]] : NULL;
}

/* PGO's dataSource.postgresCluster: inside the pod there is no operator to
 * look the source up, so its repository comes from its own document in
 * the same file: repos[repoName], global and configuration. */
static void
source_cluster(struct spec *s, struct json_object **docs, const size_t *cl, size_t n,
	       const char *path, struct diag *d)
{
	struct json_object *doc = named_doc(docs, cl, n, s->clone_source);
	struct diag ignored = { 0 };
	struct spec *src = NULL;
	bool found = false;

	/* without it the spec is still fine: the restore itself refuses */
	if (doc == NULL)
		return;
	if (!dialect_read(doc, path, &src, &ignored)) {
		diag_error(d, spec_path(s, "bootstrap.clone.source"), "the document of cluster \"%s\" "
			   "cannot be read", s->clone_source);
		diag_free(&ignored);
		return;
	}
	for (size_t i = 0; i < src->n_repos && !found; i++) {
		if (src->repos[i].name == NULL || s->restore.source == NULL
		    || strcmp(src->repos[i].name, s->restore.source) != 0)
			continue;
		spec_repo_move(&s->restore_repo, &src->repos[i]);
		found = true;
	}
	if (!found)
		diag_warn(d, spec_path(s, "bootstrap.restore.source"), "cluster \"%s\" has no "
			  "repository \"%s\" in its spec.backups.pgbackrest.repos: a restore from it "
			  "cannot run", s->clone_source, s->restore.source ? s->restore.source : "");
	kvlist_free(&s->restore_global);
	s->restore_global = src->pgbackrest_global;
	src->pgbackrest_global = (struct kvlist) { 0 };
	spec_projections_move(s, src);
	spec_free(src);
	diag_free(&ignored);
}

/* Percona's PerconaPGRestore for this cluster (spec.pgCluster), mounted in
 * the same file: an in-place restore from spec.repoName with spec.options,
 * applied once per document name. */
static void
percona_restore(struct spec *s, struct json_object **docs, size_t ndocs, struct diag *d)
{
	for (size_t i = 0; i < ndocs; i++) {
		const char *k = doc_string(docs[i], "kind");
		const char *cl = doc_string(docs[i], "spec.pgCluster");
		const char *name = doc_string(docs[i], "metadata.name");
		struct json_object *opts = doc_get(docs[i], "spec.options");

		if (k == NULL || strcmp(k, "PerconaPGRestore") != 0 || cl == NULL || s->name == NULL
		    || strcmp(cl, s->name) != 0 || name == NULL)
			continue;
		s->inplace_restore_enabled = 1;
		free(s->inplace.source);
		s->inplace.source = spec_xstrdup(doc_string(docs[i], "spec.repoName")
						 ? doc_string(docs[i], "spec.repoName") : "repo1");
		s->inplace.source_kind = SPEC_SOURCE_REPO;
		free(s->inplace_id);
		s->inplace_id = spec_xstrdup(name);
		for (size_t j = 0; opts != NULL && json_object_is_type(opts, json_type_array)
		     && j < json_object_array_length(opts); j++)
			strlist_add(&s->inplace.options,
				    json_object_get_string(json_object_array_get_idx(opts, j)));
		if (s->inplace.options.n > 0)
			read_restore_options(s, "restoreInPlace", &s->inplace, d);
	}
}

#define BARMAN_PLUGIN "barman-cloud.cloudnative-pg.io"

/* The ObjectStore document (barmancloud.cnpg.io) called name, its
 * spec.configuration read into st, serverName (when given) over it. */
static void
plugin_store(struct spec *s, struct json_object **docs, size_t ndocs, struct json_object *params,
	     const char *where, struct spec_objstore *st, struct diag *d)
{
	const char *name = doc_string(params, "barmanObjectName");
	const char *server = doc_string(params, "serverName");
	char path[400];

	for (size_t i = 0; name != NULL && i < ndocs; i++) {
		const char *k = doc_string(docs[i], "kind");
		const char *n = doc_string(docs[i], "metadata.name");
		struct json_object *conf = doc_get(docs[i], "spec.configuration");

		if (k == NULL || strcmp(k, "ObjectStore") != 0 || n == NULL || strcmp(n, name) != 0
		    || conf == NULL)
			continue;
		snprintf(path, sizeof(path), "ObjectStore %s.spec.configuration", name);
		spec_item_clear(&spec_objstore_list, st);
		(void) read_item(s, &spec_objstore_list, st, conf, path, d);
		if (server != NULL) {
			free(st->server_name);
			st->server_name = spec_xstrdup(server);
		}
		if (st == &s->backup_store && doc_string(docs[i], "spec.retentionPolicy") != NULL) {
			free(s->backup_retention);
			s->backup_retention = spec_xstrdup(doc_string(docs[i], "spec.retentionPolicy"));
		}
		return;
	}
	diag_error(d, where, "names the ObjectStore \"%s\", which is not in the spec file: put "
		   "the ObjectStore document (barmancloud.cnpg.io/v1) there as another document",
		   name ? name : "(no parameters.barmanObjectName)");
}

/* The Barman Cloud Plugin: spec.plugins[] (isWALArchiver: this cluster's
 * store) and externalClusters[].plugin, each naming an ObjectStore. */
static void
plugin_stores(struct spec *s, struct json_object *doc, struct json_object **docs, size_t ndocs,
	      struct diag *d)
{
	struct json_object *plugins = doc_get(doc, "spec.plugins");
	struct json_object *ext = doc_get(doc, "spec.externalClusters");
	char where[200];

	for (size_t i = 0; plugins != NULL && json_object_is_type(plugins, json_type_array)
	     && i < json_object_array_length(plugins); i++) {
		struct json_object *p = json_object_array_get_idx(plugins, i), *w = NULL;
		const char *name = doc_string(p, "name");

		if (name == NULL || strcmp(name, BARMAN_PLUGIN) != 0)
			continue;
		if (json_object_object_get_ex(p, "isWALArchiver", &w) && !json_object_get_boolean(w))
			continue;
		snprintf(where, sizeof(where), "spec.plugins[%zu].parameters.barmanObjectName", i);
		plugin_store(s, docs, ndocs, doc_get(p, "parameters"), where, &s->backup_store, d);
	}
	for (size_t i = 0; ext != NULL && json_object_is_type(ext, json_type_array)
	     && i < json_object_array_length(ext); i++) {
		struct json_object *e = json_object_array_get_idx(ext, i);
		const char *name = doc_string(e, "name"), *plugin = doc_string(e, "plugin.name");
		struct spec_external *se = name != NULL ? (struct spec_external *)
			spec_external_find(s, name) : NULL;

		if (se == NULL || plugin == NULL || strcmp(plugin, BARMAN_PLUGIN) != 0)
			continue;
		snprintf(where, sizeof(where), "spec.externalClusters[%zu].plugin.parameters."
			 "barmanObjectName", i);
		plugin_store(s, docs, ndocs, doc_get(e, "plugin.parameters"), where, &se->store, d);
		if (se->store.destination != NULL && se->store.server_name == NULL)
			se->store.server_name = spec_xstrdup(name);
	}
}

/* The Backup document (postgresql.cnpg.io) called name in the file. */
static struct json_object *
backup_doc(struct json_object **docs, size_t ndocs, const char *name)
{
	for (size_t i = 0; i < ndocs; i++) {
		const char *api = doc_string(docs[i], "apiVersion");
		const char *k = doc_string(docs[i], "kind");
		const char *n = doc_string(docs[i], "metadata.name");

		if (api != NULL && strncmp(api, "postgresql.cnpg.io/", 19) == 0 && k != NULL
		    && strcmp(k, "Backup") == 0 && n != NULL && strcmp(n, name) == 0)
			return docs[i];
	}
	return NULL;
}

/* A Backup's status as an external cluster's: its store (the fields a
 * barmanObjectStore has), the recovery's endpointCA over it. */
static struct json_object *
backup_as_external(struct json_object *b, const char *name, struct json_object *ca)
{
	static const char *const keys[] = {
		"destinationPath", "endpointURL", "endpointCA", "serverName", "s3Credentials",
		"azureCredentials", "googleCredentials",
	};
	struct json_object *e = json_object_new_object(), *st = json_object_new_object(), *v;

	for (size_t i = 0; i < COUNT(keys); i++)
		if ((v = doc_get(b, "status")) != NULL && json_object_object_get_ex(v, keys[i], &v))
			json_object_object_add(st, keys[i], json_object_get(v));
	if (ca != NULL)
		json_object_object_add(st, "endpointCA", json_object_get(ca));
	if (doc_get(st, "serverName") == NULL && doc_string(b, "spec.cluster.name") != NULL)
		json_object_object_add(st, "serverName",
				       json_object_new_string(doc_string(b, "spec.cluster.name")));
	json_object_object_add(e, "name", json_object_new_string(name));
	json_object_object_add(e, "barmanObjectStore", st);
	return e;
}

/* Why the Backup document b cannot be recovered from; NULL when it can. */
static const char *
backup_refusal(struct json_object *b)
{
	const char *phase = doc_string(b, "status.phase"), *method = doc_string(b, "status.method");

	if (phase == NULL || strcmp(phase, "completed") != 0)
		return "its status.phase is not \"completed\"";
	if (method != NULL && strcmp(method, "barmanObjectStore") != 0)
		return "it was not taken into a Barman Cloud object store (status.method); pgpod "
		       "recovers those only";
	if (doc_string(b, "status.backupId") == NULL || doc_string(b, "status.destinationPath") == NULL)
		return "its status has no backupId or destinationPath";
	return NULL;
}

/* bootstrap.recovery.backup.name: CloudNativePG's Backup object, mounted as
 * another document with the status the operator gave it (kubectl get backup
 * NAME -o yaml). Its status names the store, the server and the backup id:
 * it becomes the recovery's source, an external cluster named after it.
 * Without the document the spec is still valid (a warning): the recovery
 * refuses to start, naming what is missing. */
static void
backup_object(struct spec *s, struct json_object *doc, struct json_object **docs, size_t ndocs,
	      struct diag *d)
{
	enum dialect_kind kind = s->dialect == SPEC_DIALECT_CHART ? DK_CHART : DK_CNPG;
	const char *name = s->restore.backup_object, *why, *path;
	char ca_path[128], where[300];
	struct json_object *b, *e;
	struct spec_external *x;

	if (name == NULL || (s->dialect != SPEC_DIALECT_CNPG && s->dialect != SPEC_DIALECT_CHART))
		return;
	path = spec_path(s, "bootstrap.restore.backupObject");
	(void) dialect_path(kind, "spec.bootstrap.recovery.backup.endpointCA", ca_path, sizeof(ca_path));
	if ((b = backup_doc(docs, ndocs, name)) == NULL) {
		diag_warn(d, path, "the Backup \"%s\" is not in the spec file: a recovery needs it "
			  "there as another document, with the status the operator gave it", name);
		return;
	}
	if ((why = backup_refusal(b)) != NULL || s->restore.source != NULL
	    || spec_external_find(s, name) != NULL) {
		diag_error(d, path, "the Backup \"%s\" cannot be recovered from: %s", name, why ? why
			   : "give either backup or source, and no externalClusters entry of its name");
		return;
	}
	s->externals = spec_xrealloc(s->externals, (s->n_externals + 1) * sizeof(*s->externals));
	x = &s->externals[s->n_externals];
	snprintf(where, sizeof(where), "Backup %s.status", name);
	e = backup_as_external(b, name, doc_get(doc, ca_path));
	if (read_item(s, spec_fields[spec_field_index("externalClusters")].list, x, e, where, d)) {
		s->n_externals++;
		x->has_object_store = true;
		s->restore.source = spec_xstrdup(name);
		s->restore.source_kind = SPEC_SOURCE_EXTERNAL;
		free(s->restore.backup_id);
		s->restore.backup_id = spec_xstrdup(doc_string(b, "status.backupId"));
	}
	json_object_put(e);
}

/* CloudNativePG's documents that name this cluster in spec.cluster.name,
 * mounted in the same file: each kind is read into its list. */
static const struct {
	const char             *kind;
	const struct spec_list *list;
	size_t                  items;	/* offset of the list in struct spec */
} mounted_kinds[] = {
	{ "ScheduledBackup", &spec_scheduled_list, offsetof(struct spec, scheduled) },
	{ "Database", &spec_database_list, offsetof(struct spec, databases) },
};

static void
mounted_docs(struct spec *s, struct json_object **docs, size_t ndocs, struct diag *d)
{
	for (size_t i = 0; i < ndocs; i++) {
		const char *k = doc_string(docs[i], "kind");
		const char *cl = doc_string(docs[i], "spec.cluster.name");
		const char *name = doc_string(docs[i], "metadata.name");

		if (k == NULL || cl == NULL || s->name == NULL || strcmp(cl, s->name) != 0)
			continue;
		for (size_t m = 0; m < COUNT(mounted_kinds); m++) {
			const struct spec_list *l = mounted_kinds[m].list;
			char **items = (char **) ((char *) s + mounted_kinds[m].items);
			size_t *n = (size_t *) ((char *) s + l->count);
			char path[300];

			if (strcmp(k, mounted_kinds[m].kind) != 0)
				continue;
			snprintf(path, sizeof(path), "%s %s", k, name ? name : "(no name)");
			*items = spec_xrealloc(*items, (*n + 1) * l->size);
			if (read_item(s, l, *items + *n * l->size, docs[i], path, d))
				(*n)++;
		}
	}
}

bool
dialect_load(const char *path, struct spec **out, struct diag *d)
{
	struct json_object **docs = NULL;
	struct json_object *doc;
	size_t ndocs = 0, n;
	size_t *cl;
	char err[512];
	bool ok = false;

	*out = NULL;
	if (!yamljson_parse_file(path, &docs, &ndocs, err, sizeof(err))) {
		/* the parser's message starts with the file's path already */
		strlist_add(&d->errors, err);
		return false;
	}
	cl = spec_xcalloc(ndocs ? ndocs : 1, sizeof(*cl));
	n = cluster_docs(docs, ndocs, cl, d);
	if ((doc = this_doc(docs, cl, n)) != NULL)
		ok = dialect_read(doc, path, out, d);
	if (ok && (*out)->restore.source_kind == SPEC_SOURCE_CLUSTER && (*out)->clone_source != NULL)
		source_cluster(*out, docs, cl, n, path, d);
	if (ok) {
		percona_restore(*out, docs, ndocs, d);
		backup_object(*out, doc, docs, ndocs, d);
		mounted_docs(*out, docs, ndocs, d);
		plugin_stores(*out, doc, docs, ndocs, d);
	}
	if (!ok && d->errors.n == 0)
		diag_error(d, path, "no cluster document found (%zu document%s read)", ndocs,
			   ndocs == 1 ? "" : "s");
	free(cl);
	yamljson_free_docs(docs, ndocs);
	return ok;
}

/* ---- the tables checked against each other ---- */

static void
check_ignored(const char *where, const char *ignored, const char *read, struct strlist *problems)
{
	char line[768];

	if (!path_has_prefix(read, ignored))
		return;
	snprintf(line, sizeof(line), "%s: ignored \"%s\" hides \"%s\", which is read", where,
		 ignored, read);
	strlist_add(problems, line);
}

static void
check_dialect_tables(enum dialect_kind kind, struct strlist *problems)
{
	const struct dialect_desc *dd = &dialects[kind];

	for (size_t i = 0; i < dd->nmap; i++) {
		char mp[256];

		if (!dialect_path(kind, dd->map[i].path, mp, sizeof(mp)))
			continue;
		for (size_t k = 0; k < COUNT(meta_ignored); k++)
			check_ignored(dd->name, meta_ignored[k], mp, problems);
		for (size_t k = 0; k < dd->nignored; k++)
			check_ignored(dd->name, dd->ignored[k], mp, problems);
	}
}

void
dialect_check_tables(struct strlist *problems)
{
	for (int kind = DK_CNPG; kind <= DK_PGO; kind++)
		check_dialect_tables((enum dialect_kind) kind, problems);
	for (size_t i = 0; i < spec_nfields; i++) {
		const struct spec_list *l = spec_fields[i].list;

		for (size_t f = 0; l != NULL && f < l->nfields; f++)
			for (size_t p = 0; p < COUNT(l->fields[f].paths) && l->fields[f].paths[p]; p++)
				for (size_t k = 0; k < l->nignored; k++)
					check_ignored(spec_fields[i].key, l->ignored[k],
						      l->fields[f].paths[p], problems);
	}
}
