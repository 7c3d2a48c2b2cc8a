/* SPDX-License-Identifier: MIT */
/* control/peers/sesshost.c - the RLPx session host, sans-I/O. */
#include "control/peers/sesshost.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- actions ------------------------------------------------------------ */

struct sesshost_action *sesshost_act_add(struct sesshost *h,
					 struct sesshost_actq *q,
					 enum sesshost_kind kind,
					 const struct sesshost_conn *c,
					 size_t extra)
{
	struct sesshost_act *n = calloc(1, sizeof(*n) + extra);

	if (!n) {
		h->st.nomem++;
		return NULL;
	}
	n->a.kind = kind;
	if (c) {
		n->a.conn = c->id;
		memcpy(n->a.id, c->remote, P2P_ID_LEN);
		n->a.inbound = c->inbound;
	}
	*q->tail = n;
	q->tail = &n->next;
	return &n->a;
}

struct sesshost_action *sesshost_push(struct sesshost *h,
				      enum sesshost_kind kind,
				      const struct sesshost_conn *c,
				      size_t extra)
{
	return sesshost_act_add(h, &h->q, kind, c, extra);
}

void *sesshost_act_data(struct sesshost_action *a)
{
	uint8_t *p = (uint8_t *)a - offsetof(struct sesshost_act, a);

	return ((struct sesshost_act *)(void *)p)->data;
}

static void actq_free(struct sesshost_actq *q)
{
	while (q->head) {
		struct sesshost_act *n = q->head;

		q->head = n->next;
		free(n);
	}
	q->tail = &q->head;
}

/* Drops conn's queued actions of the kinds in mask (bit per kind);
 * returns the kinds it dropped. */
static unsigned purge(struct sesshost *h, uint64_t conn, unsigned mask)
{
	struct sesshost_act **pp = &h->q.head;
	unsigned found = 0;

	while (*pp) {
		struct sesshost_act *n = *pp;

		if (n->a.conn == conn && (mask & (1u << n->a.kind))) {
			found |= 1u << n->a.kind;
			*pp = n->next;
			free(n);
			continue;
		}
		pp = &n->next;
	}
	h->q.tail = pp;
	return found;
}

#define BIT(k) (1u << (k))
/* What a dead connection's queued actions may no longer do; a DP_CLOSE
 * stays (sesshost_shutdown() queues them for sessions it ends). */
#define IO_KINDS (BIT(SESSHOST_A_DIAL) | BIT(SESSHOST_A_WRITE) | \
		  BIT(SESSHOST_A_HANDOVER) | BIT(SESSHOST_A_DP_SEND))

const struct sesshost_action *sesshost_next_action(struct sesshost *h)
{
	free(h->cur);
	h->cur = h->q.head;
	if (!h->cur)
		return NULL;
	h->q.head = h->cur->next;
	if (!h->q.head)
		h->q.tail = &h->q.head;
	h->cur->next = NULL;
	return &h->cur->a;
}

/* ---- connections --------------------------------------------------------- */

