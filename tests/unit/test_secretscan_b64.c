/*
 * Unit tests for the secret scanner's reading of base64 (src/domain/
 * secretscan_b64.c): a whole PEM private key encoded as base64, the way a
 * Kubernetes Secret, `base64 key.pem` or `openssl base64` carries it (one
 * line, wrapped at 76 or 64 columns, CRLF), for RSA, EC, OpenSSH and
 * encrypted keys made at test time; other secrets inside base64 text; and
 * base64 that is not a secret (certificates, binary data, ordinary text),
 * which must keep passing.  Large inputs finish in linear time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "onramp/secretscan.h"
#include "unit.h"

static const secretscan_ctx CTX = { "https://console.example.com" };

static void
expect_len(const char *what, const char *text, size_t len, secretscan_kind want)
{
	secretscan_kind got = secretscan_check(&CTX, text, len);

	if (got != want)
		printf("\n  %s: got %s, want %s\n", what, secretscan_kind_name(got), secretscan_kind_name(want));
	CU_ASSERT_EQUAL(got, want);
}

/* base64 of n bytes, one line, or wrapped every `wrap` characters with `eol`; malloc'd. */
static char *
b64(const void *data, size_t n, size_t wrap, const char *eol)
{
	size_t line = 4 * ((n + 2) / 3), i, o = 0, el = strlen(eol);
	unsigned char *one = malloc(line + 1);
	char *out = malloc(line + (wrap ? (line / wrap + 1) * el : 0) + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(one);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	EVP_EncodeBlock(one, data, (int)n);
	for (i = 0; i < line; i++) {
		if (wrap && i > 0 && i % wrap == 0)
			memcpy(out + o, eol, el), o += el;
		out[o++] = (char)one[i];
	}
	out[o] = '\0';
	free(one);
	return out;
}

/* A PEM written by OpenSSL for a new key of this type; malloc'd. */
static char *
pem_of(const char *type, const char *param, int how)
{
	EVP_PKEY *k = strcmp(type, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
					       : EVP_PKEY_Q_keygen(NULL, NULL, type, param);
	BIO *bio = BIO_new(BIO_s_mem());
	char pass[] = "passphrase", *data, *out;
	long n;
	int ok;

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bio);
	if (how == 0)	/* PKCS#8: "BEGIN PRIVATE KEY" */
		ok = PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
	else if (how == 1)	/* "BEGIN RSA PRIVATE KEY", "BEGIN EC PRIVATE KEY" */
		ok = PEM_write_bio_PrivateKey_traditional(bio, k, NULL, NULL, 0, NULL, NULL);
	else	/* "BEGIN ENCRYPTED PRIVATE KEY" */
		ok = PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(), NULL, 0, NULL, pass);
	CU_ASSERT_TRUE_FATAL(ok == 1);
	n = BIO_get_mem_data(bio, &data);
	out = malloc((size_t)n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(bio);
	EVP_PKEY_free(k);
	return out;
}

/* An OpenSSH private key as ssh-keygen writes it (the body is random after the magic). */
static char *
openssh_pem(void)
{
	unsigned char body[15 + 384];
	char *lines = NULL, *out;

	memcpy(body, "openssh-key-v1\0", 15);
	CU_ASSERT_TRUE_FATAL(RAND_bytes(body + 15, (int)sizeof(body) - 15) == 1);
	lines = b64(body, sizeof(body), 70, "\n");
	out = malloc(strlen(lines) + 128);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	snprintf(out, strlen(lines) + 128, "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n",
		 lines);
	free(lines);
	return out;
}

/* The PEM as base64 in every shape it travels in, alone and inside a note or a Secret manifest. */
static void
expect_key_shapes(const char *name, const char *pem)
{
	static const struct { size_t wrap; const char *eol; const char *shape; } shapes[] = {
		{ 0, "", "one line" }, { 76, "\n", "wrapped at 76" }, { 64, "\n", "wrapped at 64" },
		{ 76, "\r\n", "CRLF" }, { 76, "\n    ", "indented" },
	};
	char what[128], *enc, *note;
	size_t i, nl;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		enc = b64(pem, strlen(pem), shapes[i].wrap, shapes[i].eol);
		snprintf(what, sizeof(what), "%s, %s", name, shapes[i].shape);
		/* the raw scan alone does not see it: this tests the decoding */
		expect_len(what, enc, strlen(enc), SECRET_PRIVATE_KEY);
		nl = strlen(enc) + 200;
		note = malloc(nl);
		CU_ASSERT_PTR_NOT_NULL_FATAL(note);
		snprintf(note, nl, "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.key: %s\n", enc);
		expect_len(what, note, strlen(note), SECRET_PRIVATE_KEY);
		snprintf(note, nl, "{\"tls.key\":\"%s\"} please install", enc);
		expect_len(what, note, strlen(note), SECRET_PRIVATE_KEY);
		free(note);
		free(enc);
	}
}

