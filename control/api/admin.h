/* SPDX-License-Identifier: MIT */
/* control/api/admin.h - the admin API: geth's admin_* methods over JSON-RPC 2.0, sans-I/O. */
#ifndef CONTROL_ADMIN_H
#define CONTROL_ADMIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/enode.h"
#include "common/enr.h"
#include "control/discv4/kad.h"
#include "control/rlpx/p2p.h"

/*
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification) as geth serves it on
 * its IPC endpoint: a stream of JSON values, one request object or one batch
 * array each, separated by optional whitespace (newline-delimited or plain
 * concatenated). Every response is one line of compact JSON ending in '\n'.
 *
 * Methods, with geth's result shapes (p2p/server.go NodeInfo / PeerInfo,
 * eth/protocols/eth NodeInfo / PeerInfo):
 *   admin_nodeInfo    {id, name, enode, enr, ip, ports{discovery, listener},
 *                      listenAddr, protocols{eth{network, genesis, head}}}
 *   admin_peers       [{enode, id, name, caps, network{localAddress,
 *                      remoteAddress, inbound, trusted, static},
 *                      protocols{NAME{version}}}]
 *   admin_addPeer     [url] -> true (added to the static set and dialed)
 *   admin_removePeer  [url] -> true (removed from it and disconnected)
 *   admin_addTrustedPeer    [url] -> true (admitted beyond maxpeers)
 *   admin_removeTrustedPeer [url] -> true (no longer; stays connected)
 *   admin_subscribe   ["peerEvents"] -> a subscription id ("0x" + up to 32
 *                      hex digits, geth's rpc.ID); then notifications on
 *                      the same connection, geth's shape (rpc/
 *                      subscription.go, p2p/peer.go PeerEvent):
 *                      {"jsonrpc":"2.0","method":"admin_subscription",
 *                       "params":{"subscription":ID,"result":{"type":
 *                       "add"|"drop"|"msgsend"|"msgrecv","peer":NODE_ID,
 *                       "error":..,"protocol":..,"msg_code":..,
 *                       "msg_size":..,"local":..,"remote":..}}} (the
 *                      optional fields omitted when empty, as geth's
 *                      omitempty); only on a stream (admin_stream_*):
 *                      admin_handle() answers -32601 "notifications not
 *                      supported", as geth over HTTP
 *   admin_unsubscribe [id] -> true, or -32000 "subscription not found"
 *                      (only the connection that subscribed can)
 *   rpc_modules       {"admin":"1.0","rpc":"1.0",...}: the namespaces
 *                      served (geth attach asks for it first)
 *   NS_METHOD         a service's method (struct admin_methods)
 *   debug_discoveryV4Table  the discv4 table, geth's p2pDebugAPI shape
 *                      (node/api.go, discover.BucketNode): one array per
 *                      bucket (KAD_N_BUCKETS) of {node, addedToTable,
 *                      addedToBucket, checks, live}; node is the enode URL
 *                      (geth prints that too for a record it holds
 *                      unsigned; ours holds no records), the times are
 *                      RFC 3339 UTC with nanoseconds as Go writes them;
 *                      null without discovery
 * url is an enode:// URL or an "enr:" record. A method whose provider hook
 * is NULL does not exist (-32601; with the provider's no_peers text added
 * for the peer methods: the bootnode has no RLPx peers).
 *
 * Errors: -32700 parse error, -32600 invalid request, -32601 method not
 * found, -32602 invalid params (wrong count or type, an unparsable url),
 * -32000 the provider failed (its -errno as text). A request without "id"
 * is a notification: it runs but gets no response. A batch answers in
 * request order; an empty batch is one -32600 error.
 *
 * No I/O, no clock, no globals; the provider's hooks run inside
 * admin_handle() on the caller's thread.
 */

