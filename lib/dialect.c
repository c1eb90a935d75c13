/*
 * dialect.c — the four dialect readers. Each dialect is a table that maps a
 * document path to a model key of spec_fields[]; one walker reads every
 * table, converts values by the model's type, records where each value came
 * from (for error messages) and warns about fields nobody reads.
 */
#include "dialect.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamljson.h"

struct dialect_map {
	const char *path;	/* document path, "." separated */
	const char *key;	/* model key in spec_fields[] */
};

/* CloudNativePG Cluster. The chart dialect reuses it with paths rewritten
 * (spec.bootstrap.X -> bootstrapDB.X, spec.X -> X). */
static const struct dialect_map cnpg_map[] = {
	{ "metadata.name", "name" },
	{ "spec.instances", "instances" },
	{ "spec.bootstrap.initdb.database", "bootstrap.database" },
	{ "spec.bootstrap.initdb.owner", "bootstrap.owner" },
	{ "spec.bootstrap.initdb.secret.name", "bootstrap.secret" },
	{ "spec.bootstrap.initdb.dataChecksums", "bootstrap.initdb.dataChecksums" },
	{ "spec.bootstrap.initdb.encoding", "bootstrap.initdb.encoding" },
	{ "spec.bootstrap.initdb.locale", "bootstrap.initdb.locale" },
	{ "spec.bootstrap.initdb.localeCollate", "bootstrap.initdb.localeCollate" },
	{ "spec.bootstrap.initdb.localeCType", "bootstrap.initdb.localeCType" },
	{ "spec.bootstrap.initdb.localeProvider", "bootstrap.initdb.localeProvider" },
	{ "spec.bootstrap.initdb.icuLocale", "bootstrap.initdb.icuLocale" },
	{ "spec.bootstrap.initdb.icuRules", "bootstrap.initdb.icuRules" },
	{ "spec.bootstrap.initdb.builtinLocale", "bootstrap.initdb.builtinLocale" },
	{ "spec.bootstrap.initdb.walSegmentSize", "bootstrap.initdb.walSegmentSize" },
	{ "spec.bootstrap.initdb.options", "bootstrap.initdb.options" },
	{ "spec.bootstrap.initdb.postInitSQL", "bootstrap.initdb.postInitSQL" },
	{ "spec.bootstrap.initdb.postInitSQLRefs.secretRefs", "bootstrap.initdb.postInitSQLRefs.secretRefs" },
	{ "spec.bootstrap.initdb.postInitSQLRefs.configMapRefs", "bootstrap.initdb.postInitSQLRefs.configMapRefs" },
	{ "spec.bootstrap.initdb.postInitTemplateSQL", "bootstrap.initdb.postInitTemplateSQL" },
	{ "spec.bootstrap.initdb.postInitTemplateSQLRefs.secretRefs", "bootstrap.initdb.postInitTemplateSQLRefs.secretRefs" },
	{ "spec.bootstrap.initdb.postInitTemplateSQLRefs.configMapRefs", "bootstrap.initdb.postInitTemplateSQLRefs.configMapRefs" },
	{ "spec.bootstrap.initdb.postInitApplicationSQL", "bootstrap.initdb.postInitApplicationSQL" },
	{ "spec.bootstrap.initdb.postInitApplicationSQLRefs.secretRefs", "bootstrap.initdb.postInitApplicationSQLRefs.secretRefs" },
	{ "spec.bootstrap.initdb.postInitApplicationSQLRefs.configMapRefs", "bootstrap.initdb.postInitApplicationSQLRefs.configMapRefs" },
	{ "spec.bootstrap.pg_basebackup.source", "bootstrap.clone.source" },
	{ "spec.bootstrap.pg_basebackup.database", "bootstrap.database" },
	{ "spec.bootstrap.pg_basebackup.owner", "bootstrap.owner" },
	{ "spec.bootstrap.pg_basebackup.secret.name", "bootstrap.secret" },
	{ "spec.bootstrap.recovery.source", "bootstrap.restore.source" },
	{ "spec.bootstrap.recovery.database", "bootstrap.database" },
	{ "spec.bootstrap.recovery.owner", "bootstrap.owner" },
	{ "spec.bootstrap.recovery.secret.name", "bootstrap.secret" },
	{ "spec.bootstrap.recovery.backup.name", "bootstrap.restore.backupID" },
	{ "spec.bootstrap.recovery.recoveryTarget.backupID", "bootstrap.restore.backupID" },
	{ "spec.bootstrap.recovery.recoveryTarget.targetTime", "bootstrap.restore.target.time" },
	{ "spec.bootstrap.recovery.recoveryTarget.targetXID", "bootstrap.restore.target.xid" },
	{ "spec.bootstrap.recovery.recoveryTarget.targetName", "bootstrap.restore.target.name" },
	{ "spec.bootstrap.recovery.recoveryTarget.targetLSN", "bootstrap.restore.target.lsn" },
	{ "spec.bootstrap.recovery.recoveryTarget.targetTLI", "bootstrap.restore.target.timeline" },
	{ "spec.bootstrap.recovery.recoveryTarget.targetImmediate", "bootstrap.restore.target.immediate" },
	{ "spec.bootstrap.recovery.recoveryTarget.exclusive", "bootstrap.restore.target.exclusive" },
	{ "spec.replica.enabled", "standby.enabled" },
	{ "spec.replica.source", "standby.source" },
	{ "spec.replica.minApplyDelay", "standby.minApplyDelay" },
	{ "spec.postgresql.parameters", "postgresql.parameters" },
	{ "spec.postgresql.pg_hba", "postgresql.pg_hba" },
	{ "spec.postgresql.shared_preload_libraries", "postgresql.shared_preload_libraries" },
	{ "spec.superuserSecret.name", "superuser.secret" },
	{ "spec.enableSuperuserAccess", "superuser.enableAccess" },
	{ "spec.smartShutdownTimeout", "smartShutdownTimeout" },
	{ "spec.stopDelay", "stopDelay" },
	{ "spec.startDelay", "startDelay" },
	{ "spec.probes.readiness.maximumLag", "probes.readiness.maximumLag" },
};

