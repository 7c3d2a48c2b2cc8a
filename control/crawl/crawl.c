/* SPDX-License-Identifier: MIT */
/* control/crawl/crawl.c - sans-I/O discv4 crawler: bucket sweeps, ENR checks, per-node results for geth's nodes.json. */
#include "control/crawl/crawl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enode.h"
#include "common/enr.h"
#include "control/discv4/kad.h"

#define NS_PER_S 1000000000ull

enum cn_state { CN_QUEUED = 0, CN_ACTIVE, CN_DONE };

struct cnode {
	struct crawl *c;
	struct discv4_node n;
	uint8_t id[KAD_ID_LEN];
	uint32_t idx;                   /* in c->nodes */
	uint8_t state;                  /* enum cn_state */
	int8_t fail;                    /* enum crawl_fail, -1 none */
	bool prior;                     /* from crawl_add_prior() */
	bool answered;                  /* replied or ponged this crawl */
	bool replied;                   /* FindNode or ENR reply */
	bool ponged;                    /* valid Pong to our Ping (hook) */
	bool inbound;                   /* learnt from crawl_on_node_seen() */
	bool swept;                     /* a FindNode of ours was answered */
	bool enr_ok;                    /* verified record this crawl */
	bool no_eip868;                 /* its Ping/Pong had no enr-seq */
	bool sweep_busy, sweep_done;
	bool enr_busy, enr_done;
	bool stamp_resp;                /* answered since the last tick */
	bool in_ready;
	bool in_dirty;                  /* in c->dirty: to be emitted */
	bool granted;                   /* leased mode: queued by a grant */
	uint8_t events;                 /* enum crawl_event since emitted */
	uint16_t dist;                  /* next log-distance to sweep */
	uint16_t neighbors;             /* Neighbors entries this check */
	unsigned tries;                 /* first-contact attempts */
	unsigned dist_tries;            /* attempts at dist (after contact) */
	unsigned enr_tries;
	uint64_t seq;
	int prior_score;
	int64_t first_response, last_response, last_check;
	uint64_t check_ns, done_ns;     /* this check's start and end */
	char *record;                   /* to emit next, then freed */
};

struct crawl {
	struct discv4 *d;
	struct crawl_config cfg;
	struct kadtarget *own_kt;
	const struct kadtarget *kt;
	unsigned min_dist, retries;
	uint8_t self_id[KAD_ID_LEN];

	struct cnode **nodes;           /* every node seen, in order */
	size_t n, cap;
	uint32_t *index;                /* open addressing: node index + 1 */
	size_t index_cap;               /* power of two */
	uint32_t *queue;                /* node indexes, FIFO */
	size_t q_head, q_len, q_cap;
	struct cnode **ready;           /* results to apply at the next tick */
	size_t n_ready, cap_ready;
	uint32_t *dirty;                /* node indexes to emit (FIFO) */
	size_t n_dirty, cap_dirty;

	uint64_t start, now, end;
	uint64_t timeout_at, next_progress;
	uint64_t active;
	uint64_t linger, idle_since;    /* linger 0: none */
	bool idle;
	uint64_t rounds;                /* re-check rounds started */
	bool stopping, done, timed_out, cancelled;

	/* Counters (see struct crawl_stats). */
	uint64_t checked, answered, enr_verified, pong_only, inbound;
	uint64_t findnode_sent, findnode_ok, neighbors, enr_sent;
	uint64_t enr_skipped, refused, emitted;
	uint64_t fail[CRAWL_FAIL_MAX];
	/* Previous progress sample, for packets/s. */
	uint64_t prog_at, prog_pkts;
};

/* ---- node set ------------------------------------------------------- */

static uint64_t pkts_total(const struct crawl *c)
{
	const struct discv4_stats *s = discv4_stats(c->d);
	uint64_t t = 0;

	for (size_t i = 0; i <= DISCV4_ENRRESPONSE; i++)
		t += s->rx[i] + s->tx[i];
	return t;
}

static size_t slot_of(const struct crawl *c, const uint8_t id[KAD_ID_LEN])
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));      /* keccak output: uniform */
	return (size_t)h & (c->index_cap - 1);
}

