/* SPDX-License-Identifier: MIT */
/* common/enr.c - Ethereum Node Records (EIP-778) with the "v4" scheme. */
#include "common/enr.h"

#include <errno.h>
#include <string.h>

#include "common/b64url.h"
#include "common/keccak.h"
#include "common/rlp.h"
#include "common/secp.h"

/* Room for rlp([seq, k, v, ...]): the pairs (<= ENR_MAX_SIZE), a seq (<= 9)
 * and a list header (<= 3). */
#define CONTENT_MAX (ENR_MAX_SIZE + 16)

void enr_init(struct enr *r)
{
	memset(r, 0, sizeof(*r));
}

/* bytes.Compare order: bytewise, a proper prefix sorts first. */
static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
		   size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Rebuilds r->pairs[] from r->kv[0..kv_len), enforcing the enr.md rules:
 * string keys, strictly increasing (sorted and unique), every key with a
 * value. Values must already be well-formed RLP. */
static int index_pairs(struct enr *r)
{
	const uint8_t *p = r->kv;
	size_t left = r->kv_len;
	uint16_t n = 0;

	while (left > 0) {
		struct rlp_item k, v;
		ssize_t kn, vn;
		struct enr_pair *pr;

		kn = rlp_next(&k, p, left);
		if (kn < 0)
			return -EBADMSG;
		if (k.is_list)
			return -EBADMSG;        /* keys are byte strings */
		if ((size_t)kn == left)
			return -EBADMSG;        /* a key without a value */
		vn = rlp_next(&v, p + kn, left - (size_t)kn);
		if (vn < 0)
			return -EBADMSG;
		if (n > 0) {
			const struct enr_pair *prev = &r->pairs[n - 1];

			if (key_cmp(r->kv + prev->key_off, prev->key_len,
				    k.p, k.len) >= 0)
				return -EBADMSG; /* unsorted or duplicate */
		}
		if (n == ENR_MAX_PAIRS)
			return -EMSGSIZE;
		pr = &r->pairs[n++];
		pr->key_off = (uint16_t)(k.p - r->kv);
		pr->key_len = (uint16_t)k.len;
		pr->val_off = (uint16_t)(p + kn - r->kv);
		pr->val_len = (uint16_t)vn;
		p += kn + vn;
		left -= (size_t)(kn + vn);
	}
	r->n = n;
	return 0;
}

ssize_t enr_decode(struct enr *r, const uint8_t *buf, size_t len)
{
	struct rlp_item list, sig, seq;
	struct rlp_iter it;
	size_t kv_len;
	ssize_t n;
	int rc;

	if (len > ENR_MAX_SIZE)
		return -EMSGSIZE;
	n = rlp_next(&list, buf, len);
	if (n < 0)
		return n;
	if ((size_t)n != len)
		return -EBADMSG;                /* trailing bytes */
	if (!list.is_list)
		return -EBADMSG;
	rc = rlp_validate(buf, len, RLP_MAX_DEPTH);
	if (rc < 0)
		return -EBADMSG;
	rlp_iter_init(&it, &list);
	if (rlp_iter_next(&it, &sig) != 1 || sig.is_list)
		return -EBADMSG;
	if (rlp_iter_next(&it, &seq) != 1)
		return -EBADMSG;
	enr_init(r);
	if (rlp_to_u64(&r->seq, &seq) < 0)
		return -EBADMSG;
	/* What is left of the list is "k v k v ...", copied as it is. */
	kv_len = it.len;
	memcpy(r->kv, it.p, kv_len);
	r->kv_len = (uint16_t)kv_len;
	rc = index_pairs(r);
	if (rc < 0) {
		enr_init(r);
		return rc;
	}
	memcpy(r->raw, buf, len);
	r->raw_len = (uint16_t)len;
	r->sig_off = (uint16_t)(sig.p - buf);
	r->sig_len = (uint16_t)sig.len;
	r->has_sig = true;
	return (ssize_t)len;
}

