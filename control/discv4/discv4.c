/* SPDX-License-Identifier: MIT */
/* control/discv4/discv4.c - sans-I/O discovery v4 engine (discv4.md, EIP-8, EIP-868). */
#include "control/discv4/discv4.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/ct.h"
#include "common/keccak.h"
#include "common/secp.h"
#include "control/discv4/v4bond.h"
#include "control/discv4/v4lookup.h"
#include "control/discv4/v4pending.h"
#include "control/discv4/v4table.h"

/*
 * This file is geth's transport (p2p/discover/v4_udp.go): packets in and
 * out, endpoint proofs, requests and their replies. What it keeps is in
 * its own modules: requests waiting for replies in v4pending (indexed,
 * capped), endpoint proofs in v4bond, and the table's upkeep (seeding,
 * refresh, lookups, revalidation; geth's table.go) in v4table, which asks
 * this file to send through struct v4table_ops.
 */

#define NS_PER_S 1000000000ull

static_assert(DISCV4_ALPHA == V4TABLE_ALPHA, "one alpha");
static_assert(DISCV4_REFRESH_NS == V4TABLE_REFRESH_NS, "one refresh period");
static_assert(DISCV4_EMPTY_RETRY_NS == V4TABLE_EMPTY_RETRY_NS, "one retry");
static_assert(DISCV4_SMALL_RETRY_MAX_NS == V4TABLE_SMALL_RETRY_MAX_NS,
	      "one backoff cap");
static_assert(DISCV4_MAX_RESULTS == V4LOOKUP_RESULTS, "one result count");

/* What a pending request is for, which decides what its completion does. */
enum owner {
	OWN_USER = 0,           /* a discv4_ping/findnode/request_enr caller */
	OWN_LOOKUP,             /* a findnode query of a lookup */
	OWN_PINGBACK,           /* ping-back to an unknown pinger */
	OWN_REVAL,              /* kad revalidation ping */
	OWN_REVAL_ENR,          /* ENR fetch after a revalidation saw a new seq */
};

enum kind { PR_PING = 1, PR_FINDNODE, PR_ENR };

enum fn_state {
	FN_PINGING = 1,         /* bonding ping out, waiting for the Pong */
	FN_WAIT_PINGBACK,       /* Pong seen; give n time to ping us back */
	FN_SENT,                /* FindNode out, collecting Neighbors */
};

/* A request in flight. pe is first: the pending index links it, and
 * (struct preq *)pe gets it back. */
struct preq {
	struct v4pending_entry pe;      /* key (node id, IP, awaited type) */
	uint8_t kind;           /* enum kind */
	uint8_t owner;          /* enum owner */
	uint8_t state;          /* enum fn_state (findnode only) */
	bool got_reply;         /* a Neighbors packet arrived */
	struct discv4_node node;
	uint8_t hash[DISCV4_HASH_LEN];  /* Ping or ENRRequest packet hash */
	uint8_t target[DISCV4_PUB_LEN];
	union {
		discv4_ping_fn *ping;
		discv4_nodes_fn *nodes;
		discv4_enr_fn *enr;
	} cb;
	void *arg;
	struct v4table_lookup *lk;
	unsigned n_received;    /* nodes in Neighbors, valid or not */
	unsigned n_nodes;
	struct discv4_node nodes[DISCV4_MAX_RESULTS];
};

struct discv4 {
	struct discv4_config cfg;
	struct localnode *ln;
	struct netutil_prefix *netrestrict;
	struct discv4_stats st;
	struct v4table t;               /* the Kademlia table and its upkeep */

	struct v4pending pend;          /* struct preq, by (id, IP, type) */
	struct v4bond_table bonds;
};

/* ---- small helpers ------------------------------------------------- */

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       0xff, 0xff };

static void ep_from(struct discv4_endpoint *ep, const uint8_t ip[16],
		    uint16_t udp, uint16_t tcp)
{
	memset(ep, 0, sizeof(*ep));
	memcpy(ep->ip, ip, 16);
	ep->ip_len = memcmp(ip, v4_prefix, 12) == 0 ? 4 : 16;
	ep->udp = udp;
	ep->tcp = tcp;
}

void discv4_node_from_kad(struct discv4_node *out, const struct kad_node *k)
{
	v4table_node_from_kad(out, k);
}

static uint64_t expiration(uint64_t now)
{
	return now / NS_PER_S + DISCV4_EXPIRATION_S;
}

static bool allowed(const struct discv4 *d, const uint8_t ip[16])
{
	return d->cfg.n_netrestrict == 0 ||
	       netutil_netlist_contains(d->netrestrict, d->cfg.n_netrestrict,
					ip);
}

