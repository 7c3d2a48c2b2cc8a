/* SPDX-License-Identifier: MIT */
/* control/api/devplane.h - the C API for protocol authors: a devp2p node (discovery v4, RLPx, the dataplane) that runs your subprotocols, event-driven on the node's loop. */
#ifndef CONTROL_DEVPLANE_H
#define CONTROL_DEVPLANE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A node (struct devplane) is what `devplane node` runs: an event loop, a
 * devplane-dp dataplane it spawns (or attaches to), discovery v4 on a UDP
 * port, RLPx on the TCP port of the same number, and the admin JSON-RPC
 * API on an IPC socket. You register subprotocols ("capabilities", such
 * as eth/68 or ping/1) before the node starts; their handlers then run
 * for every peer that shares them. The examples in tests/examples/ follow
 * geth's p2p tutorial (A1 start a server ... D several protocols) on this
 * API; `devplane node` itself is built on it (control/host/session.c).
 *
 * Life cycle:
 *   devplane_new()                        loop, dataplane, sockets bound
 *   devplane_register_eth() / _protocol() / _service() / _admin_method()
 *   devplane_start()                      listen, dial, discover, serve IPC
 *   devplane_run() or devplane_poll()     drive the loop
 *   devplane_stop()                       from a handler, a timer, a signal
 *                                         handler or another thread
 *   devplane_free()                       peers told "client quitting",
 *                                         pending sends end -ECANCELED
 *
 * Threads: a node belongs to the thread that drives it (devplane_run() or
 * devplane_poll(); any one thread while the loop is not running). Every
 * function below is for that thread unless its comment says otherwise,
 * and every handler and callback runs on it, one at a time. Two nodes can
 * share a thread (poll each in turn) or each have their own.
 *
 * Event-driven: nothing here blocks except devplane_run(), devplane_poll()
 * (at most its timeout) and devplane_send_to_id_wait() (at most its
 * timeout; it refuses, -EDEADLK, where waiting could stall the loop).
 * Handlers must return quickly; long work goes to another thread, which
 * hands results back with devplane_post().
 *
 * Errors: functions return 0 or -errno (the house vocabulary: -EINVAL a
 * caller mistake, -EPROTO wrong state, -ENOBUFS a queue is full, -EBUSY
 * too late (the node started), ...); a function that counts returns the
 * count or -errno. Lengths follow their buffers.
 *
 * Ownership: strings and buffers passed in are copied before the call
 * returns unless said otherwise; pointers handed to handlers are valid
 * during the handler only. Handles (node, protocol, subscription) belong
 * to the node and die with devplane_free(); a peer handle lives from its
 * protocol's on_peer_added until on_peer_removed returns.
 */

#define DEVPLANE_ID_LEN       64        /* node id: secp256k1 key, x || y */
#define DEVPLANE_KEY_LEN      32        /* node key */
#define DEVPLANE_HASH_LEN     32        /* a block hash */
#define DEVPLANE_MSG_MAX      (10u << 20)       /* a message's payload */
#define DEVPLANE_SENDS_MAX    1024      /* devplane_send_to_id() pending */
#define DEVPLANE_SEND_TIMEOUT_MS 10000  /* default send_to_id bound */

struct devplane;                        /* a node */
struct devplane_protocol;               /* a protocol registered on it */
struct devplane_peer;                   /* a connected peer */
struct devplane_sub;                    /* a peer-event subscription */
struct forkid_chain;                    /* a chain: devplane_chain() */

/* ---- a node ------------------------------------------------------------- */

