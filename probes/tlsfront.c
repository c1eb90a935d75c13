/*
 * tlsfront.c — HTTPS in front of libmicrohttpd (see tlsfront.h).
 *
 * One thread per port does everything on non-blocking sockets around one
 * epoll set: accepting, handshakes, relaying, deadlines and the look at
 * the files. A connection then costs two small buffers and an SSL object,
 * not a thread, and nothing ever blocks but epoll_wait, which wakes at
 * least every TLSFRONT_TICK_MS to enforce the deadlines:
 *  - a handshake must end within TLSFRONT_HANDSHAKE_MS of the accept (a
 *    client that never sends its ClientHello holds a slot that long);
 *  - after it, libmicrohttpd's guard holds the request head to its own
 *    deadline, and a connection where nothing moved for TLSFRONT_IDLE_MS
 *    (a client that does not read its answer) goes;
 *  - at most TLSFRONT_MAX connections: beyond, the oldest one still
 *    shaking hands is dropped for each new one, so a probe always gets in.
 * Connections are edge-triggered: every event on either socket of one
 * moves all it can in both directions until nothing moves (each step
 * then waits on a socket that will signal again).
 */
#include "tlsfront.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "log.h"
#include "mono.h"
#include "tls.h"

#define TLSFRONT_TICK_MS 100
#define TLSFRONT_BUF     4096
#define TLSFRONT_EVENTS  64
#define TLSFRONT_SLOTS   16	/* bits of an epoll tag that are the slot */
#define TAG_LISTEN       ((uint64_t) TLSFRONT_MAX)
#define TAG_WAKE         ((uint64_t) TLSFRONT_MAX + 1)

struct tlsfront_conn {
	uint64_t  tag;		/* generation << TLSFRONT_SLOTS | slot: a stale event misses */
	SSL      *ssl;
	int       net;		/* the client's TCP socket */
	int       app;		/* our end of the socketpair; -1 while shaking hands */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	long long since;	/* accepted */
	long long moved;	/* a byte last moved */
	bool      net_eof, app_eof;
	size_t    up_off, up_len;	/* client to server, decrypted */
	size_t    down_off, down_len;	/* server to client */
	char      up[TLSFRONT_BUF];
	char      down[TLSFRONT_BUF];
};

struct tlsfront {
	int                lfd, efd, wake;
	struct MHD_Daemon *daemon;
	SSL_CTX           *ctx;		/* the last good pair; a connection keeps its own */
	long long          stamp[8];	/* what the files looked like when last loaded */
	long long          next_watch;
	char               addr[256], cert[1024], key[1024];
	struct tlsfront_conn *slot[TLSFRONT_MAX];
	size_t             n;
	uint64_t           gen;
	pthread_t          thread;
	bool               running;
};

/* Device, inode, size, change and modification times of both files
 * (through symlinks: a Secret volume swaps its ..data link). */
static void
tlsfront_stamp(const struct tlsfront *f, long long out[8])
{
	const char *paths[2] = { f->cert, f->key };

	memset(out, 0, 8 * sizeof(out[0]));
	for (int i = 0; i < 2; i++) {
		struct stat st;

		if (stat(paths[i], &st) != 0)
			continue;
		out[4 * i] = (long long) st.st_dev * 31 + (long long) st.st_ino;
		out[4 * i + 1] = st.st_size;
		out[4 * i + 2] = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		out[4 * i + 3] = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
	}
}

/* When the files changed: load the pair and serve it, or say why not. */
static void
tlsfront_watch(struct tlsfront *f, long long now)
{
	long long stamp[8];
	char err[1200], what[128];
	SSL_CTX *ctx;

	if (now < f->next_watch)
		return;
	f->next_watch = now + TLSFRONT_WATCH_MS;
	tlsfront_stamp(f, stamp);
	if (memcmp(stamp, f->stamp, sizeof(stamp)) == 0)
		return;
	memcpy(f->stamp, stamp, sizeof(stamp));	/* a bad pair is tried again when it changes */
	if (!tls_server_ctx(f->cert, f->key, &ctx, err, sizeof(err))) {
		log_error("the changed TLS certificate or key is not applied, HTTPS on %s keeps the "
			  "last good pair: %s", f->addr, err);
		return;
	}
	SSL_CTX_free(f->ctx);	/* connections under way hold a reference of their own */
	f->ctx = ctx;
	tls_describe(ctx, what, sizeof(what));
	log_info("HTTPS on %s serves the changed certificate %s (%s)", f->addr, f->cert, what);
}

