/* SPDX-License-Identifier: MIT */
/* control/sim/simv5.c - the simulator's discv5 nodes: real discv5 engines behind the dataplane's discovery demux (discv4 stage, then discv5's). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv5_wire.h"
#include "common/enr.h"
#include "common/keccak.h"
#include "common/msg.h"
#include "control/discv5/discv5.h"
#include "control/sim/simnet.h"
#include "control/sim/simnet_priv.h"
#include "dataplane/stage/disc_rx.h"

/*
 * A v5 run is the v4 run (control/sim/simnet.h) with discv5 engines: each
 * node's datagrams go through disc_rx_process(), the dataplane's demux,
 * which tries discv4's stage first (a discv5 packet fails its hash check)
 * and then discv5's (masking key of the receiving node, static header,
 * the per-source budget shared with discv4, the per-source handshake
 * budget); WHOAREYOUs a node sends pass the dataplane's per-destination
 * limiter (discv5_rx_whoareyou_ok()), as devplane-dp applies it to the
 * packets control marks. One key table serves the run, socket i being
 * node i, so each stage unmasks with its own node's key.
 *
 * Hops: discv5 messages are encrypted, so the simulator cannot pick the
 * measured lookup's FINDNODEs off the wire as it does for v4; it counts
 * the FINDNODEs the engine sent while the lookup ran (discv5_stats()).
 * Once tables are healthy nothing else sends FINDNODE but a record fetch
 * (FINDNODE [0] on a higher enr-seq, which the simulation never causes:
 * records do not change after the start), so the count is the lookup's.
 */

#define HS_RATE       20                /* dataplane defaults (dpd.h) */
#define HS_BURST      40
#define WAY_RATE      20
#define WAY_BURST     40
#define V5_SLOTS      256

int simv5_init(struct simnet *s)
{
	return discv5_rx_keys_new(&s->keys5, s->nn);
}

void simv5_fini(struct simnet *s)
{
	discv5_rx_keys_free(s->keys5);
	s->keys5 = NULL;
}

int simv5_node_init(struct simnet *s, struct snode *pe)
{
	const struct discv5_rx_cfg c = {
		.keys = s->keys5, .budget = discv4_rx_budget(pe->rx),
		.hs_rate = HS_RATE, .hs_burst = HS_BURST,
		.way_rate = WAY_RATE, .way_burst = WAY_BURST,
		.slots = V5_SLOTS,
	};
	int rc;

	localnode_set_static_ip(&pe->ln, pe->ip);
	rc = localnode_update(&pe->ln, s->now);
	if (rc < 0)
		return rc;
	rc = discv5_rx_keys_set(s->keys5, pe->idx, pe->ln.id);
	if (rc < 0)
		return rc;
	pe->rng5 = simnet_rnd(s);
	return discv5_rx_new(&pe->rx5, &c);
}

void simv5_node_fini(struct snode *pe)
{
	discv5_free(pe->d5);
	pe->d5 = NULL;
	discv5_rx_free(pe->rx5);
	pe->rx5 = NULL;
}

static int v5_random(void *user, uint8_t *buf, size_t len)
{
	struct snode *pe = user;

	/* splitmix64 per node: reproducible per seed */
	for (size_t i = 0; i < len; i += 8) {
		uint64_t z = (pe->rng5 += 0x9e3779b97f4a7c15ull);
		size_t k = len - i < 8 ? len - i : 8;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		memcpy(buf + i, &z, k);
	}
	return 0;
}

/* The engine's send callback: as simnet.c's for v4, plus the dataplane's
 * WHOAREYOU limiter on the way out (control/host/loop.c marks a packet
 * of DISCV5_PACKET_MIN bytes as a WHOAREYOU). */
static void v5_send(void *user, const uint8_t addr[16], uint16_t port,
		    const uint8_t *pkt, size_t len)
{
	struct snode *pe = user;
	struct simnet *s = pe->s;
	int to = simnet_node_of_ip(s, addr);

	(void)port;
	s->res->dgrams++;
	if (len == DISCV5_PACKET_MIN &&
	    !discv5_rx_whoareyou_ok(pe->rx5, addr, s->now)) {
		s->res->rx_drop_other++;
		return;
	}
	if (to < 0 || !simnet_linked(s, pe->idx, (uint32_t)to) ||
	    simnet_lost(s)) {
		s->res->dgrams_lost++;
		return;
	}
	simnet_ev_new(s, s->now + simnet_delay(s), EV_UDP, pe->idx,
		      (uint32_t)to, pkt, len);
}