static struct cnode *find_id(const struct crawl *c, const uint8_t id[KAD_ID_LEN])
{
	for (size_t i = slot_of(c, id);; i = (i + 1) & (c->index_cap - 1)) {
		uint32_t v = c->index[i];

		if (!v)
			return NULL;
		if (!memcmp(c->nodes[v - 1]->id, id, KAD_ID_LEN))
			return c->nodes[v - 1];
	}
}

static int index_grow(struct crawl *c)
{
	size_t cap = c->index_cap * 2;
	uint32_t *ni = calloc(cap, sizeof(*ni));

	if (!ni)
		return -ENOMEM;
	free(c->index);
	c->index = ni;
	c->index_cap = cap;
	for (size_t k = 0; k < c->n; k++) {
		size_t i = slot_of(c, c->nodes[k]->id);

		while (c->index[i])
			i = (i + 1) & (cap - 1);
		c->index[i] = (uint32_t)(k + 1);
	}
	return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

/* Queues cn for emission with the events ev. The dirty array has room
 * for every node (it grows with the set in add_node()), so this cannot
 * fail. */
static void mark_dirty(struct cnode *cn, unsigned ev)
{
	struct crawl *c = cn->c;

	cn->events |= (uint8_t)ev;
	if (cn->in_dirty)
		return;
	cn->in_dirty = true;
	c->dirty[c->n_dirty++] = cn->idx;
}

/* Adds n (id = keccak256(n->id)) to the set and the queue. The cap keeps
 * the set, and so every per-node array, bounded whatever the network
 * tells us. */
static int add_node(struct crawl *c, const struct discv4_node *n,
		    const uint8_t id[KAD_ID_LEN], struct cnode **out)
{
	struct cnode *cn;
	size_t i;

	if (!memcmp(id, c->self_id, KAD_ID_LEN) || n->ep.udp == 0)
		return -EINVAL;
	if (find_id(c, id))
		return -EEXIST;
	if (c->n >= c->cfg.max_nodes) {
		c->refused++;
		return -ENOSPC;
	}
	if ((c->n + 1) * 2 > c->index_cap && index_grow(c) < 0)
		return -ENOMEM;
	if (grow((void **)&c->nodes, &c->cap, c->n + 1, sizeof(*c->nodes)) < 0 ||
	    grow((void **)&c->queue, &c->q_cap, c->q_len + 1, sizeof(*c->queue)) < 0 ||
	    grow((void **)&c->dirty, &c->cap_dirty, c->n + 1, sizeof(*c->dirty)) < 0)
		return -ENOMEM;
	cn = calloc(1, sizeof(*cn));
	if (!cn)
		return -ENOMEM;
	cn->c = c;
	cn->idx = (uint32_t)c->n;
	cn->n = *n;
	memcpy(cn->id, id, KAD_ID_LEN);
	cn->fail = -1;
	cn->dist = KAD_HASH_BITS;
	cn->first_response = cn->last_response = cn->last_check =
		CRAWL_ZERO_TIME;
	for (i = slot_of(c, id); c->index[i]; i = (i + 1) & (c->index_cap - 1))
		;
	c->nodes[c->n] = cn;
	c->index[i] = (uint32_t)(c->n + 1);
	if (!c->cfg.leased)             /* leased: visited when granted */
		c->queue[c->q_len++] = (uint32_t)c->n;
	c->n++;
	mark_dirty(cn, CRAWL_EV_SEEN);
	if (c->cfg.on_node)
		c->cfg.on_node(c->cfg.node_user, &cn->n);
	if (out)
		*out = cn;
	return 0;
}

static void mark_ready(struct cnode *cn)
{
	struct crawl *c = cn->c;

	if (cn->in_ready)
		return;
	/* The array only grows; on ENOMEM the node is picked up by the
	 * sweep over active nodes in crawl_on_timer(). */
	if (grow((void **)&c->ready, &c->cap_ready, c->n_ready + 1,
		 sizeof(*c->ready)) < 0)
		return;
	c->ready[c->n_ready++] = cn;
	cn->in_ready = true;
}

/* ---- engine callbacks: record results only ---------------------------- */

static bool retry_left(const struct crawl *c, unsigned tries)
{
	return tries <= c->retries;
}

static void sweep_cb(void *arg, int err, const struct discv4_node *nodes,
		     unsigned n)
{
	struct cnode *cn = arg;
	struct crawl *c = cn->c;
	bool closer = false;

	cn->sweep_busy = false;
	if (err == -ECANCELED) {
		c->cancelled = true;
		cn->sweep_done = true;
		return;
	}
	mark_ready(cn);
	if (err) {
		if (!cn->answered) {
			if (!retry_left(c, cn->tries)) {
				cn->sweep_done = true;
				/* No usable Neighbors, but a Pong proved it
				 * live: answered (the ENR is still asked). */
				if (cn->ponged) {
					cn->answered = true;
					cn->stamp_resp = true;
				} else {
					cn->fail = CRAWL_FAIL_TIMEOUT;
				}
			}
		} else if (!retry_left(c, ++cn->dist_tries)) {
			cn->sweep_done = true;  /* keep what we have */
		}
		return;
	}
	c->findnode_ok++;
	c->neighbors += n;
	cn->answered = true;
	cn->replied = true;
	cn->swept = true;
	cn->stamp_resp = true;
	if (n > DISCV4_MAX_RESULTS)
		n = DISCV4_MAX_RESULTS; /* the engine's cap */
	cn->neighbors = (uint16_t)(cn->neighbors + n < UINT16_MAX ?
				   cn->neighbors + n : UINT16_MAX);
	uint8_t ids[DISCV4_MAX_RESULTS][KAD_ID_LEN];

	for (unsigned i = 0; i < n; i++) {
		kad_node_id(ids[i], nodes[i].id);
		if (kad_log_distance(cn->id, ids[i]) <= (int)cn->dist)
			closer = true;
		(void)add_node(c, &nodes[i], ids[i], NULL);
	}
	if (c->cfg.on_neighbors && n)
		c->cfg.on_neighbors(c->cfg.neighbors_user, cn->id,
				    (const uint8_t (*)[KAD_ID_LEN])ids, n);
	cn->dist_tries = 0;
	if ((!closer && !c->cfg.full_sweep) || cn->dist <= c->min_dist)
		cn->sweep_done = true;
	else
		cn->dist--;
}

static void enr_cb(void *arg, int err, const struct enr *rec)
{
	struct cnode *cn = arg;
	struct crawl *c = cn->c;
	char text[ENR_TEXT_MAX];
	uint8_t pub[64];
	ssize_t len;

	cn->enr_busy = false;
	if (err == -ECANCELED) {
		c->cancelled = true;
		cn->enr_done = true;
		return;
	}
	mark_ready(cn);
	if (err == -ETIMEDOUT) {
		if (!retry_left(c, cn->enr_tries)) {
			cn->enr_done = true;
			cn->fail = CRAWL_FAIL_ENR_TIMEOUT;
		}
		return;
	}
	cn->enr_done = true;
	/* The engine verified the signature and the key; check the key again
	 * (cheap) so a record never lands under another node's id. */
	if (err || !rec || enr_pubkey(pub, rec) < 0 ||
	    memcmp(pub, cn->n.id, sizeof(pub)) ||
	    (len = enr_encode_text(text, sizeof(text), rec)) < 0) {
		cn->fail = CRAWL_FAIL_ENR_INVALID;
		return;
	}
	char *dup = malloc((size_t)len + 1);

	if (!dup)
		return;
	memcpy(dup, text, (size_t)len + 1);
	free(cn->record);
	cn->record = dup;               /* emitted at the next tick */
	mark_dirty(cn, CRAWL_EV_ENR);
	cn->seq = rec->seq;
	cn->enr_ok = true;
	cn->answered = true;
	cn->replied = true;
	cn->stamp_resp = true;
	cn->fail = -1;
	c->enr_verified++;
}

/* ---- scheduling ------------------------------------------------------ */

static void start_sweep(struct crawl *c, struct cnode *cn, uint64_t now)
{
	uint8_t target[DISCV4_PUB_LEN];
	int rc;

	if (kadtarget_pick(c->kt, target, cn->id, cn->dist,
			   (uint32_t)(cn->tries + cn->dist_tries)) < 0) {
		cn->sweep_done = true;
		return;
	}
	if (!cn->answered)
		cn->tries++;
	rc = discv4_findnode(c->d, &cn->n, target, now, sweep_cb, cn);
	if (rc < 0) {
		cn->sweep_done = true;
		if (!cn->answered)
			cn->fail = CRAWL_FAIL_REJECTED;
		return;
	}
	cn->sweep_busy = true;
	c->findnode_sent++;
}

static void start_enr(struct crawl *c, struct cnode *cn, uint64_t now)
{
	int rc;

	/* EIP-868: only a node whose Ping or Pong carried an enr-seq knows
	 * ENRRequest. To any other it is junk (ethereumjs counts an error
	 * per packet), and no record is no failure: it keeps its URL. */
	if (discv4_enr_seq(c->d, cn->n.id, cn->n.ep.ip, NULL) < 0) {
		cn->enr_done = true;
		if (!cn->no_eip868)
			c->enr_skipped++;       /* nodes, not rounds */
		cn->no_eip868 = true;
		return;
	}
	cn->enr_tries++;
	rc = discv4_request_enr(c->d, &cn->n, now, enr_cb, cn);
	if (rc < 0) {
		cn->enr_done = true;
		cn->fail = CRAWL_FAIL_REJECTED;
		return;
	}
	cn->enr_busy = true;
	c->enr_sent++;
}

static int out_score(const struct cnode *cn)
{
	if (cn->answered)
		return cn->prior_score + 1;
	if (cn->state == CN_DONE)
		return cn->prior_score / 2;
	return cn->prior_score;
}

/* Moves cn on after a result (or at its start). */
static void advance(struct crawl *c, struct cnode *cn, uint64_t now)
{
	int64_t now_s = (int64_t)(wallclock_unix_ns(c->cfg.wc, now) / NS_PER_S);

	if (cn->stamp_resp) {
		cn->stamp_resp = false;
		if (cn->first_response == CRAWL_ZERO_TIME)
			cn->first_response = now_s;
		cn->last_response = now_s;
		mark_dirty(cn, CRAWL_EV_ANSWERED);
	}
	if (cn->state != CN_ACTIVE)
		return;
	if (!cn->sweep_busy && !cn->sweep_done) {
		if (c->stopping)
			cn->sweep_done = true;
		else
			start_sweep(c, cn, now);
	}
	if (!cn->answered && cn->sweep_done && !cn->enr_busy)
		cn->enr_done = true;    /* never answered: no ENR to ask */
	if (cn->answered && !cn->enr_busy && !cn->enr_done) {
		if (c->stopping)
			cn->enr_done = true;
		else
			start_enr(c, cn, now);
	}
	if (cn->sweep_done && cn->enr_done && !cn->sweep_busy && !cn->enr_busy) {
		cn->state = CN_DONE;
		cn->done_ns = now;
		c->active--;
		c->checked++;
		if (cn->answered)
			c->answered++;
		if (cn->answered && !cn->replied)
			c->pong_only++;
		if (cn->fail >= 0)
			c->fail[cn->fail]++;
		mark_dirty(cn, CRAWL_EV_DONE |
			   (cn->fail >= 0 ? CRAWL_EV_FAILED : 0));
	}
}

static void start_node(struct crawl *c, struct cnode *cn, uint64_t now)
{
	cn->state = CN_ACTIVE;
	cn->granted = false;
	cn->check_ns = now;
	cn->done_ns = 0;
	cn->neighbors = 0;
	cn->last_check = (int64_t)(wallclock_unix_ns(c->cfg.wc, now) /
				   NS_PER_S);
	mark_dirty(cn, CRAWL_EV_CHECK);
	c->active++;
	advance(c, cn, now);
}

/* ---- public API ------------------------------------------------------- */

int crawl_new(struct crawl **out, struct discv4 *d,
	      const struct crawl_config *cfg, uint64_t now)
{
	struct crawl *c;
	unsigned kmin;

	if (!d || !cfg)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	c->cfg = *cfg;
	if (!c->cfg.max_nodes)
		c->cfg.max_nodes = CRAWL_DEFAULT_MAX_NODES;
	if (!c->cfg.parallel)
		c->cfg.parallel = CRAWL_DEFAULT_PARALLEL;
	if (!c->cfg.progress_ns)
		c->cfg.progress_ns = CRAWL_DEFAULT_PROGRESS_NS;
	c->retries = cfg->retries == CRAWL_NO_RETRY ? 0 :
		     cfg->retries ? cfg->retries : CRAWL_DEFAULT_RETRIES;
	c->kt = cfg->kt;
	if (!c->kt) {
		if (kadtarget_new(&c->own_kt, KADTARGET_DEFAULT_BITS, now) < 0)
			goto nomem;
		c->kt = c->own_kt;
	}
	kmin = kadtarget_min_distance(c->kt);
	c->min_dist = cfg->min_dist > kmin && cfg->min_dist <= KAD_HASH_BITS ?
		      cfg->min_dist : kmin;
	memcpy(c->self_id, discv4_table(d)->self_id, KAD_ID_LEN);
	c->index_cap = 1024;
	c->index = calloc(c->index_cap, sizeof(*c->index));
	if (!c->index)
		goto nomem;
	c->start = c->now = c->prog_at = now;
	c->timeout_at = cfg->timeout_ns ? now + cfg->timeout_ns : UINT64_MAX;
	c->next_progress = cfg->progress ? now + c->cfg.progress_ns : UINT64_MAX;
	c->linger = cfg->linger_ns == CRAWL_NO_LINGER ? 0 :
		    cfg->linger_ns ? cfg->linger_ns : CRAWL_DEFAULT_LINGER_NS;
	c->prog_pkts = pkts_total(c);
	*out = c;
	return 0;
nomem:
	crawl_free(c);
	return -ENOMEM;
}

void crawl_free(struct crawl *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->nodes[i]->record);
		free(c->nodes[i]);
	}
	free(c->nodes);
	free(c->index);
	free(c->queue);
	free(c->ready);
	free(c->dirty);
	kadtarget_free(c->own_kt);
	free(c);
}

