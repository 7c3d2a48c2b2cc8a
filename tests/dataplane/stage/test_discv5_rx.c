/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/test_discv5_rx.c - the discv5 ingress stage: the
 * per-socket keys, every drop reason, the budgets, the WHOAREYOU limiter,
 * accepted packets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/dplink_proto.h"
#include "dataplane/stage/discv5_rx.h"
#include "dataplane/stage/srcbudget.h"
#include "tests/dataplane/stage/v5pkt.h"

#define SEC  1000000000ull
#define T0   (100 * SEC)

static const uint8_t id_a[32] = { 0xa1, 0xa2, 0xa3, [31] = 0xaf };
static const uint8_t id_b[32] = { 0xb1, 0xb2, 0xb3, [31] = 0xbf };
static const uint8_t src4[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };
static const uint8_t src4b[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 2 };
/* 2001:db8:1:2::1 and ::2 (one /64), 2001:db8:1:3::1 (another). */
static const uint8_t src6a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2,
				   [15] = 1 };
static const uint8_t src6b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2,
				   [15] = 2 };
static const uint8_t src6c[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3,
				   [15] = 1 };

static _Alignas(64) uint8_t outbuf[MSG_SLOT_SIZE];
#define OUT ((struct msg_discv5_rx *)outbuf)

struct fx {
	struct discv5_rx_keys *keys;
	struct discv5_rx *s;
	struct srcbudget *budget;
};

/* Two sockets: 0 is node A's, 1 has no discv5. */
static void setup(struct fx *f, uint32_t budget_rate, uint32_t budget_burst,
		  uint32_t hs_rate, uint32_t hs_burst, uint32_t way_rate,
		  uint32_t way_burst)
{
	struct discv5_rx_cfg c = { .hs_rate = hs_rate, .hs_burst = hs_burst,
				   .way_rate = way_rate,
				   .way_burst = way_burst };

	memset(f, 0, sizeof(*f));
	assert_int_equal(discv5_rx_keys_new(&f->keys, 2), 0);
	assert_int_equal(discv5_rx_keys_set(f->keys, 0, id_a), 0);
	if (budget_rate)
		assert_int_equal(srcbudget_new(&f->budget, budget_rate,
					       budget_burst, 0), 0);
	c.keys = f->keys;
	c.budget = f->budget;
	assert_int_equal(discv5_rx_new(&f->s, &c), 0);
}

static void teardown(struct fx *f)
{
	discv5_rx_free(f->s);
	srcbudget_free(f->budget);
	discv5_rx_keys_free(f->keys);
}

static enum discv5_rx_verdict run(struct fx *f, const uint8_t *p, size_t len,
				  const uint8_t *src, uint16_t sock,
				  uint64_t now)
{
	return discv5_rx_process(f->s, p, len, src, 0x1234, sock, now, OUT,
				 sizeof(outbuf));
}

static void test_discv5_rx_accepts_each_flag(void **st)
{
	size_t (*mk[3])(uint8_t *, const uint8_t *, uint8_t) = {
		v5pkt_message, v5pkt_whoareyou, v5pkt_handshake,
	};
	uint8_t p[1400];
	struct fx f;

	(void)st;
	setup(&f, 0, 0, 0, 0, 0, 0);
	for (uint8_t fl = 0; fl < 3; fl++) {
		size_t len = mk[fl](p, id_a, fl);

		assert_true(len >= DISCV5_PACKET_MIN);
		memset(outbuf, 0xee, sizeof(outbuf));
		assert_int_equal(run(&f, p, len, src4, 0, T0),
				 DISCV5_RX_ACCEPT);
		assert_int_equal(OUT->hdr.type, MSG_DISCV5_RX);
		assert_int_equal(OUT->hdr.len, sizeof(*OUT) - 16 + len);
		assert_int_equal(OUT->flag, fl);
		assert_int_equal(OUT->data_len, len);
		assert_int_equal(OUT->src_port_be, 0x1234);
		assert_int_equal(OUT->sock_idx, 0);
		assert_int_equal(OUT->pad0, 0);
		assert_memory_equal(OUT->src_addr, src4, 16);
		assert_memory_equal(OUT->data, p, len);
	}
	assert_int_equal(v5pkt_whoareyou(p, id_a, 0), 63);
	teardown(&f);
}

