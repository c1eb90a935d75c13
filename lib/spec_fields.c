/*
 * spec_fields.c — the model described once: the spec's own members and one
 * table per list of objects (externalClusters, PGO users, repositories,
 * instance sets), each field with its type, default, whether it may change
 * after the bootstrap, where the dialects write it inside a list item, and
 * the check validation runs on it; and the small hooks a list runs after
 * reading an item. spec.c, dialect.c and validate.c walk these tables.
 */
#include <json-c/json.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "spec.h"
#include "validate.h"

static const char *const source_kind_names[] = {
	"", "externalCluster", "repo", "dataSourceRepo", "postgresCluster", NULL,
};

const char *const spec_target_names[] = {
	"", "time", "xid", "name", "lsn", "immediate", "default", "standby", "preserve", NULL,
};

/* ---- lists of objects ---- */

static bool spec_role_owner(struct spec *s, void *item, struct json_object *o, const char *path,
			    struct diag *d);
static bool spec_repo_kind(struct spec *s, void *item, struct json_object *o, const char *path,
			   struct diag *d);
static void spec_instance_sum(struct spec *s, const char *path);
static bool spec_projection_keys(struct spec *s, void *item, struct json_object *o,
				 const char *path, struct diag *d);

#define ITEM(T, k, t, m, mut, chk, ...) { .key = k, .type = t, .offset = offsetof(T, m), \
	.mutable_ = mut, .check = chk, .paths = { __VA_ARGS__ } }
#define NAMES(a) a, sizeof(a) / sizeof(a[0])

/* A Barman Cloud object store (barmanObjectStore, or an ObjectStore
 * document's spec.configuration): paths relative to it. */
#define OBJS(k, t, m, chk) ITEM(struct spec_objstore, k, t, m, true, chk, k)
static const struct spec_field objstore_fields[] = {
	{ .key = "destinationPath", .type = SPEC_T_STRING,
	  .offset = offsetof(struct spec_objstore, destination), .mutable_ = true, .required = true,
	  .check = validate_objstore_destination, .paths = { "destinationPath" } },
	OBJS("endpointURL", SPEC_T_STRING, endpoint, validate_objstore_endpoint),
	OBJS("endpointCA", SPEC_T_REF, endpoint_ca, NULL),
	OBJS("serverName", SPEC_T_STRING, server_name, validate_server_name),
	OBJS("s3Credentials.accessKeyId", SPEC_T_REF, s3_key_id, NULL),
	OBJS("s3Credentials.secretAccessKey", SPEC_T_REF, s3_secret, NULL),
	OBJS("s3Credentials.sessionToken", SPEC_T_REF, s3_session, NULL),
	OBJS("s3Credentials.region", SPEC_T_REF, s3_region, NULL),
	OBJS("s3Credentials.inheritFromIAMRole", SPEC_T_BOOL, s3_iam, NULL),
	OBJS("azureCredentials.connectionString", SPEC_T_REF, azure_conn, NULL),
	OBJS("azureCredentials.storageAccount", SPEC_T_REF, azure_account, NULL),
	OBJS("azureCredentials.storageKey", SPEC_T_REF, azure_key, NULL),
	OBJS("azureCredentials.storageSasToken", SPEC_T_REF, azure_sas, NULL),
	OBJS("azureCredentials.inheritFromAzureAD", SPEC_T_BOOL, azure_inherit, NULL),
	OBJS("googleCredentials.applicationCredentials", SPEC_T_REF, google_creds, NULL),
	OBJS("googleCredentials.gkeEnvironment", SPEC_T_BOOL, google_gke, NULL),
	OBJS("wal.compression", SPEC_T_STRING, wal_compression, validate_barman_compression),
	OBJS("wal.encryption", SPEC_T_STRING, wal_encryption, validate_barman_encryption),
	{ .key = "wal.maxParallel", .type = SPEC_T_INT,
	  .offset = offsetof(struct spec_objstore, wal_max_parallel), .dflt = "1", .mutable_ = true,
	  .check = validate_barman_parallel, .paths = { "wal.maxParallel" } },
	OBJS("data.compression", SPEC_T_STRING, data_compression, validate_barman_compression),
	OBJS("data.encryption", SPEC_T_STRING, data_encryption, validate_barman_encryption),
	{ .key = "data.jobs", .type = SPEC_T_INT, .offset = offsetof(struct spec_objstore, data_jobs),
	  .dflt = "2", .mutable_ = true, .check = validate_barman_parallel, .paths = { "data.jobs" } },
	{ .key = "data.immediateCheckpoint", .type = SPEC_T_BOOL,
	  .offset = offsetof(struct spec_objstore, data_immediate_checkpoint), .dflt = "false",
	  .mutable_ = true, .paths = { "data.immediateCheckpoint" } },
	{ .key = "tags", .type = SPEC_T_KVLIST, .offset = offsetof(struct spec_objstore, tags),
	  .mutable_ = true, .clear = true, .check = validate_barman_tags, .paths = { "tags" } },
	{ .key = "historyTags", .type = SPEC_T_KVLIST,
	  .offset = offsetof(struct spec_objstore, history_tags), .mutable_ = true, .clear = true,
	  .check = validate_barman_tags, .paths = { "historyTags" } },
	OBJS("wal.archiveAdditionalCommandArgs", SPEC_T_STRLIST, archive_args, validate_barman_args),
	OBJS("wal.restoreAdditionalCommandArgs", SPEC_T_STRLIST, restore_args, validate_barman_args),
	OBJS("data.additionalCommandArgs", SPEC_T_STRLIST, backup_args, validate_barman_args),
};
#undef OBJS

