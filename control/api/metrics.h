/* SPDX-License-Identifier: MIT */
/* control/api/metrics.h - Prometheus text exposition of the dataplane and engine counters. */
#ifndef CONTROL_METRICS_H
#define CONTROL_METRICS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/dplink_proto.h"
#include "control/discv4/discv4.h"
#include "control/discv5/discv5.h"

/*
 * Pure formatting: the event loop (control/host/loop.c) gathers the numbers and
 * serves the text over HTTP; nothing here touches a socket or a clock.
 * Output follows the Prometheus text format 0.0.4: one "# HELP" and one
 * "# TYPE" line per metric family, then its samples, counters suffixed
 * _total. Control thread (or any thread holding its own inputs).
 */

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_input {
	/* Dataplane: dp[q][c] is counter c (enum dp_cnt) of worker q, for
	 * q < n_queues. n_queues 0: no dataplane section. */
	unsigned n_queues;
	const uint64_t (*dp)[DP_CNT_MAX];
	/* Engines: stats summed over n_engines engines (metrics_stats_add). */
	unsigned n_engines;
	struct discv4_stats eng;
	uint64_t table_nodes;           /* sum of the table sizes */
	uint64_t table_min, table_max;  /* smallest and largest table */
	uint64_t pending;               /* requests in flight, summed */
	/* discv5 engines: stats summed over n_v5 (metrics_v5_add); gauges
	 * summed too. */
	unsigned n_v5;
	struct discv5_stats v5;
	uint64_t v5_table_nodes, v5_sessions, v5_challenges, v5_pending;
	uint64_t db_commits;            /* node database batches committed */
	uint64_t admin_refused;         /* admin connections over the limit */
	uint64_t admin_over_cap;        /* admin clients closed over a cap */
	uint64_t admin_subs_dropped;    /* subscriptions of slow readers */
	uint64_t uptime_s;
};

/* metrics_stats_add() adds every counter of s into sum. */
void metrics_stats_add(struct discv4_stats *sum, const struct discv4_stats *s);

/* metrics_v5_add() adds every counter of s into sum. */
void metrics_v5_add(struct discv5_stats *sum, const struct discv5_stats *s);

/* metrics_format() writes the exposition text for in (NUL-terminated) to
 * out[0..cap). Returns its length without the NUL, or -EMSGSIZE when cap
 * is too small (out then holds a truncated prefix). */
ssize_t metrics_format(char *out, size_t cap, const struct metrics_input *in);

#endif /* CONTROL_METRICS_H */
