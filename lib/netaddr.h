/*
 * netaddr.h — "ADDR:PORT" as --listen takes it, into a socket address, for
 * the HTTP server (which binds it) and for `pgpod status`/`probe` (which
 * connect to it, a wildcard address then meaning the loopback).
 */
#ifndef PGPOD_NETADDR_H
#define PGPOD_NETADDR_H

#include <stdbool.h>
#include <sys/socket.h>

/* "127.0.0.1:8000", "0.0.0.0:8000", "*:8000", ":8000", "[::1]:8000",
 * "[::]:8000". With to_loopback, the wildcards (*, empty, 0.0.0.0, ::)
 * become the loopback of their family; else they mean any address. False
 * when text is not ADDR:PORT with a numeric address and a port 1..65535. */
bool netaddr_parse(const char *text, bool to_loopback, struct sockaddr_storage *sa,
		   socklen_t *len) __attribute__((warn_unused_result));

#endif
