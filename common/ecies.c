/* SPDX-License-Identifier: MIT */
/* common/ecies.c - RLPx ECIES: secp256k1 ECDH, concat KDF, AES-128-CTR, HMAC. */
#include "common/ecies.h"

#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "common/ct.h"
#include "common/ipsecmb.h"
#include "common/secp.h"

#define SHA256_LEN   32
#define AES128_EXPKEY_LEN (16 * 11)     /* 11 round keys */

void ecies_thread_fini(void)
{
	ipsecmb_thread_fini();
}

int ecies_aes128_ctr(uint8_t *out, const uint8_t key[ECIES_AES_KEY_LEN],
		     const uint8_t iv[ECIES_IV_LEN], const uint8_t *in, size_t len)
{
	alignas(16) uint8_t ek[AES128_EXPKEY_LEN];
	alignas(16) uint8_t dk[AES128_EXPKEY_LEN];
	IMB_MGR *m = ipsecmb_thread_mgr();
	int rc;

	if (!m)
		return -ENOMEM;
	IMB_AES_KEYEXP_128(m, key, ek, dk);
	/* Go (and so every RLPx peer) carries the counter through all 128
	 * bits; ipsecmb_aes128_ctr() does too. */
	rc = ipsecmb_aes128_ctr(m, out, ek, iv, in, len);
	explicit_bzero(ek, sizeof(ek));
	explicit_bzero(dk, sizeof(dk));
	return rc;
}

/* Keys of one message. */
struct keys {
	uint8_t ke[ECIES_AES_KEY_LEN];
	uint8_t km[SHA256_LEN];
};

/* NIST SP 800-56A concatenation KDF with SHA-256 and empty OtherInfo, as geth
 * uses it: K = SHA-256(be32(1) || S), 32 bytes = one round. kE = K[:16],
 * kM = sha256(K[16:]). */
static void derive_keys(IMB_MGR *m, struct keys *k,
			const uint8_t shared[SECP_SHARED_LEN])
{
	uint8_t in[4 + SECP_SHARED_LEN];
	uint8_t kdf[SHA256_LEN];

	in[0] = 0;
	in[1] = 0;
	in[2] = 0;
	in[3] = 1;
	memcpy(in + 4, shared, SECP_SHARED_LEN);
	IMB_SHA256(m, in, sizeof(in), kdf);
	memcpy(k->ke, kdf, ECIES_AES_KEY_LEN);
	IMB_SHA256(m, kdf + ECIES_AES_KEY_LEN, SHA256_LEN - ECIES_AES_KEY_LEN,
		   k->km);
	explicit_bzero(in, sizeof(in));
	explicit_bzero(kdf, sizeof(kdf));
}

/* d = HMAC-SHA-256(kM, iv_c[0..iv_c_len) || authdata). An IPsec-MB HMAC
 * job hashes one contiguous buffer and authdata (RLPx's size prefix) does
 * not follow the ciphertext in memory, so the message is assembled in a
 * bounded stack buffer (the callers enforce ECIES_MAX_PLAIN_LEN and
 * ECIES_MAX_AUTHDATA_LEN). */
static int hmac_tag(IMB_MGR *m, uint8_t tag[ECIES_TAG_LEN],
		    const uint8_t km[SHA256_LEN], const uint8_t *iv_c,
		    size_t iv_c_len, const uint8_t *authdata,
		    size_t authdata_len)
{
	uint8_t buf[ECIES_IV_LEN + ECIES_MAX_PLAIN_LEN + ECIES_MAX_AUTHDATA_LEN];
	size_t used = iv_c_len + authdata_len;
	int rc;

	memcpy(buf, iv_c, iv_c_len);
	if (authdata_len)
		memcpy(buf + iv_c_len, authdata, authdata_len);
	rc = ipsecmb_hmac_sha256(m, tag, km, SHA256_LEN, buf, used);
	explicit_bzero(buf, used);
	return rc;
}

