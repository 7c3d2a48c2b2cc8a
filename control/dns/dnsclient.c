/* SPDX-License-Identifier: MIT */
/* control/dns/dnsclient.c - EIP-1459 DNS discovery client, sans-I/O.
 * The structure mirrors geth's p2p/dnsdisc: clientTree (one per tree),
 * subtreeSync (the walk of one subtree), linkCache (which tree links to
 * which) and the client's entry cache and rate limiter. Where geth blocks
 * (rate limiter, root back-off), a tree here is just not ready yet and
 * next_deadline() says when it will be. */
#include "control/dns/dnsclient.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S          1000000000ull
#define CACHE_KEY_LEN     20    /* geth truncateHash: base32 of 12 bytes */
#define LOC_MAX           (DNSTREE_KEY_TEXT_LEN + 1 + DNSTREE_DOMAIN_MAX + 1)

struct hashstr {
	char s[DNSTREE_HASH_TEXT_MAX + 1];
};

/* geth subtreeSync: the hashes still to resolve in one subtree. */
struct sub {
	bool set;
	bool link;                      /* the link subtree */
	char root[DNSTREE_HASH_TEXT_MAX + 1];
	struct hashstr *missing;
	size_t n, cap;
	size_t leaves;                  /* leaves resolved in this pass */
};

enum qkind { Q_NONE, Q_ROOT, Q_LINK, Q_ENR };

/* geth clientTree. */
struct tree {
	struct dnstree_link loc;
	bool has_root;
	struct dnstree_root root;
	uint64_t max_seq;               /* highest seq accepted */
	uint64_t last_root_check;
	uint64_t root_not_before;       /* back-off after root failures */
	unsigned leaf_fail, root_fail;
	struct sub links, enrs;
	/* The first walk under the current root (dnsclient_tree_info()). */
	bool links_walked;
	unsigned enr_passes;
	size_t n_link_entries, n_links;         /* link subtree */
	size_t n_enr_entries, n_records;        /* ENR subtree */
	char link_gc_root[DNSTREE_HASH_TEXT_MAX + 1];
	char (*cur_links)[LOC_MAX];     /* links in this tree's current root */
	size_t n_cur, cap_cur;
	uint64_t skip_gen;              /* not ready in this next_query() */
	/* The one lookup in flight, if any. */
	enum qkind q_kind;
	uint64_t q_id, q_deadline;
	size_t q_index;                 /* in the subtree's missing[] */
	char q_hash[DNSTREE_HASH_TEXT_MAX + 1];
};

/* geth linkCache, as a list of edges: tree "from" links to tree "to".
 * The trees the host added are linked from "". */
struct edge {
	char from[LOC_MAX];
	char to[LOC_MAX];
};

struct cache_ent {
	char key[CACHE_KEY_LEN + 1];
	char *text;
	size_t len;
	uint64_t used;
};

struct dnsclient {
	struct dnsclient_cfg cfg;
	struct dnsclient_stats st;
	uint64_t rng;
	uint64_t next_id;
	uint64_t gen;
	/* Token bucket as GCRA: a token is available when tat - tau <= now. */
	uint64_t tat, interval, tau;
	struct tree **trees;
	size_t n_trees;
	struct edge *edges;
	size_t n_edges, cap_edges;
	bool lc_changed;
	struct cache_ent *cache;
	size_t n_cache;
	uint64_t use_clock;
	struct dnsclient_node *queue;
	size_t q_head, q_count;
	struct dnstree_entry scratch;   /* parse buffer: too big for a stack */
};

