/*
 * tls.h — the TLS contexts of pgpod's HTTP port (OpenSSL): the server's,
 * from --tls-cert and --tls-key, checked the way a human would check them
 * (readable, PEM, within its validity, the key fits), and the client's of
 * `pgpod status` / `pgpod probe`, which trusts that same certificate.
 */
#ifndef PGPOD_TLS_H
#define PGPOD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

/* A new server context (TLS 1.2 at least) serving the certificate (chain)
 * in cert with the private key in key, both PEM. When either is unusable —
 * unreadable, not PEM, expired or not yet valid, a key that does not fit —
 * err names the option (--tls-cert or --tls-key), the file and the cause
 * (never the key's content) and false is returned. */
bool tls_server_ctx(const char *cert, const char *key, SSL_CTX **out, char *err, size_t errcap)
	__attribute__((warn_unused_result));

/* A new client context that trusts exactly the certificates in cert
 * (self-signed, or a CA-issued leaf: either is a trust anchor). */
bool tls_client_ctx(const char *cert, SSL_CTX **out, char *err, size_t errcap)
	__attribute__((warn_unused_result));

/* Why a certificate valid from not_before to not_after (Unix seconds) is
 * not usable at now, into why; false when it is usable. */
bool tls_validity_problem(time_t not_before, time_t not_after, time_t now, char *why,
			  size_t cap);

/* The serial number (hex) and expiry (RFC 3339) of the context's
 * certificate, for the log. */
void tls_describe(SSL_CTX *ctx, char *out, size_t cap);

/* OpenSSL's first queued error as text (the queue is cleared), "" none. */
void tls_error(char *out, size_t cap);

#endif
