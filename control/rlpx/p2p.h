/* SPDX-License-Identifier: MIT */
/* control/rlpx/p2p.h - devp2p base protocol (Hello, Disconnect, Ping/Pong), capability negotiation, subprotocol API. */
#ifndef CONTROL_P2P_H
#define CONTROL_P2P_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Two layers.
 *
 * 1. Codecs (pure, no allocation, any thread): Hello, Disconnect, Ping and
 *    Pong payloads (rlpx.md, "p2p" Capability) and capability negotiation
 *    (rlpx.md, Message ID-based Multiplexing).
 *
 * 2. The host (struct p2p_host): the per-peer session logic after the RLPx
 *    handshake, sans-I/O. Messages are plain RLP payloads with a message
 *    code: the frame engine (dataplane/) or the handshake code does framing,
 *    MACs and snappy; the host sees (session, code, payload) and emits the
 *    same through its ops. Every call takes now_ns (any monotonic origin,
 *    nanoseconds); the host never reads a clock or touches a socket. One
 *    thread owns a host and everything registered in it.
 *
 * Peer lifecycle (one struct p2p_peer per session):
 *
 *   p2p_peer_start()     our Hello is sent; state HELLO_SENT; a 5 s
 *                        deadline for the remote's Hello starts.
 *   Hello received       checked (identity, shared caps); ops.on_hello
 *                        fires with the decoded Hello whatever the outcome
 *                        (the crawler records it). If usable: state ACTIVE,
 *                        ops.on_active reports the snappy flag (negotiated
 *                        p2p version >= 5: the frame engine must compress
 *                        every later message both ways), then each shared
 *                        protocol's on_peer_added runs, in offset order.
 *   ACTIVE               Ping every 15 s; a peer silent for 30 s is
 *                        disconnected with P2P_DISC_READ_TIMEOUT.
 *   p2p_disconnect()     (or a rule above) sends Disconnect [reason], fires
 *                        on_peer_dropped for every protocol that saw
 *                        on_peer_added, then waits 2 s (rlpx.md: give the
 *                        peer a chance to close first) and calls ops.close.
 *   Disconnect received  on_peer_dropped, then ops.close at once.
 *   p2p_peer_closed()    the socket went away (reported by the dataplane):
 *                        on_peer_dropped if not yet, and the peer is freed.
 *                        Also call it after ops.close has run: the host
 *                        frees the peer only there, so the session id can
 *                        not be reused while the socket is still closing.
 *
 * ops.on_closed fires exactly once per started peer, from p2p_peer_closed(),
 * with the reason we sent or received (P2P_DISC_NONE if the socket just
 * closed) and whether the remote sent it.
 *
 * Message codes: 0x00-0x0f belong to p2p; codes 0x04-0x0f are ignored
 * (geth does the same). Shared capabilities take consecutive id ranges
 * from 0x10 (P2P_BASE_OFFSET) in name order, each as long as its
 * registered `length`. A code no shared capability covers is a breach of
 * protocol (Disconnect 0x02).
 */

#define P2P_VERSION          5          /* our p2p protocol version */
#define P2P_SNAPPY_VERSION   5          /* EIP-706: snappy from version 5 */
#define P2P_BASE_OFFSET      0x10       /* first subprotocol message id */

#define P2P_MSG_HELLO        0x00
#define P2P_MSG_DISCONNECT   0x01
#define P2P_MSG_PING         0x02
#define P2P_MSG_PONG         0x03

#define P2P_ID_LEN           64         /* secp256k1 public key, x || y */
#define P2P_CAP_NAME_MAX     16         /* longest cap name kept (spec: 8) */
#define P2P_MAX_CAPS         32         /* caps kept from a Hello */
#define P2P_CLIENT_ID_MAX    255        /* client id bytes kept */
#define P2P_MAX_PROTOS       16         /* protocols registered in a host */

