/* SPDX-License-Identifier: MIT */
/* tests/control/discv5/test_discv5.c - the discv5 engine on a fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/enr.h"
#include "common/secp.h"
#include "control/discv4/kad.h"
#include "control/discv5/discv5.h"
#include "tests/control/discv5/v5net.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

/* ---- callback recorders -------------------------------------------- */

static struct v5net *g_net;

struct res {
	int calls, err;
	uint64_t at;
	struct discv5_pong_info pong;
	unsigned n;
	struct discv5_node nodes[DISCV5_FINDNODE_MAX_NODES];
	uint8_t data[DISCV5_PACKET_MAX];
	size_t len;
};

static struct res *res_new(void)
{
	struct res *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

static void ping_cb(void *arg, int err, const struct discv5_pong_info *p)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	r->at = g_net->now;
	if (p)
		r->pong = *p;
}

static void nodes_cb(void *arg, int err, const struct discv5_node *n,
		     unsigned cnt)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	r->at = g_net->now;
	r->n = cnt;
	if (cnt)
		memcpy(r->nodes, n, cnt * sizeof(*n));
}

static void enr_cb(void *arg, int err, const struct discv5_node *n)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	r->n = n ? 1 : 0;
	if (n)
		r->nodes[0] = *n;
}

static void talk_cb(void *arg, int err, const uint8_t *resp, size_t len)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	r->at = g_net->now;
	r->len = len;
	if (len)
		memcpy(r->data, resp, len);
}

/* ---- helpers ---------------------------------------------------------- */

static void net_init(struct v5net *net, uint64_t seed)
{
	v5net_init(net, T0, seed);
	g_net = net;
}

/* A public address per index: no /24 limits, relayable. */
static void pub_ip(uint8_t ip[16], unsigned i)
{
	v5net_ip4(ip, 11, (uint8_t)(i >> 8), (uint8_t)i, 1);
}

static int add_engine(struct v5net *net, unsigned i,
		      const struct discv5_config *c)
{
	uint8_t ip[16];
	int idx;

	pub_ip(ip, i);
	idx = v5net_add(net, ip, (uint16_t)(30000 + i), c);
	assert_true(idx >= 0);
	return idx;
}

static int add_raw(struct v5net *net, unsigned i)
{
	uint8_t ip[16];
	int idx;

	pub_ip(ip, i);
	idx = v5net_add_raw(net, ip, (uint16_t)(30000 + i));
	assert_true(idx >= 0);
	return idx;
}

static struct discv5 *eng(struct v5net *net, int i)
{
	return net->nodes[i]->d;
}

static const struct discv5_stats *st(struct v5net *net, int i)
{
	return discv5_stats(eng(net, i));
}

static uint64_t g_rng = 7;

