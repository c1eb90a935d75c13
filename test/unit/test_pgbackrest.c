/*
 * test_pgbackrest.c — cmocka tests for what pgpod writes for pgBackRest
 * (pgdata/pgbackrest.c): the configuration file from the repositories, the
 * spec's global settings and the INI files of configuration Secrets; the
 * archive and restore commands, quoted for the shell; and the restore's
 * reading of a target time (pgdata/restore.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs.h"
#include "log.h"
#include "settings.h"
#include "spec.h"
#include "pgdata/pgbackrest.h"
#include "pgdata/restore.h"

static void
settings_fill(struct settings *set)
{
	memset(set, 0, sizeof(*set));
	snprintf(set->pgdata, sizeof(set->pgdata), "/pg/data");
	snprintf(set->run_dir, sizeof(set->run_dir), "/run/pgpod");
	set->pg_port = 5432;
}

static void
repo_add(struct spec *s, const char *name, const char *kind, const char *bucket,
	 const char *endpoint, const char *region)
{
	struct spec_repo *r;

	s->repos = spec_xrealloc(s->repos, (s->n_repos + 1) * sizeof(*s->repos));
	r = &s->repos[s->n_repos++];
	memset(r, 0, sizeof(*r));
	r->name = spec_xstrdup(name);
	r->kind = spec_xstrdup(kind);
	r->bucket = bucket ? spec_xstrdup(bucket) : NULL;
	r->endpoint = endpoint ? spec_xstrdup(endpoint) : NULL;
	r->region = region ? spec_xstrdup(region) : NULL;
}

static void
ini_add(struct inputs *in, const char *origin, const char *text)
{
	struct input_texts *t = &in->pgbackrest_ini;

	t->items = spec_xrealloc(t->items, (t->n + 1) * sizeof(*t->items));
	t->items[t->n].origin = spec_xstrdup(origin);
	t->items[t->n].text = spec_xstrdup(text);
	t->items[t->n].secret = true;
	t->n++;
}

/* Repositories of every kind, global over the defaults, Secrets' INI
 * last, the stanza describing this instance. */
static void
test_render_repos_global_ini(void **state)
{
	struct settings set;
	struct spec *s = spec_new();
	struct inputs in;
	char *text;

	(void) state;
	settings_fill(&set);
	memset(&in, 0, sizeof(in));
	repo_add(s, "repo1", "volume", NULL, NULL, NULL);
	repo_add(s, "repo2", "s3", "bkt", "s3.example", "ca-central-1");
	repo_add(s, "repo3", "gcs", "gbkt", NULL, NULL);
	repo_add(s, "repo4", "azure", "cont", NULL, NULL);
	kvlist_set(&s->pgbackrest_global, "repo1-path", "/backups/hippo");
	kvlist_set(&s->pgbackrest_global, "repo1-retention-full", "2");
	ini_add(&in, "secret s3 key s3.conf", "# keys\n[global]\nrepo2-s3-key = AKIA\n"
		"repo2-s3-key-secret=very secret\n\n[global:archive-push]\ncompress-level=3\n");
	ini_add(&in, "secret s3 key z.conf", "[global]\nrepo2-s3-key=AKIB\n");
	text = pgbr_render(&set, s, &in);
	assert_non_null(text);
	assert_non_null(strstr(text, "[global]\nlock-path=/run/pgpod/pgbackrest\n"));
	assert_non_null(strstr(text, "\nrepo1-type=posix\nrepo1-path=/backups/hippo\n"));
	assert_non_null(strstr(text, "\nrepo2-type=s3\nrepo2-path=/pgbackrest/repo2\n"
			       "repo2-s3-bucket=bkt\nrepo2-s3-endpoint=s3.example\n"
			       "repo2-s3-region=ca-central-1\n"));
	assert_non_null(strstr(text, "\nrepo3-type=gcs\nrepo3-path=/pgbackrest/repo3\nrepo3-gcs-bucket=gbkt\n"));
	assert_non_null(strstr(text, "\nrepo4-azure-container=cont\n"));
	assert_non_null(strstr(text, "\nrepo1-retention-full=2\n"));
	/* the later file wins; spaces around = are pgBackRest's, not the value's */
	assert_non_null(strstr(text, "\nrepo2-s3-key=AKIB\nrepo2-s3-key-secret=very secret\n"));
	assert_null(strstr(text, "AKIA"));
	assert_non_null(strstr(text, "\n[global:archive-push]\ncompress-level=3\n"));
	assert_non_null(strstr(text, "\n[db]\npg1-path=/pg/data\npg1-port=5432\n"
			       "pg1-socket-path=/run/pgpod\npg1-user=postgres\n"));
	free(text);
	inputs_free(&in);
	spec_free(s);
}

