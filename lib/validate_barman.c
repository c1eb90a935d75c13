/*
 * validate_barman.c — the checks of a Barman Cloud object store (spec.h:
 * struct spec_objstore). Its destination, endpoint, server name and tags
 * become words of a barman-cloud command line (never a shell's): each is
 * checked where it is read, so that no value can pass for an option.
 */
#include <stdio.h>
#include <string.h>

#include "cron.h"
#include "diag.h"
#include "spec.h"
#include "validate.h"

/* No control characters, no blanks, not empty, at most max bytes. */
static bool
word_clean(const char *v, size_t max)
{
	size_t n = strlen(v);

	if (n == 0 || n > max)
		return false;
	for (const unsigned char *p = (const unsigned char *) v; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool
has_prefix(const char *v, const char *prefix)
{
	return strncmp(v, prefix, strlen(prefix)) == 0;
}

/* Which provider's credentials the store gives: "s3", "azure", "google",
 * "" for none, "several" for more than one. */
static const char *
objstore_credentials(const struct spec_objstore *o)
{
	bool s3 = o->s3_key_id.name || o->s3_secret.name || o->s3_iam == 1;
	bool az = o->azure_conn.name || o->azure_account.name || o->azure_inherit == 1;
	bool gc = o->google_creds.name || o->google_gke == 1;

	if (s3 + az + gc > 1)
		return "several";
	return s3 ? "s3" : az ? "azure" : gc ? "google" : "";
}

/* The scheme of the destination says the provider; its credentials must
 * be that provider's (CloudNativePG: exactly one of s3Credentials,
 * azureCredentials, googleCredentials). */
static void
objstore_provider(const struct spec_objstore *o, const char *dest, const char *path,
		  struct diag *d)
{
	const char *creds = objstore_credentials(o);
	const char *want = has_prefix(dest, "s3://") ? "s3"
		: has_prefix(dest, "gs://") ? "google" : "azure";

	if (strcmp(creds, "several") == 0) {
		diag_error(d, path, "the object store gives credentials of several providers; give "
			   "exactly one of s3Credentials, azureCredentials, googleCredentials");
		return;
	}
	if (*creds == '\0') {
		diag_error(d, path, "the object store \"%s\" has no credentials: give %s", dest,
			   strcmp(want, "s3") == 0 ? "s3Credentials (accessKeyId and secretAccessKey, "
			   "or inheritFromIAMRole: true)" : strcmp(want, "google") == 0
			   ? "googleCredentials (applicationCredentials, or gkeEnvironment: true)"
			   : "azureCredentials (connectionString, storageAccount with storageKey or "
			   "storageSasToken, or inheritFromAzureAD: true)");
		return;
	}
	if (strcmp(creds, want) != 0)
		diag_error(d, path, "\"%s\" is a%s destination but the credentials are %s ones",
			   dest, strcmp(want, "s3") == 0 ? "n S3" : strcmp(want, "google") == 0
			   ? " Google Cloud Storage" : "n Azure", creds);
	if (strcmp(creds, "s3") == 0 && o->s3_iam != 1
	    && (o->s3_key_id.name == NULL || o->s3_secret.name == NULL))
		diag_error(d, path, "s3Credentials needs both accessKeyId and secretAccessKey "
			   "(or inheritFromIAMRole: true)");
	if (strcmp(creds, "azure") == 0 && o->azure_inherit != 1 && o->azure_conn.name == NULL
	    && o->azure_account.name != NULL && o->azure_key.name == NULL
	    && o->azure_sas.name == NULL)
		diag_error(d, path, "azureCredentials.storageAccount needs storageKey or "
			   "storageSasToken");
}

void
validate_objstore_destination(const struct spec_check_ctx *c, const void *m, const char *path,
			      struct diag *d)
{
	const char *v = *(char *const *) m;

	if (v == NULL)
		return;
	if (!word_clean(v, 1024)
	    || (!has_prefix(v, "s3://") && !has_prefix(v, "gs://") && !has_prefix(v, "https://")
		&& !has_prefix(v, "http://"))
	    || strlen(strchr(v, ':') + 3) == 0) {
		diag_error(d, path, "\"%s\" is not an object store destination: s3://bucket/path, "
			   "gs://bucket/path or https://account.blob.core.windows.net/container/path, "
			   "without blanks", v);
		return;
	}
	if (c->item != NULL)
		objstore_provider(c->item, v, path, d);
}

void
validate_objstore_endpoint(const struct spec_check_ctx *c, const void *m, const char *path,
			   struct diag *d)
{
	const char *v = *(char *const *) m;

	(void) c;
	if (v != NULL && (!word_clean(v, 1024) || (!has_prefix(v, "http://")
						   && !has_prefix(v, "https://"))))
		diag_error(d, path, "\"%s\" is not an endpoint URL (http:// or https://, without "
			   "blanks)", v);
}

/* A server name is a folder of the object store and a command-line word. */
void
validate_server_name(const struct spec_check_ctx *c, const void *m, const char *path,
		     struct diag *d)
{
	const char *v = *(char *const *) m;
	size_t n = v != NULL ? strlen(v) : 0;

	(void) c;
	if (v == NULL)
		return;
	if (n == 0 || n > 128 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789._-") != n || v[0] == '-' || v[0] == '.'
	    || strstr(v, "..") != NULL)
		diag_error(d, path, "\"%s\" is not a server name (letters, digits, '.', '_' and '-', "
			   "not starting with '-' or '.', at most 128)", v);
}

void
validate_barman_compression(const struct spec_check_ctx *c, const void *m, const char *path,
			    struct diag *d)
{
	const char *v = *(char *const *) m;

	(void) c;
	if (v != NULL && strcmp(v, "gzip") != 0 && strcmp(v, "bzip2") != 0
	    && strcmp(v, "snappy") != 0)
		diag_error(d, path, "\"%s\" is not a compression barman-cloud 3.4 has: gzip, bzip2 "
			   "or snappy", v);
}

void
validate_barman_encryption(const struct spec_check_ctx *c, const void *m, const char *path,
			   struct diag *d)
{
	const char *v = *(char *const *) m;

	(void) c;
	if (v != NULL && strcmp(v, "AES256") != 0 && strcmp(v, "aws:kms") != 0)
		diag_error(d, path, "\"%s\" is not a server-side encryption: AES256 or aws:kms", v);
}

void
validate_barman_parallel(const struct spec_check_ctx *c, const void *m, const char *path,
			 struct diag *d)
{
	int v = *(const int *) m;

	(void) c;
	if (v != -1 && (v < 1 || v > 256))
		diag_error(d, path, "%d is out of range: 1 to 256", v);
}

/* Tags go to barman-cloud as "KEY,VALUE" words. */
void
validate_barman_tags(const struct spec_check_ctx *c, const void *m, const char *path,
		     struct diag *d)
{
	const struct kvlist *l = m;

	(void) c;
	for (size_t i = 0; i < l->n; i++) {
		const char *k = l->items[i].key, *v = l->items[i].value ? l->items[i].value : "";

		if (*k == '\0' || strlen(k) > 128 || strlen(v) > 256 || strchr(k, ',')
		    || strchr(v, ',') || strpbrk(k, "\n\r\t") || strpbrk(v, "\n\r\t"))
			diag_error(d, path, "tag \"%s\": keys (1 to 128) and values (up to 256) "
				   "without commas or line breaks", k);
	}
}

enum longopt
validate_long_option(const char *v)
{
	size_t name = strcspn(v, "=");

	if (strlen(v) > 256 || strncmp(v, "--", 2) != 0 || name < 3
	    || strspn(v + 2, "abcdefghijklmnopqrstuvwxyz0123456789-") != name - 2)
		return LONGOPT_FORM;
	for (const char *p = v; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			return LONGOPT_CONTROL;
	return LONGOPT_OK;
}

/* *AdditionalCommandArgs: each one argv word of the tool's, an option
 * ("--name" or "--name=value"); a positional word would move the
 * destination and server name pgpod gives after them. */
void
validate_barman_args(const struct spec_check_ctx *c, const void *m, const char *path,
		     struct diag *d)
{
	const struct strlist *l = m;

	(void) c;
	if (l->n > SPEC_BARMAN_ARGS_MAX)
		diag_error(d, path, "%zu options: at most %d", l->n, SPEC_BARMAN_ARGS_MAX);
	for (size_t i = 0; i < l->n; i++) {
		const char *v = l->items[i];

		switch (validate_long_option(v)) {
		case LONGOPT_OK:
			break;
		case LONGOPT_CONTROL:
			diag_error(d, path, "\"%.*s\": no control characters", (int) strcspn(v, "="), v);
			break;
		case LONGOPT_FORM:
			diag_error(d, path, "\"%s\" is not a long option (\"--name\" or "
				   "\"--name=value\", at most 256 characters)", v);
			break;
		}
	}
}

/* CloudNativePG's form: a number and d, w or m. */
void
validate_retention_policy(const struct spec_check_ctx *c, const void *m, const char *path,
			  struct diag *d)
{
	const char *v = *(char *const *) m;
	size_t n = v != NULL ? strlen(v) : 0;

	(void) c;
	if (v == NULL)
		return;
	if (n < 2 || n > 6 || v[0] < '1' || v[0] > '9' || strspn(v, "0123456789") != n - 1
	    || strchr("dwm", v[n - 1]) == NULL)
		diag_error(d, path, "\"%s\" is not a retention policy: a number and d (days), w "
			   "(weeks) or m (months), e.g. 30d", v);
}

/* A ScheduledBackup's schedule: CloudNativePG's six fields. */
void
validate_schedule6(const struct spec_check_ctx *c, const void *m, const char *path,
		   struct diag *d)
{
	const char *text = *(char *const *) m;
	struct cron cr;
	char why[200];
	int sec;

	(void) c;
	if (text != NULL && !cron_parse6(text, &cr, &sec, why, sizeof(why)))
		diag_error(d, path, "\"%s\" is not a schedule: %s (six fields, as CloudNativePG's "
			   "ScheduledBackup: second minute hour day-of-month month day-of-week, in UTC)",
			   text, why);
}

/* pgpod takes Barman Cloud backups; volume snapshots and plugins are the
 * operator's. */
void
validate_backup_method(const struct spec_check_ctx *c, const void *m, const char *path,
		       struct diag *d)
{
	const char *v = *(char *const *) m;

	(void) c;
	if (v != NULL && strcmp(v, "barmanObjectStore") != 0)
		diag_error(d, path, "method \"%s\" is not one pgpod runs: only barmanObjectStore "
			   "(Barman Cloud) backups are taken in the pod", v);
}
