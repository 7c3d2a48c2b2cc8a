/* SPDX-License-Identifier: MIT */
/* common/rlpx_auth.c - RLPx auth/ack: build (EIP-8), parse (EIP-8 and legacy). */
#include "common/rlpx_auth.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "common/ct.h"
#include "common/ecies.h"
#include "common/keccak.h"
#include "common/rlp.h"

/* Encoded EIP-8 bodies we send (rlpx.md, Initial Handshake):
 * auth [sig(65), pubk(64), nonce(32), 4]: 2 + 67 + 66 + 33 + 1 = 169;
 * ack  [eph-pubk(64), nonce(32), 4]:      2 + 66 + 33 + 1      = 102. */
#define AUTH_BODY_LEN 169
#define ACK_BODY_LEN  102
#define PREFIX_LEN    2

/* Legacy plaintexts: auth sig || keccak(eph-pubk) || pubk || nonce || 0x00,
 * ack eph-pubk || nonce || 0x00. */
#define LEGACY_AUTH_PLAIN (SECP_SIG_LEN + 32 + SECP_PUB_LEN + 32 + 1)  /* 194 */
#define LEGACY_ACK_PLAIN  (SECP_PUB_LEN + 32 + 1)                      /* 97 */

_Static_assert(LEGACY_AUTH_PLAIN + ECIES_OVERHEAD == RLPX_AUTH_LEGACY_LEN,
	       "legacy auth size");
_Static_assert(LEGACY_ACK_PLAIN + ECIES_OVERHEAD == RLPX_AUTH_ACK_LEGACY_LEN,
	       "legacy ack size");
_Static_assert(PREFIX_LEN + AUTH_BODY_LEN + RLPX_AUTH_PAD_MAX + ECIES_OVERHEAD <=
	       RLPX_AUTH_BUF_LEN, "RLPX_AUTH_BUF_LEN holds any auth we build");
_Static_assert(RLPX_AUTH_MAX_LEN - PREFIX_LEN - ECIES_OVERHEAD <=
	       ECIES_MAX_PLAIN_LEN, "ECIES opens anything under the cap");

/* Largest plaintext a message under the cap can carry. */
#define PLAIN_MAX (RLPX_AUTH_MAX_LEN - PREFIX_LEN - ECIES_OVERHEAD)

static int random_pad_len(size_t *pad)
{
	uint16_t r;
	ssize_t n;

	do
		n = getrandom(&r, sizeof(r), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(r))
		return n < 0 && errno ? -errno : -EIO;
	/* The bias of % 201 on 16 bits is irrelevant for padding. */
	*pad = RLPX_AUTH_PAD_MIN + r % (RLPX_AUTH_PAD_MAX - RLPX_AUTH_PAD_MIN + 1);
	return 0;
}

/* Pads body[0..body_len) (built in a buffer of RLPX_AUTH_BUF_LEN) with
 * zeros, as geth does, and seals it behind its EIP-8 size prefix, which is
 * also the ECIES authdata. */
static ssize_t seal_eip8(uint8_t *out, size_t out_len, uint8_t *plain,
			 size_t body_len, size_t pad,
			 const uint8_t remote_pub[SECP_PUB_LEN])
{
	size_t plain_len = body_len + pad;
	size_t ct_len = plain_len + ECIES_OVERHEAD;
	ssize_t n;

	memset(plain + body_len, 0, pad);
	out[0] = (uint8_t)(ct_len >> 8);
	out[1] = (uint8_t)ct_len;
	n = ecies_seal(out + PREFIX_LEN, out_len - PREFIX_LEN, remote_pub,
		       plain, plain_len, out, PREFIX_LEN);
	if (n < 0)
		return n;
	return PREFIX_LEN + n;
}

