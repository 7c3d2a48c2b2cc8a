/* SPDX-License-Identifier: MIT */
/* control/discv4/discv4.c - sans-I/O discovery v4 engine (discv4.md, EIP-8, EIP-868). */
#include "control/discv4/discv4.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/ct.h"
#include "common/keccak.h"
#include "common/secp.h"

#define NS_PER_S 1000000000ull

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

struct preq {
	uint8_t kind;           /* enum kind */
	uint8_t owner;          /* enum owner */
	uint8_t state;          /* enum fn_state (findnode only) */
	bool got_reply;         /* a Neighbors packet arrived */
	struct discv4_node node;
	uint8_t hash[DISCV4_HASH_LEN];  /* Ping or ENRRequest packet hash */
	uint8_t target[DISCV4_PUB_LEN];
	uint64_t deadline;
	union {
		discv4_ping_fn *ping;
		discv4_nodes_fn *nodes;
		discv4_enr_fn *enr;
	} cb;
	void *arg;
	struct lookup *lk;
	unsigned n_received;    /* nodes in Neighbors, valid or not */
	unsigned n_nodes;
	struct discv4_node nodes[DISCV4_MAX_RESULTS];
};

struct lk_entry {
	struct discv4_node n;
	uint8_t id[KAD_ID_LEN];
	bool asked;
};

struct lookup {
	struct lookup *next;
	uint8_t target_id[KAD_ID_LEN];
	uint8_t target[DISCV4_PUB_LEN];
	unsigned n_res, inflight;
	struct lk_entry res[DISCV4_MAX_RESULTS];
	uint8_t (*seen)[KAD_ID_LEN];
	size_t n_seen, cap_seen;
	bool refresh;           /* part of a refresh run */
	discv4_nodes_fn *cb;
	void *arg;
};

enum { SLOT_EMPTY = 0, SLOT_USED, SLOT_TOMB };

/* Endpoint proof and request history per (node id, IP): geth's node
 * database fields lastPingReceived, lastPongReceived and findfails. */
enum { SEQ_UNKNOWN = 0, SEQ_ABSENT, SEQ_PRESENT };   /* bond.seq_state */

struct bond {
	uint8_t state;
	uint8_t fails;
	uint8_t seq_state;      /* EIP-868: did their last Ping/Pong carry
				 * an enr-seq (SEQ_*) */
	uint8_t ip[16];
	uint8_t pub[DISCV4_PUB_LEN];
	uint64_t pong_rx;       /* their valid Pong to our Ping: we may answer */
	uint64_t ping_rx;       /* their Ping: they likely hold our proof */
	uint64_t enr_seq;       /* with SEQ_PRESENT */
};

struct discv4 {
	struct discv4_config cfg;
	struct localnode *ln;
	struct netutil_prefix *netrestrict;
	struct discv4_stats st;
	struct kad_table tab;

	struct preq *pend;
	size_t n_pend, cap_pend;

	struct bond *bonds;
	size_t cap_bonds, n_bonds_used, n_bonds_tomb;

	struct lookup *lookups;

	struct discv4_node *boot;
	size_t n_boot;

	uint64_t reval_deadline;
	uint64_t refresh_at;    /* next refresh; UINT64_MAX: none planned */
	unsigned refresh_left;  /* random lookups still to run in this refresh */
	uint64_t small_retry;   /* next early refresh gap (table < k) */
	bool refreshing;
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
	ep_from(&out->ep, k->ip, k->udp_port, k->tcp_port);
	memcpy(out->id, k->pub, DISCV4_PUB_LEN);
}

