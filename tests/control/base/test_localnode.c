/* SPDX-License-Identifier: MIT */
/* tests/control/base/test_localnode.c - local node ENR, seq bumps, endpoint prediction. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/enode.h"
#include "common/enr.h"
#include "control/base/localnode.h"

#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

static const uint8_t priv1[32] = {
	0xb7, 0x1c, 0x71, 0xa6, 0x7e, 0x11, 0x77, 0xad, 0x4e, 0x90, 0x16,
	0x95, 0xe1, 0xb4, 0xb9, 0xee, 0x17, 0xae, 0x16, 0xc6, 0x66, 0x8d,
	0x31, 0x3e, 0xac, 0x2f, 0x96, 0xdb, 0xcd, 0xa3, 0xf2, 0x91,
};

static void v4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = a;
	out[13] = b;
	out[14] = c;
	out[15] = d;
}

/* The record must verify, carry our key and decode back identically. */
static void check_record(const struct localnode *ln)
{
	const struct enr *r = localnode_record(ln);
	uint8_t buf[ENR_MAX_SIZE], pub[64];
	struct enr back;
	ssize_t n;

	assert_non_null(r);
	assert_int_equal(enr_verify(r), 0);
	assert_int_equal(enr_pubkey(pub, r), 0);
	assert_memory_equal(pub, ln->pub, 64);
	n = enr_encode(buf, sizeof(buf), r);
	assert_true(n > 0);
	assert_int_equal(enr_decode(&back, buf, (size_t)n), n);
	assert_int_equal(enr_verify(&back), 0);
	assert_int_equal(back.seq, localnode_seq(ln));
}

static void test_localnode_first_record_bumps_persisted_seq(void **state)
{
	struct localnode ln;
	uint8_t ip[4];
	uint16_t port;

	(void)state;
	assert_int_equal(localnode_init(&ln, priv1, 41, 30303, 30304), 0);
	assert_null(localnode_record(&ln));
	assert_int_equal(localnode_update(&ln, T0), 1);
	assert_int_equal(localnode_seq(&ln), 42);
	check_record(&ln);
	/* No address known yet: ports only. */
	assert_int_equal(enr_get_ip(localnode_record(&ln), ip), -ENOENT);
	assert_int_equal(enr_get_udp(localnode_record(&ln), &port), 0);
	assert_int_equal(port, 30303);
	assert_int_equal(enr_get_tcp(localnode_record(&ln), &port), 0);
	assert_int_equal(port, 30304);
	/* Nothing changed: same seq. */
	assert_int_equal(localnode_update(&ln, T0 + SEC), 0);
	assert_int_equal(localnode_seq(&ln), 42);
	localnode_fini(&ln);
}

static void test_localnode_rejects_bad_key(void **state)
{
	struct localnode ln;
	uint8_t zero[32] = { 0 };

	(void)state;
	assert_int_equal(localnode_init(&ln, zero, 0, 1, 1), -EINVAL);
}

