/* SPDX-License-Identifier: MIT */
/* common/discv5_wire.h - discv5 packet codec (discv5-wire.md, Packet
 * Encoding): header masking, static header checks, the three authdata
 * layouts, and the message AES-128-GCM around them.
 *
 *   packet        = masking-iv || masked-header || message
 *   masked-header = aesctr_encrypt(dest-id[:16], masking-iv, header)
 *   header        = static-header || authdata
 *   static-header = "discv5" || version 0x0001 || flag || nonce (12) ||
 *                   authdata-size (2)
 *   message       = aesgcm_encrypt(key, nonce, message-pt,
 *                                  masking-iv || header)
 *
 * authdata by flag:
 *   0 ordinary  : src-id (32)
 *   1 WHOAREYOU : id-nonce (16) || enr-seq (8), and no message
 *   2 handshake : src-id (32) || sig-size (1) || eph-key-size (1) ||
 *                 id-signature || eph-pubkey || record (optional ENR)
 *
 * Only the "v4" identity scheme exists, so a handshake must carry a 64-byte
 * signature and a 33-byte key. The message plaintext (message-type ||
 * RLP) is common/discv5_msg.h's business; the handshake crypto is
 * common/discv5_crypto.h's; sessions, challenges and records are the
 * engine's.
 *
 * Threads: any thread. AES runs on the calling thread's IPsec-MB manager
 * (common/ipsecmb.h). No allocation. Session keys are only read, never
 * copied except into stack state that is wiped. */
#ifndef COMMON_DISCV5_WIRE_H
#define COMMON_DISCV5_WIRE_H
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/discv5_crypto.h"

#define DISCV5_PROTOCOL_ID       "discv5"
#define DISCV5_PROTOCOL_ID_LEN   6
#define DISCV5_VERSION           0x0001
#define DISCV5_MASKING_IV_LEN    16
#define DISCV5_STATIC_HDR_LEN    23     /* 6 + 2 + 1 + 12 + 2 */
/* masking-iv || static-header: 39 */
#define DISCV5_HEAD_LEN          (DISCV5_MASKING_IV_LEN + DISCV5_STATIC_HDR_LEN)
#define DISCV5_PACKET_MIN        63     /* discv5-wire.md, UDP Communication */
#define DISCV5_PACKET_MAX        1280
#define DISCV5_ID_NONCE_LEN      16
#define DISCV5_AUTH_MESSAGE_LEN  32     /* src-id */
#define DISCV5_AUTH_WHOAREYOU_LEN 24    /* id-nonce || enr-seq */
#define DISCV5_AUTH_HS_HEAD_LEN  34     /* src-id || sig-size || eph-key-size */
/* A handshake's authdata without a record: 34 + 64 + 33 = 131. */
#define DISCV5_AUTH_HS_MIN_LEN   (DISCV5_AUTH_HS_HEAD_LEN + \
				  DISCV5_ID_SIG_LEN + DISCV5_EPH_PUB_LEN)
/* geth's minMessageSize: what must follow the static header of a packet
 * that carries a message (32 bytes of src-id + a 16-byte tag at least). */
#define DISCV5_MIN_AFTER_STATIC  48
#define DISCV5_MASK_SCHED_LEN    176    /* AES-128 round keys */

enum discv5_flag {
	DISCV5_FLAG_MESSAGE = 0,
	DISCV5_FLAG_WHOAREYOU = 1,
	DISCV5_FLAG_HANDSHAKE = 2,
};

/* The expanded masking key of one node id (dest-id[:16]). Public data:
 * node ids are not secret. Made once for the local node by whoever
 * receives. */
struct discv5_mask_key {
	alignas(16) uint8_t sched[DISCV5_MASK_SCHED_LEN];
};

/* The static header, unmasked. */
struct discv5_static {
	uint8_t flag;                           /* enum discv5_flag */
	uint8_t nonce[DISCV5_GCM_NONCE_LEN];
	uint16_t authdata_len;
};

