/* SPDX-License-Identifier: MIT */
/* control/crawl/crawl5.h - sans-I/O discv5 crawler: ENR fetch and a
 * FINDNODE sweep by distance of every node, per-node results for geth's
 * nodes.json. */
#ifndef CONTROL_CRAWL5_H
#define CONTROL_CRAWL5_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/base/wallclock.h"
#include "control/discv5/discv5.h"

/*
 * The crawler drives one discv5 engine (control/discv5/discv5.h) through
 * its request API, in the shape of the discv4 crawler (crawl.h): it takes
 * now_ns in every call, never reads a clock, and what it learns about each
 * node leaves through cfg.on_out (struct crawl5_out).
 *
 * Every node learnt (seeds, NODES records, nodes the engine reports as
 * seen) is queued once, keyed by its node id. At most cfg.parallel queued
 * nodes are worked on at a time; for each one the crawler
 *   - asks for its record with FINDNODE [0] (geth's crawler: RequestENR;
 *     the engine checks that exactly the node's own record came back),
 *     which also makes the handshake. A node that answers scores; one that
 *     does not after cfg.retries retries is given up (geth: score halved,
 *     0 for a node never seen answering, which leaves nodes.json);
 *   - sweeps the node's table with one FINDNODE per log-distance, 256 down
 *     to cfg.min_dist (default CRAWL5_DEFAULT_MIN_DIST: 240, the last of
 *     geth's 17 buckets; nebula's discv5 crawl asks the same buckets), one
 *     request at a time (the engine keeps one in flight per node anyway).
 *     Each distance holds about half the nodes of the one above, so after
 *     CRAWL5_EMPTY_STOP empty answers in a row the deeper distances are
 *     taken as empty (cfg.full_sweep: ask them all). A timed-out step is
 *     retried cfg.retries times, then the sweep ends.
 * Records in NODES answers are verified by the engine (signature,
 * distance, relay rules); the crawler keeps the newest seq of each node.
 *
 * Output (geth cmd/devp2p nodeset.go): score = the prior score + 1 when
 * the node answered FINDNODE [0] in this crawl, halved when it did not;
 * nodes.json holds nodes with score > 0, record = the newest verified
 * record, seq its seq, firstResponse / lastResponse / lastCheck in Unix
 * seconds. Each node is emitted (its whole state) when its check
 * finished, and once when first learnt.
 *
 * End: crawl5_done() once the queue is empty and no node is worked on,
 * or cfg.timeout_ns after crawl5_new().
 *
 * Host contract: after every call into the engine and at
 * crawl5_next_deadline() call crawl5_on_timer(c, now) (engine callbacks
 * only record; requests start from crawl5_on_timer()), then re-read the
 * engine's deadline; forward the engine's on_node_seen hook to
 * crawl5_on_node_seen(); free the engine before the crawler (pending
 * callbacks get -ECANCELED, which the crawler ignores). One thread owns
 * both.
 */

#define CRAWL5_DEFAULT_PARALLEL  16
#define CRAWL5_DEFAULT_MIN_DIST  240
#define CRAWL5_DEFAULT_MAX_NODES 2000000u
#define CRAWL5_EMPTY_STOP        3      /* empty distances in a row */
#define CRAWL5_NO_RETRY          (~0u)
#define CRAWL5_ZERO_TIME         INT64_MIN      /* Go's zero time.Time */

enum crawl5_fail {
	CRAWL5_FAIL_TIMEOUT = 0,        /* no answer to FINDNODE [0] */
	CRAWL5_FAIL_REJECTED,           /* the engine refused the request */
	CRAWL5_FAIL_BAD_ANSWER,         /* an answer, but not its own record */
	CRAWL5_FAIL_MAX
};

/* One node's result: its whole current state. Valid only during the
 * on_out call. */
struct crawl5_out {
	const struct discv5_node *n;    /* id, key, endpoint, newest record
					 * (enr_len 0: none verified) */
	int score;                      /* > 0: in nodes.json */
	int64_t first_response;         /* Unix s or CRAWL5_ZERO_TIME */
	int64_t last_response;
	int64_t last_check;
	bool checked;                   /* its check finished */
	bool answered;                  /* it answered FINDNODE [0] in this
					 * crawl */
	int fail;                       /* enum crawl5_fail, -1: none */
	unsigned found;                 /* records its sweep returned */
};

