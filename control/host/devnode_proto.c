/* SPDX-License-Identifier: MIT */
/* control/host/devnode_proto.c - the node's protocols (control/api/devplane.h): registration, handlers, sending, gossip, send to a node id. */
#include "control/host/devnode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/api/headrpc.h"

#define MS 1000000ull

/* A public peer handle is the p2p peer itself (opaque both ways). */
static struct devplane_peer *pub_peer(struct p2p_peer *peer)
{
	return (struct devplane_peer *)(void *)peer;
}

static struct p2p_peer *p2p_of(const struct devplane_peer *peer)
{
	return (struct p2p_peer *)(void *)(uintptr_t)peer;
}

static struct p2p_host *p2p(const struct devplane *n)
{
	return sesshost_p2p(n->sh);
}

/* A handler's result for p2p: keep, or P2P_DROP(reason) (the same
 * encoding as DEVPLANE_DROP). */
static int verdict(int r)
{
	return r & 0x100 ? P2P_DROP(r & 0xff) : 0;
}

static bool runs(const struct p2p_peer *peer, const struct p2p_proto *proto)
{
	size_t k;
	const struct p2p_shared *sh = p2p_peer_shared(peer, &k);

	for (size_t i = 0; i < k; i++)
		if (sh[i].proto == proto)
			return true;
	return false;
}

/* ---- handlers ----------------------------------------------------------- */

static int w_added(const struct p2p_proto *pp, struct p2p_peer *peer,
		   uint64_t now)
{
	struct devplane_protocol *p = pp->user;
	int r = 0;

	(void)now;
	if (p->def.on_peer_added) {
		p->n->depth++;
		r = p->def.on_peer_added(p, pub_peer(peer), p->def.user);
		p->n->depth--;
	}
	return verdict(r);
}

static void w_removed(const struct p2p_proto *pp, struct p2p_peer *peer,
		      uint8_t reason, uint64_t now)
{
	struct devplane_protocol *p = pp->user;

	(void)now;
	if (!p->def.on_peer_removed)
		return;
	p->n->depth++;
	p->def.on_peer_removed(p, pub_peer(peer),
			       reason == P2P_DISC_NONE ? -1 : reason,
			       p->def.user);
	p->n->depth--;
}

static int deliver(struct devplane_protocol *p, struct p2p_peer *peer,
		   const struct devplane_msg *m)
{
	int r = 0;

	if (p->def.on_msg) {
		p->n->depth++;
		r = p->def.on_msg(p, pub_peer(peer), m, p->def.user);
		p->n->depth--;
	}
	return r;
}

/* A gossip envelope from peer: delivered once per id, relayed on with
 * one hop less to the other peers running p. */
static int gossip_in(struct devplane_protocol *p, struct p2p_peer *peer,
		     const uint8_t *payload, size_t len, uint64_t now)
{
	struct devplane *n = p->n;
	struct devplane_msg m = { .gossip = true };
	struct gossip_env e;
	uint8_t *buf;
	ssize_t w;
	int r;

	if (gossip_env_decode(&e, NULL, payload, len) < 0 ||
	    e.code >= p->def.length) {
		p->gossip_bad++;
		return P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	}
	if (!gossip_seen_add(&n->seen, e.id, now)) {
		p->gossip_dup++;        /* seen: not delivered, not passed on */
		return 0;
	}
	p->gossip_in++;
	m.code = e.code;
	m.data = e.payload;
	m.len = e.len;
	m.hops_left = e.ttl;
	r = deliver(p, peer, &m);
	if (r & 0x100)
		return verdict(r);
	if (!p->relay || e.ttl <= 1 || r == DEVPLANE_NO_RELAY)
		return 0;
	e.ttl--;
	buf = malloc(e.len + GOSSIP_ENV_OVERHEAD);
	if (!buf)
		return 0;
	w = gossip_env_encode(buf, e.len + GOSSIP_ENV_OVERHEAD, &e);
	if (w > 0)
		p->gossip_relayed += p2p_broadcast_except(
			p2p(n), &p->p2p, p->def.length, buf, (size_t)w, peer,
			now);
	free(buf);
	return 0;
}

