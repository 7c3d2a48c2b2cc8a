/* SPDX-License-Identifier: MIT */
/* tests/common/test_enode.c - enode:// URL parsing, formatting and node ids. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/enode.h"
#include "common/hex.h"

/* The EIP-8 / enr.md key b71c71a6...f291: its public key and its node id
 * (enr.md gives the id a448f24c... for this key). */
#define PUB                                                                   \
	"ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138"    \
	"7574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f"
#define PUB_ID "a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7"
/* x of PUB with y + 1: not on the curve. */
#define OFF_CURVE                                                             \
	"ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138"    \
	"7574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc80"
#define E "enode://" PUB "@"

static int parse(struct enode *n, const char *s)
{
	return enode_parse(n, s, strlen(s));
}

static void test_enode_node_id(void **state)
{
	uint8_t pub[64], id[32], want[32];

	(void)state;
	hex_decode(pub, 64, PUB, 128);
	hex_decode(want, 32, PUB_ID, 64);
	enode_id(id, pub);
	assert_memory_equal(id, want, 32);
}

static void test_enode_parse_ipv4(void **state)
{
	static const uint8_t want_ip[16] = { [10] = 0xff, [11] = 0xff,
					     [12] = 10, [13] = 3, [14] = 58,
					     [15] = 6 };
	struct enode n;
	uint8_t pub[64];

	(void)state;
	assert_int_equal(parse(&n, E "10.3.58.6:30303?discport=30301"), 0);
	hex_decode(pub, 64, PUB, 128);
	assert_memory_equal(n.pub, pub, 64);
	assert_int_equal(n.kind, ENODE_HOST_IP4);
	assert_memory_equal(n.ip, want_ip, 16);
	assert_int_equal(n.tcp, 30303);
	assert_int_equal(n.udp, 30301);
	assert_string_equal(n.name, "");

	/* discport defaults to the TCP port; TCP port 0 means no TCP. */
	assert_int_equal(parse(&n, E "10.3.58.6:30303"), 0);
	assert_int_equal(n.udp, 30303);
	assert_int_equal(parse(&n, E "10.3.58.6:0?discport=30301"), 0);
	assert_int_equal(n.tcp, 0);
	assert_int_equal(n.udp, 30301);
	/* Other query parameters are ignored; the first discport counts;
	 * an empty discport means "same as tcp". */
	assert_int_equal(parse(&n, E "1.2.3.4:5?foo=bar&discport=6&discport=7"),
			 0);
	assert_int_equal(n.udp, 6);
	assert_int_equal(parse(&n, E "1.2.3.4:5?discport="), 0);
	assert_int_equal(n.udp, 5);
	/* Upper-case hex and scheme are accepted. */
	assert_int_equal(parse(&n, "ENODE://CA634CAE0D49ACB401D8A4C6B6FE8C55B70D115BF400769CC1400F3258CD3138"
				   "7574077F301B421BC84DF7266C44E9E6D569FC56BE00812904767BF5CCD1FC7F@1.2.3.4:1"),
			 0);
	assert_memory_equal(n.pub, pub, 64);
}

static void test_enode_parse_ipv6_and_names(void **state)
{
	static const uint8_t want_ip6[16] = { 0x20, 0x01, 0x0d, 0xb8,
					      [15] = 0x01 };
	struct enode n;

	(void)state;
	assert_int_equal(parse(&n, E "[2001:db8::1]:30303"), 0);
	assert_int_equal(n.kind, ENODE_HOST_IP6);
	assert_memory_equal(n.ip, want_ip6, 16);
	/* An IPv4-mapped literal is an IPv4 address (net.IP.To4). */
	assert_int_equal(parse(&n, E "[::ffff:1.2.3.4]:1"), 0);
	assert_int_equal(n.kind, ENODE_HOST_IP4);
	assert_int_equal(n.ip[15], 4);
	/* Names are kept as text, never resolved. */
	assert_int_equal(parse(&n, E "boot-1.example.org:30303"), 0);
	assert_int_equal(n.kind, ENODE_HOST_NAME);
	assert_string_equal(n.name, "boot-1.example.org");
	assert_int_equal(parse(&n, E "localhost:1"), 0);
	assert_string_equal(n.name, "localhost");
}

static void test_enode_parse_does_not_read_past_len(void **state)
{
	char s[300];
	struct enode n;
	size_t len;

	(void)state;
	len = (size_t)snprintf(s, sizeof(s), "%s1.2.3.4:30303", E);
	memcpy(s + len, "?discport=1", 12);
	assert_int_equal(enode_parse(&n, s, len), 0);
	assert_int_equal(n.udp, 30303);
	assert_int_equal(enode_parse(&n, s, len - 1), 0);
	assert_int_equal(n.tcp, 3030);
}

