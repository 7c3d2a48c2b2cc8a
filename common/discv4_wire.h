/* SPDX-License-Identifier: MIT */
/* common/discv4_wire.h - discv4 packet codec (discv4.md, EIP-8, EIP-868). */
#ifndef COMMON_DISCV4_WIRE_H
#define COMMON_DISCV4_WIRE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DISCV4_HASH_LEN   32
#define DISCV4_SIG_LEN    65            /* r || s || v */
#define DISCV4_HEAD_LEN   (DISCV4_HASH_LEN + DISCV4_SIG_LEN)
#define DISCV4_MIN_LEN    (DISCV4_HEAD_LEN + 1)   /* + packet-type */
#define DISCV4_MAX_LEN    1280          /* discv4.md: maximum packet size */
#define DISCV4_PUB_LEN    64            /* node id on the wire: x || y */
#define DISCV4_VERSION    4
#define DISCV4_ENR_MAX    300           /* enr.md ENR size cap */
/* Nodes per Neighbors packet we send: 12 IPv6 nodes with maximal ports
 * and expiration fit 1280 bytes, 13 do not (geth's MaxNeighbors). */
#define DISCV4_NEIGHBORS_MAX 12
/* Nodes a received Neighbors can hold: the smallest node entry is 71 bytes
 * (empty ip, zero ports, 64-byte id) and 1280 - 98 - 3 - 3 - 1 bytes are
 * left for them, so no packet within DISCV4_MAX_LEN carries more than 16. */
#define DISCV4_NEIGHBORS_DECODE_MAX 16

enum discv4_type {
	DISCV4_PING = 1,
	DISCV4_PONG = 2,
	DISCV4_FINDNODE = 3,
	DISCV4_NEIGHBORS = 4,
	DISCV4_ENRREQUEST = 5,
	DISCV4_ENRRESPONSE = 6,
};

struct discv4_endpoint {                /* [ip, udp, tcp] */
	uint8_t ip_len;                 /* 0 (unknown), 4 or 16: as on the wire */
	uint8_t ip[16];                 /* IPv4-mapped when ip_len == 4 */
	uint16_t udp;
	uint16_t tcp;
};

struct discv4_ping {                    /* [version, from, to, expiration, enr-seq?] */
	uint64_t version;               /* any value is accepted (EIP-8) */
	struct discv4_endpoint from, to;
	uint64_t expiration;
	bool has_enr_seq;
	uint64_t enr_seq;
};

struct discv4_pong {                    /* [to, ping-hash, expiration, enr-seq?] */
	struct discv4_endpoint to;
	uint8_t ping_hash[DISCV4_HASH_LEN];
	uint64_t expiration;
	bool has_enr_seq;
	uint64_t enr_seq;
};

struct discv4_findnode {                /* [target, expiration] */
	uint8_t target[DISCV4_PUB_LEN];
	uint64_t expiration;
};

struct discv4_node {                    /* [ip, udp, tcp, node-id] */
	struct discv4_endpoint ep;
	uint8_t id[DISCV4_PUB_LEN];
};

struct discv4_neighbors {               /* [[node, ...], expiration] */
	unsigned n;
	struct discv4_node nodes[DISCV4_NEIGHBORS_DECODE_MAX];
	uint64_t expiration;
};

struct discv4_enrrequest {              /* [expiration] */
	uint64_t expiration;
};

struct discv4_enrresponse {             /* [request-hash, ENR] */
	uint8_t request_hash[DISCV4_HASH_LEN];
	uint16_t enr_len;
	uint8_t enr[DISCV4_ENR_MAX];    /* the record's RLP; enr_decode() it */
};

/* One decoded packet, held by value (copies, no views into the datagram). */
struct discv4_packet {
	uint8_t type;                   /* enum discv4_type */
	union {
		struct discv4_ping ping;
		struct discv4_pong pong;
		struct discv4_findnode findnode;
		struct discv4_neighbors neighbors;
		struct discv4_enrrequest enrrequest;
		struct discv4_enrresponse enrresponse;
	} u;
};

/*
 * Receiving is split so the dataplane can drop junk cheaply, in this order:
 * discv4_check_hash() (one keccak), discv4_packet_type() (a byte),
 * discv4_decode() (RLP only), discv4_recover() (secp256k1, the costly one).
 * All are pure functions of buf[0..len); any thread.
 */