static int w_msg(const struct p2p_proto *pp, struct p2p_peer *peer,
		 uint64_t code, const uint8_t *payload, size_t len,
		 uint64_t now)
{
	struct devplane_protocol *p = pp->user;
	struct devplane_msg m = { .code = code, .data = payload, .len = len };

	if (p->gossip && code == p->def.length)
		return gossip_in(p, peer, payload, len, now);
	return verdict(deliver(p, peer, &m));
}

/* ---- registration ------------------------------------------------------- */

void devnode_protos_init(struct devplane *n)
{
	n->n_protos = 0;
}

void devnode_protos_fini(struct devplane *n)
{
	for (size_t i = 0; i < n->n_protos; i++)
		free(n->protos[i]);
	n->n_protos = 0;
}

int devplane_register_eth(struct devplane *n)
{
	int rc;

	if (n->started)
		return -EBUSY;
	rc = admin_methods_add(&n->methods, HEADRPC_METHOD,
			       devnode_set_head_method, n);
	if (rc)
		return rc;
	rc = sesshost_register_eth(n->sh);
	if (rc)
		(void)admin_methods_remove(&n->methods, HEADRPC_METHOD);
	return rc;
}

int devplane_register_protocol(struct devplane *n,
			       struct devplane_protocol **out,
			       const struct devplane_proto *def)
{
	bool gossip = def && (def->flags & (DEVPLANE_PROTO_GOSSIP |
					    DEVPLANE_PROTO_RELAY));
	struct devplane_protocol *p;
	int rc;

	if (out)
		*out = NULL;
	if (!def || !def->name || !*def->name ||
	    strlen(def->name) > P2P_CAP_NAME_MAX || !def->length ||
	    def->length > (gossip ? 0xfffe : 0xffff) ||
	    def->gossip_ttl > GOSSIP_TTL_MAX)
		return -EINVAL;
	if (n->started)
		return -EBUSY;
	if (n->n_protos == P2P_MAX_PROTOS)
		return -ENOSPC;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->n = n;
	p->def = *def;
	snprintf(p->name, sizeof(p->name), "%s", def->name);
	p->def.name = p->name;
	p->gossip = gossip;
	p->relay = def->flags & DEVPLANE_PROTO_RELAY;
	p->ttl = def->gossip_ttl ? def->gossip_ttl : GOSSIP_TTL_DEFAULT;
	p->p2p = (struct p2p_proto){
		.name = p->name, .version = def->version,
		/* Gossip: one more code, the envelope's. */
		.length = (uint16_t)(def->length + (gossip ? 1 : 0)),
		.peer_state_size = def->peer_state_size, .user = p,
		.on_peer_added = w_added, .on_msg = w_msg,
		.on_peer_dropped = w_removed,
	};
	rc = sesshost_register(n->sh, &p->p2p);
	if (rc) {
		free(p);
		return rc == -EBUSY || rc == -EEXIST || rc == -ENOSPC ? rc :
		       -EINVAL;
	}
	n->protos[n->n_protos++] = p;
	if (out)
		*out = p;
	return 0;
}

struct devplane *devplane_protocol_node(const struct devplane_protocol *p)
{
	return p->n;
}

void devplane_protocol_stats(const struct devplane_protocol *p,
			     struct devplane_proto_stats *out)
{
	out->gossip_in = p->gossip_in;
	out->gossip_dup = p->gossip_dup;
	out->gossip_relayed = p->gossip_relayed;
	out->gossip_bad = p->gossip_bad;
}

/* ---- sending ------------------------------------------------------------ */

/* p2p_send()'s errors in the API's words. */
static int send_err(int rc)
{
	return rc == -ENOTCONN ? -EPROTO : rc;
}

int devplane_send(struct devplane_protocol *p, struct devplane_peer *peer,
		  uint64_t code, const void *data, size_t len)
{
	int rc;

	if (!peer || code >= p->def.length || (len && !data))
		return -EINVAL;
	if (len > DEVPLANE_MSG_MAX)
		return -EMSGSIZE;
	rc = p2p_send(p2p(p->n), p2p_of(peer), &p->p2p, code, data, len);
	devnode_flush(p->n);
	return send_err(rc);
}

