/* SPDX-License-Identifier: MIT */
/* control/discv4/v4pending.c - the discv4 engine's pending replies: indexed by (node id, IP, reply type), queued by deadline, capped. */
#include "control/discv4/v4pending.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 64

int v4pending_init(struct v4pending *p, const uint8_t key[SIPHASH_KEY_LEN],
		   size_t max, size_t max_unsolicited, size_t max_per_key)
{
	memset(p, 0, sizeof(*p));
	p->tab = calloc(MIN_BUCKETS, sizeof(*p->tab));
	if (!p->tab)
		return -ENOMEM;
	p->n_buckets = MIN_BUCKETS;
	p->max = max;
	p->max_unsolicited = max_unsolicited;
	p->max_per_key = max_per_key;
	memcpy(p->key, key, SIPHASH_KEY_LEN);
	return 0;
}

void v4pending_fini(struct v4pending *p)
{
	free(p->tab);
	explicit_bzero(p, sizeof(*p));
}

static uint64_t key_hash(const struct v4pending *p, const uint8_t pub[64],
			 const uint8_t ip[16], uint8_t rtype)
{
	uint8_t k[64 + 16 + 1];

	memcpy(k, pub, 64);
	memcpy(k + 64, ip, 16);
	k[80] = rtype;
	return siphash24(p->key, k, sizeof(k));
}

static bool same_key(const struct v4pending_entry *e, uint64_t h,
		     const uint8_t pub[64], const uint8_t ip[16], uint8_t rtype)
{
	return e->hash == h && e->rtype == rtype &&
	       memcmp(e->ip, ip, 16) == 0 && memcmp(e->pub, pub, 64) == 0;
}

static void hash_link(struct v4pending *p, struct v4pending_entry *e)
{
	struct v4pending_entry **b = &p->tab[e->hash & (p->n_buckets - 1)];

	e->hnext = *b;
	if (*b)
		(*b)->hpprev = &e->hnext;
	e->hpprev = b;
	*b = e;
}

static void hash_unlink(struct v4pending_entry *e)
{
	*e->hpprev = e->hnext;
	if (e->hnext)
		e->hnext->hpprev = e->hpprev;
	e->hnext = NULL;
	e->hpprev = NULL;
}

static void queue_append(struct v4pending *p, struct v4pending_entry *e)
{
	e->qnext = NULL;
	e->qprev = p->tail;
	if (p->tail)
		p->tail->qnext = e;
	else
		p->head = e;
	p->tail = e;
}

static void queue_unlink(struct v4pending *p, struct v4pending_entry *e)
{
	if (e->qprev)
		e->qprev->qnext = e->qnext;
	else
		p->head = e->qnext;
	if (e->qnext)
		e->qnext->qprev = e->qprev;
	else
		p->tail = e->qprev;
	e->qnext = e->qprev = NULL;
}

/* Doubles the buckets at load factor 1. Every entry is on the queue, so
 * the queue is the list to relink from. On ENOMEM chains just grow. */
static void maybe_grow(struct v4pending *p)
{
	size_t nb = p->n_buckets * 2;
	struct v4pending_entry **t;

	if (p->n < p->n_buckets)
		return;
	t = calloc(nb, sizeof(*t));
	if (!t)
		return;
	free(p->tab);
	p->tab = t;
	p->n_buckets = nb;
	for (struct v4pending_entry *e = p->head; e; e = e->qnext)
		hash_link(p, e);
}

int v4pending_admit(const struct v4pending *p, const uint8_t pub[64],
		    const uint8_t ip[16], uint8_t rtype, bool unsolicited)
{
	uint64_t h;
	size_t same = 0;

	if (p->n >= p->max)
		return V4PENDING_FULL;
	if (unsolicited && p->n_unsolicited >= p->max_unsolicited)
		return V4PENDING_UNSOLICITED_FULL;
	h = key_hash(p, pub, ip, rtype);
	for (const struct v4pending_entry *e = p->tab[h & (p->n_buckets - 1)];
	     e; e = e->hnext)
		same += same_key(e, h, pub, ip, rtype);
	return same >= p->max_per_key ? V4PENDING_KEY_FULL : 0;
}

void v4pending_add(struct v4pending *p, struct v4pending_entry *e,
		   uint64_t deadline)
{
	e->hash = key_hash(p, e->pub, e->ip, e->rtype);
	e->deadline = deadline;
	p->n++;
	p->n_unsolicited += e->unsolicited;
	maybe_grow(p);          /* before linking: relinks what is queued */
	hash_link(p, e);
	queue_append(p, e);
}

void v4pending_remove(struct v4pending *p, struct v4pending_entry *e)
{
	hash_unlink(e);
	queue_unlink(p, e);
	p->n--;
	p->n_unsolicited -= e->unsolicited;
}

void v4pending_rearm(struct v4pending *p, struct v4pending_entry *e,
		     uint8_t rtype, uint64_t deadline)
{
	hash_unlink(e);
	queue_unlink(p, e);
	e->rtype = rtype;
	e->hash = key_hash(p, e->pub, e->ip, rtype);
	e->deadline = deadline;
	hash_link(p, e);
	queue_append(p, e);
}

struct v4pending_entry *v4pending_first(const struct v4pending *p,
					const uint8_t pub[64],
					const uint8_t ip[16], uint8_t rtype)
{
	uint64_t h = key_hash(p, pub, ip, rtype);
	struct v4pending_entry *e = p->tab[h & (p->n_buckets - 1)];

	while (e && !same_key(e, h, pub, ip, rtype))
		e = e->hnext;
	return e;
}

struct v4pending_entry *v4pending_next(const struct v4pending_entry *e)
{
	struct v4pending_entry *n = e->hnext;

	while (n && !same_key(n, e->hash, e->pub, e->ip, e->rtype))
		n = n->hnext;
	return n;
}

struct v4pending_entry *v4pending_due(const struct v4pending *p, uint64_t now,
				      uint64_t warp_ns)
{
	struct v4pending_entry *e = p->head;

	if (e && (e->deadline <= now || e->deadline - now > warp_ns))
		return e;
	return NULL;
}

uint64_t v4pending_deadline(const struct v4pending *p)
{
	return p->head ? p->head->deadline : UINT64_MAX;
}

struct v4pending_entry *v4pending_oldest(const struct v4pending *p)
{
	return p->head;
}

size_t v4pending_count(const struct v4pending *p)
{
	return p->n;
}

size_t v4pending_unsolicited(const struct v4pending *p)
{
	return p->n_unsolicited;
}
