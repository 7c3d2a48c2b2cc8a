/* SPDX-License-Identifier: MIT */
/* common/discv5_crypto.c - discv5 ECDH, HKDF session keys, id-signature,
 * AES-128-GCM; secp256k1 through common/secp, the rest over IPsec-MB. */
#include "common/discv5_crypto.h"

#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include "common/ct.h"
#include "common/hkdf.h"
#include "common/ipsecmb.h"

#define KDF_TEXT     "discovery v5 key agreement"
#define KDF_TEXT_LEN (sizeof(KDF_TEXT) - 1)
#define SIG_TEXT     "discovery v5 identity proof"
#define SIG_TEXT_LEN (sizeof(SIG_TEXT) - 1)

int discv5_ecdh(uint8_t secret[DISCV5_SECRET_LEN],
		const uint8_t priv[SECP_PRIV_LEN],
		const uint8_t pub[SECP_PUB_LEN])
{
	return secp_ecdh_compressed(secret, priv, pub);
}

void discv5_keys_wipe(struct discv5_keys *k)
{
	explicit_bzero(k, sizeof(*k));
}

int discv5_kdf(struct discv5_keys *k, const uint8_t secret[DISCV5_SECRET_LEN],
	       const uint8_t id_a[DISCV5_NODE_ID_LEN],
	       const uint8_t id_b[DISCV5_NODE_ID_LEN],
	       const uint8_t challenge[DISCV5_CHALLENGE_LEN])
{
	uint8_t info[KDF_TEXT_LEN + 2 * DISCV5_NODE_ID_LEN];
	uint8_t okm[2 * DISCV5_KEY_LEN];
	int rc;

	/* discv5-theory.md, Step 3: kdf-info = text || node-id-A || node-id-B,
	 * salt = challenge-data, 32 bytes of output. */
	memcpy(info, KDF_TEXT, KDF_TEXT_LEN);
	memcpy(info + KDF_TEXT_LEN, id_a, DISCV5_NODE_ID_LEN);
	memcpy(info + KDF_TEXT_LEN + DISCV5_NODE_ID_LEN, id_b,
	       DISCV5_NODE_ID_LEN);
	rc = hkdf_sha256(okm, sizeof(okm), challenge, DISCV5_CHALLENGE_LEN,
			 secret, DISCV5_SECRET_LEN, info, sizeof(info));
	if (rc == 0) {
		memcpy(k->initiator, okm, DISCV5_KEY_LEN);
		memcpy(k->recipient, okm + DISCV5_KEY_LEN, DISCV5_KEY_LEN);
	} else {
		discv5_keys_wipe(k);
	}
	explicit_bzero(okm, sizeof(okm));
	return rc;
}

