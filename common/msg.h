/* SPDX-License-Identifier: MIT */
/* common/msg.h - ring message ABI shared by devplane-dp and devplane. */
#ifndef COMMON_MSG_H
#define COMMON_MSG_H
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Both processes include this header and nothing else to agree on what
 * travels through the shared-memory rings (common/shmring.h). Rules:
 * fixed-width fields only, explicit padding (pad fields are written as zero
 * and ignored on read), no pointers, host byte order unless the name ends
 * in _be. Every layout is pinned by static_asserts below; any change bumps
 * MSG_ABI_VERSION, which shmring_attach() checks.
 *
 * A ring carries 8-byte descriptors (struct msg_desc). Most point at a
 * slot of the shared pool holding one message that starts with a struct
 * msg_hdr; desc.kind repeats hdr.type so a consumer can route without
 * touching the slot's cache lines.
 */

#define MSG_ABI_VERSION 1               /* bump on any layout change */
#define MSG_SLOT_SIZE   2048            /* bytes in one pool slot */

#define MSG_ADDR_LEN         16         /* IPv6, or IPv4-mapped (::ffff:a.b.c.d) */
#define MSG_NODE_ID_LEN      64         /* uncompressed secp256k1 key, no 0x04 */
#define MSG_HASH_LEN         32         /* keccak-256 */
#define MSG_DISCV4_MAX_PACKET 1280      /* discv4.md: max packet size */
#define MSG_RLPX_SECRET_LEN  32
#define MSG_KECCAK_STATE_LEN 200        /* 25 lanes, little-endian bytes */

enum msg_type {
	MSG_DISCV4_RX = 1,      /* dp -> ctl: checked packet, sender recovered */
	MSG_DISCV4_TX,          /* ctl -> dp: signed packet to send */
	MSG_RLPX_KEYS,          /* ctl -> dp: hand a session over (secrets) */
	MSG_RLPX_RX,            /* dp -> ctl: decoded message (or fragment) */
	MSG_RLPX_TX,            /* ctl -> dp: message to frame and send */
	MSG_RLPX_CLOSED,        /* either way: session ended / close it */
	MSG_STATS,              /* dp -> ctl: per-worker counter snapshot */
	MSG_TYPE_MAX
};

/* struct msg_desc is what the rings carry. */
struct msg_desc {
	uint32_t slot;          /* pool slot index; a value if MSG_DESC_F_NOSLOT */
	uint16_t len;           /* bytes used in the slot, <= MSG_SLOT_SIZE */
	uint8_t kind;           /* enum msg_type */
	uint8_t flags;          /* MSG_DESC_F_* */
};

/* The descriptor carries no slot: desc.slot is an immediate 32-bit value
 * (for example a session id on a close notification) and desc.len is 0. */
#define MSG_DESC_F_NOSLOT 0x01

/* Every message in a slot starts with this header. */
struct msg_hdr {
	uint16_t type;          /* enum msg_type, equal to desc.kind */
	uint16_t len;           /* bytes after this header */
	uint32_t seq;           /* per ring, wraps; for loss accounting */
	uint64_t rx_tsc;        /* when the packet arrived (TSC), or 0 */
};

/* dataplane -> control: a discv4 packet that passed size, hash, type,
 * expiration, budget and signature recovery. */
struct msg_discv4_rx {
	struct msg_hdr hdr;
	uint8_t src_addr[MSG_ADDR_LEN];         /* IPv4-mapped IPv6 */
	uint16_t src_port_be;
	uint8_t ptype;                          /* discv4 packet-type 0x01..0x06 */
	uint8_t pad0[5];
	uint8_t node_id[MSG_NODE_ID_LEN];       /* recovered public key */
	uint8_t hash[MSG_HASH_LEN];             /* packet hash (Pong reply-tok) */
	uint16_t dst_port_be;                   /* local port it arrived on */
	uint16_t sock_idx;                      /* local socket / queue pair */
	uint16_t queue;                         /* dataplane worker index */
	uint16_t data_len;                      /* bytes in data[] */
	uint8_t data[];                         /* RLP packet-data (after ptype) */
};