ssize_t devplane_broadcast(struct devplane_protocol *p, uint64_t code,
			   const void *data, size_t len)
{
	struct devplane *n = p->n;
	uint64_t now = loop_now();
	struct gossip_env e = { .code = code, .payload = data, .len = len };
	uint8_t *buf;
	ssize_t w;
	size_t k;

	if (code >= p->def.length || (len && !data))
		return -EINVAL;
	if (len > DEVPLANE_MSG_MAX)
		return -EMSGSIZE;
	if (!p->gossip) {
		k = p2p_broadcast(p2p(n), &p->p2p, code, data, len, now);
		devnode_flush(n);
		return (ssize_t)k;
	}
	gossip_msg_id(e.id, n->pub, p->name, ++p->seq, code, data, len);
	e.ttl = p->ttl;
	/* Ours: a relayed copy coming back is a duplicate. */
	gossip_seen_add(&n->seen, e.id, now);
	buf = malloc(len + GOSSIP_ENV_OVERHEAD);
	if (!buf)
		return -ENOMEM;
	w = gossip_env_encode(buf, len + GOSSIP_ENV_OVERHEAD, &e);
	k = w > 0 ? p2p_broadcast(p2p(n), &p->p2p, p->def.length, buf,
				  (size_t)w, now) : 0;
	free(buf);
	devnode_flush(n);
	return w < 0 ? w : (ssize_t)k;
}

/* ---- send to a node id (control/service/sendid.h) ----------------------- */

struct send_req {                       /* what a request carries */
	struct devplane_protocol *p;
	uint64_t code;
	uint8_t *data;
	size_t len;
	devplane_done_fn *done;
	void *arg;
};

static void req_free(struct send_req *r)
{
	if (r)
		free(r->data);
	free(r);
}

/* Where id is known: the static nodes, then the discovery table. */
static bool known_ep(const struct devplane *n, const uint8_t id[64],
		     struct sendid_route *rt)
{
	if (sesshost_static_ep(n->sh, id, rt->ip, &rt->tcp))
		return rt->tcp != 0;
	if (n->disc && n->disc->d) {
		const struct kad_node *k = kad_find(discv4_table(n->disc->d),
						    id);

		if (k && k->tcp_port) {
			memcpy(rt->ip, k->ip, 16);
			rt->tcp = k->tcp_port;
			return true;
		}
	}
	return false;
}

int devplane_send_to_id(struct devplane_protocol *p,
			const uint8_t id[DEVPLANE_ID_LEN], uint64_t code,
			const void *data, size_t len, uint32_t timeout_ms,
			devplane_done_fn *done, void *arg)
{
	struct devplane *n = p->n;
	struct sendid_route rt = { .can_lookup = n->disc != NULL };
	struct send_req *r;
	struct p2p_peer *peer;
	uint64_t handle;
	int rc;

	if (!id || code >= p->def.length || (len && !data))
		return -EINVAL;
	if (len > DEVPLANE_MSG_MAX)
		return -EMSGSIZE;
	if (n->freeing)
		return -ECANCELED;
	peer = sesshost_find_peer(n->sh, id);
	if (peer && p2p_peer_active(peer)) {
		/* Connected: sent now, reported at the next loop step. */
		rc = runs(peer, &p->p2p) ?
		     send_err(p2p_send(p2p(n), peer, &p->p2p, code, data,
				       len)) : -EPROTONOSUPPORT;
		devnode_flush(n);
		return devnode_done_later(n, done, arg, rc);
	}
	r = calloc(1, sizeof(*r));
	if (!r || (len && !(r->data = malloc(len)))) {
		req_free(r);
		return -ENOMEM;
	}
	if (len)
		memcpy(r->data, data, len);
	r->p = p;
	r->code = code;
	r->len = len;
	r->done = done;
	r->arg = arg;
	rt.has_ep = known_ep(n, id, &rt);
	rc = sendid_start(&n->sid, &handle, id, &p->p2p, r, &rt,
			  (uint64_t)(timeout_ms ? timeout_ms :
				     DEVPLANE_SEND_TIMEOUT_MS) * MS,
			  loop_now());
	if (rc) {
		req_free(r);
		return rc;
	}
	devnode_soon(n);                /* its actions at the next step */
	return 0;
}