/* Timers (geth p2p/peer.go, p2p/server.go, rlpx.md). */
#define P2P_PING_INTERVAL_NS   (15ull * 1000000000ull)
#define P2P_READ_TIMEOUT_NS    (30ull * 1000000000ull)  /* idle peer */
#define P2P_HELLO_TIMEOUT_NS   (5ull * 1000000000ull)
#define P2P_DISC_GRACE_NS      (2ull * 1000000000ull)

/* Disconnect reasons (rlpx.md, Disconnect). */
enum p2p_disc_reason {
	P2P_DISC_REQUESTED = 0x00,
	P2P_DISC_NETWORK_ERROR = 0x01,
	P2P_DISC_PROTOCOL_ERROR = 0x02,         /* breach of protocol */
	P2P_DISC_USELESS_PEER = 0x03,
	P2P_DISC_TOO_MANY_PEERS = 0x04,
	P2P_DISC_ALREADY_CONNECTED = 0x05,
	P2P_DISC_INCOMPATIBLE_VERSION = 0x06,
	P2P_DISC_INVALID_IDENTITY = 0x07,       /* null node identity */
	P2P_DISC_QUITTING = 0x08,
	P2P_DISC_UNEXPECTED_IDENTITY = 0x09,
	P2P_DISC_SELF = 0x0a,
	P2P_DISC_READ_TIMEOUT = 0x0b,           /* ping timeout */
	P2P_DISC_SUBPROTOCOL_ERROR = 0x10,
	P2P_DISC_INVALID = 0xfe,                /* undecodable Disconnect */
	P2P_DISC_NONE = 0xff,                   /* no Disconnect seen */
};

/* p2p_disc_reason_name() returns a static lower-case description of a
 * reason ("useless peer"), or "unknown" for a value not in the table. */
const char *p2p_disc_reason_name(unsigned reason);

/* ------------------------------------------------------------------ */
/* Codecs                                                              */

struct p2p_cap {
	char name[P2P_CAP_NAME_MAX + 1];        /* NUL-terminated */
	uint32_t version;
};

struct p2p_hello {
	uint64_t version;                       /* p2p protocol version */
	char client_id[P2P_CLIENT_ID_MAX + 1];  /* NUL-terminated, truncated */
	size_t client_id_len;                   /* bytes kept */
	struct p2p_cap caps[P2P_MAX_CAPS];
	size_t n_caps;
	uint64_t listen_port;
	uint8_t id[P2P_ID_LEN];
	bool truncated;         /* client id cut, or caps dropped (over
				 * P2P_MAX_CAPS, a name over
				 * P2P_CAP_NAME_MAX bytes or with a NUL) */
};

/* p2p_platform() returns the static "GOOS-GOARCH" pair of the target this
 * build was compiled for, in Go's names as geth writes them ("linux-amd64",
 * "linux-arm64", "linux-386", "linux-arm", "linux-riscv64", "darwin-arm64";
 * "unknown" for a part the compiler's macros do not tell). */
const char *p2p_platform(void);

/* p2p_client_id() writes our client id "devplane/v<DEVPLANE_VERSION>/
 * <p2p_platform()>/<compiler>" (e.g. "devplane/v0.1.0/linux-amd64/
 * gcc12.2.0") to out[0..cap), NUL-terminated. Returns its length (snprintf
 * semantics). */
int p2p_client_id(char *out, size_t cap);

/* p2p_hello_encode() writes the Hello payload [version, clientId,
 * [[name, version], ...], listenPort, id] to out[0..cap). Returns bytes
 * written, or -EMSGSIZE (out too small), -EINVAL (n_caps too large). */
ssize_t p2p_hello_encode(uint8_t *out, size_t cap, const struct p2p_hello *h);

/* p2p_hello_decode() decodes a Hello payload from buf[0..len). Elements
 * after id are ignored (rlpx.md: future versions may add some), and so is
 * trailing data in a cap entry. The id must be 64 bytes, every cap a list
 * [name: B, version: P]. Returns bytes consumed (the outer list) or
 * -EBADMSG (malformed), -EMSGSIZE (truncated). */
ssize_t p2p_hello_decode(struct p2p_hello *out, const uint8_t *buf,
			 size_t len);