/* Each lie the static header can tell, and its verdict and counter. */
static void test_discv5_rx_every_drop_reason(void **st)
{
	static const struct {
		uint16_t version;
		uint8_t flag;
		uint16_t auth_len;
		size_t auth_fill, body;
		enum discv5_rx_verdict want;
		unsigned cnt;
	} rows[] = {
		/* version 2, then 0 */
		{ 2, 0, 32, 32, 20, DISCV5_RX_DROP_VERSION,
		  DP_CNT_V5_DROP_VERSION },
		{ 0, 0, 32, 32, 20, DISCV5_RX_DROP_VERSION,
		  DP_CNT_V5_DROP_VERSION },
		/* flag 3 and 0xff */
		{ 1, 3, 32, 32, 20, DISCV5_RX_DROP_FLAG, DP_CNT_V5_DROP_FLAG },
		{ 1, 0xff, 24, 24, 0, DISCV5_RX_DROP_FLAG,
		  DP_CNT_V5_DROP_FLAG },
		/* authdata-size wrong for the flag */
		{ 1, 0, 33, 33, 20, DISCV5_RX_DROP_AUTHDATA,
		  DP_CNT_V5_DROP_AUTHDATA },
		{ 1, 0, 31, 31, 20, DISCV5_RX_DROP_AUTHDATA,
		  DP_CNT_V5_DROP_AUTHDATA },
		{ 1, 1, 23, 23, 1, DISCV5_RX_DROP_AUTHDATA,
		  DP_CNT_V5_DROP_AUTHDATA },
		{ 1, 2, 130, 130, 20, DISCV5_RX_DROP_AUTHDATA,
		  DP_CNT_V5_DROP_AUTHDATA },
		/* a handshake's authdata past the packet's end */
		{ 1, 2, 400, 131, 20, DISCV5_RX_DROP_AUTHDATA,
		  DP_CNT_V5_DROP_AUTHDATA },
		/* too long or short for the flag */
		{ 1, 1, 24, 24, 1, DISCV5_RX_DROP_SIZE, DP_CNT_V5_DROP_SIZE },
		{ 1, 0, 32, 32, 10, DISCV5_RX_DROP_SIZE, DP_CNT_V5_DROP_SIZE },
		{ 1, 2, 131, 131, 10, DISCV5_RX_DROP_SIZE,
		  DP_CNT_V5_DROP_SIZE },
	};
	uint8_t p[1400];
	struct fx f;

	(void)st;
	setup(&f, 0, 0, 0, 0, 0, 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = v5pkt(p, id_a, rows[i].version, rows[i].flag,
				   rows[i].auth_len, rows[i].auth_fill,
				   rows[i].body, (uint8_t)i);

		assert_true(len >= DISCV5_PACKET_MIN);
		assert_int_equal(run(&f, p, len, src4, 0, T0), rows[i].want);
		assert_int_equal(discv5_rx_verdict_cnt(rows[i].want),
				 rows[i].cnt);
	}
	teardown(&f);
}

/* Not discv5 at all: sizes outside 63..1280, a packet masked for another
 * node, random bytes; and a socket without discv5. None has a counter of
 * its own (discv4's verdict stands). */
static void test_discv5_rx_not_v5_and_off(void **st)
{
	uint8_t p[1400];
	struct fx f;
	size_t len;

	(void)st;
	setup(&f, 0, 0, 0, 0, 0, 0);
	len = v5pkt_message(p, id_a, 1);
	assert_int_equal(run(&f, p, 62, src4, 0, T0), DISCV5_RX_NOT_V5);
	memset(p + len, 0, 1281 - len);
	assert_int_equal(run(&f, p, 1281, src4, 0, T0), DISCV5_RX_NOT_V5);
	len = v5pkt_message(p, id_b, 1);
	assert_int_equal(run(&f, p, len, src4, 0, T0), DISCV5_RX_NOT_V5);
	memset(p, 0, 200);
	assert_int_equal(run(&f, p, 200, src4, 0, T0), DISCV5_RX_NOT_V5);
	/* Socket 1 has no discv5; socket 7 does not exist. */
	len = v5pkt_message(p, id_a, 1);
	assert_int_equal(run(&f, p, len, src4, 1, T0), DISCV5_RX_OFF);
	assert_int_equal(run(&f, p, len, src4, 7, T0), DISCV5_RX_OFF);
	/* Too small an output buffer: nothing written past it. */
	assert_int_equal(discv5_rx_process(f.s, p, len, src4, 1, 0, T0, OUT,
					   sizeof(*OUT) + len - 1),
			 DISCV5_RX_DROP_SIZE);
	assert_int_equal(discv5_rx_verdict_cnt(DISCV5_RX_NOT_V5), DP_CNT_MAX);
	assert_int_equal(discv5_rx_verdict_cnt(DISCV5_RX_OFF), DP_CNT_MAX);
	assert_int_equal(discv5_rx_verdict_cnt(DISCV5_RX_ACCEPT),
			 DP_CNT_V5_ACCEPTED);
	teardown(&f);
}

/* Keys: set, replaced (another node id on the socket), cleared; counted;
 * an index out of range refused. */
