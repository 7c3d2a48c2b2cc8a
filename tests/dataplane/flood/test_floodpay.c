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
#include "common/dplink_proto.h"
#include "dataplane/stage/disc_rx.h"
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

/* The discv5 kinds at a node running discv5 beside discv4 (the demux of
 * dataplane/stage/disc_rx.h): each ends where floodpay.h says. */
static void test_floodpay_v5_kinds(void **st)
{
	static const uint8_t id[32] = { 0x77, 0x66, [31] = 0x55 };
	static const struct {
		unsigned kind;
		uint8_t msg_kind;       /* 0: dropped */
		unsigned cnt[3];        /* counters it may bump, DP_CNT_MAX:
					 * none */
		size_t min_len, max_len;
	} rows[] = {
		{ FLOODPAY_V5JUNK, 0, { DP_CNT_V5_DROP_PROTO, DP_CNT_DROP_SIZE,
					DP_CNT_DROP_HASH }, 63, 297 },
		{ FLOODPAY_V5PROTO, 0, { DP_CNT_V5_DROP_PROTO,
					 DP_CNT_DROP_SIZE, DP_CNT_DROP_HASH },
		  91, 190 },
		{ FLOODPAY_V5HDR, 0, { DP_CNT_V5_DROP_VERSION,
				       DP_CNT_V5_DROP_FLAG,
				       DP_CNT_V5_DROP_AUTHDATA }, 111, 112 },
		{ FLOODPAY_V5HS, MSG_DISCV5_RX, { DP_CNT_V5_ACCEPTED,
						  DP_CNT_MAX, DP_CNT_MAX },
		  206, 266 },
		{ FLOODPAY_V5MSG, MSG_DISCV5_RX, { DP_CNT_V5_ACCEPTED,
						   DP_CNT_MAX, DP_CNT_MAX },
		  91, 150 },
	};
	struct discv4_rx *s4;
	struct discv5_rx_keys *keys;
	struct discv5_rx *s5;

	(void)st;
	assert_int_equal(discv4_rx_new(&s4, &(struct discv4_rx_cfg){
			.cache_slots = 64 }), 0);
	assert_int_equal(discv5_rx_keys_new(&keys, 1), 0);
	assert_int_equal(discv5_rx_keys_set(keys, 0, id), 0);
	assert_int_equal(discv5_rx_new(&s5, &(struct discv5_rx_cfg){
			.keys = keys }), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t seen[DP_CNT_MAX] = { 0 };
		struct floodpay p;

		init_one(&p, rows[i].kind);
		assert_int_equal(floodpay_set_v5(&p, id), 0);
		for (unsigned r = 0; r < ROUNDS; r++) {
			uint8_t buf[FLOODPAY_MAX_LEN];
			ssize_t n = floodpay_build(&p, buf, sizeof(buf),
						   rows[i].kind, src, 1);
			struct disc_rx_result res;

			assert_true(n > 0);
			assert_in_range((size_t)n, rows[i].min_len,
					rows[i].max_len);
			res = disc_rx_process(s4, s5, buf, (size_t)n, src, 1,
					      0, NOW_NS, NOW_NS, outbuf,
					      sizeof(outbuf));
			assert_int_equal(res.kind, rows[i].msg_kind);
			for (unsigned c = 0; c < res.n_cnt; c++) {
				bool ok = false;

				for (unsigned j = 0; j < 3; j++)
					ok |= res.cnt[c] == rows[i].cnt[j];
				if (!ok)
					fail_msg("kind %s: counter %u",
						 floodpay_kind_name(
							 rows[i].kind),
						 res.cnt[c]);
				seen[res.cnt[c]]++;
			}
			if (rows[i].msg_kind)
				assert_int_equal(
					((struct msg_discv5_rx *)outbuf)->flag,
					rows[i].kind == FLOODPAY_V5HS ? 2 : 0);
		}
		/* v5hdr tells each of its three lies. */
		if (rows[i].kind == FLOODPAY_V5HDR)
			for (unsigned j = 0; j < 3; j++)
				assert_int_equal(seen[rows[i].cnt[j]],
						 ROUNDS / 3);
		/* The junk kinds are all neither protocol's. */
		if (rows[i].cnt[0] == DP_CNT_V5_DROP_PROTO)
			assert_int_equal(seen[DP_CNT_V5_DROP_PROTO], ROUNDS);
		floodpay_fini(&p);
	}
	discv5_rx_free(s5);
	discv5_rx_keys_free(keys);
	discv4_rx_free(s4);
}

/* Without the target's id the masked kinds cannot be built. */
static void test_floodpay_v5_needs_id(void **st)
{
	uint8_t buf[FLOODPAY_MAX_LEN];
	struct floodpay p;
	unsigned mix[FLOODPAY_KIND_MAX] = { 0 };

	(void)st;
	assert_int_equal(floodpay_parse_mix(mix, "v5junk=1,v5proto=2,v5hdr=3,"
					    "v5hs=4,v5msg=5"), 0);
	assert_int_equal(mix[FLOODPAY_V5MSG], 5);
	init_one(&p, FLOODPAY_V5HS);
	assert_int_equal(floodpay_build(&p, buf, sizeof(buf), FLOODPAY_V5HS,
					src, 1), -EINVAL);
	assert_int_equal(floodpay_build(&p, buf, sizeof(buf), FLOODPAY_V5HDR,
					src, 1), -EINVAL);
	assert_true(floodpay_build(&p, buf, sizeof(buf), FLOODPAY_V5JUNK, src,
				   1) > 0);
	assert_true(floodpay_build(&p, buf, sizeof(buf), FLOODPAY_V5PROTO,
				   src, 1) > 0);
	floodpay_fini(&p);
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
		cmocka_unit_test(test_floodpay_v5_kinds),
		cmocka_unit_test(test_floodpay_v5_needs_id),
		cmocka_unit_test(test_floodpay_kinds_meet_their_check),
		cmocka_unit_test(test_floodpay_ping_from_is_the_source),
		cmocka_unit_test(test_floodpay_build_rejects),
		cmocka_unit_test(test_floodpay_pick_follows_mix),
		cmocka_unit_test(test_floodpay_pace),
		cmocka_unit_test(test_floodpay_parse_mix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
