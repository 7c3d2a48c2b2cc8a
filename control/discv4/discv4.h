/* SPDX-License-Identifier: MIT */
/* control/discv4/discv4.h - sans-I/O discovery v4 engine (discv4.md, EIP-8, EIP-868). */
#ifndef CONTROL_DISCV4_H
#define CONTROL_DISCV4_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/discv4_wire.h"
#include "common/enr.h"
#include "common/msg.h"
#include "control/discv4/kad.h"
#include "control/base/localnode.h"
#include "control/base/netutil.h"

/*
 * One struct discv4 serves one local node. It is sans-I/O in the ngtcp2
 * manner: the caller feeds it packets (discv4_on_packet()), timer ticks
 * (discv4_on_timer()) and requests, each with now_ns, and it emits signed
 * packets through the send callback and asks to be woken at
 * discv4_next_deadline(). It never reads a clock, touches a socket or
 * blocks, and keeps no thread, so a process can host thousands of engines.
 *
 * now_ns is Unix time in nanoseconds (CLOCK_REALTIME or a fake clock): the
 * wire carries absolute Unix expirations, so the engine needs wall time.
 *
 * Behaviour follows go-ethereum's p2p/discover (v4_udp.go, table.go,
 * lookup.go): endpoint proof keyed by (node id, IP) and valid for 24 h;
 * Neighbors and ENRResponse only to bonded senders; Pong matched by
 * ping-hash, ENRResponse by request-hash; 20 s expiration on what we send,
 * expired packets dropped; 500 ms reply timeout; relay rules and
 * --netrestrict for received nodes; alpha = 3 lookups; refresh every
 * 30 min (and at start, and every 10 s while the table holds fewer than
 * KAD_BUCKET_SIZE nodes).
 *
 * Threading: one thread owns an engine. Callbacks run on that thread from
 * inside discv4_on_packet()/discv4_on_timer() (never from the request call
 * that registered them). A callback may start new requests but must not
 * call discv4_free().
 */

#define DISCV4_EXPIRATION_S        20                   /* on what we send */
#define DISCV4_REPLY_TIMEOUT_NS    500000000ull         /* respTimeout */
#define DISCV4_BOND_EXPIRATION_NS  (24ull * 3600 * 1000000000ull)
#define DISCV4_ALPHA               3                    /* lookup parallelism */
#define DISCV4_MAX_RESULTS         KAD_BUCKET_SIZE      /* 16 */
#define DISCV4_REFRESH_NS          (30ull * 60 * 1000000000ull)
#define DISCV4_EMPTY_RETRY_NS      (10ull * 1000000000ull)
#define DISCV4_SMALL_RETRY_MAX_NS  (320ull * 1000000000ull) /* backoff cap */
#define DISCV4_MIN_RELAY_PORT      1024                 /* ports <= this dropped */
#define DISCV4_BONDS_MAX           (1u << 17)           /* bond records kept */
/* Requests waiting for a reply (geth's reply matchers, which it does not
 * cap: its list grows with the Ping rate of unknown senders). Ours are
 * indexed by (node id, IP, awaited type) and capped:
 *   all requests, ours and ping-backs;
 *   ping-backs, which any sender of a Ping from a fresh key (or spoofed
 *   address) creates: 4096 is 8,192 new senders a second at the 500 ms
 *   reply timeout;
 *   per (node id, IP, awaited type), counted when a request starts.
 * A refused ping-back only means that sender is not proven (and so not
 * added to the table) this time; its Pong was sent. A refused request of
 * ours fails with -ENOBUFS. Refusals count in stats.pending_refused. */
#define DISCV4_PENDING_MAX         65536
#define DISCV4_PINGBACKS_MAX       4096
#define DISCV4_PENDING_PEER_MAX    16

/* The send callback: pkt[0..len) is a complete signed packet for
 * addr (IPv4-mapped or IPv6) and port (host order). The bytes are valid
 * only during the call; copy them into the tx ring. */
typedef void discv4_send_fn(void *user, const uint8_t addr[16], uint16_t port,
			    const uint8_t *pkt, size_t len);

/* Persistence hooks. on_bond: we received a valid Pong from n (endpoint
 * proof established or refreshed at now_ns). on_node_seen: n was learnt
 * (from a Ping, a Neighbors reply or the table). Both may be NULL. */
typedef void discv4_node_hook_fn(void *user, const struct discv4_node *n,
				 uint64_t now_ns);