ssize_t enr_decode_text(struct enr *r, const char *s, size_t len)
{
	uint8_t buf[ENR_MAX_SIZE];
	ssize_t n;

	if (len < 4 || memcmp(s, ENR_TEXT_PREFIX, 4) != 0)
		return -EBADMSG;
	n = b64url_decode(buf, sizeof(buf), s + 4, len - 4);
	if (n < 0)
		return n;
	n = enr_decode(r, buf, (size_t)n);
	if (n < 0)
		return n;
	return (ssize_t)len;
}

ssize_t enr_encode(uint8_t *out, size_t cap, const struct enr *r)
{
	if (!r->has_sig)
		return -EINVAL;
	if (cap < r->raw_len)
		return -EMSGSIZE;
	memcpy(out, r->raw, r->raw_len);
	return r->raw_len;
}

ssize_t enr_encode_text(char *out, size_t cap, const struct enr *r)
{
	size_t n;

	if (!r->has_sig)
		return -EINVAL;
	n = 4 + (r->raw_len * 4 + 2) / 3;
	if (cap < n + 1)
		return -EMSGSIZE;
	memcpy(out, ENR_TEXT_PREFIX, 4);
	b64url_encode(out + 4, r->raw, r->raw_len);
	out[n] = '\0';
	return (ssize_t)n;
}

/* content = rlp([seq, k, v, ...]) */
static ssize_t encode_content(uint8_t *out, size_t cap, const struct enr *r)
{
	struct rlp_buf b;

	rlp_buf_init(&b, out, cap);
	rlp_list_begin(&b);
	rlp_put_u64(&b, r->seq);
	rlp_put_raw(&b, r->kv, r->kv_len);
	rlp_list_end(&b);
	return rlp_buf_finish(&b);
}

static void content_hash(uint8_t hash[32], const struct enr *r)
{
	uint8_t content[CONTENT_MAX];
	ssize_t n = encode_content(content, sizeof(content), r);

	/* kv_len <= ENR_MAX_SIZE, so CONTENT_MAX always suffices. */
	keccak256(hash, content, n > 0 ? (size_t)n : 0);
}

int enr_sign(struct enr *r, const uint8_t priv[32])
{
	uint8_t pub[SECP_PUB_LEN], cpub[SECP_PUB_COMPRESSED_LEN];
	uint8_t hash[32], sig[SECP_SIG_LEN];
	struct rlp_item list, it;
	struct rlp_buf b;
	ssize_t n;
	int rc;

	rc = secp_pub_from_priv(pub, priv);
	if (rc < 0)
		return -EINVAL;
	rc = secp_pub_compress(cpub, pub);
	if (rc < 0)
		return -EINVAL;
	rc = enr_set_id(r, "v4");
	if (rc < 0)
		return rc;
	rc = enr_set_secp256k1(r, cpub);
	if (rc < 0)
		return rc;
	content_hash(hash, r);
	rc = secp_sign(sig, hash, priv);
	if (rc < 0)
		goto out;

	/* record = rlp([signature, seq, k, v, ...]), v4: signature = r || s */
	rlp_buf_init(&b, r->raw, sizeof(r->raw));
	rlp_list_begin(&b);
	rlp_put_bytes(&b, sig, ENR_SIG_LEN);
	rlp_put_u64(&b, r->seq);
	rlp_put_raw(&b, r->kv, r->kv_len);
	rlp_list_end(&b);
	n = rlp_buf_finish(&b);
	if (n < 0) {
		rc = (int)n;                    /* -EMSGSIZE: over 300 bytes */
		goto out;
	}
	r->raw_len = (uint16_t)n;
	rlp_next(&list, r->raw, (size_t)n);
	rlp_next(&it, list.p, list.len);
	r->sig_off = (uint16_t)(it.p - r->raw);
	r->sig_len = ENR_SIG_LEN;
	r->has_sig = true;
	rc = 0;
out:
	explicit_bzero(sig, sizeof(sig));
	return rc;
}

int enr_verify(const struct enr *r)
{
	uint8_t pub[SECP_PUB_LEN], hash[32];
	char id[8];
	int rc;

	if (!r->has_sig)
		return -EINVAL;
	rc = enr_get_id(r, id, sizeof(id));
	if (rc == -ENOENT)
		return -EBADMSG;                /* "id" is mandatory */
	if (rc == -EMSGSIZE || (rc == 0 && strcmp(id, "v4") != 0))
		return -EPROTONOSUPPORT;
	if (rc < 0)
		return -EBADMSG;
	rc = enr_pubkey(pub, r);
	if (rc < 0)
		return -EBADMSG;
	if (r->sig_len != ENR_SIG_LEN)
		return -EKEYREJECTED;
	content_hash(hash, r);
	return secp_verify(r->raw + r->sig_off, hash, pub);
}