const struct spec_list spec_objstore_list = {
	.expect = "a mapping", .size = sizeof(struct spec_objstore),
	.origin = offsetof(struct spec_objstore, origin), .fields = NAMES(objstore_fields),
	.missing = "needs a \"destinationPath\" (s3://bucket/path, gs://bucket/path or an Azure "
		   "blob URL)",
};

/* externalClusters[] (CloudNativePG, the chart). */
#define EXT(k, t, m, chk, ...) ITEM(struct spec_external, k, t, m, true, chk, __VA_ARGS__)
static const struct spec_field external_fields[] = {
	{ .key = "name", .type = SPEC_T_STRING, .offset = offsetof(struct spec_external, name),
	  .mutable_ = true, .required = true, .check = validate_external_name, .paths = { "name" } },
	EXT("connectionParameters", SPEC_T_KVLIST, conn, validate_conn_params, "connectionParameters"),
	EXT("password", SPEC_T_REF, password, NULL, "password"),
	EXT("sslKey", SPEC_T_REF, ssl_key, NULL, "sslKey"),
	EXT("sslCert", SPEC_T_REF, ssl_cert, NULL, "sslCert"),
	EXT("sslRootCert", SPEC_T_REF, ssl_root_cert, NULL, "sslRootCert"),
	EXT("objectStore", SPEC_T_PRESENT, has_object_store, NULL, "barmanObjectStore", "plugin"),
	{ .key = "barmanObjectStore", .type = SPEC_T_OBJECT,
	  .offset = offsetof(struct spec_external, store), .mutable_ = true,
	  .list = &spec_objstore_list, .paths = { "barmanObjectStore" } },
};
#undef EXT

static const struct spec_list spec_external_list = {
	.expect = "a list", .size = sizeof(struct spec_external),
	.origin = offsetof(struct spec_external, origin),
	.count = offsetof(struct spec, n_externals), .fields = NAMES(external_fields),
	.missing = "\"name\" is required", .drop_incomplete = false, .dump_empty = true,
};

/* spec.users[] (PGO, Percona): every user is made to exist with its
 * databases (pgdata/managed.c); the first with a database owns the
 * application database. */
#define ROLE(k, t, m, chk, ...) ITEM(struct spec_role, k, t, m, true, chk, __VA_ARGS__)
static const struct spec_field role_fields[] = {
	{ .key = "name", .type = SPEC_T_STRING, .offset = offsetof(struct spec_role, name),
	  .mutable_ = true, .required = true, .check = validate_role_name, .paths = { "name" } },
	ROLE("databases", SPEC_T_STRLIST, databases, validate_pgo_databases, "databases"),
	ROLE("options", SPEC_T_STRING, options, validate_role_options, "options"),
	{ .key = "password.type", .type = SPEC_T_STRING,
	  .offset = offsetof(struct spec_role, password_type), .dflt = "ASCII", .mutable_ = true,
	  .check = validate_password_type, .paths = { "password.type" } },
};
#undef ROLE
static const char *const role_ignored[] = { "secretName", "grantPublicSchemaAccess" };

const struct spec_list spec_role_list = {
	.expect = "a list", .size = sizeof(struct spec_role),
	.origin = offsetof(struct spec_role, origin),
	.count = offsetof(struct spec, n_roles), .fields = NAMES(role_fields),
	.ignored = NAMES(role_ignored), .missing = "\"name\" is required",
	.drop_incomplete = true, .dump_empty = true, .after_item = spec_role_owner,
};

/* spec.managed.roles[] (CloudNativePG's RoleConfiguration), with its
 * defaults: present, inherit, no connection limit. */
#define MROLE(k, t, m, d, chk) { .key = k, .type = t, \
	.offset = offsetof(struct spec_managed_role, m), .dflt = d, .mutable_ = true, \
	.check = chk, .paths = { k } }
