/* SPDX-License-Identifier: MIT */
/* dataplane/stage/discv4_rx.h - the dataplane's discv4 ingress stage. */
#ifndef DATAPLANE_DISCV4_RX_H
#define DATAPLANE_DISCV4_RX_H
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

/*
 * One stage per worker thread. discv4_rx_process() checks one datagram, in
 * this order, stopping at the first failure:
 *   size 98..1280 -> keccak hash -> packet-type 1..6 -> RLP (full decode)
 *   -> expiration -> per-source budget -> hash cache (replay guard) /
 *   secp256k1 recover
 * and on success fills a struct msg_discv4_rx for control. It never
 * allocates and never logs; the caller counts the verdict.
 */

/* Verdicts, numbered like the counters of common/dplink_proto.h that the
 * worker bumps for them (see discv4_rx_verdict_cnt()). */
enum discv4_rx_verdict {
	DISCV4_RX_ACCEPT = 0,           /* recovered now */
	DISCV4_RX_ACCEPT_CACHED,        /* node id taken from the hash cache */
	DISCV4_RX_DROP_SIZE,
	DISCV4_RX_DROP_HASH,
	DISCV4_RX_DROP_TYPE,
	DISCV4_RX_DROP_RLP,
	DISCV4_RX_DROP_EXPIRED,
	DISCV4_RX_DROP_BUDGET,
	DISCV4_RX_DROP_SIG,
	DISCV4_RX_DROP_REPLAY,          /* replayed bytes (see below) */
};

struct discv4_rx_cfg {
	uint32_t budget_rate;   /* packets/s per source IP; 0 disables */
	uint32_t budget_burst;  /* packets a quiet source may send at once */
	uint32_t budget_slots;  /* sources tracked, rounded up to a power of
				 * two >= 4; 0: DISCV4_RX_BUDGET_SLOTS */
	uint32_t cache_slots;   /* hash cache entries, rounded up to a power
				 * of two >= 2; 0 disables the cache */
};

/*
 * Replay guard. The hash cache remembers, per packet hash, the source
 * address the packet was first accepted from and how many copies were
 * accepted, until the packet expires. A copy from any other address is a
 * replay: the signature binds the bytes, not the sender's address, so an
 * attacker who captured one signed packet can send it from any number of
 * spoofed sources, each copy passing every check but costing control a
 * Pong and a ping-back. It is dropped (DISCV4_RX_DROP_REPLAY) for the cost
 * of a keccak and a lookup. Copies from the first source are accepted up
 * to DISCV4_RX_DUP_MAX in all, however close together: honest nodes do
 * send identical bytes (secp256k1 signatures are deterministic, RFC 6979,
 * and expirations are whole seconds, so two Pings built within one second
 * for the same endpoint are the same packet), and the commonest case is
 * the one that matters under loss: a node pings us to bond before a
 * FindNode, our Pong is lost or overtaken by our ping-back, so it pings
 * us back with the same bytes one round trip later; that copy is its
 * only way to get a Pong, and geth (which has no replay guard) answers
 * it. A round trip can be well under a millisecond, so no minimum gap
 * between copies can tell it from a replay. (Until 2026-12 copies closer
 * than 100 ms were dropped: in `devplane sim` at 20 % loss that cost 1 in
 * 30 datagrams, all such Pings, and a tenth of the lookups.) What bounds
 * a replay from the first source is the count, DISCV4_RX_DUP_MAX copies
 * per packet in its cache life (at most DISCV4_RX_CACHE_TTL_NS), and the
 * per-source budget; a minimum gap would only spread those copies out,
 * not reduce them. At 20 % loss no honest packet was sent more than four
 * times. The check runs before the keccak, so a replay flood costs one
 * lookup per packet; a copy that is let through still has its hash
 * checked. With cache_slots 0 there is no replay guard.
 *
 * A dataplane with several sockets (devplane testnet) serves several
 * nodes, and one honest sender sends identical bytes to different nodes
 * within a second (an ENRRequest holds nothing but its expiration; a
 * crawler sends the same FindNode target to many): a copy is a replay
 * only towards the same destination, so the cache is keyed by packet hash
 * and destination socket (discv4_rx_process_to()).
 */
