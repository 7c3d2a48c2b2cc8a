/* SPDX-License-Identifier: MIT */
/* common/rlp.c - RLP codec (Yellow Paper, appendix B). No allocation. */
#include "common/rlp.h"

#include <errno.h>
#include <string.h>

/* Reads a big-endian long-form length of lenlen bytes. Leading zeros and
 * values that would fit the short form are non-canonical. */
static int long_length(size_t *out, const uint8_t *p, size_t lenlen)
{
	size_t v = 0;

	if (p[0] == 0)
		return -EBADMSG;        /* leading zero in the length */
	for (size_t i = 0; i < lenlen; i++) {
		if (v > (SIZE_MAX >> 8))
			return -EMSGSIZE;  /* cannot possibly fit in memory */
		v = v << 8 | p[i];
	}
	if (v <= 55)
		return -EBADMSG;        /* long form for a short payload */
	*out = v;
	return 0;
}

ssize_t rlp_next(struct rlp_item *out, const uint8_t *buf, size_t len)
{
	size_t hdr, plen;
	uint8_t b;
	int rc;

	if (len == 0)
		return -EMSGSIZE;
	b = buf[0];
	if (b < 0x80) {
		out->p = buf;
		out->len = 1;
		out->is_list = false;
		return 1;
	}
	if (b <= 0xb7 || (b >= 0xc0 && b <= 0xf7)) {
		hdr = 1;
		plen = b <= 0xb7 ? b - 0x80u : b - 0xc0u;
	} else {
		size_t lenlen = b <= 0xbf ? b - 0xb7u : b - 0xf7u;

		if (len < 1 + lenlen)
			return -EMSGSIZE;
		rc = long_length(&plen, buf + 1, lenlen);
		if (rc < 0)
			return rc;
		hdr = 1 + lenlen;
	}
	if (plen > len - hdr)
		return -EMSGSIZE;
	/* A single byte below 0x80 must be encoded as itself. */
	if (b == 0x81 && buf[1] < 0x80)
		return -EBADMSG;
	out->p = buf + hdr;
	out->len = plen;
	out->is_list = b >= 0xc0;
	return (ssize_t)(hdr + plen);
}