static const struct spec_field managed_role_fields[] = {
	{ .key = "name", .type = SPEC_T_STRING, .offset = offsetof(struct spec_managed_role, name),
	  .mutable_ = true, .required = true, .check = validate_managed_role_name,
	  .paths = { "name" } },
	MROLE("ensure", SPEC_T_STRING, ensure, "present", validate_ensure),
	MROLE("comment", SPEC_T_STRING, comment, NULL, validate_comment),
	MROLE("login", SPEC_T_BOOL, login, "false", NULL),
	MROLE("superuser", SPEC_T_BOOL, superuser, "false", NULL),
	MROLE("createdb", SPEC_T_BOOL, createdb, "false", NULL),
	MROLE("createrole", SPEC_T_BOOL, createrole, "false", NULL),
	MROLE("inherit", SPEC_T_BOOL, inherit, "true", NULL),
	MROLE("replication", SPEC_T_BOOL, replication, "false", NULL),
	MROLE("bypassrls", SPEC_T_BOOL, bypassrls, "false", NULL),
	{ .key = "connectionLimit", .type = SPEC_T_INT,
	  .offset = offsetof(struct spec_managed_role, connection_limit), .dflt = "-1",
	  .mutable_ = true, .arg = -1, .paths = { "connectionLimit" } },
	MROLE("validUntil", SPEC_T_STRING, valid_until, NULL, validate_valid_until),
	MROLE("inRoles", SPEC_T_STRLIST, in_roles, NULL, validate_role_list),
	{ .key = "passwordSecret", .type = SPEC_T_STRING,
	  .offset = offsetof(struct spec_managed_role, password_secret), .mutable_ = true,
	  .check = validate_object_name, .paths = { "passwordSecret.name" } },
	MROLE("disablePassword", SPEC_T_BOOL, disable_password, "false", NULL),
};
#undef MROLE

const struct spec_list spec_managed_role_list = {
	.expect = "a list", .size = sizeof(struct spec_managed_role),
	.origin = offsetof(struct spec_managed_role, origin),
	.count = offsetof(struct spec, n_managed_roles), .fields = NAMES(managed_role_fields),
	.missing = "\"name\" is required", .drop_incomplete = true,
};

/* A pgBackRest repository: a name and one of volume, s3, gcs, azure (the
 * kind is set by spec_repo_kind). */
#define REPO(k, t, m, ...) ITEM(struct spec_repo, k, t, m, true, NULL, __VA_ARGS__)
static const struct spec_field repo_fields[] = {
	{ .key = "name", .type = SPEC_T_STRING, .offset = offsetof(struct spec_repo, name),
	  .mutable_ = true, .required = true, .paths = { "name" } },
	REPO("type", SPEC_T_STRING, kind, NULL),
	REPO("bucket", SPEC_T_STRING, bucket, "s3.bucket", "gcs.bucket", "azure.container"),
	REPO("endpoint", SPEC_T_STRING, endpoint, "s3.endpoint", "gcs.endpoint", "azure.endpoint"),
	REPO("region", SPEC_T_STRING, region, "s3.region", "gcs.region", "azure.region"),
	ITEM(struct spec_repo, "schedules.full", SPEC_T_STRING, schedule_full, true,
	     validate_schedule, "schedules.full"),
	ITEM(struct spec_repo, "schedules.differential", SPEC_T_STRING, schedule_diff, true,
	     validate_schedule, "schedules.differential"),
	ITEM(struct spec_repo, "schedules.incremental", SPEC_T_STRING, schedule_incr, true,
	     validate_schedule, "schedules.incremental"),
};
#undef REPO
static const char *const repo_ignored[] = { "volume.volumeClaimSpec" };

static const struct spec_list spec_repo_list = {
	.expect = "a list", .size = sizeof(struct spec_repo),
	.origin = offsetof(struct spec_repo, origin),
	.count = offsetof(struct spec, n_repos), .fields = NAMES(repo_fields),
	.ignored = NAMES(repo_ignored), .missing = "needs a \"name\"",
	.drop_incomplete = true, .dump_empty = true, .after_item = spec_repo_kind,
};

/* backups.pgbackrest.configuration[] and dataSource.pgbackrest.configuration[]
 * (PGO, Percona): projected Secrets and ConfigMaps of pgBackRest INI files
 * (the keys read by spec_projection_keys). */
static const struct spec_field projection_fields[] = {
	ITEM(struct spec_projection, "secret", SPEC_T_STRING, secret, true, validate_object_name,
	     "secret.name"),
	ITEM(struct spec_projection, "configMap", SPEC_T_STRING, configmap, true,
	     validate_object_name, "configMap.name"),
	ITEM(struct spec_projection, "keys", SPEC_T_STRLIST, keys, true, NULL),
};
static const char *const projection_ignored[] = {
	"secret.items", "configMap.items", "secret.optional", "configMap.optional",
	"downwardAPI", "serviceAccountToken", "clusterTrustBundle",
};

#define PROJECTIONS(n) { .expect = "a list of projections (secret, configMap)", \
	.size = sizeof(struct spec_projection), .origin = offsetof(struct spec_projection, origin), \
	.count = offsetof(struct spec, n), .fields = NAMES(projection_fields), \
	.ignored = NAMES(projection_ignored), .after_item = spec_projection_keys }
static const struct spec_list spec_pgbackrest_config_list = PROJECTIONS(n_pgbackrest_config);
static const struct spec_list spec_restore_config_list = PROJECTIONS(n_restore_config);
#undef PROJECTIONS