/* p2p_disconnect_encode() writes the Disconnect payload in list form
 * [reason] (what geth sends). Returns bytes written or -EMSGSIZE. */
ssize_t p2p_disconnect_encode(uint8_t *out, size_t cap, uint8_t reason);

/* p2p_disconnect_decode() reads the reason from a Disconnect payload in
 * either form: the list [reason] or a bare integer (legacy geth and
 * others; the byte 0x00 is accepted as reason 0). Returns bytes consumed,
 * or -EBADMSG (empty list, non-integer, reason > 255, malformed RLP),
 * -EMSGSIZE (truncated). */
ssize_t p2p_disconnect_decode(uint8_t *reason, const uint8_t *buf,
			      size_t len);

/* p2p_ping_encode() writes the empty list (Ping and Pong payload, 0xc0).
 * Returns 1 or -EMSGSIZE. */
ssize_t p2p_ping_encode(uint8_t *out, size_t cap);

/* ------------------------------------------------------------------ */
/* Subprotocol API                                                     */

struct p2p_host;
struct p2p_peer;

/*
 * A subprotocol ("capability"): name (<= 8 ASCII chars by convention,
 * case-sensitive), version, and how many message ids it uses (its codes are
 * 0..length-1 on the API; the host adds and removes the offset). Register
 * one struct per version: eth/68 and eth/72 are two protocols with the same
 * name, and negotiation picks the highest version both sides have.
 *
 * The struct is caller-owned and must outlive the host; the host keeps the
 * pointer. Every handler runs on the host's thread, with the now_ns of the
 * call that triggered it, and may call p2p_send(), p2p_broadcast() and
 * p2p_peer_state(). on_peer_added and on_msg return 0 to keep the peer or
 * P2P_DROP(reason) (enum p2p_disc_reason, 0x00 included) to have the host
 * disconnect it; handlers must not call p2p_disconnect() on the peer they
 * are running for.
 *
 *   on_peer_added(proto, peer, now)     the peer shares this protocol and
 *       its Hello was accepted; send your handshake (eth Status) here.
 *       Returns 0 or P2P_DROP(reason). May be NULL.
 *   on_msg(proto, peer, code, payload, len, now)   a message with code
 *       0 <= code < length arrived. payload is valid during the call only.
 *       Returns 0 or P2P_DROP(reason). May be NULL (messages dropped).
 *   on_peer_dropped(proto, peer, reason, now)   the peer is going away
 *       (reason as in ops.on_closed). Fires once, for every peer that saw
 *       on_peer_added, before the peer's state is freed. May be NULL.
 *
 * peer_state_size: bytes of zeroed per-peer state the host allocates when
 * the protocol is added to a peer and frees after on_peer_dropped;
 * p2p_peer_state() returns it. 0 for none.
 */
struct p2p_proto {
	const char *name;
	uint32_t version;
	uint16_t length;
	size_t peer_state_size;
	void *user;                     /* for the handlers */
	int (*on_peer_added)(const struct p2p_proto *proto,
			     struct p2p_peer *peer, uint64_t now_ns);
	int (*on_msg)(const struct p2p_proto *proto, struct p2p_peer *peer,
		      uint64_t code, const uint8_t *payload, size_t len,
		      uint64_t now_ns);
	void (*on_peer_dropped)(const struct p2p_proto *proto,
				struct p2p_peer *peer, uint8_t reason,
				uint64_t now_ns);
};

/* Handler return value asking the host to disconnect with reason. */
#define P2P_DROP(reason) (0x100 | ((reason) & 0xff))

/* A negotiated capability of one peer. */
struct p2p_shared {
	const struct p2p_proto *proto;
	uint16_t offset;                /* first wire message id */
};

/* p2p_negotiate() matches local protocols against the remote's caps:
 * equal name (case-sensitive) and version; per name the highest shared
 * version wins; the winners are sorted by name (byte order) and given
 * consecutive id ranges from P2P_BASE_OFFSET, each `length` long. Writes
 * up to cap entries to out. Returns the number of shared protocols (0: a
 * useless peer) or -EINVAL (more than cap). Pure. */