/* Crunchy PGO and Percona (a PGO v5 fork) share one reader. */
static const struct dialect_map pgo_map[] = {
	{ "metadata.name", "name" },
	{ "spec.postgresVersion", "postgresql.version" },
	{ "spec.patroni.dynamicConfiguration.postgresql.parameters", "postgresql.parameters" },
	{ "spec.patroni.dynamicConfiguration.postgresql.pg_hba", "postgresql.pg_hba" },
	{ "spec.config.parameters", "postgresql.parameters" },
	{ "spec.databaseInitSQL", "bootstrap.initdb.postInitSQLRefs.configMapRefs" },
	{ "spec.dataSource.postgresCluster.clusterName", "bootstrap.clone.source" },
	{ "spec.dataSource.postgresCluster.repoName", "bootstrap.restore.source" },
	{ "spec.dataSource.postgresCluster.options", "bootstrap.restore.options" },
	{ "spec.dataSource.pgbackrest.stanza", "bootstrap.restore.stanza" },
	{ "spec.dataSource.pgbackrest.repo.name", "bootstrap.restore.source" },
	{ "spec.dataSource.pgbackrest.global", "bootstrap.restore.pgbackrest.global" },
	{ "spec.dataSource.pgbackrest.options", "bootstrap.restore.options" },
	{ "spec.backups.pgbackrest.global", "pgbackrest.global" },
	{ "spec.backups.pgbackrest.restore.enabled", "restoreInPlace.enabled" },
	{ "spec.backups.pgbackrest.restore.repoName", "restoreInPlace.repo" },
	{ "spec.backups.pgbackrest.restore.options", "restoreInPlace.options" },
	{ "spec.standby.enabled", "standby.enabled" },
	{ "spec.standby.repoName", "standby.source" },
	{ "spec.standby.host", "standby.host" },
	{ "spec.standby.port", "standby.port" },
};

