/*
 * httpc.c — see httpc.h.
 */
#include "httpc.h"
#include "mono.h"
#include "netaddr.h"
#include "tls.h"

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

#include <openssl/ssl.h>

#define HTTPC_ANSWER_MAX (1u << 24)

/* A connection to pgpod: a socket, and its TLS session with --tls-cert. */
struct httpc_conn {
	int  fd;
	SSL *ssl;
};

/* Send (out) or receive once, waiting until deadline: the bytes moved, 0
 * at the end of the answer, -1 on failure (errno; ETIMEDOUT at the
 * deadline, EPROTO for a TLS failure). */
static ssize_t
httpc_io(struct httpc_conn *c, bool out, char *buf, size_t len, long long deadline)
{
	for (;;) {
		short ev = out ? POLLOUT : POLLIN;

		if (c->ssl == NULL) {
			ssize_t r = out ? send(c->fd, buf, len, MSG_NOSIGNAL) : recv(c->fd, buf, len, 0);

			if (r >= 0)
				return r;
			if (errno != EAGAIN && errno != EINTR)
				return -1;
		} else {
			int r = out ? SSL_write(c->ssl, buf, (int) len) : SSL_read(c->ssl, buf, (int) len);
			int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);

			if (r > 0)
				return r;
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
				errno = EPROTO;
				return -1;
			}
			ev = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		}
		if (!mono_wait_fd(c->fd, ev, deadline))
			return -1;
	}
}

/* The TLS handshake before deadline, the server verified against the
 * certificate in cert (tls_client_ctx). */
static bool
httpc_handshake(struct httpc_conn *c, SSL_CTX *ctx, const char *listen, const char *cert,
		long long deadline, char *err, size_t errcap)
{
	bool late = false;
	char why[256];
	long v;

	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		snprintf(err, errcap, "out of memory");
		return false;
	}
	for (;;) {
		int r = SSL_connect(c->ssl);
		int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);

		if (e == SSL_ERROR_NONE)
			return true;
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			break;
		if (!mono_wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
			late = true;
			break;
		}
	}
	tls_error(why, sizeof(why));
	if ((v = SSL_get_verify_result(c->ssl)) != X509_V_OK)
		snprintf(err, errcap, "pgpod on %s does not serve the certificate of --tls-cert %s: %s",
			 listen, cert, X509_verify_cert_error_string(v));
	else
		snprintf(err, errcap, "no TLS handshake with pgpod on %s: %s (does it serve plain "
			 "HTTP? then leave --tls-cert out)", listen, late ? strerror(errno) : why[0]
			 ? why : "the connection was closed");
	return false;
}

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
httpc_send(struct httpc_conn *c, const char *listen, const char *path, long long deadline,
	   char *err, size_t errcap)
{
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);

	for (int off = 0; off < n;) {
		ssize_t w = httpc_io(c, true, req + off, (size_t) (n - off), deadline);

		if (w <= 0) {
			snprintf(err, errcap, "sending to %s: %s", listen, strerror(w == 0 ? EPIPE : errno));
			return false;
		}
		off += (int) w;
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
httpc_recv(struct httpc_conn *c, const char *listen, int timeout_ms, long long deadline,
	   char **resp, char *err, size_t errcap)
{
	size_t len = 0, rcap = 0;

	*resp = NULL;
	for (;;) {
		ssize_t r;

		if (!httpc_grow(resp, len, &rcap, err, errcap))
			goto fail;
		r = httpc_io(c, false, *resp + len, rcap - len - 1, deadline);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == ETIMEDOUT)
				snprintf(err, errcap, "no answer from %s within %d ms", listen, timeout_ms);
			else
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
httpc_get(const char *listen, const char *path, const char *tls_cert, int timeout_ms, int *code,
	  char *body, size_t cap, bool *refused, char *err, size_t errcap)
{
	long long deadline = mono_ms() + timeout_ms;
	struct httpc_conn c = { .fd = -1, .ssl = NULL };
	SSL_CTX *ctx = NULL;
	char *resp = NULL, *p;
	bool ok = false;

	*refused = false;
	*code = 0;
	if (cap > 0)
		body[0] = '\0';
	if (tls_cert != NULL && !tls_client_ctx(tls_cert, &ctx, err, errcap))
		return false;
	if (!httpc_connect(listen, deadline, &c.fd, refused, err, errcap)
	    || (ctx != NULL && !httpc_handshake(&c, ctx, listen, tls_cert, deadline, err, errcap)))
		goto out;
	if (!httpc_send(&c, listen, path, deadline, err, errcap)
	    || !httpc_recv(&c, listen, timeout_ms, deadline, &resp, err, errcap))
		goto out;
	if (sscanf(resp, "HTTP/%*d.%*d %d", code) != 1 || (p = strstr(resp, "\r\n\r\n")) == NULL) {
		snprintf(err, errcap, "not an HTTP answer from %s", listen);
		goto out;
	}
	snprintf(body, cap, "%s", p + 4);
	ok = true;
out:
	free(resp);
	SSL_free(c.ssl);
	if (c.fd >= 0)
		close(c.fd);
	SSL_CTX_free(ctx);
	return ok;
}
