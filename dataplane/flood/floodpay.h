/* SPDX-License-Identifier: MIT */
/* dataplane/flood/floodpay.h - the flood generator's junk payloads (its
 * kinds as UDP payloads) and the pacing that both of its senders,
 * ordinary sockets and AF_XDP TX, share. No I/O. */
#ifndef DATAPLANE_FLOODPAY_H
#define DATAPLANE_FLOODPAY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/discv5_wire.h"

/* Junk kinds; the table below says what each looks like and which
 * check of the dataplane's discv4 stage drops it. Over AF_XDP each comes
 * from a random source in the spoof prefix, over sockets from the local
 * sources in turn. */
enum floodpay_kind {
	FLOODPAY_SIZE = 0,      /* payload outside 98..1280 bytes */
	FLOODPAY_TYPE,          /* right size and hash, packet-type 0 or
				 * 7..255 */
	FLOODPAY_HASH,          /* right size and type, hash wrong */
	FLOODPAY_PING,          /* a valid signed Ping (replayed) */
	FLOODPAY_SIG,           /* a Ping with a right hash over a signature
				 * that recovers no key (recovery id 4) */
	FLOODPAY_RLP,           /* right size, hash and type; packet-data
				 * not well-formed RLP */
	FLOODPAY_EXPIRED,       /* a validly signed Ping, expired */
	FLOODPAY_SHORT,         /* payload under 98 bytes */
	FLOODPAY_LONG,          /* payload over 1280 bytes */
	/* discv5 junk (the target runs discv5 beside discv4 on its port;
	 * dataplane/stage/disc_rx.h). The last three need the target's node
	 * id (floodpay_set_v5()): their headers are masked for it. */
	FLOODPAY_V5JUNK,        /* random bytes of discv5's sizes, 63..297 */
	FLOODPAY_V5PROTO,       /* a well-formed discv5 packet masked for
				 * another node: wrong protocol-id */
	FLOODPAY_V5HDR,         /* masked for the target; version, flag or
				 * authdata-size wrong, in turn */
	FLOODPAY_V5HS,          /* a forged handshake: random src-id,
				 * signature, ephemeral key and message */
	FLOODPAY_V5MSG,         /* a message packet from a random src-id:
				 * the node answers WHOAREYOU */
	FLOODPAY_KIND_MAX
};

#define FLOODPAY_KEYS    64     /* keys behind the signed junk kinds */
#define FLOODPAY_MAX_LEN 1400   /* longest payload (long junk) */

/*
 * What each kind looks like, in the order of the dataplane's checks
 * (dataplane/stage/discv4_rx.h), so that each stops at the check it names:
 *   short    1..97 bytes                                 -> size
 *   long     1281..1380 bytes                            -> size
 *   size     short or long, at random                    -> size
 *   type     right size and hash, packet-type 0, 7..255  -> type
 *   hash     right size, packet-type 1..6, hash wrong    -> hash
 *   rlp      right size, hash and type 1..6; packet-data
 *            a list header longer than the datagram      -> rlp
 *   expired  a Ping signed by one of the keys, expired a
 *            minute ago                                  -> expired
 *   sig      a Ping whose recovery id is 4 (no key
 *            recovers), hash recomputed over it          -> sig
 *   ping     a valid Ping signed by one of the keys      -> accepted
 *            (its repeats: replay, budget)
 * and the discv5 kinds, which fail discv4's size (63..97 bytes) or hash
 * check and go on to discv5's (dataplane/stage/discv5_rx.h):
 *   v5junk   random bytes, 63..297                       -> size or hash,
 *   v5proto  a discv5 header masked for another node        and v5_drop_proto
 *   v5hdr    masked for the target: version 2, flag 3,
 *            authdata-size 33 for flag 0, in turn        -> v5 version,
 *                                                           flag, authdata
 *   v5hs     a handshake (flag 2, authdata 131) masked
 *            for the target, all of it random            -> v5 accepted or
 *                                                           its budgets; the
 *                                                           engine drops it
 *                                                           (no challenge)
 *   v5msg    a message packet (flag 0) masked for the
 *            target from a random src-id                 -> v5 accepted or
 *                                                           the budget; the
 *                                                           engine answers
 *                                                           WHOAREYOU
 */

/* floodpay_parse_mix() parses "size=1,type=1,hash=1,ping=1,sig=1" (any of
 * the kinds' names, each with a weight up to 10^6) into mix. Returns 0 or
 * -EINVAL. */