int crawl_add_seed(struct crawl *c, const struct discv4_node *n)
{
	uint8_t id[KAD_ID_LEN];

	kad_node_id(id, n->id);
	return add_node(c, n, id, NULL);
}

static int node_from_record(struct discv4_node *n, const char *rec)
{
	size_t len = strlen(rec);

	memset(n, 0, sizeof(*n));
	if (len > 4 && !memcmp(rec, ENR_TEXT_PREFIX, 4)) {
		struct enr *r = malloc(sizeof(*r));
		uint8_t ip4[4];
		int rc;

		if (!r)
			return -ENOMEM;
		rc = enr_decode_text(r, rec, len) < 0 ? -EINVAL : 0;
		if (!rc && enr_verify(r) < 0)
			rc = -EKEYREJECTED;
		if (!rc && enr_pubkey(n->id, r) < 0)
			rc = -EINVAL;
		if (!rc && enr_get_ip(r, ip4) == 0 && enr_get_udp(r, &n->ep.udp) == 0) {
			n->ep.ip_len = 4;
			n->ep.ip[10] = n->ep.ip[11] = 0xff;
			memcpy(n->ep.ip + 12, ip4, 4);
			(void)enr_get_tcp(r, &n->ep.tcp);
		} else if (!rc && enr_get_ip6(r, n->ep.ip) == 0 &&
			   enr_get_udp6(r, &n->ep.udp) == 0) {
			n->ep.ip_len = 16;
			(void)enr_get_tcp6(r, &n->ep.tcp);
		} else if (!rc) {
			rc = -EINVAL;   /* no usable endpoint */
		}
		free(r);
		return rc;
	}
	struct enode e;

	if (enode_parse(&e, rec, len) < 0 || e.kind == ENODE_HOST_NAME)
		return -EINVAL;
	memcpy(n->id, e.pub, sizeof(n->id));
	memcpy(n->ep.ip, e.ip, 16);
	n->ep.ip_len = e.kind == ENODE_HOST_IP4 ? 4 : 16;
	n->ep.udp = e.udp;
	n->ep.tcp = e.tcp;
	return 0;
}

