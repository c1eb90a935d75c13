/*
 * tlsfront.h — HTTPS for the HTTP port without libmicrohttpd's own TLS
 * (a static pgpod links a libmicrohttpd built without GnuTLS): OpenSSL
 * terminates TLS in front of it. A thread of ours accepts on the listen
 * socket, shakes hands within a deadline, then gives libmicrohttpd one end
 * of a socketpair (MHD_add_connection) and relays bytes between the TLS
 * connection and the other end. The certificate and key files are looked
 * at every TLSFRONT_WATCH_MS: a changed pair that loads is served from then
 * on, one that does not is logged and the last good one stays.
 */
#ifndef PGPOD_TLSFRONT_H
#define PGPOD_TLSFRONT_H

#include <stdbool.h>

struct MHD_Daemon;
struct tlsfront;

#define TLSFRONT_MAX          256	/* connections; then the oldest handshake goes */
#define TLSFRONT_HANDSHAKE_MS 3000	/* from the accept to the end of the handshake */
#define TLSFRONT_IDLE_MS      10000	/* after it, nothing moved for this long */
#define TLSFRONT_WATCH_MS     2000	/* the files are looked at this often */

/* Serve HTTPS on the listening socket lfd (named addr in the log) with the
 * pair cert/key, handing each connection to daemon (started with
 * MHD_USE_NO_LISTEN_SOCKET). lfd belongs to the front from then on, also
 * on failure. Errors are logged; false then. */
bool tlsfront_start(int lfd, const char *addr, const char *cert, const char *key,
		    struct MHD_Daemon *daemon, struct tlsfront **out)
	__attribute__((warn_unused_result));

/* Stop the thread and close every connection; before MHD_stop_daemon. */
void tlsfront_stop(struct tlsfront *f);

#endif
