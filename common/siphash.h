/* SPDX-License-Identifier: MIT */
/* common/siphash.h - SipHash-2-4, a keyed hash for tables whose keys an attacker chooses. */
#ifndef COMMON_SIPHASH_H
#define COMMON_SIPHASH_H
#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012) with a 64-bit output. Hash tables indexed by node ids and IP
 * addresses that remote peers choose use it with a secret per-table key,
 * so that nobody can aim many keys at one bucket (hash flooding). It is a
 * PRF, not a MAC for wire data and not a password hash. No allocation, no
 * state: any thread may call it.
 */

/* siphash24() returns SipHash-2-4 of msg[0..len) under key (16 bytes,
 * read as two little-endian 64-bit words as in the reference code). */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *msg,
		   size_t len);

#endif /* COMMON_SIPHASH_H */