int crawl_add_prior(struct crawl *c, const struct crawl_prior *e)
{
	struct discv4_node n;
	uint8_t id[KAD_ID_LEN];
	struct cnode *cn;
	int rc;

	if (!e->record)
		return -EINVAL;
	rc = node_from_record(&n, e->record);
	if (rc < 0)
		return rc;
	kad_node_id(id, n.id);
	if (memcmp(id, e->id, KAD_ID_LEN))
		return -EKEYREJECTED;
	rc = add_node(c, &n, id, &cn);
	if (rc < 0)
		return rc;
	cn->prior = true;
	cn->seq = e->seq;
	cn->prior_score = e->score > 0 ? e->score : 0;
	cn->first_response = e->first_response;
	cn->last_response = e->last_response;
	cn->last_check = e->last_check;
	cn->record = strdup(e->record); /* its first emission carries it */
	return cn->record ? 0 : -ENOMEM;
}

void crawl_on_node_seen(struct crawl *c, const struct discv4_node *n,
			uint64_t now)
{
	uint8_t id[KAD_ID_LEN];
	struct cnode *cn;

	(void)now;
	if (!c || c->stopping)
		return;
	kad_node_id(id, n->id);
	if (add_node(c, n, id, &cn) == 0) {
		cn->inbound = true;
		c->inbound++;
	}
}

