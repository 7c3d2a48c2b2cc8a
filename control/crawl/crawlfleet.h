/* SPDX-License-Identifier: MIT */
/* control/crawl/crawlfleet.h - a crawler's side of a crawl round shared through a leased work queue: asks for work, starts each leased visit, finishes it when its parts are done, and tells when the round ran dry. */
#ifndef CONTROL_CRAWLFLEET_H
#define CONTROL_CRAWLFLEET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/discv4/discv4.h"

/*
 * Bookkeeping only, sans-I/O, like the crawler it serves: the work queue
 * lives in a database (control/store/crawldb.h) that the host reaches off
 * its loop (control/store/crawlstore.h), so every exchange is a request
 * now and an answer later:
 *   - crawlfleet_on_timer() asks for up to `room` nodes (cfg.lease) when
 *     no request is outstanding and the crawler has room (the host passes
 *     crawl_wants()), at once after an answer that brought work, else
 *     every cfg.poll_ns;
 *   - crawlfleet_on_leased() takes the answer: each node becomes a visit
 *     in flight and is started through cfg.start, which says which parts
 *     the visit waits for (discovery: the crawler's check, crawl_grant();
 *     RLPx: the probe); a node already in flight (its lease expired and
 *     came back to us) is not started twice;
 *   - crawlfleet_part_done() records a part's end; the visit's last part
 *     finishes it through cfg.finish (the store then commits the visit
 *     with its lease's completion);
 *   - the round ran dry when an answer brought no work, said nothing is
 *     pending or leased by anyone, and no visit of ours is in flight, and
 *     that stayed so for cfg.linger_ns (nodes still pinging us are queued
 *     meanwhile and bring work again): crawlfleet_dry().
 * At most cfg.max_visits visits are in flight. One thread; now_ns is the
 * loop's clock.
 */

#define CRAWLFLEET_DEFAULT_MAX_VISITS 64
#define CRAWLFLEET_DEFAULT_POLL_NS    (500ull * 1000000ull)
#define CRAWLFLEET_DEFAULT_LINGER_NS  (5ull * 1000000000ull)
#define CRAWLFLEET_ID_LEN             32        /* keccak256(public key) */

enum crawlfleet_part {
	CRAWLFLEET_DISC = 1u << 0,      /* the discovery check */
	CRAWLFLEET_RLPX = 1u << 1,      /* the RLPx probe */
};

/* Starts visiting n (n->id its public key). Returns the parts the visit
 * waits for (enum crawlfleet_part bits); 0: nothing started, the visit is
 * finished at once. Must not call back into the crawlfleet. */
typedef unsigned crawlfleet_start_fn(void *user, const struct discv4_node *n,
				     uint64_t now_ns);
/* Asks for up to n nodes; the answer comes through
 * crawlfleet_on_leased(). Must only record. */
typedef void crawlfleet_lease_fn(void *user, unsigned n);
/* The visit of id is complete. Must only record. */
typedef void crawlfleet_finish_fn(void *user,
				  const uint8_t id[CRAWLFLEET_ID_LEN]);

struct crawlfleet_config {
	unsigned max_visits;            /* 0: CRAWLFLEET_DEFAULT_MAX_VISITS */
	uint64_t poll_ns;               /* 0: CRAWLFLEET_DEFAULT_POLL_NS */
	uint64_t linger_ns;             /* 0: CRAWLFLEET_DEFAULT_LINGER_NS */
	crawlfleet_start_fn *start;     /* required */
	crawlfleet_lease_fn *lease;     /* required */
	crawlfleet_finish_fn *finish;   /* required */
	void *user;
};

struct crawlfleet_stats {
	uint64_t requests;              /* lease requests */
	uint64_t empty;                 /* answers without work */
	uint64_t leased;                /* nodes handed to us */
	uint64_t duplicates;            /* of which already in flight */
	uint64_t finished;              /* visits finished */
	uint64_t in_flight;
};

struct crawlfleet;

/* crawlfleet_new() allocates the bookkeeping. Returns 0, -EINVAL (a
 * callback missing), -ENOMEM. */
int crawlfleet_new(struct crawlfleet **out, const struct crawlfleet_config *cfg);

/* crawlfleet_free() frees f; NULL is a no-op. */
void crawlfleet_free(struct crawlfleet *f);

/* crawlfleet_on_timer() asks for work if it should (see above); room is
 * how many visits the crawler can start now. */
void crawlfleet_on_timer(struct crawlfleet *f, unsigned room, uint64_t now_ns);

/* crawlfleet_on_leased() takes an answer: nodes[0..n) leased to us, and
 * (meaningful when n is 0) whether the queue still had pending nodes and
 * leases of anyone's. Returns how many visits started. */
size_t crawlfleet_on_leased(struct crawlfleet *f,
			    const struct discv4_node *nodes, size_t n,
			    bool pending, bool leased, uint64_t now_ns);

/* crawlfleet_part_done() records that part of id's visit ended; the last
 * one finishes the visit. A part of a node not in flight is ignored
 * (returns false). */
bool crawlfleet_part_done(struct crawlfleet *f,
			  const uint8_t id[CRAWLFLEET_ID_LEN], unsigned part);

/* crawlfleet_next_deadline() is when crawlfleet_on_timer() has work next,
 * or UINT64_MAX. */
uint64_t crawlfleet_next_deadline(const struct crawlfleet *f);

/* crawlfleet_dry() is true once the round ran dry for cfg.linger_ns. */
bool crawlfleet_dry(const struct crawlfleet *f, uint64_t now_ns);

/* crawlfleet_stats() fills *st. */
void crawlfleet_stats(const struct crawlfleet *f, struct crawlfleet_stats *st);

#endif /* CONTROL_CRAWLFLEET_H */
