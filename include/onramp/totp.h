/*
 * RFC 6238 time-based one-time passwords (SHA-1, 6 digits, 30 s steps, as
 * every authenticator app expects), RFC 4648 base32 for secrets, and the
 * otpauth:// URI authenticator apps import.  Pure: time is a parameter.
 */
#ifndef ONRAMP_TOTP_H
#define ONRAMP_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onramp/status.h"

#define TOTP_SECRET_BYTES 20
#define TOTP_STEP_S 30
#define TOTP_DIGITS 6
/** Characters of unpadded base32 for n bytes (without the NUL). */
#define TOTP_BASE32_LEN(n) (((n) * 8 + 4) / 5)
/** What the code functions return when no code can be made (HMAC failed, digits not 1..9). */
#define TOTP_CODE_ERROR UINT32_MAX

/** The code for a counter value (RFC 4226 HOTP, 6 digits) of a secret. */
uint32_t totp_hotp(const unsigned char *secret, size_t len, uint64_t counter);
/** The code at UNIX time now (step = now / 30). */
uint32_t totp_code(const unsigned char *secret, size_t len, int64_t now);
/** Codes for any number of digits (for the RFC's 8-digit test vectors). */
uint32_t totp_code_digits(const unsigned char *secret, size_t len, int64_t now, unsigned digits);

/**
 * Check a 6-digit code typed by a person (whitespace allowed) at time now,
 * accepting steps now-1..now+1.  A step at or before *last_step is refused
 * (replay); on success *last_step is set to the matched step.
 */
bool totp_verify(const unsigned char *secret, size_t len, const char *code, int64_t now,
		 int64_t *last_step);

/**
 * RFC 4648 base32 without padding; out must hold TOTP_BASE32_LEN(n)+1 bytes.
 * Returns the length written (0 when outsz is too small).
 */
size_t totp_base32_encode(const unsigned char *in, size_t n, char *out, size_t outsz);
/** Decode base32 (case-insensitive, '=' padding and spaces ignored). */
or_status totp_base32_decode(const char *in, unsigned char *out, size_t outsz, size_t *outlen);

/** otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30 */
or_status totp_uri(const char *issuer, const char *account, const unsigned char *secret,
		   size_t len, char *out, size_t outsz);

#endif
