/*
 * spec.h — the one internal model of a cluster spec.
 *
 * Four dialects (CloudNativePG Cluster, cnpg-database chart values, Crunchy
 * PGO PostgresCluster, Percona PerconaPGCluster) are read into this model by
 * lib/dialect.c. Every member is described once in spec_fields[] (spec.c),
 * lists of objects by a table of item fields each (struct spec_list): the
 * dialect readers, validation (each field may carry a check), the
 * normalized JSON dump, freeing and the reload comparison all walk those
 * tables.
 */
#ifndef PGPOD_SPEC_H
#define PGPOD_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#define MUSTCHECK __attribute__((warn_unused_result))

struct diag;
struct json_object;

enum spec_dialect {
	SPEC_DIALECT_CNPG,
	SPEC_DIALECT_CHART,
	SPEC_DIALECT_PGO,
	SPEC_DIALECT_PERCONA,
};

enum spec_bootstrap {
	SPEC_BOOTSTRAP_INITDB,		/* initdb from scratch (the default) */
	SPEC_BOOTSTRAP_PG_BASEBACKUP,	/* clone a live cluster */
	SPEC_BOOTSTRAP_RECOVERY,	/* restore a base backup (+ PITR) */
};

/* What a restore or standby source names. */
enum spec_source_kind {
	SPEC_SOURCE_NONE,
	SPEC_SOURCE_EXTERNAL,		/* an externalClusters entry (CloudNativePG) */
	SPEC_SOURCE_REPO,		/* a repository of spec.backups.pgbackrest.repos */
	SPEC_SOURCE_DATASOURCE_REPO,	/* the repository described with it (dataSource.pgbackrest.repo) */
	SPEC_SOURCE_CLUSTER,		/* a repository of another PGO cluster (dataSource.postgresCluster) */
};

/* Where a restore stops: CloudNativePG's recoveryTarget, pgBackRest's --type. */
enum spec_target_kind {
	SPEC_TARGET_NONE,		/* the end of the WAL */
	SPEC_TARGET_TIME,
	SPEC_TARGET_XID,
	SPEC_TARGET_NAME,
	SPEC_TARGET_LSN,
	SPEC_TARGET_IMMEDIATE,		/* the end of the base backup */
	SPEC_TARGET_DEFAULT,		/* pgBackRest --type=default: the end of the WAL */
	SPEC_TARGET_STANDBY,		/* pgBackRest --type=standby */
	SPEC_TARGET_PRESERVE,		/* pgBackRest --type=preserve */
};

/* A growable list of owned strings. */
struct strlist {
	char  **items;
	size_t  n;
};

/* A string-to-string map kept in insertion order (parameters, options). */
struct kv {
	char *key;
	char *value;
};
struct kvlist {
	struct kv *items;
	size_t     n;
};

/* A reference to one key of a Secret or ConfigMap. */
struct spec_ref {
	char *name;
	char *key;
};
struct reflist {
	struct spec_ref *items;
	size_t           n;
	bool             single;	/* written as one {name, key}, not a list */
};

/* postInit*SQLRefs: Secrets are run before ConfigMaps. */
struct spec_sqlrefs {
	struct reflist secrets;
	struct reflist configmaps;
};

/*
 * A Barman Cloud object store: CloudNativePG's barmanObjectStore (this
 * cluster's spec.backup, or an externalClusters entry's), the same shape as
 * a Barman Cloud Plugin ObjectStore document's spec.configuration. Every
 * credential is a Secret key, read into files for the barman-cloud child.
 */
#define SPEC_BARMAN_ARGS_MAX 16	/* each *AdditionalCommandArgs */

