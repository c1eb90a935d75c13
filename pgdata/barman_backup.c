/*
 * barman_backup.c — `pgpod backup` for CloudNativePG: barman-cloud-backup of
 * the primary running here into this cluster's object store, then the
 * retention policy applied with barman-cloud-backup-delete (see barman.h).
 */
#include "barman.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "barman_restore.h"
#include "log.h"
#include "mono.h"

bool
barman_retention_words(const char *policy, char *buf, size_t cap)
{
	size_t n = policy != NULL ? strlen(policy) : 0;
	const char *unit;

	if (n < 2)
		return false;
	unit = policy[n - 1] == 'd' ? "DAYS" : policy[n - 1] == 'w' ? "WEEKS"
		: policy[n - 1] == 'm' ? "MONTHS" : NULL;
	return unit != NULL && (size_t) snprintf(buf, cap, "RECOVERY WINDOW OF %.*s %s",
						 (int) (n - 1), policy, unit) < cap;
}

/* The options of barman-cloud-backup from the store: compression,
 * encryption, jobs, checkpoint, tags; the connection to postgres here. */
static void
backup_options(const struct settings *set, const struct barman_store *st, struct argv *o)
{
	argv_init(o);
	if (*st->data_compression)
		argv_add(o, strcmp(st->data_compression, "gzip") == 0 ? "--gzip"
			 : strcmp(st->data_compression, "bzip2") == 0 ? "--bzip2" : "--snappy");
	if (*st->data_encryption) {
		argv_add(o, "--encryption");
		argv_add(o, st->data_encryption);
	}
	argv_add(o, "--jobs");
	argv_addf(o, "%d", st->jobs);
	if (st->immediate_checkpoint)
		argv_add(o, "--immediate-checkpoint");
	if (st->ntags > 0) {
		argv_add(o, "--tags");
		for (size_t i = 0; i < st->ntags; i++)
			argv_add(o, st->tags[i]);
	}
	argv_add(o, "--host");
	argv_add(o, set->run_dir);
	argv_add(o, "--port");
	argv_addf(o, "%d", set->pg_port);
	argv_add(o, "--user");
	argv_add(o, "postgres");
	argv_add(o, "--dbname");
	argv_add(o, "postgres");
}

/* The newest completed backup of the store, after the one just taken. */
static void
newest_backup(const struct barman_store *st, char *id, size_t idcap)
{
	static const char *const opts[] = { "--format", "json" };
	char *buf = malloc(1u << 22), why[200];
	struct barman_backups l = { 0 };
	int code = -1;

	*id = '\0';
	if (buf != NULL && barman_run(st, "barman-cloud-backup-list", opts, 2, NULL, 0, buf,
				      1u << 22, &code, NULL, 0)
	    && code == 0 && barman_backups_parse(buf, &l, why, sizeof(why))) {
		const struct barman_backup *best = NULL;

		for (size_t i = 0; i < l.n; i++)
			if (l.v[i].done && (best == NULL || l.v[i].end > best->end))
				best = &l.v[i];
		if (best != NULL)
			snprintf(id, idcap, "%s", best->id);
	}
	free(l.v);
	free(buf);
}

/* The retention policy, after a backup: what it deletes is logged by the tool. */
static void
apply_retention(const struct barman_store *st, const char *policy)
{
	char words[80], last[PROC_LAST_MAX] = "";
	const char *opts[2] = { "--retention-policy", words };
	int code = -1;

	if (policy == NULL || !barman_retention_words(policy, words, sizeof(words)))
		return;
	if (barman_run(st, "barman-cloud-backup-delete", opts, 2, NULL, 0, NULL, 0, &code, last,
		       sizeof(last)) && code == 0)
		log_info("retention policy \"%s\" (%s) applied to \"%s\"", policy, words,
			 st->destination);
	else
		log_warn("applying the retention policy \"%s\" to \"%s\" failed (exit code %d)%s%s; "
			 "the next backup tries again", policy, st->destination, code, *last ? ": " : "",
			 last);
}

int
barman_backup(const struct settings *set, const char *retention, char *id, size_t idcap)
{
	struct barman_store st;
	struct argv o;
	char last[PROC_LAST_MAX] = "";
	long long t0 = mono_ms();
	int code = -1;
	bool ran;

	*id = '\0';
	if (!barman_store_read(set->run_dir, BARMAN_OWN, &st))
		return -1;
	backup_options(set, &st, &o);
	log_info("Barman Cloud backup to \"%s\" (server \"%s\") begins", st.destination, st.server);
	ran = barman_run(&st, "barman-cloud-backup", (const char *const *) o.v, o.n, NULL, 0, NULL,
			 0, &code, last, sizeof(last));
	argv_free(&o);
	if (!ran)
		return -1;
	if (code != 0) {
		log_error("the backup to \"%s\" failed (barman-cloud-backup exit code %d)%s%s",
			  st.destination, code, *last ? ": " : "", last);
		return code;
	}
	newest_backup(&st, id, idcap);
	log_info("backup %s to \"%s\" (server \"%s\") done in %.1f s", *id ? id : "(not listed)",
		 st.destination, st.server, (double) (mono_ms() - t0) / 1000);
	apply_retention(&st, retention != NULL && *retention ? retention : NULL);
	return 0;
}
