/* SPDX-License-Identifier: MIT */
/* control/host/session.h - RLPx session host: TCP accept/dial, handshake and Hello in control, handover to the dataplane, p2p over dplink; the node, the crawler's probes and rlpx ping. */
#ifndef CONTROL_SESSION_H
#define CONTROL_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/enode.h"
#include "control/host/loop.h"
#include "control/rlpx/eth.h"
#include "control/rlpx/forkid.h"
#include "control/rlpx/p2p.h"

/*
 * One connection's path (DESIGN.md, the kernel-TLS split):
 *   accept (server_inbound_begin: netrestrict, pending cap, throttle) or
 *   dial (control/peers/dial.h picks the target) -> RLPx handshake
 *   (control/rlpx/rlpx.h, 5 s) -> server_add_peer (self, duplicate, maxpeers)
 *   -> p2p Hello exchange framed here with common/rlpx_frame (reads stop
 *   exactly at the end of the remote's Hello frame, so no byte of the
 *   stream is left behind) -> on p2p's on_active the socket and the frame
 *   state go to devplane-dp (dplink_rlpx_handover) -> from then on p2p,
 *   eth, ping and custom protocols run over dplink_rlpx_send and
 *   MSG_RLPX_RX / MSG_RLPX_CLOSED.
 * Everything runs on the loop's thread.
 */

struct loop_cfg;
struct nodedb;

/* What `devplane node` runs: everything the command line decided. */
struct session_node_cfg {
	const uint8_t *priv;            /* node key, 32 bytes */
	const struct forkid_chain *chain;       /* Status, fork id, ENR eth */
	/* The dataplane, netrestrict, metrics and verbosity (listen and
	 * n_listen are set by session_node_run()). */
	struct loop_cfg loop;
	bool has_addr;                  /* listen address (else 0.0.0.0) */
	uint8_t addr[16];
	uint16_t port;                  /* UDP and TCP (0: any) */
	bool has_extip;                 /* --nat extip:IP */
	uint8_t extip[16];
	const struct enode *bootnodes;
	unsigned n_bootnodes;
	const struct enode *statics;    /* dialed and kept */
	unsigned n_statics;
	const struct enode *trusted;    /* admitted beyond max_peers */
	unsigned n_trusted;
	unsigned max_peers, max_pending;
	bool nodiscover;
	const char *ipcpath;            /* admin API socket (NULL: off) */
	struct nodedb *db;              /* seeds the table (NULL: none) */
	int verbosity;
	/* EIP-1459 trees whose nodes are dial candidates (none with
	 * nodiscover), looked up at dns_server or /etc/resolv.conf. */
	const char *const *dns_urls;
	unsigned n_dns;
	bool has_dns_server;
	uint8_t dns_server[16];
	uint16_t dns_server_port;
};

/* session_node_run() runs an RLPx node with discovery until SIGINT or
 * SIGTERM: the dataplane, a TCP listener on the UDP port's address and
 * port, eth and ping/1, dials of static nodes and discovered ones.
 * Prints the enode URL on stdout first. Returns the exit status. */
int session_node_run(const struct session_node_cfg *cfg);

/* session_rlpx_ping() dials e (which needs a TCP port), handshakes, sends
 * our Hello and prints the remote's Hello (or its Disconnect reason) on
 * stdout. Blocking, for the one-shot command. Returns 0 when a Hello
 * arrived, -ECONNABORTED after a Disconnect, or -errno. */
int session_rlpx_ping(const struct enode *e, const uint8_t priv[32],
		      uint64_t timeout_ns);

/* ---- probes (the crawler's RLPx pass) ---------------------------------- */

/*
 * A prober is a session host in probe mode: it only dials, registers only
 * eth/68 to eth/72 (Status of the configured chain at its genesis), and
 * for each probe runs the same path as a node's dial (TCP connect, RLPx
 * handshake, Hello in control, handover to devplane-dp, eth Status over
 * dplink). Once the remote's Status arrived (whatever its verdict) it
 * disconnects with P2P_DISC_REQUESTED; when the socket is gone it reports
 * what was learnt. A probe that has not finished by its timeout is
 * disconnected (Requested) or dropped and reported with -ETIMEDOUT.
 * Loop thread only; the prober takes over the loop's RLPx and service
 * hooks (loop_set_rlpx, loop_set_service) until it is freed.
 */

enum session_probe_stage {
	SESSION_PROBE_CONNECT = 0,      /* TCP connect */
	SESSION_PROBE_HANDSHAKE,        /* RLPx auth/ack */
	SESSION_PROBE_HELLO,            /* Hello exchange */
	SESSION_PROBE_STATUS,           /* session up, waiting for Status */
	SESSION_PROBE_STAGE_MAX
};

/* What one probe learnt. */
struct session_probe_result {
	uint8_t pub[P2P_ID_LEN];
	uint8_t ip[16];
	uint16_t tcp;
	int err;                        /* 0: Status received; else -errno
					 * of the failure: -ETIMEDOUT,
					 * -ECONNREFUSED, -ECONNRESET
					 * (closed), -ECONNABORTED (a
					 * Disconnect before Status),
					 * -EKEYREJECTED / -EBADMSG
					 * (handshake or framing) ... */
	enum session_probe_stage stage; /* the last stage reached */
	bool has_hello;
	struct p2p_hello hello;
	bool has_status;
	struct eth_status status;
	enum eth_err status_err;        /* our check of their Status */
	uint8_t disc_reason;            /* P2P_DISC_NONE: no Disconnect */
	bool disc_remote;               /* they sent it */
	uint64_t started_ns, finished_ns;       /* loop_now() clock */
};

/* Called once per probe started with session_probe(), from the loop. r is
 * valid during the call only. */
typedef void session_probe_fn(void *user,
			      const struct session_probe_result *r);

struct loop;
struct session_prober;

/* session_prober_new() sets up a prober on loop l (which must have a
 * dataplane: loop_dplink()) with node key priv, announcing chain (which
 * must outlive the prober). Returns 0, -EINVAL, -ENOMEM. */
int session_prober_new(struct session_prober **out, struct loop *l,
		       const uint8_t priv[32],
		       const struct forkid_chain *chain,
		       session_probe_fn *done, void *user);

/* session_prober_free() drops every probe in flight without reporting
 * them (sessions handed over are closed with P2P_DISC_QUITTING) and
 * releases the loop's hooks. NULL is a no-op. */
void session_prober_free(struct session_prober *p);

/* session_probe() dials pub at ip:tcp. Returns 0 (done() will be called,
 * possibly from inside this call when the connect fails at once: it then
 * still returns 0), or -EINVAL (no port), -EEXIST (a probe of pub is in
 * flight), -ENOMEM. */
int session_probe(struct session_prober *p, const uint8_t pub[P2P_ID_LEN],
		  const uint8_t ip[16], uint16_t tcp, uint64_t timeout_ns,
		  uint64_t now_ns);

/* session_probes_active() counts probes in flight. */
size_t session_probes_active(const struct session_prober *p);

#endif /* CONTROL_SESSION_H */
