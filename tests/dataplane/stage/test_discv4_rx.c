/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/test_discv4_rx.c - the discv4 ingress stage: every drop
 * reason, the budget, the hash cache, accepted packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/discv4_wire.h"
#include "common/dplink_proto.h"
#include "common/keccak.h"
#include "common/secp.h"
#include "dataplane/stage/discv4_rx.h"

#define NOW_S   1700000000ull
#define NOW_NS  (NOW_S * 1000000000ull)
#define SEC     1000000000ull
/* The monotonic clock at NOW_NS: a machine up for two minutes. Tests
 * move both clocks together through run(); clocks() moves them apart. */
#define MONO_AT_NOW (120 * SEC)

static const uint8_t priv[32] = {
	0x45, 0xa9, 0x15, 0xe4, 0xd0, 0x60, 0x14, 0x9e, 0xb4, 0x36, 0x59,
	0x60, 0xe6, 0xa7, 0xa4, 0x5f, 0x33, 0x43, 0x93, 0x09, 0x30, 0x61,
	0x11, 0x6b, 0x19, 0x7e, 0x32, 0x40, 0x06, 0x5f, 0xf2, 0xd8,
};
static const uint8_t src_a[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
				   10, 0, 0, 1 };
static const uint8_t src_b[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
				   10, 0, 0, 2 };

static _Alignas(64) uint8_t outbuf[MSG_SLOT_SIZE];
#define OUT ((struct msg_discv4_rx *)outbuf)

static size_t make(uint8_t *buf, uint8_t type, uint64_t exp)
{
	struct discv4_packet p;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	p.type = type;
	switch (type) {
	case DISCV4_PING:
		p.u.ping.version = 4;
		p.u.ping.from.ip_len = 4;
		memcpy(p.u.ping.from.ip, src_a, 16);
		p.u.ping.from.udp = p.u.ping.from.tcp = 30303;
		p.u.ping.to = p.u.ping.from;
		p.u.ping.expiration = exp;
		break;
	case DISCV4_PONG:
		p.u.pong.to.ip_len = 4;
		memcpy(p.u.pong.to.ip, src_b, 16);
		p.u.pong.to.udp = 1;
		p.u.pong.expiration = exp;
		break;
	case DISCV4_FINDNODE:
		memset(p.u.findnode.target, 0x11, 64);
		p.u.findnode.expiration = exp;
		break;
	case DISCV4_NEIGHBORS:
		p.u.neighbors.n = 2;
		for (unsigned i = 0; i < 2; i++) {
			p.u.neighbors.nodes[i].ep.ip_len = 4;
			memcpy(p.u.neighbors.nodes[i].ep.ip, src_b, 16);
			p.u.neighbors.nodes[i].ep.udp = 30303;
			memset(p.u.neighbors.nodes[i].id, 0x22 + i, 64);
		}
		p.u.neighbors.expiration = exp;
		break;
	case DISCV4_ENRREQUEST:
		p.u.enrrequest.expiration = exp;
		break;
	case DISCV4_ENRRESPONSE:
		memset(p.u.enrresponse.request_hash, 0x33, 32);
		/* [sig, seq]: a list is all the codec asks of the record. */
		p.u.enrresponse.enr_len = 4;
		memcpy(p.u.enrresponse.enr, "\xc3\x80\x01\x02", 4);
		break;
	}
	n = discv4_encode(buf, DISCV4_MAX_LEN, priv, &p);
	assert_true(n > 0);
	return (size_t)n;
}

/* rehash() fixes the outer hash after the test edited the packet. */
static void rehash(uint8_t *buf, size_t len)
{
	keccak256(buf, buf + 32, len - 32);
}

static struct discv4_rx *stage(uint32_t rate, uint32_t burst, uint32_t cache)
{
	struct discv4_rx_cfg cfg = { .budget_rate = rate,
				     .budget_burst = burst,
				     .cache_slots = cache };
	struct discv4_rx *s = NULL;

	assert_int_equal(discv4_rx_new(&s, &cfg), 0);
	return s;
}

/* run() processes buf at Unix time now, the monotonic clock as far from
 * MONO_AT_NOW as now is from NOW_NS. */