#define ADMIN_NAME_MAX      256         /* client name incl. NUL */
#define ADMIN_IN_MAX        (1u << 20)  /* bytes one request may take */
/* Per connection: requests are answered while less than ADMIN_OUT_HIGH
 * bytes of answers wait to be read, and no more than ADMIN_IN_MAX +
 * ADMIN_IN_SLACK bytes of requests wait to be answered; the transport
 * stops reading in between. A client that writes and never reads holds at
 * most about 3 MiB. */
#define ADMIN_OUT_HIGH      (1u << 20)
#define ADMIN_IN_SLACK      (1u << 20)
#define ADMIN_MAX_BATCH     100         /* geth's BatchRequestLimit */
/* Subscriptions: at most ADMIN_SUBS_MAX per connection. A notification is
 * queued only while the connection's unsent output stays within
 * ADMIN_NOTIFY_MAX; a subscriber that falls further behind loses the
 * subscription (counted in subs_dropped), so a slow reader holds at most
 * that much. */
#define ADMIN_SUBS_MAX      16
#define ADMIN_NOTIFY_MAX    (1u << 20)
#define ADMIN_SUB_ID_MAX    35          /* "0x" + 32 hex digits + NUL */
/* Services' methods (struct admin_methods). */
#define ADMIN_METHODS_MAX   64
#define ADMIN_METHOD_NAME_MAX 64

#define ADMIN_ERR_PARSE     (-32700)
#define ADMIN_ERR_REQUEST   (-32600)
#define ADMIN_ERR_METHOD    (-32601)
#define ADMIN_ERR_PARAMS    (-32602)
#define ADMIN_ERR_SERVER    (-32000)

/* What admin_nodeInfo reports. ip/listen_ip are IPv4-mapped or IPv6. */
struct admin_node_info {
	uint8_t pub[ENODE_PUB_LEN];     /* id = keccak256(pub), hex */
	char name[ADMIN_NAME_MAX];      /* our client id */
	char enode[ENODE_URL_MAX + 1];
	char enr[ENR_TEXT_MAX];         /* "enr:..." */
	uint8_t ip[16];
	uint16_t discovery;             /* UDP port (0: discovery off) */
	uint16_t listener;              /* TCP port */
	uint8_t listen_ip[16];          /* bound address: listenAddr */
	uint16_t listen_port;
	bool has_eth;                   /* protocols.eth present */
	uint64_t network;
	uint8_t genesis[32];
	uint8_t head[32];
};

/* One connected peer for admin_peers (pointers valid during the emit). */
struct admin_peer_info {
	uint8_t pub[ENODE_PUB_LEN];
	const struct p2p_hello *hello;  /* name, caps; NULL: before Hello */
	const struct p2p_shared *shared;        /* running protocols */
	size_t n_shared;
	uint8_t local_ip[16];
	uint16_t local_port;
	uint8_t remote_ip[16];
	uint16_t remote_port;
	bool inbound, trusted, is_static;
};

/* Called by the provider's peers hook once per peer. */
typedef void admin_peer_emit_fn(void *ctx, const struct admin_peer_info *p);

/*
 * A service's method (C API: control/api/devplane.h). params is the
 * request's "params" as compact JSON text (an array; "[]" when absent),
 * NUL-terminated. Returns 0 with *result a malloc'd JSON text of one value
 * (NULL: null), which admin frees; or -errno: -EINVAL answers -32602, any
 * other -32000, with *result (malloc'd, may stay NULL) as the message
 * instead of strerror. Runs inside admin_handle() on its thread.
 */
typedef int admin_method_fn(void *user, const char *params, char **result);

struct admin_method {
	char name[ADMIN_METHOD_NAME_MAX];
	admin_method_fn *fn;
	void *user;
};

/* The services' methods, owned by the host; the provider points at it. */
struct admin_methods {
	struct admin_method m[ADMIN_METHODS_MAX];
	size_t n;
};

