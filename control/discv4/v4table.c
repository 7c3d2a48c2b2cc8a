/* SPDX-License-Identifier: MIT */
/* control/discv4/v4table.c - the discv4 table's upkeep (geth table.go, lookup.go, table_reval.go): seeding, refresh, lookups, revalidation. */
#include "control/discv4/v4table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/discv4/v4lookup.h"

struct v4table_lookup {
	struct v4lookup v;
	struct v4table_lookup *next;
	bool refresh;           /* part of a refresh run */
	v4table_nodes_fn *cb;
	void *arg;
};

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       0xff, 0xff };

void v4table_node_from_kad(struct discv4_node *out, const struct kad_node *k)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->ep.ip, k->ip, 16);
	out->ep.ip_len = memcmp(k->ip, v4_prefix, 12) == 0 ? 4 : 16;
	out->ep.udp = k->udp_port;
	out->ep.tcp = k->tcp_port;
	memcpy(out->id, k->pub, DISCV4_PUB_LEN);
}

void v4table_init(struct v4table *t, const uint8_t self_pub[DISCV4_PUB_LEN],
		  uint64_t seed, uint64_t ping_interval_ns, bool no_refresh,
		  const struct v4table_ops *ops, void *user, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	kad_table_init(&t->tab, self_pub, seed, ping_interval_ns);
	t->ops = *ops;
	t->user = user;
	t->no_refresh = no_refresh;
	t->reval_deadline = now;
	t->refresh_at = no_refresh ? UINT64_MAX : now;
	t->small_retry = V4TABLE_EMPTY_RETRY_NS;
	if (no_refresh)
		kad_mark_init_done(&t->tab);
}

void v4table_fini(struct v4table *t)
{
	while (t->lookups) {
		struct v4table_lookup *lk = t->lookups;

		t->lookups = lk->next;
		if (!lk->refresh && lk->cb)
			lk->cb(lk->arg, -ECANCELED, NULL, 0);
		v4lookup_fini(&lk->v);
		free(lk);
	}
	kad_table_fini(&t->tab);
	free(t->boot);
	t->boot = NULL;
	t->n_boot = 0;
}

int v4table_add_bootnode(struct v4table *t, const struct discv4_node *n)
{
	struct discv4_node *nb;

	nb = realloc(t->boot, (t->n_boot + 1) * sizeof(*nb));

	if (!nb)
		return -ENOMEM;
	t->boot = nb;
	t->boot[t->n_boot++] = *n;
	return 0;
}

/* ---- table maintenance --------------------------------------------- */

void v4table_add(struct v4table *t, const struct discv4_node *n,
		 uint64_t enr_seq, unsigned flags, uint64_t now)
{
	struct kad_node_info info;

	memset(&info, 0, sizeof(info));
	memcpy(info.pub, n->id, DISCV4_PUB_LEN);
	memcpy(info.ip, n->ep.ip, 16);
	info.udp_port = n->ep.udp;
	info.tcp_port = n->ep.tcp;
	info.enr_seq = enr_seq;
	switch (kad_add(&t->tab, &info, flags, now)) {
	case KAD_ADDED:
	case KAD_UPDATED:
		/* New work for the revalidation schedule. */
		if (t->reval_deadline > now)
			t->reval_deadline = now;
		break;
	default:
		break;
	}
}

void v4table_reval_done(struct v4table *t, const struct discv4_node *n,
			bool alive, uint64_t enr_seq, uint64_t now)
{
	int rc = kad_revalidation_done(&t->tab, n->id, alive, enr_seq, now);

	if (rc == KAD_REVAL_LIVE_NEW_ENR)
		(void)t->ops.request_enr(t->user, n, now);
	t->reval_deadline = now;        /* re-run the schedule */
}

void v4table_reval_enr(struct v4table *t, const struct discv4_node *n,
		       bool ok, uint64_t seq, uint64_t now)
{
	/* kad: after KAD_REVAL_LIVE_NEW_ENR, re-add with the new seq. */
	if (ok)
		v4table_add(t, n, seq, 0, now);
}