struct devplane_config {
	/* secp256k1 node key (DEVPLANE_KEY_LEN bytes, copied, wiped by
	 * devplane_free()); NULL: a new random key. */
	const uint8_t *key;
	/* "IP:PORT" or "[IPv6]:PORT" for UDP discovery and TCP RLPx (port
	 * 0: any free port, see devplane_port()); NULL: "0.0.0.0:0". */
	const char *listen;
	/* enode:// URLs or "enr:" records (IP hosts, no names). */
	const char *const *bootnodes;           /* discovery entry points */
	size_t n_bootnodes;
	const char *const *static_nodes;        /* dialed and kept */
	size_t n_static_nodes;
	const char *const *trusted_nodes;       /* admitted past max_peers */
	size_t n_trusted_nodes;
	/* The chain eth runs and the ENR's "eth" entry names (NULL:
	 * mainnet). */
	const struct forkid_chain *chain;
	unsigned max_peers;                     /* 0: 50 */
	/* No discovery: peers come from static nodes, devplane_add_peer(),
	 * inbound connections; devplane_send_to_id() reaches only nodes it
	 * knows. */
	bool no_discovery;
	/* The dataplane: NULL or "socket" (no privileges), "xdp:IFNAME",
	 * "dpdk[:IFNAME]" (spawned devplane-dp; $DEVPLANE_DP or next to
	 * this executable), "attach:PATH" (a running devplane-dp --shm). */
	const char *dataplane;
	/* Serve the admin JSON-RPC API (geth's admin_* methods, services'
	 * methods) on a Unix socket at this path; NULL: none. */
	const char *ipc_path;
	/* Emit DEVPLANE_EV_MSGSEND / MSGRECV peer events for every message
	 * (geth's p2p.Config.EnableMsgEvents); off: add and drop only. */
	bool msg_events;
	uint32_t gossip_cache;          /* broadcast ids kept (0: 4096) */
	uint32_t gossip_expiry_ms;      /* for so long (0: 120000) */
	/* What the node logs on stdout/stderr: 0 nothing ... 5. */
	int verbosity;
};

/* devplane_chain() returns the built-in chain "mainnet", "sepolia",
 * "holesky" or "hoodi", or NULL. Any thread. */
const struct forkid_chain *devplane_chain(const char *name);

/* devplane_new() creates a node from cfg: the event loop, the dataplane
 * (spawned or attached), the UDP and TCP sockets bound, discovery set up
 * (not yet running). Blocks SIGINT and SIGTERM in the calling thread (the
 * loop reads them: devplane_run() returns on them; devplane_free()
 * restores the mask, so free several nodes last-created first). Returns
 * 0 with *out
 * set, or -EINVAL (bad key, address, node URL, dataplane), -EADDRINUSE,
 * -ENOMEM, or the dataplane's -errno (-ENOENT: no devplane-dp found). */
int devplane_new(struct devplane **out, const struct devplane_config *cfg);

/* devplane_free() stops the services (reverse order), ends every peer
 * (Disconnect "client quitting"), ends pending devplane_send_to_id()
 * calls with -ECANCELED (their callbacks run here), closes the sockets
 * and the IPC socket, stops a spawned dataplane and frees n. Not from a
 * handler. NULL is a no-op. */
void devplane_free(struct devplane *n);

/* devplane_start() starts the services (registration order), then
 * listens for RLPx connections, dials the static nodes, starts discovery
 * and serves the IPC socket. Protocols can no longer be registered.
 * Returns 0, -EALREADY, a service's start error (the services started
 * before it are stopped again), or the IPC socket's -errno. */
int devplane_start(struct devplane *n);

/* devplane_run() starts the node if needed and runs its loop until
 * devplane_stop() or SIGINT/SIGTERM. Returns 0 after devplane_stop(), the
 * signal number after a signal, or -errno (the loop failed). */
int devplane_run(struct devplane *n);

/* devplane_poll() runs one step of the loop (starting the node if
 * needed): what is due, then a wait of at most timeout_ms (0: none, -1:
 * until something happens) for events and their handlers. For a program that drives several nodes or
 * its own loop. Returns 0, 1 when the node was asked to stop (once per
 * devplane_stop() or signal), or -errno. */
int devplane_poll(struct devplane *n, int timeout_ms);

/* devplane_fd() is a descriptor that turns readable when devplane_poll()
 * has work (epoll), for embedding the node in another event loop. */
int devplane_fd(const struct devplane *n);

/* devplane_stop() makes devplane_run() return 0 (devplane_poll() 1) soon.
 * Any thread, and async-signal-safe. */
void devplane_stop(struct devplane *n);

/* A function run on the node's thread. */
typedef void devplane_call_fn(struct devplane *n, void *arg);

/* devplane_post() runs fn(n, arg) on the node's thread at its next loop
 * step. Any thread. Returns 0 or -ENOMEM. */