struct sesshost_conn *sesshost_conn_find(const struct sesshost *h, uint64_t id)
{
	for (struct sesshost_conn *c = h->list; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

struct sesshost_conn *sesshost_conn_new(struct sesshost *h, bool inbound,
					const uint8_t ip[16], uint16_t port)
{
	struct sesshost_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->id = ++h->next_id;
	c->inbound = inbound;
	memcpy(c->ep.ip, ip, 16);
	c->ep.port = port;
	c->deadline = UINT64_MAX;
	c->probe_deadline = UINT64_MAX;
	c->held.tail = &c->held.head;
	c->next = h->list;
	h->list = c;
	h->stats_dirty = true;
	return c;
}

/* Accounts conn's queue after it may have grown: WRITE when it became
 * non-empty, and the global cap. */
void sesshost_wq_sync(struct sesshost *h, struct sesshost_conn *c)
{
	const uint8_t *p;
	size_t len = rlpxconn_out(&c->rc, &p);

	h->wq_total = h->wq_total - c->wq_counted + len;
	if (len && !c->wq_counted && !c->dead)
		sesshost_push(h, SESSHOST_A_WRITE, c, 0);
	c->wq_counted = len;
	if (h->wq_total > h->cfg.wq_total_max && len && !c->dead) {
		h->st.wq_over_total++;
		c->drop_out = true;
		sesshost_conn_fail(c, -ENOBUFS);
	}
}

static void release_slots(struct sesshost *h, struct sesshost_conn *c, bool ok)
{
	if (c->pending_slot) {
		server_pending_end(&h->srv);
		c->pending_slot = false;
		h->stats_dirty = true;
	}
	if (c->dialing) {
		dial_done(&h->dl, c->remote, ok);
		c->dialing = false;
	}
}

/* Frees dead connections: the socket's CLOSE (with the bytes still
 * queued, unless a cap dropped them), the server and dial slots, p2p's
 * on_closed, the probe report. */
void sesshost_reap(struct sesshost *h, uint64_t now)
{
	struct sesshost_conn **pp = &h->list;

	while (*pp) {
		struct sesshost_conn *c = *pp;
		const uint8_t *out;
		size_t len;
		unsigned gone;

		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		gone = purge(h, c->id, IO_KINDS);
		/* A DIAL never carried out left no socket; a HANDOVER not
		 * carried out left ours. */
		if (!c->io_gone && !(gone & BIT(SESSHOST_A_DIAL))) {
			struct sesshost_action *a;

			len = c->drop_out ? 0 : rlpxconn_out(&c->rc, &out);
			a = sesshost_push(h, SESSHOST_A_CLOSE, c, len);
			if (a && len) {
				memcpy(sesshost_act_data(a), out, len);
				a->data = sesshost_act_data(a);
				a->len = len;
			}
		}
		h->wq_total -= c->wq_counted;
		c->wq_counted = 0;
		release_slots(h, c, false);
		if (c->p2p_started) {
			h->reaping = c;
			p2p_peer_closed(h->p2p, c->id, now);  /* on_closed */
			h->reaping = NULL;
		} else if (c->in_server) {
			server_remove_peer(&h->srv, c->id);
			dial_peer_removed(&h->dl, c->remote);
		}
		if (c->pr) {
			sesshost_probe_report(h, c, now);
		} else if (!c->inbound && !c->p2p_started && !h->quiet &&
			   h->cfg.mode == SESSHOST_NODE) {
			struct sesshost_action *a;

			a = sesshost_push(h, SESSHOST_EV_DIAL_FAILED, c, 0);
			if (a)
				a->err = c->err ? c->err : -ECONNRESET;
		}
		actq_free(&c->held);
		rlpxconn_fini(&c->rc);
		free(c->asm_buf);
		free(c);
		h->stats_dirty = true;
	}
}

/* Gives an active session to the dataplane; what p2p sent meanwhile
 * follows the HANDOVER. */
void sesshost_handover(struct sesshost *h, struct sesshost_conn *c)
{
	struct sesshost_action *a = sesshost_push(h, SESSHOST_A_HANDOVER, c, 0);

	if (!a) {
		sesshost_conn_fail(c, -ENOMEM);
		return;
	}
	a->frame = rlpxconn_frame(&c->rc);
	a->flags = c->snappy ? MSG_RLPX_KEYS_F_SNAPPY : 0;
	c->handover_due = false;
	c->st = SESSHOST_HANDOVER;
	if (c->held.head) {
		*h->q.tail = c->held.head;
		h->q.tail = c->held.tail;
		c->held.head = NULL;
		c->held.tail = &c->held.head;
	}
}

/* ---- set-up -------------------------------------------------------------- */

int sesshost_new(struct sesshost **out, const struct sesshost_cfg *cfg)
{
	bool probe = cfg->mode == SESSHOST_PROBE;
	struct server_cfg sc = { 0 };
	struct sesshost *h;
	int rc = -ENOMEM;

	*out = NULL;
	if (!cfg->priv || !cfg->chain)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cfg = *cfg;
	h->cfg.priv = NULL;
	if (!h->cfg.wq_conn_max)
		h->cfg.wq_conn_max = SESSHOST_WQ_CONN_MAX;
	if (!h->cfg.wq_total_max)
		h->cfg.wq_total_max = SESSHOST_WQ_TOTAL_MAX;
	h->q.tail = &h->q.head;
	memcpy(h->priv, cfg->priv, SECP_PRIV_LEN);
	if (secp_pub_from_priv(h->pub, h->priv)) {
		rc = -EINVAL;
		goto fail;
	}
	rc = sesshost_protos_init(h);
	if (rc)
		goto fail;
	rc = -ENOMEM;
	sc.self_id = h->pub;
	if (probe) {
		/* The server's checks (self, duplicate) apply; its peer
		 * limit must not: every probe is a dialed peer, and only a
		 * third may be. */
		sc.max_peers = 3 * SESSHOST_PROBE_MAX;
		sc.max_pending = 1;
	} else {
		sc.max_peers = cfg->max_peers;
		sc.max_pending = cfg->max_pending;
		sc.netrestrict = cfg->netrestrict;
		sc.n_netrestrict = cfg->n_netrestrict;
	}
	if (server_init(&h->srv, &sc))
		goto fail;
	h->srv_ok = true;
	if (dial_init(&h->dl, h->pub, server_max_dialed(&h->srv), 0))
		goto fail;
	h->dl_ok = true;
	/* Probes only: no dial scheduler, no stats events. */
	h->next_dial = probe ? UINT64_MAX : 0;
	h->next_stats = probe ? UINT64_MAX : 0;
	*out = h;
	return 0;
fail:
	sesshost_free(h);
	return rc;
}

void sesshost_free(struct sesshost *h)
{
	if (!h)
		return;
	while (h->list) {
		struct sesshost_conn *c = h->list;

		h->list = c->next;
		actq_free(&c->held);
		rlpxconn_fini(&c->rc);
		free(c->asm_buf);
		free(c->pr);
		free(c);
	}
	actq_free(&h->q);
	free(h->cur);
	p2p_host_free(h->p2p);
	if (h->srv_ok)
		server_fini(&h->srv);
	if (h->dl_ok)
		dial_fini(&h->dl);
	explicit_bzero(h->priv, sizeof(h->priv));
	free(h);
}

void sesshost_shutdown(struct sesshost *h, uint64_t now)
{
	h->now = now;
	h->quiet = true;
	for (struct sesshost_conn *c = h->list; c; c = c->next) {
		free(c->pr);            /* not reported */
		c->pr = NULL;
		if (c->st == SESSHOST_HANDED && !c->dead) {
			struct sesshost_action *a;

			a = sesshost_push(h, SESSHOST_A_DP_CLOSE, c, 0);
			if (a)
				a->reason = P2P_DISC_QUITTING;
		}
		c->dead = true;
		c->p2p_started = false;         /* no events */
	}
	h->probes = 0;
	sesshost_reap(h, now);
	/* p2p's peers go with the host, silently. */
}

/* ---- the TCP side -------------------------------------------------------- */

static void handshake_done(struct sesshost *h, struct sesshost_conn *c,
			   uint64_t now)
{
	uint8_t p[8];
	ssize_t n;
	int reason;

	h->st.hs_ok++;
	if (c->rc.legacy) {
		/* A pre-EIP-8 auth (or ack): still accepted, as geth does. */
		h->st.hs_legacy++;
		h->stats_dirty = true;
	}
	memcpy(c->remote, c->rc.remote, P2P_ID_LEN);
	c->deadline = UINT64_MAX;
	reason = server_add_peer(&h->srv, c->remote, c->id, c->inbound);
	if (reason) {
		struct sesshost_action *a;

		a = sesshost_push(h, SESSHOST_EV_REFUSED, c, 0);
		if (a)
			a->reason = (uint8_t)reason;
		/* Before the Hellos: never compressed. */
		n = p2p_disconnect_encode(p, sizeof(p), (uint8_t)reason);
		if (n > 0 && !rlpxconn_send(&c->rc, P2P_MSG_DISCONNECT, p,
					    (size_t)n, false))
			sesshost_wq_sync(h, c);
		if (c->pr) {
			c->pr->disc_reason = (uint8_t)reason;
			c->pr->disc_remote = false;
		}
		sesshost_conn_fail(c, -ECONNABORTED);
		return;
	}
	c->in_server = true;
	dial_peer_added(&h->dl, c->remote,
			!c->inbound && !server_is_trusted(&h->srv, c->remote));
	if (c->dialing) {
		dial_done(&h->dl, c->remote, true);
		c->dialing = false;
	}
	c->st = SESSHOST_HELLO;
	if (p2p_peer_start(h->p2p, NULL, c->id, c->remote, c->inbound, now)) {
		sesshost_conn_fail(c, -ENOMEM);
		return;
	}
	c->p2p_started = true;
}

int sesshost_on_accept(struct sesshost *h, uint64_t *conn,
		       const struct sesshost_ep *remote,
		       const struct sesshost_ep *local, uint64_t now)
{
	struct sesshost_conn *c;
	int rc;

	h->now = now;
	*conn = 0;
	if (h->cfg.mode == SESSHOST_PROBE)
		return -EOPNOTSUPP;
	if (server_inbound_begin(&h->srv, remote->ip, now) != SERVER_OK) {
		h->stats_dirty = true;
		return -ECONNREFUSED;
	}
	c = sesshost_conn_new(h, true, remote->ip, remote->port);
	if (!c) {
		server_pending_end(&h->srv);
		return -ENOMEM;
	}
	c->pending_slot = true;
	c->st = SESSHOST_HANDSHAKE;
	if (local)
		c->local = *local;
	rc = rlpxconn_accept(&c->rc, h->priv, h->cfg.wq_conn_max, now);
	if (rc) {
		c->io_gone = true;      /* the caller closes it */
		sesshost_conn_fail(c, rc);
		sesshost_reap(h, now);
		return rc;
	}
	*conn = c->id;
	return 0;
}

void sesshost_on_connected(struct sesshost *h, uint64_t conn, int err,
			   const struct sesshost_ep *local, uint64_t now)
{
	struct sesshost_conn *c = sesshost_conn_find(h, conn);
	int rc;

	h->now = now;
	if (!c || c->dead || c->st != SESSHOST_CONNECTING)
		return;
	if (local)
		c->local = *local;
	if (err) {
		c->io_gone = true;      /* the host closed what it had */
		sesshost_conn_fail(c, err);
	} else {
		rc = rlpxconn_dial(&c->rc, h->priv, c->remote,
				   h->cfg.wq_conn_max, now);
		if (rc == -ENOBUFS) {
			h->st.wq_over_conn++;
			c->drop_out = true;
		}
		if (rc) {
			sesshost_conn_fail(c, rc);
		} else {
			c->st = SESSHOST_HANDSHAKE;
			c->deadline = UINT64_MAX;
			sesshost_wq_sync(h, c);
		}
	}
	sesshost_reap(h, now);
}

ssize_t sesshost_on_bytes(struct sesshost *h, uint64_t conn,
			  const uint8_t *buf, size_t len, uint64_t now)
{
	struct sesshost_conn *c = sesshost_conn_find(h, conn);
	size_t used = 0;

	h->now = now;
	if (!c || c->dead || c->io_gone)
		return -ENOENT;
	while (used < len && !c->dead &&
	       (c->st == SESSHOST_HANDSHAKE ||
		(c->st == SESSHOST_HELLO && !c->handover_due))) {
		enum rlpxconn_event ev;
		struct rlpxconn_msg m;
		bool hs = c->st == SESSHOST_HANDSHAKE;
		ssize_t n = rlpxconn_feed(&c->rc, &ev, &m, buf + used,
					  len - used, now);

		if (n < 0) {
			if (hs && n == -ETIMEDOUT)
				h->st.hs_timeout++;
			else if (hs)
				h->st.hs_fail++;
			sesshost_conn_fail(c, (int)n);
			break;
		}
		used += (size_t)n;
		sesshost_wq_sync(h, c);         /* the recipient's ack */
		if (c->dead)
			break;
		if (ev == RLPXCONN_EV_HANDSHAKE)
			handshake_done(h, c, now);
		else if (ev == RLPXCONN_EV_MSG)
			p2p_on_msg(h->p2p, c->id, m.code, m.payload, m.len,
				   now);
	}
	sesshost_reap(h, now);
	return (ssize_t)used;
}

size_t sesshost_out(const struct sesshost *h, uint64_t conn,
		    const uint8_t **p)
{
	const struct sesshost_conn *c = sesshost_conn_find(h, conn);

	*p = NULL;
	if (!c || c->io_gone)
		return 0;
	return rlpxconn_out(&c->rc, p);
}

void sesshost_out_done(struct sesshost *h, uint64_t conn, size_t n,
		       uint64_t now)
{
	struct sesshost_conn *c = sesshost_conn_find(h, conn);

	h->now = now;
	if (!c || c->io_gone)
		return;
	rlpxconn_out_done(&c->rc, n);
	sesshost_wq_sync(h, c);
	if (c->handover_due && !c->dead && rlpxconn_frame(&c->rc))
		sesshost_handover(h, c);
	sesshost_reap(h, now);
}

unsigned sesshost_interest(const struct sesshost *h, uint64_t conn)
{
	const struct sesshost_conn *c = sesshost_conn_find(h, conn);
	const uint8_t *p;
	unsigned w;

	if (!c || c->dead || c->io_gone)
		return 0;
	w = rlpxconn_out(&c->rc, &p) ? SESSHOST_WANT_WRITE : 0;
	switch (c->st) {
	case SESSHOST_CONNECTING:
		return SESSHOST_WANT_WRITE;
	case SESSHOST_HANDSHAKE:
		return SESSHOST_WANT_READ | w;
	case SESSHOST_HELLO:
		/* Active: the rest of the stream is the dataplane's. */
		return (c->handover_due ? 0 : SESSHOST_WANT_READ) | w;
	default:
		return 0;
	}
}

void sesshost_on_closed(struct sesshost *h, uint64_t conn, int err,
			uint64_t now)
{
	struct sesshost_conn *c = sesshost_conn_find(h, conn);

	h->now = now;
	if (!c || c->dead || c->io_gone)
		return;
	if (c->st == SESSHOST_HANDSHAKE)
		h->st.hs_fail++;
	c->drop_out = true;             /* nowhere to write them */
	sesshost_conn_fail(c, err ? err : -ECONNRESET);
	sesshost_reap(h, now);
}

void sesshost_on_handover(struct sesshost *h, uint64_t conn, int err,
			  uint64_t now)
{
	struct sesshost_conn *c = sesshost_conn_find(h, conn);

	h->now = now;
	if (!c || c->st != SESSHOST_HANDOVER)
		return;
	c->io_gone = true;              /* the socket went with it */
	h->wq_total -= c->wq_counted;
	c->wq_counted = 0;
	rlpxconn_fini(&c->rc);          /* our copy of the secrets */
	release_slots(h, c, true);
	h->stats_dirty = true;
	if (err) {
		h->st.handover_fail++;
		purge(h, c->id, IO_KINDS | BIT(SESSHOST_A_DP_CLOSE));
		sesshost_conn_fail(c, err);
		sesshost_reap(h, now);
		return;
	}
	c->st = SESSHOST_HANDED;
	h->st.handovers++;
	sesshost_push(h, SESSHOST_EV_PEER_ADDED, c, 0);
}

/* ---- the dataplane side -------------------------------------------------- */

int sesshost_on_dp_rx(struct sesshost *h, const struct msg_rlpx_data *m,
		      uint64_t now)
{
	struct msg_rlpx_data x;
	struct sesshost_conn *c;
	size_t end;

	h->now = now;
	/* Read the header out of the shared slot once; use only the copy. */
	memcpy(&x, m, sizeof(x));
	c = sesshost_conn_find(h, x.session_id);
	if (!c || c->dead || c->st != SESSHOST_HANDED)
		return -ENOENT;
	end = (size_t)x.frag_off + x.data_len;
	/* The lengths msg_check() saw may have changed since: check the
	 * copy against the slot and the message. */
	if (x.data_len > MSG_RLPX_FRAG_MAX || end > x.total_len ||
	    x.total_len > SESSHOST_RX_MSG_MAX) {
		h->st.dp_rx_bad++;
		return -EBADMSG;
	}
	if (x.total_len > c->asm_cap) {
		uint8_t *nb = realloc(c->asm_buf, x.total_len);

		if (!nb) {
			h->st.nomem++;
			return -ENOMEM;
		}
		c->asm_buf = nb;
		c->asm_cap = x.total_len;
	}
	/* An empty message may have no buffer at all: no NULL + 0. */
	if (x.data_len)
		memcpy(c->asm_buf + x.frag_off, m->data, x.data_len);
	if (!(x.flags & MSG_RLPX_F_LAST))
		return 0;
	if (x.msg_code == P2P_MSG_PONG) {
		struct sesshost_action *a;

		a = sesshost_push(h, SESSHOST_EV_KEEPALIVE_PONG, c, 0);
		if (a && c->ping_sent && now > c->ping_sent)
			a->rtt_ns = now - c->ping_sent;
	}
	p2p_on_msg(h->p2p, c->id, x.msg_code, c->asm_buf, x.total_len, now);
	if (c->asm_cap > RLPXCONN_FRAME_MAX) {
		/* Only a message in flight may hold a big buffer. */
		free(c->asm_buf);
		c->asm_buf = NULL;
		c->asm_cap = 0;
	}
	sesshost_reap(h, now);
	return 0;
}

int sesshost_on_dp_closed(struct sesshost *h,
			  const struct msg_rlpx_closed *m, uint64_t now)
{
	uint64_t sid;
	struct sesshost_conn *c;

	h->now = now;
	memcpy(&sid, &m->session_id, sizeof(sid));
	c = sesshost_conn_find(h, sid);
	if (!c || c->st != SESSHOST_HANDED)
		return -ENOENT;
	c->io_gone = true;
	c->dead = true;
	sesshost_reap(h, now);
	return 0;
}

void sesshost_on_dp_failed(struct sesshost *h, enum sesshost_kind kind,
			   uint64_t session, uint8_t reason, int err,
			   uint64_t now)
{
	struct sesshost_conn *c = sesshost_conn_find(h, session);

	(void)err;
	h->now = now;
	if (!c || c->dead || c->st != SESSHOST_HANDED)
		return;
	if (kind == SESSHOST_A_DP_SEND) {
		/* What p2p does when a send fails at once. */
		p2p_disconnect(h->p2p, session, P2P_DISC_NETWORK_ERROR, now);
	} else if (kind == SESSHOST_A_DP_CLOSE) {
		c->close_retry = true;
		c->close_reason = reason;
		c->retry_at = now + SESSHOST_RETRY_NS;
	}
	sesshost_reap(h, now);
}

/* ---- timers -------------------------------------------------------------- */

uint64_t sesshost_next_deadline(const struct sesshost *h)
{
	uint64_t next = p2p_next_deadline(h->p2p);

	for (const struct sesshost_conn *c = h->list; c; c = c->next) {
		uint64_t d = c->st == SESSHOST_HANDSHAKE ?
			     rlpxconn_next_deadline(&c->rc) : c->deadline;

		if (d < next)
			next = d;
		if (c->pr && c->probe_deadline < next)
			next = c->probe_deadline;
		if (c->close_retry && c->retry_at < next)
			next = c->retry_at;
	}
	if (h->next_dial < next)
		next = h->next_dial;
	if (h->next_stats < next)
		next = h->next_stats;
	return next;
}

static void dial_start(struct sesshost *h, const struct dial_target *t,
		       uint64_t now)
{
	struct sesshost_conn *c = sesshost_conn_new(h, false, t->ip,
						    t->tcp_port);
	struct sesshost_action *a;

	if (!c) {
		dial_done(&h->dl, t->id, false);
		return;
	}
	memcpy(c->remote, t->id, P2P_ID_LEN);
	c->dialing = true;
	c->st = SESSHOST_CONNECTING;
	c->deadline = now + DIAL_TIMEOUT_NS;
	dial_started(&h->dl, t->id, c->id);
	a = sesshost_push(h, SESSHOST_A_DIAL, c, 0);
	if (a)
		a->ep = c->ep;
	else
		sesshost_conn_fail(c, -ENOMEM);
}

void sesshost_tick(struct sesshost *h, uint64_t now)
{
	uint64_t handles[16];
	size_t n;

	h->now = now;
	for (struct sesshost_conn *c = h->list; c; c = c->next) {
		if (c->dead)
			continue;
		if (c->pr && c->probe_deadline <= now) {
			sesshost_probe_expire(h, c, now);
		} else if (c->st == SESSHOST_HANDSHAKE &&
			   rlpxconn_on_timer(&c->rc, now) == -ETIMEDOUT) {
			h->st.hs_timeout++;
			sesshost_conn_fail(c, -ETIMEDOUT);
		} else if (c->st == SESSHOST_CONNECTING && c->deadline <= now) {
			sesshost_conn_fail(c, -ETIMEDOUT);
		} else if (c->close_retry && c->retry_at <= now) {
			struct sesshost_action *a;

			c->close_retry = false;
			a = sesshost_push(h, SESSHOST_A_DP_CLOSE, c, 0);
			if (a)
				a->reason = c->close_reason;
		}
	}
	p2p_on_timer(h->p2p, now);
	n = dial_expired(&h->dl, handles, 16, now);
	for (size_t i = 0; i < n; i++) {
		struct sesshost_conn *c = sesshost_conn_find(h, handles[i]);

		if (c && c->dialing && c->st < SESSHOST_HANDOVER) {
			c->dialing = false;
			sesshost_conn_fail(c, -ETIMEDOUT);
		}
	}
	if (h->next_dial <= now) {
		struct dial_target t[16];

		n = dial_next(&h->dl, t, 16, now);
		for (size_t i = 0; i < n; i++)
			dial_start(h, &t[i], now);
		h->next_dial = now + SESSHOST_DIAL_TICK_NS;
	}
	if (h->next_stats <= now) {
		if (h->stats_dirty)
			sesshost_push(h, SESSHOST_EV_STATS, NULL, 0);
		h->stats_dirty = false;
		h->next_stats = now + SESSHOST_STATS_NS;
	}
	sesshost_reap(h, now);
}

/* ---- accessors ----------------------------------------------------------- */

void sesshost_get_stats(const struct sesshost *h, struct sesshost_stats *st)
{
	const struct server_stats *ss = &h->srv.st;

	*st = h->st;
	st->pending = ss->pending;
	st->pending_max = ss->pending_max;
	st->peers = server_n_peers(&h->srv);
	st->inbound = server_n_inbound(&h->srv);
	st->accepted = ss->accepted;
	st->refused_netrestrict = ss->refused[SERVER_REFUSE_NETRESTRICT];
	st->refused_pending = ss->refused[SERVER_REFUSE_PENDING];
	st->refused_throttle = ss->refused[SERVER_REFUSE_THROTTLE];
	st->refused_self = ss->refused_peer[P2P_DISC_SELF];
	st->refused_dup = ss->refused_peer[P2P_DISC_ALREADY_CONNECTED];
	st->refused_too_many = ss->refused_peer[P2P_DISC_TOO_MANY_PEERS];
	st->dials = h->dl.st.started;
	st->wq_bytes = h->wq_total;
	st->conns = 0;
	for (const struct sesshost_conn *c = h->list; c; c = c->next)
		st->conns++;
	st->probes = h->probes;
}

const uint8_t *sesshost_pub(const struct sesshost *h)
{
	return h->pub;
}

const struct eth *sesshost_eth(const struct sesshost *h)
{
	return &h->eth;
}

struct p2p_host *sesshost_p2p(const struct sesshost *h)
{
	return h->p2p;
}
