/* SPDX-License-Identifier: MIT */
/* tests/dataplane/flood/test_floodpay.c - the flood generator's payloads: each
 * junk kind is dropped by the dataplane's discv4 stage for the reason it
 * is named after; the mix, the pacing and the --mix parser. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/discv4_wire.h"
#include "common/msg.h"
#include "dataplane/stage/discv4_rx.h"
#include "dataplane/flood/floodgen.h"
#include "dataplane/flood/floodpay.h"

#define NOW_S   1700000000ull
#define NOW_NS  (NOW_S * 1000000000ull)
#define SEC     1000000000ull
#define ROUNDS  300

static const uint8_t src[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
				 127, 0, 3, 1 };
static const uint8_t dst[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
				 127, 0, 0, 9 };

static _Alignas(64) uint8_t outbuf[MSG_SLOT_SIZE];

static void init_one(struct floodpay *p, unsigned kind)
{
	unsigned mix[FLOODPAY_KIND_MAX] = { 0 };

	mix[kind] = 1;
	assert_int_equal(floodpay_init(p, mix, dst, htons(30303), NOW_S,
				       10000), 0);
}

/* The table the README and floodpay.h promise: kind -> the check of
 * dataplane/stage/discv4_rx.h that stops it, and the payload sizes. */
static const struct {
	unsigned kind;
	enum discv4_rx_verdict verdict;
	size_t min_len, max_len;
} kinds[] = {
	{ FLOODPAY_SHORT, DISCV4_RX_DROP_SIZE, 1, 97 },
	{ FLOODPAY_LONG, DISCV4_RX_DROP_SIZE, 1281, FLOODPAY_MAX_LEN },
	{ FLOODPAY_SIZE, DISCV4_RX_DROP_SIZE, 1, FLOODPAY_MAX_LEN },
	{ FLOODPAY_TYPE, DISCV4_RX_DROP_TYPE, 98, 297 },
	{ FLOODPAY_HASH, DISCV4_RX_DROP_HASH, 98, 297 },
	{ FLOODPAY_RLP, DISCV4_RX_DROP_RLP, 101, 297 },
	{ FLOODPAY_EXPIRED, DISCV4_RX_DROP_EXPIRED, 98, 1280 },
	{ FLOODPAY_SIG, DISCV4_RX_DROP_SIG, 98, 1280 },
	{ FLOODPAY_PING, DISCV4_RX_ACCEPT, 98, 1280 },
};

static void test_floodpay_kinds_meet_their_check(void **st)
{
	struct discv4_rx_cfg cfg = { .cache_slots = 4096 };  /* no budget */

	(void)st;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct discv4_rx *s = NULL;
		struct floodpay p;
		bool short_seen = false, long_seen = false;

		assert_int_equal(discv4_rx_new(&s, &cfg), 0);
		init_one(&p, kinds[i].kind);
		for (unsigned r = 0; r < ROUNDS; r++) {
			uint8_t buf[FLOODPAY_MAX_LEN];
			/* A port per round: the Pings differ, no replays. */
			uint16_t port_be = htons((uint16_t)(20000 + r));
			ssize_t n = floodpay_build(&p, buf, sizeof(buf),
						   kinds[i].kind, src,
						   port_be);
			enum discv4_rx_verdict v;

			assert_true(n > 0);
			assert_in_range((size_t)n, kinds[i].min_len,
					kinds[i].max_len);
			short_seen |= n < DISCV4_MIN_LEN;
			long_seen |= n > DISCV4_MAX_LEN;
			v = discv4_rx_process(s, buf, (size_t)n, src, port_be,
					      NOW_NS, NOW_NS, (void *)outbuf,
					      sizeof(outbuf));
			if (v != kinds[i].verdict)
				fail_msg("kind %s round %u: verdict %d, want "
					 "%d",
					 floodpay_kind_name(kinds[i].kind), r,
					 v, kinds[i].verdict);
		}
		if (kinds[i].kind == FLOODPAY_SIZE)
			assert_true(short_seen && long_seen);
		floodpay_fini(&p);
		discv4_rx_free(s);
	}
}

/* The signed kinds name the real source in the Ping's `from`, so a node
 * that answers the live ones answers the sender. */
static void test_floodpay_ping_from_is_the_source(void **st)
{
	struct discv4_packet pk;
	struct floodpay p;
	uint8_t buf[FLOODPAY_MAX_LEN];
	ssize_t n;

	(void)st;
	init_one(&p, FLOODPAY_PING);
	n = floodpay_build(&p, buf, sizeof(buf), FLOODPAY_PING, src,
			   htons(4242));
	assert_true(n > 0);
	assert_true(discv4_decode(&pk, buf, (size_t)n) > 0);
	assert_int_equal(pk.type, DISCV4_PING);
	assert_int_equal(pk.u.ping.from.ip_len, 4);
	assert_memory_equal(pk.u.ping.from.ip, src, 16);
	assert_int_equal(pk.u.ping.from.udp, 4242);
	assert_memory_equal(pk.u.ping.to.ip, dst, 16);
	assert_int_equal(pk.u.ping.to.udp, 30303);
	/* Live for the run (10 s) and a minute after it. */
	assert_int_equal(pk.u.ping.expiration, NOW_S + 10 + 60);
	floodpay_fini(&p);
}

