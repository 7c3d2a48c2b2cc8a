/* SPDX-License-Identifier: MIT */
/* control/discv5/v5map.c - keyed hash map from byte keys to pointers. */
#include "control/discv5/v5map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 16

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3)                                          \
	do {                                                              \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32); \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                    \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                    \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32); \
	} while (0)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* SipHash-1-3 (Aumasson, Bernstein): one compression round per word and
 * three finalisation rounds, as Rust's and Python's hash tables use. */
uint64_t v5map_siphash(uint64_t k0, uint64_t k1, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k1 ^ 0x7465646279746573ull;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, tail = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t j = 0; j < tail; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

int v5map_init(struct v5map *m, size_t klen, const uint8_t seed[16])
{
	memset(m, 0, sizeof(*m));
	if (klen == 0 || klen > V5MAP_KEY_MAX)
		return -EINVAL;
	m->klen = klen;
	m->k0 = le64(seed);
	m->k1 = le64(seed + 8);
	return 0;
}

void v5map_fini(struct v5map *m)
{
	free(m->s);
	m->s = NULL;
	m->cap = m->n = 0;
}

static uint64_t hash_of(const struct v5map *m, const void *key)
{
	return v5map_siphash(m->k0, m->k1, key, m->klen);
}

static struct v5map_slot *find(const struct v5map *m, const void *key,
			       uint64_t h)
{
	size_t mask = m->cap - 1, i;

	if (m->cap == 0)
		return NULL;
	for (i = h & mask; m->s[i].key; i = (i + 1) & mask)
		if (m->s[i].hash == h && memcmp(m->s[i].key, key, m->klen) == 0)
			return &m->s[i];
	return NULL;
}

void *v5map_get(const struct v5map *m, const void *key)
{
	struct v5map_slot *s = find(m, key, hash_of(m, key));

	return s ? s->val : NULL;
}

static void place(struct v5map_slot *s, size_t cap, const struct v5map_slot *e)
{
	size_t i;

	for (i = e->hash & (cap - 1); s[i].key; i = (i + 1) & (cap - 1))
		;
	s[i] = *e;
}

static int grow(struct v5map *m)
{
	size_t cap = m->cap ? m->cap * 2 : MIN_CAP;
	struct v5map_slot *s = calloc(cap, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->s[i].key)
			place(s, cap, &m->s[i]);
	free(m->s);
	m->s = s;
	m->cap = cap;
	return 0;
}

int v5map_put(struct v5map *m, const void *key, void *val)
{
	uint64_t h = hash_of(m, key);
	struct v5map_slot *s = find(m, key, h), e;

	if (s) {
		s->key = key;
		s->val = val;
		return 0;
	}
	if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
		return -ENOMEM;
	e.key = key;
	e.val = val;
	e.hash = h;
	place(m->s, m->cap, &e);
	m->n++;
	return 0;
}

void *v5map_del(struct v5map *m, const void *key)
{
	struct v5map_slot *s = find(m, key, hash_of(m, key));
	size_t mask, i, j, home;
	void *val;

	if (!s)
		return NULL;
	val = s->val;
	mask = m->cap - 1;
	i = (size_t)(s - m->s);
	m->s[i].key = NULL;
	m->n--;
	/* Backward shift: pull later members of the probe run into the hole
	 * unless their home slot lies cyclically in (i, j]. */
	for (j = (i + 1) & mask; m->s[j].key; j = (j + 1) & mask) {
		home = m->s[j].hash & mask;
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && home <= i && home > j)) {
			m->s[i] = m->s[j];
			m->s[j].key = NULL;
			i = j;
		}
	}
	return val;
}

size_t v5map_len(const struct v5map *m)
{
	return m->n;
}

void *v5map_next(const struct v5map *m, size_t *iter)
{
	while (*iter < m->cap) {
		struct v5map_slot *s = &m->s[(*iter)++];

		if (s->key)
			return s->val;
	}
	return NULL;
}
