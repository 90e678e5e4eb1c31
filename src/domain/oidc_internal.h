/*
 * Helpers shared by the OIDC discovery and JWKS checkers (oidc_disc.c,
 * oidc_jwks.c) and nothing else: bounded JSON parsing of IdP documents,
 * base64 decoding and the small URL splitter the https rules use.
 */
#ifndef ONRAMP_OIDC_INTERNAL_H
#define ONRAMP_OIDC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "onramp/arena.h"
#include "onramp/sso_report.h"

/** The parts of an absolute http(s) URL, as views into the string given. */
typedef struct oidc_url {
	bool https;		/* scheme is https (else http) */
	const char *host;	/* authority without port */
	size_t hostlen;
	const char *rest;	/* from the first '/', '?' or '#' after the authority ("" if none) */
	bool has_userinfo, has_query, has_fragment;
} oidc_url;

/**
 * Parse an IdP JSON document: strip a UTF-8 BOM, refuse more than
 * LIMIT_OIDC_JSON_BYTES, NUL bytes, nesting deeper than LIMIT_OIDC_JSON_DEPTH,
 * invalid UTF-8 and anything but whitespace after the value.  Returns a
 * json-c reference the caller puts, or NULL with *why set to a sentence.
 */
json_object *oidc_json_parse(const char *json, size_t len, const char **why);
/**
 * oidc_json_parse, then require an object; adds check key (ok or failed,
 * naming what, e.g. "discovery document") to out.  NULL when not usable.
 */
json_object *oidc_json_object(arena *a, const char *json, size_t len, const char *key, const char *what,
			      sso_report *out);
/** A string member of obj, or NULL when absent or not a string. */
const char *oidc_json_str(json_object *obj, const char *name);
/** Decode base64 or base64url (padding optional, no whitespace) into arena bytes; NULL on error. */
unsigned char *oidc_b64_decode(arena *a, const char *s, size_t len, size_t *outlen);
/** Split an absolute http/https URL; false when it is not one (bad scheme, empty or bad host, spaces). */
bool oidc_url_split(const char *s, oidc_url *u);

#endif
