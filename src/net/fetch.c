/*
 * Safe outbound fetch (see include/onramp/fetch.h).  One hop at a time:
 * parse the URL (curl's URL API), resolve the host ourselves, classify every
 * address, pin curl to the first admitted one with CURLOPT_RESOLVE (or
 * CURLOPT_CONNECT_TO for a configured override), and let a socket callback
 * refuse any address other than the pinned one.  Redirects come back to
 * this loop and are checked like the first URL.
 */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "onramp/clock.h"
#include "onramp/fetch.h"
#include "onramp/netaddr.h"
#include "onramp/str.h"

or_status
fetch_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? OR_OK : OR_ERR_INTERNAL;
}

const char *
fetch_error_code(fetch_error e)
{
	static const char *const codes[] = {
		"ok", "bad_url", "scheme", "blocked_address", "dns", "refused", "tls", "http_status", "too_large",
		"timeout", "redirects", "failed"
	};

	return (unsigned)e < sizeof(codes) / sizeof(codes[0]) ? codes[e] : "failed";
}

/* One hop's target: where the URL points and where we connect. */
struct hop {
	char scheme[8];
	char host[256];		/* without brackets */
	int port;
	netaddr addr;		/* the checked address we connect to */
	int connect_port;	/* differs from port only under a connect_to override */
	bool override;
	const char *ca_file;
};

struct sink {
	or_buf buf;
	bool too_large;
};

static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;

	if (buf_append(&s->buf, p, size * n) != OR_OK) {
		s->too_large = true;
		return 0;
	}
	return size * n;
}

/* Refuse a socket to anything but the pinned address (defence in depth against a resolver surprise). */
static curl_socket_t
on_open(void *ctx, curlsocktype purpose, struct curl_sockaddr *sa)
{
	const struct hop *h = ctx;
	const uint8_t *b = NULL;
	int port = 0;

	(void)purpose;
	if (sa->family == AF_INET && h->addr.family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)&sa->addr;
		b = (const uint8_t *)&in->sin_addr;
		port = ntohs(in->sin_port);
	} else if (sa->family == AF_INET6 && h->addr.family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)&sa->addr;
		b = in6->sin6_addr.s6_addr;
		port = ntohs(in6->sin6_port);
	}
	if (b == NULL || port != h->connect_port ||
	    memcmp(b, h->addr.b, h->addr.family == AF_INET ? 4 : 16) != 0)
		return CURL_SOCKET_BAD;
	return socket(sa->family, sa->socktype, sa->protocol);
}

/*
 * The trust store of this process: libcurl's default CAs (its compiled-in
 * bundle and directory) plus the configured extra CA file, parsed once and
 * shared by every handle.  Left to libcurl, each new handle parses the
 * system bundle again: ~23 ms of CPU with OpenSSL 3 (about 140 PEM
 * certificates), paid by every sign-in's token request in the worker
 * (docs/performance.md).  Rebuilt when the extra file changes (a reload);
 * processes are single-threaded.
 */
static X509_STORE *trust;
static char *trust_extra;

static X509_STORE *
trust_store(const char *extra)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	const char *want = extra ? extra : "";
	X509_STORE *s;
	char *copy;

	if (trust && strcmp(trust_extra, want) == 0)
		return trust;
	s = X509_STORE_new();
	copy = strdup(want);
	if (s == NULL || copy == NULL || (v->cainfo && X509_STORE_load_file(s, v->cainfo) != 1) ||
	    (v->capath && X509_STORE_load_path(s, v->capath) != 1) || (*want && X509_STORE_load_file(s, want) != 1)) {
		X509_STORE_free(s);
		free(copy);
		return NULL;
	}
	X509_STORE_free(trust);
	free(trust_extra);
	trust = s;
	trust_extra = copy;
	return trust;
}

static CURLcode
on_ssl_ctx(CURL *c, void *ssl_ctx, void *ctx)
{
	X509_STORE *s = trust_store(((const struct hop *)ctx)->ca_file);

	(void)c;
	if (s == NULL)
		return CURLE_SSL_CACERT_BADFILE;
	SSL_CTX_set1_cert_store((SSL_CTX *)ssl_ctx, s);
	return CURLE_OK;
}