/* Request callbacks. err is 0 or -ETIMEDOUT (no reply in time),
 * -EKEYREJECTED (an ENR that does not verify or belongs to another node),
 * -EBADMSG (an undecodable ENR), -EAGAIN (a lookup without any node to
 * ask) or -ECANCELED (discv4_free() while pending). */
typedef void discv4_ping_fn(void *arg, int err, uint64_t enr_seq);
/* nodes[0..n) are valid only during the call. For discv4_findnode() they
 * are the accumulated Neighbors entries that passed the relay rules (err 0
 * once any Neighbors packet arrived); for discv4_lookup() the closest
 * nodes found, closest first. */
typedef void discv4_nodes_fn(void *arg, int err, const struct discv4_node *nodes,
			     unsigned n);
/* rec is valid only during the call (NULL unless err is 0). */
typedef void discv4_enr_fn(void *arg, int err, const struct enr *rec);

struct discv4_config {
	struct localnode *ln;           /* our key and record; caller owns,
					 * must outlive the engine */
	discv4_send_fn *send;
	void *send_user;
	discv4_node_hook_fn *on_bond;
	discv4_node_hook_fn *on_node_seen;
	void *hook_user;
	/* --netrestrict: when n_netrestrict > 0, packets from and nodes
	 * outside these prefixes are dropped. Copied. */
	const struct netutil_prefix *netrestrict;
	size_t n_netrestrict;
	uint64_t seed;                  /* PRNG seed (kad, targets) */
	uint64_t ping_interval_ns;      /* revalidation; 0: kad's default */
	bool no_refresh;                /* no automatic refresh (crawler) */
};

enum discv4_drop {                      /* why discv4_on_packet() dropped */
	DISCV4_DROP_BAD = 0,            /* undecodable or wrong type */
	DISCV4_DROP_EXPIRED,
	DISCV4_DROP_UNBONDED,           /* FindNode/ENRRequest without proof */
	DISCV4_DROP_UNSOLICITED,        /* reply matching no request */
	DISCV4_DROP_NETRESTRICT,
	DISCV4_DROP_SELF,               /* from our own id */
	DISCV4_DROP_MAX
};

enum discv4_cap {                       /* which cap refused a request */
	DISCV4_CAP_TOTAL = 0,           /* DISCV4_PENDING_MAX */
	DISCV4_CAP_PINGBACK,            /* DISCV4_PINGBACKS_MAX */
	DISCV4_CAP_PEER,                /* DISCV4_PENDING_PEER_MAX */
	DISCV4_CAP_MAX
};

struct discv4_stats {
	uint64_t rx[DISCV4_ENRRESPONSE + 1];    /* accepted, by packet type */
	uint64_t tx[DISCV4_ENRRESPONSE + 1];    /* sent, by packet type */
	uint64_t drop[DISCV4_DROP_MAX];         /* enum discv4_drop */
	uint64_t nodes_rejected;        /* relay rules, low port, netrestrict */
	uint64_t bonds;                 /* valid Pongs to our Pings */
	uint64_t lookups;               /* started */
	uint64_t lookups_done;
	uint64_t encode_errors;
	uint64_t pending_refused[DISCV4_CAP_MAX];       /* enum discv4_cap */
	uint64_t pending_max;           /* most requests pending at once */
};

struct discv4;

/* discv4_new() creates an engine for cfg->ln (localnode_update() is called
 * on it). The first refresh runs at the first discv4_on_timer() unless
 * cfg->no_refresh. Returns 0, -EINVAL (no ln or send), -ENOMEM. */
int discv4_new(struct discv4 **out, const struct discv4_config *cfg,
	       uint64_t now_ns);

/* discv4_free() cancels every pending request (callbacks get -ECANCELED)
 * and frees d. NULL is a no-op. */
void discv4_free(struct discv4 *d);

/* discv4_add_bootnode() adds n to the bootstrap list used by refreshes
 * (and to the table at the next refresh). Returns 0, -EINVAL (bad key or
 * port), -ENOMEM. */
int discv4_add_bootnode(struct discv4 *d, const struct discv4_node *n);

/* discv4_on_packet() handles a packet the dataplane accepted (hash checked,
 * sender recovered into m->node_id, m->hash the packet hash, m->data the
 * RLP packet-data). It re-checks expiration itself. Returns 0 when the
 * packet was used, or -EBADMSG (undecodable), -ETIMEDOUT (expired),
 * -EACCES (unbonded or netrestrict), -ENOENT (unsolicited reply), -EINVAL
 * (from ourselves); stats count the reason. */
