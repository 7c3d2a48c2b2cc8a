/* SPDX-License-Identifier: MIT */
/* control/discv4/kad.h - the discv4 Kademlia node table (geth's p2p/discover table). */
#ifndef CONTROL_KAD_H
#define CONTROL_KAD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/keccak.h"
#include "common/secp.h"
#include "control/base/netutil.h"

/*
 * Sans-I/O: every call that depends on time takes now (nanoseconds, any
 * monotonic origin), the table never reads a clock or sends a packet, and
 * its randomness comes from a PRNG seeded by the caller, so a test run is
 * reproducible. One thread owns a table; nothing here locks.
 *
 * Shape and constants follow go-ethereum's p2p/discover/table.go and the
 * current (2024+) table_reval.go design: every bucket entry sits on one of
 * two revalidation lists, "fast" (new or recently failed or changed nodes,
 * one ping per random [0, ping_interval) period) and "slow" (nodes that
 * answered their last check, one ping per random [0, 3 * ping_interval)).
 *
 * Node ids: a node is named by its 64-byte secp256k1 public key (pub); its
 * Kademlia id is keccak256(pub) (id, 32 bytes), and distances are XOR
 * distances between ids.
 *
 * Memory: struct kad_table is one fixed block (about 70 KiB: 17 buckets of
 * 16 entries + 10 replacements, and a 4 KiB subnet counter); no call
 * allocates. Pointers to struct kad_node returned by this API point into
 * the table and stay valid only until the next call that adds, removes or
 * revalidates a node: copy what you keep.
 */

#define KAD_ID_LEN            KECCAK256_LEN     /* 32 */
#define KAD_BUCKET_SIZE       16                /* Kademlia k */
#define KAD_MAX_REPLACEMENTS  10                /* per bucket */
#define KAD_HASH_BITS         (KAD_ID_LEN * 8)  /* 256 */
/* Buckets only for the top 1/15 of log-distances: closer nodes are so rare
 * that every log-distance <= KAD_BUCKET_MIN_DIST shares bucket 0. */
#define KAD_N_BUCKETS         (KAD_HASH_BITS / 15)                /* 17 */
#define KAD_BUCKET_MIN_DIST   (KAD_HASH_BITS - KAD_N_BUCKETS)     /* 239 */
/* IP limits per /24 (geth applies /24 to IPv6 addresses too); LAN
 * addresses (netutil_is_lan()) are exempt. */
#define KAD_BUCKET_IP_LIMIT   2
#define KAD_TABLE_IP_LIMIT    10
#define KAD_IP_SUBNET_BITS    24
#define KAD_MAX_FINDNODE_FAILURES 5
#define KAD_PING_INTERVAL_NS  3000000000ull     /* geth's PingInterval default */
#define KAD_SLOW_REVAL_FACTOR 3
#define KAD_NEVER             UINT64_MAX
/* Open-addressed /24 counter: more slots than the table can hold entries
 * and replacements (17 * 26 = 442), so probing always terminates. */
#define KAD_IPSET_SLOTS       512

enum kad_reval_list {
	KAD_LIST_NONE = 0,      /* replacement: not revalidated */
	KAD_LIST_FAST,
	KAD_LIST_SLOW,
};

/* What the table keeps per node: geth's tableNode (record, timestamps,
 * liveness checks, validated-live flag, revalidation list) plus the
 * findnode failure counter geth keeps in its node database. Engine-level
 * bookkeeping (last ping received, endpoint proof) belongs to the engine. */
struct kad_node {
	uint8_t pub[SECP_PUB_LEN];      /* node id: 64-byte public key */
	uint8_t id[KAD_ID_LEN];         /* keccak256(pub) */
	uint8_t ip[NETUTIL_ADDR_LEN];   /* IPv4-mapped for IPv4 */
	uint16_t udp_port;              /* host order */
	uint16_t tcp_port;
	uint64_t enr_seq;               /* 0 for plain discv4 records */
	uint64_t added_to_table_ns;     /* first added to bucket or replacements */
	uint64_t added_to_bucket_ns;    /* entered the live bucket */
	uint32_t liveness_checks;       /* successful pings, /3 on each failure */
	uint8_t findnode_fails;         /* consecutive FindNode failures */
	uint8_t reval_list;             /* enum kad_reval_list */
	bool live;                      /* answered a revalidation ping */
	bool reval_pending;             /* a revalidation ping is in flight */
};

/* A node as an input: what a Neighbors entry, a Ping or an ENR carries. */
struct kad_node_info {
	uint8_t pub[SECP_PUB_LEN];
	uint8_t ip[NETUTIL_ADDR_LEN];
	uint16_t udp_port;
	uint16_t tcp_port;
	uint64_t enr_seq;
};