/* spec.instances[] (PGO, Percona): instance sets, their replicas summed. */
static const struct spec_field instance_set_fields[] = {
	ITEM(struct spec_instance_set, "name", SPEC_T_STRING, name, true, NULL, "name"),
	{ .key = "replicas", .type = SPEC_T_INT, .offset = offsetof(struct spec_instance_set, replicas),
	  .dflt = "1", .mutable_ = true, .paths = { "replicas" } },
};
static const char *const instance_set_ignored[] = {
	"metadata", "affinity", "containers", "dataVolumeClaimSpec", "priorityClassName",
	"minAvailable", "resources", "sidecars", "tolerations", "topologySpreadConstraints",
	"walVolumeClaimSpec", "tablespaceVolumes", "volumes",
	/* Percona */
	"sidecarVolumes", "sidecarPVCs", "extraVolumes", "initContainers", "initContainer",
	"volumeMounts", "securityContext", "env", "envFrom",
};

static const struct spec_list spec_instance_set_list = {
	.expect = "a list of instance sets", .size = sizeof(struct spec_instance_set),
	.origin = offsetof(struct spec_instance_set, origin),
	.count = offsetof(struct spec, n_instance_sets), .fields = NAMES(instance_set_fields),
	.ignored = NAMES(instance_set_ignored), .missing = "\"name\" is required",
	.after_list = spec_instance_sum,
};
/* ScheduledBackup documents (CloudNativePG), read by dialect.c from the
 * documents beside the Cluster. */
static const struct spec_field scheduled_fields[] = {
	ITEM(struct spec_scheduled, "name", SPEC_T_STRING, name, true, NULL, "metadata.name"),
	ITEM(struct spec_scheduled, "schedule", SPEC_T_STRING, schedule, true, validate_schedule6,
	     "spec.schedule"),
	ITEM(struct spec_scheduled, "immediate", SPEC_T_BOOL, immediate, true, NULL, "spec.immediate"),
	ITEM(struct spec_scheduled, "suspend", SPEC_T_BOOL, suspend, true, NULL, "spec.suspend"),
	ITEM(struct spec_scheduled, "method", SPEC_T_STRING, method, true, validate_backup_method,
	     "spec.method"),
};
static const char *const scheduled_ignored[] = {
	"apiVersion", "kind", "metadata.namespace", "metadata.labels", "metadata.annotations",
	"metadata.uid", "metadata.resourceVersion", "metadata.generation",
	"metadata.creationTimestamp", "metadata.ownerReferences", "metadata.finalizers",
	"metadata.managedFields", "status", "spec.cluster", "spec.backupOwnerReference",
	"spec.target", "spec.pluginConfiguration", "spec.online", "spec.onlineConfiguration",
};

const struct spec_list spec_scheduled_list = {
	.expect = "documents", .size = sizeof(struct spec_scheduled),
	.origin = offsetof(struct spec_scheduled, origin),
	.count = offsetof(struct spec, n_scheduled), .fields = NAMES(scheduled_fields),
	.ignored = NAMES(scheduled_ignored), .missing = "needs spec.schedule",
	.drop_incomplete = true,
};

/* A Database document's extensions[] and schemas[]. */
#define DBX(T, k, m, chk) ITEM(T, k, SPEC_T_STRING, m, true, chk, k)
static const struct spec_field db_extension_fields[] = {
	{ .key = "name", .type = SPEC_T_STRING, .offset = offsetof(struct spec_db_extension, name),
	  .mutable_ = true, .required = true, .check = validate_sql_name, .paths = { "name" } },
	{ .key = "ensure", .type = SPEC_T_STRING,
	  .offset = offsetof(struct spec_db_extension, ensure), .dflt = "present", .mutable_ = true,
	  .check = validate_ensure, .paths = { "ensure" } },
	DBX(struct spec_db_extension, "version", version, validate_sql_text),
	DBX(struct spec_db_extension, "schema", schema, validate_sql_name),
};
static const struct spec_field db_schema_fields[] = {
	{ .key = "name", .type = SPEC_T_STRING, .offset = offsetof(struct spec_db_schema, name),
	  .mutable_ = true, .required = true, .check = validate_sql_name, .paths = { "name" } },
	{ .key = "ensure", .type = SPEC_T_STRING, .offset = offsetof(struct spec_db_schema, ensure),
	  .dflt = "present", .mutable_ = true, .check = validate_ensure, .paths = { "ensure" } },
	DBX(struct spec_db_schema, "owner", owner, validate_sql_name),
};

static const struct spec_list spec_db_extension_list = {
	.expect = "a list", .size = sizeof(struct spec_db_extension),
	.origin = offsetof(struct spec_db_extension, origin),
	.count = offsetof(struct spec_database, n_extensions), .fields = NAMES(db_extension_fields),
	.missing = "\"name\" is required", .drop_incomplete = true,
};
static const struct spec_list spec_db_schema_list = {
	.expect = "a list", .size = sizeof(struct spec_db_schema),
	.origin = offsetof(struct spec_db_schema, origin),
	.count = offsetof(struct spec_database, n_schemas), .fields = NAMES(db_schema_fields),
	.missing = "\"name\" is required", .drop_incomplete = true,
};

