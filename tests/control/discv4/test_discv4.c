/* SPDX-License-Identifier: MIT */
/* tests/control/discv4/test_discv4.c - discv4 engine rules and lookups on a fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/enr.h"
#include "control/discv4/discv4.h"
#include "control/discv4/kad.h"
#include "tests/control/sim.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1700000000ull * SEC)

struct res {
	int calls, err;
	uint64_t seq;
	unsigned n;
	struct discv4_node nodes[DISCV4_MAX_RESULTS];
};

static void ping_cb(void *arg, int err, uint64_t seq)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	r->seq = seq;
}

static void nodes_cb(void *arg, int err, const struct discv4_node *n,
		     unsigned cnt)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	r->n = cnt;
	memcpy(r->nodes, n, cnt * sizeof(*n));
}

static void enr_cb(void *arg, int err, const struct enr *rec)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	r->seq = rec ? rec->seq : 0;
}

/* assert_expires_20s(): every packet we send expires 20 s after it was
 * sent (geth's expiration); it went out within [t0, t1]. */
static void assert_expires_20s(uint64_t exp, uint64_t t0, uint64_t t1)
{
	assert_in_range(exp, t0 / SEC + 20, t1 / SEC + 20);
}

static struct discv4_config quiet(void)
{
	struct discv4_config c;

	memset(&c, 0, sizeof(c));
	c.no_refresh = true;
	return c;
}

static void lo(uint8_t ip[16], uint8_t last)
{
	sim_ip4(ip, 127, 0, 0, last);
}

static struct discv4_packet mk_ping(const struct sim *s, unsigned from,
				    unsigned to, uint64_t exp)
{
	struct discv4_packet p;
	struct discv4_node a = sim_node(s, from), b = sim_node(s, to);

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PING;
	p.u.ping.version = 4;
	p.u.ping.from = a.ep;
	p.u.ping.to = b.ep;
	p.u.ping.expiration = exp;
	return p;
}

/* Returns the index in peer's inbox of the first packet of type, from
 * start, or -1. */
static int inbox_find(const struct sim *s, unsigned peer, uint8_t type,
		      size_t start)
{
	const struct sim_peer *pe = s->peers[peer];

	for (size_t i = start; i < pe->n_inbox; i++)
		if (pe->inbox[i].pkt.type == type)
			return (int)i;
	return -1;
}

static unsigned inbox_count(const struct sim *s, unsigned peer, uint8_t type)
{
	unsigned n = 0;

	for (size_t i = 0; i < s->peers[peer]->n_inbox; i++)
		n += s->peers[peer]->inbox[i].pkt.type == type;
	return n;
}

/* Raw peer r pings engine e and answers its ping-back: r is then bonded
 * at e (e received r's Pong). */
static void bond_raw(struct sim *s, unsigned r, unsigned e)
{
	struct discv4_packet p = mk_ping(s, r, e, s->now / SEC + 20);
	int i = -1, j;

	assert_int_equal(sim_send_raw(s, r, e, &p, NULL), 0);
	sim_run(s, 10 * MS);
	/* The latest ping-back (an earlier one may still be pending). */
	for (j = inbox_find(s, r, DISCV4_PING, 0); j >= 0;
	     j = inbox_find(s, r, DISCV4_PING, (size_t)j + 1))
		i = j;
	assert_true(i >= 0);
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PONG;
	p.u.pong.to = sim_node(s, e).ep;
	memcpy(p.u.pong.ping_hash, s->peers[r]->inbox[i].hash, 32);
	p.u.pong.expiration = s->now / SEC + 20;
	assert_int_equal(sim_send_raw(s, r, e, &p, NULL), 0);
	sim_run(s, 10 * MS);
}

static void test_discv4_ping_pong_mirrors_source_and_pings_back(void **st)
{
	struct discv4_config c = quiet();
	struct discv4_packet p;
	struct sim s;
	uint8_t ip[16], spoof[16], hash[32];
	int e, r, i;
	const struct sim_rx *rx;

	(void)st;
	sim_init(&s, T0, 1);
	lo(ip, 1);
	e = sim_add_engine(&s, ip, 30303, &c);
	lo(ip, 2);
	r = sim_add_raw(&s, ip, 40000);
	p = mk_ping(&s, (unsigned)r, (unsigned)e, T0 / SEC + 20);
	/* Claim a bogus `from`: the Pong must mirror the real source. */
	sim_ip4(p.u.ping.from.ip, 9, 9, 9, 9);
	p.u.ping.from.udp = 1111;
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, hash),
			 0);
	sim_run(&s, 10 * MS);
	i = inbox_find(&s, (unsigned)r, DISCV4_PONG, 0);
	assert_true(i >= 0);
	rx = &s.peers[r]->inbox[i];
	assert_memory_equal(rx->pkt.u.pong.ping_hash, hash, 32);
	assert_memory_equal(rx->pkt.u.pong.to.ip, ip, 16);
	assert_int_equal(rx->pkt.u.pong.to.udp, 40000);
	assert_true(rx->pkt.u.pong.has_enr_seq);
	assert_int_equal(rx->pkt.u.pong.enr_seq,
			 localnode_seq(&s.peers[e]->ln));
	assert_expires_20s(rx->pkt.u.pong.expiration, T0, s.now);
	/* Ping-back to the unknown pinger, with our enr-seq. */
	i = inbox_find(&s, (unsigned)r, DISCV4_PING, 0);
	assert_true(i >= 0);
	assert_true(s.peers[r]->inbox[i].pkt.u.ping.has_enr_seq);
	assert_expires_20s(s.peers[r]->inbox[i].pkt.u.ping.expiration, T0,
			   s.now);
	assert_false(discv4_is_bonded(s.peers[e]->d, s.peers[r]->pub, ip,
				      s.now));

	/* A Pong with the wrong ping-hash does not bond. */
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PONG;
	p.u.pong.to = sim_node(&s, (unsigned)e).ep;
	memset(p.u.pong.ping_hash, 0xab, 32);
	p.u.pong.expiration = s.now / SEC + 20;
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	sim_run(&s, 10 * MS);
	assert_false(discv4_is_bonded(s.peers[e]->d, s.peers[r]->pub, ip,
				      s.now));
	assert_int_equal(discv4_stats(s.peers[e]->d)->drop[DISCV4_DROP_UNSOLICITED],
			 1);
	/* The right hash from a spoofed IP does not bond either. */
	memcpy(p.u.pong.ping_hash, s.peers[r]->inbox[i].hash, 32);
	lo(spoof, 3);
	assert_int_equal(sim_send_raw_from(&s, (unsigned)r, spoof, 40000,
					   (unsigned)e, &p, NULL), 0);
	sim_run(&s, 10 * MS);
	assert_false(discv4_is_bonded(s.peers[e]->d, s.peers[r]->pub, spoof,
				      s.now));
	assert_false(discv4_is_bonded(s.peers[e]->d, s.peers[r]->pub, ip,
				      s.now));
	/* The right hash from the right IP bonds. */
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	sim_run(&s, 10 * MS);
	assert_true(discv4_is_bonded(s.peers[e]->d, s.peers[r]->pub, ip,
				     s.now));
	assert_int_equal(discv4_stats(s.peers[e]->d)->bonds, 1);
	/* ... for 24 hours. */
	assert_false(discv4_is_bonded(s.peers[e]->d, s.peers[r]->pub, ip,
				      s.now + DISCV4_BOND_EXPIRATION_NS + 1));
	sim_fini(&s);
}