static int validate_list(const uint8_t *p, size_t len, unsigned depth_left)
{
	while (len > 0) {
		struct rlp_item it;
		ssize_t n = rlp_next(&it, p, len);

		if (n < 0)
			return (int)n;
		if (it.is_list) {
			int rc;

			if (depth_left == 0)
				return -EBADMSG;
			rc = validate_list(it.p, it.len, depth_left - 1);
			if (rc < 0)
				return rc;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int rlp_validate(const uint8_t *buf, size_t len, unsigned max_depth)
{
	struct rlp_item it;
	ssize_t n;

	if (max_depth > RLP_MAX_DEPTH)
		max_depth = RLP_MAX_DEPTH;
	n = rlp_next(&it, buf, len);
	if (n < 0)
		return (int)n;
	if ((size_t)n != len)
		return -EMSGSIZE;       /* trailing bytes after the item */
	if (!it.is_list)
		return 0;
	if (max_depth == 0)
		return -EBADMSG;
	return validate_list(it.p, it.len, max_depth - 1);
}

void rlp_iter_init(struct rlp_iter *it, const struct rlp_item *list)
{
	it->p = list->p;
	it->len = list->len;
}

int rlp_iter_next(struct rlp_iter *it, struct rlp_item *out)
{
	ssize_t n;

	if (it->len == 0)
		return 0;
	n = rlp_next(out, it->p, it->len);
	if (n < 0) {
		it->len = 0;            /* a broken list ends here */
		return (int)n;
	}
	it->p += n;
	it->len -= (size_t)n;
	return 1;
}

int rlp_to_u64(uint64_t *out, const struct rlp_item *item)
{
	uint64_t v = 0;

	if (item->is_list)
		return -EBADMSG;
	if (item->len > 8)
		return -ERANGE;
	if (item->len > 0 && item->p[0] == 0)
		return -EBADMSG;        /* integers carry no leading zeros */
	for (size_t i = 0; i < item->len; i++)
		v = v << 8 | item->p[i];
	*out = v;
	return 0;
}

void rlp_buf_init(struct rlp_buf *b, uint8_t *mem, size_t cap)
{
	b->p = mem;
	b->cap = cap;
	b->len = 0;
	b->err = 0;
	b->depth = 0;
}

static uint8_t *reserve(struct rlp_buf *b, size_t n)
{
	uint8_t *at;

	if (b->err)
		return NULL;
	if (n > b->cap - b->len) {
		b->err = -EMSGSIZE;
		return NULL;
	}
	at = b->p + b->len;
	b->len += n;
	return at;
}

/* Bytes needed to write v big-endian without leading zeros. */
static size_t be_len(uint64_t v)
{
	size_t n = 0;

	while (v) {
		n++;
		v >>= 8;
	}
	return n;
}

static void put_be(uint8_t *at, uint64_t v, size_t n)
{
	while (n--) {
		at[n] = (uint8_t)v;
		v >>= 8;
	}
}

/* Writes the header for a payload of plen bytes with the given offset
 * (0x80 strings, 0xc0 lists) into at, returning its size (<= 9). */
static size_t header(uint8_t *at, size_t plen, uint8_t offset)
{
	size_t lenlen;

	if (plen <= 55) {
		at[0] = (uint8_t)(offset + plen);
		return 1;
	}
	lenlen = be_len(plen);
	at[0] = (uint8_t)(offset + 55 + lenlen);
	put_be(at + 1, plen, lenlen);
	return 1 + lenlen;
}

void rlp_put_bytes(struct rlp_buf *b, const uint8_t *buf, size_t len)
{
	uint8_t hdr[9];
	size_t hlen;
	uint8_t *at;

	if (len == 1 && buf[0] < 0x80) {
		at = reserve(b, 1);
		if (at)
			at[0] = buf[0];
		return;
	}
	hlen = header(hdr, len, 0x80);
	at = reserve(b, hlen + len);
	if (!at)
		return;
	memcpy(at, hdr, hlen);
	if (len)
		memcpy(at + hlen, buf, len);
}

void rlp_put_u64(struct rlp_buf *b, uint64_t v)
{
	uint8_t be[8];
	size_t n = be_len(v);

	put_be(be, v, n);
	rlp_put_bytes(b, be, n);
}

void rlp_put_uint_be(struct rlp_buf *b, const uint8_t *be, size_t len)
{
	while (len > 0 && be[0] == 0) {
		be++;
		len--;
	}
	rlp_put_bytes(b, be, len);
}

void rlp_put_raw(struct rlp_buf *b, const uint8_t *enc, size_t len)
{
	uint8_t *at = reserve(b, len);

	if (at && len)
		memcpy(at, enc, len);
}

void rlp_list_begin(struct rlp_buf *b)
{
	if (b->err)
		return;
	if (b->depth == RLP_MAX_DEPTH) {
		b->err = -EINVAL;
		return;
	}
	b->open[b->depth++] = b->len;
}

void rlp_list_end(struct rlp_buf *b)
{
	uint8_t hdr[9];
	size_t start, plen, hlen;

	if (b->err)
		return;
	if (b->depth == 0) {
		b->err = -EINVAL;
		return;
	}
	start = b->open[--b->depth];
	plen = b->len - start;
	hlen = header(hdr, plen, 0xc0);
	/* The payload was written first; shift it right to make room. */
	if (!reserve(b, hlen))
		return;
	memmove(b->p + start + hlen, b->p + start, plen);
	memcpy(b->p + start, hdr, hlen);
}

ssize_t rlp_buf_finish(const struct rlp_buf *b)
{
	if (b->err)
		return b->err;
	if (b->depth != 0)
		return -EINVAL;
	return (ssize_t)b->len;
}
