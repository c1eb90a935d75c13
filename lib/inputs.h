/*
 * inputs.h — every Secret and ConfigMap value a spec refers to, loaded into
 * memory once, before pgpod drops privileges or writes anything. Missing
 * ones are reported with the field path that names them. Passwords that no
 * Secret supplies are generated (OpenSSL) here.
 */
#ifndef PGPOD_INPUTS_H
#define PGPOD_INPUTS_H

#include <stdbool.h>

#include "diag.h"
#include "spec.h"

/* One SQL script from a postInit*SQLRefs entry. */
struct sqlfile {
	char *label;	/* "postInitSQLRefs.secretRefs[0]" */
	char *origin;	/* "secret my-secret key secret.sql" */
	char *sql;
	bool  secret;	/* from a Secret (not a ConfigMap): never logged */
};

struct sqlfiles {
	struct sqlfile *items;
	size_t          n;
};

/* The Secret values of one Barman Cloud object store (NULL when not given). */
struct input_store {
	char *endpoint_ca;	/* PEM, verbatim */
	char *s3_key_id;
	char *s3_secret;
	char *s3_session;
	char *s3_region;
	char *azure_conn;
	char *azure_account;
	char *azure_key;
	char *azure_sas;
	char *google_creds;	/* the service account's JSON, verbatim */
};

/* The Secret values of one externalClusters entry (NULL when not given). */
struct input_source {
	const char *name;	/* the entry's name (owned by the spec) */
	char       *password;
	char       *ssl_key;
	char       *ssl_cert;
	char       *ssl_root_cert;
	struct input_store store;	/* its barmanObjectStore's */
};

/* The pgBackRest INI files of one configuration list (projected Secrets
 * and ConfigMaps), in the order of the list, keys sorted. */
struct input_text {
	char *origin;	/* "secret pgo-s3-creds key s3.conf" */
	char *text;
	bool  secret;	/* from a Secret: never logged */
};

struct input_texts {
	struct input_text *items;
	size_t             n;
};

/* The PEM texts of the certificates' Secrets (NULL when not given),
 * checked when loaded (lib/certs.h). */
struct input_tls {
	char *server_cert;	/* serverTLSSecret tls.crt */
	char *server_key;	/* serverTLSSecret tls.key */
	char *server_ca;	/* serverCASecret ca.crt */
	char *client_ca;	/* clientCASecret ca.crt */
	char *repl_cert;	/* replicationTLSSecret tls.crt */
	char *repl_key;		/* replicationTLSSecret tls.key */
};

struct inputs {
	char *app_username;	/* from the app Secret, NULL when generated */
	char *app_password;
	bool  app_generated;
	char *su_password;	/* NULL: the superuser gets no password */
	bool  su_generated;
	struct sqlfiles post_init;		/* postInitSQLRefs, secrets first */
	struct sqlfiles post_init_template;
	struct sqlfiles post_init_application;
	struct input_source *sources;	/* one per spec.externalClusters entry */
	size_t          n_sources;
	char *replication_password;	/* Secret <cluster>-replication key password */
	struct input_tls tls;
	struct input_texts pgbackrest_ini;	/* pgbackrest.configuration */
	struct input_texts restore_ini;		/* bootstrap.restore.pgbackrest.configuration */
	struct input_store backup_store;	/* spec.backup.barmanObjectStore's */
	char **managed_passwords;	/* per spec.managed.roles entry: its passwordSecret's
					 * password, NULL without one */
	size_t n_managed;
};

/* The Secret name holding streaming_replica's password: "<cluster>-replication". */
void inputs_replication_secret(const struct spec *s, char *buf, size_t cap);

/* Whether replicas log in to the primary with a client certificate (a
 * replication certificate and the CA that signed the server's). */
bool inputs_replication_by_cert(const struct inputs *in);

/* The loaded values of the external cluster name; NULL if none. */
const struct input_source *inputs_source(const struct inputs *in, const char *name);

#define INPUT_MAX_BYTES (16 * 1024 * 1024)

/* The Secrets inputs_load reads for this spec (what the supervisor must
 * watch): the app and superuser Secrets, the managed roles' passwordSecrets,
 * the replication Secret, the certificates' Secrets, the
 * Secrets of the external clusters in use, the pgBackRest configuration
 * Secrets and, for initdb, those of postInit*SQLRefs. Each name once, in the order inputs_load reads them;
 * appended to names. */
void inputs_secret_names(const struct spec *s, struct strlist *names);

bool inputs_load(const struct spec *s, const char *secrets_dir, const char *configmaps_dir,
		 struct inputs *in, struct diag *d) __attribute__((warn_unused_result));
void inputs_free(struct inputs *in);

/* Read <dir>/<name>/<key>; one trailing newline is kept (Kubernetes keeps
 * values verbatim). Returns false and sets *err (errno) when missing. */
bool inputs_read_key(const char *dir, const char *name, const char *key, char **value, int *err)
	__attribute__((warn_unused_result));

/* A strong random password: 32 characters of [A-Za-z0-9]. */
bool inputs_generate_password(char *buf, size_t cap) __attribute__((warn_unused_result));

/* The same of letters, digits and ()*+,-./:;<=>?@[]^_{|} (PGO's default
 * password type, ASCII); ascii false: inputs_generate_password. */
bool inputs_generate_password_of(char *buf, size_t cap, bool ascii)
	__attribute__((warn_unused_result));

#endif
