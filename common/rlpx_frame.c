/* SPDX-License-Identifier: MIT */
/* common/rlpx_frame.c - RLPx secrets, AES-256-CTR framing and keccak MACs. */
#include "common/rlpx_frame.h"

#include <errno.h>
#include <intel-ipsec-mb.h>
#include <string.h>

#include "common/ct.h"
#include "common/ipsecmb.h"
#include "common/keccak.h"
#include "common/msg.h"
#include "common/secp.h"

void rlpx_frame_thread_fini(void)
{
	ipsecmb_thread_fini();
}

static void xor_into(uint8_t *dst, const uint8_t *a, const uint8_t *b,
		     size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = a[i] ^ b[i];
}

static size_t pad16(size_t len)
{
	return (len + 15) & ~(size_t)15;
}

void rlpx_secrets_from_shared(struct rlpx_secrets *s,
			      const uint8_t eph_shared[RLPX_SECRET_LEN],
			      const uint8_t init_nonce[RLPX_NONCE_LEN],
			      const uint8_t resp_nonce[RLPX_NONCE_LEN],
			      const uint8_t *auth, size_t auth_len,
			      const uint8_t *ack, size_t ack_len,
			      enum rlpx_role role)
{
	uint8_t buf[2 * RLPX_SECRET_LEN];
	uint8_t shared[RLPX_SECRET_LEN];
	uint8_t x[RLPX_SECRET_LEN];
	struct keccak_ctx mac_auth, mac_ack;

	/* rlpx.md, Secrets: shared-secret = keccak256(ephemeral-key ||
	 * keccak256(nonce || initiator-nonce)), "nonce" being the
	 * recipient's, whatever our role. */
	memcpy(buf, resp_nonce, RLPX_NONCE_LEN);
	memcpy(buf + RLPX_NONCE_LEN, init_nonce, RLPX_NONCE_LEN);
	keccak256(x, buf, sizeof(buf));
	memcpy(buf, eph_shared, RLPX_SECRET_LEN);
	memcpy(buf + RLPX_SECRET_LEN, x, RLPX_SECRET_LEN);
	keccak256(shared, buf, sizeof(buf));
	/* aes-secret = keccak256(ephemeral-key || shared-secret) */
	memcpy(buf + RLPX_SECRET_LEN, shared, RLPX_SECRET_LEN);
	keccak256(s->aes, buf, sizeof(buf));
	/* mac-secret = keccak256(ephemeral-key || aes-secret) */
	memcpy(buf + RLPX_SECRET_LEN, s->aes, RLPX_SECRET_LEN);
	keccak256(s->mac, buf, sizeof(buf));

	/* rlpx.md, MAC: the state keyed with the recipient nonce absorbs
	 * auth (the initiator's egress), the one keyed with the initiator
	 * nonce absorbs ack (the recipient's egress). */
	xor_into(x, s->mac, resp_nonce, RLPX_SECRET_LEN);
	keccak256_init(&mac_auth);
	keccak256_update(&mac_auth, x, sizeof(x));
	keccak256_update(&mac_auth, auth, auth_len);
	xor_into(x, s->mac, init_nonce, RLPX_SECRET_LEN);
	keccak256_init(&mac_ack);
	keccak256_update(&mac_ack, x, sizeof(x));
	keccak256_update(&mac_ack, ack, ack_len);
	if (role == RLPX_INITIATOR) {
		s->egress_mac = mac_auth;
		s->ingress_mac = mac_ack;
	} else {
		s->egress_mac = mac_ack;
		s->ingress_mac = mac_auth;
	}
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(shared, sizeof(shared));
	explicit_bzero(x, sizeof(x));
	explicit_bzero(&mac_auth, sizeof(mac_auth));
	explicit_bzero(&mac_ack, sizeof(mac_ack));
}

int rlpx_secrets_derive(struct rlpx_secrets *s, const uint8_t eph_priv[32],
			const uint8_t remote_eph_pub[64],
			const uint8_t init_nonce[RLPX_NONCE_LEN],
			const uint8_t resp_nonce[RLPX_NONCE_LEN],
			const uint8_t *auth, size_t auth_len,
			const uint8_t *ack, size_t ack_len,
			enum rlpx_role role)
{
	uint8_t eph_shared[SECP_SHARED_LEN];
	int rc;

