/* SPDX-License-Identifier: MIT */
/* control/crawl/crawl5.c - sans-I/O discv5 crawler (see crawl5.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/siphash.h"
#include "control/crawl/crawl5.h"

enum c5_state {
	C5_QUEUED = 0,
	C5_ENR,                 /* FINDNODE [0] in flight */
	C5_SWEEP,               /* FINDNODE [dist] in flight */
	C5_DONE,
};

struct c5_node {
	struct discv5_node n;
	int score;
	int64_t first_response, last_response, last_check;
	int fail;
	unsigned found;
	unsigned tries;         /* of the current step */
	unsigned dist;          /* sweep: the distance asked */
	unsigned empty_run;     /* sweep: empty answers in a row */
	unsigned slot;          /* in crawl5.act while worked on */
	uint8_t state;
	bool had_nodes;         /* the last sweep answer held records */
	bool ready;             /* a result waits for crawl5_on_timer() */
	bool answered;          /* answered FINDNODE [0] in this crawl */
	int res_err;
	struct crawl5 *c;
};

struct crawl5 {
	struct discv5 *d;
	struct crawl5_config cfg;
	uint8_t self[DISCV5_NODE_ID_LEN];
	uint8_t hkey[SIPHASH_KEY_LEN];
	struct c5_node **nodes;         /* learning order */
	size_t n_nodes, cap_nodes;
	uint32_t *index;                /* open addressing: node + 1, 0 empty */
	size_t index_cap;               /* power of two */
	size_t next_queued;             /* nodes[] below it left the queue */
	struct c5_node **act;           /* cfg.parallel slots: worked on */
	unsigned active;
	uint64_t deadline;
	struct crawl5_stats st;
};

static int64_t unix_s(const struct crawl5 *c, uint64_t now)
{
	uint64_t u = c->cfg.wc ? wallclock_unix_ns(c->cfg.wc, now) : now;

	return (int64_t)(u / 1000000000ull);
}

static size_t slot_of(const struct crawl5 *c, const uint8_t *id)
{
	return (size_t)siphash24(c->hkey, id, DISCV5_NODE_ID_LEN) &
	       (c->index_cap - 1);
}

static struct c5_node *find(const struct crawl5 *c, const uint8_t *id)
{
	for (size_t i = slot_of(c, id);; i = (i + 1) & (c->index_cap - 1)) {
		uint32_t v = c->index[i];

		if (!v)
			return NULL;
		if (!memcmp(c->nodes[v - 1]->n.id, id, DISCV5_NODE_ID_LEN))
			return c->nodes[v - 1];
	}
}

static int index_grow(struct crawl5 *c)
{
	size_t cap = c->index_cap ? c->index_cap * 2 : 1024;
	uint32_t *ix = calloc(cap, sizeof(*ix));

	if (!ix)
		return -ENOMEM;
	free(c->index);
	c->index = ix;
	c->index_cap = cap;
	for (size_t k = 0; k < c->n_nodes; k++) {
		size_t i = slot_of(c, c->nodes[k]->n.id);

		while (c->index[i])
			i = (i + 1) & (cap - 1);
		c->index[i] = (uint32_t)k + 1;
	}
	return 0;
}

static void emit(struct crawl5 *c, const struct c5_node *x)
{
	struct crawl5_out o = {
		.n = &x->n, .score = x->score,
		.first_response = x->first_response,
		.last_response = x->last_response,
		.last_check = x->last_check,
		.checked = x->state == C5_DONE, .answered = x->answered,
		.fail = x->fail, .found = x->found,
	};

	if (c->cfg.on_out)
		c->cfg.on_out(c->cfg.out_user, &o);
}

/* learn() adds n to the set (or refreshes the record of a known node when
 * n's is newer). Returns the node, NULL with *rc set otherwise. */
