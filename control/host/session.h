/* SPDX-License-Identifier: MIT */
/* control/host/session.h - the RLPx session host for the commands: devplane node, the crawler's probes, devplane rlpx ping. */
#ifndef CONTROL_SESSION_H
#define CONTROL_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/enode.h"
#include "control/host/loop.h"
#include "control/host/nathost.h"
#include "control/peers/sesshost.h"
#include "control/rlpx/forkid.h"
#include "control/rlpx/p2p.h"
#include "control/rlpx/rlpxprobe.h"

/*
 * The commands' entry points to the RLPx session host. The host itself is
 * the sans-I/O engine control/peers/sesshost.h (one connection's path is
 * described there) run on the event loop by control/host/rlpxhost.h; this
 * module sets them up for `devplane node` (with discovery and the admin
 * API), for the crawler's probes, and holds the one-shot blocking client
 * behind `devplane rlpx ping`.
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
	bool no_v4, v5;                 /* which discovery: node_cfg */
	const char *ipcpath;            /* admin API socket (NULL: off) */
	struct nodedb *db;              /* seeds the table (NULL: none) */
	int verbosity;
	/* --nat upnp|pmp|any (nathost_maps(nat.mech)): the UDP and TCP
	 * ports are mapped on the gateway; session_node_run() sets the loop,
	 * the local node, the ports and on_publish (the new enode URL on
	 * stdout). With --nodiscover only TCP is mapped and nothing is
	 * published. */
	struct nathost_cfg nat;
	/* EIP-1459 trees whose nodes are dial candidates (none with
	 * nodiscover), looked up at dns_server or /etc/resolv.conf. */
	const char *const *dns_urls;
	unsigned n_dns;
	bool has_dns_server;
	uint8_t dns_server[16];
	uint16_t dns_server_port;
	/* --head: the head advertised from the start (devplane_set_head());
	 * else the genesis. */
	bool has_head;
	uint64_t head_number, head_time;
	uint8_t head_hash[32];
};

/* session_node_run() runs an RLPx node with discovery until SIGINT or
 * SIGTERM: the dataplane, a TCP listener on the UDP port's address and
 * port, eth and ping/1, dials of static nodes and discovered ones. The
 * node is built through the protocol API (control/api/devplane.h, with
 * the command's extras of control/host/devnode.h), and eth and ping/1
 * are registered through it. Prints the enode URL on stdout first.
 * Returns the exit status. */
int session_node_run(const struct session_node_cfg *cfg);

/* session_rlpx_ping() dials e (which needs a TCP port), handshakes, sends
 * our Hello and prints the remote's Hello (or its Disconnect reason) on
 * stdout. Blocking, for the one-shot command. Returns 0 when a Hello
 * arrived, -ECONNABORTED after a Disconnect, or -errno. */
int session_rlpx_ping(const struct enode *e, const uint8_t priv[32],
		      uint64_t timeout_ns);

/* ---- probes (the crawler's RLPx pass) ---------------------------------- */

/*
 * A prober is a session host in probe mode (control/rlpx/rlpxprobe.h defines what it learns;
 * it runs on a loop by
 * control/host/rlpxhost.h: it only dials, registers eth/68 to eth/72
 * (Status of the configured chain at its genesis), and for each probe runs
 * the same path as a node's dial (TCP connect, RLPx handshake, Hello in
 * control, handover to devplane-dp, eth Status over dplink). Once the
 * remote's Status arrived (whatever its verdict) it disconnects with
 * P2P_DISC_REQUESTED; when the socket is gone it reports what was learnt.
 * A probe that has not finished by its timeout is disconnected (Requested)
 * or dropped and reported with -ETIMEDOUT.
 * Loop thread only; the prober takes over the loop's RLPx and service
 * hooks (loop_set_rlpx, loop_set_service) until it is freed.
 */

/* Called once per probe started with session_probe(), from the loop. r is
 * valid during the call only. */
typedef void session_probe_fn(void *user,
			      const struct rlpxprobe_result *r);

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
