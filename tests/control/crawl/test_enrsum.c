/* SPDX-License-Identifier: MIT */
/* tests/control/crawl/test_enrsum.c - the summary's tally by ENR key, eth fork id and eth2 fork digest, on records built and signed with common/enr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/enr.h"
#include "control/crawl/enrsum.h"

static const uint8_t priv[32] = { [31] = 7 };

/* "eth": [[hash, next]] as geth's enrEntry encodes it. */
static void set_eth(struct enr *r, uint32_t hash, uint8_t next)
{
	uint8_t v[] = { 0xc7, 0xc6, 0x84, hash >> 24, hash >> 16, hash >> 8,
			hash, next ? next : 0x80 };

	assert_int_equal(enr_set_raw(r, "eth", v, sizeof(v)), 0);
}

/* "eth2": the 16-byte SSZ ENRForkID as an RLP string. */
static void set_eth2(struct enr *r, uint32_t digest)
{
	uint8_t v[17] = { 0x90, digest >> 24, digest >> 16, digest >> 8,
			  digest, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0xff,
			  0xff, 0xff, 0xff };

	assert_int_equal(enr_set_raw(r, "eth2", v, sizeof(v)), 0);
}

/* A record with an id, a key, ip and udp, signed and decoded again as a
 * crawler receives it. */
static void make(struct enr *out, void (*extra)(struct enr *, unsigned),
		 unsigned arg)
{
	static const uint8_t ip[4] = { 127, 0, 0, 1 };
	uint8_t raw[ENR_MAX_SIZE];
	struct enr r;
	ssize_t n;

	enr_init(&r);
	enr_set_seq(&r, 1);
	assert_int_equal(enr_set_ip(&r, ip), 0);
	assert_int_equal(enr_set_udp(&r, 30303), 0);
	if (extra)
		extra(&r, arg);
	assert_int_equal(enr_sign(&r, priv), 0);
	n = enr_encode(raw, sizeof(raw), &r);
	assert_true(n > 0);
	assert_int_equal(enr_decode(out, raw, (size_t)n), n);
	assert_int_equal(enr_verify(out), 0);
}

static void el_node(struct enr *r, unsigned hash)
{
	set_eth(r, hash, 0);
	assert_int_equal(enr_set_tcp(r, 30303), 0);
	assert_int_equal(enr_set_raw(r, "snap", (const uint8_t *)"\xc0", 1), 0);
}

static void cl_node(struct enr *r, unsigned digest)
{
	static const uint8_t attnets[9] = { 0x88, 0xff };

	set_eth2(r, digest);
	assert_int_equal(enr_set_raw(r, "attnets", attnets, 9), 0);
}

static void bad_entries(struct enr *r, unsigned unused)
{
	(void)unused;
	/* "eth" not a list of fork ids, "eth2" a 3-byte string. */
	assert_int_equal(enr_set_raw(r, "eth", (const uint8_t *)"\x83xyz", 4),
			 0);
	assert_int_equal(enr_set_raw(r, "eth2", (const uint8_t *)"\x83xyz",
				     4), 0);
}

static void custom_key(struct enr *r, unsigned unused)
{
	(void)unused;
	assert_int_equal(enr_set_raw(r, "opstack\x01", (const uint8_t *)"\x01",
				     1), 0);
}

static void tally(void **state)
{
	struct enrsum s;
	struct enr r;
	char text[1024];

	(void)state;
	enrsum_init(&s);
	for (unsigned i = 0; i < 3; i++) {
		make(&r, el_node, 0xfc64ec04);
		enrsum_add(&s, &r);
	}
	make(&r, el_node, 0x12345678);
	enrsum_add(&s, &r);
	for (unsigned i = 0; i < 2; i++) {
		make(&r, cl_node, 0x6a95a1a9);
		enrsum_add(&s, &r);
	}
	make(&r, bad_entries, 0);
	enrsum_add(&s, &r);
	make(&r, custom_key, 0);
	enrsum_add(&s, &r);

	assert_int_equal(s.records, 8);
	assert_int_equal(enrsum_count(&s.keys, "id"), 8);
	assert_int_equal(enrsum_count(&s.keys, "secp256k1"), 8);
	assert_int_equal(enrsum_count(&s.keys, "eth"), 5);
	assert_int_equal(enrsum_count(&s.keys, "snap"), 4);
	assert_int_equal(enrsum_count(&s.keys, "tcp"), 4);
	assert_int_equal(enrsum_count(&s.keys, "eth2"), 3);
	assert_int_equal(enrsum_count(&s.keys, "attnets"), 2);
	assert_int_equal(enrsum_count(&s.keys, "opstack?"), 1);
	assert_int_equal(enrsum_count(&s.eth, "0xfc64ec04/0"), 3);
	assert_int_equal(enrsum_count(&s.eth, "0x12345678/0"), 1);
	assert_int_equal(s.eth_bad, 1);
	assert_int_equal(enrsum_count(&s.eth2, "0x6a95a1a9"), 2);
	assert_int_equal(s.eth2_bad, 1);

	assert_true(enrsum_format(&s, text, sizeof(text)) > 0);
	assert_string_equal(text,
		"enr keys (8 records): id x8, ip x8, secp256k1 x8, udp x8, "
		"eth x5, snap x4, tcp x4, eth2 x3, attnets x2, opstack? x1\n"
		"enr eth fork ids: 0xfc64ec04/0 x3, 0x12345678/0 x1; "
		"1 undecodable\n"
		"enr eth2 fork digests: 0x6a95a1a9 x2; 1 undecodable");
}

static void add_next(struct enr *r, unsigned next)
{
	set_eth(r, 0xabcdef01, (uint8_t)next);
}

static void fork_next(void **state)
{
	struct enrsum s;
	struct enr r;

	(void)state;
	enrsum_init(&s);
	make(&r, add_next, 100);
	enrsum_add(&s, &r);
	assert_int_equal(enrsum_count(&s.eth, "0xabcdef01/100"), 1);
}

/* Past ENRSUM_MAX_VALUES distinct digests: the rest count as "other". */
static void overflow(void **state)
{
	struct enrsum s;
	struct enr r;
	char text[4096];

	(void)state;
	enrsum_init(&s);
	for (unsigned i = 0; i < ENRSUM_MAX_VALUES + 3; i++) {
		make(&r, cl_node, 0x01000000 + i);
		enrsum_add(&s, &r);
	}
	assert_int_equal(s.eth2.n, ENRSUM_MAX_VALUES);
	assert_int_equal(s.eth2.other, 3);
	enrsum_format(&s, text, sizeof(text));
	assert_non_null(strstr(text, ", other x3"));
	assert_non_null(strstr(text, "enr eth fork ids: -\n"));
}

/* An empty tally; truncation keeps a NUL. */
static void empty_and_short(void **state)
{
	struct enrsum s;
	char text[16];

	(void)state;
	enrsum_init(&s);
	assert_int_equal(enrsum_format(&s, text, sizeof(text)), 15);
	assert_int_equal(strlen(text), 15);
	assert_int_equal(enrsum_format(&s, text, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tally),
		cmocka_unit_test(fork_next),
		cmocka_unit_test(overflow),
		cmocka_unit_test(empty_and_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