void crawl_on_bond(struct crawl *c, const struct discv4_node *n,
		   uint64_t now)
{
	uint8_t id[KAD_ID_LEN];
	struct cnode *cn;

	(void)now;
	if (!c || c->done)
		return;
	kad_node_id(id, n->id);
	cn = find_id(c, id);
	if (!cn || cn->ponged)
		return;
	cn->ponged = true;
	if (cn->state != CN_DONE || cn->answered)
		return;
	/* Given up earlier (its Pong came late, e.g. to our ping-back after
	 * it pinged us): answered now. */
	cn->answered = true;
	cn->stamp_resp = true;
	c->answered++;
	c->pong_only++;
	if (cn->fail >= 0 && c->fail[cn->fail])
		c->fail[cn->fail]--;
	cn->fail = -1;
	mark_ready(cn);
}

/* Makes a finished node queued again, undoing the accounting of its
 * finished check. */
static void undo_check(struct crawl *c, struct cnode *cn)
{
	c->checked--;
	mark_dirty(cn, 0);              /* its score is no longer halved */
	if (cn->answered) {
		c->answered--;
		if (!cn->replied)
			c->pong_only--;
	}
	if (cn->fail >= 0 && c->fail[cn->fail])
		c->fail[cn->fail]--;
	cn->state = CN_QUEUED;
	cn->fail = -1;
	cn->sweep_busy = cn->sweep_done = false;
	cn->enr_busy = false;
	cn->enr_done = cn->enr_ok;      /* asked again until verified */
	cn->dist = KAD_HASH_BITS;
	cn->tries = cn->dist_tries = cn->enr_tries = 0;
}

