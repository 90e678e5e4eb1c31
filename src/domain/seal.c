/*
 * Sealed secrets at rest (see include/onramp/seal.h).  The GCM primitive is
 * secret_gcm (src/domain/secret.c); this file adds the keyring, the blob
 * format and the associated data that binds a blob to its owner and purpose.
 * Every buffer that held a key or a plaintext is cleansed before returning.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "onramp/seal.h"
#include "onramp/str.h"

#define NONCE SECRET_GCM_NONCE_BYTES
#define TAG SECRET_GCM_TAG_BYTES
/* Base64 of 32 bytes: 43 characters and one '='. */
#define KEY_B64_LEN 44
/* "onramp-seal-v1|" + id + "|" + purpose + "|" + a 64-bit number. */
#define AAD_MAX (16 + SEAL_KEY_ID_MAX + 1 + 32 + 1 + 21)
#define PURPOSE_MAX 32
/* secret_gcm's ceiling on one plaintext. */
#define PLAIN_MAX 4096

static bool
id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-';
}

static bool
id_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > SEAL_KEY_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!id_char((unsigned char)s[i]))
			return false;
	return true;
}

static bool
purpose_ok(const char *p)
{
	size_t i, n = p ? strnlen(p, PURPOSE_MAX + 1) : 0;

	if (n == 0 || n > PURPOSE_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return false;
	return true;
}

/* Strict standard base64 of exactly 32 bytes: 43 characters, '=', zero padding bits. */
static bool
key_b64_decode(const char *s, size_t n, unsigned char key[SEAL_KEY_BYTES])
{
	unsigned acc = 0, bits = 0;
	size_t i, o = 0;

	if (n != KEY_B64_LEN || s[KEY_B64_LEN - 1] != '=')
		return false;
	for (i = 0; i < KEY_B64_LEN - 1; i++) {
		int v = str_b64_value((unsigned char)s[i], STR_B64_STD);

		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			key[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return o == SEAL_KEY_BYTES && acc == 0;
}

/* One non-comment line: "<id> <key>" with spaces or tabs around, nothing else. */
static or_status
parse_line(seal_keyring *kr, const char *s, size_t n)
{
	size_t i = 0, id0, idn, k0, kn;
	seal_key *k;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	id0 = i;
	while (i < n && s[i] != ' ' && s[i] != '\t')
		i++;
	idn = i - id0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	k0 = i;
	while (i < n && s[i] != ' ' && s[i] != '\t')
		i++;
	kn = i - k0;
	if (kn == 0 || !id_ok(s + id0, idn))
		return OR_ERR_INVALID;
	for (; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return OR_ERR_INVALID;
	if (kr->n == SEAL_KEYS_MAX)
		return OR_ERR_LIMIT;
	k = &kr->keys[kr->n];
	memcpy(k->id, s + id0, idn);
	k->id[idn] = '\0';
	if (seal_keyring_find(kr, k->id) != NULL)
		return OR_ERR_CONFLICT;
	if (!key_b64_decode(s + k0, kn, k->key))
		return OR_ERR_INVALID;
	kr->n++;
	return OR_OK;
}

/* Only spaces and tabs in s[0..n) (the text is not NUL-terminated). */
static bool
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

or_status
seal_keyring_parse(seal_keyring *kr, const char *text, size_t len, size_t *line)
{
	size_t pos = 0, no = 0;
	or_status st = OR_OK;

	memset(kr, 0, sizeof(*kr));
	if (line)
		*line = 0;
	while (pos < len && st == OR_OK) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;

		no++;
		if (n > 0 && text[pos + n - 1] == '\r')
			n--;
		if (memchr(text + pos, '\0', n) != NULL)
			st = OR_ERR_INVALID;
		else if (n > 0 && text[pos] != '#' && !blank(text + pos, n))
			st = parse_line(kr, text + pos, n);
		pos = end + 1;
	}
	if (st == OR_OK && kr->n == 0) {
		st = OR_ERR_INVALID;
		no = 0;
	}
	if (st != OR_OK) {
		seal_keyring_wipe(kr);
		if (line)
			*line = no;
	}
	return st;
}

/* Who may have written the file: the process's user, or any owner when we are root. */
static const char *
file_problem(const struct stat *sb)
{
	if (!S_ISREG(sb->st_mode))
		return "is not a regular file";
	if (sb->st_mode & (S_IRWXG | S_IRWXO))
		return "is accessible to group or other (chmod 0600)";
	if (sb->st_uid != geteuid() && geteuid() != 0)
		return "is not owned by the user this process runs as";
	if (sb->st_size > SEAL_FILE_MAX)
		return "is too large to be a key file";
	return NULL;
}

static or_status
read_file(const char *path, char *text, size_t *len, char *err, size_t errsz)
{
	struct stat sb;
	const char *problem;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

	if (fd < 0) {
		snprintf(err, errsz, "key file %s: %s", path, strerror(errno));
		return OR_ERR_IO;
	}
	problem = fstat(fd, &sb) != 0 ? "cannot be examined" : file_problem(&sb);
	if (problem != NULL) {
		snprintf(err, errsz, "key file %s %s", path, problem);
		close(fd);
		return OR_ERR_INVALID;
	}
	*len = 0;
	while ((r = read(fd, text + *len, SEAL_FILE_MAX + 1 - *len)) > 0 && *len + (size_t)r <= SEAL_FILE_MAX)
		*len += (size_t)r;
	close(fd);
	if (r != 0) {
		snprintf(err, errsz, "key file %s: %s", path, r < 0 ? strerror(errno) : "too large");
		return r < 0 ? OR_ERR_IO : OR_ERR_INVALID;
	}
	return OR_OK;
}

static const char *
parse_problem(or_status st)
{
	if (st == OR_ERR_CONFLICT)
		return "duplicate key id";
	if (st == OR_ERR_LIMIT)
		return "too many keys";
	return "malformed (want lines \"<key_id> <base64 of 32 bytes>\" and at least one)";
}

or_status
seal_keyring_load(seal_keyring *kr, const char *path, char *err, size_t errsz)
{
	char text[SEAL_FILE_MAX + 1];
	size_t len = 0, line = 0;
	or_status st;

	memset(kr, 0, sizeof(*kr));
	st = read_file(path, text, &len, err, errsz);
	if (st == OR_OK && (st = seal_keyring_parse(kr, text, len, &line)) != OR_OK) {
		if (line)
			snprintf(err, errsz, "key file %s: line %zu: %s", path, line, parse_problem(st));
		else
			snprintf(err, errsz, "key file %s: %s", path, parse_problem(st));
	}
	OPENSSL_cleanse(text, sizeof(text));
	return st;
}

void
seal_keyring_wipe(seal_keyring *kr)
{
	OPENSSL_cleanse(kr, sizeof(*kr));
	kr->n = 0;
}

const seal_key *
seal_keyring_find(const seal_keyring *kr, const char *id)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (strcmp(kr->keys[i].id, id) == 0)
			return &kr->keys[i];
	return NULL;
}

or_status
seal_keyring_add_new(seal_keyring *kr)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[8];
	seal_key k;
	size_t i;
	or_status st;

	if (kr->n == SEAL_KEYS_MAX)
		return OR_ERR_LIMIT;
	memset(&k, 0, sizeof(k));
	if ((st = secret_random(k.key, sizeof(k.key))) == OR_OK && (st = secret_random(r, sizeof(r))) == OR_OK) {
		k.id[0] = 'k';
		for (i = 0; i < sizeof(r); i++) {
			k.id[1 + 2 * i] = hex[r[i] >> 4];
			k.id[2 + 2 * i] = hex[r[i] & 15];
		}
		if (seal_keyring_find(kr, k.id) != NULL)
			st = OR_ERR_CONFLICT;
	}
	if (st == OR_OK) {
		memmove(&kr->keys[1], &kr->keys[0], kr->n * sizeof(kr->keys[0]));
		kr->keys[0] = k;
		kr->n++;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return st;
}

void
seal_keyring_keep(seal_keyring *kr, const char *const *ids, size_t n, size_t *dropped)
{
	size_t i, j, out = kr->n ? 1 : 0;

	*dropped = 0;
	for (i = 1; i < kr->n; i++) {
		bool used = false;

		for (j = 0; j < n && !used; j++)
			used = strcmp(ids[j], kr->keys[i].id) == 0;
		if (used) {
			if (out != i)
				kr->keys[out] = kr->keys[i];
			out++;
		} else
			(*dropped)++;
	}
	OPENSSL_cleanse(&kr->keys[out], (kr->n - out) * sizeof(kr->keys[0]));
	kr->n = out;
}

or_status
seal_keyring_format(const seal_keyring *kr, char *out, size_t cap, size_t *len)
{
	static const char head[] = "# onramp sealing keys: the first line seals, every line opens (docs/operations.md).\n";
	char b64[KEY_B64_LEN + 1];
	size_t i, o = 0;
	or_status st = OR_OK;

	*len = 0;
	if (cap < sizeof(head))
		return OR_ERR_LIMIT;
	memcpy(out, head, sizeof(head));
	o = sizeof(head) - 1;
	for (i = 0; i < kr->n && st == OR_OK; i++) {
		int w;

		if (EVP_EncodeBlock((unsigned char *)b64, kr->keys[i].key, SEAL_KEY_BYTES) != KEY_B64_LEN)
			st = OR_ERR_INTERNAL;
		else if ((w = snprintf(out + o, cap - o, "%s %s\n", kr->keys[i].id, b64)) < 0 || (size_t)w >= cap - o)
			st = OR_ERR_LIMIT;
		else
			o += (size_t)w;
	}
	OPENSSL_cleanse(b64, sizeof(b64));
	if (st != OR_OK) {
		OPENSSL_cleanse(out, cap);
		return st;
	}
	*len = o;
	return OR_OK;
}

/* The associated data: version, key id, purpose and owner, '|'-separated (none may hold one). */
static bool
make_aad(char aad[AAD_MAX], const char *key_id, const char *purpose, int64_t owner)
{
	int w;

	if (!purpose_ok(purpose) || owner <= 0)
		return false;
	w = snprintf(aad, AAD_MAX, "onramp-seal-v%d|%s|%s|%lld", SEAL_VERSION, key_id, purpose, (long long)owner);
	return w > 0 && w < AAD_MAX;
}

or_status
seal_seal(const seal_keyring *kr, const char *purpose, int64_t owner, const unsigned char *plain, size_t n,
	  unsigned char *out, size_t cap, size_t *outlen)
{
	const seal_key *k = kr && kr->n ? &kr->keys[0] : NULL;
	char aad[AAD_MAX];
	size_t idn, hdr;
	or_status st;

	*outlen = 0;
	if (k == NULL || (plain == NULL && n) || !make_aad(aad, k->id, purpose, owner))
		return OR_ERR_INVALID;
	idn = strlen(k->id);
	hdr = 2 + idn;
	if (n > PLAIN_MAX || cap < hdr + NONCE + n + TAG)
		return OR_ERR_LIMIT;
	out[0] = SEAL_VERSION;
	out[1] = (unsigned char)idn;
	memcpy(out + 2, k->id, idn);
	st = secret_random(out + hdr, NONCE);
	if (st == OR_OK)
		st = secret_gcm(k->key, out + hdr, aad, plain, n, out + hdr + NONCE, out + hdr + NONCE + n, 1);
	if (st != OR_OK) {
		OPENSSL_cleanse(out, cap);
		return st;
	}
	*outlen = hdr + NONCE + n + TAG;
	return OR_OK;
}

or_status
seal_blob_key_id(const unsigned char *blob, size_t n, char id[SEAL_KEY_ID_MAX + 1])
{
	size_t idn;

	id[0] = '\0';
	if (blob == NULL || n < 2 || blob[0] != SEAL_VERSION)
		return OR_ERR_INVALID;
	idn = blob[1];
	if (n < 2 + idn + NONCE + TAG || !id_ok((const char *)blob + 2, idn))
		return OR_ERR_INVALID;
	memcpy(id, blob + 2, idn);
	id[idn] = '\0';
	return OR_OK;
}

or_status
seal_open(const seal_keyring *kr, const char *purpose, int64_t owner, const unsigned char *blob, size_t n,
	  unsigned char *out, size_t cap, size_t *outlen)
{
	char id[SEAL_KEY_ID_MAX + 1], aad[AAD_MAX];
	unsigned char tag[TAG];
	const seal_key *k;
	size_t hdr, ctlen;
	or_status st;

	*outlen = 0;
	if (kr == NULL || seal_blob_key_id(blob, n, id) != OR_OK || !make_aad(aad, id, purpose, owner))
		return OR_ERR_INVALID;
	if ((k = seal_keyring_find(kr, id)) == NULL)
		return OR_ERR_NOT_FOUND;
	hdr = 2 + strlen(id);
	ctlen = n - hdr - NONCE - TAG;
	if (ctlen > cap || ctlen > PLAIN_MAX)
		return OR_ERR_LIMIT;
	memcpy(tag, blob + hdr + NONCE + ctlen, TAG);
	st = secret_gcm(k->key, blob + hdr, aad, blob + hdr + NONCE, ctlen, out, tag, 0);
	if (st != OR_OK) {
		OPENSSL_cleanse(out, ctlen);
		return OR_ERR_INVALID;
	}
	*outlen = ctlen;
	return OR_OK;
}
