/*
 * fuzz_http.c — libFuzzer target: the probe port as a client sees it. The
 * real server (probes/http.c with its guard) runs in this process on a free
 * 127.0.0.1 port; each input is one connection. The first byte picks the
 * instance's state (phase, role, SQL health), the rest is sent as the
 * request, the write side is closed and the reply read until it pauses; the
 * connection is then reset, so the server forgets it at once. (The server
 * itself closes a half-closed kept-alive connection only when the guard's
 * head deadline passes: libmicrohttpd's edge-triggered epoll does not see
 * the end that came with the request. Waiting for that would make a run
 * take 3 s per input.)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include "probes/http.h"
#include "log.h"
#include "mono.h"
#include "status.h"

#define FIRST_BYTE_MS 50	/* an answer starts within this, or there is none */
#define PAUSE_MS      5		/* the end of an answer: no more bytes for this long */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct sockaddr_in server;

static unsigned short free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0
	    || getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
		abort();
	close(fd);
	return ntohs(a.sin_port);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct http_server *srv;
	char listen[32];
	unsigned short port = free_port();
	int null = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	log_init(null >= 0 ? null : 2, LOG_ERROR);
	status_init("fuzz-1", "/var/lib/postgresql/data", 16 * 1024 * 1024);
	snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
	if (!http_start(listen, HTTP_PROBES | HTTP_DOCS, NULL, NULL, &srv))
		abort();
	server.sin_family = AF_INET;
	server.sin_port = htons(port);
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return 0;
}

/* Eight states an instance can be in, so every answer of every route is
 * reachable. */
static void set_state(uint8_t pick)
{
	struct status *st = status_lock();

	st->phase = (enum status_phase)(pick % 7);
	st->last_tick_ms = (pick & 0x08) ? 0 : mono_ms();
	st->postmaster_pid = (pick & 0x10) ? 4242 : 0;
	st->postmaster_alive = (pick & 0x10) != 0;
	st->standby_signal = (pick & 0x20) != 0;
	st->in_recovery = st->standby_signal;
	st->sql_ok = (pick & 0x40) != 0;
	st->sql_at_ms = st->sql_ok ? mono_ms() : 0;
	st->ping = pick >> 6;
	st->replay_lag_bytes = (pick & 0x80) ? 1LL << 40 : 0;
	snprintf(st->pid_status, sizeof st->pid_status, "%s",
		 (pick & 0x20) ? "standby" : "ready");
	status_unlock();
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;		/* the server may close first: not a finding */
		p += w;
		n -= (size_t)w;
	}
}

static void drain(int fd)
{
	char buf[4096];
	int wait_ms = FIRST_BYTE_MS;

	for (int i = 0; i < 4096; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, wait_ms) <= 0 || recv(fd, buf, sizeof buf, 0) <= 0)
			return;
		wait_ms = PAUSE_MS;
	}
}

static void reset(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd;

	if (size == 0)
		return 0;
	set_state(data[0]);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&server, sizeof server) == 0) {
		send_all(fd, data + 1, size - 1);
		shutdown(fd, SHUT_WR);
		drain(fd);
	}
	reset(fd);
	return 0;
}
