/*
 * netaddr.c — see netaddr.h.
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
netaddr_parse(const char *text, bool to_loopback, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(text, ':');
	char *end;
	long port;

	if (colon == NULL || (size_t) (colon - text) >= sizeof(host))
		return false;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535)
		return false;
	snprintf(host, sizeof(host), "%.*s", (int) (colon - text), text);
	memset(sa, 0, sizeof(*sa));
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *) sa;
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']')
			return false;
		host[n - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t) port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return false;
		if (to_loopback && IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr))
			a->sin6_addr = in6addr_loopback;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *) sa;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t) port);
		if (strcmp(host, "*") == 0 || host[0] == '\0')
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return false;
		if (to_loopback && a->sin_addr.s_addr == htonl(INADDR_ANY))
			a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a);
	}
	return true;
}
