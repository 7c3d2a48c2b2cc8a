/* SPDX-License-Identifier: MIT */
/* control/discv5/discv5.h - sans-I/O discovery v5 engine (discv5-theory.md). */
#ifndef CONTROL_DISCV5_H
#define CONTROL_DISCV5_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/discv5_crypto.h"
#include "common/discv5_msg.h"
#include "common/discv5_wire.h"
#include "common/enr.h"
#include "common/secp.h"
#include "control/base/localnode.h"
#include "control/base/netutil.h"
#include "control/discv4/kad.h"

/*
 * One struct discv5 serves one local node, in the shape of the v4 engine
 * (control/discv4/discv4.h): the host feeds it whole UDP payloads
 * (discv5_on_packet()), timer ticks (discv5_on_timer()) and requests, each
 * with now_ns, and it emits packets through the send callback and asks to
 * be woken at discv5_next_deadline(). It never reads a clock, touches a
 * socket or blocks. Randomness for masking IVs, nonces, id-nonces,
 * ephemeral keys and request ids comes from the host's random callback
 * (getrandom(2) in production; tests pass a deterministic one).
 *
 * now_ns: any clock that does not go backwards, in nanoseconds; the host
 * passes the same clock it gives the v4 engine, since both update the
 * shared local node (its IP-statement window).
 *
 * Behaviour follows go-ethereum v1.17 (p2p/discover/v5_udp.go, v5_talk.go,
 * v5wire/encoding.go, v5wire/session.go, table.go, lookup.go):
 * - Sessions are keyed by (node id, IP, port), kept in an LRU cache of
 *   DISCV5_SESSIONS_DEFAULT; the initiator stores its keys when it sends
 *   the handshake, the recipient when the handshake's message decrypts.
 * - A message packet we cannot decrypt (no session, or the wrong key) is
 *   answered with WHOAREYOU. While a challenge to that (id, IP, port) is
 *   pending (DISCV5_HANDSHAKE_TIMEOUT_NS), further such packets get the
 *   same WHOAREYOU again, byte for byte: same masking IV, same nonce
 *   (devp2p #278, geth #31356/#31543).
 * - WHOAREYOU is honoured only when its nonce is that of a pending request
 *   of ours, once per request (geth matchWithCall); a WHOAREYOU answering a
 *   response of ours is dropped (geth #30592, by design). Our record goes
 *   into the handshake when the challenge's enr-seq is below ours.
 * - One request in flight per node id; others queue behind it. A request
 *   times out DISCV5_RESP_TIMEOUT_NS after it was last sent or after the
 *   last response packet for it.
 * - FINDNODE answers: at most DISCV5_FINDNODE_RESULT_LIMIT records of
 *   validated-live table nodes at exactly the asked log-distances (0: our
 *   own record), never a LAN or loopback address to a WAN asker, packed
 *   into NODES messages of at most DISCV5_NODES_SIZE_LIMIT bytes of
 *   records; an empty answer is one NODES with total 1.
 * - NODES we receive: at most min(total, DISCV5_NODES_RESPONSE_LIMIT)
 *   messages per FINDNODE (total 0 counts as 1: geth #35043); each record
 *   must verify, be at a requested distance, be new in this answer, pass
 *   netutil_check_relay() against the responder and --netrestrict, and
 *   have a UDP port above DISCV5_MIN_RELAY_PORT (geth verifyResponseNode).
 * - The Kademlia table is control/discv4/kad.h (the same 17 buckets of 16
 *   and replacement lists geth's table has); handshaken nodes enter as
 *   inbound, found nodes unverified; revalidation PINGs; a PONG or PING
 *   with an enr-seq above the record we hold fetches the record with
 *   FINDNODE [0].
 * - Handshake EC work (record and id-signature verification, ECDH) is
 *   done for a source only within a per-IP and a global token budget, and
 *   after the host's admit hook agrees; refusals are counted.
 *
 * Threading: one thread owns an engine. Callbacks run on that thread from
 * inside discv5_on_packet()/discv5_on_timer() (never from the call that
 * registered them), except that a request failing at once may report
 * through its return value only. A callback may start requests but must
 * not call discv5_free().
 */

