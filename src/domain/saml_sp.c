/*
 * The SAML service provider's outgoing messages (include/onramp/saml_sp.h).
 * Documents are written as text with every value escaped, not through a DOM:
 * they are small, fixed in shape, and the tests parse them back.
 */
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "onramp/saml_sp.h"
#include "onramp/str.h"
#include "onramp/timefmt.h"

#define NS_PROTOCOL "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_ASSERTION "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_METADATA "urn:oasis:names:tc:SAML:2.0:metadata"
#define BINDING_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define NAMEID_EMAIL "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
/* Our documents hold a few URLs of bounded length (public_base_url, the IdP's SSO URL). */
#define DOC_MAX (64u * 1024u)

or_status
saml_request_id(char out[SAML_REQUEST_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[32];
	size_t i;

	out[0] = '\0';
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return OR_ERR_INTERNAL;
	out[0] = '_';
	for (i = 0; i < sizeof(rnd); i++) {
		out[1 + 2 * i] = hex[rnd[i] >> 4];
		out[2 + 2 * i] = hex[rnd[i] & 15];
	}
	out[SAML_REQUEST_ID_LEN] = '\0';
	return OR_OK;
}

bool
saml_request_id_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] != '_' || strlen(s) != SAML_REQUEST_ID_LEN)
		return false;
	for (i = 1; i < SAML_REQUEST_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Append each of the NULL-terminated texts: even positions literal, odd ones escaped values. */
static or_status
put(or_buf *b, const char *const *parts)
{
	or_status st = OR_OK;
	size_t i;

	for (i = 0; st == OR_OK && parts[i] != NULL; i++)
		st = i % 2 == 0 ? buf_append_c(b, parts[i]) : buf_append_markup_escaped(b, parts[i]);
	return st;
}

/* The finished buffer as an arena string (the buffer is freed either way). */
static const char *
to_arena(arena *a, or_buf *b, or_status st)
{
	const char *s = st == OR_OK && b->data ? arena_strndup(a, b->data, b->len) : NULL;

	buf_free(b);
	return s;
}

const char *
saml_authn_xml(arena *a, const saml_authn *r)
{
	char when[TIMEFMT_RFC3339_LEN];
	or_buf b;
	const char *parts[] = {
		"<samlp:AuthnRequest xmlns:samlp=\"" NS_PROTOCOL "\" xmlns:saml=\"" NS_ASSERTION "\" ID=\"", r->id,
		"\" Version=\"2.0\" IssueInstant=\"", when,
		"\" Destination=\"", r->destination,
		"\" AssertionConsumerServiceURL=\"", r->acs_url,
		"\" ProtocolBinding=\"" BINDING_POST "\"><saml:Issuer>", r->sp_entity_id,
		"</saml:Issuer><samlp:NameIDPolicy Format=\"" NAMEID_EMAIL "\" AllowCreate=\"true\"/>"
		"</samlp:AuthnRequest>", NULL
	};

	timefmt_rfc3339(r->issue_instant, when);
	buf_init(&b, DOC_MAX);
	return to_arena(a, &b, put(&b, parts));
}

const char *
saml_sp_metadata(arena *a, const char *entity_id, const char *acs_url)
{
	or_buf b;
	const char *parts[] = {
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:md=\"" NS_METADATA
		"\" entityID=\"", entity_id,
		"\">\n  <md:SPSSODescriptor protocolSupportEnumeration=\"" NS_PROTOCOL "\" AuthnRequestsSigned=\"false\" "
		"WantAssertionsSigned=\"true\">\n    <md:NameIDFormat>" NAMEID_EMAIL "</md:NameIDFormat>\n"
		"    <md:AssertionConsumerService Binding=\"" BINDING_POST "\" Location=\"", acs_url,
		"\" index=\"0\" isDefault=\"true\"/>\n  </md:SPSSODescriptor>\n</md:EntityDescriptor>\n", NULL
	};

	buf_init(&b, DOC_MAX);
	return to_arena(a, &b, put(&b, parts));
}

/* Base64 (standard alphabet, padded, one line) of n bytes (arena). */
static char *
b64(arena *a, const unsigned char *in, size_t n)
{
	char *out;

	if (n > DOC_MAX || (out = arena_alloc(a, 4 * ((n + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

const char *
saml_post_value(arena *a, const char *xml)
{
	return b64(a, (const unsigned char *)xml, strlen(xml));
}

/* Raw DEFLATE (RFC 1951, no zlib header: SAML bindings 3.4.4.1) of xml, base64 (arena). */
static char *
deflated_b64(arena *a, const char *xml)
{
	z_stream z;
	size_t n = strlen(xml);
	uLong cap = compressBound((uLong)n) + 16;
	unsigned char *out = arena_alloc(a, cap);
	int rc;

	if (out == NULL || n > DOC_MAX)
		return NULL;
	memset(&z, 0, sizeof(z));
	/*
	 * memLevel 1: the message is under a kilobyte, and zlib's default (8)
	 * sets up ~200 KiB of state per call, which measured ~650 us of CPU
	 * against ~3 us here for the same output.
	 */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 1, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	z.next_in = (Bytef *)(uintptr_t)xml;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	n = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? b64(a, out, n) : NULL;
}

const char *
saml_redirect_url(arena *a, const char *sso_url, const char *xml, const char *relay_state)
{
	const char *req = deflated_b64(a, xml);
	size_t cap, pos;
	char *u;

	if (req == NULL)
		return NULL;
	cap = strlen(sso_url) + 3 * (strlen(req) + strlen(relay_state)) + 32;
	if ((u = arena_alloc(a, cap)) == NULL)
		return NULL;
	pos = str_url_base(u, cap, sso_url);
	pos = str_url_param(u, cap, pos, "SAMLRequest", req);
	pos = str_url_param(u, cap, pos, "RelayState", relay_state);
	return pos == (size_t)-1 ? NULL : u;
}

/* Length of the host[:port] at s that a CSP source may hold (0 when anything else is there, a userinfo too). */
static size_t
authority_len(const char *s)
{
	size_t i, port;

	if (s[0] == '[') {
		i = 1 + strspn(s + 1, "0123456789abcdefABCDEF:.");
		if (i == 1 || s[i] != ']')
			return 0;
		i++;
	} else if ((i = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")) == 0) {
		return 0;
	}
	if (s[i] == ':') {
		port = strspn(s + i + 1, "0123456789");
		if (port == 0 || port > 5)
			return 0;
		i += 1 + port;
	}
	return s[i] == '\0' || s[i] == '/' || s[i] == '?' || s[i] == '#' ? i : 0;
}

bool
saml_sp_secure_context(const char *url)
{
	static const char *const loopback[] = { "127.0.0.1", "localhost", "[::1]" };
	const char *host;
	size_t i, n;

	if (url == NULL)
		return false;
	if (strncasecmp(url, "https://", 8) == 0)
		return true;
	if (strncasecmp(url, "http://", 7) != 0)
		return false;
	host = url + 7;
	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
		n = strlen(loopback[i]);
		/* The whole host: "localhost.evil.example" or "127.0.0.10" is not loopback. */
		if (strncasecmp(host, loopback[i], n) == 0 && (host[n] == '\0' || host[n] == ':' || host[n] == '/'))
			return true;
	}
	return false;
}

const char *
saml_url_origin(arena *a, const char *url)
{
	size_t scheme = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
	size_t n = scheme ? authority_len(url + scheme) : 0;

	return n ? arena_strndup(a, url, scheme + n) : NULL;
}
