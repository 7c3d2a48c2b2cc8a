/* SPDX-License-Identifier: MIT */
/* control/store/crawlstore.h - the crawler's output: nodes.json (geth's node-set format) and the database, written by a worker thread from the crawler's per-node results. */
#ifndef CONTROL_CRAWLSTORE_H
#define CONTROL_CRAWLSTORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/crawl/crawl.h"
#include "control/crawl/crawl_rlpx.h"
#include "control/rlpx/rlpxprobe.h"
#include "control/store/crawldb.h"

/*
 * The crawler (control/crawl/crawl.h) and its RLPx pass
 * (control/crawl/crawl_rlpx.h) never touch a file: they emit results. The
 * host hands them to a crawlstore (crawlstore_on_crawl() and
 * crawlstore_on_rlpx() have the engines' callback signatures), which only
 * queues them, and the store's own thread writes them:
 *   - the queue keeps one entry per node (a node emitted again before the
 *     thread took the queue replaces its entry), so it never holds more
 *     than the crawler's node set (bounded by crawl_config.max_nodes)
 *     plus one RLPx result per probed node;
 *   - the thread keeps every node's latest state, and at most once per
 *     cfg.interval_ns (default 1 s), when something changed, writes the
 *     database (control/store/crawldb.h) in one transaction: the
 *     crawl_nodes rows of the nodes that changed, the nodes learnt into
 *     the crawl's queue, the neighbour lists, and the visits (below);
 *     then, at most once per cfg.interval_ns too, the whole of nodes.json
 *     with nodesjson_write(): a temporary file in the same directory,
 *     fsynced and renamed over the old one, so a reader, or a process
 *     killed at any moment, sees the previous complete snapshot or the
 *     new complete one, never a partial file. What a failed transaction
 *     held is written again by the next one;
 *   - crawlstore_flush() writes at once (nodes.json even unchanged: "{}"
 *     for an empty set) and waits for it; crawlstore_close() writes what
 *     changed a last time, ends the crawler's row (and the crawl's) and
 *     stops the thread. A store that was given nothing and never flushed
 *     leaves an existing nodes.json alone (a crawl that failed to start
 *     does not wipe the last one).
 *
 * The crawl's rows: crawlstore_new() creates the crawl (cfg.round NULL:
 * a crawl of its own) or joins the crawl round named cfg.round, and adds
 * this crawler's row. Visits:
 *   - a crawl of its own (the crawler picks what to visit): a node's
 *     visit row gets its discovery part when its check finishes
 *     (CRAWL_EV_DONE; the node is then done in the queue) and its RLPx
 *     part when its probe ends, each written as it comes;
 *   - leased (cfg.leased, a round shared by a fleet of crawlers): the host
 *     asks for work with crawlstore_lease(); the thread leases nodes at
 *     once (crawldb_lease()) and posts the answer, which the host takes
 *     with crawlstore_take_leased() when crawlstore_fd() is readable. The
 *     parts of a visit are held until the host calls crawlstore_finish():
 *     the next transaction then completes the lease and, only if the
 *     lease was still ours, writes the visit. The thread renews the
 *     crawler's leases every cfg.lease_ns / 3; crawlstore_close() puts
 *     back the leases of visits not finished.
 *
 * nodes.json holds the nodes whose latest score is > 0 with their latest
 * record text (else their enode URL), exactly as crawl.h describes; the
 * database holds every node emitted. In a shared round, each crawler's
 * nodes.json has the nodes it visited (the others' it only heard of have
 * no score from it); the database has the round's whole view.
 *
 * Threads: one producer thread (the crawler's) calls every function; the
 * store's thread is the only user of cfg.db between crawlstore_new() and
 * crawlstore_close(), so the caller must not use it meanwhile (the
 * database calls block: never on the event loop). The
 * store's thread (named "crawlstore") blocks every signal, so that the
 * host's signal handling (control/host/loop.c's signalfd) sees SIGINT and
 * SIGTERM.
 *
 * Memory on the store's side: about CRAWLSTORE_NODE_BYTES per node, plus
 * its record text for nodes with a verified ENR or in nodes.json (at most
 * ENR_TEXT_MAX bytes each), plus the queue (at most one entry per node).
 */

#define CRAWLSTORE_DEFAULT_INTERVAL_NS 1000000000ull    /* 1 s */
#define CRAWLSTORE_DEFAULT_LEASE_NS    (300ull * 1000000000ull)        /* 5 min */
#define CRAWLSTORE_NODE_BYTES          224
/* What a database outage may pile up per kind of row (nodes learnt,
 * neighbour pairs, visits to write) before the oldest are dropped and
 * counted (struct crawlstore_stats.dropped). */
#define CRAWLSTORE_BACKLOG_MAX         (1u << 20)

struct crawlstore_config {
	const char *json_path;          /* nodes.json; NULL: none. Copied */
	struct crawldb *db;             /* NULL: none; see Threads above */
	uint64_t interval_ns;           /* least time between two writes;
					 * 0: CRAWLSTORE_DEFAULT_INTERVAL_NS */
	const char *round;              /* join or create this named crawl;
					 * NULL: a crawl of its own. Copied */
	bool leased;                    /* visits through leases (db) */
	uint64_t lease_ns;              /* 0: CRAWLSTORE_DEFAULT_LEASE_NS */
	struct crawldb_me me;           /* this crawler (copied) */
	bool log_commits;               /* a stderr line per write that
					 * committed visits (tests) */
};