static void test_discv4_rejects_expired_packets(void **st)
{
	struct discv4_config c = quiet();
	struct discv4_packet p;
	struct sim s;
	uint8_t ip[16];
	int e, r;

	(void)st;
	sim_init(&s, T0, 2);
	lo(ip, 1);
	e = sim_add_engine(&s, ip, 30303, &c);
	lo(ip, 2);
	r = sim_add_raw(&s, ip, 40000);
	p = mk_ping(&s, (unsigned)r, (unsigned)e, T0 / SEC - 1);
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	sim_run(&s, 10 * MS);
	assert_int_equal(s.peers[r]->n_inbox, 0);
	assert_int_equal(discv4_stats(s.peers[e]->d)->drop[DISCV4_DROP_EXPIRED],
			 1);
	/* One second ahead is fine; the current second is already past once
	 * any fraction of it has elapsed (geth: time.Unix(exp, 0).Before). */
	p = mk_ping(&s, (unsigned)r, (unsigned)e, s.now / SEC + 1);
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	sim_run(&s, 10 * MS);
	assert_true(inbox_find(&s, (unsigned)r, DISCV4_PONG, 0) >= 0);
	/* An expired FindNode from a bonded peer is ignored too. */
	bond_raw(&s, (unsigned)r, (unsigned)e);
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_FINDNODE;
	p.u.findnode.expiration = s.now / SEC - 5;
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	sim_run(&s, 10 * MS);
	assert_int_equal(inbox_count(&s, (unsigned)r, DISCV4_NEIGHBORS), 0);
	assert_int_equal(discv4_stats(s.peers[e]->d)->drop[DISCV4_DROP_EXPIRED],
			 2);
	sim_fini(&s);
}

static void test_discv4_no_neighbors_or_enr_before_proof(void **st)
{
	struct discv4_config c = quiet();
	struct discv4_packet p;
	struct sim s;
	uint8_t ip[16], other[16], hash[32];
	struct enr rec;
	uint8_t pub[64];
	int e, r, i;

	(void)st;
	sim_init(&s, T0, 3);
	lo(ip, 1);
	e = sim_add_engine(&s, ip, 30303, &c);
	lo(ip, 2);
	r = sim_add_raw(&s, ip, 40000);
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_FINDNODE;
	p.u.findnode.expiration = T0 / SEC + 20;
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRREQUEST;
	p.u.enrrequest.expiration = T0 / SEC + 20;
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	sim_run(&s, 10 * MS);
	assert_int_equal(s.peers[r]->n_inbox, 0);
	assert_int_equal(discv4_stats(s.peers[e]->d)->drop[DISCV4_DROP_UNBONDED],
			 2);

	bond_raw(&s, (unsigned)r, (unsigned)e);
	/* Same key from another IP: that (id, IP) is not bonded. */
	lo(other, 9);
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_FINDNODE;
	p.u.findnode.expiration = s.now / SEC + 20;
	assert_int_equal(sim_send_raw_from(&s, (unsigned)r, other, 40000,
					   (unsigned)e, &p, NULL), 0);
	sim_run(&s, 10 * MS);
	assert_int_equal(inbox_count(&s, (unsigned)r, DISCV4_NEIGHBORS), 0);
	assert_int_equal(discv4_stats(s.peers[e]->d)->drop[DISCV4_DROP_UNBONDED],
			 3);
	/* From the bonded IP: answered (an empty table still answers). */
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRREQUEST;
	p.u.enrrequest.expiration = s.now / SEC + 20;
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, hash),
			 0);
	sim_run(&s, 10 * MS);
	assert_int_equal(inbox_count(&s, (unsigned)r, DISCV4_NEIGHBORS), 1);
	i = inbox_find(&s, (unsigned)r, DISCV4_ENRRESPONSE, 0);
	assert_true(i >= 0);
	assert_memory_equal(s.peers[r]->inbox[i].pkt.u.enrresponse.request_hash,
			    hash, 32);
	assert_int_equal(enr_decode(&rec, s.peers[r]->inbox[i].pkt.u.enrresponse.enr,
				    s.peers[r]->inbox[i].pkt.u.enrresponse.enr_len),
			 s.peers[r]->inbox[i].pkt.u.enrresponse.enr_len);
	assert_int_equal(enr_verify(&rec), 0);
	assert_int_equal(enr_pubkey(pub, &rec), 0);
	assert_memory_equal(pub, s.peers[e]->pub, 64);
	sim_fini(&s);
}

static void test_discv4_neighbors_split_12_plus_4(void **st)
{
	struct discv4_config c = quiet();
	struct discv4_packet p;
	struct sim s;
	uint8_t ip[16];
	unsigned total = 0;
	int e, r, peers[20];

	(void)st;
	sim_init(&s, T0, 4);
	lo(ip, 1);
	e = sim_add_engine(&s, ip, 30303, &c);
	for (int k = 0; k < 20; k++) {
		lo(ip, (uint8_t)(10 + k));
		peers[k] = sim_add_raw(&s, ip, (uint16_t)(40000 + k));
		bond_raw(&s, (unsigned)peers[k], (unsigned)e);
	}
	assert_int_equal(discv4_table_size(s.peers[e]->d), 20);
	r = peers[0];
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_FINDNODE;
	memcpy(p.u.findnode.target, s.peers[peers[5]]->pub, 64);
	p.u.findnode.expiration = s.now / SEC + 20;
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	sim_run(&s, 10 * MS);
	assert_int_equal(inbox_count(&s, (unsigned)r, DISCV4_NEIGHBORS), 2);
	for (size_t i = 0; i < s.peers[r]->n_inbox; i++) {
		const struct sim_rx *rx = &s.peers[r]->inbox[i];

		if (rx->pkt.type != DISCV4_NEIGHBORS)
			continue;
		assert_true(rx->len <= DISCV4_MAX_LEN);
		assert_true(rx->pkt.u.neighbors.n <= DISCV4_NEIGHBORS_MAX);
		total += rx->pkt.u.neighbors.n;
	}
	assert_int_equal(total, DISCV4_MAX_RESULTS);
	sim_fini(&s);
}