static void fail(arena *a, fetch_result *out, fetch_error e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
fail(arena *a, fetch_result *out, fetch_error e, const char *fmt, ...)
{
	char buf[600];
	va_list ap;

	out->err = e;
	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	out->message = arena_strdup(a, buf);
}

/* Split the URL; false (with out set) when it is unusable. */
static bool
parse_url(const fetch_policy *p, arena *a, const char *url, struct hop *h, fetch_result *out)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	bool ok = false;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		size_t n = strlen(host);
		ok = curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_OK && n > 0 && n < sizeof(h->host);
		if (ok) {
			/* IPv6 literals come back bracketed. */
			if (host[0] == '[' && n > 2) {
				memcpy(h->host, host + 1, n - 2);
				h->host[n - 2] = '\0';
			} else {
				memcpy(h->host, host, n + 1);
			}
			str_copy(h->scheme, sizeof(h->scheme), scheme);
			h->port = (int)strtol(port, NULL, 10);
		}
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_url_cleanup(u);
	if (!ok) {
		fail(a, out, FETCH_BAD_URL, "%.300s is not a usable absolute URL (no user names or passwords in it).", url);
		return false;
	}
	if (strcmp(h->scheme, "https") != 0 && !(p->allow_http && strcmp(h->scheme, "http") == 0)) {
		fail(a, out, FETCH_SCHEME, "Only https URLs can be fetched (%s uses %s).", h->host, h->scheme);
		return false;
	}
	return true;
}