static void test_discv5_rx_keys(void **st)
{
	uint8_t pa[200], pb[200];
	size_t la, lb;
	struct fx f;

	(void)st;
	setup(&f, 0, 0, 0, 0, 0, 0);
	la = v5pkt_message(pa, id_a, 2);
	lb = v5pkt_message(pb, id_b, 2);
	assert_int_equal(discv5_rx_keys_on(f.keys), 1);
	assert_int_equal(run(&f, pa, la, src4, 0, T0), DISCV5_RX_ACCEPT);
	assert_int_equal(run(&f, pb, lb, src4, 0, T0), DISCV5_RX_NOT_V5);
	assert_int_equal(discv5_rx_keys_set(f.keys, 0, id_b), 0);
	assert_int_equal(discv5_rx_keys_on(f.keys), 1);
	assert_int_equal(run(&f, pa, la, src4, 0, T0), DISCV5_RX_NOT_V5);
	assert_int_equal(run(&f, pb, lb, src4, 0, T0), DISCV5_RX_ACCEPT);
	assert_int_equal(discv5_rx_keys_set(f.keys, 1, id_a), 0);
	assert_int_equal(discv5_rx_keys_on(f.keys), 2);
	assert_int_equal(run(&f, pa, la, src4, 1, T0), DISCV5_RX_ACCEPT);
	assert_int_equal(discv5_rx_keys_set(f.keys, 0, NULL), 0);
	assert_int_equal(discv5_rx_keys_set(f.keys, 0, NULL), 0);
	assert_int_equal(discv5_rx_keys_on(f.keys), 1);
	assert_int_equal(run(&f, pb, lb, src4, 0, T0), DISCV5_RX_OFF);
	assert_int_equal(discv5_rx_keys_set(f.keys, 2, id_a), -EINVAL);
	assert_int_equal(discv5_rx_keys_new(&f.keys, 0), -EINVAL);
	assert_int_equal(discv5_rx_keys_new(&f.keys, 65537), -EINVAL);
	teardown(&f);
}

/* The per-source budget, shared with discv4: a burst of 3, one packet a
 * second after; IPv6 sources share their /64's bucket. */
static void test_discv5_rx_budget(void **st)
{
	uint8_t p[200];
	size_t len;
	struct fx f;

	(void)st;
	setup(&f, 1, 3, 0, 0, 0, 0);
	len = v5pkt_message(p, id_a, 3);
	/* Something else (discv4) already took one token of src4. */
	assert_true(srcbudget_take(f.budget, src4, T0));
	assert_int_equal(run(&f, p, len, src4, 0, T0), DISCV5_RX_ACCEPT);
	assert_int_equal(run(&f, p, len, src4, 0, T0), DISCV5_RX_ACCEPT);
	assert_int_equal(run(&f, p, len, src4, 0, T0), DISCV5_RX_DROP_BUDGET);
	assert_int_equal(discv5_rx_verdict_cnt(DISCV5_RX_DROP_BUDGET),
			 DP_CNT_V5_DROP_BUDGET);
	/* Another source is not charged; a header failure is not either. */
	assert_int_equal(run(&f, p, len, src4b, 0, T0), DISCV5_RX_ACCEPT);
	assert_int_equal(run(&f, p, len, src4, 0, T0 + SEC),
			 DISCV5_RX_ACCEPT);
	assert_int_equal(run(&f, p, len, src4, 0, T0 + SEC),
			 DISCV5_RX_DROP_BUDGET);
	for (int i = 0; i < 3; i++)
		assert_int_equal(run(&f, p, len, i ? src6b : src6a, 0, T0),
				 DISCV5_RX_ACCEPT);
	assert_int_equal(run(&f, p, len, src6b, 0, T0), DISCV5_RX_DROP_BUDGET);
	assert_int_equal(run(&f, p, len, src6c, 0, T0), DISCV5_RX_ACCEPT);
	teardown(&f);
}

