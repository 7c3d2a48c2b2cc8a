/* SPDX-License-Identifier: MIT */
/* control/sim/simp2p.c - the simulator's RLPx sessions through control/peers/sesshost: handshake, p2p Hello and capabilities, handover, keepalives. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "control/peers/sesshost.h"
#include "control/rlpx/forkid.h"
#include "control/rlpx/p2p.h"
#include "control/sim/simnet.h"
#include "control/sim/simnet_priv.h"

/*
 * With cfg.p2p each node runs the devplane node's session host
 * (control/peers/sesshost.h) with one subprotocol, "sim/1" (message 0:
 * a gossip envelope, 1: a send-by-id message), registered the way an
 * application registers its own (cfg.external_protos). The simulator is
 * the sesshost's host, as control/host/rlpxhost.c is in the node:
 *
 *   DIAL        the acceptor's sesshost_on_accept() and the dialer's
 *               sesshost_on_connected() at once (connect is not timed);
 *   WRITE       the queued bytes (ECIES auth/ack, framed Hello) travel
 *               as one TCP segment: one delay, an RTO per loss, in order
 *               (simnet_tcp_at()), then sesshost_on_bytes(), which reads
 *               exactly up to the end of the remote's Hello;
 *   HANDOVER    the side's stream now belongs to the "dataplane";
 *   DP_SEND     the message travels the same way and arrives as one
 *               MSG_RLPX_RX message (sesshost_on_dp_rx()), held until
 *               the receiving side has handed over, as its socket buffer
 *               would hold the frames; DP_CLOSE sends the Disconnect and
 *               ends both sides (sesshost_on_dp_closed());
 *   EV_PEER_ADDED / EV_CLOSED   the session is up / gone for send-by-id
 *               and gossip.
 * What the simulation leaves out is the dataplane's RLPx stage: after the
 * handover, messages are not framed, MACed and encrypted again (the
 * stage is devplane-dp's, not one of the pure ingress stages the
 * simulator links); the handshake and the Hellos before it are the real
 * bytes.
 */

#define SIM_CODE_N    2                 /* sim/1: gossip, direct */
#define SIM_MAX_PEERS 64

static void drain(struct simnet *s, struct snode *pe);

static void enter(struct snode *pe)
{
	pe->sh_depth++;
}

static void leave(struct simnet *s, struct snode *pe)
{
	if (--pe->sh_depth == 0)
		drain(s, pe);
}

static int hmap_add(struct snode *pe, uint64_t hid, uint32_t ci)
{
	if (pe->n_hmap == pe->cap_hmap) {
		unsigned cap = pe->cap_hmap ? pe->cap_hmap * 2 : 8;
		void *m = realloc(pe->hmap, cap * sizeof(*pe->hmap));

		if (!m)
			return -ENOMEM;
		pe->hmap = m;
		pe->cap_hmap = cap;
	}
	pe->hmap[pe->n_hmap].hid = hid;
	pe->hmap[pe->n_hmap++].ci = ci;
	return 0;
}

/* ci_of() is the connection of pe's sesshost connection hid, or -1. */
static int ci_of(const struct snode *pe, uint64_t hid)
{
	for (unsigned i = pe->n_hmap; i-- > 0;)
		if (pe->hmap[i].hid == hid)
			return (int)pe->hmap[i].ci;
	return -1;
}

static unsigned side_of(const struct sconn *c, const struct snode *pe)
{
	return c->a == pe->idx ? 0 : 1;
}

static struct snode *end_of(struct simnet *s, const struct sconn *c,
			    unsigned side)
{
	return &s->n[side ? c->b : c->a];
}

static int on_msg(const struct p2p_proto *proto, struct p2p_peer *peer,
		  uint64_t code, const uint8_t *payload, size_t len,
		  uint64_t now)
{
	struct snode *pe = proto->user;
	struct simnet *s = pe->s;
	int ci = ci_of(pe, p2p_peer_session(peer));

	(void)now;
	if (ci >= 0)
		simnet_on_msg(s, pe, (uint32_t)ci, CODE_GOSSIP + code,
			      payload, len);
	return 0;
}

