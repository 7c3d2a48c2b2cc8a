/* SPDX-License-Identifier: MIT */
/* control/discv4/v4lookup.c - one iterative discv4 lookup's state (geth lookup.go): results by distance, nodes seen, queries in flight. */
#include "control/discv4/v4lookup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void v4lookup_init(struct v4lookup *lk, const uint8_t target[DISCV4_PUB_LEN])
{
	memset(lk, 0, sizeof(*lk));
	memcpy(lk->target, target, DISCV4_PUB_LEN);
	kad_node_id(lk->target_id, target);
}

void v4lookup_fini(struct v4lookup *lk)
{
	free(lk->seen);
	lk->seen = NULL;
	lk->n_seen = lk->cap_seen = 0;
}

static bool seen(const struct v4lookup *lk, const uint8_t id[KAD_ID_LEN])
{
	for (size_t i = 0; i < lk->n_seen; i++)
		if (memcmp(lk->seen[i], id, KAD_ID_LEN) == 0)
			return true;
	return false;
}

static int mark_seen(struct v4lookup *lk, const uint8_t id[KAD_ID_LEN])
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
 * and capped at V4LOOKUP_RESULTS. */
static void push(struct v4lookup *lk, const struct discv4_node *n,
		 const uint8_t id[KAD_ID_LEN])
{
	unsigned pos = lk->n_res;

	while (pos > 0 &&
	       kad_dist_cmp(lk->target_id, id, lk->res[pos - 1].id) < 0)
		pos--;
	if (pos >= V4LOOKUP_RESULTS)
		return;
	if (lk->n_res < V4LOOKUP_RESULTS)
		lk->n_res++;
	memmove(&lk->res[pos + 1], &lk->res[pos],
		(lk->n_res - 1 - pos) * sizeof(lk->res[0]));
	lk->res[pos].n = *n;
	memcpy(lk->res[pos].id, id, KAD_ID_LEN);
	lk->res[pos].asked = false;
}

bool v4lookup_offer(struct v4lookup *lk, const struct discv4_node *n)
{
	uint8_t id[KAD_ID_LEN];

	kad_node_id(id, n->id);
	if (seen(lk, id) || mark_seen(lk, id) < 0)
		return false;
	push(lk, n, id);
	return true;
}

const struct discv4_node *v4lookup_next_query(struct v4lookup *lk,
					      unsigned alpha)
{
	if (lk->inflight >= alpha)
		return NULL;
	for (unsigned i = 0; i < lk->n_res; i++) {
		struct v4lookup_entry *e = &lk->res[i];

		if (!e->asked) {
			e->asked = true;
			return &e->n;
		}
	}
	return NULL;
}

void v4lookup_query_started(struct v4lookup *lk)
{
	lk->inflight++;
}

void v4lookup_query_done(struct v4lookup *lk)
{
	if (lk->inflight > 0)
		lk->inflight--;
}

bool v4lookup_done(const struct v4lookup *lk)
{
	return lk->inflight == 0;
}

unsigned v4lookup_results(const struct v4lookup *lk, struct discv4_node *out)
{
	for (unsigned i = 0; i < lk->n_res; i++)
		out[i] = lk->res[i].n;
	return lk->n_res;
}