#define DISCV5_SESSIONS_DEFAULT      1024       /* geth NewSessionCache */
#define DISCV5_CHALLENGES_DEFAULT    4096       /* pending WHOAREYOUs */
#define DISCV5_CALLS_DEFAULT         65536      /* requests active + queued */
#define DISCV5_HANDSHAKE_TIMEOUT_NS  1000000000ull      /* handshakeTimeout */
#define DISCV5_RESP_TIMEOUT_NS       700000000ull       /* V5RespTimeout */
#define DISCV5_ALPHA                 3
#define DISCV5_LOOKUP_REQUEST_LIMIT  3          /* distances per FINDNODE */
#define DISCV5_FINDNODE_RESULT_LIMIT 16         /* records we serve */
#define DISCV5_NODES_RESPONSE_LIMIT  5          /* NODES we take per FINDNODE */
#define DISCV5_NODES_SIZE_LIMIT      1000       /* record bytes per NODES */
#define DISCV5_FINDNODE_MAX_NODES    96         /* kept per FINDNODE */
#define DISCV5_MAX_TALK_ACTIVE       1024       /* maxActiveTalkRequests */
#define DISCV5_TALK_PROTOS_MAX       32         /* registered protocols */
#define DISCV5_TALK_PROTO_MAX        64         /* protocol name bytes */
/* What a TALKRESP may carry so that it fits a message packet. */
#define DISCV5_TALK_RESP_MAX         1100
#define DISCV5_MIN_RELAY_PORT        1024
#define DISCV5_RANDOM_PACKET_LEN     20         /* geth randomPacketMsgSize */
#define DISCV5_REFRESH_NS            (30ull * 60 * 1000000000ull)
#define DISCV5_EMPTY_RETRY_NS        (10ull * 1000000000ull)
#define DISCV5_SMALL_RETRY_MAX_NS    (320ull * 1000000000ull)
/* Handshake EC budget defaults (token buckets, per second and burst). */
#define DISCV5_HS_IP_RATE            20
#define DISCV5_HS_IP_BURST           40
#define DISCV5_HS_RATE               2000
#define DISCV5_HS_BURST              4000
#define DISCV5_HS_IP_SLOTS           4096       /* hashed per-IP buckets */

/* A node as the engine knows it. pub all zero means unknown (a node given
 * by id and endpoint only: it can be asked only while a session exists,
 * since a handshake needs its key). enr_len 0 means no record. ip/udp is
 * the UDP endpoint (IPv4-mapped for IPv4), chosen from the record as geth
 * does (the "most global" of ip and ip6; udp6 for an IPv6 endpoint, else
 * udp). Plain data: copy it freely. */
struct discv5_node {
	uint8_t id[DISCV5_NODE_ID_LEN];
	uint8_t pub[SECP_PUB_LEN];
	uint8_t ip[NETUTIL_ADDR_LEN];
	uint16_t udp;
	uint16_t tcp;
	uint64_t seq;
	uint16_t enr_len;
	uint8_t enr[ENR_MAX_SIZE];
};

/* discv5_node_from_enr() decodes the RLP record rec[0..len), verifies its
 * signature and fills *out (id, key, endpoint, seq, record). Returns 0, or
 * the errors of enr_decode() and enr_verify() (-EBADMSG, -EMSGSIZE,
 * -EKEYREJECTED, -EPROTONOSUPPORT). */
int discv5_node_from_enr(struct discv5_node *out, const uint8_t *rec,
			 size_t len);

/* discv5_node_from_text() is discv5_node_from_enr() for "enr:..." text. */
int discv5_node_from_text(struct discv5_node *out, const char *s, size_t len);

/* discv5_node_from_addr() fills *out with a record-less node: id, the key
 * (pub, may be NULL: unknown) and the endpoint ip:port. When pub is given
 * the id is keccak256(pub) and the id argument is ignored (may be NULL). */
void discv5_node_from_addr(struct discv5_node *out,
			   const uint8_t id[DISCV5_NODE_ID_LEN],
			   const uint8_t pub[SECP_PUB_LEN],
			   const uint8_t ip[NETUTIL_ADDR_LEN], uint16_t port);

