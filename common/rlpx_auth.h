/* SPDX-License-Identifier: MIT */
/* common/rlpx_auth.h - RLPx handshake auth/ack bodies (rlpx.md, EIP-8), sans-I/O.
 *
 * Codec and crypto only: build the bytes to send, parse the bytes received.
 * The handshake state machine (control/) owns sockets, timers, the order of
 * messages and the derivation of session secrets; it keeps the exact wire
 * bytes of both messages, which the MAC initialisation needs.
 *
 * We send EIP-8 messages (2-byte big-endian size prefix, used as ECIES
 * authdata, then ECIES of an RLP list plus 100-300 bytes of padding). We
 * receive both EIP-8 and the legacy fixed-size format (auth 307 bytes, ack
 * 210 bytes on the wire, no prefix, no authdata), and a legacy ack can be
 * built to answer a legacy auth, as geth does.
 *
 * Threads: any thread (see common/secp.h and common/ecies.h). No allocation;
 * secrets on the stack are wiped before returning. */
#ifndef COMMON_RLPX_AUTH_H
#define COMMON_RLPX_AUTH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/secp.h"

#define RLPX_AUTH_NONCE_LEN     32
#define RLPX_AUTH_VERSION       4       /* auth-vsn and ack-vsn we send */
#define RLPX_AUTH_MAX_LEN       2048    /* received-message cap, prefix included */
#define RLPX_AUTH_LEGACY_LEN    307     /* legacy auth on the wire: 194 + ECIES */
#define RLPX_AUTH_ACK_LEGACY_LEN 210    /* legacy ack on the wire: 97 + ECIES */
#define RLPX_AUTH_PAD_MIN       100     /* EIP-8 padding we add */
#define RLPX_AUTH_PAD_MAX       300
#define RLPX_AUTH_BUF_LEN       600     /* holds any auth or ack we build */

/* What a recipient learns from an auth message. */
struct rlpx_auth_fields {
	uint8_t remote_pub[SECP_PUB_LEN];       /* initiator static key (node id) */
	uint8_t remote_eph_pub[SECP_PUB_LEN];   /* recovered from the signature */
	uint8_t nonce[RLPX_AUTH_NONCE_LEN];     /* initiator-nonce */
	uint64_t version;                       /* auth-vsn as sent (4 for legacy) */
	bool legacy;                            /* pre-EIP-8 format */
};

/* What an initiator learns from an ack message. */
struct rlpx_auth_ack_fields {
	uint8_t remote_eph_pub[SECP_PUB_LEN];   /* recipient-ephemeral-pubk */
	uint8_t nonce[RLPX_AUTH_NONCE_LEN];     /* recipient-nonce */
	uint64_t version;                       /* ack-vsn as sent (4 for legacy) */
	bool legacy;
};

/* rlpx_auth_build() writes an EIP-8 auth message from the initiator: the
 * body [sig, initiator-pubk, initiator-nonce, 4] where sig signs
 * ecdh(priv, remote_pub) XOR nonce with eph_priv, padded, ECIES-sealed to
 * remote_pub, behind its size prefix. priv is our static key, eph_priv our
 * ephemeral key, nonce our fresh random nonce.
 * Returns the bytes written (at most RLPX_AUTH_BUF_LEN), or -EMSGSIZE (out_len
 * too small), -EINVAL (a bad key or remote_pub not a point), or the -errno
 * of getrandom / the IPsec-MB manager. */
ssize_t rlpx_auth_build(uint8_t *out, size_t out_len,
			const uint8_t priv[SECP_PRIV_LEN],
			const uint8_t eph_priv[SECP_PRIV_LEN],
			const uint8_t nonce[RLPX_AUTH_NONCE_LEN],
			const uint8_t remote_pub[SECP_PUB_LEN]);

/* rlpx_auth_parse() reads the auth message at the start of buf[0..len) with
 * our static key priv: decrypts it (legacy or EIP-8), decodes it, checks the
 * initiator's static key is a curve point and recovers its ephemeral key
 * from the signature (legacy: also checks the sent keccak256 of that key).
 * Extra list elements and any auth-vsn are accepted, as EIP-8 requires.
 * Bytes after the message are left alone.
 * Returns the bytes the message occupies (consumed), or
 *   -EAGAIN      buf holds only a prefix of a message: call again with more
 *   -EMSGSIZE    the size prefix announces more than RLPX_AUTH_MAX_LEN
 *   -EKEYREJECTED ECIES MAC failed (not for us, corrupted) or the
 *                signature recovers no key / the wrong hash
 *   -EBADMSG     malformed: bad ephemeral ECIES key, bad RLP, wrong field
 *                sizes, a static key that is not a point
 * or -ENOMEM. *out is written only on success. */
ssize_t rlpx_auth_parse(struct rlpx_auth_fields *out,
			const uint8_t priv[SECP_PRIV_LEN],
			const uint8_t *buf, size_t len);

/* rlpx_auth_ack_build() writes the recipient's ack to remote_pub (the
 * initiator's static key): [recipient-ephemeral-pubk, recipient-nonce, 4]
 * in EIP-8 form, or, when legacy is set (to answer a legacy auth), the
 * 97-byte fixed body sealed without prefix. Same returns as
 * rlpx_auth_build(). */
ssize_t rlpx_auth_ack_build(uint8_t *out, size_t out_len,
			    const uint8_t eph_priv[SECP_PRIV_LEN],
			    const uint8_t nonce[RLPX_AUTH_NONCE_LEN],
			    const uint8_t remote_pub[SECP_PUB_LEN], bool legacy);

/* rlpx_auth_ack_parse() reads the ack at the start of buf[0..len) with our
 * static key priv and checks the recipient's ephemeral key is a point.
 * Same returns as rlpx_auth_parse(). */
ssize_t rlpx_auth_ack_parse(struct rlpx_auth_ack_fields *out,
			    const uint8_t priv[SECP_PRIV_LEN],
			    const uint8_t *buf, size_t len);

#endif /* COMMON_RLPX_AUTH_H */