struct kad_bucket {
	struct kad_node entries[KAD_BUCKET_SIZE];       /* in insertion order */
	struct kad_node repl[KAD_MAX_REPLACEMENTS];     /* newest first */
	uint8_t n_entries;
	uint8_t n_repl;
	uint8_t n_on_list[3];           /* entries per enum kad_reval_list */
};

struct kad_revalidation {               /* one of geth's revalidationLists */
	uint64_t next_ns;               /* KAD_NEVER while the list is empty */
	uint64_t interval_ns;
	uint32_t count;
};

struct kad_ipslot {
	uint32_t key;                   /* netutil_subnet24_key() */
	uint32_t count;                 /* 0: free slot */
};

struct kad_table {
	uint8_t self_pub[SECP_PUB_LEN];
	uint8_t self_id[KAD_ID_LEN];
	uint64_t rng[4];                /* xoshiro256** state */
	struct kad_revalidation reval[3];       /* indexed by kad_reval_list */
	bool init_done;
	uint32_t ip_members;            /* sum of ips[].count */
	struct kad_ipslot ips[KAD_IPSET_SLOTS]; /* table-wide /24 counts */
	struct kad_bucket buckets[KAD_N_BUCKETS];
};

/* kad_table_init() empties t for the local node self_pub. seed seeds the
 * table's PRNG (revalidation timing, replacement choice, random nodes):
 * use getrandom(2) in production and a constant in tests. ping_interval_ns
 * is geth's PingInterval (0 = KAD_PING_INTERVAL_NS). */
void kad_table_init(struct kad_table *t, const uint8_t self_pub[SECP_PUB_LEN],
		    uint64_t seed, uint64_t ping_interval_ns);

/* kad_table_fini() releases nothing (t holds no pointers) and wipes t. */
void kad_table_fini(struct kad_table *t);

/* kad_mark_init_done() tells the table that the first refresh (self lookup
 * and seeding) finished. Until then KAD_ADD_INBOUND nodes are refused, so
 * a flood of pings cannot fill an empty table (geth's isInitDone). */
void kad_mark_init_done(struct kad_table *t);

/* kad_log_distance() is the log2 XOR distance of two ids: 0 when equal,
 * else 256 minus the number of leading zero bits of a ^ b. */
int kad_log_distance(const uint8_t a[KAD_ID_LEN], const uint8_t b[KAD_ID_LEN]);

/* kad_dist_cmp() compares a ^ target with b ^ target as big-endian
 * numbers: -1 when a is closer to target, 1 when b is, 0 when a == b. */
int kad_dist_cmp(const uint8_t target[KAD_ID_LEN], const uint8_t a[KAD_ID_LEN],
		 const uint8_t b[KAD_ID_LEN]);

/* kad_node_id() computes the Kademlia id keccak256(pub). */
void kad_node_id(uint8_t id[KAD_ID_LEN], const uint8_t pub[SECP_PUB_LEN]);

/* kad_bucket_index() returns the bucket (0..KAD_N_BUCKETS-1) an id falls
 * into: log-distance <= KAD_BUCKET_MIN_DIST is bucket 0, log-distance d
 * above it is bucket d - KAD_BUCKET_MIN_DIST - 1. */
unsigned kad_bucket_index(const struct kad_table *t, const uint8_t id[KAD_ID_LEN]);

/* Flags for kad_add(). */
#define KAD_ADD_INBOUND 0x1u    /* the node contacted us and proved its
				 * endpoint (Ping then Pong): accept any record
				 * change, refuse until kad_mark_init_done() */
#define KAD_ADD_LIVE    0x2u    /* mark validated live at once (geth's
				 * forceSetLive; for tests and simulations) */

enum kad_add_result {
	KAD_ADDED = 0,          /* now a bucket entry (on the fast list) */
	KAD_ADDED_REPLACEMENT,  /* bucket full: kept as a replacement */
	KAD_UPDATED,            /* already an entry; record/endpoint updated */
	KAD_PRESENT,            /* already an entry or replacement; unchanged */
	KAD_REJ_SELF,           /* the local node */
	KAD_REJ_NO_IP,          /* unspecified address */
	KAD_REJ_IP_LIMIT,       /* /24 limit of the bucket or table reached */
	KAD_REJ_NOT_READY,      /* KAD_ADD_INBOUND before kad_mark_init_done() */
};