static void test_localnode_static_ip_and_eth_bump_seq(void **state)
{
	static const uint8_t eth[] = { 0xc7, 0xc6, 0x84, 0xfc, 0x64, 0xec,
				       0x04, 0x80 };
	struct localnode ln;
	uint8_t ip16[16], ip[4], fip[16];
	const uint8_t *val;
	size_t val_len;
	uint16_t udp, tcp;

	(void)state;
	assert_int_equal(localnode_init(&ln, priv1, 0, 30303, 30303), 0);
	v4(fip, 10, 0, 0, 1);
	localnode_set_fallback_ip(&ln, fip);
	assert_int_equal(localnode_update(&ln, T0), 1);
	assert_int_equal(localnode_seq(&ln), 1);
	assert_int_equal(enr_get_ip(localnode_record(&ln), ip), 0);
	assert_memory_equal(ip, fip + 12, 4);

	v4(ip16, 203, 0, 113, 7);
	localnode_set_static_ip(&ln, ip16);
	assert_int_equal(localnode_update(&ln, T0), 1);
	assert_int_equal(localnode_seq(&ln), 2);
	assert_int_equal(enr_get_ip(localnode_record(&ln), ip), 0);
	assert_memory_equal(ip, ip16 + 12, 4);
	assert_true(localnode_endpoint4(&ln, fip, &udp, &tcp));
	assert_memory_equal(fip, ip16, 16);
	assert_int_equal(udp, 30303);

	assert_int_equal(localnode_set_eth(&ln, eth, sizeof(eth)), 0);
	assert_int_equal(localnode_update(&ln, T0), 1);
	assert_int_equal(localnode_seq(&ln), 3);
	assert_int_equal(enr_get_eth(localnode_record(&ln), &val, &val_len),
			 0);
	assert_int_equal(val_len, sizeof(eth));
	assert_memory_equal(val, eth, sizeof(eth));
	check_record(&ln);
	/* Setting the same eth again changes nothing. */
	assert_int_equal(localnode_set_eth(&ln, eth, sizeof(eth)), 0);
	assert_int_equal(localnode_update(&ln, T0), 0);
	assert_int_equal(localnode_seq(&ln), 3);
	/* Removing it does. */
	assert_int_equal(localnode_set_eth(&ln, NULL, 0), 0);
	assert_int_equal(localnode_update(&ln, T0), 1);
	assert_int_equal(localnode_seq(&ln), 4);
	assert_int_equal(enr_get_eth(localnode_record(&ln), &val, &val_len),
			 -ENOENT);
	assert_int_equal(localnode_set_eth(&ln, eth, LOCALNODE_ETH_MAX + 1),
			 -EMSGSIZE);
	localnode_fini(&ln);
}

/* A NAT gateway's answers at run time: the IP it reports and the ports it
 * mapped replace what the record said, each change with a higher seq. */
static void test_localnode_nat_ip_and_ports_at_runtime(void **state)
{
	struct localnode ln;
	uint8_t ip16[16], ip[4], got16[16];
	uint16_t udp, tcp;

	(void)state;
	assert_int_equal(localnode_init(&ln, priv1, 0, 30303, 30303), 0);
	v4(ip16, 10, 0, 0, 2);
	localnode_set_fallback_ip(&ln, ip16);
	assert_int_equal(localnode_update(&ln, T0), 1);
	assert_int_equal(localnode_seq(&ln), 1);
	v4(ip16, 1, 2, 3, 4);
	localnode_set_static_ip(&ln, ip16);
	assert_int_equal(localnode_update(&ln, T0 + 1), 1);
	assert_int_equal(localnode_seq(&ln), 2);
	localnode_set_udp(&ln, 40001);
	localnode_set_tcp(&ln, 40002);
	assert_int_equal(localnode_update(&ln, T0 + 2), 1);
	assert_int_equal(localnode_seq(&ln), 3);
	assert_int_equal(enr_get_ip(localnode_record(&ln), ip), 0);
	assert_memory_equal(ip, ip16 + 12, 4);
	assert_int_equal(enr_get_udp(localnode_record(&ln), &udp), 0);
	assert_int_equal(udp, 40001);
	assert_int_equal(enr_get_tcp(localnode_record(&ln), &tcp), 0);
	assert_int_equal(tcp, 40002);
	assert_true(localnode_endpoint4(&ln, got16, &udp, &tcp));
	assert_memory_equal(got16, ip16, 16);
	assert_int_equal(udp, 40001);
	assert_int_equal(tcp, 40002);
	check_record(&ln);
	/* The same answers again: no new record. */
	localnode_set_static_ip(&ln, ip16);
	localnode_set_udp(&ln, 40001);
	localnode_set_tcp(&ln, 40002);
	assert_int_equal(localnode_update(&ln, T0 + 3), 0);
	assert_int_equal(localnode_seq(&ln), 3);
	/* The gateway's IP changes. */
	v4(ip16, 5, 6, 7, 8);
	localnode_set_static_ip(&ln, ip16);
	assert_int_equal(localnode_update(&ln, T0 + 4), 1);
	assert_int_equal(localnode_seq(&ln), 4);
	assert_int_equal(enr_get_ip(localnode_record(&ln), ip), 0);
	assert_memory_equal(ip, ip16 + 12, 4);
	check_record(&ln);
	localnode_fini(&ln);
}

