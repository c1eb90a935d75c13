/*
 * cmd.h — the commands. cmd/ parses the command line, calls into lib/ and
 * pgdata/, and is the only place that calls exit().
 */
#ifndef PGPOD_CMD_H
#define PGPOD_CMD_H

#include <signal.h>
#include <stdio.h>

#include "inputs.h"
#include "settings.h"
#include "spec.h"

/* Each command returns an exit code from exitcodes.h. */
int cmd_init(struct settings *set, int argc, char **argv);
int cmd_run(struct settings *set, int argc, char **argv);
int cmd_spec(struct settings *set, int argc, char **argv);
int cmd_version(struct settings *set, int argc, char **argv);
int cmd_status(struct settings *set, int argc, char **argv);
int cmd_probe(struct settings *set, int argc, char **argv);
int cmd_clone(struct settings *set, int argc, char **argv);
int cmd_restore(struct settings *set, int argc, char **argv);
int cmd_join(struct settings *set, int argc, char **argv);
int cmd_promote(struct settings *set, int argc, char **argv);
int cmd_backup(struct settings *set, int argc, char **argv);
int cmd_wal_archive(struct settings *set, int argc, char **argv);
int cmd_wal_restore(struct settings *set, int argc, char **argv);

/* Shared by init and run: find PostgreSQL, read and validate the spec, load
 * its Secrets and ConfigMaps. Returns an exit code (EXIT_OK when usable). */
int cmd_load_spec(struct settings *set, struct spec **spec, struct inputs *in);
int cmd_check_spec(struct settings *set, struct spec **spec, struct inputs *in);

/* Create the run dir and PGDATA's parent, then drop root for --user. */
int cmd_drop_privileges(struct settings *set);

void cmd_usage(FILE *out);

/* The signals pgpod blocks at start and takes synchronously. */
void cmd_signal_set(sigset_t *set);

#endif
