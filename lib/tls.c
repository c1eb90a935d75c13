/*
 * tls.c — see tls.h.
 */
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fileio.h"

#define TLS_FILE_MAX (1u << 20)	/* a certificate chain or a key is far smaller */

void
tls_error(char *out, size_t cap)
{
	unsigned long e = ERR_get_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (r != NULL)
		snprintf(out, cap, "%s", r);
	else if (e != 0)
		ERR_error_string_n(e, out, cap);
	else if (cap > 0)
		out[0] = '\0';
	ERR_clear_error();
}

/* An encrypted key is refused rather than prompted for: pgpod has no
 * terminal to ask on. */
static int
tls_no_password(char *buf, int size, int rwflag, void *u)
{
	(void) buf;
	(void) size;
	(void) rwflag;
	(void) u;
	return -1;
}

static void
tls_time(time_t t, char *out, size_t cap)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "%lld", (long long) t);
}

bool
tls_validity_problem(time_t not_before, time_t not_after, time_t now, char *why, size_t cap)
{
	char when[32];

	if (now < not_before) {
		tls_time(not_before, when, sizeof(when));
		snprintf(why, cap, "the certificate is not valid before %s", when);
		return true;
	}
	if (now > not_after) {
		tls_time(not_after, when, sizeof(when));
		snprintf(why, cap, "the certificate expired on %s", when);
		return true;
	}
	return false;
}

static time_t
tls_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* The file at path into a memory BIO (a regular file only, bounded); what
 * the option names in err otherwise. */
static BIO *
tls_file_bio(const char *option, const char *path, char **data, size_t *len, char *err,
	     size_t errcap)
{
	BIO *b;
	int e = 0;

	*data = NULL;
	if (!file_read(path, TLS_FILE_MAX, data, len, &e)) {
		snprintf(err, errcap, "%s %s: cannot read it: %s", option, path, file_strerror(e));
		return NULL;
	}
	if ((b = BIO_new_mem_buf(*data, (int) *len)) == NULL)
		snprintf(err, errcap, "%s %s: out of memory", option, path);
	return b;
}

/* The certificate and the chain after it, the first one checked for its
 * validity; installed into ctx. */
static bool
tls_load_cert(SSL_CTX *ctx, const char *path, char *err, size_t errcap)
{
	char *data, why[128];
	size_t len;
	BIO *b = tls_file_bio("--tls-cert", path, &data, &len, err, errcap);
	X509 *x;
	int n = 0;
	bool ok = b != NULL;

	while (ok && (x = PEM_read_bio_X509(b, NULL, tls_no_password, NULL)) != NULL) {
		if (n++ == 0 && tls_validity_problem(tls_asn1_time(X509_get0_notBefore(x)),
						     tls_asn1_time(X509_get0_notAfter(x)),
						     time(NULL), why, sizeof(why))) {
			snprintf(err, errcap, "--tls-cert %s: %s", path, why);
			ok = false;
		} else if (n == 1 ? SSL_CTX_use_certificate(ctx, x) != 1
			   : SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			tls_error(why, sizeof(why));
			snprintf(err, errcap, "--tls-cert %s: certificate %d not usable: %s", path, n, why);
			ok = false;
		} else if (n > 1) {
			continue;	/* the context owns it now */
		}
		X509_free(x);
	}
	ERR_clear_error();	/* the end of the file reads as "no start line" */
	if (ok && n == 0) {
		snprintf(err, errcap, "--tls-cert %s: no PEM certificate in it", path);
		ok = false;
	}
	BIO_free(b);
	free(data);
	return ok;
}

/* The private key, which must fit the certificate installed before. */
static bool
tls_load_key(SSL_CTX *ctx, const char *path, const char *cert, char *err, size_t errcap)
{
	char *data;
	size_t len;
	BIO *b = tls_file_bio("--tls-key", path, &data, &len, err, errcap);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, tls_no_password, NULL) : NULL;
	bool ok = k != NULL;

	if (b != NULL && k == NULL)
		snprintf(err, errcap, "--tls-key %s: no PEM private key in it (an encrypted key is "
			 "not supported)", path);
	else if (ok && (SSL_CTX_use_PrivateKey(ctx, k) != 1 || SSL_CTX_check_private_key(ctx) != 1)) {
		snprintf(err, errcap, "--tls-key %s: the key does not fit the certificate in "
			 "--tls-cert %s", path, cert);
		ok = false;
	}
	ERR_clear_error();
	EVP_PKEY_free(k);
	BIO_free(b);
	if (data != NULL)
		OPENSSL_cleanse(data, len);
	free(data);
	return ok;
}

bool
tls_server_ctx(const char *cert, const char *key, SSL_CTX **out, char *err, size_t errcap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	*out = NULL;
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		snprintf(err, errcap, "cannot make a TLS context (OpenSSL)");
		SSL_CTX_free(ctx);
		return false;
	}
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_password);
	/* no renegotiation (a client could make the server work for ever); a
	 * client that closes its side without close_notify after its request
	 * still gets the answer (a truncated GET is no threat here); buffers
	 * released while a connection idles */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE
			    | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE
			 | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (!tls_load_cert(ctx, cert, err, errcap) || !tls_load_key(ctx, key, cert, err, errcap)) {
		SSL_CTX_free(ctx);
		return false;
	}
	*out = ctx;
	return true;
}

/* Every certificate in path into ctx's store of trusted ones. */
static bool
tls_load_anchors(SSL_CTX *ctx, const char *path, char *err, size_t errcap)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	char *data;
	size_t len;
	BIO *b = tls_file_bio("--tls-cert", path, &data, &len, err, errcap);
	X509 *x;
	int n = 0;

	while (b != NULL && (x = PEM_read_bio_X509(b, NULL, tls_no_password, NULL)) != NULL) {
		n += X509_STORE_add_cert(store, x) == 1;
		X509_free(x);
	}
	ERR_clear_error();
	if (b != NULL && n == 0)
		snprintf(err, errcap, "--tls-cert %s: no PEM certificate in it", path);
	BIO_free(b);
	free(data);
	return n > 0;
}

bool
tls_client_ctx(const char *cert, SSL_CTX **out, char *err, size_t errcap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	X509_VERIFY_PARAM *vp;

	*out = NULL;
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		snprintf(err, errcap, "cannot make a TLS context (OpenSSL)");
		SSL_CTX_free(ctx);
		return false;
	}
	if (!tls_load_anchors(ctx, cert, err, errcap)) {
		SSL_CTX_free(ctx);
		return false;
	}
	/* The file is what pgpod serves, a leaf more often than a CA: any
	 * certificate of it anchors the chain. No host name is checked: the
	 * client connects to its own pod (127.0.0.1 or --listen), a name the
	 * certificate — made for a Service — seldom carries, and trusting this
	 * one certificate already pins the server. */
	vp = SSL_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	*out = ctx;
	return true;
}

void
tls_describe(SSL_CTX *ctx, char *out, size_t cap)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	BIGNUM *bn = x != NULL ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	char until[32];

	tls_time(x != NULL ? tls_asn1_time(X509_get0_notAfter(x)) : 0, until, sizeof(until));
	snprintf(out, cap, "serial %s, valid until %s", hex != NULL ? hex : "?", until);
	OPENSSL_free(hex);
	BN_free(bn);
}
