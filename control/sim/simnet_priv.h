/* SPDX-License-Identifier: MIT */
/* control/sim/simnet_priv.h - the simulator's private state, shared by simnet.c (the run, v4, RLPx) and simv5.c (discv5 nodes). */
#ifndef CONTROL_SIMNET_PRIV_H
#define CONTROL_SIMNET_PRIV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/secp.h"
#include "control/base/localnode.h"
#include "control/discv4/kad.h"
#include "control/rlpx/p2p.h"
#include "control/rlpx/rlpxconn.h"
#include "control/service/gossip.h"
#include "control/service/sendid.h"

struct sesshost;
struct simnet_cfg;
struct simnet_result;

/* The ingress stage's per-source budget as devplane-dp sets it by default
 * (dataplane/daemon/dpd.h DPD_DEFAULT_BUDGET_*; the daemon's header is
 * not ours to include). Tables are smaller than the daemon's: each
 * simulated node has its own stage and sees at most N sources. */
#define BUDGET_RATE   500
#define BUDGET_BURST  1000
#define BUDGET_SLOTS  256
#define CACHE_SLOTS   512
#define UDP_PORT      30303
#define CODE_GOSSIP   0x10              /* first subprotocol code */
#define CODE_DIRECT   0x11
#define STEP_NS       1000000ull        /* timer floor when an engine
					 * asks for "now" again */

enum ev_kind { EV_UDP = 1, EV_TCP, EV_TIMER, EV_SAMPLE, EV_HEALTH,
	       EV_CHURN_OFF, EV_CHURN_ON, EV_DIAL_ALL, EV_LOOKUP, EV_BCAST,
	       EV_SIDTICK, EV_P2P_MSG, EV_P2P_TICK, EV_END };

struct ev {
	uint64_t at, seq;
	uint8_t kind;
	uint8_t dir;                    /* EV_TCP: 0 a -> b, 1 b -> a */
	uint32_t a, b;                  /* nodes (UDP: from, to), conn, gen */
	uint32_t len;
	uint8_t data[];
};

struct snode;

struct sconn {
	uint32_t a, b;                  /* dialer, acceptor */
	struct rlpxconn c[2];           /* a's side, b's side */
	bool hs[2];                     /* handshake done on that side */
	bool up, dead;
	uint64_t last_at[2];            /* in-order delivery per direction */
	/* cfg.p2p: each side is a sesshost connection (simp2p.c) */
	bool p2p;
	uint64_t hid[2];                /* its sesshost connection id */
	bool handed[2], closed[2], added[2];
	bool sock_closed[2];            /* that side's socket is gone */
	uint8_t *in[2];                 /* bytes not yet consumed */
	size_t in_len[2];
};

struct snode {
	uint32_t idx;
	uint8_t priv[SECP_PRIV_LEN], pub[SECP_PUB_LEN], ip[16];
	struct localnode ln;
	struct discv4 *d;               /* v4 run */
	struct discv4_rx *rx;           /* both: discv4's stage (and the
					 * per-source budget v5 shares) */
	struct discv5 *d5;              /* v5 run */
	struct discv5_rx *rx5;
	uint64_t rng5;                  /* the v5 engine's random stream */
	uint64_t fn_at_start;           /* v5: FINDNODEs sent before the
					 * measured lookup */
	struct simnet *s;
	uint64_t deadline;
	uint32_t tgen;
	bool started, cut, healthy;
	/* the measured lookup (one at a time per node) */
	bool measuring;
	uint8_t mtarget[SECP_PUB_LEN];
	unsigned mhops;
	uint64_t mstart;
	/* RLPx side */
	struct gossip_seen seen;
	uint32_t *conns;                /* up connections */
	unsigned n_conns, cap_conns;
	struct sendid sid;
	uint32_t sid_target;            /* the request's target node */
	/* cfg.p2p: the node's session host and its "sim" protocol */
	struct sesshost *sh;
	struct p2p_proto proto;
	uint64_t sh_deadline;
	uint32_t sh_gen;
	unsigned sh_depth;              /* inside a call into sh */
	struct { uint64_t hid; uint32_t ci; } *hmap;    /* its connections */
	unsigned n_hmap, cap_hmap;
	bool draining;                  /* in sid_drain() */
	uint64_t sid_start;
};