static void test_localnode_predicts_majority_of_distinct_reporters(void **state)
{
	struct localnode ln;
	uint8_t from[16], seen[16], other[16], ip[16], rip[4];
	uint16_t port;

	(void)state;
	assert_int_equal(localnode_init(&ln, priv1, 0, 30303, 30303), 0);
	localnode_set_min_statements(&ln, 3);
	v4(seen, 198, 51, 100, 9);
	v4(other, 192, 0, 2, 99);
	assert_int_equal(localnode_update(&ln, T0), 1);

	/* The same reporter claiming three times is one vote. */
	v4(from, 1, 1, 1, 1);
	for (int i = 0; i < 3; i++)
		localnode_statement(&ln, from, seen, 4000, T0 + (uint64_t)i);
	assert_false(localnode_predict(&ln, false, ip, &port, T0 + 10));
	assert_int_equal(localnode_update(&ln, T0 + 10), 0);

	/* Two more distinct reporters: three votes, prediction wins. */
	v4(from, 2, 2, 2, 2);
	localnode_statement(&ln, from, seen, 4000, T0 + 20);
	v4(from, 3, 3, 3, 3);
	localnode_statement(&ln, from, other, 5000, T0 + 21);
	assert_false(localnode_predict(&ln, false, ip, &port, T0 + 30));
	v4(from, 4, 4, 4, 4);
	localnode_statement(&ln, from, seen, 4000, T0 + 22);
	assert_true(localnode_predict(&ln, false, ip, &port, T0 + 30));
	assert_memory_equal(ip, seen, 16);
	assert_int_equal(port, 4000);
	assert_int_equal(localnode_update(&ln, T0 + 30), 1);
	assert_int_equal(localnode_seq(&ln), 2);
	assert_int_equal(enr_get_ip(localnode_record(&ln), rip), 0);
	assert_memory_equal(rip, seen + 12, 4);
	assert_int_equal(enr_get_udp(localnode_record(&ln), &port), 0);
	assert_int_equal(port, 4000);
	check_record(&ln);

	/* Statements age out of the window; the record loses the address. */
	assert_false(localnode_predict(&ln, false, ip, &port,
				       T0 + LOCALNODE_TRACK_WINDOW_NS + 30));
	assert_int_equal(localnode_update(&ln,
					  T0 + LOCALNODE_TRACK_WINDOW_NS + 30),
			 1);
	assert_int_equal(enr_get_ip(localnode_record(&ln), rip), -ENOENT);

	/* A static IP beats any prediction. */
	localnode_set_static_ip(&ln, other);
	for (uint8_t i = 10; i < 20; i++) {
		v4(from, i, i, i, i);
		localnode_statement(&ln, from, seen, 4000, T0 + 1000 * SEC);
	}
	assert_int_equal(localnode_update(&ln, T0 + 1000 * SEC), 1);
	assert_int_equal(enr_get_ip(localnode_record(&ln), rip), 0);
	assert_memory_equal(rip, other + 12, 4);
	localnode_fini(&ln);
}

static void test_localnode_ipv6_endpoint(void **state)
{
	struct localnode ln;
	uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, out[16];

	(void)state;
	assert_int_equal(localnode_init(&ln, priv1, 0, 30303, 0), 0);
	localnode_set_static_ip(&ln, ip6);
	assert_int_equal(localnode_update(&ln, T0), 1);
	assert_int_equal(enr_get_ip6(localnode_record(&ln), out), 0);
	assert_memory_equal(out, ip6, 16);
	assert_int_equal(enr_get_ip(localnode_record(&ln), out), -ENOENT);
	check_record(&ln);
	localnode_fini(&ln);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_localnode_first_record_bumps_persisted_seq),
		cmocka_unit_test(test_localnode_rejects_bad_key),
		cmocka_unit_test(test_localnode_static_ip_and_eth_bump_seq),
		cmocka_unit_test(test_localnode_nat_ip_and_ports_at_runtime),
		cmocka_unit_test(test_localnode_predicts_majority_of_distinct_reporters),
		cmocka_unit_test(test_localnode_ipv6_endpoint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
