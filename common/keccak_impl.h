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

#endif /* COMMON_KECCAK_IMPL_H */
