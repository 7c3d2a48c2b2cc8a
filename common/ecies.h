/* SPDX-License-Identifier: MIT */
/* common/ecies.h - RLPx ECIES (rlpx.md, ECIES Encryption) over secp + IPsec-MB.
 *
 * Wire form: R (65 bytes, 0x04 || x || y) || iv (16) || c || d (32), where
 *   S       = x coordinate of r * K_B (unhashed ECDH)
 *   kE || k = concat-KDF-SHA-256(S, 32)            (NIST SP 800-56A, no info)
 *   kM      = sha256(k)
 *   c       = AES-128-CTR(kE, iv, m)
 *   d       = HMAC-SHA-256(kM, iv || c || authdata)
 *
 * Threads: every function may be called from any thread. AES and SHA-256 run
 * on an Intel IPsec-MB manager that each thread allocates on first use and
 * keeps in a thread-local pointer; ecies_thread_fini() releases it. No other
 * allocation; all key material on the stack is wiped before returning. */
#ifndef COMMON_ECIES_H
#define COMMON_ECIES_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/secp.h"

#define ECIES_PUB_LEN      65           /* 0x04 || x || y */
#define ECIES_IV_LEN       16
#define ECIES_TAG_LEN      32           /* HMAC-SHA-256 */
#define ECIES_OVERHEAD     (ECIES_PUB_LEN + ECIES_IV_LEN + ECIES_TAG_LEN) /* 113 */
#define ECIES_MAX_PLAIN_LEN   4096      /* RLPx handshake bodies are < 2 KiB */
#define ECIES_MAX_AUTHDATA_LEN  64      /* RLPx uses 2 (the EIP-8 size prefix) */
#define ECIES_AES_KEY_LEN  16

/* ecies_seal() encrypts plain[0..plain_len) to the static public key pub,
 * authenticating authdata (which is not copied into the output; may be NULL
 * when authdata_len is 0). A fresh ephemeral key and IV come from
 * getrandom(2). Writes plain_len + ECIES_OVERHEAD bytes to out.
 * Returns the bytes written, or -EMSGSIZE (out_len too small, plain_len or
 * authdata_len over the maxima), -EINVAL (pub not a curve point), or the
 * -errno of getrandom or of the IPsec-MB manager allocation (-ENOMEM). */
ssize_t ecies_seal(uint8_t *out, size_t out_len, const uint8_t pub[SECP_PUB_LEN],
		   const uint8_t *plain, size_t plain_len,
		   const uint8_t *authdata, size_t authdata_len);

/* ecies_seal_det() is ecies_seal() with the ephemeral private key and IV
 * supplied by the caller: for tests and fuzz round trips only. Never reuse
 * eph_priv in production. Same returns as ecies_seal(). */
ssize_t ecies_seal_det(uint8_t *out, size_t out_len,
		       const uint8_t pub[SECP_PUB_LEN],
		       const uint8_t *plain, size_t plain_len,
		       const uint8_t *authdata, size_t authdata_len,
		       const uint8_t eph_priv[SECP_PRIV_LEN],
		       const uint8_t iv[ECIES_IV_LEN]);

/* ecies_open() authenticates and decrypts ct[0..ct_len) with the static
 * private key priv and the same authdata the sender used. Checks, in order
 * and before any other work: ct_len >= ECIES_OVERHEAD and
 * ct_len - ECIES_OVERHEAD <= ECIES_MAX_PLAIN_LEN, authdata_len, out_len;
 * then the ephemeral key is a valid 0x04 point; then the MAC (constant time)
 * before decrypting. plain may alias nothing in ct.
 * Returns the plaintext length (ct_len - ECIES_OVERHEAD), or -EMSGSIZE
 * (short or oversized ct, oversized authdata, plain_len too small), -EBADMSG
 * (ephemeral key not 0x04-prefixed or not on the curve), -EKEYREJECTED (MAC
 * mismatch: wrong key, wrong authdata or tampered), -EINVAL (bad priv), or
 * -ENOMEM. plain is written only after the MAC has verified. */
ssize_t ecies_open(uint8_t *plain, size_t plain_len,
		   const uint8_t priv[SECP_PRIV_LEN],
		   const uint8_t *ct, size_t ct_len,
		   const uint8_t *authdata, size_t authdata_len);

/* ecies_aes128_ctr() XORs in[0..len) with the AES-128-CTR keystream for key
 * and the 16-byte initial counter block iv, incremented as one 128-bit
 * big-endian integer (as Go's crypto/cipher does; IPsec-MB alone carries
 * only through the low 32 bits, which this function corrects for). in and
 * out may be equal. Exposed for tests. Returns 0 or -ENOMEM, -EIO. */
int ecies_aes128_ctr(uint8_t *out, const uint8_t key[ECIES_AES_KEY_LEN],
		     const uint8_t iv[ECIES_IV_LEN], const uint8_t *in, size_t len);

/* ecies_thread_fini() frees the calling thread's IPsec-MB manager, if any
 * (the one common/ipsecmb.h keeps, shared with the frame codec).
 * Call it before a thread that used this module exits; optional in main. */
void ecies_thread_fini(void);

#endif /* COMMON_ECIES_H */
