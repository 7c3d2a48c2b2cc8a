/* SPDX-License-Identifier: MIT */
/* common/rlpx_frame.h - RLPx session secrets and frame codec (rlpx.md, Framing). */
#ifndef COMMON_RLPX_FRAME_H
#define COMMON_RLPX_FRAME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/keccak.h"

#define RLPX_NONCE_LEN       32
#define RLPX_SECRET_LEN      32
#define RLPX_FRAME_HDR_LEN   16         /* header-ciphertext */
#define RLPX_FRAME_MAC_LEN   16         /* header-mac, frame-mac */
#define RLPX_FRAME_HEAD_LEN  (RLPX_FRAME_HDR_LEN + RLPX_FRAME_MAC_LEN)
#define RLPX_FRAME_SIZE_MAX  0xffffffu  /* frame-size is a 24-bit field */
#define RLPX_FRAME_DEFAULT_CAP (16u << 20) /* 16 MiB; the 24-bit field binds first */
#define RLPX_AES_SCHED_LEN   240        /* AES-256 expanded key, 15 round keys */

enum rlpx_role {
	RLPX_INITIATOR = 1,             /* opened the TCP connection, sent auth */
	RLPX_RECIPIENT = 2,             /* accepted it, sent ack */
};

/* Session secrets from the handshake (rlpx.md, Initial Handshake). Plain
 * data with no pointers, so control can copy it into an MSG_RLPX_KEYS ring
 * message for the dataplane. Wipe with rlpx_secrets_wipe(). */
struct rlpx_secrets {
	uint8_t aes[RLPX_SECRET_LEN];   /* aes-secret */
	uint8_t mac[RLPX_SECRET_LEN];   /* mac-secret */
	struct keccak_ctx egress_mac;   /* keccak256.init((mac ^ nonce) || msg) */
	struct keccak_ctx ingress_mac;
};

/* One direction of a frame stream: AES-256-CTR position and the keccak MAC
 * state. ctr is the next 128-bit big-endian counter block; frames are whole
 * blocks, so the keystream never stops mid-block. */
struct rlpx_frame_dir {
	uint8_t ctr[16];
	struct keccak_ctx mac;
};

/* Frame codec state for one session. Embedded by the caller; init/fini, no
 * allocation. One thread at a time per struct (the two directions share the
 * poisoned flag). Once a MAC fails or a header is rejected the streams are
 * out of sync and every later call returns -EPROTO. */
struct rlpx_frame {
	_Alignas(16) uint8_t aes_sched[RLPX_AES_SCHED_LEN];  /* aes-secret */
	_Alignas(16) uint8_t mac_sched[RLPX_AES_SCHED_LEN];  /* mac-secret */
	uint8_t aes[RLPX_SECRET_LEN];   /* the raw secrets, for export */
	uint8_t mac[RLPX_SECRET_LEN];
	struct rlpx_frame_dir egress;
	struct rlpx_frame_dir ingress;
	size_t cap;                     /* largest frame-size accepted or sent */
	uint32_t body_pending;          /* frame-size of a verified header */
	bool have_header;               /* open_header done, open_body due */
	bool poisoned;
};

/* rlpx_secrets_from_shared() derives the session secrets from the ephemeral
 * ECDH secret, both nonces and the auth and ack messages exactly as they went
 * over the wire (EIP-8 size prefix included), for the given role:
 *   shared-secret = keccak256(ephemeral-key || keccak256(resp-nonce || init-nonce))
 *   aes-secret    = keccak256(ephemeral-key || shared-secret)
 *   mac-secret    = keccak256(ephemeral-key || aes-secret)
 * and the egress/ingress MAC states. Cannot fail. */
void rlpx_secrets_from_shared(struct rlpx_secrets *s,
			      const uint8_t eph_shared[RLPX_SECRET_LEN],
			      const uint8_t init_nonce[RLPX_NONCE_LEN],
			      const uint8_t resp_nonce[RLPX_NONCE_LEN],
			      const uint8_t *auth, size_t auth_len,
			      const uint8_t *ack, size_t ack_len,
			      enum rlpx_role role);

