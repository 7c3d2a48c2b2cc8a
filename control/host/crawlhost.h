/* SPDX-License-Identifier: MIT */
/* control/host/crawlhost.h - `devplane crawl`'s runner: the crawler, its RLPx pass and its output on one event loop. */
#ifndef CONTROL_CRAWLHOST_H
#define CONTROL_CRAWLHOST_H
#include <stdbool.h>
#include <stdint.h>

#include "common/enode.h"
#include "control/host/dnshost.h"
#include "control/host/loop.h"
#include "control/host/nathost.h"
#include "control/rlpx/forkid.h"
#include "control/store/crawldb.h"

/*
 * One discv4 engine on the loop's socket feeds the crawler
 * (control/crawl/crawl.h) as its host contract says, and, with cfg.v5,
 * a discv5 engine on the same socket feeds the discv5 crawler
 * (control/crawl/crawl5.h: ENR fetch and a FINDNODE sweep by distance),
 * whose results the store takes in the discv4 crawler's shape (nodes.json
 * is geth's node set for both protocols; a node crawled over both has
 * one entry, its latest emission's). The summary adds the v5 crawl's
 * counts and its records by ENR key, eth fork id and eth2 fork digest
 * (control/crawl/enrsum.h). Every node learnt
 * with a TCP port goes to the RLPx pass (control/crawl/crawl_rlpx.h,
 * probes by control/host/session.h's prober); the results of both go to
 * a crawlstore (control/store/crawlstore.h), whose own thread writes
 * nodes.json and the database, so the loop never waits on a file or a
 * database. The loop's thread runs everything else.
 *
 * Seeds are the bootnodes and the records of the EIP-1459 trees
 * (control/host/dnshost.h) as they are found: each record's IP and UDP
 * port, with the TCP port of the same address for the RLPx probe. A
 * crawl without bootnodes starts at the first record, or after
 * dns_wait_ns without one (and then, with nothing to do, ends).
 *
 * Leased (cfg.leased: a round shared through the database's work queue,
 * --crawl-round or a PostgreSQL store): the crawler visits only what the
 * queue leases it (control/crawl/crawlfleet.h asks the store, whose
 * answers come back through an eventfd the loop watches); each leased
 * node is checked and probed over RLPx, and the visit commits once both
 * ended. The crawl ends when the round ran dry (or at the timeout).
 */

#define CRAWLHOST_DNS_WAIT_NS (15 * 1000000000ull)     /* the default */

struct crawlhost_cfg {
	const uint8_t *priv;            /* node key, 32 bytes */
	/* The dataplane, netrestrict, metrics and verbosity (listen and
	 * n_listen are set by crawlhost_run(); db must be NULL). */
	struct loop_cfg loop;
	bool has_addr;                  /* UDP listen address (else 0.0.0.0) */
	uint8_t addr[16];
	uint16_t port;                  /* 0: any */
	bool has_extip;                 /* --nat extip:IP */
	uint8_t extip[16];
	/* --nat upnp|pmp|any: the UDP port mapped on the gateway (loop, ln
	 * and udp are set by crawlhost_run()). */
	struct nathost_cfg nat;
	uint64_t seed;                  /* engine hash keys: random */
	/* Which crawls run, on one socket and one local node (one ENR):
	 * discv4 unless no_v4, discv5 with v5. At least one; leased needs
	 * discv4 (the fleet's queue is discv4's). */
	bool no_v4;
	bool v5;
	const struct enode *bootnodes;
	unsigned n_bootnodes;
	/* EIP-1459 trees whose records are seeds too (dns.n_urls 0: none);
	 * on_node and user are set by crawlhost_run(). */
	struct dnshost_cfg dns;
	uint64_t dns_wait_ns;           /* 0: CRAWLHOST_DNS_WAIT_NS */
	unsigned parallel;              /* nodes worked on at once; 0: default */
	uint64_t timeout_ns;            /* 0: until the crawl runs dry */
	unsigned max_nodes;             /* node set cap; 0: the default */
	const char *out_path;           /* nodes.json; NULL: none */
	struct crawldb *db;             /* NULL: none; used by the output's
					 * thread until crawlhost_run() returns */
	const char *round;              /* crawl round name; NULL: none */
	bool leased;                    /* visits through the queue's leases */
	uint64_t lease_ns;              /* 0: the store's default */
	const char *report_path;        /* HTML report at the end; NULL: none */
	const char *config;             /* the crawl's settings, for its row */
	const struct forkid_chain *chain;       /* the probes' Status; NULL:
						 * no RLPx pass */
	unsigned rlpx_parallel;         /* 0: default */
	uint64_t rlpx_timeout_ns;       /* 0: default */
	int verbosity;                  /* >= 3: progress lines on stderr */
};

/* crawlhost_run() crawls from cfg->bootnodes and cfg->dns until the crawl is done and
 * the probes are finished, or SIGINT/SIGTERM; then writes the output a
 * last time, prints the summary on stdout and writes the report. Returns
 * the exit status: 0, or 1 (setup or the event loop failed, or the output
 * or the report was not fully written; said on stderr). */
int crawlhost_run(const struct crawlhost_cfg *cfg);

#endif /* CONTROL_CRAWLHOST_H */