int floodpay_parse_mix(unsigned mix[FLOODPAY_KIND_MAX], const char *s);

/* floodpay_kind_name() is the kind's name in mixes and reports. */
const char *floodpay_kind_name(unsigned k);

struct floodpay {
	uint8_t keys[FLOODPAY_KEYS][32];
	unsigned mix[FLOODPAY_KIND_MAX];
	unsigned wsum;                  /* sum of mix */
	uint8_t dst_addr[16];           /* IPv6 or IPv4-mapped */
	uint16_t dst_port_be;
	uint64_t now_s;                 /* Unix time the expirations start at */
	uint64_t ping_exp;              /* expiration of the live Pings */
	uint64_t rng;                   /* xorshift64* state, never 0 */
	bool has_v5;                    /* floodpay_set_v5() was called */
	unsigned v5_hdr_turn;           /* which lie v5hdr tells next */
	struct discv5_mask_key v5_mask; /* the target's masking key */
};

/* floodpay_init() generates the keys and seeds the generator for junk in
 * the proportions mix to dst_addr:dst_port_be, sent from now_s (Unix
 * seconds) for up to duration_ms: the live Pings expire a minute after
 * that. Returns 0, -EINVAL (all weights 0) or -errno (no randomness). */
int floodpay_init(struct floodpay *p, const unsigned mix[FLOODPAY_KIND_MAX],
		  const uint8_t dst_addr[16], uint16_t dst_port_be,
		  uint64_t now_s, uint32_t duration_ms);

/* floodpay_set_v5() gives the discv5 kinds the target's node id
 * (keccak256 of its public key). Returns 0 or -ENOMEM (no AES). */
int floodpay_set_v5(struct floodpay *p, const uint8_t node_id[32]);

/* floodpay_fini() wipes the keys. */
void floodpay_fini(struct floodpay *p);

/* floodpay_rnd() is the next pseudo-random number (junk needs speed and
 * variety, not secrecy: spoofed sources, ports, filler bytes). */
uint64_t floodpay_rnd(struct floodpay *p);

/* floodpay_pick() draws a kind by the mix's weights. */
unsigned floodpay_pick(struct floodpay *p);

/* floodpay_build() writes one payload of kind k into out[0..out_len),
 * from src_addr:src_port_be (what the signed kinds put in the Ping's
 * `from`; IPv6 or IPv4-mapped). out_len must be at least
 * FLOODPAY_MAX_LEN. Returns the payload length, -EINVAL (unknown kind,
 * short buffer, a discv5 kind that needs the target's id without one) or
 * the encoder's -errno. */
ssize_t floodpay_build(struct floodpay *p, uint8_t *out, size_t out_len,
		       unsigned k, const uint8_t src_addr[16],
		       uint16_t src_port_be);

/* floodpay_ping() signs a Ping with priv from src_addr:src_port to
 * dst_addr:dst_port (host order; the endpoints' tcp port is the udp one),
 * expiring at exp (Unix seconds), with enr-seq seq unless seq is 0. The
 * legitimate side of the flood sends these too. Returns the length or
 * discv4_encode()'s -errno. */
ssize_t floodpay_ping(uint8_t *out, size_t out_len, const uint8_t priv[32],
		      const uint8_t src_addr[16], uint16_t src_port,
		      const uint8_t dst_addr[16], uint16_t dst_port,
		      uint64_t exp, uint64_t seq);

/* The pace of a junk run: rate_pps packets per second from t0_ns (0: as
 * fast as the sender can), at most count in all (0: no limit). total is
 * what the sender has put out so far; it advances it. */
struct floodpay_pace {
	uint64_t t0_ns;
	uint64_t rate_pps;
	uint64_t count;
	uint64_t total;
};

/* floodpay_pace_want() is how many packets may go out at now_ns, at most
 * max: 0 while the rate says wait or once count is reached. */
unsigned floodpay_pace_want(const struct floodpay_pace *pc, uint64_t now_ns,
			    unsigned max);

/* floodpay_pace_wait_ns() is how long after now_ns the next packet is
 * due (0: now, or no rate), so that a sender ahead of the rate may sleep
 * rather than spin on a core the target may need. */
uint64_t floodpay_pace_wait_ns(const struct floodpay_pace *pc,
			       uint64_t now_ns);

#endif /* DATAPLANE_FLOODPAY_H */