/* control -> dataplane: a complete, signed discv4 packet. */
struct msg_discv4_tx {
	struct msg_hdr hdr;
	uint8_t dst_addr[MSG_ADDR_LEN];         /* IPv4-mapped IPv6 */
	uint16_t dst_port_be;
	uint16_t sock_idx;                      /* which local socket sends it */
	uint16_t data_len;                      /* bytes in data[] */
	uint8_t pad0[2];
	uint8_t data[];                         /* hash || sig || ptype || RLP */
};

/* A keccak-256 sponge mid-stream, as common/keccak.h keeps it: the 25
 * lanes serialised little-endian and the bytes absorbed into the current
 * block. */
struct msg_keccak_state {
	uint8_t st[MSG_KECCAK_STATE_LEN];
	uint32_t pos;                           /* < KECCAK256_RATE (136) */
	uint8_t pad0[4];
};

/* control -> dataplane: the session's record-layer state after the
 * handshake (rlpx.md, Secrets), like kernel TLS's crypto_info. The TCP
 * socket travels separately over the control socket (SCM_RIGHTS), tagged
 * with the same session_id. The consumer explicit_bzero()s the slot after
 * copying this out. */
struct msg_rlpx_keys {
	struct msg_hdr hdr;
	uint64_t session_id;
	uint8_t remote_addr[MSG_ADDR_LEN];
	uint16_t remote_port_be;
	uint16_t queue;                         /* worker that owns the session */
	uint32_t flags;                         /* MSG_RLPX_KEYS_F_* */
	uint8_t remote_id[MSG_NODE_ID_LEN];
	uint8_t aes_secret[MSG_RLPX_SECRET_LEN];
	uint8_t mac_secret[MSG_RLPX_SECRET_LEN];
	struct msg_keccak_state egress_mac;
	struct msg_keccak_state ingress_mac;
	uint64_t egress_ctr_pos;                /* AES-CTR keystream bytes used */
	uint64_t ingress_ctr_pos;
};

#define MSG_RLPX_KEYS_F_SNAPPY 0x01     /* p2p v5: payloads snappy-compressed */

/* MSG_RLPX_RX (dp -> ctl) and MSG_RLPX_TX (ctl -> dp): one message of a
 * session, uncompressed. A message larger than a slot is split into
 * fragments at increasing frag_off; the one that reaches total_len carries
 * MSG_RLPX_F_LAST. */
struct msg_rlpx_data {
	struct msg_hdr hdr;
	uint64_t session_id;
	uint64_t msg_code;                      /* rlpx.md: msg-id, offset applied */
	uint32_t total_len;                     /* whole message payload */
	uint32_t frag_off;                      /* offset of data[0] in it */
	uint16_t data_len;                      /* bytes in data[] */
	uint16_t flags;                         /* MSG_RLPX_F_* */
	uint8_t pad0[4];
	uint8_t data[];
};

#define MSG_RLPX_F_LAST 0x01

/* Payload bytes one MSG_RLPX_RX / MSG_RLPX_TX slot carries. */
#define MSG_RLPX_FRAG_MAX (MSG_SLOT_SIZE - 48)

/* MSG_RLPX_CLOSED: dp -> ctl when a session ends (peer closed, MAC
 * failure, Disconnect received); ctl -> dp to ask for a close, sending a
 * Disconnect with `reason` first when it is a p2p reason code. */
struct msg_rlpx_closed {
	struct msg_hdr hdr;
	uint64_t session_id;
	int32_t error;                          /* 0 or -errno */
	uint8_t reason;                         /* p2p Disconnect reason */
	uint8_t origin;                         /* enum msg_close_origin */
	uint8_t pad0[2];
};

/* msg_rlpx_closed.reason when control asks for a close without a
 * Disconnect frame (p2p reasons are 0x00..0x10). */
#define MSG_RLPX_REASON_NONE 0xff

enum msg_close_origin {
	MSG_CLOSE_LOCAL = 0,
	MSG_CLOSE_REMOTE,
	MSG_CLOSE_ERROR,
};