/* A connect_to override for host:port: "host:port:addr:port". */
static bool
override_for(const char *list, struct hop *h)
{
	char entry[400], want[300];
	const char *p = list;

	if (snprintf(want, sizeof(want), "%s:%d:", h->host, h->port) < 0)
		return false;
	while (p && *p) {
		size_t n = strcspn(p, ", ");
		if (n > strlen(want) && n < sizeof(entry) && strncasecmp(p, want, strlen(want)) == 0) {
			char *colon;
			memcpy(entry, p, n);
			entry[n] = '\0';
			colon = strrchr(entry, ':');
			if (colon && colon > entry + strlen(want)) {
				*colon = '\0';
				h->connect_port = (int)strtol(colon + 1, NULL, 10);
				if (netaddr_parse(entry + strlen(want), &h->addr) && h->connect_port > 0)
					return true;
			}
		}
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return false;
}

/* Resolve and check every address; pin the first admitted one. */
static bool
choose_address(const fetch_policy *p, arena *a, struct hop *h, fetch_result *out)
{
	struct addrinfo hints, *res = NULL, *ai;
	char shown[64];
	netaddr cand;
	int rc;

	h->connect_port = h->port;
	/* An operator-configured override is admitted as configured (split DNS, the tests' fixture). */
	if ((h->override = override_for(p->connect_to, h)))
		return true;
	if (netaddr_parse(h->host, &h->addr)) {
		netaddr_class c = netaddr_classify(&h->addr);
		if (c == NETADDR_PUBLIC || netaddr_allowed(p->allowlist, h->host, h->port, &h->addr))
			return true;
		netaddr_format(&h->addr, shown, sizeof(shown));
		fail(a, out, FETCH_BLOCKED, "%s resolves to %s, an address this service does not fetch from "
			"(loopback, private, link-local and other special ranges are blocked).", h->host, shown);
		return false;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(h->host, NULL, &hints, &res)) != 0) {
		fail(a, out, FETCH_DNS, "The host name %s could not be resolved (%s).", h->host, gai_strerror(rc));
		return false;
	}
	/* Every address must pass: a name that also points inside is refused, not raced. */
	for (ai = res; ai; ai = ai->ai_next) {
		memset(&cand, 0, sizeof(cand));
		cand.family = ai->ai_family;
		if (ai->ai_family == AF_INET)
			memcpy(cand.b, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, 4);
		else if (ai->ai_family == AF_INET6)
			memcpy(cand.b, ((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr.s6_addr, 16);
		else
			continue;
		if (netaddr_classify(&cand) != NETADDR_PUBLIC && !netaddr_allowed(p->allowlist, h->host, h->port, &cand)) {
			freeaddrinfo(res);
			netaddr_format(&cand, shown, sizeof(shown));
			fail(a, out, FETCH_BLOCKED, "%s resolves to %s, an address this service does not fetch from "
				"(loopback, private, link-local and other special ranges are blocked).", h->host, shown);
			return false;
		}
		if (h->addr.family == 0)
			h->addr = cand;
	}
	freeaddrinfo(res);
	if (h->addr.family == 0) {
		fail(a, out, FETCH_DNS, "The host name %s has no usable address.", h->host);
		return false;
	}
	return true;
}

static fetch_error
map_curl(CURLcode rc, const struct sink *s)
{
	switch (rc) {
	case CURLE_OK: return FETCH_OK;
	case CURLE_COULDNT_RESOLVE_HOST: return FETCH_DNS;
	case CURLE_COULDNT_CONNECT: return FETCH_REFUSED;
	case CURLE_OPERATION_TIMEDOUT: return FETCH_TIMEOUT;
	case CURLE_FILESIZE_EXCEEDED: return FETCH_TOO_LARGE;
	case CURLE_WRITE_ERROR: return s->too_large ? FETCH_TOO_LARGE : FETCH_FAILED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR: return FETCH_TLS;
	default: return FETCH_FAILED;
	}
}

/* Free a header list after wiping what it holds (an Authorization header carries a secret). */
static void
wipe_slist(struct curl_slist *l)
{
	struct curl_slist *i;

	for (i = l; i; i = i->next)
		OPENSSL_cleanse(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

/* The form body and headers of a request that sends something; false when out of memory. */
static bool
set_send(CURL *c, const fetch_send *send, struct curl_slist **hdrs)
{
	char line[8192];
	int n;

	*hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (*hdrs == NULL)
		return false;
	if (send->authorization) {
		n = snprintf(line, sizeof(line), "Authorization: %s", send->authorization);
		struct curl_slist *t = n > 0 && (size_t)n < sizeof(line) ? curl_slist_append(*hdrs, line) : NULL;
		OPENSSL_cleanse(line, sizeof(line));
		if (t == NULL)
			return false;
		*hdrs = t;
	}
	if (send->form) {
		struct curl_slist *t = curl_slist_append(*hdrs, "Content-Type: application/x-www-form-urlencoded");
		if (t == NULL)
			return false;
		*hdrs = t;
		/* POSTFIELDS, not COPYPOSTFIELDS: curl reads the caller's buffer, which the caller wipes. */
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)send->form_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, send->form);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	return true;
}

/* One request; *next is set to the redirect target when the answer is a redirect. */
static void
one_hop(const fetch_policy *p, arena *a, const char *url, struct hop *h, long deadline, const fetch_send *send,
	fetch_result *out, char **next)
{
	char pin[400];
	struct curl_slist *pins = NULL, *hdrs = NULL;
	struct sink s;
	CURL *c = curl_easy_init();
	CURLcode rc;
	char *loc = NULL;
	long left = deadline - (long)clock_mono_ms();
	char shown[64];

	*next = NULL;
	netaddr_format(&h->addr, shown, sizeof(shown));
	if (h->override)
		snprintf(pin, sizeof(pin), "%s:%d:%s%s%s:%d", h->host, h->port, h->addr.family == AF_INET6 ? "[" : "", shown,
			 h->addr.family == AF_INET6 ? "]" : "", h->connect_port);
	else
		snprintf(pin, sizeof(pin), "%s:%d:%s%s%s", h->host, h->port, h->addr.family == AF_INET6 ? "[" : "", shown,
			 h->addr.family == AF_INET6 ? "]" : "");
	buf_init(&s.buf, p->max_bytes);
	s.too_large = false;
	if (c == NULL || left <= 0 || (pins = curl_slist_append(NULL, pin)) == NULL) {
		fail(a, out, left <= 0 ? FETCH_TIMEOUT : FETCH_FAILED, "%s did not answer in time.", h->host);
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, h->override ? CURLOPT_CONNECT_TO : CURLOPT_RESOLVE, pins);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, h);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, p->allow_http ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, left);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)p->max_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "onramp-sso-check/1");
	/* No CA loading by curl: on_ssl_ctx installs the shared store instead. */
	curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	h->ca_file = p->ca_file;
	curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, h);
	if (send && !set_send(c, send, &hdrs)) {
		fail(a, out, FETCH_FAILED, "The request to %s could not be prepared.", h->host);
		goto out;
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	if (rc != CURLE_OK) {
		fetch_error e = map_curl(rc, &s);
		if (e == FETCH_DNS)
			fail(a, out, e, "The host name %s could not be resolved.", h->host);
		else if (e == FETCH_REFUSED)
			fail(a, out, e, "Could not connect to %s (%s port %d).", h->host, shown, h->connect_port);
		else if (e == FETCH_TOO_LARGE)
			fail(a, out, e, "The document at %s is larger than %zu bytes.", h->host, p->max_bytes);
		else if (e == FETCH_TIMEOUT)
			fail(a, out, e, "%s did not answer within %ld ms.", h->host, p->timeout_ms);
		else if (e == FETCH_TLS)
			fail(a, out, e, "The TLS connection to %s failed: %s.", h->host, curl_easy_strerror(rc));
		else
			fail(a, out, e, "Fetching from %s failed: %s.", h->host, curl_easy_strerror(rc));
	} else if (out->status >= 300 && out->status < 400) {
		if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
			*next = arena_strdup(a, loc);
		else
			fail(a, out, FETCH_REDIRECTS, "%s redirected without a usable Location.", h->host);
	} else if (out->status < 200 || out->status >= 300) {
		fail(a, out, FETCH_HTTP_STATUS, "%s answered with HTTP status %ld.", h->host, out->status);
		if (send) {
			out->body = arena_strndup(a, s.buf.data ? s.buf.data : "", s.buf.len);
			out->len = s.buf.len;
		}
	} else {
		out->err = FETCH_OK;
		out->body = arena_strndup(a, s.buf.data ? s.buf.data : "", s.buf.len);
		out->len = s.buf.len;
		out->final_url = arena_strdup(a, url);
	}
out:
	curl_slist_free_all(pins);
	if (c)
		curl_easy_cleanup(c);
	wipe_slist(hdrs);
	buf_free(&s.buf);
}