struct spec_objstore {
	char          *origin;		/* "spec.backup.barmanObjectStore" */
	char          *destination;	/* destinationPath: s3://, gs:// or an Azure https:// URL */
	char          *endpoint;	/* endpointURL */
	struct spec_ref endpoint_ca;	/* endpointCA: the CA bundle the endpoint is checked with */
	char          *server_name;	/* serverName: default the cluster's (source's) name */
	struct spec_ref s3_key_id;	/* s3Credentials.accessKeyId */
	struct spec_ref s3_secret;	/* s3Credentials.secretAccessKey */
	struct spec_ref s3_session;	/* s3Credentials.sessionToken */
	struct spec_ref s3_region;	/* s3Credentials.region */
	int            s3_iam;		/* s3Credentials.inheritFromIAMRole */
	struct spec_ref azure_conn;	/* azureCredentials.connectionString */
	struct spec_ref azure_account;	/* azureCredentials.storageAccount */
	struct spec_ref azure_key;	/* azureCredentials.storageKey */
	struct spec_ref azure_sas;	/* azureCredentials.storageSasToken */
	int            azure_inherit;	/* azureCredentials.inheritFromAzureAD */
	struct spec_ref google_creds;	/* googleCredentials.applicationCredentials */
	int            google_gke;	/* googleCredentials.gkeEnvironment */
	char          *wal_compression;	/* wal.compression: gzip, bzip2, snappy */
	char          *wal_encryption;	/* wal.encryption: AES256, aws:kms */
	int            wal_max_parallel; /* wal.maxParallel */
	char          *data_compression; /* data.compression */
	char          *data_encryption;	/* data.encryption */
	int            data_jobs;	/* data.jobs */
	int            data_immediate_checkpoint; /* data.immediateCheckpoint */
	struct kvlist  tags;
	struct kvlist  history_tags;
	struct strlist archive_args;	/* wal.archiveAdditionalCommandArgs */
	struct strlist restore_args;	/* wal.restoreAdditionalCommandArgs */
	struct strlist backup_args;	/* data.additionalCommandArgs */
	const char    *secret_path;	/* where the credentials' Secret is named, relative
					 * to origin, when not beside each key (the
					 * cluster chart's "secret.name"); static text */
};

/* One entry of externalClusters (a clone/restore/standby source). */
struct spec_external {
	char          *origin;		/* "spec.externalClusters[1]": where it was read */
	char          *name;
	struct kvlist  conn;		/* connectionParameters */
	struct spec_ref password;	/* Secret key holding the password */
	struct spec_ref ssl_key;
	struct spec_ref ssl_cert;
	struct spec_ref ssl_root_cert;
	bool           has_object_store; /* barmanObjectStore / plugin given */
	struct spec_objstore store;	/* barmanObjectStore (destination NULL: none) */
};

/* A user with its databases (PGO / Percona spec.users): every one is
 * created, its databases created and granted to it (pgdata/managed.c). */
struct spec_role {
	char          *origin;		/* "spec.users[0]" */
	char          *name;
	struct strlist databases;
	char          *options;		/* SQL role options, e.g. "SUPERUSER" (lib/roleopts.c) */
	char          *password_type;	/* password.type: ASCII (default) or AlphaNumeric */
};

/* A role of CloudNativePG's spec.managed.roles (its RoleConfiguration).
 * BOOL members are -1 only before defaults apply. */
struct spec_managed_role {
	char          *origin;		/* "spec.managed.roles[0]" */
	char          *name;
	char          *ensure;		/* present (default) or absent */
	char          *comment;
	int            login;
	int            superuser;
	int            createdb;
	int            createrole;
	int            inherit;		/* default true */
	int            replication;
	int            bypassrls;
	int            connection_limit;	/* -1: no limit */
	char          *valid_until;	/* a timestamp; NULL: never expires */
	struct strlist in_roles;
	char          *password_secret;	/* passwordSecret.name: a basic-auth Secret */
	int            disable_password;	/* the password is NULL */
};

/* A Database document's extensions[] and schemas[] (CloudNativePG). */
struct spec_db_extension {
	char *origin;			/* "Database db-one.spec.extensions[0]" */
	char *name;
	char *ensure;			/* present (default) or absent */
	char *version;
	char *schema;
};
struct spec_db_schema {
	char *origin;
	char *name;
	char *owner;
	char *ensure;
};

/* A CloudNativePG Database mounted beside the Cluster (its
 * spec.cluster.name is this cluster's). */
