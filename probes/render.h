/*
 * render.h — the documents served over HTTP, rendered from a copy of the
 * status: the /pg/status JSON and the Prometheus text exposition.
 */
#ifndef PGPOD_RENDER_H
#define PGPOD_RENDER_H

#include "status.h"

/* The /pg/status document (caller frees), or NULL when out of memory. */
char *render_status_json(const struct status *st);

/* The /metrics text, format 0.0.4 (caller frees), or NULL. */
char *render_metrics(const struct status *st);

/* A probe's body: {"status":"ok"|"fail","reason":"..."} (caller frees), or
 * NULL when out of memory. */
char *render_probe(int code, const char *reason);

#endif