/* Drives e's discv4_findnode() to raw peer r by hand and answers with
 * nodes[0..n); returns what the callback got. */
static void findnode_by_hand(struct sim *s, unsigned e, unsigned r,
			     const struct discv4_node *nodes, unsigned n,
			     struct res *out)
{
	struct discv4_node rn = sim_node(s, r);
	struct discv4_packet p;
	uint8_t target[64] = { 1 };
	uint64_t t0 = s->now;
	int i;

	memset(out, 0, sizeof(*out));
	assert_int_equal(discv4_findnode(s->peers[e]->d, &rn, target, s->now,
					 nodes_cb, out), 0);
	sim_run(s, 10 * MS);
	/* Unsolicited Neighbors before the FindNode went out: ignored. */
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_NEIGHBORS;
	p.u.neighbors.n = n;
	memcpy(p.u.neighbors.nodes, nodes, n * sizeof(*nodes));
	p.u.neighbors.expiration = s->now / SEC + 20;
	assert_int_equal(sim_send_raw(s, r, e, &p, NULL), 0);
	sim_run(s, 10 * MS);
	/* Bonding: e pinged r first; answer it and ping e back. */
	i = inbox_find(s, r, DISCV4_PING, 0);
	assert_true(i >= 0);
	{
		struct discv4_packet q;

		memset(&q, 0, sizeof(q));
		q.type = DISCV4_PONG;
		q.u.pong.to = sim_node(s, e).ep;
		memcpy(q.u.pong.ping_hash, s->peers[r]->inbox[i].hash, 32);
		q.u.pong.expiration = s->now / SEC + 20;
		assert_int_equal(sim_send_raw(s, r, e, &q, NULL), 0);
		q = mk_ping(s, r, e, s->now / SEC + 20);
		assert_int_equal(sim_send_raw(s, r, e, &q, NULL), 0);
	}
	sim_run(s, 10 * MS);
	i = inbox_find(s, r, DISCV4_FINDNODE, 0);
	assert_true(i >= 0);
	assert_expires_20s(s->peers[r]->inbox[i].pkt.u.findnode.expiration,
			   t0, s->now);
	assert_int_equal(out->calls, 0);
	assert_int_equal(sim_send_raw(s, r, e, &p, NULL), 0);
	sim_run(s, DISCV4_REPLY_TIMEOUT_NS + 10 * MS);
	assert_int_equal(out->calls, 1);
}

static struct discv4_node mknode(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
				 uint16_t port, const uint8_t pub[64])
{
	struct discv4_node n;

	memset(&n, 0, sizeof(n));
	sim_ip4(n.ep.ip, a, b, c, d);
	n.ep.ip_len = 4;
	n.ep.udp = port;
	n.ep.tcp = port;
	memcpy(n.id, pub, 64);
	return n;
}

static void test_discv4_relay_rules(void **st)
{
	struct discv4_config c = quiet();
	struct discv4_node nodes[6];
	struct sim s;
	uint8_t ip[16];
	struct res out;
	int e, r, k[6];

	(void)st;
	sim_init(&s, T0, 5);
	sim_ip4(ip, 8, 8, 8, 8);
	e = sim_add_engine(&s, ip, 30303, &c);
	sim_ip4(ip, 1, 2, 3, 4);                /* a WAN peer */
	r = sim_add_raw(&s, ip, 40000);
	for (int j = 0; j < 6; j++) {
		sim_ip4(ip, 100, 0, 0, (uint8_t)j);
		k[j] = sim_add_raw(&s, ip, 50000);      /* just for keys */
	}
	nodes[0] = mknode(5, 6, 7, 8, 30303, s.peers[k[0]]->pub); /* ok */
	nodes[1] = mknode(5, 6, 7, 9, 1024, s.peers[k[1]]->pub);  /* port */
	nodes[2] = mknode(192, 168, 1, 5, 30303, s.peers[k[2]]->pub); /* LAN */
	nodes[3] = mknode(127, 0, 0, 1, 30303, s.peers[k[3]]->pub); /* lo */
	nodes[4] = mknode(0, 0, 0, 0, 30303, s.peers[k[4]]->pub);  /* unspec */
	nodes[5] = mknode(5, 6, 7, 10, 1025, s.peers[k[5]]->pub); /* ok */
	findnode_by_hand(&s, (unsigned)e, (unsigned)r, nodes, 6, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.n, 2);
	assert_memory_equal(out.nodes[0].id, nodes[0].id, 64);
	assert_memory_equal(out.nodes[1].id, nodes[5].id, 64);
	assert_int_equal(discv4_stats(s.peers[e]->d)->nodes_rejected, 4);
	assert_int_equal(discv4_stats(s.peers[e]->d)->drop[DISCV4_DROP_UNSOLICITED],
			 1);
	sim_fini(&s);
}