/* The send callback: pkt[0..len) is a complete packet for addr:port (addr
 * IPv4-mapped or IPv6, port host order). Valid only during the call. */
typedef void discv5_send_fn(void *user, const uint8_t addr[16], uint16_t port,
			    const uint8_t *pkt, size_t len);

/* The random callback fills buf[0..len) with cryptographically secure
 * random bytes. Returns 0 or -errno (the operation needing them fails). */
typedef int discv5_random_fn(void *user, uint8_t *buf, size_t len);

/* on_node_seen: n was learnt or confirmed (a completed handshake, a
 * verified record in NODES). May be NULL. */
typedef void discv5_node_hook_fn(void *user, const struct discv5_node *n,
				 uint64_t now_ns);

/* admit: asked before handshake EC work for a packet from addr:port, once
 * the engine's own budget allowed it (the dataplane's per-source caps are
 * the host's to consult). false refuses. May be NULL. */
typedef bool discv5_admit_fn(void *user, const uint8_t addr[16], uint16_t port,
			     uint64_t now_ns);

/* on_refused: EC work for addr:port was refused (budget or admit hook);
 * for the host to feed a blocklist. May be NULL. */
typedef void discv5_refused_fn(void *user, const uint8_t addr[16],
			       uint16_t port, uint64_t now_ns);

/* Request callbacks. err is 0, or -ETIMEDOUT (no answer in time),
 * -ENOKEY (the remote wants a handshake and we do not know its key),
 * -EMSGSIZE (the request does not fit a packet), -EBADMSG (an answer that
 * is not what was asked for: discv5_request_enr()), -ECANCELED
 * (discv5_free()), or an error of the random callback. */
struct discv5_pong_info {
	uint64_t enr_seq;
	uint8_t ip[NETUTIL_ADDR_LEN];   /* where the remote saw us (mapped) */
	uint16_t port;
};
typedef void discv5_ping_fn(void *arg, int err,
			    const struct discv5_pong_info *pong);
/* nodes[0..n) are valid only during the call: for discv5_findnode() the
 * verified records of the answer (err may be -ETIMEDOUT with n > 0 when
 * fewer NODES came than announced); for discv5_lookup() the closest nodes
 * found, closest first. */
typedef void discv5_nodes_fn(void *arg, int err,
			     const struct discv5_node *nodes, unsigned n);
/* n is valid only during the call (NULL unless err is 0). */
typedef void discv5_enr_fn(void *arg, int err, const struct discv5_node *n);
/* resp[0..len) is valid only during the call. */
typedef void discv5_talk_fn(void *arg, int err, const uint8_t *resp,
			    size_t len);

/* An incoming TALKREQ as a handler sees it; all views die with the call.
 * token identifies it for discv5_talk_respond(). */
struct discv5_talk_req {
	const struct discv5_node *from;         /* the session's node */
	const uint8_t *addr;                    /* 16 bytes */
	uint16_t port;
	const uint8_t *proto;
	size_t proto_len;
	const uint8_t *msg;
	size_t msg_len;
	uint64_t token;
};

#define DISCV5_TALK_ASYNC 1

/* A TALKREQ handler. On entry *resp_len is the room in resp. Returns 0
 * with the answer in resp[0..*resp_len) (sent at once), DISCV5_TALK_ASYNC
 * when the answer will come later through discv5_talk_respond(req->token)
 * (within the remote's timeout; the slot is reclaimed after the engine's
 * response timeout), or -errno to send nothing. */
typedef int discv5_talk_handler_fn(void *user,
				   const struct discv5_talk_req *req,
				   uint8_t *resp, size_t *resp_len);

