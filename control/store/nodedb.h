/* SPDX-License-Identifier: MIT */
/* control/store/nodedb.h - the node database (SQLite): discovery seeds and bond
 * times so a restart re-bootstraps from known nodes, our local ENR seq, and
 * the crawler's per-node records. Control thread only. */
#ifndef CONTROL_NODEDB_H
#define CONTROL_NODEDB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NODEDB_PUB_LEN  64
#define NODEDB_ADDR_LEN 16              /* IPv6 or IPv4-mapped */
#define NODEDB_ENR_MAX  300             /* EIP-778 cap */

struct nodedb;

/* A discovered node. Times are Unix seconds, 0 for never. */
struct nodedb_node {
	uint8_t pub[NODEDB_PUB_LEN];
	uint8_t ip[NODEDB_ADDR_LEN];
	uint16_t udp;
	uint16_t tcp;
	int64_t last_pong;              /* when it last answered our Ping (bond) */
	int64_t last_ping;              /* when it last pinged us */
	uint32_t findnode_fails;
	uint64_t enr_seq;
	uint8_t enr[NODEDB_ENR_MAX];    /* signed record, RLP; enr_len 0 if none */
	size_t enr_len;
};

/* The crawler's view of a node: geth's nodes.json fields plus what the
 * crawl learnt. Times are Unix seconds, INT64_MIN for Go's zero time. */
struct nodedb_crawl {
	uint8_t id[32];                 /* keccak256(pub) */
	char record[1024];              /* "enr:..." or "enode://..." */
	uint64_t seq;
	int score;
	int64_t first_response;
	int64_t last_response;
	int64_t last_check;
	uint8_t ip[NODEDB_ADDR_LEN];
	uint16_t udp;
	uint16_t tcp;
};

/* One RLPx probe of the crawler (control/crawl/crawl_rlpx.h): what the node
 * said in its Hello and eth Status, or why it could not be learnt. Text
 * fields are NUL-terminated; empty when not learnt. Times are Unix
 * milliseconds.
 *
 * Table rlpx, one row per node (id), columns NULL when not learnt:
 *   id, pub, ip (16 bytes, IPv4-mapped), tcp;
 *   Hello: client_id, p2p_version, caps ("eth/68,eth/69,snap/1", their
 *     order), listen_port;
 *   eth_version: the version the Hellos negotiated (the highest both have;
 *     set without a Status too);
 *   Status: network_id, genesis (hex), fork_hash (8 hex), fork_next,
 *     status_check ("ok" or why not), latest_hash (hex: the head's hash,
 *     eth/69+ latesthash, eth/68 blockhash), earliest_block and
 *     latest_block (eth/69+ block range; NULL for eth/68);
 *   disc_reason, disc_remote (a Disconnect), error (the error class);
 *   started_ms, finished_ms.
 * Schema 2 added eth_version's meaning (schema 1: the Status's version
 * field, the same whenever status_check is "ok") and the three block
 * columns; nodedb_open() adds them to a schema 1 file. */
#define NODEDB_CLIENT_MAX 256
#define NODEDB_CAPS_MAX   256
struct nodedb_rlpx {
	uint8_t id[32];                 /* keccak256(pub) */
	uint8_t pub[NODEDB_PUB_LEN];
	uint8_t ip[NODEDB_ADDR_LEN];
	uint16_t tcp;
	bool has_hello;
	char client_id[NODEDB_CLIENT_MAX];
	uint64_t p2p_version;
	char caps[NODEDB_CAPS_MAX];     /* "eth/68,eth/69,snap/1" */
	uint64_t listen_port;
	uint32_t eth_version;           /* negotiated; 0: none */
	bool has_status;
	uint64_t network_id;
	uint8_t genesis[32];
	uint32_t fork_hash;
	uint64_t fork_next;
	char status_check[48];          /* our verdict: "ok", "network id
					 * mismatch", ... ("" without Status) */
	uint8_t latest_hash[32];        /* with Status */
	bool has_block_range;           /* eth/69+ Status */
	uint64_t earliest_block;
	uint64_t latest_block;
	int disc_reason;                /* -1: no Disconnect */
	bool disc_remote;               /* the remote sent it */
	char error[48];                 /* error class; "" when Status came */
	int64_t started_ms;
	int64_t finished_ms;
};

/* nodedb_open() opens or creates the database at path (":memory:" works),
 * in WAL mode so that a killed process never leaves it corrupt, and
 * migrates the schema. Returns 0 or -errno (-EIO with a logged SQLite
 * message for anything SQLite reports). */
int nodedb_open(struct nodedb **out, const char *path);

/* nodedb_close() flushes an open batch and closes; NULL is a no-op. */
void nodedb_close(struct nodedb *db);

/* nodedb_begin()/nodedb_commit() group writes into one transaction; the
 * control loop commits about once a second so a burst of discovery events
 * costs one fsync. Writes outside a batch are their own transaction. */
int nodedb_begin(struct nodedb *db);
int nodedb_commit(struct nodedb *db);

/* nodedb_put_node() inserts or updates a node (keyed by pub and ip). */
int nodedb_put_node(struct nodedb *db, const struct nodedb_node *n);

/* nodedb_get_node() loads the node with that pub and ip. Returns 0,
 * -ENOENT, or -EIO. */
int nodedb_get_node(struct nodedb *db, struct nodedb_node *out,
		    const uint8_t pub[NODEDB_PUB_LEN], const uint8_t ip[NODEDB_ADDR_LEN]);

/* nodedb_seeds() fills out[0..max) with up to max nodes that answered a
 * Ping within max_age seconds before now, newest first (geth's
 * QuerySeeds). Returns the count or -EIO. */
ssize_t nodedb_seeds(struct nodedb *db, struct nodedb_node *out, size_t max,
		     int64_t now, int64_t max_age);

/* nodedb_expire() deletes nodes not heard from since before cutoff.
 * Returns the number removed or -EIO. */
ssize_t nodedb_expire(struct nodedb *db, int64_t cutoff);

/* nodedb_get_u64()/nodedb_put_u64() keep small named values such as our
 * local ENR seq ("local.seq"). get returns -ENOENT when unset. */
int nodedb_get_u64(struct nodedb *db, const char *key, uint64_t *out);
int nodedb_put_u64(struct nodedb *db, const char *key, uint64_t v);

/* nodedb_put_crawl() inserts or replaces one crawl record. */
int nodedb_put_crawl(struct nodedb *db, const struct nodedb_crawl *c);

/* nodedb_put_rlpx() inserts or replaces the RLPx probe record of a node
 * (keyed by id; table rlpx). Returns 0 or -EIO. */
int nodedb_put_rlpx(struct nodedb *db, const struct nodedb_rlpx *r);

/* nodedb_count() returns the number of rows in "nodes", "crawl" or
 * "rlpx" (table must be one of those), or -EINVAL / -EIO. */
ssize_t nodedb_count(struct nodedb *db, const char *table);

#endif /* CONTROL_NODEDB_H */
