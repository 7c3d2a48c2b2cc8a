/* SPDX-License-Identifier: MIT */
/* control/store/crawldb.h - the crawl database: crawls and their crawlers, nodes, the leased work queue, visits and neighbours, on SQLite or PostgreSQL. */
#ifndef CONTROL_CRAWLDB_H
#define CONTROL_CRAWLDB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control/store/crawlbackend.h"

/*
 * The crawl's rows (schema: control/store/crawlschema.h) through either
 * backend: control/store/sqlitestore.h (a file, the default) or
 * control/store/pgstore.h (a database that several crawlers on several
 * machines share). Every function here is blocking: call them from the
 * crawl store's writer thread (control/store/crawlstore.h) or a command,
 * never from the event loop. One thread at a time per crawldb.
 *
 * A crawl round: crawldb_join() creates the crawl (or, with a name that
 * exists, joins it) and registers the calling crawler. Nodes learnt go
 * into the round's queue (crawldb_enqueue(), a no-op for a node already
 * there). Leased mode: a crawler leases pending nodes (crawldb_lease():
 * expired leases go back to pending first; PostgreSQL's FOR UPDATE SKIP
 * LOCKED hands concurrent crawlers disjoint nodes), renews its leases
 * while it works (crawldb_renew()), and commits each visit in the same
 * transaction as its lease's completion (crawldb_finish(), then the
 * visit's rows only if the lease was still its own). A crawler that dies
 * stops renewing; its leases expire after the lease time and the next
 * crawldb_lease() of any crawler takes them. SQLite has no SKIP LOCKED:
 * its writers are serialised, which keeps leases correct but makes a
 * SQLite round a one-crawler affair. Unleased mode (a crawl of its own,
 * the crawler deciding what to visit): crawldb_mark_done() instead.
 *
 * Times are Unix milliseconds; CRAWLDB_NO_TIME stores NULL.
 */

#define CRAWLDB_ID_LEN   32
#define CRAWLDB_PUB_LEN  64
#define CRAWLDB_NO_TIME  INT64_MIN

/* crawldb_open() opens target: a PostgreSQL URI ("postgres://...",
 * "postgresql://...") with pgstore_open(), anything else as a SQLite file
 * path with sqlitestore_open(). Returns as those. */
int crawldb_open(struct crawldb **out, const char *target);

/* crawldb_close() closes db; NULL is a no-op. */
void crawldb_close(struct crawldb *db);

/* crawldb_error() is the last backend error's text ("" if none). */
const char *crawldb_error(const struct crawldb *db);

/* crawldb_begin()/crawldb_commit()/crawldb_rollback() bracket a
 * transaction (SQLite: BEGIN IMMEDIATE). A failed statement inside one
 * leaves it to be rolled back. */
int crawldb_begin(struct crawldb *db);
int crawldb_commit(struct crawldb *db);
void crawldb_rollback(struct crawldb *db);

/* crawldb_query() runs one SQL text (no parameters) in the backend's
 * dialect, each result row to fn. Returns 0, fn's non-zero, or -EIO. */
int crawldb_query(struct crawldb *db, const char *sql, crawldb_row_fn *fn,
		  void *user);

/* Who a crawler is, for the crawls and crawlers rows. */
struct crawldb_me {
	const char *host;               /* NULL: none */
	int pid;
	const uint8_t *node_id;         /* CRAWLDB_ID_LEN bytes, or NULL */
	const char *config;             /* the crawl's settings, or NULL */
};

struct crawldb_round {
	int64_t crawl_id;
	int64_t crawler_id;
	bool created;                   /* this call created the crawl */
};

/* crawldb_join() creates the crawl named name (NULL: a new unnamed crawl)
 * or joins the one of that name, and adds a crawlers row for me. Returns
 * 0 or -EIO. */
int crawldb_join(struct crawldb *db, struct crawldb_round *out,
		 const char *name, const struct crawldb_me *me,
		 int64_t now_ms);

/* crawldb_find() sets *crawl_id to the crawl named name, or (name NULL)
 * to the latest crawl. Returns 0, -ENOENT or -EIO. */
int crawldb_find(struct crawldb *db, const char *name, int64_t *crawl_id);

/* A crawl_nodes row (the merge rules are crawlschema.c's). */
struct crawldb_node {
	uint8_t id[CRAWLDB_ID_LEN];
	const uint8_t *pub;             /* CRAWLDB_PUB_LEN bytes or NULL */
	const char *record;             /* "enr:..." or an enode URL */
	uint64_t seq;
	int score;
	int64_t seen_ms;
	int64_t first_response, last_response, last_check;      /* ms */
	uint8_t ip[16];
	uint16_t udp, tcp;
};

/* crawldb_put_node() inserts or merges one crawl_nodes row. */
int crawldb_put_node(struct crawldb *db, const struct crawldb_node *n);

/* A node of the work queue, as leased. */
struct crawldb_grant {
	uint8_t id[CRAWLDB_ID_LEN];
	uint8_t pub[CRAWLDB_PUB_LEN];
	uint8_t ip[16];
	uint16_t udp, tcp;
};

/* crawldb_enqueue() adds g to r's queue as pending, learnt by r's crawler
 * at now_ms, unless it is there already. Returns 0 or -EIO. */
int crawldb_enqueue(struct crawldb *db, const struct crawldb_round *r,
		    const struct crawldb_grant *g, int64_t now_ms);

