/* SPDX-License-Identifier: MIT */
/* tests/control/sim.c - in-process network of discv4 engines on a fake clock. */
#include "tests/control/sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/keccak.h"
#include "common/msg.h"
#include "common/secp.h"

static uint64_t rnd(struct sim *s)
{
	/* splitmix64: reproducible per seed. */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sim_ip4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = a;
	out[13] = b;
	out[14] = c;
	out[15] = d;
}

void sim_init(struct sim *s, uint64_t now_ns, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->now = now_ns;
	s->rng = seed;
	s->delay_ns = 1000000;          /* 1 ms */
}

void sim_set_net(struct sim *s, unsigned loss_pct, uint64_t delay_ns,
		 uint64_t jitter_ns)
{
	s->loss_pct = loss_pct;
	s->delay_ns = delay_ns;
	s->jitter_ns = jitter_ns;
}

static bool pkt_less(const struct sim_pkt *a, const struct sim_pkt *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static int heap_push(struct sim *s, struct sim_pkt *p)
{
	size_t i;

	if (s->nq == s->capq) {
		size_t cap = s->capq ? s->capq * 2 : 256;
		void *nq = realloc(s->q, cap * sizeof(*s->q));

		if (!nq)
			return -ENOMEM;
		s->q = nq;
		s->capq = cap;
	}
	i = s->nq++;
	while (i > 0 && pkt_less(p, s->q[(i - 1) / 2])) {
		s->q[i] = s->q[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->q[i] = p;
	return 0;
}

static struct sim_pkt *heap_pop(struct sim *s)
{
	struct sim_pkt *top = s->q[0], *last = s->q[--s->nq];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->nq)
			break;
		if (c + 1 < s->nq && pkt_less(s->q[c + 1], s->q[c]))
			c++;
		if (!pkt_less(s->q[c], last))
			break;
		s->q[i] = s->q[c];
		i = c;
	}
	if (s->nq)
		s->q[i] = last;
	return top;
}

static void enqueue(struct sim *s, unsigned from, const uint8_t src[16],
		    uint16_t sport, const uint8_t dst[16], uint16_t dport,
		    const uint8_t *pkt, size_t len)
{
	struct sim_pkt *p;

	s->sent++;
	if (s->loss_pct && rnd(s) % 100 < s->loss_pct) {
		s->lost++;
		return;
	}
	p = malloc(sizeof(*p));
	if (!p || len > sizeof(p->data)) {
		free(p);
		return;
	}
	p->at = s->now + s->delay_ns +
		(s->jitter_ns ? rnd(s) % s->jitter_ns : 0);
	p->seq = s->seq++;
	p->from = from;
	memcpy(p->src_ip, src, 16);
	p->src_port = sport;
	memcpy(p->dst_ip, dst, 16);
	p->dst_port = dport;
	p->len = (uint16_t)len;
	memcpy(p->data, pkt, len);
	if (heap_push(s, p) < 0)
		free(p);
}

static void engine_send(void *user, const uint8_t addr[16], uint16_t port,
			const uint8_t *pkt, size_t len)
{
	struct sim_peer *pe = user;

	enqueue(pe->s, pe->idx, pe->ip, pe->port, addr, port, pkt, len);
}

static int add_peer(struct sim *s, const uint8_t ip[16], uint16_t port,
		    bool raw, struct sim_peer **out)
{
	struct sim_peer *pe;
	uint8_t seed[16];

	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 16;
		void *np = realloc(s->peers, cap * sizeof(*s->peers));

		if (!np)
			return -ENOMEM;
		s->peers = np;
		s->cap = cap;
	}
	pe = calloc(1, sizeof(*pe));
	if (!pe)
		return -ENOMEM;
	pe->s = s;
	pe->idx = s->n;
	memcpy(pe->ip, ip, 16);
	pe->port = port;
	pe->raw = raw;
	pe->deadline = UINT64_MAX;
	/* Keys derived from the sim seed and the index: reproducible. */
	memcpy(seed, &s->rng, 8);
	memcpy(seed + 8, &pe->idx, sizeof(pe->idx));
	memset(seed + 8 + sizeof(pe->idx), 0x5a, 8 - sizeof(pe->idx));
	do {
		keccak256(pe->priv, seed, sizeof(seed));
		seed[15]++;
	} while (!secp_priv_check(pe->priv));
	if (secp_pub_from_priv(pe->pub, pe->priv) < 0) {
		free(pe);
		return -EINVAL;
	}
	s->peers[s->n++] = pe;
	*out = pe;
	return (int)pe->idx;
}

int sim_add_engine(struct sim *s, const uint8_t ip[16], uint16_t port,
		   const struct discv4_config *cfg)
{
	struct discv4_config c;
	struct sim_peer *pe;
	int idx = add_peer(s, ip, port, false, &pe), rc;

	if (idx < 0)
		return idx;
	rc = localnode_init(&pe->ln, pe->priv, 0, port, port);
	if (rc < 0)
		return rc;
	localnode_set_fallback_ip(&pe->ln, ip);
	if (cfg)
		c = *cfg;
	else
		memset(&c, 0, sizeof(c));
	c.ln = &pe->ln;
	c.send = engine_send;
	c.send_user = pe;
	if (!c.seed)
		c.seed = rnd(s);
	rc = discv4_new(&pe->d, &c, s->now);
	if (rc < 0)
		return rc;
	pe->deadline = discv4_next_deadline(pe->d);
	return idx;
}

int sim_add_raw(struct sim *s, const uint8_t ip[16], uint16_t port)
{
	struct sim_peer *pe;

	return add_peer(s, ip, port, true, &pe);
}