	memset(s, 0, sizeof(*s));
	if (role != RLPX_INITIATOR && role != RLPX_RECIPIENT)
		return -EINVAL;
	/* ephemeral-key = ecdh.agree(ephemeral-privkey, remote-ephemeral-pubk) */
	rc = secp_ecdh(eph_shared, eph_priv, remote_eph_pub);
	if (rc < 0)
		goto out;
	rlpx_secrets_from_shared(s, eph_shared, init_nonce, resp_nonce,
				 auth, auth_len, ack, ack_len, role);
out:
	explicit_bzero(eph_shared, sizeof(eph_shared));
	return rc < 0 ? -EINVAL : 0;
}

void rlpx_secrets_wipe(struct rlpx_secrets *s)
{
	explicit_bzero(s, sizeof(*s));
}

static void job_cipher(IMB_JOB *job, IMB_CIPHER_MODE mode, const void *sched,
		       uint8_t *dst, const uint8_t *src, size_t len)
{
	job->cipher_mode = mode;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->hash_alg = IMB_AUTH_NULL;
	job->enc_keys = sched;
	job->dec_keys = sched;
	job->key_len_in_bytes = IMB_KEY_256_BYTES;
	job->src = src;
	job->dst = dst;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = len;
	job->iv = NULL;
	job->iv_len_in_bytes = 0;
}

/* aes(mac-secret, in) for one block: the MAC's AES-256-ECB step. */
static int mac_aes(IMB_MGR *m, const struct rlpx_frame *f, uint8_t out[16],
		   const uint8_t in[16])
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);

	job_cipher(job, IMB_CIPHER_ECB, f->mac_sched, out, in, 16);
	return ipsecmb_run_job(m, job);
}

static void ctr_add(uint8_t ctr[16], uint64_t blocks)
{
	for (int i = 15; i >= 0 && blocks; i--) {
		blocks += ctr[i];
		ctr[i] = (uint8_t)blocks;
		blocks >>= 8;
	}
}

/* AES-256-CTR over src[0..len) from counter block ctr (not advanced here).
 * RLPx uses a 128-bit big-endian counter starting at zero (rlpx.md: IV zero;
 * geth's cipher.NewCTR). IPsec-MB's 16-byte-IV CTR only increments the low
 * 32 bits and wraps them without carry (measured on 1.3), so a job must not
 * cross a 2^32-block boundary: split there and carry by hand. */
static int ctr_xor(IMB_MGR *m, const struct rlpx_frame *f,
		   const uint8_t ctr_in[16], uint8_t *dst, const uint8_t *src,
		   size_t len)
{
	_Alignas(16) uint8_t ctr[16];
	int rc = 0;

	memcpy(ctr, ctr_in, 16);
	while (len) {
		uint32_t lo = (uint32_t)ctr[12] << 24 | (uint32_t)ctr[13] << 16 |
			      (uint32_t)ctr[14] << 8 | ctr[15];
		uint64_t room = ((uint64_t)1 << 32) - lo;  /* blocks */
		size_t n = len;
		IMB_JOB *job;

		if ((uint64_t)pad16(n) / 16 > room)
			n = (size_t)(room * 16);
		job = IMB_GET_NEXT_JOB(m);
		job_cipher(job, IMB_CIPHER_CNTR, f->aes_sched, dst, src, n);
		job->iv = ctr;
		job->iv_len_in_bytes = 16;
		rc = ipsecmb_run_job(m, job);
		if (rc < 0)
			break;
		ctr_add(ctr, pad16(n) / 16);
		dst += n;
		src += n;
		len -= n;
	}
	explicit_bzero(ctr, sizeof(ctr));
	return rc;
}

/* rlpx.md, MAC:
 *   header-mac-seed = aes(mac-secret, keccak256.digest(mac)[:16]) ^ header-ct
 *   mac = keccak256.update(mac, header-mac-seed)
 *   header-mac = keccak256.digest(mac)[:16] */
static int header_mac(IMB_MGR *m, const struct rlpx_frame *f,
		      struct keccak_ctx *mac, uint8_t out[16],
		      const uint8_t hdr_ct[16])
{
	uint8_t d[KECCAK256_LEN], e[16];
	int rc;

	keccak256_peek(mac, d);
	rc = mac_aes(m, f, e, d);
	if (rc == 0) {
		xor_into(e, e, hdr_ct, 16);
		keccak256_update(mac, e, 16);
		keccak256_peek(mac, d);
		memcpy(out, d, 16);
	}
	explicit_bzero(d, sizeof(d));
	explicit_bzero(e, sizeof(e));
	return rc;
}

/*   mac = keccak256.update(mac, frame-ciphertext)
 *   frame-mac-seed = aes(mac-secret, digest(mac)[:16]) ^ digest(mac)[:16]
 *   mac = keccak256.update(mac, frame-mac-seed)
 *   frame-mac = keccak256.digest(mac)[:16] */
