/* SPDX-License-Identifier: MIT */
/* tests/control/rlpx/test_rlpxconn.c - one RLPx connection's control phase: handshake and frames fed in any fragmentation, reads that stop at a frame's end, the bounded write queue. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/secp.h"
#include "control/rlpx/rlpxconn.h"

#define SEC 1000000000ull
#define T0  (1700000000ull * SEC)

struct pair {
	uint8_t ipriv[32], ipub[64], rpriv[32], rpub[64];
	struct rlpxconn i, r;
};

static void pair_init(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(secp_priv_generate(p->ipriv), 0);
	assert_int_equal(secp_pub_from_priv(p->ipub, p->ipriv), 0);
	assert_int_equal(secp_priv_generate(p->rpriv), 0);
	assert_int_equal(secp_pub_from_priv(p->rpub, p->rpriv), 0);
	assert_int_equal(rlpxconn_dial(&p->i, p->ipriv, p->rpub, 0, T0), 0);
	assert_int_equal(rlpxconn_accept(&p->r, p->rpriv, 0, T0), 0);
}

static void pair_fini(struct pair *p)
{
	rlpxconn_fini(&p->i);
	rlpxconn_fini(&p->r);
}

/* Moves everything from's queue into buf (appending). */
static size_t take_out(struct rlpxconn *from, uint8_t *buf, size_t have)
{
	const uint8_t *p;
	size_t n = rlpxconn_out(from, &p);

	memcpy(buf + have, p, n);
	rlpxconn_out_done(from, n);
	return have + n;
}

/* Feeds buf[0..len) to c one byte at a time; returns the index of the
 * first byte not consumed (after an event) and the event. */
static size_t feed_bytewise(struct rlpxconn *c, const uint8_t *buf,
			    size_t len, enum rlpxconn_event *ev,
			    struct rlpxconn_msg *m)
{
	for (size_t k = 0; k < len; k++) {
		ssize_t n = rlpxconn_feed(c, ev, m, buf + k, 1, T0);

		assert_true(n == 0 || n == 1);
		if (*ev != RLPXCONN_EV_NONE)
			return k + (size_t)n;
		assert_int_equal(n, 1);
	}
	return len;
}

static void test_rlpxconn_handshake_and_frames_bytewise(void **state)
{
	static uint8_t wire[8192];
	struct pair p;
	enum rlpxconn_event ev;
	struct rlpxconn_msg m;
	size_t len, at;

	(void)state;
	pair_init(&p);
	assert_null(rlpxconn_frame(&p.i));      /* auth queued */
	len = take_out(&p.i, wire, 0);
	at = feed_bytewise(&p.r, wire, len, &ev, &m);
	assert_int_equal(ev, RLPXCONN_EV_HANDSHAKE);
	assert_int_equal(at, len);              /* exactly the auth */
	assert_int_equal(p.r.state, RLPXCONN_FRAMES);
	assert_memory_equal(p.r.remote, p.ipub, 64);
	assert_false(p.r.legacy);
	/* The recipient's ack and a first frame, back to back. */
	assert_int_equal(rlpxconn_send(&p.r, 0x00, (const uint8_t *)"\xc0", 1,
				       false), 0);
	assert_int_equal(rlpxconn_send(&p.r, 0x10, (const uint8_t *)"abc", 3,
				       true), 0);
	len = take_out(&p.r, wire, 0);
	at = feed_bytewise(&p.i, wire, len, &ev, &m);
	assert_int_equal(ev, RLPXCONN_EV_HANDSHAKE);
	assert_memory_equal(p.i.remote, p.rpub, 64);
	/* The reader stops at the end of each frame. */
	at += feed_bytewise(&p.i, wire + at, len - at, &ev, &m);
	assert_int_equal(ev, RLPXCONN_EV_MSG);
	assert_int_equal(m.code, 0x00);
	assert_int_equal(m.len, 1);
	assert_int_equal(m.payload[0], 0xc0);
	assert_true(at < len);
	assert_non_null(rlpxconn_frame(&p.i));  /* between frames */
	at += feed_bytewise(&p.i, wire + at, len - at, &ev, &m);
	assert_int_equal(ev, RLPXCONN_EV_MSG);
	assert_int_equal(m.code, 0x10);
	assert_int_equal(at, len);
	/* Compressed payloads are passed on as they are (snappy of "abc"). */
	assert_int_equal(m.len, 5);
	assert_memory_equal(m.payload, "\x03\x08" "abc", 5);
	pair_fini(&p);
}

/* A whole stream in one call: one event per call, the rest left. */
static void test_rlpxconn_one_event_per_call(void **state)
{
	static uint8_t wire[8192];
	struct pair p;
	enum rlpxconn_event ev;
	struct rlpxconn_msg m;
	size_t len, at = 0;
	ssize_t n;

	(void)state;
	pair_init(&p);
	len = take_out(&p.i, wire, 0);
	assert_int_equal(rlpxconn_feed(&p.r, &ev, &m, wire, len, T0),
			 (ssize_t)len);
	for (int k = 0; k < 3; k++)
		assert_int_equal(rlpxconn_send(&p.r, (uint64_t)k,
					       (const uint8_t *)"x", 1,
					       false), 0);
	len = take_out(&p.r, wire, 0);
	for (int k = -1; k < 3; k++) {
		n = rlpxconn_feed(&p.i, &ev, &m, wire + at, len - at, T0);
		assert_true(n > 0);
		at += (size_t)n;
		assert_int_equal(ev, k < 0 ? RLPXCONN_EV_HANDSHAKE :
				 RLPXCONN_EV_MSG);
		if (k >= 0)
			assert_int_equal(m.code, (uint64_t)k);
	}
	assert_int_equal(at, len);
	pair_fini(&p);
}