/* Fields of the document that belong to the operator (scheduling, storage,
 * images, ...): known, accepted, and not pgpod's business. */
static const char *const cnpg_ignored[] = {
	"apiVersion", "kind", "metadata", "status", "spec.imageName",
	"spec.imageCatalogRef", "spec.imagePullPolicy", "spec.imagePullSecrets",
	"spec.storage", "spec.walStorage", "spec.tablespaces", "spec.resources",
	"spec.affinity", "spec.topologySpreadConstraints", "spec.monitoring",
	"spec.backup", "spec.certificates", "spec.env",
	"spec.envFrom", "spec.description", "spec.inheritedMetadata",
	"spec.logLevel", "spec.nodeMaintenanceWindow", "spec.primaryUpdateStrategy",
	"spec.primaryUpdateMethod", "spec.priorityClassName",
	"spec.projectedVolumeTemplate", "spec.schedulerName", "spec.seccompProfile",
	"spec.serviceAccountTemplate", "spec.switchoverDelay", "spec.failoverDelay",
	"spec.livenessProbeTimeout", "spec.maxSyncReplicas", "spec.minSyncReplicas",
	"spec.postgresGID", "spec.postgresUID", "spec.plugins", "spec.probes",
	"spec.enablePDB", "spec.ephemeralVolumeSource", "spec.ephemeralVolumesSizeLimit",
	"spec.podSecurityContext", "spec.securityContext", "spec.postgresql.synchronous",
	"spec.postgresql.ldap", "spec.postgresql.promotionTimeout",
	"spec.postgresql.syncReplicaElectionConstraint", "spec.postgresql.enableAlterSystem",
	"spec.postgresql.extensions", "spec.replicationSlots", "spec.replica.primary",
	"spec.replica.promotionToken", "spec.replica.self", "spec.topologySpreadConstraints",
	"spec.managed", "spec.bootstrap.initdb.import", "spec.bootstrap.recovery.volumeSnapshots",
	"spec.bootstrap.initdb.secret", "spec.bootstrap.pg_basebackup.secret",
	"spec.bootstrap.recovery.secret", "spec.bootstrap.recovery.backup",
	"spec.superuserSecret",
	/* chart values */
	"type", "mode", "version", "cluster", "backups", "pooler", "poolers",
	"imageName", "imageCatalog", "storage", "walStorage", "backup", "resources",
	"affinity", "monitoring", "nameOverride", "fullnameOverride", "namespaceOverride",
	"bootstrapDB.initdb.secret", "bootstrapDB.pg_basebackup.secret",
	"bootstrapDB.recovery.secret", "bootstrapDB.recovery.backup", "superuserSecret",
};