#define DISCV4_RX_DUP_MAX    4
#define DISCV4_RX_BUDGET_SLOTS 4096
#define DISCV4_RX_CACHE_TTL_NS (20ull * 1000000000ull) /* longest entry life;
							* also ENRResponse's */

struct discv4_rx;                       /* heap object, one per worker */

/* discv4_rx_new() allocates a stage with its source table and hash cache
 * (the only allocations; done at start-up). Returns 0 and *out, -EINVAL
 * (rate without burst, sizes over 2^24) or -ENOMEM. */
int discv4_rx_new(struct discv4_rx **out, const struct discv4_rx_cfg *cfg);

/* discv4_rx_free() releases s; discv4_rx_free(NULL) is a no-op. */
void discv4_rx_free(struct discv4_rx *s);

/*
 * Time. The stage reads no clock (sans-I/O): the caller passes two.
 * mono_ns (CLOCK_MONOTONIC, never steps) drives everything that measures
 * an interval: the budgets, the gap between copies, the cache entries'
 * lifetimes. unix_ns (CLOCK_REALTIME) is used for one thing, the
 * comparison with a packet's expiration, which discv4.md defines as a
 * Unix time. A wall clock stepping back or forth then moves no budget and
 * no cache entry.
 *
 * Budget key: an IPv4 source is its address; an IPv6 source is its /64,
 * as in the XDP shield (bpf/shield.h): a host owns a /64, so addresses
 * within it are not new sources.
 *
 * Cache eviction: an entry lives until its packet expires but at most
 * DISCV4_RX_CACHE_TTL_NS (a signer picks the expiration, so a far-future
 * one must not pin its way), and a full set evicts the oldest insertion,
 * never by how far off an attacker set the expiration.
 */

/* discv4_rx_process() runs the checks above on buf[0..len), a datagram
 * from src_addr (IPv6 or IPv4-mapped) port src_port_be, at mono_ns and
 * unix_ns (see Time above). On an accept
 * verdict it writes the message into out[0..out_cap): header (type, len),
 * src, ptype, node_id, hash, data_len and data; the caller sets seq,
 * rx_tsc, dst_port_be, sock_idx and queue. out_cap must be at least
 * sizeof(*out) + DISCV4_MAX_LEN - DISCV4_MIN_LEN + 1; a smaller out makes
 * every packet a size drop. On a drop verdict out is unspecified.
 * Returns the verdict. */
enum discv4_rx_verdict discv4_rx_process(struct discv4_rx *s,
					 const uint8_t *buf, size_t len,
					 const uint8_t src_addr[MSG_ADDR_LEN],
					 uint16_t src_port_be, uint64_t mono_ns,
					 uint64_t unix_ns,
					 struct msg_discv4_rx *out,
					 size_t out_cap);

/* discv4_rx_process_to() is discv4_rx_process() for a datagram that
 * arrived on dataplane socket dst (its sock_idx): the hash cache and its
 * replay guard are per destination. discv4_rx_process() is dst 0. */
enum discv4_rx_verdict discv4_rx_process_to(struct discv4_rx *s,
					    const uint8_t *buf, size_t len,
					    const uint8_t src_addr[MSG_ADDR_LEN],
					    uint16_t src_port_be, uint16_t dst,
					    uint64_t mono_ns, uint64_t unix_ns,
					    struct msg_discv4_rx *out,
					    size_t out_cap);

struct srcbudget;

/* discv4_rx_budget() is the stage's per-source budget (NULL when off),
 * for the discv5 stage to charge the same buckets: one source has one
 * discovery budget whichever protocol it speaks
 * (dataplane/stage/discv5_rx.h). Owned by s. */
struct srcbudget *discv4_rx_budget(struct discv4_rx *s);

/* discv4_rx_verdict_cnt() maps a verdict to its enum dp_cnt counter. */
unsigned discv4_rx_verdict_cnt(enum discv4_rx_verdict v);

#endif /* DATAPLANE_DISCV4_RX_H */
