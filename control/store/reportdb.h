/* SPDX-License-Identifier: MIT */
/* control/store/reportdb.h - the crawl report's figures, read from a crawl database (either backend). */
#ifndef CONTROL_REPORTDB_H
#define CONTROL_REPORTDB_H
#include <stdint.h>

#include "control/store/crawldb.h"
#include "control/store/report.h"

/*
 * The figures of struct report_data for one crawl, by SQL aggregates over
 * the crawl's rows (control/store/crawlschema.h): totals; coverage over
 * time (nodes learnt into the queue, visits answered and ENR-verified,
 * cumulative, in 60 steps from the crawl's start); Hello clients (name,
 * and name/version), capabilities, eth versions, networks (network id /
 * genesis), fork ids (hash / next), ENR keys (by key, over the verified
 * records), discovery and RLPx outcomes (error classes); the neighbour
 * graph's out-degree (distinct nodes each node returned) and in-degree
 * (nodes that returned it). Blocking: a command's or the crawl host's
 * thread after the crawl, never the event loop.
 */

/* reportdb_load() fills *out (report_data_free() frees it) with the
 * figures of crawl crawl_id. Returns 0, -ENOENT (no such crawl), -EIO,
 * -ENOMEM. */
int reportdb_load(struct report_data *out, struct crawldb *db,
		  int64_t crawl_id);

/* reportdb_write() loads crawl crawl_id's figures, formats the page
 * (report_html()) and replaces path with it atomically
 * (atomicfile_write_bytes()). Returns 0 or -errno. */
int reportdb_write(struct crawldb *db, int64_t crawl_id, const char *path);

#endif /* CONTROL_REPORTDB_H */