/* A file that sets what pgpod owns, or is not INI, is refused. */
static void
test_render_refuses(void **state)
{
	static const char *const bad[] = {
		"[global]\npg1-path=/elsewhere\n",
		"[db]\npg1-port=1\n",
		"[global]\nconfig-include-path=/etc\n",
		"repo1-path=/x\n",			/* before any section */
		"[global]\njust a line\n",
		"[global]\nBad Key=1\n",
		"[glo bal]\nx=1\n",
	};
	struct settings set;

	(void) state;
	settings_fill(&set);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct spec *s = spec_new();
		struct inputs in;
		char *text;

		memset(&in, 0, sizeof(in));
		repo_add(s, "repo1", "volume", NULL, NULL, NULL);
		ini_add(&in, "secret x key a.conf", bad[i]);
		text = pgbr_render(&set, s, &in);
		if (text != NULL)
			fail_msg("accepted: %s", bad[i]);
		inputs_free(&in);
		spec_free(s);
	}
}

/* The commands postgres runs: every path quoted for /bin/sh. */
static void
test_commands_quoted(void **state)
{
	struct settings set;
	struct pgbr_target t = { .repo = 2 };
	char buf[4096];

	(void) state;
	settings_fill(&set);
	snprintf(set.run_dir, sizeof(set.run_dir), "/run/it's here");
	if (!pgbr_archive_command(&set, buf, sizeof(buf)))
		skip();	/* no pgbackrest installed */
	assert_non_null(strstr(buf, "pgbackrest' --config='/run/it'\\''s here/pgbackrest.conf' "
			       "--stanza='db' archive-push \"%p\""));
	snprintf(t.conf, sizeof(t.conf), "/run/src.conf");
	snprintf(t.stanza, sizeof(t.stanza), "my stanza");
	assert_true(pgbr_restore_command(&t, "/pg/data/.pgpod-copy", buf, sizeof(buf)));
	assert_non_null(strstr(buf, "--config='/run/src.conf' --stanza='my stanza' --repo=2 "
			       "--pg1-path='/pg/data/.pgpod-copy' archive-get %f \"%p\""));
	assert_false(pgbr_restore_command(&t, "/pg/data", buf, 40));
}

/* Target times as people write them for PostgreSQL and PGO. */
static void
test_parse_time(void **state)
{
	double t;

	(void) state;
	assert_true(restore_parse_time("2021-06-09 14:15:11-04", &t));
	assert_true(t == 1623262511.0);
	assert_true(restore_parse_time("2021-06-09T18:15:11Z", &t));
	assert_true(t == 1623262511.0);
	assert_true(restore_parse_time("2021-06-09 18:15:11", &t));
	assert_true(t == 1623262511.0);
	assert_true(restore_parse_time("2021-06-09 18:15:11.250+00", &t));
	assert_true(t == 1623262511.25);
	assert_true(restore_parse_time("2021-06-09 19:45:11+01:30", &t));
	assert_true(t == 1623262511.0);
	assert_false(restore_parse_time("yesterday", &t));
	assert_false(restore_parse_time("2021-06-09", &t));
	assert_false(restore_parse_time("2021-13-09 18:15:11", &t));
	assert_false(restore_parse_time("2021-06-09 18:15:11 Europe/Paris", &t));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_repos_global_ini),
		cmocka_unit_test(test_render_refuses),
		cmocka_unit_test(test_commands_quoted),
		cmocka_unit_test(test_parse_time),
	};

	log_init(2, LOG_ERROR);
	return cmocka_run_group_tests_name("pgbackrest", tests, NULL, NULL);
}
