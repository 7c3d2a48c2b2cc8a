/* SPDX-License-Identifier: MIT */
/* control/store/nodeset.h - geth's `devp2p nodeset filter` and `nodeset
 * info` on a node set read with nodesjson_read(). */
#ifndef CONTROL_NODESET_H
#define CONTROL_NODESET_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "control/base/netutil.h"
#include "control/rlpx/forkid.h"
#include "control/store/nodesjson.h"

/*
 * The filters of geth's cmd/devp2p/nodesetcmd.go, all of which must
 * match (geth's andFilter):
 *   eth        -eth-network: the record's "eth" entry holds a fork id
 *              (its first element; more elements are allowed) that the
 *              chain's fork-id filter at genesis accepts (geth's
 *              forkid.NewStaticFilter: head block 0, time 0);
 *   snap, les  -snap, -les-server: the record has that entry (a list);
 *   dialable   -dialable: a non-zero tcp, tcp6, quic or quic6 port;
 *   ip         -ip CIDR: the node's address (ip, else ip6) is inside;
 *   min_age    -min-age: lastResponse - firstResponse >= it;
 * then limit (-limit N) keeps the N best scores. A record given as an
 * enode:// URL has what geth's enode.NewV4 gives it: ip (or ip6), tcp
 * and udp when not 0, secp256k1.
 */
struct nodeset_filter {
	const struct forkid_chain *eth; /* NULL: no -eth-network */
	bool snap, les, dialable;
	bool has_ip;
	struct netutil_prefix ip;
	bool has_min_age;
	uint64_t min_age_ns;
	int limit;                      /* < 0: none */
};

/* nodeset_match() is true when e passes every filter of f (not limit). */
bool nodeset_match(const struct nodesjson_entry *e,
		   const struct nodeset_filter *f);

/* nodeset_filter() keeps the entries of set that match f, in place, then
 * the limit best by score (ties: the lower node id first; geth's order
 * among equal scores is its map order, i.e. random). Returns how many are
 * left. */
size_t nodeset_filter(struct nodesjson_set *set,
		      const struct nodeset_filter *f);

/* nodeset_fprint_info() writes geth's nodeset info text: "Set contains N
 * nodes.", then "ENR attribute counts:" and one line per ENR key (sorted,
 * right-aligned to the longest plus one space): how many records have it.
 * Returns 0 or -EIO, -ENOMEM. */
int nodeset_fprint_info(FILE *f, const struct nodesjson_set *set);

#endif /* CONTROL_NODESET_H */