static int frame_mac(IMB_MGR *m, const struct rlpx_frame *f,
		     struct keccak_ctx *mac, uint8_t out[16],
		     const uint8_t *ct, size_t ct_len)
{
	uint8_t d[KECCAK256_LEN], e[16];
	int rc;

	keccak256_update(mac, ct, ct_len);
	keccak256_peek(mac, d);
	rc = mac_aes(m, f, e, d);
	if (rc == 0) {
		xor_into(e, e, d, 16);
		keccak256_update(mac, e, 16);
		keccak256_peek(mac, d);
		memcpy(out, d, 16);
	}
	explicit_bzero(d, sizeof(d));
	explicit_bzero(e, sizeof(e));
	return rc;
}

int rlpx_frame_init(struct rlpx_frame *f, const struct rlpx_secrets *s,
		    size_t cap)
{
	_Alignas(16) uint8_t dec[RLPX_AES_SCHED_LEN];
	IMB_MGR *m = ipsecmb_thread_mgr();

	memset(f, 0, sizeof(*f));
	if (!m)
		return -ENOMEM;
	IMB_AES_KEYEXP_256(m, s->aes, f->aes_sched, dec);
	IMB_AES_KEYEXP_256(m, s->mac, f->mac_sched, dec);
	explicit_bzero(dec, sizeof(dec));
	memcpy(f->aes, s->aes, RLPX_SECRET_LEN);
	memcpy(f->mac, s->mac, RLPX_SECRET_LEN);
	f->egress.mac = s->egress_mac;
	f->ingress.mac = s->ingress_mac;
	if (cap == 0)
		cap = RLPX_FRAME_DEFAULT_CAP;
	f->cap = cap > RLPX_FRAME_SIZE_MAX ? RLPX_FRAME_SIZE_MAX : cap;
	return 0;
}

void rlpx_frame_fini(struct rlpx_frame *f)
{
	explicit_bzero(f, sizeof(*f));
	f->poisoned = true;
}

size_t rlpx_frame_sealed_len(size_t len)
{
	return RLPX_FRAME_HEAD_LEN + pad16(len) + RLPX_FRAME_MAC_LEN;
}

static ssize_t poison(struct rlpx_frame *f, ssize_t err)
{
	f->poisoned = true;
	f->have_header = false;
	return err;
}

static int seal_check(const struct rlpx_frame *f, size_t out_cap, size_t len)
{
	if (f->poisoned)
		return -EPROTO;
	if (len > f->cap)
		return -EMSGSIZE;
	if (out_cap < rlpx_frame_sealed_len(len))
		return -ENOBUFS;
	return 0;
}

/* seal_head() writes header-ciphertext to out[0..16) and the frame
 * plaintext (payload, zero padding) to the body, which seal_body()
 * encrypts in place. The header and the frame are consecutive in one CTR
 * stream. */
static int seal_head(IMB_MGR *m, const struct rlpx_frame *f, uint8_t *out,
		     const uint8_t *payload, size_t len)
{
	uint8_t hdr[RLPX_FRAME_HDR_LEN] = { 0 };
	uint8_t *body = out + RLPX_FRAME_HEAD_LEN;

	/* header = frame-size (24-bit BE) || header-data || zero padding;
	 * header-data = rlp([capability-id = 0, context-id = 0]). */
	hdr[0] = (uint8_t)(len >> 16);
	hdr[1] = (uint8_t)(len >> 8);
	hdr[2] = (uint8_t)len;
	hdr[3] = 0xc2;
	hdr[4] = 0x80;
	hdr[5] = 0x80;
	if (len)
		memcpy(body, payload, len);
	memset(body + len, 0, pad16(len) - len);
	return ctr_xor(m, f, f->egress.ctr, out, hdr, RLPX_FRAME_HDR_LEN);
}

static int seal_body(IMB_MGR *m, const struct rlpx_frame *f, uint8_t *body,
		     size_t padded)
{
	uint8_t ctr[16];
	int rc;

	memcpy(ctr, f->egress.ctr, 16);
	ctr_add(ctr, 1);
	rc = ctr_xor(m, f, ctr, body, body, padded);
	explicit_bzero(ctr, sizeof(ctr));
	return rc;
}

static void seal_commit(struct rlpx_frame *f, const struct keccak_ctx *mac,
			size_t padded)
{
	f->egress.mac = *mac;
	ctr_add(f->egress.ctr, 1 + padded / 16);
}