static bool is_self(const struct discv4 *d, const uint8_t pub[64])
{
	return memcmp(pub, d->ln->pub, DISCV4_PUB_LEN) == 0;
}

static void seen_hook(struct discv4 *d, const struct discv4_node *n,
		      uint64_t now)
{
	if (d->cfg.on_node_seen)
		d->cfg.on_node_seen(d->cfg.hook_user, n, now);
}

/* ---- endpoint proofs (v4bond) --------------------------------------- */

bool discv4_is_bonded(const struct discv4 *d, const uint8_t pub[64],
		      const uint8_t ip[16], uint64_t now)
{
	return v4bond_proven(&d->bonds, pub, ip, now);
}

int discv4_enr_seq(const struct discv4 *d, const uint8_t pub[64],
		   const uint8_t ip[16], uint64_t *seq)
{
	const struct v4bond *b = v4bond_find(&d->bonds, pub, ip);

	if (!b || b->seq_state == V4BOND_SEQ_UNKNOWN)
		return -ENOENT;
	if (b->seq_state == V4BOND_SEQ_ABSENT)
		return -ENODATA;
	if (seq)
		*seq = b->enr_seq;
	return 0;
}

/* ---- sending ------------------------------------------------------- */

static ssize_t send_pkt(struct discv4 *d, const struct discv4_packet *p,
			const uint8_t ip[16], uint16_t port,
			uint8_t hash_out[DISCV4_HASH_LEN])
{
	uint8_t buf[DISCV4_MAX_LEN];
	ssize_t n;

	n = discv4_encode(buf, sizeof(buf), d->ln->priv, p);
	if (n < 0) {
		d->st.encode_errors++;
		return n;
	}
	if (hash_out)
		memcpy(hash_out, buf, DISCV4_HASH_LEN);
	d->st.tx[p->type]++;
	d->cfg.send(d->cfg.send_user, ip, port, buf, (size_t)n);
	return n;
}

static int send_ping(struct discv4 *d, const struct discv4_node *to,
		     uint64_t now, uint8_t hash[DISCV4_HASH_LEN])
{
	struct discv4_packet p;
	uint8_t ip[16];
	uint16_t udp, tcp;
	bool known;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PING;
	p.u.ping.version = DISCV4_VERSION;
	known = localnode_endpoint4(d->ln, ip, &udp, &tcp);
	ep_from(&p.u.ping.from, ip, udp, tcp);
	if (!known)
		p.u.ping.from.ip_len = 0;       /* geth: empty when unknown */
	ep_from(&p.u.ping.to, to->ep.ip, to->ep.udp, 0);
	p.u.ping.expiration = expiration(now);
	p.u.ping.has_enr_seq = true;
	p.u.ping.enr_seq = localnode_seq(d->ln);
	n = send_pkt(d, &p, to->ep.ip, to->ep.udp, hash);
	return n < 0 ? (int)n : 0;
}

static int send_findnode(struct discv4 *d, const struct discv4_node *to,
			 const uint8_t target[64], uint64_t now)
{
	struct discv4_packet p;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_FINDNODE;
	memcpy(p.u.findnode.target, target, 64);
	p.u.findnode.expiration = expiration(now);
	n = send_pkt(d, &p, to->ep.ip, to->ep.udp, NULL);
	return n < 0 ? (int)n : 0;
}

static int send_enrrequest(struct discv4 *d, const struct discv4_node *to,
			   uint64_t now, uint8_t hash[DISCV4_HASH_LEN])
{
	struct discv4_packet p;
	ssize_t n;

	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRREQUEST;
	p.u.enrrequest.expiration = expiration(now);
	n = send_pkt(d, &p, to->ep.ip, to->ep.udp, hash);
	return n < 0 ? (int)n : 0;
}

/* ---- pending requests ---------------------------------------------- */

/* Allocates a request to n awaiting rtype, if the caps admit it (a
 * refusal is counted by cap). The caller fills it and links it with
 * preq_link() once the packet is out. Returns NULL with *rc -ENOBUFS
 * (refused) or -ENOMEM. */
static struct preq *preq_new(struct discv4 *d, const struct discv4_node *n,
			     enum owner owner, enum kind kind, uint8_t rtype,
			     int *rc)
{
	bool unsolicited = owner == OWN_PINGBACK;
	struct preq *p;
	int why;

	why = v4pending_admit(&d->pend, n->id, n->ep.ip, rtype, unsolicited);
	if (why) {
		enum discv4_cap cap = DISCV4_CAP_PINGBACK;

		if (why == V4PENDING_FULL)
			cap = DISCV4_CAP_TOTAL;
		else if (why == V4PENDING_KEY_FULL)
			cap = DISCV4_CAP_PEER;
		d->st.pending_refused[cap]++;
		*rc = -ENOBUFS;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		*rc = -ENOMEM;
		return NULL;
	}
	memcpy(p->pe.pub, n->id, DISCV4_PUB_LEN);
	memcpy(p->pe.ip, n->ep.ip, 16);
	p->pe.rtype = rtype;
	p->pe.unsolicited = unsolicited;
	p->kind = (uint8_t)kind;
	p->owner = (uint8_t)owner;
	p->node = *n;
	*rc = 0;
	return p;
}