ssize_t rlpx_auth_build(uint8_t *out, size_t out_len,
			const uint8_t priv[SECP_PRIV_LEN],
			const uint8_t eph_priv[SECP_PRIV_LEN],
			const uint8_t nonce[RLPX_AUTH_NONCE_LEN],
			const uint8_t remote_pub[SECP_PUB_LEN])
{
	uint8_t plain[RLPX_AUTH_BUF_LEN];
	uint8_t shared[SECP_SHARED_LEN];
	uint8_t sig[SECP_SIG_LEN], pub[SECP_PUB_LEN];
	struct rlp_buf b;
	size_t pad = 0;         /* set below; gcc -O3 cannot tell */
	ssize_t rc;

	rc = random_pad_len(&pad);
	if (rc < 0)
		return rc;
	if (out_len < PREFIX_LEN + AUTH_BODY_LEN + pad + ECIES_OVERHEAD)
		return -EMSGSIZE;
	rc = secp_pub_from_priv(pub, priv);
	if (rc < 0)
		return rc;
	/* sig = ecdsa.sign(ephemeral-privkey,
	 *                  static-shared-secret ^ initiator-nonce) */
	rc = secp_ecdh(shared, priv, remote_pub);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < SECP_SHARED_LEN; i++)
		shared[i] ^= nonce[i];
	rc = secp_sign(sig, shared, eph_priv);
	if (rc < 0)
		goto out;
	rlp_buf_init(&b, plain, sizeof(plain));
	rlp_list_begin(&b);
	rlp_put_bytes(&b, sig, sizeof(sig));
	rlp_put_bytes(&b, pub, sizeof(pub));
	rlp_put_bytes(&b, nonce, RLPX_AUTH_NONCE_LEN);
	rlp_put_u64(&b, RLPX_AUTH_VERSION);
	rlp_list_end(&b);
	rc = rlp_buf_finish(&b);
	if (rc != AUTH_BODY_LEN) {              /* fixed layout; cannot fail */
		rc = -EINVAL;
		goto out;
	}
	rc = seal_eip8(out, out_len, plain, AUTH_BODY_LEN, pad, remote_pub);
out:
	explicit_bzero(shared, sizeof(shared));
	explicit_bzero(plain, sizeof(plain));
	return rc;
}

ssize_t rlpx_auth_ack_build(uint8_t *out, size_t out_len,
			    const uint8_t eph_priv[SECP_PRIV_LEN],
			    const uint8_t nonce[RLPX_AUTH_NONCE_LEN],
			    const uint8_t remote_pub[SECP_PUB_LEN], bool legacy)
{
	uint8_t plain[RLPX_AUTH_BUF_LEN];
	uint8_t eph_pub[SECP_PUB_LEN];
	struct rlp_buf b;
	size_t pad = 0;         /* set below; gcc -O3 cannot tell */
	ssize_t rc;

	if (legacy) {
		if (out_len < RLPX_AUTH_ACK_LEGACY_LEN)
			return -EMSGSIZE;
		rc = secp_pub_from_priv(plain, eph_priv);
		if (rc < 0)
			return rc;
		memcpy(plain + SECP_PUB_LEN, nonce, RLPX_AUTH_NONCE_LEN);
		plain[LEGACY_ACK_PLAIN - 1] = 0;        /* token flag: none */
		return ecies_seal(out, out_len, remote_pub, plain,
				  LEGACY_ACK_PLAIN, NULL, 0);
	}
	rc = random_pad_len(&pad);
	if (rc < 0)
		return rc;
	if (out_len < PREFIX_LEN + ACK_BODY_LEN + pad + ECIES_OVERHEAD)
		return -EMSGSIZE;
	rc = secp_pub_from_priv(eph_pub, eph_priv);
	if (rc < 0)
		return rc;
	rlp_buf_init(&b, plain, sizeof(plain));
	rlp_list_begin(&b);
	rlp_put_bytes(&b, eph_pub, sizeof(eph_pub));
	rlp_put_bytes(&b, nonce, RLPX_AUTH_NONCE_LEN);
	rlp_put_u64(&b, RLPX_AUTH_VERSION);
	rlp_list_end(&b);
	if (rlp_buf_finish(&b) != ACK_BODY_LEN)
		return -EINVAL;
	return seal_eip8(out, out_len, plain, ACK_BODY_LEN, pad, remote_pub);
}

