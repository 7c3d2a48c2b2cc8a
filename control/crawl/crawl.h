/* SPDX-License-Identifier: MIT */
/* control/crawl/crawl.h - sans-I/O discv4 crawler: bucket sweeps, ENR checks, per-node results for geth's nodes.json. */
#ifndef CONTROL_CRAWL_H
#define CONTROL_CRAWL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/discv4_wire.h"
#include "control/base/wallclock.h"
#include "control/discv4/discv4.h"
#include "control/discv4/kadtarget.h"

/*
 * The crawler drives one discv4 engine (control/discv4/discv4.h) through its
 * request API. It is sans-I/O like the engine: it takes now_ns (Unix time
 * in nanoseconds, the engine's clock) in every call, never reads a clock
 * and never touches a file: what it learns about each node leaves through
 * cfg.on_out (struct crawl_out), and control/store/crawlstore.h writes
 * nodes.json and the database from that, off the crawler's thread.
 *
 * Every node learnt (seeds, Neighbors entries) is queued once, keyed by its
 * node id. At most cfg.parallel queued nodes are worked on at a time; for
 * each one the crawler
 *   - sweeps the remote's buckets with one FindNode at a time (geth matches
 *     Neighbors by sender, so two FindNodes to one node would mix) for
 *     log-distances 256 down to cfg.min_dist, the targets picked with
 *     kadtarget so that keccak256(target) lands in that bucket of the
 *     remote (nebula's method). The first FindNode also bonds (the engine
 *     pings first). The sweep stops early when a reply holds no node at
 *     log-distance <= d from the remote: it then knows nobody closer, so
 *     the deeper buckets are empty;
 *   - once the node answered, asks for its ENR (EIP-868) if its last Ping
 *     or Pong carried an enr-seq (discv4_enr_seq()): a node without EIP-868
 *     does not know ENRRequest, and ethereumjs counts the packet as an
 *     error; its record stays its enode URL, which is no failure. The
 *     engine checks the request hash, the signature and that the key is
 *     the node's.
 * A first contact that times out is retried cfg.retries times, as is each
 * sweep step and the ENR request; then the node is given up.
 *
 * Nodes are also learnt from every authenticated Ping that reaches the
 * crawler's engine (crawl_on_node_seen(), the engine's on_node_seen hook):
 * a node that learnt our endpoint elsewhere and pings us is crawled like a
 * seed, which finds nodes whose neighbours cannot tell us about them (an
 * implementation whose Neighbors packets are over 1280 bytes is unusable
 * through FindNode, but still pings).
 *
 * Node set: at most cfg.max_nodes nodes are kept (default
 * CRAWL_DEFAULT_MAX_NODES); a node learnt beyond that is refused and
 * counted (crawl_stats.refused), so a peer answering every FindNode with
 * fresh node ids cannot grow the crawler's memory past the cap. Memory is
 * about CRAWL_NODE_BYTES per node (struct crawl_stats.mem_bytes has the
 * exact figure), plus a pending record text ("enr:...", at most
 * ENR_TEXT_MAX bytes) between its verification and the next emission.
 *
 * Output, with geth cmd/devp2p's semantics (crawl.go, nodeset.go): a node
 * "answers" when it replied to a FindNode or to the
 * ENR request, or proved liveness with a valid Pong to a Ping of ours
 * during this crawl (crawl_on_bond(), the engine's on_bond hook; the
 * engine pings before the first FindNode and pings back unknown pingers).
 * The Pong counts so that a live node without EIP-868 whose Neighbors we
 * must drop is still a live node. Its score is its prior score
 * (crawl_add_prior()) + 1 when it answered, halved when it was checked
 * and did not; nodes.json holds the nodes whose score is > 0, record =
 * the node's "enr:..." text when we have a verified record (else the
 * enode:// URL, as geth writes for nodes without a fetched record), seq =
 * the record's seq, firstResponse / lastResponse / lastCheck in UTC
 * seconds. The database (table crawl) holds every node seen, score 0
 * included. The crawler emits each node's whole state (struct crawl_out)
 * through cfg.on_out whenever it changed, from crawl_on_timer(): a node
 * changed several times between two calls is emitted once.
 *
 * Leased mode (cfg.leased; a crawl fleet sharing one work queue, see
 * control/crawl/crawlfleet.h): nodes learnt are emitted (CRAWL_EV_SEEN,
 * cfg.on_node) but not queued here; the crawler visits only the nodes the
 * host grants it (crawl_grant(), from the queue's leases), as many as
 * crawl_wants() says, each once per grant; there are no re-check rounds,
 * and the crawl ends only at its timeout or crawl_stop() (the host calls
 * it once the shared queue ran dry).
 *
 * Neighbours: every FindNode reply's nodes go to cfg.on_neighbors (with
 * the replying node's id), for the crawl's neighbour graph.
 *
 * End: without cfg.timeout_ns, the crawl is done once the queue has been
 * empty with no node worked on for cfg.linger_ns (default 5 s): nodes
 * that only learnt our endpoint from our own packets ping us a little
 * later, and each such Ping restarts the work (and the linger). With a
 * timeout, the crawl runs until it, as geth's crawler does: after each
 * linger with nothing to do it starts another round of checks of the
 * nodes that did not answer (they may have been busy) and of those whose
 * Neighbors we could use (their tables may have grown); a node answering
 * in any round counts as answered once. CRAWL_NO_LINGER ends the crawl as
 * soon as it is idle, timeout or not.
 *
 * Host contract (control/host/loop.c, tests/control/sim.c):
 *   - after every call into the engine (packet, timer tick) and at
 *     crawl_next_deadline(), call crawl_on_timer(c, now): engine callbacks
 *     only record results, new requests are started from crawl_on_timer()
 *     so they carry the right time; then re-read the engine's deadline
 *     (loop_touch()), since crawl_on_timer() may have sent packets;
 *   - forward the engine's on_node_seen and on_bond hooks to
 *     crawl_on_node_seen() and crawl_on_bond() (both only record; without
 *     them no node is learnt from inbound Pings and a node answering
 *     only our Pings does not count as answered);
 *   - stop when crawl_done() (crawl_on_timer() still applies late results
 *     and emits them then); call crawl_emit() after the last call into
 *     the engine, then close the output (crawlstore_close() writes it a
 *     last time);
 *   - free the engine before the crawler: discv4_free() fires the pending
 *     callbacks with -ECANCELED, which the crawler ignores.
 * One thread owns both the engine and the crawler.
 */