static void test_discv4_relay_lan_from_lan_and_netrestrict(void **st)
{
	struct discv4_config c = quiet();
	struct netutil_prefix nr[1];
	struct discv4_node nodes[3];
	struct discv4_packet p;
	struct sim s;
	uint8_t ip[16];
	struct res out;
	int e, r, k[3], w;

	(void)st;
	assert_int_equal(netutil_netlist_parse(nr, 1, &(size_t){ 0 },
					       "10.0.0.0/8", 10), 0);
	c.netrestrict = nr;
	c.n_netrestrict = 1;
	sim_init(&s, T0, 6);
	sim_ip4(ip, 10, 0, 0, 1);
	e = sim_add_engine(&s, ip, 30303, &c);
	sim_ip4(ip, 10, 0, 0, 2);               /* a LAN peer */
	r = sim_add_raw(&s, ip, 40000);
	sim_ip4(ip, 1, 1, 1, 1);
	w = sim_add_raw(&s, ip, 40000);         /* outside netrestrict */
	for (int j = 0; j < 3; j++) {
		sim_ip4(ip, 100, 0, 0, (uint8_t)j);
		k[j] = sim_add_raw(&s, ip, 50000);
	}
	nodes[0] = mknode(10, 1, 1, 1, 30303, s.peers[k[0]]->pub);  /* ok */
	nodes[1] = mknode(192, 168, 1, 1, 30303, s.peers[k[1]]->pub); /* nr */
	nodes[2] = mknode(10, 2, 2, 2, 30303, s.peers[k[2]]->pub);  /* ok */
	findnode_by_hand(&s, (unsigned)e, (unsigned)r, nodes, 3, &out);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.n, 2);
	assert_memory_equal(out.nodes[1].id, nodes[2].id, 64);

	/* Packets from outside the allowed CIDRs are dropped. */
	p = mk_ping(&s, (unsigned)w, (unsigned)e, s.now / SEC + 20);
	assert_int_equal(sim_send_raw(&s, (unsigned)w, (unsigned)e, &p, NULL),
			 0);
	sim_run(&s, 10 * MS);
	assert_int_equal(s.peers[w]->n_inbox, 0);
	assert_int_equal(discv4_stats(s.peers[e]->d)->drop[DISCV4_DROP_NETRESTRICT],
			 1);
	{
		struct discv4_node wn = sim_node(&s, (unsigned)w);

		assert_int_equal(discv4_ping(s.peers[e]->d, &wn, s.now,
					     ping_cb, &out), -EACCES);
	}
	sim_fini(&s);
}

static void test_discv4_ping_enr_request_between_engines(void **st)
{
	struct discv4_config c = quiet();
	struct discv4_node bn;
	struct sim s;
	uint8_t ip[16];
	struct res pr, er, bad;
	int a, b, r;

	(void)st;
	sim_init(&s, T0, 7);
	lo(ip, 1);
	a = sim_add_engine(&s, ip, 30301, &c);
	lo(ip, 2);
	b = sim_add_engine(&s, ip, 30302, &c);
	lo(ip, 3);
	r = sim_add_raw(&s, ip, 30303);
	bn = sim_node(&s, (unsigned)b);
	memset(&pr, 0, sizeof(pr));
	assert_int_equal(discv4_ping(s.peers[a]->d, &bn, s.now, ping_cb, &pr),
			 0);
	sim_run(&s, 50 * MS);
	assert_int_equal(pr.calls, 1);
	assert_int_equal(pr.err, 0);
	assert_int_equal(pr.seq, localnode_seq(&s.peers[b]->ln));
	assert_true(discv4_is_bonded(s.peers[a]->d, bn.id, bn.ep.ip, s.now));
	/* b pinged a back and got its Pong: b holds a's proof too. */
	assert_true(discv4_is_bonded(s.peers[b]->d, s.peers[a]->pub,
				     s.peers[a]->ip, s.now));
	memset(&er, 0, sizeof(er));
	assert_int_equal(discv4_request_enr(s.peers[a]->d, &bn, s.now, enr_cb,
					    &er), 0);
	sim_run(&s, 50 * MS);
	assert_int_equal(er.calls, 1);
	assert_int_equal(er.err, 0);
	assert_int_equal(er.seq, localnode_seq(&s.peers[b]->ln));

	/* A silent peer: exactly one -ETIMEDOUT after 500 ms (geth's
	 * respTimeout; a literal, so a changed constant fails here). */
	bn = sim_node(&s, (unsigned)r);
	memset(&bad, 0, sizeof(bad));
	assert_int_equal(discv4_request_enr(s.peers[a]->d, &bn, s.now, enr_cb,
					    &bad), 0);
	sim_run(&s, 499 * MS);
	assert_int_equal(bad.calls, 0);
	sim_run(&s, 2 * MS);
	assert_int_equal(bad.calls, 1);
	assert_int_equal(bad.err, -ETIMEDOUT);
	sim_run(&s, SEC);
	assert_int_equal(bad.calls, 1);
	assert_int_equal(discv4_pending(s.peers[a]->d), 0);
	sim_fini(&s);
}

static void test_discv4_enr_response_checks(void **st)
{
	struct discv4_config c = quiet();
	struct discv4_node rn;
	struct discv4_packet p;
	struct localnode other;
	struct sim s;
	uint8_t ip[16];
	struct res res1;
	uint64_t t0;
	ssize_t n;
	int e, r, o, i;

	(void)st;
	sim_init(&s, T0, 8);
	lo(ip, 1);
	e = sim_add_engine(&s, ip, 30301, &c);
	lo(ip, 2);
	r = sim_add_raw(&s, ip, 30302);
	lo(ip, 3);
	o = sim_add_raw(&s, ip, 30303);
	rn = sim_node(&s, (unsigned)r);
	/* A record signed by another key is rejected. */
	assert_int_equal(localnode_init(&other, s.peers[o]->priv, 0, 1, 1), 0);
	assert_int_equal(localnode_update(&other, s.now), 1);
	memset(&res1, 0, sizeof(res1));
	t0 = s.now;
	assert_int_equal(discv4_request_enr(s.peers[e]->d, &rn, s.now, enr_cb,
					    &res1), 0);
	sim_run(&s, 10 * MS);
	i = inbox_find(&s, (unsigned)r, DISCV4_ENRREQUEST, 0);
	assert_true(i >= 0);
	assert_expires_20s(s.peers[r]->inbox[i].pkt.u.enrrequest.expiration,
			   t0, s.now);
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRRESPONSE;
	n = enr_encode(p.u.enrresponse.enr, sizeof(p.u.enrresponse.enr),
		       localnode_record(&other));
	assert_true(n > 0);
	p.u.enrresponse.enr_len = (uint16_t)n;
	/* Wrong request-hash first: ignored. */
	memset(p.u.enrresponse.request_hash, 7, 32);
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	sim_run(&s, 10 * MS);
	assert_int_equal(res1.calls, 0);
	memcpy(p.u.enrresponse.request_hash, s.peers[r]->inbox[i].hash, 32);
	assert_int_equal(sim_send_raw(&s, (unsigned)r, (unsigned)e, &p, NULL),
			 0);
	sim_run(&s, 10 * MS);
	assert_int_equal(res1.calls, 1);
	assert_int_equal(res1.err, -EKEYREJECTED);
	localnode_fini(&other);
	sim_fini(&s);
}

/* Counts bucket entries of e's table sharing pub's bucket. */
static unsigned bucket_len(const struct kad_table *t, const uint8_t pub[64])
{
	uint8_t id[KAD_ID_LEN];

	kad_node_id(id, pub);
	return t->buckets[kad_bucket_index(t, id)].n_entries;
}