struct simnet {
	const struct simnet_cfg *cfg;
	struct simnet_result *res;
	struct snode *n;
	unsigned nn;
	struct sconn **cs;
	unsigned ncs, capcs;
	struct ev **q;
	size_t nq, capq;
	uint64_t now, t0, seq, rng;
	unsigned live;
	bool rejoined;
	/* measurements */
	double *hops, *lk_ms, *send_ms, *bc_ms;
	size_t n_hops, n_send, n_bc, cap_bc;
	uint64_t *bc_t0;
	unsigned *bc_reached, bc_seq;
	struct discv5_rx_keys *keys5;   /* v5: masking keys, socket = node */
	int err;                        /* first hard error (ENOMEM) */
};

/* simnet.c, for simv5.c */
uint64_t simnet_rnd(struct simnet *s);
bool simnet_linked(const struct simnet *s, uint32_t a, uint32_t b);
bool simnet_lost(struct simnet *s);
uint64_t simnet_delay(struct simnet *s);
int simnet_node_of_ip(const struct simnet *s, const uint8_t ip[16]);
struct ev *simnet_ev_new(struct simnet *s, uint64_t at, uint8_t kind,
			 uint32_t a, uint32_t b, const uint8_t *data,
			 size_t len);
void simnet_touch(struct simnet *s, struct snode *pe);
/* simnet_lookup_end() records the measured lookup of pe as finished,
 * found or not (hit: the target's endpoint, NULL: not found), and hands
 * the result to send-by-id. */
void simnet_lookup_end(struct simnet *s, struct snode *pe, int err,
		       const uint8_t *ip, uint16_t tcp);

/* simnet.c, for simp2p.c */
int simnet_conn_new(struct simnet *s, uint32_t a, uint32_t b);
int simnet_conn_find(const struct simnet *s, uint32_t a, uint32_t b);
/* simnet_conn_up() / simnet_conn_down(): side pe of connection ci came
 * up (its session runs) or went down. */
void simnet_conn_up(struct simnet *s, struct snode *pe, uint32_t ci);
void simnet_conn_down(struct simnet *s, struct snode *pe, uint32_t ci);
/* simnet_on_msg() handles a message (CODE_GOSSIP or CODE_DIRECT) pe got
 * on connection ci. */
void simnet_on_msg(struct simnet *s, struct snode *pe, uint32_t ci,
		   uint64_t code, const uint8_t *payload, size_t len);
uint64_t simnet_tcp_at(struct simnet *s, struct sconn *c, unsigned dir,
		       bool *dead);

/* simp2p.c: RLPx sessions through control/peers/sesshost (cfg->p2p) */
int simp2p_node_init(struct simnet *s, struct snode *pe);
void simp2p_node_fini(struct snode *pe);
void simp2p_conn_fini(struct sconn *c);
/* simp2p_dial() starts a's session to b; returns 0, -EISCONN (a peer
 * already) or sesshost_dial()'s errors. */
int simp2p_dial(struct simnet *s, uint32_t a, uint32_t b);
/* simp2p_send() sends (code, payload) from pe on connection ci. */
int simp2p_send(struct simnet *s, struct snode *pe, uint32_t ci,
		uint64_t code, const uint8_t *payload, size_t len);
void simp2p_deliver_bytes(struct simnet *s, const struct ev *e);
void simp2p_deliver_msg(struct simnet *s, const struct ev *e);
void simp2p_tick(struct simnet *s, const struct ev *e);

/* simv5.c: the discv5 side of a node (cfg->v5) */
/* simv5_init() makes the run's shared masking-key table. */
int simv5_init(struct simnet *s);
void simv5_fini(struct simnet *s);
/* simv5_node_init() makes pe's discv5 ingress stage and turns its socket
 * on in the key table (after the v4 stage exists: it shares its budget). */
int simv5_node_init(struct simnet *s, struct snode *pe);
/* simv5_node_start() creates pe's engine, knowing the bootnodes. */
int simv5_node_start(struct simnet *s, struct snode *pe);
void simv5_node_fini(struct snode *pe);
/* simv5_deliver() passes a datagram through the dataplane's discovery
 * demux (dataplane/stage/disc_rx.h) and on to the engine. */
void simv5_deliver(struct simnet *s, const struct ev *e);
/* simv5_lookup() starts pe's measured lookup of pe->mtarget. */
int simv5_lookup(struct simnet *s, struct snode *pe);
uint64_t simv5_deadline(const struct snode *pe);
void simv5_timer(struct snode *pe, uint64_t now);
const struct kad_table *simv5_table(const struct snode *pe);

#endif /* CONTROL_SIMNET_PRIV_H */