/* The handshake budget: only flag 2 pays it, after the general budget. */
static void test_discv5_rx_handshake_budget(void **st)
{
	uint8_t hs[400], m[200], w[100];
	size_t lh, lm, lw;
	struct fx f;

	(void)st;
	setup(&f, 1000, 1000, 2, 2, 0, 0);
	lh = v5pkt_handshake(hs, id_a, 4);
	lm = v5pkt_message(m, id_a, 4);
	lw = v5pkt_whoareyou(w, id_a, 4);
	assert_int_equal(run(&f, hs, lh, src4, 0, T0), DISCV5_RX_ACCEPT);
	assert_int_equal(run(&f, hs, lh, src4, 0, T0), DISCV5_RX_ACCEPT);
	assert_int_equal(run(&f, hs, lh, src4, 0, T0),
			 DISCV5_RX_DROP_HS_BUDGET);
	assert_int_equal(discv5_rx_verdict_cnt(DISCV5_RX_DROP_HS_BUDGET),
			 DP_CNT_V5_DROP_HS_BUDGET);
	/* Other packets of that source and handshakes of others pass. */
	for (int i = 0; i < 10; i++) {
		assert_int_equal(run(&f, m, lm, src4, 0, T0),
				 DISCV5_RX_ACCEPT);
		assert_int_equal(run(&f, w, lw, src4, 0, T0),
				 DISCV5_RX_ACCEPT);
	}
	assert_int_equal(run(&f, hs, lh, src4b, 0, T0), DISCV5_RX_ACCEPT);
	/* Half a second refills one (2/s). */
	assert_int_equal(run(&f, hs, lh, src4, 0, T0 + SEC / 2),
			 DISCV5_RX_ACCEPT);
	assert_int_equal(run(&f, hs, lh, src4, 0, T0 + SEC / 2),
			 DISCV5_RX_DROP_HS_BUDGET);
	teardown(&f);
	/* Rate 0: no handshake budget at all. */
	setup(&f, 0, 0, 0, 0, 0, 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(run(&f, hs, lh, src4, 0, T0),
				 DISCV5_RX_ACCEPT);
	teardown(&f);
}

/* The WHOAREYOU limiter: burst, then the rate, per destination (/32,
 * /64). */
static void test_discv5_rx_whoareyou_limit(void **st)
{
	unsigned sent = 0;
	struct fx f;

	(void)st;
	setup(&f, 0, 0, 0, 0, 10, 5);
	for (int i = 0; i < 20; i++)
		sent += discv5_rx_whoareyou_ok(f.s, src4, T0);
	assert_int_equal(sent, 5);
	assert_true(discv5_rx_whoareyou_ok(f.s, src4b, T0));
	/* 10/s: one more each 100 ms. */
	assert_false(discv5_rx_whoareyou_ok(f.s, src4, T0 + SEC / 20));
	assert_true(discv5_rx_whoareyou_ok(f.s, src4, T0 + SEC / 10));
	assert_false(discv5_rx_whoareyou_ok(f.s, src4, T0 + SEC / 10));
	/* Over 10 s: 100 more at most, whatever is asked. */
	sent = 0;
	for (uint64_t t = T0 + SEC / 10; t < T0 + 10 * SEC + SEC / 10;
	     t += SEC / 1000)
		sent += discv5_rx_whoareyou_ok(f.s, src4, t);
	assert_in_range(sent, 99, 100);
	/* IPv6: one /64, one limit. */
	sent = 0;
	for (int i = 0; i < 20; i++)
		sent += discv5_rx_whoareyou_ok(f.s, i & 1 ? src6a : src6b, T0);
	assert_int_equal(sent, 5);
	assert_true(discv5_rx_whoareyou_ok(f.s, src6c, T0));
	teardown(&f);
	/* Rate 0: no limit. */
	setup(&f, 0, 0, 0, 0, 0, 0);
	for (int i = 0; i < 100; i++)
		assert_true(discv5_rx_whoareyou_ok(f.s, src4, T0));
	teardown(&f);
}

static void test_discv5_rx_new_rejects(void **st)
{
	struct discv5_rx_keys *k;
	struct discv5_rx *s = NULL;
	struct discv5_rx_cfg c = { 0 };

	(void)st;
	assert_int_equal(discv5_rx_new(&s, &c), -EINVAL);       /* no keys */
	assert_int_equal(discv5_rx_keys_new(&k, 1), 0);
	c.keys = k;
	c.hs_rate = 1;
	assert_int_equal(discv5_rx_new(&s, &c), -EINVAL);       /* no burst */
	c.hs_rate = 0;
	c.way_rate = 1;
	assert_int_equal(discv5_rx_new(&s, &c), -EINVAL);
	c.way_burst = 1;
	assert_int_equal(discv5_rx_new(&s, &c), 0);
	discv5_rx_free(s);
	discv5_rx_free(NULL);
	discv5_rx_keys_free(k);
	discv5_rx_keys_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discv5_rx_accepts_each_flag),
		cmocka_unit_test(test_discv5_rx_every_drop_reason),
		cmocka_unit_test(test_discv5_rx_not_v5_and_off),
		cmocka_unit_test(test_discv5_rx_keys),
		cmocka_unit_test(test_discv5_rx_budget),
		cmocka_unit_test(test_discv5_rx_handshake_budget),
		cmocka_unit_test(test_discv5_rx_whoareyou_limit),
		cmocka_unit_test(test_discv5_rx_new_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