typedef void crawl5_out_fn(void *user, const struct crawl5_out *o);

struct crawl5_config {
	unsigned parallel;              /* 0: CRAWL5_DEFAULT_PARALLEL */
	const struct wallclock *wc;     /* NULL: now is Unix time */
	uint64_t timeout_ns;            /* 0: until the queue drains */
	unsigned max_nodes;             /* 0: CRAWL5_DEFAULT_MAX_NODES */
	unsigned min_dist;              /* 1..256; 0: the default */
	unsigned retries;               /* 0: 1; CRAWL5_NO_RETRY: none */
	bool full_sweep;                /* no early stop of the sweep */
	crawl5_out_fn *on_out;          /* NULL: none */
	void *out_user;
	uint64_t seed;                  /* keys the node index's hash:
					 * random, so that remote peers cannot
					 * aim ids at one slot */
};

struct crawl5_stats {
	uint64_t seen;                  /* distinct nodes learnt (not us) */
	uint64_t refused;               /* learnt beyond cfg.max_nodes */
	uint64_t queued, active, checked;
	uint64_t answered;              /* answered FINDNODE [0] */
	uint64_t findnode_sent;         /* sweep requests */
	uint64_t findnode_ok;           /* ... answered */
	uint64_t records;               /* verified records received */
	uint64_t fail[CRAWL5_FAIL_MAX];
	bool done, timed_out;
};

struct crawl5;

/* crawl5_new() creates a crawler driving engine d. Returns 0, -EINVAL
 * (no engine, min_dist over 256), -ENOMEM. */
int crawl5_new(struct crawl5 **out, struct discv5 *d,
	       const struct crawl5_config *cfg, uint64_t now_ns);

/* crawl5_free() frees c (not the engine). NULL is a no-op. */
void crawl5_free(struct crawl5 *c);

/* crawl5_add_seed() queues n (key and endpoint needed). Returns 0,
 * -EEXIST (known), -EINVAL (no key or UDP port, or our own node),
 * -ENOSPC (cfg.max_nodes reached), -ENOMEM. */
int crawl5_add_seed(struct crawl5 *c, const struct discv5_node *n);

/* crawl5_add_prior() queues a node of an earlier crawl (its verified
 * record in n) with its score and times, which its emissions carry on.
 * Returns as crawl5_add_seed(). */
int crawl5_add_prior(struct crawl5 *c, const struct discv5_node *n, int score,
		     int64_t first_response, int64_t last_response);

/* crawl5_on_node_seen() is the engine's on_node_seen hook: an unknown
 * node with a key and endpoint is queued. Only records; c NULL or done:
 * no-op. */
void crawl5_on_node_seen(struct crawl5 *c, const struct discv5_node *n,
			 uint64_t now_ns);

/* crawl5_on_timer() applies finished requests, starts new ones, stops at
 * the timeout and emits what changed. */
void crawl5_on_timer(struct crawl5 *c, uint64_t now_ns);

/* crawl5_next_deadline() is when crawl5_on_timer() has work next (the
 * timeout), or UINT64_MAX; results of engine callbacks are applied at the
 * next crawl5_on_timer() the host makes after each engine call. */
uint64_t crawl5_next_deadline(const struct crawl5 *c);

/* crawl5_done() is true once the queue drained or the timeout passed. */
bool crawl5_done(const struct crawl5 *c);

/* crawl5_progress() fills *st. */
void crawl5_progress(const struct crawl5 *c, struct crawl5_stats *st);

/* crawl5_each() calls fn for every node known (emission order of a final
 * dump: learning order). */
void crawl5_each(const struct crawl5 *c, crawl5_out_fn *fn, void *user);

/* crawl5_format_summary() writes the end-of-crawl summary (how the
 * crawl ended, nodes seen, answered, records, failures by class,
 * requests), two lines without a final newline. Returns the length
 * (truncated to cap - 1; 0 when cap is 0). */
size_t crawl5_format_summary(const struct crawl5 *c, char *out, size_t cap);

#endif /* CONTROL_CRAWL5_H */
