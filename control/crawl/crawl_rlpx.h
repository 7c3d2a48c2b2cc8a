/* SPDX-License-Identifier: MIT */
/* control/crawl/crawl_rlpx.h - the crawler's RLPx pass: one Hello/Status probe per node with a TCP port, bounded concurrency, results to the output and a summary. */
#ifndef CONTROL_CRAWL_RLPX_H
#define CONTROL_CRAWL_RLPX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/rlpx/rlpxprobe.h"

/*
 * Bookkeeping only, sans-I/O: the crawler (control/crawl/crawl.h, its on_node
 * hook) hands every node it learns to crawl_rlpx_add(); crawl_rlpx_on_timer()
 * starts queued probes through cfg.start (session_probe() in `devplane
 * crawl`, a fake in tests) while fewer than cfg.parallel are in flight;
 * the host passes each finished probe to crawl_rlpx_on_result(), which
 * hands it to cfg.on_result (the output: control/store/crawlstore.h
 * writes the node's database row) and counts it for the summary: clients
 * and versions (the first two '/'-separated parts of the client id),
 * networks (network id + genesis), fork ids, the eth versions negotiated
 * (rlpxprobe_result.eth_version: the highest both sides have, which is
 * the version of the Status we send; the prober registers eth/68..72),
 * and error classes (crawl_rlpx_error_class()). Each node is probed once, keyed by
 * its public key; a node without a TCP port is not probed. The set of
 * nodes is bounded by what the crawler hands over (crawl_config
 * max_nodes).
 * One thread owns a crawl_rlpx; now_ns is the loop's (Unix) clock.
 */

#define CRAWL_RLPX_DEFAULT_PARALLEL   16
#define CRAWL_RLPX_DEFAULT_TIMEOUT_NS (10ull * 1000000000ull)

/* Starts a probe; must report it later (or at once) through
 * crawl_rlpx_on_result(). Returns 0 or -errno (the node is then counted
 * as failed with that error). */
typedef int crawl_rlpx_start_fn(void *user, const uint8_t pub[64],
				const uint8_t ip[16], uint16_t tcp,
				uint64_t timeout_ns, uint64_t now_ns);

/* Hands a recorded probe result to the output; r is valid during the
 * call only. Must only record. */
typedef void crawl_rlpx_result_fn(void *user,
				  const struct rlpxprobe_result *r);

struct crawl_rlpx_config {
	unsigned parallel;              /* probes in flight; 0: 16 */
	uint64_t timeout_ns;            /* per probe; 0: 10 s */
	crawl_rlpx_start_fn *start;     /* required */
	void *start_user;
	crawl_rlpx_result_fn *on_result;        /* NULL: none */
	void *result_user;
};

struct crawl_rlpx_stats {
	uint64_t queued, active, done;
	uint64_t hello;                 /* Hello received */
	uint64_t status;                /* Status received */
	uint64_t status_ok;             /* of which our check passed */
	uint64_t failed;                /* no Status */
};

struct crawl_rlpx;

/* crawl_rlpx_new() allocates the prober's bookkeeping. Returns 0,
 * -EINVAL (no start), -ENOMEM. */
int crawl_rlpx_new(struct crawl_rlpx **out,
		   const struct crawl_rlpx_config *cfg);

/* crawl_rlpx_free() frees c; NULL is a no-op. */
void crawl_rlpx_free(struct crawl_rlpx *c);

/* crawl_rlpx_add() queues a probe of pub at ip:tcp. Returns 0, -EEXIST
 * (already queued or probed), -EINVAL (tcp 0), -ENOMEM. */
int crawl_rlpx_add(struct crawl_rlpx *c, const uint8_t pub[64],
		   const uint8_t ip[16], uint16_t tcp);

/* crawl_rlpx_on_timer() starts queued probes while fewer than
 * cfg.parallel are in flight. */
void crawl_rlpx_on_timer(struct crawl_rlpx *c, uint64_t now_ns);

/* crawl_rlpx_on_result() records a finished probe: the summary counts,
 * and cfg.on_result. A result for a node that is not in flight is
 * ignored. May be called from inside cfg.start. */
void crawl_rlpx_on_result(struct crawl_rlpx *c,
			  const struct rlpxprobe_result *r);

/* crawl_rlpx_idle() is true when nothing is queued or in flight. */
bool crawl_rlpx_idle(const struct crawl_rlpx *c);

/* crawl_rlpx_stats() fills *st. */
void crawl_rlpx_stats(const struct crawl_rlpx *c, struct crawl_rlpx_stats *st);

/* crawl_rlpx_error_class() writes the error class of r to out[0..cap):
 * "" when a Status arrived, else "timeout", "refused", "unreachable",
 * "handshake failed", the Disconnect reason's name when the remote sent
 * one ("too many peers"), "<name> (ours)" when we dropped it ("useless
 * peer (ours)": no eth in common), "closed" (the connection went away),
 * or the errno's text. */
void crawl_rlpx_error_class(const struct rlpxprobe_result *r, char *out,
			    size_t cap);

/* crawl_rlpx_client_key() writes the client and version part of a client
 * id ("devplane/v0.1.0" of "devplane/v0.1.0/linux-amd64/gcc12.2.0"): up
 * to the second '/', non-printable bytes as '?'. */
void crawl_rlpx_client_key(const char *client_id, char *out, size_t cap);

/* crawl_rlpx_format_summary() writes the RLPx part of the end-of-crawl
 * summary: totals, then the lines "rlpx clients:", "rlpx networks:",
 * "rlpx fork ids:", "rlpx eth versions:" (the negotiated version, "72
 * x3, 69 x1": nodes without eth in common are not counted there),
 * "rlpx errors:", each group "value xN" by count (descending), "none"
 * when empty. No final newline. Returns the length (truncated to
 * cap - 1). */
size_t crawl_rlpx_format_summary(const struct crawl_rlpx *c, char *out,
				 size_t cap);

#endif /* CONTROL_CRAWL_RLPX_H */
