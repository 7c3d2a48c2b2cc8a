/* SPDX-License-Identifier: MIT */
/* common/ipsecmb.c - the calling thread's Intel IPsec-MB manager. */
#include "common/ipsecmb.h"

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <string.h>

static __thread IMB_MGR *tls_mgr;

IMB_MGR *ipsecmb_thread_mgr(void)
{
	IMB_MGR *m = tls_mgr;

	if (m)
		return m;
	m = alloc_mb_mgr(0);
	if (!m)
		return NULL;
	init_mb_mgr_auto(m, NULL);
	if (imb_get_errno(m) != 0) {
		free_mb_mgr(m);
		return NULL;
	}
	tls_mgr = m;
	return m;
}

int ipsecmb_run_job(IMB_MGR *m, IMB_JOB *job)
{
	IMB_JOB *done = IMB_SUBMIT_JOB(m);
	int ok = 1;

	while (!done || done != job) {
		if (done && done->status != IMB_STATUS_COMPLETED)
			ok = 0;
		done = IMB_FLUSH_JOB(m);
		if (!done)
			return -EIO;
	}
	if (job->status != IMB_STATUS_COMPLETED || !ok)
		return -EIO;
	return 0;
}

void ipsecmb_thread_fini(void)
{
	if (tls_mgr)
		free_mb_mgr(tls_mgr);
	tls_mgr = NULL;
}

/* Adds n to the 128-bit big-endian counter block. */
static void ctr_add(uint8_t ctr[IPSECMB_AES_BLOCK], uint64_t n)
{
	for (int i = IPSECMB_AES_BLOCK - 1; i >= 0 && n; i--) {
		n += ctr[i];
		ctr[i] = (uint8_t)n;
		n >>= 8;
	}
}

/* One IPsec-MB CTR job. */
static int ctr_job(IMB_MGR *m, const void *expkey,
		   const uint8_t ctr[IPSECMB_AES_BLOCK], const uint8_t *in,
		   uint8_t *out, uint64_t len)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);

	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->cipher_mode = IMB_CIPHER_CNTR;
	job->hash_alg = IMB_AUTH_NULL;
	job->enc_keys = expkey;
	job->dec_keys = expkey;
	job->key_len_in_bytes = IMB_KEY_128_BYTES;
	job->src = in;
	job->dst = out;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = len;
	job->iv = ctr;
	job->iv_len_in_bytes = IPSECMB_AES_BLOCK;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = 0;
	job->auth_tag_output = NULL;
	job->auth_tag_output_len_in_bytes = 0;
	return ipsecmb_run_job(m, job);
}

int ipsecmb_aes128_ctr(IMB_MGR *m, uint8_t *out, const void *enc_sched,
		       const uint8_t iv[IPSECMB_AES_BLOCK], const uint8_t *in,
		       size_t len)
{
	uint8_t ctr[IPSECMB_AES_BLOCK];
	int rc = 0;

	memcpy(ctr, iv, IPSECMB_AES_BLOCK);
	while (len > 0) {
		uint32_t lo = (uint32_t)ctr[12] << 24 |
			      (uint32_t)ctr[13] << 16 |
			      (uint32_t)ctr[14] << 8 | ctr[15];
		uint64_t blocks = (1ULL << 32) - lo;
		uint64_t n = len;

		if (n > blocks * IPSECMB_AES_BLOCK)
			n = blocks * IPSECMB_AES_BLOCK;
		rc = ctr_job(m, enc_sched, ctr, in, out, n);
		if (rc < 0)
			break;
		ctr_add(ctr, blocks);
		in += n;
		out += n;
		len -= n;
	}
	explicit_bzero(ctr, sizeof(ctr));
	return rc;
}

int ipsecmb_hmac_sha256(IMB_MGR *m, uint8_t tag[IPSECMB_SHA256_LEN],
			const uint8_t *key, size_t key_len,
			const uint8_t *msg, size_t msg_len)
{
	uint8_t k0[IPSECMB_SHA256_BLOCK] = { 0 };
	uint8_t pad[IPSECMB_SHA256_BLOCK];
	alignas(16) uint8_t ipad[IPSECMB_SHA256_LEN];
	alignas(16) uint8_t opad[IPSECMB_SHA256_LEN];
	IMB_JOB *job;
	int rc;

	/* RFC 2104: K0 is the key zero-padded to a block, or its digest
	 * when longer than a block. The job takes the digests of the inner
	 * and outer pad blocks rather than the key. */
	if (key_len > IPSECMB_SHA256_BLOCK)
		IMB_SHA256(m, key, key_len, k0);
	else if (key_len)
		memcpy(k0, key, key_len);
	for (size_t i = 0; i < IPSECMB_SHA256_BLOCK; i++)
		pad[i] = k0[i] ^ 0x36;
	IMB_SHA256_ONE_BLOCK(m, pad, ipad);
	for (size_t i = 0; i < IPSECMB_SHA256_BLOCK; i++)
		pad[i] = k0[i] ^ 0x5c;
	IMB_SHA256_ONE_BLOCK(m, pad, opad);
	if (msg_len == 0) {
		/* The job refuses an empty message: hash the two blocks
		 * directly. H((K0 ^ opad) || H(K0 ^ ipad)). */
		uint8_t outer[IPSECMB_SHA256_BLOCK + IPSECMB_SHA256_LEN];

		for (size_t i = 0; i < IPSECMB_SHA256_BLOCK; i++)
			pad[i] = k0[i] ^ 0x36;
		IMB_SHA256(m, pad, IPSECMB_SHA256_BLOCK,
			   outer + IPSECMB_SHA256_BLOCK);
		for (size_t i = 0; i < IPSECMB_SHA256_BLOCK; i++)
			outer[i] = k0[i] ^ 0x5c;
		IMB_SHA256(m, outer, sizeof(outer), tag);
		explicit_bzero(outer, sizeof(outer));
		rc = 0;
		goto out;
	}

	job = IMB_GET_NEXT_JOB(m);
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->cipher_mode = IMB_CIPHER_NULL;
	job->hash_alg = IMB_AUTH_HMAC_SHA_256;
	job->src = msg;
	job->dst = NULL;
	job->msg_len_to_cipher_in_bytes = 0;
	job->cipher_start_src_offset_in_bytes = 0;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = msg_len;
	job->u.HMAC._hashed_auth_key_xor_ipad = ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = opad;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = IPSECMB_SHA256_LEN;
	rc = ipsecmb_run_job(m, job);
out:
	explicit_bzero(k0, sizeof(k0));
	explicit_bzero(pad, sizeof(pad));
	explicit_bzero(ipad, sizeof(ipad));
	explicit_bzero(opad, sizeof(opad));
	return rc;
}