/* Links p before its packet goes out (a reply can then never beat it). */
static void preq_link(struct discv4 *d, struct preq *p, uint64_t now)
{
	v4pending_add(&d->pend, &p->pe, now + DISCV4_REPLY_TIMEOUT_NS);
	if (v4pending_count(&d->pend) > d->st.pending_max)
		d->st.pending_max = v4pending_count(&d->pend);
}

/* Unlinks and frees p when its packet did not go out (rc < 0). */
static int preq_sent(struct discv4 *d, struct preq *p, int rc)
{
	if (rc < 0) {
		v4pending_remove(&d->pend, &p->pe);
		free(p);
	}
	return rc;
}

static void preq_rearm(struct discv4 *d, struct preq *q, uint8_t rtype,
		       uint64_t now)
{
	v4pending_rearm(&d->pend, &q->pe, rtype, now + DISCV4_REPLY_TIMEOUT_NS);
}

static void findnode_track(struct discv4 *d, const struct preq *p, int err,
			   uint64_t now);

/* Unlinks and frees q, then runs its completion on a copy, so that
 * callbacks may add requests. */
static void preq_complete(struct discv4 *d, struct preq *q, int err,
			  uint64_t enr_seq, const struct enr *rec, uint64_t now)
{
	struct preq p = *q;

	v4pending_remove(&d->pend, &q->pe);
	free(q);
	switch (p.owner) {
	case OWN_USER:
		if (p.kind == PR_FINDNODE && err != -ECANCELED)
			findnode_track(d, &p, err, now);
		if (p.kind == PR_PING)
			p.cb.ping(p.arg, err, err ? 0 : enr_seq);
		else if (p.kind == PR_FINDNODE)
			p.cb.nodes(p.arg, err, p.nodes, err ? 0 : p.n_nodes);
		else
			p.cb.enr(p.arg, err, err ? NULL : rec);
		break;
	case OWN_LOOKUP:
		if (err != -ECANCELED)
			findnode_track(d, &p, err, now);
		v4table_lookup_result(&d->t, p.lk, p.nodes, err ? 0 : p.n_nodes,
				      err, now);
		break;
	case OWN_PINGBACK:
		/* geth handlePing: a pinger that also answered our Ping is
		 * verified and may enter the table. */
		if (err == 0)
			v4table_add(&d->t, &p.node, 0, KAD_ADD_INBOUND, now);
		break;
	case OWN_REVAL:
		if (err != -ECANCELED)  /* discv4_free(): send nothing */
			v4table_reval_done(&d->t, &p.node, err == 0, enr_seq,
					   now);
		break;
	case OWN_REVAL_ENR:
		if (err != -ECANCELED)
			v4table_reval_enr(&d->t, &p.node, err == 0 && rec,
					  rec ? rec->seq : 0, now);
		break;
	}
}

static int start_ping(struct discv4 *d, const struct discv4_node *n,
		      uint64_t now, enum owner owner, discv4_ping_fn *cb,
		      void *arg)
{
	int rc;
	struct preq *p = preq_new(d, n, owner, PR_PING, DISCV4_PONG, &rc);

	if (!p)
		return rc;
	p->cb.ping = cb;
	p->arg = arg;
	preq_link(d, p, now);
	return preq_sent(d, p, send_ping(d, n, now, p->hash));
}

/* geth ensureBond(): the remote answers FindNode only if it holds our
 * endpoint proof, which it gets by pinging us back after our Ping. If it
 * pinged us within bondExpiration (and our FindNodes were not failing),
 * assume it has the proof. */
static bool holds_our_proof(const struct discv4 *d, const uint8_t pub[64],
			    const uint8_t ip[16], uint64_t now)
{
	const struct v4bond *b = v4bond_find(&d->bonds, pub, ip);

	return v4bond_pinged(b, DISCV4_BOND_EXPIRATION_NS, now) &&
	       b->fails <= KAD_MAX_FINDNODE_FAILURES;
}