static uint64_t rnd(void)
{
	uint64_t z = (g_rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rand_priv(uint8_t priv[32])
{
	do {
		for (int i = 0; i < 32; i += 8) {
			uint64_t r = rnd();

			memcpy(priv + i, &r, 8);
		}
	} while (!secp_priv_check(priv));
}

/* mk_rec() signs a record for a fresh key whose id is at log-distance
 * dist from `from` (any distance when dist is 0), with ip:udp and pad
 * bytes of an extra entry. Returns the encoding's length. */
static size_t mk_rec(uint8_t out[ENR_MAX_SIZE], const uint8_t from[32],
		     unsigned dist, const uint8_t ip[16], uint16_t udp,
		     size_t pad, struct discv5_node *node)
{
	uint8_t priv[32], pub[64], id[32], val[200];
	struct enr r;
	ssize_t len;

	for (;;) {
		rand_priv(priv);
		assert_int_equal(secp_pub_from_priv(pub, priv), 0);
		kad_node_id(id, pub);
		if (!dist || (unsigned)kad_log_distance(from, id) == dist)
			break;
	}
	enr_init(&r);
	enr_set_seq(&r, 1);
	assert_int_equal(enr_set_ip(&r, ip + 12), 0);
	assert_int_equal(enr_set_udp(&r, udp), 0);
	if (pad) {
		assert_true(pad < sizeof(val) && pad > 57);
		val[0] = 0xb8;
		val[1] = (uint8_t)(pad - 2);
		memset(val + 2, 0x5a, pad - 2);
		assert_int_equal(enr_set_raw(&r, "zz", val, pad), 0);
	}
	assert_int_equal(enr_sign(&r, priv), 0);
	len = enr_encode(out, ENR_MAX_SIZE, &r);
	assert_true(len > 0);
	if (node)
		assert_int_equal(discv5_node_from_enr(node, out, (size_t)len),
				 0);
	return (size_t)len;
}

/* raw_serve_hs() plays the remote of an engine's first request: the
 * engine's junk packet is answered with WHOAREYOU (enr_seq), the
 * handshake is accepted and its message decoded into *m (views into pt). */
static void raw_serve_hs(struct v5net *net, int r, int e, uint64_t enr_seq,
			 struct discv5_msg *m, uint8_t *pt,
			 struct discv5_header *hs_out)
{
	uint8_t challenge[DISCV5_CHALLENGE_LEN];
	struct discv5_header h;
	struct v5net_pkt p;
	ssize_t len;

	v5net_run(net, 5 * MS);
	assert_true(v5net_raw_pop(net, r, &p));
	assert_int_equal(v5net_raw_decode(net, r, &p, &h), 0);
	assert_int_equal(h.flag, DISCV5_FLAG_MESSAGE);
	assert_int_equal(v5net_raw_whoareyou(net, r, e, h.nonce, enr_seq,
					     challenge), 0);
	v5net_run(net, 5 * MS);
	assert_true(v5net_raw_pop(net, r, &p));
	assert_int_equal(v5net_raw_decode(net, r, &p, &h), 0);
	assert_int_equal(h.flag, DISCV5_FLAG_HANDSHAKE);
	len = v5net_raw_accept(net, r, e, &h, challenge, pt,
			       DISCV5_PACKET_MAX);
	assert_true(len > 0);
	assert_true(discv5_msg_decode(m, pt, (size_t)len) > 0);
	if (hs_out)
		*hs_out = h;
}

static void msg_ping(struct discv5_msg *m, uint8_t id, uint64_t seq)
{
	memset(m, 0, sizeof(*m));
	m->type = DISCV5_MSG_PING;
	m->req_id_len = 1;
	m->req_id[0] = id;
	m->ping.enr_seq = seq;
}

static void msg_nodes(struct discv5_msg *m, const struct discv5_msg *req,
		      uint8_t total, const uint8_t *enrs, size_t len,
		      uint16_t n)
{
	memset(m, 0, sizeof(*m));
	m->type = DISCV5_MSG_NODES;
	m->req_id_len = req->req_id_len;
	memcpy(m->req_id, req->req_id, req->req_id_len);
	m->nodes.total = total;
	m->nodes.n = n;
	m->nodes.enrs = enrs;
	m->nodes.enrs_len = len;
}

/* expect_pong() pops messages of raw peer r until a PONG for req id. */
static void expect_pong(struct v5net *net, int r, uint8_t id)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	struct discv5_msg m;

	assert_int_equal(v5net_raw_next_msg(net, r, &m, pt, sizeof(pt)), 1);
	assert_int_equal(m.type, DISCV5_MSG_PONG);
	assert_int_equal(m.req_id_len, 1);
	assert_int_equal(m.req_id[0], id);
}

/* ---- sessions and handshakes ----------------------------------------- */

static void test_discv5_handshake_both_directions_ping_pong(void **state)
{
	struct v5net net;
	struct res *r1 = res_new(), *r2 = res_new(), *r3 = res_new();
	struct discv5_node na, nb;
	int a, b;

	(void)state;
	net_init(&net, 1);
	a = add_engine(&net, 1, NULL);
	b = add_engine(&net, 2, NULL);
	na = v5net_node(&net, a);
	nb = v5net_node(&net, b);

	/* A -> B: junk, WHOAREYOU, handshake(PING), PONG. */
	assert_int_equal(discv5_ping(eng(&net, a), &nb, net.now, ping_cb, r1),
			 0);
	assert_int_equal(r1->calls, 0);         /* never from the call */
	v5net_run(&net, 100 * MS);
	assert_int_equal(r1->calls, 1);
	assert_int_equal(r1->err, 0);
	assert_int_equal(r1->pong.enr_seq, nb.seq);
	assert_memory_equal(r1->pong.ip, na.ip, 16);    /* our envelope */
	assert_int_equal(r1->pong.port, na.udp);
	assert_int_equal(r1->at - T0, 4 * MS);          /* 4 hops of 1 ms */
	assert_true(discv5_has_session(eng(&net, a), nb.id, nb.ip, nb.udp));
	assert_true(discv5_has_session(eng(&net, b), na.id, na.ip, na.udp));
	assert_int_equal(st(&net, a)->hs_initiated, 1);
	assert_int_equal(st(&net, b)->hs_accepted, 1);
	assert_int_equal(st(&net, b)->tx_whoareyou, 1);
	assert_int_equal(st(&net, a)->tx_random, 1);
	/* B learnt A's record from the handshake (enr-seq 0 asked for it). */
	assert_non_null(discv5_get_node(eng(&net, b), na.id));

	/* B -> A reuses the session: no new handshake, 2 hops. */
	assert_int_equal(discv5_ping(eng(&net, b), &na, net.now, ping_cb, r2),
			 0);
	v5net_run(&net, 100 * MS);
	assert_int_equal(r2->calls, 1);
	assert_int_equal(r2->err, 0);
	assert_int_equal(st(&net, a)->hs_accepted, 0);
	assert_int_equal(st(&net, b)->hs_initiated, 0);
	assert_int_equal(st(&net, a)->rx[DISCV5_MSG_PING], 1);

	/* A fresh pair handshakes the other way round. */
	v5net_fini(&net);
	net_init(&net, 2);
	a = add_engine(&net, 1, NULL);
	b = add_engine(&net, 2, NULL);
	na = v5net_node(&net, a);
	assert_int_equal(discv5_ping(eng(&net, b), &na, net.now, ping_cb, r3),
			 0);
	v5net_run(&net, 100 * MS);
	assert_int_equal(r3->calls, 1);
	assert_int_equal(r3->err, 0);
	assert_int_equal(st(&net, b)->hs_initiated, 1);
	assert_int_equal(st(&net, a)->hs_accepted, 1);
	v5net_fini(&net);
	free(r1);
	free(r2);
	free(r3);
}

static void test_discv5_whoareyou_resend_is_byte_identical(void **state)
{
	uint8_t n1[DISCV5_GCM_NONCE_LEN], n2[DISCV5_GCM_NONCE_LEN];
	struct discv5_header h1, h2;
	struct v5net_pkt p1, p2;
	struct v5net net;
	int e, r;

	(void)state;
	net_init(&net, 3);
	e = add_engine(&net, 1, NULL);
	r = add_raw(&net, 2);
	assert_int_equal(v5net_raw_random(&net, r, e, n1), 0);
	v5net_run(&net, 5 * MS);
	assert_true(v5net_raw_pop(&net, r, &p1));
	/* A second undecryptable packet while the challenge is pending. */
	assert_int_equal(v5net_raw_random(&net, r, e, n2), 0);
	v5net_run(&net, 5 * MS);
	assert_true(v5net_raw_pop(&net, r, &p2));
	assert_int_equal(p1.len, DISCV5_CHALLENGE_LEN);
	assert_int_equal(p2.len, p1.len);
	assert_memory_equal(p1.data, p2.data, p1.len);  /* IV, nonce, all */
	assert_int_equal(v5net_raw_decode(&net, r, &p2, &h2), 0);
	assert_int_equal(v5net_raw_decode(&net, r, &p1, &h1), 0);
	assert_int_equal(h2.flag, DISCV5_FLAG_WHOAREYOU);
	assert_memory_equal(h2.nonce, n1, sizeof(n1));  /* the first's */
	assert_int_equal(st(&net, e)->tx_whoareyou, 1);
	assert_int_equal(st(&net, e)->tx_whoareyou_resent, 1);
	assert_int_equal(st(&net, e)->drop[DISCV5_DROP_NO_SESSION], 2);
	/* The handshake answers that one challenge. */
	{
		struct discv5_msg m;

		msg_ping(&m, 9, 1);
		assert_int_equal(v5net_raw_handshake(&net, r, e, &h2, &m, true),
				 0);
		v5net_run(&net, 5 * MS);
		expect_pong(&net, r, 9);
	}
	v5net_fini(&net);
}

static void hs_after(uint64_t delay, bool accepted)
{
	struct discv5_header h, h2;
	struct discv5_msg m;
	struct v5net_pkt p, p2;
	struct v5net net;
	uint8_t pt[DISCV5_PACKET_MAX];
	int e, r;

	net_init(&net, 4);
	e = add_engine(&net, 1, NULL);
	r = add_raw(&net, 2);
	assert_int_equal(v5net_raw_random(&net, r, e, NULL), 0);
	v5net_run(&net, 2 * MS);
	assert_true(v5net_raw_pop(&net, r, &p));
	assert_int_equal(v5net_raw_decode(&net, r, &p, &h), 0);
	/* The WHOAREYOU left at T0 + 1 ms; the handshake lands 1 ms after
	 * it is sent. */
	v5net_run(&net, delay - 2 * MS);
	msg_ping(&m, 5, 1);
	assert_int_equal(v5net_raw_handshake(&net, r, e, &h, &m, true), 0);
	v5net_run(&net, 10 * MS);
	if (accepted) {
		expect_pong(&net, r, 5);
		assert_int_equal(st(&net, e)->hs_accepted, 1);
		v5net_fini(&net);
		return;
	}
	assert_int_equal(v5net_raw_next_msg(&net, r, &m, pt, sizeof(pt)), 0);
	assert_int_equal(st(&net, e)->hs_accepted, 0);
	assert_int_equal(st(&net, e)->drop[DISCV5_DROP_HS_UNEXPECTED], 1);
	assert_int_equal(st(&net, e)->challenges_expired, 1);
	assert_int_equal(discv5_challenges(eng(&net, e)), 0);
	/* A new packet gets a fresh challenge, not the old one again. */
	assert_int_equal(v5net_raw_random(&net, r, e, NULL), 0);
	v5net_run(&net, 5 * MS);
	assert_true(v5net_raw_pop(&net, r, &p2));
	assert_int_equal(v5net_raw_decode(&net, r, &p2, &h2), 0);
	assert_int_equal(h2.flag, DISCV5_FLAG_WHOAREYOU);
	assert_memory_not_equal(p2.data, p.data, DISCV5_CHALLENGE_LEN);
	assert_int_equal(st(&net, e)->tx_whoareyou, 2);
	assert_int_equal(st(&net, e)->tx_whoareyou_resent, 0);
	v5net_fini(&net);
}

static void test_discv5_handshake_timeout_1s(void **state)
{
	(void)state;
	hs_after(900 * MS, true);
	hs_after(1100 * MS, false);
}

static void test_discv5_decrypt_failure_rehandshakes(void **state)
{
	struct discv5_header h;
	struct discv5_msg m;
	struct v5net_pkt p;
	struct v5net net;
	int e, r;

	(void)state;
	net_init(&net, 5);
	e = add_engine(&net, 1, NULL);
	r = add_raw(&net, 2);
	msg_ping(&m, 1, 1);
	assert_int_equal(v5net_raw_connect(&net, r, e, &m), 0);
	v5net_run(&net, 5 * MS);
	expect_pong(&net, r, 1);
	/* The remote lost its keys: E cannot open its message and asks for
	 * a new handshake. */
	net.nodes[r]->wkey[0] ^= 1;
	msg_ping(&m, 2, 1);
	assert_int_equal(v5net_raw_send(&net, r, e, &m), 0);
	v5net_run(&net, 5 * MS);
	assert_int_equal(st(&net, e)->drop[DISCV5_DROP_DECRYPT], 1);
	assert_true(v5net_raw_pop(&net, r, &p));
	assert_int_equal(v5net_raw_decode(&net, r, &p, &h), 0);
	assert_int_equal(h.flag, DISCV5_FLAG_WHOAREYOU);
	/* E knows the record now: the challenge says so. */
	assert_int_equal(h.enr_seq, 1);
	msg_ping(&m, 3, 1);
	assert_int_equal(v5net_raw_handshake(&net, r, e, &h, &m, false), 0);
	v5net_run(&net, 5 * MS);
	expect_pong(&net, r, 3);
	assert_int_equal(st(&net, e)->hs_accepted, 2);
	v5net_fini(&net);
}

/* The engine as initiator: the remote forgets the session; the engine's
 * next request is challenged and it handshakes again, with its record only
 * when the challenge's enr-seq is below its own. */
static void test_discv5_initiator_rehandshake_and_record(void **state)
{
	uint8_t pt[DISCV5_PACKET_MAX], challenge[DISCV5_CHALLENGE_LEN];
	struct res *x = res_new(), *y = res_new();
	struct discv5_header hs, h;
	struct discv5_node nr;
	struct discv5_msg m, pong;
	struct v5net_pkt p;
	struct v5net net;
	ssize_t len;
	int e, r;

	(void)state;
	net_init(&net, 6);
	e = add_engine(&net, 1, NULL);
	r = add_raw(&net, 2);
	nr = v5net_node(&net, r);
	assert_int_equal(discv5_ping(eng(&net, e), &nr, net.now, ping_cb, x),
			 0);
	raw_serve_hs(&net, r, e, 0, &m, pt, &hs);
	assert_int_equal(m.type, DISCV5_MSG_PING);
	assert_true(hs.record_len > 0);         /* enr-seq 0 < ours */
	memset(&pong, 0, sizeof(pong));
	pong.type = DISCV5_MSG_PONG;
	pong.req_id_len = m.req_id_len;
	memcpy(pong.req_id, m.req_id, m.req_id_len);
	pong.pong.enr_seq = 1;
	pong.pong.ip_len = 4;
	memcpy(pong.pong.ip, net.nodes[e]->ip + 12, 4);
	pong.pong.port = net.nodes[e]->port;
	assert_int_equal(v5net_raw_send(&net, r, e, &pong), 0);
	v5net_run(&net, 5 * MS);
	assert_int_equal(x->calls, 1);
	assert_int_equal(x->err, 0);

	/* Lost keys: the next PING is a message R answers with WHOAREYOU. */
	net.nodes[r]->has_keys = false;
	assert_int_equal(discv5_ping(eng(&net, e), &nr, net.now, ping_cb, y),
			 0);
	v5net_run(&net, 5 * MS);
	assert_true(v5net_raw_pop(&net, r, &p));
	assert_int_equal(v5net_raw_decode(&net, r, &p, &h), 0);
	assert_int_equal(h.flag, DISCV5_FLAG_MESSAGE);
	assert_int_equal(v5net_raw_whoareyou(&net, r, e, h.nonce,
					     localnode_seq(&net.nodes[e]->ln),
					     challenge), 0);
	v5net_run(&net, 5 * MS);
	assert_true(v5net_raw_pop(&net, r, &p));
	assert_int_equal(v5net_raw_decode(&net, r, &p, &h), 0);
	assert_int_equal(h.flag, DISCV5_FLAG_HANDSHAKE);
	assert_int_equal(h.record_len, 0);      /* R's copy is current */
	len = v5net_raw_accept(&net, r, e, &h, challenge, pt, sizeof(pt));
	assert_true(len > 0);
	assert_true(discv5_msg_decode(&m, pt, (size_t)len) > 0);
	assert_int_equal(m.type, DISCV5_MSG_PING);
	memcpy(pong.req_id, m.req_id, m.req_id_len);
	assert_int_equal(v5net_raw_send(&net, r, e, &pong), 0);
	v5net_run(&net, 5 * MS);
	assert_int_equal(y->calls, 1);
	assert_int_equal(y->err, 0);
	assert_int_equal(st(&net, e)->hs_initiated, 2);
	/* A second challenge for the same request is ignored. */
	v5net_fini(&net);
	free(x);
	free(y);
}

static void test_discv5_stale_enr_and_seq_fetch(void **state)
{
	uint8_t pt[DISCV5_PACKET_MAX], rec[ENR_MAX_SIZE];
	struct discv5_header h;
	struct discv5_msg m, n;
	struct v5net_pkt p;
	struct v5net net;
	const struct discv5_node *kn;
	ssize_t len;
	int e, r;

	(void)state;
	net_init(&net, 7);
	e = add_engine(&net, 1, NULL);
	r = add_raw(&net, 2);
	msg_ping(&m, 1, 1);
	assert_int_equal(v5net_raw_connect(&net, r, e, &m), 0);
	v5net_run(&net, 5 * MS);
	expect_pong(&net, r, 1);
	kn = discv5_get_node(eng(&net, e), net.nodes[r]->ln.id);
	assert_non_null(kn);
	assert_int_equal(kn->seq, 1);

	/* R's record changes (seq 2) and it loses the session: E's
	 * challenge carries seq 1, so R's handshake carries the record. */
	localnode_set_tcp(&net.nodes[r]->ln, 7777);
	assert_int_equal(localnode_update(&net.nodes[r]->ln, net.now), 1);
	assert_int_equal(localnode_seq(&net.nodes[r]->ln), 2);
	net.nodes[r]->has_keys = false;
	assert_int_equal(v5net_raw_random(&net, r, e, NULL), 0);
	v5net_run(&net, 5 * MS);
	assert_true(v5net_raw_pop(&net, r, &p));
	assert_int_equal(v5net_raw_decode(&net, r, &p, &h), 0);
	assert_int_equal(h.enr_seq, 1);
	msg_ping(&m, 2, 2);
	assert_int_equal(v5net_raw_handshake(&net, r, e, &h, &m, true), 0);
	v5net_run(&net, 5 * MS);
	expect_pong(&net, r, 2);
	kn = discv5_get_node(eng(&net, e), net.nodes[r]->ln.id);
	assert_int_equal(kn->seq, 2);
	assert_int_equal(kn->tcp, 7777);
	assert_int_equal(st(&net, e)->enr_fetches, 0);

	/* A PING announcing seq 3 makes E ask for the record: FINDNODE [0]
	 * after the PONG. */
	localnode_set_tcp(&net.nodes[r]->ln, 8888);
	assert_int_equal(localnode_update(&net.nodes[r]->ln, net.now), 1);
	msg_ping(&m, 3, 3);
	assert_int_equal(v5net_raw_send(&net, r, e, &m), 0);
	v5net_run(&net, 5 * MS);
	expect_pong(&net, r, 3);
	assert_int_equal(v5net_raw_next_msg(&net, r, &m, pt, sizeof(pt)), 1);
	assert_int_equal(m.type, DISCV5_MSG_FINDNODE);
	assert_int_equal(m.findnode.n, 1);
	assert_int_equal(m.findnode.dist[0], 0);
	assert_int_equal(st(&net, e)->enr_fetches, 1);
	len = enr_encode(rec, sizeof(rec), localnode_record(&net.nodes[r]->ln));
	assert_true(len > 0);
	msg_nodes(&n, &m, 1, rec, (size_t)len, 1);
	assert_int_equal(v5net_raw_send(&net, r, e, &n), 0);
	v5net_run(&net, 5 * MS);
	kn = discv5_get_node(eng(&net, e), net.nodes[r]->ln.id);
	assert_int_equal(kn->seq, 3);
	assert_int_equal(kn->tcp, 8888);
	/* The same seq again asks nothing. */
	msg_ping(&m, 4, 3);
	assert_int_equal(v5net_raw_send(&net, r, e, &m), 0);
	v5net_run(&net, 5 * MS);
	expect_pong(&net, r, 4);
	assert_int_equal(v5net_raw_next_msg(&net, r, &m, pt, sizeof(pt)), 0);
	assert_int_equal(st(&net, e)->enr_fetches, 1);
	v5net_fini(&net);
}

static void test_discv5_handshake_needs_record(void **state)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	struct discv5_msg m;
	struct v5net net;
	int e, r;

	(void)state;
	net_init(&net, 8);
	e = add_engine(&net, 1, NULL);
	r = add_raw(&net, 2);
	/* E has never seen R: a handshake without R's record is refused. */
	assert_int_equal(v5net_raw_random(&net, r, e, NULL), 0);
	v5net_run(&net, 5 * MS);
	{
		struct v5net_pkt p;
		struct discv5_header h;

		assert_true(v5net_raw_pop(&net, r, &p));
		assert_int_equal(v5net_raw_decode(&net, r, &p, &h), 0);
		assert_int_equal(h.enr_seq, 0);
		msg_ping(&m, 1, 1);
		assert_int_equal(v5net_raw_handshake(&net, r, e, &h, &m, false),
				 0);
	}
	v5net_run(&net, 5 * MS);
	assert_int_equal(v5net_raw_next_msg(&net, r, &m, pt, sizeof(pt)), 0);
	assert_int_equal(st(&net, e)->drop[DISCV5_DROP_HS_BAD], 1);
	assert_int_equal(discv5_sessions(eng(&net, e)), 0);
	v5net_fini(&net);
}

