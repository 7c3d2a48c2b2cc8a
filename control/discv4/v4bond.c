/* SPDX-License-Identifier: MIT */
/* control/discv4/v4bond.c - the discv4 engine's endpoint proofs per (node id, IP). */
#include "control/discv4/v4bond.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { SLOT_EMPTY = 0, SLOT_USED, SLOT_TOMB };

void v4bond_init(struct v4bond_table *t, const uint8_t key[SIPHASH_KEY_LEN],
		 uint64_t expiry_ns, size_t max)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->key, key, SIPHASH_KEY_LEN);
	t->expiry_ns = expiry_ns;
	t->max = max;
}

void v4bond_fini(struct v4bond_table *t)
{
	free(t->slots);
	explicit_bzero(t, sizeof(*t));
}

static size_t slot_hash(const struct v4bond_table *t, const uint8_t pub[64],
			const uint8_t ip[16])
{
	uint8_t k[64 + 16];

	memcpy(k, pub, 64);
	memcpy(k + 64, ip, 16);
	return (size_t)siphash24(t->key, k, sizeof(k));
}

struct v4bond *v4bond_find(const struct v4bond_table *t, const uint8_t pub[64],
			   const uint8_t ip[16])
{
	size_t mask = t->cap - 1, i;

	if (!t->slots)
		return NULL;
	/* Terminates: the load factor stays below 3/4. */
	for (i = slot_hash(t, pub, ip) & mask;; i = (i + 1) & mask) {
		struct v4bond *b = &t->slots[i];

		if (b->state == SLOT_EMPTY)
			return NULL;
		if (b->state == SLOT_USED && memcmp(b->ip, ip, 16) == 0 &&
		    memcmp(b->pub, pub, 64) == 0)
			return b;
	}
}

static bool stale(const struct v4bond_table *t, const struct v4bond *b,
		  uint64_t now)
{
	return b->pong_rx + t->expiry_ns < now &&
	       b->ping_rx + t->expiry_ns < now;
}

static int rebuild(struct v4bond_table *t, size_t cap, uint64_t now,
		   bool evict_unproven)
{
	struct v4bond *nb = calloc(cap, sizeof(*nb)), *old = t->slots;
	size_t used = 0;

	if (!nb)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		struct v4bond *b = &old[i];
		size_t j;

		if (b->state != SLOT_USED || stale(t, b, now))
			continue;
		if (evict_unproven && b->pong_rx + t->expiry_ns < now)
			continue;
		for (j = slot_hash(t, b->pub, b->ip) & (cap - 1);
		     nb[j].state != SLOT_EMPTY; j = (j + 1) & (cap - 1))
			;
		nb[j] = *b;
		used++;
	}
	free(old);
	t->slots = nb;
	t->cap = cap;
	t->n_used = used;
	t->n_tomb = 0;
	return 0;
}

struct v4bond *v4bond_get(struct v4bond_table *t, const uint8_t pub[64],
			  const uint8_t ip[16], uint64_t now)
{
	struct v4bond *b = v4bond_find(t, pub, ip);
	size_t mask, i;

	if (b)
		return b;
	if (!t->slots || (t->n_used + t->n_tomb + 1) * 4 > t->cap * 3) {
		size_t cap = t->slots ? t->cap : 64;

		if (t->slots && (t->n_used + 1) * 2 > t->cap)
			cap *= 2;
		if (cap > 2 * t->max) {
			/* Full: keep only live proofs. */
			cap = 2 * t->max;
			if (rebuild(t, cap, now, true) < 0)
				return NULL;
			if ((t->n_used + 1) * 4 > cap * 3)
				return NULL;
		} else if (rebuild(t, cap, now, false) < 0) {
			return NULL;
		}
	}
	mask = t->cap - 1;
	for (i = slot_hash(t, pub, ip) & mask; t->slots[i].state == SLOT_USED;
	     i = (i + 1) & mask)
		;
	b = &t->slots[i];
	if (b->state == SLOT_TOMB)
		t->n_tomb--;
	memset(b, 0, sizeof(*b));
	b->state = SLOT_USED;
	memcpy(b->pub, pub, 64);
	memcpy(b->ip, ip, 16);
	t->n_used++;
	return b;
}

bool v4bond_proven(const struct v4bond_table *t, const uint8_t pub[64],
		   const uint8_t ip[16], uint64_t now)
{
	const struct v4bond *b = v4bond_find(t, pub, ip);

	return b && b->pong_rx && b->pong_rx + t->expiry_ns >= now;
}

bool v4bond_pinged(const struct v4bond *b, uint64_t expiry_ns, uint64_t now)
{
	return b && b->ping_rx && b->ping_rx + expiry_ns >= now;
}

void v4bond_note_seq(struct v4bond *b, bool has_seq, uint64_t seq)
{
	if (!b)
		return;
	b->seq_state = has_seq ? V4BOND_SEQ_PRESENT : V4BOND_SEQ_ABSENT;
	b->enr_seq = has_seq ? seq : 0;
}

size_t v4bond_size(const struct v4bond_table *t)
{
	return t->n_used;
}
