/* SPDX-License-Identifier: MIT */
/* tests/control/base/test_netutil.c - IP classification, subnets and CIDR lists (geth's netutil cases). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/base/netutil.h"

static void ip(uint8_t out[NETUTIL_ADDR_LEN], const char *s)
{
	if (netutil_addr_parse(out, s, strlen(s)) != 0)
		fail_msg("test address %s does not parse", s);
}

static void test_netutil_addr_parse(void **state)
{
	uint8_t a[NETUTIL_ADDR_LEN];
	char buf[NETUTIL_ADDRSTRLEN];
	static const uint8_t want4[16] = { [10] = 0xff, [11] = 0xff, 1, 2, 3, 4 };
	static const uint8_t want6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ",
		"fe80::1%eth0", "[::1]", ":::", "1.2.3.4/24", "g::1",
	};
	size_t i;

	(void)state;
	assert_int_equal(netutil_addr_parse(a, "1.2.3.4", 7), 0);
	assert_memory_equal(a, want4, 16);
	assert_true(netutil_addr_is_v4(a));
	assert_string_equal(netutil_addr_format(buf, a), "1.2.3.4");
	assert_int_equal(netutil_addr_parse(a, "2001:db8::1", 11), 0);
	assert_memory_equal(a, want6, 16);
	assert_false(netutil_addr_is_v4(a));
	assert_string_equal(netutil_addr_format(buf, a), "2001:db8::1");
	/* Text 4-in-6 is stored the same as plain IPv4. */
	assert_int_equal(netutil_addr_parse(a, "::ffff:1.2.3.4", 14), 0);
	assert_memory_equal(a, want4, 16);
	/* Length bounds the input. */
	assert_int_equal(netutil_addr_parse(a, "1.2.3.4XYZ", 7), 0);
	assert_memory_equal(a, want4, 16);
	assert_int_equal(netutil_addr_parse(a, "1.2.3\0.4", 8), -EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(netutil_addr_parse(a, bad[i], strlen(bad[i])), -EINVAL);
}

/* geth p2p/netutil TestIsLAN. */
static void test_netutil_is_lan(void **state)
{
	static const char *const inc[] = {
		"127.0.0.1", "10.0.1.1", "10.22.0.3", "172.31.252.251",
		"192.168.1.4", "fe80::f4a1:8eff:fec5:9d9d", "febf::ab32:2233",
		"fc00::4", "::ffff:127.0.0.1", "::ffff:10.10.0.2",
		"169.254.1.1", "::1", "fdff::1", "172.16.0.0",
	};
	static const char *const exc[] = {
		"192.0.2.1", "1.0.0.0", "172.32.0.1", "fec0::2233",
		"::ffff:88.99.100.2", "172.15.255.255", "192.169.0.1", "fe00::1",
		"2001:4860::8888",
	};
	uint8_t a[NETUTIL_ADDR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inc) / sizeof(inc[0]); i++) {
		ip(a, inc[i]);
		if (!netutil_is_lan(a))
			fail_msg("%s should be LAN", inc[i]);
	}
	for (i = 0; i < sizeof(exc) / sizeof(exc[0]); i++) {
		ip(a, exc[i]);
		if (netutil_is_lan(a))
			fail_msg("%s should not be LAN", exc[i]);
	}
}

static void test_netutil_loopback_unspecified(void **state)
{
	uint8_t a[NETUTIL_ADDR_LEN];

	(void)state;
	ip(a, "127.255.0.9");
	assert_true(netutil_is_loopback(a));
	ip(a, "::1");
	assert_true(netutil_is_loopback(a));
	ip(a, "::2");
	assert_false(netutil_is_loopback(a));
	ip(a, "128.0.0.1");
	assert_false(netutil_is_loopback(a));
	ip(a, "0.0.0.0");
	assert_true(netutil_is_unspecified(a));
	ip(a, "::");
	assert_true(netutil_is_unspecified(a));
	ip(a, "0.0.0.1");
	assert_false(netutil_is_unspecified(a));
}