/* geth #30592: a WHOAREYOU answering a response of ours is not a reason
 * to handshake; nothing is sent back. */
static void test_discv5_whoareyou_for_response_ignored(void **state)
{
	uint8_t challenge[DISCV5_CHALLENGE_LEN];
	struct discv5_header h;
	struct discv5_msg m;
	struct v5net_pkt p;
	struct v5net net;
	int e, r;

	(void)state;
	net_init(&net, 9);
	e = add_engine(&net, 1, NULL);
	r = add_raw(&net, 2);
	msg_ping(&m, 1, 1);
	assert_int_equal(v5net_raw_connect(&net, r, e, &m), 0);
	v5net_run(&net, 5 * MS);
	assert_true(v5net_raw_pop(&net, r, &p));        /* the PONG */
	assert_int_equal(v5net_raw_decode(&net, r, &p, &h), 0);
	assert_int_equal(h.flag, DISCV5_FLAG_MESSAGE);
	assert_int_equal(v5net_raw_whoareyou(&net, r, e, h.nonce, 0,
					     challenge), 0);
	v5net_run(&net, 5 * MS);
	assert_false(v5net_raw_pop(&net, r, &p));
	assert_int_equal(st(&net, e)->drop[DISCV5_DROP_WHOAREYOU_NO_CALL], 1);
	assert_int_equal(st(&net, e)->hs_initiated, 0);
	/* Unsolicited answers are dropped too. */
	{
		struct discv5_msg n;

		msg_nodes(&n, &m, 1, NULL, 0, 0);
		n.req_id[0] = 0x77;
		assert_int_equal(v5net_raw_send(&net, r, e, &n), 0);
		v5net_run(&net, 5 * MS);
		assert_int_equal(st(&net, e)->drop[DISCV5_DROP_UNSOLICITED], 1);
	}
	v5net_fini(&net);
}