static enum discv4_rx_verdict run(struct discv4_rx *s, const uint8_t *buf,
				  size_t len, const uint8_t *src, uint64_t now)
{
	return discv4_rx_process(s, buf, len, src, 0x5f76,
				 MONO_AT_NOW + (now - NOW_NS), now, OUT,
				 sizeof(outbuf));
}

/* clocks() processes buf with each clock given on its own. */
static enum discv4_rx_verdict clocks(struct discv4_rx *s, const uint8_t *buf,
				     size_t len, const uint8_t *src,
				     uint64_t mono, uint64_t unix_ns)
{
	return discv4_rx_process(s, buf, len, src, 0x5f76, mono, unix_ns,
				 OUT, sizeof(outbuf));
}

static void test_discv4_rx_accepts_all_types(void **st)
{
	struct discv4_rx *s = stage(0, 0, 0);
	uint8_t buf[DISCV4_MAX_LEN], pub[64];

	(void)st;
	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	for (uint8_t t = DISCV4_PING; t <= DISCV4_ENRRESPONSE; t++) {
		size_t len = make(buf, t, NOW_S + 20);

		memset(outbuf, 0xee, sizeof(outbuf));
		assert_int_equal(run(s, buf, len, src_a, NOW_NS),
				 DISCV4_RX_ACCEPT);
		assert_int_equal(OUT->hdr.type, MSG_DISCV4_RX);
		assert_int_equal(OUT->hdr.len, sizeof(*OUT) - 16 + len - 98);
		assert_int_equal(OUT->ptype, t);
		assert_memory_equal(OUT->node_id, pub, 64);
		assert_memory_equal(OUT->hash, buf, 32);
		assert_memory_equal(OUT->src_addr, src_a, 16);
		assert_int_equal(OUT->src_port_be, 0x5f76);
		assert_int_equal(OUT->data_len, len - 98);
		assert_memory_equal(OUT->data, buf + 98, len - 98);
	}
	discv4_rx_free(s);
}

static void test_discv4_rx_drops_size(void **st)
{
	struct discv4_rx *s = stage(0, 0, 0);
	static uint8_t big[1400];
	uint8_t buf[DISCV4_MAX_LEN];
	size_t len = make(buf, DISCV4_PING, NOW_S + 20);

	(void)st;
	assert_int_equal(run(s, buf, 0, src_a, NOW_NS), DISCV4_RX_DROP_SIZE);
	assert_int_equal(run(s, buf, 97, src_a, NOW_NS), DISCV4_RX_DROP_SIZE);
	assert_int_equal(run(s, buf, len - 1, src_a, NOW_NS),
			 DISCV4_RX_DROP_HASH);      /* truncated past 98 */
	assert_int_equal(run(s, big, 1281, src_a, NOW_NS),
			 DISCV4_RX_DROP_SIZE);
	assert_int_equal(run(s, big, sizeof(big), src_a, NOW_NS),
			 DISCV4_RX_DROP_SIZE);
	/* An output buffer too small for the data is a size drop too. */
	assert_int_equal(discv4_rx_process(s, buf, len, src_a, 1, MONO_AT_NOW,
					   NOW_NS, OUT,
					   sizeof(*OUT) + 1),
			 DISCV4_RX_DROP_SIZE);
	discv4_rx_free(s);
}

static void test_discv4_rx_drops_bad_hash(void **st)
{
	struct discv4_rx *s = stage(0, 0, 0);
	uint8_t buf[DISCV4_MAX_LEN];
	size_t len = make(buf, DISCV4_PING, NOW_S + 20);

	(void)st;
	buf[len - 1] ^= 1;
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_DROP_HASH);
	buf[len - 1] ^= 1;
	buf[0] ^= 0x80;
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_DROP_HASH);
	discv4_rx_free(s);
}

static void test_discv4_rx_drops_bad_type(void **st)
{
	struct discv4_rx *s = stage(0, 0, 0);
	uint8_t buf[DISCV4_MAX_LEN];
	size_t len = make(buf, DISCV4_PING, NOW_S + 20);
	static const uint8_t bad[] = { 0, 7, 0x80, 0xff };

	(void)st;
	for (size_t i = 0; i < sizeof(bad); i++) {
		buf[97] = bad[i];
		rehash(buf, len);
		assert_int_equal(run(s, buf, len, src_a, NOW_NS),
				 DISCV4_RX_DROP_TYPE);
	}
	discv4_rx_free(s);
}