struct spec_database {
	char *origin;			/* "Database db-one" */
	char *name;			/* spec.name: the database in PostgreSQL */
	char *owner;
	char *ensure;			/* present (default) or absent */
	char *template_;		/* CREATE only, like encoding and the locales */
	char *encoding;
	char *locale;
	char *lc_collate;
	char *lc_ctype;
	char *locale_provider;
	char *icu_locale;
	char *icu_rules;
	char *builtin_locale;
	int   is_template;		/* -1: left as it is */
	int   allow_connections;	/* -1: left as it is */
	int   connection_limit;		/* -1: no limit */
	char *tablespace;
	char *reclaim_policy;		/* databaseReclaimPolicy: retain (default), delete */
	struct spec_db_extension *extensions;
	size_t n_extensions;
	struct spec_db_schema *schemas;
	size_t n_schemas;
};

/* bootstrap.initdb.import (CloudNativePG): a logical import from an
 * external cluster into the new initdb, with pg_dump and pg_restore. */
struct spec_import {
	char          *type;		/* "microservice", "monolith"; NULL: no import */
	struct strlist databases;	/* ["*"]: every database that allows connections */
	struct strlist roles;		/* monolith only; ["*"]: every role but the reserved */
	char          *source;		/* source.externalCluster */
	int            schema_only;	/* schemaOnly */
	struct strlist post_import_sql;	/* postImportApplicationSQL (microservice) */
	struct strlist dump_options;	/* pgDumpExtraOptions */
	struct strlist restore_options;	/* pgRestoreExtraOptions */
	struct strlist predata_options;	/* pgRestorePredataOptions, over restore_options */
	struct strlist data_options;	/* pgRestoreDataOptions */
	struct strlist postdata_options; /* pgRestorePostdataOptions */
};

/* A pgBackRest repository (PGO / Percona spec.backups.pgbackrest.repos). */
struct spec_repo {
	char *origin;			/* "spec.backups.pgbackrest.repos[0]" */
	char *name;
	char *kind;			/* volume, s3, gcs, azure */
	char *bucket;
	char *endpoint;
	char *region;
	char *schedule_full;		/* schedules.full: cron, five fields */
	char *schedule_diff;		/* schedules.differential */
	char *schedule_incr;		/* schedules.incremental */
};

/* One projected Secret or ConfigMap of pgBackRest settings (PGO's
 * backups.pgbackrest.configuration[]): its files are pgBackRest INI. */
struct spec_projection {
	char          *origin;		/* "spec.backups.pgbackrest.configuration[0]" */
	char          *secret;		/* secret.name, or NULL */
	char          *configmap;	/* configMap.name, or NULL */
	struct strlist keys;		/* items[].key; empty: every key ending in .conf */
};

/* A CloudNativePG ScheduledBackup mounted beside the Cluster (its
 * spec.cluster.name is this cluster's). */
struct spec_scheduled {
	char *origin;			/* "ScheduledBackup nightly" */
	char *name;
	char *schedule;			/* six fields, seconds first */
	int   immediate;		/* -1 unset, 0, 1: a backup at once, the first time */
	int   suspend;			/* -1 unset, 0, 1 */
	char *method;			/* barmanObjectStore (default), volumeSnapshot, plugin */
};

/* A PGO / Percona instance set (spec.instances[]). */
struct spec_instance_set {
	char *origin;			/* "spec.instances[0]" */
	char *name;
	int   replicas;			/* 1 unless given */
};

/* Where a restore stops. */
struct spec_target {
	enum spec_target_kind kind;
	unsigned       given;		/* bit 1 << kind for every kind the spec names */
	char          *value;		/* the time, xid, name or lsn */
	int            exclusive;	/* -1 unset, 0, 1: stop just before the target */
	char          *timeline;	/* "latest", "current" or a number */
};

/*
 * One restore: what it restores from and where it stops. Read from
 * CloudNativePG's bootstrap.recovery (source, backup, recoveryTarget) and
 * from PGO's dataSource / backups.pgbackrest.restore (repoName and the
 * pgBackRest options, split as a shell would and interpreted).
 */
struct spec_restore {
	char          *source;		/* externalClusters entry or repository name */
	enum spec_source_kind source_kind;
	char          *backup_id;	/* backupID, --set, or the Backup object's backupId */
	char          *backup_object;	/* CloudNativePG's recovery.backup.name: a Backup */
	struct spec_target target;
	char          *target_action;	/* --target-action (refused: pgpod decides) */
	struct strlist db_include;	/* --db-include, in order */
	struct strlist options;		/* the pgBackRest options as written (PGO) */
	struct strlist passthrough;	/* the other options, one word each, in order */
};