int enr_pubkey(uint8_t pub[64], const struct enr *r)
{
	uint8_t c[SECP_PUB_COMPRESSED_LEN];
	int rc = enr_get_secp256k1(r, c);

	if (rc < 0)
		return rc;
	if (secp_pub_decompress(pub, c) < 0)
		return -EBADMSG;
	return 0;
}

int enr_node_id(uint8_t id[ENR_ID_LEN], const struct enr *r)
{
	uint8_t pub[SECP_PUB_LEN];
	int rc = enr_pubkey(pub, r);

	if (rc < 0)
		return rc;
	keccak256(id, pub, sizeof(pub));
	return 0;
}

static const struct enr_pair *find(const struct enr *r, const char *key)
{
	size_t klen = strlen(key);

	for (unsigned i = 0; i < r->n; i++) {
		const struct enr_pair *p = &r->pairs[i];

		if (p->key_len == klen &&
		    memcmp(r->kv + p->key_off, key, klen) == 0)
			return p;
	}
	return NULL;
}

int enr_get_raw(const struct enr *r, const char *key, const uint8_t **val,
		size_t *val_len)
{
	const struct enr_pair *p = find(r, key);

	if (!p)
		return -ENOENT;
	*val = r->kv + p->val_off;
	*val_len = p->val_len;
	return 0;
}

int enr_set_raw(struct enr *r, const char *key, const uint8_t *val,
		size_t val_len)
{
	uint8_t kv[ENR_MAX_SIZE + 64];
	size_t klen = strlen(key);
	struct rlp_buf b;
	bool placed = false;
	ssize_t n;
	int rc;

	if (klen == 0 || rlp_validate(val, val_len, RLP_MAX_DEPTH) < 0)
		return -EINVAL;
	/* Merge the new pair into the sorted run, dropping the old value. */
	rlp_buf_init(&b, kv, sizeof(kv));
	for (unsigned i = 0; i < r->n; i++) {
		const struct enr_pair *p = &r->pairs[i];
		int c = key_cmp(r->kv + p->key_off, p->key_len,
				(const uint8_t *)key, klen);

		if (c > 0 && !placed) {
			rlp_put_bytes(&b, (const uint8_t *)key, klen);
			rlp_put_raw(&b, val, val_len);
			placed = true;
		}
		if (c == 0) {
			rlp_put_bytes(&b, (const uint8_t *)key, klen);
			rlp_put_raw(&b, val, val_len);
			placed = true;
			continue;
		}
		/* Keys were canonical when indexed, so re-encoding one gives
		 * back its original bytes. */
		rlp_put_bytes(&b, r->kv + p->key_off, p->key_len);
		rlp_put_raw(&b, r->kv + p->val_off, p->val_len);
	}
	if (!placed) {
		rlp_put_bytes(&b, (const uint8_t *)key, klen);
		rlp_put_raw(&b, val, val_len);
	}
	n = rlp_buf_finish(&b);
	if (n < 0 || (size_t)n > ENR_MAX_SIZE)
		return -EMSGSIZE;
	memcpy(r->kv, kv, (size_t)n);
	r->kv_len = (uint16_t)n;
	r->has_sig = false;
	rc = index_pairs(r);
	return rc < 0 ? -EINVAL : 0;
}

void enr_set_seq(struct enr *r, uint64_t seq)
{
	r->seq = seq;
	r->has_sig = false;
}

/* Points *s at the payload of key's value, which must be a byte string. */
static int get_string(const struct enr *r, const char *key, struct rlp_item *s)
{
	const uint8_t *v;
	size_t vlen;
	int rc = enr_get_raw(r, key, &v, &vlen);

	if (rc < 0)
		return rc;
	if (rlp_next(s, v, vlen) < 0 || s->is_list)
		return -EBADMSG;
	return 0;
}

