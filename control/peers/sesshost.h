/* SPDX-License-Identifier: MIT */
/* control/peers/sesshost.h - the RLPx session host, sans-I/O: accept and dial decisions, handshake, Hello, handover to the dataplane, p2p/eth/ping over it, probes; bytes and time in, actions out. */
#ifndef CONTROL_SESSHOST_H
#define CONTROL_SESSHOST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/msg.h"
#include "common/rlpx_frame.h"
#include "common/secp.h"
#include "control/base/netutil.h"
#include "control/peers/dial.h"
#include "control/peers/server.h"
#include "control/rlpx/eth.h"
#include "control/rlpx/forkid.h"
#include "control/rlpx/p2p.h"
#include "control/rlpx/rlpxprobe.h"
#include "control/rlpx/pingproto.h"
#include "control/rlpx/rlpxconn.h"

/*
 * One connection's path (DESIGN.md, the kernel-TLS split):
 *   accept (sesshost_on_accept: netrestrict, pending cap, throttle, in
 *   control/peers/server.h) or dial (control/peers/dial.h picks the target:
 *   a DIAL action) -> RLPx handshake (control/rlpx/rlpxconn.h, 5 s) ->
 *   server_add_peer (self, duplicate, maxpeers; refused with a Disconnect)
 *   -> p2p Hello exchange in frames read here (reads stop exactly at the
 *   end of the remote's Hello frame, so no byte of the stream is taken
 *   from the dataplane) -> once p2p reports the session active and every
 *   byte we queued is written, a HANDOVER action gives the socket and the
 *   frame state to devplane-dp -> from then on p2p, eth and ping run over
 *   DP_SEND / DP_CLOSE actions and sesshost_on_dp_rx() /
 *   sesshost_on_dp_closed().
 *
 * Sans-I/O in the ngtcp2 manner: every call takes now (nanoseconds, the
 * host's clock: Unix time in devplane), nothing here touches a socket, a
 * clock or the dataplane. The host (control/host/rlpxhost.c, or a test)
 * owns the sockets and drains sesshost_next_action() after every call:
 * I/O requests (DIAL, WRITE, CLOSE, HANDOVER, DP_SEND, DP_CLOSE) and
 * events for the owner (Hello, Status, peers added and closed, probe
 * results, ...), in the order they happened.
 *
 * Connections are named by a 64-bit id chosen here (never 0), which is
 * also the p2p session id and the dataplane's session id.
 *
 * Writing: what a connection sends before the handover (auth or ack, our
 * Hello, a Disconnect) goes into its queue here; a WRITE action says a
 * queue became non-empty, and the host writes what sesshost_out() shows
 * without blocking and reports it with sesshost_out_done(), polling for
 * writability while sesshost_interest() asks for it. Queues are bounded:
 * cfg.wq_conn_max per connection and cfg.wq_total_max over all of them;
 * a connection that would pass either is counted (stats wq_over_conn,
 * wq_over_total) and closed. The handover waits until the queue is empty.
 *
 * Probe mode (the crawler's RLPx pass): the host only dials, registers
 * only eth, and for each sesshost_probe() runs the same path as a node's
 * dial. Once the remote's Status arrived (whatever its verdict) it
 * disconnects with P2P_DISC_REQUESTED; when the connection is gone it
 * emits SESSHOST_EV_PROBE with what was learnt. A probe that has not
 * finished by its timeout is disconnected (Requested) or dropped and
 * reported with -ETIMEDOUT.
 *
 * One thread owns a sesshost.
 */

#define SESSHOST_WQ_CONN_MAX  (64u << 10)       /* default per connection */
#define SESSHOST_WQ_TOTAL_MAX (4u << 20)        /* default, all of them */
#define SESSHOST_RX_MSG_MAX   (16u << 20)       /* a dataplane message */
#define SESSHOST_STATS_NS     1000000000ull     /* EV_STATS at most so often */
#define SESSHOST_DIAL_TICK_NS 1000000000ull     /* dial scheduler period */
#define SESSHOST_RETRY_NS     100000000ull      /* DP_CLOSE retry (ring full) */
#define SESSHOST_PROBE_MAX    4096              /* probes in flight */