struct lookup {
	struct devplane *n;
	uint64_t req;
	uint8_t target[DEVPLANE_ID_LEN];
};

static void on_lookup(void *arg, int err, const struct discv4_node *nodes,
		      unsigned k)
{
	struct lookup *lk = arg;
	struct devplane *n = lk->n;
	uint64_t now = loop_now();
	bool found = false;

	for (unsigned i = 0; !err && i < k && !found; i++) {
		if (memcmp(nodes[i].id, lk->target, DEVPLANE_ID_LEN))
			continue;
		sendid_on_lookup(&n->sid, lk->req, true, nodes[i].ep.ip,
				 nodes[i].ep.tcp, now);
		found = true;
	}
	if (!found)
		sendid_on_lookup(&n->sid, lk->req, false, NULL, 0, now);
	devnode_soon(n);
	free(lk);
}

static void start_lookup(struct devplane *n, const struct sendid_action *a,
			 uint64_t now)
{
	struct lookup *lk = calloc(1, sizeof(*lk));

	if (!lk || !n->disc || !n->disc->d) {
		free(lk);
		sendid_on_lookup(&n->sid, a->req, false, NULL, 0, now);
		return;
	}
	lk->n = n;
	lk->req = a->req;
	memcpy(lk->target, a->id, DEVPLANE_ID_LEN);
	if (discv4_lookup(n->disc->d, a->id, now, on_lookup, lk)) {
		free(lk);               /* no node to ask */
		sendid_on_lookup(&n->sid, a->req, false, NULL, 0, now);
		return;
	}
	loop_touch(n->loop, n->disc->idx);      /* its deadline moved */
}

static void finish_send(struct devplane *n, const struct sendid_action *a)
{
	struct send_req *r = a->user;
	struct p2p_peer *peer;
	int rc = a->err;

	if (!rc) {
		peer = sesshost_find_peer(n->sh, a->id);
		rc = peer ? send_err(p2p_send(p2p(n), peer, &r->p->p2p,
					      r->code, r->data, r->len)) :
		     -EHOSTUNREACH;
	}
	if (devnode_done_later(n, r->done, r->arg, rc) && r->done)
		r->done(r->arg, rc);    /* no memory to defer: now */
	req_free(r);
}

void devnode_sendid_run(struct devplane *n, uint64_t now)
{
	const struct sendid_action *a;

	while ((a = sendid_next_action(&n->sid))) {
		switch (a->kind) {
		case SENDID_A_LOOKUP:
			if (!n->freeing)
				start_lookup(n, a, now);
			break;
		case SENDID_A_DIAL:
			if (!n->freeing)
				sendid_on_dial(&n->sid, a->req,
					       sesshost_dial(n->sh, a->id,
							     a->ip, a->tcp,
							     now), now);
			break;
		case SENDID_A_SEND:
		case SENDID_A_DONE:
			finish_send(n, a);
			break;
		}
	}
}

void devnode_peer_up(struct devplane *n, uint64_t conn,
		     const uint8_t id[DEVPLANE_ID_LEN], uint64_t now)
{
	struct p2p_peer *peer = p2p_peer_find(p2p(n), conn);
	const void *keys[P2P_MAX_PROTOS];
	const struct p2p_shared *sh;
	size_t k = 0;

	if (!sendid_pending(&n->sid))
		return;
	sh = peer ? p2p_peer_shared(peer, &k) : NULL;
	for (size_t i = 0; i < k && i < P2P_MAX_PROTOS; i++)
		keys[i] = sh[i].proto;
	sendid_on_peer(&n->sid, id, keys, k, now);
	devnode_soon(n);
}

void devnode_peer_gone(struct devplane *n, const uint8_t id[DEVPLANE_ID_LEN],
		       uint64_t now)
{
	if (!sendid_pending(&n->sid))
		return;
	sendid_on_gone(&n->sid, id, now);
	devnode_soon(n);
}

