/* SPDX-License-Identifier: MIT */
/* dataplane/stage/rlpx_codec.c - RLPx frames <-> messages on a session's
 * bytes: buffering, frame open/seal, message code, snappy. */
#include "dataplane/stage/rlpx_codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/snappy.h"
#include "dataplane/stage/rlpx_budget.h"

#define CODE_MAX_LEN   9                /* rlp(uint64) */

static size_t pad16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

int rlpx_codec_init(struct rlpx_codec *c, const struct msg_rlpx_keys *k,
		    size_t frame_cap, uint32_t flags, struct rlpx_budget *b)
{
	int rc;

	memset(c, 0, sizeof(*c));
	rc = rlpx_frame_import(&c->f, k, frame_cap);
	if (rc < 0)
		return rc;
	c->budget = b;
	c->snappy = flags & MSG_RLPX_KEYS_F_SNAPPY;
	c->ibuf_max = pad16(c->f.cap) + RLPX_FRAME_MAC_LEN;
	if (c->ibuf_max < RLPX_CODEC_IBUF_MIN)
		c->ibuf_max = RLPX_CODEC_IBUF_MIN;
	rc = rlpx_budget_grow(b, &c->ibuf, &c->icap, RLPX_CODEC_IBUF_MIN,
			      RLPX_CODEC_IBUF_MIN);
	if (rc < 0) {
		rlpx_codec_fini(c);
		return rc;
	}
	return 0;
}

void rlpx_codec_fini(struct rlpx_codec *c)
{
	rlpx_frame_fini(&c->f);
	rlpx_budget_shrink(c->budget, &c->ibuf, &c->icap, 0);
	rlpx_budget_shrink(c->budget, &c->dbuf, &c->dcap, 0);
	c->ioff = c->ilen = c->body_need = c->opened = 0;
}

void rlpx_codec_trim(struct rlpx_codec *c)
{
	if (c->ibuf && c->ioff == c->ilen && !c->body_need) {
		c->ioff = c->ilen = 0;
		rlpx_budget_shrink(c->budget, &c->ibuf, &c->icap,
				   RLPX_CODEC_IBUF_MIN);
	}
	if (!c->opened && c->dcap > RLPX_CODEC_IBUF_MIN)
		rlpx_budget_shrink(c->budget, &c->dbuf, &c->dcap, 0);
}

ssize_t rlpx_codec_rx_space(struct rlpx_codec *c, uint8_t **p)
{
	size_t need = c->body_need ? c->body_need : RLPX_FRAME_HEAD_LEN;
	int rc;

	if (!c->ibuf)
		return -EPROTO;
	if (c->ioff == c->ilen)
		c->ioff = c->ilen = 0;
	if (c->ioff && c->icap - c->ioff < need) {
		memmove(c->ibuf, c->ibuf + c->ioff, c->ilen - c->ioff);
		c->ilen -= c->ioff;
		c->ioff = 0;
	}
	rc = rlpx_budget_grow(c->budget, &c->ibuf, &c->icap, need,
			      c->ibuf_max);
	if (rc < 0)
		return rc == -EMSGSIZE ? -EPROTO : rc;
	if (c->ilen == c->icap)
		return -ENOBUFS;
	*p = c->ibuf + c->ilen;
	return (ssize_t)(c->icap - c->ilen);
}

void rlpx_codec_rx_commit(struct rlpx_codec *c, size_t n)
{
	c->ilen += n;
}

ssize_t rlpx_codec_rx_push(struct rlpx_codec *c, const uint8_t *buf,
			   size_t len)
{
	uint8_t *p;
	ssize_t room = rlpx_codec_rx_space(c, &p);

	if (room == -ENOBUFS)
		return 0;
	if (room < 0)
		return room;
	if ((size_t)room > len)
		room = (ssize_t)len;
	memcpy(p, buf, (size_t)room);
	rlpx_codec_rx_commit(c, (size_t)room);
	return room;
}

/* msg_code() reads rlp(msg-id) at the start of frame-data: a canonical
 * RLP unsigned integer of at most 8 bytes. Returns bytes used. */
static ssize_t msg_code(uint64_t *code, const uint8_t *p, size_t len)
{
	size_t k;

	if (!len)
		return -EBADMSG;        /* a frame with no message code */
	if (p[0] < 0x80) {
		*code = p[0];
		return 1;
	}
	if (p[0] == 0x80) {
		*code = 0;
		return 1;
	}
	k = p[0] - 0x80u;
	if (k > 8 || len < 1 + k || p[1] == 0 || (k == 1 && p[1] < 0x80))
		return -EBADMSG;        /* too long, truncated, non-canonical */
	*code = 0;
	for (size_t i = 0; i < k; i++)
		*code = *code << 8 | p[1 + i];
	return (ssize_t)(1 + k);
}