enum sesshost_mode {
	SESSHOST_NODE = 0,              /* accept, dial, eth + ping/1 */
	SESSHOST_PROBE,                 /* dial probes only, eth only */
};

struct sesshost_cfg {
	enum sesshost_mode mode;
	const uint8_t *priv;            /* node key, 32 bytes (copied) */
	const struct forkid_chain *chain;       /* required; outlives h */
	uint16_t listen_port;           /* in our Hello (0: not listening) */
	unsigned max_peers;             /* node: --maxpeers */
	unsigned max_pending;           /* node: 0: server default */
	const struct netutil_prefix *netrestrict;       /* referenced */
	size_t n_netrestrict;
	size_t wq_conn_max;             /* 0: SESSHOST_WQ_CONN_MAX */
	size_t wq_total_max;            /* 0: SESSHOST_WQ_TOTAL_MAX */
	/* Node mode: register no protocol here; the owner registers eth
	 * (sesshost_register_eth()) and its own (sesshost_register())
	 * before the first connection. Without it, eth and ping/1 are
	 * registered at sesshost_new(). */
	bool external_protos;
	/* Emit SESSHOST_EV_MSG for every subprotocol message sent and
	 * received (geth's p2p.Config.EnableMsgEvents). */
	bool msg_events;
};

/* A TCP endpoint: IPv4-mapped or IPv6 address, host-order port. */
struct sesshost_ep {
	uint8_t ip[16];
	uint16_t port;
};

/* ---- probes: struct rlpxprobe_result, control/rlpx/rlpxprobe.h --------- */

/* ---- actions ------------------------------------------------------------ */

enum sesshost_kind {
	/* I/O the host carries out. */
	SESSHOST_A_DIAL = 1,    /* open a TCP connection to ep for conn;
				 * report with sesshost_on_connected() */
	SESSHOST_A_WRITE,       /* conn's queue became non-empty: write what
				 * sesshost_out() shows */
	SESSHOST_A_CLOSE,       /* close conn's socket after one
				 * non-blocking attempt to write data[0..len)
				 * (its last queued bytes, e.g. a Disconnect) */
	SESSHOST_A_HANDOVER,    /* give conn's socket and *frame to the
				 * dataplane (dplink_rlpx_handover, flags),
				 * then report with sesshost_on_handover()
				 * before any other call into h */
	SESSHOST_A_DP_SEND,     /* dataplane: send (code, data[0..len)) on
				 * session conn; on failure
				 * sesshost_on_dp_failed() */
	SESSHOST_A_DP_CLOSE,    /* dataplane: end session conn, sending a
				 * Disconnect with reason first unless it
				 * is MSG_RLPX_REASON_NONE; on failure
				 * sesshost_on_dp_failed() */
	/* Events for the owner (conn, id set unless said otherwise). */
	SESSHOST_EV_HELLO,      /* the remote's Hello (*hello), whatever
				 * p2p decides about it */
	SESSHOST_EV_STATUS,     /* node: an eth Status (*status) and our
				 * verdict (status_err) */
	SESSHOST_EV_PEER_ADDED, /* the session is in the dataplane */
	SESSHOST_EV_CLOSED,     /* a p2p peer ended: reason (P2P_DISC_NONE:
				 * the socket just closed), remote */
	SESSHOST_EV_REFUSED,    /* the server refused a handshaken
				 * connection: reason (self, duplicate,
				 * too many peers) */
	SESSHOST_EV_PING_ADDED, /* node: ping/1 runs with the peer; a Ping
				 * went out */
	SESSHOST_EV_PING_PONG,  /* node: ping/1 Pong: value = its id,
				 * rtt_ns */
	SESSHOST_EV_KEEPALIVE,  /* p2p sent a keepalive Ping */
	SESSHOST_EV_KEEPALIVE_PONG,     /* a p2p Pong arrived: rtt_ns since
					 * our last Ping (0: none) */
	SESSHOST_EV_PROBE,      /* probe mode: *probe finished (conn 0) */
	SESSHOST_EV_STATS,      /* counters changed (sesshost_get_stats());
				 * at most every SESSHOST_STATS_NS */
	SESSHOST_EV_DIAL_FAILED,        /* node: an outbound connection to
					 * id ended before p2p started (err:
					 * connect, handshake, refusal) */
	SESSHOST_EV_MSG,        /* cfg.msg_events: a subprotocol message of
				 * *proto (code within it, len payload
				 * bytes) was sent (sent) or received */
};