static struct c5_node *learn(struct crawl5 *c, const struct discv5_node *n,
			     int *rc)
{
	static const uint8_t zero[SECP_PUB_LEN];
	struct c5_node *x;
	size_t i;

	*rc = 0;
	if (!memcmp(n->id, c->self, DISCV5_NODE_ID_LEN) || !n->udp ||
	    !memcmp(n->pub, zero, SECP_PUB_LEN)) {
		*rc = -EINVAL;
		return NULL;
	}
	x = find(c, n->id);
	if (x) {
		if (n->enr_len && (!x->n.enr_len || n->seq > x->n.seq))
			x->n = *n;
		*rc = -EEXIST;
		return NULL;
	}
	if (c->n_nodes >= c->cfg.max_nodes) {
		c->st.refused++;
		*rc = -ENOSPC;
		return NULL;
	}
	if ((c->n_nodes + 1) * 2 > c->index_cap && index_grow(c)) {
		*rc = -ENOMEM;
		return NULL;
	}
	if (c->n_nodes == c->cap_nodes) {
		size_t cap = c->cap_nodes ? c->cap_nodes * 2 : 256;
		struct c5_node **p = realloc(c->nodes, cap * sizeof(*p));

		if (!p) {
			*rc = -ENOMEM;
			return NULL;
		}
		c->nodes = p;
		c->cap_nodes = cap;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		*rc = -ENOMEM;
		return NULL;
	}
	x->n = *n;
	x->c = c;
	x->fail = -1;
	x->first_response = x->last_response = x->last_check =
		CRAWL5_ZERO_TIME;
	for (i = slot_of(c, n->id); c->index[i];
	     i = (i + 1) & (c->index_cap - 1))
		;
	c->index[i] = (uint32_t)c->n_nodes + 1;
	c->nodes[c->n_nodes++] = x;
	c->st.seen++;
	return x;
}