ssize_t ecies_seal_det(uint8_t *out, size_t out_len,
		       const uint8_t pub[SECP_PUB_LEN],
		       const uint8_t *plain, size_t plain_len,
		       const uint8_t *authdata, size_t authdata_len,
		       const uint8_t eph_priv[SECP_PRIV_LEN],
		       const uint8_t iv[ECIES_IV_LEN])
{
	uint8_t shared[SECP_SHARED_LEN];
	struct keys k;
	uint8_t *iv_c = out + ECIES_PUB_LEN;
	IMB_MGR *m;
	int rc;

	if (plain_len > ECIES_MAX_PLAIN_LEN ||
	    authdata_len > ECIES_MAX_AUTHDATA_LEN ||
	    out_len < plain_len + ECIES_OVERHEAD)
		return -EMSGSIZE;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	/* S = (r * K_B).x */
	rc = secp_ecdh(shared, eph_priv, pub);
	if (rc < 0)
		return rc;
	out[0] = 0x04;
	rc = secp_pub_from_priv(out + 1, eph_priv);
	if (rc < 0)
		goto out;
	derive_keys(m, &k, shared);
	memcpy(iv_c, iv, ECIES_IV_LEN);
	rc = ecies_aes128_ctr(iv_c + ECIES_IV_LEN, k.ke, iv, plain, plain_len);
	if (rc < 0)
		goto out;
	rc = hmac_tag(m, iv_c + ECIES_IV_LEN + plain_len, k.km, iv_c,
		      ECIES_IV_LEN + plain_len, authdata, authdata_len);
out:
	explicit_bzero(shared, sizeof(shared));
	explicit_bzero(&k, sizeof(k));
	if (rc < 0) {
		explicit_bzero(out, plain_len + ECIES_OVERHEAD);
		return rc;
	}
	return (ssize_t)(plain_len + ECIES_OVERHEAD);
}

ssize_t ecies_seal(uint8_t *out, size_t out_len, const uint8_t pub[SECP_PUB_LEN],
		   const uint8_t *plain, size_t plain_len,
		   const uint8_t *authdata, size_t authdata_len)
{
	uint8_t eph[SECP_PRIV_LEN];
	uint8_t iv[ECIES_IV_LEN];
	ssize_t rc;

	if (plain_len > ECIES_MAX_PLAIN_LEN ||
	    authdata_len > ECIES_MAX_AUTHDATA_LEN ||
	    out_len < plain_len + ECIES_OVERHEAD)
		return -EMSGSIZE;
	rc = secp_priv_generate(eph);
	if (rc == 0)
		rc = secp_random(iv, sizeof(iv));
	if (rc == 0)
		rc = ecies_seal_det(out, out_len, pub, plain, plain_len,
				    authdata, authdata_len, eph, iv);
	explicit_bzero(eph, sizeof(eph));
	return rc;
}

ssize_t ecies_open(uint8_t *plain, size_t plain_len,
		   const uint8_t priv[SECP_PRIV_LEN],
		   const uint8_t *ct, size_t ct_len,
		   const uint8_t *authdata, size_t authdata_len)
{
	uint8_t shared[SECP_SHARED_LEN];
	uint8_t tag[ECIES_TAG_LEN];
	struct keys k;
	const uint8_t *iv_c = ct + ECIES_PUB_LEN;
	size_t m_len;
	IMB_MGR *m;
	int rc;

	/* Lengths first: a ciphertext shorter than R || iv || d cannot be
	 * one, and nothing longer than we can MAC on the stack is accepted. */
	if (ct_len < ECIES_OVERHEAD)
		return -EMSGSIZE;
	m_len = ct_len - ECIES_OVERHEAD;
	if (m_len > ECIES_MAX_PLAIN_LEN || authdata_len > ECIES_MAX_AUTHDATA_LEN ||
	    plain_len < m_len)
		return -EMSGSIZE;
	/* R must be an uncompressed point on the curve (geth refuses the
	 * compressed prefixes too). */
	if (ct[0] != 0x04 || !secp_pub_check(ct + 1))
		return -EBADMSG;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	/* S = (k_B * R).x */
	rc = secp_ecdh(shared, priv, ct + 1);
	if (rc < 0)
		return rc;
	derive_keys(m, &k, shared);
	rc = hmac_tag(m, tag, k.km, iv_c, ECIES_IV_LEN + m_len, authdata,
		      authdata_len);
	if (rc < 0)
		goto out;
	/* Authenticate before decrypting anything. */
	if (!ct_memeq(tag, iv_c + ECIES_IV_LEN + m_len, ECIES_TAG_LEN)) {
		rc = -EKEYREJECTED;
		goto out;
	}
	rc = ecies_aes128_ctr(plain, k.ke, iv_c, iv_c + ECIES_IV_LEN, m_len);
	if (rc < 0)
		explicit_bzero(plain, m_len);
out:
	explicit_bzero(shared, sizeof(shared));
	explicit_bzero(tag, sizeof(tag));
	explicit_bzero(&k, sizeof(k));
	return rc < 0 ? rc : (ssize_t)m_len;
}
