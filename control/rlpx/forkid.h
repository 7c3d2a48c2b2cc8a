/* SPDX-License-Identifier: MIT */
/* control/rlpx/forkid.h - EIP-2124 fork identifiers: chains, computation, validation. */
#ifndef CONTROL_FORKID_H
#define CONTROL_FORKID_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/rlp.h"

/*
 * A chain is its genesis hash plus two ascending fork lists, as go-ethereum's
 * core/forkid gathers them from params.ChainConfig: forks activated by block
 * number, then forks activated by block timestamp (Shanghai onwards). Block
 * forks at 0 and time forks at or before the genesis timestamp are part of
 * the genesis ruleset and are not forks (EIP-2124; geth gatherForks()).
 *
 * FORK_HASH = CRC32-IEEE(genesis || be64(fork1) || be64(fork2) ...) over the
 * forks already passed, FORK_NEXT = the first fork not passed, or 0.
 *
 * Pure functions, no allocation, no clock: the caller passes its head block
 * number and head timestamp. Any thread.
 */

#define FORKID_HASH_LEN   32             /* genesis hash */
#define FORKID_MAX_FORKS  32             /* per list (block, time) */
#define FORKID_NAME_MAX   16

/* geth's timestampThreshold: the mainnet genesis timestamp. A FORK_NEXT
 * above it is treated as a timestamp during validation, and --forks values
 * at or above it are time forks. */
#define FORKID_TIMESTAMP_THRESHOLD 1438269973ull

struct forkid {
	uint32_t hash;                  /* FORK_HASH, as a big-endian uint32 */
	uint64_t next;                  /* FORK_NEXT, 0 = none known */
};

struct forkid_chain {
	char name[FORKID_NAME_MAX];     /* "mainnet", ..., "custom" */
	uint64_t network_id;
	uint8_t genesis[FORKID_HASH_LEN];
	uint64_t genesis_time;
	uint64_t block_forks[FORKID_MAX_FORKS];  /* ascending, unique, > 0 */
	size_t n_block;
	uint64_t time_forks[FORKID_MAX_FORKS];   /* ascending, unique,
						  * > genesis_time */
	size_t n_time;
};

/* Validation verdicts (EIP-2124 rules; geth's error names). */
enum forkid_verdict {
	FORKID_OK = 0,                  /* rules 1b, 2, 3 */
	FORKID_REMOTE_STALE,            /* rule 2 fails: remote needs update */
	FORKID_LOCAL_INCOMPATIBLE,      /* rules 1a and 4: local stale or
					 * different chain */
};

/* forkid_crc32() continues an IEEE CRC32 (init 0 for a fresh checksum) over
 * buf[0..len). Returns the new checksum. */
uint32_t forkid_crc32(uint32_t crc, const uint8_t *buf, size_t len);

/* forkid_chain_by_name() returns the built-in chain "mainnet", "sepolia",
 * "holesky" or "hoodi" (the data of control/base/chains.h: genesis hashes,
 * network ids and fork schedules from go-ethereum params/config.go and
 * core/genesis.go), or NULL. Any thread. */
const struct forkid_chain *forkid_chain_by_name(const char *name);

/* forkid_chain_init() fills *c from unsorted fork lists, sorting them,
 * dropping duplicates, block forks at 0 and time forks <= genesis_time.
 * Returns 0, or -EINVAL (more than FORKID_MAX_FORKS forks in a list). */
int forkid_chain_init(struct forkid_chain *c, const char *name,
		      uint64_t network_id,
		      const uint8_t genesis[FORKID_HASH_LEN],
		      uint64_t genesis_time, const uint64_t *block_forks,
		      size_t n_block, const uint64_t *time_forks,
		      size_t n_time);

/* forkid_chain_custom() builds the chain of `devplane node --networkid N
 * --genesis HASH --forks LIST`: genesis_hex is 64 hex digits (optional 0x),
 * forks a comma-separated list of decimal numbers (NULL or "" for none).
 * A number prefixed with "t" is a time fork; an unprefixed number is a
 * time fork when >= FORKID_TIMESTAMP_THRESHOLD and a block fork otherwise.
 * The genesis timestamp is taken as 0. Returns 0, or -EINVAL (bad hex,
 * bad number, too many forks). */
int forkid_chain_custom(struct forkid_chain *c, uint64_t network_id,
			const char *genesis_hex, const char *forks);

/* forkid_compute() returns in *out the fork id of chain c at head block
 * number head and head timestamp time. */
void forkid_compute(struct forkid *out, const struct forkid_chain *c,
		    uint64_t head, uint64_t time);

/* forkid_validate() applies the EIP-2124 validation rules to a remote fork
 * id, the local node being at (head, time) on chain c. */
enum forkid_verdict forkid_validate(const struct forkid_chain *c,
				    uint64_t head, uint64_t time,
				    const struct forkid *remote);

/* forkid_verdict_name() returns a static string for a verdict. */
const char *forkid_verdict_name(enum forkid_verdict v);

/* forkid_put() appends RLP([hash: B_4, next: P]) to b. */
void forkid_put(struct rlp_buf *b, const struct forkid *id);

/* forkid_from_item() decodes a fork id from an RLP list item: exactly two
 * elements, a 4-byte string and a canonical integer of at most 8 bytes.
 * Returns 0 or -EBADMSG. */
int forkid_from_item(struct forkid *out, const struct rlp_item *item);

#endif /* CONTROL_FORKID_H */