static void
test_pem_keys(void)
{
	char *pems[] = {
		pem_of("RSA", NULL, 0), pem_of("RSA", NULL, 1), pem_of("EC", "P-256", 0), pem_of("EC", "P-384", 1),
		pem_of("EC", "P-256", 2), pem_of("ED25519", NULL, 0), openssh_pem()
	};
	static const char *const names[] = {
		"RSA PKCS#8", "RSA traditional", "EC P-256 PKCS#8", "EC P-384 traditional", "encrypted PKCS#8",
		"Ed25519", "OpenSSH"
	};
	size_t i;

	for (i = 0; i < sizeof(pems) / sizeof(pems[0]); i++) {
		CU_ASSERT_PTR_NOT_NULL(strstr(pems[i], "PRIVATE KEY-----"));
		expect_key_shapes(names[i], pems[i]);
		free(pems[i]);
	}
}

/* base64 of text is read with every rule, not only the private key one. */
static void
test_other_secrets(void)
{
	static const char *const texts[] = {
		"{\"client_id\": \"onramp\", \"client_secret\": \"Zq8Lw2Xr5Tb9Nm4Kp7Vc3Hd6\"}",
		"DATABASE_URL=postgres://app:Hunter2Hunter2@db.internal:5432/app\n",
		"aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
	};
	static const secretscan_kind want[] = { SECRET_CLIENT_SECRET, SECRET_URL_CREDENTIALS, SECRET_API_KEY };
	size_t i;
	char *enc;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		enc = b64(texts[i], strlen(texts[i]), 0, "");
		expect_len(texts[i], enc, strlen(enc), want[i]);
		free(enc);
	}
}

/* A certificate is public: its base64, PEM-wrapped or as the base64 of its PEM, passes. */
static void
test_not_secrets(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char der[4096], random[3000], *p = der;
	char *enc, *pem;
	int n;
	static const char prose[] =
		"Dear team, please find the onboarding notes for ACME below. We will launch in March and need "
		"single sign-on for 400 users; the workspace should be called acme-prod. Thanks, Ann.";

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	/* a public key's DER stands in for a certificate's: binary after decoding */
	n = i2d_PUBKEY(k, &p);
	CU_ASSERT_TRUE_FATAL(n > 0);
	enc = b64(der, (size_t)n, 0, "");
	expect_len("public key DER", enc, strlen(enc), SECRET_NONE);
	free(enc);
	CU_ASSERT_TRUE_FATAL(RAND_bytes(random, sizeof(random)) == 1);
	enc = b64(random, sizeof(random), 76, "\n");
	expect_len("random bytes, wrapped", enc, strlen(enc), SECRET_NONE);
	free(enc);
	enc = b64(prose, strlen(prose), 0, "");
	expect_len("base64 of a letter", enc, strlen(enc), SECRET_NONE);
	free(enc);
	pem = malloc(8192);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pem);
	enc = b64(der, (size_t)n, 64, "\n");
	snprintf(pem, 8192, "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", enc);
	free(enc);
	enc = b64(pem, strlen(pem), 76, "\n");
	expect_len("base64 of a public key PEM", enc, strlen(enc), SECRET_NONE);
	free(enc);
	free(pem);
	EVP_PKEY_free(k);
}

/* 1 MiB of base64 that decodes to text: every window is scanned, in linear time. */
static void
test_large(void)
{
	size_t n = 1024 * 1024, i;
	char *text = malloc(n), *enc;
	clock_t t0;
	double ms;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (i = 0; i < n; i++)
		text[i] = "the quick brown fox jumps over a lazy dog "[i % 42];
	enc = b64(text, n * 3 / 4, 0, "");
	t0 = clock();
	expect_len("1 MiB of base64 text", enc, strlen(enc), SECRET_NONE);
	ms = (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
	unit_timing("1 MiB of base64 text", ms, 2000.0);
	free(enc);
	/* a key at the very end of a long run is still found (windows overlap) */
	memcpy(text + n * 3 / 4 - 40, "\n-----BEGIN RSA PRIVATE KEY-----\nMIIEo", 38);
	enc = b64(text, n * 3 / 4 - 2, 0, "");
	expect_len("a key at the end of 1 MiB", enc, strlen(enc), SECRET_PRIVATE_KEY);
	free(enc);
	free(text);
}

static const unit_test tests[] = {
	{ "base64 of PEM private keys, every shape", test_pem_keys },
	{ "base64 of other secrets", test_other_secrets },
	{ "base64 that is not a secret passes", test_not_secrets },
	{ "large base64 in linear time", test_large },
	{ NULL, NULL }
};

UNIT_MAIN("secretscan_b64", tests)