#define CRAWL_DEFAULT_PARALLEL  16
#define CRAWL_DEFAULT_RETRIES   1
#define CRAWL_DEFAULT_PROGRESS_NS (5ull * 1000000000ull)
#define CRAWL_DEFAULT_LINGER_NS (5ull * 1000000000ull)
#define CRAWL_NO_LINGER         UINT64_MAX      /* cfg.linger_ns: none */
#define CRAWL_DEFAULT_MAX_NODES 2000000u        /* cfg.max_nodes */
#define CRAWL_NODE_BYTES        320     /* memory per node, upper bound */
#define CRAWL_ID_LEN            32      /* keccak256(public key) */
#define CRAWL_ZERO_TIME         INT64_MIN       /* Go's zero time.Time */

enum crawl_fail {                       /* why a node was given up */
	CRAWL_FAIL_TIMEOUT = 0,         /* never answered (ping or FindNode) */
	CRAWL_FAIL_REJECTED,            /* the engine refused the request
					 * (netrestrict, bad endpoint) */
	CRAWL_FAIL_ENR_TIMEOUT,         /* answered, but no ENRResponse */
	CRAWL_FAIL_ENR_INVALID,         /* ENR undecodable, bad signature or
					 * another node's key */
	CRAWL_FAIL_MAX
};

/* What changed about a node since its last emission (crawl_out.events). */
enum crawl_event {
	CRAWL_EV_SEEN = 1u << 0,        /* learnt (first emission) */
	CRAWL_EV_CHECK = 1u << 1,       /* its check started (lastCheck) */
	CRAWL_EV_ANSWERED = 1u << 2,    /* it answered (lastResponse) */
	CRAWL_EV_ENR = 1u << 3,         /* a record verified (record, seq) */
	CRAWL_EV_DONE = 1u << 4,        /* its check finished (score) */
	CRAWL_EV_FAILED = 1u << 5,      /* ... and failed (fail) */
};

/* One node's result, as the output needs it: its whole current state, so
 * a consumer may keep only the latest emission of each node. Valid only
 * during the on_out call. */
struct crawl_out {
	uint8_t id[CRAWL_ID_LEN];       /* keccak256(n.id): nodes.json key */
	struct discv4_node n;           /* public key and endpoint */
	const char *record;             /* a record text to keep from now on
					 * ("enr:..." just verified, or the
					 * record of crawl_add_prior());
					 * NULL: unchanged since the last
					 * emission (none yet: n's enode URL) */
	uint64_t seq;                   /* the record's seq */
	int score;                      /* > 0: in nodes.json */
	int64_t first_response;         /* Unix s or CRAWL_ZERO_TIME */
	int64_t last_response;
	int64_t last_check;
	unsigned events;                /* enum crawl_event bits */
	int fail;                       /* enum crawl_fail, -1: none */
	/* Its latest check (a visit): */
	bool answered;                  /* replied, or ponged */
	bool replied;                   /* FindNode or ENRRequest answered */
	bool enr_ok;                    /* a record verified this crawl */
	uint32_t neighbors;             /* Neighbors entries received */
	uint64_t check_ns;              /* started, Unix ns; 0: never */
	uint64_t done_ns;               /* finished, Unix ns; 0: not (yet) */
};

