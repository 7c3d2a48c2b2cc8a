/* SPDX-License-Identifier: MIT */
/* control/dns/dnstree.c - EIP-1459 DNS node-list entries: codec, hashes,
 * root signatures, enrtree:// URLs and unpadded base32. */
#include "control/dns/dnstree.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/b64url.h"
#include "common/keccak.h"
#include "common/secp.h"

static const char b32alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static int b32_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

size_t dnstree_b32_encode(char *out, const uint8_t *in, size_t len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32alpha[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32alpha[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return o;
}

ssize_t dnstree_b32_decode(uint8_t *out, size_t cap, const char *in,
			   size_t len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	/* RFC 4648 §6: 1, 3 or 6 characters past a full 8-character group
	 * cannot be the end of any byte string. */
	switch (len % 8) {
	case 1: case 3: case 6:
		return -EBADMSG;
	}
	if (len * 5 / 8 > cap)
		return -EMSGSIZE;
	for (size_t i = 0; i < len; i++) {
		int v = b32_val(in[i]);

		if (v < 0)
			return -EBADMSG;
		acc = acc << 5 | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* The unused low bits are ignored, as Go's decoder does: geth's
	 * truncated 20-character hashes (12.5 bytes) end in bits of the
	 * 13th byte. */
	return (ssize_t)o;
}

bool dnstree_valid_hash(const char *s, size_t len)
{
	uint8_t buf[DNSTREE_HASH_MAX];
	ssize_t n;

	if (len > DNSTREE_HASH_TEXT_MAX)
		return false;
	n = dnstree_b32_decode(buf, sizeof(buf), s, len);
	return n >= DNSTREE_HASH_MIN;
}

void dnstree_name(char out[DNSTREE_HASH_TEXT_LEN + 1], const char *txt,
		  size_t len)
{
	uint8_t h[KECCAK256_LEN];

	keccak256(h, (const uint8_t *)txt, len);
	dnstree_b32_encode(out, h, DNSTREE_HASH_LEN);
}

bool dnstree_hash_matches(const char *hash, size_t hash_len, const char *txt,
			  size_t len)
{
	uint8_t want[DNSTREE_HASH_MAX], h[KECCAK256_LEN];
	ssize_t n;

	if (!dnstree_valid_hash(hash, hash_len))
		return false;
	n = dnstree_b32_decode(want, sizeof(want), hash, hash_len);
	keccak256(h, (const uint8_t *)txt, len);
	return memcmp(h, want, (size_t)n) == 0;
}

/* Reads the word in s[*pos..len) up to the next space or the end. */
static size_t word(const char *s, size_t len, size_t pos)
{
	size_t e = pos;

	while (e < len && s[e] != ' ')
		e++;
	return e - pos;
}

/* Expects lit at s[*pos], advancing past it. */
static bool expect(const char *s, size_t len, size_t *pos, const char *lit)
{
	size_t n = strlen(lit);

	if (len - *pos < n || memcmp(s + *pos, lit, n) != 0)
		return false;
	*pos += n;
	return true;
}

static bool take_hash(char out[DNSTREE_HASH_TEXT_MAX + 1], const char *s,
		      size_t len, size_t *pos)
{
	size_t n = word(s, len, *pos);

	if (!dnstree_valid_hash(s + *pos, n))
		return false;
	memcpy(out, s + *pos, n);
	out[n] = '\0';
	*pos += n;
	return true;
}

ssize_t dnstree_parse_root(struct dnstree_root *r, const char *txt, size_t len)
{
	struct dnstree_root tmp;
	size_t pos = 0, n;
	uint64_t seq = 0;

	if (len > DNSTREE_ENTRY_MAX)
		return -EMSGSIZE;
	memset(&tmp, 0, sizeof(tmp));
	if (!expect(txt, len, &pos, DNSTREE_ROOT_PREFIX " e=") ||
	    !take_hash(tmp.eroot, txt, len, &pos) ||
	    !expect(txt, len, &pos, " l=") ||
	    !take_hash(tmp.lroot, txt, len, &pos) ||
	    !expect(txt, len, &pos, " seq="))
		return -EBADMSG;
	n = word(txt, len, pos);
	if (n == 0)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)txt[pos + i] - '0';

		if (d > 9 || seq > (UINT64_MAX - d) / 10)
			return -EBADMSG;        /* not a digit, or overflow */
		seq = seq * 10 + d;
	}
	tmp.seq = seq;
	pos += n;
	if (!expect(txt, len, &pos, " sig="))
		return -EBADMSG;
	/* The signature runs to the end of the text: 87 characters. */
	if (len - pos != DNSTREE_SIG_TEXT_LEN ||
	    b64url_decode(tmp.sig, sizeof(tmp.sig), txt + pos, len - pos) !=
	    DNSTREE_SIG_LEN)
		return -EBADMSG;
	*r = tmp;
	return (ssize_t)len;
}

/* The signed text: geth's fmt "enrtree-root:v1 e=%s l=%s seq=%d". */
static int root_unsigned_text(char *out, size_t cap,
			      const struct dnstree_root *r)
{
	return snprintf(out, cap, DNSTREE_ROOT_PREFIX " e=%s l=%s seq=%llu",
			r->eroot, r->lroot, (unsigned long long)r->seq);
}

void dnstree_root_sighash(uint8_t hash[32], const struct dnstree_root *r)
{
	char buf[DNSTREE_ROOT_TEXT_MAX];
	int n = root_unsigned_text(buf, sizeof(buf), r);

	keccak256(hash, (const uint8_t *)buf, (size_t)n);
}

int dnstree_root_verify(const struct dnstree_root *r, const uint8_t pub[64])
{
	uint8_t h[32];

	dnstree_root_sighash(h, r);
	return secp_verify(r->sig, h, pub) == 0 ? 0 : -EKEYREJECTED;
}

int dnstree_root_sign(struct dnstree_root *r, const uint8_t priv[32])
{
	uint8_t h[32];

	dnstree_root_sighash(h, r);
	return secp_sign(r->sig, h, priv) == 0 ? 0 : -EINVAL;
}

ssize_t dnstree_format_root(char *out, size_t cap,
			    const struct dnstree_root *r)
{
	char sig[DNSTREE_SIG_TEXT_LEN + 1];
	int n;

	b64url_encode(sig, r->sig, DNSTREE_SIG_LEN);
	sig[DNSTREE_SIG_TEXT_LEN] = '\0';
	n = snprintf(out, cap, DNSTREE_ROOT_PREFIX " e=%s l=%s seq=%llu sig=%s",
		     r->eroot, r->lroot, (unsigned long long)r->seq, sig);
	if (n < 0 || (size_t)n >= cap)
		return -EMSGSIZE;
	return n;
}

/* A domain we can put in a query: labels of 1..63 letters, digits, '-'
 * and '_' (the last is not a hostname character, but names such as
 * _nodes.example.org are fine in DNS), 1..253 characters in all. */
static bool valid_domain(const char *d, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > DNSTREE_DOMAIN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = d[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

ssize_t dnstree_parse_link(struct dnstree_link *l, const char *txt, size_t len)
{
	static const size_t plen = sizeof(DNSTREE_LINK_PREFIX) - 1;
	uint8_t key[SECP_PUB_COMPRESSED_LEN + 1];
	const char *at, *s;
	size_t klen, dlen;

	if (len < plen || memcmp(txt, DNSTREE_LINK_PREFIX, plen) != 0)
		return -EBADMSG;
	s = txt + plen;
	at = memchr(s, '@', len - plen);
	if (!at)
		return -EBADMSG;                /* geth: missing public key */
	klen = (size_t)(at - s);
	dlen = len - plen - klen - 1;
	if (klen != DNSTREE_KEY_TEXT_LEN ||
	    dnstree_b32_decode(key, sizeof(key), s, klen) !=
	    SECP_PUB_COMPRESSED_LEN)
		return -EBADMSG;
	if (!valid_domain(at + 1, dlen))
		return -EBADMSG;
	if (secp_pub_decompress(l->pub, key) < 0)
		return -EBADMSG;                /* geth: invalid public key */
	memcpy(l->domain, at + 1, dlen);
	l->domain[dlen] = '\0';
	memcpy(l->loc, s, len - plen);
	l->loc[len - plen] = '\0';
	return (ssize_t)len;
}

ssize_t dnstree_format_link(char *out, size_t cap, const uint8_t pub[64],
			    const char *domain)
{
	uint8_t key[SECP_PUB_COMPRESSED_LEN];
	char k[DNSTREE_KEY_TEXT_LEN + 1];
	int n;

	if (!valid_domain(domain, strlen(domain)) ||
	    secp_pub_compress(key, pub) < 0)
		return -EINVAL;
	dnstree_b32_encode(k, key, sizeof(key));
	n = snprintf(out, cap, DNSTREE_LINK_PREFIX "%s@%s", k, domain);
	if (n < 0 || (size_t)n >= cap)
		return -EMSGSIZE;
	return n;
}

static ssize_t parse_branch(struct dnstree_entry *e, const char *txt,
			    size_t len)
{
	size_t pos = sizeof(DNSTREE_BRANCH_PREFIX) - 1, n = 0;

	if (pos == len) {
		e->type = DNSTREE_BRANCH;       /* an empty branch is fine */
		e->u.branch.n = 0;
		return (ssize_t)len;
	}
	for (;;) {
		const char *c = txt + pos;
		const char *end = memchr(c, ',', len - pos);
		size_t clen = end ? (size_t)(end - c) : len - pos;

		if (!dnstree_valid_hash(c, clen))
			return -EBADMSG;
		if (n == DNSTREE_BRANCH_MAX)
			return -EMSGSIZE;
		e->u.branch.child[n].off = (uint16_t)pos;
		e->u.branch.child[n].len = (uint8_t)clen;
		n++;
		if (!end)
			break;
		pos += clen + 1;        /* a trailing comma fails above */
	}
	e->type = DNSTREE_BRANCH;
	e->u.branch.n = n;
	return (ssize_t)len;
}

ssize_t dnstree_parse_entry(struct dnstree_entry *e, const char *txt,
			    size_t len)
{
	static const size_t blen = sizeof(DNSTREE_BRANCH_PREFIX) - 1;
	static const size_t llen = sizeof(DNSTREE_LINK_PREFIX) - 1;
	ssize_t rc;
	int vrc;

	if (len > DNSTREE_ENTRY_MAX)
		return -EMSGSIZE;
	if (len >= llen && memcmp(txt, DNSTREE_LINK_PREFIX, llen) == 0) {
		rc = dnstree_parse_link(&e->u.link, txt, len);
		if (rc < 0)
			return rc;
		e->type = DNSTREE_LINK;
		return rc;
	}
	if (len >= blen && memcmp(txt, DNSTREE_BRANCH_PREFIX, blen) == 0)
		return parse_branch(e, txt, len);
	if (len >= 4 && memcmp(txt, ENR_TEXT_PREFIX, 4) == 0) {
		if (len > ENR_TEXT_MAX - 1)
			return -EMSGSIZE;
		rc = enr_decode_text(&e->u.enr, txt, len);
		if (rc < 0)
			return rc == -EMSGSIZE ? rc : -EBADMSG;
		/* geth's enode.ValidSchemes: "v4" only. */
		vrc = enr_verify(&e->u.enr);
		if (vrc == -EBADMSG)
			return -EBADMSG;
		if (vrc < 0)
			return -EKEYREJECTED;
		e->type = DNSTREE_ENR;
		return (ssize_t)len;
	}
	return -ENOMSG;
}