static void test_discv4_findnode_failures_drop(void **st)
{
	struct discv4_config c = quiet();
	struct sim s;
	uint8_t ip[16], target[64] = { 2 };
	int e, peers[24], victim = -1;

	(void)st;
	c.ping_interval_ns = 3600 * SEC;        /* keep revalidation out */
	sim_init(&s, T0, 9);
	lo(ip, 1);
	e = sim_add_engine(&s, ip, 30303, &c);
	for (int k = 0; k < 24; k++) {
		lo(ip, (uint8_t)(10 + k));
		peers[k] = sim_add_raw(&s, ip, (uint16_t)(40000 + k));
		bond_raw(&s, (unsigned)peers[k], (unsigned)e);
	}
	for (int k = 0; k < 24 && victim < 0; k++)
		if (bucket_len(discv4_table(s.peers[e]->d),
			       s.peers[peers[k]]->pub) >= KAD_BUCKET_SIZE / 4)
			victim = peers[k];
	assert_true(victim >= 0);
	for (int k = 0; k < KAD_MAX_FINDNODE_FAILURES; k++) {
		struct discv4_node vn = sim_node(&s, (unsigned)victim);
		struct res out;

		assert_non_null(kad_find(discv4_table(s.peers[e]->d), vn.id));
		memset(&out, 0, sizeof(out));
		assert_int_equal(discv4_findnode(s.peers[e]->d, &vn, target,
						 s.now, nodes_cb, &out), 0);
		sim_run(&s, 2 * SEC);
		assert_int_equal(out.calls, 1);
		assert_int_equal(out.err, -ETIMEDOUT);
	}
	assert_null(kad_find(discv4_table(s.peers[e]->d),
			     s.peers[victim]->pub));
	sim_fini(&s);
}

static void test_discv4_revalidation_removes_dead_nodes(void **st)
{
	struct discv4_config c = quiet();
	struct sim s;
	uint8_t ip[16];
	int e, live[4];

	(void)st;
	sim_init(&s, T0, 10);
	lo(ip, 1);
	e = sim_add_engine(&s, ip, 30303, &c);
	for (int k = 0; k < 4; k++) {
		lo(ip, (uint8_t)(50 + k));
		live[k] = sim_add_engine(&s, ip, (uint16_t)(31000 + k), &c);
	}
	for (int k = 0; k < 8; k++) {
		lo(ip, (uint8_t)(10 + k));
		bond_raw(&s, (unsigned)sim_add_raw(&s, ip, (uint16_t)(40000 + k)),
			 (unsigned)e);
	}
	for (int k = 0; k < 4; k++) {
		struct discv4_node n = sim_node(&s, (unsigned)e);
		struct res out;

		memset(&out, 0, sizeof(out));
		assert_int_equal(discv4_ping(s.peers[live[k]]->d, &n, s.now,
					     ping_cb, &out), 0);
		sim_run(&s, 50 * MS);
		assert_int_equal(out.err, 0);
	}
	assert_int_equal(discv4_table_size(s.peers[e]->d), 12);
	/* The raw peers never answer revalidation pings. */
	sim_run(&s, 300 * SEC);
	assert_int_equal(discv4_table_size(s.peers[e]->d), 4);
	for (int k = 0; k < 4; k++)
		assert_non_null(kad_find(discv4_table(s.peers[e]->d),
					 s.peers[live[k]]->pub));
	sim_fini(&s);
}

/* Raw peer r answers every Ping in its inbox with a Pong, with enr-seq
 * seq when has_seq (EIP-868), and counts the ENRRequests it got. The
 * inbox is emptied. */
static unsigned serve_pings(struct sim *s, unsigned r, bool has_seq,
			    uint64_t seq)
{
	struct sim_peer *pe = s->peers[r];
	unsigned enrreqs = 0;

	for (size_t i = 0; i < pe->n_inbox; i++) {
		const struct sim_rx *rx = &pe->inbox[i];
		struct discv4_packet p;

		if (rx->pkt.type == DISCV4_ENRREQUEST)
			enrreqs++;
		if (rx->pkt.type != DISCV4_PING)
			continue;
		memset(&p, 0, sizeof(p));
		p.type = DISCV4_PONG;
		p.u.pong.to = sim_node(s, rx->from).ep;
		memcpy(p.u.pong.ping_hash, rx->hash, 32);
		p.u.pong.expiration = s->now / SEC + 20;
		p.u.pong.has_enr_seq = has_seq;
		p.u.pong.enr_seq = seq;
		assert_int_equal(sim_send_raw(s, r, rx->from, &p, NULL), 0);
	}
	pe->n_inbox = 0;
	return enrreqs;
}

/* EIP-868 is known per node from its last Ping or Pong: discv4_enr_seq()
 * says which nodes carry an enr-seq, and the engine's own ENRRequests
 * (after a revalidation Pong with a newer seq) go only to those: a node
 * whose Pongs have none is revalidated but never asked. */
static void test_discv4_enr_seq_decides_enr_requests(void **st)
{
	struct discv4_config c = quiet();
	struct discv4_packet p;
	struct sim s;
	uint8_t ip[16];
	uint64_t seq = 0;
	unsigned e, plain, eip868, asked_plain = 0, asked_868 = 0;

	(void)st;
	sim_init(&s, T0, 11);
	lo(ip, 1);
	e = (unsigned)sim_add_engine(&s, ip, 30303, &c);
	lo(ip, 2);
	plain = (unsigned)sim_add_raw(&s, ip, 40000);
	lo(ip, 3);
	eip868 = (unsigned)sim_add_raw(&s, ip, 40001);
	assert_int_equal(discv4_enr_seq(s.peers[e]->d, s.peers[plain]->pub,
					s.peers[plain]->ip, &seq), -ENOENT);
	/* Each pings the engine (the EIP-868 one with seq 7) and answers
	 * its ping-back: bonded, in the table. */
	p = mk_ping(&s, plain, e, s.now / SEC + 20);
	assert_int_equal(sim_send_raw(&s, plain, e, &p, NULL), 0);
	p = mk_ping(&s, eip868, e, s.now / SEC + 20);
	p.u.ping.has_enr_seq = true;
	p.u.ping.enr_seq = 7;
	assert_int_equal(sim_send_raw(&s, eip868, e, &p, NULL), 0);
	sim_run(&s, 10 * MS);
	assert_int_equal(discv4_enr_seq(s.peers[e]->d, s.peers[plain]->pub,
					s.peers[plain]->ip, &seq), -ENODATA);
	assert_int_equal(discv4_enr_seq(s.peers[e]->d, s.peers[eip868]->pub,
					s.peers[eip868]->ip, &seq), 0);
	assert_int_equal(seq, 7);
	(void)serve_pings(&s, plain, false, 0);
	(void)serve_pings(&s, eip868, true, 7);
	sim_run(&s, 10 * MS);
	assert_true(discv4_is_bonded(s.peers[e]->d, s.peers[plain]->pub,
				     s.peers[plain]->ip, s.now));
	assert_true(discv4_is_bonded(s.peers[e]->d, s.peers[eip868]->pub,
				     s.peers[eip868]->ip, s.now));
	assert_int_equal(discv4_table_size(s.peers[e]->d), 2);
	assert_int_equal(discv4_enr_seq(s.peers[e]->d, s.peers[plain]->pub,
					s.peers[plain]->ip, NULL), -ENODATA);
	/* Revalidation for a while, both answering every Ping. */
	for (unsigned k = 0; k < 1200; k++) {
		sim_run(&s, 50 * MS);
		asked_plain += serve_pings(&s, plain, false, 0);
		asked_868 += serve_pings(&s, eip868, true, 7);
	}
	assert_true(discv4_stats(s.peers[e]->d)->tx[DISCV4_PING] >= 6);
	assert_int_equal(discv4_table_size(s.peers[e]->d), 2);
	assert_int_equal(asked_plain, 0);
	assert_true(asked_868 >= 1);
	sim_fini(&s);
}

