/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_discv4_engine.c - drives the discv4 engine with a fuzzed
 * sequence of packets, requests and timer ticks from a few peers, so that
 * replies match requests and the pending index, its caps and the table
 * upkeep go through their transitions. The input is a list of operations:
 *   op byte, peer byte, then per op: Pong/ENRResponse reply to our last
 *   packet of that type (or to garbage), Neighbors with fuzzed nodes, raw
 *   packet-data of any type, a clock step, or a request of ours.
 * Invariants checked: the pending count stays within the caps, after a
 * timer tick nothing is due in the past, every callback fires at most once
 * per request, and discv4_free() cancels the rest. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/discv4_wire.h"
#include "common/msg.h"
#include "control/base/localnode.h"
#include "control/discv4/discv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEC 1000000000ull
#define PEERS 8                 /* 4 ids x 2 addresses */
#define MAX_OPS 512

struct peer {
	struct discv4_node n;
	uint8_t last[DISCV4_ENRRESPONSE + 1][DISCV4_HASH_LEN];
};

static struct peer peers[PEERS];
static unsigned outstanding;    /* requests of ours whose cb has not fired */

static void on_send(void *user, const uint8_t addr[16], uint16_t port,
		    const uint8_t *pkt, size_t len)
{
	(void)user;
	if (len <= DISCV4_HEAD_LEN || pkt[DISCV4_HEAD_LEN] < DISCV4_PING ||
	    pkt[DISCV4_HEAD_LEN] > DISCV4_ENRRESPONSE || len > DISCV4_MAX_LEN)
		abort();
	for (unsigned i = 0; i < PEERS; i++)
		if (!memcmp(peers[i].n.ep.ip, addr, 16) &&
		    peers[i].n.ep.udp == port)
			memcpy(peers[i].last[pkt[DISCV4_HEAD_LEN]], pkt,
			       DISCV4_HASH_LEN);
}

static void ping_cb(void *arg, int err, uint64_t seq)
{
	(void)arg;
	(void)err;
	(void)seq;
	if (!outstanding)
		abort();
	outstanding--;
}

static void nodes_cb(void *arg, int err, const struct discv4_node *n,
		     unsigned cnt)
{
	(void)arg;
	(void)err;
	if (cnt > DISCV4_MAX_RESULTS || (cnt && !n) || !outstanding)
		abort();
	outstanding--;
}

static void enr_cb(void *arg, int err, const struct enr *rec)
{
	(void)arg;
	if ((err == 0) != (rec != NULL) || !outstanding)
		abort();
	outstanding--;
}

static void setup_peers(void)
{
	for (unsigned i = 0; i < PEERS; i++) {
		struct discv4_node *n = &peers[i].n;

		memset(&peers[i], 0, sizeof(peers[i]));
		/* Ids need not be keys: the dataplane recovered them. */
		memset(n->id, 0x11 * (int)(i / 2 + 1), DISCV4_PUB_LEN);
		n->id[0] = (uint8_t)i;
		n->ep.ip[10] = n->ep.ip[11] = 0xff;
		n->ep.ip[12] = 198;
		n->ep.ip[13] = 51;
		n->ep.ip[14] = 100;
		n->ep.ip[15] = (uint8_t)(1 + i % 2);
		n->ep.ip_len = 4;
		n->ep.udp = (uint16_t)(30303 + i);
		n->ep.tcp = n->ep.udp;
	}
}

/* Hands type + packet-data to the engine as the dataplane would. */
static void deliver(struct discv4 *d, const struct peer *p, uint8_t type,
		    const uint8_t *body, size_t len, uint64_t now)
{
	static _Alignas(64) uint8_t slot[MSG_SLOT_SIZE];
	struct msg_discv4_rx *m = (struct msg_discv4_rx *)slot;

	if (len > MSG_DISCV4_MAX_PACKET)
		len = MSG_DISCV4_MAX_PACKET;
	memset(m, 0, sizeof(*m));
	memcpy(m->src_addr, p->n.ep.ip, 16);
	m->src_port_be = (uint16_t)((p->n.ep.udp >> 8) | (p->n.ep.udp << 8));
	m->ptype = type;
	memcpy(m->node_id, p->n.id, DISCV4_PUB_LEN);
	memset(m->hash, (int)len, DISCV4_HASH_LEN);
	m->data_len = (uint16_t)len;
	memcpy(m->data, body, len);
	(void)discv4_on_packet(d, m, now);
}