/* rlpx_secrets_derive() is rlpx_secrets_from_shared() with the ephemeral
 * secret computed as secp_ecdh(eph_priv, remote_eph_pub). Returns 0,
 * -EINVAL (bad key, point or role); on error *s is zeroed. */
int rlpx_secrets_derive(struct rlpx_secrets *s, const uint8_t eph_priv[32],
			const uint8_t remote_eph_pub[64],
			const uint8_t init_nonce[RLPX_NONCE_LEN],
			const uint8_t resp_nonce[RLPX_NONCE_LEN],
			const uint8_t *auth, size_t auth_len,
			const uint8_t *ack, size_t ack_len,
			enum rlpx_role role);

/* rlpx_secrets_wipe() zeroes *s (explicit_bzero). */
void rlpx_secrets_wipe(struct rlpx_secrets *s);

/* rlpx_frame_init() sets up both frame streams from *s (which the caller may
 * wipe afterwards). cap bounds frame-size on both directions; 0 means
 * RLPX_FRAME_DEFAULT_CAP, and anything above RLPX_FRAME_SIZE_MAX is clamped.
 * Returns 0 or -ENOMEM (this thread's IPsec-MB manager could not be made). */
int rlpx_frame_init(struct rlpx_frame *f, const struct rlpx_secrets *s,
		    size_t cap);

/* rlpx_frame_fini() wipes *f; it does not free it. */
void rlpx_frame_fini(struct rlpx_frame *f);

/* rlpx_frame_sealed_len() is the wire size of a frame carrying len bytes:
 * 32 + pad16(len) + 16. */
size_t rlpx_frame_sealed_len(size_t len);

/* rlpx_frame_seal() writes header-ciphertext || header-mac ||
 * frame-ciphertext || frame-mac for payload[0..len) into out (header-data is
 * [0, 0], i.e. c2 80 80). payload may not overlap out. Returns bytes written,
 * or -EMSGSIZE (len above the cap), -ENOBUFS (out_cap too small),
 * -EPROTO (session poisoned). Nothing changes on error. */
ssize_t rlpx_frame_seal(struct rlpx_frame *f, uint8_t *out, size_t out_cap,
			const uint8_t *payload, size_t len);

/* rlpx_frame_open_header() verifies header-mac over hdr[0..32) and only then
 * decrypts the header. On success stores frame-size in *frame_size and
 * returns the number of body bytes to read next (pad16(frame-size) + 16),
 * which must be handed to rlpx_frame_open_body(). header-data is not
 * interpreted (as geth does). Errors: -EKEYREJECTED (bad header-mac),
 * -EMSGSIZE (frame-size above the cap); both poison the session. -EPROTO
 * (poisoned, or a body is due). */
ssize_t rlpx_frame_open_header(struct rlpx_frame *f, size_t *frame_size,
			       const uint8_t hdr[RLPX_FRAME_HEAD_LEN]);

/* rlpx_frame_open_body() verifies frame-mac over body[0..body_len) and then
 * decrypts frame-size bytes of frame-data into out (out == body is allowed).
 * Returns frame-size, or -EKEYREJECTED (bad frame-mac; poisons), -EINVAL
 * (body_len is not what open_header returned), -ENOBUFS (out_cap below
 * frame-size), -EPROTO (poisoned, or no header). Nothing changes on
 * -EINVAL / -ENOBUFS. */
ssize_t rlpx_frame_open_body(struct rlpx_frame *f, uint8_t *out,
			     size_t out_cap, const uint8_t *body,
			     size_t body_len);

/* rlpx_frame_open() opens the frame at the start of buf[0..len) in one go
 * and stores frame-data in out, its length in *out_len. Returns bytes
 * consumed, or -EAGAIN (buf holds less than a whole frame; nothing changes,
 * though the header is verified again next time: streaming callers should use
 * open_header/open_body), -ENOBUFS (out_cap too small; nothing changes), or
 * the errors of open_header/open_body. out may not overlap buf. */