static void test_discv5_session_lru_eviction(void **state)
{
	struct discv5_config c;
	struct discv5_msg m;
	struct v5net net;
	int e, r[6];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.max_sessions = 4;
	c.hs_ip_rate = UINT32_MAX;
	net_init(&net, 10);
	e = add_engine(&net, 1, &c);
	for (int i = 0; i < 6; i++)
		r[i] = add_raw(&net, (unsigned)(10 + i));
	for (int i = 0; i < 4; i++) {
		msg_ping(&m, (uint8_t)i, 1);
		assert_int_equal(v5net_raw_connect(&net, r[i], e, &m), 0);
		v5net_run(&net, 5 * MS);
		expect_pong(&net, r[i], (uint8_t)i);
	}
	assert_int_equal(discv5_sessions(eng(&net, e)), 4);
	/* A use makes r[0] the most recent: r[1] and r[2] go first. */
	msg_ping(&m, 40, 1);
	assert_int_equal(v5net_raw_send(&net, r[0], e, &m), 0);
	v5net_run(&net, 5 * MS);
	expect_pong(&net, r[0], 40);
	for (int i = 4; i < 6; i++) {
		msg_ping(&m, (uint8_t)i, 1);
		assert_int_equal(v5net_raw_connect(&net, r[i], e, &m), 0);
		v5net_run(&net, 5 * MS);
		expect_pong(&net, r[i], (uint8_t)i);
	}
	assert_int_equal(discv5_sessions(eng(&net, e)), 4);
	assert_int_equal(st(&net, e)->sessions_evicted, 2);
	for (int i = 0; i < 6; i++) {
		struct v5net_node *n = net.nodes[r[i]];
		bool want = i == 0 || i >= 3;

		assert_int_equal(discv5_has_session(eng(&net, e), n->ln.id,
						    n->ip, n->port), want);
	}
	/* An evicted peer's message is challenged. */
	msg_ping(&m, 41, 1);
	assert_int_equal(v5net_raw_send(&net, r[1], e, &m), 0);
	v5net_run(&net, 5 * MS);
	assert_int_equal(st(&net, e)->drop[DISCV5_DROP_NO_SESSION], 7);
	v5net_fini(&net);
}

static void refused(void *user, const uint8_t addr[16], uint16_t port,
		    uint64_t now)
{
	unsigned *n = user;

	(void)addr;
	(void)port;
	(void)now;
	(*n)++;
}

static void test_discv5_handshake_ec_budget_per_ip(void **state)
{
	struct discv5_config c;
	struct discv5_msg m;
	struct v5net net;
	uint8_t ip[16], pt[DISCV5_PACKET_MAX];
	unsigned nref = 0;
	int e, r[4];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.hs_ip_rate = 1;
	c.hs_ip_burst = 2;
	c.on_refused = refused;
	c.hook_user = &nref;
	net_init(&net, 11);
	e = add_engine(&net, 1, &c);
	pub_ip(ip, 50);
	for (int i = 0; i < 4; i++) {
		r[i] = v5net_add_raw(&net, ip, (uint16_t)(40000 + i));
		assert_true(r[i] >= 0);
	}
	for (int i = 0; i < 3; i++) {
		msg_ping(&m, (uint8_t)i, 1);
		assert_int_equal(v5net_raw_connect(&net, r[i], e, &m), 0);
		v5net_run(&net, 5 * MS);
	}
	expect_pong(&net, r[0], 0);
	expect_pong(&net, r[1], 1);
	assert_int_equal(v5net_raw_next_msg(&net, r[2], &m, pt, sizeof(pt)), 0);
	assert_int_equal(st(&net, e)->drop[DISCV5_DROP_RATELIMIT], 1);
	assert_int_equal(nref, 1);
	assert_int_equal(st(&net, e)->hs_accepted, 2);
	/* One more token a second later. */
	v5net_run(&net, 1 * SEC);
	msg_ping(&m, 3, 1);
	assert_int_equal(v5net_raw_connect(&net, r[3], e, &m), 0);
	v5net_run(&net, 5 * MS);
	expect_pong(&net, r[3], 3);
	v5net_fini(&net);
}

/* ---- FINDNODE / NODES --------------------------------------------------- */

