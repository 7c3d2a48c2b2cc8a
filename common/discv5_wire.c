/* SPDX-License-Identifier: MIT */
/* common/discv5_wire.c - discv5 packets: masking (AES-128-CTR), static
 * header checks, authdata by flag, message AES-128-GCM (IPsec-MB). */
#include "common/discv5_wire.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "common/ipsecmb.h"

static_assert(DISCV5_MASK_SCHED_LEN == IPSECMB_AES128_SCHED_LEN,
	      "masking key schedule is AES-128's");
static_assert(DISCV5_CHALLENGE_LEN ==
	      DISCV5_HEAD_LEN + DISCV5_AUTH_WHOAREYOU_LEN,
	      "challenge-data is a whole WHOAREYOU");
static_assert(DISCV5_PACKET_MIN == DISCV5_CHALLENGE_LEN,
	      "the smallest packet is a WHOAREYOU");

/* Offsets in masking-iv || static-header || authdata. */
#define OFF_PROTO    16
#define OFF_VERSION  22
#define OFF_FLAG     24
#define OFF_NONCE    25
#define OFF_AUTHSIZE 37
#define OFF_AUTH     DISCV5_HEAD_LEN
/* The same, inside the static header alone. */
#define SH_VERSION   (OFF_VERSION - OFF_PROTO)
#define SH_FLAG      (OFF_FLAG - OFF_PROTO)
#define SH_NONCE     (OFF_NONCE - OFF_PROTO)
#define SH_AUTHSIZE  (OFF_AUTHSIZE - OFF_PROTO)
/* Inside a handshake's authdata. */
#define HS_SIG_SIZE  32
#define HS_KEY_SIZE  33
#define HS_SIG       DISCV5_AUTH_HS_HEAD_LEN
#define HS_KEY       (HS_SIG + DISCV5_ID_SIG_LEN)
#define HS_RECORD    (HS_KEY + DISCV5_EPH_PUB_LEN)

int discv5_mask_key_init(struct discv5_mask_key *k,
			 const uint8_t node_id[DISCV5_NODE_ID_LEN])
{
	alignas(16) uint8_t dk[IPSECMB_AES128_SCHED_LEN];
	IMB_MGR *m = ipsecmb_thread_mgr();

	if (!m)
		return -ENOMEM;
	/* masking-key = dest-id[:16] */
	IMB_AES_KEYEXP_128(m, node_id, k->sched, dk);
	return 0;
}

/* Adds one to a 128-bit big-endian counter block. */
static void ctr_inc(uint8_t c[IPSECMB_AES_BLOCK])
{
	for (int i = IPSECMB_AES_BLOCK - 1; i >= 0; i--)
		if (++c[i] != 0)
			break;
}

/* The static header is the first 23 bytes of the CTR stream: block 0 is
 * E(iv), block 1 is E(iv + 1), and a one-block CFB call computes exactly
 * in ^ E(iv). Two direct calls are cheaper than a job for 23 bytes, and
 * block 0 alone (protocol-id, version, flag) settles most junk. */
static void unmask_block0(IMB_MGR *m, uint8_t out[IPSECMB_AES_BLOCK],
			  const struct discv5_mask_key *k, const uint8_t *pkt)
{
	IMB_AES128_CFB_ONE(m, out, pkt + DISCV5_MASKING_IV_LEN, pkt, k->sched,
			   IPSECMB_AES_BLOCK);
}