/* One action. Pointers point into the action or into h; the action is
 * valid until the next sesshost_next_action() or sesshost_free(). */
struct sesshost_action {
	enum sesshost_kind kind;
	uint64_t conn;                  /* connection / session id */
	uint8_t id[P2P_ID_LEN];         /* the remote's node id (DIAL: the
					 * one to expect) */
	bool inbound;
	struct sesshost_ep ep;          /* DIAL: where to */
	const struct rlpx_frame *frame; /* HANDOVER */
	uint32_t flags;                 /* HANDOVER: MSG_RLPX_KEYS_F_* */
	uint64_t code;                  /* DP_SEND: wire message code */
	const uint8_t *data;            /* DP_SEND payload, CLOSE bytes */
	size_t len;
	uint8_t reason;                 /* DP_CLOSE, CLOSED, REFUSED */
	bool remote;                    /* CLOSED: the remote sent it */
	uint64_t value;                 /* PING_PONG: ping id */
	uint64_t rtt_ns;                /* PING_PONG, KEEPALIVE_PONG */
	const struct p2p_hello *hello;  /* HELLO */
	const struct eth_status *status;        /* STATUS */
	enum eth_err status_err;        /* STATUS */
	const struct rlpxprobe_result *probe;       /* PROBE */
	int err;                        /* DIAL_FAILED: -errno */
	const struct p2p_proto *proto;  /* MSG (lives as long as h) */
	bool sent;                      /* MSG: outbound */
};

/* Counters. */
struct sesshost_stats {
	unsigned pending, pending_max;  /* inbound handshakes (server) */
	size_t peers;                   /* admitted by the server */
	unsigned inbound;
	uint64_t accepted;              /* server_inbound_begin() successes */
	uint64_t refused_netrestrict, refused_pending, refused_throttle;
	uint64_t refused_self, refused_dup, refused_too_many;
	uint64_t hs_ok, hs_legacy, hs_fail, hs_timeout;
	uint64_t handovers, handover_fail;
	uint64_t dials;                 /* dial scheduler starts */
	uint64_t wq_over_conn, wq_over_total;   /* queue caps hit */
	size_t wq_bytes;                /* queued now, all connections */
	uint64_t dp_rx_bad;             /* malformed dataplane messages */
	uint64_t nomem;                 /* actions lost to malloc */
	size_t conns;                   /* connections alive */
	size_t probes;                  /* probes in flight */
};

struct sesshost;

/* sesshost_new() sets up a host from cfg (copied; the key is wiped by
 * sesshost_free()). Returns 0, -EINVAL (no key, no chain, a bad key),
 * -ENOMEM. */
int sesshost_new(struct sesshost **out, const struct sesshost_cfg *cfg);

/* sesshost_free() frees h and everything left in it, without actions.
 * Run sesshost_shutdown() and drain first to close what is open. NULL is
 * a no-op. */
void sesshost_free(struct sesshost *h);

/* sesshost_shutdown() ends every connection without events: sessions in
 * the dataplane get DP_CLOSE (P2P_DISC_QUITTING), the others CLOSE;
 * probes in flight are dropped unreported. */
void sesshost_shutdown(struct sesshost *h, uint64_t now);

