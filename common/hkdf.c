/* SPDX-License-Identifier: MIT */
/* common/hkdf.c - HKDF-SHA-256 (RFC 5869) over IPsec-MB's HMAC-SHA-256. */
#include "common/hkdf.h"

#include <errno.h>
#include <string.h>

#include "common/ipsecmb.h"

int hkdf_sha256_extract(uint8_t prk[HKDF_SHA256_LEN],
			const uint8_t *salt, size_t salt_len,
			const uint8_t *ikm, size_t ikm_len)
{
	IMB_MGR *m = ipsecmb_thread_mgr();
	int rc;

	if (!m) {
		explicit_bzero(prk, HKDF_SHA256_LEN);
		return -ENOMEM;
	}
	/* §2.2: an absent salt is HashLen zeros; HMAC zero-pads the key to a
	 * block, so the empty key is the same key. */
	rc = ipsecmb_hmac_sha256(m, prk, salt, salt_len, ikm, ikm_len);
	if (rc < 0)
		explicit_bzero(prk, HKDF_SHA256_LEN);
	return rc;
}

int hkdf_sha256_expand(uint8_t *okm, size_t okm_len,
		       const uint8_t prk[HKDF_SHA256_LEN],
		       const uint8_t *info, size_t info_len)
{
	/* T(i-1) || info || i, where T(0) is empty. */
	uint8_t buf[HKDF_SHA256_LEN + HKDF_MAX_INFO_LEN + 1];
	uint8_t t[HKDF_SHA256_LEN];
	size_t done = 0, tlen = 0;
	IMB_MGR *m;
	int rc = 0;

	if (okm_len > HKDF_SHA256_MAX_OKM || info_len > HKDF_MAX_INFO_LEN)
		return -EMSGSIZE;
	m = ipsecmb_thread_mgr();
	if (!m) {
		explicit_bzero(okm, okm_len);
		return -ENOMEM;
	}
	for (unsigned i = 1; done < okm_len; i++) {
		size_t n = okm_len - done;

		memcpy(buf, t, tlen);
		if (info_len)
			memcpy(buf + tlen, info, info_len);
		buf[tlen + info_len] = (uint8_t)i;
		rc = ipsecmb_hmac_sha256(m, t, prk, HKDF_SHA256_LEN, buf,
					 tlen + info_len + 1);
		if (rc < 0)
			break;
		tlen = HKDF_SHA256_LEN;
		if (n > HKDF_SHA256_LEN)
			n = HKDF_SHA256_LEN;
		memcpy(okm + done, t, n);
		done += n;
	}
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(t, sizeof(t));
	if (rc < 0)
		explicit_bzero(okm, okm_len);
	return rc;
}

int hkdf_sha256(uint8_t *okm, size_t okm_len,
		const uint8_t *salt, size_t salt_len,
		const uint8_t *ikm, size_t ikm_len,
		const uint8_t *info, size_t info_len)
{
	uint8_t prk[HKDF_SHA256_LEN];
	int rc;

	if (okm_len > HKDF_SHA256_MAX_OKM || info_len > HKDF_MAX_INFO_LEN)
		return -EMSGSIZE;
	rc = hkdf_sha256_extract(prk, salt, salt_len, ikm, ikm_len);
	if (rc == 0)
		rc = hkdf_sha256_expand(okm, okm_len, prk, info, info_len);
	else
		explicit_bzero(okm, okm_len);
	explicit_bzero(prk, sizeof(prk));
	return rc;
}
