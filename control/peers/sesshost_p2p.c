/* SPDX-License-Identifier: MIT */
/* control/peers/sesshost_p2p.c - the session host's p2p side, sans-I/O: p2p host ops, eth and ping, probes, peers and dialing (the other half of control/peers/sesshost.h). */
#include "control/peers/sesshost.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ull

/* ---- p2p host ops -------------------------------------------------------- */

static int dp_send(struct sesshost *h, struct sesshost_conn *c, uint64_t code,
		   const uint8_t *payload, size_t len)
{
	struct sesshost_action *a;

	a = sesshost_act_add(h, c->handover_due ? &c->held : &h->q,
			     SESSHOST_A_DP_SEND, c, len);
	if (!a)
		return -ENOMEM;
	a->code = code;
	if (len)
		memcpy(sesshost_act_data(a), payload, len);
	a->data = sesshost_act_data(a);
	a->len = len;
	return 0;
}

static int op_send(void *user, uint64_t session, uint64_t code,
		   const uint8_t *payload, size_t len)
{
	struct sesshost *h = user;
	struct sesshost_conn *c = sesshost_conn_find(h, session);
	struct p2p_peer *peer;
	int rc;

	if (!c || c->dead)
		return -ENOTCONN;
	if (c->st == SESSHOST_HANDED || c->st == SESSHOST_HANDOVER ||
	    c->handover_due) {
		if (code == P2P_MSG_PING) {
			/* p2p's keepalive; the Pong comes back through
			 * sesshost_on_dp_rx(). */
			c->ping_sent = h->now;
			sesshost_push(h, SESSHOST_EV_KEEPALIVE, c, 0);
		}
		return dp_send(h, c, code, payload, len);
	}
	if (c->st != SESSHOST_HELLO)
		return -ENOTCONN;
	/* Our Hello, or a Disconnect: compressed once their Hello turned
	 * snappy on. */
	peer = p2p_peer_find(h->p2p, session);
	rc = rlpxconn_send(&c->rc, code, payload, len,
			   code != P2P_MSG_HELLO && peer &&
			   p2p_peer_snappy(peer));
	if (rc == -ENOBUFS) {
		h->st.wq_over_conn++;
		c->drop_out = true;
		sesshost_conn_fail(c, -ENOBUFS);
	}
	if (!rc)
		sesshost_wq_sync(h, c);
	return rc;
}

static void op_close(void *user, uint64_t session)
{
	struct sesshost *h = user;
	struct sesshost_conn *c = sesshost_conn_find(h, session);
	struct sesshost_action *a;

	if (!c)
		return;
	if (c->st == SESSHOST_HANDED || c->st == SESSHOST_HANDOVER) {
		a = sesshost_push(h, SESSHOST_A_DP_CLOSE, c, 0);
		if (a)
			a->reason = MSG_RLPX_REASON_NONE;
		return;
	}
	c->dead = true;         /* p2p_peer_closed from sesshost_reap() */
}

static void op_hello(void *user, struct p2p_peer *peer,
		     const struct p2p_hello *hello)
{
	struct sesshost *h = user;
	struct sesshost_conn *c = sesshost_conn_find(h, p2p_peer_session(peer));
	struct sesshost_action *a;

	if (c && c->pr) {
		c->pr->hello = *hello;
		c->pr->has_hello = true;
	}
	a = sesshost_push(h, SESSHOST_EV_HELLO, c, sizeof(*hello));
	if (a) {
		memcpy(sesshost_act_data(a), hello, sizeof(*hello));
		a->hello = sesshost_act_data(a);
		memcpy(a->id, p2p_peer_id(peer), P2P_ID_LEN);
	}
}

static void op_active(void *user, struct p2p_peer *peer, bool snappy)
{
	struct sesshost *h = user;
	struct sesshost_conn *c = sesshost_conn_find(h, p2p_peer_session(peer));

	if (c && c->pr)
		c->pr->eth_version = eth_peer_version(&h->eth, peer);
	if (!c || c->dead || c->st != SESSHOST_HELLO)
		return;
	c->snappy = snappy;
	if (rlpxconn_frame(&c->rc))
		sesshost_handover(h, c);
	else
		c->handover_due = true;         /* our bytes first */
}