/* E asks raw R for dist[], R answers with the given NODES messages. */
struct fn_case {
	struct v5net net;
	int e, r;
	struct discv5_msg req;
	uint8_t pt[DISCV5_PACKET_MAX];
	struct res *out;
};

static void fn_start(struct fn_case *fc, uint64_t seed, const uint16_t *dist,
		     size_t nd)
{
	struct discv5_node nr;

	net_init(&fc->net, seed);
	fc->e = add_engine(&fc->net, 1, NULL);
	fc->r = add_raw(&fc->net, 2);
	fc->out = res_new();
	nr = v5net_node(&fc->net, fc->r);
	assert_int_equal(discv5_findnode(eng(&fc->net, fc->e), &nr, dist, nd,
					 fc->net.now, nodes_cb, fc->out), 0);
	raw_serve_hs(&fc->net, fc->r, fc->e, 0, &fc->req, fc->pt, NULL);
	assert_int_equal(fc->req.type, DISCV5_MSG_FINDNODE);
	assert_int_equal(fc->req.findnode.n, nd);
}

static void fn_end(struct fn_case *fc)
{
	v5net_fini(&fc->net);
	free(fc->out);
}

static void test_discv5_findnode_result_checks(void **state)
{
	static const uint16_t dist[] = { 256, 255 };
	uint8_t buf[2000], rid[32], ip[16], lan[16];
	struct discv5_node good1, good2;
	struct discv5_msg n;
	struct fn_case fc;
	size_t off = 0, l;
	const struct discv5_stats *s;

	(void)state;
	fn_start(&fc, 12, dist, 2);
	memcpy(rid, fc.net.nodes[fc.r]->ln.id, 32);
	pub_ip(ip, 77);
	v5net_ip4(lan, 10, 0, 0, 7);
	off += mk_rec(buf + off, rid, 256, ip, 30303, 0, &good1);
	l = mk_rec(buf + off, rid, 255, ip, 30304, 0, &good2);
	off += l;
	memcpy(buf + off, buf + off - l, l);            /* duplicate */
	off += l;
	off += mk_rec(buf + off, rid, 254, ip, 30305, 0, NULL); /* distance */
	off += mk_rec(buf + off, rid, 256, lan, 30306, 0, NULL); /* relay */
	off += mk_rec(buf + off, rid, 256, ip, 1000, 0, NULL);  /* port */
	l = mk_rec(buf + off, rid, 256, ip, 30307, 0, NULL);
	buf[off + l - 1] ^= 1;          /* the last value: signature fails */
	off += l;
	msg_nodes(&n, &fc.req, 1, buf, off, 7);
	assert_int_equal(v5net_raw_send(&fc.net, fc.r, fc.e, &n), 0);
	v5net_run(&fc.net, 5 * MS);
	assert_int_equal(fc.out->calls, 1);
	assert_int_equal(fc.out->err, 0);
	assert_int_equal(fc.out->n, 2);
	assert_memory_equal(fc.out->nodes[0].id, good1.id, 32);
	assert_memory_equal(fc.out->nodes[1].id, good2.id, 32);
	s = st(&fc.net, fc.e);
	assert_int_equal(s->nodes_rejected[DISCV5_REJ_DUPLICATE], 1);
	assert_int_equal(s->nodes_rejected[DISCV5_REJ_DISTANCE], 1);
	assert_int_equal(s->nodes_rejected[DISCV5_REJ_RELAY], 1);
	assert_int_equal(s->nodes_rejected[DISCV5_REJ_PORT], 1);
	assert_int_equal(s->nodes_rejected[DISCV5_REJ_RECORD], 1);
	fn_end(&fc);
}

static void test_discv5_nodes_five_messages_max(void **state)
{
	static const uint16_t dist[] = { 256 };
	uint8_t rec[ENR_MAX_SIZE], ip[16];
	struct discv5_msg n;
	struct fn_case fc;

	(void)state;
	fn_start(&fc, 13, dist, 1);
	pub_ip(ip, 78);
	/* total says 9; only 5 are taken, then the call is over. */
	for (int i = 0; i < 7; i++) {
		size_t l = mk_rec(rec, fc.net.nodes[fc.r]->ln.id, 256, ip,
				  (uint16_t)(31000 + i), 0, NULL);

		msg_nodes(&n, &fc.req, 9, rec, l, 1);
		assert_int_equal(v5net_raw_send(&fc.net, fc.r, fc.e, &n), 0);
	}
	v5net_run(&fc.net, 5 * MS);
	assert_int_equal(fc.out->calls, 1);
	assert_int_equal(fc.out->err, 0);
	assert_int_equal(fc.out->n, 5);
	assert_int_equal(st(&fc.net, fc.e)->rx[DISCV5_MSG_NODES], 5);
	assert_int_equal(st(&fc.net, fc.e)->drop[DISCV5_DROP_UNSOLICITED], 2);
	fn_end(&fc);
}

/* geth #35043: NODES with total 0 must not leave the call hanging. */
static void test_discv5_nodes_total_zero(void **state)
{
	static const uint16_t dist[] = { 256 };
	uint8_t rec[ENR_MAX_SIZE], ip[16];
	struct discv5_msg n;
	struct fn_case fc;
	uint64_t sent;
	size_t l;

	(void)state;
	fn_start(&fc, 14, dist, 1);
	pub_ip(ip, 79);
	l = mk_rec(rec, fc.net.nodes[fc.r]->ln.id, 256, ip, 31000, 0, NULL);
	msg_nodes(&n, &fc.req, 0, rec, l, 1);
	sent = fc.net.now;
	assert_int_equal(v5net_raw_send(&fc.net, fc.r, fc.e, &n), 0);
	v5net_run(&fc.net, 5 * MS);
	assert_int_equal(fc.out->calls, 1);
	assert_int_equal(fc.out->err, 0);
	assert_int_equal(fc.out->n, 1);
	assert_true(fc.out->at - sent < 10 * MS);
	fn_end(&fc);
}

static void test_discv5_findnode_timeout_partial(void **state)
{
	static const uint16_t dist[] = { 256 };
	uint8_t rec[ENR_MAX_SIZE], ip[16];
	struct discv5_msg n;
	struct fn_case fc;
	size_t l;

	(void)state;
	fn_start(&fc, 15, dist, 1);
	pub_ip(ip, 80);
	l = mk_rec(rec, fc.net.nodes[fc.r]->ln.id, 256, ip, 31000, 0, NULL);
	msg_nodes(&n, &fc.req, 3, rec, l, 1);
	assert_int_equal(v5net_raw_send(&fc.net, fc.r, fc.e, &n), 0);
	v5net_run(&fc.net, 650 * MS);
	assert_int_equal(fc.out->calls, 0);
	v5net_run(&fc.net, 100 * MS);   /* 700 ms after the last NODES */
	assert_int_equal(fc.out->calls, 1);
	assert_int_equal(fc.out->err, -ETIMEDOUT);
	assert_int_equal(fc.out->n, 1);
	fn_end(&fc);
}

struct tapctx {
	int from;
	struct v5net *net;
	size_t max_len;
	unsigned pkts;
};

static void tap(void *user, const struct v5net_pkt *p)
{
	struct tapctx *t = user;
	struct v5net_node *n = t->net->nodes[t->from];

	if (p->src_port != n->port || memcmp(p->src_ip, n->ip, 16))
		return;
	t->pkts++;
	if (p->len > t->max_len)
		t->max_len = p->len;
}

