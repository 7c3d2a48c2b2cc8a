/* SPDX-License-Identifier: MIT */
/* control/discv5/v5map.h - keyed hash map from byte keys to pointers. */
#ifndef CONTROL_V5MAP_H
#define CONTROL_V5MAP_H
#include <stddef.h>
#include <stdint.h>

/*
 * The discv5 engine indexes sessions, challenges, calls and records by
 * keys that a remote chooses (node ids from unauthenticated headers,
 * source addresses, nonces). The hash is SipHash-1-3 under a secret key
 * drawn at engine start, so a remote cannot aim keys at one chain.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones); the table doubles at half load. The map stores a pointer to
 * each key, not a copy: the key bytes must stay valid and unchanged while
 * the entry is in the map (the engine points it into the value object).
 * One thread owns a map.
 */

#define V5MAP_KEY_MAX 64

struct v5map_slot {
	const void *key;                /* NULL: free */
	void *val;
	uint64_t hash;
};

struct v5map {
	struct v5map_slot *s;
	size_t cap;                     /* power of two, or 0 */
	size_t n;
	size_t klen;
	uint64_t k0, k1;                /* SipHash key */
};

/* v5map_init() makes an empty map for keys of klen bytes (1 ..
 * V5MAP_KEY_MAX) hashed under seed. Allocates nothing yet. Returns 0 or
 * -EINVAL. */
int v5map_init(struct v5map *m, size_t klen, const uint8_t seed[16]);

/* v5map_fini() frees the slots (not the values). */
void v5map_fini(struct v5map *m);

/* v5map_get() returns the value stored under key, or NULL. */
void *v5map_get(const struct v5map *m, const void *key);

/* v5map_put() stores val under key, replacing any value already there.
 * Returns 0 or -ENOMEM (the map is unchanged). */
int v5map_put(struct v5map *m, const void *key, void *val);

/* v5map_del() removes key and returns its value, or NULL if absent. */
void *v5map_del(struct v5map *m, const void *key);

/* v5map_len() returns the number of entries. */
size_t v5map_len(const struct v5map *m);

/* v5map_next() walks the map: start with *iter = 0; each call returns the
 * next value and advances *iter, NULL at the end. The map must not change
 * during a walk. */
void *v5map_next(const struct v5map *m, size_t *iter);

/* v5map_siphash() is SipHash-1-3 of buf[0..len) under (k0, k1), for
 * callers that hash something other than a map key (rate-limit slots). */
uint64_t v5map_siphash(uint64_t k0, uint64_t k1, const void *buf, size_t len);

#endif /* CONTROL_V5MAP_H */