static void test_enode_rejects(void **state)
{
	static const struct {
		const char *what, *url;
	} rows[] = {
		/* missing or wrong scheme */
		{ "no scheme", PUB "@1.2.3.4:30303" },
		{ "wrong scheme", "enr://" PUB "@1.2.3.4:30303" },
		{ "one slash", "enode:/" PUB "@1.2.3.4:30303" },
		{ "empty", "" },
		/* short, long, bad hex */
		{ "short hex", "enode://" "ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138"
			       "7574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc"
			       "@1.2.3.4:30303" },
		{ "long hex", "enode://" PUB "00@1.2.3.4:30303" },
		{ "0x prefix", "enode://0x" "ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138"
			       "7574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1"
			       "@1.2.3.4:30303" },
		{ "bad hex", "enode://" "ga634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138"
			     "7574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f"
			     "@1.2.3.4:30303" },
		{ "no id", "enode://1.2.3.4:30303" },
		{ "no host part", "enode://" PUB },
		/* off-curve key */
		{ "off curve", "enode://" OFF_CURVE "@1.2.3.4:30303" },
		{ "zero key", "enode://" "0000000000000000000000000000000000000000000000000000000000000000"
			      "0000000000000000000000000000000000000000000000000000000000000000"
			      "@1.2.3.4:30303" },
		/* bad ports */
		{ "no port", E "1.2.3.4" },
		{ "empty port", E "1.2.3.4:" },
		{ "port too big", E "1.2.3.4:65536" },
		{ "port huge", E "1.2.3.4:99999999999999999999" },
		{ "negative port", E "1.2.3.4:-1" },
		{ "plus port", E "1.2.3.4:+1" },
		{ "port letters", E "1.2.3.4:30a03" },
		{ "bad discport", E "1.2.3.4:30303?discport=x" },
		{ "discport too big", E "1.2.3.4:30303?discport=65536" },
		/* bad hosts */
		{ "empty host", E ":30303" },
		{ "bad ipv4", E "1.2.3.256:30303" },
		{ "short ipv4", E "1.2.3:30303" },
		{ "ipv4 leading zero", E "01.2.3.4:30303" },
		{ "unbracketed ipv6", E "::1:30303" },
		{ "bad ipv6", E "[2001:db8::g]:30303" },
		{ "unclosed bracket", E "[::1:30303" },
		{ "ipv4 in brackets", E "[1.2.3.4]:30303" },
		{ "zone", E "[fe80::1%eth0]:30303" },
		{ "bad name", E "exa_mple.org:30303" },
		{ "empty label", E "a..b:30303" },
		{ "hyphen label", E "-a.b:30303" },
		{ "trailing dot", E "a.b.:30303" },
		{ "path", E "1.2.3.4:30303/" },
		{ "fragment", E "1.2.3.4:30303?discport=1#x" },
		{ "second at", "enode://" PUB "@a@1.2.3.4:30303" },
	};
	struct enode n;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = parse(&n, rows[i].url);

		if (rc != -EBADMSG)
			fail_msg("'%s': got %d, want -EBADMSG", rows[i].what,
				 rc);
	}
	/* An embedded NUL inside len is not a terminator. */
	char s[300];
	size_t len = (size_t)snprintf(s, sizeof(s), "%s1.2.3.4:30303", E);
	s[len - 1] = '\0';
	assert_int_equal(enode_parse(&n, s, len), -EBADMSG);
}

static void test_enode_format_round_trip(void **state)
{
	static const char *const urls[] = {
		E "10.3.58.6:30303?discport=30301",
		E "10.3.58.6:30303",
		E "10.3.58.6:0?discport=30301",
		E "[2001:db8::1]:30303",
		E "[2001:db8:85a3:8d3:1319:8a2e:370:7348]:1?discport=65535",
		E "boot-1.example.org:30303",
		E "0.0.0.0:65535?discport=0",
	};
	char out[ENODE_URL_MAX + 1];
	struct enode n, m;

	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		ssize_t w;

		assert_int_equal(parse(&n, urls[i]), 0);
		w = enode_format(out, sizeof(out), &n);
		assert_int_equal(w, strlen(urls[i]));
		assert_string_equal(out, urls[i]);
		assert_int_equal(enode_parse(&m, out, (size_t)w), 0);
		assert_memory_equal(&m, &n, sizeof(n));
		assert_int_equal(enode_format(out, (size_t)w, &n), -EMSGSIZE);
	}
	/* Normalising forms: mapped IPv6, leading zeros in ports. */
	assert_int_equal(parse(&n, E "[::ffff:1.2.3.4]:030303?discport=030303"),
			 0);
	assert_int_equal(enode_format(out, sizeof(out), &n),
			 strlen(E "1.2.3.4:30303"));
	assert_string_equal(out, E "1.2.3.4:30303");

	n.kind = 0;
	assert_int_equal(enode_format(out, sizeof(out), &n), -EINVAL);
	/* The longest URL fits ENODE_URL_MAX. */
	memset(&n, 0, sizeof(n));
	assert_int_equal(parse(&n, E "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535?discport=65534"), 0);
	assert_true(enode_format(out, sizeof(out), &n) > 0);
	memset(n.name, 'a', ENODE_HOST_MAX);
	for (int i = 63; i < ENODE_HOST_MAX; i += 64)
		n.name[i] = '.';
	n.name[ENODE_HOST_MAX] = '\0';
	n.kind = ENODE_HOST_NAME;
	assert_true(enode_format(out, sizeof(out), &n) > 0);
	assert_int_equal(parse(&m, out), 0);
	assert_string_equal(m.name, n.name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enode_node_id),
		cmocka_unit_test(test_enode_parse_ipv4),
		cmocka_unit_test(test_enode_parse_ipv6_and_names),
		cmocka_unit_test(test_enode_parse_does_not_read_past_len),
		cmocka_unit_test(test_enode_rejects),
		cmocka_unit_test(test_enode_format_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