int simp2p_node_init(struct simnet *s, struct snode *pe)
{
	struct sesshost_cfg c = {
		.mode = SESSHOST_NODE, .priv = pe->priv,
		.chain = forkid_chain_by_name("sepolia"),
		.listen_port = UDP_PORT, .max_peers = SIM_MAX_PEERS,
		.external_protos = true,
	};
	int rc;

	(void)s;
	if (!c.chain)
		return -EINVAL;
	pe->proto.name = "sim";
	pe->proto.version = 1;
	pe->proto.length = SIM_CODE_N;
	pe->proto.user = pe;
	pe->proto.on_msg = on_msg;
	pe->sh_deadline = UINT64_MAX;
	rc = sesshost_new(&pe->sh, &c);
	if (rc == 0)
		rc = sesshost_register(pe->sh, &pe->proto);
	return rc;
}

void simp2p_node_fini(struct snode *pe)
{
	sesshost_free(pe->sh);
	pe->sh = NULL;
	free(pe->hmap);
	pe->hmap = NULL;
}

void simp2p_conn_fini(struct sconn *c)
{
	free(c->in[0]);
	free(c->in[1]);
}

/* sock_gone() ends side `side`'s socket or session as its host sees it:
 * before the handover the socket closed (EOF), after it the dataplane
 * reports the session closed. */
static void sock_gone(struct simnet *s, struct sconn *c, unsigned side,
		      int err)
{
	struct snode *pe = end_of(s, c, side);

	if (c->sock_closed[side])
		return;
	c->sock_closed[side] = true;
	enter(pe);
	if (c->handed[side]) {
		struct msg_rlpx_closed m;

		memset(&m, 0, sizeof(m));
		m.session_id = c->hid[side];
		m.error = err;
		m.reason = MSG_RLPX_REASON_NONE;
		(void)sesshost_on_dp_closed(pe->sh, &m, s->now);
	} else {
		sesshost_on_closed(pe->sh, c->hid[side], err, s->now);
	}
	leave(s, pe);
}

/* An event for the other side of c: bytes (EV_TCP: dir the sender, b 1
 * for a FIN after them) or a message (EV_P2P_MSG: dir the receiver, b 1
 * for the session's end). Lost TCP segments cost RTOs; past
 * SIMNET_RETRIES the connection resets. */
static void send_to(struct simnet *s, uint32_t ci, unsigned from,
		    uint8_t kind, uint32_t flag, const uint8_t *data,
		    size_t len)
{
	struct sconn *c = s->cs[ci];
	bool dead;
	uint64_t at = simnet_tcp_at(s, c, from, &dead);
	struct ev *e;

	if (dead) {
		sock_gone(s, c, 0, -ETIMEDOUT);
		sock_gone(s, c, 1, -ETIMEDOUT);
		return;
	}
	e = simnet_ev_new(s, at, kind, ci, flag, data, len);
	if (e)
		e->dir = (uint8_t)(kind == EV_TCP ? from : !from);
}

static void do_dial(struct simnet *s, struct snode *pe,
		    const struct sesshost_action *a)
{
	int to = simnet_node_of_ip(s, a->ep.ip), ci;
	struct sesshost_ep ep;
	struct snode *pb;
	struct sconn *c;
	int rc;

	if (to < 0 || !simnet_linked(s, pe->idx, (uint32_t)to)) {
		sesshost_on_connected(pe->sh, a->conn, -ECONNREFUSED, NULL,
				      s->now);
		return;
	}
	ci = simnet_conn_new(s, pe->idx, (uint32_t)to);
	if (ci < 0 || hmap_add(pe, a->conn, (uint32_t)ci) < 0) {
		s->err = -ENOMEM;
		return;
	}
	c = s->cs[ci];
	c->p2p = true;
	c->hid[0] = a->conn;
	pb = &s->n[to];
	memcpy(ep.ip, pe->ip, 16);
	ep.port = UDP_PORT;
	enter(pb);
	rc = sesshost_on_accept(pb->sh, &c->hid[1], &ep, NULL, s->now);
	if (rc == 0 && hmap_add(pb, c->hid[1], (uint32_t)ci) < 0)
		s->err = -ENOMEM;
	leave(s, pb);
	if (rc < 0) {                   /* refused: the socket closes */
		c->sock_closed[1] = true;
		sesshost_on_connected(pe->sh, a->conn, -ECONNREFUSED, NULL,
				      s->now);
		return;
	}
	sesshost_on_connected(pe->sh, a->conn, 0, NULL, s->now);
}