/* Queues every finished node that did not answer (it may have been busy),
 * whose Neighbors we could use (its table may have grown) or whose record
 * we could not verify (its ENRResponse, or our bond with it, was lost)
 * for another check, undoing the accounting of the finished one. Returns
 * how many. */
static size_t recheck(struct crawl *c)
{
	size_t k = 0;

	c->q_head = c->q_len = 0;       /* idle: the queue is drained */
	for (size_t i = 0; i < c->n; i++) {
		struct cnode *cn = c->nodes[i];

		if (cn->state != CN_DONE ||
		    (cn->answered && !cn->swept && cn->enr_ok))
			continue;
		undo_check(c, cn);
		c->queue[c->q_len++] = (uint32_t)i;     /* q_cap >= n */
		k++;
	}
	return k;
}

static void start_queued(struct crawl *c, uint64_t now)
{
	while (!c->stopping && c->active < c->cfg.parallel &&
	       c->q_head < c->q_len)
		start_node(c, c->nodes[c->queue[c->q_head++]], now);
	/* Leased: grants come forever; reuse the drained queue from its
	 * start (unleased, q_len only grows with the set, and recheck()
	 * relies on q_cap >= n). */
	if (c->cfg.leased && c->q_head == c->q_len)
		c->q_head = c->q_len = 0;
}

