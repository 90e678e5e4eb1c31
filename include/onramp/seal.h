/*
 * Sealed secrets at rest (e.g. an IdP's OIDC client secret): AES-256-GCM
 * under a key of a keyring read from a key file.  The keyring's first key
 * seals, every key opens, so a key can be rotated without downtime.  The
 * associated data binds the format version, the key id, the purpose and the
 * owner ("onramp-seal-v1|<key_id>|<purpose>|<customer_id>"): a blob copied to
 * another customer or another purpose does not open.  A blob is binary:
 * version byte, key-id length byte, key id, 96-bit IV, ciphertext, 128-bit
 * tag.  Pure except seal_keyring_load (reads the file) and the random IV.
 */
#ifndef ONRAMP_SEAL_H
#define ONRAMP_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onramp/secret.h"
#include "onramp/status.h"

#define SEAL_KEY_BYTES SECRET_KEY_BYTES
/** Longest key id (sso_secrets.key_id is VARCHAR(32)); ids are [A-Za-z0-9._-]. */
#define SEAL_KEY_ID_MAX 32
/** Keys one keyring holds (rotations not yet followed by drop-old-keys). */
#define SEAL_KEYS_MAX 16
/** A key file larger than this is not one. */
#define SEAL_FILE_MAX 8192
/** The blob format this code writes (the first byte of every blob). */
#define SEAL_VERSION 1
/** Bytes a blob adds to its plaintext at most (header, longest key id, IV, tag). */
#define SEAL_OVERHEAD (2 + SEAL_KEY_ID_MAX + SECRET_GCM_NONCE_BYTES + SECRET_GCM_TAG_BYTES)

/** One key of a keyring. */
typedef struct seal_key {
	char id[SEAL_KEY_ID_MAX + 1];
	unsigned char key[SEAL_KEY_BYTES];
} seal_key;

/** Keys in file order: keys[0] seals, all open.  Wipe with seal_keyring_wipe. */
typedef struct seal_keyring {
	seal_key keys[SEAL_KEYS_MAX];
	size_t n;
} seal_keyring;

/**
 * Parse key file text: lines "<key_id> <base64 of 32 bytes>", blank lines and
 * lines starting with '#' skipped.  OR_ERR_INVALID for a malformed line or a
 * file without a key, OR_ERR_CONFLICT for a duplicate id, OR_ERR_LIMIT past
 * SEAL_KEYS_MAX keys; *line (may be NULL) is the 1-based line refused (0 when
 * none).  kr is wiped on failure.
 */
or_status seal_keyring_parse(seal_keyring *kr, const char *text, size_t len, size_t *line);
/**
 * Read and parse the key file at path.  Refused (OR_ERR_INVALID): not a
 * regular file, readable or writable by group or other, owned by another
 * user than the process's (root may read the service user's file), larger
 * than SEAL_FILE_MAX, or a refusal of seal_keyring_parse; OR_ERR_IO when it
 * cannot be opened.  err gets a sentence naming the path and the problem
 * (never key material).
 */
or_status seal_keyring_load(seal_keyring *kr, const char *path, char *err, size_t errsz);
/** Wipe every key (OPENSSL_cleanse) and empty the ring. */
void seal_keyring_wipe(seal_keyring *kr);
/** The key with id, or NULL. */
const seal_key *seal_keyring_find(const seal_keyring *kr, const char *id);
/** Put a new random key (id "k" + 16 hex digits) first: it seals from now on.  OR_ERR_LIMIT when full. */
or_status seal_keyring_add_new(seal_keyring *kr);
/** Keep the first key and those whose id is among ids[0..n); *dropped counts the others removed (wiped). */
void seal_keyring_keep(seal_keyring *kr, const char *const *ids, size_t n, size_t *dropped);
/** The key file text of kr into out (cap bytes, NUL-terminated); OR_ERR_LIMIT when it does not fit. */
or_status seal_keyring_format(const seal_keyring *kr, char *out, size_t cap, size_t *len);

/**
 * Seal plain (n bytes, at most 4096) for purpose ([a-z0-9_]{1,32}) and owner
 * (> 0) under the ring's first key into out (cap bytes; n + SEAL_OVERHEAD is
 * enough); *outlen is the blob's length.
 */
or_status seal_seal(const seal_keyring *kr, const char *purpose, int64_t owner, const unsigned char *plain,
		    size_t n, unsigned char *out, size_t cap, size_t *outlen);
/**
 * Open a blob sealed for purpose and owner into out (cap bytes).
 * OR_ERR_NOT_FOUND when its key id is not in the ring, OR_ERR_INVALID when
 * malformed, tampered with, or sealed for another owner or purpose,
 * OR_ERR_LIMIT when cap is too small.  out holds nothing on failure.
 */
or_status seal_open(const seal_keyring *kr, const char *purpose, int64_t owner, const unsigned char *blob,
		    size_t n, unsigned char *out, size_t cap, size_t *outlen);
/** The key id a blob names (OR_ERR_INVALID when its header is malformed). */
or_status seal_blob_key_id(const unsigned char *blob, size_t n, char id[SEAL_KEY_ID_MAX + 1]);

#endif
