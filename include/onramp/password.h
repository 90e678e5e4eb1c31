/*
 * Passwords: the policy (12 to 256 characters, counted as Unicode code
 * points, never truncated; not one of a shipped list of common passwords;
 * not equal to the username or email) and Argon2id hashing through libargon2
 * in the standard PHC string format, so parameters can rise later and old
 * hashes are upgraded at the next sign-in.
 */
#ifndef ONRAMP_PASSWORD_H
#define ONRAMP_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onramp/status.h"

#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_CHARS 256
/** Longest PHC string we produce or accept. */
#define PASSWORD_HASH_MAX 160

/** Argon2id cost parameters. */
typedef struct password_params {
	uint32_t m_cost_kib;	/* memory, KiB (OWASP: 19456 = 19 MiB) */
	uint32_t t_cost;	/* iterations (OWASP: 2) */
	uint32_t parallelism;	/* lanes (OWASP: 1) */
} password_params;

/** OWASP's first recommendation: m = 19 MiB, t = 2, p = 1. */
extern const password_params PASSWORD_PARAMS_DEFAULT;

/** Why a password was refused. */
typedef enum password_verdict {
	PASSWORD_OK = 0,
	PASSWORD_TOO_SHORT,
	PASSWORD_TOO_LONG,
	PASSWORD_NOT_UTF8,
	PASSWORD_COMMON,
	PASSWORD_CONTAINS_IDENTITY
} password_verdict;

/** Check pw against the policy; username/email may be NULL. */
password_verdict password_check(const char *pw, size_t len, const char *username, const char *email);
/** The field code for a verdict (e.g. "too_short"), for the API error shape. */
const char *password_verdict_code(password_verdict v);
/** A human sentence for a verdict. */
const char *password_verdict_message(password_verdict v);
/** True when pw (any case) is on the shipped common-password list. */
bool password_is_common(const char *pw, size_t len);
/** The shipped list (src/domain/common_passwords.c): sorted, lower-case; *count entries. */
const char *const *password_common_list(size_t *count);

/** Hash pw with Argon2id and a random 16-byte salt into a PHC string. */
or_status password_hash(const password_params *p, const char *pw, size_t len,
			char out[PASSWORD_HASH_MAX]);
/** Verify pw against a PHC string (constant time inside libargon2). */
bool password_verify(const char *phc, const char *pw, size_t len);
/** True when phc was made with parameters other than p (rehash at sign-in). */
bool password_needs_rehash(const char *phc, const password_params *p);
/**
 * Burn the same time as a real verification when there is no user, so
 * sign-in answers take as long for unknown accounts as for wrong passwords.
 */
void password_dummy_verify(const password_params *p, const char *pw, size_t len);

/**
 * Keep Argon2id's memory area mapped after a hash for the next one (a worker
 * while requests queue) instead of unmapping it each time; false releases it.
 * Process state: for single-threaded programs only. Off by default.
 */
void password_area_keep(bool keep);
/** True while a kept area is mapped. */
bool password_area_kept(void);
/** Unmap the kept area (a worker about to wait for its next request); true when one was. */
bool password_area_release(void);

/** Generate a temporary password (20 characters from an unambiguous alphabet). */
or_status password_generate(char out[21]);

#endif