/* Per-worker counters, sent periodically as MSG_STATS. */
enum msg_stat {
	MSG_STAT_RX_PKTS = 0,
	MSG_STAT_RX_BYTES,
	MSG_STAT_TX_PKTS,
	MSG_STAT_TX_BYTES,
	MSG_STAT_DROP_SIZE,
	MSG_STAT_DROP_HASH,
	MSG_STAT_DROP_TYPE,
	MSG_STAT_DROP_EXPIRED,
	MSG_STAT_DROP_BUDGET,
	MSG_STAT_DROP_SIG,
	MSG_STAT_DROP_RING_FULL,
	MSG_STAT_DROP_NO_SLOT,
	MSG_STAT_RLPX_FRAMES_RX,
	MSG_STAT_RLPX_FRAMES_TX,
	MSG_STAT_RLPX_MAC_FAIL,
	MSG_STAT_COUNT
};
#define MSG_STAT_MAX 16                 /* ABI: counter[] length; room to grow */

struct msg_stats {
	struct msg_hdr hdr;
	uint16_t queue;
	uint8_t pad0[6];
	uint64_t now_tsc;
	uint64_t tsc_hz;
	uint64_t counter[MSG_STAT_MAX];         /* enum msg_stat; cumulative */
};

/* msg_check() validates a message's fixed part of fixed_len bytes
 * against its descriptor: msg, a private copy (msg_load() makes one).
 * Returns 0, -EBADMSG (type differs from desc kind) or -EMSGSIZE (the
 * descriptor, header and fixed part disagree on the length). */
static inline int msg_check(const struct msg_desc *d, const void *msg,
			    size_t fixed_len)
{
	const struct msg_hdr *h = msg;

	if (d->len > MSG_SLOT_SIZE || d->len < fixed_len ||
	    fixed_len < sizeof(*h))
		return -EMSGSIZE;
	if (h->type != d->kind)
		return -EBADMSG;
	if ((size_t)h->len + sizeof(*h) != d->len)
		return -EMSGSIZE;
	return 0;
}

/*
 * msg_load() is how a consumer reads a message out of a shared slot: the
 * other process may rewrite the slot at any moment, so a length checked
 * in the slot can have grown by the time it is used (DESIGN.md, Trust
 * boundaries). It copies the fixed part, fixed_len bytes, out of slot
 * into out once and validates the copy with msg_check(); the caller then
 * reads only *out, and a payload after it only with lengths it validated
 * on *out (d is the consumer's own copy of the descriptor). Returns 0,
 * -EBADMSG or -EMSGSIZE; *out is then unspecified.
 */
static inline int msg_load(const struct msg_desc *d, const void *slot,
			   void *out, size_t fixed_len)
{
	if (!slot || d->len > MSG_SLOT_SIZE || d->len < fixed_len ||
	    fixed_len < sizeof(struct msg_hdr))
		return -EMSGSIZE;
	memcpy(out, slot, fixed_len);
	/* The copy is the only source from here: no load of *out may be
	 * turned back into a load of the slot. */
	__asm__ __volatile__("" : : : "memory");
	return msg_check(d, out, fixed_len);
}

/* The layout is the ABI: pin every offset a peer relies on. */
static_assert(sizeof(struct msg_desc) == 8, "msg ABI: descriptor");
static_assert(offsetof(struct msg_desc, len) == 4, "msg ABI");
static_assert(offsetof(struct msg_desc, kind) == 6, "msg ABI");
static_assert(offsetof(struct msg_desc, flags) == 7, "msg ABI");
static_assert(MSG_TYPE_MAX <= 256, "msg_type fits desc.kind");
static_assert(MSG_SLOT_SIZE <= UINT16_MAX, "slot length fits desc.len");

static_assert(sizeof(struct msg_hdr) == 16, "msg ABI");
static_assert(offsetof(struct msg_hdr, seq) == 4, "msg ABI");
static_assert(offsetof(struct msg_hdr, rx_tsc) == 8, "msg ABI");

