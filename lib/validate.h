/*
 * validate.h — the rules a spec must follow before pgpod writes anything.
 * Each violation is one diag error naming the user's field path.
 *
 * Rules about one field are checks hung on the field tables of spec.c
 * (struct spec_field.check); validate_spec calls each with the member, its
 * user path and the installed major, then runs the rules that relate
 * several fields.
 */
#ifndef PGPOD_VALIDATE_H
#define PGPOD_VALIDATE_H

#include "diag.h"
#include "spec.h"

/* pg_major: the installed PostgreSQL major (15, 16, ...). */
void validate_spec(const struct spec *s, int pg_major, struct diag *d);

/* Settings pgpod owns; users may not set them in postgresql.parameters. */
bool validate_is_managed_parameter(const char *name);

/* A role or database name: 1 to 63 bytes, usable as a file name (pgpod
 * keeps generated passwords in files named after roles). */
void validate_check_name(struct diag *d, const char *path, const char *what, const char *name);

/* The rules of managed roles, PGO users and Database documents that relate
 * several fields (validate_managed.c). */
void validate_rule_managed(const struct spec *s, int major, struct diag *d);

/* Single-field checks (spec_check_fn), referenced by the field tables. */
void validate_instances(const struct spec_check_ctx *c, const void *m, const char *path,
			struct diag *d);
void validate_database(const struct spec_check_ctx *c, const void *m, const char *path,
		       struct diag *d);
void validate_owner(const struct spec_check_ctx *c, const void *m, const char *path,
		    struct diag *d);
void validate_role_name(const struct spec_check_ctx *c, const void *m, const char *path,
			struct diag *d);
void validate_encoding(const struct spec_check_ctx *c, const void *m, const char *path,
		       struct diag *d);
void validate_wal_segment_size(const struct spec_check_ctx *c, const void *m, const char *path,
			       struct diag *d);
void validate_locale_provider(const struct spec_check_ctx *c, const void *m, const char *path,
			      struct diag *d);
void validate_initdb_options(const struct spec_check_ctx *c, const void *m, const char *path,
			     struct diag *d);
void validate_parameters(const struct spec_check_ctx *c, const void *m, const char *path,
			 struct diag *d);
void validate_pg_hba(const struct spec_check_ctx *c, const void *m, const char *path,
		     struct diag *d);
void validate_postgres_version(const struct spec_check_ctx *c, const void *m, const char *path,
			       struct diag *d);
void validate_size(const struct spec_check_ctx *c, const void *m, const char *path,
		   struct diag *d);
void validate_external_name(const struct spec_check_ctx *c, const void *m, const char *path,
			    struct diag *d);
void validate_schedule(const struct spec_check_ctx *c, const void *m, const char *path,
		       struct diag *d);
/* Barman Cloud object stores (validate_barman.c). */
void validate_objstore_destination(const struct spec_check_ctx *c, const void *m,
				   const char *path, struct diag *d);
void validate_objstore_endpoint(const struct spec_check_ctx *c, const void *m, const char *path,
				struct diag *d);
void validate_server_name(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d);
void validate_barman_compression(const struct spec_check_ctx *c, const void *m, const char *path,
				 struct diag *d);
void validate_barman_encryption(const struct spec_check_ctx *c, const void *m, const char *path,
				struct diag *d);
void validate_barman_parallel(const struct spec_check_ctx *c, const void *m, const char *path,
			      struct diag *d);
void validate_barman_tags(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d);
/* An extra option for a tool's argv: "--name" or "--name=value" (name of
 * lower-case letters, digits and '-'), at most 256 bytes, no control
 * character. */
enum longopt { LONGOPT_OK, LONGOPT_FORM, LONGOPT_CONTROL };
enum longopt validate_long_option(const char *v);
void validate_barman_args(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d);
/* bootstrap.initdb.import (validate_import.c). */
void validate_import_type(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d);
void validate_import_names(const struct spec_check_ctx *c, const void *m, const char *path,
			   struct diag *d);
void validate_dump_options(const struct spec_check_ctx *c, const void *m, const char *path,
			   struct diag *d);
void validate_restore_options(const struct spec_check_ctx *c, const void *m, const char *path,
			      struct diag *d);
void validate_import_rules(const struct spec *s, struct diag *d);
void validate_schedule6(const struct spec_check_ctx *c, const void *m, const char *path,
			struct diag *d);
void validate_backup_method(const struct spec_check_ctx *c, const void *m, const char *path,
			    struct diag *d);
void validate_retention_policy(const struct spec_check_ctx *c, const void *m, const char *path,
			       struct diag *d);
void validate_object_name(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d);
/* Managed roles, PGO users, Database documents (validate_managed.c). */
void validate_managed_role_name(const struct spec_check_ctx *c, const void *m, const char *path,
				struct diag *d);
void validate_ensure(const struct spec_check_ctx *c, const void *m, const char *path,
		     struct diag *d);
void validate_comment(const struct spec_check_ctx *c, const void *m, const char *path,
		      struct diag *d);
void validate_valid_until(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d);
void validate_role_list(const struct spec_check_ctx *c, const void *m, const char *path,
			struct diag *d);
void validate_role_options(const struct spec_check_ctx *c, const void *m, const char *path,
			   struct diag *d);
void validate_password_type(const struct spec_check_ctx *c, const void *m, const char *path,
			    struct diag *d);
void validate_pgo_databases(const struct spec_check_ctx *c, const void *m, const char *path,
			    struct diag *d);
void validate_sql_name(const struct spec_check_ctx *c, const void *m, const char *path,
		       struct diag *d);
void validate_sql_text(const struct spec_check_ctx *c, const void *m, const char *path,
		       struct diag *d);
void validate_managed_database(const struct spec_check_ctx *c, const void *m, const char *path,
			       struct diag *d);
void validate_reclaim_policy(const struct spec_check_ctx *c, const void *m, const char *path,
			     struct diag *d);
/* Why pgpod sets the pgBackRest option key itself; NULL when it does not. */
const char *validate_pgbackrest_owned(const char *key);
/* key looks like a pgBackRest option name (repo1-retention-full). */
bool validate_pgbackrest_option(const char *key);
void validate_pgbackrest_global(const struct spec_check_ctx *c, const void *m, const char *path,
				struct diag *d);
void validate_conn_params(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d);

#endif