static int node_rec(struct discv5_node *out, const struct snode *pe)
{
	uint8_t raw[ENR_MAX_SIZE];
	ssize_t len = enr_encode(raw, sizeof(raw), localnode_record(&pe->ln));

	if (len < 0)
		return (int)len;
	return discv5_node_from_enr(out, raw, (size_t)len);
}

int simv5_node_start(struct simnet *s, struct snode *pe)
{
	struct discv5_config c = {
		.ln = &pe->ln, .send = v5_send, .send_user = pe,
		.random = v5_random, .random_user = pe,
		.seed = simnet_rnd(s),
		/* every simulated node is on 10/8: a LAN address, which
		 * the engine budgets only globally unless told; the
		 * dataplane's per-source budgets are in front anyway */
	};
	int rc = discv5_new(&pe->d5, &c, s->now);

	for (uint32_t b = 0; rc == 0 && b < s->res->n_boot; b++) {
		struct discv5_node bn;

		if (b == pe->idx)
			continue;
		rc = node_rec(&bn, &s->n[b]);
		if (rc == 0)
			rc = discv5_add_bootnode(pe->d5, &bn);
	}
	return rc;
}

void simv5_deliver(struct simnet *s, const struct ev *e)
{
	_Alignas(8) uint8_t mbuf[MSG_SLOT_SIZE];
	const struct msg_discv5_rx *m = (const struct msg_discv5_rx *)mbuf;
	struct snode *src = &s->n[e->a], *dst = &s->n[e->b];
	struct simnet_result *r = s->res;
	uint16_t port_be = (uint16_t)(UDP_PORT >> 8 | (UDP_PORT & 0xff) << 8);
	struct disc_rx_result v;

	v = disc_rx_process(dst->rx, dst->rx5, e->data, e->len, src->ip,
			    port_be, (uint16_t)dst->idx, s->now, s->now,
			    mbuf, sizeof(mbuf));
	if (v.kind != MSG_DISCV5_RX) {
		if (v.v5 == DISCV5_RX_DROP_BUDGET ||
		    v.v5 == DISCV5_RX_DROP_HS_BUDGET)
			r->rx_drop_budget++;
		else if (v.kind == 0 && v.v4 == DISCV4_RX_DROP_REPLAY)
			r->rx_drop_replay++;
		else
			r->rx_drop_other++;
		return;
	}
	r->rx_accept++;
	(void)discv5_on_packet(dst->d5, m->src_addr, UDP_PORT, m->data,
			       m->data_len, s->now);
	simnet_touch(s, dst);
}

static void v5_lookup_done(void *arg, int err, const struct discv5_node *nodes,
			   unsigned n)
{
	struct snode *pe = arg;
	uint8_t tid[DISCV5_NODE_ID_LEN];
	const struct discv5_node *hit = NULL;
	const struct discv5_stats *st = discv5_stats(pe->d5);

	keccak256(tid, pe->mtarget, SECP_PUB_LEN);
	for (unsigned i = 0; !err && i < n; i++)
		if (memcmp(nodes[i].id, tid, DISCV5_NODE_ID_LEN) == 0)
			hit = &nodes[i];
	pe->mhops = (unsigned)(st->tx[DISCV5_MSG_FINDNODE] - pe->fn_at_start);
	simnet_lookup_end(pe->s, pe, err, hit ? hit->ip : NULL,
			  hit ? hit->tcp : 0);
}

int simv5_lookup(struct simnet *s, struct snode *pe)
{
	uint8_t tid[DISCV5_NODE_ID_LEN];

	keccak256(tid, pe->mtarget, SECP_PUB_LEN);
	pe->fn_at_start = discv5_stats(pe->d5)->tx[DISCV5_MSG_FINDNODE];
	return discv5_lookup(pe->d5, tid, s->now, v5_lookup_done, pe);
}

uint64_t simv5_deadline(const struct snode *pe)
{
	return discv5_next_deadline(pe->d5);
}

void simv5_timer(struct snode *pe, uint64_t now)
{
	discv5_on_timer(pe->d5, now);
}

const struct kad_table *simv5_table(const struct snode *pe)
{
	return discv5_table(pe->d5);
}