static void op_closed(void *user, struct p2p_peer *peer, uint8_t reason,
		      bool remote)
{
	struct sesshost *h = user;
	uint64_t sid = p2p_peer_session(peer);
	struct sesshost_conn *c = h->reaping && h->reaping->id == sid ?
				  h->reaping : sesshost_conn_find(h, sid);
	struct sesshost_action *a;

	if (c && c->pr && reason != P2P_DISC_NONE) {
		c->pr->disc_reason = reason;
		c->pr->disc_remote = remote;
	}
	if (server_remove_peer(&h->srv, sid) == 0)
		dial_peer_removed(&h->dl, p2p_peer_id(peer));
	h->stats_dirty = true;
	a = sesshost_push(h, SESSHOST_EV_CLOSED, c, 0);
	if (a) {
		a->conn = sid;
		memcpy(a->id, p2p_peer_id(peer), P2P_ID_LEN);
		a->reason = reason;
		a->remote = remote;
	}
}

static void op_msg_event(void *user, struct p2p_peer *peer,
			 const struct p2p_proto *proto, uint64_t code,
			 size_t len, bool sent)
{
	struct sesshost *h = user;
	struct sesshost_conn *c = sesshost_conn_find(h, p2p_peer_session(peer));
	struct sesshost_action *a;

	if (h->quiet)
		return;
	a = sesshost_push(h, SESSHOST_EV_MSG, c, 0);
	if (a) {
		memcpy(a->id, p2p_peer_id(peer), P2P_ID_LEN);
		a->conn = p2p_peer_session(peer);
		a->proto = proto;
		a->code = code;
		a->len = len;
		a->sent = sent;
	}
}

/* ---- protocols: eth, ping -------------------------------------------- */

static int on_status(void *user, struct p2p_peer *peer,
		     const struct eth_status *st, enum eth_err err)
{
	struct sesshost *h = user;
	struct sesshost_conn *c = sesshost_conn_find(h, p2p_peer_session(peer));
	struct sesshost_action *a;

	if (h->cfg.mode == SESSHOST_PROBE) {
		if (c && c->pr) {
			c->pr->eth_version = eth_peer_version(&h->eth, peer);
			c->pr->status = *st;
			c->pr->status_err = err;
			c->pr->has_status = true;
		}
		/* Recorded whatever the verdict: leave politely. */
		return P2P_DISC_REQUESTED;
	}
	a = sesshost_push(h, SESSHOST_EV_STATUS, c, sizeof(*st));
	if (a) {
		memcpy(sesshost_act_data(a), st, sizeof(*st));
		a->status = sesshost_act_data(a);
		a->status_err = err;
		memcpy(a->id, p2p_peer_id(peer), P2P_ID_LEN);
	}
	return -1;                      /* eth's own verdict */
}

static void pp_pong(void *user, struct p2p_peer *peer, uint64_t id,
		    uint64_t rtt_ns)
{
	struct sesshost *h = user;
	struct sesshost_conn *c = sesshost_conn_find(h, p2p_peer_session(peer));
	struct sesshost_action *a;

	a = sesshost_push(h, SESSHOST_EV_PING_PONG, c, 0);
	if (a) {
		memcpy(a->id, p2p_peer_id(peer), P2P_ID_LEN);
		a->value = id;
		a->rtt_ns = rtt_ns;
	}
}

static void pp_added(void *user, struct p2p_peer *peer)
{
	struct sesshost *h = user;
	struct sesshost_conn *c = sesshost_conn_find(h, p2p_peer_session(peer));
	struct sesshost_action *a;

	a = sesshost_push(h, SESSHOST_EV_PING_ADDED, c, 0);
	if (a) {
		memcpy(a->id, p2p_peer_id(peer), P2P_ID_LEN);
		a->inbound = p2p_peer_inbound(peer);
	}
	pingproto_ping(&h->pp, peer, ++h->ping_seq, h->now);
}