static void
tlsfront_close(struct tlsfront *f, struct tlsfront_conn *c)
{
	SSL_free(c->ssl);
	close(c->net);	/* closing takes the sockets out of the epoll set */
	if (c->app >= 0)
		close(c->app);
	f->slot[c->tag & ((1u << TLSFRONT_SLOTS) - 1)] = NULL;
	f->n--;
	free(c);
}

static bool
tlsfront_watch_fd(struct tlsfront *f, int fd, uint64_t tag, bool edge)
{
	struct epoll_event ev = { .events = EPOLLIN | (edge ? EPOLLOUT | EPOLLRDHUP | EPOLLET : 0),
				  .data.u64 = tag };

	if (epoll_ctl(f->efd, EPOLL_CTL_ADD, fd, &ev) == 0)
		return true;
	log_warn("HTTPS on %s: epoll: %s", f->addr, strerror(errno));
	return false;
}

/* A plain HTTP request on the HTTPS port gets a plain answer saying so
 * (best effort: it fits the socket's buffer); what the client sent after
 * the 5 bytes OpenSSL read is drained first, or closing would reset the
 * connection before the answer is read. */
static void
tlsfront_refuse_plain(int fd)
{
	static const char answer[] = "HTTP/1.0 400 Bad Request\r\nContent-Type: application/json\r\n"
		"Connection: close\r\n\r\n{\"status\":\"fail\",\"reason\":\"this port serves HTTPS: use "
		"https://, or --tls-cert with pgpod status and pgpod probe\"}";
	char scratch[TLSFRONT_BUF];

	while (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0)
		;
	(void) send(fd, answer, sizeof(answer) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void) shutdown(fd, SHUT_WR);
}

/* The handshake is done: libmicrohttpd serves one end of a socketpair as
 * if it were the client (its guard and limits apply as on plain HTTP). */
static bool
tlsfront_hand_over(struct tlsfront *f, struct tlsfront_conn *c)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("HTTPS on %s: socketpair: %s", f->addr, strerror(errno));
		return false;
	}
	if (!tlsfront_watch_fd(f, sv[0], c->tag, true)) {
		close(sv[0]);
		close(sv[1]);
		return false;
	}
	c->app = sv[0];
	/* libmicrohttpd closes sv[1] whatever the outcome */
	if (MHD_add_connection(f->daemon, sv[1], (struct sockaddr *) &c->peer, c->peerlen) != MHD_YES) {
		log_warn("HTTPS on %s: the HTTP server did not take a connection: %s", f->addr,
			 strerror(errno));
		return false;
	}
	return true;
}

/* Client to server: decrypt into up, write up to the socketpair. */
static bool
tlsfront_up(struct tlsfront_conn *c, bool *moved)
{
	if (c->up_off == c->up_len && !c->net_eof) {
		int r = SSL_read(c->ssl, c->up, sizeof(c->up));

		if (r > 0) {
			c->up_off = 0;
			c->up_len = (size_t) r;
			*moved = true;
		} else switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			break;
		case SSL_ERROR_ZERO_RETURN:	/* close_notify: the request is all there */
			c->net_eof = true;
			(void) shutdown(c->app, SHUT_WR);
			*moved = true;
			break;
		default:
			return false;
		}
	}
	if (c->up_off < c->up_len) {
		ssize_t w = send(c->app, c->up + c->up_off, c->up_len - c->up_off, MSG_NOSIGNAL);

		if (w > 0) {
			c->up_off += (size_t) w;
			*moved = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			return false;
		}
	}
	return true;
}

