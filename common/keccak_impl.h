/* SPDX-License-Identifier: MIT */
/* common/keccak_impl.h - test hook: the keccak-f[1600] variants in keccak.c. */
#ifndef COMMON_KECCAK_IMPL_H
#define COMMON_KECCAK_IMPL_H
#include <stddef.h>
#include <stdint.h>

/* One compiled-in permutation: XORs nblocks KECCAK256_RATE-byte blocks from
 * in (or nothing when in is NULL) into s, permuting after each; nblocks >= 1. */
struct keccak_impl {
	const char *name;
	void (*permute)(uint64_t s[25], const uint8_t *in, size_t nblocks);
};

/* keccak_test_impls() fills out[0..max) with the variants this CPU can run,
 * the portable one first, and returns how many it wrote. For tests only;
 * keccak.c picks its variant itself. */
size_t keccak_test_impls(struct keccak_impl *out, size_t max);

#define KECCAK_MULTI_WIDTH_MAX 8

struct keccak_ctx;

/* One compiled-in multi-buffer permutation: width independent states held
 * interleaved in s (lane i of state j at s[i * width + j]; s aligned to 64
 * bytes). For each j it XORs the KECCAK256_RATE-byte block in[j] into
 * state j (nothing when in[j] is NULL), then permutes all width states. */
struct keccak_multi_impl {
	const char *name;
	unsigned width;                 /* at most KECCAK_MULTI_WIDTH_MAX */
	void (*permute)(uint64_t *s, const uint8_t *const in[]);
};

/* keccak_test_multi_impls() fills out[0..max) with the multi-buffer
 * variants this CPU can run, the portable reference first, and returns how
 * many it wrote. keccak_test_multi_update() and keccak_test_multi_peek()
 * are keccak256_multi_update() and keccak256_multi_peek() run with the
 * given variant. For tests and the bench only. */
size_t keccak_test_multi_impls(struct keccak_multi_impl *out, size_t max);
void keccak_test_multi_update(const struct keccak_multi_impl *impl,
			      struct keccak_ctx *const st[],
			      const uint8_t *const in[], const size_t len[],
			      size_t n);
void keccak_test_multi_peek(const struct keccak_multi_impl *impl,
			    const struct keccak_ctx *const st[],
			    uint8_t *const out[], size_t n);

#endif /* COMMON_KECCAK_IMPL_H */
