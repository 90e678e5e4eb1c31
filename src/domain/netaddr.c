/*
 * Address classification and allowlist matching (see include/onramp/netaddr.h).
 * The ranges are IANA's special-purpose registries (RFC 6890 and successors)
 * plus the ones that matter for server-side request forgery: cloud metadata
 * (link-local), CGNAT, and IPv6 forms that embed an IPv4 address.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "onramp/netaddr.h"

bool
netaddr_parse(const char *s, netaddr *out)
{
	char buf[64];
	size_t n = strlen(s);

	memset(out, 0, sizeof(*out));
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, out->b) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out->b) == 1) {
		out->family = AF_INET6;
		return true;
	}
	return false;
}

/* Does addr (len bytes) start with the first bits of prefix? */
static bool
in_prefix(const uint8_t *addr, const uint8_t *prefix, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(addr, prefix, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return (addr[full] & (uint8_t)(0xff << (8 - rest))) == (prefix[full] & (uint8_t)(0xff << (8 - rest)));
}

static netaddr_class
classify4(const uint8_t *b)
{
	static const struct { uint8_t p[4]; int bits; netaddr_class c; } R[] = {
		{ { 0, 0, 0, 0 }, 8, NETADDR_UNSPECIFIED },
		{ { 10, 0, 0, 0 }, 8, NETADDR_PRIVATE },
		{ { 100, 64, 0, 0 }, 10, NETADDR_CGNAT },
		{ { 127, 0, 0, 0 }, 8, NETADDR_LOOPBACK },
		{ { 169, 254, 0, 0 }, 16, NETADDR_LINK_LOCAL },
		{ { 172, 16, 0, 0 }, 12, NETADDR_PRIVATE },
		{ { 192, 0, 0, 0 }, 24, NETADDR_RESERVED },
		{ { 192, 0, 2, 0 }, 24, NETADDR_DOCUMENTATION },
		{ { 192, 88, 99, 0 }, 24, NETADDR_RESERVED },
		{ { 192, 168, 0, 0 }, 16, NETADDR_PRIVATE },
		{ { 198, 18, 0, 0 }, 15, NETADDR_BENCHMARK },
		{ { 198, 51, 100, 0 }, 24, NETADDR_DOCUMENTATION },
		{ { 203, 0, 113, 0 }, 24, NETADDR_DOCUMENTATION },
		{ { 224, 0, 0, 0 }, 4, NETADDR_MULTICAST },
		{ { 255, 255, 255, 255 }, 32, NETADDR_BROADCAST },
		{ { 240, 0, 0, 0 }, 4, NETADDR_RESERVED },
	};
	size_t i;

	for (i = 0; i < sizeof(R) / sizeof(R[0]); i++)
		if (in_prefix(b, R[i].p, R[i].bits))
			return R[i].c;
	return NETADDR_PUBLIC;
}

static netaddr_class
classify6(const uint8_t *b)
{
	static const uint8_t zero[16] = { 0 }, mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const struct { uint8_t p[4]; int bits; netaddr_class c; } R[] = {
		{ { 0xfe, 0x80 }, 10, NETADDR_LINK_LOCAL },
		{ { 0xfe, 0xc0 }, 10, NETADDR_PRIVATE },	/* site-local (deprecated) */
		{ { 0xfc, 0x00 }, 7, NETADDR_PRIVATE },		/* unique local */
		{ { 0xff, 0x00 }, 8, NETADDR_MULTICAST },
		{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, NETADDR_DOCUMENTATION },
		{ { 0x20, 0x01, 0x00, 0x00 }, 23, NETADDR_RESERVED },	/* Teredo, ORCHID, benchmarking, ... */
		{ { 0x01, 0x00, 0x00, 0x00 }, 64, NETADDR_RESERVED },	/* discard-only (100::/64) */
		{ { 0x3f, 0xff }, 20, NETADDR_DOCUMENTATION },		/* 3fff::/20 */
	};
	size_t i;

	if (memcmp(b, zero, 15) == 0)
		return b[15] == 1 ? NETADDR_LOOPBACK : b[15] == 0 ? NETADDR_UNSPECIFIED : NETADDR_RESERVED;
	/* Forms that carry an IPv4 address: judge the address inside. */
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
		return classify4(b + 12);
	if (b[0] == 0x20 && b[1] == 0x02)
		return classify4(b + 2);
	if (memcmp(b, zero, 12) == 0)
		return NETADDR_RESERVED;	/* IPv4-compatible (deprecated) */
	for (i = 0; i < sizeof(R) / sizeof(R[0]); i++) {
		uint8_t p[16] = { 0 };
		memcpy(p, R[i].p, sizeof(R[i].p));
		if (in_prefix(b, p, R[i].bits))
			return R[i].c;
	}
	/* Only 2000::/3 is global unicast. */
	return (b[0] & 0xe0) == 0x20 ? NETADDR_PUBLIC : NETADDR_RESERVED;
}

netaddr_class
netaddr_classify(const netaddr *a)
{
	if (a->family == AF_INET)
		return classify4(a->b);
	if (a->family == AF_INET6)
		return classify6(a->b);
	return NETADDR_RESERVED;
}

const char *
netaddr_class_name(netaddr_class c)
{
	static const char *const names[] = {
		"public", "unspecified", "loopback", "private", "link-local", "carrier-grade NAT", "multicast",
		"broadcast", "documentation", "benchmarking", "reserved"
	};

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "reserved";
}

void
netaddr_format(const netaddr *a, char *out, size_t outsz)
{
	if (inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->b, out, (socklen_t)outsz) == NULL && outsz)
		out[0] = '\0';
}