struct discv5_config {
	struct localnode *ln;           /* our key and record; shared with
					 * the v4 engine; must outlive us */
	discv5_send_fn *send;
	void *send_user;
	discv5_random_fn *random;
	void *random_user;
	discv5_node_hook_fn *on_node_seen;
	discv5_admit_fn *admit;
	discv5_refused_fn *on_refused;
	void *hook_user;
	/* --netrestrict: packets from and nodes outside these prefixes are
	 * dropped when n_netrestrict > 0. Copied. */
	const struct netutil_prefix *netrestrict;
	size_t n_netrestrict;
	uint64_t seed;                  /* table PRNG; 0: from random */
	uint64_t ping_interval_ns;      /* revalidation; 0: kad's default */
	uint64_t resp_timeout_ns;       /* 0: DISCV5_RESP_TIMEOUT_NS */
	uint32_t max_sessions;          /* 0: DISCV5_SESSIONS_DEFAULT */
	uint32_t max_challenges;        /* 0: DISCV5_CHALLENGES_DEFAULT */
	uint32_t max_calls;             /* 0: DISCV5_CALLS_DEFAULT */
	/* Handshake EC budget, per second and burst; 0: the defaults above,
	 * UINT32_MAX: unlimited. */
	uint32_t hs_ip_rate, hs_ip_burst;
	uint32_t hs_rate, hs_burst;
	bool hs_limit_lan;              /* budget LAN/loopback sources per IP
					 * too (default: only globally) */
	bool no_refresh;                /* no automatic refresh (crawler) */
	bool no_findnode_live_check;    /* serve unverified nodes (tests) */
};

enum discv5_drop {                      /* why a packet was not used */
	DISCV5_DROP_HEADER = 0,         /* size, protocol id, version, flag,
					 * authdata: not a discv5 packet */
	DISCV5_DROP_NETRESTRICT,
	DISCV5_DROP_SELF,               /* from our own node id */
	DISCV5_DROP_NO_SESSION,         /* message without session: WHOAREYOU */
	DISCV5_DROP_DECRYPT,            /* message the session key does not
					 * open: WHOAREYOU */
	DISCV5_DROP_BAD_MESSAGE,        /* opened but undecodable */
	DISCV5_DROP_WHOAREYOU_NO_CALL,  /* nonce of no pending request of ours
					 * (also: answering a response) */
	DISCV5_DROP_WHOAREYOU_TWICE,    /* second challenge for one request */
	DISCV5_DROP_HS_UNEXPECTED,      /* handshake without a pending challenge
					 * (none sent, expired, or used) */
	DISCV5_DROP_HS_BAD,             /* bad record, id-signature, key or
					 * message in a handshake */
	DISCV5_DROP_RATELIMIT,          /* EC budget or admit hook refused */
	DISCV5_DROP_CHALLENGE_FULL,     /* no room for another challenge */
	DISCV5_DROP_UNSOLICITED,        /* response matching no request */
	DISCV5_DROP_TOPIC,              /* topic messages: not implemented */
	DISCV5_DROP_TALK_BUSY,          /* no free TALKREQ slot */
	DISCV5_DROP_MAX
};

enum discv5_node_reject {               /* why a NODES record was refused */
	DISCV5_REJ_RECORD = 0,          /* undecodable or unverifiable */
	DISCV5_REJ_RELAY,               /* netutil_check_relay() */
	DISCV5_REJ_NETRESTRICT,
	DISCV5_REJ_PORT,                /* UDP port <= 1024 */
	DISCV5_REJ_DISTANCE,            /* not at a requested distance */
	DISCV5_REJ_DUPLICATE,           /* twice in one answer */
	DISCV5_REJ_LIMIT,               /* over DISCV5_FINDNODE_MAX_NODES */
	DISCV5_REJ_MAX
};

struct discv5_stats {
	uint64_t rx[DISCV5_MSG_TALKRESP + 1];   /* messages used, by type */
	uint64_t tx[DISCV5_MSG_TALKRESP + 1];   /* messages sent, by type */
	uint64_t drop[DISCV5_DROP_MAX];
	uint64_t nodes_rejected[DISCV5_REJ_MAX];
	uint64_t rx_whoareyou, tx_whoareyou, tx_whoareyou_resent;
	uint64_t tx_random;             /* handshake-starting packets */
	uint64_t hs_initiated;          /* handshakes we sent (initiator) */
	uint64_t hs_accepted;           /* handshakes we accepted (recipient) */
	uint64_t ec_ops;                /* ECDH + sign + verify performed */
	uint64_t sessions_evicted;      /* LRU evictions at the cap */
	uint64_t challenges_expired;
	uint64_t calls_timeout;
	uint64_t nodes_extra_msgs;      /* NODES past the announced total */
	uint64_t resp_no_session;       /* response not sent: session gone */
	uint64_t talk_unknown;          /* TALKREQ for an unregistered proto */
	uint64_t enr_fetches;           /* FINDNODE [0] on a higher enr-seq */
	uint64_t lookups, lookups_done;
	uint64_t encode_errors, random_errors;
};