/* ---- the blocking convenience ------------------------------------------- */

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;                       /* the caller, the callback */
	bool done;
	int err;
	struct devplane_protocol *p;
	uint8_t id[DEVPLANE_ID_LEN];
	uint64_t code;
	uint8_t *data;
	size_t len;
	uint32_t timeout_ms;
};

static void waiter_put(struct waiter *w)
{
	bool last;

	pthread_mutex_lock(&w->mu);
	last = --w->refs == 0;
	pthread_mutex_unlock(&w->mu);
	if (!last)
		return;
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->data);
	free(w);
}

static void wait_done(void *arg, int err)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->mu);
	w->err = err;
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	waiter_put(w);
}

/* On the loop's thread, posted by another. */
static void wait_start(struct devplane *n, void *arg)
{
	struct waiter *w = arg;
	int rc;

	(void)n;
	rc = devplane_send_to_id(w->p, w->id, w->code, w->data, w->len,
				 w->timeout_ms, wait_done, w);
	if (rc)
		wait_done(w, rc);
}

int devplane_send_to_id_wait(struct devplane_protocol *p,
			     const uint8_t id[DEVPLANE_ID_LEN], uint64_t code,
			     const void *data, size_t len,
			     uint32_t timeout_ms)
{
	struct devplane *n = p->n;
	struct waiter *w;
	uint32_t ms = timeout_ms ? timeout_ms : DEVPLANE_SEND_TIMEOUT_MS;
	int rc;

	if (!id || code >= p->def.length || (len && !data))
		return -EINVAL;
	if (len > DEVPLANE_MSG_MAX)
		return -EMSGSIZE;
	if (atomic_load(&n->running) && pthread_equal(pthread_self(), n->tid))
		return -EDEADLK;        /* a handler: the loop would stall */
	if (n->freeing)
		return -ECANCELED;
	w = calloc(1, sizeof(*w));
	if (!w || (len && !(w->data = malloc(len)))) {
		free(w);
		return -ENOMEM;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->refs = 2;
	w->p = p;
	memcpy(w->id, id, DEVPLANE_ID_LEN);
	w->code = code;
	if (len)
		memcpy(w->data, data, len);
	w->len = len;
	w->timeout_ms = ms;
	if (atomic_load(&n->running)) {
		/* Another thread runs the loop: the request goes there. */
		struct timespec ts;

		rc = devplane_post(n, wait_start, w);
		if (rc) {
			w->refs = 1;
			waiter_put(w);
			return rc;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ms / 1000 + 5;     /* the engine ends it first */
		pthread_mutex_lock(&w->mu);
		while (!w->done &&
		       pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
			;
		rc = w->done ? w->err : -ETIMEDOUT;
		pthread_mutex_unlock(&w->mu);
		waiter_put(w);
		return rc;
	}
	/* Nobody runs the loop: this thread does, until the result. */
	wait_start(n, w);
	while (!w->done) {
		rc = devplane_poll(n, 50);
		if (rc < 0)
			break;
	}
	rc = w->done ? w->err : rc;
	waiter_put(w);
	return rc;
}

/* ---- peers -------------------------------------------------------------- */

const uint8_t *devplane_peer_id(const struct devplane_peer *peer)
{
	return p2p_peer_id(p2p_of(peer));
}

bool devplane_peer_inbound(const struct devplane_peer *peer)
{
	return p2p_peer_inbound(p2p_of(peer));
}

const char *devplane_peer_name(const struct devplane_peer *peer)
{
	const struct p2p_hello *h = p2p_peer_hello(p2p_of(peer));

	return h ? h->client_id : "";
}

void *devplane_peer_state(const struct devplane_peer *peer,
			  const struct devplane_protocol *p)
{
	return p2p_peer_state(p2p_of(peer), &p->p2p);
}

struct devplane_peer *devplane_peer_find(struct devplane *n,
					 const uint8_t id[DEVPLANE_ID_LEN])
{
	struct p2p_peer *peer = sesshost_find_peer(n->sh, id);

	return peer && p2p_peer_active(peer) ? pub_peer(peer) : NULL;
}

const char *devplane_reason_name(int reason)
{
	if (reason < 0)
		return "connection closed";
	return p2p_disc_reason_name((unsigned)reason);
}