static const char *const pgo_ignored[] = {
	"apiVersion", "kind", "metadata", "status", "spec.image", "spec.imagePullPolicy",
	"spec.imagePullSecrets", "spec.instances", "spec.backups.pgbackrest.image",
	"spec.backups.pgbackrest.repos", "spec.backups.pgbackrest.configuration",
	"spec.backups.pgbackrest.manual", "spec.backups.pgbackrest.jobs",
	"spec.backups.pgbackrest.repoHost", "spec.backups.pgbackrest.sidecars",
	"spec.backups.pgbackrest.metadata", "spec.backups.pgbackrest.restore.resources",
	"spec.backups.pgbackrest.restore.affinity", "spec.backups.pgbackrest.restore.tolerations",
	"spec.backups.snapshots", "spec.backups.trackLatestRestorableTime",
	"spec.dataSource.postgresCluster.clusterNamespace", "spec.dataSource.postgresCluster.resources",
	"spec.dataSource.postgresCluster.affinity", "spec.dataSource.postgresCluster.tolerations",
	"spec.dataSource.postgresCluster.priorityClassName",
	"spec.dataSource.pgbackrest.configuration", "spec.dataSource.pgbackrest.repo",
	"spec.dataSource.pgbackrest.resources", "spec.dataSource.pgbackrest.affinity",
	"spec.dataSource.pgbackrest.tolerations", "spec.dataSource.volumes",
	"spec.users", "spec.port", "spec.service", "spec.replicaService", "spec.proxy",
	"spec.monitoring", "spec.pmm", "spec.patroni", "spec.shutdown", "spec.paused",
	"spec.openshift", "spec.customTLSSecret", "spec.customReplicationTLSSecret",
	"spec.crVersion", "spec.userInterface", "spec.extensions", "spec.expose",
	"spec.exposeReplicas", "spec.autoCreateUserSchema", "spec.secrets",
	"spec.disableDefaultPodScheduling", "spec.postGISVersion", "spec.standby",
	"spec.instanceSets", "spec.config", "spec.tlsOnly", "spec.authentication",
	"spec.supplementalGroups", "spec.postgresVersion",
};

enum dialect_kind {
	DK_CNPG,
	DK_CHART,
	DK_PGO,
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

/* Rewrite a CNPG path for the chart values dialect. */
static void
dialect_path(enum dialect_kind kind, const char *path, char *buf, size_t cap)
{
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
}

static const char *
json_type_label(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number";
	case json_type_int: return "an integer";
	case json_type_object: return "a mapping";
	case json_type_array: return "a list";
	case json_type_string: return "a string";
	}
	return "a value";
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

static void
read_reflist(struct reflist *l, struct json_object *v, const char *path, struct diag *d)
{
	if (!json_object_is_type(v, json_type_array)) {
		diag_error(d, path, "expected a list of {name, key}, got %s", json_type_label(v));
		return;
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *name = doc_string(e, "name");
		const char *key = doc_string(e, "key");

		if (!json_object_is_type(e, json_type_object) || name == NULL || key == NULL) {
			diag_error(d, path, "item %zu needs both \"name\" and \"key\" as strings", i);
			continue;
		}
		reflist_add(l, name, key);
	}
}

/* Store one document value into the member described by field fi. */
static void
dialect_set(struct spec *s, int fi, struct json_object *v, const char *path, struct diag *d)
{
	const struct spec_field *f = &spec_fields[fi];
	void *m = (char *) s + f->offset;

	if (json_object_is_type(v, json_type_null))
		return;
	switch (f->type) {
	case SPEC_T_STRING:
		if (!json_object_is_type(v, json_type_string)) {
			diag_error(d, path, "expected a string, got %s", json_type_label(v));
			return;
		}
		free(*(char **) m);
		*(char **) m = strdup(json_object_get_string(v));
		break;
	case SPEC_T_INT: {
		int64_t n;

		if (!json_object_is_type(v, json_type_int)) {
			diag_error(d, path, "expected an integer, got %s", json_type_label(v));
			return;
		}
		n = json_object_get_int64(v);
		if (n < 0 || n > INT_MAX) {
			diag_error(d, path, "must be between 0 and %d, got %lld", INT_MAX, (long long) n);
			return;
		}
		*(int *) m = (int) n;
		break;
	}
	case SPEC_T_BOOL:
		if (!json_object_is_type(v, json_type_boolean)) {
			diag_error(d, path, "expected true or false, got %s", json_type_label(v));
			return;
		}
		*(int *) m = json_object_get_boolean(v);
		break;
	case SPEC_T_STRLIST:
		if (!json_object_is_type(v, json_type_array)) {
			diag_error(d, path, "expected a list of strings, got %s", json_type_label(v));
			return;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_string)) {
				diag_error(d, path, "item %zu: expected a string, got %s", i, json_type_label(e));
				continue;
			}
			strlist_add(m, json_object_get_string(e));
		}
		break;
	case SPEC_T_KVLIST:
		if (!json_object_is_type(v, json_type_object)) {
			diag_error(d, path, "expected a mapping, got %s", json_type_label(v));
			return;
		}
		json_object_object_foreach(v, key, val) {
			char text[4096];

			if (!scalar_text(val, text, sizeof(text))) {
				diag_error(d, path, "\"%s\": expected a string, number or boolean, got %s",
					   key, json_type_label(val));
				continue;
			}
			kvlist_set(m, key, text);
		}
		break;
	case SPEC_T_REFLIST:
		/* PGO's databaseInitSQL is a single {name, key} */
		if (json_object_is_type(v, json_type_object)) {
			const char *rname = doc_string(v, "name");
			const char *rkey = doc_string(v, "key");

			if (rname == NULL || rkey == NULL) {
				diag_error(d, path, "needs both \"name\" and \"key\" as strings");
				return;
			}
			reflist_add(m, rname, rkey);
			((struct reflist *) m)->single = true;
			spec_set_origin(s, fi, path);
			return;
		}
		read_reflist(m, v, path, d);
		break;
	case SPEC_T_BOOTSTRAP:
		break;
	}
	spec_set_origin(s, fi, path);
}