static_assert(offsetof(struct msg_discv4_rx, src_addr) == 16, "msg ABI");
static_assert(offsetof(struct msg_discv4_rx, src_port_be) == 32, "msg ABI");
static_assert(offsetof(struct msg_discv4_rx, ptype) == 34, "msg ABI");
static_assert(offsetof(struct msg_discv4_rx, node_id) == 40, "msg ABI");
static_assert(offsetof(struct msg_discv4_rx, hash) == 104, "msg ABI");
static_assert(offsetof(struct msg_discv4_rx, dst_port_be) == 136, "msg ABI");
static_assert(offsetof(struct msg_discv4_rx, sock_idx) == 138, "msg ABI");
static_assert(offsetof(struct msg_discv4_rx, queue) == 140, "msg ABI");
static_assert(offsetof(struct msg_discv4_rx, data_len) == 142, "msg ABI");
static_assert(offsetof(struct msg_discv4_rx, data) == 144, "msg ABI");
static_assert(sizeof(struct msg_discv4_rx) == 144, "msg ABI");
static_assert(sizeof(struct msg_discv4_rx) + MSG_DISCV4_MAX_PACKET <=
	      MSG_SLOT_SIZE, "max discv4 packet fits");

static_assert(offsetof(struct msg_discv4_tx, dst_addr) == 16, "msg ABI");
static_assert(offsetof(struct msg_discv4_tx, dst_port_be) == 32, "msg ABI");
static_assert(offsetof(struct msg_discv4_tx, sock_idx) == 34, "msg ABI");
static_assert(offsetof(struct msg_discv4_tx, data_len) == 36, "msg ABI");
static_assert(offsetof(struct msg_discv4_tx, data) == 40, "msg ABI");
static_assert(sizeof(struct msg_discv4_tx) == 40, "msg ABI");
static_assert(sizeof(struct msg_discv4_tx) + MSG_DISCV4_MAX_PACKET <=
	      MSG_SLOT_SIZE, "max discv4 packet fits");

static_assert(sizeof(struct msg_keccak_state) == 208, "msg ABI");
static_assert(offsetof(struct msg_keccak_state, pos) == 200, "msg ABI");

static_assert(offsetof(struct msg_rlpx_keys, session_id) == 16, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, remote_addr) == 24, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, remote_port_be) == 40, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, queue) == 42, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, flags) == 44, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, remote_id) == 48, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, aes_secret) == 112, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, mac_secret) == 144, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, egress_mac) == 176, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, ingress_mac) == 384, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, egress_ctr_pos) == 592, "msg ABI");
static_assert(offsetof(struct msg_rlpx_keys, ingress_ctr_pos) == 600, "msg ABI");
static_assert(sizeof(struct msg_rlpx_keys) == 608, "msg ABI");
static_assert(sizeof(struct msg_rlpx_keys) <= MSG_SLOT_SIZE, "keys fit");

static_assert(offsetof(struct msg_rlpx_data, session_id) == 16, "msg ABI");
static_assert(offsetof(struct msg_rlpx_data, msg_code) == 24, "msg ABI");
static_assert(offsetof(struct msg_rlpx_data, total_len) == 32, "msg ABI");
static_assert(offsetof(struct msg_rlpx_data, frag_off) == 36, "msg ABI");
static_assert(offsetof(struct msg_rlpx_data, data_len) == 40, "msg ABI");
static_assert(offsetof(struct msg_rlpx_data, flags) == 42, "msg ABI");
static_assert(offsetof(struct msg_rlpx_data, data) == 48, "msg ABI");
static_assert(sizeof(struct msg_rlpx_data) == 48, "msg ABI");

static_assert(offsetof(struct msg_rlpx_closed, session_id) == 16, "msg ABI");
static_assert(offsetof(struct msg_rlpx_closed, error) == 24, "msg ABI");
static_assert(offsetof(struct msg_rlpx_closed, reason) == 28, "msg ABI");
static_assert(offsetof(struct msg_rlpx_closed, origin) == 29, "msg ABI");
static_assert(sizeof(struct msg_rlpx_closed) == 32, "msg ABI");

static_assert(offsetof(struct msg_stats, queue) == 16, "msg ABI");
static_assert(offsetof(struct msg_stats, now_tsc) == 24, "msg ABI");
static_assert(offsetof(struct msg_stats, tsc_hz) == 32, "msg ABI");
static_assert(offsetof(struct msg_stats, counter) == 40, "msg ABI");
static_assert(sizeof(struct msg_stats) == 40 + 8 * MSG_STAT_MAX, "msg ABI");
static_assert(sizeof(struct msg_stats) <= MSG_SLOT_SIZE, "stats fit");
static_assert(MSG_STAT_COUNT <= MSG_STAT_MAX, "counters fit msg_stats");

#endif /* COMMON_MSG_H */
