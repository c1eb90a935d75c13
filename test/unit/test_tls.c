/*
 * test_tls.c — cmocka tests for lib/tls.c: a certificate's validity window,
 * and the checks of a --tls-cert/--tls-key pair (each failure names the
 * option and the file), on certificates this test makes with OpenSSL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls.h"

static char dir[] = "/tmp/pgpod-test-tls.XXXXXX";
static char path_a_crt[128], path_a_key[128], path_b_key[128], path_old_crt[128], path_junk[128];

/* A self-signed certificate of key k with this serial, valid from now +
 * from_s to now + until_s, written as PEM to path. */
static void
write_cert(EVP_PKEY *k, long serial, long from_s, long until_s, const char *path)
{
	X509 *x = X509_new();
	FILE *f = fopen(path, "w");

	assert_non_null(x);
	assert_non_null(f);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), from_s);
	X509_gmtime_adj(X509_getm_notAfter(x), until_s);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *) "localhost", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	X509_free(x);
}

static void
write_key(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

static int
setup(void **state)
{
	EVP_PKEY *a = EVP_EC_gen("P-256"), *b = EVP_EC_gen("P-256");
	FILE *f;

	(void) state;
	if (mkdtemp(dir) == NULL || a == NULL || b == NULL)
		return -1;
	snprintf(path_a_crt, sizeof(path_a_crt), "%s/a.crt", dir);
	snprintf(path_a_key, sizeof(path_a_key), "%s/a.key", dir);
	snprintf(path_b_key, sizeof(path_b_key), "%s/b.key", dir);
	snprintf(path_old_crt, sizeof(path_old_crt), "%s/old.crt", dir);
	snprintf(path_junk, sizeof(path_junk), "%s/junk", dir);
	write_cert(a, 0x2a, -60, 86400, path_a_crt);
	write_cert(a, 0x2b, -2 * 86400, -86400, path_old_crt);
	write_key(a, path_a_key);
	write_key(b, path_b_key);
	if ((f = fopen(path_junk, "w")) == NULL)
		return -1;
	fputs("not PEM at all\n", f);
	fclose(f);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	return 0;
}

static int
teardown(void **state)
{
	const char *files[] = { path_a_crt, path_a_key, path_b_key, path_old_crt, path_junk };

	(void) state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(dir);
	return 0;
}

static void
test_validity_window(void **state)
{
	char why[128] = "";

	(void) state;
	assert_false(tls_validity_problem(100, 200, 150, why, sizeof(why)));
	assert_false(tls_validity_problem(100, 200, 200, why, sizeof(why)));
	assert_true(tls_validity_problem(100, 200, 99, why, sizeof(why)));
	assert_string_equal(why, "the certificate is not valid before 1970-01-01T00:01:40Z");
	assert_true(tls_validity_problem(100, 1577923200, 1577923201, why, sizeof(why)));
	assert_string_equal(why, "the certificate expired on 2020-01-02T00:00:00Z");
}

/* err holds each of the strings. */
static void
assert_says(const char *err, const char *a, const char *b, const char *c)
{
	const char *want[] = { a, b, c };

	for (int i = 0; i < 3; i++)
		if (want[i] != NULL && strstr(err, want[i]) == NULL)
			fail_msg("\"%s\" does not say \"%s\"", err, want[i]);
}

static void
test_server_pair(void **state)
{
	SSL_CTX *ctx = NULL;
	char err[2048] = "", what[128];

	(void) state;
	assert_true(tls_server_ctx(path_a_crt, path_a_key, &ctx, err, sizeof(err)));
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	tls_describe(ctx, what, sizeof(what));
	assert_says(what, "serial 2A", "valid until ", NULL);
	SSL_CTX_free(ctx);
}

static void
test_server_pair_refused(void **state)
{
	SSL_CTX *ctx = (SSL_CTX *) 1;
	char err[2048];

	(void) state;
	assert_false(tls_server_ctx(path_old_crt, path_a_key, &ctx, err, sizeof(err)));
	assert_null(ctx);
	assert_says(err, "--tls-cert ", path_old_crt, "expired on");
	assert_false(tls_server_ctx(path_a_crt, path_b_key, &ctx, err, sizeof(err)));
	assert_says(err, "--tls-key ", path_b_key, "does not fit");
	assert_false(tls_server_ctx(path_junk, path_a_key, &ctx, err, sizeof(err)));
	assert_says(err, "--tls-cert ", path_junk, "no PEM certificate");
	assert_false(tls_server_ctx(path_a_crt, path_junk, &ctx, err, sizeof(err)));
	assert_says(err, "--tls-key ", path_junk, "no PEM private key");
	assert_false(tls_server_ctx(path_a_crt, "/nonexistent/k", &ctx, err, sizeof(err)));
	assert_says(err, "--tls-key /nonexistent/k", "cannot read it", NULL);
	assert_false(tls_server_ctx(dir, path_a_key, &ctx, err, sizeof(err)));
	assert_says(err, "--tls-cert ", "cannot read it", NULL);
}

static void
test_client_trust(void **state)
{
	SSL_CTX *ctx = NULL;
	char err[2048];

	(void) state;
	assert_true(tls_client_ctx(path_a_crt, &ctx, err, sizeof(err)));
	assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER);
	SSL_CTX_free(ctx);
	assert_false(tls_client_ctx(path_junk, &ctx, err, sizeof(err)));
	assert_says(err, "--tls-cert ", path_junk, "no PEM certificate");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validity_window),
		cmocka_unit_test(test_server_pair),
		cmocka_unit_test(test_server_pair_refused),
		cmocka_unit_test(test_client_trust),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