/* Database documents (CloudNativePG), read by dialect.c from the documents
 * beside the Cluster. What only CREATE DATABASE takes (template, encoding,
 * the locales) is not compared with an existing database. */
#define DB(k, t, m, chk) ITEM(struct spec_database, k, t, m, true, chk, "spec." k)
static const struct spec_field database_fields[] = {
	{ .key = "name", .type = SPEC_T_STRING, .offset = offsetof(struct spec_database, name),
	  .mutable_ = true, .required = true, .check = validate_managed_database,
	  .paths = { "spec.name" } },
	{ .key = "owner", .type = SPEC_T_STRING, .offset = offsetof(struct spec_database, owner),
	  .mutable_ = true, .check = validate_sql_name, .paths = { "spec.owner" } },
	{ .key = "ensure", .type = SPEC_T_STRING, .offset = offsetof(struct spec_database, ensure),
	  .dflt = "present", .mutable_ = true, .check = validate_ensure, .paths = { "spec.ensure" } },
	DB("template", SPEC_T_STRING, template_, validate_sql_name),
	DB("encoding", SPEC_T_STRING, encoding, validate_encoding),
	DB("locale", SPEC_T_STRING, locale, validate_sql_text),
	DB("localeCollate", SPEC_T_STRING, lc_collate, validate_sql_text),
	DB("localeCType", SPEC_T_STRING, lc_ctype, validate_sql_text),
	DB("localeProvider", SPEC_T_STRING, locale_provider, validate_locale_provider),
	DB("icuLocale", SPEC_T_STRING, icu_locale, validate_sql_text),
	DB("icuRules", SPEC_T_STRING, icu_rules, validate_sql_text),
	DB("builtinLocale", SPEC_T_STRING, builtin_locale, validate_sql_text),
	DB("isTemplate", SPEC_T_BOOL, is_template, NULL),
	DB("allowConnections", SPEC_T_BOOL, allow_connections, NULL),
	{ .key = "connectionLimit", .type = SPEC_T_INT,
	  .offset = offsetof(struct spec_database, connection_limit), .mutable_ = true, .arg = -1,
	  .paths = { "spec.connectionLimit" } },
	DB("tablespace", SPEC_T_STRING, tablespace, validate_sql_name),
	{ .key = "databaseReclaimPolicy", .type = SPEC_T_STRING,
	  .offset = offsetof(struct spec_database, reclaim_policy), .dflt = "retain",
	  .mutable_ = true, .check = validate_reclaim_policy,
	  .paths = { "spec.databaseReclaimPolicy" } },
	{ .key = "extensions", .type = SPEC_T_OBJLIST,
	  .offset = offsetof(struct spec_database, extensions), .mutable_ = true,
	  .list = &spec_db_extension_list, .paths = { "spec.extensions" } },
	{ .key = "schemas", .type = SPEC_T_OBJLIST, .offset = offsetof(struct spec_database, schemas),
	  .mutable_ = true, .list = &spec_db_schema_list, .paths = { "spec.schemas" } },
};
#undef DB
#undef DBX
static const char *const database_ignored[] = {
	"apiVersion", "kind", "metadata", "status", "spec.cluster",
};

const struct spec_list spec_database_list = {
	.expect = "documents", .size = sizeof(struct spec_database),
	.origin = offsetof(struct spec_database, origin),
	.count = offsetof(struct spec, n_databases), .fields = NAMES(database_fields),
	.ignored = NAMES(database_ignored), .missing = "needs spec.name",
	.drop_incomplete = true,
};

#undef ITEM

/* ---- the spec's own members ---- */

#define FX(k, t, m, d, mut, chk) { .key = k, .type = t, .offset = offsetof(struct spec, m), \
	.dflt = d, .mutable_ = mut, .check = chk }
#define F(k, t, m, d, mut) FX(k, t, m, d, mut, NULL)
#define FE(k, m, n, mut) { .key = k, .type = SPEC_T_ENUM, .offset = offsetof(struct spec, m), \
	.mutable_ = mut, .names = n }
#define FT(k, m, kind, mut) { .key = k, .type = SPEC_T_TARGET, .offset = offsetof(struct spec, m), \
	.mutable_ = mut, .arg = kind }
#define FL(k, t, m, l, mut) { .key = k, .type = t, .offset = offsetof(struct spec, m), \
	.mutable_ = mut, .list = l }

