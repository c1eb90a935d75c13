/*
 * scram.c — SCRAM-SHA-256 verifiers checked against a password (see scram.h).
 */
#include "scram.h"

#include <ctype.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define SCRAM_PREFIX "SCRAM-SHA-256$"
#define SCRAM_KEY_LEN 32
#define SCRAM_SALT_MAX 64

/* Decode len base64 characters of in into out (cap bytes); the decoded
 * length, or -1 when it is not base64 or does not fit. */
static int
b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
	unsigned char buf[128];
	int n, pad = 0;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(buf))
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *) in, (int) len);
	if (n < 0)
		return -1;
	if (in[len - 1] == '=')
		pad++;
	if (in[len - 2] == '=')
		pad++;
	n -= pad;
	if (n < 0 || (size_t) n > cap)
		return -1;
	memcpy(out, buf, (size_t) n);
	OPENSSL_cleanse(buf, sizeof(buf));
	return n;
}

/* The parts of a verifier: iterations, salt, StoredKey. */
static bool
scram_parse(const char *v, long *iter, unsigned char *salt, int *salt_len,
	    unsigned char stored[SCRAM_KEY_LEN])
{
	const char *p, *colon, *dollar;
	char *end;

	if (strncmp(v, SCRAM_PREFIX, strlen(SCRAM_PREFIX)) != 0)
		return false;
	p = v + strlen(SCRAM_PREFIX);
	*iter = strtol(p, &end, 10);
	if (end == p || *end != ':' || *iter < 1 || *iter > INT_MAX)
		return false;
	p = end + 1;
	if ((dollar = strchr(p, '$')) == NULL || (colon = strchr(dollar, ':')) == NULL)
		return false;
	*salt_len = b64_decode(p, (size_t) (dollar - p), salt, SCRAM_SALT_MAX);
	return *salt_len > 0
		&& b64_decode(dollar + 1, (size_t) (colon - dollar - 1), stored, SCRAM_KEY_LEN)
		   == SCRAM_KEY_LEN;
}

bool
scram_verify(const char *password, const char *verifier)
{
	unsigned char salt[SCRAM_SALT_MAX], stored[SCRAM_KEY_LEN], salted[SCRAM_KEY_LEN];
	unsigned char client[EVP_MAX_MD_SIZE], mine[SCRAM_KEY_LEN];
	unsigned int client_len = 0;
	int salt_len = 0;
	long iter = 0;
	bool same;

	if (password == NULL || verifier == NULL
	    || !scram_parse(verifier, &iter, salt, &salt_len, stored))
		return false;
	same = PKCS5_PBKDF2_HMAC(password, (int) strlen(password), salt, salt_len, (int) iter,
				 EVP_sha256(), SCRAM_KEY_LEN, salted) == 1
		&& HMAC(EVP_sha256(), salted, SCRAM_KEY_LEN, (const unsigned char *) "Client Key", 10,
			client, &client_len) != NULL
		&& client_len == SCRAM_KEY_LEN
		&& SHA256(client, SCRAM_KEY_LEN, mine) != NULL
		&& CRYPTO_memcmp(mine, stored, SCRAM_KEY_LEN) == 0;
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client, sizeof(client));
	OPENSSL_cleanse(mine, sizeof(mine));
	return same;
}

bool
scram_is_verifier(const char *text)
{
	long iter;
	int salt_len;
	unsigned char salt[SCRAM_SALT_MAX], stored[SCRAM_KEY_LEN];

	if (strncmp(text, "md5", 3) == 0 && strlen(text) == 35) {
		for (const char *p = text + 3; *p; p++)
			if (!isxdigit((unsigned char) *p))
				return false;
		return true;
	}
	return scram_parse(text, &iter, salt, &salt_len, stored);
}