struct spec {
	enum spec_dialect   dialect;
	char               *source_file;
	char               *name;		/* cluster name */
	int                 instances;

	/* bootstrap, common to every method */
	enum spec_bootstrap bootstrap;
	char               *app_database;
	char               *app_owner;
	char               *app_secret;	/* Secret name (basic-auth) */

	/* initdb */
	int                 data_checksums;	/* -1 unset, 0, 1 */
	char               *encoding;
	char               *locale;
	char               *locale_collate;
	char               *locale_ctype;
	char               *locale_provider;
	char               *icu_locale;
	char               *icu_rules;
	char               *builtin_locale;
	int                 wal_segment_size;	/* MB, 0 = initdb default */
	struct strlist      initdb_options;	/* deprecated */
	struct strlist      post_init_sql;
	struct strlist      post_init_template_sql;
	struct strlist      post_init_application_sql;
	struct spec_sqlrefs post_init_sql_refs;
	struct spec_sqlrefs post_init_template_sql_refs;
	struct spec_sqlrefs post_init_application_sql_refs;

	/* clone / restore / standby sources (later bootstrap methods) */
	char               *clone_source;	/* externalClusters name or PGO cluster */
	struct spec_import  import;		/* bootstrap.initdb.import */
	struct spec_restore restore;		/* the bootstrap restore */
	int                 standby_enabled;	/* -1 unset */
	char               *standby_source;	/* external cluster or repo */
	enum spec_source_kind standby_source_kind;
	char               *standby_host;
	int                 standby_port;
	char               *standby_min_apply_delay;
	int                 inplace_restore_enabled; /* -1 unset */
	struct spec_restore inplace;		/* PGO's in-place restore */
	char               *inplace_id;		/* its trigger: PGO's annotation value, or the
						 * PerconaPGRestore's name; applied once */
	char               *pgbackrest_stanza;
	struct kvlist       restore_global;	/* pgBackRest settings of the restore source */
	struct spec_repo    restore_repo;	/* the repository restored from (PGO dataSource) */
	struct kvlist       pgbackrest_global;	/* settings of this cluster's own backups */
	struct spec_objstore backup_store;	/* spec.backup.barmanObjectStore (Barman Cloud) */
	char               *backup_retention;	/* spec.backup.retentionPolicy: "30d", "4w", "6m" */
	int                 skip_empty_wal_check; /* cnpg.io/skipEmptyWalArchiveCheck: enabled */

	struct spec_external *externals;
	size_t              n_externals;
	struct spec_role   *roles;
	size_t              n_roles;
	struct spec_repo   *repos;
	size_t              n_repos;
	struct spec_projection *pgbackrest_config;	/* of this cluster's repositories */
	size_t              n_pgbackrest_config;
	struct spec_projection *restore_config;	/* of the repository restored from */
	size_t              n_restore_config;
	struct spec_instance_set *instance_sets;
	size_t              n_instance_sets;
	struct spec_scheduled *scheduled;	/* ScheduledBackup documents */
	size_t              n_scheduled;
	struct spec_managed_role *managed_roles;	/* spec.managed.roles */
	size_t              n_managed_roles;
	struct spec_database *databases;	/* Database documents */
	size_t              n_databases;

	/* postgres configuration */
	struct kvlist       parameters;
	struct strlist      pg_hba;
	struct strlist      shared_preload_libraries;
	int                 postgres_version;	/* major the spec asks for, -1 unset */

	/* TLS: CloudNativePG's spec.certificates, PGO's/Percona's customTLSSecret
	 * (all three from it) and customReplicationTLSSecret. Secret names; the
	 * keys are Kubernetes' fixed ones (tls.crt, tls.key, ca.crt). */
	char               *tls_server_secret;	/* tls.crt, tls.key: postgres' own */
	char               *tls_server_ca_secret;	/* ca.crt: replicas verify the primary with it */
	char               *tls_client_ca_secret;	/* ca.crt: postgres checks client certificates */
	char               *tls_replication_secret;	/* tls.crt, tls.key: streaming_replica's
						 * client certificate */
	struct strlist      tls_alt_dns_names;	/* serverAltDNSNames */

	/* superuser */
	char               *superuser_secret;
	int                 enable_superuser_access; /* -1 unset */