ssize_t rlpx_frame_open(struct rlpx_frame *f, uint8_t *out, size_t out_cap,
			size_t *out_len, const uint8_t *buf, size_t len);

/* One frame of a batch: the arguments and the result of one single-frame
 * call (rlpx_frame_seal(), rlpx_frame_open_header(),
 * rlpx_frame_open_body(), rlpx_frame_open()). */
struct rlpx_frame_op {
	struct rlpx_frame *f;
	uint8_t *out;                   /* seal: the frame; open: frame-data */
	size_t out_cap;
	const uint8_t *in;              /* seal: payload; open: wire bytes */
	size_t in_len;
	size_t frame_size;              /* set by open_header and open */
	ssize_t rc;                     /* what the single call returns */
};

/*
 * Batches: one frame for each of n sessions in lockstep, each op getting
 * exactly the result, output bytes and session state the single-frame
 * call would give (ops[i].rc), with the keccak MAC steps of the sessions
 * run side by side (keccak256_multi_update/peek) and AES per session as
 * in the single path. Sessions are independent: a bad MAC poisons only its
 * own session. A session may appear in several ops; its frames are then
 * handled in array order (the batch is cut before a repeated session).
 * No buffer of one op may overlap another op's, except inputs with inputs.
 * One thread, as for the single calls; no allocation.
 *
 * rlpx_frame_seal_batch():        rc = rlpx_frame_seal(f, out, out_cap,
 *                                                      in, in_len)
 * rlpx_frame_open_header_batch(): rc = rlpx_frame_open_header(f,
 *                                      &frame_size, in); -EINVAL (nothing
 *                                      changes) if in_len is below
 *                                      RLPX_FRAME_HEAD_LEN
 * rlpx_frame_open_body_batch():   rc = rlpx_frame_open_body(f, out,
 *                                      out_cap, in, in_len)
 * rlpx_frame_open_batch():        rc = rlpx_frame_open(f, out, out_cap,
 *                                      &frame_size, in, in_len)
 */
void rlpx_frame_seal_batch(struct rlpx_frame_op *ops, size_t n);
void rlpx_frame_open_header_batch(struct rlpx_frame_op *ops, size_t n);
void rlpx_frame_open_body_batch(struct rlpx_frame_op *ops, size_t n);
void rlpx_frame_open_batch(struct rlpx_frame_op *ops, size_t n);

struct msg_rlpx_keys;

/* rlpx_frame_export() writes the session's record-layer state (both
 * secrets, both MAC states, both AES-CTR positions) into the secret fields
 * of an MSG_RLPX_KEYS message (aes_secret .. ingress_ctr_pos), so another
 * thread or process can continue both streams exactly where f stands
 * (rlpx_frame_import()). Other fields of *m are untouched. Returns 0, or
 * -EPROTO (poisoned, or between open_header and open_body), -EOVERFLOW (a
 * counter beyond 2^60 blocks). The caller wipes *m after use. */
int rlpx_frame_export(struct msg_rlpx_keys *m, const struct rlpx_frame *f);

/* rlpx_frame_import() is rlpx_frame_init() from an exported state. cap as
 * for rlpx_frame_init(). Returns 0, -EBADMSG (a CTR position that is not a
 * whole number of blocks, or a MAC state whose pos is not below the keccak
 * rate), -ENOMEM; on error *f is wiped and poisoned. */
int rlpx_frame_import(struct rlpx_frame *f, const struct msg_rlpx_keys *m,
		      size_t cap);

/* rlpx_frame_thread_fini() frees the calling thread's IPsec-MB manager
 * (the one common/ipsecmb.h keeps, shared with ECIES),
 * which the first rlpx_frame_init() on a thread allocates (about 200 KB,
 * once; the per-frame paths never allocate). Call before the thread exits
 * if it used this module; later calls on the thread allocate again. */
void rlpx_frame_thread_fini(void);

#endif /* COMMON_RLPX_FRAME_H */