struct discv5;

/* discv5_new() creates an engine for cfg->ln (localnode_update() is called
 * on it). The first refresh runs at the first discv5_on_timer() unless
 * cfg->no_refresh. Returns 0, -EINVAL (no ln, send or random), -ENOMEM,
 * or an error of the random callback. */
int discv5_new(struct discv5 **out, const struct discv5_config *cfg,
	       uint64_t now_ns);

/* discv5_free() cancels every request (callbacks get -ECANCELED), wipes
 * the session keys and frees d. NULL is a no-op. */
void discv5_free(struct discv5 *d);

/* discv5_on_packet() handles one UDP payload pkt[0..len) from addr:port.
 * Nothing upstream is trusted: the static header is checked again.
 * Returns 0 when the packet was used (a WHOAREYOU we answered included),
 * or -errno with the drop counted: -EBADMSG (header, message, handshake),
 * -EACCES (netrestrict), -EINVAL (our own id), -ENOENT (unsolicited),
 * -EBUSY (rate limited, no room), -EKEYREJECTED (undecryptable: answered
 * with WHOAREYOU), -EPROTO (unexpected handshake or WHOAREYOU). */
int discv5_on_packet(struct discv5 *d, const uint8_t addr[16], uint16_t port,
		     const uint8_t *pkt, size_t len, uint64_t now_ns);

/* discv5_on_timer() runs everything due at now_ns: request timeouts,
 * challenge expiry, TALKREQ slot expiry, revalidation, refresh. Calling it
 * early or often is harmless. */
void discv5_on_timer(struct discv5 *d, uint64_t now_ns);

/* discv5_next_deadline() returns when discv5_on_timer() next has work, or
 * UINT64_MAX. Valid until the next call into the engine. */
uint64_t discv5_next_deadline(const struct discv5 *d);

/* discv5_ping() sends PING to n (handshaking first if needed). cb gets the
 * PONG. Returns 0 (cb fires exactly once), -EINVAL (bad node), -EACCES
 * (netrestrict), -ENOBUFS (too many requests), -ENOMEM (cb will not fire). */
int discv5_ping(struct discv5 *d, const struct discv5_node *n, uint64_t now_ns,
		discv5_ping_fn *cb, void *arg);

/* discv5_findnode() asks n for its records at log-distances
 * dist[0..n_dist) (each <= 256, 1 .. DISCV5_FINDNODE_DIST_MAX of them) and
 * collects the verified answer. Returns as discv5_ping(). */
int discv5_findnode(struct discv5 *d, const struct discv5_node *n,
		    const uint16_t *dist, size_t n_dist, uint64_t now_ns,
		    discv5_nodes_fn *cb, void *arg);

/* discv5_request_enr() asks n for its own record (FINDNODE [0]); cb gets
 * it only if exactly one record with n's id came back (else -EBADMSG).
 * Returns as discv5_ping(). */
int discv5_request_enr(struct discv5 *d, const struct discv5_node *n,
		       uint64_t now_ns, discv5_enr_fn *cb, void *arg);

/* discv5_resolve() finds the newest record of n (geth Resolve): the
 * table's copy if newer, then n asked directly, then a lookup for n's id.
 * cb gets the newest record found (err 0) or -ENOENT if none at all.
 * Returns as discv5_ping(). */
int discv5_resolve(struct discv5 *d, const struct discv5_node *n,
		   uint64_t now_ns, discv5_enr_fn *cb, void *arg);

