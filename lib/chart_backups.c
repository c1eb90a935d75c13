/*
 * chart_backups.c — the cluster chart's backups: section rendered as its
 * templates render it (templates/_backup.tpl, _barman_object_store.tpl,
 * scheduled-backups.yaml, backup-*-creds.yaml): a barmanObjectStore, a
 * retention policy and ScheduledBackup documents, in CloudNativePG's
 * shapes, with the chart's defaults (values.yaml) where the values say
 * nothing, since Helm merges the user's values over them.
 *
 * What the templates build from parts (the destination, the S3 endpoint,
 * the Secret references, a ScheduledBackup's name) is checked here, where
 * the chart's path of each part is known. What they copy as written keeps
 * its path: backups.wal.compression is the rendered store's wal.compression
 * read at "backups", so the store's own checks name the chart's field.
 */
#include "chart_backups.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "spec.h"
#include "validate.h"
#include "yamljson.h"

#define COUNT(a) (sizeof(a) / sizeof(a[0]))
#define BARMAN_PLUGIN "barman-cloud.cloudnative-pg.io"

const char *const chart_backups_paths[] = {
	"enabled", "method", "pluginConfiguration", "provider", "destinationPath", "endpointURL",
	"endpointCA.create", "endpointCA.name", "endpointCA.key", "endpointCA.value",
	"s3.region", "s3.bucket", "s3.path", "s3.accessKey", "s3.secretKey",
	"s3.inheritFromIAMRole", "azure.path", "azure.connectionString", "azure.storageAccount",
	"azure.storageKey", "azure.storageSasToken", "azure.containerName", "azure.serviceName",
	"azure.inheritFromAzureAD", "google.path", "google.bucket", "google.gkeEnvironment",
	"google.applicationCredentials", "secret.create", "secret.name",
	"instanceSidecarConfiguration", "wal.compression", "wal.encryption", "wal.maxParallel",
	"data.compression", "data.encryption", "data.jobs", "scheduledBackups", "retentionPolicy",
};
const size_t chart_backups_npaths = COUNT(chart_backups_paths);

const char *const chart_scheduled_paths[] = {
	"name", "schedule", "method", "backupOwnerReference", "pluginConfiguration",
};
const size_t chart_scheduled_npaths = COUNT(chart_scheduled_paths);

/* The checks of validate.c read nothing of their context here. */
static const struct spec_check_ctx no_ctx;

/* One mapping being rendered: the section or a scheduledBackups item. */
struct render {
	struct json_object *v;
	const char         *base;	/* its path: "backups" */
	const char         *fullname;
	struct diag        *d;
};

static const char *
path_of(const struct render *r, const char *rel, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s", r->base, *r->base ? "." : "", rel);
	return buf;
}

/* Whether the dotted path rel is in o; *v its value (NULL for null). */
static bool
at(struct json_object *o, const char *rel, struct json_object **v)
{
	const char *p = rel;

	*v = o;
	while (*p) {
		size_t n = strcspn(p, ".");
		char part[64];

		if (*v == NULL || !json_object_is_type(*v, json_type_object) || n >= sizeof(part))
			return false;
		memcpy(part, p, n);
		part[n] = '\0';
		if (!json_object_object_get_ex(*v, part, v))
			return false;
		p += n + (p[n] == '.');
	}
	return true;
}

/* A string: dflt when absent; NULL when null (Helm drops a key the user
 * sets to null, and the template then sees nothing) or not a string (an
 * error). "" is returned as it is: the templates take it for nothing. */
static const char *
text(const struct render *r, const char *rel, const char *dflt)
{
	struct json_object *v;
	char p[300];

	if (!at(r->v, rel, &v))
		return dflt;
	if (v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		diag_error(r->d, path_of(r, rel, p, sizeof(p)), "expected a string, got %s",
			   yamljson_type_label(v));
		return NULL;
	}
	return json_object_get_string(v);
}

static bool
given(const struct render *r, const char *rel)
{
	const char *v = text(r, rel, NULL);

	return v != NULL && *v != '\0';
}

/* A boolean: absent or null is false, as every one in the chart's values. */
static bool
flag(const struct render *r, const char *rel)
{
	struct json_object *v;
	char p[300];

	if (!at(r->v, rel, &v) || v == NULL)
		return false;
	if (!json_object_is_type(v, json_type_boolean)) {
		diag_error(r->d, path_of(r, rel, p, sizeof(p)), "expected true or false, got %s",
			   yamljson_type_label(v));
		return false;
	}
	return json_object_get_boolean(v);
}