/* ---- lookups converge in a 100-node network ------------------------- */

static const uint8_t *g_target;

static int by_dist(const void *a, const void *b)
{
	return kad_dist_cmp(g_target, a, b);
}

static void check_lookup(struct sim *s, unsigned from, unsigned min_match)
{
	uint8_t target[64], tid[KAD_ID_LEN];
	uint8_t (*ids)[KAD_ID_LEN] = calloc(s->n, KAD_ID_LEN);
	unsigned n = 0, match = 0;
	struct res out;

	assert_non_null(ids);
	for (int i = 0; i < 64; i++)
		target[i] = (uint8_t)(i * 37 + from);
	kad_node_id(tid, target);
	for (unsigned i = 0; i < s->n; i++)
		if (i != from)
			kad_node_id(ids[n++], s->peers[i]->pub);
	g_target = tid;
	qsort(ids, n, KAD_ID_LEN, by_dist);
	memset(&out, 0, sizeof(out));
	assert_int_equal(discv4_lookup(s->peers[from]->d, target, s->now,
				       nodes_cb, &out), 0);
	sim_run(s, 60 * SEC);
	assert_int_equal(out.calls, 1);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.n, DISCV4_MAX_RESULTS);
	for (unsigned i = 0; i < out.n; i++) {
		uint8_t id[KAD_ID_LEN];

		kad_node_id(id, out.nodes[i].id);
		for (unsigned j = 0; j < DISCV4_MAX_RESULTS; j++)
			if (!memcmp(id, ids[j], KAD_ID_LEN))
				match++;
	}
	assert_true(match >= min_match);
	free(ids);
}

static void run_network(unsigned loss, unsigned min_match)
{
	const unsigned N = 100;
	struct discv4_config c;
	struct discv4_node boot;
	struct sim s;
	uint8_t ip[16];
	size_t min_tab = SIZE_MAX;

	memset(&c, 0, sizeof(c));
	sim_init(&s, T0, 100 + loss);
	sim_set_net(&s, loss, 2 * MS, 0);
	lo(ip, 1);
	for (unsigned i = 0; i < N; i++)
		assert_true(sim_add_engine(&s, ip, (uint16_t)(20000 + i), &c) >= 0);
	boot = sim_node(&s, 0);
	for (unsigned i = 1; i < N; i++)
		assert_int_equal(discv4_add_bootnode(s.peers[i]->d, &boot), 0);
	sim_run(&s, 120 * SEC);
	for (unsigned i = 0; i < N; i++) {
		size_t t = discv4_table_size(s.peers[i]->d);

		if (t < min_tab)
			min_tab = t;
	}
	print_message("loss %u%%: smallest table %zu, packets %llu lost %llu\n",
		      loss, min_tab, (unsigned long long)s.sent,
		      (unsigned long long)s.lost);
	assert_true(min_tab >= KAD_BUCKET_SIZE);
	check_lookup(&s, 37, min_match);
	check_lookup(&s, 73, min_match);
	sim_fini(&s);
}

/* ---- pending requests: index and caps, engine driven directly ------- */

/* One engine outside the simulator: packets go straight into
 * discv4_on_packet() with any node id (the dataplane recovered it, so
 * ids need no key here) and what it sends is counted by type. */
struct direct {
	struct localnode ln;
	struct discv4 *d;
	unsigned tx[DISCV4_ENRRESPONSE + 1];
	uint8_t last_hash[DISCV4_HASH_LEN];     /* of the last Ping sent */
	uint64_t rng;
};

static void direct_send(void *user, const uint8_t addr[16], uint16_t port,
			const uint8_t *pkt, size_t len)
{
	struct direct *x = user;

	(void)addr;
	(void)port;
	assert_true(len > DISCV4_HEAD_LEN);
	assert_in_range(pkt[DISCV4_HEAD_LEN], DISCV4_PING, DISCV4_ENRRESPONSE);
	x->tx[pkt[DISCV4_HEAD_LEN]]++;
	if (pkt[DISCV4_HEAD_LEN] == DISCV4_PING)
		memcpy(x->last_hash, pkt, DISCV4_HASH_LEN);
}

static void direct_init(struct direct *x)
{
	struct discv4_config c = quiet();
	uint8_t priv[32], ip[16];

	memset(x, 0, sizeof(*x));
	for (unsigned i = 0; i < sizeof(priv); i++)
		priv[i] = (uint8_t)(i + 1);
	assert_int_equal(localnode_init(&x->ln, priv, 0, 30303, 30303), 0);
	sim_ip4(ip, 10, 0, 0, 1);
	localnode_set_fallback_ip(&x->ln, ip);
	c.ln = &x->ln;
	c.send = direct_send;
	c.send_user = x;
	c.seed = 42;
	assert_int_equal(discv4_new(&x->d, &c, T0), 0);
	x->rng = 7;
}

static void direct_fini(struct direct *x)
{
	discv4_free(x->d);
	localnode_fini(&x->ln);
}