/* Emits one node's result; must only record (it runs inside
 * crawl_on_timer()). */
typedef void crawl_out_fn(void *user, const struct crawl_out *o);

/* Node from (its id) replied to a FindNode with nodes whose ids are
 * ids[0..n). Must only record (an engine callback). */
typedef void crawl_neighbors_fn(void *user, const uint8_t from[CRAWL_ID_LEN],
				const uint8_t (*ids)[CRAWL_ID_LEN], unsigned n);

/* A progress line (no newline), from crawl_on_timer(). */
typedef void crawl_progress_fn(void *user, const char *line);

/* A node learnt for the first time (seed, prior, Neighbors entry or
 * inbound Ping), with the endpoint it was learnt with; n->id is its
 * public key. Must only record (the RLPx prober queues it): it runs
 * inside crawler and engine callbacks. */
typedef void crawl_node_fn(void *user, const struct discv4_node *n);

struct crawl_config {
	unsigned parallel;              /* nodes worked on at once; 0: 16 */
	/* Unix time for the nodes.json times (control/base/wallclock.h;
	 * NULL: now is Unix time). */
	const struct wallclock *wc;
	uint64_t timeout_ns;            /* stop after this long; 0: never */
	crawl_out_fn *on_out;           /* per-node results; NULL: none */
	void *out_user;
	unsigned max_nodes;             /* node set cap; 0: the default */
	/* Target table; NULL: crawl_new() builds one with
	 * KADTARGET_DEFAULT_BITS (a few hundred ms). Caller owns it. */
	const struct kadtarget *kt;
	unsigned min_dist;              /* deepest bucket swept; 0 (or below
					 * what kt reaches): kt's minimum */
	unsigned retries;               /* per request kind; 0: 1. Use
					 * CRAWL_NO_RETRY for none */
	bool full_sweep;                /* no early stop of the sweep */
	crawl_progress_fn *progress;    /* NULL: no progress lines */
	void *progress_user;
	uint64_t progress_ns;           /* 0: CRAWL_DEFAULT_PROGRESS_NS */
	uint64_t linger_ns;             /* idle wait for inbound Pings before
					 * done; 0: CRAWL_DEFAULT_LINGER_NS,
					 * CRAWL_NO_LINGER: none */
	crawl_node_fn *on_node;         /* NULL: none */
	void *node_user;
	crawl_neighbors_fn *on_neighbors;       /* NULL: none */
	void *neighbors_user;
	bool leased;                    /* visit only what crawl_grant()
					 * hands over (see Leased mode) */
};

#define CRAWL_NO_RETRY  (~0u)

struct crawl_stats {
	uint64_t seen;                  /* distinct nodes learnt (not us) */
	uint64_t refused;               /* learnt beyond cfg.max_nodes */
	uint64_t queued;                /* waiting to be worked on */
	uint64_t active;                /* being worked on */
	uint64_t checked;               /* finished */
	uint64_t answered;              /* replied to something */
	uint64_t pong_only;             /* of these, only by Pong (no
					 * Neighbors, no ENR) */
	uint64_t inbound;               /* first learnt from a Ping to us */
	uint64_t rounds;                /* re-check rounds (timeout set) */
	uint64_t enr_verified;          /* verified record received */
	uint64_t in_output;             /* score > 0: in nodes.json */
	uint64_t findnode_sent, findnode_ok, neighbors, enr_sent;
	uint64_t enr_skipped;           /* nodes answered without EIP-868:
					 * no ENRRequest sent */
	uint64_t fail[CRAWL_FAIL_MAX];
	uint64_t pkts_tx, pkts_rx;      /* the engine's totals */
	uint64_t emitted;               /* crawl_out emissions */
	uint64_t mem_bytes;             /* node set, index, queues */
	uint64_t elapsed_ns;            /* since crawl_new() (until done) */
	uint64_t linger_ns;             /* of which idle at the end, waiting
					 * for inbound Pings */
	bool done, timed_out;
	uint64_t start_ns;              /* crawl_new()'s now */
	unsigned max_nodes;             /* the node set cap in force */
};

struct crawl;

/* crawl_new() creates a crawler driving engine d (which the caller keeps
 * and must not free before the crawler stops using it). Returns 0,
 * -EINVAL (no engine), -ENOMEM. */
int crawl_new(struct crawl **out, struct discv4 *d,
	      const struct crawl_config *cfg, uint64_t now_ns);

/* crawl_free() frees c (not the engine, the database or kt); call it after
 * discv4_free() of the engine, or once the engine has no request of the
 * crawler pending. NULL is a no-op. */