static void do_write(struct simnet *s, struct snode *pe, uint32_t ci,
		     unsigned side)
{
	struct sconn *c = s->cs[ci];
	const uint8_t *p;
	size_t n = sesshost_out(pe->sh, c->hid[side], &p);

	if (!n || c->sock_closed[side] || c->handed[side])
		return;
	send_to(s, ci, side, EV_TCP, 0, p, n);
	sesshost_out_done(pe->sh, c->hid[side], n, s->now);
}

static void do_dp_send(struct simnet *s, uint32_t ci, unsigned side,
		       uint64_t code, const uint8_t *data, size_t len)
{
	uint8_t *buf = malloc(8 + len);

	if (!buf) {
		s->err = -ENOMEM;
		return;
	}
	memcpy(buf, &code, 8);
	if (len)
		memcpy(buf + 8, data, len);
	send_to(s, ci, side, EV_P2P_MSG, 0, buf, 8 + len);
	free(buf);
}

static void handle(struct simnet *s, struct snode *pe,
		   const struct sesshost_action *a)
{
	int ci = a->kind == SESSHOST_A_DIAL ? -1 : ci_of(pe, a->conn);
	struct sconn *c = ci >= 0 ? s->cs[ci] : NULL;
	unsigned side = c ? side_of(c, pe) : 0;

	switch (a->kind) {
	case SESSHOST_A_DIAL:
		do_dial(s, pe, a);
		break;
	case SESSHOST_A_WRITE:
		if (c)
			do_write(s, pe, (uint32_t)ci, side);
		break;
	case SESSHOST_A_CLOSE:
		if (!c || c->sock_closed[side])
			break;
		c->sock_closed[side] = true;
		/* its last bytes, then EOF */
		send_to(s, (uint32_t)ci, side, EV_TCP, 1, a->data, a->len);
		break;
	case SESSHOST_A_HANDOVER:
		if (!c)
			break;
		c->handed[side] = true;
		c->in_len[side] = 0;    /* frames after the Hello: the
					 * dataplane's (none are sent) */
		sesshost_on_handover(pe->sh, a->conn, 0, s->now);
		break;
	case SESSHOST_A_DP_SEND:
		if (c && !c->sock_closed[side])
			do_dp_send(s, (uint32_t)ci, side, a->code, a->data,
				   a->len);
		break;
	case SESSHOST_A_DP_CLOSE:
		if (!c || c->sock_closed[side])
			break;
		if (a->reason != MSG_RLPX_REASON_NONE) {
			uint8_t p[8];
			ssize_t n = p2p_disconnect_encode(p, sizeof(p),
							  a->reason);

			if (n > 0)
				do_dp_send(s, (uint32_t)ci, side,
					   P2P_MSG_DISCONNECT, p, (size_t)n);
		}
		send_to(s, (uint32_t)ci, side, EV_P2P_MSG, 1, NULL, 0);
		/* our own side: the dataplane confirms at once */
		{
			struct ev *e = simnet_ev_new(s, s->now, EV_P2P_MSG,
						     (uint32_t)ci, 1, NULL, 0);

			if (e)
				e->dir = (uint8_t)side;
		}
		break;
	case SESSHOST_EV_PEER_ADDED:
		if (c)
			simnet_conn_up(s, pe, (uint32_t)ci);
		break;
	case SESSHOST_EV_CLOSED:
	case SESSHOST_EV_DIAL_FAILED:
	case SESSHOST_EV_REFUSED:
		if (c)
			simnet_conn_down(s, pe, (uint32_t)ci);
		break;
	default:
		break;
	}
}

static void drain(struct simnet *s, struct snode *pe)
{
	const struct sesshost_action *a;
	uint64_t dl;

	pe->sh_depth++;
	while ((a = sesshost_next_action(pe->sh)))
		handle(s, pe, a);
	pe->sh_depth--;
	dl = sesshost_next_deadline(pe->sh);
	if (dl <= s->now)               /* never spin on a due tick */
		dl = s->now + STEP_NS;
	if (dl != pe->sh_deadline) {
		pe->sh_deadline = dl;
		pe->sh_gen++;
		if (dl != UINT64_MAX)
			simnet_ev_new(s, dl, EV_P2P_TICK, pe->idx, pe->sh_gen,
				      NULL, 0);
	}
}

int simp2p_dial(struct simnet *s, uint32_t a, uint32_t b)
{
	struct snode *pe = &s->n[a];
	int rc;

	enter(pe);
	rc = sesshost_dial(pe->sh, s->n[b].pub, s->n[b].ip, UDP_PORT, s->now);
	leave(s, pe);
	/* a connection between them being set up will come up by itself */
	return rc == -EALREADY ? 0 : rc;
}

