/*
 * certs.c — checking TLS certificates and keys (see certs.h).
 */
#include "certs.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

/* The first certificate of a PEM text; NULL when there is none. */
static X509 *
certs_read(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	ERR_clear_error();
	return x;
}

/* A certificate's validity against now; false with why when outside. */
static bool
certs_valid_now(X509 *x, char *why, size_t cap)
{
	const ASN1_TIME *t;
	BIO *b;
	char when[64] = "";
	bool expired;

	if (X509_cmp_current_time(X509_get0_notBefore(x)) < 0
	    && X509_cmp_current_time(X509_get0_notAfter(x)) > 0)
		return true;
	expired = X509_cmp_current_time(X509_get0_notAfter(x)) <= 0;
	t = expired ? X509_get0_notAfter(x) : X509_get0_notBefore(x);
	if ((b = BIO_new(BIO_s_mem())) != NULL && ASN1_TIME_print(b, t) == 1)
		(void) BIO_read(b, when, sizeof(when) - 1);
	BIO_free(b);
	snprintf(why, cap, expired ? "the certificate expired on %s" : "the certificate is not "
		 "valid before %s", when);
	return false;
}

enum certs_fault
certs_check_pair(const char *cert, const char *key, char *why, size_t cap)
{
	X509 *x = certs_read(cert);
	BIO *b;
	EVP_PKEY *k = NULL;
	enum certs_fault f = CERTS_OK;

	if (x == NULL) {
		snprintf(why, cap, "is not a PEM certificate");
		return CERTS_CERT;
	}
	if (!certs_valid_now(x, why, cap)) {
		X509_free(x);
		return CERTS_CERT;
	}
	if ((b = BIO_new_mem_buf(key, -1)) != NULL)
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k == NULL) {
		snprintf(why, cap, "is not a PEM private key (or is encrypted)");
		f = CERTS_KEY;
	} else if (X509_check_private_key(x, k) != 1) {
		snprintf(why, cap, "is not the key of the certificate");
		f = CERTS_KEY;
	}
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
	return f;
}

bool
certs_check_ca(const char *pem, char *why, size_t cap)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x;
	int n = 0;
	bool ok = true;

	while (ok && b != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		ok = certs_valid_now(x, why, cap);
		X509_free(x);
		n++;
	}
	BIO_free(b);
	ERR_clear_error();
	if (ok && n == 0) {
		snprintf(why, cap, "holds no PEM certificate");
		return false;
	}
	return ok;
}

bool
certs_names_host(const char *cert, const char *host)
{
	X509 *x = certs_read(cert);
	bool ok;

	if (x == NULL)
		return false;
	/* an address is matched with the IP entries; a name as libpq does:
	 * the DNS entries, the CN only when there are none */
	ok = X509_check_ip_asc(x, host, 0) == 1 || X509_check_host(x, host, 0, 0, NULL) == 1;
	X509_free(x);
	ERR_clear_error();
	return ok;
}

void
certs_common_name(const char *cert, char *buf, size_t cap)
{
	X509 *x = certs_read(cert);

	buf[0] = '\0';
	if (x != NULL && X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf,
						   (int) cap) < 0)
		buf[0] = '\0';
	X509_free(x);
}
