/*
 * Unit tests for the outbound address classifier and allowlist
 * (src/domain/netaddr.c).  Pure: only address literals, no connection.
 */
#include <string.h>
#include <sys/socket.h>

#include "onramp/netaddr.h"
#include "unit.h"

static netaddr_class
cls(const char *s)
{
	netaddr a;

	if (!netaddr_parse(s, &a))
		return (netaddr_class)-1;
	return netaddr_classify(&a);
}

static void
test_ipv4_ranges(void)
{
	CU_ASSERT_EQUAL(cls("8.8.8.8"), NETADDR_PUBLIC);
	CU_ASSERT_EQUAL(cls("93.184.216.34"), NETADDR_PUBLIC);
	CU_ASSERT_EQUAL(cls("127.0.0.1"), NETADDR_LOOPBACK);
	CU_ASSERT_EQUAL(cls("127.255.255.254"), NETADDR_LOOPBACK);
	CU_ASSERT_EQUAL(cls("0.0.0.0"), NETADDR_UNSPECIFIED);
	CU_ASSERT_EQUAL(cls("0.1.2.3"), NETADDR_UNSPECIFIED);
	CU_ASSERT_EQUAL(cls("10.1.2.3"), NETADDR_PRIVATE);
	CU_ASSERT_EQUAL(cls("172.16.0.1"), NETADDR_PRIVATE);
	CU_ASSERT_EQUAL(cls("172.31.255.255"), NETADDR_PRIVATE);
	CU_ASSERT_EQUAL(cls("172.32.0.1"), NETADDR_PUBLIC);
	CU_ASSERT_EQUAL(cls("192.168.1.1"), NETADDR_PRIVATE);
	CU_ASSERT_EQUAL(cls("169.254.169.254"), NETADDR_LINK_LOCAL);	/* cloud metadata */
	CU_ASSERT_EQUAL(cls("100.64.0.1"), NETADDR_CGNAT);
	CU_ASSERT_EQUAL(cls("100.127.255.255"), NETADDR_CGNAT);
	CU_ASSERT_EQUAL(cls("100.128.0.1"), NETADDR_PUBLIC);
	CU_ASSERT_EQUAL(cls("224.0.0.1"), NETADDR_MULTICAST);
	CU_ASSERT_EQUAL(cls("239.255.255.250"), NETADDR_MULTICAST);
	CU_ASSERT_EQUAL(cls("255.255.255.255"), NETADDR_BROADCAST);
	CU_ASSERT_EQUAL(cls("240.0.0.1"), NETADDR_RESERVED);
	CU_ASSERT_EQUAL(cls("192.0.0.8"), NETADDR_RESERVED);
	CU_ASSERT_EQUAL(cls("192.0.2.1"), NETADDR_DOCUMENTATION);
	CU_ASSERT_EQUAL(cls("198.51.100.7"), NETADDR_DOCUMENTATION);
	CU_ASSERT_EQUAL(cls("203.0.113.9"), NETADDR_DOCUMENTATION);
	CU_ASSERT_EQUAL(cls("198.18.0.1"), NETADDR_BENCHMARK);
	CU_ASSERT_EQUAL(cls("198.19.255.255"), NETADDR_BENCHMARK);
}

static void
test_ipv6_ranges(void)
{
	CU_ASSERT_EQUAL(cls("2606:4700:4700::1111"), NETADDR_PUBLIC);
	CU_ASSERT_EQUAL(cls("::1"), NETADDR_LOOPBACK);
	CU_ASSERT_EQUAL(cls("[::1]"), NETADDR_LOOPBACK);
	CU_ASSERT_EQUAL(cls("::"), NETADDR_UNSPECIFIED);
	CU_ASSERT_EQUAL(cls("fe80::1"), NETADDR_LINK_LOCAL);
	CU_ASSERT_EQUAL(cls("febf::1"), NETADDR_LINK_LOCAL);
	CU_ASSERT_EQUAL(cls("fec0::1"), NETADDR_PRIVATE);
	CU_ASSERT_EQUAL(cls("fd00:ec2::254"), NETADDR_PRIVATE);	/* AWS metadata over IPv6 */
	CU_ASSERT_EQUAL(cls("fc00::1"), NETADDR_PRIVATE);
	CU_ASSERT_EQUAL(cls("ff02::1"), NETADDR_MULTICAST);
	CU_ASSERT_EQUAL(cls("2001:db8::1"), NETADDR_DOCUMENTATION);
	CU_ASSERT_EQUAL(cls("2001::1"), NETADDR_RESERVED);	/* Teredo */
	CU_ASSERT_EQUAL(cls("100::1"), NETADDR_RESERVED);
	CU_ASSERT_EQUAL(cls("::2"), NETADDR_RESERVED);
	CU_ASSERT_EQUAL(cls("4000::1"), NETADDR_RESERVED);	/* outside 2000::/3 */
}

