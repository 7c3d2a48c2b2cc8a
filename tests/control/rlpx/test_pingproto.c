/* SPDX-License-Identifier: MIT */
/* tests/control/rlpx/test_pingproto.c - the ping demo protocol between two hosts: request/reply, id matching, bad input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/rlpx/p2p.h"
#include "control/rlpx/pingproto.h"

#define MAX_SENT 16

struct side {
	struct p2p_host *h;
	struct pingproto pp;
	struct {
		uint64_t code;
		uint8_t payload[256];
		size_t len;
	} sent[MAX_SENT];
	size_t n_sent;
	int pongs, added;
	uint64_t pong_id, rtt;
};

static int s_send(void *user, uint64_t session, uint64_t code,
		  const uint8_t *payload, size_t len)
{
	struct side *s = user;

	(void)session;
	assert_true(s->n_sent < MAX_SENT && len <= 256);
	s->sent[s->n_sent].code = code;
	memcpy(s->sent[s->n_sent].payload, payload, len);
	s->sent[s->n_sent++].len = len;
	return 0;
}

static void s_close(void *user, uint64_t session)
{
	(void)user;
	(void)session;
}

static void on_pong(void *user, struct p2p_peer *peer, uint64_t id,
		    uint64_t rtt)
{
	struct side *s = user;

	(void)peer;
	s->pongs++;
	s->pong_id = id;
	s->rtt = rtt;
}

static void on_added(void *user, struct p2p_peer *peer)
{
	struct side *s = user;

	(void)peer;
	s->added++;
}

static void side_init(struct side *s, uint8_t base)
{
	uint8_t id[P2P_ID_LEN];
	struct p2p_host_config cfg = {
		.id = id, .max_peers = 2,
		.ops = { .send = s_send, .close = s_close }, .user = s,
	};

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < P2P_ID_LEN; i++)
		id[i] = (uint8_t)(base + i);
	assert_int_equal(p2p_host_new(&s->h, &cfg), 0);
	pingproto_init(&s->pp, on_pong, on_added, s);
	assert_int_equal(pingproto_register(&s->pp, s->h), 0);
}

static void pump(struct side *a, struct side *b, uint64_t now)
{
	size_t ia = 0, ib = 0;

	while (ia < a->n_sent || ib < b->n_sent) {
		if (ia < a->n_sent) {
			p2p_on_msg(b->h, 1, a->sent[ia].code,
				   a->sent[ia].payload, a->sent[ia].len, now);
			ia++;
		}
		if (ib < b->n_sent) {
			p2p_on_msg(a->h, 1, b->sent[ib].code,
				   b->sent[ib].payload, b->sent[ib].len, now);
			ib++;
		}
	}
	a->n_sent = b->n_sent = 0;
}

static void test_pingproto_codec(void **state)
{
	uint8_t buf[16];
	uint64_t id;

	(void)state;
	assert_int_equal(pingproto_encode(buf, sizeof(buf), 0), 2);
	assert_memory_equal(buf, "\xc1\x80", 2);
	assert_int_equal(pingproto_encode(buf, sizeof(buf), 0x0102), 4);
	assert_memory_equal(buf, "\xc3\x82\x01\x02", 4);
	assert_int_equal(pingproto_decode(&id, buf, 4), 4);
	assert_true(id == 0x0102);
	assert_int_equal(pingproto_decode(&id, (const uint8_t *)"\xc0", 1),
			 -EBADMSG);
	assert_int_equal(pingproto_decode(&id, (const uint8_t *)"\x05", 1),
			 -EBADMSG);
	assert_int_equal(pingproto_decode(&id, (const uint8_t *)"\xc3\x82",
					  2), -EMSGSIZE);
	assert_int_equal(pingproto_encode(buf, 1, 5), -EMSGSIZE);
}

static void test_pingproto_request_reply(void **state)
{
	struct side a, b;
	struct p2p_peer *pa, *pb;
	uint8_t ida[P2P_ID_LEN], idb[P2P_ID_LEN];

	(void)state;
	side_init(&a, 1);
	side_init(&b, 100);
	for (int i = 0; i < P2P_ID_LEN; i++) {
		ida[i] = (uint8_t)(1 + i);
		idb[i] = (uint8_t)(100 + i);
	}
	assert_int_equal(p2p_peer_start(a.h, &pa, 1, idb, false, 0), 0);
	assert_int_equal(p2p_peer_start(b.h, &pb, 1, ida, true, 0), 0);
	pump(&a, &b, 0);
	assert_int_equal(a.added, 1);
	assert_int_equal(b.added, 1);
	assert_int_equal(pingproto_ping(&a.pp, pa, 42, 1000), 0);
	/* ping/1 is the only shared cap: Ping is wire code 0x10. */
	assert_int_equal(a.sent[0].code, 0x10);
	pump(&a, &b, 1500);
	assert_int_equal(b.pp.n_pings_answered, 1);
	assert_int_equal(a.pongs, 1);
	assert_true(a.pong_id == 42);
	assert_true(a.rtt == 500);
	/* An unsolicited or repeated Pong is ignored. */
	p2p_on_msg(a.h, 1, 0x11, (const uint8_t *)"\xc1\x2a", 2, 2000);
	assert_int_equal(a.pongs, 1);
	/* A Pong with another id does not match. */
	assert_int_equal(pingproto_ping(&a.pp, pa, 7, 3000), 0);
	a.n_sent = 0;
	p2p_on_msg(a.h, 1, 0x11, (const uint8_t *)"\xc1\x08", 2, 3100);
	assert_int_equal(a.pongs, 1);
	p2p_on_msg(a.h, 1, 0x11, (const uint8_t *)"\xc1\x07", 2, 3200);
	assert_int_equal(a.pongs, 2);
	assert_true(a.rtt == 200);
	/* Malformed: the peer is dropped with a subprotocol error. */
	p2p_on_msg(a.h, 1, 0x10, (const uint8_t *)"\xc0", 1, 3300);
	assert_int_equal(a.sent[a.n_sent - 1].code, P2P_MSG_DISCONNECT);
	assert_memory_equal(a.sent[a.n_sent - 1].payload, "\xc1\x10", 2);
	assert_int_equal(pingproto_ping(&a.pp, pa, 8, 3400), -EPROTO);
	p2p_host_free(a.h);
	p2p_host_free(b.h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pingproto_codec),
		cmocka_unit_test(test_pingproto_request_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