static int start_findnode(struct discv4 *d, const struct discv4_node *n,
			  const uint8_t target[64], uint64_t now,
			  enum owner owner, struct v4table_lookup *lk,
			  discv4_nodes_fn *cb, void *arg)
{
	bool bonded = holds_our_proof(d, n->id, n->ep.ip, now);
	int rc;
	struct preq *p = preq_new(d, n, owner, PR_FINDNODE,
				  bonded ? DISCV4_NEIGHBORS : DISCV4_PONG, &rc);

	if (!p)
		return rc;
	memcpy(p->target, target, 64);
	p->lk = lk;
	p->cb.nodes = cb;
	p->arg = arg;
	p->state = bonded ? FN_SENT : FN_PINGING;
	preq_link(d, p, now);
	rc = bonded ? send_findnode(d, n, target, now) :
		      send_ping(d, n, now, p->hash);
	return preq_sent(d, p, rc);
}

static int start_enr(struct discv4 *d, const struct discv4_node *n,
		     uint64_t now, enum owner owner, discv4_enr_fn *cb,
		     void *arg)
{
	int rc;
	struct preq *p = preq_new(d, n, owner, PR_ENR, DISCV4_ENRRESPONSE,
				  &rc);

	if (!p)
		return rc;
	p->cb.enr = cb;
	p->arg = arg;
	preq_link(d, p, now);
	return preq_sent(d, p, send_enrrequest(d, n, now, p->hash));
}

static int check_target(const struct discv4 *d, const struct discv4_node *n)
{
	if (n->ep.udp == 0 || is_self(d, n->id))
		return -EINVAL;
	if (!allowed(d, n->ep.ip))
		return -EACCES;
	return 0;
}

int discv4_ping(struct discv4 *d, const struct discv4_node *n, uint64_t now,
		discv4_ping_fn *cb, void *arg)
{
	int rc = check_target(d, n);

	if (rc < 0 || !cb)
		return rc < 0 ? rc : -EINVAL;
	return start_ping(d, n, now, OWN_USER, cb, arg);
}

int discv4_findnode(struct discv4 *d, const struct discv4_node *n,
		    const uint8_t target[DISCV4_PUB_LEN], uint64_t now,
		    discv4_nodes_fn *cb, void *arg)
{
	int rc = check_target(d, n);

	if (rc < 0 || !cb)
		return rc < 0 ? rc : -EINVAL;
	return start_findnode(d, n, target, now, OWN_USER, NULL, cb, arg);
}

int discv4_request_enr(struct discv4 *d, const struct discv4_node *n,
		       uint64_t now, discv4_enr_fn *cb, void *arg)
{
	int rc = check_target(d, n);

	if (rc < 0 || !cb)
		return rc < 0 ? rc : -EINVAL;
	return start_enr(d, n, now, OWN_USER, cb, arg);
}

/* ---- the table's transport (struct v4table_ops) --------------------- */

static int op_ping(void *user, const struct discv4_node *n, uint64_t now)
{
	return start_ping(user, n, now, OWN_REVAL, NULL, NULL);
}

static int op_findnode(void *user, const struct discv4_node *n,
		       const uint8_t target[DISCV4_PUB_LEN],
		       struct v4table_lookup *lk, uint64_t now)
{
	struct discv4 *d = user;

	if (!allowed(d, n->ep.ip))
		return -EACCES;
	return start_findnode(d, n, target, now, OWN_LOOKUP, lk, NULL, NULL);
}

static int op_request_enr(void *user, const struct discv4_node *n,
			  uint64_t now)
{
	return start_enr(user, n, now, OWN_REVAL_ENR, NULL, NULL);
}

static void op_seen(void *user, const struct discv4_node *n, uint64_t now)
{
	seen_hook(user, n, now);
}

static const struct v4table_ops table_ops = {
	.ping = op_ping,
	.findnode = op_findnode,
	.request_enr = op_request_enr,
	.seen = op_seen,
};

/* geth trackRequest + db.UpdateFindFails: repeated silence drops the node
 * from the table and makes the next FindNode re-bond first. */
static void findnode_track(struct discv4 *d, const struct preq *p, int err,
			   uint64_t now)
{
	struct v4bond *b = v4bond_get(&d->bonds, p->node.id, p->node.ep.ip,
				      now);

	if (b)
		b->fails = err ? (uint8_t)(b->fails < 255 ? b->fails + 1 : 255)
			       : 0;
	(void)kad_findnode_done(&d->t.tab, p->node.id, err == 0, now);
}

int discv4_lookup(struct discv4 *d, const uint8_t target[DISCV4_PUB_LEN],
		  uint64_t now, discv4_nodes_fn *cb, void *arg)
{
	if (!cb)
		return -EINVAL;
	return v4table_lookup(&d->t, target, now, cb, arg);
}