static void test_discv4_rx_drops_garbage_rlp(void **st)
{
	struct discv4_rx *s = stage(0, 0, 0);
	uint8_t buf[DISCV4_MAX_LEN];
	size_t len = make(buf, DISCV4_PING, NOW_S + 20);

	(void)st;
	/* Not a list, a list longer than the packet, a list of junk. */
	memset(buf + 98, 0xff, len - 98);
	rehash(buf, len);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_DROP_RLP);
	buf[98] = 0x05;
	rehash(buf, len);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_DROP_RLP);
	buf[98] = 0xc1;
	buf[99] = 0x01;
	rehash(buf, 100);
	assert_int_equal(run(s, buf, 100, src_a, NOW_NS), DISCV4_RX_DROP_RLP);
	discv4_rx_free(s);
}

static void test_discv4_rx_drops_expired(void **st)
{
	struct discv4_rx *s = stage(0, 0, 0);
	uint8_t buf[DISCV4_MAX_LEN];
	size_t len;

	(void)st;
	for (uint8_t t = DISCV4_PING; t <= DISCV4_ENRREQUEST; t++) {
		len = make(buf, t, NOW_S - 1);
		assert_int_equal(run(s, buf, len, src_a, NOW_NS),
				 DISCV4_RX_DROP_EXPIRED);
		/* The same second, half a second later, has passed too. */
		len = make(buf, t, NOW_S);
		assert_int_equal(run(s, buf, len, src_a, NOW_NS + SEC / 2),
				 DISCV4_RX_DROP_EXPIRED);
		assert_int_equal(run(s, buf, len, src_a, NOW_NS),
				 DISCV4_RX_ACCEPT);
	}
	/* ENRResponse carries no expiration (EIP-868). */
	len = make(buf, DISCV4_ENRRESPONSE, 0);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + 1000 * SEC),
			 DISCV4_RX_ACCEPT);
	discv4_rx_free(s);
}

static void test_discv4_rx_drops_bad_signature(void **st)
{
	struct discv4_rx *s = stage(0, 0, 0);
	uint8_t buf[DISCV4_MAX_LEN];
	size_t len = make(buf, DISCV4_PING, NOW_S + 20);

	(void)st;
	memset(buf + 32, 0, 64);        /* r = s = 0 */
	rehash(buf, len);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_DROP_SIG);
	len = make(buf, DISCV4_PING, NOW_S + 20);
	buf[32 + 64] = 4;               /* recovery id out of range */
	rehash(buf, len);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_DROP_SIG);
	discv4_rx_free(s);
}

static void test_discv4_rx_budget(void **st)
{
	struct discv4_rx *s = stage(2, 3, 0);  /* 2/s, bursts of 3 */
	uint8_t buf[DISCV4_MAX_LEN];
	size_t len = make(buf, DISCV4_PING, NOW_S + 60);

	(void)st;
	for (int i = 0; i < 3; i++)
		assert_int_equal(run(s, buf, len, src_a, NOW_NS),
				 DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS),
			 DISCV4_RX_DROP_BUDGET);
	/* Other sources have their own bucket. */
	assert_int_equal(run(s, buf, len, src_b, NOW_NS), DISCV4_RX_ACCEPT);
	/* Half a second refills one packet, not two. */
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + SEC / 2),
			 DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + SEC / 2),
			 DISCV4_RX_DROP_BUDGET);
	/* Junk does not consume budget: the checks before it drop first. */
	buf[len - 1] ^= 1;
	assert_int_equal(run(s, buf, len, src_b, NOW_NS), DISCV4_RX_DROP_HASH);
	buf[len - 1] ^= 1;
	assert_int_equal(run(s, buf, len, src_b, NOW_NS), DISCV4_RX_ACCEPT);
	/* The monotonic clock given backwards (a caller bug) does not
	 * crash or refill. */
	assert_int_equal(run(s, buf, len, src_a, NOW_NS - 10 * SEC),
			 DISCV4_RX_DROP_BUDGET);
	discv4_rx_free(s);
}