/* Where a restore stops, and what else its options say (P: key prefix). */
#define RESTORE_TARGET(P, m, mut) \
	FT(P ".target.time", m.target, SPEC_TARGET_TIME, mut), \
	FT(P ".target.xid", m.target, SPEC_TARGET_XID, mut), \
	FT(P ".target.name", m.target, SPEC_TARGET_NAME, mut), \
	FT(P ".target.lsn", m.target, SPEC_TARGET_LSN, mut), \
	F(P ".target.timeline", SPEC_T_STRING, m.target.timeline, NULL, mut), \
	FT(P ".target.immediate", m.target, SPEC_TARGET_IMMEDIATE, mut), \
	F(P ".target.exclusive", SPEC_T_BOOL, m.target.exclusive, NULL, mut), \
	FE(P ".target.type", m.target.kind, spec_target_names, mut), \
	F(P ".target.action", SPEC_T_STRING, m.target_action, NULL, mut), \
	F(P ".dbInclude", SPEC_T_STRLIST, m.db_include, NULL, mut), \
	F(P ".passthroughOptions", SPEC_T_STRLIST, m.passthrough, NULL, mut)

/* Every member of the model, in dump order. */
const struct spec_field spec_fields[] = {
	F("name", SPEC_T_STRING, name, NULL, false),
	FX("instances", SPEC_T_INT, instances, "1", true, validate_instances),
	FE("bootstrap.method", bootstrap, spec_bootstrap_names, false),
	FX("bootstrap.database", SPEC_T_STRING, app_database, "app", false, validate_database),
	FX("bootstrap.owner", SPEC_T_STRING, app_owner, NULL, false, validate_owner),
	F("bootstrap.secret", SPEC_T_STRING, app_secret, NULL, true),
	F("bootstrap.initdb.dataChecksums", SPEC_T_BOOL, data_checksums, "false", false),
	FX("bootstrap.initdb.encoding", SPEC_T_STRING, encoding, "UTF8", false, validate_encoding),
	F("bootstrap.initdb.locale", SPEC_T_STRING, locale, NULL, false),
	F("bootstrap.initdb.localeCollate", SPEC_T_STRING, locale_collate, NULL, false),
	F("bootstrap.initdb.localeCType", SPEC_T_STRING, locale_ctype, NULL, false),
	FX("bootstrap.initdb.localeProvider", SPEC_T_STRING, locale_provider, NULL, false,
	   validate_locale_provider),
	F("bootstrap.initdb.icuLocale", SPEC_T_STRING, icu_locale, NULL, false),
	F("bootstrap.initdb.icuRules", SPEC_T_STRING, icu_rules, NULL, false),
	F("bootstrap.initdb.builtinLocale", SPEC_T_STRING, builtin_locale, NULL, false),
	FX("bootstrap.initdb.walSegmentSize", SPEC_T_INT, wal_segment_size, NULL, false,
	   validate_wal_segment_size),
	FX("bootstrap.initdb.options", SPEC_T_STRLIST, initdb_options, NULL, false,
	   validate_initdb_options),
	F("bootstrap.initdb.postInitSQL", SPEC_T_STRLIST, post_init_sql, NULL, false),
	F("bootstrap.initdb.postInitSQLRefs.secretRefs", SPEC_T_REFLIST, post_init_sql_refs.secrets, NULL, false),
	F("bootstrap.initdb.postInitSQLRefs.configMapRefs", SPEC_T_REFLIST, post_init_sql_refs.configmaps, NULL, false),
	F("bootstrap.initdb.postInitTemplateSQL", SPEC_T_STRLIST, post_init_template_sql, NULL, false),
	F("bootstrap.initdb.postInitTemplateSQLRefs.secretRefs", SPEC_T_REFLIST, post_init_template_sql_refs.secrets, NULL, false),
	F("bootstrap.initdb.postInitTemplateSQLRefs.configMapRefs", SPEC_T_REFLIST, post_init_template_sql_refs.configmaps, NULL, false),
	F("bootstrap.initdb.postInitApplicationSQL", SPEC_T_STRLIST, post_init_application_sql, NULL, false),
	F("bootstrap.initdb.postInitApplicationSQLRefs.secretRefs", SPEC_T_REFLIST, post_init_application_sql_refs.secrets, NULL, false),
	F("bootstrap.initdb.postInitApplicationSQLRefs.configMapRefs", SPEC_T_REFLIST, post_init_application_sql_refs.configmaps, NULL, false),
	FX("bootstrap.initdb.import.type", SPEC_T_STRING, import.type, NULL, false,
	   validate_import_type),
	FX("bootstrap.initdb.import.databases", SPEC_T_STRLIST, import.databases, NULL, false,
	   validate_import_names),
	FX("bootstrap.initdb.import.roles", SPEC_T_STRLIST, import.roles, NULL, false,
	   validate_import_names),
	F("bootstrap.initdb.import.source", SPEC_T_STRING, import.source, NULL, false),
	F("bootstrap.initdb.import.schemaOnly", SPEC_T_BOOL, import.schema_only, NULL, false),
	F("bootstrap.initdb.import.postImportApplicationSQL", SPEC_T_STRLIST, import.post_import_sql,
	  NULL, false),
	FX("bootstrap.initdb.import.pgDumpExtraOptions", SPEC_T_STRLIST, import.dump_options, NULL,
	   false, validate_dump_options),
	FX("bootstrap.initdb.import.pgRestoreExtraOptions", SPEC_T_STRLIST, import.restore_options,
	   NULL, false, validate_restore_options),
	FX("bootstrap.initdb.import.pgRestorePredataOptions", SPEC_T_STRLIST, import.predata_options,
	   NULL, false, validate_restore_options),
	FX("bootstrap.initdb.import.pgRestoreDataOptions", SPEC_T_STRLIST, import.data_options,
	   NULL, false, validate_restore_options),
	FX("bootstrap.initdb.import.pgRestorePostdataOptions", SPEC_T_STRLIST,
	   import.postdata_options, NULL, false, validate_restore_options),
	F("bootstrap.clone.source", SPEC_T_STRING, clone_source, NULL, false),
	F("bootstrap.restore.source", SPEC_T_STRING, restore.source, NULL, false),
	FE("bootstrap.restore.sourceKind", restore.source_kind, source_kind_names, false),
	F("bootstrap.restore.backupID", SPEC_T_STRING, restore.backup_id, NULL, false),
	F("bootstrap.restore.backupObject", SPEC_T_STRING, restore.backup_object, NULL, false),
	F("bootstrap.restore.options", SPEC_T_STRLIST, restore.options, NULL, false),
	F("bootstrap.restore.stanza", SPEC_T_STRING, pgbackrest_stanza, NULL, false),
	RESTORE_TARGET("bootstrap.restore", restore, false),
	F("standby.enabled", SPEC_T_BOOL, standby_enabled, "false", true),
	F("standby.source", SPEC_T_STRING, standby_source, NULL, true),
	FE("standby.sourceKind", standby_source_kind, source_kind_names, true),
	F("standby.host", SPEC_T_STRING, standby_host, NULL, true),
	F("standby.port", SPEC_T_INT, standby_port, NULL, true),
	F("standby.minApplyDelay", SPEC_T_STRING, standby_min_apply_delay, NULL, true),
	F("restoreInPlace.enabled", SPEC_T_BOOL, inplace_restore_enabled, "false", true),
	F("restoreInPlace.repo", SPEC_T_STRING, inplace.source, NULL, true),
	FE("restoreInPlace.sourceKind", inplace.source_kind, source_kind_names, true),
	F("restoreInPlace.backupID", SPEC_T_STRING, inplace.backup_id, NULL, true),
	F("restoreInPlace.id", SPEC_T_STRING, inplace_id, NULL, true),
	F("restoreInPlace.options", SPEC_T_STRLIST, inplace.options, NULL, true),
	RESTORE_TARGET("restoreInPlace", inplace, true),
	FX("bootstrap.restore.pgbackrest.global", SPEC_T_KVLIST, restore_global, NULL, false,
	   validate_pgbackrest_global),
	FX("pgbackrest.global", SPEC_T_KVLIST, pgbackrest_global, NULL, true,
	   validate_pgbackrest_global),
	FL("backup.objectStore", SPEC_T_OBJECT, backup_store, &spec_objstore_list, true),
	FX("backup.retentionPolicy", SPEC_T_STRING, backup_retention, NULL, true,
	   validate_retention_policy),
	F("backup.skipEmptyWalArchiveCheck", SPEC_T_BOOL, skip_empty_wal_check, NULL, true),
	{ .key = "postgresql.parameters", .type = SPEC_T_KVLIST, .offset = offsetof(struct spec, parameters),
	  .mutable_ = true, .check = validate_parameters, .clear = true },
	FX("postgresql.pg_hba", SPEC_T_STRLIST, pg_hba, NULL, true, validate_pg_hba),
	F("postgresql.shared_preload_libraries", SPEC_T_STRLIST, shared_preload_libraries, NULL, false),
	FX("postgresql.version", SPEC_T_INT, postgres_version, NULL, false, validate_postgres_version),
	FX("certificates.serverTLSSecret", SPEC_T_STRING, tls_server_secret, NULL, true,
	   validate_object_name),
	FX("certificates.serverCASecret", SPEC_T_STRING, tls_server_ca_secret, NULL, true,
	   validate_object_name),
	FX("certificates.clientCASecret", SPEC_T_STRING, tls_client_ca_secret, NULL, true,
	   validate_object_name),
	FX("certificates.replicationTLSSecret", SPEC_T_STRING, tls_replication_secret, NULL, true,
	   validate_object_name),
	F("certificates.serverAltDNSNames", SPEC_T_STRLIST, tls_alt_dns_names, NULL, true),
	F("superuser.secret", SPEC_T_STRING, superuser_secret, NULL, true),
	F("superuser.enableAccess", SPEC_T_BOOL, enable_superuser_access, "false", true),
	F("smartShutdownTimeout", SPEC_T_INT, smart_shutdown_timeout, "180", true),
	F("stopDelay", SPEC_T_INT, stop_delay, "1800", true),
	F("startDelay", SPEC_T_INT, start_delay, "3600", true),
	FX("probes.readiness.maximumLag", SPEC_T_STRING, max_lag, NULL, true, validate_size),
	FL("externalClusters", SPEC_T_OBJLIST, externals, &spec_external_list, true),
	FL("roles", SPEC_T_OBJLIST, roles, &spec_role_list, true),
	FL("managed.roles", SPEC_T_OBJLIST, managed_roles, &spec_managed_role_list, true),
	FL("repos", SPEC_T_OBJLIST, repos, &spec_repo_list, true),
	FL("pgbackrest.configuration", SPEC_T_OBJLIST, pgbackrest_config,
	   &spec_pgbackrest_config_list, true),
	FL("bootstrap.restore.pgbackrest.configuration", SPEC_T_OBJLIST, restore_config,
	   &spec_restore_config_list, false),
	FL("bootstrap.restore.repo", SPEC_T_OBJECT, restore_repo, &spec_repo_list, false),
	FL("instanceSets", SPEC_T_OBJLIST, instance_sets, &spec_instance_set_list, true),
	FL("scheduledBackups", SPEC_T_OBJLIST, scheduled, &spec_scheduled_list, true),
	FL("databases", SPEC_T_OBJLIST, databases, &spec_database_list, true),
};
#undef RESTORE_TARGET
#undef FL
#undef FT
#undef FE
#undef F
#undef FX
#undef NAMES

