/* SPDX-License-Identifier: MIT */
/* control/discv4/kadtarget.h - FindNode targets that land in a chosen bucket of a remote node. */
#ifndef CONTROL_KADTARGET_H
#define CONTROL_KADTARGET_H
#include <stdint.h>

#include "common/secp.h"
#include "control/discv4/kad.h"

/*
 * A discv4 FindNode target is a 64-byte public key, and the remote answers
 * with the nodes closest to keccak256(target), so a crawler that wants the
 * contents of a remote node's bucket at log-distance d needs a 64-byte
 * value whose hash is at log-distance d from the remote's id. Hashes cannot
 * be steered, so (as the nebula crawler does) we precompute preimages: a
 * table with one preimage for every possible value of the first `bits` bits
 * of keccak256(preimage). For a remote id R and d >= 257 - bits, a hash
 * at log-distance d from R shares exactly the first 256 - d bits with R and
 * differs in the next one: that fixes at most `bits` leading bits, and the
 * table has a preimage for them.
 *
 * Preimages are base || le64(counter) with a 56-byte base derived from the
 * seed, so the table stores one uint32 counter per prefix (2^bits * 4
 * bytes: 512 KiB for the default 17 bits, which reaches d = 240). Building
 * it costs about 2^bits * ln(2^bits) keccak256 calls (coupon collector:
 * ~1.5 M, a few hundred ms for 17 bits). One table serves every kad_table
 * in the process; it is read-only after kadtarget_new(), so any thread may
 * call kadtarget_pick().
 */

#define KADTARGET_DEFAULT_BITS 17       /* covers distances 256 down to 240 */
#define KADTARGET_MAX_BITS     22

struct kadtarget;

/* kadtarget_new() builds a table of 2^bits preimages (1 <= bits <=
 * KADTARGET_MAX_BITS) from seed (the same seed gives the same table).
 * Returns 0, -EINVAL (bits out of range) or -ENOMEM. */
int kadtarget_new(struct kadtarget **out, unsigned bits, uint64_t seed);

/* kadtarget_free() frees kt; kadtarget_free(NULL) is a no-op. */
void kadtarget_free(struct kadtarget *kt);

/* kadtarget_min_distance() returns the smallest log-distance kt can reach:
 * 257 - bits. */
unsigned kadtarget_min_distance(const struct kadtarget *kt);

/* kadtarget_pick() writes to target a 64-byte value whose keccak256 is at
 * log-distance dist from remote_id. When several preimages fit (dist above
 * the minimum), salt chooses among them, so successive salts give
 * different targets for the same bucket. Returns 0 or -ERANGE (dist
 * outside [kadtarget_min_distance(kt), 256]). */
int kadtarget_pick(const struct kadtarget *kt, uint8_t target[SECP_PUB_LEN],
		   const uint8_t remote_id[KAD_ID_LEN], unsigned dist, uint32_t salt);

#endif /* CONTROL_KADTARGET_H */
