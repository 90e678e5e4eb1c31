/*
 * Passwords (see include/onramp/password.h): the policy (length in code
 * points after strict UTF-8 validation, never truncated; the shipped
 * common-password list; not the account's own name or address), Argon2id
 * hashing in PHC strings through libargon2, the parameter check that drives
 * rehashing at sign-in, a decoy verification for unknown accounts, and
 * temporary passwords.
 *
 * Argon2id's memory (m_cost KiB, 19 MiB by default) is a mapping of its own,
 * returned to the kernel after every hash. Through malloc, glibc kept it:
 * freeing a mapped chunk raises glibc's mmap threshold to that chunk's size,
 * so the next 19 MiB came from the heap and stayed there, and every worker
 * held ~27 MiB after its first sign-ins.
 *
 * A worker may keep the area between hashes (password_area_keep) while
 * requests queue, and releases it before it waits for the next one: mapping
 * and faulting 19 MiB anew for every sign-in cost ~5-10 % of the hash under
 * a stream of sign-ins. The kept area is process state of a single-threaded
 * program (the workers); libargon2 wipes it before handing it back.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <argon2.h>
#include <openssl/crypto.h>

#include "onramp/password.h"
#include "onramp/phc.h"
#include "onramp/secret.h"
#include "onramp/str.h"

#define SALT_BYTES 16
#define HASH_BYTES 32
/* No string of at most PASSWORD_MAX_CHARS code points is longer than this in UTF-8. */
#define PW_BYTES_MAX (PASSWORD_MAX_CHARS * 4)
#define GENERATED_LEN 20
#define PHC_PREFIX "$argon2id$"
/* Argon2id's area is mapped in whole transparent huge pages (x86-64 and arm64 PMD size). */
#define HUGE_PAGE_BYTES ((size_t)2 << 20)

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

/* The length mapped for an area of `bytes`: whole huge pages. */
static size_t
area_len(size_t bytes)
{
	return (bytes + HUGE_PAGE_BYTES - 1) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
}

/* The area a worker keeps between hashes (password_area_keep), if any. */
static struct {
	uint8_t *start;
	size_t len;
	bool keep;
	bool in_use;
} kept;

/*
 * A fresh anonymous mapping of len bytes, aligned to 2 MiB and advised as
 * huge pages, so filling 19 MiB costs ~10 page faults instead of ~4,900 (on
 * this project's VMs a 4 KiB fault made a hash 2-4 times slower). Without
 * transparent huge pages the advice fails and small pages serve.
 */
static uint8_t *
area_map(size_t len)
{
	uint8_t *raw, *start;

	raw = mmap(NULL, len + HUGE_PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	start = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1));
	if (start > raw)
		(void)munmap(raw, (size_t)(start - raw));
	(void)munmap(start + len, HUGE_PAGE_BYTES - (size_t)(start - raw));
	(void)madvise(start, len, MADV_HUGEPAGE);
	return start;
}

/* libargon2's allocate_cbk: the kept area when it is free and large enough, else a new mapping. */
static int
area_alloc(uint8_t **memory, size_t bytes)
{
	size_t len = area_len(bytes);
	uint8_t *start;

	*memory = NULL;
	if (kept.start && !kept.in_use && kept.len >= len) {
		kept.in_use = true;
		*memory = kept.start;
		return ARGON2_OK;
	}
	if (kept.start && !kept.in_use)
		(void)password_area_release();
	if ((start = area_map(len)) == NULL)
		return ARGON2_MEMORY_ALLOCATION_ERROR;
	if (kept.keep && !kept.start) {
		kept.start = start;
		kept.len = len;
		kept.in_use = true;
	}
	*memory = start;
	return ARGON2_OK;
}

/* libargon2's free_cbk (after it has wiped the area): kept, or back to the kernel. */
static void
area_free(uint8_t *memory, size_t bytes)
{
	if (!memory)
		return;
	if (memory == kept.start) {
		kept.in_use = false;
		if (!kept.keep)
			(void)password_area_release();
		return;
	}
	(void)munmap(memory, area_len(bytes));
}

void
password_area_keep(bool keep)
{
	kept.keep = keep;
	if (!keep)
		(void)password_area_release();
}

bool
password_area_kept(void)
{
	return kept.start != NULL;
}

bool
password_area_release(void)
{
	if (!kept.start || kept.in_use)
		return false;
	(void)munmap(kept.start, kept.len);
	kept.start = NULL;
	kept.len = 0;
	return true;
}

/*
 * The one path of Argon2id for hashing and verifying: pw under h's version,
 * costs and salt into out (h->hash_len bytes), the memory through the
 * callbacks above. With expect, libargon2 then compares out with expect in
 * constant time (argon2id_verify_ctx, what argon2id_verify ends in).
 */
static int
argon2id_run(const phc_argon2id *h, const char *pw, size_t len, uint8_t *out, const uint8_t *expect)
{
	argon2_context c;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.outlen = (uint32_t)h->hash_len;
	c.pwd = (uint8_t *)(uintptr_t)(pw ? pw : "");
	c.pwdlen = (uint32_t)len;
	c.salt = (uint8_t *)(uintptr_t)h->salt;
	c.saltlen = (uint32_t)h->salt_len;
	c.t_cost = h->t_cost;
	c.m_cost = h->m_cost_kib;
	c.lanes = h->lanes;
	c.threads = h->lanes;
	c.version = h->version;
	c.flags = ARGON2_DEFAULT_FLAGS;
	c.allocate_cbk = area_alloc;
	c.free_cbk = area_free;
	return expect ? argon2id_verify_ctx(&c, (const char *)expect) : argon2id_ctx(&c);
}

or_status
password_hash(const password_params *p, const char *pw, size_t len, char out[PASSWORD_HASH_MAX])
{
	phc_argon2id h;
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
	memset(&h, 0, sizeof(h));
	h.version = ARGON2_VERSION_13;
	h.m_cost_kib = p->m_cost_kib;
	h.t_cost = p->t_cost;
	h.lanes = p->parallelism;
	h.salt_len = SALT_BYTES;
	h.hash_len = HASH_BYTES;
	if ((st = secret_random(h.salt, SALT_BYTES)) == OR_OK &&
	    (st = argon2_status(argon2id_run(&h, pw, len, h.hash, NULL))) == OR_OK)
		st = phc_encode(&h, out, PASSWORD_HASH_MAX);
	if (st != OR_OK)
		out[0] = '\0';
	OPENSSL_cleanse(&h, sizeof(h));
	return st;
}

bool
password_verify(const char *phc, const char *pw, size_t len)
{
	phc_argon2id h;
	uint8_t got[PHC_BIN_MAX];
	bool ok;

	if (!phc || (!pw && len) || len > PW_BYTES_MAX)
		return false;
	if (strncmp(phc, PHC_PREFIX, strlen(PHC_PREFIX)) != 0 ||
	    strnlen(phc, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX || !phc_decode(phc, &h))
		return false;
	ok = argon2id_run(&h, pw, len, got, h.hash) == ARGON2_OK;
	OPENSSL_cleanse(got, sizeof(got));
	OPENSSL_cleanse(&h, sizeof(h));
	return ok;
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