int crawl5_new(struct crawl5 **out, struct discv5 *d,
	       const struct crawl5_config *cfg, uint64_t now_ns)
{
	struct crawl5 *c;

	*out = NULL;
	if (!d || (cfg && cfg->min_dist > 256))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	if (cfg)
		c->cfg = *cfg;
	if (!c->cfg.parallel)
		c->cfg.parallel = CRAWL5_DEFAULT_PARALLEL;
	if (!c->cfg.max_nodes)
		c->cfg.max_nodes = CRAWL5_DEFAULT_MAX_NODES;
	if (!c->cfg.min_dist)
		c->cfg.min_dist = CRAWL5_DEFAULT_MIN_DIST;
	if (!c->cfg.retries)
		c->cfg.retries = 1;
	else if (c->cfg.retries == CRAWL5_NO_RETRY)
		c->cfg.retries = 0;
	/* Our own id: the engine's table is keyed by it. */
	memcpy(c->self, discv5_table(d)->self_id, DISCV5_NODE_ID_LEN);
	memcpy(c->hkey, &c->cfg.seed, sizeof(c->cfg.seed));
	memcpy(c->hkey + 8, c->self, 8);
	c->deadline = c->cfg.timeout_ns ? now_ns + c->cfg.timeout_ns :
		      UINT64_MAX;
	c->act = calloc(c->cfg.parallel, sizeof(*c->act));
	if (!c->act || index_grow(c)) {
		free(c->act);
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void crawl5_free(struct crawl5 *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_nodes; i++)
		free(c->nodes[i]);
	free(c->nodes);
	free(c->index);
	free(c->act);
	free(c);
}

static int add(struct crawl5 *c, const struct discv5_node *n, int score,
	       int64_t first, int64_t last)
{
	struct c5_node *x;
	int rc;

	if (!n || !c)
		return -EINVAL;
	x = learn(c, n, &rc);
	if (!x)
		return rc;
	x->score = score;
	x->first_response = first;
	x->last_response = last;
	emit(c, x);
	return 0;
}

int crawl5_add_seed(struct crawl5 *c, const struct discv5_node *n)
{
	return add(c, n, 0, CRAWL5_ZERO_TIME, CRAWL5_ZERO_TIME);
}

int crawl5_add_prior(struct crawl5 *c, const struct discv5_node *n, int score,
		     int64_t first_response, int64_t last_response)
{
	return add(c, n, score, first_response, last_response);
}

void crawl5_on_node_seen(struct crawl5 *c, const struct discv5_node *n,
			 uint64_t now_ns)
{
	(void)now_ns;
	if (c && !c->st.done)
		(void)add(c, n, 0, CRAWL5_ZERO_TIME, CRAWL5_ZERO_TIME);
}

/* ---- engine callbacks: record only ------------------------------------ */

static void enr_cb(void *arg, int err, const struct discv5_node *n)
{
	struct c5_node *x = arg;

	if (err == -ECANCELED)
		return;
	x->res_err = err;
	if (!err) {
		if (!x->n.enr_len || n->seq >= x->n.seq)
			x->n = *n;
		x->c->st.records++;
	}
	x->ready = true;
}

static void nodes_cb(void *arg, int err, const struct discv5_node *nodes,
		     unsigned cnt)
{
	struct c5_node *x = arg;
	struct crawl5 *c = x->c;
	int rc;

	if (err == -ECANCELED)
		return;
	/* A partial answer (fewer NODES than announced) still counts. */
	x->res_err = cnt ? 0 : err;
	x->had_nodes = cnt > 0;
	x->found += cnt;
	c->st.records += cnt;
	for (unsigned i = 0; i < cnt; i++) {
		struct c5_node *y = learn(c, &nodes[i], &rc);

		if (y)
			emit(c, y);
	}
	x->ready = true;
}

/* ---- the work --------------------------------------------------------- */

static void finish(struct crawl5 *c, struct c5_node *x, int fail)
{
	x->state = C5_DONE;
	x->fail = fail;
	c->act[x->slot] = NULL;
	if (!x->answered) {
		x->score /= 2;
		if (fail >= 0)
			c->st.fail[fail]++;
	}
	c->active--;
	c->st.checked++;
	emit(c, x);
}

static void sweep_next(struct crawl5 *c, struct c5_node *x, uint64_t now)
{
	uint16_t dist;
	int rc;

	for (;;) {
		if (x->dist < c->cfg.min_dist || x->dist == 0) {
			finish(c, x, -1);
			return;
		}
		dist = (uint16_t)x->dist;
		rc = discv5_findnode(c->d, &x->n, &dist, 1, now, nodes_cb, x);
		if (rc == 0) {
			x->state = C5_SWEEP;
			c->st.findnode_sent++;
			return;
		}
		x->dist = 0;            /* refused: the sweep ends */
	}
}

static void start(struct crawl5 *c, struct c5_node *x, uint64_t now)
{
	int rc;

	x->last_check = unix_s(c, now);
	x->tries++;
	rc = discv5_request_enr(c->d, &x->n, now, enr_cb, x);
	if (rc) {
		finish(c, x, CRAWL5_FAIL_REJECTED);
		return;
	}
	x->state = C5_ENR;
}

static void apply(struct crawl5 *c, struct c5_node *x, uint64_t now)
{
	int err = x->res_err;

	x->ready = false;
	if (x->state == C5_ENR) {
		if (!err) {
			int64_t t = x->last_check;

			x->answered = true;
			x->score++;
			if (x->first_response == CRAWL5_ZERO_TIME)
				x->first_response = t;
			x->last_response = t;
			c->st.answered++;
			x->tries = 0;
			x->dist = 256;
			sweep_next(c, x, now);
			return;
		}
		if (err == -ETIMEDOUT && x->tries <= c->cfg.retries) {
			x->tries++;
			if (discv5_request_enr(c->d, &x->n, now, enr_cb, x))
				finish(c, x, CRAWL5_FAIL_REJECTED);
			return;
		}
		finish(c, x, err == -ETIMEDOUT ? CRAWL5_FAIL_TIMEOUT :
			     CRAWL5_FAIL_BAD_ANSWER);
		return;
	}
	/* C5_SWEEP */
	if (err == -ETIMEDOUT && x->tries < c->cfg.retries) {
		x->tries++;
		sweep_next(c, x, now);
		return;
	}
	x->tries = 0;
	if (err) {
		finish(c, x, -1);       /* it answered [0]: a short sweep */
		return;
	}
	c->st.findnode_ok++;
	if (x->had_nodes)
		x->empty_run = 0;
	else
		x->empty_run++;
	x->dist--;
	if (!c->cfg.full_sweep && x->empty_run >= CRAWL5_EMPTY_STOP)
		x->dist = 0;
	sweep_next(c, x, now);
}

void crawl5_on_timer(struct crawl5 *c, uint64_t now_ns)
{
	if (c->st.done)
		return;
	for (unsigned i = 0; i < c->cfg.parallel; i++) {
		struct c5_node *x = c->act[i];

		if (x && x->ready)
			apply(c, x, now_ns);
	}
	if (now_ns >= c->deadline) {
		c->st.done = c->st.timed_out = true;
		return;
	}
	for (unsigned i = 0; i < c->cfg.parallel &&
	     c->next_queued < c->n_nodes; i++) {
		struct c5_node *x;

		if (c->act[i])
			continue;
		x = c->nodes[c->next_queued++];
		x->slot = i;
		c->act[i] = x;
		c->active++;
		start(c, x, now_ns);
	}
	if (c->active == 0 && c->next_queued == c->n_nodes)
		c->st.done = true;
}

uint64_t crawl5_next_deadline(const struct crawl5 *c)
{
	return c->st.done ? UINT64_MAX : c->deadline;
}

bool crawl5_done(const struct crawl5 *c)
{
	return c->st.done;
}

void crawl5_progress(const struct crawl5 *c, struct crawl5_stats *st)
{
	*st = c->st;
	st->active = c->active;
	st->queued = c->n_nodes - c->next_queued;
}

void crawl5_each(const struct crawl5 *c, crawl5_out_fn *fn, void *user)
{
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct c5_node *x = c->nodes[i];
		struct crawl5_out o = {
			.n = &x->n, .score = x->score,
			.first_response = x->first_response,
			.last_response = x->last_response,
			.last_check = x->last_check,
			.checked = x->state == C5_DONE,
			.answered = x->answered, .fail = x->fail,
			.found = x->found,
		};

		fn(user, &o);
	}
}

