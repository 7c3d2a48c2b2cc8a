/* SPDX-License-Identifier: MIT */
/* control/api/headrpc.h - devplane_setHead, the admin method that moves the node's head: its params and its result as JSON (geth's shapes). */
#ifndef CONTROL_HEADRPC_H
#define CONTROL_HEADRPC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/rlpx/forkid.h"

/*
 * devplane has no chain sync: the head it advertises (the fork id of its
 * eth Status and of its ENR "eth" entry, the eth/69+ block range) is what
 * its operator or an embedding program says (devplane_set_head(),
 * control/api/devplane.h). Over the admin API:
 *
 *   devplane_setHead [number, time, hash] -> {"number", "time", "hash",
 *       "forkId": {"hash": "0x" + 8 hex digits, "next": N},
 *       "enrSeq": N, "blockRangeUpdates": N}
 *
 * number and time (the head block's timestamp, Unix seconds) are geth
 * quantities (hexutil.Uint64: "0x" and hex digits without leading zeros)
 * or plain JSON integers; hash is the block hash as geth writes a
 * common.Hash ("0x" and 64 hex digits). hash may be left out or null for
 * block 0 only (the genesis). Numbers above 2^63 - 1 are refused (geth's
 * block numbers are int64). The result's numbers are JSON integers;
 * enrSeq is the sequence number of the node's record after the call (0:
 * no record: discovery off), blockRangeUpdates the number of eth/69+
 * peers a BlockRangeUpdate went to.
 *
 * No I/O, no globals; any thread.
 */

#define HEADRPC_METHOD   "devplane_setHead"
#define HEADRPC_HASH_LEN 32

struct headrpc_head {
	uint64_t number;
	uint64_t time;
	uint8_t hash[HEADRPC_HASH_LEN];         /* all-zero: the genesis */
};

/* headrpc_parse() parses an admin method's params text (a JSON array)
 * into *out. Returns 0, or -EINVAL with *why set to a malloc'd message
 * for the caller (may stay NULL when memory ran out). */
int headrpc_parse(struct headrpc_head *out, const char *params, char **why);

/* What devplane_setHead answers. */
struct headrpc_result {
	struct headrpc_head head;
	struct forkid forkid;                   /* of the new head */
	uint64_t enr_seq;                       /* 0: no record */
	unsigned range_updates;
};

/* headrpc_result_json() returns the result object as malloc'd compact
 * JSON text, or NULL (no memory). */
char *headrpc_result_json(const struct headrpc_result *r);

#endif /* CONTROL_HEADRPC_H */
