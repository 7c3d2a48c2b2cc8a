/* SPDX-License-Identifier: MIT */
/* control/discv5/v5calls.c - discv5 engine: our requests and their answers. */
#include "control/discv5/discv5_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * geth's dispatch loop (v5_udp.go): at most one active call per node id,
 * the rest queue behind it; the active call is matched by the nonce of
 * its last packet (WHOAREYOU) and by node id, request id, endpoint and
 * message type (responses). Every response packet restarts its timeout.
 *
 * Invariants: a peer with a queued call has an active one; every active
 * call is on the deadline list (t_head .. t_tail, sorted) and, once a
 * packet went out, in the nonce map under c->nonce.
 */

static struct v5_peer *peer_get(struct discv5 *d, const uint8_t id[32])
{
	struct v5_peer *p = v5map_get(&d->peers, id);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->id, id, DISCV5_NODE_ID_LEN);
	if (v5map_put(&d->peers, p->id, p) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static void peer_maybe_free(struct discv5 *d, struct v5_peer *p)
{
	if (p->active || p->qhead)
		return;
	v5map_del(&d->peers, p->id);
	free(p);
}

static void timer_unlink(struct discv5 *d, struct v5_call *c)
{
	if (c->tprev)
		c->tprev->tnext = c->tnext;
	else if (d->t_head == c)
		d->t_head = c->tnext;
	if (c->tnext)
		c->tnext->tprev = c->tprev;
	else if (d->t_tail == c)
		d->t_tail = c->tprev;
	c->tprev = c->tnext = NULL;
}

/* Deadlines are now + the same timeout, so they arrive nearly sorted:
 * insertion walks back from the tail. */
static void timer_set(struct discv5 *d, struct v5_call *c, uint64_t deadline)
{
	struct v5_call *t;

	timer_unlink(d, c);
	c->deadline = deadline;
	for (t = d->t_tail; t && t->deadline > deadline; t = t->tprev)
		;
	c->tprev = t;
	c->tnext = t ? t->tnext : d->t_head;
	if (c->tnext)
		c->tnext->tprev = c;
	else
		d->t_tail = c;
	if (t)
		t->tnext = c;
	else
		d->t_head = c;
}

static void nonce_set(struct discv5 *d, struct v5_call *c,
		      const uint8_t nonce[DISCV5_GCM_NONCE_LEN])
{
	if (c->has_nonce && v5map_get(&d->nonces, c->nonce) == c)
		v5map_del(&d->nonces, c->nonce);
	memcpy(c->nonce, nonce, DISCV5_GCM_NONCE_LEN);
	/* Without room the call can still be answered, not challenged. */
	c->has_nonce = v5map_put(&d->nonces, c->nonce, c) == 0;
}

/* call_send() sends c on its session, or the junk packet that asks for a
 * WHOAREYOU when there is none (geth sendCall). */
static int call_send(struct discv5 *d, struct v5_call *c, uint64_t now)
{
	uint8_t nonce[DISCV5_GCM_NONCE_LEN];
	struct v5_sess *s = v5_sess_find(d, c->node.id, c->ip, c->port);
	int rc;

	if (s)
		rc = v5_send_message(d, s, c->pt, c->pt_len, nonce);
	else
		rc = v5_send_random(d, c->node.id, c->ip, c->port, nonce);
	if (rc < 0)
		return rc;
	nonce_set(d, c, nonce);
	timer_set(d, c, now + d->resp_timeout);
	return 0;
}

static void call_free(struct v5_call *c)
{
	free(c->res);
	free(c);
}

/* detach() takes c out of every index; the caller delivers and frees. */
static void detach(struct discv5 *d, struct v5_call *c)
{
	struct v5_peer *p = c->peer;

	timer_unlink(d, c);
	if (c->has_nonce && v5map_get(&d->nonces, c->nonce) == c)
		v5map_del(&d->nonces, c->nonce);
	c->has_nonce = false;
	if (p->active == c) {
		p->active = NULL;
	} else {
		struct v5_call **pp = &p->qhead, *prev = NULL;

		while (*pp && *pp != c) {
			prev = *pp;
			pp = &(*pp)->qnext;
		}
		if (*pp) {
			*pp = c->qnext;
			if (p->qtail == c)
				p->qtail = prev;
		}
	}
	c->active = false;
	c->qnext = NULL;
	d->n_calls--;
}

/* advance() makes p's next queued call active. Calls whose packet cannot
 * be sent are detached and chained (by qnext, with c->err) onto *failed
 * for the caller to deliver once the indexes are consistent again. */
static void advance(struct discv5 *d, struct v5_peer *p, uint64_t now,
		    struct v5_call **failed)
{
	while (!p->active && p->qhead) {
		struct v5_call *c = p->qhead;
		int rc;

		p->qhead = c->qnext;
		if (!p->qhead)
			p->qtail = NULL;
		c->qnext = NULL;
		p->active = c;
		c->active = true;
		rc = call_send(d, c, now);
		if (rc == 0)
			return;
		detach(d, c);
		c->err = rc;
		c->qnext = *failed;
		*failed = c;
	}
}

static void deliver(struct discv5 *d, struct v5_call *c, int err,
		    const struct discv5_msg *m, uint64_t now)
{
	struct discv5_pong_info pong;

	switch (c->owner) {
	case OWN_USER:
		if (c->kind == CALL_FINDNODE && err != -ECANCELED)
			(void)kad_findnode_done(&d->tab, c->node.pub, err == 0,
						now);
		if (c->kind == CALL_PING) {
			if (err == 0) {
				memset(&pong, 0, sizeof(pong));
				pong.enr_seq = m->pong.enr_seq;
				if (m->pong.ip_len == 4)
					netutil_addr_from_v4(pong.ip,
							     m->pong.ip);
				else
					memcpy(pong.ip, m->pong.ip, 16);
				pong.port = m->pong.port;
				c->cb.ping(c->arg, 0, &pong);
			} else {
				c->cb.ping(c->arg, err, NULL);
			}
		} else if (c->kind == CALL_FINDNODE) {
			c->cb.nodes(c->arg, err, c->res, c->n_res);
		} else if (err == 0) {
			c->cb.talk(c->arg, 0, m->talkresp.resp,
				   m->talkresp.resp_len);
		} else {
			c->cb.talk(c->arg, err, NULL, 0);
		}
		break;
	case OWN_REQENR:
		if (err == 0 && (c->n_res != 1 ||
				 memcmp(c->res[0].id, c->node.id, 32) != 0))
			err = -EBADMSG;
		c->cb.enr(c->arg, err, err ? NULL : &c->res[0]);
		break;
	case OWN_LOOKUP:
		v5_lookup_result(d, c, err, now);
		break;
	case OWN_REVAL:
		v5_reval_result(d, c, err, err ? 0 : m->pong.enr_seq, now);
		break;
	case OWN_FETCH:
		v5_fetch_result(d, c, err, now);
		break;
	case OWN_RESOLVE:
		v5_resolve_result(d, c, err, now);
		break;
	}
}

/* finish() ends c with err: out of the indexes, the peer's next call
 * started, then the outcome delivered. */
static void finish(struct discv5 *d, struct v5_call *c, int err,
		   const struct discv5_msg *m, uint64_t now)
{
	struct v5_peer *p = c->peer;
	struct v5_call *failed = NULL, *next;

	detach(d, c);
	advance(d, p, now, &failed);
	peer_maybe_free(d, p);
	deliver(d, c, err, m, now);
	call_free(c);
	for (; failed; failed = next) {
		next = failed->qnext;
		deliver(d, failed, failed->err, NULL, now);
		call_free(failed);
	}
}

struct v5_call *v5_call_start(struct discv5 *d, const struct discv5_node *n,
			      const uint8_t ip[16], uint16_t port,
			      struct discv5_msg *m, uint8_t owner, uint64_t now,
			      int *err)
{
	uint8_t pt[DISCV5_PACKET_MAX];
	struct v5_call *c;
	ssize_t len;

	(void)now;
	if (d->closing) {
		*err = -ECANCELED;
		return NULL;
	}
	if (d->n_calls >= d->cfg.max_calls) {
		*err = -ENOBUFS;
		return NULL;
	}
	m->req_id_len = DISCV5_REQ_ID_MAX;
	*err = v5_random(d, m->req_id, DISCV5_REQ_ID_MAX);
	if (*err < 0)
		return NULL;
	len = discv5_msg_encode(pt, sizeof(pt), m);
	if (len < 0) {
		*err = (int)len;
		return NULL;
	}
	c = calloc(1, sizeof(*c) + (size_t)len);
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	c->kind = m->type == DISCV5_MSG_PING       ? CALL_PING
		  : m->type == DISCV5_MSG_FINDNODE ? CALL_FINDNODE
						   : CALL_TALK;
	c->owner = owner;
	c->total = -1;
	memcpy(c->reqid, m->req_id, DISCV5_REQ_ID_MAX);
	memcpy(c->ip, ip, 16);
	c->port = port;
	c->node = *n;
	if (m->type == DISCV5_MSG_FINDNODE) {
		c->n_dist = m->findnode.n;
		memcpy(c->dist, m->findnode.dist,
		       m->findnode.n * sizeof(c->dist[0]));
	}
	c->pt_len = (uint16_t)len;
	memcpy(c->pt, pt, (size_t)len);
	*err = 0;
	return c;
}

int v5_call_submit(struct discv5 *d, struct v5_call *c, uint64_t now)
{
	struct v5_peer *p = peer_get(d, c->node.id);
	int rc;

	if (!p) {
		call_free(c);
		return -ENOMEM;
	}
	c->peer = p;
	d->n_calls++;
	if (p->active) {
		if (p->qtail)
			p->qtail->qnext = c;
		else
			p->qhead = c;
		p->qtail = c;
		return 0;
	}
	p->active = c;
	c->active = true;
	rc = call_send(d, c, now);
	if (rc < 0) {
		detach(d, c);
		peer_maybe_free(d, p);
		call_free(c);
	}
	return rc;
}

bool v5_fetch_pending(struct discv5 *d, const uint8_t id[32])
{
	const struct v5_peer *p = v5map_get(&d->peers, id);
	const struct v5_call *c;

	if (!p)
		return false;
	if (p->active && p->active->owner == OWN_FETCH)
		return true;
	for (c = p->qhead; c; c = c->qnext)
		if (c->owner == OWN_FETCH)
			return true;
	return false;
}

/* ---- WHOAREYOU (geth handleWhoareyou, matchWithCall) ---------------- */

void v5_on_whoareyou(struct discv5 *d, const struct discv5_header *h,
		     const uint8_t ip[16], uint16_t port, uint64_t now, int *rc)
{
	uint8_t nonce[DISCV5_GCM_NONCE_LEN];
	struct v5_call *c = v5map_get(&d->nonces, h->nonce);
	int err;

	/* Only our pending requests can be challenged; a WHOAREYOU for a
	 * response of ours finds nothing here (#30592). */
	if (!c || memcmp(c->ip, ip, 16) != 0 || c->port != port) {
		d->st.drop[DISCV5_DROP_WHOAREYOU_NO_CALL]++;
		*rc = -EPROTO;
		return;
	}
	if (c->handshakes > 0) {
		d->st.drop[DISCV5_DROP_WHOAREYOU_TWICE]++;
		*rc = -EPROTO;
		return;
	}
	c->handshakes++;
	err = v5_handshake_send(d, c, h->raw, h->enr_seq, nonce);
	if (err < 0) {
		finish(d, c, err, NULL, now);
		*rc = 0;
		return;
	}
	nonce_set(d, c, nonce);
	timer_set(d, c, now + d->resp_timeout);
	*rc = 0;
}

/* ---- answers -------------------------------------------------------- */

static bool dist_asked(const struct v5_call *c, unsigned dist)
{
	for (unsigned i = 0; i < c->n_dist; i++)
		if (c->dist[i] == dist)
			return true;
	return false;
}

static int reject(struct discv5 *d, enum discv5_node_reject why)
{
	d->st.nodes_rejected[why]++;
	return -EINVAL;
}

/* verify_node() is geth's verifyResponseNode. */
static int verify_node(struct discv5 *d, struct v5_call *c,
		       struct discv5_node *n, const uint8_t *rec, size_t len)
{
	d->st.ec_ops++;
	if (v5_node_decode(n, rec, len, true) < 0)
		return reject(d, DISCV5_REJ_RECORD);
	if (netutil_check_relay(c->ip, n->ip) != NETUTIL_RELAY_OK)
		return reject(d, DISCV5_REJ_RELAY);
	if (!v5_allowed(d, n->ip))
		return reject(d, DISCV5_REJ_NETRESTRICT);
	if (n->udp <= DISCV5_MIN_RELAY_PORT)
		return reject(d, DISCV5_REJ_PORT);
	if (!dist_asked(c, (unsigned)kad_log_distance(c->node.id, n->id)))
		return reject(d, DISCV5_REJ_DISTANCE);
	for (unsigned i = 0; i < c->n_res; i++)
		if (memcmp(c->res[i].id, n->id, DISCV5_NODE_ID_LEN) == 0)
			return reject(d, DISCV5_REJ_DUPLICATE);
	return 0;
}

static void take_nodes(struct discv5 *d, struct v5_call *c,
		       const struct discv5_nodes *nodes, uint64_t now)
{
	struct discv5_node n;
	const uint8_t *rec;
	size_t off = 0, len;

	while (discv5_nodes_next(&rec, &len, nodes, &off) == 1) {
		if (verify_node(d, c, &n, rec, len) < 0)
			continue;
		if (c->n_res == DISCV5_FINDNODE_MAX_NODES) {
			reject(d, DISCV5_REJ_LIMIT);
			continue;
		}
		if (c->n_res == c->cap_res) {
			unsigned cap = c->cap_res ? c->cap_res * 2 : 8;
			struct discv5_node *r;

			if (cap > DISCV5_FINDNODE_MAX_NODES)
				cap = DISCV5_FINDNODE_MAX_NODES;
			r = realloc(c->res, cap * sizeof(*r));
			if (!r)
				continue;
			c->res = r;
			c->cap_res = cap;
		}
		c->res[c->n_res++] = n;
		v5_seen_hook(d, &n, now);
	}
}

static uint8_t answer_type(const struct v5_call *c)
{
	return c->kind == CALL_PING       ? DISCV5_MSG_PONG
	       : c->kind == CALL_FINDNODE ? DISCV5_MSG_NODES
					  : DISCV5_MSG_TALKRESP;
}

/* v5_on_response() is geth handleCallResponse plus what each answer
 * does to its call. */
int v5_on_response(struct discv5 *d, const uint8_t id[32], const uint8_t ip[16],
		   uint16_t port, const struct discv5_msg *m, uint64_t now)
{
	struct v5_peer *p = v5map_get(&d->peers, id);
	struct v5_call *c = p ? p->active : NULL;
	uint8_t to[16];

	if (!c || m->req_id_len != DISCV5_REQ_ID_MAX ||
	    memcmp(m->req_id, c->reqid, DISCV5_REQ_ID_MAX) != 0 ||
	    memcmp(c->ip, ip, 16) != 0 || c->port != port ||
	    m->type != answer_type(c)) {
		d->st.drop[DISCV5_DROP_UNSOLICITED]++;
		return -ENOENT;
	}
	d->st.rx[m->type]++;
	switch (m->type) {
	case DISCV5_MSG_PONG:
		if (m->pong.ip_len == 4)
			netutil_addr_from_v4(to, m->pong.ip);
		else
			memcpy(to, m->pong.ip, 16);
		localnode_statement(d->ln, ip, to, m->pong.port, now);
		(void)localnode_update(d->ln, now);
		if (c->owner != OWN_REVAL)
			v5_maybe_fetch_enr(d, &c->node, ip, port,
					   m->pong.enr_seq, now);
		finish(d, c, 0, m, now);
		return 0;
	case DISCV5_MSG_NODES:
		timer_set(d, c, now + d->resp_timeout);
		take_nodes(d, c, &m->nodes, now);
		if (c->total < 0)
			c->total = m->nodes.total < DISCV5_NODES_RESPONSE_LIMIT
					   ? m->nodes.total
					   : DISCV5_NODES_RESPONSE_LIMIT;
		/* total 0 ends the answer with its first message (#35043). */
		if (++c->received >= (unsigned)c->total)
			finish(d, c, 0, m, now);
		return 0;
	default:
		finish(d, c, 0, m, now);
		return 0;
	}
}

void v5_calls_timeout(struct discv5 *d, uint64_t now)
{
	while (d->t_head && d->t_head->deadline <= now) {
		d->st.calls_timeout++;
		finish(d, d->t_head, -ETIMEDOUT, NULL, now);
	}
}

void v5_calls_cancel_all(struct discv5 *d)
{
	struct v5_call *all = NULL, *c, *next;
	struct v5_peer *p;
	size_t it = 0;

	d->closing = true;
	while ((p = v5map_next(&d->peers, &it))) {
		if (p->active) {
			p->active->qnext = all;
			all = p->active;
		}
		for (c = p->qhead; c; c = next) {
			next = c->qnext;
			c->qnext = all;
			all = c;
		}
		free(p);
	}
	v5map_fini(&d->peers);
	v5map_fini(&d->nonces);
	d->t_head = d->t_tail = NULL;
	d->n_calls = 0;
	for (c = all; c; c = next) {
		next = c->qnext;
		deliver(d, c, -ECANCELED, NULL, 0);
		call_free(c);
	}
}

/* ---- the request API ------------------------------------------------ */

static int check_node(const struct discv5 *d, const struct discv5_node *n)
{
	if (!n || netutil_is_unspecified(n->ip) || n->udp == 0)
		return -EINVAL;
	if (!v5_allowed(d, n->ip))
		return -EACCES;
	return 0;
}

int discv5_ping(struct discv5 *d, const struct discv5_node *n, uint64_t now,
		discv5_ping_fn *cb, void *arg)
{
	struct discv5_msg m;
	struct v5_call *c;
	int rc = check_node(d, n);

	if (rc < 0 || !cb)
		return rc < 0 ? rc : -EINVAL;
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_PING;
	m.ping.enr_seq = localnode_seq(d->ln);
	c = v5_call_start(d, n, n->ip, n->udp, &m, OWN_USER, now, &rc);
	if (!c)
		return rc;
	c->cb.ping = cb;
	c->arg = arg;
	return v5_call_submit(d, c, now);
}

static struct v5_call *findnode_call(struct discv5 *d,
				     const struct discv5_node *n,
				     const uint16_t *dist, size_t n_dist,
				     uint8_t owner, uint64_t now, int *rc)
{
	struct discv5_msg m;

	*rc = check_node(d, n);
	if (*rc < 0)
		return NULL;
	if (!dist || n_dist == 0 || n_dist > DISCV5_FINDNODE_DIST_MAX) {
		*rc = -EINVAL;
		return NULL;
	}
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_FINDNODE;
	for (size_t i = 0; i < n_dist; i++) {
		if (dist[i] > DISCV5_DISTANCE_MAX) {
			*rc = -EINVAL;
			return NULL;
		}
		m.findnode.dist[i] = dist[i];
	}
	m.findnode.n = (uint16_t)n_dist;
	return v5_call_start(d, n, n->ip, n->udp, &m, owner, now, rc);
}

struct v5_call *v5_findnode_start(struct discv5 *d, const struct discv5_node *n,
				  const uint8_t ip[16], uint16_t port,
				  const uint16_t *dist, size_t n_dist,
				  uint8_t owner, uint64_t now, int *rc)
{
	struct discv5_node at = *n;

	memcpy(at.ip, ip, 16);
	at.udp = port;
	return findnode_call(d, &at, dist, n_dist, owner, now, rc);
}

int discv5_findnode(struct discv5 *d, const struct discv5_node *n,
		    const uint16_t *dist, size_t n_dist, uint64_t now,
		    discv5_nodes_fn *cb, void *arg)
{
	struct v5_call *c;
	int rc;

	if (!cb)
		return -EINVAL;
	c = findnode_call(d, n, dist, n_dist, OWN_USER, now, &rc);
	if (!c)
		return rc;
	c->cb.nodes = cb;
	c->arg = arg;
	return v5_call_submit(d, c, now);
}

int discv5_request_enr(struct discv5 *d, const struct discv5_node *n,
		       uint64_t now, discv5_enr_fn *cb, void *arg)
{
	static const uint16_t zero[1] = { 0 };
	struct v5_call *c;
	int rc;

	if (!cb)
		return -EINVAL;
	c = findnode_call(d, n, zero, 1, OWN_REQENR, now, &rc);
	if (!c)
		return rc;
	c->cb.enr = cb;
	c->arg = arg;
	return v5_call_submit(d, c, now);
}

int discv5_talk(struct discv5 *d, const struct discv5_node *n,
		const uint8_t *proto, size_t proto_len, const uint8_t *req,
		size_t req_len, uint64_t now, discv5_talk_fn *cb, void *arg)
{
	struct discv5_msg m;
	struct v5_call *c;
	int rc = check_node(d, n);

	if (rc < 0 || !cb || (!proto && proto_len) || (!req && req_len))
		return rc < 0 ? rc : -EINVAL;
	if (proto_len + req_len > DISCV5_PACKET_MAX)
		return -EMSGSIZE;
	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_TALKREQ;
	m.talkreq.proto = proto;
	m.talkreq.proto_len = proto_len;
	m.talkreq.req = req;
	m.talkreq.req_len = req_len;
	c = v5_call_start(d, n, n->ip, n->udp, &m, OWN_USER, now, &rc);
	if (!c)
		return rc == -EMSGSIZE || rc == -EINVAL ? -EMSGSIZE : rc;
	c->cb.talk = cb;
	c->arg = arg;
	return v5_call_submit(d, c, now);
}