static void
dialect_walk_map(struct spec *s, struct json_object *doc, enum dialect_kind kind,
		 const struct dialect_map *map, size_t n, struct diag *d)
{
	for (size_t i = 0; i < n; i++) {
		char path[256];
		struct json_object *v;
		int fi = spec_field_index(map[i].key);

		dialect_path(kind, map[i].path, path, sizeof(path));
		v = doc_get(doc, path);
		if (v == NULL || fi < 0)
			continue;
		dialect_set(s, fi, v, path, d);
	}
}

/* ---- unknown fields ---- */

static bool
path_has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

/* Is path read by the map (or an ancestor of a read path)? */
static bool
dialect_known(enum dialect_kind kind, const struct dialect_map *map, size_t n,
	      const char *const *ignored, size_t nignored, const char *path, bool *descend)
{
	*descend = false;
	for (size_t i = 0; i < nignored; i++)
		if (path_has_prefix(path, ignored[i]))
			return true;
	for (size_t i = 0; i < n; i++) {
		char mp[256];

		dialect_path(kind, map[i].path, mp, sizeof(mp));
		if (path_has_prefix(path, mp))
			return true;
		if (path_has_prefix(mp, path))
			*descend = true;
	}
	return *descend;
}

static void
dialect_warn_unknown(struct json_object *o, const char *base, enum dialect_kind kind,
		     const struct dialect_map *map, size_t n, const char *const *ignored,
		     size_t nignored, struct diag *d)
{
	json_object_object_foreach(o, key, val) {
		char path[256];
		bool descend;

		snprintf(path, sizeof(path), "%s%s%s", base, *base ? "." : "", key);
		if (!dialect_known(kind, map, n, ignored, nignored, path, &descend)) {
			if (strcmp(path, "spec.externalClusters") != 0 && strcmp(path, "externalClusters") != 0)
				diag_warn(d, path, "unknown field, ignored");
			continue;
		}
		if (descend && json_object_is_type(val, json_type_object))
			dialect_warn_unknown(val, path, kind, map, n, ignored, nignored, d);
	}
}

/* ---- lists of objects ---- */

static void
read_ref(struct spec_ref *r, struct json_object *e, const char *field, const char *base,
	 struct diag *d)
{
	struct json_object *v;

	if (!json_object_object_get_ex(e, field, &v))
		return;
	if (doc_string(v, "name") == NULL || doc_string(v, "key") == NULL) {
		diag_error(d, base, "%s needs both \"name\" and \"key\"", field);
		return;
	}
	r->name = strdup(doc_string(v, "name"));
	r->key = strdup(doc_string(v, "key"));
}