/* A decoded header. raw[] holds masking-iv || static-header || authdata,
 * unmasked: the message-ad, and for a WHOAREYOU the challenge-data. The
 * record is raw[record_off .. record_off + record_len). msg points into
 * the packet passed to discv5_decode_header() and dies with it. */
struct discv5_header {
	uint8_t flag;                           /* enum discv5_flag */
	uint8_t nonce[DISCV5_GCM_NONCE_LEN];
	uint16_t authdata_len;
	uint16_t hdr_len;                       /* DISCV5_HEAD_LEN + authdata */
	uint8_t src_id[DISCV5_NODE_ID_LEN];     /* flags 0 and 2 */
	uint8_t id_nonce[DISCV5_ID_NONCE_LEN];  /* flag 1 */
	uint64_t enr_seq;                       /* flag 1 */
	uint8_t id_sig[DISCV5_ID_SIG_LEN];      /* flag 2 */
	uint8_t eph_pub[DISCV5_EPH_PUB_LEN];    /* flag 2, not yet checked */
	uint16_t record_off, record_len;        /* flag 2; record_len 0: none */
	const uint8_t *msg;                     /* message ciphertext || tag */
	size_t msg_len;                         /* 0 for flag 1 */
	uint8_t raw[DISCV5_PACKET_MAX];
};

/* The authdata a handshake packet carries besides the message. */
struct discv5_handshake_auth {
	uint8_t src_id[DISCV5_NODE_ID_LEN];
	uint8_t id_sig[DISCV5_ID_SIG_LEN];      /* discv5_id_sign() */
	uint8_t eph_pub[DISCV5_EPH_PUB_LEN];    /* compressed ephemeral key */
	const uint8_t *record;                  /* RLP ENR, or NULL */
	size_t record_len;                      /* 0 when record is NULL */
};

/* discv5_mask_key_init() expands node_id[:16] into *k. Returns 0 or
 * -ENOMEM (no IPsec-MB manager). */
int discv5_mask_key_init(struct discv5_mask_key *k,
			 const uint8_t node_id[DISCV5_NODE_ID_LEN]);

/* discv5_check_static() is the per-packet test the dataplane runs: it
 * unmasks only the 23-byte static header of pkt[0..len) with the local
 * node's masking key (two AES blocks, no EC work, pkt not modified) and
 * checks it: the packet size, then protocol-id, version and flag, then
 * the lengths the flag implies. Each error names one lie:
 *   -EMSGSIZE         len < 63 or > 1280, or too short or long for its
 *                     kind: flag 0 or 2 with fewer than 48 bytes after the
 *                     static header (geth's minimum) or a message shorter
 *                     than a GCM tag, flag 1 with anything after its 63
 *                     bytes
 *   -ENOMSG           protocol-id is not "discv5": not discv5, or not
 *                     masked for us (a discv4 packet lands here)
 *   -EPROTONOSUPPORT  version is not 0x0001
 *   -EBADRQC          flag is not 0, 1 or 2
 *   -EBADMSG          authdata-size wrong for the flag (not 32, not 24,
 *                     under 131 for a handshake) or past the packet's end
 * and -ENOMEM (no IPsec-MB manager). Returns the header length
 * DISCV5_HEAD_LEN + authdata-size, with *s filled in; on error *s is
 * unspecified. Note: geth accepts any version >= 1 and trailing bytes on a
 * WHOAREYOU; we do not. */
ssize_t discv5_check_static(struct discv5_static *s,
			    const struct discv5_mask_key *k,
			    const uint8_t *pkt, size_t len);

/* discv5_decode_header() runs discv5_check_static(), unmasks the authdata
 * and decodes it by flag into *h (pkt is not modified). A handshake must
 * declare sig-size 64 and eph-key-size 33 and fit its authdata; whatever
 * follows is the record, not checked here (enr_decode() it). Returns
 * h->hdr_len, or the errors of discv5_check_static() and -EBADMSG (a
 * handshake's sizes wrong). On error *h holds nothing usable. */
ssize_t discv5_decode_header(struct discv5_header *h,
			     const struct discv5_mask_key *k,
			     const uint8_t *pkt, size_t len);

