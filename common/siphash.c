/* SPDX-License-Identifier: MIT */
/* common/siphash.c - SipHash-2-4, a keyed hash for tables whose keys an attacker chooses. */
#include "common/siphash.h"

#include <string.h>

static uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* One SipRound (the paper's figure 2.1). */
static void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

/* Compression of one 64-bit message word: two rounds (the "2" of 2-4). */
static void compress(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
}

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *msg,
		   size_t len)
{
	const uint8_t *in = msg;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v[4] = {
		k0 ^ 0x736f6d6570736575ull,     /* "somepseu" */
		k1 ^ 0x646f72616e646f6dull,     /* "dorandom" */
		k0 ^ 0x6c7967656e657261ull,     /* "lygenera" */
		k1 ^ 0x7465646279746573ull,     /* "tedbytes" */
	};
	uint8_t last[8];
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		compress(v, load_le64(in + i));
	/* The final block: the remaining bytes, zero padding, and the
	 * length modulo 256 in the top byte. */
	memset(last, 0, sizeof(last));
	memcpy(last, in + i, len - i);
	last[7] = (uint8_t)len;
	compress(v, load_le64(last));
	/* Finalisation: four rounds (the "4"). */
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