static void
read_externals(struct spec *s, struct json_object *arr, const char *path, struct diag *d)
{
	static const char *const known[] = {
		"name", "connectionParameters", "password", "sslKey", "sslCert",
		"sslRootCert", "barmanObjectStore", "plugin",
	};

	if (!json_object_is_type(arr, json_type_array)) {
		diag_error(d, path, "expected a list, got %s", json_type_label(arr));
		return;
	}
	s->n_externals = json_object_array_length(arr);
	s->externals = calloc(s->n_externals ? s->n_externals : 1, sizeof(*s->externals));
	for (size_t i = 0; i < s->n_externals; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct spec_external *x = &s->externals[i];
		struct json_object *conn;
		char base[256];

		snprintf(base, sizeof(base), "%s[%zu]", path, i);
		if (!json_object_is_type(e, json_type_object)) {
			diag_error(d, base, "expected a mapping");
			continue;
		}
		if (doc_string(e, "name") == NULL)
			diag_error(d, base, "\"name\" is required");
		else
			x->name = strdup(doc_string(e, "name"));
		conn = doc_get(e, "connectionParameters");
		if (conn != NULL) {
			char cpath[300];

			snprintf(cpath, sizeof(cpath), "%s.connectionParameters", base);
			if (!json_object_is_type(conn, json_type_object)) {
				diag_error(d, cpath, "expected a mapping");
			} else {
				json_object_object_foreach(conn, ckey, cval) {
					char text[1024];

					if (scalar_text(cval, text, sizeof(text)))
						kvlist_set(&x->conn, ckey, text);
					else
						diag_error(d, cpath, "\"%s\": expected a string", ckey);
				}
			}
		}
		read_ref(&x->password, e, "password", base, d);
		read_ref(&x->ssl_key, e, "sslKey", base, d);
		read_ref(&x->ssl_cert, e, "sslCert", base, d);
		read_ref(&x->ssl_root_cert, e, "sslRootCert", base, d);
		x->has_object_store = doc_get(e, "barmanObjectStore") != NULL || doc_get(e, "plugin") != NULL;
		json_object_object_foreach(e, key, val) {
			bool ok = false;

			(void) val;
			for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
				ok = ok || strcmp(key, known[k]) == 0;
			if (!ok)
				diag_warn(d, base, "unknown field \"%s\", ignored", key);
		}
	}
}

/* PGO users: each becomes a role; the first with a database is the
 * application owner (PGO's default is a user and database named after the
 * cluster). */
static void
read_pgo_users(struct spec *s, struct json_object *doc, struct diag *d)
{
	struct json_object *users = doc_get(doc, "spec.users");
	size_t n;

	if (users == NULL)
		return;
	if (!json_object_is_type(users, json_type_array)) {
		diag_error(d, "spec.users", "expected a list, got %s", json_type_label(users));
		return;
	}
	n = json_object_array_length(users);
	s->roles = calloc(n ? n : 1, sizeof(*s->roles));
	for (size_t i = 0; i < n; i++) {
		struct json_object *u = json_object_array_get_idx(users, i);
		struct json_object *dbs = doc_get(u, "databases");
		const char *name = doc_string(u, "name");
		struct spec_role *r;
		char path[64];

		snprintf(path, sizeof(path), "spec.users[%zu]", i);
		if (name == NULL) {
			diag_error(d, path, "\"name\" is required");
			continue;
		}
		r = &s->roles[s->n_roles++];
		r->name = strdup(name);
		if (doc_string(u, "options"))
			r->options = strdup(doc_string(u, "options"));
		if (dbs != NULL && json_object_is_type(dbs, json_type_array))
			for (size_t k = 0; k < json_object_array_length(dbs); k++) {
				struct json_object *db = json_object_array_get_idx(dbs, k);

				if (json_object_is_type(db, json_type_string))
					strlist_add(&r->databases, json_object_get_string(db));
			}
		if (s->app_owner == NULL && r->databases.n > 0) {
			char p2[80];

			s->app_owner = strdup(r->name);
			s->app_database = strdup(r->databases.items[0]);
			snprintf(p2, sizeof(p2), "%s.name", path);
			spec_set_origin(s, spec_field_index("bootstrap.owner"), p2);
			snprintf(p2, sizeof(p2), "%s.databases[0]", path);
			spec_set_origin(s, spec_field_index("bootstrap.database"), p2);
		}
	}
}