int simp2p_send(struct simnet *s, struct snode *pe, uint32_t ci,
		uint64_t code, const uint8_t *payload, size_t len)
{
	struct sconn *c = s->cs[ci];
	const struct snode *rem = end_of(s, c, !side_of(c, pe));
	struct p2p_peer *peer = sesshost_find_peer(pe->sh, rem->pub);
	int rc;

	if (!peer)
		return -ENOTCONN;
	enter(pe);
	rc = p2p_send(sesshost_p2p(pe->sh), peer, &pe->proto,
		      code - CODE_GOSSIP, payload, len);
	leave(s, pe);
	return rc;
}

void simp2p_deliver_bytes(struct simnet *s, const struct ev *e)
{
	struct sconn *c = s->cs[e->a];
	unsigned to = !e->dir;
	struct snode *pe = end_of(s, c, to);
	ssize_t n;

	if (c->sock_closed[to])
		return;
	if (!simnet_linked(s, c->a, c->b)) {
		sock_gone(s, c, 0, -ETIMEDOUT);
		sock_gone(s, c, 1, -ETIMEDOUT);
		return;
	}
	if (e->len && !c->handed[to]) {
		uint8_t *in = realloc(c->in[to], c->in_len[to] + e->len);

		if (!in) {
			s->err = -ENOMEM;
			return;
		}
		c->in[to] = in;
		memcpy(in + c->in_len[to], e->data, e->len);
		c->in_len[to] += e->len;
		enter(pe);
		n = sesshost_on_bytes(pe->sh, c->hid[to], in, c->in_len[to],
				      s->now);
		if (n > 0) {
			memmove(in, in + n, c->in_len[to] - (size_t)n);
			c->in_len[to] -= (size_t)n;
		}
		leave(s, pe);
	}
	if (e->b)                       /* FIN */
		sock_gone(s, c, to, -ECONNRESET);
}

void simp2p_deliver_msg(struct simnet *s, const struct ev *e)
{
	struct sconn *c = s->cs[e->a];
	unsigned to = e->dir;
	struct snode *pe = end_of(s, c, to);
	_Alignas(8) uint8_t buf[MSG_SLOT_SIZE];
	struct msg_rlpx_data *m = (struct msg_rlpx_data *)buf;
	uint64_t code;
	size_t len, off = 0;
	struct ev *d;

	if (c->sock_closed[to])
		return;
	if (!simnet_linked(s, c->a, c->b)) {
		sock_gone(s, c, 0, -ETIMEDOUT);
		sock_gone(s, c, 1, -ETIMEDOUT);
		return;
	}
	if (!c->handed[to]) {
		/* in its socket buffer until the handover */
		d = simnet_ev_new(s, s->now + STEP_NS, EV_P2P_MSG, e->a, e->b,
				  e->data, e->len);
		if (d)
			d->dir = e->dir;
		return;
	}
	if (e->b) {
		sock_gone(s, c, to, 0);
		return;
	}
	if (e->len < 8)
		return;
	memcpy(&code, e->data, 8);
	len = e->len - 8;
	enter(pe);
	do {                            /* MSG_RLPX_RX fragments */
		size_t k = len - off < MSG_RLPX_FRAG_MAX ?
			   len - off : MSG_RLPX_FRAG_MAX;

		memset(m, 0, sizeof(*m));
		m->hdr.type = MSG_RLPX_RX;
		m->session_id = c->hid[to];
		m->msg_code = code;
		m->total_len = (uint32_t)len;
		m->frag_off = (uint32_t)off;
		m->data_len = (uint16_t)k;
		m->flags = off + k == len ? MSG_RLPX_F_LAST : 0;
		memcpy(m->data, e->data + 8 + off, k);
		if (sesshost_on_dp_rx(pe->sh, m, s->now) < 0)
			break;
		off += k;
	} while (off < len);
	leave(s, pe);
}

void simp2p_tick(struct simnet *s, const struct ev *e)
{
	struct snode *pe = &s->n[e->a];

	if (e->b != pe->sh_gen)
		return;                 /* superseded */
	pe->sh_deadline = UINT64_MAX;
	enter(pe);
	sesshost_tick(pe->sh, s->now);
	leave(s, pe);
}
