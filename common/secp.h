/* SPDX-License-Identifier: MIT */
/* common/secp.h - secp256k1 as devp2p uses it, over libsecp256k1.
 * One shared randomised context, created once and read-only afterwards, so
 * every function here may be called from any thread. */
#ifndef COMMON_SECP_H
#define COMMON_SECP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECP_PRIV_LEN   32
#define SECP_PUB_LEN    64              /* x || y, no 0x04 prefix: the devp2p node id */
#define SECP_PUB_COMPRESSED_LEN 33      /* 0x02/0x03 || x: the ENR "secp256k1" entry */
#define SECP_SIG_LEN    65              /* r || s || v, v in {0, 1} */
#define SECP_SHARED_LEN 32              /* ECDH x coordinate (RLPx form) */
#define SECP_SHARED_COMPRESSED_LEN 33   /* ECDH point, compressed (discv5 form) */
#define SECP_HASH_LEN   32

/* secp_init() creates the shared context (idempotent, thread-safe). Every
 * other function calls it implicitly. Returns 0 or -ENOMEM. */
int secp_init(void);

/* secp_ec_ops() counts the scalar multiplications (sign, recover, verify,
 * ECDH, public key from private) this process has done: for tests. */
uint64_t secp_ec_ops(void);

/* secp_random() fills buf[0..len) from getrandom(2) (the kernel CSPRNG),
 * for key material and nonces. Returns 0 or -errno. */
int secp_random(uint8_t *buf, size_t len);

/* secp_priv_generate() fills priv with a valid key from getrandom(2).
 * Returns 0 or -errno. */
int secp_priv_generate(uint8_t priv[SECP_PRIV_LEN]);

/* secp_priv_check() returns true when 0 < priv < n. */
bool secp_priv_check(const uint8_t priv[SECP_PRIV_LEN]);

/* secp_pub_from_priv() derives the public key. Returns 0 or -EINVAL. */
int secp_pub_from_priv(uint8_t pub[SECP_PUB_LEN], const uint8_t priv[SECP_PRIV_LEN]);

/* secp_pub_check() returns true when pub is a point on the curve with both
 * coordinates < p. */
bool secp_pub_check(const uint8_t pub[SECP_PUB_LEN]);

/* secp_pub_compress()/secp_pub_decompress() convert between the 64-byte and
 * the 33-byte forms. Return 0 or -EINVAL (not a valid point). */
int secp_pub_compress(uint8_t out[SECP_PUB_COMPRESSED_LEN], const uint8_t pub[SECP_PUB_LEN]);
int secp_pub_decompress(uint8_t pub[SECP_PUB_LEN], const uint8_t in[SECP_PUB_COMPRESSED_LEN]);

/* secp_sign() makes a recoverable signature of a 32-byte hash.
 * Returns 0 or -EINVAL (bad key). */
int secp_sign(uint8_t sig[SECP_SIG_LEN], const uint8_t hash[SECP_HASH_LEN],
	      const uint8_t priv[SECP_PRIV_LEN]);

/* secp_recover() recovers the signer's public key. Returns 0 or
 * -EKEYREJECTED (invalid signature, v > 1, or no key recovers). */
int secp_recover(uint8_t pub[SECP_PUB_LEN], const uint8_t sig[SECP_SIG_LEN],
		 const uint8_t hash[SECP_HASH_LEN]);

/* secp_verify() checks a 64-byte r || s signature (low-s required) against
 * pub. Returns 0 or -EKEYREJECTED. */
int secp_verify(const uint8_t sig[64], const uint8_t hash[SECP_HASH_LEN],
		const uint8_t pub[SECP_PUB_LEN]);

/* secp_ecdh() computes the RLPx shared secret: the x coordinate of
 * priv * pub, unhashed. Returns 0 or -EINVAL (bad key or point). */
int secp_ecdh(uint8_t shared[SECP_SHARED_LEN], const uint8_t priv[SECP_PRIV_LEN],
	      const uint8_t pub[SECP_PUB_LEN]);

/* secp_ecdh_compressed() computes the discv5 shared secret: the point
 * priv * pub in compressed form, 0x02 (y even) or 0x03 (y odd) || x
 * (discv5-theory.md, Identity-Specific Cryptography). Returns 0 or -EINVAL
 * (bad key or point); on error shared is zeroed. */
int secp_ecdh_compressed(uint8_t shared[SECP_SHARED_COMPRESSED_LEN],
			 const uint8_t priv[SECP_PRIV_LEN],
			 const uint8_t pub[SECP_PUB_LEN]);

#endif /* COMMON_SECP_H */