static uint64_t rnd(struct dnsclient *c)
{
	/* splitmix64: the walk order needs no more than that. */
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int dnsclient_new(struct dnsclient **out, const struct dnsclient_cfg *cfg)
{
	struct dnsclient *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (cfg)
		c->cfg = *cfg;
	/* geth Config.withDefaults */
	if (!c->cfg.timeout_ns)
		c->cfg.timeout_ns = 5 * NS_PER_S;
	if (!c->cfg.recheck_ns)
		c->cfg.recheck_ns = 30 * 60 * NS_PER_S;
	if (!c->cfg.cache_limit)
		c->cfg.cache_limit = 1000;
	if (!c->cfg.rate)
		c->cfg.rate = 3;
	if (!c->cfg.burst)
		c->cfg.burst = 10;
	if (!c->cfg.queue_len)
		c->cfg.queue_len = 16;
	if (!c->cfg.max_trees)
		c->cfg.max_trees = 64;
	if (!c->cfg.max_links)
		c->cfg.max_links = 1024;
	c->rng = c->cfg.seed;
	c->next_id = 1;
	c->interval = NS_PER_S / c->cfg.rate;
	c->tau = (uint64_t)(c->cfg.burst - 1) * c->interval;
	c->trees = calloc(c->cfg.max_trees, sizeof(*c->trees));
	c->cache = calloc(c->cfg.cache_limit, sizeof(*c->cache));
	c->queue = calloc(c->cfg.queue_len, sizeof(*c->queue));
	if (!c->trees || !c->cache || !c->queue) {
		dnsclient_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

static void sub_free(struct sub *s)
{
	free(s->missing);
	memset(s, 0, sizeof(*s));
}

static void tree_free(struct tree *t)
{
	if (!t)
		return;
	sub_free(&t->links);
	sub_free(&t->enrs);
	free(t->cur_links);
	free(t);
}

void dnsclient_free(struct dnsclient *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_trees; i++)
		tree_free(c->trees[i]);
	for (size_t i = 0; i < c->n_cache; i++)
		free(c->cache[i].text);
	free(c->trees);
	free(c->edges);
	free(c->cache);
	free(c->queue);
	free(c);
}

/* --- token bucket --- */

static bool take_token(struct dnsclient *c, uint64_t now)
{
	if (c->tat > now + c->tau)
		return false;
	c->tat = (c->tat > now ? c->tat : now) + c->interval;
	return true;
}

static uint64_t token_time(const struct dnsclient *c)
{
	return c->tat > c->tau ? c->tat - c->tau : 0;
}

/* --- entry cache (geth: an LRU of cfg.CacheLimit by truncated hash) --- */

static struct cache_ent *cache_find(struct dnsclient *c, const char *hash)
{
	for (size_t i = 0; i < c->n_cache; i++)
		if (strncmp(c->cache[i].key, hash, CACHE_KEY_LEN) == 0)
			return &c->cache[i];
	return NULL;
}

/* A hit must also match the whole hash asked for: geth keys its cache by
 * the first 12 bytes only, and we can afford the keccak. */
static const struct cache_ent *cache_get(struct dnsclient *c, const char *hash)
{
	struct cache_ent *e = cache_find(c, hash);

	if (!e || !dnstree_hash_matches(hash, strlen(hash), e->text, e->len))
		return NULL;
	e->used = ++c->use_clock;
	return e;
}

static void cache_add(struct dnsclient *c, const char *hash, const char *txt,
		      size_t len)
{
	struct cache_ent *e = cache_find(c, hash);
	char *copy = malloc(len + 1);

	if (!copy)
		return;                 /* a cache miss later, nothing worse */
	memcpy(copy, txt, len);
	copy[len] = '\0';
	if (!e && c->n_cache < c->cfg.cache_limit) {
		e = &c->cache[c->n_cache++];
	} else if (!e) {
		e = &c->cache[0];       /* evict the least recently used */
		for (size_t i = 1; i < c->n_cache; i++)
			if (c->cache[i].used < e->used)
				e = &c->cache[i];
	}
	free(e->text);
	memcpy(e->key, hash, CACHE_KEY_LEN);
	e->key[CACHE_KEY_LEN] = '\0';
	e->text = copy;
	e->len = len;
	e->used = ++c->use_clock;
}

/* --- subtree walk --- */

static bool sub_done(const struct sub *s)
{
	return s->n == 0;
}

static int sub_push(struct sub *s, const char *h, size_t len)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct hashstr *m = realloc(s->missing, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		s->missing = m;
		s->cap = cap;
	}
	memcpy(s->missing[s->n].s, h, len);
	s->missing[s->n].s[len] = '\0';
	s->n++;
	return 0;
}

/* geth newSubtreeSync: missing = [root]. */
static int sub_reset(struct sub *s, const char *root, bool link)
{
	s->set = true;
	s->link = link;
	s->n = 0;
	s->leaves = 0;
	strcpy(s->root, root);
	return sub_push(s, root, strlen(root));
}

/* The link walk is breadth first in order (geth: missing = missing[1:]);
 * the ENR walk removes by swapping the last hash in (geth removeHash). */
static void sub_remove(struct sub *s, size_t idx)
{
	if (s->link) {
		memmove(&s->missing[0], &s->missing[1],
			(s->n - 1) * sizeof(s->missing[0]));
	} else if (idx < s->n - 1) {
		s->missing[idx] = s->missing[s->n - 1];
	}
	s->n--;
}

/* --- link cache --- */

static bool lc_referenced(const struct dnsclient *c, const char *loc)
{
	for (size_t i = 0; i < c->n_edges; i++)
		if (strcmp(c->edges[i].to, loc) == 0)
			return true;
	return false;
}

static struct edge *lc_find(struct dnsclient *c, const char *from,
			    const char *to)
{
	for (size_t i = 0; i < c->n_edges; i++)
		if (strcmp(c->edges[i].from, from) == 0 &&
		    strcmp(c->edges[i].to, to) == 0)
			return &c->edges[i];
	return NULL;
}

static int lc_add(struct dnsclient *c, const char *from, const char *to)
{
	if (lc_find(c, from, to))
		return -EEXIST;
	if (c->n_edges == c->cfg.max_links)
		return -ENOSPC;
	if (c->n_edges == c->cap_edges) {
		size_t cap = c->cap_edges ? c->cap_edges * 2 : 8;
		struct edge *e;

		if (cap > c->cfg.max_links)
			cap = c->cfg.max_links;
		e = realloc(c->edges, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		c->edges = e;
		c->cap_edges = cap;
	}
	snprintf(c->edges[c->n_edges].from, LOC_MAX, "%s", from);
	snprintf(c->edges[c->n_edges].to, LOC_MAX, "%s", to);
	c->n_edges++;
	c->lc_changed = true;
	return 0;
}

static bool in_keep(const struct tree *t, const char *loc)
{
	for (size_t i = 0; i < t->n_cur; i++)
		if (strcmp(t->cur_links[i], loc) == 0)
			return true;
	return false;
}

/* geth linkCache.resetLinks(from, keep): drop from's links to trees not in
 * keep, and, for every tree left with no link to it, its links in turn.
 * As in geth, keep is consulted at every level. */
static int lc_reset(struct dnsclient *c, const struct tree *t)
{
	char (*stk)[LOC_MAX] = malloc((c->n_edges + 1) * sizeof(*stk));
	size_t n = 0;

	if (!stk)
		return -ENOMEM;
	snprintf(stk[n++], LOC_MAX, "%s", t->loc.loc);
	while (n > 0) {
		char item[LOC_MAX];

		memcpy(item, stk[--n], LOC_MAX);
		for (size_t i = 0; i < c->n_edges;) {
			char to[LOC_MAX];

			if (strcmp(c->edges[i].from, item) != 0 ||
			    in_keep(t, c->edges[i].to)) {
				i++;
				continue;
			}
			memcpy(to, c->edges[i].to, LOC_MAX);
			c->edges[i] = c->edges[--c->n_edges];
			c->lc_changed = true;
			if (!lc_referenced(c, to))
				memcpy(stk[n++], to, LOC_MAX);
		}
	}
	free(stk);
	return 0;
}

static struct tree *tree_by_loc(struct dnsclient *c, const char *loc)
{
	for (size_t i = 0; i < c->n_trees; i++)
		if (strcmp(c->trees[i]->loc.loc, loc) == 0)
			return c->trees[i];
	return NULL;
}

/* geth randomIterator.rebuildTrees: drop trees nothing links to any more
 * (a lookup in flight for one becomes an unknown id), add the new ones. */
static void rebuild_trees(struct dnsclient *c)
{
	size_t o = 0;

	for (size_t i = 0; i < c->n_trees; i++) {
		if (lc_referenced(c, c->trees[i]->loc.loc))
			c->trees[o++] = c->trees[i];
		else
			tree_free(c->trees[i]);
	}
	c->n_trees = o;
	for (size_t i = 0; i < c->n_edges; i++) {
		char url[DNSTREE_LINK_TEXT_MAX];
		struct tree *t;
		int n;

		if (tree_by_loc(c, c->edges[i].to))
			continue;
		if (c->n_trees == c->cfg.max_trees) {
			c->st.refused_links++;
			continue;
		}
		t = calloc(1, sizeof(*t));
		n = snprintf(url, sizeof(url), DNSTREE_LINK_PREFIX "%s",
			     c->edges[i].to);
		if (!t || n < 0 || (size_t)n >= sizeof(url) ||
		    dnstree_parse_link(&t->loc, url, (size_t)n) < 0) {
			free(t);        /* cannot happen: parsed before */
			continue;
		}
		c->trees[c->n_trees++] = t;
	}
	c->lc_changed = false;
}

int dnsclient_add_tree(struct dnsclient *c, const char *url)
{
	struct dnstree_link l;

	if (dnstree_parse_link(&l, url, strlen(url)) < 0)
		return -EBADMSG;
	return lc_add(c, "", l.loc);
}

/* --- per-tree sync (geth clientTree) --- */

static bool root_due(const struct dnsclient *c, const struct tree *t,
		     uint64_t now)
{
	return !t->has_root || t->leaf_fail > DNSCLIENT_LEAF_FAILS ||
	       now >= t->last_root_check + c->cfg.recheck_ns;
}

/* geth canSyncRandom: the leaf count matters, since a tree whose ENR
 * subtree has been walked without a single leaf is empty. */
static bool can_sync(const struct dnsclient *c, const struct tree *t,
		     uint64_t now)
{
	return root_due(c, t, now) || !sub_done(&t->links) ||
	       !sub_done(&t->enrs) || t->enrs.leaves != 0;
}

static void issue(struct dnsclient *c, struct tree *t, enum qkind kind,
		  size_t idx, struct dnsclient_query *q, uint64_t now)
{
	t->q_kind = kind;
	t->q_id = c->next_id++;
	t->q_deadline = now + c->cfg.timeout_ns;
	t->q_index = idx;
	q->id = t->q_id;
	if (kind == Q_ROOT) {
		t->q_hash[0] = '\0';
		snprintf(q->name, sizeof(q->name), "%s", t->loc.domain);
	} else {
		struct sub *s = kind == Q_LINK ? &t->links : &t->enrs;

		strcpy(t->q_hash, s->missing[idx].s);
		snprintf(q->name, sizeof(q->name), "%s.%s", t->q_hash,
			 t->loc.domain);
	}
	c->st.queries++;
}

static void leaf_failed(struct tree *t)
{
	t->leaf_fail++;
}

static void root_failed(struct tree *t, uint64_t now)
{
	uint64_t delay = 0;

	t->root_fail++;
	/* geth slowdownRootUpdate: back off when the tree keeps failing. */
	if (t->root_fail > 20)
		delay = 10 * NS_PER_S;
	else if (t->root_fail > 5)
		delay = 5 * NS_PER_S;
	t->root_not_before = now + delay;
}

static void cur_links_add(struct tree *t, const char *loc)
{
	if (in_keep(t, loc))
		return;
	if (t->n_cur == t->cap_cur) {
		size_t cap = t->cap_cur ? t->cap_cur * 2 : 4;
		char (*m)[LOC_MAX] = realloc(t->cur_links, cap * sizeof(*m));

		if (!m)
			return;
		t->cur_links = m;
		t->cap_cur = cap;
	}
	snprintf(t->cur_links[t->n_cur++], LOC_MAX, "%s", loc);
}

static void queue_node(struct dnsclient *c, const struct tree *t,
		       const struct enr *r)
{
	struct dnsclient_node *n;

	if (c->q_count == c->cfg.queue_len)
		return;                 /* cannot happen: steps wait for room */
	n = &c->queue[(c->q_head + c->q_count) % c->cfg.queue_len];
	n->enr = *r;
	snprintf(n->domain, sizeof(n->domain), "%s", t->loc.domain);
	c->q_count++;
	c->st.nodes++;
}

static bool take_parsed(struct dnsclient *c, struct tree *t, struct sub *s,
			size_t idx, const char *txt, struct dnstree_entry *e);

/* geth subtreeSync.resolveNext and what syncNextLink/syncNextRandomENR do
 * with its result, for the entry txt found at missing[idx] of the
 * subtree (already checked against its hash). */
/* Counts an entry of the first walk under the current root, and notes
 * the end of a walk. */
static void walk_note(struct tree *t, const struct sub *s,
		      enum dnstree_type type)
{
	if (s->link && !t->links_walked) {
		t->n_link_entries++;
		t->n_links += type == DNSTREE_LINK;
	} else if (!s->link && t->enr_passes == 0) {
		t->n_enr_entries++;
		t->n_records += type == DNSTREE_ENR;
	}
	if (!sub_done(s))
		return;
	if (s->link)
		t->links_walked = true;
	else
		t->enr_passes++;
}

static void take_entry(struct dnsclient *c, struct tree *t, struct sub *s,
		       size_t idx, const char *txt, size_t len)
{
	struct dnstree_entry *e = &c->scratch;

	if (dnstree_parse_entry(e, txt, len) < 0) {
		c->st.bad_entries++;    /* cannot happen: parsed before */
		leaf_failed(t);
		return;
	}
	if (take_parsed(c, t, s, idx, txt, e))
		walk_note(t, s, e->type);
}

/* take_entry() for a parsed entry; false: refused (counted). */
static bool take_parsed(struct dnsclient *c, struct tree *t, struct sub *s,
			size_t idx, const char *txt, struct dnstree_entry *e)
{
	switch (e->type) {
	case DNSTREE_ENR:
		if (s->link) {          /* geth errENRInLinkTree */
			c->st.bad_entries++;
			leaf_failed(t);
			return false;
		}
		s->leaves++;
		sub_remove(s, idx);
		queue_node(c, t, &e->u.enr);
		break;
	case DNSTREE_LINK:
		if (!s->link) {         /* geth errLinkInENRTree */
			c->st.bad_entries++;
			leaf_failed(t);
			return false;
		}
		s->leaves++;
		sub_remove(s, idx);
		if (lc_add(c, t->loc.loc, e->u.link.loc) == -ENOSPC)
			c->st.refused_links++;
		else
			c->st.links++;
		cur_links_add(t, e->u.link.loc);
		break;
	case DNSTREE_BRANCH:
		for (size_t i = 0; i < e->u.branch.n; i++)
			if (sub_push(s, txt + e->u.branch.child[i].off,
				     e->u.branch.child[i].len) < 0)
				break;
		/* Children are appended first, then the branch removed,
		 * as geth does. */
		sub_remove(s, idx);
		break;
	}
	return true;
}

/* geth gcLinks: once the link walk of a new link root is done, forget the
 * links the old root had. */
static void gc_links(struct dnsclient *c, struct tree *t)
{
	if (!sub_done(&t->links) || strcmp(t->root.lroot, t->link_gc_root) == 0)
		return;
	if (lc_reset(c, t) == 0)
		strcpy(t->link_gc_root, t->root.lroot);
}

enum step_rc { STEP_QUERY, STEP_PROGRESS, STEP_BLOCKED };

static enum step_rc resolve(struct dnsclient *c, struct tree *t,
			    enum qkind kind, size_t idx,
			    struct dnsclient_query *q, uint64_t now)
{
	struct sub *s = kind == Q_LINK ? &t->links : &t->enrs;
	const struct cache_ent *ce = cache_get(c, s->missing[idx].s);

	if (ce) {
		char *copy = malloc(ce->len + 1);

		/* take_entry() may add links but never touches the cache;
		 * the copy keeps that true if it ever does. */
		if (!copy)
			return STEP_BLOCKED;
		memcpy(copy, ce->text, ce->len + 1);
		c->st.cache_hits++;
		take_entry(c, t, s, idx, copy, ce->len);
		free(copy);
		return STEP_PROGRESS;
	}
	issue(c, t, kind, idx, q, now);
	return STEP_QUERY;
}

/* geth clientTree.syncRandom, one lookup (or cache hit) at a time. */
static enum step_rc step(struct dnsclient *c, struct tree *t,
			 struct dnsclient_query *q, uint64_t now)
{
	if (root_due(c, t, now)) {
		if (now < t->root_not_before)
			return STEP_BLOCKED;
		t->last_root_check = now;
		issue(c, t, Q_ROOT, 0, q, now);
		return STEP_QUERY;
	}
	/* The link walk goes first and runs to its end. */
	if (!sub_done(&t->links)) {
		if (!take_token(c, now))
			return STEP_BLOCKED;
		return resolve(c, t, Q_LINK, 0, q, now);
	}
	gc_links(c, t);
	/* Once every ENR has been seen, start over: the cache (and the
	 * resolvers' caches) make the second pass cheap. */
	if (sub_done(&t->enrs))
		(void)sub_reset(&t->enrs, t->root.eroot, false);
	if (sub_done(&t->enrs))
		return STEP_BLOCKED;    /* out of memory */
	if (!take_token(c, now))
		return STEP_BLOCKED;
	return resolve(c, t, Q_ENR, (size_t)(rnd(c) % t->enrs.n), q, now);
}

static struct tree *tree_by_query(struct dnsclient *c, uint64_t id)
{
	for (size_t i = 0; i < c->n_trees; i++)
		if (c->trees[i]->q_kind != Q_NONE && c->trees[i]->q_id == id)
			return c->trees[i];
	return NULL;
}

static void failed(struct tree *t, enum qkind kind, uint64_t now)
{
	if (kind == Q_ROOT)
		root_failed(t, now);
	else
		leaf_failed(t);
}

static void expire(struct dnsclient *c, uint64_t now)
{
	for (size_t i = 0; i < c->n_trees; i++) {
		struct tree *t = c->trees[i];

		if (t->q_kind == Q_NONE || now < t->q_deadline)
			continue;
		c->st.timeouts++;
		failed(t, t->q_kind, now);
		t->q_kind = Q_NONE;
	}
}

int dnsclient_next_query(struct dnsclient *c, struct dnsclient_query *q,
			 uint64_t now)
{
	uint64_t gen = ++c->gen;

	expire(c, now);
	/* Every pass either returns, uses a rate token (finitely many at
	 * one now), or marks a tree not ready: bounded. */
	for (;;) {
		struct tree *t = NULL;
		uint64_t k = 0;

		if (c->lc_changed)
			rebuild_trees(c);
		if (c->q_count == c->cfg.queue_len)
			return -EAGAIN;         /* no demand */
		/* geth pickTree: a random tree among those that can sync
		 * (reservoir sampling, one pass). */
		for (size_t i = 0; i < c->n_trees; i++) {
			struct tree *u = c->trees[i];

			if (u->q_kind != Q_NONE || u->skip_gen == gen ||
			    !can_sync(c, u, now))
				continue;
			if (rnd(c) % ++k == 0)
				t = u;
		}
		if (!t)
			return -EAGAIN;
		switch (step(c, t, q, now)) {
		case STEP_QUERY:
			return 0;
		case STEP_BLOCKED:
			t->skip_gen = gen;
			break;
		case STEP_PROGRESS:
			break;
		}
	}
}

/* The root answer: geth resolveRoot takes the first TXT string starting
 * with "enrtree-root:v1" and nothing else. */
static void on_root(struct dnsclient *c, struct tree *t,
		    const char *const txt[], const size_t len[], size_t n,
		    uint64_t now)
{
	static const size_t plen = sizeof(DNSTREE_ROOT_PREFIX) - 1;
	struct dnstree_root r;
	size_t i;

	for (i = 0; i < n; i++)
		if (len[i] >= plen &&
		    memcmp(txt[i], DNSTREE_ROOT_PREFIX, plen) == 0)
			break;
	if (i == n || dnstree_parse_root(&r, txt[i], len[i]) < 0 ||
	    dnstree_root_verify(&r, t->loc.pub) < 0 ||
	    (t->has_root && r.seq < t->max_seq)) {
		c->st.bad_roots++;
		root_failed(t, now);
		return;
	}
	/* A new subtree root restarts that walk (out of memory leaves it
	 * empty, i.e. done, until the next root). */
	if (!t->links.set || strcmp(t->links.root, r.lroot) != 0) {
		(void)sub_reset(&t->links, r.lroot, true);
		t->n_cur = 0;
		t->links_walked = false;
		t->n_link_entries = t->n_links = 0;
	}
	if (!t->enrs.set || strcmp(t->enrs.root, r.eroot) != 0) {
		(void)sub_reset(&t->enrs, r.eroot, false);
		t->enr_passes = 0;
		t->n_enr_entries = t->n_records = 0;
	}
	t->root = r;
	t->has_root = true;
	t->max_seq = r.seq;
	t->root_fail = 0;
	t->leaf_fail = 0;
	c->st.roots++;
}

/* An entry answer: geth doResolveEntry takes the first TXT string with a
 * known entry prefix; it must hash to the name asked for and parse. */
static void on_entry(struct dnsclient *c, struct tree *t, enum qkind kind,
		     const char *const txt[], const size_t len[], size_t n)
{
	struct sub *s = kind == Q_LINK ? &t->links : &t->enrs;
	size_t i;
	ssize_t rc = -ENOMSG;

	for (i = 0; i < n; i++) {
		rc = dnstree_parse_entry(&c->scratch, txt[i], len[i]);
		if (rc != -ENOMSG)
			break;
	}
	if (i == n) {
		c->st.bad_entries++;    /* geth errNoEntry */
		leaf_failed(t);
		return;
	}
	if (!dnstree_hash_matches(t->q_hash, strlen(t->q_hash), txt[i],
				  len[i])) {
		c->st.hash_mismatch++;
		leaf_failed(t);
		return;
	}
	if (rc < 0) {
		c->st.bad_entries++;
		leaf_failed(t);
		return;
	}
	cache_add(c, t->q_hash, txt[i], len[i]);
	/* Nothing else touches the subtree while its lookup is in flight;
	 * check anyway rather than trust an index. */
	if (t->q_index >= s->n ||
	    strcmp(s->missing[t->q_index].s, t->q_hash) != 0)
		return;
	take_entry(c, t, s, t->q_index, txt[i], len[i]);
}

int dnsclient_on_answer(struct dnsclient *c, uint64_t id,
			const char *const txt[], const size_t len[], size_t n,
			uint64_t now)
{
	struct tree *t = tree_by_query(c, id);
	enum qkind kind;

	if (!t) {
		c->st.late++;
		return -ENOENT;
	}
	kind = t->q_kind;
	t->q_kind = Q_NONE;
	c->st.answers++;
	if (kind == Q_ROOT)
		on_root(c, t, txt, len, n, now);
	else
		on_entry(c, t, kind, txt, len, n);
	return 0;
}

int dnsclient_on_failure(struct dnsclient *c, uint64_t id, uint64_t now)
{
	struct tree *t = tree_by_query(c, id);

	if (!t) {
		c->st.late++;
		return -ENOENT;
	}
	c->st.failures++;
	failed(t, t->q_kind, now);
	t->q_kind = Q_NONE;
	return 0;
}

int dnsclient_next_node(struct dnsclient *c, struct dnsclient_node *out)
{
	if (c->q_count == 0)
		return -EAGAIN;
	*out = c->queue[c->q_head];
	c->q_head = (c->q_head + 1) % c->cfg.queue_len;
	c->q_count--;
	return 0;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

uint64_t dnsclient_next_deadline(const struct dnsclient *c)
{
	uint64_t d = UINT64_MAX;
	bool demand = c->q_count < c->cfg.queue_len;

	if (demand && c->lc_changed)
		return 0;
	for (size_t i = 0; i < c->n_trees; i++) {
		const struct tree *t = c->trees[i];
		uint64_t recheck = max64(t->last_root_check + c->cfg.recheck_ns,
					 t->root_not_before);
		uint64_t at;

		if (t->q_kind != Q_NONE) {
			if (t->q_deadline < d)
				d = t->q_deadline;
			continue;
		}
		if (!demand)
			continue;
		if (!t->has_root || t->leaf_fail > DNSCLIENT_LEAF_FAILS)
			at = t->root_not_before;
		else if (!sub_done(&t->links) || !sub_done(&t->enrs) ||
			 t->enrs.leaves != 0)
			at = token_time(c) < recheck ? token_time(c) : recheck;
		else
			at = recheck;   /* empty tree: wait for a new root */
		if (at < d)
			d = at;
	}
	return d;
}

const struct dnsclient_stats *dnsclient_stats(const struct dnsclient *c)
{
	return &c->st;
}

size_t dnsclient_tree_count(const struct dnsclient *c)
{
	return c->n_trees;
}

static bool tree_synced(const struct tree *t)
{
	return t->has_root && t->links_walked && t->enr_passes > 0;
}

int dnsclient_tree_info(const struct dnsclient *c, size_t i,
			struct dnsclient_tree_info *out)
{
	const struct tree *t;

	if (i >= c->n_trees)
		return -ENOENT;
	t = c->trees[i];
	memset(out, 0, sizeof(*out));
	snprintf(out->url, sizeof(out->url), DNSTREE_LINK_PREFIX "%s",
		 t->loc.loc);
	snprintf(out->domain, sizeof(out->domain), "%s", t->loc.domain);
	out->has_root = t->has_root;
	out->seq = t->root.seq;
	out->synced = tree_synced(t);
	out->entries = t->n_link_entries + t->n_enr_entries;
	out->records = t->n_records;
	out->links = t->n_links;
	out->root_failures = t->root_fail;
	return 0;
}

bool dnsclient_synced(const struct dnsclient *c)
{
	if (c->lc_changed || c->n_trees == 0)
		return false;
	for (size_t i = 0; i < c->n_trees; i++)
		if (!tree_synced(c->trees[i]))
			return false;
	return true;
}
