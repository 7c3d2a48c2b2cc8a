/* SPDX-License-Identifier: MIT */
/* control/crawl/crawl_summary.c - the crawler's end-of-crawl summary, from its counters (crawl_progress()). */
#include <stdarg.h>
#include <stdio.h>

#include "control/crawl/crawl.h"

static size_t put(char *out, size_t cap, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t put(char *out, size_t cap, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (off >= cap)
		return off;
	va_start(ap, fmt);
	n = vsnprintf(out + off, cap - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return off;
	off += (size_t)n;
	return off < cap ? off : cap - 1;
}

size_t crawl_format_summary(const struct crawl *c, uint64_t now, char *out,
			    size_t cap)
{
	struct crawl_stats st;
	double secs, work;
	size_t off;

	if (!cap)
		return 0;
	crawl_progress(c, &st);
	if (!st.done)
		st.elapsed_ns = (now > st.start_ns ? now : st.start_ns) -
				st.start_ns;
	secs = (double)st.elapsed_ns / 1e9;
	/* Rates over the working time, without the final linger. */
	work = (double)(st.elapsed_ns - st.linger_ns) / 1e9;
	off = put(out, cap, 0,
		  "crawl %s after %.1f s (%.1f s idle at the end): %llu nodes "
		  "seen (%llu from their Pings), %llu answered (%llu by Pong "
		  "only), %llu ENR verified, %llu in output; %.1f nodes/s "
		  "answered, %.1f nodes/s ENR-verified\n",
		  st.timed_out ? "timed out" : st.done ? "finished" : "stopped",
		  secs, secs - work, (unsigned long long)st.seen,
		  (unsigned long long)st.inbound,
		  (unsigned long long)st.answered,
		  (unsigned long long)st.pong_only,
		  (unsigned long long)st.enr_verified,
		  (unsigned long long)st.in_output,
		  work > 0 ? (double)st.answered / work : 0,
		  work > 0 ? (double)st.enr_verified / work : 0);
	off = put(out, cap, off,
		  "failures: %llu no answer, %llu rejected, %llu ENR timeout, "
		  "%llu ENR invalid; not reached %llu",
		  (unsigned long long)st.fail[CRAWL_FAIL_TIMEOUT],
		  (unsigned long long)st.fail[CRAWL_FAIL_REJECTED],
		  (unsigned long long)st.fail[CRAWL_FAIL_ENR_TIMEOUT],
		  (unsigned long long)st.fail[CRAWL_FAIL_ENR_INVALID],
		  (unsigned long long)(st.queued));
	/* Said only when it happened: the lines are otherwise unchanged. */
	if (st.refused)
		off = put(out, cap, off, "; %llu refused at the node cap (%u)",
			  (unsigned long long)st.refused, st.max_nodes);
	off = put(out, cap, off,
		  "\nrequests: %llu FindNode (%llu answered, %llu neighbors), "
		  "%llu ENRRequest",
		  (unsigned long long)st.findnode_sent,
		  (unsigned long long)st.findnode_ok,
		  (unsigned long long)st.neighbors,
		  (unsigned long long)st.enr_sent);
	if (st.enr_skipped)
		off = put(out, cap, off, " (%llu nodes without EIP-868 not "
			  "asked)", (unsigned long long)st.enr_skipped);
	off = put(out, cap, off,
		  "; %llu re-check rounds; packets %llu out, %llu in",
		  (unsigned long long)st.rounds,
		  (unsigned long long)st.pkts_tx,
		  (unsigned long long)st.pkts_rx);
	return off;
}