/* geth p2p/netutil TestIsSpecialNetwork, plus more registry ranges. */
static void test_netutil_is_special(void **state)
{
	static const char *const inc[] = {
		"0.0.0.0", "0.2.0.8", "192.0.2.1", "192.0.2.44",
		"2001:db8:85a3:8d3:1319:8a2e:370:7348", "255.255.255.255",
		"224.0.0.22", "ff05::1:3", "::ffff:255.255.255.255",
		"::ffff:192.0.2.1", "198.19.255.255", "198.18.0.0",
		"203.0.113.7", "198.51.100.1", "192.88.99.1", "192.0.0.7",
		"239.255.255.255", "2002::1", "2001::1", "2001:1::1",
		"2001:1f::1", "100::ffff", "2001:4:112::1",
	};
	static const char *const exc[] = {
		"192.0.3.1", "1.0.0.0", "172.32.0.1", "fec0::2233",
		"192.0.0.8", "198.20.0.0", "2001:1::2", "2001:30::1",
		"100:0:0:1::", "223.255.255.255", "2001:4:113::1", "8.8.8.8",
	};
	uint8_t a[NETUTIL_ADDR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inc) / sizeof(inc[0]); i++) {
		ip(a, inc[i]);
		if (!netutil_is_special(a))
			fail_msg("%s should be special", inc[i]);
	}
	for (i = 0; i < sizeof(exc) / sizeof(exc[0]); i++) {
		ip(a, exc[i]);
		if (netutil_is_special(a))
			fail_msg("%s should not be special", exc[i]);
	}
}

/* geth p2p/netutil TestCheckRelayIP. */
static void test_netutil_check_relay(void **state)
{
	static const struct {
		const char *sender, *addr;
		enum netutil_relay want;
	} rows[] = {
		{ "127.0.0.1", "0.0.0.0", NETUTIL_RELAY_UNSPECIFIED },
		{ "192.168.0.1", "0.0.0.0", NETUTIL_RELAY_UNSPECIFIED },
		{ "23.55.1.242", "0.0.0.0", NETUTIL_RELAY_UNSPECIFIED },
		{ "127.0.0.1", "255.255.255.255", NETUTIL_RELAY_SPECIAL },
		{ "192.168.0.1", "255.255.255.255", NETUTIL_RELAY_SPECIAL },
		{ "23.55.1.242", "255.255.255.255", NETUTIL_RELAY_SPECIAL },
		{ "192.168.0.1", "127.0.2.19", NETUTIL_RELAY_LOOPBACK },
		{ "23.55.1.242", "192.168.0.1", NETUTIL_RELAY_LAN },
		{ "127.0.0.1", "127.0.2.19", NETUTIL_RELAY_OK },
		{ "127.0.0.1", "192.168.0.1", NETUTIL_RELAY_OK },
		{ "127.0.0.1", "23.55.1.242", NETUTIL_RELAY_OK },
		{ "192.168.0.1", "192.168.0.1", NETUTIL_RELAY_OK },
		{ "192.168.0.1", "23.55.1.242", NETUTIL_RELAY_OK },
		{ "23.55.1.242", "23.55.1.242", NETUTIL_RELAY_OK },
		{ "2a01::1", "::", NETUTIL_RELAY_UNSPECIFIED },
		{ "2a01::1", "fe80::1", NETUTIL_RELAY_LAN },
		{ "2a01::1", "::1", NETUTIL_RELAY_LOOPBACK },
		{ "fd00::1", "fe80::1", NETUTIL_RELAY_OK },
	};
	uint8_t s[NETUTIL_ADDR_LEN], a[NETUTIL_ADDR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ip(s, rows[i].sender);
		ip(a, rows[i].addr);
		if (netutil_check_relay(s, a) != rows[i].want)
			fail_msg("%s from %s: got %d, want %d", rows[i].addr,
				 rows[i].sender, netutil_check_relay(s, a), rows[i].want);
	}
}

/* geth p2p/netutil TestSameNet. */
static void test_netutil_same_net(void **state)
{
	static const struct {
		const char *a, *b;
		unsigned bits;
		bool want;
	} rows[] = {
		{ "0.0.0.0", "0.0.0.0", 32, true },
		{ "0.0.0.0", "0.0.0.1", 0, true },
		{ "0.0.0.0", "0.0.0.1", 31, true },
		{ "0.0.0.0", "0.0.0.1", 32, false },
		{ "0.33.0.1", "0.34.0.2", 8, true },
		{ "0.33.0.1", "0.34.0.2", 13, true },
		{ "0.33.0.1", "0.34.0.2", 15, false },
		{ "127.0.0.1", "127.0.0.3", 24, true },
		{ "127.3.0.1", "127.5.0.3", 24, false },
		{ "1.2.3.4", "1.2.3.4", 33, false },
		{ "1.2.3.4", "::ffff:1.2.3.4", 32, true },
		{ "1.2.3.4", "::102:304", 8, false },            /* families differ */
		{ "2001:db8:1::", "2001:db8:1:ffff::", 48, true },
		{ "2001:db8:1::", "2001:db8:1:ffff::", 49, false },
	};
	uint8_t a[NETUTIL_ADDR_LEN], b[NETUTIL_ADDR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ip(a, rows[i].a);
		ip(b, rows[i].b);
		if (netutil_same_net(rows[i].bits, a, b) != rows[i].want)
			fail_msg("SameNet(%u, %s, %s) != %d", rows[i].bits,
				 rows[i].a, rows[i].b, rows[i].want);
	}
}