/* sesshost_next_action() returns the oldest pending action, or NULL. */
const struct sesshost_action *sesshost_next_action(struct sesshost *h);

/* sesshost_next_deadline() is when sesshost_tick() is due next
 * (UINT64_MAX: nothing pending). */
uint64_t sesshost_next_deadline(const struct sesshost *h);

/* sesshost_tick() runs what is due at now: handshake, connect and probe
 * timeouts, p2p timers, the dial scheduler, retries, EV_STATS. */
void sesshost_tick(struct sesshost *h, uint64_t now);

/* ---- the TCP side ------------------------------------------------------ */

/* sesshost_on_accept() decides on a connection accepted from remote
 * (local: our end, for admin_peers; may be NULL) at now. Returns 0 and
 * the connection's id in *conn (the handshake waits for the remote's
 * auth), or -ECONNREFUSED (netrestrict, pending cap or throttle: counted;
 * close the socket), -EOPNOTSUPP (probe mode), -ENOMEM. */
int sesshost_on_accept(struct sesshost *h, uint64_t *conn,
		       const struct sesshost_ep *remote,
		       const struct sesshost_ep *local, uint64_t now);

/* sesshost_on_connected() reports the outcome of a DIAL: err 0 (connected;
 * local is our end, may be NULL) or the connect's -errno (the host has
 * closed whatever socket it had: no CLOSE follows). */
void sesshost_on_connected(struct sesshost *h, uint64_t conn, int err,
			   const struct sesshost_ep *local, uint64_t now);

/* sesshost_on_bytes() hands conn the bytes buf[0..len) read at now.
 * Returns how many it consumed: the rest must stay unread (after the
 * remote's Hello the stream belongs to the dataplane; peek, then consume
 * this many). Returns -ENOENT for an unknown or closed conn. */
ssize_t sesshost_on_bytes(struct sesshost *h, uint64_t conn,
			  const uint8_t *buf, size_t len, uint64_t now);

/* sesshost_out() points *p at conn's queued bytes and returns how many
 * (0: none, or no such conn). Valid until the next call into h. */
size_t sesshost_out(const struct sesshost *h, uint64_t conn,
		    const uint8_t **p);

/* sesshost_out_done() reports that the first n bytes sesshost_out()
 * showed were written. */
void sesshost_out_done(struct sesshost *h, uint64_t conn, size_t n,
		       uint64_t now);

/* What the host should poll conn's socket for (SESSHOST_WANT_*). */
#define SESSHOST_WANT_READ  0x1u
#define SESSHOST_WANT_WRITE 0x2u
unsigned sesshost_interest(const struct sesshost *h, uint64_t conn);

/* sesshost_on_closed() reports that conn's socket failed or the remote
 * closed it (err: -errno, or -ECONNRESET for an orderly EOF). The host
 * still gets a CLOSE for it. */
void sesshost_on_closed(struct sesshost *h, uint64_t conn, int err,
			uint64_t now);

/* sesshost_on_handover() reports the outcome of a HANDOVER (err 0 or the
 * -errno of dplink_rlpx_handover(); the socket is the dataplane's or
 * closed either way). */
void sesshost_on_handover(struct sesshost *h, uint64_t conn, int err,
			  uint64_t now);

/* ---- the dataplane side -------------------------------------------------- */

/* sesshost_on_dp_rx() takes one MSG_RLPX_RX fragment (its header is read
 * once). Returns 0, -ENOENT (no such session in the dataplane), -EBADMSG
 * (data_len over MSG_RLPX_FRAG_MAX, fragment outside total_len, or
 * total_len above SESSHOST_RX_MSG_MAX: counted, dropped), -ENOMEM. */
int sesshost_on_dp_rx(struct sesshost *h, const struct msg_rlpx_data *m,
		      uint64_t now);

/* sesshost_on_dp_closed() takes a MSG_RLPX_CLOSED: the session is gone.
 * Returns 0 or -ENOENT. */
