/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/test_disc_rx.c - the discovery demux: discv4 and
 * discv5 on one port, one verdict per datagram, the counters bumped. */
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
#include "dataplane/stage/disc_rx.h"
#include "tests/dataplane/stage/v5pkt.h"

#define SEC     1000000000ull
#define NOW_S   1700000000ull
#define UNIX_NS (NOW_S * SEC)
#define MONO    (50 * SEC)

static const uint8_t priv[32] = { 0x45, 0xa9, 0x15, 0xe4, [31] = 0xd8 };
static const uint8_t id_a[32] = { 0xa1, 0xa2, 0xa3, [31] = 0xaf };
static const uint8_t src[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 9 };

static _Alignas(64) uint8_t outbuf[MSG_SLOT_SIZE];

struct fx {
	struct discv4_rx *v4;
	struct discv5_rx_keys *keys;
	struct discv5_rx *v5;
};

/* Socket 0 has discv5 (node A), socket 1 not. */
static void setup(struct fx *f, uint32_t rate, uint32_t burst)
{
	struct discv4_rx_cfg c4 = { .budget_rate = rate,
				    .budget_burst = burst,
				    .cache_slots = 64 };
	struct discv5_rx_cfg c5 = { 0 };

	assert_int_equal(discv4_rx_new(&f->v4, &c4), 0);
	assert_int_equal(discv5_rx_keys_new(&f->keys, 2), 0);
	assert_int_equal(discv5_rx_keys_set(f->keys, 0, id_a), 0);
	c5.keys = f->keys;
	c5.budget = discv4_rx_budget(f->v4);
	assert_int_equal(discv5_rx_new(&f->v5, &c5), 0);
}

static void teardown(struct fx *f)
{
	discv5_rx_free(f->v5);
	discv5_rx_keys_free(f->keys);
	discv4_rx_free(f->v4);
}

static size_t ping(uint8_t *buf)
{
	struct discv4_packet p;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PING;
	p.u.ping.version = 4;
	p.u.ping.from.ip_len = 4;
	memcpy(p.u.ping.from.ip, src, 16);
	p.u.ping.from.udp = p.u.ping.from.tcp = 30303;
	p.u.ping.to = p.u.ping.from;
	p.u.ping.expiration = NOW_S + 20;
	n = discv4_encode(buf, DISCV4_MAX_LEN, priv, &p);
	assert_true(n > 0);
	return (size_t)n;
}

static struct disc_rx_result run(struct fx *f, bool v5, const uint8_t *p,
				 size_t len, uint16_t sock, uint64_t mono)
{
	return disc_rx_process(f->v4, v5 ? f->v5 : NULL, p, len, src, 0x4321,
			       sock, mono, UNIX_NS + (mono - MONO), outbuf,
			       sizeof(outbuf));
}

static void expect(struct disc_rx_result r, uint8_t kind, unsigned c0,
		   unsigned c1)
{
	assert_int_equal(r.kind, kind);
	assert_int_equal(r.n_cnt, c1 == DP_CNT_MAX ? 1 : 2);
	assert_int_equal(r.cnt[0], c0);
	if (c1 != DP_CNT_MAX)
		assert_int_equal(r.cnt[1], c1);
}

/* The table of the issue: what each kind of datagram becomes, with and
 * without discv5 on the socket. */