void crawl_free(struct crawl *c);

/* crawl_add_seed() queues n (a bootnode). Returns 0, -EEXIST (already
 * known), -EINVAL (our own node, or no UDP port), -ENOSPC (the node set
 * is at cfg.max_nodes), -ENOMEM. */
int crawl_add_seed(struct crawl *c, const struct discv4_node *n);

/* A node of an earlier crawl's output (one nodes.json entry). */
struct crawl_prior {
	uint8_t id[CRAWL_ID_LEN];       /* keccak256(public key) */
	uint64_t seq;
	const char *record;             /* "enr:..." or an enode:// URL */
	int score;
	int64_t first_response;         /* Unix s or CRAWL_ZERO_TIME */
	int64_t last_response;
	int64_t last_check;
};

/* crawl_add_prior() queues a node of an earlier nodes.json and takes over
 * its seq, score, times and record (e->record: "enr:..." verified here and
 * used for the endpoint, or an enode:// URL with an IP address), which
 * its first emission carries. Returns 0, -EEXIST, -EINVAL (unusable
 * record), -EKEYREJECTED (bad ENR signature, or e->id not the record's
 * node id), -ENOSPC, -ENOMEM. */
int crawl_add_prior(struct crawl *c, const struct crawl_prior *e);

/* crawl_grant() (leased mode) makes the crawler visit n: it is added to
 * the node set if new, and its check starts at the next crawl_on_timer()
 * (a node checked before is checked again, its earlier result undone as
 * a re-check round does). Returns 0, -EBUSY (its check is running or
 * about to: that check's end answers for it), -EINVAL (our own node, no
 * UDP port), -EPROTO (not leased mode, or the crawl is stopping), -ENOSPC
 * (node cap), -ENOMEM. */
int crawl_grant(struct crawl *c, const struct discv4_node *n);

/* crawl_wants() is how many more grants the crawler can start now
 * (cfg.parallel minus the checks running or granted); 0 once stopping. */
unsigned crawl_wants(const struct crawl *c);

/* crawl_stop() starts no more checks: the crawl is done at the next
 * crawl_on_timer() (checks still running are cancelled with the engine).
 * For a leased crawl whose shared queue ran dry. */
void crawl_stop(struct crawl *c);

/* crawl_on_node_seen() is the engine's on_node_seen hook: n sent us an
 * authenticated Ping (or came in a reply); an unknown node is queued.
 * Only records; c NULL is a no-op, as is a call once crawl_done(). */
void crawl_on_node_seen(struct crawl *c, const struct discv4_node *n,
			uint64_t now_ns);

/* crawl_on_bond() is the engine's on_bond hook: n answered a Ping of ours
 * with a valid Pong at now_ns, which proves it live: it counts as
 * answered even if no FindNode or ENRRequest is ever answered (a node
 * already given up is answered late). Only records; c NULL is a no-op. */
void crawl_on_bond(struct crawl *c, const struct discv4_node *n,
		   uint64_t now_ns);

/* crawl_on_timer() applies the results of finished requests, starts new
 * ones, stops at the timeout, prints progress and emits what changed
 * through cfg.on_out. Once crawl_done() it only emits. */
void crawl_on_timer(struct crawl *c, uint64_t now_ns);

/* crawl_emit() emits what changed since the last crawl_on_timer() and
 * does nothing else: for a host whose loop stopped (SIGINT) before it
 * closes the output. */
void crawl_emit(struct crawl *c);

/* crawl_next_deadline() is when crawl_on_timer() has work next (<= the
 * last now when it has work at once), or UINT64_MAX. */
uint64_t crawl_next_deadline(const struct crawl *c);

/* crawl_done() is true once the timeout passed, or (no timeout, or
 * CRAWL_NO_LINGER) once the queue has been empty with no node worked on
 * for cfg.linger_ns. */
bool crawl_done(const struct crawl *c);

/* crawl_progress() fills *st. */
void crawl_progress(const struct crawl *c, struct crawl_stats *st);

/* crawl_format_progress() writes a progress line (nodes seen, answered,
 * ENR, queue, in flight, packets/s since the previous line) into
 * out[0..cap). Returns the length (truncated to cap - 1). */
size_t crawl_format_progress(struct crawl *c, uint64_t now_ns, char *out,
			     size_t cap);

/* crawl_format_summary() (crawl_summary.c) writes the end-of-crawl summary (totals,
 * answered, ENR verified, duration, nodes/s, failures by class), one or
 * more lines without a final newline. Returns the length as above. */
size_t crawl_format_summary(const struct crawl *c, uint64_t now_ns, char *out,
			    size_t cap);

#endif /* CONTROL_CRAWL_H */
