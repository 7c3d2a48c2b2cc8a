/* SPDX-License-Identifier: MIT */
/* control/sim/simnet.h - the network simulator: N discv4 engines, their dataplane ingress checks, RLPx sessions with gossip and send-by-id, on one virtual clock. */
#ifndef CONTROL_SIMNET_H
#define CONTROL_SIMNET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * `devplane sim` (control/cmd/cmd_sim.c) and the seed-004 test plan
 * (tests/control/sim/test_simnet.c) run a whole network in one process:
 *
 *   - every node is a real discv4 engine (control/discv4/discv4.h) with
 *     its own dataplane ingress stage (dataplane/stage/discv4_rx.h: size,
 *     keccak hash, type, RLP, expiration, per-source budget, replay cache,
 *     secp256k1 recovery), so a datagram reaches an engine only as it
 *     would on the wire; with cfg.v5 a discv5 engine
 *     (control/discv5/discv5.h) behind the dataplane's discovery demux
 *     (dataplane/stage/disc_rx.h: discv4's stage, then discv5's masking,
 *     static header, budgets) and its WHOAREYOU limiter on the way out
 *     (control/sim/simv5.c);
 *   - datagrams travel through one event queue ordered by virtual time,
 *     with loss, delay + uniform jitter, a partition window and churn
 *     (nodes cut off from the network, then back) applied per datagram;
 *   - RLPx sessions (control/rlpx/rlpxconn.h: ECIES handshake, framing,
 *     MACs) run over in-memory byte pipes with the same delay, loss
 *     turning into a TCP retransmission (SIMNET_RTO_NS) instead of a
 *     drop; gossip envelopes (control/service/gossip.h) travel over them
 *     for the broadcast path, and send-by-id requests
 *     (control/service/sendid.h) drive lookup -> dial -> send; with
 *     cfg.p2p the sessions are the node's own session host
 *     (control/peers/sesshost.h: handshake, p2p Hello and capability
 *     negotiation of a "sim/1" protocol, handover, keepalives; see
 *     control/sim/simp2p.c for what it leaves out).
 *
 * Timeline of one run (duration T):
 *   0        nodes start within the first second, each knowing the
 *            bootnodes (the first n_boot nodes);
 *   0.4 T    churn: churn_pct % of the other nodes are cut off;
 *   0.6 T    they are back (same engine, same table);
 *   0.65 T   every live node dials SIMNET_DEGREE peers from its table;
 *   0.7 T    measured work: send-by-id requests (lookup + dial + send)
 *            and broadcasts, spread over [0.7 T, 0.9 T).
 *
 * Determinism: the same cfg (seed included) gives the same result; no
 * clock, no randomness other than the seed, no I/O (engines' layer).
 *
 * Layering (tests/check_layout.py): control/sim is the one control folder
 * that includes dataplane/ code, and only dataplane/stage/, the pure
 * (buf, len, now) ingress checks: the simulator's promise is that a
 * packet passes the very code it passes on the wire, so copying the
 * checks would defeat it, and moving them to common/ would put the
 * dataplane's per-worker state (budgets, replay cache) into the layer
 * both processes share for codecs. In exchange control/sim sits above the
 * engines (with host/) and only control/cmd includes it: nothing the
 * devplane node runs reaches dataplane code through it.
 */

#define SIMNET_RTO_NS     (200ull * 1000000ull)  /* Linux TCP_RTO_MIN */
#define SIMNET_RETRIES    8                     /* then the session dies */
#define SIMNET_DEGREE     4                     /* RLPx dials per node */
#define SIMNET_SAMPLES    50                    /* table-fill samples */
#define SIMNET_HEALTH_NS  (250ull * 1000000ull) /* health check period */
#define SIMNET_START_NS   1700000000000000000ull /* virtual Unix epoch */

struct simnet_cfg {
	unsigned nodes;                 /* >= 2 */
	unsigned n_boot;                /* 0: 3 / 5 / 10 (seed 004) */
	uint32_t loss_ppm;              /* per datagram / TCP segment */
	uint64_t delay_ns, jitter_ns;   /* one way: delay + U[0, jitter) */
	unsigned churn_pct;             /* of the non-boot nodes */
	/* partition: during [part_from_ns, part_to_ns) (from the start)
	 * datagrams and segments between the lower and the upper half of
	 * the nodes (by index) are dropped. part_to_ns 0: none. */
	uint64_t part_from_ns, part_to_ns;
	uint64_t duration_ns;
	uint64_t seed;
	unsigned lookups;               /* send-by-id requests measured */
	unsigned broadcasts;
	bool no_rlpx;                   /* discovery only */
	bool v5;                        /* discv5 engines (control/sim/simv5.c) */
	/* RLPx sessions run control/peers/sesshost (handshake, p2p Hello
	 * and capability negotiation, the handover, p2p keepalives) with a
	 * "sim/1" protocol for gossip and send-by-id (control/sim/simp2p.c);
	 * false: bare rlpxconn sessions */
	bool p2p;
};

/* Percentiles of one distribution; n 0 means no samples. */
struct simnet_dist {
	size_t n;
	double p50, p90, p99, max;
};

struct simnet_result {
	unsigned nodes, n_boot, churned;
	/* Lookups (the send-by-id requests' discovery step). hops: FindNode
	 * queries the lookup sent (Spacemesh's "FindNode operations"). */
	struct simnet_dist hops, lookup_ms;
	unsigned lookups, converged;    /* converged: the target was found */
	/* targets_known: lookups whose target, when the lookup started, was
	 * in the table of at least one of the k live nodes closest to it
	 * (without that no lookup can find it). targets_served: of those,
	 * the ones where such a holder would also name it in a FindNode
	 * answer: engines answer with validated-live entries (geth's
	 * findnodeByID with preferLive; discv5: live nodes only), and a
	 * node a table learnt of is live only once revalidated, which in a
	 * large network takes minutes (n1000, seed 4: 72 % known, 58 % served). */
	unsigned targets_known, targets_served;
	/* send-by-id: message delivered to the target over RLPx */
	unsigned sends, sends_ok;
	struct simnet_dist send_ms;
	/* Table fill: mean and minimum table size over live nodes. */
	unsigned n_samples;
	double fill_t_s[SIMNET_SAMPLES], fill_mean[SIMNET_SAMPLES];
	unsigned fill_min[SIMNET_SAMPLES];
	/* Healthy: a node's table holds at least min(16, live nodes - 1)
	 * entries (a lookup from it starts with a full k-set). Time from the
	 * start until every live table is healthy (-1: never), and after
	 * the churned nodes came back, until all are again (-1: never or no
	 * churn). */
	double healthy_s, reheal_s;
	/* Broadcast: coverage = nodes reached / live nodes, per message;
	 * latency = time from Broadcast to delivery at each reached node. */
	unsigned bcasts;
	double coverage_min, coverage_mean;
	struct simnet_dist bcast_ms;
	/* sessions up on both sides; failed: ended before that (with p2p
	 * also duplicates the session host refused: two nodes dialing each
	 * other at once keep one session, as geth does) */
	unsigned rlpx_sessions, rlpx_failed;
	/* Ingress verdicts (dataplane stage) summed over nodes, and the
	 * network's own drops. */
	uint64_t rx_accept, rx_drop_expired, rx_drop_budget, rx_drop_replay,
		 rx_drop_other;
	uint64_t dgrams, dgrams_lost;
	uint64_t events;
};

/* simnet_run() runs one simulation of cfg into *res. Returns 0, -EINVAL
 * (nodes < 2, loss over 10^6, no duration; with v5, over 65536 nodes),
 * -ENOMEM, or an engine's error. */
int simnet_run(struct simnet_result *res, const struct simnet_cfg *cfg);

/* simnet_dist_of() fills d from v[0..n) (sorts v in place). */
void simnet_dist_of(struct simnet_dist *d, double *v, size_t n);

#endif /* CONTROL_SIMNET_H */
