/*
 * scram.h — whether a password is the one a stored verifier was made from,
 * so that a reconcile sets a role's password only when it changed: the
 * SCRAM-SHA-256 verifier of pg_authid.rolpassword is recomputed with the
 * salt and iterations it names (RFC 5802/7677: PBKDF2, HMAC, SHA-256).
 */
#ifndef PGPOD_SCRAM_H
#define PGPOD_SCRAM_H

#include <stdbool.h>

/* password made verifier ("SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>").
 * False for anything else, an MD5 hash among them. Passwords are taken
 * as their bytes: PostgreSQL's SASLprep changes only unusual Unicode, and
 * such a password is then merely set again. */
bool scram_verify(const char *password, const char *verifier);

/* text is already a verifier, SCRAM-SHA-256 or MD5 ("md5" and 32 hex
 * digits): CloudNativePG sets those as they are. */
bool scram_is_verifier(const char *text);

#endif