/* Budgets, copy gaps and cache lifetimes run on the monotonic clock;
 * only the expiration check reads the Unix time. A wall clock stepped an
 * hour forward or back (NTP, an operator) then refills no budget and
 * drops no cache entry, while expirations still follow the wall. */
static void test_discv4_rx_clocks_independent(void **st)
{
	struct discv4_rx *s = stage(2, 3, 64);
	uint8_t buf[DISCV4_MAX_LEN], buf2[DISCV4_MAX_LEN];
	size_t len = make(buf, DISCV4_PING, NOW_S + 7200);
	size_t len2 = make(buf2, DISCV4_PING, NOW_S + 7201);
	uint64_t m = MONO_AT_NOW;

	(void)st;
	for (int i = 0; i < 3; i++)
		assert_int_equal(clocks(s, buf, len, src_a, m + (uint64_t)i *
					1000000, NOW_NS),
				 i ? DISCV4_RX_ACCEPT_CACHED : DISCV4_RX_ACCEPT);
	m += 3 * 1000000;
	assert_int_equal(clocks(s, buf, len, src_a, m, NOW_NS),
			 DISCV4_RX_DROP_BUDGET);
	/* The wall jumps an hour ahead: still no budget, and the cached
	 * packet is still the cached packet (a copy from elsewhere is a
	 * replay). */
	assert_int_equal(clocks(s, buf, len, src_a, m, NOW_NS + 3600 * SEC),
			 DISCV4_RX_DROP_BUDGET);
	assert_int_equal(clocks(s, buf, len, src_b, m, NOW_NS + 3600 * SEC),
			 DISCV4_RX_DROP_REPLAY);
	/* Past its expiration on the wall clock it is expired, whatever
	 * the monotonic clock says. */
	assert_int_equal(clocks(s, buf, len, src_a, m, NOW_NS + 7201 * SEC),
			 DISCV4_RX_DROP_EXPIRED);
	/* The wall an hour back: not expired, budget still spent. */
	assert_int_equal(clocks(s, buf, len, src_a, m, NOW_NS - 3600 * SEC),
			 DISCV4_RX_DROP_BUDGET);
	/* Half a second of monotonic time refills one, wall clock frozen
	 * (the next packet differs: a copy that soon would be a replay). */
	m += SEC / 2;
	assert_int_equal(clocks(s, buf, len, src_a, m, NOW_NS),
			 DISCV4_RX_ACCEPT_CACHED);
	assert_int_equal(clocks(s, buf2, len2, src_a, m, NOW_NS),
			 DISCV4_RX_DROP_BUDGET);
	/* The cache entry lives 20 s of monotonic time, not until the
	 * packet's expiration two hours off: then it is recovered anew. */
	assert_int_equal(clocks(s, buf, len, src_a, m + 21 * SEC, NOW_NS),
			 DISCV4_RX_ACCEPT);
	discv4_rx_free(s);
}

static void test_discv4_rx_budget_table_evicts(void **st)
{
	struct discv4_rx_cfg cfg = { .budget_rate = 1, .budget_burst = 1,
				     .budget_slots = 4 };
	struct discv4_rx *s = NULL;
	uint8_t buf[DISCV4_MAX_LEN], src[16];
	size_t len = make(buf, DISCV4_PING, NOW_S + 60);

	(void)st;
	assert_int_equal(discv4_rx_new(&s, &cfg), 0);
	/* 100 sources through a 4-entry table: each new one gets a slot. */
	memcpy(src, src_a, 16);
	for (int i = 0; i < 100; i++) {
		src[15] = (uint8_t)i;
		assert_int_equal(run(s, buf, len, src, NOW_NS),
				 DISCV4_RX_ACCEPT);
	}
	src[15] = 99;                   /* the newest is still tracked */
	assert_int_equal(run(s, buf, len, src, NOW_NS), DISCV4_RX_DROP_BUDGET);
	discv4_rx_free(s);
}