int p2p_negotiate(struct p2p_shared *out, size_t cap,
		  const struct p2p_proto *const *local, size_t n_local,
		  const struct p2p_cap *remote, size_t n_remote);

/*
 * Host ops: how the host reaches the outside. send and close are required,
 * the others may be NULL.
 *   send(user, session, code, payload, len)   queue one message (wire code,
 *       p2p and subprotocol alike) to the session. Returns 0 or -errno
 *       (-ENOBUFS ring full: the message is lost and the host disconnects
 *       the peer with P2P_DISC_NETWORK_ERROR, never blocking).
 *   close(user, session)    close the socket; then report it back with
 *       p2p_peer_closed() (at once or when the dataplane confirms).
 *   on_hello(user, peer, hello)     the remote's Hello, decoded.
 *   on_active(user, peer, snappy)   the session is up; compress from now on
 *       iff snappy.
 *   on_closed(user, peer, reason, remote)   the peer is about to be freed.
 *   on_msg_event(user, peer, proto, code, len, sent)   a subprotocol
 *       message (code within proto, len payload bytes before compression)
 *       was handed to ops.send (sent) or is about to be dispatched to
 *       proto's on_msg (received); geth's msgsend / msgrecv peer events
 *       (p2p/message.go msgEventer). p2p's own messages are not reported.
 */
struct p2p_host_ops {
	int (*send)(void *user, uint64_t session, uint64_t code,
		    const uint8_t *payload, size_t len);
	void (*close)(void *user, uint64_t session);
	void (*on_hello)(void *user, struct p2p_peer *peer,
			 const struct p2p_hello *hello);
	void (*on_active)(void *user, struct p2p_peer *peer, bool snappy);
	void (*on_closed)(void *user, struct p2p_peer *peer, uint8_t reason,
			  bool remote);
	void (*on_msg_event)(void *user, struct p2p_peer *peer,
			     const struct p2p_proto *proto, uint64_t code,
			     size_t len, bool sent);
};

struct p2p_host_config {
	const uint8_t *id;              /* our 64-byte public key */
	uint16_t listen_port;           /* 0: not listening */
	const char *client_id;          /* NULL: p2p_client_id() */
	unsigned max_peers;             /* peer slots (0: 256) */
	struct p2p_host_ops ops;
	void *user;                     /* for ops */
};

/* p2p_host_new() allocates a host with cfg->max_peers slots. Returns 0 or
 * -EINVAL (no id, send or close), -ENOMEM. */
int p2p_host_new(struct p2p_host **out, const struct p2p_host_config *cfg);

/* p2p_host_free() frees the host and any peers left, without firing
 * handlers or ops. p2p_host_free(NULL) is a no-op. */
void p2p_host_free(struct p2p_host *h);

/* p2p_register() adds a protocol. Register before the first peer starts;
 * the Hello advertises protocols in registration order. Returns 0, or
 * -EINVAL (no name, length 0, name over P2P_CAP_NAME_MAX bytes),
 * -EEXIST (same name and version), -ENOSPC (P2P_MAX_PROTOS), -EPROTO
 * (peers already exist). */
int p2p_register(struct p2p_host *h, const struct p2p_proto *proto);

/* p2p_peer_start() starts the p2p session on an RLPx session whose
 * handshake authenticated remote_id: sends our Hello (uncompressed) and
 * arms the Hello deadline. *out (may be NULL) receives the peer, valid until
 * p2p_peer_closed() returns. Returns 0, or -EEXIST (session in use),
 * -ENOSPC (no free slot), -errno from ops.send (nothing kept). */
int p2p_peer_start(struct p2p_host *h, struct p2p_peer **out,
		   uint64_t session, const uint8_t remote_id[P2P_ID_LEN],
		   bool inbound, uint64_t now_ns);

/* p2p_on_msg() feeds one received message (wire code, decompressed
 * payload). Returns 0 (handled, possibly by disconnecting), or -ENOENT
 * (unknown session), -EPROTO (peer already disconnecting: message ignored,
 * as geth does after Disconnect). */
