/* SPDX-License-Identifier: MIT */
/* control/discv4/v4table.h - the discv4 table's upkeep (geth table.go, lookup.go, table_reval.go): seeding, refresh, lookups, revalidation. */
#ifndef CONTROL_V4TABLE_H
#define CONTROL_V4TABLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/discv4_wire.h"
#include "control/discv4/kad.h"

/*
 * geth splits discovery into the transport (v4_udp.go: packets, reply
 * matching, endpoint proofs) and the table (table.go and friends: what
 * goes in the Kademlia table, refreshes, lookups, revalidation), which
 * talks to the network only through the transport's ping, findnode and
 * requestENR. The engine (discv4.c) is the transport; this is the table
 * side. It asks the transport to send through struct v4table_ops and is
 * told the outcome through v4table_reval_done(), v4table_reval_enr() and
 * v4table_lookup_result(). The ops may fail at once (return < 0), never
 * complete inside the call.
 *
 * Sans-I/O; one thread owns it; time comes as now (ns).
 */

#define V4TABLE_ALPHA           3                       /* lookup parallelism */
#define V4TABLE_REFRESH_NS      (30ull * 60 * 1000000000ull)
#define V4TABLE_EMPTY_RETRY_NS  (10ull * 1000000000ull)
#define V4TABLE_SMALL_RETRY_MAX_NS (320ull * 1000000000ull)

struct v4table_lookup;          /* one lookup in flight (opaque) */

/* Same shape as discv4_nodes_fn: nodes[0..n) valid during the call. */
typedef void v4table_nodes_fn(void *arg, int err,
			      const struct discv4_node *nodes, unsigned n);

struct v4table_ops {
	/* Revalidation Ping to n; outcome: v4table_reval_done(). */
	int (*ping)(void *user, const struct discv4_node *n, uint64_t now);
	/* FindNode(target) to n for lk; outcome: v4table_lookup_result(). */
	int (*findnode)(void *user, const struct discv4_node *n,
			const uint8_t target[DISCV4_PUB_LEN],
			struct v4table_lookup *lk, uint64_t now);
	/* ENRRequest to n (its Pong showed a newer seq); outcome:
	 * v4table_reval_enr(). */
	int (*request_enr)(void *user, const struct discv4_node *n,
			   uint64_t now);
	/* n came in a Neighbors reply to a lookup (may be NULL). */
	void (*seen)(void *user, const struct discv4_node *n, uint64_t now);
};

struct v4table {
	struct kad_table tab;
	struct v4table_ops ops;
	void *user;
	struct v4table_lookup *lookups;
	struct discv4_node *boot;
	size_t n_boot;
	uint64_t reval_deadline;
	uint64_t refresh_at;    /* next refresh; UINT64_MAX: none planned */
	uint64_t small_retry;   /* next early refresh gap (table < k) */
	unsigned refresh_left;  /* random lookups left in this refresh */
	bool refreshing;
	bool no_refresh;
	uint64_t *stat_lookups;         /* bumped when a lookup starts */
	uint64_t *stat_lookups_done;    /* ... and ends (may be NULL) */
};

/* v4table_init() sets up an empty table for self_pub (kad_table_init()
 * with seed and ping_interval_ns). Unless no_refresh, the first refresh
 * is due at now. */
void v4table_init(struct v4table *t, const uint8_t self_pub[DISCV4_PUB_LEN],
		  uint64_t seed, uint64_t ping_interval_ns, bool no_refresh,
		  const struct v4table_ops *ops, void *user, uint64_t now);

/* v4table_fini() ends every lookup (user callbacks get -ECANCELED) and
 * frees what t holds. Cancel the transport's requests first. */
void v4table_fini(struct v4table *t);

/* v4table_add_bootnode() appends n to the bootstrap list. 0 or -ENOMEM. */
int v4table_add_bootnode(struct v4table *t, const struct discv4_node *n);

/* v4table_add() offers n to the table (kad_add() flags) and schedules
 * its revalidation when it entered or changed. */
void v4table_add(struct v4table *t, const struct discv4_node *n,
		 uint64_t enr_seq, unsigned flags, uint64_t now);

/* v4table_lookup() starts a lookup for target; cb gets the closest nodes
 * found. Returns 0 (cb fires once), -EAGAIN (nobody to ask), -ENOMEM. */
int v4table_lookup(struct v4table *t, const uint8_t target[DISCV4_PUB_LEN],
		   uint64_t now, v4table_nodes_fn *cb, void *arg);

/* v4table_lookup_result() reports the FindNode that ops->findnode sent
 * for lk: err 0 with the nodes it returned, or an error (-ECANCELED: the
 * transport is shutting down; the lookup is not advanced). */
void v4table_lookup_result(struct v4table *t, struct v4table_lookup *lk,
			   const struct discv4_node *nodes, unsigned n,
			   int err, uint64_t now);

/* v4table_reval_done() reports the revalidation Ping to n: alive, and the
 * Pong's enr_seq. */
void v4table_reval_done(struct v4table *t, const struct discv4_node *n,
			bool alive, uint64_t enr_seq, uint64_t now);

/* v4table_reval_enr() reports the ENR fetched after a revalidation (ok
 * false: none came); a verified record's seq updates the entry. */
void v4table_reval_enr(struct v4table *t, const struct discv4_node *n,
		       bool ok, uint64_t seq, uint64_t now);

/* v4table_refresh() starts a refresh (self lookup, then three random
 * ones) unless one is running. */
void v4table_refresh(struct v4table *t, uint64_t now);

/* v4table_on_timer() runs what is due: the refresh schedule and the
 * revalidation pings. */
void v4table_on_timer(struct v4table *t, uint64_t now);

/* v4table_deadline() returns when v4table_on_timer() next has work. */
uint64_t v4table_deadline(const struct v4table *t);

/* v4table_node_from_kad() converts a table entry to a wire node. */
void v4table_node_from_kad(struct discv4_node *out, const struct kad_node *k);

#endif /* CONTROL_V4TABLE_H */
