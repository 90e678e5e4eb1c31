/*
 * Safe outbound fetch of customer-supplied URLs (SAML metadata, OIDC
 * discovery, JWKS) with libcurl: https only unless allowed; the host is
 * resolved here and every address classified (include/onramp/netaddr.h)
 * before connecting; the connection is pinned to the checked address (and a
 * socket callback refuses any other), so DNS rebinding has no gap; redirects
 * are followed by hand and checked again; size, time and redirect limits;
 * no cookies.  Each failure kind has its own code and a sentence.
 */
#ifndef ONRAMP_FETCH_H
#define ONRAMP_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "onramp/arena.h"
#include "onramp/status.h"

/** Why a fetch failed. */
typedef enum fetch_error {
	FETCH_OK = 0,
	FETCH_BAD_URL,		/* not an absolute URL, credentials in it, ... */
	FETCH_SCHEME,		/* not https (http only when allowed) */
	FETCH_BLOCKED,		/* a resolved address is loopback, private, link-local, ... */
	FETCH_DNS,		/* the host name did not resolve */
	FETCH_REFUSED,		/* could not connect */
	FETCH_TLS,		/* handshake or certificate verification failed */
	FETCH_HTTP_STATUS,	/* answered, but not 2xx */
	FETCH_TOO_LARGE,	/* over the size limit */
	FETCH_TIMEOUT,		/* over the time limit */
	FETCH_REDIRECTS,	/* too many redirects, or one without a usable Location */
	FETCH_FAILED		/* anything else */
} fetch_error;

/** What a fetch may do. */
typedef struct fetch_policy {
	bool allow_http;
	const char *allowlist;		/* netaddr_allowed() entries admitting non-public addresses */
	const char *ca_file;		/* extra CA certificates, added to the system store ("" = none) */
	const char *connect_to;		/* "host:port:addr:port,..." overrides (tests, on-prem); "" = none */
	size_t max_bytes;
	long timeout_ms;		/* the whole fetch, redirects included */
	int max_redirects;
} fetch_policy;

/** The outcome. */
typedef struct fetch_result {
	fetch_error err;
	const char *message;		/* a sentence naming the URL's host and the reason */
	long status;			/* the last HTTP status, 0 when none */
	const char *final_url;		/* after redirects */
	const char *body;		/* NUL-terminated copy in the arena (may hold NULs: use len) */
	size_t len;
} fetch_result;

/**
 * What a request sends besides a plain GET (a sign-in's token and userinfo
 * requests).  Such a request follows no redirect (a 3xx is FETCH_REDIRECTS),
 * so neither the form nor the Authorization header ever reaches another URL.
 * The caller owns both buffers and wipes them after the call; libcurl is
 * given the form with CURLOPT_POSTFIELDS, which does not copy it.
 */
typedef struct fetch_send {
	const char *form;		/* application/x-www-form-urlencoded POST body; NULL: GET */
	size_t form_len;
	const char *authorization;	/* Authorization header value, NULL for none */
} fetch_send;

/** Call once per process before fetching. */
or_status fetch_global_init(void);
/** Fetch url under policy; out->err says how it went (the return is OR_OK unless out of memory). */
or_status fetch_url(const fetch_policy *p, arena *a, const char *url, fetch_result *out);
/**
 * fetch_url with a form body and/or an Authorization header (send may be
 * NULL: fetch_url).  On FETCH_HTTP_STATUS the answer's body is kept too (an
 * OAuth error document).  The header copy libcurl keeps in its header list is
 * wiped before it is freed.  Nothing of the request or answer is logged.
 */
or_status fetch_request(const fetch_policy *p, arena *a, const char *url, const fetch_send *send,
			fetch_result *out);
/**
 * How many fetches this process has started: a request that made one has
 * talked to the outside world, so it is never run again after a deadlock.
 */
unsigned long fetch_calls(void);
/** "blocked_address", "dns", ... a stable code for a failure kind. */
const char *fetch_error_code(fetch_error e);

#endif