int sesshost_on_dp_closed(struct sesshost *h,
			  const struct msg_rlpx_closed *m, uint64_t now);

/* sesshost_on_dp_failed() reports that a DP_SEND or DP_CLOSE for session
 * could not be queued (err, e.g. -ENOBUFS): a failed send disconnects the
 * peer (P2P_DISC_NETWORK_ERROR), a failed close is retried after
 * SESSHOST_RETRY_NS with its reason. */
void sesshost_on_dp_failed(struct sesshost *h, enum sesshost_kind kind,
			   uint64_t session, uint8_t reason, int err,
			   uint64_t now);

/* ---- peers and dialing (node mode) ------------------------------------- */

/* sesshost_add_trusted() lets id past max_peers. Returns 0, -EEXIST,
 * -ENOSPC. */
int sesshost_add_trusted(struct sesshost *h, const uint8_t id[P2P_ID_LEN]);

/* sesshost_remove_trusted() takes id out of the trusted set (a connected
 * peer stays). Returns 0 or -ENOENT. */
int sesshost_remove_trusted(struct sesshost *h, const uint8_t id[P2P_ID_LEN]);

/* sesshost_register() (cfg.external_protos) registers a subprotocol in
 * the p2p host; proto must outlive h. Returns 0, -EBUSY (a connection
 * exists already), -EOPNOTSUPP (probe mode), or p2p_register()'s
 * errors. */
int sesshost_register(struct sesshost *h, const struct p2p_proto *proto);

/* sesshost_register_eth() (cfg.external_protos) registers eth/72 down to
 * eth/68 for cfg.chain. Returns 0, -EEXIST (registered already), -EBUSY,
 * or p2p_register()'s errors. */
int sesshost_register_eth(struct sesshost *h);

/* sesshost_eth_registered() tells whether eth runs with peers. */
bool sesshost_eth_registered(const struct sesshost *h);

/* sesshost_set_head() moves eth's local head (eth_set_head(), control/
 * rlpx/eth.h): the fork id of new peers' Status and of eth_enr_entry(),
 * the block range, and a BlockRangeUpdate to every eth/69+ peer when the
 * head moved back or ETH_RANGE_UPDATE_STEP blocks or more forward since
 * the last one (queued as DP_SEND actions). hash NULL or all-zero means
 * the genesis and is allowed for block 0 only. Returns the number of
 * peers the update went to, -EINVAL (a zero hash above block 0; nothing
 * changed) or -EPROTO (eth is not registered). */
int sesshost_set_head(struct sesshost *h, uint64_t block, uint64_t time,
		      const uint8_t hash[ETH_HASH_LEN], uint64_t now);

/* sesshost_dial() (node mode) dials id at ip:tcp once, now, beside the
 * dial scheduler (not kept, not redialed; DIAL_TIMEOUT_NS to connect).
 * Returns 0 (a DIAL action follows; a connection that ends before p2p
 * started is reported with EV_DIAL_FAILED), -EISCONN (a peer with that
 * id is connected), -EALREADY (a connection to or from id is being set
 * up), -EPERM (outside --netrestrict), -EINVAL (our own id, port 0),
 * -EOPNOTSUPP (probe mode), -ENOMEM. */
int sesshost_dial(struct sesshost *h, const uint8_t id[P2P_ID_LEN],
		  const uint8_t ip[16], uint16_t tcp, uint64_t now);

/* sesshost_find_peer() returns the p2p peer of a connection with remote
 * id whose p2p session started (Hello sent), or NULL. Valid until the
 * next call into h. */
struct p2p_peer *sesshost_find_peer(const struct sesshost *h,
				    const uint8_t id[P2P_ID_LEN]);

/* sesshost_add_static() adds a node dialed and kept (first dial on the
 * next tick). Returns 0 (also when it was static already), -EPERM
 * (outside --netrestrict), -EINVAL (our own id, port 0), -ENOSPC. */
