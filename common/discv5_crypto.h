/* SPDX-License-Identifier: MIT */
/* common/discv5_crypto.h - discv5 handshake crypto (discv5-theory.md,
 * Handshake Steps; "v4" identity scheme) and message AES-128-GCM.
 *
 *   secret        = compressed(ephemeral-key * dest-pubkey)         33 bytes
 *   kdf-info      = "discovery v5 key agreement" || node-id-A || node-id-B
 *   prk           = HKDF-Extract(salt = challenge-data, secret)
 *   key-data      = HKDF-Expand(prk, kdf-info, 32)
 *   initiator-key = key-data[:16], recipient-key = key-data[16:]
 *   id-signature  = sign(sha256("discovery v5 identity proof" ||
 *                       challenge-data || ephemeral-pubkey || node-id-B))
 *   message       = AES-128-GCM(key, nonce, pt, ad), 16-byte tag appended
 *
 * Node A is the initiator (it answers WHOAREYOU with a handshake packet),
 * node B the recipient. A writes with initiator-key and reads with
 * recipient-key; B the other way round.
 *
 * Threads: any thread. SHA-256, HMAC and AES-GCM run on the calling
 * thread's Intel IPsec-MB manager (common/ipsecmb.h), secp256k1 on the
 * shared read-only context (common/secp.h). No allocation; key material on
 * the stack is wiped before every return. */
#ifndef COMMON_DISCV5_CRYPTO_H
#define COMMON_DISCV5_CRYPTO_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/secp.h"

#define DISCV5_NODE_ID_LEN    32
#define DISCV5_KEY_LEN        16        /* AES-128 session key */
#define DISCV5_GCM_NONCE_LEN  12
#define DISCV5_GCM_TAG_LEN    16
#define DISCV5_ID_SIG_LEN     64        /* "v4": r || s, low s */
#define DISCV5_EPH_PUB_LEN    33        /* "v4": compressed secp256k1 point */
#define DISCV5_SECRET_LEN     33        /* compressed ECDH point */
/* masking-iv || static-header || authdata of a WHOAREYOU: 16 + 23 + 24 */
#define DISCV5_CHALLENGE_LEN  63

/* Session keys from one handshake. Wipe with discv5_keys_wipe(). */
struct discv5_keys {
	uint8_t initiator[DISCV5_KEY_LEN];      /* A -> B */
	uint8_t recipient[DISCV5_KEY_LEN];      /* B -> A */
};

/* discv5_ecdh() writes the compressed point priv * pub (the "v4" ecdh()).
 * pub is the 64-byte x || y form (secp_pub_decompress() turns a 33-byte
 * key into it). Returns 0 or -EINVAL (bad key or point; secret zeroed). */
int discv5_ecdh(uint8_t secret[DISCV5_SECRET_LEN],
		const uint8_t priv[SECP_PRIV_LEN],
		const uint8_t pub[SECP_PUB_LEN]);

/* discv5_kdf() derives the session keys from the ECDH secret, the node ids
 * of initiator A and recipient B and the challenge-data of the WHOAREYOU
 * that B sent. Returns 0, or -ENOMEM, -EIO (IPsec-MB); on error *k is
 * zeroed. */
int discv5_kdf(struct discv5_keys *k, const uint8_t secret[DISCV5_SECRET_LEN],
	       const uint8_t id_a[DISCV5_NODE_ID_LEN],
	       const uint8_t id_b[DISCV5_NODE_ID_LEN],
	       const uint8_t challenge[DISCV5_CHALLENGE_LEN]);

/* discv5_derive_keys() is discv5_ecdh() then discv5_kdf(). A calls it with
 * its ephemeral private key and B's static public key; B with its static
 * private key and A's ephemeral public key. Either way id_a is the
 * initiator's id. Returns 0, -EINVAL (bad key or point), -ENOMEM, -EIO;
 * on error *k is zeroed. */
int discv5_derive_keys(struct discv5_keys *k, const uint8_t priv[SECP_PRIV_LEN],
		       const uint8_t pub[SECP_PUB_LEN],
		       const uint8_t id_a[DISCV5_NODE_ID_LEN],
		       const uint8_t id_b[DISCV5_NODE_ID_LEN],
		       const uint8_t challenge[DISCV5_CHALLENGE_LEN]);

/* discv5_keys_wipe() zeroes *k. */
void discv5_keys_wipe(struct discv5_keys *k);

/* discv5_id_sign() makes A's id-signature with its static key over the
 * challenge-data B sent, A's ephemeral public key (compressed, as sent in
 * the handshake) and B's node id. Deterministic (RFC 6979). Returns 0,
 * -EINVAL (bad key), -ENOMEM (IPsec-MB); on error sig is zeroed. */
int discv5_id_sign(uint8_t sig[DISCV5_ID_SIG_LEN],
		   const uint8_t priv[SECP_PRIV_LEN],
		   const uint8_t challenge[DISCV5_CHALLENGE_LEN],
		   const uint8_t eph_pub[DISCV5_EPH_PUB_LEN],
		   const uint8_t id_b[DISCV5_NODE_ID_LEN]);

/* discv5_id_verify() checks an id-signature against A's static public key
 * (64-byte form, from A's record). High-s signatures are rejected, as geth
 * does. Returns 0, or -EKEYREJECTED (bad signature or key), -ENOMEM. */
int discv5_id_verify(const uint8_t sig[DISCV5_ID_SIG_LEN],
		     const uint8_t pub[SECP_PUB_LEN],
		     const uint8_t challenge[DISCV5_CHALLENGE_LEN],
		     const uint8_t eph_pub[DISCV5_EPH_PUB_LEN],
		     const uint8_t id_b[DISCV5_NODE_ID_LEN]);

/* discv5_gcm_seal() writes AES-128-GCM(key, nonce, pt, ad) || tag to out:
 * pt_len + DISCV5_GCM_TAG_LEN bytes. out may equal pt (in place), but must
 * not otherwise overlap it. pt and ad may be NULL when their length is 0.
 * Returns the bytes written, or -EMSGSIZE (out_len too small), -ENOMEM,
 * -EIO (IPsec-MB; out zeroed). */
ssize_t discv5_gcm_seal(uint8_t *out, size_t out_len,
			const uint8_t key[DISCV5_KEY_LEN],
			const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			const uint8_t *pt, size_t pt_len,
			const uint8_t *ad, size_t ad_len);

/* discv5_gcm_open() authenticates and decrypts ct[0..ct_len) (ciphertext
 * || 16-byte tag) into pt. pt may equal ct (in place). The tag is compared
 * in constant time; on a mismatch the plaintext written so far is wiped.
 * Returns the plaintext length ct_len - DISCV5_GCM_TAG_LEN, or -EMSGSIZE
 * (ct_len shorter than the tag, pt_len too small), -EKEYREJECTED (wrong
 * key, nonce or ad, or tampered), -ENOMEM, -EIO. */
ssize_t discv5_gcm_open(uint8_t *pt, size_t pt_len,
			const uint8_t key[DISCV5_KEY_LEN],
			const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			const uint8_t *ct, size_t ct_len,
			const uint8_t *ad, size_t ad_len);

#endif /* COMMON_DISCV5_CRYPTO_H */