int devplane_post(struct devplane *n, devplane_call_fn *fn, void *arg);

/* devplane_after() runs fn(n, arg) once, delay_ms from now (0: at the
 * next loop step). Returns 0 or -ENOMEM. */
int devplane_after(struct devplane *n, uint32_t delay_ms,
		   devplane_call_fn *fn, void *arg);

/* devplane_now_ns() is the node's clock in nanoseconds, the one its
 * timers run on: for intervals (round trips, timeouts), not a date. Any
 * thread. */
uint64_t devplane_now_ns(void);

/* devplane_id() is our node id (DEVPLANE_ID_LEN bytes, valid for n's
 * life). */
const uint8_t *devplane_id(const struct devplane *n);

/* devplane_enode() is our enode URL ("enode://ID@IP:TCP?discport=UDP";
 * valid until the next call into n). */
const char *devplane_enode(const struct devplane *n);

/* devplane_port() is the bound UDP/TCP port. */
uint16_t devplane_port(const struct devplane *n);

/* devplane_peer_count() counts the peers in the dataplane. */
size_t devplane_peer_count(const struct devplane *n);

/* devplane_table_size() counts the nodes in the discovery table (0:
 * discovery off). */
size_t devplane_table_size(const struct devplane *n);

/* devplane_add_peer() adds url (enode or enr) to the static nodes: dialed
 * now and whenever it is gone (admin_addPeer). devplane_remove_peer()
 * takes it out and disconnects it (admin_removePeer). Return 0, -EINVAL
 * (bad url), -EPERM (outside netrestrict), -ENOSPC. */
int devplane_add_peer(struct devplane *n, const char *url);
int devplane_remove_peer(struct devplane *n, const char *url);

/* devplane_add_trusted() / devplane_remove_trusted(): admitted beyond
 * max_peers, or no longer (admin_addTrustedPeer, admin_removeTrustedPeer;
 * a connected peer stays). Return 0, -EINVAL, -ENOSPC. */
int devplane_add_trusted(struct devplane *n, const char *url);
int devplane_remove_trusted(struct devplane *n, const char *url);

/* ---- protocols ---------------------------------------------------------- */

/* devplane_register_eth() runs eth/68 to eth/72 for cfg.chain with every
 * peer (Status handshake; the node serves no chain data), puts the fork id
 * of our head (the genesis until devplane_set_head()) in our ENR, and
 * serves the admin method devplane_setHead (control/api/headrpc.h:
 * [number, time, hash], devplane_set_head() over IPC). Before
 * devplane_start(). Returns 0, -EEXIST, -EBUSY (started), -ENOSPC (too
 * many protocols or admin methods). */
int devplane_register_eth(struct devplane *n);

/*
 * devplane_set_head() moves the head the node advertises: devplane has no
 * chain sync, so its head is what its operator (`devplane node --head`,
 * the admin method devplane_setHead) or the embedding program says; until
 * then it is the genesis, as a fresh geth's. number and time are the head
 * block's number and timestamp (Unix seconds), hash its hash (NULL or
 * all-zero: the genesis, for number 0 only). From then on:
 *   - the fork id (EIP-2124) of the head, forkid(chain, number, time), is
 *     in the eth Status sent to new peers and in the ENR's "eth" entry: the
 *     record is re-signed with seq + 1 when the entry changed (a head in
 *     the same fork leaves the record alone), so discv4 and discv5 peers
 *     see a higher enr-seq and fetch it (the seq is stored in the node
 *     database, if any);
 *   - eth/69+ Status says latest = number, latesthash = hash (earliest
 *     clamped to it), and every eth/69+ peer gets a BlockRangeUpdate when
 *     the head moved back or 32 blocks or more forward since the last one
 *     announced (geth's rule);
 *   - admin_nodeInfo's protocols.eth.head is hash.
 * Before or after devplane_start(), after devplane_register_eth(). Returns
 * the number of peers a BlockRangeUpdate was sent to, or -EINVAL (a zero
 * hash above block 0: a head block needs its hash; nothing changed),
 * -EPROTO (eth is not registered).
 */