size_t crawl5_format_summary(const struct crawl5 *c, char *out, size_t cap)
{
	struct crawl5_stats s5, *st = &s5;
	uint64_t in_output = 0;
	int n;

	if (!cap)
		return 0;
	crawl5_progress(c, st);
	for (size_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i]->score > 0)
			in_output++;
	n = snprintf(out, cap,
		     "crawl v5 %s: %llu nodes seen, %llu answered "
		     "FINDNODE [0], %llu in output; failures: %llu no answer, %llu rejected, "
		     "%llu bad answer; not reached %llu\n"
		     "requests v5: %llu FINDNODE by distance (%llu answered, "
		     "%llu records)",
		     st->timed_out ? "timed out" : st->done ? "finished" :
		     "stopped", (unsigned long long)st->seen,
		     (unsigned long long)st->answered,
		     (unsigned long long)in_output,
		     (unsigned long long)st->fail[CRAWL5_FAIL_TIMEOUT],
		     (unsigned long long)st->fail[CRAWL5_FAIL_REJECTED],
		     (unsigned long long)st->fail[CRAWL5_FAIL_BAD_ANSWER],
		     (unsigned long long)st->queued,
		     (unsigned long long)st->findnode_sent,
		     (unsigned long long)st->findnode_ok,
		     (unsigned long long)st->records);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;
}
