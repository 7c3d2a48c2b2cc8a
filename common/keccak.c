/* SPDX-License-Identifier: MIT */
/* common/keccak.c - Keccak-256 (keccak-f[1600], Ethereum's 0x01 padding). */
#include "common/keccak.h"

#include <string.h>

static const uint64_t round_consts[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
	0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
	0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* rho rotation and pi destination, walked along pi's single 24-cycle. */
static const unsigned rho[24] = {
	1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14,
	27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
};
static const unsigned pi[24] = {
	10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4,
	15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
};

static inline uint64_t rol(uint64_t x, unsigned n)
{
	return (x << n) | (x >> (64 - n));
}

static void keccakf(uint64_t s[25])
{
	uint64_t c[5], t;

	for (int r = 0; r < 24; r++) {
		for (int x = 0; x < 5; x++)
			c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
		for (int x = 0; x < 5; x++) {
			t = c[(x + 4) % 5] ^ rol(c[(x + 1) % 5], 1);
			for (int y = 0; y < 25; y += 5)
				s[y + x] ^= t;
		}
		t = s[1];
		for (int i = 0; i < 24; i++) {
			uint64_t u = s[pi[i]];

			s[pi[i]] = rol(t, rho[i]);
			t = u;
		}
		for (int y = 0; y < 25; y += 5) {
			for (int x = 0; x < 5; x++)
				c[x] = s[y + x];
			for (int x = 0; x < 5; x++)
				s[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
		}
		s[0] ^= round_consts[r];
	}
}

/* Byte i of the sponge state, lanes little-endian as the spec says. */
static inline void xor_byte(uint64_t s[25], size_t i, uint8_t b)
{
	s[i / 8] ^= (uint64_t)b << (8 * (i % 8));
}

static inline uint8_t get_byte(const uint64_t s[25], size_t i)
{
	return (uint8_t)(s[i / 8] >> (8 * (i % 8)));
}

void keccak256_init(struct keccak_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

void keccak256_update(struct keccak_ctx *ctx, const uint8_t *buf, size_t len)
{
	size_t pos = ctx->pos;

	for (size_t i = 0; i < len; i++) {
		xor_byte(ctx->s, pos, buf[i]);
		if (++pos == KECCAK256_RATE) {
			keccakf(ctx->s);
			pos = 0;
		}
	}
	ctx->pos = pos;
}

void keccak256_peek(const struct keccak_ctx *ctx, uint8_t out[KECCAK256_LEN])
{
	uint64_t s[25];

	memcpy(s, ctx->s, sizeof(s));
	xor_byte(s, ctx->pos, 0x01);
	xor_byte(s, KECCAK256_RATE - 1, 0x80);
	keccakf(s);
	for (size_t i = 0; i < KECCAK256_LEN; i++)
		out[i] = get_byte(s, i);
	explicit_bzero(s, sizeof(s));
}

void keccak256_final(struct keccak_ctx *ctx, uint8_t out[KECCAK256_LEN])
{
	keccak256_peek(ctx, out);
	explicit_bzero(ctx, sizeof(*ctx));
}

void keccak256(uint8_t out[KECCAK256_LEN], const uint8_t *buf, size_t len)
{
	struct keccak_ctx ctx;

	keccak256_init(&ctx);
	keccak256_update(&ctx, buf, len);
	keccak256_final(&ctx, out);
}