/* kad_add() offers a node to the table (geth's handleAddNode). A node found
 * in a Neighbors reply is added with flags 0: a known entry is updated only
 * if n->enr_seq is higher than the stored one (so plain discv4 entries,
 * seq 0, cannot be re-pointed by third parties). With KAD_ADD_INBOUND any
 * change is taken. A new node enters the bucket if it has room (an existing
 * replacement moves up), else the replacement list (newest first, oldest
 * evicted). A changed endpoint clears live and re-queues the node on the
 * fast list. Returns an enum kad_add_result. */
enum kad_add_result kad_add(struct kad_table *t, const struct kad_node_info *n,
			    unsigned flags, uint64_t now);

/* kad_find() returns the bucket entry for pub, or NULL (replacements are
 * not returned). kad_find_id() does the same by Kademlia id. */
const struct kad_node *kad_find(const struct kad_table *t, const uint8_t pub[SECP_PUB_LEN]);
const struct kad_node *kad_find_id(const struct kad_table *t, const uint8_t id[KAD_ID_LEN]);

/* kad_is_replacement() returns true when pub waits in a replacement list. */
bool kad_is_replacement(const struct kad_table *t, const uint8_t pub[SECP_PUB_LEN]);

/* kad_remove() deletes pub's bucket entry and promotes a random replacement
 * of that bucket, if any, into it (geth's deleteInBucket). Returns 0 or
 * -ENOENT (not a bucket entry). */
int kad_remove(struct kad_table *t, const uint8_t pub[SECP_PUB_LEN], uint64_t now);

/* kad_len() returns the number of bucket entries (replacements excluded). */
size_t kad_len(const struct kad_table *t);

/* kad_next_revalidation() runs the revalidation schedule at now. When a
 * ping is due it returns the node to ping and marks it in flight (it will
 * not be chosen again until kad_revalidation_done()); the caller sends the
 * Ping and must call this again at once, since both lists can be due. When
 * nothing is due it returns NULL. In both cases *deadline_ns receives the
 * earliest time a node may next be due (KAD_NEVER: the table is empty).
 * A due list whose nodes are all in flight is simply rescheduled. */
const struct kad_node *kad_next_revalidation(struct kad_table *t, uint64_t now,
					     uint64_t *deadline_ns);

enum kad_reval_result {
	KAD_REVAL_LIVE = 0,     /* answered: live, checks++, moved to slow list */
	KAD_REVAL_LIVE_NEW_ENR, /* answered with enr_seq above ours: request
				 * the ENR, then kad_add() it (flags 0) */
	KAD_REVAL_FAILED,       /* no answer: checks /= 3, back on the fast list */
	KAD_REVAL_REMOVED,      /* no answer and no checks left: removed, and a
				 * replacement promoted if the bucket had one */
};

/* kad_revalidation_done() takes the outcome of the ping started by
 * kad_next_revalidation(): alive says whether a Pong came back, enr_seq is
 * the Pong's ENR sequence number (ignored when !alive). Returns an
 * enum kad_reval_result, or -ENOENT (pub is no longer a bucket entry: the
 * outcome is dropped, as geth does) or -EPROTO (no revalidation of pub in
 * flight). */
int kad_revalidation_done(struct kad_table *t, const uint8_t pub[SECP_PUB_LEN],
			  bool alive, uint64_t enr_seq, uint64_t now);

/* kad_findnode_done() records whether a FindNode sent to pub got a useful
 * answer. Success resets the consecutive failure counter; a failure counts
 * it up, and at KAD_MAX_FINDNODE_FAILURES the node is removed (replacement
 * promoted) provided its bucket holds at least KAD_BUCKET_SIZE / 4 entries
 * (geth keeps nodes of near-empty buckets so that small networks still
 * bootstrap). Returns 1 if the node was removed, 0 if not, -ENOENT if pub
 * is not a bucket entry. */
int kad_findnode_done(struct kad_table *t, const uint8_t pub[SECP_PUB_LEN], bool ok,
		      uint64_t now);

/* kad_closest() writes to out[0..n) the bucket entries closest to target
 * (a Kademlia id) by XOR distance, closest first, and returns how many
 * (<= n). With prefer_live, only live entries are returned unless there are
 * none at all, in which case any entries are (geth's findnodeByID). Cost
 * O(entries * n). */
size_t kad_closest(const struct kad_table *t, const struct kad_node **out, size_t n,
		   const uint8_t target[KAD_ID_LEN], bool prefer_live);

/* kad_random_nodes() writes to out[0..n) up to n distinct bucket entries
 * chosen uniformly at random, in random order, and returns how many. */
size_t kad_random_nodes(struct kad_table *t, const struct kad_node **out, size_t n);

/* kad_rand() returns the next 64 bits of the table's PRNG (for callers
 * that want the same reproducible stream, such as the lookup code). */
uint64_t kad_rand(struct kad_table *t);

#endif /* CONTROL_KAD_H */