static void run_revalidation(struct v4table *t, uint64_t now)
{
	const struct kad_node *k;
	uint64_t dl = KAD_NEVER;

	if (t->reval_deadline > now)
		return;
	while ((k = kad_next_revalidation(&t->tab, now, &dl)) != NULL) {
		struct discv4_node n;

		v4table_node_from_kad(&n, k);
		if (t->ops.ping(t->user, &n, now) < 0)
			(void)kad_revalidation_done(&t->tab, n.id, false, 0,
						    now);
	}
	t->reval_deadline = dl;
}

/* ---- lookups (geth lookup.go) -------------------------------------- */

static void lk_offer(struct v4table_lookup *lk, const struct v4table *t,
		     const struct discv4_node *n)
{
	if (memcmp(n->id, t->tab.self_pub, DISCV4_PUB_LEN) != 0)
		(void)v4lookup_offer(&lk->v, n);
}

static void refresh_step(struct v4table *t, uint64_t now);

static void lookup_finish(struct v4table *t, struct v4table_lookup *lk,
			  uint64_t now)
{
	struct discv4_node out[V4LOOKUP_RESULTS];
	struct v4table_lookup **pp;
	unsigned n;

	for (pp = &t->lookups; *pp != lk; pp = &(*pp)->next)
		;
	*pp = lk->next;
	n = v4lookup_results(&lk->v, out);
	if (t->stat_lookups_done)
		(*t->stat_lookups_done)++;
	if (lk->refresh)
		refresh_step(t, now);
	else if (lk->cb)
		lk->cb(lk->arg, 0, out, n);
	v4lookup_fini(&lk->v);
	free(lk);
}

/* Keeps V4TABLE_ALPHA queries in flight to the closest unasked nodes; the
 * lookup ends when none is in flight and none is left to ask. */
static void lookup_advance(struct v4table *t, struct v4table_lookup *lk,
			   uint64_t now)
{
	const struct discv4_node *next;

	while ((next = v4lookup_next_query(&lk->v, V4TABLE_ALPHA)) != NULL) {
		struct discv4_node n = *next;

		if (t->ops.findnode(t->user, &n, lk->v.target, lk, now) == 0)
			v4lookup_query_started(&lk->v);
	}
	if (v4lookup_done(&lk->v))
		lookup_finish(t, lk, now);
}

void v4table_lookup_result(struct v4table *t, struct v4table_lookup *lk,
			   const struct discv4_node *nodes, unsigned n,
			   int err, uint64_t now)
{
	v4lookup_query_done(&lk->v);
	if (err == 0) {
		for (unsigned i = 0; i < n; i++) {
			lk_offer(lk, t, &nodes[i]);
			/* geth addFoundNode: unverified until revalidated. */
			v4table_add(t, &nodes[i], 0, 0, now);
			if (t->ops.seen)
				t->ops.seen(t->user, &nodes[i], now);
		}
	}
	if (err != -ECANCELED)
		lookup_advance(t, lk, now);
}

static int lookup_start(struct v4table *t, const uint8_t target[64],
			uint64_t now, bool refresh, v4table_nodes_fn *cb,
			void *arg)
{
	const struct kad_node *close[V4LOOKUP_RESULTS];
	struct v4table_lookup *lk = calloc(1, sizeof(*lk));
	size_t n;

	if (!lk)
		return -ENOMEM;
	v4lookup_init(&lk->v, target);
	lk->refresh = refresh;
	lk->cb = cb;
	lk->arg = arg;
	n = kad_closest(&t->tab, close, V4LOOKUP_RESULTS, lk->v.target_id,
			false);
	for (size_t i = 0; i < n; i++) {
		struct discv4_node nd;

		v4table_node_from_kad(&nd, close[i]);
		lk_offer(lk, t, &nd);
	}
	if (n == 0)
		for (size_t i = 0; i < t->n_boot; i++)
			lk_offer(lk, t, &t->boot[i]);
	if (lk->v.n_res == 0) {
		v4lookup_fini(&lk->v);
		free(lk);
		return -EAGAIN;
	}
	lk->next = t->lookups;
	t->lookups = lk;
	if (t->stat_lookups)
		(*t->stat_lookups)++;
	lookup_advance(t, lk, now);
	return 0;
}