int crawl_grant(struct crawl *c, const struct discv4_node *n)
{
	uint8_t id[KAD_ID_LEN];
	struct cnode *cn;
	int rc;

	if (!c->cfg.leased || c->stopping)
		return -EPROTO;
	kad_node_id(id, n->id);
	cn = find_id(c, id);
	if (!cn) {
		rc = add_node(c, n, id, &cn);
		if (rc < 0)
			return rc;
	}
	if (cn->state == CN_ACTIVE || cn->granted)
		return -EBUSY;
	if (grow((void **)&c->queue, &c->q_cap, c->q_len + 1,
		 sizeof(*c->queue)) < 0)
		return -ENOMEM;
	if (cn->state == CN_DONE)
		undo_check(c, cn);
	cn->granted = true;
	c->queue[c->q_len++] = cn->idx;
	return 0;
}

unsigned crawl_wants(const struct crawl *c)
{
	uint64_t busy = c->active + (c->q_len - c->q_head);

	if (!c->cfg.leased || c->stopping || c->done ||
	    busy >= c->cfg.parallel)
		return 0;
	return (unsigned)(c->cfg.parallel - busy);
}

void crawl_stop(struct crawl *c)
{
	c->stopping = true;
}

/* Emits every node that changed, in the order they first changed. */
void crawl_emit(struct crawl *c)
{
	struct crawl_out o;

	for (size_t k = 0; k < c->n_dirty; k++) {
		struct cnode *cn = c->nodes[c->dirty[k]];

		cn->in_dirty = false;
		if (c->cfg.on_out) {
			memcpy(o.id, cn->id, CRAWL_ID_LEN);
			o.n = cn->n;
			o.record = cn->record;
			o.seq = cn->seq;
			o.score = out_score(cn);
			o.first_response = cn->first_response;
			o.last_response = cn->last_response;
			o.last_check = cn->last_check;
			o.events = cn->events;
			o.fail = cn->fail;
			o.answered = cn->answered;
			o.replied = cn->replied;
			o.enr_ok = cn->enr_ok;
			o.neighbors = cn->neighbors;
			/* The visit's times are Unix time for the store. */
			o.check_ns = cn->check_ns ?
				     wallclock_unix_ns(c->cfg.wc, cn->check_ns) : 0;
			o.done_ns = cn->done_ns ?
				    wallclock_unix_ns(c->cfg.wc, cn->done_ns) : 0;
			c->cfg.on_out(c->cfg.out_user, &o);
			c->emitted++;
		}
		cn->events = 0;
		free(cn->record);       /* the output keeps it now */
		cn->record = NULL;
	}
	c->n_dirty = 0;
}

void crawl_on_timer(struct crawl *c, uint64_t now)
{
	if (now > c->now)
		c->now = now;
	now = c->now;
	if (!c->stopping && (now >= c->timeout_at || c->cancelled)) {
		c->stopping = true;
		c->timed_out = now >= c->timeout_at;
	}
	/* Results first: they free slots and queue new nodes. A node that
	 * got a result while already in the array is processed once. Once
	 * done, late results are still applied (advance() starts nothing
	 * while stopping) so that the output has them. */
	for (size_t i = 0; i < c->n_ready; i++) {
		struct cnode *cn = c->ready[i];

		cn->in_ready = false;
		advance(c, cn, now);
	}
	c->n_ready = 0;
	if (c->done) {
		crawl_emit(c);
		return;
	}
	start_queued(c, now);
	if (c->cfg.leased) {
		/* The host ends a leased crawl (crawl_stop()). */
	} else if (!c->stopping && c->q_head == c->q_len && c->active == 0) {
		/* Idle: linger for nodes that ping us (they queue work). */
		if (!c->idle) {
			c->idle = true;
			c->idle_since = now;
		}
		if (now - c->idle_since < c->linger) {
			/* lingering */
		} else if (c->linger && c->timeout_at != UINT64_MAX) {
			/* A time limit: use it, as geth's crawler does, with
			 * another round of checks (or more lingering). */
			c->idle_since = now;
			if (recheck(c)) {
				c->rounds++;
				c->idle = false;
				start_queued(c, now);
			}
		} else {
			c->stopping = true;
		}
	} else {
		c->idle = false;
	}
	if (c->stopping) {
		c->done = true;
		c->end = now;
	}
	if (now >= c->next_progress) {
		char line[256];

		crawl_format_progress(c, now, line, sizeof(line));
		c->cfg.progress(c->cfg.progress_user, line);
		c->next_progress = c->done ? UINT64_MAX :
				   now + c->cfg.progress_ns;
	}
	crawl_emit(c);
}

