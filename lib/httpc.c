/*
 * httpc.c — see httpc.h.
 */
#include "httpc.h"
#include "mono.h"
#include "netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool
httpc_get(const char *listen, const char *path, int timeout_ms, int *code, char *body,
	  size_t cap, bool *refused, char *err, size_t errcap)
{
	long long deadline = mono_ms() + timeout_ms;
	struct sockaddr_storage sa;
	socklen_t salen;
	char req[512], *resp = NULL, *p;
	size_t len = 0, rcap = 0;
	int fd, soerr = 0, n;
	socklen_t elen = sizeof(soerr);
	bool ok = false;

	*refused = false;
	*code = 0;
	if (cap > 0)
		body[0] = '\0';
	if (!netaddr_parse(listen, true, &sa, &salen)) {
		snprintf(err, errcap, "\"%s\" is not ADDR:PORT", listen);
		return false;
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errcap, "socket: %s", strerror(errno));
		return false;
	}
	if (connect(fd, (struct sockaddr *) &sa, salen) != 0 && errno != EINPROGRESS)
		soerr = errno;
	else if (!mono_wait_fd(fd, POLLOUT, deadline))
		soerr = errno;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) != 0)
		soerr = errno;
	if (soerr != 0) {
		*refused = soerr == ECONNREFUSED;
		snprintf(err, errcap, "cannot connect to pgpod on %s: %s", listen, strerror(soerr));
		goto out;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		     path);
	for (int off = 0; off < n;) {
		ssize_t w;

		if (!mono_wait_fd(fd, POLLOUT, deadline)) {
			snprintf(err, errcap, "sending to %s: %s", listen, strerror(errno));
			goto out;
		}
		w = send(fd, req + off, (size_t) (n - off), MSG_NOSIGNAL);
		if (w < 0 && errno != EINTR && errno != EAGAIN) {
			snprintf(err, errcap, "sending to %s: %s", listen, strerror(errno));
			goto out;
		}
		off += w > 0 ? (int) w : 0;
	}
	for (;;) {
		ssize_t r;

		if (len + 4096 > rcap) {
			char *g = realloc(resp, rcap = rcap * 2 + 8192);

			if (g == NULL) {
				snprintf(err, errcap, "out of memory");
				goto out;
			}
			resp = g;
		}
		if (!mono_wait_fd(fd, POLLIN, deadline)) {
			snprintf(err, errcap, "no answer from %s within %d ms", listen, timeout_ms);
			goto out;
		}
		r = recv(fd, resp + len, rcap - len - 1, 0);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(err, errcap, "reading from %s: %s", listen, strerror(errno));
			goto out;
		}
		len += (size_t) r;
		if (len > (1u << 24)) {
			snprintf(err, errcap, "answer from %s too large", listen);
			goto out;
		}
	}
	resp[len] = '\0';
	if (sscanf(resp, "HTTP/%*d.%*d %d", code) != 1 || (p = strstr(resp, "\r\n\r\n")) == NULL) {
		snprintf(err, errcap, "not an HTTP answer from %s", listen);
		goto out;
	}
	snprintf(body, cap, "%s", p + 4);
	ok = true;
out:
	free(resp);
	close(fd);
	return ok;
}
