/* SPDX-License-Identifier: MIT */
/* control/base/localnode.h - our own node: key, endpoint and signed ENR (EIP-778). */
#ifndef CONTROL_LOCALNODE_H
#define CONTROL_LOCALNODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/enr.h"

/*
 * The local node owns the private key of one discovery identity and the
 * record (ENR) it publishes: "id", "secp256k1", "ip"/"udp"/"tcp" (or the
 * "ip6"/"udp6"/"tcp6" variants) and an optional "eth" entry. The record is
 * rebuilt and re-signed whenever its content changes, and every change
 * bumps seq by one, so peers holding an older copy see a higher enr-seq in
 * our Ping/Pong (EIP-868) and re-fetch it.
 *
 * Our external address comes, per family, from (highest priority first):
 * a static IP (--nat extip:IP), the endpoint predicted from what peers say
 * they saw (the `to` of their Pongs: geth's IP tracker, the most common
 * (ip, port) among the latest statement of each distinct reporter within
 * LOCALNODE_TRACK_WINDOW_NS, once it has at least min_statements votes), or
 * the fallback IP (the listen address, when it is not the wildcard).
 *
 * Sans-I/O: every call that depends on time takes now_ns (Unix time in
 * nanoseconds, from the caller's clock). Not thread-safe: the control
 * thread that owns the discv4 engine owns its local node.
 */

#define LOCALNODE_TRACK_MAX        32   /* statements kept per family */
#define LOCALNODE_TRACK_WINDOW_NS  (300ull * 1000000000ull) /* geth: 5 min */
#define LOCALNODE_MIN_STATEMENTS   10   /* geth: iptrackMinStatements */
#define LOCALNODE_ETH_MAX          64   /* raw RLP of the "eth" value */

struct localnode_stmt {                 /* one peer's claim about our address */
	uint8_t from[16];               /* the reporter's IP */
	uint8_t ip[16];                 /* what it saw: IPv4-mapped or IPv6 */
	uint16_t port;
	uint64_t at_ns;                 /* 0: slot unused */
};

struct localnode_track {
	struct localnode_stmt s[LOCALNODE_TRACK_MAX];
};

struct localnode_ep {                   /* one family's endpoint inputs */
	bool has_static, has_fallback;
	uint8_t static_ip[16];
	uint8_t fallback_ip[16];
	struct localnode_track track;
};

struct localnode_content {              /* what the record says, for diffs */
	bool has4, has6;
	uint8_t ip4[16], ip6[16];
	uint16_t udp4, udp6;
};

struct localnode {
	uint8_t priv[32];               /* wiped by localnode_fini() */
	uint8_t pub[64];                /* x || y: the discv4 node id */
	uint8_t id[32];                 /* keccak256(pub) */
	uint64_t seq;                   /* of the current record */
	uint16_t udp, tcp;              /* listen ports (fallback UDP) */
	unsigned min_statements;
	bool has_eth;
	uint8_t eth_len;
	uint8_t eth[LOCALNODE_ETH_MAX];
	bool eth_dirty;                 /* eth or tcp changed since signing */
	bool signed_once;
	struct localnode_ep ep4, ep6;
	struct localnode_content cur;   /* content of rec */
	struct enr rec;                 /* signed; valid after localnode_update() */
};

/* localnode_init() sets up *ln for private key priv. seq is the last
 * sequence number persisted for this key (0 if none); the first record
 * gets seq + 1. udp/tcp are the listen ports. Returns 0 or -EINVAL (bad
 * key). The record is built by the first localnode_update(). */
int localnode_init(struct localnode *ln, const uint8_t priv[32],
		   uint64_t seq, uint16_t udp, uint16_t tcp);

/* localnode_fini() wipes the private key. Does not free ln. */
void localnode_fini(struct localnode *ln);

/* localnode_set_static_ip() pins our external IPv4 (mapped) or IPv6
 * address (--nat extip:IP, or what a NAT gateway reports); prediction is
 * then ignored for that family. It may be called again at run time: the
 * next localnode_update() re-signs with a higher seq if the IP changed. */
void localnode_set_static_ip(struct localnode *ln, const uint8_t ip[16]);

/* localnode_set_fallback_ip() sets the address used while nothing better
 * is known (the listen address; the wildcard is ignored). */
void localnode_set_fallback_ip(struct localnode *ln, const uint8_t ip[16]);

/* localnode_set_udp() sets the advertised UDP port, used unless a
 * prediction names another (geth's SetFallbackUDP: the port a NAT gateway
 * mapped our listen port to). localnode_update() re-signs with a higher
 * seq when it changed the record. */
void localnode_set_udp(struct localnode *ln, uint16_t udp);

/* localnode_set_tcp() sets the advertised TCP port (0: none). */
void localnode_set_tcp(struct localnode *ln, uint16_t tcp);

/* localnode_set_eth() sets the "eth" entry to the RLP value val[0..len)
 * (EIP-2124 [[fork-hash, fork-next]]); len 0 removes it. Returns 0 or
 * -EMSGSIZE (longer than LOCALNODE_ETH_MAX). */
int localnode_set_eth(struct localnode *ln, const uint8_t *val, size_t len);

/* localnode_set_min_statements() changes how many distinct reporters must
 * agree before a predicted endpoint is used (tests use small values). */
void localnode_set_min_statements(struct localnode *ln, unsigned n);

/* localnode_statement() records that the peer at from_ip saw us at
 * ip:port (the `to` of its Pong) at now_ns. A newer claim from the same
 * reporter replaces its older one. Call localnode_update() afterwards. */
void localnode_statement(struct localnode *ln, const uint8_t from_ip[16],
			 const uint8_t ip[16], uint16_t port, uint64_t now_ns);

/* localnode_predict() writes the predicted endpoint of the family of
 * v6 (false: IPv4) at now_ns. Returns true when one has enough votes. */
bool localnode_predict(const struct localnode *ln, bool v6, uint8_t ip[16],
		       uint16_t *port, uint64_t now_ns);

/* localnode_update() recomputes the record content at now_ns and, if it
 * differs from the signed record (or none was signed yet), bumps seq and
 * re-signs. Returns 1 when the record changed (persist localnode_seq()),
 * 0 when not, -EMSGSIZE/-EINVAL from enr_sign(). */
int localnode_update(struct localnode *ln, uint64_t now_ns);

/* localnode_record() returns the current signed record (after at least one
 * successful localnode_update()), or NULL. */
const struct enr *localnode_record(const struct localnode *ln);

/* localnode_seq() returns the seq of the current record. */
uint64_t localnode_seq(const struct localnode *ln);

/* localnode_endpoint4() writes the IPv4 endpoint the record advertises
 * (for Ping's `from`). Returns false when no IPv4 address is known; *ip
 * is then zero and *udp and *tcp the listen ports. */
bool localnode_endpoint4(const struct localnode *ln, uint8_t ip[16],
			 uint16_t *udp, uint16_t *tcp);

#endif /* CONTROL_LOCALNODE_H */