ssize_t rlpx_frame_seal(struct rlpx_frame *f, uint8_t *out, size_t out_cap,
			const uint8_t *payload, size_t len)
{
	struct keccak_ctx mac;
	uint8_t *body = out + RLPX_FRAME_HEAD_LEN;
	size_t padded = pad16(len);
	IMB_MGR *m;
	int rc;

	rc = seal_check(f, out_cap, len);
	if (rc < 0)
		return rc;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;

	mac = f->egress.mac;
	rc = seal_head(m, f, out, payload, len);
	if (rc == 0)
		rc = header_mac(m, f, &mac, out + RLPX_FRAME_HDR_LEN, out);
	if (rc == 0)
		rc = seal_body(m, f, body, padded);
	if (rc == 0)
		rc = frame_mac(m, f, &mac, body + padded, body, padded);
	if (rc < 0) {
		explicit_bzero(&mac, sizeof(mac));
		return poison(f, rc);
	}
	seal_commit(f, &mac, padded);
	explicit_bzero(&mac, sizeof(mac));
	return (ssize_t)rlpx_frame_sealed_len(len);
}

/* header_verdict() is the rest of a header check once header-mac is
 * computed (want): compare, decrypt, bound. Poisons on any failure, since
 * the streams can no longer be resynced. */
static ssize_t header_verdict(IMB_MGR *m, struct rlpx_frame *f, size_t *size,
			      const uint8_t want[RLPX_FRAME_MAC_LEN],
			      const uint8_t hdr[RLPX_FRAME_HEAD_LEN])
{
	uint8_t plain[RLPX_FRAME_HDR_LEN];
	int rc;

	/* rlpx.md: verify before decrypting header-ciphertext. */
	if (!ct_memeq(want, hdr + RLPX_FRAME_HDR_LEN, RLPX_FRAME_MAC_LEN))
		return poison(f, -EKEYREJECTED);
	rc = ctr_xor(m, f, f->ingress.ctr, plain, hdr, RLPX_FRAME_HDR_LEN);
	if (rc < 0)
		return poison(f, rc);
	*size = (size_t)plain[0] << 16 | (size_t)plain[1] << 8 | plain[2];
	explicit_bzero(plain, sizeof(plain));
	/* An authentic header announcing more than we will buffer: the peer
	 * lies about what we agreed to carry, and we cannot skip its body
	 * without reading it, so the session ends here. */
	if (*size > f->cap)
		return poison(f, -EMSGSIZE);
	return 0;
}

/* Verifies and decrypts a header without committing: on success *mac is the
 * ingress MAC after the header and *size the frame-size. */
static ssize_t check_header(IMB_MGR *m, struct rlpx_frame *f,
			    struct keccak_ctx *mac, size_t *size,
			    const uint8_t hdr[RLPX_FRAME_HEAD_LEN])
{
	uint8_t want[RLPX_FRAME_MAC_LEN];
	int rc;

	*mac = f->ingress.mac;
	rc = header_mac(m, f, mac, want, hdr);
	if (rc < 0)
		return poison(f, rc);
	return header_verdict(m, f, size, want, hdr);
}

static void commit_header(struct rlpx_frame *f, const struct keccak_ctx *mac,
			  size_t size)
{
	f->ingress.mac = *mac;
	ctr_add(f->ingress.ctr, 1);
	f->body_pending = (uint32_t)size;
	f->have_header = true;
}

ssize_t rlpx_frame_open_header(struct rlpx_frame *f, size_t *frame_size,
			       const uint8_t hdr[RLPX_FRAME_HEAD_LEN])
{
	struct keccak_ctx mac;
	size_t size = 0;
	ssize_t rc;
	IMB_MGR *m;

	if (f->poisoned || f->have_header)
		return -EPROTO;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	rc = check_header(m, f, &mac, &size, hdr);
	if (rc == 0) {
		commit_header(f, &mac, size);
		*frame_size = size;
		rc = (ssize_t)(pad16(size) + RLPX_FRAME_MAC_LEN);
	}
	explicit_bzero(&mac, sizeof(mac));
	return rc;
}

static int body_check(const struct rlpx_frame *f, size_t out_cap,
		      size_t body_len)
{
	if (f->poisoned || !f->have_header)
		return -EPROTO;
	if (body_len != pad16(f->body_pending) + RLPX_FRAME_MAC_LEN)
		return -EINVAL;
	if (out_cap < f->body_pending)
		return -ENOBUFS;
	return 0;
}

/* body_verdict() is the rest of opening a body once frame-mac is computed
 * (want, with *mac the ingress MAC after it): compare, decrypt, commit.
 * Returns frame-size, or poisons. */