int sesshost_add_static(struct sesshost *h, const uint8_t id[P2P_ID_LEN],
			const uint8_t ip[16], uint16_t tcp);

/* sesshost_static_ep() tells whether id is a static node, with its
 * endpoint. */
bool sesshost_static_ep(const struct sesshost *h, const uint8_t id[P2P_ID_LEN],
			uint8_t ip[16], uint16_t *tcp);

/* sesshost_remove_peer() drops id from the static set and disconnects it
 * (Requested) if connected or being dialed. Returns 0. */
int sesshost_remove_peer(struct sesshost *h, const uint8_t id[P2P_ID_LEN],
			 uint64_t now);

/* sesshost_dial_free_slots() is how many dials could start now. */
unsigned sesshost_dial_free_slots(const struct sesshost *h);

/* sesshost_add_candidate() queues a discovered node for dialing unless
 * netrestrict forbids it, it is connected, dialed recently, or has no
 * port. Returns true when queued. */
bool sesshost_add_candidate(struct sesshost *h, const uint8_t id[P2P_ID_LEN],
			    const uint8_t ip[16], uint16_t tcp, uint64_t now);

/* One admitted peer in the dataplane, for admin_peers. Pointers are valid
 * during the callback. */
struct sesshost_peer_info {
	uint8_t pub[P2P_ID_LEN];
	const struct p2p_hello *hello;
	const struct p2p_shared *shared;
	size_t n_shared;
	struct sesshost_ep local, remote;
	bool inbound, trusted, is_static;
};
typedef void sesshost_peer_fn(void *ctx, const struct sesshost_peer_info *p);

/* sesshost_peers() calls fn for every peer whose session is in the
 * dataplane and whose Hello arrived. */
void sesshost_peers(const struct sesshost *h, sesshost_peer_fn *fn,
		    void *ctx);

/* sesshost_peer() fills *out for connection conn (any state after the
 * handshake; hello NULL before it arrived). Pointers are valid until the
 * next call into h. Returns 0 or -ENOENT. */
int sesshost_peer(const struct sesshost *h, uint64_t conn,
		  struct sesshost_peer_info *out);

/* ---- probes -------------------------------------------------------------- */

/* sesshost_probe() (probe mode) dials pub at ip:tcp. Returns 0 (an
 * EV_PROBE follows, perhaps after the DIAL fails at once), or -EINVAL (no
 * port), -EEXIST (a probe of pub is in flight), -ENOSPC
 * (SESSHOST_PROBE_MAX), -EOPNOTSUPP (node mode), -ENOMEM. */
int sesshost_probe(struct sesshost *h, const uint8_t pub[P2P_ID_LEN],
		   const uint8_t ip[16], uint16_t tcp, uint64_t timeout_ns,
		   uint64_t now);

/* ---- accessors ----------------------------------------------------------- */

/* sesshost_get_stats() fills *st. */
void sesshost_get_stats(const struct sesshost *h, struct sesshost_stats *st);

/* sesshost_pub() is our 64-byte node id. */
const uint8_t *sesshost_pub(const struct sesshost *h);

/* sesshost_eth() is the eth protocol state (our Status, fork id). */
const struct eth *sesshost_eth(const struct sesshost *h);

/* sesshost_p2p() is the p2p host (tests, diagnostics). */
struct p2p_host *sesshost_p2p(const struct sesshost *h);

/* ---- internals ------------------------------------------------------------
 * Shared by control/peers/sesshost.c (connections, the TCP and dataplane
 * sides, timers) and control/peers/sesshost_p2p.c (p2p ops, eth and ping,
 * probes, peers and dialing). Nothing else may use them. */

enum sesshost_conn_state {
	SESSHOST_CONNECTING,            /* DIAL out, on_connected due */
	SESSHOST_HANDSHAKE,
	SESSHOST_HELLO,                 /* p2p started; frames read here */
	SESSHOST_HANDOVER,              /* HANDOVER out, on_handover due */
	SESSHOST_HANDED,                /* the dataplane's */
};

