/*
 * method.c — the table of bootstrap methods (see method.h).
 */
#include "method.h"

#include <limits.h>
#include <string.h>

#include "barman_restore.h"
#include "clone.h"
#include "identity.h"
#include "import.h"
#include "initdb.h"
#include "log.h"
#include "pgdata.h"
#include "restore.h"

static bool
asks_replica_cluster(const struct spec *s)
{
	return s->standby_enabled == 1 && s->standby_source_kind != SPEC_SOURCE_REPO;
}

static bool
asks_pg_basebackup(const struct spec *s)
{
	return s->bootstrap == SPEC_BOOTSTRAP_PG_BASEBACKUP;
}

static bool
asks_initdb(const struct spec *s)
{
	return s->bootstrap == SPEC_BOOTSTRAP_INITDB;
}

/* In selection order: the first entry that applies wins. */
const struct method method_table[] = {
	{
		.name = "join", .marker = "join", .command = "join",
		.selected_by = "an instance other than the first (--instance-role, the pod name's ordinal)",
		.replicas = true, .check = clone_check_join, .prepare = clone_prepare_join,
		.steps = &clone_join_plan,
	},
	{
		.name = "standby from a repository", .marker = "restore", .command = "restore",
		.selected_by = "PGO/Percona spec.standby {enabled, repoName}",
		.spec_asks = standby_asked, .resumable = true, .check = standby_check,
		.prepare = standby_prepare, .steps = &standby_plan,
	},
	{
		.name = "replica cluster from an object store", .marker = "recovery",
		.command = "restore",
		.selected_by = "spec.replica with a source that has a barmanObjectStore (and no "
			       "connectionParameters, or bootstrap.recovery)",
		.spec_asks = barman_standby_asked, .check = barman_standby_check,
		.prepare = barman_standby_prepare, .steps = &barman_standby_plan,
	},
	{
		.name = "replica cluster", .marker = "pg_basebackup", .command = "clone",
		.selected_by = "spec.replica.enabled with spec.replica.source",
		.spec_asks = asks_replica_cluster, .prepare = clone_prepare_standby,
		.steps = &clone_standby_plan,
	},
	{
		.name = "pg_basebackup", .marker = "pg_basebackup", .command = "clone",
		.selected_by = "spec.bootstrap.pg_basebackup (source in externalClusters)",
		.spec_asks = asks_pg_basebackup, .prepare = clone_prepare_copy,
		.steps = &clone_copy_plan,
	},
	{
		.name = "restore", .marker = "restore", .command = "restore",
		.selected_by = "PGO/Percona spec.dataSource (postgresCluster, pgbackrest)",
		.spec_asks = restore_asked, .resumable = true, .check = restore_check,
		.prepare = restore_prepare, .steps = &restore_plan,
	},
	{
		.name = "recovery", .marker = "recovery", .command = "restore",
		.selected_by = "spec.bootstrap.recovery (a Barman Cloud object store in externalClusters)",
		.spec_asks = barman_recovery_asked, .check = barman_recovery_check,
		.prepare = barman_recovery_prepare, .steps = &barman_recovery_plan,
	},
	{
		.name = "initdb with an import", .marker = "initdb", .command = "init",
		.selected_by = "spec.bootstrap.initdb.import (a source in externalClusters)",
		.spec_asks = import_asked, .check = import_check, .prepare = initdb_prepare_import,
		.steps = &import_plan,
	},
	{
		.name = "initdb", .marker = "initdb", .command = "init",
		.selected_by = "spec.bootstrap.initdb, or no bootstrap section",
		.spec_asks = asks_initdb, .prepare = initdb_prepare, .steps = &initdb_plan,
	},
};

const size_t method_count = sizeof(method_table) / sizeof(method_table[0]);

/* What a one-shot command needs of the spec, for its refusal. */
static const struct {
	const char *command;
	const char *needs;
} command_needs[] = {
	{ "init", "`pgpod init` only runs initdb" },
	{ "clone", "`pgpod clone` needs bootstrap.pg_basebackup (with a source in externalClusters)" },
	{ "restore", "`pgpod restore` needs a pgBackRest source (PGO/Percona spec.dataSource) or a "
	  "Barman Cloud one (CloudNativePG bootstrap.recovery with an object store)" },
};

const struct method *
method_for(const struct settings *set, const struct spec *s)
{
	bool replica = identity_is_replica(set);

	for (size_t i = 0; i < method_count; i++) {
		const struct method *m = &method_table[i];

		if (m->replicas ? replica : (!replica && (m->spec_asks == NULL || m->spec_asks(s))))
			return m;
	}
	return &method_table[method_count - 1];	/* initdb */
}

