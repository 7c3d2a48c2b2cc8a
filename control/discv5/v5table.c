/* SPDX-License-Identifier: MIT */
/* control/discv5/v5table.c - discv5 engine: table, lookups, FINDNODE. */
#include "control/discv5/discv5_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Records kept for table nodes are swept of non-members past this many. */
#define RECS_GC_AT 1024

static bool pub_known(const uint8_t pub[SECP_PUB_LEN])
{
	for (int i = 0; i < SECP_PUB_LEN; i++)
		if (pub[i])
			return true;
	return false;
}

/* ---- nodes from records (geth enode.New, newNodeWithID) ------------- */

static bool is_multicast(const uint8_t a[16])
{
	return netutil_addr_is_v4(a) ? (a[12] & 0xf0) == 0xe0 : a[0] == 0xff;
}

static bool is_link_local(const uint8_t a[16])
{
	if (netutil_addr_is_v4(a))
		return a[12] == 169 && a[13] == 254;
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* geth localityScore: the most global address wins. */
static int locality(const uint8_t a[16])
{
	if (netutil_is_unspecified(a))
		return 0;
	if (netutil_is_loopback(a))
		return 1;
	if (is_link_local(a))
		return 2;
	return netutil_is_lan(a) ? 3 : 4;
}

static void pick_endpoint(struct discv5_node *n, const struct enr *r)
{
	uint8_t ip4[4], ip6[16], a4[16];
	bool v4 = enr_get_ip(r, ip4) == 0, v6 = enr_get_ip6(r, ip6) == 0;
	bool use6;

	if (v4) {
		netutil_addr_from_v4(a4, ip4);
		v4 = !is_multicast(a4);
	}
	v6 = v6 && !is_multicast(ip6);
	use6 = v6 && (!v4 || locality(a4) < locality(ip6));
	if (use6 && netutil_addr_is_v4(ip6)) {
		memcpy(a4, ip6, 16);            /* 4-in-6: an IPv4 endpoint */
		use6 = false;
		v4 = true;
	}
	if (use6) {
		memcpy(n->ip, ip6, 16);
		if (enr_get_udp6(r, &n->udp) < 0)
			(void)enr_get_udp(r, &n->udp);
		if (enr_get_tcp6(r, &n->tcp) < 0)
			(void)enr_get_tcp(r, &n->tcp);
		return;
	}
	if (v4)
		memcpy(n->ip, a4, 16);
	(void)enr_get_udp(r, &n->udp);
	(void)enr_get_tcp(r, &n->tcp);
}

int v5_node_decode(struct discv5_node *out, const uint8_t *rec, size_t len,
		   bool verify)
{
	struct enr r;
	ssize_t n = enr_decode(&r, rec, len);
	int rc;

	if (n < 0)
		return (int)n;
	if (verify) {
		rc = enr_verify(&r);
		if (rc < 0)
			return rc;
	}
	memset(out, 0, sizeof(*out));
	if (enr_pubkey(out->pub, &r) < 0)
		return -EBADMSG;
	kad_node_id(out->id, out->pub);
	out->seq = r.seq;
	pick_endpoint(out, &r);
	memcpy(out->enr, rec, len);
	out->enr_len = (uint16_t)len;
	return 0;
}

int discv5_node_from_enr(struct discv5_node *out, const uint8_t *rec,
			 size_t len)
{
	return v5_node_decode(out, rec, len, true);
}

int discv5_node_from_text(struct discv5_node *out, const char *s, size_t len)
{
	uint8_t raw[ENR_MAX_SIZE];
	struct enr r;
	ssize_t n = enr_decode_text(&r, s, len);

	if (n < 0)
		return (int)n;
	n = enr_encode(raw, sizeof(raw), &r);
	if (n < 0)
		return -EBADMSG;
	return v5_node_decode(out, raw, (size_t)n, true);
}

void discv5_node_from_addr(struct discv5_node *out,
			   const uint8_t id[DISCV5_NODE_ID_LEN],
			   const uint8_t pub[SECP_PUB_LEN],
			   const uint8_t ip[NETUTIL_ADDR_LEN], uint16_t port)
{
	memset(out, 0, sizeof(*out));
	if (pub) {
		memcpy(out->pub, pub, SECP_PUB_LEN);
		kad_node_id(out->id, pub);
	} else if (id) {
		memcpy(out->id, id, DISCV5_NODE_ID_LEN);
	}
	memcpy(out->ip, ip, NETUTIL_ADDR_LEN);
	out->udp = port;
}

/* ---- records of table nodes ----------------------------------------- */

const struct discv5_node *v5_rec_get(const struct discv5 *d,
				     const uint8_t id[32])
{
	return v5map_get(&d->recs, id);
}

static bool in_table(const struct discv5 *d, const struct discv5_node *n)
{
	return kad_find_id(&d->tab, n->id) ||
	       kad_is_replacement(&d->tab, n->pub);
}

/* recs_gc() frees the records of nodes that left the table. */
static void recs_gc(struct discv5 *d)
{
	size_t it = 0, n = 0, cap = v5map_len(&d->recs);
	struct discv5_node **gone = malloc(cap * sizeof(*gone)), *r;

	if (!gone)
		return;
	while ((r = v5map_next(&d->recs, &it)))
		if (!in_table(d, r))
			gone[n++] = r;
	for (size_t i = 0; i < n; i++) {
		v5map_del(&d->recs, gone[i]->id);
		free(gone[i]);
	}
	free(gone);
}

static void rec_put(struct discv5 *d, const struct discv5_node *n)
{
	struct discv5_node *r = v5map_get(&d->recs, n->id);

	if (!n->enr_len)
		return;
	if (r) {
		if (n->seq >= r->seq)
			*r = *n;        /* same id: the map key is unchanged */
		return;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return;
	*r = *n;
	if (v5map_put(&d->recs, r->id, r) < 0) {
		free(r);
		return;
	}
	if (v5map_len(&d->recs) > RECS_GC_AT)
		recs_gc(d);
}

void v5_recs_free(struct discv5 *d)
{
	size_t it = 0;
	struct discv5_node *r;

	while ((r = v5map_next(&d->recs, &it)))
		free(r);
	v5map_fini(&d->recs);
}

int v5_table_add(struct discv5 *d, const struct discv5_node *n, unsigned flags,
		 uint64_t now)
{
	struct kad_node_info in;
	const struct kad_node *k;
	int r;

	if (!pub_known(n->pub) || netutil_is_unspecified(n->ip) || !n->udp)
		return -EINVAL;
	if (!v5_allowed(d, n->ip))
		return -EACCES;
	memset(&in, 0, sizeof(in));
	memcpy(in.pub, n->pub, SECP_PUB_LEN);
	memcpy(in.ip, n->ip, 16);
	in.udp_port = n->udp;
	in.tcp_port = n->tcp;
	in.enr_seq = n->seq;
	r = (int)kad_add(&d->tab, &in, flags, now);
	if (r == KAD_ADDED || r == KAD_ADDED_REPLACEMENT || r == KAD_UPDATED) {
		rec_put(d, n);
	} else if (r == KAD_PRESENT && !v5_rec_get(d, n->id)) {
		k = kad_find_id(&d->tab, n->id);
		if (k && k->enr_seq == n->seq)
			rec_put(d, n);
	}
	return r;
}

/* node_of() describes a table entry: its record when we hold one. */
static void node_of(const struct discv5 *d, struct discv5_node *out,
		    const struct kad_node *k)
{
	const struct discv5_node *r = v5_rec_get(d, k->id);

	if (r && r->seq == k->enr_seq) {
		*out = *r;
		return;
	}
	discv5_node_from_addr(out, NULL, k->pub, k->ip, k->udp_port);
	out->tcp = k->tcp_port;
	out->seq = 0;
}

const struct discv5_node *discv5_get_node(const struct discv5 *d,
					  const uint8_t id[DISCV5_NODE_ID_LEN])
{
	const struct discv5_node *r = v5_rec_get(d, id);
	const struct v5_sess *s;

	if (r)
		return r;
	for (s = d->lru_head; s; s = s->next)
		if (!memcmp(s->node.id, id, DISCV5_NODE_ID_LEN) &&
		    s->node.enr_len)
			return &s->node;
	return NULL;
}

const struct kad_table *discv5_table(const struct discv5 *d)
{
	return &d->tab;
}

size_t discv5_table_size(const struct discv5 *d)
{
	return kad_len(&d->tab);
}

int discv5_add_bootnode(struct discv5 *d, const struct discv5_node *n)
{
	struct discv5_node *b;

	if (!n || !pub_known(n->pub) || netutil_is_unspecified(n->ip) ||
	    !n->udp)
		return -EINVAL;
	b = realloc(d->boot, (d->n_boot + 1) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	d->boot = b;
	d->boot[d->n_boot++] = *n;
	return 0;
}

int discv5_add_node(struct discv5 *d, const struct discv5_node *n, bool live,
		    uint64_t now)
{
	if (!n)
		return -EINVAL;
	return v5_table_add(d, n, live ? KAD_ADD_LIVE : 0, now);
}

/* ---- FINDNODE answers (geth handleFindnode, collectTableNodes,
 *      packNodes) -------------------------------------------------- */

struct rec_view {
	const uint8_t *p;
	size_t len;
};

static bool relay_ok(const uint8_t asker[16], const uint8_t ip[16])
{
	return netutil_check_relay(asker, ip) == NETUTIL_RELAY_OK;
}

static unsigned collect_dist(struct discv5 *d, unsigned dist,
			     const uint8_t asker[16], struct rec_view *out,
			     unsigned room)
{
	const struct kad_bucket *b;
	const struct discv5_node *cand[KAD_BUCKET_SIZE];
	unsigned n = 0, i;

	b = &d->tab.buckets[dist <= KAD_BUCKET_MIN_DIST
				    ? 0
				    : dist - KAD_BUCKET_MIN_DIST - 1];
	for (i = 0; i < b->n_entries; i++) {
		const struct kad_node *e = &b->entries[i];
		const struct discv5_node *r;

		/* Only nodes at exactly this distance (bucket 0 also holds
		 * closer ones), validated live, relayable to the asker. */
		if (!e->live && !d->cfg.no_findnode_live_check)
			continue;
		if ((unsigned)kad_log_distance(d->ln->id, e->id) != dist ||
		    !relay_ok(asker, e->ip))
			continue;
		r = v5_rec_get(d, e->id);
		if (r && r->seq == e->enr_seq)
			cand[n++] = r;
	}
	/* Shuffled, so that repeated asks see different nodes (geth). */
	for (i = n; i > 1; i--) {
		unsigned j = (unsigned)(kad_rand(&d->tab) % i);
		const struct discv5_node *t = cand[i - 1];

		cand[i - 1] = cand[j];
		cand[j] = t;
	}
	if (n > room)
		n = room;
	for (i = 0; i < n; i++) {
		out[i].p = cand[i]->enr;
		out[i].len = cand[i]->enr_len;
	}
	return n;
}

void v5_serve_findnode(struct discv5 *d, struct v5_sess *s,
		       const uint8_t ip[16], uint16_t port,
		       const struct discv5_msg *m, uint64_t now)
{
	struct rec_view recs[DISCV5_FINDNODE_RESULT_LIMIT];
	uint8_t self[ENR_MAX_SIZE], buf[DISCV5_NODES_SIZE_LIMIT];
	uint8_t id[DISCV5_NODE_ID_LEN];
	unsigned n = 0, msgs = 0, i, start;
	struct discv5_node me;
	struct discv5_msg r;
	size_t size;

	(void)now;
	memcpy(id, s->node.id, sizeof(id));
	for (i = 0; i < m->findnode.n && n < DISCV5_FINDNODE_RESULT_LIMIT;
	     i++) {
		unsigned dist = m->findnode.dist[i];
		const struct enr *rec;
		ssize_t len;

		if (dist != 0) {
			n += collect_dist(d, dist, ip, recs + n,
					  DISCV5_FINDNODE_RESULT_LIMIT - n);
			continue;
		}
		/* Distance 0 is our own record, under the same relay rule
		 * as any other (geth: no address, no answer). */
		rec = localnode_record(d->ln);
		len = rec ? enr_encode(self, sizeof(self), rec) : -EINVAL;
		if (len <= 0 ||
		    v5_node_decode(&me, self, (size_t)len, false) < 0 ||
		    !relay_ok(ip, me.ip))
			continue;
		recs[n].p = self;
		recs[n++].len = (size_t)len;
	}
	/* Count the messages first: each carries the total. */
	for (i = 0, size = 0; i < n; i++) {
		if (i == 0 || size + recs[i].len > DISCV5_NODES_SIZE_LIMIT) {
			msgs++;
			size = 0;
		}
		size += recs[i].len;
	}
	memset(&r, 0, sizeof(r));
	r.type = DISCV5_MSG_NODES;
	r.req_id_len = m->req_id_len;
	memcpy(r.req_id, m->req_id, m->req_id_len);
	r.nodes.total = (uint8_t)(msgs ? msgs : 1);
	if (n == 0) {
		(void)v5_respond(d, id, ip, port, &r);
		return;
	}
	for (i = 0; i < n;) {
		start = i;
		size = 0;
		while (i < n &&
		       (i == start ||
			size + recs[i].len <= DISCV5_NODES_SIZE_LIMIT)) {
			memcpy(buf + size, recs[i].p, recs[i].len);
			size += recs[i++].len;
		}
		r.nodes.n = (uint16_t)(i - start);
		r.nodes.enrs = buf;
		r.nodes.enrs_len = size;
		if (v5_respond(d, id, ip, port, &r) < 0)
			return;
	}
}

/* ---- revalidation (geth table_reval.go) ----------------------------- */

static int ping_start(struct discv5 *d, const struct discv5_node *n,
		      uint8_t owner, uint64_t now)
{
	struct discv5_msg m;
	struct v5_call *c;
	int rc;

	memset(&m, 0, sizeof(m));
	m.type = DISCV5_MSG_PING;
	m.ping.enr_seq = localnode_seq(d->ln);
	c = v5_call_start(d, n, n->ip, n->udp, &m, owner, now, &rc);
	if (!c)
		return rc;
	return v5_call_submit(d, c, now);
}

void v5_run_revalidation(struct discv5 *d, uint64_t now)
{
	const struct kad_node *k;
	struct discv5_node n;
	uint64_t dl;

	while ((k = kad_next_revalidation(&d->tab, now, &dl))) {
		node_of(d, &n, k);
		if (ping_start(d, &n, OWN_REVAL, now) < 0)
			(void)kad_revalidation_done(&d->tab, n.pub, false, 0,
						    now);
	}
}

static int fetch_start(struct discv5 *d, const struct discv5_node *n,
		       const uint8_t ip[16], uint16_t port, uint64_t now)
{
	static const uint16_t zero[1] = { 0 };
	struct v5_call *c;
	int rc;

	if (v5_fetch_pending(d, n->id))
		return 0;
	c = v5_findnode_start(d, n, ip, port, zero, 1, OWN_FETCH, now, &rc);
	if (!c)
		return rc;
	rc = v5_call_submit(d, c, now);
	if (rc == 0)
		d->st.enr_fetches++;
	return rc;
}

void v5_reval_result(struct discv5 *d, struct v5_call *c, int err,
		     uint64_t enr_seq, uint64_t now)
{
	int r;

	if (err == -ECANCELED)
		return;
	r = kad_revalidation_done(&d->tab, c->node.pub, err == 0, enr_seq, now);
	/* A newer record than ours: fetch it (geth doRevalidate). */
	if (r == KAD_REVAL_LIVE_NEW_ENR)
		(void)fetch_start(d, &c->node, c->ip, c->port, now);
}

void v5_maybe_fetch_enr(struct discv5 *d, const struct discv5_node *n,
			const uint8_t ip[16], uint16_t port, uint64_t seq,
			uint64_t now)
{
	const struct discv5_node *r = v5_rec_get(d, n->id);
	uint64_t have = n->enr_len ? n->seq : 0;

	if (r && r->seq > have)
		have = r->seq;
	if (seq <= have || d->closing)
		return;
	(void)fetch_start(d, n, ip, port, now);
}

void v5_fetch_result(struct discv5 *d, struct v5_call *c, int err,
		     uint64_t now)
{
	const struct discv5_node *rec;
	struct v5_sess *s;

	if (err || c->n_res != 1 ||
	    memcmp(c->res[0].id, c->node.id, DISCV5_NODE_ID_LEN) != 0)
		return;
	rec = &c->res[0];
	(void)v5_table_add(d, rec, 0, now);
	s = v5_sess_find(d, rec->id, c->ip, c->port);
	if (s && (!s->node.enr_len || s->node.seq < rec->seq))
		s->node = *rec;
}

/* ---- lookups (geth lookup.go, v5_udp.go lookupWorker) ---------------- */

static bool lk_seen(const struct v5_lookup *lk, const uint8_t id[32])
{
	for (size_t i = 0; i < lk->n_seen; i++)
		if (memcmp(lk->seen[i], id, DISCV5_NODE_ID_LEN) == 0)
			return true;
	return false;
}

static int lk_mark_seen(struct v5_lookup *lk, const uint8_t id[32])
{
	if (lk->n_seen == lk->cap_seen) {
		size_t cap = lk->cap_seen ? lk->cap_seen * 2 : 64;
		uint8_t(*s)[DISCV5_NODE_ID_LEN] =
			realloc(lk->seen, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		lk->seen = s;
		lk->cap_seen = cap;
	}
	memcpy(lk->seen[lk->n_seen++], id, DISCV5_NODE_ID_LEN);
	return 0;
}

/* lk_offer() is geth's addNodes + nodesByDistance.push(n, bucketSize). */
static void lk_offer(struct v5_lookup *lk, const struct discv5_node *n)
{
	unsigned pos;

	if (lk_seen(lk, n->id) || lk_mark_seen(lk, n->id) < 0)
		return;
	for (pos = lk->n_res; pos > 0; pos--)
		if (kad_dist_cmp(lk->target, lk->res[pos - 1].n.id, n->id) <= 0)
			break;
	if (pos >= KAD_BUCKET_SIZE)
		return;
	if (lk->n_res < KAD_BUCKET_SIZE)
		lk->n_res++;
	memmove(&lk->res[pos + 1], &lk->res[pos],
		(lk->n_res - 1 - pos) * sizeof(lk->res[0]));
	lk->res[pos].n = *n;
	lk->res[pos].asked = false;
}

/* lookupDistances: logdist(target, dest) and its neighbours, e.g. 255,
 * 256, 254. */
static size_t lookup_distances(uint16_t out[DISCV5_LOOKUP_REQUEST_LIMIT],
			       const uint8_t target[32], const uint8_t dest[32])
{
	int td = kad_log_distance(target, dest);
	size_t n = 0;

	out[n++] = (uint16_t)td;
	for (int i = 1; n < DISCV5_LOOKUP_REQUEST_LIMIT && i <= 256; i++) {
		if (td + i <= 256)
			out[n++] = (uint16_t)(td + i);
		if (td - i > 0 && n < DISCV5_LOOKUP_REQUEST_LIMIT)
			out[n++] = (uint16_t)(td - i);
	}
	return n;
}

static void refresh_step(struct discv5 *d, uint64_t now);
static void resolve_done(struct v5_resolve *rs);

static void lookup_finish(struct discv5 *d, struct v5_lookup *lk,
			  uint64_t now)
{
	struct v5_lookup **pp;
	struct discv5_node *res;
	unsigned i;

	for (pp = &d->lookups; *pp && *pp != lk; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = lk->next;
	d->st.lookups_done++;
	res = malloc(KAD_BUCKET_SIZE * sizeof(*res));
	for (i = 0; res && i < lk->n_res; i++)
		res[i] = lk->res[i].n;
	if (lk->cb)
		lk->cb(lk->arg, res ? 0 : -ENOMEM, res, res ? lk->n_res : 0);
	if (lk->rs) {
		struct v5_resolve *rs = lk->rs;

		for (i = 0; i < lk->n_res; i++) {
			const struct discv5_node *n = &lk->res[i].n;

			if (!memcmp(n->id, lk->target, DISCV5_NODE_ID_LEN) &&
			    n->enr_len &&
			    (!rs->have || n->seq > rs->best.seq)) {
				rs->best = *n;
				rs->have = true;
			}
		}
		resolve_done(rs);
	}
	if (lk->refresh)
		refresh_step(d, now);
	free(res);
	free(lk->seen);
	free(lk);
}

/* Keeps DISCV5_ALPHA queries in flight to the closest unasked nodes; the
 * lookup ends when none is in flight and none is left to ask. */
static void lookup_advance(struct discv5 *d, struct v5_lookup *lk,
			   uint64_t now)
{
	for (unsigned i = 0; i < lk->n_res && lk->inflight < DISCV5_ALPHA;
	     i++) {
		struct v5_lk_entry *e = &lk->res[i];
		uint16_t dist[DISCV5_LOOKUP_REQUEST_LIMIT];
		struct v5_call *c;
		size_t nd;
		int rc;

		if (e->asked)
			continue;
		e->asked = true;
		nd = lookup_distances(dist, lk->target, e->n.id);
		c = v5_findnode_start(d, &e->n, e->n.ip, e->n.udp, dist, nd,
				      OWN_LOOKUP, now, &rc);
		if (!c)
			continue;
		c->ctx = lk;
		if (v5_call_submit(d, c, now) == 0)
			lk->inflight++;
	}
	if (lk->inflight == 0)
		lookup_finish(d, lk, now);
}

void v5_lookup_result(struct discv5 *d, struct v5_call *c, int err,
		      uint64_t now)
{
	struct v5_lookup *lk = c->ctx;
	struct v5_lookup best;
	unsigned i;

	lk->inflight--;
	if (err == -ECANCELED)
		return;
	/* lookupWorker keeps the findnodeResultLimit closest to the target;
	 * trackRequest counts the answer and adds what it found. */
	memset(&best, 0, sizeof(best));
	memcpy(best.target, lk->target, DISCV5_NODE_ID_LEN);
	for (i = 0; i < c->n_res; i++)
		if (memcmp(c->res[i].id, d->ln->id, DISCV5_NODE_ID_LEN))
			lk_offer(&best, &c->res[i]);
	free(best.seen);
	(void)kad_findnode_done(&d->tab, c->node.pub, best.n_res > 0, now);
	for (i = 0; i < best.n_res; i++) {
		(void)v5_table_add(d, &best.res[i].n, 0, now);
		lk_offer(lk, &best.res[i].n);
	}
	lookup_advance(d, lk, now);
}

static int lookup_start(struct discv5 *d, const uint8_t target[32],
			uint64_t now, bool refresh, discv5_nodes_fn *cb,
			void *arg, struct v5_resolve *rs)
{
	const struct kad_node *close[KAD_BUCKET_SIZE];
	struct v5_lookup *lk;
	struct discv5_node n;
	size_t k;

	if (d->closing)
		return -ECANCELED;
	lk = calloc(1, sizeof(*lk));
	if (!lk)
		return -ENOMEM;
	memcpy(lk->target, target, DISCV5_NODE_ID_LEN);
	lk->refresh = refresh;
	lk->cb = cb;
	lk->arg = arg;
	lk->rs = rs;
	(void)lk_mark_seen(lk, d->ln->id);      /* never ask ourselves */
	k = kad_closest(&d->tab, close, KAD_BUCKET_SIZE, target, false);
	for (size_t i = 0; i < k; i++) {
		node_of(d, &n, close[i]);
		if (v5_allowed(d, n.ip))
			lk_offer(lk, &n);
	}
	if (k == 0)
		for (size_t i = 0; i < d->n_boot; i++)
			lk_offer(lk, &d->boot[i]);
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

int discv5_lookup(struct discv5 *d, const uint8_t target[DISCV5_NODE_ID_LEN],
		  uint64_t now, discv5_nodes_fn *cb, void *arg)
{
	if (!cb)
		return -EINVAL;
	return lookup_start(d, target, now, false, cb, arg, NULL);
}

void v5_lookups_cancel_all(struct discv5 *d)
{
	while (d->lookups) {
		struct v5_lookup *lk = d->lookups;

		d->lookups = lk->next;
		if (lk->cb)
			lk->cb(lk->arg, -ECANCELED, NULL, 0);
		if (lk->rs) {
			lk->rs->cb(lk->rs->arg, -ECANCELED, NULL);
			free(lk->rs);
		}
		free(lk->seen);
		free(lk);
	}
}

/* ---- resolve (geth Resolve) ---------------------------------------- */

static void resolve_done(struct v5_resolve *rs)
{
	if (rs->have)
		rs->cb(rs->arg, 0, &rs->best);
	else
		rs->cb(rs->arg, -ENOENT, NULL);
	free(rs);
}

int discv5_resolve(struct discv5 *d, const struct discv5_node *n,
		   uint64_t now, discv5_enr_fn *cb, void *arg)
{
	static const uint16_t zero[1] = { 0 };
	const struct discv5_node *t;
	struct v5_resolve *rs;
	struct v5_call *c;
	int rc;

	if (!n || !cb)
		return -EINVAL;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->best = *n;
	rs->have = n->enr_len > 0;
	rs->cb = cb;
	rs->arg = arg;
	t = v5_rec_get(d, n->id);
	if (t && (!rs->have || t->seq > n->seq)) {
		rs->best = *t;
		rs->have = true;
	}
	c = v5_findnode_start(d, &rs->best, rs->best.ip, rs->best.udp, zero, 1,
			      OWN_RESOLVE, now, &rc);
	if (!c) {
		free(rs);
		return rc;
	}
	c->ctx = rs;
	rc = v5_call_submit(d, c, now);
	if (rc < 0)
		free(rs);
	return rc;
}

void v5_resolve_result(struct discv5 *d, struct v5_call *c, int err,
		       uint64_t now)
{
	struct v5_resolve *rs = c->ctx;

	if (err == 0 && c->n_res == 1 &&
	    !memcmp(c->res[0].id, rs->best.id, DISCV5_NODE_ID_LEN)) {
		rs->best = c->res[0];
		rs->have = true;
		resolve_done(rs);
		return;
	}
	if (err == -ECANCELED) {
		rs->cb(rs->arg, -ECANCELED, NULL);
		free(rs);
		return;
	}
	if (lookup_start(d, rs->best.id, now, false, NULL, NULL, rs) < 0)
		resolve_done(rs);
}

/* ---- refresh (geth table.doRefresh) -------------------------------- */

static void random_target(struct discv5 *d, uint8_t t[32])
{
	for (int i = 0; i < 32; i += 8) {
		uint64_t r = kad_rand(&d->tab);

		memcpy(t + i, &r, 8);
	}
}

/* Runs the next lookup of a refresh: self first, then three random
 * targets, one after the other. */
static void refresh_step(struct discv5 *d, uint64_t now)
{
	uint8_t target[32];

	while (d->refresh_left > 0) {
		if (d->refresh_left == 4)       /* self lookup done */
			kad_mark_init_done(&d->tab);
		d->refresh_left--;
		random_target(d, target);
		if (lookup_start(d, target, now, true, NULL, NULL, NULL) == 0)
			return;
	}
	kad_mark_init_done(&d->tab);
	d->refreshing = false;
	if (d->cfg.no_refresh || d->closing) {
		d->refresh_at = UINT64_MAX;
	} else if (kad_len(&d->tab) >= KAD_BUCKET_SIZE) {
		d->refresh_at = now + DISCV5_REFRESH_NS;
		d->small_retry = DISCV5_EMPTY_RETRY_NS;
	} else {
		/* A nearly empty table is refreshed again soon, backing off
		 * (as the v4 engine does). */
		d->refresh_at = now + d->small_retry;
		d->small_retry = d->small_retry * 2 > DISCV5_SMALL_RETRY_MAX_NS
					 ? DISCV5_SMALL_RETRY_MAX_NS
					 : d->small_retry * 2;
	}
}

void discv5_refresh(struct discv5 *d, uint64_t now)
{
	if (d->refreshing || d->closing)
		return;
	d->refreshing = true;
	d->refresh_at = UINT64_MAX;
	/* geth loadSeedNodes: bootnodes enter the table unverified. */
	for (size_t i = 0; i < d->n_boot; i++)
		(void)v5_table_add(d, &d->boot[i], 0, now);
	d->refresh_left = 4;
	if (lookup_start(d, d->ln->id, now, true, NULL, NULL, NULL) == 0)
		return;
	refresh_step(d, now);
}

void v5_refresh_due(struct discv5 *d, uint64_t now)
{
	if (d->refresh_at <= now)
		discv5_refresh(d, now);
}