/* rx_message() turns the frame-data just opened at body[0..len) into *m:
 * the message code, then snappy (decoded size checked first). */
static int rx_message(struct rlpx_codec *c, struct rlpx_msg *m,
		      const uint8_t *body, size_t len)
{
	ssize_t n, dl;
	int rc;

	n = msg_code(&m->code, body, len);
	if (n < 0)
		return (int)n;
	m->data = body + n;
	m->len = len - (size_t)n;
	if (!c->snappy)
		return 0;
	/* The bomb check: the claimed size, before any inflating. */
	dl = snappy_decoded_len(m->data, m->len);
	if (dl < 0)
		return -EBADMSG;
	if ((size_t)dl > RLPX_MSG_CAP)
		return -EMSGSIZE;
	rc = rlpx_budget_grow(c->budget, &c->dbuf, &c->dcap,
			      (size_t)dl ? (size_t)dl : 1, RLPX_MSG_CAP);
	if (rc < 0)
		return rc;
	dl = snappy_unpack(c->dbuf, c->dcap, m->data, m->len, RLPX_MSG_CAP);
	if (dl < 0)
		return dl == -EMSGSIZE ? -EMSGSIZE : -EBADMSG;
	m->data = c->dbuf;
	m->len = (size_t)dl;
	return 0;
}

/* rx_header_due() says whether c wants open_header() on its buffer now;
 * rx_header_done() records its result r (body bytes to come, or error). */
static bool rx_header_due(const struct rlpx_codec *c)
{
	return !c->body_need && c->ilen - c->ioff >= RLPX_FRAME_HEAD_LEN;
}

static int rx_header_done(struct rlpx_codec *c, ssize_t r)
{
	if (r < 0)
		return (int)r;
	c->ioff += RLPX_FRAME_HEAD_LEN;
	c->body_need = (size_t)r;
	return 0;
}

static bool rx_body_due(const struct rlpx_codec *c)
{
	return c->body_need && !c->opened &&
	       c->ilen - c->ioff >= c->body_need;
}

/* rx_finish() makes the message of the frame opened at the buffer's head
 * (len plaintext bytes) and moves past it. When the budget refuses the
 * snappy buffer the frame stays as it is, opened: the next rx_next()
 * tries again (the MAC streams have moved on, so it cannot be opened a
 * second time). */
static int rx_finish(struct rlpx_codec *c, struct rlpx_msg *m, size_t len)
{
	int rc = rx_message(c, m, c->ibuf + c->ioff, len);

	if (rc == -EDQUOT) {
		c->opened = len;
		return rc;
	}
	c->opened = 0;
	c->ioff += c->body_need;
	c->body_need = 0;
	return rc;
}

/* rx_body_done() records open_body()'s result r for the frame at the
 * buffer's head and makes the message of it. */
static int rx_body_done(struct rlpx_codec *c, struct rlpx_msg *m, ssize_t r)
{
	if (r < 0)
		return (int)r;
	return rx_finish(c, m, (size_t)r);
}

int rlpx_codec_rx_next(struct rlpx_codec *c, struct rlpx_msg *m)
{
	size_t fs = 0;
	uint8_t *body;
	int rc;

	if (!c->ibuf)
		return -EPROTO;
	if (c->opened)
		return rx_finish(c, m, c->opened);
	if (rx_header_due(c)) {
		rc = rx_header_done(c, rlpx_frame_open_header(&c->f, &fs,
							c->ibuf + c->ioff));
		if (rc < 0)
			return rc;
	}
	if (!rx_body_due(c))
		return -EAGAIN;
	body = c->ibuf + c->ioff;
	return rx_body_done(c, m, rlpx_frame_open_body(&c->f, body,
						       c->body_need, body,
						       c->body_need));
}

#define CODEC_BATCH 32          /* frame ops per rlpx_frame_*_batch() call */

/* One group of at most CODEC_BATCH codecs: the headers due, then the
 * bodies due, each through one frame batch; what neither concerns is
 * -EAGAIN, as rx_next() would say. */