/* The per-source budget keys IPv6 on the /64, as the XDP shield does
 * (bpf/shield.h): a host owns a /64, so every address in it is one
 * source, and walking the low 64 bits buys no new budget. IPv4 (mapped)
 * stays per address. */
static void test_discv4_rx_budget_ipv6_per_64(void **st)
{
	struct discv4_rx *s = stage(2, 3, 0);  /* 2/s, bursts of 3 */
	uint8_t buf[DISCV4_MAX_LEN], src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0,
						 1, 0, 2 };
	size_t len = make(buf, DISCV4_PING, NOW_S + 60);
	unsigned ok = 0;

	(void)st;
	/* 64 addresses of 2001:db8:1:2::/64, host bits all over. */
	for (unsigned i = 0; i < 64; i++) {
		src[8] = (uint8_t)(i * 37);
		src[11] = (uint8_t)i;
		src[15] = (uint8_t)(i ^ 0x5a);
		ok += run(s, buf, len, src, NOW_NS) == DISCV4_RX_ACCEPT;
	}
	assert_int_equal(ok, 3);                /* one burst for the /64 */
	/* The next /64 is another source. */
	src[7] = 3;
	assert_int_equal(run(s, buf, len, src, NOW_NS), DISCV4_RX_ACCEPT);
	/* IPv4 sources are still one each (the mapped prefix is not a
	 * /64 of its own). */
	for (unsigned i = 0; i < 8; i++) {
		uint8_t v4[16];

		memcpy(v4, src_a, 16);
		v4[15] = (uint8_t)(100 + i);
		assert_int_equal(run(s, buf, len, v4, NOW_NS),
				 DISCV4_RX_ACCEPT);
	}
	discv4_rx_free(s);
}

/* The replay cache must not favour the attacker: with eviction by the
 * earliest expiry, packets whose expiration is far in the future (any
 * signer may choose it) are never evicted, and each new legitimate entry
 * pushes out the previous legitimate one, whose copies from spoofed
 * sources then pass as fresh packets. The stored expiry is clamped to 20
 * s and the oldest insertion goes first. One set of two ways here. */
static void test_discv4_rx_cache_eviction_not_attacker_favoured(void **st)
{
	uint8_t a1[DISCV4_MAX_LEN], a2[DISCV4_MAX_LEN];
	uint8_t l1[DISCV4_MAX_LEN], l2[DISCV4_MAX_LEN];
	size_t a1n = make(a1, DISCV4_PING, NOW_S + 365 * 86400);
	size_t a2n = make(a2, DISCV4_PING, NOW_S + 365 * 86400 + 1);
	struct discv4_rx *s;
	size_t l1n, l2n;

	(void)st;
	/* Far-future packets first, then two legitimate ones (20 s, as
	 * geth sends): the first legitimate one must still be guarded. */
	s = stage(0, 0, 2);
	l1n = make(l1, DISCV4_PING, NOW_S + 1 + 20);
	l2n = make(l2, DISCV4_FINDNODE, NOW_S + 2 + 20);
	assert_int_equal(run(s, a1, a1n, src_a, NOW_NS), DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, a2, a2n, src_a, NOW_NS), DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, l1, l1n, src_a, NOW_NS + SEC),
			 DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, l2, l2n, src_a, NOW_NS + 2 * SEC),
			 DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, l1, l1n, src_b, NOW_NS + 3 * SEC),
			 DISCV4_RX_DROP_REPLAY);
	assert_int_equal(run(s, l2, l2n, src_b, NOW_NS + 3 * SEC),
			 DISCV4_RX_DROP_REPLAY);
	discv4_rx_free(s);

	/* Far-future entries hold a way for 20 s, not for their year: half
	 * a minute on, two legitimate packets get both ways. */
	s = stage(0, 0, 2);
	l1n = make(l1, DISCV4_PING, NOW_S + 30 + 20);
	l2n = make(l2, DISCV4_FINDNODE, NOW_S + 30 + 20);
	assert_int_equal(run(s, a1, a1n, src_a, NOW_NS), DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, a2, a2n, src_a, NOW_NS), DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, l1, l1n, src_a, NOW_NS + 30 * SEC),
			 DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, l2, l2n, src_a, NOW_NS + 30 * SEC),
			 DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, l1, l1n, src_b, NOW_NS + 31 * SEC),
			 DISCV4_RX_DROP_REPLAY);
	assert_int_equal(run(s, l2, l2n, src_b, NOW_NS + 31 * SEC),
			 DISCV4_RX_DROP_REPLAY);
	discv4_rx_free(s);
}

