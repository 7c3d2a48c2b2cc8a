/* SPDX-License-Identifier: MIT */
/* control/discv4/v4lookup.h - one iterative discv4 lookup's state (geth lookup.go): results by distance, nodes seen, queries in flight. */
#ifndef CONTROL_V4LOOKUP_H
#define CONTROL_V4LOOKUP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/discv4_wire.h"
#include "control/discv4/kad.h"

/*
 * The engine (discv4.c) drives a lookup: it offers the nodes it knows
 * (v4lookup_offer()), asks v4lookup_next_query() whom to send FindNode to
 * (the closest nodes not asked yet, at most alpha at a time), reports each
 * query's end (v4lookup_query_done()) and offers what came back. The
 * lookup is over when v4lookup_done() says so; its result is the
 * V4LOOKUP_RESULTS nodes closest to the target that it saw. Nothing here
 * sends or times anything. One thread owns a lookup.
 */

#define V4LOOKUP_RESULTS KAD_BUCKET_SIZE        /* 16 */

struct v4lookup_entry {
	struct discv4_node n;
	uint8_t id[KAD_ID_LEN];
	bool asked;
};

struct v4lookup {
	uint8_t target[DISCV4_PUB_LEN];
	uint8_t target_id[KAD_ID_LEN];
	unsigned n_res, inflight;
	struct v4lookup_entry res[V4LOOKUP_RESULTS];    /* closest first */
	uint8_t (*seen)[KAD_ID_LEN];
	size_t n_seen, cap_seen;
};

/* v4lookup_init() starts an empty lookup for target (a 64-byte public
 * key, hashed for distance). */
void v4lookup_init(struct v4lookup *lk, const uint8_t target[DISCV4_PUB_LEN]);

/* v4lookup_fini() frees the seen set. */
void v4lookup_fini(struct v4lookup *lk);

/* v4lookup_offer() adds n to the results if it was not seen before in
 * this lookup and is among the V4LOOKUP_RESULTS closest (geth
 * nodesByDistance.push). Returns true when n was new (seen for the first
 * time), false when seen before or memory ran out. */
bool v4lookup_offer(struct v4lookup *lk, const struct discv4_node *n);

/* v4lookup_next_query() returns the closest result not asked yet and
 * marks it asked, or NULL when alpha queries are in flight or none is
 * left. The caller sends the query and counts it with
 * v4lookup_query_started() if it went out. */
const struct discv4_node *v4lookup_next_query(struct v4lookup *lk,
					      unsigned alpha);

/* v4lookup_query_started() / v4lookup_query_done() count queries in
 * flight. */
void v4lookup_query_started(struct v4lookup *lk);
void v4lookup_query_done(struct v4lookup *lk);

/* v4lookup_done() tells whether nothing is in flight (after
 * v4lookup_next_query() returned NULL, the lookup is then over). */
bool v4lookup_done(const struct v4lookup *lk);

/* v4lookup_results() copies the results, closest first, to out (room for
 * V4LOOKUP_RESULTS) and returns how many. */
unsigned v4lookup_results(const struct v4lookup *lk, struct discv4_node *out);

#endif /* CONTROL_V4LOOKUP_H */