static ssize_t body_verdict(IMB_MGR *m, struct rlpx_frame *f,
			    const struct keccak_ctx *mac,
			    const uint8_t want[RLPX_FRAME_MAC_LEN],
			    uint8_t *out, const uint8_t *body)
{
	size_t size = f->body_pending, padded = pad16(size);
	int rc;

	if (!ct_memeq(want, body + padded, RLPX_FRAME_MAC_LEN))
		return poison(f, -EKEYREJECTED);
	/* The padding's keystream is skipped, not decrypted: only frame-size
	 * bytes are written, and the counter moves by whole blocks. */
	rc = ctr_xor(m, f, f->ingress.ctr, out, body, size);
	if (rc < 0)
		return poison(f, rc);
	f->ingress.mac = *mac;
	ctr_add(f->ingress.ctr, padded / 16);
	f->have_header = false;
	return (ssize_t)size;
}

ssize_t rlpx_frame_open_body(struct rlpx_frame *f, uint8_t *out,
			     size_t out_cap, const uint8_t *body,
			     size_t body_len)
{
	uint8_t want[RLPX_FRAME_MAC_LEN];
	struct keccak_ctx mac;
	IMB_MGR *m;
	ssize_t rc;

	rc = body_check(f, out_cap, body_len);
	if (rc < 0)
		return rc;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;

	mac = f->ingress.mac;
	rc = frame_mac(m, f, &mac, want, body, pad16(f->body_pending));
	if (rc < 0)
		rc = poison(f, rc);
	else
		rc = body_verdict(m, f, &mac, want, out, body);
	explicit_bzero(&mac, sizeof(mac));
	return rc;
}

ssize_t rlpx_frame_open(struct rlpx_frame *f, uint8_t *out, size_t out_cap,
			size_t *out_len, const uint8_t *buf, size_t len)
{
	struct keccak_ctx mac;
	size_t size = 0, need;
	ssize_t rc;
	IMB_MGR *m;

	if (f->poisoned || f->have_header)
		return -EPROTO;
	if (len < RLPX_FRAME_HEAD_LEN)
		return -EAGAIN;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	rc = check_header(m, f, &mac, &size, buf);
	if (rc < 0)
		goto out;
	need = rlpx_frame_sealed_len(size);
	if (len < need) {
		rc = -EAGAIN;
		goto out;
	}
	if (out_cap < size) {
		rc = -ENOBUFS;
		goto out;
	}
	commit_header(f, &mac, size);
	rc = rlpx_frame_open_body(f, out, out_cap, buf + RLPX_FRAME_HEAD_LEN,
				  need - RLPX_FRAME_HEAD_LEN);
	if (rc < 0)
		goto out;
	*out_len = (size_t)rc;
	rc = (ssize_t)need;
out:
	explicit_bzero(&mac, sizeof(mac));
	return rc;
}

/* ---- batches ------------------------------------------------------------ */

#define BATCH_MAX 16            /* frames in lockstep; longer arrays are cut */

/* The sessions of one lockstep chunk: their MAC copies, the pointer
 * arrays the multi keccak calls take, and per-frame scratch. Entries are
 * added with batch_add() and index ops that passed their checks. */
struct batch {
	IMB_MGR *m;
	size_t k;
	size_t used;                    /* entries to wipe: max k */
	struct rlpx_frame_op *op[BATCH_MAX];
	struct keccak_ctx mac[BATCH_MAX];
	struct keccak_ctx *mp[BATCH_MAX];
	const struct keccak_ctx *cmp[BATCH_MAX];
	uint8_t d[BATCH_MAX][KECCAK256_LEN];
	uint8_t *dp[BATCH_MAX];
	uint8_t e[BATCH_MAX][16];
	const uint8_t *ep[BATCH_MAX];
	size_t e_len[BATCH_MAX];
	const uint8_t *ct[BATCH_MAX];   /* header- or frame-ciphertext */
	size_t ct_len[BATCH_MAX];
	uint8_t *mac_out[BATCH_MAX];    /* where header-/frame-mac goes */
	uint8_t want[BATCH_MAX][RLPX_FRAME_MAC_LEN];
	size_t size[BATCH_MAX];         /* frame-size */
	int rc[BATCH_MAX];
};