/* No blank and no control character: the parts end up in one word of a
 * barman-cloud command line. */
static bool
clean(const char *v)
{
	for (const unsigned char *p = (const unsigned char *) v; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* A name the destination or endpoint is built from (bucket, account,
 * region): required (the chart's "You need to specify ..."), one word
 * without '/'. NULL when it is not there or not one (an error). */
static const char *
part(const struct render *r, const char *rel, const char *dflt, const char *why)
{
	const char *v = text(r, rel, dflt);
	char p[300];

	path_of(r, rel, p, sizeof(p));
	if (v == NULL || *v == '\0')
		diag_error(r->d, p, "is required %s", why);
	else if (strchr(v, '/') != NULL || !clean(v))
		diag_error(r->d, p, "\"%s\" is not a name: no '/', blanks or control characters", v);
	else
		return v;
	return NULL;
}

/* The path appended to the bucket or container, "/" unless given. */
static const char *
subpath(const struct render *r, const char *rel, const char *what)
{
	const char *v = text(r, rel, "/");
	char p[300];

	path_of(r, rel, p, sizeof(p));
	if (v == NULL)
		return "";
	if (!clean(v)) {
		diag_error(r->d, p, "\"%s\" has blanks or control characters", v);
		return "";
	}
	if (*v != '\0' && *v != '/')
		diag_warn(r->d, p, "\"%s\" does not start with '/': the chart appends it to the %s "
			  "as written", v, what);
	return v;
}

/* Set the dotted path rel of o (making the mappings on the way) to v. */
static void
put(struct json_object *o, const char *rel, struct json_object *v)
{
	const char *dot;

	while ((dot = strchr(rel, '.')) != NULL) {
		char part_[64];
		struct json_object *next;

		snprintf(part_, sizeof(part_), "%.*s", (int) (dot - rel), rel);
		if (!json_object_object_get_ex(o, part_, &next)) {
			next = json_object_new_object();
			json_object_object_add(o, part_, next);
		}
		o = next;
		rel = dot + 1;
	}
	json_object_object_add(o, rel, v);
}

static void
put_text(struct json_object *o, const char *rel, const char *v)
{
	put(o, rel, json_object_new_string(v));
}

static void
put_ref(struct json_object *o, const char *rel, const char *name, const char *key)
{
	struct json_object *ref = json_object_new_object();

	json_object_object_add(ref, "name", json_object_new_string(name));
	json_object_object_add(ref, "key", json_object_new_string(key));
	put(o, rel, ref);
}

/* The Secret of the credentials: secret.name, else the one the chart
 * makes, <fullname>-backup-<provider>-creds. */
static void
secret_name(const struct render *r, const char *provider, char *buf, size_t cap)
{
	const char *n = text(r, "secret.name", NULL);
	char p[300];

	if (n == NULL || *n == '\0') {
		snprintf(buf, cap, "%s-backup-%s-creds", r->fullname, provider);
		return;
	}
	snprintf(buf, cap, "%s", n);
	validate_object_name(&no_ctx, &n, path_of(r, "secret.name", p, sizeof(p)), r->d);
}

/* s3: the endpoint defaults to AWS's of the region; the keys are the
 * Secret's ACCESS_KEY_ID and ACCESS_SECRET_KEY, or the IAM role. */
static void
render_s3(const struct render *r, struct json_object *st, bool dest)
{
	char buf[1200];

	if (!given(r, "endpointURL")) {
		const char *region = part(r, "s3.region", NULL, "when backups.endpointURL is empty "
					  "(the chart's endpoint is https://s3.<region>.amazonaws.com)");

		snprintf(buf, sizeof(buf), "https://s3.%s.amazonaws.com", region ? region : "");
		if (region != NULL)
			put_text(st, "endpointURL", buf);
	}
	if (!dest) {
		const char *bucket = part(r, "s3.bucket", NULL, "when backups.destinationPath is "
					  "empty (the chart's destination is s3://<bucket><path>)");
		const char *path = subpath(r, "s3.path", "bucket");

		snprintf(buf, sizeof(buf), "s3://%s%s", bucket ? bucket : "", path);
		if (bucket != NULL)
			put_text(st, "destinationPath", buf);
	}
	if (flag(r, "s3.inheritFromIAMRole")) {
		put(st, "s3Credentials.inheritFromIAMRole", json_object_new_boolean(1));
		return;
	}
	secret_name(r, "s3", buf, sizeof(buf));
	put_ref(st, "s3Credentials.accessKeyId", buf, "ACCESS_KEY_ID");
	put_ref(st, "s3Credentials.secretAccessKey", buf, "ACCESS_SECRET_KEY");
}

#define AZURE_WHY "when backups.destinationPath is empty (the chart's destination is " \
	"https://<storageAccount>.<serviceName>.core.windows.net/<containerName><path>)"

/* azure: the values' connectionString and storageKey (whose text goes
 * into the chart's Secret) say which of the Secret's keys are used. */
static void
render_azure(const struct render *r, struct json_object *st, bool dest)
{
	char buf[1200];

	if (!dest) {
		const char *account = part(r, "azure.storageAccount", NULL, AZURE_WHY);
		const char *service = part(r, "azure.serviceName", "blob", AZURE_WHY);
		const char *container = part(r, "azure.containerName", NULL, AZURE_WHY);
		const char *path = subpath(r, "azure.path", "container");

		snprintf(buf, sizeof(buf), "https://%s.%s.core.windows.net/%s%s", account ? account : "",
			 service ? service : "", container ? container : "", path);
		if (account != NULL && service != NULL && container != NULL)
			put_text(st, "destinationPath", buf);
	}
	if (flag(r, "azure.inheritFromAzureAD")) {
		put(st, "azureCredentials.inheritFromAzureAD", json_object_new_boolean(1));
		return;
	}
	secret_name(r, "azure", buf, sizeof(buf));
	if (given(r, "azure.connectionString")) {
		put_ref(st, "azureCredentials.connectionString", buf, "AZURE_CONNECTION_STRING");
		return;
	}
	put_ref(st, "azureCredentials.storageAccount", buf, "AZURE_STORAGE_ACCOUNT");
	if (given(r, "azure.storageKey"))
		put_ref(st, "azureCredentials.storageKey", buf, "AZURE_STORAGE_KEY");
	else
		put_ref(st, "azureCredentials.storageSasToken", buf, "AZURE_STORAGE_SAS_TOKEN");
}

static void
render_google(const struct render *r, struct json_object *st, bool dest)
{
	char buf[1200];

	if (!dest) {
		const char *bucket = part(r, "google.bucket", NULL, "when backups.destinationPath is "
					  "empty (the chart's destination is gs://<bucket><path>)");
		const char *path = subpath(r, "google.path", "bucket");

		snprintf(buf, sizeof(buf), "gs://%s%s", bucket ? bucket : "", path);
		if (bucket != NULL)
			put_text(st, "destinationPath", buf);
	}
	if (flag(r, "google.gkeEnvironment")) {
		put(st, "googleCredentials.gkeEnvironment", json_object_new_boolean(1));
		return;
	}
	secret_name(r, "google", buf, sizeof(buf));
	put_ref(st, "googleCredentials.applicationCredentials", buf, "APPLICATION_CREDENTIALS");
}

/* endpointCA: the Secret named, or the one the chart makes with create
 * (ca-bundle.yaml: <fullname>-ca-bundle, key ca-bundle.crt). */
static void
render_ca(const struct render *r, struct json_object *st)
{
	bool create = flag(r, "endpointCA.create");
	const char *name = text(r, "endpointCA.name", NULL);
	const char *key = text(r, "endpointCA.key", NULL);
	char buf[300], p[300];

	if (!create && (name == NULL || *name == '\0'))
		return;
	if (name == NULL || *name == '\0') {
		snprintf(buf, sizeof(buf), "%s-ca-bundle", r->fullname);
		name = buf;
	} else {
		validate_object_name(&no_ctx, &name, path_of(r, "endpointCA.name", p, sizeof(p)), r->d);
	}
	if ((key == NULL || *key == '\0') && create)
		key = "ca-bundle.crt";
	if (key == NULL || *key == '\0') {
		diag_error(r->d, path_of(r, "endpointCA.key", p, sizeof(p)), "is required with "
			   "endpointCA.name: the key of the CA bundle in that Secret");
		return;
	}
	put_ref(st, "endpointCA", name, key);
}

/* wal and data as _backup.tpl writes them: the chart's defaults where the
 * values have nothing; "" or null is none (the template leaves it empty). */
static const struct {
	const char *rel;
	const char *text;
	int         number;
} tuning[] = {
	{ "wal.compression", "gzip", 0 }, { "wal.encryption", "AES256", 0 },
	{ "wal.maxParallel", NULL, 1 }, { "data.compression", "gzip", 0 },
	{ "data.encryption", "AES256", 0 }, { "data.jobs", NULL, 2 },
};

static void
render_tuning(const struct render *r, struct json_object *st)
{
	for (size_t i = 0; i < COUNT(tuning); i++) {
		struct json_object *v;

		if (!at(r->v, tuning[i].rel, &v))
			put(st, tuning[i].rel, tuning[i].text ? json_object_new_string(tuning[i].text)
			    : json_object_new_int(tuning[i].number));
		else if (v != NULL && !(json_object_is_type(v, json_type_string)
					&& json_object_get_string_len(v) == 0))
			put(st, tuning[i].rel, json_object_get(v));
	}
}

/* method barmanObjectStore (the default), or plugin with the Barman Cloud
 * Plugin: the chart then renders the same store as an ObjectStore, and
 * pgpod does the plugin's work itself. */
static bool
method_ok(const struct render *r)
{
	const char *m = text(r, "method", NULL);
	const char *plugin = text(r, "pluginConfiguration.name", NULL);
	char p[300];

	if (m == NULL || *m == '\0' || strcmp(m, "barmanObjectStore") == 0)
		return true;
	if (strcmp(m, "plugin") == 0 && plugin != NULL && strcmp(plugin, BARMAN_PLUGIN) == 0)
		return true;
	if (strcmp(m, "plugin") == 0)
		diag_error(r->d, path_of(r, "pluginConfiguration.name", p, sizeof(p)), "\"%s\": with "
			   "method plugin, the one plugin pgpod runs is the Barman Cloud Plugin ("
			   BARMAN_PLUGIN ")", plugin ? plugin : "");
	else
		diag_error(r->d, path_of(r, "method", p, sizeof(p)), "\"%s\" is not a method pgpod "
			   "runs: barmanObjectStore, or plugin with the Barman Cloud Plugin (pgpod "
			   "takes Barman Cloud backups itself; volume snapshots are the operator's)", m);
	return false;
}

/* The barmanObjectStore of _barman_object_store.tpl for the provider. */
static struct json_object *
render_store(const struct render *r)
{
	static const struct {
		const char *name;
		void (*render)(const struct render *r, struct json_object *st, bool dest);
	} providers[] = {
		{ "s3", render_s3 }, { "azure", render_azure }, { "google", render_google },
	};
	const char *provider = text(r, "provider", "s3");
	const char *dest = text(r, "destinationPath", NULL);
	const char *endpoint = text(r, "endpointURL", NULL);
	struct json_object *st = json_object_new_object();
	char p[300];

	if (dest != NULL && *dest != '\0')
		put_text(st, "destinationPath", dest);
	if (endpoint != NULL && *endpoint != '\0')
		put_text(st, "endpointURL", endpoint);
	render_ca(r, st);
	render_tuning(r, st);
	for (size_t i = 0; i < COUNT(providers); i++) {
		if (provider != NULL && strcmp(provider, providers[i].name) == 0) {
			providers[i].render(r, st, dest != NULL && *dest != '\0');
			return st;
		}
	}
	diag_error(r->d, path_of(r, "provider", p, sizeof(p)), "\"%s\" is not a provider of the "
		   "chart: s3, azure or google", provider ? provider : "");
	return st;
}

/* retentionPolicy: "30d" unless given; "" or null is none. */
static struct json_object *
render_retention(const struct render *r)
{
	struct json_object *v;

	if (!at(r->v, "retentionPolicy", &v))
		return json_object_new_string("30d");
	if (v == NULL || (json_object_is_type(v, json_type_string)
			  && json_object_get_string_len(v) == 0))
		return NULL;
	return json_object_get(v);
}

/* One scheduledBackups item as scheduled-backups.yaml renders it: the
 * ScheduledBackup <fullname>-<name>, immediate. The Barman Cloud Plugin's
 * backups are the ones pgpod takes: the method is barmanObjectStore. NULL
 * when it is left out (an error). */
static struct json_object *
render_scheduled_item(const struct render *r)
{
	const char *name = text(r, "name", NULL), *schedule = text(r, "schedule", NULL);
	const char *full = NULL;
	size_t errors = r->d->errors.n;
	struct json_object *doc;
	char p[400], buf[300];

	if (!json_object_is_type(r->v, json_type_object)) {
		diag_error(r->d, r->base, "expected a mapping, got %s", yamljson_type_label(r->v));
		return NULL;
	}
	if (name == NULL || *name == '\0') {
		diag_error(r->d, path_of(r, "name", p, sizeof(p)), "is required: the chart names "
			   "the ScheduledBackup <fullname>-<name>");
	} else {
		snprintf(buf, sizeof(buf), "%s-%s", r->fullname, name);
		full = buf;
		validate_object_name(&no_ctx, &full, path_of(r, "name", p, sizeof(p)), r->d);
	}
	if (schedule == NULL || *schedule == '\0')
		diag_error(r->d, path_of(r, "schedule", p, sizeof(p)), "is required");
	else
		validate_schedule6(&no_ctx, &schedule, path_of(r, "schedule", p, sizeof(p)), r->d);
	(void) method_ok(r);
	if (r->d->errors.n > errors)
		return NULL;
	doc = json_object_new_object();
	put_text(doc, "metadata.name", full);
	put_text(doc, "spec.schedule", schedule);
	put(doc, "spec.immediate", json_object_new_boolean(1));
	put_text(doc, "spec.method", "barmanObjectStore");
	return doc;
}

/* The chart's one scheduled backup, when the values list none. */
#define DEFAULT_SCHEDULED "[{\"name\": \"daily-backup\", \"schedule\": \"0 0 0 * * *\", " \
	"\"backupOwnerReference\": \"self\", \"method\": \"barmanObjectStore\"}]"

static struct json_object *
render_scheduled(const struct render *r)
{
	struct json_object *list, *out;
	bool own = at(r->v, "scheduledBackups", &list);
	char p[300];

	if (!own)
		list = json_tokener_parse(DEFAULT_SCHEDULED);
	if (list == NULL)
		return NULL;
	if (!json_object_is_type(list, json_type_array)) {
		diag_error(r->d, path_of(r, "scheduledBackups", p, sizeof(p)), "expected a list, "
			   "got %s", yamljson_type_label(list));
		return NULL;
	}
	out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct render item = { json_object_array_get_idx(list, i), p, r->fullname, r->d };

		snprintf(p, sizeof(p), "%s.scheduledBackups[%zu]", r->base, i);
		json_object_array_add(out, render_scheduled_item(&item));
	}
	if (!own)
		json_object_put(list);
	return out;
}

void
chart_fullname(struct json_object *values, const char *name, char *buf, size_t cap,
	       struct diag *d)
{
	static const char *const keys[] = { "fullnameOverride", "nameOverride" };

	snprintf(buf, cap, "%s", name);
	for (size_t i = 0; i < COUNT(keys); i++) {
		struct render r = { values, "", NULL, d };
		const char *v = text(&r, keys[i], NULL);
		size_t n = v != NULL ? strlen(v) : 0;
		const char *full = buf;

		if (n == 0)
			continue;
		/* trunc 63 | trimSuffix "-": one dash, as Go's strings.TrimSuffix */
		n = n > 63 ? 63 : n;
		n -= v[n - 1] == '-';
		snprintf(buf, cap, "%.*s", (int) n, v);
		validate_object_name(&no_ctx, &full, keys[i], d);
		return;
	}
}

void
chart_backups_render(struct json_object *backups, const char *fullname,
		     struct chart_backups *out, struct diag *d)
{
	struct render r = { backups, "backups", fullname, d };
	size_t errors = d->errors.n;

	memset(out, 0, sizeof(*out));
	out->secret_path = "secret.name";
	if (method_ok(&r))
		out->store = render_store(&r);
	/* a store the templates could not render is left out, not half read */
	if (d->errors.n > errors && out->store != NULL) {
		json_object_put(out->store);
		out->store = NULL;
	}
	out->retention = render_retention(&r);
	out->scheduled = render_scheduled(&r);
}

void
chart_backups_free(struct chart_backups *r)
{
	json_object_put(r->store);
	json_object_put(r->retention);
	json_object_put(r->scheduled);
	memset(r, 0, sizeof(*r));
}
