/*
 * Passwords (see include/onramp/password.h): the policy (length in code
 * points after strict UTF-8 validation, never truncated; the shipped
 * common-password list; not the account's own name or address), Argon2id
 * hashing in PHC strings through libargon2, the parameter check that drives
 * rehashing at sign-in, a decoy verification for unknown accounts, and
 * temporary passwords.
 */
#include <stdint.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>

#include "onramp/password.h"
#include "onramp/secret.h"
#include "onramp/str.h"

#define SALT_BYTES 16
#define HASH_BYTES 32
/* No string of at most PASSWORD_MAX_CHARS code points is longer than this in UTF-8. */
#define PW_BYTES_MAX (PASSWORD_MAX_CHARS * 4)
#define GENERATED_LEN 20
#define PHC_PREFIX "$argon2id$"

const password_params PASSWORD_PARAMS_DEFAULT = { 19456, 2, 1 };

/* No 0/O, 1/l/I: a person reads these aloud or copies them from a screen. */
static const char gen_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/* Byte order of (a, alen) against the C string b, as strcmp would order them. */
static int
cmp_entry(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

bool
password_is_common(const char *pw, size_t len)
{
	char low[PW_BYTES_MAX];
	const char *const *list;
	size_t count, lo = 0, hi, i;
	bool found = false;

	if (!pw || len > sizeof(low))
		return false;
	for (i = 0; i < len; i++)
		low[i] = (pw[i] >= 'A' && pw[i] <= 'Z') ? (char)(pw[i] - 'A' + 'a') : pw[i];
	list = password_common_list(&count);
	hi = count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_entry(low, len, list[mid]);

		if (c == 0) {
			found = true;
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	OPENSSL_cleanse(low, len);
	return found;
}

/* ASCII case-insensitive equality of (a, alen) and (b, blen). */
static bool
ieq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

static bool
matches_identity(const char *pw, size_t len, const char *username, const char *email)
{
	const char *at;

	if (username && *username && ieq(pw, len, username, strlen(username)))
		return true;
	if (!email || !*email)
		return false;
	if (ieq(pw, len, email, strlen(email)))
		return true;
	/* The local part ends at the last '@' (a quoted local part may hold others). */
	at = strrchr(email, '@');
	return at && at > email && ieq(pw, len, email, (size_t)(at - email));
}

password_verdict
password_check(const char *pw, size_t len, const char *username, const char *email)
{
	long chars;

	if (!pw && len)
		return PASSWORD_NOT_UTF8;
	if ((chars = str_utf8_count((or_str){ pw, len })) < 0)
		return PASSWORD_NOT_UTF8;
	if (chars < PASSWORD_MIN_CHARS)
		return PASSWORD_TOO_SHORT;
	if (chars > PASSWORD_MAX_CHARS)
		return PASSWORD_TOO_LONG;
	if (password_is_common(pw, len))
		return PASSWORD_COMMON;
	if (matches_identity(pw, len, username, email))
		return PASSWORD_CONTAINS_IDENTITY;
	return PASSWORD_OK;
}

const char *
password_verdict_code(password_verdict v)
{
	switch (v) {
	case PASSWORD_OK: return "ok";
	case PASSWORD_TOO_SHORT: return "too_short";
	case PASSWORD_TOO_LONG: return "too_long";
	case PASSWORD_NOT_UTF8: return "invalid_encoding";
	case PASSWORD_COMMON: return "too_common";
	case PASSWORD_CONTAINS_IDENTITY: return "matches_identity";
	}
	return "invalid";
}

const char *
password_verdict_message(password_verdict v)
{
	switch (v) {
	case PASSWORD_OK: return "The password meets the policy.";
	case PASSWORD_TOO_SHORT: return "Use at least 12 characters.";
	case PASSWORD_TOO_LONG: return "Use at most 256 characters.";
	case PASSWORD_NOT_UTF8: return "The password contains characters that are not valid text.";
	case PASSWORD_COMMON: return "This password is too common; choose one that is harder to guess.";
	case PASSWORD_CONTAINS_IDENTITY: return "Do not use your username or email address as the password.";
	}
	return "The password was refused.";
}

/* libargon2's error codes in the project's terms. */
static or_status
argon2_status(int rc)
{
	switch (rc) {
	case ARGON2_OK: return OR_OK;
	case ARGON2_MEMORY_ALLOCATION_ERROR: return OR_ERR_NOMEM;
	case ARGON2_ENCODING_FAIL: return OR_ERR_LIMIT;
	case ARGON2_INCORRECT_PARAMETER:
	case ARGON2_MEMORY_TOO_LITTLE: case ARGON2_MEMORY_TOO_MUCH:
	case ARGON2_TIME_TOO_SMALL: case ARGON2_TIME_TOO_LARGE:
	case ARGON2_LANES_TOO_FEW: case ARGON2_LANES_TOO_MANY:
	case ARGON2_THREADS_TOO_FEW: case ARGON2_THREADS_TOO_MANY:
		return OR_ERR_INVALID;
	default: return OR_ERR_INTERNAL;
	}
}

or_status
password_hash(const password_params *p, const char *pw, size_t len, char out[PASSWORD_HASH_MAX])
{
	unsigned char salt[SALT_BYTES];
	or_status st;

	if (!out)
		return OR_ERR_INVALID;
	out[0] = '\0';
	if (!p || (!pw && len))
		return OR_ERR_INVALID;
	if (len > PW_BYTES_MAX)
		return OR_ERR_LIMIT;
	if (argon2_encodedlen(p->t_cost, p->m_cost_kib, p->parallelism, SALT_BYTES, HASH_BYTES,
			      Argon2_id) > PASSWORD_HASH_MAX)
		return OR_ERR_LIMIT;
	if ((st = secret_random(salt, sizeof(salt))) == OR_OK)
		st = argon2_status(argon2id_hash_encoded(p->t_cost, p->m_cost_kib, p->parallelism,
							 pw ? pw : "", len, salt, sizeof(salt),
							 HASH_BYTES, out, PASSWORD_HASH_MAX));
	if (st != OR_OK)
		out[0] = '\0';
	OPENSSL_cleanse(salt, sizeof(salt));
	return st;
}

bool
password_verify(const char *phc, const char *pw, size_t len)
{
	if (!phc || (!pw && len) || len > PW_BYTES_MAX)
		return false;
	if (strncmp(phc, PHC_PREFIX, strlen(PHC_PREFIX)) != 0 ||
	    strnlen(phc, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX)
		return false;
	return argon2id_verify(phc, pw ? pw : "", len) == ARGON2_OK;
}

/* Parse "<key><digits>" at *s, advancing past it; false on anything else. */
static bool
parse_param(const char **s, const char *key, uint32_t *out)
{
	const char *q = *s;
	uint64_t v = 0;
	size_t klen = strlen(key);

	if (strncmp(q, key, klen) != 0)
		return false;
	q += klen;
	if (*q < '0' || *q > '9')
		return false;
	while (*q >= '0' && *q <= '9') {
		v = v * 10 + (uint64_t)(*q++ - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	*s = q;
	return true;
}

bool
password_needs_rehash(const char *phc, const password_params *p)
{
	const char *s = phc;
	uint32_t v, m, t, par;

	if (!phc || !p || strncmp(s, PHC_PREFIX, strlen(PHC_PREFIX)) != 0)
		return true;
	s += strlen(PHC_PREFIX);
	if (!parse_param(&s, "v=", &v) || v != ARGON2_VERSION_13 || *s++ != '$')
		return true;
	if (!parse_param(&s, "m=", &m) || *s++ != ',' || !parse_param(&s, "t=", &t) ||
	    *s++ != ',' || !parse_param(&s, "p=", &par) || *s != '$')
		return true;
	return m != p->m_cost_kib || t != p->t_cost || par != p->parallelism;
}

void
password_dummy_verify(const password_params *p, const char *pw, size_t len)
{
	/*
	 * Made once per process and parameter set, on first use; workers are
	 * single-threaded processes, so a plain static cache is enough.
	 */
	static char dummy[PASSWORD_HASH_MAX];
	static password_params dummy_params;
	static const char decoy[] = "onramp-dummy-password-for-timing";

	if (!p)
		return;
	if (!dummy[0] || memcmp(&dummy_params, p, sizeof(*p)) != 0) {
		if (password_hash(p, decoy, sizeof(decoy) - 1, dummy) != OR_OK) {
			dummy[0] = '\0';
			return;
		}
		dummy_params = *p;
	}
	(void)password_verify(dummy, pw, len);
}

or_status
password_generate(char out[GENERATED_LEN + 1])
{
	/* Bytes at or past limit are drawn again, so every character is equally likely. */
	const unsigned n = sizeof(gen_alphabet) - 1, limit = 256 - 256 % n;
	unsigned char pool[64];
	size_t have = 0, used = 0, o = 0;
	or_status st = OR_OK;

	out[0] = '\0';
	while (o < GENERATED_LEN) {
		if (used == have) {
			if ((st = secret_random(pool, sizeof(pool))) != OR_OK)
				break;
			have = sizeof(pool);
			used = 0;
		}
		if (pool[used] < limit)
			out[o++] = gen_alphabet[pool[used] % n];
		used++;
	}
	OPENSSL_cleanse(pool, sizeof(pool));
	if (st != OR_OK) {
		OPENSSL_cleanse(out, GENERATED_LEN + 1);
		return st;
	}
	out[GENERATED_LEN] = '\0';
	return OR_OK;
}