static void unmask_block1(IMB_MGR *m, uint8_t *out,
			  const struct discv5_mask_key *k, const uint8_t *pkt)
{
	uint8_t ctr[IPSECMB_AES_BLOCK];

	memcpy(ctr, pkt, IPSECMB_AES_BLOCK);
	ctr_inc(ctr);
	IMB_AES128_CFB_ONE(m, out,
			   pkt + DISCV5_MASKING_IV_LEN + IPSECMB_AES_BLOCK, ctr,
			   k->sched, DISCV5_STATIC_HDR_LEN - IPSECMB_AES_BLOCK);
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

ssize_t discv5_check_static(struct discv5_static *s,
			    const struct discv5_mask_key *k,
			    const uint8_t *pkt, size_t len)
{
	uint8_t hdr[DISCV5_STATIC_HDR_LEN];
	size_t rest, auth;
	IMB_MGR *m;

	/* discv5-wire.md, UDP Communication: 63 <= size <= 1280. */
	if (len < DISCV5_PACKET_MIN || len > DISCV5_PACKET_MAX)
		return -EMSGSIZE;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	unmask_block0(m, hdr, k, pkt);
	if (memcmp(hdr, DISCV5_PROTOCOL_ID, DISCV5_PROTOCOL_ID_LEN) != 0)
		return -ENOMSG;
	if (get_be16(hdr + SH_VERSION) != DISCV5_VERSION)
		return -EPROTONOSUPPORT;
	s->flag = hdr[SH_FLAG];
	if (s->flag > DISCV5_FLAG_HANDSHAKE)
		return -EBADRQC;
	unmask_block1(m, hdr + IPSECMB_AES_BLOCK, k, pkt);
	memcpy(s->nonce, hdr + SH_NONCE, DISCV5_GCM_NONCE_LEN);
	s->authdata_len = get_be16(hdr + SH_AUTHSIZE);
	rest = len - DISCV5_HEAD_LEN;
	auth = s->authdata_len;
	switch (s->flag) {
	case DISCV5_FLAG_MESSAGE:
		/* geth's minMessageSize first: src-id + a tag, at least. */
		if (rest < DISCV5_MIN_AFTER_STATIC)
			return -EMSGSIZE;
		if (auth != DISCV5_AUTH_MESSAGE_LEN)
			return -EBADMSG;
		break;
	case DISCV5_FLAG_WHOAREYOU:
		if (auth != DISCV5_AUTH_WHOAREYOU_LEN)
			return -EBADMSG;
		/* "The message part of WHOAREYOU packets is always empty." */
		if (rest != DISCV5_AUTH_WHOAREYOU_LEN)
			return -EMSGSIZE;
		break;
	case DISCV5_FLAG_HANDSHAKE:
		if (rest < DISCV5_MIN_AFTER_STATIC)
			return -EMSGSIZE;
		/* "v4" only: 64-byte signature and 33-byte key. */
		if (auth < DISCV5_AUTH_HS_MIN_LEN || auth > rest)
			return -EBADMSG;
		if (rest - auth < DISCV5_GCM_TAG_LEN)
			return -EMSGSIZE;
		break;
	}
	return (ssize_t)(DISCV5_HEAD_LEN + auth);
}

ssize_t discv5_decode_header(struct discv5_header *h,
			     const struct discv5_mask_key *k,
			     const uint8_t *pkt, size_t len)
{
	struct discv5_static s;
	const uint8_t *a;
	ssize_t n;
	int rc;

	n = discv5_check_static(&s, k, pkt, len);
	if (n < 0)
		return n;
	memcpy(h->raw, pkt, DISCV5_MASKING_IV_LEN);
	rc = ipsecmb_aes128_ctr(ipsecmb_thread_mgr(),
				h->raw + DISCV5_MASKING_IV_LEN, k->sched, pkt,
				pkt + DISCV5_MASKING_IV_LEN,
				(size_t)n - DISCV5_MASKING_IV_LEN);
	if (rc < 0)
		return rc;
	h->flag = s.flag;
	memcpy(h->nonce, s.nonce, DISCV5_GCM_NONCE_LEN);
	h->authdata_len = s.authdata_len;
	h->hdr_len = (uint16_t)n;
	h->record_off = 0;
	h->record_len = 0;
	h->msg = pkt + n;
	h->msg_len = len - (size_t)n;
	a = h->raw + OFF_AUTH;
	switch (h->flag) {
	case DISCV5_FLAG_MESSAGE:
		memcpy(h->src_id, a, DISCV5_NODE_ID_LEN);
		break;
	case DISCV5_FLAG_WHOAREYOU:
		memcpy(h->id_nonce, a, DISCV5_ID_NONCE_LEN);
		h->enr_seq = get_be64(a + DISCV5_ID_NONCE_LEN);
		break;
	default:
		/* discv5_check_static() let only flag 2 through, with
		 * authdata_len >= DISCV5_AUTH_HS_MIN_LEN. */
		if (a[HS_SIG_SIZE] != DISCV5_ID_SIG_LEN ||
		    a[HS_KEY_SIZE] != DISCV5_EPH_PUB_LEN)
			return -EBADMSG;
		memcpy(h->src_id, a, DISCV5_NODE_ID_LEN);
		memcpy(h->id_sig, a + HS_SIG, DISCV5_ID_SIG_LEN);
		memcpy(h->eph_pub, a + HS_KEY, DISCV5_EPH_PUB_LEN);
		h->record_off = OFF_AUTH + HS_RECORD;
		h->record_len = (uint16_t)(h->authdata_len - HS_RECORD);
		break;
	}
	return n;
}

ssize_t discv5_open_message(uint8_t *pt, size_t pt_len,
			    const struct discv5_header *h,
			    const uint8_t key[DISCV5_KEY_LEN])
{
	ssize_t n;

	if (h->flag == DISCV5_FLAG_WHOAREYOU)
		return -EBADMSG;
	/* message-ad = masking-iv || header, the header unmasked. */
	n = discv5_gcm_open(pt, pt_len, key, h->nonce, h->msg, h->msg_len,
			    h->raw, h->hdr_len);
	if (n == 0)
		return -EBADMSG;        /* no message-type */
	return n;
}

/* Writes masking-iv || static-header, unmasked; returns its length. */
static size_t put_head(uint8_t *out,
		       const uint8_t masking_iv[DISCV5_MASKING_IV_LEN],
		       uint8_t flag, const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
		       size_t authdata_len)
{
	memcpy(out, masking_iv, DISCV5_MASKING_IV_LEN);
	memcpy(out + OFF_PROTO, DISCV5_PROTOCOL_ID, DISCV5_PROTOCOL_ID_LEN);
	out[OFF_VERSION] = DISCV5_VERSION >> 8;
	out[OFF_VERSION + 1] = DISCV5_VERSION & 0xff;
	out[OFF_FLAG] = flag;
	memcpy(out + OFF_NONCE, nonce, DISCV5_GCM_NONCE_LEN);
	out[OFF_AUTHSIZE] = (uint8_t)(authdata_len >> 8);
	out[OFF_AUTHSIZE + 1] = (uint8_t)authdata_len;
	return DISCV5_HEAD_LEN;
}

/* Masks pkt[16..hdr_len) in place with dest-id[:16] and the masking-iv
 * already at pkt[0..16). */
static int mask(IMB_MGR *m, uint8_t *pkt, size_t hdr_len,
		const uint8_t dest_id[DISCV5_NODE_ID_LEN])
{
	alignas(16) uint8_t ek[IPSECMB_AES128_SCHED_LEN];
	alignas(16) uint8_t dk[IPSECMB_AES128_SCHED_LEN];

	IMB_AES_KEYEXP_128(m, dest_id, ek, dk);
	return ipsecmb_aes128_ctr(m, pkt + DISCV5_MASKING_IV_LEN, ek, pkt,
				  pkt + DISCV5_MASKING_IV_LEN,
				  hdr_len - DISCV5_MASKING_IV_LEN);
}

ssize_t discv5_encode_whoareyou(uint8_t *out, size_t out_len,
				uint8_t challenge[DISCV5_CHALLENGE_LEN],
				const uint8_t dest_id[DISCV5_NODE_ID_LEN],
				const uint8_t masking_iv[DISCV5_MASKING_IV_LEN],
				const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
				const uint8_t id_nonce[DISCV5_ID_NONCE_LEN],
				uint64_t enr_seq)
{
	size_t o;
	IMB_MGR *m;
	int rc;

	if (out_len < DISCV5_CHALLENGE_LEN)
		return -EMSGSIZE;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	o = put_head(out, masking_iv, DISCV5_FLAG_WHOAREYOU, nonce,
		     DISCV5_AUTH_WHOAREYOU_LEN);
	memcpy(out + o, id_nonce, DISCV5_ID_NONCE_LEN);
	put_be64(out + o + DISCV5_ID_NONCE_LEN, enr_seq);
	if (challenge)
		memcpy(challenge, out, DISCV5_CHALLENGE_LEN);
	rc = mask(m, out, DISCV5_CHALLENGE_LEN, dest_id);
	if (rc < 0) {
		explicit_bzero(out, DISCV5_CHALLENGE_LEN);
		return rc;
	}
	return DISCV5_CHALLENGE_LEN;
}

/* Seals pt after the unmasked header out[0..hdr_len), then masks the
 * header. The caller checked that hdr_len + pt_len + tag fits out_len and
 * DISCV5_PACKET_MAX. */
static ssize_t seal_and_mask(IMB_MGR *m, uint8_t *out, size_t hdr_len,
			     const uint8_t dest_id[DISCV5_NODE_ID_LEN],
			     const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			     const uint8_t key[DISCV5_KEY_LEN],
			     const uint8_t *pt, size_t pt_len)
{
	size_t total = hdr_len + pt_len + DISCV5_GCM_TAG_LEN;
	ssize_t n;
	int rc;

	n = discv5_gcm_seal(out + hdr_len, pt_len + DISCV5_GCM_TAG_LEN, key,
			    nonce, pt, pt_len, out, hdr_len);
	if (n < 0) {
		explicit_bzero(out, total);
		return n;
	}
	rc = mask(m, out, hdr_len, dest_id);
	if (rc < 0) {
		explicit_bzero(out, total);
		return rc;
	}
	return (ssize_t)total;
}

ssize_t discv5_encode_message(uint8_t *out, size_t out_len,
			      const uint8_t dest_id[DISCV5_NODE_ID_LEN],
			      const uint8_t masking_iv[DISCV5_MASKING_IV_LEN],
			      const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			      const uint8_t src_id[DISCV5_NODE_ID_LEN],
			      const uint8_t key[DISCV5_KEY_LEN],
			      const uint8_t *pt, size_t pt_len)
{
	const size_t hdr_len = DISCV5_HEAD_LEN + DISCV5_AUTH_MESSAGE_LEN;
	IMB_MGR *m;

	if (pt_len == 0)
		return -EINVAL;
	if (pt_len > DISCV5_PACKET_MAX - hdr_len - DISCV5_GCM_TAG_LEN ||
	    out_len < hdr_len + pt_len + DISCV5_GCM_TAG_LEN)
		return -EMSGSIZE;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	put_head(out, masking_iv, DISCV5_FLAG_MESSAGE, nonce,
		 DISCV5_AUTH_MESSAGE_LEN);
	memcpy(out + OFF_AUTH, src_id, DISCV5_NODE_ID_LEN);
	return seal_and_mask(m, out, hdr_len, dest_id, nonce, key, pt, pt_len);
}

ssize_t discv5_encode_random(uint8_t *out, size_t out_len,
			     const uint8_t dest_id[DISCV5_NODE_ID_LEN],
			     const uint8_t masking_iv[DISCV5_MASKING_IV_LEN],
			     const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
			     const uint8_t src_id[DISCV5_NODE_ID_LEN],
			     const uint8_t *junk, size_t junk_len)
{
	const size_t hdr_len = DISCV5_HEAD_LEN + DISCV5_AUTH_MESSAGE_LEN;
	IMB_MGR *m;
	int rc;

	if (junk_len < DISCV5_GCM_TAG_LEN)
		return -EINVAL;
	if (junk_len > DISCV5_PACKET_MAX - hdr_len ||
	    out_len < hdr_len + junk_len)
		return -EMSGSIZE;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	put_head(out, masking_iv, DISCV5_FLAG_MESSAGE, nonce,
		 DISCV5_AUTH_MESSAGE_LEN);
	memcpy(out + OFF_AUTH, src_id, DISCV5_NODE_ID_LEN);
	memcpy(out + hdr_len, junk, junk_len);
	rc = mask(m, out, hdr_len, dest_id);
	if (rc < 0) {
		explicit_bzero(out, hdr_len + junk_len);
		return rc;
	}
	return (ssize_t)(hdr_len + junk_len);
}

ssize_t discv5_encode_handshake(uint8_t *out, size_t out_len,
				const uint8_t dest_id[DISCV5_NODE_ID_LEN],
				const uint8_t masking_iv[DISCV5_MASKING_IV_LEN],
				const uint8_t nonce[DISCV5_GCM_NONCE_LEN],
				const struct discv5_handshake_auth *auth,
				const uint8_t key[DISCV5_KEY_LEN],
				const uint8_t *pt, size_t pt_len)
{
	size_t authdata_len, hdr_len;
	uint8_t *a;
	IMB_MGR *m;

	if (pt_len == 0 || (auth->record_len > 0 && !auth->record))
		return -EINVAL;
	/* Bound each part before adding, so nothing wraps. */
	if (auth->record_len > DISCV5_PACKET_MAX ||
	    pt_len > DISCV5_PACKET_MAX)
		return -EMSGSIZE;
	authdata_len = DISCV5_AUTH_HS_MIN_LEN + auth->record_len;
	hdr_len = DISCV5_HEAD_LEN + authdata_len;
	if (hdr_len + pt_len + DISCV5_GCM_TAG_LEN > DISCV5_PACKET_MAX ||
	    out_len < hdr_len + pt_len + DISCV5_GCM_TAG_LEN)
		return -EMSGSIZE;
	m = ipsecmb_thread_mgr();
	if (!m)
		return -ENOMEM;
	put_head(out, masking_iv, DISCV5_FLAG_HANDSHAKE, nonce, authdata_len);
	a = out + OFF_AUTH;
	memcpy(a, auth->src_id, DISCV5_NODE_ID_LEN);
	a[HS_SIG_SIZE] = DISCV5_ID_SIG_LEN;
	a[HS_KEY_SIZE] = DISCV5_EPH_PUB_LEN;
	memcpy(a + HS_SIG, auth->id_sig, DISCV5_ID_SIG_LEN);
	memcpy(a + HS_KEY, auth->eph_pub, DISCV5_EPH_PUB_LEN);
	if (auth->record_len)
		memcpy(a + HS_RECORD, auth->record, auth->record_len);
	return seal_and_mask(m, out, hdr_len, dest_id, nonce, key, pt, pt_len);
}
