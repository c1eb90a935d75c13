/*
 * cmd_status.c — `pgpod status` and `pgpod probe startup|liveness|readiness`:
 * ask the running pgpod over HTTP (--listen; HTTPS with --tls-cert). With no pgpod running,
 * status computes the document from PGDATA, and a probe fails.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exitcodes.h"
#include "httpc.h"
#include "log.h"
#include "status.h"
#include "pgdata/instance.h"
#include "pgdata/pgdata.h"
#include "probes/render.h"

#define STATUS_TIMEOUT_MS 2000
#define PROBE_TIMEOUT_MS  1000
#define BODY_MAX          65536

/* What PGDATA says when no pgpod answers. */
static char *
status_local(const struct settings *set)
{
	struct status *st;
	struct status copy;
	char pst[16];
	pid_t pid;

	status_init(set->pod_name, set->pgdata, set->max_lag_bytes);
	st = status_lock();
	st->phase = PHASE_STOPPED;
	st->last_tick_ms = 0;	/* no supervisor loop: not live */
	if (instance_pidfile(set->pgdata, &pid, pst, sizeof(pst)) && pid > 0 && kill(pid, 0) == 0) {
		st->postmaster_pid = pid;
		st->postmaster_alive = true;
		snprintf(st->pid_status, sizeof(st->pid_status), "%s", pst);
	}
	status_unlock();
	pgdata_marker_status(set->pgdata);
	status_get(&copy);
	return render_status_json(&copy);
}

int
cmd_status(struct settings *set, int argc, char **argv)
{
	char *body = malloc(BODY_MAX);
	char err[512];
	bool refused;
	int code;

	(void) argv;
	if (argc > 0) {
		log_error("status takes no arguments");
		free(body);
		return EXIT_BAD_USAGE;
	}
	if (body == NULL) {
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	if (httpc_get(set->status_listen[0] ? set->status_listen : set->listen, "/pg/status",
		      set->tls_cert[0] ? set->tls_cert : NULL, STATUS_TIMEOUT_MS, &code, body,
		      BODY_MAX, &refused, err, sizeof(err)) && code == 200) {
		printf("%s\n", body);
		free(body);
		return EXIT_OK;
	}
	if (!refused) {
		if (code != 0)
			log_error("pgpod answered /pg/status with HTTP %d: %.400s", code, body);
		else
			log_error("%s", err);
		free(body);
		return EXIT_RUNTIME;
	}
	free(body);
	body = status_local(set);
	if (body == NULL) {
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	printf("%s\n", body);
	free(body);
	return EXIT_OK;
}

int
cmd_probe(struct settings *set, int argc, char **argv)
{
	static const struct {
		const char *name;
		const char *path;
	} probes[] = {
		{ "startup", "/startupz" },
		{ "liveness", "/healthz" },
		{ "readiness", "/readyz" },
	};
	const char *path = NULL;
	char body[1024], err[512], reason[512] = "";
	bool refused;
	int code;

	for (size_t i = 0; argc == 1 && i < sizeof(probes) / sizeof(probes[0]); i++)
		if (strcmp(argv[0], probes[i].name) == 0)
			path = probes[i].path;
	if (path == NULL) {
		log_error("usage: pgpod probe startup|liveness|readiness");
		return EXIT_BAD_USAGE;
	}
	if (!httpc_get(set->listen, path, set->tls_cert[0] ? set->tls_cert : NULL, PROBE_TIMEOUT_MS,
		       &code, body, sizeof(body), &refused, err, sizeof(err))) {
		printf("%s\n", err);
		return EXIT_RUNTIME;
	}
	/* the body is {"status":"...","reason":"..."}: show the reason */
	{
		const char *r = strstr(body, "\"reason\":\"");
		size_t n = 0;

		if (r != NULL) {
			r += 10;
			while (r[0] && r[0] != '"' && n + 1 < sizeof(reason)) {
				if (r[0] == '\\' && r[1])
					r++;
				reason[n++] = *r++;
			}
			reason[n] = '\0';
		}
	}
	printf("%s: %s\n", code == 200 ? "ok" : "fail", reason[0] ? reason : body);
	return code == 200 ? EXIT_OK : EXIT_RUNTIME;
}