int v4table_lookup(struct v4table *t, const uint8_t target[DISCV4_PUB_LEN],
		   uint64_t now, v4table_nodes_fn *cb, void *arg)
{
	return lookup_start(t, target, now, false, cb, arg);
}

/* ---- refresh (geth table.doRefresh) -------------------------------- */

static void random_target(struct v4table *t, uint8_t target[64])
{
	for (int i = 0; i < 64; i += 8) {
		uint64_t r = kad_rand(&t->tab);

		memcpy(target + i, &r, 8);
	}
}

/* Runs the next lookup of a refresh: self first, then three random
 * targets, one after the other. */
static void refresh_step(struct v4table *t, uint64_t now)
{
	uint8_t target[64];

	while (t->refresh_left > 0) {
		if (t->refresh_left == 4) {
			/* The self lookup is done: inbound nodes may enter. */
			kad_mark_init_done(&t->tab);
		}
		t->refresh_left--;
		random_target(t, target);
		if (lookup_start(t, target, now, true, NULL, NULL) == 0)
			return;
	}
	kad_mark_init_done(&t->tab);
	t->refreshing = false;
	if (t->no_refresh) {
		t->refresh_at = UINT64_MAX;
	} else if (kad_len(&t->tab) >= KAD_BUCKET_SIZE) {
		t->refresh_at = now + V4TABLE_REFRESH_NS;
		t->small_retry = V4TABLE_EMPTY_RETRY_NS;
	} else {
		/* A nearly empty table (a lost bootstrap packet, say) is
		 * refreshed again soon rather than in 30 minutes, backing
		 * off (10 s, 20 s, ... V4TABLE_SMALL_RETRY_MAX_NS): in a
		 * small or overloaded network a fixed short period only
		 * multiplies the load that kept the table small. */
		t->refresh_at = now + t->small_retry;
		t->small_retry *= 2;
		if (t->small_retry > V4TABLE_SMALL_RETRY_MAX_NS)
			t->small_retry = V4TABLE_SMALL_RETRY_MAX_NS;
	}
}

void v4table_refresh(struct v4table *t, uint64_t now)
{
	if (t->refreshing)
		return;
	t->refreshing = true;
	/* geth loadSeedNodes: bootnodes enter the table unverified. */
	for (size_t i = 0; i < t->n_boot; i++)
		v4table_add(t, &t->boot[i], 0, 0, now);
	t->refresh_left = 4;
	if (lookup_start(t, t->tab.self_pub, now, true, NULL, NULL) == 0)
		return;
	refresh_step(t, now);
}

void v4table_on_timer(struct v4table *t, uint64_t now)
{
	/* geth refreshes whenever the table runs empty (all bootnodes
	 * lost, say); retry on a short period then. */
	if (!t->refreshing && !t->no_refresh && kad_len(&t->tab) == 0 &&
	    t->refresh_at > now + V4TABLE_EMPTY_RETRY_NS)
		t->refresh_at = now + V4TABLE_EMPTY_RETRY_NS;
	if (!t->refreshing && t->refresh_at <= now)
		v4table_refresh(t, now);
	/* Last: the steps above may add nodes and so schedule pings. */
	run_revalidation(t, now);
}

uint64_t v4table_deadline(const struct v4table *t)
{
	uint64_t dl = t->reval_deadline;

	if (!t->refreshing && t->refresh_at < dl)
		dl = t->refresh_at;
	return dl;
}