/* discv5_open_message() authenticates and decrypts the message of a
 * decoded flag 0 or 2 packet with the read key (for node B of a handshake
 * that is the initiator-key), using h->nonce and h->raw[0..hdr_len) as
 * associated data. pt may not overlap the packet. Returns the plaintext
 * length (message-type || message-data), or -EKEYREJECTED (wrong key or
 * tampered), -EBADMSG (a WHOAREYOU, or an empty plaintext), -EMSGSIZE
 * (pt_len too small), -ENOMEM, -EIO. */
ssize_t discv5_open_message(uint8_t *pt, size_t pt_len,
			    const struct discv5_header *h,
			    const uint8_t key[DISCV5_KEY_LEN]);

/* discv5_encode_whoareyou() writes the 63-byte WHOAREYOU packet to dest_id
 * answering the packet whose nonce was nonce. challenge (may be NULL)
 * receives the unmasked packet, the challenge-data that both sides feed to
 * the key derivation and the id-signature. masking_iv must be fresh random
 * bytes, as must id_nonce. Returns 63, or -EMSGSIZE (out_len), -ENOMEM,
 * -EIO. */
ssize_t discv5_encode_whoareyou(uint8_t *out, size_t out_len,
				uint8_t challenge[DISCV5_CHALLENGE_LEN],
				const uint8_t dest_id[DISCV5_NODE_ID_LEN],
				const uint8_t masking_iv[DISCV5_MASKING_IV_LEN],
				const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
				const uint8_t id_nonce[DISCV5_ID_NONCE_LEN],
				uint64_t enr_seq);

/* discv5_encode_message() writes an ordinary message packet (flag 0) from
 * src_id to dest_id: pt[0..pt_len) (message-type || RLP) sealed with the
 * session write key. nonce must be unique per key (discv5-theory.md,
 * Session Cache) and masking_iv fresh. Returns the packet length, or
 * -EMSGSIZE (over DISCV5_PACKET_MAX, or out_len too small), -EINVAL
 * (pt_len 0), -ENOMEM, -EIO. */
ssize_t discv5_encode_message(uint8_t *out, size_t out_len,
			      const uint8_t dest_id[DISCV5_NODE_ID_LEN],
			      const uint8_t masking_iv[DISCV5_MASKING_IV_LEN],
			      const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			      const uint8_t src_id[DISCV5_NODE_ID_LEN],
			      const uint8_t key[DISCV5_KEY_LEN],
			      const uint8_t *pt, size_t pt_len);

/* discv5_encode_random() writes the flag 0 packet that starts a handshake
 * when no session exists: a real header and junk[0..junk_len) as the
 * message, unencrypted (geth sends 20 random bytes). junk_len >= 16, so
 * the packet passes discv5_check_static(). Returns the packet length, or
 * -EMSGSIZE, -EINVAL (junk_len < 16), -ENOMEM, -EIO. */
ssize_t discv5_encode_random(uint8_t *out, size_t out_len,
			     const uint8_t dest_id[DISCV5_NODE_ID_LEN],
			     const uint8_t masking_iv[DISCV5_MASKING_IV_LEN],
			     const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			     const uint8_t src_id[DISCV5_NODE_ID_LEN],
			     const uint8_t *junk, size_t junk_len);

/* discv5_encode_handshake() writes a handshake message packet (flag 2):
 * the authdata of *auth (record included when record_len > 0) and
 * pt[0..pt_len) sealed with the new initiator-key. Returns the packet
 * length, or -EMSGSIZE (over DISCV5_PACKET_MAX, or out_len too small),
 * -EINVAL (pt_len 0, record NULL with record_len > 0), -ENOMEM, -EIO. */
ssize_t discv5_encode_handshake(uint8_t *out, size_t out_len,
				const uint8_t dest_id[DISCV5_NODE_ID_LEN],
				const uint8_t masking_iv[DISCV5_MASKING_IV_LEN],
				const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
				const struct discv5_handshake_auth *auth,
				const uint8_t key[DISCV5_KEY_LEN],
				const uint8_t *pt, size_t pt_len);

#endif /* COMMON_DISCV5_WIRE_H */