static void test_rlpxconn_rejects(void **state)
{
	static uint8_t wire[8192];
	struct pair p;
	enum rlpxconn_event ev;
	struct rlpxconn_msg m;
	size_t len;
	uint8_t big[RLPXCONN_FRAME_MAX + 1];

	(void)state;
	/* A frame MAC flipped: FAILED. */
	pair_init(&p);
	len = take_out(&p.i, wire, 0);
	assert_true(rlpxconn_feed(&p.r, &ev, &m, wire, len, T0) > 0);
	assert_int_equal(rlpxconn_send(&p.r, 0x01, (const uint8_t *)"\xc0", 1,
				       false), 0);
	len = take_out(&p.r, wire, 0);
	wire[len - 1] ^= 0x80;
	{
		ssize_t n = rlpxconn_feed(&p.i, &ev, &m, wire, len, T0);

		assert_true(n > 0);     /* the ack */
		assert_int_equal(rlpxconn_feed(&p.i, &ev, &m, wire + n,
					       len - (size_t)n, T0),
				 -EKEYREJECTED);
	}
	assert_int_equal(p.i.state, RLPXCONN_FAILED);
	assert_int_equal(rlpxconn_feed(&p.i, &ev, &m, wire, 1, T0), -EPROTO);
	assert_int_equal(rlpxconn_send(&p.i, 0, NULL, 0, false), -EPROTO);
	/* Too big for the control phase, either way. */
	memset(big, 0, sizeof(big));
	assert_int_equal(rlpxconn_send(&p.r, 0x10, big, sizeof(big), false),
			 -EMSGSIZE);
	pair_fini(&p);

	/* The handshake deadline. */
	pair_init(&p);
	assert_int_equal(rlpxconn_next_deadline(&p.r), T0 + RLPX_HS_TIMEOUT_NS);
	assert_int_equal(rlpxconn_on_timer(&p.r, T0 + RLPX_HS_TIMEOUT_NS - 1),
			 0);
	assert_int_equal(rlpxconn_on_timer(&p.r, T0 + RLPX_HS_TIMEOUT_NS),
			 -ETIMEDOUT);
	assert_int_equal(p.r.state, RLPXCONN_FAILED);
	assert_int_equal(rlpxconn_next_deadline(&p.r), UINT64_MAX);
	pair_fini(&p);
}

/* The write queue is bounded: what does not fit is refused whole. */
static void test_rlpxconn_queue_cap(void **state)
{
	static uint8_t wire[8192];
	uint8_t ipriv[32], rpriv[32], rpub[64], msg[200];
	struct rlpxconn i = { 0 }, r = { 0 };
	enum rlpxconn_event ev;
	struct rlpxconn_msg m;
	const uint8_t *out;
	size_t len, q;

	(void)state;
	assert_int_equal(secp_priv_generate(ipriv), 0);
	assert_int_equal(secp_priv_generate(rpriv), 0);
	assert_int_equal(secp_pub_from_priv(rpub, rpriv), 0);
	assert_int_equal(rlpxconn_dial(&i, ipriv, rpub, 10, T0), -ENOBUFS);
	assert_int_equal(i.state, RLPXCONN_INIT);
	assert_int_equal(rlpxconn_dial(&i, ipriv, rpub, 1000, T0), 0);
	assert_int_equal(rlpxconn_accept(&r, rpriv, 0, T0), 0);
	len = take_out(&i, wire, 0);
	assert_true(rlpxconn_feed(&r, &ev, &m, wire, len, T0) > 0);
	len = take_out(&r, wire, 0);
	assert_true(rlpxconn_feed(&i, &ev, &m, wire, len, T0) > 0);
	assert_int_equal(ev, RLPXCONN_EV_HANDSHAKE);
	memset(msg, 7, sizeof(msg));
	/* 200-byte messages: 32 + 208 + 16 = 256 bytes each on the wire. */
	for (int k = 0; k < 3; k++)
		assert_int_equal(rlpxconn_send(&i, 0x10, msg, sizeof(msg),
					       false), 0);
	assert_int_equal(rlpxconn_send(&i, 0x10, msg, sizeof(msg), false),
			 -ENOBUFS);
	q = rlpxconn_out(&i, &out);
	assert_int_equal(q, 3 * 256);
	assert_null(rlpxconn_frame(&i));        /* bytes still queued */
	/* Partly written: room for exactly one more. */
	rlpxconn_out_done(&i, 256);
	assert_int_equal(rlpxconn_out(&i, &out), 2 * 256);
	assert_int_equal(rlpxconn_send(&i, 0x10, msg, sizeof(msg), false), 0);
	rlpxconn_out_done(&i, SIZE_MAX);
	assert_int_equal(rlpxconn_out(&i, &out), 0);
	assert_non_null(rlpxconn_frame(&i));
	rlpxconn_fini(&i);
	rlpxconn_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rlpxconn_handshake_and_frames_bytewise),
		cmocka_unit_test(test_rlpxconn_one_event_per_call),
		cmocka_unit_test(test_rlpxconn_rejects),
		cmocka_unit_test(test_rlpxconn_queue_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