int devplane_set_head(struct devplane *n, uint64_t number, uint64_t time,
		      const uint8_t hash[DEVPLANE_HASH_LEN]);

/* A received message. */
struct devplane_msg {
	uint64_t code;                  /* 0..length-1 */
	const uint8_t *data;            /* valid during the handler */
	size_t len;
	bool gossip;                    /* it came by devplane_broadcast() */
	uint8_t hops_left;              /* gossip: its TTL as received */
};

/* Handler results: keep the peer, or disconnect it with a devp2p
 * Disconnect reason (0x00..0x10, e.g. 0x10 subprotocol error). From
 * on_msg of a gossip message, DEVPLANE_NO_RELAY keeps the peer but does
 * not pass the message on. */
#define DEVPLANE_OK             0
#define DEVPLANE_DROP(reason)   (0x100 | ((reason) & 0xff))
#define DEVPLANE_NO_RELAY       0x200

/* Protocol flags. */
#define DEVPLANE_PROTO_GOSSIP   0x1u    /* devplane_broadcast() sends a
					 * deduplicated envelope (wire code
					 * `length`, reserved) */
#define DEVPLANE_PROTO_RELAY    0x2u    /* pass received broadcasts on to
					 * the other peers (implies GOSSIP) */

/*
 * A subprotocol, as geth's p2p.Protocol: name and version (negotiated
 * with each peer's Hello: the highest version both have per name), and
 * length, the number of message codes it uses (0..length-1). Copied by
 * devplane_register_protocol() (name too). Handlers (each may be NULL)
 * run on the node's thread with user:
 *   on_peer_added(p, peer, user)    peer shares this protocol; send your
 *       handshake here. Returns DEVPLANE_OK or DEVPLANE_DROP(reason).
 *   on_msg(p, peer, msg, user)      a message arrived (a gossip message
 *       once per id, from whichever peer brought it first). Returns
 *       DEVPLANE_OK, DEVPLANE_DROP(reason) or (gossip) DEVPLANE_NO_RELAY.
 *   on_peer_removed(p, peer, reason, user)   the peer is going: reason is
 *       the devp2p Disconnect reason, -1 when the connection just closed
 *       (devplane_reason_name()). Once per on_peer_added.
 * A handler must not free the node; it may send, broadcast, subscribe,
 * post, set timers, and call devplane_send_to_id() (whose callback runs
 * later).
 *
 * Gossip (Spacemesh's Broadcast): with DEVPLANE_PROTO_GOSSIP,
 * devplane_broadcast() wraps the message as [id, ttl, code, payload] in
 * wire code `length`; a receiver delivers each id once (a bounded
 * seen-cache with expiry: cfg.gossip_cache, cfg.gossip_expiry_ms) and,
 * with DEVPLANE_PROTO_RELAY, sends it on to its other peers with ttl - 1
 * while ttl > 1. gossip_ttl (1..16, 0: 6) is the hops a broadcast may
 * travel; a larger received ttl is cut to 16. Ids are not authenticated.
 */
struct devplane_proto {
	const char *name;               /* 1..16 bytes (by convention <= 8) */
	uint32_t version;
	uint16_t length;                /* 1..0xfffe message codes */
	uint32_t flags;                 /* DEVPLANE_PROTO_* */
	uint8_t gossip_ttl;
	size_t peer_state_size;         /* zeroed per-peer bytes (0: none) */
	void *user;
	int (*on_peer_added)(struct devplane_protocol *p,
			     struct devplane_peer *peer, void *user);
	int (*on_msg)(struct devplane_protocol *p, struct devplane_peer *peer,
		      const struct devplane_msg *msg, void *user);
	void (*on_peer_removed)(struct devplane_protocol *p,
				struct devplane_peer *peer, int reason,
				void *user);
};

/* devplane_register_protocol() registers def (copied) before
 * devplane_start(); our Hello lists protocols in registration order.
 * *out (may be NULL) gets the handle. Returns 0, -EINVAL (no name, name
 * over 16 bytes, length 0 or too large, gossip_ttl over 16), -EEXIST
 * (same name and version), -ENOSPC (16 protocols in all, eth's five
 * included), -EBUSY (started). */
