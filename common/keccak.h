/* SPDX-License-Identifier: MIT */
/* common/keccak.h - Keccak-256 as Ethereum uses it (pad 0x01, not SHA3's 0x06). */
#ifndef COMMON_KECCAK_H
#define COMMON_KECCAK_H
#include <stddef.h>
#include <stdint.h>

#define KECCAK256_LEN  32
#define KECCAK256_RATE 136              /* bytes absorbed per permutation */

struct keccak_ctx {                     /* embedded; no allocation */
	uint64_t s[25];
	size_t pos;                     /* bytes absorbed into the current block */
};

/* keccak256_init() resets ctx to the empty message. */
void keccak256_init(struct keccak_ctx *ctx);

/* keccak256_update() absorbs buf[0..len). Any thread, one ctx per thread. */
void keccak256_update(struct keccak_ctx *ctx, const uint8_t *buf, size_t len);

/* keccak256_final() writes the digest of everything absorbed and wipes ctx. */
void keccak256_final(struct keccak_ctx *ctx, uint8_t out[KECCAK256_LEN]);

/* keccak256_peek() writes the digest of everything absorbed so far and leaves
 * ctx unchanged, so absorbing can go on (the RLPx MAC needs this). */
void keccak256_peek(const struct keccak_ctx *ctx, uint8_t out[KECCAK256_LEN]);

/* keccak256_multi_update() is keccak256_update(st[i], in[i], len[i]) for
 * every i < n, with the permutations of different states run side by side
 * in SIMD lanes where the CPU has them (8 states per AVX-512 permutation,
 * 4 per AVX2 one; chosen at run time) and plain calls otherwise. The
 * results are exactly those of the single-state calls. The states must be
 * distinct and no input may overlap a state; inputs may overlap each
 * other. Any thread, the states being its own. */
void keccak256_multi_update(struct keccak_ctx *const st[],
			    const uint8_t *const in[], const size_t len[],
			    size_t n);

/* keccak256_multi_peek() is keccak256_peek(st[i], out[i]) for every i < n,
 * the n final permutations batched as in keccak256_multi_update(). */
void keccak256_multi_peek(const struct keccak_ctx *const st[],
			  uint8_t *const out[], size_t n);

/* keccak_f1600() applies the keccak-f[1600] permutation to s in place
 * (lanes as in FIPS 202, lane i = x + 5*y). Exposed for the bench. */
void keccak_f1600(uint64_t s[25]);

/* keccak256() is the one-shot digest of buf[0..len). */
void keccak256(uint8_t out[KECCAK256_LEN], const uint8_t *buf, size_t len);

#endif /* COMMON_KECCAK_H */