/* Split "x:port", "[v6]:port" or a bare x; *port 0 when none. False when malformed. */
static bool
split_port(const char *entry, char *host, size_t hostsz, int *port)
{
	const char *colon, *end = entry + strlen(entry);
	char *e;
	long p;

	*port = 0;
	if (entry[0] == '[') {
		const char *close = strchr(entry, ']');
		if (close == NULL || (size_t)(close - entry) >= hostsz)
			return false;
		memcpy(host, entry, (size_t)(close - entry + 1));
		host[close - entry + 1] = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL)
			return false;
	} else {
		colon = strchr(entry, ':');
		/* More than one colon without brackets: an IPv6 literal or CIDR, no port. */
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		if ((size_t)((colon ? colon : end) - entry) >= hostsz)
			return false;
		memcpy(host, entry, (size_t)((colon ? colon : end) - entry));
		host[(colon ? colon : end) - entry] = '\0';
	}
	if (colon == NULL)
		return true;
	p = strtol(colon + 1, &e, 10);
	if (*e != '\0' || p < 1 || p > 65535)
		return false;
	*port = (int)p;
	return true;
}

/* "a.b.c.d/n" or "v6/n" containing a. */
static bool
cidr_match(const char *spec, const netaddr *a)
{
	char base[64];
	const char *slash = strchr(spec, '/');
	char *e;
	long bits;
	netaddr net;

	if (slash == NULL || (size_t)(slash - spec) >= sizeof(base))
		return false;
	memcpy(base, spec, (size_t)(slash - spec));
	base[slash - spec] = '\0';
	bits = strtol(slash + 1, &e, 10);
	if (*e != '\0' || !netaddr_parse(base, &net) || net.family != a->family || bits < 0 ||
	    bits > (net.family == AF_INET ? 32 : 128))
		return false;
	return in_prefix(a->b, net.b, (int)bits);
}

bool
netaddr_allow_entry(const char *entry, const char *host, int port, const netaddr *a)
{
	char name[256];
	int eport;
	netaddr lit;

	if (!split_port(entry, name, sizeof(name), &eport) || name[0] == '\0')
		return false;
	if (eport && eport != port)
		return false;
	if (strchr(name, '/'))
		return cidr_match(name, a);
	if (netaddr_parse(name, &lit))
		return lit.family == a->family && memcmp(lit.b, a->b, a->family == AF_INET ? 4 : 16) == 0;
	return host && strcasecmp(name, host) == 0;
}

bool
netaddr_allowed(const char *list, const char *host, int port, const netaddr *a)
{
	char entry[300];
	const char *p = list;

	while (p && *p) {
		size_t n;
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		n = strcspn(p, ", \t\n");
		if (n > 0 && n < sizeof(entry)) {
			memcpy(entry, p, n);
			entry[n] = '\0';
			if (netaddr_allow_entry(entry, host, port, a))
				return true;
		}
		p += n;
	}
	return false;
}