/* discv5_lookup() runs an iterative alpha = 3 lookup for the node id
 * target from the table (or the bootnodes when it is empty), asking each
 * node for the DISCV5_LOOKUP_REQUEST_LIMIT distances around the target.
 * Found nodes are offered to the table. cb gets the KAD_BUCKET_SIZE
 * closest nodes found. Returns 0, -EAGAIN (no node to ask), -ENOMEM. */
int discv5_lookup(struct discv5 *d, const uint8_t target[DISCV5_NODE_ID_LEN],
		  uint64_t now_ns, discv5_nodes_fn *cb, void *arg);

/* discv5_talk() sends TALKREQ(proto, req) to n; cb gets the TALKRESP
 * payload. Returns as discv5_ping(), and -EMSGSIZE when proto and req
 * cannot fit a packet. */
int discv5_talk(struct discv5 *d, const struct discv5_node *n,
		const uint8_t *proto, size_t proto_len, const uint8_t *req,
		size_t req_len, uint64_t now_ns, discv5_talk_fn *cb, void *arg);

/* discv5_talk_register() routes TALKREQs for proto[0..proto_len) to h
 * (replacing an earlier handler; h NULL removes it). TALKREQs for a
 * protocol without handler get an empty TALKRESP. Returns 0, -EINVAL
 * (empty or longer than DISCV5_TALK_PROTO_MAX), -ENOSPC. */
int discv5_talk_register(struct discv5 *d, const uint8_t *proto,
			 size_t proto_len, discv5_talk_handler_fn *h,
			 void *user);

/* discv5_talk_respond() sends the answer to the asynchronous TALKREQ
 * token. Returns 0, -ENOENT (no such pending request: answered, expired),
 * -ENOTCONN (its session is gone), -EMSGSIZE (over DISCV5_TALK_RESP_MAX). */
int discv5_talk_respond(struct discv5 *d, uint64_t token, const uint8_t *resp,
			size_t len, uint64_t now_ns);

/* discv5_add_bootnode() adds n (a verified record with an endpoint) to the
 * bootstrap list: it enters the table at each refresh. Returns 0, -EINVAL
 * (no key or endpoint), -ENOMEM. */
int discv5_add_bootnode(struct discv5 *d, const struct discv5_node *n);

/* discv5_add_node() offers n to the table now, as a found node (geth
 * addFoundNode); live marks it validated at once (tests, simulations).
 * Returns an enum kad_add_result, or -EINVAL (no key or endpoint). */
int discv5_add_node(struct discv5 *d, const struct discv5_node *n, bool live,
		    uint64_t now_ns);

/* discv5_refresh() starts a refresh (self lookup, then three random ones)
 * now unless one is running; it also lets inbound nodes into the table
 * once the self lookup is over. */
void discv5_refresh(struct discv5 *d, uint64_t now_ns);

/* discv5_get_node() returns the record the engine holds for id (table or
 * session), or NULL. Valid until the next call into the engine. */
const struct discv5_node *discv5_get_node(const struct discv5 *d,
					  const uint8_t id[DISCV5_NODE_ID_LEN]);

/* discv5_has_session() tells whether a session with id at addr:port is
 * established (as far as we know). */
bool discv5_has_session(const struct discv5 *d,
			const uint8_t id[DISCV5_NODE_ID_LEN],
			const uint8_t addr[16], uint16_t port);

/* discv5_table() exposes the Kademlia table (read-only use). */
const struct kad_table *discv5_table(const struct discv5 *d);

/* discv5_table_size() is kad_len() of the table. */
size_t discv5_table_size(const struct discv5 *d);

/* discv5_stats() returns the counters (for metrics). */
const struct discv5_stats *discv5_stats(const struct discv5 *d);

/* discv5_pending() returns the requests in flight or queued;
 * discv5_sessions() the established sessions; discv5_challenges() the
 * WHOAREYOUs awaiting a handshake. */
size_t discv5_pending(const struct discv5 *d);
size_t discv5_sessions(const struct discv5 *d);
size_t discv5_challenges(const struct discv5 *d);

#endif /* CONTROL_DISCV5_H */
