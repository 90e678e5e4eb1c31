/*
 * Shared by the secret scanner's two files (secretscan.c: the rules;
 * secretscan_b64.c: the decoding of base64 runs whose text the rules read
 * again) and nothing else.
 */
#ifndef ONRAMP_SECRETSCAN_INTERNAL_H
#define ONRAMP_SECRETSCAN_INTERNAL_H

#include <stddef.h>

#include "onramp/secretscan.h"

/** Scans len bytes of decoded text with the rules; arg is what secretscan_b64_scan was given. */
typedef secretscan_kind (*secretscan_text_fn)(const void *arg, const unsigned char *text, size_t len);

/**
 * Decode each run of standard base64 in s that is long enough to hide a
 * private key (LIMIT_SECRETSCAN_B64_MIN characters or more, wrapped lines
 * included) and hand its decoded bytes, when they are text, to scan in
 * overlapping windows of at most LIMIT_SECRETSCAN_B64_WINDOW bytes.  The
 * first kind scan returns, or SECRET_NONE.  Linear in n, no allocation.
 */
secretscan_kind secretscan_b64_scan(const unsigned char *s, size_t n, secretscan_text_fn scan, const void *arg);

#endif
