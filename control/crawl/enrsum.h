/* SPDX-License-Identifier: MIT */
/* control/crawl/enrsum.h - a crawl's records tallied for its summary: by
 * ENR key, by eth fork id (the "eth" entry) and by eth2 fork digest (the
 * "eth2" entry's first 4 bytes). No allocation, no I/O. */
#ifndef CONTROL_ENRSUM_H
#define CONTROL_ENRSUM_H
#include <stddef.h>
#include <stdint.h>

#include "common/enr.h"

/*
 * Each group keeps at most ENRSUM_MAX_VALUES distinct values; records
 * with a value beyond that count in the group's "other". Values:
 *   - keys: the key's bytes, printable ASCII (others shown as '?'), cut
 *     at ENRSUM_NAME_MAX - 1 bytes;
 *   - eth: the first fork id of the entry's list (EIP-2124 [[hash,
 *     next], ...], geth's enrEntry), "0xHASH/NEXT" (NEXT decimal); an
 *     entry that does not decode so counts in eth_bad;
 *   - eth2: the first 4 bytes of the entry's byte string (the SSZ
 *     ENRForkID: fork_digest, next_fork_version, next_fork_epoch),
 *     "0xDIGEST"; a list or fewer than 4 bytes counts in eth2_bad.
 */

#define ENRSUM_MAX_VALUES 64
#define ENRSUM_NAME_MAX   32

struct enrsum_value {
	char name[ENRSUM_NAME_MAX];
	uint64_t count;
};

struct enrsum_group {
	struct enrsum_value v[ENRSUM_MAX_VALUES];
	unsigned n;
	uint64_t other;                 /* values beyond ENRSUM_MAX_VALUES */
};

struct enrsum {
	uint64_t records;
	struct enrsum_group keys, eth, eth2;
	uint64_t eth_bad, eth2_bad;
};

/* enrsum_init() empties s. */
void enrsum_init(struct enrsum *s);

/* enrsum_add() counts record r (its signature is the caller's concern)
 * once in each group it has a value for. */
void enrsum_add(struct enrsum *s, const struct enr *r);

/* enrsum_count() is how many records counted name in group g, or 0. */
uint64_t enrsum_count(const struct enrsum_group *g, const char *name);

/* enrsum_format() writes three lines without a final newline:
 *   enr keys (N records): KEY xCOUNT, ...
 *   enr eth fork ids: 0xHASH/NEXT xCOUNT, ... (none: "-")
 *   enr eth2 fork digests: 0xDIGEST xCOUNT, ...
 * each group by count, most first, then by name; ", other xN" and
 * "; N undecodable" when there were such. Returns the length (truncated
 * to cap - 1; 0 when cap is 0). */
size_t enrsum_format(const struct enrsum *s, char *out, size_t cap);

#endif /* CONTROL_ENRSUM_H */