struct sesshost_act {
	struct sesshost_act *next;
	struct sesshost_action a;
	uint8_t data[];                 /* copies the action points to */
};

struct sesshost_actq {
	struct sesshost_act *head, **tail;
};

struct sesshost_conn {
	struct sesshost_conn *next;
	uint64_t id;
	enum sesshost_conn_state st;
	bool inbound, pending_slot, dialing, in_server, p2p_started;
	bool dead;                      /* reap: CLOSE, tell p2p, free */
	bool io_gone;                   /* no socket of ours left to close */
	bool drop_out;                  /* a cap hit: queued bytes dropped */
	bool handover_due;              /* active; waits for the queue */
	bool snappy;
	bool close_retry, probe_quit;
	uint8_t close_reason;
	uint64_t retry_at;
	struct sesshost_ep ep, local;
	uint8_t remote[P2P_ID_LEN];
	uint64_t deadline;              /* CONNECTING: connect timeout */
	struct rlpxconn rc;
	size_t wq_counted;              /* of rc's queue, in h->wq_total */
	struct sesshost_actq held;      /* DP actions until the HANDOVER */
	uint8_t *asm_buf;               /* MSG_RLPX_RX reassembly */
	size_t asm_cap;
	uint64_t ping_sent;             /* our last keepalive Ping */
	struct rlpxprobe_result *pr;        /* probe: being learnt */
	int err;                        /* first failure seen */
	uint64_t probe_deadline;
};

struct sesshost {
	struct sesshost_cfg cfg;
	uint8_t priv[SECP_PRIV_LEN], pub[P2P_ID_LEN];
	struct p2p_host *p2p;
	struct server srv;
	struct dial dl;
	struct eth eth;
	struct pingproto pp;
	bool srv_ok, dl_ok;
	bool eth_on;                    /* eth registered */
	bool quiet;                     /* shutting down: no events */
	uint64_t next_id, ping_seq;
	uint64_t now;                   /* of the call in progress */
	struct sesshost_conn *list;
	struct sesshost_conn *reaping;  /* unlinked, in p2p_peer_closed() */
	struct sesshost_actq q;
	struct sesshost_act *cur;       /* returned by next_action */
	uint64_t next_dial, next_stats;
	bool stats_dirty;
	size_t wq_total, probes;
	struct sesshost_stats st;
};

/* sesshost.c */
struct sesshost_action *sesshost_act_add(struct sesshost *h,
					 struct sesshost_actq *q,
					 enum sesshost_kind kind,
					 const struct sesshost_conn *c,
					 size_t extra);
struct sesshost_action *sesshost_push(struct sesshost *h,
				      enum sesshost_kind kind,
				      const struct sesshost_conn *c,
				      size_t extra);
void *sesshost_act_data(struct sesshost_action *a);
struct sesshost_conn *sesshost_conn_find(const struct sesshost *h,
					 uint64_t id);
struct sesshost_conn *sesshost_conn_new(struct sesshost *h, bool inbound,
					const uint8_t ip[16], uint16_t port);
void sesshost_wq_sync(struct sesshost *h, struct sesshost_conn *c);
void sesshost_handover(struct sesshost *h, struct sesshost_conn *c);
void sesshost_reap(struct sesshost *h, uint64_t now);

/* sesshost_p2p.c */
int sesshost_protos_init(struct sesshost *h);
void sesshost_probe_report(struct sesshost *h, struct sesshost_conn *c,
			   uint64_t now);
void sesshost_probe_expire(struct sesshost *h, struct sesshost_conn *c,
			   uint64_t now);

/* Ends a connection; sesshost_reap() does the rest at the end of the
 * call. */
static inline void sesshost_conn_fail(struct sesshost_conn *c, int err)
{
	if (!c->err)
		c->err = err;
	c->dead = true;
}

#endif /* CONTROL_SESSHOST_H */
