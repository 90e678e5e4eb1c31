/*
 * The PHC string of an Argon2id hash ("$argon2id$v=19$m=..,t=..,p=..$salt$hash",
 * unpadded standard base64), read and written by onramp itself so that hashing
 * and verification can run through argon2id_ctx() with onramp's own memory
 * callbacks: libargon2 exports no encoder or decoder of its own. The grammar
 * and every refusal are those of libargon2's encoding.c (decode_string,
 * encode_string), so a string verifies here exactly when argon2id_verify()
 * would accept its form.
 */
#ifndef ONRAMP_PHC_H
#define ONRAMP_PHC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "onramp/status.h"

/** Most bytes a salt or hash field can hold (a PHC string is shorter than 160 characters). */
#define PHC_BIN_MAX 120

/** The fields of an Argon2id PHC string. */
typedef struct phc_argon2id {
	uint32_t version;	/* 0x13 = 19; 0x10 when the string has no "$v=" */
	uint32_t m_cost_kib;
	uint32_t t_cost;
	uint32_t lanes;
	uint8_t salt[PHC_BIN_MAX];
	size_t salt_len;
	uint8_t hash[PHC_BIN_MAX];
	size_t hash_len;
} phc_argon2id;

/**
 * Parse s into *out; false when s is not an Argon2id PHC string in
 * libargon2's grammar (parameter ranges are left to argon2id_ctx()).
 */
bool phc_decode(const char *s, phc_argon2id *out);
/** Write p as a PHC string, as argon2id_hash_encoded() would; OR_ERR_LIMIT if it needs more than cap bytes. */
or_status phc_encode(const phc_argon2id *p, char *out, size_t cap);

#endif
