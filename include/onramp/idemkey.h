/*
 * The pure parts of idempotency keys (src/api/idempotency.c uses them): what
 * an Idempotency-Key header may hold, and the fingerprint that tells "the
 * same request again" from "another request under the same key".
 */
#ifndef ONRAMP_IDEMKEY_H
#define ONRAMP_IDEMKEY_H

#include <stdbool.h>
#include "onramp/secret.h"
#include "onramp/status.h"
#include "onramp/str.h"

/** True when s is a usable key: 1 to LIMIT_IDEM_KEY bytes, each printable ASCII (0x21-0x7E). */
bool idemkey_valid(const char *s);

/**
 * The request's fingerprint as 64 hex characters: HMAC-SHA256 under key of a
 * version label and the method, path, query and body, each prefixed by its
 * length (so no two different requests read as one).  Keyed, because a body
 * may hold an initial password that a plain hash would let anyone guess.
 */
or_status idemkey_request_hash(const unsigned char key[SECRET_KEY_BYTES], const char *method, or_str path,
			       const char *query, or_str body, char out[SECRET_HASH_HEX + 1]);

#endif
