/*
 * Small cryptographic helpers over OpenSSL: random tokens (256-bit, shown once
 * as base64url, stored as SHA-256 hex), constant-time comparison, and
 * AES-256-GCM sealing of secrets that must be recovered later (TOTP seeds)
 * under the deployment's secret key.
 */
#ifndef ONRAMP_SECRET_H
#define ONRAMP_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include "onramp/status.h"

#define SECRET_TOKEN_BYTES 32
/** base64url of 32 bytes without padding: 43 characters. */
#define SECRET_TOKEN_LEN 43
#define SECRET_HASH_HEX 64
#define SECRET_KEY_BYTES 32
#define SECRET_GCM_NONCE_BYTES 12
#define SECRET_GCM_TAG_BYTES 16

/** Fill buf with n random bytes (RAND_bytes). */
or_status secret_random(unsigned char *buf, size_t n);
/** A new random token: out gets SECRET_TOKEN_LEN base64url characters + NUL. */
or_status secret_token_new(char out[SECRET_TOKEN_LEN + 1]);
/** SHA-256 of s (len bytes) as lower-case hex into out (65 bytes). */
void secret_sha256_hex(const char *s, size_t len, char out[SECRET_HASH_HEX + 1]);
/** True when s is shaped like a token (43 base64url characters). */
bool secret_token_shape_ok(const char *s);
/** Constant-time equality of two equal-length buffers (CRYPTO_memcmp). */
bool secret_equal(const void *a, const void *b, size_t n);
/** base64url without padding; returns the length written (0 if outsz too small). */
size_t secret_b64url(const unsigned char *in, size_t n, char *out, size_t outsz);

/**
 * AES-256-GCM over in (n bytes, at most 4096) into out with the NUL-terminated
 * aad; enc 1 seals (tag written), 0 opens (tag checked: OR_ERR_INVALID when it
 * does not verify).  The one GCM primitive: secret_seal and seal.c use it.
 */
or_status secret_gcm(const unsigned char key[SECRET_KEY_BYTES], const unsigned char nonce[SECRET_GCM_NONCE_BYTES],
		     const char *aad, const unsigned char *in, size_t n, unsigned char *out,
		     unsigned char tag[SECRET_GCM_TAG_BYTES], int enc);
/**
 * Seal plaintext under key with AES-256-GCM: out gets
 * base64url(nonce[12] || ciphertext || tag[16]).  aad binds the sealed value
 * to its owner (e.g. "operator:42:totp") so it cannot be moved between rows.
 */
or_status secret_seal(const unsigned char key[SECRET_KEY_BYTES], const char *aad,
		      const unsigned char *plain, size_t n, char *out, size_t outsz);
/** Open a sealed value; OR_ERR_INVALID when tampered, moved or under another key. */
or_status secret_open(const unsigned char key[SECRET_KEY_BYTES], const char *aad, const char *sealed,
		      unsigned char *plain, size_t plainsz, size_t *n);

/** Read a key file: 64 hex characters (whitespace ignored). */
or_status secret_key_load(const char *path, unsigned char key[SECRET_KEY_BYTES]);

#endif