const size_t spec_nfields = sizeof(spec_fields) / sizeof(spec_fields[0]);

/* ---- post-read hooks of the lists ---- */

/* PGO: the first user with a database owns the application database. */
static bool
spec_role_owner(struct spec *s, void *item, struct json_object *o, const char *path,
		struct diag *d)
{
	struct spec_role *r = item;
	char p[300];

	(void) o;
	(void) d;
	if (s->app_owner != NULL || r->databases.n == 0)
		return true;
	free(s->app_database);
	s->app_owner = spec_xstrdup(r->name);
	s->app_database = spec_xstrdup(r->databases.items[0]);
	snprintf(p, sizeof(p), "%s.name", path);
	spec_set_origin(s, spec_field_index("bootstrap.owner"), p);
	snprintf(p, sizeof(p), "%s.databases[0]", path);
	spec_set_origin(s, spec_field_index("bootstrap.database"), p);
	return true;
}

/* A repository is exactly one of volume, s3, gcs or azure. */
static bool
spec_repo_kind(struct spec *s, void *item, struct json_object *o, const char *path,
	       struct diag *d)
{
	static const char *const kinds[] = { "volume", "s3", "gcs", "azure" };
	struct spec_repo *r = item;

	(void) s;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct json_object *v = NULL;

		if (!json_object_object_get_ex(o, kinds[k], &v) || v == NULL)
			continue;
		if (r->kind != NULL) {
			diag_error(d, path, "has both \"%s\" and \"%s\"; a repository is one of "
				   "volume, s3, gcs or azure", r->kind, kinds[k]);
			return false;
		}
		r->kind = spec_xstrdup(kinds[k]);
	}
	return true;
}