static void info_from(struct kad_node_info *i, const struct discv4_node *n,
		      uint64_t enr_seq)
{
	memset(i, 0, sizeof(*i));
	memcpy(i->pub, n->id, DISCV4_PUB_LEN);
	memcpy(i->ip, n->ep.ip, 16);
	i->udp_port = n->ep.udp;
	i->tcp_port = n->ep.tcp;
	i->enr_seq = enr_seq;
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

/* ---- bond records (open addressing, tombstones, rebuilt on growth) -- */

static size_t bond_hash(const uint8_t pub[64], const uint8_t ip[16])
{
	uint64_t h = 1469598103934665603ull;

	/* The key is attacker-chosen but costly to grind (a secp256k1 key
	 * per id), and probing is bounded by the load factor. */
	for (int i = 0; i < 8; i++)
		h = (h ^ pub[i]) * 1099511628211ull;
	for (int i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

static struct bond *bond_find(const struct discv4 *d, const uint8_t pub[64],
			      const uint8_t ip[16])
{
	size_t mask = d->cap_bonds - 1, i;

	if (!d->bonds)
		return NULL;
	for (i = bond_hash(pub, ip) & mask;; i = (i + 1) & mask) {
		struct bond *b = &d->bonds[i];

		if (b->state == SLOT_EMPTY)
			return NULL;
		if (b->state == SLOT_USED && memcmp(b->ip, ip, 16) == 0 &&
		    memcmp(b->pub, pub, 64) == 0)
			return b;
	}
}

static bool bond_stale(const struct bond *b, uint64_t now)
{
	return b->pong_rx + DISCV4_BOND_EXPIRATION_NS < now &&
	       b->ping_rx + DISCV4_BOND_EXPIRATION_NS < now;
}

static int bond_rebuild(struct discv4 *d, size_t cap, uint64_t now,
			bool evict_unbonded)
{
	struct bond *nb = calloc(cap, sizeof(*nb)), *old = d->bonds;
	size_t oldcap = d->cap_bonds, used = 0;

	if (!nb)
		return -ENOMEM;
	for (size_t i = 0; i < oldcap; i++) {
		struct bond *b = &old[i];
		size_t j;

		if (b->state != SLOT_USED || bond_stale(b, now))
			continue;
		if (evict_unbonded &&
		    b->pong_rx + DISCV4_BOND_EXPIRATION_NS < now)
			continue;
		for (j = bond_hash(b->pub, b->ip) & (cap - 1);
		     nb[j].state != SLOT_EMPTY; j = (j + 1) & (cap - 1))
			;
		nb[j] = *b;
		used++;
	}
	free(old);
	d->bonds = nb;
	d->cap_bonds = cap;
	d->n_bonds_used = used;
	d->n_bonds_tomb = 0;
	return 0;
}

/* Returns the record for (pub, ip), creating it; NULL only on ENOMEM. */
static struct bond *bond_get(struct discv4 *d, const uint8_t pub[64],
			     const uint8_t ip[16], uint64_t now)
{
	struct bond *b = bond_find(d, pub, ip);
	size_t mask, i;

	if (b)
		return b;
	if (!d->bonds || (d->n_bonds_used + d->n_bonds_tomb + 1) * 4 >
				 d->cap_bonds * 3) {
		size_t cap = d->bonds ? d->cap_bonds : 64;

		if (d->bonds && (d->n_bonds_used + 1) * 2 > d->cap_bonds)
			cap *= 2;
		if (cap > 2 * (size_t)DISCV4_BONDS_MAX) {
			/* Full: keep only live proofs. */
			cap = 2 * (size_t)DISCV4_BONDS_MAX;
			if (bond_rebuild(d, cap, now, true) < 0)
				return NULL;
			if ((d->n_bonds_used + 1) * 4 > cap * 3)
				return NULL;
		} else if (bond_rebuild(d, cap, now, false) < 0) {
			return NULL;
		}
	}
	mask = d->cap_bonds - 1;
	for (i = bond_hash(pub, ip) & mask; d->bonds[i].state == SLOT_USED;
	     i = (i + 1) & mask)
		;
	b = &d->bonds[i];
	if (b->state == SLOT_TOMB)
		d->n_bonds_tomb--;
	memset(b, 0, sizeof(*b));
	b->state = SLOT_USED;
	memcpy(b->pub, pub, 64);
	memcpy(b->ip, ip, 16);
	d->n_bonds_used++;
	return b;
}

bool discv4_is_bonded(const struct discv4 *d, const uint8_t pub[64],
		      const uint8_t ip[16], uint64_t now)
{
	const struct bond *b = bond_find(d, pub, ip);

	return b && b->pong_rx && b->pong_rx + DISCV4_BOND_EXPIRATION_NS >= now;
}

/* EIP-868: an implementation that knows ENRRequest says so by putting its
 * record's seq in every Ping and Pong; the latest packet counts. */
static void bond_note_seq(struct bond *b, bool has_seq, uint64_t seq)
{
	if (!b)
		return;
	b->seq_state = has_seq ? SEQ_PRESENT : SEQ_ABSENT;
	b->enr_seq = has_seq ? seq : 0;
}

int discv4_enr_seq(const struct discv4 *d, const uint8_t pub[64],
		   const uint8_t ip[16], uint64_t *seq)
{
	const struct bond *b = bond_find(d, pub, ip);

	if (!b || b->seq_state == SEQ_UNKNOWN)
		return -ENOENT;
	if (b->seq_state == SEQ_ABSENT)
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

static struct preq *preq_new(struct discv4 *d)
{
	struct preq *p;

	if (d->n_pend == d->cap_pend) {
		size_t cap = d->cap_pend ? d->cap_pend * 2 : 8;
		struct preq *np = realloc(d->pend, cap * sizeof(*np));

		if (!np)
			return NULL;
		d->pend = np;
		d->cap_pend = cap;
	}
	p = &d->pend[d->n_pend++];
	memset(p, 0, sizeof(*p));
	return p;
}

static void lookup_on_result(struct discv4 *d, struct lookup *lk,
			     const struct preq *p, int err, uint64_t now);
static void findnode_track(struct discv4 *d, const struct preq *p, int err,
			   uint64_t now);
static void pingback_done(struct discv4 *d, const struct preq *p, int err,
			  uint64_t now);
static void reval_done(struct discv4 *d, const struct preq *p, int err,
		       uint64_t enr_seq, const struct enr *rec, uint64_t now);

/* Removes pend[i] and runs its completion. The entry is copied out first
 * so that callbacks may add requests (and move the array). */
static void preq_complete(struct discv4 *d, size_t i, int err,
			  uint64_t enr_seq, const struct enr *rec, uint64_t now)
{
	struct preq p = d->pend[i];

	d->pend[i] = d->pend[--d->n_pend];
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
		lookup_on_result(d, p.lk, &p, err, now);
		break;
	case OWN_PINGBACK:
		pingback_done(d, &p, err, now);
		break;
	case OWN_REVAL:
	case OWN_REVAL_ENR:
		reval_done(d, &p, err, enr_seq, rec, now);
		break;
	}
}

static int start_ping(struct discv4 *d, const struct discv4_node *n,
		      uint64_t now, enum owner owner, discv4_ping_fn *cb,
		      void *arg)
{
	struct preq *p = preq_new(d);
	int rc;

	if (!p)
		return -ENOMEM;
	p->kind = PR_PING;
	p->owner = (uint8_t)owner;
	p->node = *n;
	p->deadline = now + DISCV4_REPLY_TIMEOUT_NS;
	p->cb.ping = cb;
	p->arg = arg;
	rc = send_ping(d, n, now, p->hash);
	if (rc < 0)
		d->n_pend--;    /* p is the last entry */
	return rc;
}

/* geth ensureBond(): the remote answers FindNode only if it holds our
 * endpoint proof, which it gets by pinging us back after our Ping. If it
 * pinged us within bondExpiration (and our FindNodes were not failing),
 * assume it has the proof. */
static bool needs_bond(const struct discv4 *d, const struct discv4_node *n,
		       uint64_t now)
{
	const struct bond *b = bond_find(d, n->id, n->ep.ip);

	return !b || !b->ping_rx ||
	       b->ping_rx + DISCV4_BOND_EXPIRATION_NS < now ||
	       b->fails > KAD_MAX_FINDNODE_FAILURES;
}

static int start_findnode(struct discv4 *d, const struct discv4_node *n,
			  const uint8_t target[64], uint64_t now,
			  enum owner owner, struct lookup *lk,
			  discv4_nodes_fn *cb, void *arg)
{
	struct preq *p = preq_new(d);
	int rc;

	if (!p)
		return -ENOMEM;
	p->kind = PR_FINDNODE;
	p->owner = (uint8_t)owner;
	p->node = *n;
	memcpy(p->target, target, 64);
	p->lk = lk;
	p->cb.nodes = cb;
	p->arg = arg;
	p->deadline = now + DISCV4_REPLY_TIMEOUT_NS;
	if (needs_bond(d, n, now)) {
		p->state = FN_PINGING;
		rc = send_ping(d, n, now, p->hash);
	} else {
		p->state = FN_SENT;
		rc = send_findnode(d, n, target, now);
	}
	if (rc < 0)
		d->n_pend--;
	return rc;
}

static int start_enr(struct discv4 *d, const struct discv4_node *n,
		     uint64_t now, enum owner owner, discv4_enr_fn *cb,
		     void *arg)
{
	struct preq *p = preq_new(d);
	int rc;

	if (!p)
		return -ENOMEM;
	p->kind = PR_ENR;
	p->owner = (uint8_t)owner;
	p->node = *n;
	p->deadline = now + DISCV4_REPLY_TIMEOUT_NS;
	p->cb.enr = cb;
	p->arg = arg;
	rc = send_enrrequest(d, n, now, p->hash);
	if (rc < 0)
		d->n_pend--;
	return rc;
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

/* ---- table maintenance --------------------------------------------- */

static void table_add(struct discv4 *d, const struct discv4_node *n,
		      uint64_t enr_seq, unsigned flags, uint64_t now)
{
	struct kad_node_info info;

	info_from(&info, n, enr_seq);
	switch (kad_add(&d->tab, &info, flags, now)) {
	case KAD_ADDED:
	case KAD_UPDATED:
		/* New work for the revalidation schedule. */
		if (d->reval_deadline > now)
			d->reval_deadline = now;
		break;
	default:
		break;
	}
}

static void pingback_done(struct discv4 *d, const struct preq *p, int err,
			  uint64_t now)
{
	/* geth handlePing: a pinger that also answered our Ping is verified
	 * and may enter the table. */
	if (err == 0)
		table_add(d, &p->node, 0, KAD_ADD_INBOUND, now);
}

static void reval_enr_cb(void *arg, int err, const struct enr *rec)
{
	(void)arg;
	(void)err;
	(void)rec;
}

static void reval_done(struct discv4 *d, const struct preq *p, int err,
		       uint64_t enr_seq, const struct enr *rec, uint64_t now)
{
	int rc;

	if (err == -ECANCELED)
		return;         /* discv4_free(): send nothing */
	if (p->owner == OWN_REVAL_ENR) {
		/* kad: after KAD_REVAL_LIVE_NEW_ENR, re-add with the new seq. */
		if (err == 0 && rec)
			table_add(d, &p->node, rec->seq, 0, now);
		return;
	}
	rc = kad_revalidation_done(&d->tab, p->node.id, err == 0, enr_seq,
				   now);
	if (rc == KAD_REVAL_LIVE_NEW_ENR)
		(void)start_enr(d, &p->node, now, OWN_REVAL_ENR, reval_enr_cb,
				NULL);
	d->reval_deadline = now;        /* re-run the schedule */
}

static void run_revalidation(struct discv4 *d, uint64_t now)
{
	const struct kad_node *k;
	uint64_t dl = KAD_NEVER;

	if (d->reval_deadline > now)
		return;
	while ((k = kad_next_revalidation(&d->tab, now, &dl)) != NULL) {
		struct discv4_node n;

		discv4_node_from_kad(&n, k);
		if (start_ping(d, &n, now, OWN_REVAL, NULL, NULL) < 0)
			(void)kad_revalidation_done(&d->tab, n.id, false, 0,
						    now);
	}
	d->reval_deadline = dl;
}

/* ---- lookups (geth lookup.go) -------------------------------------- */

static bool lk_seen(struct lookup *lk, const uint8_t id[KAD_ID_LEN])
{
	for (size_t i = 0; i < lk->n_seen; i++)
		if (memcmp(lk->seen[i], id, KAD_ID_LEN) == 0)
			return true;
	return false;
}

static int lk_mark_seen(struct lookup *lk, const uint8_t id[KAD_ID_LEN])
{
	if (lk->n_seen == lk->cap_seen) {
		size_t cap = lk->cap_seen ? lk->cap_seen * 2 : 64;
		void *ns = realloc(lk->seen, cap * KAD_ID_LEN);

		if (!ns)
			return -ENOMEM;
		lk->seen = ns;
		lk->cap_seen = cap;
	}
	memcpy(lk->seen[lk->n_seen++], id, KAD_ID_LEN);
	return 0;
}

/* Inserts n into the result list, kept sorted by distance to the target
 * and capped at DISCV4_MAX_RESULTS (geth nodesByDistance.push). */
static void lk_push(struct lookup *lk, const struct discv4_node *n,
		    const uint8_t id[KAD_ID_LEN])
{
	unsigned pos = lk->n_res;

	while (pos > 0 &&
	       kad_dist_cmp(lk->target_id, id, lk->res[pos - 1].id) < 0)
		pos--;
	if (pos >= DISCV4_MAX_RESULTS)
		return;
	if (lk->n_res < DISCV4_MAX_RESULTS)
		lk->n_res++;
	memmove(&lk->res[pos + 1], &lk->res[pos],
		(lk->n_res - 1 - pos) * sizeof(lk->res[0]));
	lk->res[pos].n = *n;
	memcpy(lk->res[pos].id, id, KAD_ID_LEN);
	lk->res[pos].asked = false;
}

static void lk_offer(struct discv4 *d, struct lookup *lk,
		     const struct discv4_node *n)
{
	uint8_t id[KAD_ID_LEN];

	if (is_self(d, n->id))
		return;
	kad_node_id(id, n->id);
	if (lk_seen(lk, id) || lk_mark_seen(lk, id) < 0)
		return;
	lk_push(lk, n, id);
}

static void refresh_step(struct discv4 *d, uint64_t now);

static void lookup_finish(struct discv4 *d, struct lookup *lk, uint64_t now)
{
	struct discv4_node out[DISCV4_MAX_RESULTS];
	struct lookup **pp;
	unsigned n = 0;

	for (pp = &d->lookups; *pp != lk; pp = &(*pp)->next)
		;
	*pp = lk->next;
	for (unsigned i = 0; i < lk->n_res; i++)
		out[n++] = lk->res[i].n;
	d->st.lookups_done++;
	if (lk->refresh) {
		refresh_step(d, now);
	} else if (lk->cb) {
		lk->cb(lk->arg, 0, out, n);
	}
	free(lk->seen);
	free(lk);
}

/* Keeps DISCV4_ALPHA queries in flight to the closest unasked nodes; the
 * lookup ends when none is in flight and none is left to ask. */
static void lookup_advance(struct discv4 *d, struct lookup *lk, uint64_t now)
{
	for (unsigned i = 0; i < lk->n_res && lk->inflight < DISCV4_ALPHA;
	     i++) {
		struct lk_entry *e = &lk->res[i];

		if (e->asked)
			continue;
		e->asked = true;
		if (!allowed(d, e->n.ep.ip))
			continue;
		if (start_findnode(d, &e->n, lk->target, now, OWN_LOOKUP, lk,
				   NULL, NULL) == 0)
			lk->inflight++;
	}
	if (lk->inflight == 0)
		lookup_finish(d, lk, now);
}

static void lookup_on_result(struct discv4 *d, struct lookup *lk,
			     const struct preq *p, int err, uint64_t now)
{
	lk->inflight--;
	if (err == 0) {
		for (unsigned i = 0; i < p->n_nodes; i++) {
			lk_offer(d, lk, &p->nodes[i]);
			/* geth addFoundNode: unverified until revalidated. */
			table_add(d, &p->nodes[i], 0, 0, now);
			seen_hook(d, &p->nodes[i], now);
		}
	}
	if (err != -ECANCELED) {
		findnode_track(d, p, err, now);
		lookup_advance(d, lk, now);
	}
}

/* geth trackRequest + db.UpdateFindFails: repeated silence drops the node
 * from the table and makes the next FindNode re-bond first. */
static void findnode_track(struct discv4 *d, const struct preq *p, int err,
			   uint64_t now)
{
	struct bond *b = bond_get(d, p->node.id, p->node.ep.ip, now);

	if (b)
		b->fails = err ? (uint8_t)(b->fails < 255 ? b->fails + 1 : 255)
			       : 0;
	(void)kad_findnode_done(&d->tab, p->node.id, err == 0, now);
}

static int lookup_start(struct discv4 *d, const uint8_t target[64],
			uint64_t now, bool refresh, discv4_nodes_fn *cb,
			void *arg)
{
	const struct kad_node *close[DISCV4_MAX_RESULTS];
	struct lookup *lk = calloc(1, sizeof(*lk));
	size_t n;

	if (!lk)
		return -ENOMEM;
	memcpy(lk->target, target, 64);
	kad_node_id(lk->target_id, target);
	lk->refresh = refresh;
	lk->cb = cb;
	lk->arg = arg;
	n = kad_closest(&d->tab, close, DISCV4_MAX_RESULTS, lk->target_id,
			false);
	for (size_t i = 0; i < n; i++) {
		struct discv4_node nd;

		discv4_node_from_kad(&nd, close[i]);
		lk_offer(d, lk, &nd);
	}
	if (n == 0)
		for (size_t i = 0; i < d->n_boot; i++)
			lk_offer(d, lk, &d->boot[i]);
	if (lk->n_res == 0) {
		free(lk->seen);
		free(lk);
		return -EAGAIN;
	}
	lk->next = d->lookups;
	d->lookups = lk;
	d->st.lookups++;
	lookup_advance(d, lk, now);
	return 0;
}

int discv4_lookup(struct discv4 *d, const uint8_t target[DISCV4_PUB_LEN],
		  uint64_t now, discv4_nodes_fn *cb, void *arg)
{
	if (!cb)
		return -EINVAL;
	return lookup_start(d, target, now, false, cb, arg);
}

/* ---- refresh (geth table.doRefresh) -------------------------------- */

static void random_target(struct discv4 *d, uint8_t t[64])
{
	for (int i = 0; i < 64; i += 8) {
		uint64_t r = kad_rand(&d->tab);

		memcpy(t + i, &r, 8);
	}
}

/* Runs the next lookup of a refresh: self first, then three random
 * targets, one after the other. */
static void refresh_step(struct discv4 *d, uint64_t now)
{
	uint8_t target[64];

	while (d->refresh_left > 0) {
		if (d->refresh_left == 4) {
			/* The self lookup is done: inbound nodes may enter. */
			kad_mark_init_done(&d->tab);
		}
		d->refresh_left--;
		random_target(d, target);
		if (lookup_start(d, target, now, true, NULL, NULL) == 0)
			return;
	}
	kad_mark_init_done(&d->tab);
	d->refreshing = false;
	if (d->cfg.no_refresh)
		d->refresh_at = UINT64_MAX;
	else if (kad_len(&d->tab) >= KAD_BUCKET_SIZE) {
		d->refresh_at = now + DISCV4_REFRESH_NS;
		d->small_retry = DISCV4_EMPTY_RETRY_NS;
	} else {
		/* A nearly empty table (a lost bootstrap packet, say) is
		 * refreshed again soon rather than in 30 minutes, backing
		 * off (10 s, 20 s, ... DISCV4_SMALL_RETRY_MAX_NS): in a
		 * small or overloaded network a fixed short period only
		 * multiplies the load that kept the table small. */
		d->refresh_at = now + d->small_retry;
		d->small_retry = d->small_retry * 2 > DISCV4_SMALL_RETRY_MAX_NS ?
				 DISCV4_SMALL_RETRY_MAX_NS : d->small_retry * 2;
	}
}

void discv4_refresh(struct discv4 *d, uint64_t now)
{
	if (d->refreshing)
		return;
	d->refreshing = true;
	/* geth loadSeedNodes: bootnodes enter the table unverified. */
	for (size_t i = 0; i < d->n_boot; i++)
		table_add(d, &d->boot[i], 0, 0, now);
	d->refresh_left = 4;
	if (lookup_start(d, d->ln->pub, now, true, NULL, NULL) == 0)
		return;
	refresh_step(d, now);
}

/* ---- packet handlers ----------------------------------------------- */

static void handle_ping(struct discv4 *d, const struct msg_discv4_rx *m,
			const struct discv4_ping *ping, uint16_t port,
			uint64_t now)
{
	struct discv4_packet p;
	struct discv4_node n;
	struct bond *b;

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
	b = bond_get(d, n.id, n.ep.ip, now);
	if (b)
		b->ping_rx = now;
	bond_note_seq(b, ping->has_enr_seq, ping->enr_seq);
	seen_hook(d, &n, now);
	if (discv4_is_bonded(d, n.id, n.ep.ip, now)) {
		table_add(d, &n, ping->has_enr_seq ? ping->enr_seq : 0,
			  KAD_ADD_INBOUND, now);
	} else {
		/* Ping-back: prove their endpoint before they go in the
		 * table or get anything bigger than a Pong from us. */
		bool pinging = false;

		for (size_t i = 0; i < d->n_pend; i++)
			if (d->pend[i].owner == OWN_PINGBACK &&
			    !memcmp(d->pend[i].node.id, n.id, 64) &&
			    !memcmp(d->pend[i].node.ep.ip, n.ep.ip, 16))
				pinging = true;
		if (!pinging)
			(void)start_ping(d, &n, now, OWN_PINGBACK, NULL, NULL);
	}
	/* A FindNode waiting for this ping-back can go now. */
	for (size_t i = 0; i < d->n_pend; i++) {
		struct preq *q = &d->pend[i];

		if (q->kind == PR_FINDNODE && q->state == FN_WAIT_PINGBACK &&
		    !memcmp(q->node.id, n.id, 64) &&
		    !memcmp(q->node.ep.ip, n.ep.ip, 16)) {
			q->state = FN_SENT;
			q->deadline = now + DISCV4_REPLY_TIMEOUT_NS;
			(void)send_findnode(d, &q->node, q->target, now);
		}
	}
}

static bool same_peer(const struct preq *q, const struct msg_discv4_rx *m)
{
	/* geth matches replies by sender id and IP (not port). */
	return memcmp(q->node.id, m->node_id, DISCV4_PUB_LEN) == 0 &&
	       memcmp(q->node.ep.ip, m->src_addr, 16) == 0;
}

static int handle_pong(struct discv4 *d, const struct msg_discv4_rx *m,
		       const struct discv4_pong *pong, uint64_t now)
{
	uint64_t seq = pong->has_enr_seq ? pong->enr_seq : 0;
	bool matched = false;
	struct bond *b;

	/* Newest first; entries added by callbacks land past i. */
	for (size_t i = d->n_pend; i-- > 0;) {
		struct preq *q = &d->pend[i];

		if (!same_peer(q, m) ||
		    !(q->kind == PR_PING ||
		      (q->kind == PR_FINDNODE && q->state == FN_PINGING)) ||
		    !ct_memeq(q->hash, pong->ping_hash, DISCV4_HASH_LEN))
			continue;
		if (!matched) {
			/* Endpoint proof first, so completions see it. */
			matched = true;
			b = bond_get(d, m->node_id, m->src_addr, now);
			if (b)
				b->pong_rx = now;
			bond_note_seq(b, pong->has_enr_seq, pong->enr_seq);
			d->st.bonds++;
			localnode_statement(d->ln, m->src_addr, pong->to.ip,
					    pong->to.udp, now);
			(void)localnode_update(d->ln, now);
			if (d->cfg.on_bond) {
				struct discv4_node bn = q->node;

				d->cfg.on_bond(d->cfg.hook_user, &bn, now);
				q = &d->pend[i];        /* hook may add */
			}
		}
		if (q->kind == PR_FINDNODE) {
			q->state = FN_WAIT_PINGBACK;
			q->deadline = now + DISCV4_REPLY_TIMEOUT_NS;
			b = bond_find(d, m->node_id, m->src_addr);
			if (b && b->ping_rx &&
			    b->ping_rx + DISCV4_BOND_EXPIRATION_NS >= now &&
			    b->fails <= KAD_MAX_FINDNODE_FAILURES) {
				/* Their ping-back already came. */
				q->state = FN_SENT;
				(void)send_findnode(d, &q->node, q->target,
						    now);
			}
			continue;
		}
		preq_complete(d, i, 0, seq, NULL, now);
	}
	return matched ? 0 : -ENOENT;
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
	nc = kad_closest(&d->tab, close, DISCV4_MAX_RESULTS, tid, true);
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
	for (size_t i = d->n_pend; i-- > 0;) {
		struct preq *q = &d->pend[i];

		if (q->kind != PR_FINDNODE || q->state != FN_SENT ||
		    !same_peer(q, m))
			continue;
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
			preq_complete(d, i, 0, 0, NULL, now);
		return 0;       /* one reply feeds one request */
	}
	return -ENOENT;
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
	for (size_t i = d->n_pend; i-- > 0;) {
		struct preq *q = &d->pend[i];
		struct enr rec;
		uint8_t pub[64];
		int err;

		if (q->kind != PR_ENR || !same_peer(q, m) ||
		    !ct_memeq(q->hash, r->request_hash, DISCV4_HASH_LEN))
			continue;
		if (enr_decode(&rec, r->enr, r->enr_len) < 0)
			err = -EBADMSG;
		else if (enr_verify(&rec) < 0 || enr_pubkey(pub, &rec) < 0 ||
			 memcmp(pub, q->node.id, 64) != 0)
			err = -EKEYREJECTED;
		else
			err = 0;
		preq_complete(d, i, err, err ? 0 : rec.seq, &rec, now);
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
	for (size_t i = d->n_pend; i-- > 0;) {
		struct preq *q;

		if (i >= d->n_pend)
			continue;       /* completions shrank the array */
		q = &d->pend[i];
		if (q->deadline > now)
			continue;
		if (q->kind == PR_FINDNODE && q->state == FN_WAIT_PINGBACK) {
			/* geth waits respTimeout for the ping-back, then
			 * asks anyway. */
			q->state = FN_SENT;
			q->deadline = now + DISCV4_REPLY_TIMEOUT_NS;
			(void)send_findnode(d, &q->node, q->target, now);
			continue;
		}
		preq_complete(d, i, (q->kind == PR_FINDNODE && q->got_reply) ?
					    0 : -ETIMEDOUT,
			      0, NULL, now);
	}
	/* geth refreshes whenever the table runs empty (all bootnodes
	 * lost, say); retry on a short period then. */
	if (!d->refreshing && !d->cfg.no_refresh && kad_len(&d->tab) == 0 &&
	    d->refresh_at > now + DISCV4_EMPTY_RETRY_NS)
		d->refresh_at = now + DISCV4_EMPTY_RETRY_NS;
	if (!d->refreshing && d->refresh_at <= now)
		discv4_refresh(d, now);
	/* Last: the steps above may add nodes and so schedule pings. */
	run_revalidation(d, now);
}

uint64_t discv4_next_deadline(const struct discv4 *d)
{
	uint64_t t = d->reval_deadline;

	if (!d->refreshing && d->refresh_at < t)
		t = d->refresh_at;
	for (size_t i = 0; i < d->n_pend; i++)
		if (d->pend[i].deadline < t)
			t = d->pend[i].deadline;
	return t;
}

/* ---- lifetime and accessors ---------------------------------------- */

int discv4_new(struct discv4 **out, const struct discv4_config *cfg,
	       uint64_t now)
{
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
	kad_table_init(&d->tab, d->ln->pub, cfg->seed, cfg->ping_interval_ns);
	d->reval_deadline = now;
	d->refresh_at = cfg->no_refresh ? UINT64_MAX : now;
	d->small_retry = DISCV4_EMPTY_RETRY_NS;
	if (cfg->no_refresh)
		kad_mark_init_done(&d->tab);
	*out = d;
	return 0;
}

void discv4_free(struct discv4 *d)
{
	if (!d)
		return;
	while (d->n_pend > 0)
		preq_complete(d, d->n_pend - 1, -ECANCELED, 0, NULL, 0);
	while (d->lookups) {
		struct lookup *lk = d->lookups;

		d->lookups = lk->next;
		if (!lk->refresh && lk->cb)
			lk->cb(lk->arg, -ECANCELED, NULL, 0);
		free(lk->seen);
		free(lk);
	}
	kad_table_fini(&d->tab);
	free(d->pend);
	free(d->bonds);
	free(d->boot);
	free(d->netrestrict);
	free(d);
}

int discv4_add_bootnode(struct discv4 *d, const struct discv4_node *n)
{
	struct discv4_node *nb;

	if (n->ep.udp == 0 || !secp_pub_check(n->id) || is_self(d, n->id))
		return -EINVAL;
	nb = realloc(d->boot, (d->n_boot + 1) * sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	d->boot = nb;
	d->boot[d->n_boot++] = *n;
	return 0;
}

const struct kad_table *discv4_table(const struct discv4 *d)
{
	return &d->tab;
}

size_t discv4_table_size(const struct discv4 *d)
{
	return kad_len(&d->tab);
}

const struct discv4_stats *discv4_stats(const struct discv4 *d)
{
	return &d->st;
}

size_t discv4_pending(const struct discv4 *d)
{
	return d->n_pend;
}