int devplane_register_protocol(struct devplane *n,
			       struct devplane_protocol **out,
			       const struct devplane_proto *def);

/* devplane_protocol_node() is the node p is registered on. */
struct devplane *devplane_protocol_node(const struct devplane_protocol *p);

/* Gossip counters of a protocol. */
struct devplane_proto_stats {
	uint64_t gossip_in;             /* broadcasts delivered to on_msg */
	uint64_t gossip_dup;            /* seen before: dropped */
	uint64_t gossip_relayed;        /* copies passed on to peers */
	uint64_t gossip_bad;            /* malformed (the peer dropped) */
};

/* devplane_protocol_stats() fills *out. */
void devplane_protocol_stats(const struct devplane_protocol *p,
			     struct devplane_proto_stats *out);

/* devplane_send() sends message code of p to peer. Returns 0 (queued on
 * the session), -EPROTO (the peer does not run p, or is going), -EINVAL
 * (code out of range), -EMSGSIZE (over DEVPLANE_MSG_MAX), -ENOMEM; a
 * dataplane ring that is full disconnects the peer (network error). */
int devplane_send(struct devplane_protocol *p, struct devplane_peer *peer,
		  uint64_t code, const void *data, size_t len);

/* devplane_broadcast() sends message code of p to every peer running p:
 * plain, or with DEVPLANE_PROTO_GOSSIP as a new gossip message (its id
 * remembered, so it is not taken back from a peer that relays it).
 * Returns the number of peers it was queued to, or -EINVAL, -EMSGSIZE,
 * -ENOMEM. */
ssize_t devplane_broadcast(struct devplane_protocol *p, uint64_t code,
			   const void *data, size_t len);

/* Completion of devplane_send_to_id(): err 0 (sent: queued on the peer's
 * session), -EHOSTUNREACH (discovery did not find the node, it has no TCP
 * port, or the connection failed or was refused), -EPROTONOSUPPORT (the
 * peer does not run the protocol), -ETIMEDOUT (timeout_ms passed),
 * -ECANCELED (the node stopped), or a devplane_send() error. */
typedef void devplane_done_fn(void *arg, int err);

/* devplane_send_to_id() sends message code of p to the node id, as
 * Spacemesh's SendMessage: to the peer if connected; else it looks the
 * node up (its endpoint from the static nodes or the discovery table, or
 * a discovery lookup), dials it, waits until it is a peer running p and
 * sends. timeout_ms (0: DEVPLANE_SEND_TIMEOUT_MS) bounds it all. data is
 * copied. done(arg, err) runs exactly once, later, on the node's thread
 * (never inside this call). Returns 0, or -EINVAL, -EMSGSIZE, -ENOSPC
 * (DEVPLANE_SENDS_MAX pending), -ENOMEM (done will not run). */
int devplane_send_to_id(struct devplane_protocol *p,
			const uint8_t id[DEVPLANE_ID_LEN], uint64_t code,
			const void *data, size_t len, uint32_t timeout_ms,
			devplane_done_fn *done, void *arg);

/* devplane_send_to_id_wait() is devplane_send_to_id() that waits for the
 * result and returns it (0 or the -errno done would get). It waits only
 * where that cannot stall the loop: from another thread while a thread
 * runs the loop (the request is posted to it), or while nobody runs the
 * loop (the caller then drives it, like devplane_poll(), until the
 * result; other nodes on the same thread wait meanwhile). From a handler
 * or callback (the loop's own thread while it runs): -EDEADLK, nothing
 * sent. */
int devplane_send_to_id_wait(struct devplane_protocol *p,
			     const uint8_t id[DEVPLANE_ID_LEN], uint64_t code,
			     const void *data, size_t len,
			     uint32_t timeout_ms);

/* ---- peers -------------------------------------------------------------- */

/* The peer's node id (DEVPLANE_ID_LEN bytes). */
const uint8_t *devplane_peer_id(const struct devplane_peer *peer);
/* True when the peer dialed us. */
bool devplane_peer_inbound(const struct devplane_peer *peer);
/* Its client name from its Hello ("Geth/v1.17.10-stable/..."), possibly
 * "". */
