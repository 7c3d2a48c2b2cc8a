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
#include "control/store/nodedb.h"

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
 *     database rows of the nodes that changed (table crawl, one
 *     transaction with the RLPx rows of table rlpx) and then the whole of
 *     nodes.json with nodesjson_write(): a temporary file in the same
 *     directory, fsynced and renamed over the old one, so a reader, or a
 *     process killed at any moment, sees the previous complete snapshot
 *     or the new complete one, never a partial file;
 *   - crawlstore_flush() writes at once (nodes.json even unchanged: "{}"
 *     for an empty set) and waits for it; crawlstore_close() writes what
 *     changed a last time and stops the thread. A store that was given
 *     nothing and never flushed leaves an existing nodes.json alone (a
 *     crawl that failed to start does not wipe the last one).
 * nodes.json holds the nodes whose latest score is > 0 with their latest
 * record text (else their enode URL), exactly as crawl.h describes; the
 * database holds every node emitted.
 *
 * Threads: one producer thread (the crawler's) calls every function; the
 * store's thread is the only user of cfg.db between crawlstore_new() and
 * crawlstore_close(), so the caller must not use it meanwhile. The
 * store's thread (named "crawlstore") blocks every signal, so that the
 * host's signal handling (control/host/loop.c's signalfd) sees SIGINT and
 * SIGTERM.
 *
 * Memory on the store's side: about CRAWLSTORE_NODE_BYTES per node, plus
 * its record text for nodes with a verified ENR or in nodes.json (at most
 * ENR_TEXT_MAX bytes each), plus the queue (at most one entry per node).
 */

#define CRAWLSTORE_DEFAULT_INTERVAL_NS 1000000000ull    /* 1 s */
#define CRAWLSTORE_NODE_BYTES          200

struct crawlstore_config {
	const char *json_path;          /* nodes.json; NULL: none. Copied */
	struct nodedb *db;              /* NULL: none; see Threads above */
	uint64_t interval_ns;           /* least time between two writes;
					 * 0: CRAWLSTORE_DEFAULT_INTERVAL_NS */
};

struct crawlstore_stats {
	uint64_t puts;                  /* results queued */
	uint64_t dropped;               /* results lost (ENOMEM) */
	uint64_t nodes;                 /* distinct nodes written so far */
	uint64_t in_output;             /* of which in the last nodes.json */
	uint64_t json_writes, json_errors;
	uint64_t db_commits, db_errors; /* failed puts and commits */
	uint64_t rlpx_rows;             /* RLPx rows stored */
	int last_err;                   /* of the last write: 0 or -errno */
};

struct crawlstore;

/* crawlstore_new() removes the temporary files a killed writer of
 * cfg->json_path left (nodesjson_clean_temps()) and starts a store and
 * its thread. Returns 0, -EINVAL (no output at all), -ENOMEM, or -errno
 * of pthread_create(). */
int crawlstore_new(struct crawlstore **out,
		   const struct crawlstore_config *cfg);

/* crawlstore_put_node() queues one of the crawler's results (copied,
 * record text included). Never blocks on a write: the lock it takes is
 * held by the thread only to swap queues. Returns 0 or -ENOMEM (counted
 * as dropped). */
int crawlstore_put_node(struct crawlstore *s, const struct crawl_out *o);

/* crawlstore_put_rlpx() queues one RLPx probe result for table rlpx (a
 * no-op without a database). Returns 0 or -ENOMEM. */
int crawlstore_put_rlpx(struct crawlstore *s,
			const struct rlpxprobe_result *r);

/* crawlstore_on_crawl() is crawlstore_put_node() as a crawl_out_fn
 * (user: the store); crawlstore_on_rlpx() is crawlstore_put_rlpx() as a
 * crawl_rlpx_result_fn. */
void crawlstore_on_crawl(void *user, const struct crawl_out *o);
void crawlstore_on_rlpx(void *user, const struct rlpxprobe_result *r);

/* crawlstore_flush() makes the thread write everything queued so far now
 * (the interval does not apply; nodes.json is written even unchanged)
 * and waits until it did. Returns 0 or the first -errno of that write
 * (nodes.json and the database are both attempted). */
int crawlstore_flush(struct crawlstore *s);

/* crawlstore_stats() fills *st (a consistent copy). */
void crawlstore_stats(struct crawlstore *s, struct crawlstore_stats *st);

/* crawlstore_close() writes what changed since the last write, stops
 * and joins the thread and frees s. Returns 0 or -errno of that last
 * write. NULL is a no-op returning 0. */
int crawlstore_close(struct crawlstore *s);

#endif /* CONTROL_CRAWLSTORE_H */