	/* supervision */
	int                 smart_shutdown_timeout;	/* seconds */
	int                 stop_delay;			/* seconds */
	int                 start_delay;		/* seconds */
	char               *max_lag;		/* probes.readiness.maximumLag, a quantity */

	/* where each member came from, for error messages (see spec_path()) */
	char              **origin;
};

/* Member types understood by the field tables. */
enum spec_type {
	SPEC_T_STRING,
	SPEC_T_INT,
	SPEC_T_BOOL,		/* int: -1 unset, 0, 1 */
	SPEC_T_STRLIST,
	SPEC_T_KVLIST,
	SPEC_T_REFLIST,
	SPEC_T_REF,		/* struct spec_ref: one {name, key} */
	SPEC_T_PRESENT,		/* bool: the field is there; its content is not read */
	SPEC_T_ENUM,		/* an enum, named by names[] (NULL-terminated); "" is not dumped */
	SPEC_T_TARGET,		/* struct spec_target; the key stands for the kind arg */
	SPEC_T_OBJECT,		/* one object described by list */
	SPEC_T_OBJLIST,		/* a pointer to items described by list; the count at list->count */
};

/* What a field's check sees besides the member and its user path. */
struct spec_check_ctx {
	const struct spec *s;
	const void        *item;	/* the list item holding the member; NULL for the spec's own */
	size_t             index;	/* the item's position in its list */
	int                major;	/* the installed PostgreSQL major */
};

/* A single-field validation rule (validate.c), called by validate_spec. */
typedef void (*spec_check_fn)(const struct spec_check_ctx *c, const void *member,
			      const char *path, struct diag *d);

struct spec_list;

/*
 * One member: its name in the normalized dump, its type and place, its
 * default, whether it may change after bootstrap, and its check. Item
 * fields (of a struct spec_list) also name their document paths relative
 * to the item; spec fields get theirs from the dialect maps.
 */
struct spec_field {
	const char    *key;		/* e.g. "bootstrap.initdb.encoding" */
	enum spec_type type;
	size_t         offset;
	const char    *dflt;		/* default as text, NULL for none */
	bool           mutable_;	/* may change after bootstrap */
	spec_check_fn  check;		/* single-field rule, NULL for none */
	const char    *paths[4];	/* items: document paths, first found wins */
	bool           required;	/* items: an item without it is incomplete */
	bool           clear;		/* KVLIST: values are no secrets (shown in the dump) */
	int            arg;		/* TARGET: the kind this key stands for; INT: the
					 * lowest value read when below 0 (else 0) */
	const char *const *names;	/* ENUM: value names */
	const struct spec_list *list;	/* OBJECT, OBJLIST: the item description */
};

/* Called once an item is read, with its document object; false drops it. */
typedef bool (*spec_item_hook)(struct spec *s, void *item, struct json_object *o,
			       const char *path, struct diag *d);
/* Called once a whole list is read (path: where it is). */
typedef void (*spec_list_hook)(struct spec *s, const char *path);

/* A list of objects (externalClusters, users, repos, instance sets). */
struct spec_list {
	const char    *expect;		/* "a list": what a non-list is told it should be */
	size_t         size;		/* of one item */
	size_t         origin;		/* offset of the item's char *origin */
	size_t         count;		/* OBJLIST: offset of the size_t count in the struct holding the list */
	const struct spec_field *fields;
	size_t         nfields;
	const char *const *ignored;	/* item paths accepted silently (the operator's) */
	size_t         nignored;
	const char    *missing;		/* the message for an item without a required field */
	bool           drop_incomplete; /* an incomplete item is left out (else kept) */
	bool           dump_empty;	/* dumped as [] when empty */
	spec_item_hook after_item;
	spec_list_hook after_list;
};

extern const struct spec_field spec_fields[];
extern const struct spec_list spec_scheduled_list;
extern const struct spec_list spec_database_list;
extern const struct spec_list spec_role_list;
extern const struct spec_list spec_managed_role_list;
extern const struct spec_list spec_objstore_list;
extern const size_t spec_nfields;

/* Index of a model member by its key; -1 if unknown. */
int spec_field_index(const char *key);

/* The user's path of a member (where the reader found it; for a list,
 * where the dialect keeps it), else the model key. */