static void test_floodpay_build_rejects(void **st)
{
	struct floodpay p;
	uint8_t buf[FLOODPAY_MAX_LEN];
	unsigned none[FLOODPAY_KIND_MAX] = { 0 };

	(void)st;
	assert_int_equal(floodpay_init(&p, none, dst, htons(1), NOW_S, 1000),
			 -EINVAL);
	init_one(&p, FLOODPAY_HASH);
	assert_int_equal(floodpay_build(&p, buf, sizeof(buf) - 1,
					FLOODPAY_HASH, src, htons(1)),
			 -EINVAL);
	assert_int_equal(floodpay_build(&p, buf, sizeof(buf),
					FLOODPAY_KIND_MAX, src, htons(1)),
			 -EINVAL);
	floodpay_fini(&p);
}

static void test_floodpay_pick_follows_mix(void **st)
{
	unsigned mix[FLOODPAY_KIND_MAX] = { 0 }, seen[FLOODPAY_KIND_MAX] = {
		0 };
	struct floodpay p;
	double share;

	(void)st;
	mix[FLOODPAY_HASH] = 1;
	mix[FLOODPAY_RLP] = 3;
	assert_int_equal(floodpay_init(&p, mix, dst, htons(1), NOW_S, 1000),
			 0);
	for (unsigned i = 0; i < 40000; i++)
		seen[floodpay_pick(&p)]++;
	assert_int_equal(seen[FLOODPAY_HASH] + seen[FLOODPAY_RLP], 40000);
	/* 0.75 with a standard deviation of 0.002 over 40000 draws. */
	share = seen[FLOODPAY_RLP] / 40000.0;
	assert_true(share > 0.73 && share < 0.77);
	floodpay_fini(&p);
}

static void test_floodpay_pace(void **st)
{
	struct floodpay_pace pc = { .t0_ns = 5 * SEC, .rate_pps = 1000 };

	(void)st;
	assert_int_equal(floodpay_pace_want(&pc, 5 * SEC, 64), 0);
	/* 10 ms: 10 packets due, the next one at 11 ms. */
	assert_int_equal(floodpay_pace_want(&pc, 5 * SEC + 10000000, 64), 10);
	pc.total = 10;
	assert_int_equal(floodpay_pace_want(&pc, 5 * SEC + 10000000, 64), 0);
	assert_int_equal(floodpay_pace_wait_ns(&pc, 5 * SEC + 10000000),
			 1000000);
	/* Far behind: one burst at a time. */
	assert_int_equal(floodpay_pace_want(&pc, 6 * SEC, 64), 64);
	/* The count caps it. */
	pc.count = 15;
	assert_int_equal(floodpay_pace_want(&pc, 6 * SEC, 64), 5);
	pc.total = 15;
	assert_int_equal(floodpay_pace_want(&pc, 6 * SEC, 64), 0);
	/* No rate: as fast as asked, never a wait. */
	pc.rate_pps = 0;
	pc.count = 0;
	assert_int_equal(floodpay_pace_want(&pc, 5 * SEC, 64), 64);
	assert_int_equal(floodpay_pace_wait_ns(&pc, 5 * SEC), 0);
	/* The largest rate the command line takes, an hour in: no
	 * overflow. */
	pc.rate_pps = UINT32_MAX;
	pc.total = 3600ull * UINT32_MAX - 1;
	assert_int_equal(floodpay_pace_want(&pc, 3605 * SEC, 64), 1);
}

static void test_floodpay_parse_mix(void **st)
{
	unsigned mix[FLOODPAY_KIND_MAX];

	(void)st;
	assert_int_equal(floodpay_parse_mix(mix, "short=1,long=2,type=3,"
					    "hash=4,rlp=5,sig=6,expired=7"),
			 0);
	assert_int_equal(mix[FLOODPAY_SHORT], 1);
	assert_int_equal(mix[FLOODPAY_LONG], 2);
	assert_int_equal(mix[FLOODPAY_TYPE], 3);
	assert_int_equal(mix[FLOODPAY_HASH], 4);
	assert_int_equal(mix[FLOODPAY_RLP], 5);
	assert_int_equal(mix[FLOODPAY_SIG], 6);
	assert_int_equal(mix[FLOODPAY_EXPIRED], 7);
	assert_int_equal(mix[FLOODPAY_SIZE], 0);
	assert_int_equal(mix[FLOODPAY_PING], 0);
	for (unsigned k = 0; k < FLOODPAY_KIND_MAX; k++) {
		char one[32];

		snprintf(one, sizeof(one), "%s=1", floodpay_kind_name(k));
		assert_int_equal(floodpay_parse_mix(mix, one), 0);
		assert_int_equal(mix[k], 1);
	}
	assert_int_equal(floodpay_parse_mix(mix, "bogus=1"), -EINVAL);
	assert_int_equal(floodpay_parse_mix(mix, "rlp"), -EINVAL);
	assert_int_equal(floodpay_parse_mix(mix, "rlp=x"), -EINVAL);
	assert_int_equal(floodpay_parse_mix(mix, "rlp=1000001"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_floodpay_kinds_meet_their_check),
		cmocka_unit_test(test_floodpay_ping_from_is_the_source),
		cmocka_unit_test(test_floodpay_build_rejects),
		cmocka_unit_test(test_floodpay_pick_follows_mix),
		cmocka_unit_test(test_floodpay_pace),
		cmocka_unit_test(test_floodpay_parse_mix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