static void
test_embedded_ipv4(void)
{
	CU_ASSERT_EQUAL(cls("::ffff:127.0.0.1"), NETADDR_LOOPBACK);
	CU_ASSERT_EQUAL(cls("::ffff:7f00:1"), NETADDR_LOOPBACK);
	CU_ASSERT_EQUAL(cls("::ffff:169.254.169.254"), NETADDR_LINK_LOCAL);
	CU_ASSERT_EQUAL(cls("::ffff:8.8.8.8"), NETADDR_PUBLIC);
	CU_ASSERT_EQUAL(cls("64:ff9b::10.0.0.1"), NETADDR_PRIVATE);
	CU_ASSERT_EQUAL(cls("64:ff9b::8.8.4.4"), NETADDR_PUBLIC);
	CU_ASSERT_EQUAL(cls("2002:7f00:1::"), NETADDR_LOOPBACK);	/* 6to4 of 127.0.0.1 */
	CU_ASSERT_EQUAL(cls("2002:c0a8:101::1"), NETADDR_PRIVATE);
	CU_ASSERT_EQUAL(cls("::127.0.0.1"), NETADDR_RESERVED);	/* IPv4-compatible */
}

static void
test_parse_rejects_non_literals(void)
{
	netaddr a;

	/* inet_pton takes only the dotted quad: 0x7f000001 and 2130706433 are names, resolved (and refused) later. */
	CU_ASSERT_FALSE(netaddr_parse("0x7f000001", &a));
	CU_ASSERT_FALSE(netaddr_parse("2130706433", &a));
	CU_ASSERT_FALSE(netaddr_parse("localhost", &a));
	CU_ASSERT_FALSE(netaddr_parse("127.1", &a));
	CU_ASSERT_FALSE(netaddr_parse("", &a));
	CU_ASSERT_FALSE(netaddr_parse("[]", &a));
	CU_ASSERT_TRUE(netaddr_parse("1.2.3.4", &a));
	CU_ASSERT_EQUAL(a.family, AF_INET);
}

static void
test_allowlist(void)
{
	netaddr lo, lo6, pub;
	char buf[64];

	CU_ASSERT_TRUE(netaddr_parse("127.0.0.1", &lo));
	CU_ASSERT_TRUE(netaddr_parse("::1", &lo6));
	CU_ASSERT_TRUE(netaddr_parse("10.20.30.40", &pub));
	CU_ASSERT_TRUE(netaddr_allow_entry("idp.corp.example", "IDP.corp.example", 443, &pub));
	CU_ASSERT_FALSE(netaddr_allow_entry("idp.corp.example", "evil.example", 443, &pub));
	CU_ASSERT_TRUE(netaddr_allow_entry("idp.corp.example:8443", "idp.corp.example", 8443, &pub));
	CU_ASSERT_FALSE(netaddr_allow_entry("idp.corp.example:8443", "idp.corp.example", 443, &pub));
	CU_ASSERT_TRUE(netaddr_allow_entry("10.0.0.0/8", "x", 443, &pub));
	CU_ASSERT_FALSE(netaddr_allow_entry("10.0.0.0/16", "x", 443, &pub));
	CU_ASSERT_TRUE(netaddr_allow_entry("127.0.0.1:18443", NULL, 18443, &lo));
	CU_ASSERT_FALSE(netaddr_allow_entry("127.0.0.1:18443", NULL, 18444, &lo));
	CU_ASSERT_TRUE(netaddr_allow_entry("[::1]:18443", NULL, 18443, &lo6));
	CU_ASSERT_TRUE(netaddr_allow_entry("::1", NULL, 1, &lo6));
	CU_ASSERT_TRUE(netaddr_allow_entry("::/0", NULL, 1, &lo6));
	CU_ASSERT_FALSE(netaddr_allow_entry("::/0", NULL, 1, &lo));	/* families never mix */
	CU_ASSERT_FALSE(netaddr_allow_entry("127.0.0.1:0", NULL, 1, &lo));
	CU_ASSERT_FALSE(netaddr_allow_entry("10.0.0.0/99", NULL, 1, &pub));
	CU_ASSERT_TRUE(netaddr_allowed("a.example, 127.0.0.1:18443 idp.corp.example", "idp.corp.example", 443, &pub));
	CU_ASSERT_FALSE(netaddr_allowed("a.example, 127.0.0.1:18443", "idp.corp.example", 443, &pub));
	CU_ASSERT_FALSE(netaddr_allowed("", "x", 443, &pub));
	netaddr_format(&lo6, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "::1");
	CU_ASSERT_STRING_EQUAL(netaddr_class_name(NETADDR_LINK_LOCAL), "link-local");
}

static const unit_test tests[] = {
	{ "IPv4 special ranges", test_ipv4_ranges },
	{ "IPv6 special ranges", test_ipv6_ranges },
	{ "IPv6 forms carrying IPv4 are judged by it", test_embedded_ipv4 },
	{ "only literals parse", test_parse_rejects_non_literals },
	{ "allowlist entries", test_allowlist },
	{ NULL, NULL }
};

UNIT_MAIN("netaddr", tests)