const char *devplane_peer_name(const struct devplane_peer *peer);
/* p's per-peer state (def.peer_state_size zeroed bytes, freed after
 * on_peer_removed), or NULL. */
void *devplane_peer_state(const struct devplane_peer *peer,
			  const struct devplane_protocol *p);
/* devplane_peer_find() returns the connected peer with node id id, or
 * NULL; valid until the handler or loop step returns. */
struct devplane_peer *devplane_peer_find(struct devplane *n,
					 const uint8_t id[DEVPLANE_ID_LEN]);
/* devplane_reason_name() is a devp2p Disconnect reason's text, geth's
 * ("disconnect requested", "too many peers"; -1: "connection closed"). */
const char *devplane_reason_name(int reason);

/* ---- peer events -------------------------------------------------------- */

enum devplane_event_type {
	DEVPLANE_EV_ADD = 1,            /* a peer is up (in the dataplane) */
	DEVPLANE_EV_DROP,               /* a peer that was up is gone */
	DEVPLANE_EV_MSGSEND,            /* cfg.msg_events: a message sent */
	DEVPLANE_EV_MSGRECV,            /* cfg.msg_events: one received */
};

/* geth's p2p.PeerEvent; strings may be NULL; valid during the call. */
struct devplane_peer_event {
	enum devplane_event_type type;
	const uint8_t *peer;            /* node id, DEVPLANE_ID_LEN bytes */
	const char *error;              /* DROP: devplane_reason_name() */
	const char *protocol;           /* MSG*: the protocol's name */
	uint64_t msg_code;              /* MSG*: code within the protocol */
	uint32_t msg_size;              /* MSG*: payload bytes */
	const char *local, *remote;     /* "ip:port" of the connection */
};

typedef void devplane_event_fn(void *user,
			       const struct devplane_peer_event *ev);

/* devplane_subscribe() calls fn(user, ev) for every peer event from now
 * on, on the node's thread (geth's Server.SubscribeEvents; the admin
 * API's peerEvents subscription uses the same events). *out (may be
 * NULL) gets the handle. Returns 0 or -ENOMEM. */
int devplane_subscribe(struct devplane *n, struct devplane_sub **out,
		       devplane_event_fn *fn, void *user);

/* devplane_unsubscribe() stops it (from its own callback too). */
void devplane_unsubscribe(struct devplane_sub *s);

/* ---- services and their admin methods ----------------------------------- */

/*
 * A service's JSON-RPC method on the IPC socket (geth's rpc.API). name is
 * "namespace_method" (letters and digits, one underscore at least; the
 * admin, debug and rpc namespaces are the node's). params is the
 * request's params array as compact JSON text. Return 0 with *result a
 * malloc'd JSON text of one value (NULL: null), or -errno (-EINVAL: an
 * invalid-params error) with *result an optional malloc'd message. The
 * node frees *result. rpc_modules lists the namespace.
 */
typedef int devplane_method_fn(void *user, const char *params,
			       char **result);

/* devplane_admin_method() serves name. Returns 0, -EINVAL (bad name),
 * -EEXIST, -ENOSPC (64 in all). devplane_admin_method_remove() stops it:
 * 0 or -ENOENT. Any time. */
int devplane_admin_method(struct devplane *n, const char *name,
			  devplane_method_fn *fn, void *user);
int devplane_admin_method_remove(struct devplane *n, const char *name);

/*
 * A service (geth's node.Lifecycle with its protocols and APIs): what it
 * registers (protocols, admin methods) it registers itself before
 * devplane_start(); the node starts it (start, in registration order) at
 * devplane_start() and stops it (stop, in reverse order) at
 * devplane_free(). Copied; name is for logs.
 */
struct devplane_service {
	const char *name;
	int (*start)(struct devplane *n, void *user);   /* may be NULL */
	void (*stop)(struct devplane *n, void *user);   /* may be NULL */
	void *user;
};

/* devplane_register_service() adds svc before devplane_start(). Returns
 * 0, -EINVAL (no name), -EBUSY (started), -ENOSPC (16 services). */
int devplane_register_service(struct devplane *n,
			      const struct devplane_service *svc);

#endif /* CONTROL_DEVPLANE_H */