static void test_discv5_findnode_serves_16_packed(void **state)
{
	struct discv5_config c;
	struct discv5_msg m;
	struct v5net net;
	struct tapctx tc;
	uint8_t rec[ENR_MAX_SIZE], ip[16], pt[DISCV5_PACKET_MAX];
	uint8_t seen[40][32];
	unsigned nseen = 0, msgs = 0, total = 0, bucket256 = 0;
	int e, r;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.no_refresh = true;
	net_init(&net, 16);
	e = add_engine(&net, 1, &c);
	r = add_raw(&net, 2);
	/* 16 live nodes at each of distances 256 and 255, with records of
	 * about 250 bytes: the answer is 16 of them in several NODES. */
	for (unsigned d = 255; d <= 256; d++)
		for (unsigned i = 0; i < 16; i++) {
			struct discv5_node nd;

			pub_ip(ip, 100 + (d - 255) * 16 + i);
			(void)mk_rec(rec, net.nodes[e]->ln.id, d, ip, 30303,
				     100, &nd);
			assert_int_equal(discv5_add_node(eng(&net, e), &nd,
							 true, net.now),
					 KAD_ADDED);
		}
	/* A not-yet-validated one is never served. */
	{
		struct discv5_node nd;

		pub_ip(ip, 200);
		(void)mk_rec(rec, net.nodes[e]->ln.id, 254, ip, 30303, 0, &nd);
		assert_int_equal(discv5_add_node(eng(&net, e), &nd, false,
						 net.now), KAD_ADDED);
	}
	memset(&tc, 0, sizeof(tc));
	tc.from = e;
	tc.net = &net;
	net.tap = tap;
	net.tap_user = &tc;
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_FINDNODE;
	m.req_id_len = 2;
	m.req_id[0] = 0xab;
	m.findnode.n = 3;
	m.findnode.dist[0] = 256;
	m.findnode.dist[1] = 255;
	m.findnode.dist[2] = 254;
	assert_int_equal(v5net_raw_connect(&net, r, e, &m), 0);
	tc.pkts = 0;
	tc.max_len = 0;
	v5net_run(&net, 5 * MS);
	while (v5net_raw_next_msg(&net, r, &m, pt, sizeof(pt)) == 1) {
		const uint8_t *p;
		size_t len, off = 0;

		assert_int_equal(m.type, DISCV5_MSG_NODES);
		assert_true(m.nodes.enrs_len <= DISCV5_NODES_SIZE_LIMIT);
		if (!total)
			total = m.nodes.total;
		assert_int_equal(m.nodes.total, total);
		msgs++;
		while (discv5_nodes_next(&p, &len, &m.nodes, &off) == 1) {
			struct discv5_node nd;

			assert_int_equal(discv5_node_from_enr(&nd, p, len), 0);
			for (unsigned k = 0; k < nseen; k++)
				assert_memory_not_equal(seen[k], nd.id, 32);
			memcpy(seen[nseen++], nd.id, 32);
			if (kad_log_distance(net.nodes[e]->ln.id, nd.id) == 256)
				bucket256++;
			assert_int_not_equal(
				kad_log_distance(net.nodes[e]->ln.id, nd.id),
				254);
		}
	}
	assert_int_equal(nseen, DISCV5_FINDNODE_RESULT_LIMIT);
	assert_int_equal(bucket256, 16);        /* the first distance first */
	assert_int_equal(msgs, total);
	assert_true(msgs >= 4);                 /* ~250 B records, 1000 B max */
	assert_int_equal(tc.pkts, msgs);
	assert_true(tc.max_len <= DISCV5_PACKET_MAX);
	assert_true(tc.max_len > 1000);

	/* The unvalidated node is not served, nor anything at a distance
	 * without nodes: one empty NODES with total 1. */
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_FINDNODE;
	m.req_id_len = 1;
	m.findnode.n = 1;
	m.findnode.dist[0] = 254;
	assert_int_equal(v5net_raw_send(&net, r, e, &m), 0);
	v5net_run(&net, 5 * MS);
	assert_int_equal(v5net_raw_next_msg(&net, r, &m, pt, sizeof(pt)), 1);
	assert_int_equal(m.type, DISCV5_MSG_NODES);
	assert_int_equal(m.nodes.total, 1);
	assert_int_equal(m.nodes.n, 0);
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_FINDNODE;
	m.req_id_len = 1;
	m.findnode.n = 1;
	m.findnode.dist[0] = 200;
	assert_int_equal(v5net_raw_send(&net, r, e, &m), 0);
	v5net_run(&net, 5 * MS);
	assert_int_equal(v5net_raw_next_msg(&net, r, &m, pt, sizeof(pt)), 1);
	assert_int_equal(m.type, DISCV5_MSG_NODES);
	assert_int_equal(m.nodes.total, 1);
	assert_int_equal(m.nodes.n, 0);
	/* Distance 0 is the engine's own record. */
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_FINDNODE;
	m.req_id_len = 1;
	m.findnode.n = 1;
	assert_int_equal(v5net_raw_send(&net, r, e, &m), 0);
	v5net_run(&net, 5 * MS);
	assert_int_equal(v5net_raw_next_msg(&net, r, &m, pt, sizeof(pt)), 1);
	assert_int_equal(m.nodes.n, 1);
	{
		const uint8_t *p;
		size_t len, off = 0;
		struct discv5_node nd;

		assert_int_equal(discv5_nodes_next(&p, &len, &m.nodes, &off),
				 1);
		assert_int_equal(discv5_node_from_enr(&nd, p, len), 0);
		assert_memory_equal(nd.id, net.nodes[e]->ln.id, 32);
	}
	v5net_fini(&net);
}

/* ---- TALKREQ ------------------------------------------------------------ */

struct talk_srv {
	unsigned calls;
	uint64_t token;
};

static int echo_handler(void *user, const struct discv5_talk_req *req,
			uint8_t *resp, size_t *resp_len)
{
	struct talk_srv *t = user;

	t->calls++;
	assert_true(*resp_len >= req->msg_len);
	for (size_t i = 0; i < req->msg_len; i++)
		resp[i] = req->msg[req->msg_len - 1 - i];
	*resp_len = req->msg_len;
	return 0;
}

static int later_handler(void *user, const struct discv5_talk_req *req,
			 uint8_t *resp, size_t *resp_len)
{
	struct talk_srv *t = user;

	(void)resp;
	(void)resp_len;
	t->calls++;
	t->token = req->token;
	return DISCV5_TALK_ASYNC;
}