static void test_netutil_subnet_keys(void **state)
{
	uint8_t a[NETUTIL_ADDR_LEN], b[NETUTIL_ADDR_LEN], m[NETUTIL_ADDR_LEN];
	char buf[NETUTIL_ADDRSTRLEN];

	(void)state;
	ip(a, "23.55.1.242");
	ip(b, "23.55.1.7");
	assert_int_equal(netutil_subnet24_key(a), 0x173701);
	assert_int_equal(netutil_subnet24_key(a), netutil_subnet24_key(b));
	ip(b, "23.55.2.7");
	assert_int_not_equal(netutil_subnet24_key(a), netutil_subnet24_key(b));
	/* IPv6: first 24 bits, tagged so it never collides with IPv4. */
	ip(a, "2a01:4f8:1::1");
	assert_int_equal(netutil_subnet24_key(a), 0x1000000 | 0x2a0104);
	ip(b, "2a01:4ff:ffff::9");
	assert_int_equal(netutil_subnet24_key(a), netutil_subnet24_key(b));
	ip(b, "::2a01:400");          /* low bits equal a's prefix; family differs */
	ip(a, "42.1.4.0");
	assert_int_not_equal(netutil_subnet24_key(a), netutil_subnet24_key(b));

	ip(a, "23.55.1.242");
	netutil_subnet(m, a, 24);
	assert_string_equal(netutil_addr_format(buf, m), "23.55.1.0");
	netutil_subnet(m, a, 12);
	assert_string_equal(netutil_addr_format(buf, m), "23.48.0.0");
	netutil_subnet(m, a, 0);
	assert_string_equal(netutil_addr_format(buf, m), "0.0.0.0");
	assert_true(netutil_addr_is_v4(m));
	netutil_subnet(m, a, 99);
	assert_memory_equal(m, a, 16);
	ip(a, "2a01:4f8:1:2:3:4:5:6");
	netutil_subnet(m, a, 64);
	assert_string_equal(netutil_addr_format(buf, m), "2a01:4f8:1:2::");
	netutil_subnet(m, a, 22);
	assert_string_equal(netutil_addr_format(buf, m), "2a01:400::");
	netutil_subnet(m, a, 20);
	assert_string_equal(netutil_addr_format(buf, m), "2a01::");
}