static size_t batch_add(struct batch *b, struct rlpx_frame_op *op,
			const struct keccak_ctx *mac)
{
	size_t j = b->k++;

	if (b->k > b->used)
		b->used = b->k;
	b->op[j] = op;
	b->mac[j] = *mac;
	b->mp[j] = &b->mac[j];
	b->cmp[j] = &b->mac[j];
	b->dp[j] = b->d[j];
	b->ep[j] = b->e[j];
	b->e_len[j] = 16;
	b->mac_out[j] = b->want[j];
	b->rc[j] = 0;
	return j;
}

/* batch_wipe() wipes the secret scratch of the entries used since the
 * last wipe. */
static void batch_wipe(struct batch *b)
{
	size_t u = b->used;

	explicit_bzero(b->mac, u * sizeof(b->mac[0]));
	explicit_bzero(b->d, u * sizeof(b->d[0]));
	explicit_bzero(b->e, u * sizeof(b->e[0]));
	explicit_bzero(b->want, u * sizeof(b->want[0]));
	b->k = 0;
	b->used = 0;
}

/* mac_seed() is aes(mac-secret, d[:16]) ^ x into e for entry j; on an AES
 * failure the entry is marked and its (discarded) seed zeroed. */
static void mac_seed(struct batch *b, size_t j, const uint8_t *x)
{
	if (b->rc[j] == 0)
		b->rc[j] = mac_aes(b->m, b->op[j]->f, b->e[j], b->d[j]);
	if (b->rc[j] == 0)
		xor_into(b->e[j], b->e[j], x, 16);
	else
		memset(b->e[j], 0, 16);
}

/* header_mac() for every entry, ct[j] being its header-ciphertext: the
 * same steps, each keccak step for all entries at once. */
static void batch_header_mac(struct batch *b)
{
	keccak256_multi_peek(b->cmp, b->dp, b->k);
	for (size_t j = 0; j < b->k; j++)
		mac_seed(b, j, b->ct[j]);
	keccak256_multi_update(b->mp, b->ep, b->e_len, b->k);
	keccak256_multi_peek(b->cmp, b->dp, b->k);
	for (size_t j = 0; j < b->k; j++)
		memcpy(b->mac_out[j], b->d[j], RLPX_FRAME_MAC_LEN);
}

/* frame_mac() for every entry over ct[j][0..ct_len[j]). */
static void batch_frame_mac(struct batch *b)
{
	keccak256_multi_update(b->mp, b->ct, b->ct_len, b->k);
	keccak256_multi_peek(b->cmp, b->dp, b->k);
	for (size_t j = 0; j < b->k; j++)
		mac_seed(b, j, b->d[j]);
	keccak256_multi_update(b->mp, b->ep, b->e_len, b->k);
	keccak256_multi_peek(b->cmp, b->dp, b->k);
	for (size_t j = 0; j < b->k; j++)
		memcpy(b->mac_out[j], b->d[j], RLPX_FRAME_MAC_LEN);
}

/* chunk_len() is how many of ops[0..n) go into the next chunk: at most
 * BATCH_MAX, cut before the first op whose session an earlier op of the
 * chunk names, so every check sees the state the single calls would. */
static size_t chunk_len(const struct rlpx_frame_op *ops, size_t n)
{
	size_t k;

	for (k = 0; k < n && k < BATCH_MAX; k++)
		for (size_t j = 0; j < k; j++)
			if (ops[j].f == ops[k].f)
				return k;
	return k;
}

static void seal_chunk(struct batch *b, struct rlpx_frame_op *ops, size_t n)
{
	b->k = 0;
	for (size_t i = 0; i < n; i++) {
		struct rlpx_frame_op *op = &ops[i];
		int rc = seal_check(op->f, op->out_cap, op->in_len);
		size_t j;

		if (rc == 0 && !b->m)
			rc = -ENOMEM;
		if (rc < 0) {
			op->rc = rc;
			continue;
		}
		j = batch_add(b, op, &op->f->egress.mac);
		b->rc[j] = seal_head(b->m, op->f, op->out, op->in, op->in_len);
		b->ct[j] = op->out;
		b->mac_out[j] = op->out + RLPX_FRAME_HDR_LEN;
	}
	batch_header_mac(b);
	for (size_t j = 0; j < b->k; j++) {
		struct rlpx_frame_op *op = b->op[j];
		size_t padded = pad16(op->in_len);

		if (b->rc[j] == 0)
			b->rc[j] = seal_body(b->m, op->f,
					     op->out + RLPX_FRAME_HEAD_LEN,
					     padded);
		b->ct[j] = op->out + RLPX_FRAME_HEAD_LEN;
		b->ct_len[j] = padded;
		b->mac_out[j] = op->out + RLPX_FRAME_HEAD_LEN + padded;
	}
	batch_frame_mac(b);
	for (size_t j = 0; j < b->k; j++) {
		struct rlpx_frame_op *op = b->op[j];

		if (b->rc[j] < 0) {
			op->rc = poison(op->f, b->rc[j]);
			continue;
		}
		seal_commit(op->f, &b->mac[j], pad16(op->in_len));
		op->rc = (ssize_t)rlpx_frame_sealed_len(op->in_len);
	}
}