static void test_discv4_rx_cache_skips_recovery(void **st)
{
	struct discv4_rx *s = stage(0, 0, 64), *nc = stage(0, 0, 0);
	uint8_t buf[DISCV4_MAX_LEN], buf2[DISCV4_MAX_LEN], pub[64];
	size_t len = make(buf, DISCV4_PING, NOW_S + 20), len2;

	(void)st;
	assert_int_equal(secp_pub_from_priv(pub, priv), 0);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_ACCEPT);
	memset(OUT->node_id, 0, 64);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + SEC),
			 DISCV4_RX_ACCEPT_CACHED);
	assert_memory_equal(OUT->node_id, pub, 64);
	assert_memory_equal(OUT->src_addr, src_a, 16);
	/* Replay guard: the same bytes from another source, or beyond
	 * DISCV4_RX_DUP_MAX copies, are replays. */
	assert_int_equal(run(s, buf, len, src_b, NOW_NS + 2 * SEC),
			 DISCV4_RX_DROP_REPLAY);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + 2 * SEC),
			 DISCV4_RX_ACCEPT_CACHED);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + 3 * SEC),
			 DISCV4_RX_ACCEPT_CACHED);
	assert_int_equal(DISCV4_RX_DUP_MAX, 4);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + 4 * SEC),
			 DISCV4_RX_DROP_REPLAY);
	assert_int_equal(discv4_rx_verdict_cnt(DISCV4_RX_DROP_REPLAY),
			 DP_CNT_DROP_REPLAY);
	/* Without a cache every copy is recovered. */
	assert_int_equal(run(nc, buf, len, src_a, NOW_NS), DISCV4_RX_ACCEPT);
	assert_int_equal(run(nc, buf, len, src_a, NOW_NS), DISCV4_RX_ACCEPT);
	/* A different packet is not a hit. */
	len2 = make(buf2, DISCV4_FINDNODE, NOW_S + 20);
	assert_int_equal(run(s, buf2, len2, src_a, NOW_NS), DISCV4_RX_ACCEPT);
	/* A hit still runs every cheaper check first: past its expiration the
	 * cached packet is dropped as expired. */
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + 21 * SEC),
			 DISCV4_RX_DROP_EXPIRED);
	/* ENRResponse entries live DISCV4_RX_CACHE_TTL_NS. */
	len = make(buf, DISCV4_ENRRESPONSE, 0);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + 19 * SEC),
			 DISCV4_RX_ACCEPT_CACHED);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + 21 * SEC),
			 DISCV4_RX_ACCEPT);
	/* A bad signature is never cached. */
	len = make(buf, DISCV4_PING, NOW_S + 20);
	memset(buf + 32, 0, 64);
	rehash(buf, len);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_DROP_SIG);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_DROP_SIG);
	discv4_rx_free(s);
	discv4_rx_free(nc);
}

/* An honest sender repeats a packet byte for byte one round trip later:
 * it pinged us to bond (before a FindNode), our Pong was lost or our
 * ping-back overtook it, so it pings us back within the same expiration
 * second, and RFC 6979 makes that Ping the same bytes. That copy is its
 * only way to get a Pong (geth, with no replay guard, answers it), and a
 * round trip on a LAN is well under a millisecond: such copies are
 * accepted however close together, up to DISCV4_RX_DUP_MAX, which is what
 * bounds a replay from the same source; from any other source a copy is
 * still a replay, even the first. (The stage once dropped copies closer
 * than 100 ms: in `devplane sim` at 20 % loss that dropped 1 datagram in
 * 30, all such Pings.) */