void discv4_refresh(struct discv4 *d, uint64_t now)
{
	v4table_refresh(&d->t, now);
}

/* ---- packet handlers ----------------------------------------------- */

/* Copies to out the requests awaiting rtype from (pub, ip), newest first:
 * at most DISCV4_PENDING_PEER_MAX by the per-key cap (rearmed entries may
 * go past it; the rest wait for the next reply). Handlers work on the
 * copy, since completions and rearms relink the index. */
static unsigned collect(const struct discv4 *d,
			struct preq *out[DISCV4_PENDING_PEER_MAX],
			const uint8_t pub[64], const uint8_t ip[16],
			uint8_t rtype)
{
	struct v4pending_entry *e;
	unsigned n = 0;

	for (e = v4pending_first(&d->pend, pub, ip, rtype);
	     e && n < DISCV4_PENDING_PEER_MAX; e = v4pending_next(e))
		out[n++] = (struct preq *)e;
	return n;
}

static bool pingback_pending(const struct discv4 *d,
			     const struct discv4_node *n)
{
	const struct v4pending_entry *e;

	for (e = v4pending_first(&d->pend, n->id, n->ep.ip, DISCV4_PONG); e;
	     e = v4pending_next(e))
		if (((const struct preq *)e)->owner == OWN_PINGBACK)
			return true;
	return false;
}

static void handle_ping(struct discv4 *d, const struct msg_discv4_rx *m,
			const struct discv4_ping *ping, uint16_t port,
			uint64_t now)
{
	struct preq *waiting[DISCV4_PENDING_PEER_MAX];
	struct discv4_packet p;
	struct discv4_node n;
	struct v4bond *b;
	unsigned nq;

	/* discv4 §Pong: `to` mirrors the UDP envelope the Ping came in. */
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_PONG;
	ep_from(&p.u.pong.to, m->src_addr, port, ping->from.tcp);
	memcpy(p.u.pong.ping_hash, m->hash, DISCV4_HASH_LEN);
	p.u.pong.expiration = expiration(now);
	p.u.pong.has_enr_seq = true;
	p.u.pong.enr_seq = localnode_seq(d->ln);
	(void)send_pkt(d, &p, m->src_addr, port, NULL);

	memset(&n, 0, sizeof(n));
	ep_from(&n.ep, m->src_addr, port, ping->from.tcp);
	memcpy(n.id, m->node_id, DISCV4_PUB_LEN);
	b = v4bond_get(&d->bonds, n.id, n.ep.ip, now);
	if (b)
		b->ping_rx = now;
	v4bond_note_seq(b, ping->has_enr_seq, ping->enr_seq);
	seen_hook(d, &n, now);
	if (discv4_is_bonded(d, n.id, n.ep.ip, now)) {
		v4table_add(&d->t, &n, ping->has_enr_seq ? ping->enr_seq : 0,
			    KAD_ADD_INBOUND, now);
	} else if (!pingback_pending(d, &n)) {
		/* Ping-back: prove their endpoint before they go in the
		 * table or get anything bigger than a Pong from us. Capped:
		 * anyone can send Pings from fresh keys. */
		(void)start_ping(d, &n, now, OWN_PINGBACK, NULL, NULL);
	}
	/* FindNodes waiting for this ping-back can go now. */
	nq = collect(d, waiting, n.id, n.ep.ip, DISCV4_PING);
	for (unsigned i = 0; i < nq; i++) {
		waiting[i]->state = FN_SENT;
		preq_rearm(d, waiting[i], DISCV4_NEIGHBORS, now);
		(void)send_findnode(d, &waiting[i]->node, waiting[i]->target,
				    now);
	}
}