/* Finds and opens the message at the start of buf. A legacy message is a
 * bare ECIES ciphertext and so starts with R's 0x04; read as an EIP-8
 * prefix, 0x04xx announces at least 1024 bytes, more than any legacy
 * message, so while fewer than legacy_len bytes are here both readings need
 * more. With enough bytes we try legacy first (as geth does) and fall back
 * to EIP-8. Returns the plaintext length and sets *used and *legacy. */
static ssize_t open_msg(uint8_t plain[PLAIN_MAX], const uint8_t *priv,
			const uint8_t *buf, size_t len, size_t legacy_len,
			size_t *used, bool *legacy)
{
	size_t size;
	ssize_t n;

	if (len < PREFIX_LEN)
		return -EAGAIN;
	if (buf[0] == 0x04) {
		if (len < legacy_len)
			return -EAGAIN;
		n = ecies_open(plain, PLAIN_MAX, priv, buf, legacy_len, NULL, 0);
		if (n >= 0) {
			*used = legacy_len;
			*legacy = true;
			return n;
		}
		if (n == -ENOMEM || n == -EINVAL)
			return n;
	}
	size = (size_t)buf[0] << 8 | buf[1];
	/* The cap is enforced on the announced size, before any work. */
	if (PREFIX_LEN + size > RLPX_AUTH_MAX_LEN)
		return -EMSGSIZE;
	if (len < PREFIX_LEN + size)
		return -EAGAIN;
	n = ecies_open(plain, PLAIN_MAX, priv, buf + PREFIX_LEN, size, buf,
		       PREFIX_LEN);
	if (n < 0)
		return n;
	*used = PREFIX_LEN + size;
	*legacy = false;
	return n;
}

/* Reads a string item of exactly want bytes from the list. */
static int next_fixed(struct rlp_iter *it, const uint8_t **p, size_t want)
{
	struct rlp_item x;

	if (rlp_iter_next(it, &x) != 1 || x.is_list || x.len != want)
		return -EBADMSG;
	*p = x.p;
	return 0;
}

static int next_version(struct rlp_iter *it, uint64_t *v)
{
	struct rlp_item x;

	if (rlp_iter_next(it, &x) != 1 || rlp_to_u64(v, &x) < 0)
		return -EBADMSG;
	return 0;
}

/* EIP-8: anything after the known elements is ignored, but must still be
 * well-formed items (geth decodes them as raw values). */
static int skip_rest(struct rlp_iter *it)
{
	struct rlp_item x;
	int rc;

	while ((rc = rlp_iter_next(it, &x)) == 1)
		;
	return rc < 0 ? -EBADMSG : 0;
}

/* The list at the start of plain[0..len); the padding after it is ignored. */
static int open_list(struct rlp_iter *it, const uint8_t *plain, size_t len)
{
	struct rlp_item list;

	if (rlp_next(&list, plain, len) < 0 || !list.is_list)
		return -EBADMSG;
	rlp_iter_init(it, &list);
	return 0;
}

