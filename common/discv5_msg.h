/* SPDX-License-Identifier: MIT */
/* common/discv5_msg.h - discv5 message codec (discv5-wire.md, Protocol
 * Messages): message-pt = message-type || RLP(message-data).
 *
 *   0x01 PING      [req-id, enr-seq]
 *   0x02 PONG      [req-id, enr-seq, recipient-ip, recipient-port]
 *   0x03 FINDNODE  [req-id, [distance, ...]]
 *   0x04 NODES     [req-id, total, [ENR, ...]]
 *   0x05 TALKREQ   [req-id, protocol, request]
 *   0x06 TALKRESP  [req-id, response]
 *   0x07..0x0a     topic advertisement: known, decoded only up to the
 *                  req-id, and to be ignored (geth does not implement them)
 *
 * Decoding is as strict as geth's RLP struct decoding: canonical RLP,
 * exactly one list with exactly the listed elements and no trailing bytes,
 * integers without leading zeros and within their type (enr-seq 64 bits,
 * port 16, total 8), req-id a string of at most 8 bytes. Beyond geth:
 * recipient-ip must be 4 or 16 bytes. Decoded byte strings are views into
 * the caller's plaintext and die with it.
 *
 * Threads: any; no allocation, no global state. */
#ifndef COMMON_DISCV5_MSG_H
#define COMMON_DISCV5_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DISCV5_REQ_ID_MAX        8
#define DISCV5_DISTANCE_MAX      256
/* Distances 0..256, each once: what a decoded FINDNODE can hold. */
#define DISCV5_FINDNODE_DIST_MAX (DISCV5_DISTANCE_MAX + 1)

enum discv5_msg_type {
	DISCV5_MSG_PING = 0x01,
	DISCV5_MSG_PONG = 0x02,
	DISCV5_MSG_FINDNODE = 0x03,
	DISCV5_MSG_NODES = 0x04,
	DISCV5_MSG_TALKREQ = 0x05,
	DISCV5_MSG_TALKRESP = 0x06,
	/* The topic messages, as the current spec numbers them (the v5.1
	 * draft had REGTOPIC, TICKET, REGCONFIRMATION, TOPICQUERY). */
	DISCV5_MSG_REGTOPIC = 0x07,
	DISCV5_MSG_REGCONFIRMATION = 0x08,
	DISCV5_MSG_TOPICQUERY = 0x09,
	DISCV5_MSG_TOPICNODES = 0x0a,
};

struct discv5_ping {
	uint64_t enr_seq;
};

struct discv5_pong {
	uint64_t enr_seq;
	uint8_t ip[16];                 /* ip[0..ip_len) */
	uint8_t ip_len;                 /* 4 or 16 */
	uint16_t port;
};

/* Decoded, dist[] holds the requested distances in the order first given,
 * without repeats; distances over 256 are dropped (geth's
 * collectTableNodes skips both), so n may be smaller than the list. To
 * encode, dist[0..n) is written as given and must be <= 256. */
struct discv5_findnode {
	uint16_t n;
	uint16_t dist[DISCV5_FINDNODE_DIST_MAX];
};

/* enrs[0..enrs_len) is the records back to back, each a whole RLP list
 * (walk them with discv5_nodes_next()). Decoding checks every record with
 * enr_decode() (size, canonical RLP, sorted keys), not its signature. */
struct discv5_nodes {
	uint8_t total;
	uint16_t n;                     /* records in enrs */
	const uint8_t *enrs;
	size_t enrs_len;
};

struct discv5_talkreq {
	const uint8_t *proto;
	size_t proto_len;
	const uint8_t *req;
	size_t req_len;
};

struct discv5_talkresp {
	const uint8_t *resp;
	size_t resp_len;
};

struct discv5_msg {
	uint8_t type;                   /* enum discv5_msg_type */
	uint8_t req_id_len;
	uint8_t req_id[DISCV5_REQ_ID_MAX];
	union {                         /* by type; nothing for 0x07..0x0a */
		struct discv5_ping ping;
		struct discv5_pong pong;
		struct discv5_findnode findnode;
		struct discv5_nodes nodes;
		struct discv5_talkreq talkreq;
		struct discv5_talkresp talkresp;
	};
};

/* discv5_msg_is_topic() is true for the topic messages 0x07..0x0a, which a
 * decoder accepts and an engine ignores. */
static inline bool discv5_msg_is_topic(uint8_t type)
{
	return type >= DISCV5_MSG_REGTOPIC && type <= DISCV5_MSG_TOPICNODES;
}

/* discv5_msg_decode() decodes message-pt pt[0..len) (as returned by
 * discv5_open_message()) into *m. For 0x07..0x0a only type and req-id are
 * filled in, after checking the body is one well-formed RLP list that
 * starts with a valid req-id. Returns len, or -EBADMSG (unknown type,
 * malformed or truncated RLP, wrong element count or kind, req-id over 8
 * bytes, integer out of range or non-canonical, bad IP length, a NODES
 * record that enr_decode() rejects). On error *m holds nothing usable. */
ssize_t discv5_msg_decode(struct discv5_msg *m, const uint8_t *pt, size_t len);

/* discv5_msg_encode() writes message-type || RLP(message-data) of *m (types
 * 0x01..0x06) to out[0..out_len). Returns the length, or -EMSGSIZE (out_len
 * too small), -EINVAL (a topic or unknown type, req_id_len over 8, ip_len
 * not 4 or 16, a distance over 256 or n over DISCV5_FINDNODE_DIST_MAX,
 * enrs not n whole RLP lists). */
ssize_t discv5_msg_encode(uint8_t *out, size_t out_len,
			  const struct discv5_msg *m);

/* discv5_nodes_next() steps through a NODES message's records: start with
 * *off = 0; each call points *rec at one record's whole RLP encoding (for
 * enr_decode()). Returns 1 with a record, 0 after the last, or -EBADMSG
 * (enrs malformed; never for a decoded message). */
int discv5_nodes_next(const uint8_t **rec, size_t *rec_len,
		      const struct discv5_nodes *n, size_t *off);

#endif /* COMMON_DISCV5_MSG_H */
