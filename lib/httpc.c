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

#define HTTPC_ANSWER_MAX (1u << 24)

/* Connect to listen before deadline; *fd is the connected socket. */
static bool
httpc_connect(const char *listen, long long deadline, int *fd, bool *refused, char *err,
	      size_t errcap)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	int soerr = 0;
	socklen_t elen = sizeof(soerr);

	if (!netaddr_parse(listen, true, &sa, &salen)) {
		snprintf(err, errcap, "\"%s\" is not ADDR:PORT", listen);
		return false;
	}
	*fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd < 0) {
		snprintf(err, errcap, "socket: %s", strerror(errno));
		return false;
	}
	if (connect(*fd, (struct sockaddr *) &sa, salen) != 0 && errno != EINPROGRESS)
		soerr = errno;
	else if (!mono_wait_fd(*fd, POLLOUT, deadline))
		soerr = errno;
	else if (getsockopt(*fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) != 0)
		soerr = errno;
	if (soerr != 0) {
		*refused = soerr == ECONNREFUSED;
		snprintf(err, errcap, "cannot connect to pgpod on %s: %s", listen, strerror(soerr));
		close(*fd);
		*fd = -1;
		return false;
	}
	return true;
}

/* Send the request for path before deadline. */
static bool
httpc_send(int fd, const char *listen, const char *path, long long deadline, char *err,
	   size_t errcap)
{
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);

	for (int off = 0; off < n;) {
		ssize_t w;

		if (!mono_wait_fd(fd, POLLOUT, deadline)) {
			snprintf(err, errcap, "sending to %s: %s", listen, strerror(errno));
			return false;
		}
		w = send(fd, req + off, (size_t) (n - off), MSG_NOSIGNAL);
		if (w < 0 && errno != EINTR && errno != EAGAIN) {
			snprintf(err, errcap, "sending to %s: %s", listen, strerror(errno));
			return false;
		}
		off += w > 0 ? (int) w : 0;
	}
	return true;
}

/* Make room for 4 KiB more in the answer buffer. */
static bool
httpc_grow(char **resp, size_t len, size_t *rcap, char *err, size_t errcap)
{
	char *g;

	if (len + 4096 <= *rcap)
		return true;
	g = realloc(*resp, *rcap * 2 + 8192);
	if (g == NULL) {
		snprintf(err, errcap, "out of memory");
		return false;
	}
	*resp = g;
	*rcap = *rcap * 2 + 8192;
	return true;
}

/* Read the whole answer (until the server closes) before deadline into
 * *resp (malloc'ed, NUL-terminated; freed and NULL on failure). */
static bool
httpc_recv(int fd, const char *listen, int timeout_ms, long long deadline, char **resp,
	   char *err, size_t errcap)
{
	size_t len = 0, rcap = 0;

	*resp = NULL;
	for (;;) {
		ssize_t r;

		if (!httpc_grow(resp, len, &rcap, err, errcap))
			goto fail;
		if (!mono_wait_fd(fd, POLLIN, deadline)) {
			snprintf(err, errcap, "no answer from %s within %d ms", listen, timeout_ms);
			goto fail;
		}
		r = recv(fd, *resp + len, rcap - len - 1, 0);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(err, errcap, "reading from %s: %s", listen, strerror(errno));
			goto fail;
		}
		len += (size_t) r;
		if (len > HTTPC_ANSWER_MAX) {
			snprintf(err, errcap, "answer from %s too large", listen);
			goto fail;
		}
	}
	(*resp)[len] = '\0';
	return true;
fail:
	free(*resp);
	*resp = NULL;
	return false;
}

bool
httpc_get(const char *listen, const char *path, int timeout_ms, int *code, char *body,
	  size_t cap, bool *refused, char *err, size_t errcap)
{
	long long deadline = mono_ms() + timeout_ms;
	char *resp = NULL, *p;
	bool ok = false;
	int fd;

	*refused = false;
	*code = 0;
	if (cap > 0)
		body[0] = '\0';
	if (!httpc_connect(listen, deadline, &fd, refused, err, errcap))
		return false;
	if (!httpc_send(fd, listen, path, deadline, err, errcap)
	    || !httpc_recv(fd, listen, timeout_ms, deadline, &resp, err, errcap))
		goto out;
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
