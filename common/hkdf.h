/* SPDX-License-Identifier: MIT */
/* common/hkdf.h - HKDF with HMAC-SHA-256 (RFC 5869) over Intel IPsec-MB.
 *
 * Threads: any thread; HMAC runs on the calling thread's IPsec-MB manager
 * (common/ipsecmb.h). No allocation; intermediate key material on the stack
 * is wiped before returning. */
#ifndef COMMON_HKDF_H
#define COMMON_HKDF_H
#include <stddef.h>
#include <stdint.h>

#define HKDF_SHA256_LEN      32                 /* HashLen, and the PRK size */
/* RFC 5869 §2.3: L <= 255 HashLen. */
#define HKDF_SHA256_MAX_OKM  (255 * HKDF_SHA256_LEN)
/* Ours: T(i-1) || info || i is assembled on the stack. */
#define HKDF_MAX_INFO_LEN    256

/* hkdf_sha256_extract() writes PRK = HMAC-SHA-256(salt, ikm) (RFC 5869 §2.2).
 * salt may be NULL when salt_len is 0, which means a string of HashLen
 * zeros (and gives the same PRK, as HMAC pads the key with zeros anyway).
 * Returns 0, or -ENOMEM (no IPsec-MB manager), -EIO. On error prk is
 * zeroed. */
int hkdf_sha256_extract(uint8_t prk[HKDF_SHA256_LEN],
			const uint8_t *salt, size_t salt_len,
			const uint8_t *ikm, size_t ikm_len);

/* hkdf_sha256_expand() writes okm_len bytes of OKM = T(1) || T(2) || ...
 * with T(i) = HMAC-SHA-256(prk, T(i-1) || info || i) (RFC 5869 §2.3).
 * info may be NULL when info_len is 0. Returns 0, or -EMSGSIZE (okm_len
 * over HKDF_SHA256_MAX_OKM, info_len over HKDF_MAX_INFO_LEN), -ENOMEM,
 * -EIO. On -ENOMEM and -EIO okm is zeroed; on -EMSGSIZE it is not
 * touched. */
int hkdf_sha256_expand(uint8_t *okm, size_t okm_len,
		       const uint8_t prk[HKDF_SHA256_LEN],
		       const uint8_t *info, size_t info_len);

/* hkdf_sha256() is extract then expand. Same returns as
 * hkdf_sha256_expand(). */
int hkdf_sha256(uint8_t *okm, size_t okm_len,
		const uint8_t *salt, size_t salt_len,
		const uint8_t *ikm, size_t ikm_len,
		const uint8_t *info, size_t info_len);

#endif /* COMMON_HKDF_H */