static int handle_pong(struct discv4 *d, const struct msg_discv4_rx *m,
		       const struct discv4_pong *pong, uint64_t now)
{
	struct preq *q[DISCV4_PENDING_PEER_MAX];
	uint64_t seq = pong->has_enr_seq ? pong->enr_seq : 0;
	unsigned nq, k = 0;
	struct v4bond *b;

	/* geth matches replies by sender id and IP (not port), then the
	 * ping-hash. Identical Pings (same second, same target) share a
	 * hash: one Pong answers all of them. */
	nq = collect(d, q, m->node_id, m->src_addr, DISCV4_PONG);
	for (unsigned i = 0; i < nq; i++)
		if (ct_memeq(q[i]->hash, pong->ping_hash, DISCV4_HASH_LEN))
			q[k++] = q[i];
	if (k == 0)
		return -ENOENT;
	/* Endpoint proof first, so completions see it. */
	b = v4bond_get(&d->bonds, m->node_id, m->src_addr, now);
	if (b)
		b->pong_rx = now;
	v4bond_note_seq(b, pong->has_enr_seq, pong->enr_seq);
	d->st.bonds++;
	localnode_statement(d->ln, m->src_addr, pong->to.ip, pong->to.udp, now);
	(void)localnode_update(d->ln, now);
	if (d->cfg.on_bond) {
		struct discv4_node bn = q[0]->node;

		d->cfg.on_bond(d->cfg.hook_user, &bn, now);
	}
	for (unsigned i = 0; i < k; i++) {
		if (q[i]->kind != PR_FINDNODE) {
			preq_complete(d, q[i], 0, seq, NULL, now);
			continue;
		}
		if (holds_our_proof(d, m->node_id, m->src_addr, now)) {
			/* Their ping-back already came. */
			q[i]->state = FN_SENT;
			preq_rearm(d, q[i], DISCV4_NEIGHBORS, now);
			(void)send_findnode(d, &q[i]->node, q[i]->target, now);
		} else {
			q[i]->state = FN_WAIT_PINGBACK;
			preq_rearm(d, q[i], DISCV4_PING, now);
		}
	}
	return 0;
}

static void handle_findnode(struct discv4 *d, const struct msg_discv4_rx *m,
			    const struct discv4_findnode *fn, uint16_t port,
			    uint64_t now)
{
	const struct kad_node *close[DISCV4_MAX_RESULTS];
	struct discv4_node out[DISCV4_MAX_RESULTS];
	uint8_t tid[KAD_ID_LEN], buf[DISCV4_MAX_LEN];
	unsigned max = discv4_neighbors_max(), n = 0, sent = 0;
	uint64_t exp = expiration(now);
	size_t nc;

	kad_node_id(tid, fn->target);
	nc = kad_closest(&d->t.tab, close, DISCV4_MAX_RESULTS, tid, true);
	for (size_t i = 0; i < nc; i++) {
		/* Never hand LAN/loopback addresses to a WAN asker. */
		if (netutil_check_relay(m->src_addr, close[i]->ip) !=
		    NETUTIL_RELAY_OK)
			continue;
		discv4_node_from_kad(&out[n++], close[i]);
	}
	/* geth: at least one packet, even when empty; at most 12 nodes per
	 * packet so every packet stays <= 1280 bytes. */
	do {
		unsigned k = n - sent < max ? n - sent : max;
		ssize_t len;

		len = discv4_encode_neighbors(buf, sizeof(buf), d->ln->priv,
					      out + sent, k, exp);
		if (len < 0) {
			d->st.encode_errors++;
			return;
		}
		d->st.tx[DISCV4_NEIGHBORS]++;
		d->cfg.send(d->cfg.send_user, m->src_addr, port, buf,
			    (size_t)len);
		sent += k;
	} while (sent < n);
}

static bool relay_ok(struct discv4 *d, const struct msg_discv4_rx *m,
		     const struct discv4_node *n)
{
	/* geth nodeFromRPC + CheckRelayIP. */
	if (n->ep.udp <= DISCV4_MIN_RELAY_PORT)
		return false;
	if (n->ep.ip_len != 4 && n->ep.ip_len != 16)
		return false;
	if (netutil_check_relay(m->src_addr, n->ep.ip) != NETUTIL_RELAY_OK)
		return false;
	if (!allowed(d, n->ep.ip))
		return false;
	return secp_pub_check(n->id);
}

static int handle_neighbors(struct discv4 *d, const struct msg_discv4_rx *m,
			    const struct discv4_neighbors *nb, uint64_t now)
{
	/* One reply feeds one request: the newest FindNode to the sender. */
	struct preq *q = (struct preq *)v4pending_first(&d->pend, m->node_id,
							m->src_addr,
							DISCV4_NEIGHBORS);

	if (!q)
		return -ENOENT;
	q->got_reply = true;
	for (unsigned j = 0; j < nb->n; j++) {
		const struct discv4_node *n = &nb->nodes[j];
		bool dup = false;

		q->n_received++;
		if (!relay_ok(d, m, n)) {
			d->st.nodes_rejected++;
			continue;
		}
		for (unsigned k = 0; k < q->n_nodes; k++)
			if (!memcmp(q->nodes[k].id, n->id, 64))
				dup = true;
		if (!dup && q->n_nodes < DISCV4_MAX_RESULTS)
			q->nodes[q->n_nodes++] = *n;
	}
	if (q->n_received >= DISCV4_MAX_RESULTS)
		preq_complete(d, q, 0, 0, NULL, now);
	return 0;
}