/* discv4_check_hash() checks the size (DISCV4_MIN_LEN..DISCV4_MAX_LEN) and
 * that hash == keccak256(signature || packet-type || packet-data). The hash
 * only marks the datagram as discv4; it authenticates nothing, so a mismatch
 * is -EBADMSG (not a discv4 packet), not -EKEYREJECTED. Returns 0,
 * -EMSGSIZE or -EBADMSG. */
int discv4_check_hash(const uint8_t *buf, size_t len);

/* discv4_packet_type() returns the packet-type (1..6), or -EMSGSIZE (size
 * out of range), -EBADMSG (unknown type: EIP-8 says drop it silently). */
int discv4_packet_type(const uint8_t *buf, size_t len);

/* discv4_decode() decodes packet-data into *out by packet-type. It checks
 * neither hash nor signature. EIP-8 leniency: extra list elements and data
 * after the list are ignored and any ping version is accepted; an enr-seq
 * that is not an integer (as in the EIP-8 vectors, which put a list there)
 * counts as absent. IPs must be 0, 4 or 16 bytes, ports < 65536, hashes 32
 * bytes, ids 64 bytes, the ENR an RLP list of at most 300 bytes. Returns
 * the bytes used (header, type and the RLP list, without ignored trailing
 * data), or -EMSGSIZE (size out of range, truncated RLP, more than
 * DISCV4_NEIGHBORS_DECODE_MAX nodes), -EBADMSG (unknown type, malformed). */
ssize_t discv4_decode(struct discv4_packet *out, const uint8_t *buf,
		      size_t len);

/* discv4_recover() recovers the sender's 64-byte public key from the
 * signature over keccak256(packet-type || packet-data). Returns 0,
 * -EMSGSIZE (size out of range) or -EKEYREJECTED (no key recovers). */
int discv4_recover(uint8_t pub[DISCV4_PUB_LEN], const uint8_t *buf,
		   size_t len);

/* discv4_encode() builds packet pkt (type and fields; Neighbors with at most
 * DISCV4_NEIGHBORS_MAX nodes), signs it with priv and writes
 * hash || signature || type || data to out[0..cap). The packet hash (what
 * a Pong or ENRResponse echoes) is out[0..32). Returns the length, or
 * -EINVAL (bad type, key, ip_len, too many nodes, ENR not an RLP list),
 * -EMSGSIZE (cap too small or the packet over DISCV4_MAX_LEN). */
ssize_t discv4_encode(uint8_t *out, size_t cap, const uint8_t priv[32],
		      const struct discv4_packet *pkt);

/* discv4_neighbors_max() returns how many nodes fit one Neighbors packet in
 * the worst case (IPv6, ports 65535, expiration 2^64-1): DISCV4_NEIGHBORS_MAX.
 * Split a longer node list into packets of at most this many. */
unsigned discv4_neighbors_max(void);

/* discv4_encode_neighbors() is discv4_encode() for a Neighbors packet of
 * nodes[0..n), n <= discv4_neighbors_max(). Returns as discv4_encode(). */
ssize_t discv4_encode_neighbors(uint8_t *out, size_t cap,
				const uint8_t priv[32],
				const struct discv4_node *nodes, unsigned n,
				uint64_t expiration);

/* discv4_expiration() sets *exp to the packet's expiration (Unix seconds)
 * and returns true, or returns false for ENRResponse, which has none
 * (EIP-868). */
bool discv4_expiration(const struct discv4_packet *p, uint64_t *exp);

/* discv4_expired() tells whether a packet's expiration (Unix seconds, as
 * sent) lies in the past at now_ns (Unix time in ns). geth decides with
 * time.Unix(int64(exp), 0).Before(now): a value above INT64_MAX reads as a
 * negative time there, long past, and geth's own v4test sends exactly such
 * values, so they count as expired here too. */
static inline bool discv4_expired(uint64_t expiration, uint64_t now_ns)
{
	if (expiration > (uint64_t)INT64_MAX)
		return true;
	if (expiration >= UINT64_MAX / 1000000000u)
		return false;           /* too far ahead to overflow ns */
	return expiration * 1000000000u < now_ns;
}

#endif /* COMMON_DISCV4_WIRE_H */
