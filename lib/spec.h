/*
 * spec.h — the one internal model of a cluster spec.
 *
 * Four dialects (CloudNativePG Cluster, cnpg-database chart values, Crunchy
 * PGO PostgresCluster, Percona PerconaPGCluster) are read into this model by
 * lib/dialect.c. Every scalar and list member is described once in
 * spec_fields[] (spec.c): the dialect readers, validation messages and the
 * normalized JSON dump all walk that table.
 */
#ifndef PGPOD_SPEC_H
#define PGPOD_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#define MUSTCHECK __attribute__((warn_unused_result))

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

/* One entry of externalClusters (a clone/restore/standby source). */
struct spec_external {
	char          *name;
	struct kvlist  conn;		/* connectionParameters */
	struct spec_ref password;	/* Secret key holding the password */
	struct spec_ref ssl_key;
	struct spec_ref ssl_cert;
	struct spec_ref ssl_root_cert;
	bool           has_object_store; /* barmanObjectStore / plugin given */
};

/* An extra role with its databases (PGO / Percona spec.users). */
struct spec_role {
	char          *name;
	struct strlist databases;
	char          *options;		/* SQL role options, e.g. "SUPERUSER" */
};

/* A pgBackRest repository (PGO / Percona spec.backups.pgbackrest.repos). */
struct spec_repo {
	char *name;
	char *kind;			/* volume, s3, gcs, azure */
	char *bucket;
	char *endpoint;
	char *region;
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
	char               *restore_source;	/* externalClusters name or repo */
	char               *restore_backup_id;	/* backup to restore (set/backupID) */
	struct strlist      restore_options;	/* pgBackRest restore options */
	char               *pitr_target_time;
	char               *pitr_target_xid;
	char               *pitr_target_name;
	char               *pitr_target_lsn;
	char               *pitr_target_tli;
	int                 pitr_target_immediate; /* -1 unset */
	int                 pitr_exclusive;	/* -1 unset */
	int                 standby_enabled;	/* -1 unset */
	char               *standby_source;	/* external cluster or repo */
	char               *standby_host;
	int                 standby_port;
	char               *standby_min_apply_delay;
	int                 inplace_restore_enabled; /* -1 unset */
	char               *inplace_restore_repo;
	struct strlist      inplace_restore_options;
	char               *pgbackrest_stanza;
	struct kvlist       restore_global;	/* pgBackRest settings of the restore source */
	struct spec_repo    restore_repo;	/* the repository restored from (PGO dataSource) */
	struct kvlist       pgbackrest_global;	/* settings of this cluster's own backups */

	struct spec_external *externals;
	size_t              n_externals;
	struct spec_role   *roles;
	size_t              n_roles;
	struct spec_repo   *repos;
	size_t              n_repos;

	/* postgres configuration */
	struct kvlist       parameters;
	struct strlist      pg_hba;
	struct strlist      shared_preload_libraries;
	int                 postgres_version;	/* major the spec asks for, -1 unset */

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

/* Member types understood by the field table. */
enum spec_type {
	SPEC_T_STRING,
	SPEC_T_INT,
	SPEC_T_BOOL,		/* int: -1 unset, 0, 1 */
	SPEC_T_STRLIST,
	SPEC_T_KVLIST,
	SPEC_T_REFLIST,
	SPEC_T_BOOTSTRAP,	/* enum spec_bootstrap */
};

/* One model member: its name in the normalized dump and where it lives. */
struct spec_field {
	const char    *key;		/* e.g. "bootstrap.initdb.encoding" */
	enum spec_type type;
	size_t         offset;
	const char    *dflt;		/* default as text, NULL for none */
	bool           mutable_;	/* may change after bootstrap */
};

extern const struct spec_field spec_fields[];
extern const size_t spec_nfields;

/* Index of a model member by its key; -1 if unknown. */
int spec_field_index(const char *key);

/* The user's path of a member (where the reader found it), else the
 * dialect's canonical path for it, else the model key. */
const char *spec_path(const struct spec *s, const char *key);

/* Record that a member was read from the given document path. */
void spec_set_origin(struct spec *s, int field, const char *path);

/* The externalClusters entry called name; NULL when there is none. */
const struct spec_external *spec_external_find(const struct spec *s, const char *name);

struct spec *spec_new(void);
void spec_free(struct spec *s);
void spec_apply_defaults(struct spec *s);

const char *spec_dialect_name(enum spec_dialect d);
const char *spec_bootstrap_name(enum spec_bootstrap b);

/* list helpers (abort on out-of-memory) */
void strlist_add(struct strlist *l, const char *v);
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

/* The normalized model as a JSON text (caller frees); secret values are
 * redacted. */
char *spec_to_json(const struct spec *s);

#endif