static void handle_enrrequest(struct discv4 *d, const struct msg_discv4_rx *m,
			      uint16_t port)
{
	const struct enr *rec = localnode_record(d->ln);
	struct discv4_packet p;
	ssize_t n;

	if (!rec)
		return;
	memset(&p, 0, sizeof(p));
	p.type = DISCV4_ENRRESPONSE;
	memcpy(p.u.enrresponse.request_hash, m->hash, DISCV4_HASH_LEN);
	n = enr_encode(p.u.enrresponse.enr, sizeof(p.u.enrresponse.enr), rec);
	if (n < 0) {
		d->st.encode_errors++;
		return;
	}
	p.u.enrresponse.enr_len = (uint16_t)n;
	(void)send_pkt(d, &p, m->src_addr, port, NULL);
}

static int handle_enrresponse(struct discv4 *d, const struct msg_discv4_rx *m,
			      const struct discv4_enrresponse *r, uint64_t now)
{
	struct v4pending_entry *e;

	e = v4pending_first(&d->pend, m->node_id, m->src_addr,
			    DISCV4_ENRRESPONSE);
	for (; e; e = v4pending_next(e)) {
		struct preq *q = (struct preq *)e;
		struct enr rec;
		uint8_t pub[64];
		int err;

		if (!ct_memeq(q->hash, r->request_hash, DISCV4_HASH_LEN))
			continue;
		if (enr_decode(&rec, r->enr, r->enr_len) < 0)
			err = -EBADMSG;
		else if (enr_verify(&rec) < 0 || enr_pubkey(pub, &rec) < 0 ||
			 memcmp(pub, q->node.id, 64) != 0)
			err = -EKEYREJECTED;
		else
			err = 0;
		preq_complete(d, q, err, err ? 0 : rec.seq, &rec, now);
		return 0;
	}
	return -ENOENT;
}

static int drop(struct discv4 *d, enum discv4_drop why, int err)
{
	d->st.drop[why]++;
	return err;
}

int discv4_on_packet(struct discv4 *d, const struct msg_discv4_rx *m,
		     uint64_t now)
{
	uint8_t buf[DISCV4_MAX_LEN];
	struct discv4_packet pkt;
	uint16_t port = (uint16_t)((m->src_port_be & 0xff) << 8 |
				   m->src_port_be >> 8);
	uint64_t exp;
	ssize_t n;
	int rc = 0;

	if (!allowed(d, m->src_addr))
		return drop(d, DISCV4_DROP_NETRESTRICT, -EACCES);
	if (is_self(d, m->node_id))
		return drop(d, DISCV4_DROP_SELF, -EINVAL);
	if (m->data_len > DISCV4_MAX_LEN - DISCV4_HEAD_LEN - 1)
		return drop(d, DISCV4_DROP_BAD, -EBADMSG);
	/* discv4_decode() wants the whole datagram; the header is not
	 * needed (the dataplane checked it), so put zeros there. */
	memset(buf, 0, DISCV4_HEAD_LEN);
	buf[DISCV4_HEAD_LEN] = m->ptype;
	memcpy(buf + DISCV4_HEAD_LEN + 1, m->data, m->data_len);
	n = discv4_decode(&pkt, buf, DISCV4_HEAD_LEN + 1 + (size_t)m->data_len);
	if (n < 0)
		return drop(d, DISCV4_DROP_BAD, -EBADMSG);

	if (discv4_expiration(&pkt, &exp) && discv4_expired(exp, now))
		return drop(d, DISCV4_DROP_EXPIRED, -ETIMEDOUT);

	switch (pkt.type) {
	case DISCV4_PING:
		handle_ping(d, m, &pkt.u.ping, port, now);
		break;
	case DISCV4_PONG:
		rc = handle_pong(d, m, &pkt.u.pong, now);
		break;
	case DISCV4_FINDNODE:
		if (!discv4_is_bonded(d, m->node_id, m->src_addr, now))
			return drop(d, DISCV4_DROP_UNBONDED, -EACCES);
		handle_findnode(d, m, &pkt.u.findnode, port, now);
		break;
	case DISCV4_NEIGHBORS:
		rc = handle_neighbors(d, m, &pkt.u.neighbors, now);
		break;
	case DISCV4_ENRREQUEST:
		if (!discv4_is_bonded(d, m->node_id, m->src_addr, now))
			return drop(d, DISCV4_DROP_UNBONDED, -EACCES);
		handle_enrrequest(d, m, port);
		break;
	default:
		rc = handle_enrresponse(d, m, &pkt.u.enrresponse, now);
		break;
	}
	if (rc == -ENOENT)
		return drop(d, DISCV4_DROP_UNSOLICITED, rc);
	d->st.rx[pkt.type]++;
	return 0;
}

/* ---- timers -------------------------------------------------------- */