struct crawlstore_stats {
	uint64_t puts;                  /* results queued */
	uint64_t dropped;               /* results lost (ENOMEM, backlog) */
	uint64_t nodes;                 /* distinct nodes written so far */
	uint64_t in_output;             /* of which in the last nodes.json */
	uint64_t json_writes, json_errors;
	uint64_t db_commits, db_errors; /* failed transactions, statements */
	uint64_t rlpx_rows;             /* RLPx parts of visits stored */
	uint64_t visits;                /* visits committed (any part) */
	uint64_t leased;                /* leases taken */
	uint64_t leases_lost;           /* visits not written: lease gone */
	int64_t crawl_id, crawler_id;   /* the rows (-1: no database) */
	int last_err;                   /* of the last write: 0 or -errno */
};

struct crawlstore;

/* crawlstore_new() removes the temporary files a killed writer of
 * cfg->json_path left (nodesjson_clean_temps()), creates or joins the
 * crawl in cfg->db (blocking, on the caller's thread: before the loop
 * runs), and starts a store and its thread. Returns 0, -EINVAL (no output
 * at all, or leased without a database), -ENOMEM, -EIO (the crawl's rows:
 * the backend's message on stderr), or -errno of pthread_create() or
 * eventfd(). */
int crawlstore_new(struct crawlstore **out,
		   const struct crawlstore_config *cfg);

/* crawlstore_put_node() queues one of the crawler's results (copied,
 * record text included). Never blocks on a write: the lock it takes is
 * held by the thread only to swap queues. Returns 0 or -ENOMEM (counted
 * as dropped). */
int crawlstore_put_node(struct crawlstore *s, const struct crawl_out *o);

/* crawlstore_put_rlpx() queues one RLPx probe result: the RLPx part of
 * the node's visit (a no-op without a database). Returns 0 or -ENOMEM. */
int crawlstore_put_rlpx(struct crawlstore *s,
			const struct rlpxprobe_result *r);

/* crawlstore_put_neighbors() queues what node from returned to a FindNode
 * (a no-op without a database). Returns 0 or -ENOMEM. */
int crawlstore_put_neighbors(struct crawlstore *s,
			     const uint8_t from[CRAWL_ID_LEN],
			     const uint8_t (*ids)[CRAWL_ID_LEN], unsigned n);

/* crawlstore_on_crawl() is crawlstore_put_node() as a crawl_out_fn
 * (user: the store); crawlstore_on_rlpx() is crawlstore_put_rlpx() as a
 * crawl_rlpx_result_fn; crawlstore_on_neighbors() is
 * crawlstore_put_neighbors() as a crawl_neighbors_fn. */
void crawlstore_on_crawl(void *user, const struct crawl_out *o);
void crawlstore_on_rlpx(void *user, const struct rlpxprobe_result *r);
void crawlstore_on_neighbors(void *user, const uint8_t from[CRAWL_ID_LEN],
			     const uint8_t (*ids)[CRAWL_ID_LEN], unsigned n);

/* crawlstore_fd() is an eventfd that becomes readable when the answer to
 * crawlstore_lease() is ready (leased stores; -1 otherwise). The store
 * owns it. */
int crawlstore_fd(const struct crawlstore *s);

/* crawlstore_lease() asks the thread to lease up to n nodes now. One
 * request at a time. Returns 0, -EBUSY (one is outstanding), -EPROTO (not
 * leased), -EINVAL (n 0). */
int crawlstore_lease(struct crawlstore *s, unsigned n);

/* crawlstore_take_leased() takes the answer: up to max nodes into out
 * (as many as were asked for: pass that many), and whether the queue
 * still had pending nodes and anyone's unexpired leases (both true when
 * it did not say: after a lease that brought nodes, or a failed one).
 * Returns the number of nodes, or -EAGAIN (no answer yet). */
ssize_t crawlstore_take_leased(struct crawlstore *s, struct discv4_node *out,
			       size_t max, bool *pending, bool *leased);

/* crawlstore_finish() says the visit of id is complete: the next write
 * completes its lease and writes it (leased stores). Returns 0, -EPROTO
 * (not leased), -ENOMEM. */
int crawlstore_finish(struct crawlstore *s, const uint8_t id[CRAWL_ID_LEN]);

/* crawlstore_flush() makes the thread write everything queued so far now
 * (the interval does not apply; nodes.json is written even unchanged)
 * and waits until it did. Returns 0 or the first -errno of that write
 * (nodes.json and the database are both attempted). */
int crawlstore_flush(struct crawlstore *s);

/* crawlstore_stats() fills *st (a consistent copy). */
void crawlstore_stats(struct crawlstore *s, struct crawlstore_stats *st);

/* crawlstore_close() writes what changed since the last write, puts back
 * the leases of unfinished visits, ends the crawler's row (and the
 * crawl's: at once for a crawl of its own, once its queue is empty for a
 * round), stops and joins the thread and frees s (not cfg.db). Returns 0
 * or -errno of that last write. NULL is a no-op returning 0. */
int crawlstore_close(struct crawlstore *s);

#endif /* CONTROL_CRAWLSTORE_H */
