/*
 * certs.h — what pgpod checks in the PEM texts of a TLS Secret before
 * postgres is given them: a certificate that parses and is valid now, a key
 * that fits it, a CA bundle that parses, the names a certificate is valid
 * for. Pure functions over texts (OpenSSL), so that a spec check, a start
 * and a reload judge a Secret the same way.
 */
#ifndef PGPOD_CERTS_H
#define PGPOD_CERTS_H

#include <stdbool.h>
#include <stddef.h>

/* Which half of a certificate and key pair is wrong. */
enum certs_fault {
	CERTS_OK,
	CERTS_CERT,	/* the certificate: not PEM, expired, not yet valid */
	CERTS_KEY,	/* the key: not PEM, or does not fit the certificate */
};

/* Whether cert (the first certificate of a PEM text, the leaf) is valid
 * now and key (PEM) is its private key; why says what is wrong. */
enum certs_fault certs_check_pair(const char *cert, const char *key, char *why, size_t cap);

/* Whether a PEM text holds at least one certificate, each valid now. */
bool certs_check_ca(const char *pem, char *why, size_t cap);

/* Whether the certificate (PEM) is valid for host: a DNS name (its
 * subjectAltName DNS entries, else its CN, as libpq's verify-full) or an IP
 * address (its subjectAltName IP entries). */
bool certs_names_host(const char *cert, const char *host);

/* The certificate's subject CN into buf ("" when it has none). */
void certs_common_name(const char *cert, char *buf, size_t cap);

#endif