/* One pgBackRest repository: a name and one of volume, s3, gcs, azure. */
static bool
read_repo(struct json_object *r, const char *path, struct spec_repo *x, struct diag *d)
{
	static const char *const kinds[] = { "volume", "s3", "gcs", "azure" };
	struct json_object *kv = NULL;

	if (doc_string(r, "name") == NULL) {
		diag_error(d, path, "needs a \"name\"");
		return false;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (doc_get(r, kinds[k]) == NULL)
			continue;
		if (kv != NULL) {
			diag_error(d, path, "has both \"%s\" and \"%s\"; a repository is one of "
				   "volume, s3, gcs or azure", x->kind, kinds[k]);
			free(x->kind);
			x->kind = NULL;
			return false;
		}
		kv = doc_get(r, kinds[k]);
		x->kind = strdup(kinds[k]);
	}
	x->name = strdup(doc_string(r, "name"));
	if (kv != NULL) {
		const char *bucket = doc_string(kv, "bucket") ? doc_string(kv, "bucket")
			: doc_string(kv, "container");

		if (bucket != NULL)
			x->bucket = strdup(bucket);
		if (doc_string(kv, "endpoint"))
			x->endpoint = strdup(doc_string(kv, "endpoint"));
		if (doc_string(kv, "region"))
			x->region = strdup(doc_string(kv, "region"));
	}
	return true;
}