static void test_discv4_rx_honest_copy_one_rtt_later(void **st)
{
	struct discv4_rx *s = stage(500, 1000, 64);
	uint8_t buf[DISCV4_MAX_LEN];
	size_t len = make(buf, DISCV4_PING, NOW_S + 20);
	const uint64_t rtt = 300000;    /* 0.3 ms */

	(void)st;
	assert_int_equal(run(s, buf, len, src_a, NOW_NS), DISCV4_RX_ACCEPT);
	assert_int_equal(run(s, buf, len, src_b, NOW_NS + rtt),
			 DISCV4_RX_DROP_REPLAY);
	/* the ping-back, one round trip on: answered */
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + rtt),
			 DISCV4_RX_ACCEPT_CACHED);
	/* two more copies at once (a revalidation Ping built in the same
	 * second): still honest, still answered */
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + 2 * rtt),
			 DISCV4_RX_ACCEPT_CACHED);
	assert_int_equal(run(s, buf, len, src_a, NOW_NS + 2 * rtt),
			 DISCV4_RX_ACCEPT_CACHED);
	/* a flood of the same bytes from that source gets no more */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(run(s, buf, len, src_a, NOW_NS + 3 * rtt),
				 DISCV4_RX_DROP_REPLAY);
	discv4_rx_free(s);
}

static void test_discv4_rx_verdict_counters(void **st)
{
	static const struct {
		enum discv4_rx_verdict v;
		unsigned cnt;
	} rows[] = {
		{ DISCV4_RX_ACCEPT, DP_CNT_ACCEPTED },
		{ DISCV4_RX_ACCEPT_CACHED, DP_CNT_ACCEPTED },
		{ DISCV4_RX_DROP_SIZE, DP_CNT_DROP_SIZE },
		{ DISCV4_RX_DROP_HASH, DP_CNT_DROP_HASH },
		{ DISCV4_RX_DROP_TYPE, DP_CNT_DROP_TYPE },
		{ DISCV4_RX_DROP_RLP, DP_CNT_DROP_RLP },
		{ DISCV4_RX_DROP_EXPIRED, DP_CNT_DROP_EXPIRED },
		{ DISCV4_RX_DROP_BUDGET, DP_CNT_DROP_BUDGET },
		{ DISCV4_RX_DROP_SIG, DP_CNT_DROP_SIG },
	};

	(void)st;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(discv4_rx_verdict_cnt(rows[i].v),
				 rows[i].cnt);
	assert_string_equal(dp_cnt_name(DP_CNT_DROP_HASH), "drop_hash");
	assert_string_equal(dp_cnt_name(DP_CNT_MAX), "unknown");
}

static void test_discv4_rx_new_rejects_bad_cfg(void **st)
{
	struct discv4_rx_cfg cfg = { .budget_rate = 5 };
	struct discv4_rx *s = NULL;

	(void)st;
	assert_int_equal(discv4_rx_new(&s, &cfg), -EINVAL);
	cfg.budget_burst = 1;
	cfg.cache_slots = 1u << 25;
	assert_int_equal(discv4_rx_new(&s, &cfg), -EINVAL);
	discv4_rx_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discv4_rx_accepts_all_types),
		cmocka_unit_test(test_discv4_rx_drops_size),
		cmocka_unit_test(test_discv4_rx_drops_bad_hash),
		cmocka_unit_test(test_discv4_rx_drops_bad_type),
		cmocka_unit_test(test_discv4_rx_drops_garbage_rlp),
		cmocka_unit_test(test_discv4_rx_drops_expired),
		cmocka_unit_test(test_discv4_rx_drops_bad_signature),
		cmocka_unit_test(test_discv4_rx_budget),
		cmocka_unit_test(test_discv4_rx_budget_table_evicts),
		cmocka_unit_test(test_discv4_rx_budget_ipv6_per_64),
		cmocka_unit_test(test_discv4_rx_clocks_independent),
		cmocka_unit_test(test_discv4_rx_cache_eviction_not_attacker_favoured),
		cmocka_unit_test(test_discv4_rx_cache_skips_recovery),
		cmocka_unit_test(test_discv4_rx_honest_copy_one_rtt_later),
		cmocka_unit_test(test_discv4_rx_verdict_counters),
		cmocka_unit_test(test_discv4_rx_new_rejects_bad_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