enum batch_kind { SEAL, OPEN_HEADER, OPEN_BODY, OPEN_WHOLE };

/* open_headers() checks the headers of a chunk: for OPEN_HEADER it also
 * commits them and sets each rc; for OPEN_WHOLE it commits the headers
 * whose whole frame is in (as rlpx_frame_open() does) and leaves those ops
 * at rc 1 for open_bodies(). */
static void open_headers(struct batch *b, struct rlpx_frame_op *ops,
			 size_t n, enum batch_kind mode)
{
	b->k = 0;
	for (size_t i = 0; i < n; i++) {
		struct rlpx_frame_op *op = &ops[i];
		size_t j;

		if (op->f->poisoned || op->f->have_header) {
			op->rc = -EPROTO;
			continue;
		}
		if (op->in_len < RLPX_FRAME_HEAD_LEN) {
			op->rc = mode == OPEN_WHOLE ? -EAGAIN : -EINVAL;
			continue;
		}
		if (!b->m) {
			op->rc = -ENOMEM;
			continue;
		}
		j = batch_add(b, op, &op->f->ingress.mac);
		b->ct[j] = op->in;
	}
	batch_header_mac(b);
	for (size_t j = 0; j < b->k; j++) {
		struct rlpx_frame_op *op = b->op[j];
		size_t size = 0, need;
		ssize_t rc;

		if (b->rc[j] < 0) {
			op->rc = poison(op->f, b->rc[j]);
			continue;
		}
		rc = header_verdict(b->m, op->f, &size, b->want[j], op->in);
		if (rc < 0) {
			op->rc = rc;
			continue;
		}
		need = rlpx_frame_sealed_len(size);
		if (mode == OPEN_WHOLE && op->in_len < need) {
			op->rc = -EAGAIN;
			continue;
		}
		if (mode == OPEN_WHOLE && op->out_cap < size) {
			op->rc = -ENOBUFS;
			continue;
		}
		commit_header(op->f, &b->mac[j], size);
		op->frame_size = size;
		op->rc = mode == OPEN_WHOLE ? 1 :
			 (ssize_t)(pad16(size) + RLPX_FRAME_MAC_LEN);
	}
}

/* open_bodies() opens the bodies of a chunk: for OPEN_BODY every op's; for
 * OPEN_WHOLE those open_headers() left at rc 1, the body following the
 * header in in. */
static void open_bodies(struct batch *b, struct rlpx_frame_op *ops,
			size_t n, enum batch_kind mode)
{
	b->k = 0;
	for (size_t i = 0; i < n; i++) {
		struct rlpx_frame_op *op = &ops[i];
		size_t j;

		if (mode == OPEN_WHOLE) {
			if (op->rc != 1)
				continue;
		} else {
			int rc = body_check(op->f, op->out_cap, op->in_len);

			if (rc == 0 && !b->m)
				rc = -ENOMEM;
			if (rc < 0) {
				op->rc = rc;
				continue;
			}
		}
		j = batch_add(b, op, &op->f->ingress.mac);
		b->ct[j] = op->in;
		if (mode == OPEN_WHOLE)
			b->ct[j] += RLPX_FRAME_HEAD_LEN;
		b->ct_len[j] = pad16(op->f->body_pending);
	}
	batch_frame_mac(b);
	for (size_t j = 0; j < b->k; j++) {
		struct rlpx_frame_op *op = b->op[j];
		ssize_t rc;

		if (b->rc[j] < 0) {
			op->rc = poison(op->f, b->rc[j]);
			continue;
		}
		rc = body_verdict(b->m, op->f, &b->mac[j], b->want[j], op->out,
				  b->ct[j]);
		if (mode == OPEN_WHOLE && rc >= 0) {
			op->frame_size = (size_t)rc;
			rc = (ssize_t)rlpx_frame_sealed_len((size_t)rc);
		}
		op->rc = rc;
	}
}

static void run_batch(struct rlpx_frame_op *ops, size_t n,
		      enum batch_kind kind)
{
	struct batch b;