static void rx_next_group(struct rlpx_codec *const c[], struct rlpx_msg m[],
			  int rc[], size_t n)
{
	struct rlpx_frame_op op[CODEC_BATCH];
	size_t idx[CODEC_BATCH], k = 0;

	for (size_t i = 0; i < n; i++) {
		rc[i] = c[i]->ibuf ? -EAGAIN : -EPROTO;
		if (rc[i] == -EAGAIN && c[i]->opened) {
			rc[i] = rx_finish(c[i], &m[i], c[i]->opened);
			continue;       /* no open in this round */
		}
		if (rc[i] == -EPROTO || !rx_header_due(c[i]))
			continue;
		op[k] = (struct rlpx_frame_op){
			.f = &c[i]->f, .in = c[i]->ibuf + c[i]->ioff,
			.in_len = c[i]->ilen - c[i]->ioff };
		idx[k++] = i;
	}
	rlpx_frame_open_header_batch(op, k);
	for (size_t j = 0; j < k; j++) {
		int r = rx_header_done(c[idx[j]], op[j].rc);

		if (r < 0)
			rc[idx[j]] = r;
	}
	k = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t *body;

		if (rc[i] != -EAGAIN || !rx_body_due(c[i]))
			continue;
		body = c[i]->ibuf + c[i]->ioff;
		op[k] = (struct rlpx_frame_op){
			.f = &c[i]->f, .out = body,
			.out_cap = c[i]->body_need, .in = body,
			.in_len = c[i]->body_need };
		idx[k++] = i;
	}
	rlpx_frame_open_body_batch(op, k);
	for (size_t j = 0; j < k; j++)
		rc[idx[j]] = rx_body_done(c[idx[j]], &m[idx[j]], op[j].rc);
}

void rlpx_codec_rx_next_batch(struct rlpx_codec *const c[],
			      struct rlpx_msg m[], int rc[], size_t n)
{
	for (size_t i = 0; i < n; i += CODEC_BATCH)
		rx_next_group(c + i, m + i, rc + i,
			      n - i < CODEC_BATCH ? n - i : CODEC_BATCH);
}

size_t rlpx_codec_scratch_len(size_t len)
{
	return CODE_MAX_LEN + (len > RLPX_MSG_CAP ? len : snappy_bound(len));
}

size_t rlpx_codec_sealed_max(size_t len)
{
	return rlpx_frame_sealed_len(rlpx_codec_scratch_len(len));
}

static size_t put_code(uint8_t *p, uint64_t code)
{
	size_t k = 0;

	if (code == 0) {
		p[0] = 0x80;
		return 1;
	}
	if (code < 0x80) {
		p[0] = (uint8_t)code;
		return 1;
	}
	for (uint64_t v = code; v; v >>= 8)
		k++;
	p[0] = (uint8_t)(0x80 + k);
	for (size_t i = 0; i < k; i++)
		p[1 + i] = (uint8_t)(code >> (8 * (k - 1 - i)));
	return 1 + k;
}

/* seal_plain() writes the frame plaintext rlp(code) || data (compressed
 * when on) into scratch. Returns its length or -errno. */
static ssize_t seal_plain(const struct rlpx_codec *c, uint8_t *scratch,
			  size_t scratch_cap, uint64_t code,
			  const uint8_t *data, size_t len)
{
	size_t n;

	if (len > RLPX_MSG_CAP)
		return -EMSGSIZE;
	if (scratch_cap < rlpx_codec_scratch_len(len))
		return -ENOBUFS;
	n = put_code(scratch, code);
	if (c->snappy) {
		ssize_t z = snappy_pack(scratch + n, scratch_cap - n, data,
					len);

		if (z < 0)
			return z;
		n += (size_t)z;
	} else {
		if (len)
			memcpy(scratch + n, data, len);
		n += len;
	}
	return (ssize_t)n;
}

ssize_t rlpx_codec_seal(struct rlpx_codec *c, uint8_t *out, size_t out_cap,
			uint8_t *scratch, size_t scratch_cap, uint64_t code,
			const uint8_t *data, size_t len)
{
	ssize_t n = seal_plain(c, scratch, scratch_cap, code, data, len);

	if (n < 0)
		return n;
	return rlpx_frame_seal(&c->f, out, out_cap, scratch, (size_t)n);
}

void rlpx_codec_seal_batch(struct rlpx_codec_tx *tx, size_t n)
{
	struct rlpx_frame_op op[CODEC_BATCH];
	size_t idx[CODEC_BATCH];

	for (size_t i = 0; i < n;) {
		size_t k = 0;

		for (; i < n && k < CODEC_BATCH; i++) {
			struct rlpx_codec_tx *t = &tx[i];
			ssize_t p = seal_plain(t->c, t->scratch,
					       t->scratch_cap, t->code,
					       t->data, t->len);

			t->rc = p;
			if (p < 0)
				continue;
			op[k] = (struct rlpx_frame_op){
				.f = &t->c->f, .out = t->out,
				.out_cap = t->out_cap, .in = t->scratch,
				.in_len = (size_t)p };
			idx[k++] = i;
		}
		rlpx_frame_seal_batch(op, k);
		for (size_t j = 0; j < k; j++)
			tx[idx[j]].rc = op[j].rc;
	}
}