int discv4_on_packet(struct discv4 *d, const struct msg_discv4_rx *m,
		     uint64_t now_ns);

/* discv4_on_timer() runs everything due at now_ns: reply timeouts,
 * revalidation pings, refreshes. Calling it early or often is harmless. */
void discv4_on_timer(struct discv4 *d, uint64_t now_ns);

/* discv4_next_deadline() returns when discv4_on_timer() next has work, or
 * UINT64_MAX. Valid until the next call into the engine. */
uint64_t discv4_next_deadline(const struct discv4 *d);

/* discv4_ping() pings n; cb gets 0 and the Pong's enr-seq, or -ETIMEDOUT.
 * Returns 0 (cb will fire exactly once), -EACCES (netrestrict), -EINVAL,
 * -ENOBUFS (a pending cap: DISCV4_PENDING_MAX requests in flight, or
 * DISCV4_PENDING_PEER_MAX to n), -ENOMEM (cb will not fire). */
int discv4_ping(struct discv4 *d, const struct discv4_node *n, uint64_t now_ns,
		discv4_ping_fn *cb, void *arg);

/* discv4_findnode() asks n for the nodes closest to target (a 64-byte
 * public key, hashed for distance). If n has not pinged us within 24 h it
 * first pings n and lets n ping back, so that n holds our endpoint proof.
 * Neighbors are accumulated up to DISCV4_MAX_RESULTS or the reply timeout.
 * Returns as discv4_ping(). */
int discv4_findnode(struct discv4 *d, const struct discv4_node *n,
		    const uint8_t target[DISCV4_PUB_LEN], uint64_t now_ns,
		    discv4_nodes_fn *cb, void *arg);

/* discv4_request_enr() asks n for its record (EIP-868) and checks the
 * request-hash, the signature and that the record's key is n's. Returns
 * as discv4_ping(). */
int discv4_request_enr(struct discv4 *d, const struct discv4_node *n,
		       uint64_t now_ns, discv4_enr_fn *cb, void *arg);

/* discv4_lookup() runs an iterative alpha = 3 lookup for target (64-byte
 * key) from the table (or the bootnodes when it is empty) and reports
 * the DISCV4_MAX_RESULTS closest nodes found. Found nodes are offered to
 * the table. Returns 0 (cb fires once), -EAGAIN (no node to ask), -ENOMEM. */
int discv4_lookup(struct discv4 *d, const uint8_t target[DISCV4_PUB_LEN],
		  uint64_t now_ns, discv4_nodes_fn *cb, void *arg);

/* discv4_refresh() starts a refresh (self lookup, then three random ones)
 * now unless one is running. */
void discv4_refresh(struct discv4 *d, uint64_t now_ns);

/* discv4_is_bonded() tells whether we hold a valid endpoint proof for
 * (pub, ip): a Pong to our Ping from that IP within 24 h. */
bool discv4_is_bonded(const struct discv4 *d, const uint8_t pub[DISCV4_PUB_LEN],
		      const uint8_t ip[16], uint64_t now_ns);

/* discv4_enr_seq() tells what the last Ping or valid Pong from (pub, ip)
 * said about the sender's record (EIP-868: both carry an enr-seq when the
 * implementation knows ENRRequest). Returns 0 with *seq (may be NULL) its
 * enr-seq, -ENODATA when that packet had none (the node has no EIP-868:
 * an ENRRequest is unknown to it, and some implementations count it
 * against the sender), or -ENOENT when we hold neither. */
int discv4_enr_seq(const struct discv4 *d, const uint8_t pub[DISCV4_PUB_LEN],
		   const uint8_t ip[16], uint64_t *seq);

/* discv4_table() exposes the Kademlia table (read-only use). */
const struct kad_table *discv4_table(const struct discv4 *d);

/* discv4_table_size() is kad_len() of the table. */
size_t discv4_table_size(const struct discv4 *d);

/* discv4_stats() returns the counters (for metrics). */
const struct discv4_stats *discv4_stats(const struct discv4 *d);

/* discv4_pending() returns how many requests are in flight. */
size_t discv4_pending(const struct discv4 *d);

/* discv4_node_from_kad() converts a table entry to a wire node. */
void discv4_node_from_kad(struct discv4_node *out, const struct kad_node *k);

#endif /* CONTROL_DISCV4_H */
