/*
 * Test certificates made at test time with OpenSSL (tests/unit/testcert.c):
 * self-signed, with the key size, validity and digest a test needs, so no
 * private key is ever stored in the repository.
 */
#ifndef ONRAMP_TESTCERT_H
#define ONRAMP_TESTCERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

/** What to put in the certificate. */
typedef struct testcert_spec {
	int rsa_bits;		/* 0 = an EC P-256 key */
	int64_t not_before;	/* UNIX seconds */
	int64_t not_after;
	const char *md;		/* digest name: "SHA256", "SHA1", "MD5" */
	const char *cn;		/* subject and issuer CN */
} testcert_spec;

/** A malloc'd base64 DER certificate wrapped at 64 columns with "\n    " (free it); NULL on failure. */
char *testcert_base64(const testcert_spec *spec);
/** The same as DER bytes (malloc'd, *len set); NULL on failure. */
unsigned char *testcert_der(const testcert_spec *spec, size_t *len);
/** The key certificates of this size are made for (owned here, kept for the run; 0 = EC P-256). */
EVP_PKEY *testcert_key(int rsa_bits);
/** A certificate as testcert_der, but for key (spec->rsa_bits ignored): signers with their own keys. */
unsigned char *testcert_der_key(const testcert_spec *spec, EVP_PKEY *key, size_t *len);

#endif