int sesshost_protos_init(struct sesshost *h)
{
	bool probe = h->cfg.mode == SESSHOST_PROBE;
	struct p2p_host_config hc = { 0 };
	struct eth_config ec = { 0 };
	int rc;

	hc.id = h->pub;
	hc.listen_port = h->cfg.listen_port;
	hc.max_peers = probe ? SESSHOST_PROBE_MAX :
		       h->cfg.max_peers + SERVER_MAX_TRUSTED + 8;
	hc.ops.send = op_send;
	hc.ops.close = op_close;
	hc.ops.on_hello = op_hello;
	hc.ops.on_active = op_active;
	hc.ops.on_closed = op_closed;
	if (h->cfg.msg_events)
		hc.ops.on_msg_event = op_msg_event;
	hc.user = h;
	rc = p2p_host_new(&h->p2p, &hc);
	if (rc)
		return rc;
	ec.chain = h->cfg.chain;
	ec.on_status = on_status;
	ec.user = h;
	rc = eth_init(&h->eth, &ec);
	if (rc || (!probe && h->cfg.external_protos))
		return rc;      /* the owner registers what it runs */
	rc = eth_register(&h->eth, h->p2p);
	h->eth_on = !rc;
	if (rc || probe)
		return rc;
	pingproto_init(&h->pp, pp_pong, pp_added, h);
	return pingproto_register(&h->pp, h->p2p);
}

int sesshost_register(struct sesshost *h, const struct p2p_proto *proto)
{
	if (h->cfg.mode != SESSHOST_NODE)
		return -EOPNOTSUPP;
	if (h->list || p2p_host_peer_count(h->p2p))
		return -EBUSY;
	return p2p_register(h->p2p, proto);
}

int sesshost_register_eth(struct sesshost *h)
{
	int rc;

	if (h->eth_on)
		return -EEXIST;
	if (h->list || p2p_host_peer_count(h->p2p))
		return -EBUSY;
	rc = eth_register(&h->eth, h->p2p);
	h->eth_on = !rc;
	return rc;
}

bool sesshost_eth_registered(const struct sesshost *h)
{
	return h->eth_on;
}

int sesshost_set_head(struct sesshost *h, uint64_t block, uint64_t time,
		      const uint8_t hash[ETH_HASH_LEN], uint64_t now)
{
	if (!h->eth_on)
		return -EPROTO;
	return eth_set_head(&h->eth, block, time, hash, now);
}

/* ---- probes -------------------------------------------------------------- */

/* Reports a finished probe (from sesshost_reap(), after p2p's on_closed). */
void sesshost_probe_report(struct sesshost *h, struct sesshost_conn *c,
			   uint64_t now)
{
	static const enum rlpxprobe_stage stage[] = {
		[SESSHOST_CONNECTING] = RLPXPROBE_CONNECT,
		[SESSHOST_HANDSHAKE] = RLPXPROBE_HANDSHAKE,
		[SESSHOST_HELLO] = RLPXPROBE_HELLO,
		[SESSHOST_HANDOVER] = RLPXPROBE_STATUS,
		[SESSHOST_HANDED] = RLPXPROBE_STATUS,
	};
	struct rlpxprobe_result *r = c->pr;
	struct sesshost_action *a;

	c->pr = NULL;
	h->probes--;
	r->finished_ns = now;
	r->stage = stage[c->st];
	if (r->has_status)
		r->err = 0;
	else if (c->err)
		r->err = c->err;
	else if (r->disc_reason != P2P_DISC_NONE)
		r->err = -ECONNABORTED;
	else
		r->err = -ECONNRESET;
	a = sesshost_push(h, SESSHOST_EV_PROBE, NULL, sizeof(*r));
	if (a) {
		memcpy(sesshost_act_data(a), r, sizeof(*r));
		a->probe = sesshost_act_data(a);
	}
	free(r);
}

/* A probe past its timeout: a session in the dataplane is asked to leave
 * (Disconnect Requested, closed after p2p's grace) and, if it is still
 * there a grace later, closed; any other is dropped at once. */
void sesshost_probe_expire(struct sesshost *h, struct sesshost_conn *c,
			   uint64_t now)
{
	if (!c->err)
		c->err = -ETIMEDOUT;
	if (c->st != SESSHOST_HANDED) {
		sesshost_conn_fail(c, -ETIMEDOUT);
		return;
	}
	if (!c->probe_quit) {
		c->probe_quit = true;
		p2p_disconnect(h->p2p, c->id, P2P_DISC_REQUESTED, now);
	} else {
		struct sesshost_action *a;

		a = sesshost_push(h, SESSHOST_A_DP_CLOSE, c, 0);
		if (a)
			a->reason = MSG_RLPX_REASON_NONE;
	}
	c->probe_deadline = now + P2P_DISC_GRACE_NS + SEC;
}

