/* SPDX-License-Identifier: MIT */
/* control/store/crawlrows.h - the crawl store's database side: rows waiting for the next transaction, visit parts held until their lease completes, leases. */
#ifndef CONTROL_CRAWLROWS_H
#define CONTROL_CRAWLROWS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control/store/crawldb.h"

/*
 * The writer thread of control/store/crawlstore.h hands each write's
 * rows here (copied), and crawlrows_write() writes them all in one
 * transaction, in an order every crawler of a round shares (each table's
 * rows sorted by node id, the tables in one order) so that two PostgreSQL
 * transactions touching the same rows wait for each other instead of
 * deadlocking. A failed transaction keeps everything for the next one;
 * each kind of row holds at most CRAWLROWS_BACKLOG_MAX (the oldest
 * beyond are dropped and counted).
 *
 * Visits: unleased, each part is written as it comes (and the node is
 * done in the queue with its discovery part); leased, the parts wait in
 * memory until crawlrows_finish(), and the transaction that completes the
 * lease writes them, only if the lease was still ours.
 *
 * One thread (the store's writer); every call but crawlrows_new() and
 * crawlrows_free() may block on the database.
 */

#define CRAWLROWS_BACKLOG_MAX (1u << 20)

struct crawlrows_stats {
	uint64_t commits, errors;       /* transactions; failed ones and
					 * failed lease statements */
	uint64_t visits;                /* visits committed (any part) */
	uint64_t rlpx_rows;             /* RLPx parts committed */
	uint64_t leased;                /* leases taken */
	uint64_t lost;                  /* leases gone at finish */
	uint64_t dropped;               /* rows dropped (backlog, ENOMEM) */
};

struct crawlrows;

/* crawlrows_new() keeps db and r (the crawl and crawler rows,
 * crawldb_join()'s). log_commits: a stderr line per transaction that
 * committed visits. Returns 0 or -ENOMEM. */
int crawlrows_new(struct crawlrows **out, struct crawldb *db,
		  const struct crawldb_round *r, bool leased, bool log_commits);

/* crawlrows_free() frees what is held (unwritten rows are lost); NULL is
 * a no-op. */
void crawlrows_free(struct crawlrows *w);

/* Rows for the next transaction (copied; -ENOMEM: dropped, counted). */
int crawlrows_node(struct crawlrows *w, const struct crawldb_node *n);
int crawlrows_seen(struct crawlrows *w, const struct crawldb_grant *g,
		   int64_t at_ms);
int crawlrows_disc(struct crawlrows *w, const struct crawldb_disc *d);
int crawlrows_rlpx(struct crawlrows *w, const struct crawldb_rlpx *x);
int crawlrows_neighbor(struct crawlrows *w, const uint8_t from[CRAWLDB_ID_LEN],
		       const uint8_t id[CRAWLDB_ID_LEN]);
/* crawlrows_late() (leased): the node id, whose visit this crawler
 * committed already, answered since (a late Pong):
 * crawldb_answered_late(). */
int crawlrows_late(struct crawlrows *w, const uint8_t id[CRAWLDB_ID_LEN]);
/* crawlrows_finish() (leased): the visit of id is complete. */
int crawlrows_finish(struct crawlrows *w, const uint8_t id[CRAWLDB_ID_LEN]);

/* crawlrows_pending() is true when rows wait for a transaction. */
bool crawlrows_pending(const struct crawlrows *w);

/* crawlrows_write() writes every waiting row in one transaction. Returns
 * 0 (nothing waiting included) or -errno (all kept; the backend's message
 * on stderr). */
int crawlrows_write(struct crawlrows *w, int64_t now_ms);

/* crawlrows_lease() leases up to max nodes (crawldb_lease()) into out and,
 * when none came, asks whether the queue has pending nodes and anyone's
 * leases; *pending and *leased are true when unknown (nodes came, or a
 * statement failed). Returns how many. */
size_t crawlrows_lease(struct crawlrows *w, struct crawldb_grant *out,
		       size_t max, int64_t lease_ms, bool *pending,
		       bool *leased, int64_t now_ms);

/* crawlrows_renew() extends the crawler's leases (crawldb_renew()). */
int crawlrows_renew(struct crawlrows *w, int64_t lease_ms, int64_t now_ms);

/* crawlrows_end() puts back the leases of unfinished visits (leased),
 * closes the crawler's row with the counts and ends the crawl as
 * crawldb_end() does (own: unleased). Returns 0 or -EIO. */
int crawlrows_end(struct crawlrows *w, int64_t now_ms);

/* crawlrows_stats() fills *st. */
void crawlrows_stats(const struct crawlrows *w, struct crawlrows_stats *st);

#endif /* CONTROL_CRAWLROWS_H */
