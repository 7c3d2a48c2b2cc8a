/* SPDX-License-Identifier: MIT */
/* common/ipsecmb.h - the calling thread's Intel IPsec-MB manager. */
#ifndef COMMON_IPSECMB_H
#define COMMON_IPSECMB_H
#include <stddef.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>

#define IPSECMB_AES128_SCHED_LEN 176    /* IMB_AES_KEYEXP_128: 11 round keys */
#define IPSECMB_AES_BLOCK        16
#define IPSECMB_SHA256_LEN       32
#define IPSECMB_SHA256_BLOCK     64

/* ipsecmb_thread_mgr() returns the calling thread's manager, made on first
 * use (about 200 KB; an IMB_MGR holds per-lane job state and is not safe
 * to share between threads), or NULL when it cannot be made. ECIES and the
 * RLPx frame codec share it, so a thread holds one, not one per module. */
IMB_MGR *ipsecmb_thread_mgr(void);

/* ipsecmb_run_job() submits job (from IMB_GET_NEXT_JOB(m), filled in)
 * and runs it to completion. The ciphers and hashes we use are
 * synchronous in IPsec-MB, but a submit may still hand back nothing until
 * a flush: drain either way so no job of ours is left inside the manager.
 * Returns 0, or -EIO if any job did not complete. */
int ipsecmb_run_job(IMB_MGR *m, IMB_JOB *job);

/* ipsecmb_aes128_ctr() XORs in[0..len) with the AES-128-CTR keystream of
 * the expanded encryption key enc_sched (16-byte aligned, as
 * IMB_AES_KEYEXP_128 writes it) starting at the counter block iv. The
 * counter is one 128-bit big-endian integer, as Go's crypto/cipher and
 * OpenSSL count; IPsec-MB alone carries only through the low 32 bits, so
 * the work is split where that word wraps. in and out may be equal.
 * Returns 0 or -EIO. Any thread, with its own m. */
int ipsecmb_aes128_ctr(IMB_MGR *m, uint8_t *out, const void *enc_sched,
		       const uint8_t iv[IPSECMB_AES_BLOCK], const uint8_t *in,
		       size_t len);

/* ipsecmb_hmac_sha256() writes HMAC-SHA-256(key, msg) (RFC 2104) to tag.
 * Any key length (a key longer than a block is hashed first, per RFC 2104);
 * msg is one contiguous buffer. Key-derived pads are wiped before
 * returning. Returns 0 or -EIO. Any thread, with its own m. */
int ipsecmb_hmac_sha256(IMB_MGR *m, uint8_t tag[IPSECMB_SHA256_LEN],
			const uint8_t *key, size_t key_len,
			const uint8_t *msg, size_t msg_len);

/* ipsecmb_thread_fini() frees the calling thread's manager, if any; the
 * next ipsecmb_thread_mgr() makes a new one. */
void ipsecmb_thread_fini(void);

#endif /* COMMON_IPSECMB_H */