/* ---- peers and dialing --------------------------------------------------- */

int sesshost_add_trusted(struct sesshost *h, const uint8_t id[P2P_ID_LEN])
{
	return server_add_trusted(&h->srv, id);
}

int sesshost_remove_trusted(struct sesshost *h, const uint8_t id[P2P_ID_LEN])
{
	return server_remove_trusted(&h->srv, id);
}

int sesshost_dial(struct sesshost *h, const uint8_t id[P2P_ID_LEN],
		  const uint8_t ip[16], uint16_t tcp, uint64_t now)
{
	struct sesshost_action *a;
	struct sesshost_conn *c;

	h->now = now;
	if (h->cfg.mode != SESSHOST_NODE)
		return -EOPNOTSUPP;
	if (!tcp || !memcmp(id, h->pub, P2P_ID_LEN))
		return -EINVAL;
	if (!server_dial_allowed(&h->srv, ip))
		return -EPERM;
	if (server_has_peer(&h->srv, id))
		return -EISCONN;
	if (dial_is_dialing(&h->dl, id))
		return -EALREADY;
	for (c = h->list; c; c = c->next)
		if (!c->dead && !memcmp(c->remote, id, P2P_ID_LEN))
			return -EALREADY;
	c = sesshost_conn_new(h, false, ip, tcp);
	if (!c)
		return -ENOMEM;
	/* Not the scheduler's: no dial slot, no history entry. */
	memcpy(c->remote, id, P2P_ID_LEN);
	c->st = SESSHOST_CONNECTING;
	c->deadline = now + DIAL_TIMEOUT_NS;
	a = sesshost_push(h, SESSHOST_A_DIAL, c, 0);
	if (a)
		a->ep = c->ep;
	else
		sesshost_conn_fail(c, -ENOMEM);
	sesshost_reap(h, now);
	return 0;
}

struct p2p_peer *sesshost_find_peer(const struct sesshost *h,
				    const uint8_t id[P2P_ID_LEN])
{
	for (const struct sesshost_conn *c = h->list; c; c = c->next)
		if (!c->dead && c->p2p_started &&
		    !memcmp(c->remote, id, P2P_ID_LEN))
			return p2p_peer_find(h->p2p, c->id);
	return NULL;
}

static int static_idx(const struct sesshost *h, const uint8_t id[P2P_ID_LEN])
{
	for (size_t i = 0; i < h->dl.n_static; i++)
		if (!memcmp(h->dl.statics[i].id, id, P2P_ID_LEN))
			return (int)i;
	return -1;
}

int sesshost_add_static(struct sesshost *h, const uint8_t id[P2P_ID_LEN],
			const uint8_t ip[16], uint16_t tcp)
{
	struct dial_target t = { .is_static = true };
	int rc;

	memcpy(t.id, id, P2P_ID_LEN);
	memcpy(t.ip, ip, 16);
	t.tcp_port = tcp;
	if (!server_dial_allowed(&h->srv, t.ip))
		return -EPERM;          /* --netrestrict */
	rc = dial_add_static(&h->dl, &t);
	if (rc && rc != -EEXIST)
		return rc;
	if (h->cfg.mode == SESSHOST_NODE)
		h->next_dial = 0;       /* dial on the next tick */
	return 0;
}

bool sesshost_static_ep(const struct sesshost *h, const uint8_t id[P2P_ID_LEN],
			uint8_t ip[16], uint16_t *tcp)
{
	int i = static_idx(h, id);

	if (i < 0)
		return false;
	memcpy(ip, h->dl.statics[i].ip, 16);
	*tcp = h->dl.statics[i].tcp_port;
	return true;
}

int sesshost_remove_peer(struct sesshost *h, const uint8_t id[P2P_ID_LEN],
			 uint64_t now)
{
	int i = static_idx(h, id);

	h->now = now;
	/* dial.h has no removal: the array is compacted here. */
	if (i >= 0) {
		memmove(&h->dl.statics[i], &h->dl.statics[i + 1],
			(h->dl.n_static - (size_t)i - 1) *
			sizeof(h->dl.statics[0]));
		h->dl.n_static--;
	}
	for (struct sesshost_conn *c = h->list; c; c = c->next) {
		if (c->dead || memcmp(c->remote, id, P2P_ID_LEN) ||
		    (c->st != SESSHOST_HANDED && !c->in_server && !c->dialing))
			continue;
		if (c->p2p_started)
			p2p_disconnect(h->p2p, c->id, P2P_DISC_REQUESTED, now);
		else
			sesshost_conn_fail(c, -ECANCELED);
	}
	sesshost_reap(h, now);
	return 0;
}