/* admin_methods_add() adds name ("namespace_method": letters and digits,
 * an underscore, then letters, digits and underscores; the admin, debug
 * and rpc namespaces are ours). Returns 0, -EINVAL (bad name, no fn),
 * -EEXIST, -ENOSPC (ADMIN_METHODS_MAX). */
int admin_methods_add(struct admin_methods *ms, const char *name,
		      admin_method_fn *fn, void *user);

/* admin_methods_remove() removes name. Returns 0 or -ENOENT. */
int admin_methods_remove(struct admin_methods *ms, const char *name);

/* A peer event (geth's p2p.PeerEvent); strings may be NULL (omitted). */
struct admin_peer_event {
	const char *type;               /* "add" "drop" "msgsend" "msgrecv" */
	uint8_t pub[ENODE_PUB_LEN];     /* peer: keccak256(pub), hex */
	const char *error;              /* drop: why */
	const char *protocol;           /* msg events */
	bool has_msg;                   /* msg_code and msg_size present */
	uint64_t msg_code;              /* within the protocol */
	uint32_t msg_size;              /* payload bytes */
	const char *local, *remote;     /* "ip:port" */
};

/* admin_peer_event_json() formats ev as geth's PeerEvent JSON object.
 * Returns a malloc'd NUL-terminated text (length in *len), or NULL (no
 * memory). */
char *admin_peer_event_json(const struct admin_peer_event *ev, size_t *len);

/*
 * The node's side. Each hook may be NULL (the method then does not
 * exist). node_info fills *out (zeroed before the call) and returns 0 or
 * -errno. peers calls emit(ctx, ...) for every peer. add_peer and
 * remove_peer get a parsed node (IP host; a DNS name is refused before)
 * and return 0 or -errno (reported as -32000).
 */
struct admin_provider {
	void *user;
	int (*node_info)(void *user, struct admin_node_info *out);
	void (*peers)(void *user, admin_peer_emit_fn *emit, void *ctx);
	int (*add_peer)(void *user, const struct enode *e);
	int (*remove_peer)(void *user, const struct enode *e);
	/* The discv4 table (times in its entries: Unix ns), or NULL when
	 * discovery is off. */
	const struct kad_table *(*discv4_table)(void *user);
	/* The discv5 table, served as debug_discoveryV5Table (devplane's
	 * own: debug_discoveryV4Table's shape, "node" an enode URL,
	 * "checks", "live", no times), or NULL when discv5 is off. */
	const struct kad_table *(*discv5_table)(void *user);
	/* The trusted set (0 or -errno, as add_peer). */
	int (*add_trusted)(void *user, const struct enode *e);
	int (*remove_trusted)(void *user, const struct enode *e);
	/* admin_subscribe ["peerEvents"] is served (the host then feeds
	 * admin_stream_notify()). */
	bool peer_events;
	/* Why the peer methods (admin_peers, add/remove(Trusted)Peer,
	 * peerEvents) do not exist here, added to their -32601 message;
	 * NULL: nothing added. */
	const char *no_peers;
	/* Fills buf[0..len) with random bytes (subscription ids); NULL: ids
	 * from a counter. */
	void (*random)(void *user, uint8_t *buf, size_t len);
	/* Services' methods (NULL: none); read at every request. */
	const struct admin_methods *ext;
};

/* admin_frame() finds the first JSON value in buf[0..len): leading
 * whitespace is skipped; an object or array is scanned to its closing
 * bracket (strings and escapes honoured). Returns the bytes up to and
 * including the value's end (> 0), 0 when it is incomplete (or buf is
 * only whitespace: *skip then says how much may be dropped), or -EBADMSG
 * when the value is not an object or array or the brackets do not match.
 * skip may be NULL. */
ssize_t admin_frame(const char *buf, size_t len, size_t *skip);

/* admin_handle() answers one JSON text req[0..len) (an object or a
 * batch). Returns a malloc'd, NUL-terminated response line ending in
 * '\n' with *out_len set, or NULL with *out_len 0 when nothing is to be
 * sent (notifications only) or memory ran out. */
