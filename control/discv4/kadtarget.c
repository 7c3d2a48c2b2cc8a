/* SPDX-License-Identifier: MIT */
/* control/discv4/kadtarget.c - FindNode targets that land in a chosen bucket of a remote node. */
#include "control/discv4/kadtarget.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/keccak.h"

#define BASE_LEN (SECP_PUB_LEN - 8)
#define NO_PREIMAGE UINT32_MAX

struct kadtarget {
	unsigned bits;
	uint8_t base[BASE_LEN];
	uint32_t ctr[];                 /* 2^bits counters, by hash prefix */
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void preimage(uint8_t out[SECP_PUB_LEN], const struct kadtarget *kt, uint32_t ctr)
{
	int i;

	memcpy(out, kt->base, BASE_LEN);
	for (i = 0; i < 8; i++)
		out[BASE_LEN + i] = (uint8_t)((uint64_t)ctr >> (8 * i));
}

/* prefix_of() returns the first bits bits of a 32-byte hash. */
static uint32_t prefix_of(const uint8_t h[KAD_ID_LEN], unsigned bits)
{
	uint32_t top = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
		       (uint32_t)h[2] << 8 | h[3];

	return top >> (32 - bits);
}

int kadtarget_new(struct kadtarget **out, unsigned bits, uint64_t seed)
{
	struct kadtarget *kt;
	uint8_t pre[SECP_PUB_LEN], h[KAD_ID_LEN];
	uint32_t n, filled = 0, ctr, p;
	size_t i;

	if (bits < 1 || bits > KADTARGET_MAX_BITS)
		return -EINVAL;
	n = 1u << bits;
	kt = malloc(sizeof(*kt) + (size_t)n * sizeof(kt->ctr[0]));
	if (!kt)
		return -ENOMEM;
	kt->bits = bits;
	for (i = 0; i < BASE_LEN; i++)
		kt->base[i] = (uint8_t)splitmix64(&seed);
	memset(kt->ctr, 0xff, (size_t)n * sizeof(kt->ctr[0]));
	/* The expected number of draws is n * H(n) ~ n ln n; the counter
	 * space (2^32 - 1 values) exceeds that by orders of magnitude for
	 * bits <= KADTARGET_MAX_BITS, so running out means a broken hash. */
	for (ctr = 0; filled < n; ctr++) {
		if (ctr == NO_PREIMAGE) {
			free(kt);
			return -EAGAIN;
		}
		preimage(pre, kt, ctr);
		keccak256(h, pre, sizeof(pre));
		p = prefix_of(h, bits);
		if (kt->ctr[p] == NO_PREIMAGE) {
			kt->ctr[p] = ctr;
			filled++;
		}
	}
	*out = kt;
	return 0;
}

void kadtarget_free(struct kadtarget *kt)
{
	free(kt);
}

unsigned kadtarget_min_distance(const struct kadtarget *kt)
{
	return KAD_HASH_BITS + 1 - kt->bits;
}

int kadtarget_pick(const struct kadtarget *kt, uint8_t target[SECP_PUB_LEN],
		   const uint8_t remote_id[KAD_ID_LEN], unsigned dist, uint32_t salt)
{
	unsigned shared, fixed, free_bits;
	uint32_t want, idx;

	if (dist > KAD_HASH_BITS || dist < kadtarget_min_distance(kt))
		return -ERANGE;
	/* log-distance dist: the hash equals remote_id on the first
	 * 256 - dist bits and differs on the next one. */
	shared = KAD_HASH_BITS - dist;
	fixed = shared + 1;                     /* <= bits */
	want = prefix_of(remote_id, fixed) ^ 1u;
	free_bits = kt->bits - fixed;
	idx = want << free_bits;
	if (free_bits)
		idx |= salt & ((1u << free_bits) - 1);
	preimage(target, kt, kt->ctr[idx]);
	return 0;
}