/* Server to client: read the socketpair into down, encrypt it out. */
static bool
tlsfront_down(struct tlsfront_conn *c, bool *moved)
{
	if (c->down_off == c->down_len && !c->app_eof) {
		ssize_t r = recv(c->app, c->down, sizeof(c->down), 0);

		if (r > 0) {
			c->down_off = 0;
			c->down_len = (size_t) r;
			*moved = true;
		} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->app_eof = true;	/* the server closed: the answer is all out */
		}
	}
	if (c->down_off < c->down_len) {
		int w = SSL_write(c->ssl, c->down + c->down_off, (int) (c->down_len - c->down_off));
		int e = w > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, w);

		if (w > 0) {
			c->down_off += (size_t) w;
			*moved = true;
		} else if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) {
			return false;
		}
	}
	return true;
}

/* Move all that can move on c; false when it is done with (closed by
 * either side, failed, or its handshake failed). */
static bool
tlsfront_pump(struct tlsfront *f, struct tlsfront_conn *c, long long now)
{
	bool moved;

	ERR_clear_error();	/* SSL_get_error reads the thread's queue */
	if (c->app < 0) {
		int r = SSL_do_handshake(c->ssl);
		int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return true;
		if (e != SSL_ERROR_NONE) {
			unsigned long err = ERR_peek_error();

			if (ERR_GET_LIB(err) == ERR_LIB_SSL && ERR_GET_REASON(err) == SSL_R_HTTP_REQUEST)
				tlsfront_refuse_plain(c->net);
			return false;
		}
		if (!tlsfront_hand_over(f, c))
			return false;
	}
	do {
		moved = false;
		if (!tlsfront_up(c, &moved) || !tlsfront_down(c, &moved))
			return false;
		if (moved)
			c->moved = now;
	} while (moved);
	if (c->app_eof && c->down_off == c->down_len) {
		(void) SSL_shutdown(c->ssl);	/* close_notify, best effort */
		return false;
	}
	return true;
}

/* Make room for one more: the oldest connection still shaking hands goes. */
static bool
tlsfront_evict(struct tlsfront *f)
{
	struct tlsfront_conn *oldest = NULL;

	for (size_t i = 0; i < TLSFRONT_MAX; i++) {
		struct tlsfront_conn *c = f->slot[i];

		if (c != NULL && c->app < 0 && (oldest == NULL || c->since < oldest->since))
			oldest = c;
	}
	if (oldest != NULL)
		tlsfront_close(f, oldest);
	return oldest != NULL;
}

static void
tlsfront_open(struct tlsfront *f, int fd, const struct sockaddr_storage *sa, socklen_t len,
	      long long now)
{
	struct tlsfront_conn *c = calloc(1, sizeof(*c));
	size_t i = 0;

	while (i < TLSFRONT_MAX && f->slot[i] != NULL)
		i++;
	if (c == NULL || i == TLSFRONT_MAX || (c->ssl = SSL_new(f->ctx)) == NULL
	    || SSL_set_fd(c->ssl, fd) != 1) {
		if (c != NULL)
			SSL_free(c->ssl);
		free(c);
		close(fd);
		return;
	}
	SSL_set_accept_state(c->ssl);
	c->tag = ++f->gen << TLSFRONT_SLOTS | i;
	c->net = fd;
	c->app = -1;
	c->peer = *sa;
	c->peerlen = len;
	c->since = c->moved = now;
	f->slot[i] = c;
	f->n++;
	if (!tlsfront_watch_fd(f, fd, c->tag, true) || !tlsfront_pump(f, c, now))
		tlsfront_close(f, c);
}

/* Accept what waits, a bounded batch at a time (the listen socket is
 * level-triggered: the rest comes on the next turn). */