static unsigned long started;

unsigned long
fetch_calls(void)
{
	return started;
}

or_status
fetch_url(const fetch_policy *p, arena *a, const char *url, fetch_result *out)
{
	return fetch_request(p, a, url, NULL, out);
}

or_status
fetch_request(const fetch_policy *p, arena *a, const char *url, const fetch_send *send, fetch_result *out)
{
	long deadline = (long)clock_mono_ms() + p->timeout_ms;
	const char *cur = url;
	int hops;

	started++;
	memset(out, 0, sizeof(*out));
	for (hops = 0; hops <= p->max_redirects; hops++) {
		struct hop h;
		char *next = NULL;

		memset(&h, 0, sizeof(h));
		if (!parse_url(p, a, cur, &h, out) || !choose_address(p, a, &h, out))
			return out->message ? OR_OK : OR_ERR_NOMEM;
		one_hop(p, a, cur, &h, deadline, send, out, &next);
		if (next != NULL && send != NULL) {
			/* A request that sends something is never replayed elsewhere. */
			fail(a, out, FETCH_REDIRECTS, "%s answered with a redirect, which this request does not follow.",
			     h.host);
			return OR_OK;
		}
		if (next == NULL)
			return out->err != FETCH_OK && out->message == NULL ? OR_ERR_NOMEM : OR_OK;
		cur = next;
	}
	fail(a, out, FETCH_REDIRECTS, "%.300s redirected more than %d times.", url, p->max_redirects);
	return OR_OK;
}
