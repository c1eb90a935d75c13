/*
 * mono.h — the monotonic clock in milliseconds, and waiting for a file
 * descriptor until a deadline on it: what every bounded wait in pgpod
 * (probes, the HTTP client, status queries, postmaster start/stop) uses.
 */
#ifndef PGPOD_MONO_H
#define PGPOD_MONO_H

#include <stdbool.h>

/* CLOCK_MONOTONIC in milliseconds. */
long long mono_ms(void);

/* Wait for events (POLLIN, POLLOUT) on fd until deadline (mono_ms);
 * EINTR-safe. False on timeout (errno ETIMEDOUT) or error. */
bool mono_wait_fd(int fd, short events, long long deadline)
	__attribute__((warn_unused_result));

#endif