static void
read_pgo_lists(struct spec *s, struct json_object *doc, struct diag *d)
{
	struct json_object *inst = doc_get(doc, "spec.instances");
	struct json_object *repos = doc_get(doc, "spec.backups.pgbackrest.repos");

	if (inst != NULL) {
		if (!json_object_is_type(inst, json_type_array)) {
			diag_error(d, "spec.instances", "expected a list of instance sets, got %s",
				   json_type_label(inst));
		} else {
			s->instances = 0;
			for (size_t i = 0; i < json_object_array_length(inst); i++) {
				struct json_object *r = doc_get(json_object_array_get_idx(inst, i), "replicas");

				s->instances += (r && json_object_is_type(r, json_type_int))
					? json_object_get_int(r) : 1;
			}
			spec_set_origin(s, spec_field_index("instances"), "spec.instances");
		}
	}
	if (repos != NULL && json_object_is_type(repos, json_type_array)) {
		size_t n = json_object_array_length(repos);

		s->repos = calloc(n ? n : 1, sizeof(*s->repos));
		if (s->repos == NULL)
			abort();
		for (size_t i = 0; i < n; i++) {
			char path[64];

			snprintf(path, sizeof(path), "spec.backups.pgbackrest.repos[%zu]", i);
			if (read_repo(json_object_array_get_idx(repos, i), path, &s->repos[s->n_repos], d))
				s->n_repos++;
		}
	}
	if (doc_get(doc, "spec.dataSource.pgbackrest.repo") != NULL)
		(void) read_repo(doc_get(doc, "spec.dataSource.pgbackrest.repo"),
				 "spec.dataSource.pgbackrest.repo", &s->restore_repo, d);
	read_pgo_users(s, doc, d);
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
			diag_error(d, path, "expected a mapping, got %s", json_type_label(v));
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
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
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

bool
dialect_read(struct json_object *doc, const char *source, struct spec **out, struct diag *d)
{
	enum spec_dialect dialect;
	enum dialect_kind kind;
	struct spec *s;
	const struct dialect_map *map;
	size_t n;

	*out = NULL;
	if (!json_object_is_type(doc, json_type_object)) {
		diag_error(d, source, "the spec must be a mapping, got %s", json_type_label(doc));
		return false;
	}
	if (!dialect_detect(doc, &dialect, &kind, d, true))
		return false;
	s = spec_new();
	s->dialect = dialect;
	s->source_file = strdup(source);
	map = kind == DK_PGO ? pgo_map : cnpg_map;
	n = kind == DK_PGO ? sizeof(pgo_map) / sizeof(pgo_map[0]) : sizeof(cnpg_map) / sizeof(cnpg_map[0]);
	dialect_bootstrap(s, doc, kind, d);
	dialect_walk_map(s, doc, kind, map, n, d);
	if (kind == DK_PGO) {
		read_pgo_lists(s, doc, d);
		dialect_warn_unknown(doc, "", kind, map, n, pgo_ignored,
				     sizeof(pgo_ignored) / sizeof(pgo_ignored[0]), d);
		if (s->app_owner == NULL && s->name != NULL) {
			/* PGO's default user and database are named after the cluster */
			s->app_owner = strdup(s->name);
			s->app_database = strdup(s->name);
		}
	} else {
		struct json_object *ext = doc_get(doc, kind == DK_CHART ? "externalClusters" : "spec.externalClusters");

		if (ext != NULL)
			read_externals(s, ext, kind == DK_CHART ? "externalClusters" : "spec.externalClusters", d);
		if (kind == DK_CNPG && doc_get(doc, "spec") == NULL)
			diag_error(d, "spec", "is required");
		if (doc_get(doc, kind == DK_CHART ? "bootstrapDB.initdb.import" : "spec.bootstrap.initdb.import"))
			diag_error(d, kind == DK_CHART ? "bootstrapDB.initdb.import" : "spec.bootstrap.initdb.import",
				   "importing databases with pg_dump/pg_restore is not something pgpod "
				   "does; bootstrap with initdb and import afterwards, or clone with "
				   "pg_basebackup");
		if (kind == DK_CNPG && doc_get(doc, "spec.managed") != NULL)
			diag_warn(d, "spec.managed", "declarative roles and services are not applied by "
				  "pgpod; manage them with SQL (postInitSQL or afterwards)");
		dialect_warn_unknown(doc, "", kind, map, n, cnpg_ignored,
				     sizeof(cnpg_ignored) / sizeof(cnpg_ignored[0]), d);
	}
	*out = s;
	return true;
}

bool
dialect_load(const char *path, struct spec **out, struct diag *d)
{
	struct json_object **docs = NULL;
	size_t ndocs = 0;
	char err[512];
	bool ok = false;

	*out = NULL;
	if (!yamljson_parse_file(path, &docs, &ndocs, err, sizeof(err))) {
		/* the parser's message starts with the file's path already */
		strlist_add(&d->errors, err);
		return false;
	}
	for (size_t i = 0; i < ndocs && !ok; i++) {
		enum spec_dialect dialect;
		enum dialect_kind kind;
		const char *k = doc_string(docs[i], "kind");

		/* Secrets and ConfigMaps may travel in the same file */
		if (k && (strcmp(k, "Secret") == 0 || strcmp(k, "ConfigMap") == 0) && ndocs > 1)
			continue;
		if (ndocs > 1 && !dialect_detect(docs[i], &dialect, &kind, d, false))
			continue;
		ok = dialect_read(docs[i], path, out, d);
		if (!ok)
			break;
	}
	if (!ok && d->errors.n == 0)
		diag_error(d, path, "no cluster document found (%zu document%s read)", ndocs,
			   ndocs == 1 ? "" : "s");
	yamljson_free_docs(docs, ndocs);
	return ok;
}