int discv5_derive_keys(struct discv5_keys *k, const uint8_t priv[SECP_PRIV_LEN],
		       const uint8_t pub[SECP_PUB_LEN],
		       const uint8_t id_a[DISCV5_NODE_ID_LEN],
		       const uint8_t id_b[DISCV5_NODE_ID_LEN],
		       const uint8_t challenge[DISCV5_CHALLENGE_LEN])
{
	uint8_t secret[DISCV5_SECRET_LEN];
	int rc;

	rc = discv5_ecdh(secret, priv, pub);
	if (rc == 0)
		rc = discv5_kdf(k, secret, id_a, id_b, challenge);
	else
		discv5_keys_wipe(k);
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

/* sha256(id-signature-text || challenge-data || ephemeral-pubkey ||
 * node-id-B), discv5-theory.md Step 3. */
static int id_hash(uint8_t hash[SECP_HASH_LEN],
		   const uint8_t challenge[DISCV5_CHALLENGE_LEN],
		   const uint8_t eph_pub[DISCV5_EPH_PUB_LEN],
		   const uint8_t id_b[DISCV5_NODE_ID_LEN])
{
	uint8_t in[SIG_TEXT_LEN + DISCV5_CHALLENGE_LEN + DISCV5_EPH_PUB_LEN +
		   DISCV5_NODE_ID_LEN];
	IMB_MGR *m = ipsecmb_thread_mgr();
	size_t o = 0;

	if (!m)
		return -ENOMEM;
	memcpy(in, SIG_TEXT, SIG_TEXT_LEN);
	o += SIG_TEXT_LEN;
	memcpy(in + o, challenge, DISCV5_CHALLENGE_LEN);
	o += DISCV5_CHALLENGE_LEN;
	memcpy(in + o, eph_pub, DISCV5_EPH_PUB_LEN);
	o += DISCV5_EPH_PUB_LEN;
	memcpy(in + o, id_b, DISCV5_NODE_ID_LEN);
	IMB_SHA256(m, in, sizeof(in), hash);
	return 0;
}

int discv5_id_sign(uint8_t sig[DISCV5_ID_SIG_LEN],
		   const uint8_t priv[SECP_PRIV_LEN],
		   const uint8_t challenge[DISCV5_CHALLENGE_LEN],
		   const uint8_t eph_pub[DISCV5_EPH_PUB_LEN],
		   const uint8_t id_b[DISCV5_NODE_ID_LEN])
{
	uint8_t hash[SECP_HASH_LEN];
	uint8_t rsv[SECP_SIG_LEN];
	int rc;

	rc = id_hash(hash, challenge, eph_pub, id_b);
	if (rc == 0)
		rc = secp_sign(rsv, hash, priv);
	/* "v4" id_sign is r || s: the recovery id is dropped, as geth does. */
	if (rc == 0)
		memcpy(sig, rsv, DISCV5_ID_SIG_LEN);
	else
		explicit_bzero(sig, DISCV5_ID_SIG_LEN);
	explicit_bzero(rsv, sizeof(rsv));
	return rc;
}

int discv5_id_verify(const uint8_t sig[DISCV5_ID_SIG_LEN],
		     const uint8_t pub[SECP_PUB_LEN],
		     const uint8_t challenge[DISCV5_CHALLENGE_LEN],
		     const uint8_t eph_pub[DISCV5_EPH_PUB_LEN],
		     const uint8_t id_b[DISCV5_NODE_ID_LEN])
{
	uint8_t hash[SECP_HASH_LEN];
	int rc;

	rc = id_hash(hash, challenge, eph_pub, id_b);
	if (rc < 0)
		return rc;
	return secp_verify(sig, hash, pub);
}

/* IPsec-MB's direct GCM API checks its pointers even for empty input. */
static const uint8_t empty[1];

ssize_t discv5_gcm_seal(uint8_t *out, size_t out_len,
			const uint8_t key[DISCV5_KEY_LEN],
			const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			const uint8_t *pt, size_t pt_len,
			const uint8_t *ad, size_t ad_len)
{
	alignas(64) struct gcm_key_data kd;
	struct gcm_context_data ctx;
	IMB_MGR *m;

	if (out_len < DISCV5_GCM_TAG_LEN ||
	    pt_len > out_len - DISCV5_GCM_TAG_LEN)
		return -EMSGSIZE;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	IMB_AES128_GCM_PRE(m, key, &kd);
	IMB_AES128_GCM_ENC(m, &kd, &ctx, out, pt_len ? pt : empty, pt_len,
			   nonce, ad_len ? ad : empty, ad_len, out + pt_len,
			   DISCV5_GCM_TAG_LEN);
	explicit_bzero(&kd, sizeof(kd));
	explicit_bzero(&ctx, sizeof(ctx));
	return (ssize_t)(pt_len + DISCV5_GCM_TAG_LEN);
}

ssize_t discv5_gcm_open(uint8_t *pt, size_t pt_len,
			const uint8_t key[DISCV5_KEY_LEN],
			const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			const uint8_t *ct, size_t ct_len,
			const uint8_t *ad, size_t ad_len)
{
	alignas(64) struct gcm_key_data kd;
	struct gcm_context_data ctx;
	uint8_t tag[DISCV5_GCM_TAG_LEN];
	uint8_t sink[1];
	size_t n;
	IMB_MGR *m;
	ssize_t rc;

	if (ct_len < DISCV5_GCM_TAG_LEN)
		return -EMSGSIZE;
	n = ct_len - DISCV5_GCM_TAG_LEN;
	if (pt_len < n)
		return -EMSGSIZE;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	IMB_AES128_GCM_PRE(m, key, &kd);
	/* The tag is computed over the ciphertext as it is decrypted; the
	 * received tag sits after it and is not overwritten even in place. */
	IMB_AES128_GCM_DEC(m, &kd, &ctx, n ? pt : sink, n ? ct : empty, n,
			   nonce, ad_len ? ad : empty, ad_len, tag,
			   DISCV5_GCM_TAG_LEN);
	if (ct_memeq(tag, ct + n, DISCV5_GCM_TAG_LEN)) {
		rc = (ssize_t)n;
	} else {
		if (n)
			explicit_bzero(pt, n);
		rc = -EKEYREJECTED;
	}
	explicit_bzero(&kd, sizeof(kd));
	explicit_bzero(&ctx, sizeof(ctx));
	explicit_bzero(tag, sizeof(tag));
	return rc;
}