static void test_discv5_talk(void **state)
{
	struct res *x = res_new(), *y = res_new(), *z = res_new();
	struct res *w = res_new();
	struct talk_srv echo = { 0 }, later = { 0 };
	struct discv5_node nb;
	struct v5net net;
	int a, b;

	(void)state;
	net_init(&net, 17);
	a = add_engine(&net, 1, NULL);
	b = add_engine(&net, 2, NULL);
	nb = v5net_node(&net, b);
	assert_int_equal(discv5_talk_register(eng(&net, b),
					      (const uint8_t *)"echo", 4,
					      echo_handler, &echo), 0);
	assert_int_equal(discv5_talk_register(eng(&net, b),
					      (const uint8_t *)"later", 5,
					      later_handler, &later), 0);
	assert_int_equal(discv5_talk(eng(&net, a), &nb,
				     (const uint8_t *)"echo", 4,
				     (const uint8_t *)"hello", 5, net.now,
				     talk_cb, x), 0);
	v5net_run(&net, 50 * MS);
	assert_int_equal(x->calls, 1);
	assert_int_equal(x->err, 0);
	assert_int_equal(x->len, 5);
	assert_memory_equal(x->data, "olleh", 5);
	assert_int_equal(echo.calls, 1);

	/* Unknown protocol: an empty TALKRESP. */
	assert_int_equal(discv5_talk(eng(&net, a), &nb,
				     (const uint8_t *)"nope", 4,
				     (const uint8_t *)"x", 1, net.now, talk_cb,
				     y), 0);
	v5net_run(&net, 50 * MS);
	assert_int_equal(y->calls, 1);
	assert_int_equal(y->err, 0);
	assert_int_equal(y->len, 0);
	assert_int_equal(st(&net, b)->talk_unknown, 1);

	/* Asynchronous answer. */
	assert_int_equal(discv5_talk(eng(&net, a), &nb,
				     (const uint8_t *)"later", 5,
				     (const uint8_t *)"q", 1, net.now, talk_cb,
				     z), 0);
	v5net_run(&net, 50 * MS);
	assert_int_equal(later.calls, 1);
	assert_int_equal(z->calls, 0);
	assert_int_equal(discv5_talk_respond(eng(&net, b), later.token,
					     (const uint8_t *)"late", 4,
					     net.now), 0);
	v5net_touch(&net, b);
	v5net_run(&net, 50 * MS);
	assert_int_equal(z->calls, 1);
	assert_int_equal(z->err, 0);
	assert_memory_equal(z->data, "late", 4);
	/* Answered tokens are spent. */
	assert_int_equal(discv5_talk_respond(eng(&net, b), later.token,
					     (const uint8_t *)"x", 1, net.now),
			 -ENOENT);

	/* Never answered: the asker times out, the slot expires. */
	assert_int_equal(discv5_talk(eng(&net, a), &nb,
				     (const uint8_t *)"later", 5,
				     (const uint8_t *)"q", 1, net.now, talk_cb,
				     w), 0);
	v5net_run(&net, 2 * SEC);
	assert_int_equal(w->calls, 1);
	assert_int_equal(w->err, -ETIMEDOUT);
	assert_int_equal(discv5_talk_respond(eng(&net, b), later.token,
					     (const uint8_t *)"x", 1, net.now),
			 -ENOENT);
	/* Removing a handler makes its protocol unknown. */
	assert_int_equal(discv5_talk_register(eng(&net, b),
					      (const uint8_t *)"echo", 4, NULL,
					      NULL), 0);
	memset(x, 0, sizeof(*x));
	assert_int_equal(discv5_talk(eng(&net, a), &nb,
				     (const uint8_t *)"echo", 4,
				     (const uint8_t *)"hello", 5, net.now,
				     talk_cb, x), 0);
	v5net_run(&net, 50 * MS);
	assert_int_equal(x->len, 0);
	assert_int_equal(echo.calls, 1);
	v5net_fini(&net);
	free(x);
	free(y);
	free(z);
	free(w);
}

/* ---- table: revalidation, request_enr, cancel ------------------- */

static void test_discv5_revalidation_drops_dead_node(void **state)
{
	struct discv5_config c;
	struct discv5_node na, nb;
	struct v5net net;
	int e, a, b;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.no_refresh = true;
	c.ping_interval_ns = 500 * MS;
	net_init(&net, 18);
	e = add_engine(&net, 1, &c);
	a = add_engine(&net, 2, &c);
	b = add_engine(&net, 3, &c);
	na = v5net_node(&net, a);
	nb = v5net_node(&net, b);
	assert_int_equal(discv5_add_node(eng(&net, e), &na, false, net.now),
			 KAD_ADDED);
	assert_int_equal(discv5_add_node(eng(&net, e), &nb, false, net.now),
			 KAD_ADDED);
	v5net_run(&net, 10 * SEC);
	assert_int_equal(discv5_table_size(eng(&net, e)), 2);
	assert_true(kad_find_id(discv5_table(eng(&net, e)), na.id)->live);
	assert_true(st(&net, e)->tx[DISCV5_MSG_PING] >= 4);
	net.nodes[a]->down = true;
	v5net_run(&net, 30 * SEC);
	assert_int_equal(discv5_table_size(eng(&net, e)), 1);
	assert_null(kad_find_id(discv5_table(eng(&net, e)), na.id));
	assert_non_null(kad_find_id(discv5_table(eng(&net, e)), nb.id));
	assert_true(st(&net, e)->calls_timeout >= 2);
	v5net_fini(&net);
}

static void test_discv5_request_enr_and_cancel(void **state)
{
	struct res *x = res_new(), *y = res_new(), *z = res_new();
	struct res *w = res_new();
	struct discv5_node nb, nc, bare;
	struct v5net net;
	int a, b, c;

	(void)state;
	net_init(&net, 19);
	a = add_engine(&net, 1, NULL);
	b = add_engine(&net, 2, NULL);
	c = add_engine(&net, 3, NULL);
	nb = v5net_node(&net, b);
	nc = v5net_node(&net, c);
	/* Asked by key and endpoint only, B sends its record. */
	discv5_node_from_addr(&bare, NULL, net.nodes[b]->ln.pub, nb.ip, nb.udp);
	assert_int_equal(discv5_request_enr(eng(&net, a), &bare, net.now,
					    enr_cb, x), 0);
	v5net_run(&net, 50 * MS);
	assert_int_equal(x->calls, 1);
	assert_int_equal(x->err, 0);
	assert_memory_equal(x->nodes[0].enr, nb.enr, nb.enr_len);
	/* Without a key no handshake is possible: -ENOKEY, as geth's "call
	 * has no ENR". */
	discv5_node_from_addr(&bare, nc.id, NULL, nc.ip, nc.udp);
	assert_int_equal(discv5_ping(eng(&net, a), &bare, net.now, ping_cb, w),
			 0);
	v5net_run(&net, 50 * MS);
	assert_int_equal(w->calls, 1);
	assert_int_equal(w->err, -ENOKEY);
	assert_int_equal(discv5_add_node(eng(&net, a), &bare, false, net.now),
			 -EINVAL);
	/* Pending requests are cancelled by discv5_free(). */
	net.nodes[b]->down = true;
	assert_int_equal(discv5_ping(eng(&net, a), &nb, net.now, ping_cb, y),
			 0);
	assert_int_equal(discv5_ping(eng(&net, a), &nb, net.now, ping_cb, z),
			 0);
	assert_int_equal(discv5_pending(eng(&net, a)), 2);
	discv5_free(net.nodes[a]->d);
	net.nodes[a]->d = NULL;
	assert_int_equal(y->calls, 1);
	assert_int_equal(y->err, -ECANCELED);
	assert_int_equal(z->calls, 1);
	assert_int_equal(z->err, -ECANCELED);
	v5net_fini(&net);
	free(x);
	free(y);
	free(z);
	free(w);
}

static void test_discv5_rejects_junk_and_netrestrict(void **state)
{
	struct discv5_config c;
	struct netutil_prefix nr;
	struct v5net net;
	uint8_t junk[100], ip[16];
	int e;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(netutil_prefix_parse(&nr, "11.0.0.0/16", 11), 0);
	c.netrestrict = &nr;
	c.n_netrestrict = 1;
	net_init(&net, 20);
	e = add_engine(&net, 1, &c);
	memset(junk, 0x42, sizeof(junk));
	pub_ip(ip, 3);
	assert_int_equal(discv5_on_packet(eng(&net, e), ip, 1234, junk,
					  sizeof(junk), net.now), -EBADMSG);
	assert_int_equal(discv5_on_packet(eng(&net, e), ip, 1234, junk, 10,
					  net.now), -EBADMSG);
	v5net_ip4(ip, 12, 0, 0, 1);
	assert_int_equal(discv5_on_packet(eng(&net, e), ip, 1234, junk,
					  sizeof(junk), net.now), -EACCES);
	assert_int_equal(st(&net, e)->drop[DISCV5_DROP_HEADER], 2);
	assert_int_equal(st(&net, e)->drop[DISCV5_DROP_NETRESTRICT], 1);
	v5net_fini(&net);
}


