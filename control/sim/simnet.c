/* SPDX-License-Identifier: MIT */
/* control/sim/simnet.c - the network simulator: discv4 engines behind the dataplane's ingress stage, RLPx gossip and send-by-id, on one virtual clock. */
/*
 * Why one file of about 1250 lines: the event queue, the v4 datagram path
 * through the ingress stage, the RLPx pipes, send-by-id and the run's
 * timeline read top to bottom here and call each other throughout; the
 * state they share is in control/sim/simnet_priv.h, which the discv5 side
 * (control/sim/simv5.c) also uses. Splitting the rest would only scatter a
 * run over files that each need all of that state.
 */
#include "control/sim/simnet.h"
#include "control/sim/simnet_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv4_wire.h"
#include "common/keccak.h"
#include "common/msg.h"
#include "common/secp.h"
#include "control/base/localnode.h"
#include "control/discv4/discv4.h"
#include "control/discv4/kad.h"
#include "control/rlpx/rlpxconn.h"
#include "control/service/gossip.h"
#include "control/service/sendid.h"
#include "dataplane/stage/discv4_rx.h"

uint64_t simnet_rnd(struct simnet *s)
{
	/* splitmix64: reproducible per seed */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool ev_less(const struct ev *x, const struct ev *y)
{
	return x->at < y->at || (x->at == y->at && x->seq < y->seq);
}

struct ev *simnet_ev_new(struct simnet *s, uint64_t at, uint8_t kind,
			 uint32_t a, uint32_t b, const uint8_t *data,
			 size_t len)
{
	struct ev *e = malloc(sizeof(*e) + len);
	size_t i;

	if (!e)
		goto nomem;
	if (s->nq == s->capq) {
		size_t cap = s->capq ? s->capq * 2 : 1024;
		void *nq = realloc(s->q, cap * sizeof(*s->q));

		if (!nq)
			goto nomem;
		s->q = nq;
		s->capq = cap;
	}
	e->at = at < s->now ? s->now : at;
	e->seq = s->seq++;
	e->kind = kind;
	e->dir = 0;
	e->a = a;
	e->b = b;
	e->len = (uint32_t)len;
	if (len)
		memcpy(e->data, data, len);
	i = s->nq++;
	while (i > 0 && ev_less(e, s->q[(i - 1) / 2])) {
		s->q[i] = s->q[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->q[i] = e;
	return e;
nomem:
	free(e);
	s->err = -ENOMEM;
	return NULL;
}

static struct ev *ev_pop(struct simnet *s)
{
	struct ev *top = s->q[0], *last = s->q[--s->nq];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->nq)
			break;
		if (c + 1 < s->nq && ev_less(s->q[c + 1], s->q[c]))
			c++;
		if (!ev_less(s->q[c], last))
			break;
		s->q[i] = s->q[c];
		i = c;
	}
	if (s->nq)
		s->q[i] = last;
	return top;
}

uint64_t simnet_delay(struct simnet *s)
{
	return s->cfg->delay_ns +
	       (s->cfg->jitter_ns ? simnet_rnd(s) % s->cfg->jitter_ns : 0);
}

bool simnet_lost(struct simnet *s)
{
	return s->cfg->loss_ppm && simnet_rnd(s) % 1000000 < s->cfg->loss_ppm;
}

/* Whether a and b can reach each other now: neither is cut off and no
 * partition separates them. */
bool simnet_linked(const struct simnet *s, uint32_t a, uint32_t b)
{
	const struct simnet_cfg *c = s->cfg;
	uint64_t t = s->now - s->t0;

	if (s->n[a].cut || s->n[b].cut)
		return false;
	if (c->part_to_ns && t >= c->part_from_ns && t < c->part_to_ns &&
	    (a < s->nn / 2) != (b < s->nn / 2))
		return false;
	return true;
}

int simnet_node_of_ip(const struct simnet *s, const uint8_t ip[16])
{
	uint32_t v = (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];

	if (ip[12] != 10 || v == 0 || v > s->nn)
		return -1;
	return (int)(v - 1);
}

void simnet_touch(struct simnet *s, struct snode *pe)
{
	uint64_t dl = pe->d5 ? simv5_deadline(pe) :
		      discv4_next_deadline(pe->d);

	if (dl == pe->deadline)
		return;
	pe->deadline = dl;
	pe->tgen++;
	if (dl != UINT64_MAX)
		simnet_ev_new(s, dl, EV_TIMER, pe->idx, pe->tgen, NULL, 0);
}

/* discv4 send callback: a datagram leaves pe. The measured lookup's
 * FindNode queries are counted here, where they go on the wire. */
static void engine_send(void *user, const uint8_t addr[16], uint16_t port,
			const uint8_t *pkt, size_t len)
{
	struct snode *pe = user;
	struct simnet *s = pe->s;
	int to = simnet_node_of_ip(s, addr);

	(void)port;
	if (pe->measuring && len > DISCV4_HEAD_LEN &&
	    pkt[DISCV4_HEAD_LEN] == DISCV4_FINDNODE) {
		struct discv4_packet p;

		if (discv4_decode(&p, pkt, len) >= 0 &&
		    memcmp(p.u.findnode.target, pe->mtarget,
			   SECP_PUB_LEN) == 0)
			pe->mhops++;
	}
	s->res->dgrams++;
	if (to < 0 || !simnet_linked(s, pe->idx, (uint32_t)to) ||
	    simnet_lost(s)) {
		s->res->dgrams_lost++;
		return;
	}
	simnet_ev_new(s, s->now + simnet_delay(s), EV_UDP, pe->idx,
		      (uint32_t)to, pkt, len);
}

/* What devplane-dp does with a datagram before control sees it, with the
 * dataplane's own code (dataplane/stage/discv4_rx.h). */
static void deliver_udp(struct simnet *s, const struct ev *e)
{
	_Alignas(8) uint8_t mbuf[sizeof(struct msg_discv4_rx) +
				 DISCV4_MAX_LEN];
	struct msg_discv4_rx *m = (struct msg_discv4_rx *)mbuf;
	struct snode *src = &s->n[e->a], *dst = &s->n[e->b];
	struct simnet_result *r = s->res;
	enum discv4_rx_verdict v;
	uint16_t port_be = (uint16_t)(UDP_PORT >> 8 | (UDP_PORT & 0xff) << 8);

	if (!simnet_linked(s, e->a, e->b) || !dst->started) {
		r->dgrams_lost++;
		return;
	}
	if (s->cfg->v5) {
		simv5_deliver(s, e);
		return;
	}
	v = discv4_rx_process(dst->rx, e->data, e->len, src->ip, port_be,
			      s->now, s->now, m, sizeof(mbuf));
	switch (v) {
	case DISCV4_RX_ACCEPT:
	case DISCV4_RX_ACCEPT_CACHED:
		r->rx_accept++;
		break;
	case DISCV4_RX_DROP_EXPIRED:
		r->rx_drop_expired++;
		return;
	case DISCV4_RX_DROP_BUDGET:
		r->rx_drop_budget++;
		return;
	case DISCV4_RX_DROP_REPLAY:
		r->rx_drop_replay++;
		return;
	default:
		r->rx_drop_other++;
		return;
	}
	m->dst_port_be = port_be;
	(void)discv4_on_packet(dst->d, m, s->now);
	simnet_touch(s, dst);
}

/* ---- RLPx sessions over in-memory pipes ------------------------------ */

static void conn_kill(struct simnet *s, struct sconn *c);

/* Moves what side `dir` queued to the other side, in order, one segment
 * per flush; a lost segment arrives one RTO later (TCP retransmits). */
/* simnet_tcp_at() is when a segment side `dir` of c sends now arrives:
 * one delay, plus an RTO per loss (TCP retransmits), in order; *dead when
 * it was lost SIMNET_RETRIES times (TCP gives up). */
uint64_t simnet_tcp_at(struct simnet *s, struct sconn *c, unsigned dir,
		       bool *dead)
{
	uint64_t at = s->now + simnet_delay(s);

	*dead = false;
	for (unsigned tries = 0; simnet_lost(s); tries++) {
		if (tries == SIMNET_RETRIES) {
			*dead = true;
			return 0;
		}
		at += SIMNET_RTO_NS;
	}
	if (at < c->last_at[dir])
		at = c->last_at[dir];
	c->last_at[dir] = at;
	return at;
}

static void conn_flush(struct simnet *s, uint32_t ci, unsigned dir)
{
	struct sconn *c = s->cs[ci];
	const uint8_t *p;
	size_t n = rlpxconn_out(&c->c[dir], &p);
	uint64_t at;
	struct ev *e;
	bool dead;

	if (!n || c->dead)
		return;
	at = simnet_tcp_at(s, c, dir, &dead);
	if (dead) {                     /* TCP gives up: reset */
		rlpxconn_out_done(&c->c[dir], n);
		conn_kill(s, c);
		return;
	}
	e = simnet_ev_new(s, at, EV_TCP, ci, 0, p, n);
	if (e)
		e->dir = (uint8_t)dir;
	rlpxconn_out_done(&c->c[dir], n);
}

static int conn_add_up(struct snode *pe, uint32_t ci)
{
	if (pe->n_conns == pe->cap_conns) {
		unsigned cap = pe->cap_conns ? pe->cap_conns * 2 : 8;
		void *nc = realloc(pe->conns, cap * sizeof(*pe->conns));

		if (!nc)
			return -ENOMEM;
		pe->conns = nc;
		pe->cap_conns = cap;
	}
	pe->conns[pe->n_conns++] = ci;
	return 0;
}

static void conn_del_up(struct snode *pe, uint32_t ci)
{
	for (unsigned i = 0; i < pe->n_conns; i++)
		if (pe->conns[i] == ci) {
			pe->conns[i] = pe->conns[--pe->n_conns];
			return;
		}
}

static void sid_drain(struct simnet *s, struct snode *pe);

static void conn_kill(struct simnet *s, struct sconn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	if (!c->up)
		s->res->rlpx_failed++;
	c->up = false;
	for (unsigned i = 0; i < s->ncs; i++)
		if (s->cs[i] == c) {
			conn_del_up(&s->n[c->a], i);
			conn_del_up(&s->n[c->b], i);
		}
	sendid_on_gone(&s->n[c->a].sid, s->n[c->b].pub, s->now);
	sid_drain(s, &s->n[c->a]);
	rlpxconn_fini(&c->c[0]);
	rlpxconn_fini(&c->c[1]);
}

/* simnet_conn_find() is the index of an open connection between a and b,
 * or -1. */
int simnet_conn_find(const struct simnet *s, uint32_t a, uint32_t b)
{
	const struct snode *pa = &s->n[a];

	for (unsigned i = 0; i < pa->n_conns; i++) {
		const struct sconn *c = s->cs[pa->conns[i]];

		if (c->a == b || c->b == b)
			return (int)pa->conns[i];
	}
	return -1;
}

/* simnet_conn_new() adds a connection from a to b; returns its index or
 * -ENOMEM. */
int simnet_conn_new(struct simnet *s, uint32_t a, uint32_t b)
{
	struct sconn *c;

	if (s->ncs == s->capcs) {
		unsigned cap = s->capcs ? s->capcs * 2 : 256;
		void *nc = realloc(s->cs, cap * sizeof(*s->cs));

		if (!nc)
			return -ENOMEM;
		s->cs = nc;
		s->capcs = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->a = a;
	c->b = b;
	s->cs[s->ncs] = c;
	return (int)s->ncs++;
}

static int conn_dial(struct simnet *s, uint32_t a, uint32_t b)
{
	struct sconn *c;
	int rc, ci;

	if (a == b)
		return -EINVAL;
	if (simnet_conn_find(s, a, b) >= 0)
		return -EISCONN;
	if (s->cfg->p2p)
		return simp2p_dial(s, a, b);
	ci = simnet_conn_new(s, a, b);
	if (ci < 0)
		return ci;
	c = s->cs[ci];
	rc = rlpxconn_dial(&c->c[0], s->n[a].priv, s->n[b].pub, 0, s->now);
	if (rc == 0)
		rc = rlpxconn_accept(&c->c[1], s->n[b].priv, 0, s->now);
	if (rc < 0) {
		rlpxconn_fini(&c->c[0]);
		c->dead = true;         /* stays in s->cs, never used */
		return rc;
	}
	conn_flush(s, (uint32_t)ci, 0);
	return 0;
}

/* conn_send() sends (code, payload) from pe on connection ci. */
static int conn_send(struct simnet *s, struct snode *pe, uint32_t ci,
		     uint64_t code, const uint8_t *payload, size_t len)
{
	struct sconn *c = s->cs[ci];
	unsigned dir = c->a == pe->idx ? 0 : 1;
	int rc;

	if (c->p2p)
		return simp2p_send(s, pe, ci, code, payload, len);
	rc = rlpxconn_send(&c->c[dir], code, payload, len, false);
	if (rc == 0)
		conn_flush(s, ci, dir);
	return rc;
}

static void bcast_deliver(struct simnet *s, struct snode *pe, uint32_t from_ci,
			  const uint8_t *buf, size_t len)
{
	struct gossip_env env;
	uint8_t out[GOSSIP_ENV_OVERHEAD + 16];
	uint32_t bi;
	ssize_t n;

	if (gossip_env_decode(&env, NULL, buf, len) < 0 || env.len != 4)
		return;
	if (!gossip_seen_add(&pe->seen, env.id, s->now))
		return;
	memcpy(&bi, env.payload, 4);
	if (bi < s->bc_seq) {
		s->bc_reached[bi]++;
		s->bc_ms[s->n_bc++] = (double)(s->now - s->bc_t0[bi]) / 1e6;
	}
	if (env.ttl <= 1)
		return;
	env.ttl--;
	n = gossip_env_encode(out, sizeof(out), &env);
	if (n < 0)
		return;
	for (unsigned i = 0; i < pe->n_conns; i++) {
		uint32_t ci = pe->conns[i];

		if (ci != from_ci)
			(void)conn_send(s, pe, ci, CODE_GOSSIP, out, (size_t)n);
	}
}

void simnet_on_msg(struct simnet *s, struct snode *pe, uint32_t ci,
		   uint64_t code, const uint8_t *payload, size_t len)
{
	uint64_t t;

	if (code == CODE_GOSSIP) {
		bcast_deliver(s, pe, ci, payload, len);
	} else if (code == CODE_DIRECT && len == 8 &&
		   s->n_send <= s->cfg->lookups) {
		memcpy(&t, payload, 8);
		s->res->sends_ok++;
		s->send_ms[s->n_send++] = (double)(s->now - t) / 1e6;
	}
}

/* A session side came up: pe can use ci, and a send-by-id waiting for the
 * remote goes on. */
void simnet_conn_up(struct simnet *s, struct snode *pe, uint32_t ci)
{
	struct sconn *c = s->cs[ci];
	unsigned side = c->a == pe->idx ? 0 : 1;
	const struct snode *rem = &s->n[side ? c->a : c->b];
	const void *proto = s;

	if (c->added[side])
		return;
	c->added[side] = true;
	if (conn_add_up(pe, ci) < 0)
		s->err = -ENOMEM;
	if (c->added[0] && c->added[1] && !c->up) {
		c->up = true;
		s->res->rlpx_sessions++;
	}
	sendid_on_peer(&pe->sid, rem->pub, &proto, 1, s->now);
	sid_drain(s, pe);
}

void simnet_conn_down(struct simnet *s, struct snode *pe, uint32_t ci)
{
	struct sconn *c = s->cs[ci];
	unsigned side = c->a == pe->idx ? 0 : 1;
	const struct snode *rem = &s->n[side ? c->a : c->b];

	if (c->closed[side])
		return;
	c->closed[side] = true;
	if (c->added[side])
		conn_del_up(pe, ci);
	if (!c->up && !c->dead)
		s->res->rlpx_failed++;
	c->dead = true;
	c->up = false;
	sendid_on_gone(&pe->sid, rem->pub, s->now);
	sid_drain(s, pe);
}

static void deliver_tcp(struct simnet *s, const struct ev *e)
{
	uint32_t ci = e->a;
	struct sconn *c = s->cs[ci];
	unsigned to = e->dir ? 0 : 1;   /* the side receiving */
	struct snode *pe = &s->n[to ? c->b : c->a];
	const uint8_t *p = e->data;
	size_t left = e->len;

	if (c->p2p) {
		simp2p_deliver_bytes(s, e);
		return;
	}
	if (c->dead)
		return;
	if (!simnet_linked(s, c->a, c->b)) {
		conn_kill(s, c);
		return;
	}
	while (left) {
		enum rlpxconn_event ev = RLPXCONN_EV_NONE;
		struct rlpxconn_msg msg;
		ssize_t n = rlpxconn_feed(&c->c[to], &ev, &msg, p, left,
					  s->now);

		if (n < 0) {
			conn_kill(s, c);
			return;
		}
		p += n;
		left -= (size_t)n;
		if (ev == RLPXCONN_EV_HANDSHAKE) {
			c->hs[to] = true;
			if (c->hs[0] && c->hs[1] && !c->up) {
				const void *proto = s;

				c->up = true;
				s->res->rlpx_sessions++;
				if (conn_add_up(&s->n[c->a], ci) < 0 ||
				    conn_add_up(&s->n[c->b], ci) < 0)
					s->err = -ENOMEM;
				sendid_on_peer(&s->n[c->a].sid, s->n[c->b].pub,
					       &proto, 1, s->now);
				sid_drain(s, &s->n[c->a]);
			}
		} else if (ev == RLPXCONN_EV_MSG) {
			simnet_on_msg(s, pe, ci, msg.code, msg.payload,
				      msg.len);
		}
	}
	conn_flush(s, ci, to);
}

/* ---- send-by-id: sendid's actions carried out --------------------------- */

void simnet_lookup_end(struct simnet *s, struct snode *pe, int err,
		       const uint8_t *ip, uint16_t tcp)
{
	uint64_t req = 0;

	(void)err;
	pe->measuring = false;
	s->hops[s->n_hops] = pe->mhops;
	s->lk_ms[s->n_hops++] = (double)(s->now - pe->mstart) / 1e6;
	if (ip)
		s->res->converged++;
	for (struct sendid_req *r = pe->sid.reqs; r; r = r->next)
		if (r->st == SENDID_LOOKUP)
			req = r->handle;
	sendid_on_lookup(&pe->sid, req, ip != NULL, ip, ip ? tcp : 0, s->now);
	sid_drain(s, pe);
}

static void lookup_done(void *arg, int err, const struct discv4_node *nodes,
			unsigned n)
{
	struct snode *pe = arg;
	const struct discv4_node *hit = NULL;

	for (unsigned i = 0; !err && i < n; i++)
		if (memcmp(nodes[i].id, pe->mtarget, SECP_PUB_LEN) == 0)
			hit = &nodes[i];
	simnet_lookup_end(pe->s, pe, err, hit ? hit->ep.ip : NULL,
			  hit ? hit->ep.tcp : 0);
}

/* sid_drain() carries out pe's send-by-id actions. Carrying one out can
 * end in a nested call (a dial whose first segment is lost past every
 * retransmission kills the connection, which reports to sendid and
 * drains again): the nested call leaves the actions to the outer loop,
 * and each action is copied first, since the next sendid_next_action()
 * frees it. */
static void sid_drain(struct simnet *s, struct snode *pe)
{
	const struct sendid_action *next;
	struct sendid_action act;
	const struct sendid_action *a = &act;

	if (pe->draining)
		return;
	pe->draining = true;
	while ((next = sendid_next_action(&pe->sid))) {
		act = *next;
		switch (a->kind) {
		case SENDID_A_LOOKUP:
			pe->measuring = true;
			pe->mhops = 0;
			pe->mstart = s->now;
			memcpy(pe->mtarget, a->id, SECP_PUB_LEN);
			if (pe->d5 ? simv5_lookup(s, pe) < 0 :
			    discv4_lookup(pe->d, a->id, s->now, lookup_done,
					  pe) < 0)
				simnet_lookup_end(s, pe, -EAGAIN, NULL, 0);
			simnet_touch(s, pe);
			break;
		case SENDID_A_DIAL: {
			int to = simnet_node_of_ip(s, a->ip), rc;

			rc = to < 0 ? -EHOSTUNREACH :
				      conn_dial(s, pe->idx, (uint32_t)to);
			sendid_on_dial(&pe->sid, a->req, rc, s->now);
			if (rc == -EISCONN) {
				/* already a peer: it will not come up again */
				const void *proto = s;

				sendid_on_peer(&pe->sid, s->n[to].pub, &proto,
					       1, s->now);
			}
			break;
		}
		case SENDID_A_SEND: {
			int ci = simnet_conn_find(s, pe->idx, pe->sid_target);

			if (ci >= 0)
				(void)conn_send(s, pe, (uint32_t)ci,
						CODE_DIRECT,
						(const uint8_t *)&pe->sid_start,
						8);
			break;
		}
		case SENDID_A_DONE:
			break;
		}
	}
	pe->draining = false;
}

/* ---- the scheduled steps of a run -------------------------------------- */

/* node_table() is pe's Kademlia table, v4 or v5 (NULL before its start). */
static const struct kad_table *node_table(const struct snode *pe)
{
	if (pe->d5)
		return simv5_table(pe);
	return pe->d ? discv4_table(pe->d) : NULL;
}

static uint32_t pick_live(struct simnet *s)
{
	for (;;) {
		uint32_t i = (uint32_t)(simnet_rnd(s) % s->nn);

		if (!s->n[i].cut && s->n[i].started)
			return i;
	}
}

/* served() says whether holder h would name dst in its answer to a
 * lookup's query: dst is in h's table and, as the engines answer
 * (discv4: kad_closest() with prefer_live, geth's findnodeByID; discv5:
 * validated-live nodes only), live or, for v4, in a table with no live
 * node near the target at all. */
static bool served(struct simnet *s, const struct snode *h, uint32_t dst,
		   const uint8_t tid[KAD_ID_LEN])
{
	const struct kad_node *k[KAD_BUCKET_SIZE];
	size_t n = kad_closest(node_table(h), k, KAD_BUCKET_SIZE, tid, true);

	for (size_t i = 0; i < n; i++)
		if (memcmp(k[i]->pub, s->n[dst].pub, SECP_PUB_LEN) == 0)
			return !s->cfg->v5 || k[i]->live;
	return false;
}

/* Which of the KAD_BUCKET_SIZE live nodes closest to dst (XOR of the
 * hashed ids) hold dst in their table, and would serve it (served()):
 * what a lookup needs to find it (simnet_result.targets_known,
 * targets_served). Returns 0 (none holds it), 1 (held, served by none)
 * or 2 (served). */
static int target_known(struct simnet *s, uint32_t dst)
{
	uint8_t tid[KAD_ID_LEN], ids[KAD_BUCKET_SIZE][KAD_ID_LEN];
	uint32_t best[KAD_BUCKET_SIZE];
	unsigned nb = 0;
	int known = 0;

	keccak256(tid, s->n[dst].pub, SECP_PUB_LEN);
	for (uint32_t i = 0; i < s->nn; i++) {
		uint8_t id[KAD_ID_LEN];
		unsigned j;

		if (i == dst || s->n[i].cut || !node_table(&s->n[i]))
			continue;
		keccak256(id, s->n[i].pub, SECP_PUB_LEN);
		for (j = nb; j > 0 && kad_dist_cmp(tid, id, ids[j - 1]) < 0;
		     j--) {
			if (j < KAD_BUCKET_SIZE) {
				memcpy(ids[j], ids[j - 1], KAD_ID_LEN);
				best[j] = best[j - 1];
			}
		}
		if (j < KAD_BUCKET_SIZE) {
			memcpy(ids[j], id, KAD_ID_LEN);
			best[j] = i;
			if (nb < KAD_BUCKET_SIZE)
				nb++;
		}
	}
	for (unsigned j = 0; j < nb; j++) {
		const struct kad_node *k[1];

		if (served(s, &s->n[best[j]], dst, tid))
			return 2;
		if (kad_closest(node_table(&s->n[best[j]]), k, 1, tid,
				false) == 1 &&
		    memcmp(k[0]->pub, s->n[dst].pub, SECP_PUB_LEN) == 0)
			known = 1;
	}
	return known;
}

static void start_lookup(struct simnet *s)
{
	const struct sendid_route route = { .can_lookup = true };
	struct snode *pe = NULL;
	uint32_t src = 0, dst = 0;
	uint64_t h;

	for (int tries = 0; tries < 64 && !pe; tries++) {
		src = pick_live(s);
		if (!s->n[src].measuring && !sendid_pending(&s->n[src].sid))
			pe = &s->n[src];
	}
	if (!pe)
		return;
	/* A target the source's table does not hold, when there is one
	 * (seed 004: "a node that is not in its routing table"). */
	for (int tries = 0; tries < 32; tries++) {
		const struct kad_node *k[1];
		uint8_t kid[KAD_ID_LEN];

		dst = pick_live(s);
		if (dst == src)
			continue;
		keccak256(kid, s->n[dst].pub, SECP_PUB_LEN);
		if (kad_closest(node_table(pe), k, 1, kid, false) == 1 &&
		    memcmp(k[0]->pub, s->n[dst].pub, SECP_PUB_LEN) == 0)
			continue;
		if (simnet_conn_find(s, src, dst) < 0)
			break;
	}
	if (dst == src)
		return;
	switch (target_known(s, dst)) {
	case 2:
		s->res->targets_served++;
		/* fall through */
	case 1:
		s->res->targets_known++;
		break;
	}
	s->res->lookups++;
	s->res->sends++;
	pe->sid_target = dst;
	pe->sid_start = s->now;
	if (sendid_start(&pe->sid, &h, s->n[dst].pub, s, NULL, &route,
			 0, s->now) == 0)
		simnet_ev_new(s, s->now + SENDID_TIMEOUT_NS + 1, EV_SIDTICK,
			      src, 0, NULL, 0);
	sid_drain(s, pe);
}

static void start_bcast(struct simnet *s)
{
	struct gossip_env env;
	uint8_t out[GOSSIP_ENV_OVERHEAD + 16];
	struct snode *pe = NULL;
	uint32_t bi = s->bc_seq;
	ssize_t n;

	for (int tries = 0; tries < 64 && !pe; tries++) {
		uint32_t i = pick_live(s);

		if (s->n[i].n_conns)
			pe = &s->n[i];
	}
	if (!pe)
		return;
	s->bc_t0[bi] = s->now;
	s->bc_reached[bi] = 1;          /* the origin */
	s->bc_seq++;
	gossip_msg_id(env.id, pe->pub, "sim", bi, 0, (const uint8_t *)&bi, 4);
	env.ttl = GOSSIP_TTL_DEFAULT;
	env.code = 0;
	env.payload = (const uint8_t *)&bi;
	env.len = 4;
	(void)gossip_seen_add(&pe->seen, env.id, s->now);
	n = gossip_env_encode(out, sizeof(out), &env);
	if (n < 0)
		return;
	for (unsigned i = 0; i < pe->n_conns; i++)
		(void)conn_send(s, pe, pe->conns[i], CODE_GOSSIP, out,
				(size_t)n);
}

static void dial_all(struct simnet *s)
{
	for (uint32_t i = 0; i < s->nn; i++) {
		const struct kad_node *k[SIMNET_DEGREE];
		uint8_t target[KAD_ID_LEN];
		size_t n;

		if (s->n[i].cut || !s->n[i].started)
			continue;
		for (unsigned j = 0; j < KAD_ID_LEN; j += 8) {
			uint64_t r = simnet_rnd(s);

			memcpy(target + j, &r, 8);
		}
		n = kad_closest(node_table(&s->n[i]), k, SIMNET_DEGREE,
				target, false);
		for (size_t j = 0; j < n; j++) {
			int to = simnet_node_of_ip(s, k[j]->ip);

			if (to >= 0)
				(void)conn_dial(s, i, (uint32_t)to);
		}
	}
}

static size_t table_size(const struct snode *pe)
{
	const struct kad_table *t = node_table(pe);

	return t ? kad_len(t) : 0;
}

static void health(struct simnet *s)
{
	unsigned need = s->live - 1 < KAD_BUCKET_SIZE ? s->live - 1 :
							 KAD_BUCKET_SIZE;
	double t = (double)(s->now - s->t0) / 1e9;
	bool all = true;

	for (uint32_t i = 0; i < s->nn && all; i++)
		if (!s->n[i].cut && table_size(&s->n[i]) < need)
			all = false;
	if (!all)
		return;
	if (s->res->healthy_s < 0)
		s->res->healthy_s = t;
	if (s->rejoined && s->res->reheal_s < 0)
		s->res->reheal_s = t - 0.6 * (double)s->cfg->duration_ns / 1e9;
}

static void sample(struct simnet *s)
{
	struct simnet_result *r = s->res;
	unsigned min = UINT32_MAX, k = r->n_samples;
	double sum = 0;

	if (k >= SIMNET_SAMPLES)
		return;
	for (uint32_t i = 0; i < s->nn; i++) {
		size_t n;

		if (s->n[i].cut)
			continue;
		n = table_size(&s->n[i]);
		sum += (double)n;
		if (n < min)
			min = (unsigned)n;
	}
	r->fill_t_s[k] = (double)(s->now - s->t0) / 1e9;
	r->fill_mean[k] = s->live ? sum / s->live : 0;
	r->fill_min[k] = s->live ? min : 0;
	r->n_samples++;
}

static void churn(struct simnet *s, bool off)
{
	struct simnet_result *r = s->res;
	unsigned others = s->nn - r->n_boot;
	unsigned want = (unsigned)((uint64_t)others * s->cfg->churn_pct / 100);

	if (!off) {
		for (uint32_t i = 0; i < s->nn; i++)
			if (s->n[i].cut) {
				s->n[i].cut = false;
				s->live++;
			}
		s->rejoined = true;
		return;
	}
	while (r->churned < want) {
		uint32_t i = r->n_boot + (uint32_t)(simnet_rnd(s) % others);

		if (s->n[i].cut)
			continue;
		s->n[i].cut = true;
		s->live--;
		r->churned++;
	}
}

/* ---- setup and the event loop ----------------------------------------- */

static int node_init(struct simnet *s, struct snode *pe, uint32_t idx)
{
	const struct discv4_rx_cfg rxc = {
		.budget_rate = BUDGET_RATE, .budget_burst = BUDGET_BURST,
		.budget_slots = BUDGET_SLOTS, .cache_slots = CACHE_SLOTS,
	};
	uint8_t seed[16], key[SIPHASH_KEY_LEN];
	uint64_t r;
	int rc;

	pe->idx = idx;
	pe->s = s;
	pe->deadline = UINT64_MAX;
	memset(pe->ip, 0, 10);
	pe->ip[10] = pe->ip[11] = 0xff;
	pe->ip[12] = 10;
	pe->ip[13] = (uint8_t)((idx + 1) >> 16);
	pe->ip[14] = (uint8_t)((idx + 1) >> 8);
	pe->ip[15] = (uint8_t)(idx + 1);
	/* keys from the seed and the index: reproducible */
	memcpy(seed, &s->cfg->seed, 8);
	memcpy(seed + 8, &idx, 4);
	memset(seed + 12, 0x5a, 4);
	do {
		keccak256(pe->priv, seed, sizeof(seed));
		seed[15]++;
	} while (!secp_priv_check(pe->priv));
	rc = secp_pub_from_priv(pe->pub, pe->priv);
	if (rc < 0)
		return rc;
	rc = localnode_init(&pe->ln, pe->priv, 0, UDP_PORT, UDP_PORT);
	if (rc < 0)
		return rc;
	localnode_set_fallback_ip(&pe->ln, pe->ip);
	rc = discv4_rx_new(&pe->rx, &rxc);
	if (rc == 0 && s->cfg->v5)
		rc = simv5_node_init(s, pe);
	if (rc < 0)
		return rc;
	r = simnet_rnd(s);
	memcpy(key, &r, 8);
	r = simnet_rnd(s);
	memcpy(key + 8, &r, 8);
	rc = gossip_seen_init(&pe->seen, 0, 0, key);
	if (rc < 0)
		return rc;
	sendid_init(&pe->sid, 4);
	return s->cfg->p2p ? simp2p_node_init(s, pe) : 0;
}

static int node_start(struct simnet *s, struct snode *pe)
{
	struct discv4_config c = {
		.ln = &pe->ln, .send = engine_send, .send_user = pe,
		.seed = simnet_rnd(s),
	};
	int rc;

	if (s->cfg->v5) {
		rc = simv5_node_start(s, pe);
		if (rc < 0)
			return rc;
		pe->started = true;
		simnet_touch(s, pe);
		return 0;
	}
	rc = discv4_new(&pe->d, &c, s->now);

	for (uint32_t b = 0; rc == 0 && b < s->res->n_boot; b++) {
		struct discv4_node bn;

		if (b == pe->idx)
			continue;
		memset(&bn, 0, sizeof(bn));
		memcpy(bn.ep.ip, s->n[b].ip, 16);
		bn.ep.ip_len = 4;
		bn.ep.udp = UDP_PORT;
		bn.ep.tcp = UDP_PORT;
		memcpy(bn.id, s->n[b].pub, SECP_PUB_LEN);
		rc = discv4_add_bootnode(pe->d, &bn);
	}
	if (rc < 0)
		return rc;
	pe->started = true;
	simnet_touch(s, pe);
	return 0;
}

static void node_fini(struct snode *pe)
{
	discv4_free(pe->d);
	simv5_node_fini(pe);
	simp2p_node_fini(pe);
	discv4_rx_free(pe->rx);
	localnode_fini(&pe->ln);
	gossip_seen_fini(&pe->seen);
	sendid_fini(&pe->sid);
	free(pe->conns);
	explicit_bzero(pe->priv, sizeof(pe->priv));
}

static int step(struct simnet *s, struct ev *e)
{
	struct snode *pe;

	s->res->events++;
	switch (e->kind) {
	case EV_UDP:
		deliver_udp(s, e);
		break;
	case EV_TCP:
		deliver_tcp(s, e);
		break;
	case EV_TIMER:
		pe = &s->n[e->a];
		if (!pe->started) {
			int rc = node_start(s, pe);

			if (rc < 0)
				return rc;
			break;
		}
		if (e->b != pe->tgen)
			break;          /* superseded */
		pe->deadline = UINT64_MAX;
		if (pe->d5)
			simv5_timer(pe, s->now);
		else
			discv4_on_timer(pe->d, s->now);
		if ((pe->d5 ? simv5_deadline(pe) :
		     discv4_next_deadline(pe->d)) <= s->now) {
			/* on_timer consumes what is due; never spin */
			pe->tgen++;
			simnet_ev_new(s, s->now + STEP_NS, EV_TIMER, pe->idx,
				      pe->tgen, NULL, 0);
			pe->deadline = s->now + STEP_NS;
		} else {
			simnet_touch(s, pe);
		}
		break;
	case EV_SAMPLE:
		sample(s);
		break;
	case EV_HEALTH:
		health(s);
		simnet_ev_new(s, s->now + SIMNET_HEALTH_NS, EV_HEALTH, 0, 0,
			      NULL, 0);
		break;
	case EV_CHURN_OFF:
		churn(s, true);
		break;
	case EV_CHURN_ON:
		churn(s, false);
		break;
	case EV_DIAL_ALL:
		dial_all(s);
		break;
	case EV_LOOKUP:
		start_lookup(s);
		break;
	case EV_BCAST:
		start_bcast(s);
		break;
	case EV_P2P_MSG:
		simp2p_deliver_msg(s, e);
		break;
	case EV_P2P_TICK:
		simp2p_tick(s, e);
		break;
	case EV_SIDTICK:
		pe = &s->n[e->a];
		sendid_tick(&pe->sid, s->now);
		sid_drain(s, pe);
		break;
	}
	return s->err;
}

static void schedule(struct simnet *s)
{
	const struct simnet_cfg *c = s->cfg;
	uint64_t T = c->duration_ns, t0 = s->t0;

	for (uint32_t i = 0; i < s->nn; i++)
		simnet_ev_new(s, t0 + simnet_rnd(s) % 1000000000ull,
			      EV_TIMER, i, 0, NULL, 0);
	for (unsigned k = 0; k < SIMNET_SAMPLES; k++)
		simnet_ev_new(s, t0 + T / SIMNET_SAMPLES * (k + 1) - 1,
			      EV_SAMPLE, 0, 0, NULL, 0);
	simnet_ev_new(s, t0 + SIMNET_HEALTH_NS, EV_HEALTH, 0, 0, NULL, 0);
	if (c->churn_pct) {
		simnet_ev_new(s, t0 + T / 10 * 4, EV_CHURN_OFF, 0, 0, NULL, 0);
		simnet_ev_new(s, t0 + T / 10 * 6, EV_CHURN_ON, 0, 0, NULL, 0);
	}
	if (!c->no_rlpx)
		simnet_ev_new(s, t0 + T / 100 * 65, EV_DIAL_ALL, 0, 0, NULL, 0);
	for (unsigned k = 0; k < c->lookups; k++)
		simnet_ev_new(s, t0 + T / 10 * 7 + T / 5 * k / c->lookups,
			      EV_LOOKUP, 0, 0, NULL, 0);
	for (unsigned k = 0; !c->no_rlpx && k < c->broadcasts; k++)
		simnet_ev_new(s, t0 + T / 10 * 7 + T / 5 * k / c->broadcasts +
				      T / 400, EV_BCAST, 0, 0, NULL, 0);
}

static void finish(struct simnet *s)
{
	struct simnet_result *r = s->res;
	double sum = 0, min = 1;

	simnet_dist_of(&r->hops, s->hops, s->n_hops);
	simnet_dist_of(&r->lookup_ms, s->lk_ms, s->n_hops);
	simnet_dist_of(&r->send_ms, s->send_ms, s->n_send);
	simnet_dist_of(&r->bcast_ms, s->bc_ms, s->n_bc);
	r->bcasts = s->bc_seq;
	for (unsigned i = 0; i < s->bc_seq; i++) {
		double c = (double)s->bc_reached[i] / s->nn;

		sum += c;
		if (c < min)
			min = c;
	}
	r->coverage_mean = s->bc_seq ? sum / s->bc_seq : 0;
	r->coverage_min = s->bc_seq ? min : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void simnet_dist_of(struct simnet_dist *d, double *v, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->n = n;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	/* nearest-rank percentiles */
	d->p50 = v[(n * 50 + 99) / 100 - 1];
	d->p90 = v[(n * 90 + 99) / 100 - 1];
	d->p99 = v[(n * 99 + 99) / 100 - 1];
	d->max = v[n - 1];
}

int simnet_run(struct simnet_result *res, const struct simnet_cfg *cfg)
{
	struct simnet s;
	uint64_t end;
	int rc = 0;

	if (cfg->nodes < 2 || cfg->nodes > (1u << 24) - 2 ||
	    cfg->loss_ppm > 1000000 || !cfg->duration_ns)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.res = res;
	s.rng = cfg->seed;
	s.now = s.t0 = SIMNET_START_NS;
	s.nn = s.live = cfg->nodes;
	res->nodes = cfg->nodes;
	res->n_boot = cfg->n_boot ? cfg->n_boot :
		      cfg->nodes <= 10 ? 3 : cfg->nodes <= 100 ? 5 : 10;
	if (res->n_boot > cfg->nodes)
		res->n_boot = cfg->nodes;
	res->healthy_s = res->reheal_s = -1;
	s.n = calloc(cfg->nodes, sizeof(*s.n));
	s.hops = calloc(cfg->lookups + 1, sizeof(double));
	s.lk_ms = calloc(cfg->lookups + 1, sizeof(double));
	s.send_ms = calloc(cfg->lookups + 1, sizeof(double));
	s.bc_ms = calloc((size_t)(cfg->broadcasts + 1) * cfg->nodes,
			 sizeof(double));
	s.bc_t0 = calloc(cfg->broadcasts + 1, sizeof(uint64_t));
	s.bc_reached = calloc(cfg->broadcasts + 1, sizeof(unsigned));
	if (!s.n || !s.hops || !s.lk_ms || !s.send_ms || !s.bc_ms ||
	    !s.bc_t0 || !s.bc_reached) {
		rc = -ENOMEM;
		goto out;
	}
	if (cfg->v5)
		rc = simv5_init(&s);
	for (uint32_t i = 0; i < cfg->nodes && rc == 0; i++)
		rc = node_init(&s, &s.n[i], i);
	if (rc < 0)
		goto out;
	schedule(&s);
	end = s.t0 + cfg->duration_ns;
	while (rc == 0 && s.nq && s.q[0]->at <= end) {
		struct ev *e = ev_pop(&s);

		s.now = e->at;
		rc = step(&s, e);
		free(e);
	}
	if (rc == 0)
		rc = s.err;
	finish(&s);
out:
	while (s.nq)
		free(ev_pop(&s));
	free(s.q);
	for (unsigned i = 0; i < s.ncs; i++) {
		if (s.cs[i]->p2p) {
			simp2p_conn_fini(s.cs[i]);
		} else {
			rlpxconn_fini(&s.cs[i]->c[0]);
			rlpxconn_fini(&s.cs[i]->c[1]);
		}
		free(s.cs[i]);
	}
	free(s.cs);
	if (s.n)
		for (uint32_t i = 0; i < cfg->nodes; i++)
			node_fini(&s.n[i]);
	free(s.n);
	simv5_fini(&s);
	free(s.hops);
	free(s.lk_ms);
	free(s.send_ms);
	free(s.bc_ms);
	free(s.bc_t0);
	free(s.bc_reached);
	return rc;
}
