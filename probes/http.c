/*
 * http.c — the HTTP server (see http.h).
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "netaddr.h"
#include "render.h"
#include "status.h"

#define HTTP_THREADS     2
#define HTTP_CONNECTIONS 256
#define HTTP_TIMEOUT_S   10
#define HTTP_BACKLOG     256

struct http_server {
	struct MHD_Daemon *daemon;
};

static const struct {
	const char        *path;
	enum status_path   id;
} routes[] = {
	{ "/healthz", SPATH_HEALTHZ },
	{ "/livez", SPATH_HEALTHZ },
	{ "/startupz", SPATH_STARTUPZ },
	{ "/readyz", SPATH_READYZ },
	{ "/pg/status", SPATH_STATUS },
	{ "/metrics", SPATH_METRICS },
};

static enum MHD_Result
http_send(struct MHD_Connection *c, enum status_path path, unsigned code, const char *type,
	  char *body, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	if (body == NULL) {
		static const char oom[] = "{\"status\":\"fail\",\"reason\":\"out of memory\"}";

		code = 500;
		type = "application/json";
		r = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *) oom, MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	}
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ok = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	status_count(path, (int) code);
	return ok;
}

static enum MHD_Result
http_handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	    const char *version, const char *upload, size_t *upload_size, void **ctx)
{
	static const char json[] = "application/json";
	enum status_path path = SPATH_OTHER;
	struct status st;
	char reason[256];
	int code;

	(void) cls;
	(void) version;
	(void) upload;
	if (*ctx == NULL) {		/* headers only: answer on the next call */
		*ctx = c;
		return MHD_YES;
	}
	if (*upload_size != 0) {	/* ignore any request body */
		*upload_size = 0;
		return MHD_YES;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(url, routes[i].path) == 0)
			path = routes[i].id;
	if (path == SPATH_OTHER)
		return http_send(c, path, 404, json, render_probe(404, "no such path: try /healthz, "
				 "/startupz, /readyz, /pg/status or /metrics"), NULL);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return http_send(c, path, 405, json, render_probe(405, "only GET and HEAD"), "GET, HEAD");
	status_get(&st);
	switch (path) {
	case SPATH_HEALTHZ:
	case SPATH_STARTUPZ:
	case SPATH_READYZ:
		code = status_probe(&st, path == SPATH_HEALTHZ ? PROBE_LIVENESS : path == SPATH_STARTUPZ
				    ? PROBE_STARTUP : PROBE_READINESS, mono_ms(), reason,
				    sizeof(reason));
		return http_send(c, path, (unsigned) code, json, render_probe(code, reason), NULL);
	case SPATH_STATUS:
		return http_send(c, path, 200, json, render_status_json(&st), NULL);
	case SPATH_METRICS:
		return http_send(c, path, 200, "text/plain; version=0.0.4; charset=utf-8",
				 render_metrics(&st), NULL);
	default:
		break;
	}
	return MHD_NO;
}

static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void) cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("http: %s", msg);
}

bool
http_start(const char *addr, struct http_server **out)
{
	struct sockaddr_storage sa;
	socklen_t len;
	bool v6;
	struct http_server *s;
	int fd, one = 1;

	*out = NULL;
	if (!netaddr_parse(addr, false, &sa, &len)) {
		log_error("--listen \"%s\" is not ADDR:PORT (e.g. 0.0.0.0:8000, 127.0.0.1:8000, "
			  "[::]:8000)", addr);
		return false;
	}
	v6 = sa.ss_family == AF_INET6;
	/* bind ourselves: the error then names the cause exactly */
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
	    || bind(fd, (struct sockaddr *) &sa, len) != 0 || listen(fd, HTTP_BACKLOG) != 0) {
		log_error("cannot serve HTTP on %s: %s%s", addr, strerror(errno),
			  errno == EADDRINUSE ? " (another process uses the port: pick another "
			  "with --listen)" : "");
		if (fd >= 0)
			close(fd);
		return false;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		log_error("cannot serve HTTP on %s: out of memory", addr);
		close(fd);
		return false;
	}
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG
				     | (v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, http_handle, NULL,
				     MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_THREAD_POOL_SIZE, (unsigned) HTTP_THREADS,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned) HTTP_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) HTTP_TIMEOUT_S,
				     MHD_OPTION_END);
	if (s->daemon == NULL) {
		log_error("cannot start the HTTP server on %s (libmicrohttpd)", addr);
		close(fd);
		free(s);
		return false;
	}
	log_info("serving HTTP on %s (/healthz /startupz /readyz /pg/status /metrics)", addr);
	*out = s;
	return true;
}

void
http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->daemon);
	free(s);
}