uint64_t crawl_next_deadline(const struct crawl *c)
{
	uint64_t t = UINT64_MAX;

	if (c->n_ready || c->n_dirty ||
	    (!c->stopping && c->active < c->cfg.parallel && c->q_head < c->q_len))
		return c->now;
	if (!c->done) {
		if (c->timeout_at < t)
			t = c->timeout_at;
		if (c->idle && c->idle_since + c->linger < t)
			t = c->idle_since + c->linger;
		if (c->next_progress < t)
			t = c->next_progress;
	}
	return t;
}

bool crawl_done(const struct crawl *c)
{
	return c->done;
}

void crawl_progress(const struct crawl *c, struct crawl_stats *st)
{
	const struct discv4_stats *ds = discv4_stats(c->d);

	memset(st, 0, sizeof(*st));
	st->seen = c->n;
	st->queued = c->q_len - c->q_head;
	st->active = c->active;
	st->checked = c->checked;
	for (size_t i = 0; i < c->n; i++) {
		if (c->nodes[i]->answered && c->nodes[i]->state != CN_DONE)
			st->answered++;         /* answered, still sweeping */
		if (out_score(c->nodes[i]) > 0)
			st->in_output++;
	}
	st->answered += c->answered;
	st->enr_verified = c->enr_verified;
	st->pong_only = c->pong_only;
	st->inbound = c->inbound;
	st->rounds = c->rounds;
	for (size_t i = 0; i < c->n; i++)
		if (c->nodes[i]->answered && !c->nodes[i]->replied &&
		    c->nodes[i]->state != CN_DONE)
			st->pong_only++;
	st->findnode_sent = c->findnode_sent;
	st->findnode_ok = c->findnode_ok;
	st->neighbors = c->neighbors;
	st->enr_sent = c->enr_sent;
	memcpy(st->fail, c->fail, sizeof(st->fail));
	for (size_t i = 0; i <= DISCV4_ENRRESPONSE; i++) {
		st->pkts_tx += ds->tx[i];
		st->pkts_rx += ds->rx[i];
	}
	st->enr_skipped = c->enr_skipped;
	st->refused = c->refused;
	st->emitted = c->emitted;
	st->mem_bytes = sizeof(*c) + c->n * sizeof(struct cnode) +
			c->cap * sizeof(*c->nodes) +
			c->index_cap * sizeof(*c->index) +
			c->q_cap * sizeof(*c->queue) +
			c->cap_ready * sizeof(*c->ready) +
			c->cap_dirty * sizeof(*c->dirty);
	st->elapsed_ns = (c->done ? c->end : c->now) - c->start;
	if (c->idle)
		st->linger_ns = (c->done ? c->end : c->now) - c->idle_since;
	st->done = c->done;
	st->timed_out = c->timed_out;
	st->start_ns = c->start;
	st->max_nodes = c->cfg.max_nodes;
}

size_t crawl_format_progress(struct crawl *c, uint64_t now, char *out,
			     size_t cap)
{
	struct crawl_stats st;
	uint64_t pk = pkts_total(c);
	double dt = now > c->prog_at ? (double)(now - c->prog_at) / 1e9 : 0;
	double pps = dt > 0 ? (double)(pk - c->prog_pkts) / dt : 0;
	int n;

	if (!cap)
		return 0;
	crawl_progress(c, &st);
	c->prog_at = now;
	c->prog_pkts = pk;
	n = snprintf(out, cap,
		     "crawl: seen %llu answered %llu enr %llu queue %llu "
		     "inflight %llu packets/s %.0f",
		     (unsigned long long)st.seen, (unsigned long long)st.answered,
		     (unsigned long long)st.enr_verified,
		     (unsigned long long)st.queued, (unsigned long long)st.active,
		     pps);
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* CRAWL_NODE_BYTES bounds a node's share: its struct and malloc's header,
 * and at most twice its slot in each array (nodes 8, index 2 x 4, queue
 * 4, ready 8, dirty 4 bytes, doubled). */
_Static_assert(sizeof(struct cnode) + 16 + 2 * (8 + 8 + 4 + 8 + 4) <=
	       CRAWL_NODE_BYTES, "CRAWL_NODE_BYTES too small");