static int get_fixed(const struct enr *r, const char *key, uint8_t *out,
		     size_t len)
{
	struct rlp_item s;
	int rc = get_string(r, key, &s);

	if (rc < 0)
		return rc;
	if (s.len != len)
		return -EBADMSG;
	memcpy(out, s.p, len);
	return 0;
}

static int set_bytes(struct enr *r, const char *key, const uint8_t *in,
		     size_t len)
{
	uint8_t enc[64];
	struct rlp_buf b;
	ssize_t n;

	rlp_buf_init(&b, enc, sizeof(enc));
	rlp_put_bytes(&b, in, len);
	n = rlp_buf_finish(&b);
	if (n < 0)
		return -EINVAL;
	return enr_set_raw(r, key, enc, (size_t)n);
}

static int get_port(const struct enr *r, const char *key, uint16_t *out)
{
	struct rlp_item s;
	uint64_t v;
	int rc = get_string(r, key, &s);

	if (rc < 0)
		return rc;
	if (rlp_to_u64(&v, &s) < 0 || v > 65535)
		return -EBADMSG;
	*out = (uint16_t)v;
	return 0;
}

static int set_port(struct enr *r, const char *key, uint16_t port)
{
	uint8_t enc[4];
	struct rlp_buf b;

	rlp_buf_init(&b, enc, sizeof(enc));
	rlp_put_u64(&b, port);
	return enr_set_raw(r, key, enc, (size_t)rlp_buf_finish(&b));
}

int enr_get_id(const struct enr *r, char *out, size_t cap)
{
	struct rlp_item s;
	int rc = get_string(r, "id", &s);

	if (rc < 0)
		return rc;
	if (s.len + 1 > cap)
		return -EMSGSIZE;
	if (memchr(s.p, '\0', s.len))
		return -EBADMSG;
	memcpy(out, s.p, s.len);
	out[s.len] = '\0';
	return 0;
}

int enr_set_id(struct enr *r, const char *scheme)
{
	size_t len = strlen(scheme);

	if (len > 32)
		return -EINVAL;
	return set_bytes(r, "id", (const uint8_t *)scheme, len);
}

int enr_get_secp256k1(const struct enr *r, uint8_t out[33])
{
	return get_fixed(r, "secp256k1", out, 33);
}

int enr_set_secp256k1(struct enr *r, const uint8_t in[33])
{
	return set_bytes(r, "secp256k1", in, 33);
}

int enr_get_ip(const struct enr *r, uint8_t out[4])
{
	return get_fixed(r, "ip", out, 4);
}

int enr_set_ip(struct enr *r, const uint8_t in[4])
{
	return set_bytes(r, "ip", in, 4);
}

int enr_get_ip6(const struct enr *r, uint8_t out[16])
{
	return get_fixed(r, "ip6", out, 16);
}

int enr_set_ip6(struct enr *r, const uint8_t in[16])
{
	return set_bytes(r, "ip6", in, 16);
}

int enr_get_tcp(const struct enr *r, uint16_t *out)
{
	return get_port(r, "tcp", out);
}

int enr_set_tcp(struct enr *r, uint16_t port)
{
	return set_port(r, "tcp", port);
}

int enr_get_tcp6(const struct enr *r, uint16_t *out)
{
	return get_port(r, "tcp6", out);
}

int enr_set_tcp6(struct enr *r, uint16_t port)
{
	return set_port(r, "tcp6", port);
}

int enr_get_udp(const struct enr *r, uint16_t *out)
{
	return get_port(r, "udp", out);
}

int enr_set_udp(struct enr *r, uint16_t port)
{
	return set_port(r, "udp", port);
}

int enr_get_udp6(const struct enr *r, uint16_t *out)
{
	return get_port(r, "udp6", out);
}

int enr_set_udp6(struct enr *r, uint16_t port)
{
	return set_port(r, "udp6", port);
}

int enr_get_eth(const struct enr *r, const uint8_t **val, size_t *val_len)
{
	return enr_get_raw(r, "eth", val, val_len);
}

int enr_set_eth(struct enr *r, const uint8_t *val, size_t val_len)
{
	return enr_set_raw(r, "eth", val, val_len);
}