const char *spec_path(const struct spec *s, const char *key);

/* Record that a member was read from the given document path. */
void spec_set_origin(struct spec *s, int field, const char *path);

/* The user's path of an item's field: "<item origin>.<first document
 * path>", or "<fallback>[index].<key>" for an item nobody read. */
void spec_item_path(const struct spec_list *l, const void *item, const struct spec_field *f,
		    const char *fallback, size_t index, char *buf, size_t cap);

/* The externalClusters entry called name; NULL when there is none. */
const struct spec_external *spec_external_find(const struct spec *s, const char *name);

/* For messages: `spec.externalClusters[0] ("src")`, or the list's path
 * when no entry is called name. Returns buf. */
const char *spec_external_path(const struct spec *s, const char *name, char *buf, size_t cap);

/* Move a repository (and its strings) from src to dst; src is left empty. */
void spec_repo_move(struct spec_repo *dst, struct spec_repo *src);

/* The source cluster's configuration projections (its backups') become
 * dst's restore configuration; src's list is left empty. */
void spec_projections_move(struct spec *dst, struct spec *src);

/* The cluster's name when the spec gives none. */
#define SPEC_DEFAULT_NAME "pgpod"

struct spec *spec_new(void);
void spec_free(struct spec *s);
void spec_apply_defaults(struct spec *s);

/* An item as read: unset ints (-1), no strings. */
void spec_item_init(const struct spec_list *l, void *item);
/* A deep copy of src into dst (its previous content is not freed). */
void spec_item_copy(const struct spec_list *l, void *dst, const void *src);
/* Free an item's members, leaving it as spec_item_init does. */
void spec_item_clear(const struct spec_list *l, void *item);

/* The user paths (spec_path) of every member that differs between old and
 * nw and may not change after bootstrap (mutable_ false); items of object
 * lists by their item paths. Each path once, in table order. */
void spec_changed_immutable(const struct spec *old, const struct spec *nw, struct strlist *paths);

const char *spec_dialect_name(enum spec_dialect d);
const char *spec_bootstrap_name(enum spec_bootstrap b);
/* "time", "xid", ...; NULL for SPEC_TARGET_NONE. */
const char *spec_target_name(enum spec_target_kind k);
extern const char *const spec_target_names[];
extern const char *const spec_bootstrap_names[];

/* Abort-on-out-of-memory allocation, for every module of the model. */
void *spec_xcalloc(size_t n, size_t size);
void *spec_xrealloc(void *p, size_t size);
char *spec_xstrdup(const char *s);

/* list helpers (abort on out-of-memory) */
void strlist_add(struct strlist *l, const char *v);
bool strlist_has(const struct strlist *l, const char *v);
void strlist_free(struct strlist *l);
void kvlist_set(struct kvlist *l, const char *key, const char *value);
const char *kvlist_get(const struct kvlist *l, const char *key);
void kvlist_free(struct kvlist *l);

/* Whether a connection parameter or pgBackRest option holds a secret
 * (password, sslpassword, repo1-s3-key, repo1-cipher-pass, ...). */
bool spec_key_is_secret(const char *key);
void reflist_add(struct reflist *l, const char *name, const char *key);
void reflist_free(struct reflist *l);
void spec_ref_free(struct spec_ref *r);

/* A size: a number with an optional unit, PostgreSQL's (B, kB, MB, GB,
 * TB: 1024-based) or a Kubernetes quantity's (Ki, Mi, Gi, Ti; k, M, G, T
 * 1000-based). False when it is not one or does not fit. */
bool spec_parse_size(const char *text, long long *bytes) MUSTCHECK;

/*
 * Split text into words as a POSIX shell would, without running one:
 * blanks separate words; single quotes keep everything; double quotes keep
 * everything but \" \\ \$ \` (and a backslash-newline); a backslash outside
 * quotes keeps the next character. No expansion of any kind. Words are
 * appended to out. False (and *why set) when a quote is not closed or the
 * text ends in a lone backslash; out then holds the words before it.
 */
bool spec_split_words(const char *text, struct strlist *out, const char **why) MUSTCHECK;

/* The normalized model as a JSON text (caller frees); secret values are
 * redacted. */
char *spec_to_json(const struct spec *s);

#endif