static void test_netutil_prefix_parse(void **state)
{
	static const struct {
		const char *s;
		const char *addr;       /* masked network address */
		unsigned bits;
		bool v4;
	} good[] = {
		{ "127.0.0.0/8", "127.0.0.0", 8, true },
		{ "23.23.23.23/24", "23.23.23.0", 24, true },
		{ "0.0.0.0/0", "0.0.0.0", 0, true },
		{ "1.2.3.4/32", "1.2.3.4", 32, true },
		{ "2001:db8::/32", "2001:db8::", 32, false },
		{ "2001:db8::1/128", "2001:db8::1", 128, false },
		{ "fe80::1/10", "fe80::", 10, false },
		{ "::ffff:1.2.3.4/120", "1.2.3.0", 120, false },
	};
	/* Go's netip.ParsePrefix errors: out of range, missing or malformed
	 * bits, bad address, zones. */
	static const char *const bad[] = {
		"127.0.0.0/44", "127.0.0.0/33", "::/129", "127.0.0.0",
		"127.0.0.0/", "127.0.0.0/-1", "127.0.0.0/+8", "127.0.0.0/08",
		"127.0.0.0/8/8", "127.0.0/8", "/8", "fe80::1%eth0/64",
		"127.0.0.0/1000", "127.0.0.0/ 8", "localhost/8", "1.2.3.4/3a",
	};
	struct netutil_prefix p;
	uint8_t want[NETUTIL_ADDR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (netutil_prefix_parse(&p, good[i].s, strlen(good[i].s)) != 0)
			fail_msg("%s should parse", good[i].s);
		ip(want, good[i].addr);
		assert_memory_equal(p.addr, want, 16);
		assert_int_equal(p.bits, good[i].bits);
		assert_int_equal(p.v4, good[i].v4);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (netutil_prefix_parse(&p, bad[i], strlen(bad[i])) != -EINVAL)
			fail_msg("%s should be rejected", bad[i]);
}

static void test_netutil_prefix_contains(void **state)
{
	static const struct {
		const char *prefix, *addr;
		bool want;
	} rows[] = {
		{ "127.0.0.0/8", "127.1.2.3", true },
		{ "127.0.0.0/8", "128.0.0.1", false },
		{ "10.1.0.0/16", "10.1.255.255", true },
		{ "10.1.0.0/16", "10.2.0.0", false },
		{ "0.0.0.0/0", "8.8.8.8", true },
		{ "0.0.0.0/0", "2001:db8::1", false },          /* v4 vs v6 */
		{ "::/0", "2001:db8::1", true },
		{ "::/0", "8.8.8.8", false },                   /* as netip */
		{ "::ffff:0:0/96", "8.8.8.8", false },
		{ "2001:db8::/32", "2001:db8:ffff::1", true },
		{ "2001:db8::/32", "2001:db9::1", false },
		{ "1.2.3.4/31", "1.2.3.5", true },
		{ "1.2.3.4/31", "1.2.3.6", false },
	};
	struct netutil_prefix p;
	uint8_t a[NETUTIL_ADDR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(netutil_prefix_parse(&p, rows[i].prefix,
						      strlen(rows[i].prefix)), 0);
		ip(a, rows[i].addr);
		if (netutil_prefix_contains(&p, a) != rows[i].want)
			fail_msg("%s in %s: want %d", rows[i].addr, rows[i].prefix,
				 rows[i].want);
	}
}

/* geth p2p/netutil TestParseNetlist, TestNilNetListContains. */
static void test_netutil_netlist(void **state)
{
	struct netutil_prefix l[4];
	size_t n = 99;
	uint8_t a[NETUTIL_ADDR_LEN];
	const char *s;

	(void)state;
	assert_int_equal(netutil_netlist_parse(l, 4, &n, "", 0), 0);
	assert_int_equal(n, 0);
	ip(a, "1.2.3.4");
	assert_false(netutil_netlist_contains(l, n, a));

	s = "127.0.0.0/8";
	assert_int_equal(netutil_netlist_parse(l, 4, &n, s, strlen(s)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(l[0].bits, 8);

	s = "127.0.0.0/16, 23.23.23.23/24,";
	assert_int_equal(netutil_netlist_parse(l, 4, &n, s, strlen(s)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(l[0].bits, 16);
	assert_int_equal(l[1].bits, 24);
	ip(a, "23.23.23.99");
	assert_true(netutil_netlist_contains(l, n, a));
	ip(a, "127.1.0.1");
	assert_false(netutil_netlist_contains(l, n, a));
	ip(a, "127.0.0.1");
	assert_true(netutil_netlist_contains(l, n, a));

	/* Whitespace anywhere is ignored, as geth's strings.Replacer does. */
	s = " ,\t10.0.0.0 /8 ,\n,, fd00::/ 8";
	assert_int_equal(netutil_netlist_parse(l, 4, &n, s, strlen(s)), 0);
	assert_int_equal(n, 2);
	ip(a, "fdab::1");
	assert_true(netutil_netlist_contains(l, n, a));

	n = 77;
	s = "127.0.0.0/44";
	assert_int_equal(netutil_netlist_parse(l, 4, &n, s, strlen(s)), -EINVAL);
	s = "10.0.0.0/8,banana";
	assert_int_equal(netutil_netlist_parse(l, 4, &n, s, strlen(s)), -EINVAL);
	s = "10.0.0.0/8;11.0.0.0/8";
	assert_int_equal(netutil_netlist_parse(l, 4, &n, s, strlen(s)), -EINVAL);
	s = "1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,5.0.0.0/8";
	assert_int_equal(netutil_netlist_parse(l, 4, &n, s, strlen(s)), -ENOBUFS);
	s = "10.0.0.0/8\0,11.0.0.0/8";
	assert_int_equal(netutil_netlist_parse(l, 4, &n, s, 22), -EINVAL);
	s = "1111:2222:3333:4444:5555:6666:7777:8888:9999/128";
	assert_int_equal(netutil_netlist_parse(l, 4, &n, s, strlen(s)), -EINVAL);
	assert_int_equal(n, 77);        /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netutil_addr_parse),
		cmocka_unit_test(test_netutil_is_lan),
		cmocka_unit_test(test_netutil_loopback_unspecified),
		cmocka_unit_test(test_netutil_is_special),
		cmocka_unit_test(test_netutil_check_relay),
		cmocka_unit_test(test_netutil_same_net),
		cmocka_unit_test(test_netutil_subnet_keys),
		cmocka_unit_test(test_netutil_prefix_parse),
		cmocka_unit_test(test_netutil_prefix_contains),
		cmocka_unit_test(test_netutil_netlist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