unsigned sesshost_dial_free_slots(const struct sesshost *h)
{
	return h->cfg.mode == SESSHOST_NODE ? dial_free_slots(&h->dl) : 0;
}

bool sesshost_add_candidate(struct sesshost *h, const uint8_t id[P2P_ID_LEN],
			    const uint8_t ip[16], uint16_t tcp, uint64_t now)
{
	struct dial_target t = { 0 };

	if (h->cfg.mode != SESSHOST_NODE || !tcp ||
	    !server_dial_allowed(&h->srv, ip) || server_has_peer(&h->srv, id))
		return false;
	memcpy(t.id, id, P2P_ID_LEN);
	memcpy(t.ip, ip, 16);
	t.tcp_port = tcp;
	return dial_add_candidate(&h->dl, &t, now);
}

static void peer_info(const struct sesshost *h, const struct sesshost_conn *c,
		      const struct p2p_peer *peer,
		      struct sesshost_peer_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	memcpy(pi->pub, c->remote, P2P_ID_LEN);
	if (peer) {
		pi->hello = p2p_peer_hello(peer);
		pi->shared = p2p_peer_shared(peer, &pi->n_shared);
	}
	pi->local = c->local;
	pi->remote = c->ep;
	pi->inbound = c->inbound;
	pi->trusted = server_is_trusted(&h->srv, c->remote);
	pi->is_static = static_idx(h, c->remote) >= 0;
}

int sesshost_peer(const struct sesshost *h, uint64_t conn,
		  struct sesshost_peer_info *out)
{
	const struct sesshost_conn *c = sesshost_conn_find(h, conn);

	if (!c || !c->p2p_started)
		return -ENOENT;
	peer_info(h, c, p2p_peer_find(h->p2p, c->id), out);
	return 0;
}

void sesshost_peers(const struct sesshost *h, sesshost_peer_fn *fn,
		    void *ctx)
{
	for (const struct sesshost_conn *c = h->list; c; c = c->next) {
		struct sesshost_peer_info pi;
		struct p2p_peer *peer;

		if (c->dead || !c->in_server || !c->p2p_started ||
		    c->st != SESSHOST_HANDED)
			continue;
		peer = p2p_peer_find(h->p2p, c->id);
		if (!peer || !p2p_peer_hello(peer))
			continue;
		peer_info(h, c, peer, &pi);
		fn(ctx, &pi);
	}
}

int sesshost_probe(struct sesshost *h, const uint8_t pub[P2P_ID_LEN],
		   const uint8_t ip[16], uint16_t tcp, uint64_t timeout_ns,
		   uint64_t now)
{
	struct rlpxprobe_result *r;
	struct sesshost_action *a;
	struct sesshost_conn *c;

	h->now = now;
	if (h->cfg.mode != SESSHOST_PROBE)
		return -EOPNOTSUPP;
	if (!tcp)
		return -EINVAL;
	if (h->probes >= SESSHOST_PROBE_MAX)
		return -ENOSPC;
	for (c = h->list; c; c = c->next)
		if (c->pr && !memcmp(c->remote, pub, P2P_ID_LEN))
			return -EEXIST;
	r = calloc(1, sizeof(*r));
	c = r ? sesshost_conn_new(h, false, ip, tcp) : NULL;
	if (!c) {
		free(r);
		return -ENOMEM;
	}
	memcpy(r->pub, pub, P2P_ID_LEN);
	memcpy(r->ip, ip, 16);
	r->tcp = tcp;
	r->disc_reason = P2P_DISC_NONE;
	r->started_ns = now;
	memcpy(c->remote, pub, P2P_ID_LEN);
	c->st = SESSHOST_CONNECTING;
	c->pr = r;
	c->probe_deadline = now + timeout_ns;
	c->deadline = c->probe_deadline;
	h->probes++;
	a = sesshost_push(h, SESSHOST_A_DIAL, c, 0);
	if (a)
		a->ep = c->ep;
	else
		sesshost_conn_fail(c, -ENOMEM);
	sesshost_reap(h, now);
	return 0;
}