ssize_t rlpx_auth_parse(struct rlpx_auth_fields *out,
			const uint8_t priv[SECP_PRIV_LEN],
			const uint8_t *buf, size_t len)
{
	uint8_t plain[PLAIN_MAX];
	uint8_t shared[SECP_SHARED_LEN];
	uint8_t eph[SECP_PUB_LEN], h[KECCAK256_LEN];
	const uint8_t *sig, *pub, *nonce, *eph_hash = NULL;
	struct rlp_iter it;
	uint64_t version = RLPX_AUTH_VERSION;
	size_t used = 0;
	bool legacy = false;
	ssize_t n;
	int rc;

	n = open_msg(plain, priv, buf, len, RLPX_AUTH_LEGACY_LEN, &used,
		     &legacy);
	if (n < 0)
		return n;
	if (legacy) {
		sig = plain;
		eph_hash = sig + SECP_SIG_LEN;
		pub = eph_hash + KECCAK256_LEN;
		nonce = pub + SECP_PUB_LEN;
		/* The trailing token flag is ignored (geth does too). */
	} else {
		rc = open_list(&it, plain, (size_t)n);
		if (rc == 0)
			rc = next_fixed(&it, &sig, SECP_SIG_LEN);
		if (rc == 0)
			rc = next_fixed(&it, &pub, SECP_PUB_LEN);
		if (rc == 0)
			rc = next_fixed(&it, &nonce, RLPX_AUTH_NONCE_LEN);
		if (rc == 0)
			rc = next_version(&it, &version);
		if (rc == 0)
			rc = skip_rest(&it);
		if (rc < 0)
			goto out;
	}
	/* The signed value is static-shared-secret ^ initiator-nonce; its
	 * signer is the initiator's ephemeral key. */
	if (secp_ecdh(shared, priv, pub) < 0) {
		rc = -EBADMSG;                  /* pub is not a point */
		goto out;
	}
	for (size_t i = 0; i < SECP_SHARED_LEN; i++)
		shared[i] ^= nonce[i];
	rc = secp_recover(eph, sig, shared);
	if (rc < 0)
		goto out;
	if (eph_hash) {
		/* rlpx.md step 2: recovery must match keccak256(eph-pubk). */
		keccak256(h, eph, sizeof(eph));
		if (!ct_memeq(h, eph_hash, KECCAK256_LEN)) {
			rc = -EKEYREJECTED;
			goto out;
		}
	}
	memcpy(out->remote_pub, pub, SECP_PUB_LEN);
	memcpy(out->remote_eph_pub, eph, SECP_PUB_LEN);
	memcpy(out->nonce, nonce, RLPX_AUTH_NONCE_LEN);
	out->version = version;
	out->legacy = legacy;
	rc = 0;
out:
	explicit_bzero(shared, sizeof(shared));
	explicit_bzero(plain, (size_t)n);
	return rc < 0 ? rc : (ssize_t)used;
}

ssize_t rlpx_auth_ack_parse(struct rlpx_auth_ack_fields *out,
			    const uint8_t priv[SECP_PRIV_LEN],
			    const uint8_t *buf, size_t len)
{
	uint8_t plain[PLAIN_MAX];
	const uint8_t *eph, *nonce;
	struct rlp_iter it;
	uint64_t version = RLPX_AUTH_VERSION;
	size_t used = 0;
	bool legacy = false;
	ssize_t n;
	int rc = 0;

	n = open_msg(plain, priv, buf, len, RLPX_AUTH_ACK_LEGACY_LEN, &used,
		     &legacy);
	if (n < 0)
		return n;
	if (legacy) {
		eph = plain;
		nonce = plain + SECP_PUB_LEN;
	} else {
		rc = open_list(&it, plain, (size_t)n);
		if (rc == 0)
			rc = next_fixed(&it, &eph, SECP_PUB_LEN);
		if (rc == 0)
			rc = next_fixed(&it, &nonce, RLPX_AUTH_NONCE_LEN);
		if (rc == 0)
			rc = next_version(&it, &version);
		if (rc == 0)
			rc = skip_rest(&it);
		if (rc < 0)
			goto out;
	}
	if (!secp_pub_check(eph)) {
		rc = -EBADMSG;
		goto out;
	}
	memcpy(out->remote_eph_pub, eph, SECP_PUB_LEN);
	memcpy(out->nonce, nonce, RLPX_AUTH_NONCE_LEN);
	out->version = version;
	out->legacy = legacy;
out:
	explicit_bzero(plain, (size_t)n);
	return rc < 0 ? rc : (ssize_t)used;
}
