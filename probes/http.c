/*
 * http.c — the HTTP server (see http.h).
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"
#include "log.h"
#include "mono.h"
#include "netaddr.h"
#include "render.h"
#include "status.h"
#include "tlsfront.h"

#define HTTP_THREADS     2
#define HTTP_CONNECTIONS 12288	/* the server's own limit, above the guard's soft cap */
#define HTTP_TIMEOUT_S   10
#define HTTP_CONNECTION_MEMORY 4096	/* a request head and a probe's answer fit */
#define HTTP_BACKLOG     4096	/* the kernel caps it at net.core.somaxconn */
#define HTTP_SWEEP_MS    100

struct http_server {
	struct MHD_Daemon *daemon;
	struct tlsfront   *tls;		/* HTTPS: accepts and hands over; NULL plain HTTP */
	unsigned           serves;	/* HTTP_PROBES | HTTP_DOCS */
	struct guard       guard;
	pthread_t          sweeper;
	bool               sweeping;
	pthread_mutex_t    lock;
	pthread_cond_t     cond;
	bool               stop;
};

static const struct {
	const char        *path;
	enum status_path   id;
	unsigned           kind;
} routes[] = {
	{ "/healthz", SPATH_HEALTHZ, HTTP_PROBES },
	{ "/livez", SPATH_HEALTHZ, HTTP_PROBES },
	{ "/startupz", SPATH_STARTUPZ, HTTP_PROBES },
	{ "/readyz", SPATH_READYZ, HTTP_PROBES },
	{ "/pg/status", SPATH_STATUS, HTTP_DOCS },
	{ "/metrics", SPATH_METRICS, HTTP_DOCS },
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

	struct http_server *s = cls;

	(void) version;
	(void) upload;
	if (*ctx == NULL) {		/* headers only: answer on the next call */
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
			MHD_CONNECTION_INFO_CONNECTION_FD);

		if (ci != NULL)
			guard_request(&s->guard, ci->connect_fd);
		*ctx = c;
		return MHD_YES;
	}
	if (*upload_size != 0) {	/* ignore any request body */
		*upload_size = 0;
		return MHD_YES;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(url, routes[i].path) == 0 && (routes[i].kind & s->serves))
			path = routes[i].id;
	if (path == SPATH_OTHER)
		return http_send(c, path, 404, json, render_probe(404, (s->serves & HTTP_DOCS) == 0
				 ? "no such path here: try /healthz, /startupz or /readyz (/pg/status "
				 "and /metrics are on --status-listen)" : (s->serves & HTTP_PROBES) == 0
				 ? "no such path here: try /pg/status or /metrics (the probes are on "
				 "--listen)" : "no such path: try /healthz, /startupz, /readyz, "
				 "/pg/status or /metrics"), NULL);
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

/* ---- the guard against slow and idle clients (guard.h) ---- */

static void
http_drop(int fd)
{
	(void) shutdown(fd, SHUT_RDWR);	/* the server sees the end and closes it */
}

static void
http_notify_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
		       enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		MHD_CONNECTION_INFO_CONNECTION_FD);

	(void) socket_ctx;
	if (ci == NULL)
		return;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		guard_open(&s->guard, ci->connect_fd, mono_ms());
	else
		guard_close(&s->guard, ci->connect_fd);
}

static void
http_notify_completed(void *cls, struct MHD_Connection *c, void **ctx,
		      enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		MHD_CONNECTION_INFO_CONNECTION_FD);

	(void) ctx;
	(void) toe;
	if (ci != NULL)
		guard_answered(&s->guard, ci->connect_fd, mono_ms());
}

/* Every HTTP_SWEEP_MS, drop the connections whose request head is late. */
static void *
http_sweeper(void *arg)
{
	struct http_server *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		struct timespec until;

		pthread_mutex_unlock(&s->lock);
		(void) guard_sweep(&s->guard, mono_ms());
		pthread_mutex_lock(&s->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += HTTP_SWEEP_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!s->stop && pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void __attribute__((format(printf, 2, 0)))
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

/* Bind and listen on addr ourselves: an error then names its cause. */
static bool
http_listen(const char *addr, int *fd, bool *v6)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int one = 1;

	if (!netaddr_parse(addr, false, &sa, &len)) {
		log_error("--listen \"%s\" is not ADDR:PORT (e.g. 0.0.0.0:8000, 127.0.0.1:8000, "
			  "[::]:8000)", addr);
		return false;
	}
	*v6 = sa.ss_family == AF_INET6;
	*fd = socket(*v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0 || setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
	    || bind(*fd, (struct sockaddr *) &sa, len) != 0 || listen(*fd, HTTP_BACKLOG) != 0) {
		log_error("cannot serve HTTP on %s: %s%s", addr, strerror(errno),
			  errno == EADDRINUSE ? " (another process uses the port: pick another "
			  "with --listen)" : "");
		if (*fd >= 0)
			close(*fd);
		return false;
	}
	return true;
}

/* Plain HTTP: the daemon accepts on fd itself. HTTPS: it has no listen
 * socket and is handed each connection once its handshake is done
 * (tlsfront.h), so the listen option ends the list early. */
static struct MHD_Daemon *
http_daemon(struct http_server *s, int fd, bool v6, bool tls)
{
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG
				| (v6 ? MHD_USE_IPv6 : 0)
				| (tls ? MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC : 0),
				0, NULL, NULL, http_handle, s,
				MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned) HTTP_THREADS,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned) HTTP_CONNECTIONS,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HTTP_CONNECTION_MEMORY,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) HTTP_TIMEOUT_S,
				MHD_OPTION_NOTIFY_CONNECTION, http_notify_connection, s,
				MHD_OPTION_NOTIFY_COMPLETED, http_notify_completed, s,
				tls ? MHD_OPTION_END : MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_END);
}

bool
http_start(const char *addr, unsigned serves, const char *tls_cert, const char *tls_key,
	   struct http_server **out)
{
	struct http_server *s;
	bool v6;
	int fd, rc;

	*out = NULL;
	if (!http_listen(addr, &fd, &v6))
		return false;	/* errors have already been logged */
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_error("cannot serve HTTP on %s: out of memory", addr);
		close(fd);
		return false;
	}
	s->serves = serves;
	guard_init(&s->guard, GUARD_HEAD_MS, GUARD_SOFT_CAP, http_drop);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if ((s->daemon = http_daemon(s, fd, v6, tls_cert != NULL)) == NULL) {
		log_error("cannot start the HTTP server on %s (libmicrohttpd)", addr);
		close(fd);
		http_stop(s);
		return false;
	}
	if (tls_cert != NULL && !tlsfront_start(fd, addr, tls_cert, tls_key, s->daemon, &s->tls)) {
		http_stop(s);	/* errors have already been logged */
		return false;
	}
	rc = pthread_create(&s->sweeper, NULL, http_sweeper, s);
	s->sweeping = rc == 0;
	if (rc != 0)
		log_warn("no sweeper of slow HTTP clients on %s: %s", addr, strerror(rc));
	log_info("serving %s on %s (%s%s%s)", tls_cert != NULL ? "HTTPS" : "HTTP", addr,
		 serves & HTTP_PROBES ? "/healthz /startupz /readyz" : "",
		 serves == (HTTP_PROBES | HTTP_DOCS) ? " " : "",
		 serves & HTTP_DOCS ? "/pg/status /metrics" : "");
	*out = s;
	return true;
}

void
http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	if (s->sweeping) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->sweeper, NULL);
	}
	tlsfront_stop(s->tls);	/* before the daemon it hands connections to */
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->guard.lock);
	free(s);
}