struct discv4_node sim_node(const struct sim *s, unsigned i)
{
	const struct sim_peer *pe = s->peers[i];
	struct discv4_node n;

	memset(&n, 0, sizeof(n));
	memcpy(n.ep.ip, pe->ip, 16);
	n.ep.ip_len = memcmp(pe->ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) ?
			      16 : 4;
	n.ep.udp = pe->port;
	n.ep.tcp = pe->port;
	memcpy(n.id, pe->pub, 64);
	return n;
}

int sim_send_raw_from(struct sim *s, unsigned from, const uint8_t ip[16],
		      uint16_t port, unsigned to,
		      const struct discv4_packet *p, uint8_t hash[32])
{
	uint8_t buf[DISCV4_MAX_LEN];
	ssize_t n = discv4_encode(buf, sizeof(buf), s->peers[from]->priv, p);

	if (n < 0)
		return (int)n;
	if (hash)
		memcpy(hash, buf, 32);
	enqueue(s, from, ip, port, s->peers[to]->ip, s->peers[to]->port, buf,
		(size_t)n);
	return 0;
}

int sim_send_raw(struct sim *s, unsigned from, unsigned to,
		 const struct discv4_packet *p, uint8_t hash[32])
{
	return sim_send_raw_from(s, from, s->peers[from]->ip,
				 s->peers[from]->port, to, p, hash);
}

int sim_find(const struct sim *s, const uint8_t ip[16], uint16_t port)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->peers[i]->port == port &&
		    memcmp(s->peers[i]->ip, ip, 16) == 0)
			return (int)i;
	return -1;
}

void sim_touch(struct sim *s, unsigned i)
{
	struct sim_peer *pe = s->peers[i];

	pe->deadline = pe->d ? discv4_next_deadline(pe->d) : UINT64_MAX;
}

/* What the dataplane does before control sees a packet. */
static void deliver(struct sim *s, struct sim_pkt *p)
{
	_Alignas(8) uint8_t mbuf[sizeof(struct msg_discv4_rx) +
				 DISCV4_MAX_LEN];
	struct msg_discv4_rx *m = (struct msg_discv4_rx *)mbuf;
	int to = sim_find(s, p->dst_ip, p->dst_port), type;
	struct sim_peer *pe;

	if (to < 0)
		return;
	pe = s->peers[to];
	if (discv4_check_hash(p->data, p->len) < 0)
		return;
	type = discv4_packet_type(p->data, p->len);
	if (type < 0)
		return;
	s->delivered++;
	if (pe->raw) {
		struct sim_rx *r;

		if (pe->n_inbox == pe->cap_inbox) {
			size_t cap = pe->cap_inbox ? pe->cap_inbox * 2 : 16;
			void *ni = realloc(pe->inbox, cap * sizeof(*pe->inbox));

			if (!ni)
				return;
			pe->inbox = ni;
			pe->cap_inbox = cap;
		}
		r = &pe->inbox[pe->n_inbox];
		if (discv4_decode(&r->pkt, p->data, p->len) < 0)
			return;
		r->from = p->from;
		memcpy(r->hash, p->data, 32);
		r->len = p->len;
		pe->n_inbox++;
		return;
	}
	memset(m, 0, sizeof(*m));
	if (discv4_recover(m->node_id, p->data, p->len) < 0)
		return;
	m->hdr.type = MSG_DISCV4_RX;
	memcpy(m->src_addr, p->src_ip, 16);
	m->src_port_be = (uint16_t)(p->src_port >> 8 | (p->src_port & 0xff) << 8);
	m->ptype = (uint8_t)type;
	memcpy(m->hash, p->data, 32);
	m->data_len = (uint16_t)(p->len - DISCV4_HEAD_LEN - 1);
	memcpy(m->data, p->data + DISCV4_HEAD_LEN + 1, m->data_len);
	m->hdr.len = (uint16_t)(sizeof(*m) - sizeof(m->hdr) + m->data_len);
	(void)discv4_on_packet(pe->d, m, s->now);
	sim_touch(s, (unsigned)to);
}

void sim_run(struct sim *s, uint64_t dur_ns)
{
	uint64_t end = s->now + dur_ns;

	for (unsigned i = 0; i < s->n; i++)
		sim_touch(s, i);
	for (;;) {
		uint64_t tp = s->nq ? s->q[0]->at : UINT64_MAX, tt = UINT64_MAX;
		unsigned who = 0;

		for (unsigned i = 0; i < s->n; i++)
			if (s->peers[i]->deadline < tt) {
				tt = s->peers[i]->deadline;
				who = i;
			}
		if (tp > end && tt > end)
			break;
		if (tp <= tt) {
			struct sim_pkt *p = heap_pop(s);

			if (p->at > s->now)
				s->now = p->at;
			deliver(s, p);
			free(p);
		} else {
			if (tt > s->now)
				s->now = tt;
			discv4_on_timer(s->peers[who]->d, s->now);
			sim_touch(s, who);
			/* on_timer must consume everything due: a deadline
			 * still <= now would spin forever. */
			if (s->peers[who]->deadline <= s->now)
				abort();
		}
	}
	s->now = end;
}

void sim_fini(struct sim *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct sim_peer *pe = s->peers[i];

		discv4_free(pe->d);
		if (!pe->raw)
			localnode_fini(&pe->ln);
		free(pe->inbox);
		explicit_bzero(pe->priv, sizeof(pe->priv));
		free(pe);
	}
	while (s->nq)
		free(heap_pop(s));
	free(s->q);
	free(s->peers);
}