static uint64_t direct_rand(struct direct *x)
{
	uint64_t z = (x->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A node with a fresh id at a fresh address (spoofable: any IPv4). */
static struct discv4_node fresh_node(struct direct *x)
{
	struct discv4_node n;
	uint64_t r = direct_rand(x);

	memset(&n, 0, sizeof(n));
	for (int i = 0; i < 64; i += 8) {
		uint64_t v = direct_rand(x);

		memcpy(n.id + i, &v, 8);
	}
	sim_ip4(n.ep.ip, (uint8_t)(1 + r % 223), (uint8_t)(r >> 8),
		(uint8_t)(r >> 16), (uint8_t)(1 + (r >> 24) % 254));
	n.ep.ip_len = 4;
	n.ep.udp = (uint16_t)(1025 + (r >> 32) % 60000);
	return n;
}

/* Feeds p to the engine as if it came from n. Returns discv4_on_packet(). */
static int direct_rx(struct direct *x, const struct discv4_node *n,
		     const struct discv4_packet *p, uint64_t now,
		     uint8_t hash_out[DISCV4_HASH_LEN])
{
	static const uint8_t key[32] = { 9, 9, 9 };
	uint8_t buf[DISCV4_MAX_LEN];
	struct msg_discv4_rx *m;
	ssize_t len = discv4_encode(buf, sizeof(buf), key, p);
	int rc;

	assert_true(len > DISCV4_HEAD_LEN);
	m = calloc(1, sizeof(*m) + (size_t)len);
	assert_non_null(m);
	memcpy(m->src_addr, n->ep.ip, 16);
	m->src_port_be = (uint16_t)((n->ep.udp >> 8) | (n->ep.udp << 8));
	m->ptype = buf[DISCV4_HEAD_LEN];
	memcpy(m->node_id, n->id, 64);
	memcpy(m->hash, buf, DISCV4_HASH_LEN);
	m->data_len = (uint16_t)(len - DISCV4_HEAD_LEN - 1);
	memcpy(m->data, buf + DISCV4_HEAD_LEN + 1, m->data_len);
	if (hash_out)
		memcpy(hash_out, buf, DISCV4_HASH_LEN);
	rc = discv4_on_packet(x->d, m, now);
	free(m);
	return rc;
}

static int direct_ping(struct direct *x, const struct discv4_node *n,
		       uint64_t now)
{
	struct discv4_packet p;

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PING;
	p.u.ping.version = 4;
	p.u.ping.from = n->ep;
	p.u.ping.to.ip_len = 4;
	sim_ip4(p.u.ping.to.ip, 10, 0, 0, 1);
	p.u.ping.to.udp = 30303;
	p.u.ping.expiration = now / SEC + 20;
	return direct_rx(x, n, &p, now, NULL);
}

static int direct_pong(struct direct *x, const struct discv4_node *n,
		       const uint8_t hash[DISCV4_HASH_LEN], uint64_t now)
{
	struct discv4_packet p;

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PONG;
	p.u.pong.to.ip_len = 4;
	sim_ip4(p.u.pong.to.ip, 10, 0, 0, 1);
	p.u.pong.to.udp = 30303;
	memcpy(p.u.pong.ping_hash, hash, DISCV4_HASH_LEN);
	p.u.pong.expiration = now / SEC + 20;
	return direct_rx(x, n, &p, now, NULL);
}

/* issue 10: Pings from fresh keys (or spoofed addresses) each asked for a
 * ping-back that stayed pending, uncapped, and every Ping scanned them all.
 * Now every Ping is still answered, but at most DISCV4_PINGBACKS_MAX
 * ping-backs wait at once; the rest are refused and counted. */
static void test_discv4_pingbacks_capped_under_fresh_keys(void **st)
{
	const unsigned over = 300, n = DISCV4_PINGBACKS_MAX + over;
	const struct discv4_stats *ds;
	struct direct x;
	struct discv4_node nd;

	(void)st;
	direct_init(&x);
	ds = discv4_stats(x.d);
	for (unsigned i = 0; i < n; i++) {
		nd = fresh_node(&x);
		assert_int_equal(direct_ping(&x, &nd, T0 + i), 0);
	}
	assert_int_equal(x.tx[DISCV4_PONG], n);
	assert_int_equal(x.tx[DISCV4_PING], DISCV4_PINGBACKS_MAX);
	assert_int_equal(discv4_pending(x.d), DISCV4_PINGBACKS_MAX);
	assert_int_equal(ds->pending_max, DISCV4_PINGBACKS_MAX);
	assert_int_equal(ds->pending_refused[DISCV4_CAP_PINGBACK], over);
	assert_int_equal(ds->pending_refused[DISCV4_CAP_TOTAL], 0);
	assert_int_equal(ds->pending_refused[DISCV4_CAP_PEER], 0);
	/* A second Ping from a sender whose ping-back waits adds nothing. */
	assert_int_equal(direct_ping(&x, &nd, T0 + n), 0);
	assert_int_equal(x.tx[DISCV4_PING], DISCV4_PINGBACKS_MAX);
	/* They time out 500 ms after they went out (the first at T0); then
	 * ping-backs flow again. */
	discv4_on_timer(x.d, T0 + n);
	assert_int_equal(discv4_pending(x.d), DISCV4_PINGBACKS_MAX);
	assert_int_equal(discv4_next_deadline(x.d),
			 T0 + DISCV4_REPLY_TIMEOUT_NS);
	discv4_on_timer(x.d, T0 + n + DISCV4_REPLY_TIMEOUT_NS);
	assert_int_equal(discv4_pending(x.d), 0);
	nd = fresh_node(&x);
	assert_int_equal(direct_ping(&x, &nd, T0 + SEC), 0);
	assert_int_equal(x.tx[DISCV4_PING], DISCV4_PINGBACKS_MAX + 1);
	assert_int_equal(discv4_pending(x.d), 1);
	direct_fini(&x);
}

/* Requests of ours to one (node id, IP) awaiting one reply type: at most
 * DISCV4_PENDING_PEER_MAX; the next fails with -ENOBUFS, is counted, and
 * its callback never fires. */
static void test_discv4_pending_per_peer_cap(void **st)
{
	struct res r[DISCV4_PENDING_PEER_MAX + 1];
	struct direct x;
	struct discv4_node nd;

	(void)st;
	direct_init(&x);
	nd = fresh_node(&x);
	memset(r, 0, sizeof(r));
	for (unsigned i = 0; i < DISCV4_PENDING_PEER_MAX; i++)
		assert_int_equal(discv4_ping(x.d, &nd, T0 + i * SEC, ping_cb,
					     &r[i]), 0);
	assert_int_equal(discv4_ping(x.d, &nd, T0 + 16 * SEC, ping_cb,
				     &r[DISCV4_PENDING_PEER_MAX]), -ENOBUFS);
	assert_int_equal(discv4_stats(x.d)->pending_refused[DISCV4_CAP_PEER],
			 1);
	/* Another type to the same peer is another key. */
	assert_int_equal(discv4_request_enr(x.d, &nd, T0, enr_cb, &r[0]), 0);
	discv4_on_timer(x.d, T0 + 20 * SEC);
	for (unsigned i = 0; i < DISCV4_PENDING_PEER_MAX; i++) {
		assert_int_equal(r[i].calls, 1 + (i == 0));
		assert_int_equal(r[i].err, -ETIMEDOUT);
	}
	assert_int_equal(r[DISCV4_PENDING_PEER_MAX].calls, 0);
	assert_int_equal(discv4_pending(x.d), 0);
	direct_fini(&x);
}

/* Every request counts against DISCV4_PENDING_MAX. */
static void test_discv4_pending_total_cap(void **st)
{
	struct direct x;
	struct discv4_node nd;
	struct res r;

	(void)st;
	direct_init(&x);
	memset(&r, 0, sizeof(r));
	for (unsigned i = 0; i < DISCV4_PENDING_MAX; i++) {
		nd = fresh_node(&x);
		assert_int_equal(discv4_ping(x.d, &nd, T0, ping_cb, &r), 0);
	}
	nd = fresh_node(&x);
	assert_int_equal(discv4_ping(x.d, &nd, T0, ping_cb, &r), -ENOBUFS);
	/* A ping-back is refused by the total cap too (and still Ponged). */
	assert_int_equal(direct_ping(&x, &nd, T0), 0);
	assert_int_equal(x.tx[DISCV4_PONG], 1);
	assert_int_equal(x.tx[DISCV4_PING], DISCV4_PENDING_MAX);
	assert_int_equal(discv4_stats(x.d)->pending_refused[DISCV4_CAP_TOTAL],
			 2);
	discv4_on_timer(x.d, T0 + DISCV4_REPLY_TIMEOUT_NS);
	assert_int_equal(r.calls, DISCV4_PENDING_MAX);
	assert_int_equal(discv4_pending(x.d), 0);
	direct_fini(&x);
}

/* Identical Pings (same second, same target: deterministic signatures)
 * share a hash; one Pong answers all of them, our user's and the
 * ping-back, and it must come from the pinged id and IP. */
static void test_discv4_one_pong_answers_identical_pings(void **st)
{
	uint8_t h_user[DISCV4_HASH_LEN], h_back[DISCV4_HASH_LEN];
	struct direct x;
	struct discv4_node nd, other;
	struct res r;

	(void)st;
	direct_init(&x);
	nd = fresh_node(&x);
	nd.ep.tcp = 0;
	memset(&r, 0, sizeof(r));
	assert_int_equal(discv4_ping(x.d, &nd, T0, ping_cb, &r), 0);
	memcpy(h_user, x.last_hash, sizeof(h_user));
	assert_int_equal(direct_ping(&x, &nd, T0 + MS), 0);
	memcpy(h_back, x.last_hash, sizeof(h_back));
	assert_memory_equal(h_user, h_back, DISCV4_HASH_LEN);
	assert_int_equal(discv4_pending(x.d), 2);
	/* The right hash from another id, then from another IP: no match. */
	other = fresh_node(&x);
	memcpy(other.ep.ip, nd.ep.ip, 16);
	assert_int_equal(direct_pong(&x, &other, h_user, T0 + 2 * MS), -ENOENT);
	other = nd;
	other.ep.ip[15] ^= 1;
	assert_int_equal(direct_pong(&x, &other, h_user, T0 + 2 * MS), -ENOENT);
	assert_int_equal(discv4_pending(x.d), 2);
	assert_int_equal(direct_pong(&x, &nd, h_user, T0 + 3 * MS), 0);
	assert_int_equal(discv4_pending(x.d), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, 0);
	assert_true(discv4_is_bonded(x.d, nd.id, nd.ep.ip, T0 + 3 * MS));
	/* The ping-back completed too: the pinger is in the table. */
	assert_non_null(kad_find(discv4_table(x.d), nd.id));
	direct_fini(&x);
}

/* A deadline far beyond now means the clock went back after the request
 * went out (geth errClockWarp): it fails at once instead of hanging for
 * the size of the jump. */
static void test_discv4_pending_clock_warp(void **st)
{
	struct direct x;
	struct discv4_node nd;
	struct res r;

	(void)st;
	direct_init(&x);
	nd = fresh_node(&x);
	memset(&r, 0, sizeof(r));
	assert_int_equal(discv4_ping(x.d, &nd, T0 + 3600 * SEC, ping_cb, &r),
			 0);
	discv4_on_timer(x.d, T0 + 3600 * SEC);
	assert_int_equal(r.calls, 0);
	discv4_on_timer(x.d, T0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, -ETIMEDOUT);
	direct_fini(&x);
}

static void test_discv4_lookups_converge_100_nodes(void **st)
{
	(void)st;
	run_network(0, DISCV4_MAX_RESULTS);
}

static void test_discv4_lookups_converge_with_10pct_loss(void **st)
{
	(void)st;
	run_network(10, DISCV4_MAX_RESULTS - 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discv4_ping_pong_mirrors_source_and_pings_back),
		cmocka_unit_test(test_discv4_rejects_expired_packets),
		cmocka_unit_test(test_discv4_no_neighbors_or_enr_before_proof),
		cmocka_unit_test(test_discv4_neighbors_split_12_plus_4),
		cmocka_unit_test(test_discv4_relay_rules),
		cmocka_unit_test(test_discv4_relay_lan_from_lan_and_netrestrict),
		cmocka_unit_test(test_discv4_ping_enr_request_between_engines),
		cmocka_unit_test(test_discv4_enr_response_checks),
		cmocka_unit_test(test_discv4_findnode_failures_drop),
		cmocka_unit_test(test_discv4_revalidation_removes_dead_nodes),
		cmocka_unit_test(test_discv4_pingbacks_capped_under_fresh_keys),
		cmocka_unit_test(test_discv4_pending_per_peer_cap),
		cmocka_unit_test(test_discv4_pending_total_cap),
		cmocka_unit_test(test_discv4_one_pong_answers_identical_pings),
		cmocka_unit_test(test_discv4_pending_clock_warp),
		cmocka_unit_test(test_discv4_enr_seq_decides_enr_requests),
		cmocka_unit_test(test_discv4_lookups_converge_100_nodes),
		cmocka_unit_test(test_discv4_lookups_converge_with_10pct_loss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