	b.m = ipsecmb_thread_mgr();
	b.k = 0;
	b.used = 0;
	while (n) {
		size_t k = chunk_len(ops, n);

		if (kind == SEAL)
			seal_chunk(&b, ops, k);
		if (kind == OPEN_HEADER || kind == OPEN_WHOLE)
			open_headers(&b, ops, k, kind);
		if (kind == OPEN_BODY || kind == OPEN_WHOLE)
			open_bodies(&b, ops, k, kind);
		batch_wipe(&b);
		ops += k;
		n -= k;
	}
}

void rlpx_frame_seal_batch(struct rlpx_frame_op *ops, size_t n)
{
	run_batch(ops, n, SEAL);
}

void rlpx_frame_open_header_batch(struct rlpx_frame_op *ops, size_t n)
{
	run_batch(ops, n, OPEN_HEADER);
}

void rlpx_frame_open_body_batch(struct rlpx_frame_op *ops, size_t n)
{
	run_batch(ops, n, OPEN_BODY);
}

void rlpx_frame_open_batch(struct rlpx_frame_op *ops, size_t n)
{
	run_batch(ops, n, OPEN_WHOLE);
}

static void keccak_to_msg(struct msg_keccak_state *o,
			  const struct keccak_ctx *c)
{
	for (unsigned i = 0; i < 25; i++)
		for (unsigned b = 0; b < 8; b++)
			o->st[8 * i + b] = (uint8_t)(c->s[i] >> (8 * b));
	o->pos = (uint32_t)c->pos;
	memset(o->pad0, 0, sizeof(o->pad0));
}

static int keccak_from_msg(struct keccak_ctx *c,
			   const struct msg_keccak_state *o)
{
	uint32_t pos = o->pos;  /* read once: o may be shared memory */

	if (pos >= KECCAK256_RATE)
		return -EBADMSG;
	for (unsigned i = 0; i < 25; i++) {
		uint64_t v = 0;

		for (unsigned b = 0; b < 8; b++)
			v |= (uint64_t)o->st[8 * i + b] << (8 * b);
		c->s[i] = v;
	}
	c->pos = pos;
	return 0;
}

/* Counter block -> keystream bytes used; the high 68 bits must be zero. */
static int ctr_to_pos(uint64_t *pos, const uint8_t ctr[16])
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		if (ctr[i])
			return -EOVERFLOW;
	for (unsigned i = 8; i < 16; i++)
		v = v << 8 | ctr[i];
	if (v >> 60)
		return -EOVERFLOW;
	*pos = v * 16;
	return 0;
}

static int pos_to_ctr(uint8_t ctr[16], uint64_t pos)
{
	if (pos % 16)
		return -EBADMSG;
	memset(ctr, 0, 16);
	ctr_add(ctr, pos / 16);
	return 0;
}

int rlpx_frame_export(struct msg_rlpx_keys *m, const struct rlpx_frame *f)
{
	uint64_t eg, in;

	if (f->poisoned || f->have_header)
		return -EPROTO;
	if (ctr_to_pos(&eg, f->egress.ctr) < 0 ||
	    ctr_to_pos(&in, f->ingress.ctr) < 0)
		return -EOVERFLOW;
	memcpy(m->aes_secret, f->aes, RLPX_SECRET_LEN);
	memcpy(m->mac_secret, f->mac, RLPX_SECRET_LEN);
	keccak_to_msg(&m->egress_mac, &f->egress.mac);
	keccak_to_msg(&m->ingress_mac, &f->ingress.mac);
	m->egress_ctr_pos = eg;
	m->ingress_ctr_pos = in;
	return 0;
}

int rlpx_frame_import(struct rlpx_frame *f, const struct msg_rlpx_keys *m,
		      size_t cap)
{
	struct rlpx_secrets s;
	int rc;

	memset(&s, 0, sizeof(s));
	memcpy(s.aes, m->aes_secret, RLPX_SECRET_LEN);
	memcpy(s.mac, m->mac_secret, RLPX_SECRET_LEN);
	rc = keccak_from_msg(&s.egress_mac, &m->egress_mac);
	if (rc == 0)
		rc = keccak_from_msg(&s.ingress_mac, &m->ingress_mac);
	if (rc == 0)
		rc = rlpx_frame_init(f, &s, cap);
	if (rc == 0)
		rc = pos_to_ctr(f->egress.ctr, m->egress_ctr_pos);
	if (rc == 0)
		rc = pos_to_ctr(f->ingress.ctr, m->ingress_ctr_pos);
	rlpx_secrets_wipe(&s);
	if (rc < 0)
		rlpx_frame_fini(f);
	return rc;
}