/* A projection names a Secret or a ConfigMap (not both); its items[].key,
 * when listed, are the keys it projects. */
static bool
spec_projection_keys(struct spec *s, void *item, struct json_object *o, const char *path,
		     struct diag *d)
{
	struct spec_projection *pr = item;
	struct json_object *src = NULL, *items = NULL;

	(void) s;
	if ((pr->secret == NULL) == (pr->configmap == NULL)) {
		diag_error(d, path, "names %s; each entry projects one Secret (secret.name) or one "
			   "ConfigMap (configMap.name)", pr->secret == NULL ? "neither a secret nor a "
			   "configMap" : "both a secret and a configMap");
		return false;
	}
	if (!json_object_object_get_ex(o, pr->secret != NULL ? "secret" : "configMap", &src)
	    || !json_object_object_get_ex(src, "items", &items) || items == NULL)
		return true;
	if (!json_object_is_type(items, json_type_array)) {
		diag_error(d, path, "%s.items must be a list of {key, path}",
			   pr->secret != NULL ? "secret" : "configMap");
		return false;
	}
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *k = NULL, *it = json_object_array_get_idx(items, i);

		if (!json_object_object_get_ex(it, "key", &k) || !json_object_is_type(k, json_type_string)) {
			diag_error(d, path, "%s.items[%zu] needs a \"key\"",
				   pr->secret != NULL ? "secret" : "configMap", i);
			return false;
		}
		strlist_add(&pr->keys, json_object_get_string(k));
	}
	return true;
}

/* PGO's instances are the replicas of every instance set. */
static void
spec_instance_sum(struct spec *s, const char *path)
{
	long long sum = 0;

	for (size_t i = 0; i < s->n_instance_sets; i++)
		sum += s->instance_sets[i].replicas;
	s->instances = sum > INT_MAX ? INT_MAX : (int) sum;
	spec_set_origin(s, spec_field_index("instances"), path);
}