static void test_disc_rx_demux(void **st)
{
	uint8_t p[1400], z[1400];
	struct disc_rx_result r;
	struct fx f;
	size_t len;

	(void)st;
	setup(&f, 0, 0);
	memset(z, 0, sizeof(z));
	/* discv4 first, whether discv5 runs or not. */
	len = ping(p);
	r = run(&f, true, p, len, 0, MONO);
	expect(r, MSG_DISCV4_RX, DP_CNT_ACCEPTED, DP_CNT_MAX);
	assert_int_equal(((struct msg_discv4_rx *)outbuf)->ptype, DISCV4_PING);
	r = run(&f, true, p, len, 0, MONO + SEC);       /* the replay guard */
	expect(r, MSG_DISCV4_RX, DP_CNT_ACCEPTED, DP_CNT_CACHE_HIT);
	/* discv5: each flag, on the discv5 socket. */
	len = v5pkt_whoareyou(p, id_a, 1);
	r = run(&f, true, p, len, 0, MONO);
	expect(r, MSG_DISCV5_RX, DP_CNT_V5_ACCEPTED, DP_CNT_MAX);
	assert_int_equal(r.v4, DISCV4_RX_DROP_SIZE);    /* 63 < 98 */
	assert_int_equal(((struct msg_discv5_rx *)outbuf)->flag, 1);
	len = v5pkt_message(p, id_a, 1);
	r = run(&f, true, p, len, 0, MONO);
	expect(r, MSG_DISCV5_RX, DP_CNT_V5_ACCEPTED, DP_CNT_MAX);
	assert_int_equal(r.v4, DISCV4_RX_DROP_SIZE);    /* 91 < 98 */
	len = v5pkt_handshake(p, id_a, 1);
	r = run(&f, true, p, len, 0, MONO);
	expect(r, MSG_DISCV5_RX, DP_CNT_V5_ACCEPTED, DP_CNT_MAX);
	assert_int_equal(r.v4, DISCV4_RX_DROP_HASH);    /* 186 bytes */
	assert_int_equal(((struct msg_discv5_rx *)outbuf)->data_len, len);
	/* The same on the socket without discv5, or with no discv5 stage:
	 * discv4's verdicts. */
	r = run(&f, true, p, len, 1, MONO);
	expect(r, 0, DP_CNT_DROP_HASH, DP_CNT_MAX);
	assert_int_equal(r.v5, DISCV5_RX_OFF);
	r = run(&f, false, p, len, 0, MONO);
	expect(r, 0, DP_CNT_DROP_HASH, DP_CNT_MAX);
	len = v5pkt_whoareyou(p, id_a, 1);
	r = run(&f, true, p, len, 1, MONO);
	expect(r, 0, DP_CNT_DROP_SIZE, DP_CNT_MAX);
	/* Neither protocol: discv4's verdict, and v5_drop_proto when
	 * discv5's check saw it (63..1280 bytes). */
	r = run(&f, true, z, 200, 0, MONO);
	expect(r, 0, DP_CNT_V5_DROP_PROTO, DP_CNT_DROP_HASH);
	r = run(&f, true, z, 70, 0, MONO);
	expect(r, 0, DP_CNT_V5_DROP_PROTO, DP_CNT_DROP_SIZE);
	r = run(&f, true, z, 50, 0, MONO);
	expect(r, 0, DP_CNT_DROP_SIZE, DP_CNT_MAX);
	r = run(&f, true, z, 1300, 0, MONO);
	expect(r, 0, DP_CNT_DROP_SIZE, DP_CNT_MAX);
	/* A discv4 packet failing a later check never goes to discv5. */
	len = ping(p);
	p[97] = 9;
	keccak256(p, p + 32, len - 32);
	r = run(&f, true, p, len, 0, MONO);
	expect(r, 0, DP_CNT_DROP_TYPE, DP_CNT_MAX);
	assert_int_equal(r.v5, DISCV5_RX_OFF);
	/* discv5's own drop reasons replace discv4's. */
	len = v5pkt(p, id_a, 2, 0, 32, 32, 20, 5);
	expect(run(&f, true, p, len, 0, MONO), 0, DP_CNT_V5_DROP_VERSION,
	       DP_CNT_MAX);
	len = v5pkt(p, id_a, 1, 7, 32, 32, 20, 5);
	expect(run(&f, true, p, len, 0, MONO), 0, DP_CNT_V5_DROP_FLAG,
	       DP_CNT_MAX);
	len = v5pkt(p, id_a, 1, 0, 40, 40, 20, 5);
	expect(run(&f, true, p, len, 0, MONO), 0, DP_CNT_V5_DROP_AUTHDATA,
	       DP_CNT_MAX);
	len = v5pkt(p, id_a, 1, 1, 24, 24, 3, 5);
	expect(run(&f, true, p, len, 0, MONO), 0, DP_CNT_V5_DROP_SIZE,
	       DP_CNT_MAX);
	teardown(&f);
}

/* One budget per source for both protocols. */
static void test_disc_rx_shared_budget(void **st)
{
	uint8_t p4[DISCV4_MAX_LEN], p5[200];
	size_t l4, l5;
	struct fx f;

	(void)st;
	setup(&f, 1, 4);
	l4 = ping(p4);
	l5 = v5pkt_message(p5, id_a, 9);
	expect(run(&f, true, p4, l4, 0, MONO), MSG_DISCV4_RX, DP_CNT_ACCEPTED,
	       DP_CNT_MAX);
	expect(run(&f, true, p5, l5, 0, MONO), MSG_DISCV5_RX,
	       DP_CNT_V5_ACCEPTED, DP_CNT_MAX);
	expect(run(&f, true, p5, l5, 0, MONO), MSG_DISCV5_RX,
	       DP_CNT_V5_ACCEPTED, DP_CNT_MAX);
	expect(run(&f, true, p5, l5, 0, MONO), MSG_DISCV5_RX,
	       DP_CNT_V5_ACCEPTED, DP_CNT_MAX);
	/* Four taken: both protocols are over. */
	expect(run(&f, true, p5, l5, 0, MONO), 0, DP_CNT_V5_DROP_BUDGET,
	       DP_CNT_MAX);
	expect(run(&f, true, p4, l4, 0, MONO + 200000000ull), 0,
	       DP_CNT_DROP_BUDGET, DP_CNT_MAX);
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disc_rx_demux),
		cmocka_unit_test(test_disc_rx_shared_budget),
	};

	if (secp_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