void discv4_on_timer(struct discv4 *d, uint64_t now)
{
	struct v4pending_entry *e;

	/* Earliest first; an entry whose deadline is far ahead was armed
	 * before the clock went back (geth errClockWarp): due now. Entries
	 * that completions add are due only later, so this ends. */
	while ((e = v4pending_due(&d->pend, now,
				  2 * DISCV4_REPLY_TIMEOUT_NS)) != NULL) {
		struct preq *q = (struct preq *)e;

		if (q->kind == PR_FINDNODE && q->state == FN_WAIT_PINGBACK) {
			/* geth waits respTimeout for the ping-back, then
			 * asks anyway. */
			q->state = FN_SENT;
			preq_rearm(d, q, DISCV4_NEIGHBORS, now);
			(void)send_findnode(d, &q->node, q->target, now);
			continue;
		}
		preq_complete(d, q, (q->kind == PR_FINDNODE && q->got_reply) ?
					    0 : -ETIMEDOUT,
			      0, NULL, now);
	}
	v4table_on_timer(&d->t, now);
}

uint64_t discv4_next_deadline(const struct discv4 *d)
{
	uint64_t t = v4table_deadline(&d->t);

	if (v4pending_deadline(&d->pend) < t)
		t = v4pending_deadline(&d->pend);
	return t;
}

/* ---- lifetime and accessors ---------------------------------------- */

/* A hash-table key from the engine's seed (splitmix64; which says which
 * table), so that the index keys differ from the kad PRNG stream. */
static void hash_key(uint8_t key[SIPHASH_KEY_LEN], uint64_t seed,
		     uint64_t which)
{
	uint64_t x = seed ^ (which * 0x9e3779b97f4a7c15ull);

	for (int i = 0; i < SIPHASH_KEY_LEN; i += 8) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		memcpy(key + i, &z, 8);
	}
}

int discv4_new(struct discv4 **out, const struct discv4_config *cfg,
	       uint64_t now)
{
	uint8_t key[SIPHASH_KEY_LEN];
	struct discv4 *d;
	int rc;

	if (!cfg->ln || !cfg->send)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->ln = cfg->ln;
	if (cfg->n_netrestrict) {
		d->netrestrict = calloc(cfg->n_netrestrict,
					sizeof(*d->netrestrict));
		if (!d->netrestrict) {
			free(d);
			return -ENOMEM;
		}
		memcpy(d->netrestrict, cfg->netrestrict,
		       cfg->n_netrestrict * sizeof(*d->netrestrict));
	}
	d->cfg.netrestrict = d->netrestrict;
	rc = localnode_update(d->ln, now);
	if (rc < 0) {
		free(d->netrestrict);
		free(d);
		return rc;
	}
	hash_key(key, cfg->seed, 1);
	v4bond_init(&d->bonds, key, DISCV4_BOND_EXPIRATION_NS,
		    DISCV4_BONDS_MAX);
	hash_key(key, cfg->seed, 2);
	rc = v4pending_init(&d->pend, key, DISCV4_PENDING_MAX,
			    DISCV4_PINGBACKS_MAX, DISCV4_PENDING_PEER_MAX);
	explicit_bzero(key, sizeof(key));
	if (rc < 0) {
		free(d->netrestrict);
		free(d);
		return rc;
	}
	v4table_init(&d->t, d->ln->pub, cfg->seed, cfg->ping_interval_ns,
		     cfg->no_refresh, &table_ops, d, now);
	d->t.stat_lookups = &d->st.lookups;
	d->t.stat_lookups_done = &d->st.lookups_done;
	*out = d;
	return 0;
}

void discv4_free(struct discv4 *d)
{
	if (!d)
		return;
	while (v4pending_oldest(&d->pend))
		preq_complete(d, (struct preq *)v4pending_oldest(&d->pend),
			      -ECANCELED, 0, NULL, 0);
	v4table_fini(&d->t);
	v4pending_fini(&d->pend);
	v4bond_fini(&d->bonds);
	free(d->netrestrict);
	free(d);
}

int discv4_add_bootnode(struct discv4 *d, const struct discv4_node *n)
{
	if (n->ep.udp == 0 || !secp_pub_check(n->id) || is_self(d, n->id))
		return -EINVAL;
	return v4table_add_bootnode(&d->t, n);
}

const struct kad_table *discv4_table(const struct discv4 *d)
{
	return &d->t.tab;
}

size_t discv4_table_size(const struct discv4 *d)
{
	return kad_len(&d->t.tab);
}

const struct discv4_stats *discv4_stats(const struct discv4 *d)
{
	return &d->st;
}

size_t discv4_pending(const struct discv4 *d)
{
	return v4pending_count(&d->pend);
}
