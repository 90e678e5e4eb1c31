/*
 * Address classification for outbound fetches: which IP addresses a fetch of
 * customer-supplied URLs (IdP metadata, OIDC discovery) may connect to.  Pure:
 * it classifies address values and matches allowlist entries; it never
 * resolves or connects.  Anything not plainly public is refused unless an
 * operator allow-listed it (on-prem IdPs, the tests' loopback fixture).
 */
#ifndef ONRAMP_NETADDR_H
#define ONRAMP_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** An IPv4 or IPv6 address (IPv4 kept as 4 bytes). */
typedef struct netaddr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t b[16];
} netaddr;

/** What an address is. Every class but NETADDR_PUBLIC is refused by default. */
typedef enum netaddr_class {
	NETADDR_PUBLIC = 0,
	NETADDR_UNSPECIFIED,	/* 0.0.0.0/8, :: */
	NETADDR_LOOPBACK,	/* 127.0.0.0/8, ::1 */
	NETADDR_PRIVATE,	/* 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10 */
	NETADDR_LINK_LOCAL,	/* 169.254/16 (cloud metadata services live here), fe80::/10 */
	NETADDR_CGNAT,		/* 100.64/10 */
	NETADDR_MULTICAST,	/* 224/4, ff00::/8 */
	NETADDR_BROADCAST,	/* 255.255.255.255 */
	NETADDR_DOCUMENTATION,	/* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 */
	NETADDR_BENCHMARK,	/* 198.18/15 */
	NETADDR_RESERVED	/* 192.0.0/24, 240/4, 100::/64, 2001::/23 special, IPv4-compatible, ... */
} netaddr_class;

/** Parse a literal ("10.0.0.1", "::1", "[::1]"); false when it is not one. */
bool netaddr_parse(const char *s, netaddr *out);
/**
 * Classify an address.  IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96)
 * and 6to4 (2002::/16) addresses are classified by the IPv4 address inside.
 */
netaddr_class netaddr_classify(const netaddr *a);
/** "public", "loopback", "private", ... */
const char *netaddr_class_name(netaddr_class c);
/** Format an address ("10.0.0.1", "::1") into out (at least 46 bytes). */
void netaddr_format(const netaddr *a, char *out, size_t outsz);

/**
 * Does one allowlist entry admit a connection to host:port at address a?
 * Entries: "host", "host:port", "1.2.3.0/24", "1.2.3.4", "1.2.3.4:8443",
 * "[::1]:8443", "fd00::/8".  Host names compare case-insensitively; a
 * port-less entry admits every port.
 */
bool netaddr_allow_entry(const char *entry, const char *host, int port, const netaddr *a);
/** The same over a comma- or space-separated list of entries. */
bool netaddr_allowed(const char *list, const char *host, int port, const netaddr *a);

#endif