/* crawldb_lease() puts r's expired leases back to pending, then leases up
 * to max pending nodes to r's crawler until now + lease_ms (PostgreSQL:
 * its own clock's now), the ones learnt first (in no order within the
 * lease), into out. Returns how many, -EPROTO (the backend returned more
 * rows than asked: they are all put back), or -EIO. Outside a
 * transaction: each statement commits by itself. */
ssize_t crawldb_lease(struct crawldb *db, const struct crawldb_round *r,
		      struct crawldb_grant *out, size_t max, int64_t lease_ms,
		      int64_t now_ms);

/* crawldb_pool() tells whether r's queue has pending nodes (expired leases
 * included) and unexpired leases (any crawler's). Returns 0 or -EIO. */
int crawldb_pool(struct crawldb *db, const struct crawldb_round *r,
		 int64_t now_ms, bool *pending, bool *leased);

/* crawldb_renew() extends every lease of r's crawler to now + lease_ms.
 * Returns 0 or -EIO. */
int crawldb_renew(struct crawldb *db, const struct crawldb_round *r,
		  int64_t lease_ms, int64_t now_ms);

/* crawldb_finish() marks id done if r's crawler still holds its lease.
 * Returns 0, -ESTALE (the lease is not ours any more: write no visit) or
 * -EIO. */
int crawldb_finish(struct crawldb *db, const struct crawldb_round *r,
		   const uint8_t id[CRAWLDB_ID_LEN], int64_t now_ms);

/* crawldb_mark_done() marks id done without a lease (a crawl of its own).
 * Returns 0 or -EIO. */
int crawldb_mark_done(struct crawldb *db, const struct crawldb_round *r,
		      const uint8_t id[CRAWLDB_ID_LEN], int64_t now_ms);

/* crawldb_release() puts every lease of r's crawler back to pending (a
 * crawler that stops early). Returns 0 or -EIO. */
int crawldb_release(struct crawldb *db, const struct crawldb_round *r);

/* The discovery part of a visit. */
#define CRAWLDB_KEYS_MAX 160
struct crawldb_disc {
	uint8_t id[CRAWLDB_ID_LEN];
	int64_t started_ms, finished_ms;
	bool answered;                  /* replied or ponged */
	bool replied;                   /* FindNode or ENRRequest answered */
	bool enr_verified;
	uint64_t enr_seq;
	char enr_keys[CRAWLDB_KEYS_MAX];        /* "eth,id,ip,..." or "" */
	char error[32];                 /* failure class, "" none */
	uint32_t neighbors;             /* Neighbors entries received */
};

/* The RLPx part of a visit. Text fields are NUL-terminated, "" when not
 * learnt; has_* say which groups of columns are set (else NULL). */
#define CRAWLDB_CLIENT_MAX 256
#define CRAWLDB_CAPS_MAX   256
struct crawldb_rlpx {
	uint8_t id[CRAWLDB_ID_LEN];
	uint16_t tcp;
	bool has_hello;
	char client_id[CRAWLDB_CLIENT_MAX];
	char client_name[64];           /* client_id up to the first '/' */
	char client_version[64];        /* its second part */
	uint64_t p2p_version;
	char caps[CRAWLDB_CAPS_MAX];    /* "eth/68,eth/69,snap/1" */
	uint64_t listen_port;
	bool has_status;
	uint32_t eth_version;
	uint64_t network_id;
	uint8_t genesis[32];
	uint32_t fork_hash;
	uint64_t fork_next;
	bool has_range;                 /* eth/69+: the block range */
	uint64_t earliest, latest;
	uint8_t latest_hash[32];
	char status_check[48];          /* our verdict: "ok", ... */
	int disc_reason;                /* -1: no Disconnect */
	bool disc_remote;
	char error[48];                 /* error class; "" when Status came */
	int64_t started_ms, finished_ms;
};

/* crawldb_put_disc()/crawldb_put_rlpx() write one part of r's visit of a
 * node (the row is created by whichever comes first). */
int crawldb_put_disc(struct crawldb *db, const struct crawldb_round *r,
		     const struct crawldb_disc *v);
int crawldb_put_rlpx(struct crawldb *db, const struct crawldb_round *r,
		     const struct crawldb_rlpx *v);

/* crawldb_answered_late() marks r's visit of id answered, if r's crawler
 * wrote it (a node that answered only after its visit was committed).
 * Returns 0 or -EIO. */
int crawldb_answered_late(struct crawldb *db, const struct crawldb_round *r,
			  const uint8_t id[CRAWLDB_ID_LEN]);

/* crawldb_put_neighbors() adds ids[0..n) to what from returned in crawl
 * crawl_id (a set: repeats are kept once). Returns 0 or -EIO. */
int crawldb_put_neighbors(struct crawldb *db, int64_t crawl_id,
			  const uint8_t from[CRAWLDB_ID_LEN],
			  const uint8_t (*ids)[CRAWLDB_ID_LEN], size_t n);

struct crawldb_counts {
	uint64_t leased;                /* leases taken */
	uint64_t visits;                /* visits committed */
	uint64_t lost;                  /* leases found lost at finish */
};

/* crawldb_end() closes r's crawlers row with counts, refreshes the crawl's
 * counts, and ends the crawl: at once with own (a crawl of its own), or
 * once nothing is pending or leased (a shared round). Returns 0 or
 * -EIO. */
int crawldb_end(struct crawldb *db, const struct crawldb_round *r,
		const struct crawldb_counts *counts, bool own, int64_t now_ms);

#endif /* CONTROL_CRAWLDB_H */
