/* SPDX-License-Identifier: MIT */
/* control/store/nodedb.h - the node database (SQLite): discovery seeds and bond
 * times so a restart re-bootstraps from known nodes, our local ENR seq; the
 * same file holds the crawl schema (control/store/crawlschema.h), which
 * control/store/sqlitestore.h runs. One thread at a time. */
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

/* nodedb_open() opens or creates the database at path (":memory:" works),
 * in WAL mode so that a killed process never leaves it corrupt, and
 * applies the migrations of control/store/crawlschema.h it lacks, in
 * order, each in one transaction with its schema_version row (a schema 1
 * file, PRAGMA user_version 1 without that table, is migrated forward).
 * Returns 0, -EPROTO (the file's schema is newer than this build's), or
 * -errno (-EIO with a logged SQLite message for anything SQLite
 * reports). */
int nodedb_open(struct nodedb **out, const char *path);

/* nodedb_close() flushes an open batch and closes; NULL is a no-op. */
void nodedb_close(struct nodedb *db);

/* nodedb_begin()/nodedb_commit() group writes into one transaction; the
 * control loop commits about once a second so a burst of discovery events
 * costs one fsync. Writes outside a batch are their own transaction.
 * nodedb_rollback() drops an open batch (a no-op without one). */
int nodedb_begin(struct nodedb *db);
int nodedb_commit(struct nodedb *db);
void nodedb_rollback(struct nodedb *db);

/* nodedb_version() returns the schema version of the open file. */
int nodedb_version(const struct nodedb *db);

/* nodedb_sqlite() returns the SQLite connection, for the crawl schema's
 * statements (control/store/sqlitestore.c); it stays owned by db. */
struct sqlite3;
struct sqlite3 *nodedb_sqlite(struct nodedb *db);

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

/* nodedb_count() returns the number of rows in "nodes", "kv", "crawls",
 * "crawlers", "crawl_nodes", "crawl_queue", "visits", "neighbors" or
 * "schema_version" (table must be one of those), or -EINVAL / -EIO. */
ssize_t nodedb_count(struct nodedb *db, const char *table);

#endif /* CONTROL_NODEDB_H */