static void
tlsfront_accept(struct tlsfront *f, long long now)
{
	for (int i = 0; i < TLSFRONT_EVENTS; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(f->lfd, (struct sockaddr *) &sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (f->n >= TLSFRONT_MAX && !tlsfront_evict(f)) {
			close(fd);	/* every slot is a connection past its handshake */
			continue;
		}
		tlsfront_open(f, fd, &sa, len, now);
	}
}

/* Close the connections past their deadline. */
static void
tlsfront_sweep(struct tlsfront *f, long long now)
{
	for (size_t i = 0; i < TLSFRONT_MAX; i++) {
		struct tlsfront_conn *c = f->slot[i];

		if (c != NULL && (c->app < 0 ? now - c->since >= TLSFRONT_HANDSHAKE_MS
				  : now - c->moved >= TLSFRONT_IDLE_MS))
			tlsfront_close(f, c);
	}
}

static void *
tlsfront_main(void *arg)
{
	struct tlsfront *f = arg;
	struct epoll_event ev[TLSFRONT_EVENTS];

	for (;;) {
		int n = epoll_wait(f->efd, ev, TLSFRONT_EVENTS, TLSFRONT_TICK_MS);
		long long now = mono_ms();

		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;
			struct tlsfront_conn *c;

			if (tag == TAG_WAKE)
				return NULL;
			if (tag == TAG_LISTEN) {
				tlsfront_accept(f, now);
				continue;
			}
			c = f->slot[tag & ((1u << TLSFRONT_SLOTS) - 1)];
			if (c != NULL && c->tag == tag && !tlsfront_pump(f, c, now))
				tlsfront_close(f, c);
		}
		tlsfront_sweep(f, now);
		tlsfront_watch(f, now);
	}
}

/* The epoll set with the listen socket and the wake-up, and the thread. */
static bool
tlsfront_run(struct tlsfront *f)
{
	int rc;

	f->efd = epoll_create1(EPOLL_CLOEXEC);
	f->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->efd < 0 || f->wake < 0 || fcntl(f->lfd, F_SETFL, O_NONBLOCK) != 0) {
		log_error("cannot serve HTTPS on %s: %s", f->addr, strerror(errno));
		return false;
	}
	if (!tlsfront_watch_fd(f, f->lfd, TAG_LISTEN, false)
	    || !tlsfront_watch_fd(f, f->wake, TAG_WAKE, false))
		return false;
	if ((rc = pthread_create(&f->thread, NULL, tlsfront_main, f)) != 0) {
		log_error("cannot serve HTTPS on %s: no thread: %s", f->addr, strerror(rc));
		return false;
	}
	f->running = true;
	return true;
}

bool
tlsfront_start(int lfd, const char *addr, const char *cert, const char *key,
	       struct MHD_Daemon *daemon, struct tlsfront **out)
{
	struct tlsfront *f = calloc(1, sizeof(*f));
	char err[1200], what[128];

	*out = NULL;
	if (f == NULL) {
		log_error("cannot serve HTTPS on %s: out of memory", addr);
		close(lfd);
		return false;
	}
	*f = (struct tlsfront) { .lfd = lfd, .efd = -1, .wake = -1, .daemon = daemon,
				 .next_watch = mono_ms() + TLSFRONT_WATCH_MS };
	snprintf(f->addr, sizeof(f->addr), "%s", addr);
	snprintf(f->cert, sizeof(f->cert), "%s", cert);
	snprintf(f->key, sizeof(f->key), "%s", key);
	tlsfront_stamp(f, f->stamp);	/* before reading: a change meanwhile is seen */
	if (!tls_server_ctx(cert, key, &f->ctx, err, sizeof(err))) {
		log_error("cannot serve HTTPS on %s: %s", addr, err);
		tlsfront_stop(f);
		return false;
	}
	if (!tlsfront_run(f)) {
		tlsfront_stop(f);
		return false;
	}
	tls_describe(f->ctx, what, sizeof(what));
	log_info("HTTPS on %s with the certificate %s (%s)", addr, cert, what);
	*out = f;
	return true;
}

void
tlsfront_stop(struct tlsfront *f)
{
	if (f == NULL)
		return;
	if (f->running) {
		uint64_t one = 1;

		(void) !write(f->wake, &one, sizeof(one));
		pthread_join(f->thread, NULL);
	}
	for (size_t i = 0; i < TLSFRONT_MAX; i++)
		if (f->slot[i] != NULL)
			tlsfront_close(f, f->slot[i]);
	if (f->efd >= 0)
		close(f->efd);
	if (f->wake >= 0)
		close(f->wake);
	close(f->lfd);
	SSL_CTX_free(f->ctx);
	free(f);
}