static void test_discv5_resolve(void **state)
{
	struct res *x = res_new(), *y = res_new();
	struct discv5_node old, bare;
	struct v5net net;
	uint8_t ip[16];
	int a, b;

	(void)state;
	net_init(&net, 22);
	a = add_engine(&net, 1, NULL);
	b = add_engine(&net, 2, NULL);
	old = v5net_node(&net, b);
	localnode_set_tcp(&net.nodes[b]->ln, 4444);
	assert_int_equal(localnode_update(&net.nodes[b]->ln, net.now), 1);
	/* Asked directly, B returns its newer record. */
	assert_int_equal(discv5_resolve(eng(&net, a), &old, net.now, enr_cb, x),
			 0);
	v5net_run(&net, 50 * MS);
	assert_int_equal(x->calls, 1);
	assert_int_equal(x->err, 0);
	assert_int_equal(x->nodes[0].seq, 2);
	assert_int_equal(x->nodes[0].tcp, 4444);
	/* Nobody answers and nothing is known: -ENOENT after the timeout
	 * and an empty lookup. */
	pub_ip(ip, 99);
	discv5_node_from_addr(&bare, NULL, net.nodes[b]->ln.pub, ip, 30099);
	memset(bare.id, 0x33, 32);
	assert_int_equal(discv5_resolve(eng(&net, a), &bare, net.now, enr_cb,
					y), 0);
	v5net_run(&net, 2 * SEC);
	assert_int_equal(y->calls, 1);
	assert_int_equal(y->err, -ENOENT);
	v5net_fini(&net);
	free(x);
	free(y);
}

/* geth newNodeWithID: the most global of ip and ip6; udp6 for IPv6. */
static void test_discv5_node_endpoint_choice(void **state)
{
	static const struct {
		uint8_t ip4[4];
		uint8_t ip6_0;          /* 0: no ip6; 0x20 global, 0xfd ULA,
					 * 0xff multicast */
		bool udp6;
		bool want6;
		uint16_t want_port;
	} rows[] = {
		{ { 11, 0, 0, 1 }, 0, false, false, 30303 },
		{ { 11, 0, 0, 1 }, 0xfd, true, false, 30303 },  /* v4 wins */
		{ { 127, 0, 0, 1 }, 0x20, true, true, 40404 },  /* v6 wins */
		{ { 127, 0, 0, 1 }, 0x20, false, true, 30303 }, /* no udp6 */
		{ { 10, 0, 0, 1 }, 0x20, true, true, 40404 },
		{ { 11, 0, 0, 1 }, 0x20, true, false, 30303 },    /* tie: v4 */
		{ { 224, 0, 0, 1 }, 0xff, true, false, 30303 }, /* no ip */
	};
	uint8_t priv[32], raw[ENR_MAX_SIZE], ip6[16];
	struct discv5_node n;
	struct enr r;
	ssize_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rand_priv(priv);
		enr_init(&r);
		enr_set_seq(&r, 1);
		assert_int_equal(enr_set_ip(&r, rows[i].ip4), 0);
		assert_int_equal(enr_set_udp(&r, 30303), 0);
		if (rows[i].ip6_0) {
			memset(ip6, 0, 16);
			ip6[0] = rows[i].ip6_0;
			ip6[1] = 0x01;
			ip6[15] = 1;
			assert_int_equal(enr_set_ip6(&r, ip6), 0);
		}
		if (rows[i].udp6)
			assert_int_equal(enr_set_udp6(&r, 40404), 0);
		assert_int_equal(enr_sign(&r, priv), 0);
		len = enr_encode(raw, sizeof(raw), &r);
		assert_true(len > 0);
		assert_int_equal(discv5_node_from_enr(&n, raw, (size_t)len), 0);
		assert_int_equal(n.udp, rows[i].want_port);
		if (rows[i].ip4[0] == 224) {
			assert_true(netutil_is_unspecified(n.ip));
			continue;
		}
		if (rows[i].want6)
			assert_memory_equal(n.ip, ip6, 16);
		else
			assert_memory_equal(n.ip + 12, rows[i].ip4, 4);
	}
	/* A bad signature is refused. */
	raw[len - 1] ^= 1;
	assert_int_equal(discv5_node_from_enr(&n, raw, (size_t)len),
			 -EKEYREJECTED);
}

/* ---- a 100-node network ------------------------------------------ */

static const uint8_t *g_target;

static int by_dist(const void *a, const void *b)
{
	return kad_dist_cmp(g_target, a, b);
}

static void check_lookup(struct v5net *net, unsigned from, uint8_t salt)
{
	uint8_t target[32], (*ids)[32] = calloc(net->n, 32);
	struct res *out = res_new();
	unsigned n = 0, match = 0;

	assert_non_null(ids);
	for (int i = 0; i < 32; i++)
		target[i] = (uint8_t)(i * 37 + salt);
	for (unsigned i = 0; i < net->n; i++)
		if (i != from)
			memcpy(ids[n++], net->nodes[i]->ln.id, 32);
	g_target = target;
	qsort(ids, n, 32, by_dist);
	assert_int_equal(discv5_lookup(net->nodes[from]->d, target, net->now,
				       nodes_cb, out), 0);
	v5net_run(net, 30 * SEC);
	assert_int_equal(out->calls, 1);
	assert_int_equal(out->err, 0);
	assert_int_equal(out->n, KAD_BUCKET_SIZE);
	for (unsigned i = 0; i < out->n; i++)
		for (unsigned j = 0; j < KAD_BUCKET_SIZE; j++)
			if (!memcmp(out->nodes[i].id, ids[j], 32))
				match++;
	print_message("lookup from %u: %u of the 16 closest\n", from, match);
	assert_int_equal(match, KAD_BUCKET_SIZE);
	free(ids);
	free(out);
}

static void test_discv5_lookups_converge_100_nodes(void **state)
{
	const unsigned N = 100;
	struct discv5_node boot;
	struct v5net net;
	uint8_t ip[16];
	size_t min_tab = SIZE_MAX;

	(void)state;
	net_init(&net, 21);
	net.delay_ns = 2 * MS;
	v5net_ip4(ip, 127, 0, 0, 1);
	for (unsigned i = 0; i < N; i++)
		assert_true(v5net_add(&net, ip, (uint16_t)(20000 + i), NULL) >=
			    0);
	boot = v5net_node(&net, 0);
	for (unsigned i = 1; i < N; i++)
		assert_int_equal(discv5_add_bootnode(net.nodes[i]->d, &boot),
				 0);
	v5net_run(&net, 120 * SEC);
	for (unsigned i = 0; i < N; i++) {
		size_t t = discv5_table_size(net.nodes[i]->d);

		if (t < min_tab)
			min_tab = t;
	}
	print_message("smallest table %zu, packets %llu\n", min_tab,
		      (unsigned long long)net.sent);
	assert_true(min_tab >= KAD_BUCKET_SIZE);
	check_lookup(&net, 37, 1);
	check_lookup(&net, 73, 2);
	v5net_fini(&net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_discv5_handshake_both_directions_ping_pong),
		cmocka_unit_test(
			test_discv5_whoareyou_resend_is_byte_identical),
		cmocka_unit_test(test_discv5_handshake_timeout_1s),
		cmocka_unit_test(test_discv5_decrypt_failure_rehandshakes),
		cmocka_unit_test(test_discv5_initiator_rehandshake_and_record),
		cmocka_unit_test(test_discv5_stale_enr_and_seq_fetch),
		cmocka_unit_test(test_discv5_handshake_needs_record),
		cmocka_unit_test(test_discv5_whoareyou_for_response_ignored),
		cmocka_unit_test(test_discv5_session_lru_eviction),
		cmocka_unit_test(test_discv5_handshake_ec_budget_per_ip),
		cmocka_unit_test(test_discv5_findnode_result_checks),
		cmocka_unit_test(test_discv5_nodes_five_messages_max),
		cmocka_unit_test(test_discv5_nodes_total_zero),
		cmocka_unit_test(test_discv5_findnode_timeout_partial),
		cmocka_unit_test(test_discv5_findnode_serves_16_packed),
		cmocka_unit_test(test_discv5_talk),
		cmocka_unit_test(test_discv5_revalidation_drops_dead_node),
		cmocka_unit_test(test_discv5_request_enr_and_cancel),
		cmocka_unit_test(test_discv5_rejects_junk_and_netrestrict),
		cmocka_unit_test(test_discv5_resolve),
		cmocka_unit_test(test_discv5_node_endpoint_choice),
		cmocka_unit_test(test_discv5_lookups_converge_100_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
