/* SPDX-License-Identifier: MIT */
/* control/host/devnode.h - the node behind control/api/devplane.h: the loop, the RLPx session host, discovery, the IPC server; the commands' extras; internals shared by devnode.c and devnode_proto.c. */
#ifndef CONTROL_DEVNODE_H
#define CONTROL_DEVNODE_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/enode.h"
#include "control/api/admin.h"
#include "control/api/devplane.h"
#include "control/host/adminipc.h"
#include "control/host/loop.h"
#include "control/host/nathost.h"
#include "control/host/node.h"
#include "control/host/rlpxhost.h"
#include "control/service/gossip.h"
#include "control/service/sendid.h"

/*
 * struct devplane is a node of the public API (control/api/devplane.h),
 * implemented here on the host's pieces:
 *   loop (control/host/loop.h)         epoll, timers, the dataplane link
 *   rlpxhost (control/host/rlpxhost.h) the sans-I/O session host's I/O:
 *                                      TCP, handshakes, handover, p2p
 *   node (control/host/node.h)         discovery v4 on the loop's socket 0
 *   the loop's admin server (control/host/adminipc.h)  JSON-RPC on IPC
 *   nathost (control/host/nathost.h)   --nat port mappings
 * and the API's engines: control/service/gossip.h (broadcast ids seen)
 * and control/service/sendid.h (send to a node id). devnode.c holds the
 * node's set-up, loop driving, threads, timers and services;
 * devnode_events.c the peer events; devnode_admin.c the admin provider
 * and the peer set; devnode_proto.c the protocols, sending, gossip and
 * send-to-id.
 *
 * `devplane node` (control/host/session.c) builds its node with
 * devnode_new() and the commands' extras below, then registers eth and
 * ping/1 through the public API like any protocol author.
 */

/* What the commands set beyond struct devplane_config (NULL: defaults). */
struct devnode_opts {
	/* The loop's config: dataplane details (dp_path, queues, EAL,
	 * budget, ban policy), --netrestrict, the node database, metrics;
	 * listen and n_listen are set from cfg.listen. Overrides
	 * cfg.dataplane. */
	const struct loop_cfg *loop;
	bool exact_max_peers;           /* cfg.max_peers 0 means 0 */
	unsigned max_pending;           /* 0: the server's default */
	bool has_extip;                 /* --nat extip:IP */
	uint8_t extip[16];
	struct nodedb *db;              /* seeds the table (NULL: none) */
	/* --nat upnp|pmp|any: mapped at devplane_start() (loop, local
	 * node, ports and on_publish are set here). */
	const struct nathost_cfg *nat;
	bool print_url;                 /* enode URL on stdout at start and
					 * at each NAT publish */
	bool no_v4, v5;                 /* which discovery: node_cfg */
};

/* devnode_new() is devplane_new() with the commands' extras. */
int devnode_new(struct devplane **out, const struct devplane_config *cfg,
		const struct devnode_opts *opts);

/* Accessors for host code that adds to a node (DNS dial candidates, the
 * commands' printing). */
struct loop *devnode_loop(const struct devplane *n);
struct rlpxhost *devnode_rlpxhost(const struct devplane *n);
struct node *devnode_discovery(const struct devplane *n);      /* NULL: off */

/* ---- internals: devnode.c and devnode_proto.c only ---------------------- */

#define DEVNODE_SERVICES_MAX 16

struct devplane_protocol {
	struct devplane *n;
	struct p2p_proto p2p;           /* registered; p2p.user = this */
	struct devplane_proto def;      /* def.name points at name */
	char name[P2P_CAP_NAME_MAX + 1];
	bool gossip, relay;
	uint8_t ttl;
	uint64_t seq;                   /* our broadcasts */
	uint64_t gossip_in, gossip_dup, gossip_bad, gossip_relayed;
};

struct devplane_sub {
	struct devplane_sub *next;
	struct devplane *n;
	devplane_event_fn *fn;
	void *user;
	bool dead;                      /* unsubscribed; freed later */
};

struct devnode_timer {
	struct devnode_timer *next;
	uint64_t at;
	devplane_call_fn *fn;
	void *arg;
};

struct devnode_peer {                   /* a peer that is up (EV_ADD sent) */
	struct devnode_peer *next;
	uint64_t conn;
	uint8_t pub[DEVPLANE_ID_LEN];
	char local[64], remote[64];
};

struct devnode_done {                   /* a completion to run */
	struct devnode_done *next;
	devplane_done_fn *fn;
	void *arg;
	int err;
};

struct devplane {
	struct loop *loop;
	struct rlpxhost *rh;
	struct sesshost *sh;            /* rlpxhost_engine(rh) */
	struct node *disc;              /* discovery; NULL: off */
	struct nathost *nat;
	int lfd;                        /* TCP listener, until started */
	const struct forkid_chain *chain;
	uint8_t priv[DEVPLANE_KEY_LEN];
	uint8_t pub[DEVPLANE_ID_LEN];
	uint8_t laddr[16];
	uint16_t port, udp_port;
	char url[ENODE_URL_MAX + 1];
	char *ipc_path;
	bool msg_events, started, print_url;
	int verbosity;
	struct enode *statics;          /* added at start */
	size_t n_statics;
	struct nathost_cfg nat_cfg;
	bool nat_on;
	struct devplane_protocol *protos[P2P_MAX_PROTOS];
	size_t n_protos;
	struct devplane_service svcs[DEVNODE_SERVICES_MAX];
	size_t n_svcs, n_svcs_started;
	struct admin_methods methods;
	struct gossip_seen seen;
	struct sendid sid;
	struct devplane_sub *subs;
	unsigned emitting;              /* inside subscribers' callbacks */
	struct devnode_peer *peers;
	struct devnode_timer *timers;
	struct devnode_done *dones, **dones_tail;
	bool soon;                      /* the service tick is due now */
	unsigned depth;                 /* inside a protocol handler */
	/* Any thread: posts and stop requests through an eventfd. */
	int efd;
	pthread_mutex_t mu;
	struct devnode_timer *posts, **posts_tail;
	atomic_bool stop_req;
	/* Who drives the loop now. */
	atomic_bool running;
	pthread_t tid;
	bool freeing;
};

/* devnode.c */
void devnode_flush(struct devplane *n);
void devnode_soon(struct devplane *n);
int devnode_done_later(struct devplane *n, devplane_done_fn *fn, void *arg,
		       int err);

/* devnode_events.c */
void devnode_emit(struct devplane *n, const struct devplane_peer_event *ev);
void devnode_on_engine_event(void *user, const struct sesshost_action *a,
			     uint64_t now);

/* devnode_admin.c */
void devnode_admin_provider(struct devplane *n, struct admin_provider *ap);
void devnode_set_enr_eth(const struct eth *eth, struct localnode *ln);
/* devplane_setHead (control/api/headrpc.h), an admin_method_fn of the
 * node user. */
int devnode_set_head_method(void *user, const char *params, char **result);

/* devnode_proto.c */
void devnode_protos_init(struct devplane *n);
void devnode_protos_fini(struct devplane *n);
void devnode_sendid_run(struct devplane *n, uint64_t now);
void devnode_peer_up(struct devplane *n, uint64_t conn,
		     const uint8_t id[DEVPLANE_ID_LEN], uint64_t now);
void devnode_peer_gone(struct devplane *n, const uint8_t id[DEVPLANE_ID_LEN],
		       uint64_t now);

#endif /* CONTROL_DEVNODE_H */