static void send_packet(struct discv4 *d, const struct peer *p,
			const struct discv4_packet *pk, uint64_t now)
{
	static const uint8_t key[32] = { 7 };
	uint8_t buf[DISCV4_MAX_LEN];
	ssize_t n = discv4_encode(buf, sizeof(buf), key, pk);

	if (n > DISCV4_HEAD_LEN)
		deliver(d, p, buf[DISCV4_HEAD_LEN], buf + DISCV4_HEAD_LEN + 1,
			(size_t)n - DISCV4_HEAD_LEN - 1, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t priv[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	uint64_t now = 1700000000ull * SEC;
	struct discv4_config c;
	struct localnode ln;
	struct discv4 *d;
	size_t i = 0;

	setup_peers();
	outstanding = 0;
	if (localnode_init(&ln, priv, 0, 30303, 30303) < 0)
		abort();
	memset(&c, 0, sizeof(c));
	c.ln = &ln;
	c.send = on_send;
	c.seed = 1;
	c.ping_interval_ns = SEC;
	if (discv4_new(&d, &c, now) < 0)
		abort();
	(void)discv4_add_bootnode(d, &peers[0].n);
	for (unsigned ops = 0; i + 2 <= size && ops < MAX_OPS; ops++) {
		uint8_t op = data[i] % 12;
		struct peer *p = &peers[data[i + 1] % PEERS];
		bool garbage = data[i + 1] & 0x80;
		struct discv4_packet pk;
		size_t len;

		i += 2;
		memset(&pk, 0, sizeof(pk));
		switch (op) {
		case 0:
			pk.type = DISCV4_PING;
			pk.u.ping.version = 4;
			pk.u.ping.from = p->n.ep;
			pk.u.ping.to = p->n.ep;
			pk.u.ping.expiration = now / SEC + 20;
			pk.u.ping.has_enr_seq = garbage;
			pk.u.ping.enr_seq = ops;
			send_packet(d, p, &pk, now);
			break;
		case 1:
			pk.type = DISCV4_PONG;
			pk.u.pong.to = p->n.ep;
			memcpy(pk.u.pong.ping_hash, p->last[DISCV4_PING], 32);
			if (garbage)
				pk.u.pong.ping_hash[0] ^= 1;
			pk.u.pong.expiration = now / SEC + 20;
			pk.u.pong.has_enr_seq = true;
			pk.u.pong.enr_seq = ops % 3;
			send_packet(d, p, &pk, now);
			break;
		case 2:
			pk.type = DISCV4_FINDNODE;
			memcpy(pk.u.findnode.target, p->n.id, DISCV4_PUB_LEN);
			pk.u.findnode.expiration = now / SEC + 20;
			send_packet(d, p, &pk, now);
			break;
		case 3:
			pk.type = DISCV4_NEIGHBORS;
			pk.u.neighbors.expiration = now / SEC + 20;
			pk.u.neighbors.n = i < size ? data[i] % 13 : 0;
			for (unsigned k = 0; k < pk.u.neighbors.n; k++)
				pk.u.neighbors.nodes[k] =
					peers[(k + data[i]) % PEERS].n;
			send_packet(d, p, &pk, now);
			break;
		case 4:
			pk.type = DISCV4_ENRREQUEST;
			pk.u.enrrequest.expiration = now / SEC + 20;
			send_packet(d, p, &pk, now);
			break;
		case 5:
			pk.type = DISCV4_ENRRESPONSE;
			memcpy(pk.u.enrresponse.request_hash,
			       p->last[DISCV4_ENRREQUEST], 32);
			len = i < size ? data[i] : 0;
			if (len > sizeof(pk.u.enrresponse.enr))
				len = sizeof(pk.u.enrresponse.enr);
			if (len > size - i)
				len = size - i;
			memcpy(pk.u.enrresponse.enr, data + i, len);
			pk.u.enrresponse.enr_len = (uint16_t)len;
			i += len;
			send_packet(d, p, &pk, now);
			break;
		case 6:         /* raw: type, length, packet-data */
			if (i + 2 > size)
				break;
			len = data[i + 1];
			if (len > size - i - 2)
				len = size - i - 2;
			deliver(d, p, data[i], data + i + 2, len, now);
			i += 2 + len;
			break;
		case 7:
			now += (i < size ? data[i] : 0) * 10000000ull;
			discv4_on_timer(d, now);
			/* Everything due ran: nothing asks to be woken in the
			 * past (a host would spin). */
			if (discv4_next_deadline(d) <= now)
				abort();
			break;
		case 8:
			if (discv4_ping(d, &p->n, now, ping_cb, NULL) == 0)
				outstanding++;
			break;
		case 9:
			if (discv4_findnode(d, &p->n, p->n.id, now, nodes_cb,
					    NULL) == 0)
				outstanding++;
			break;
		case 10:
			if (discv4_request_enr(d, &p->n, now, enr_cb, NULL) == 0)
				outstanding++;
			break;
		case 11:
			if (discv4_lookup(d, p->n.id, now, nodes_cb, NULL) == 0)
				outstanding++;
			break;
		}
		if (discv4_pending(d) > DISCV4_PENDING_MAX)
			abort();
	}
	discv4_free(d);         /* cancels: every callback has fired */
	if (outstanding)
		abort();
	localnode_fini(&ln);
	return 0;
}