char *admin_handle(const struct admin_provider *p, const char *req,
		   size_t len, size_t *out_len);

/*
 * Per-connection buffering for a stream transport: bytes in, response
 * bytes out. The transport appends what it reads with admin_stream_feed(),
 * writes admin_stream_out() and reports what it wrote with
 * admin_stream_written(). After a parse error (the stream cannot be
 * resynchronised) the error response is queued and admin_stream_closing()
 * turns true: close once the output is flushed.
 */
enum admin_sub_kind {
	ADMIN_SUB_PEER_EVENTS = 1,      /* admin_subscribe ["peerEvents"] */
};

struct admin_sub {
	char id[ADMIN_SUB_ID_MAX];
	enum admin_sub_kind kind;
};

struct admin_stream {
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	bool closing;
	uint64_t answered;              /* requests answered */
	uint64_t over_cap;              /* closed for going over a cap */
	struct admin_sub subs[ADMIN_SUBS_MAX];
	size_t n_subs;
	uint64_t sub_seq;               /* ids without provider randomness */
	uint64_t notified;              /* notifications queued */
	uint64_t subs_dropped;          /* subscriptions dropped: too slow */
};

/* admin_stream_init() / admin_stream_fini() (frees the buffers). */
void admin_stream_init(struct admin_stream *s);
void admin_stream_fini(struct admin_stream *s);

/* admin_stream_feed() appends buf[0..len) and answers the complete
 * requests in it while the pending output is under ADMIN_OUT_HIGH (the
 * rest wait for admin_stream_pump()). Returns 0, -EBADMSG (parse error
 * answered: closing), -EMSGSIZE (a request over ADMIN_IN_MAX, or more
 * than ADMIN_IN_MAX + ADMIN_IN_SLACK waiting: closing, nothing answered)
 * or -ENOMEM. Input after closing is ignored. */
int admin_stream_feed(struct admin_stream *s, const struct admin_provider *p,
		      const char *buf, size_t len);

/* admin_stream_pump() answers waiting requests after output was written
 * (admin_stream_written()). Same returns as admin_stream_feed(). */
int admin_stream_pump(struct admin_stream *s, const struct admin_provider *p);

/* admin_stream_wants_input() is true while the transport should read:
 * not closing, output and input under their marks. */
bool admin_stream_wants_input(const struct admin_stream *s);

/* admin_stream_out() points *data at the unsent output and returns its
 * length (0: nothing pending). */
size_t admin_stream_out(const struct admin_stream *s, const char **data);

/* admin_stream_written() drops n sent bytes from the output. */
void admin_stream_written(struct admin_stream *s, size_t n);

/* admin_stream_closing() tells whether the transport should close once
 * the output is flushed. */
bool admin_stream_closing(const struct admin_stream *s);

/* admin_stream_has_sub() tells whether s holds a subscription of kind. */
bool admin_stream_has_sub(const struct admin_stream *s,
			  enum admin_sub_kind kind);

/* admin_stream_notify() queues one notification with result (JSON text
 * of one value, result[0..len)) for every subscription of kind on s. A
 * subscription whose notification would take the unsent output past
 * ADMIN_NOTIFY_MAX is dropped instead (subs_dropped). Nothing is queued
 * on a closing stream. Returns how many were queued, or -ENOMEM. */
int admin_stream_notify(struct admin_stream *s, enum admin_sub_kind kind,
			const char *result, size_t len);

/* admin_format_addr() writes "a.b.c.d:port" (IPv4-mapped) or
 * "[v6]:port" to out[0..cap). Returns the length or -EMSGSIZE. */
ssize_t admin_format_addr(char *out, size_t cap, const uint8_t ip[16],
			  uint16_t port);

#endif /* CONTROL_ADMIN_H */
