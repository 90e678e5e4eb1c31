/*
 * The secret scanner: decides whether a free-text value a customer typed
 * looks like a secret that must never be stored (private keys, client
 * secrets, JWTs, bearer/session tokens, URLs with credentials or token-like
 * query parameters, this deployment's own invite and reset links, well-known
 * API key formats, payment card numbers, `password=`-style pairs), also inside
 * long base64 runs that decode to text (a base64-encoded PEM key).  Pure: no
 * I/O, no allocation.  Callers answer 422 validation_failed with field code
 * secret_detected and secretscan_kind_message(); the value itself is never
 * echoed, stored or logged.
 */
#ifndef ONRAMP_SECRETSCAN_H
#define ONRAMP_SECRETSCAN_H

#include <stddef.h>

/** What a value looks like. */
typedef enum secretscan_kind {
	SECRET_NONE = 0,
	SECRET_PRIVATE_KEY,		/* -----BEGIN ... PRIVATE KEY----- (RSA, EC, OPENSSH, ENCRYPTED, PGP) */
	SECRET_CLIENT_SECRET,		/* client_secret=..., "client_secret": "..." and the like */
	SECRET_JWT,			/* three base64url segments, header decoding to JSON with "alg" */
	SECRET_BEARER_TOKEN,		/* "Bearer <token>", "Authorization: ...", session cookies */
	SECRET_URL_CREDENTIALS,		/* scheme://user:pass@host, or token-like query parameters */
	SECRET_OWN_LINK,		/* this deployment's invite or password reset links */
	SECRET_API_KEY,			/* AWS, GitHub, GitLab, Slack, Google, Stripe, OpenAI, Azure... */
	SECRET_CARD_NUMBER,		/* 13-19 digits (spaces/dashes allowed) passing Luhn */
	SECRET_PASSWORD_PAIR		/* password=..., secret: ..., pwd=..., api_key=... */
} secretscan_kind;

/** Deployment-specific context: the base URLs whose invite/reset links are secrets. */
typedef struct secretscan_ctx {
	const char *public_base_url;	/* e.g. "https://console.example.com"; may be NULL */
} secretscan_ctx;

/** Scan len bytes of text; the first kind found, or SECRET_NONE. */
secretscan_kind secretscan_check(const secretscan_ctx *ctx, const char *text, size_t len);
/** Stable short name of a kind, e.g. "private_key" (for logs and metrics, never the value). */
const char *secretscan_kind_name(secretscan_kind k);
/** A human sentence naming the kind, e.g. "This looks like a private key. ..." */
const char *secretscan_kind_message(secretscan_kind k);
/** The kind as a noun for a sentence about where it was found, e.g. "a private key". */
const char *secretscan_kind_noun(secretscan_kind k);

#endif