const struct method *
method_check_existing(const struct settings *set, const struct spec *s, const struct inputs *in,
		      const struct method *m)
{
	char what[600];

	if (m->replicas || m->spec_asks != asks_initdb || s->instances <= 1
	    || !upstream_primary_answers(set, s, in, what, sizeof(what)))
		return m;
	if (strcmp(set->instance_role, "primary") == 0) {
		log_error("%s: this cluster exists already, and initdb would make a new, empty "
			  "primary beside it (spec.instances is %d); --instance-role primary forbids "
			  "joining it: remove that option to join it, or point --primary-host elsewhere",
			  what, s->instances);
		return NULL;
	}
	log_warn("%s: this cluster exists already (spec.instances is %d), so this instance joins "
		 "it instead of making a new, empty primary with initdb", what, s->instances);
	for (size_t i = 0; i < method_count; i++)
		if (method_table[i].replicas)
			return &method_table[i];	/* join */
	return m;
}

const struct method *
method_for_command(const char *command, const struct spec *s)
{
	for (size_t i = 0; i < method_count; i++) {
		const struct method *m = &method_table[i];

		if (m->command != NULL && strcmp(m->command, command) == 0
		    && (m->spec_asks == NULL || m->spec_asks(s)))
			return m;
	}
	for (size_t i = 0; i < sizeof(command_needs) / sizeof(command_needs[0]); i++)
		if (strcmp(command_needs[i].command, command) == 0)
			log_error("%s: the spec asks for the %s bootstrap; %s",
				  spec_path(s, "bootstrap.method"), spec_bootstrap_name(s->bootstrap),
				  command_needs[i].needs);
	return NULL;
}

bool
method_available(const struct method *m, const struct spec *s)
{
	if (m->steps != NULL)
		return true;
	log_error("%s: the %s bootstrap is not available in this pgpod version",
		  spec_path(s, "bootstrap.method"), m->name);
	return false;
}

/* A bootstrap that was cut off (pgpod was killed during it): stop what is
 * left of a copy's pg_basebackup and move it aside, then start again. */
static bool
method_move_cut_off(const struct settings *set)
{
	char aside[PATH_MAX + 64];

	log_warn("PGDATA \"%s\" holds a %s that was cut off; moving it aside and starting again",
		 set->pgdata, pgdata_has(set->pgdata, BOOT_STAGING)
		 || pgdata_has(set->pgdata, BOOT_STAGING_PID) ? "copy" : "bootstrap");
	clone_kill_leftover(set->pgdata);
	if (!pgdata_move_aside(set->pgdata, set->keep_failed, aside, sizeof(aside)))
		return false;	/* errors have already been logged */
	log_info("the cut-off copy is kept in \"%s\"", aside);
	return true;
}

/* A cut-off attempt of a resumable method (its in-progress mark, and its
 * work still in the staging directory) is taken up where it stopped. */
static bool
method_resumes(const struct settings *set, const struct method *m)
{
	char started[32];

	if (!m->resumable)
		return false;
	pgdata_bootstrapping_method(set->pgdata, started, sizeof(started));
	if (strcmp(started, m->marker) != 0 || !pgdata_only_staging(set->pgdata))
		return false;
	log_warn("PGDATA \"%s\" holds a %s that was cut off: resuming it", set->pgdata, m->name);
	return true;
}

enum boot_result
method_bootstrap(const struct settings *set, const struct spec *s, const struct inputs *in,
		 const struct method *m)
{
	struct boot b = { .set = set, .s = s, .in = in, .marker = m->marker };
	enum pgdata_state st = pgdata_state(set->pgdata);
	enum boot_result r = boot_admit(set, st);

	if (r != BOOT_PENDING)
		return r;
	if (!method_available(m, s))
		return BOOT_FAILED;
	if (st == PGDATA_PARTIAL && !method_resumes(set, m) && !method_move_cut_off(set))
		return BOOT_FAILED;
	if (st == PGDATA_FAILED && !pgdata_clear_failed(set->pgdata))
		return BOOT_FAILED;
	if (m->check != NULL && !m->check(set, s, in))
		return BOOT_FAILED;
	if (!m->prepare(&b)) {
		log_error("cannot prepare the %s bootstrap (see above); nothing was written", m->name);
		r = BOOT_FAILED;
	} else {
		r = boot_run(&b, m->steps);
	}
	upstream_free(&b.up);
	return r;
}