int p2p_on_msg(struct p2p_host *h, uint64_t session, uint64_t code,
	       const uint8_t *payload, size_t len, uint64_t now_ns);

/* p2p_disconnect() sends Disconnect [reason] to the peer, fires the
 * on_peer_dropped handlers and closes after P2P_DISC_GRACE_NS. Idempotent:
 * a peer already disconnecting keeps its first reason. Returns 0 or
 * -ENOENT. */
int p2p_disconnect(struct p2p_host *h, uint64_t session, uint8_t reason,
		   uint64_t now_ns);

/* p2p_peer_closed() reports that the session's socket is closed (by us
 * after ops.close, by the remote, or by an error): on_peer_dropped if not
 * yet fired, ops.on_closed, and the peer is freed. Returns 0 or -ENOENT. */
int p2p_peer_closed(struct p2p_host *h, uint64_t session, uint64_t now_ns);

/* p2p_on_timer() runs every deadline due at now_ns: Hello timeout, pings,
 * idle timeout, the Disconnect grace period. Call it at (or after)
 * p2p_next_deadline(). */
void p2p_on_timer(struct p2p_host *h, uint64_t now_ns);

/* p2p_next_deadline() returns the earliest pending deadline, or UINT64_MAX
 * when no peer needs one. */
uint64_t p2p_next_deadline(const struct p2p_host *h);

/* p2p_send() sends message code (0 <= code < proto->length) of protocol
 * proto to an active peer sharing it. Returns 0, or -EPROTO (peer not
 * active or does not share proto), -EINVAL (code out of range), -errno
 * from ops.send. */
int p2p_send(struct p2p_host *h, struct p2p_peer *peer,
	     const struct p2p_proto *proto, uint64_t code,
	     const uint8_t *payload, size_t len);

/* p2p_broadcast() sends the message to every active peer that shares
 * proto; a peer whose send fails is disconnected (P2P_DISC_NETWORK_ERROR).
 * Returns the number of peers it was queued to. */
size_t p2p_broadcast(struct p2p_host *h, const struct p2p_proto *proto,
		     uint64_t code, const uint8_t *payload, size_t len,
		     uint64_t now_ns);

/* p2p_broadcast_except() is p2p_broadcast() to every such peer but
 * except (NULL: none; the peer a gossip message came from). */
size_t p2p_broadcast_except(struct p2p_host *h, const struct p2p_proto *proto,
			    uint64_t code, const uint8_t *payload, size_t len,
			    const struct p2p_peer *except, uint64_t now_ns);

/* Peer accessors (any peer pointer given by the host, during its life). */
struct p2p_host *p2p_peer_host(const struct p2p_peer *peer);
uint64_t p2p_peer_session(const struct p2p_peer *peer);
const uint8_t *p2p_peer_id(const struct p2p_peer *peer);   /* 64 bytes */
bool p2p_peer_inbound(const struct p2p_peer *peer);
/* The remote's Hello, or NULL before it arrived. */
const struct p2p_hello *p2p_peer_hello(const struct p2p_peer *peer);
/* Snappy on (EIP-706: the remote's Hello says p2p >= 5): every message
 * sent or received after the Hellos, Disconnect included, is compressed.
 * Meaningful from the remote's Hello on. */
bool p2p_peer_snappy(const struct p2p_peer *peer);
bool p2p_peer_active(const struct p2p_peer *peer);
/* The peer's negotiated capabilities, in offset order; *n set. */
const struct p2p_shared *p2p_peer_shared(const struct p2p_peer *peer,
					 size_t *n);
/* The per-peer state of proto (peer_state_size bytes), or NULL if the
 * peer does not share proto or the protocol asked for none. */
void *p2p_peer_state(const struct p2p_peer *peer,
		     const struct p2p_proto *proto);
/* p2p_peer_find() returns the peer of a session, or NULL. */
struct p2p_peer *p2p_peer_find(const struct p2p_host *h, uint64_t session);
/* p2p_host_peer_count() counts started, not yet freed peers. */
size_t p2p_host_peer_count(const struct p2p_host *h);

#endif /* CONTROL_P2P_H */
